# The prog_git workload's script: a new bare repository in SCRATCH, one
# commit per generated revision of the tree (REVS/rev0, rev1, rev2: every
# file added, then a fifth of them changed and new ones added, then one
# directory removed and one renamed), `git gc`, `git fsck`, and the history
# with patches, renames found, on standard output. Names, e-mail addresses
# and dates are fixed and no configuration file is read, so the output (the
# commit ids too) is the same on every run. Usage: sh git_work.sh REVS SCRATCH
set -e
revs=$1
repo=$(mktemp -d "$2/bench-git.XXXXXX")
trap 'rm -rf "$repo"' EXIT
export GIT_DIR="$repo" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_AUTHOR_DATE='2000-01-01T00:00:00Z'
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'
git init -q --bare -b main
for r in 0 1 2; do
    git -c gc.auto=0 --work-tree="$revs/rev$r" add -A
    git -c gc.auto=0 --work-tree="$revs/rev$r" commit -q -m "revision $r"
done
git gc -q
git fsck --no-progress
git log -p -M --stat
