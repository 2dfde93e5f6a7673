#!/usr/bin/env bash
# A comparison over machines reached by ssh, with GNU parallel: the project
# (with its build) is sent to every host once as a bundle, each host runs
# one shard of the run's plan at a time (a measurement needs an otherwise
# idle machine) as parallel hands them out, every shard directory comes
# back, and the shards are merged and the report drawn here. The hosts need
# no checkout, only the packages a run needs (README.md, "Clusters").
set -u
. "$(dirname "$0")/common.sh"

usage() {
    cat <<'USAGE'
Usage: cluster/parallel.sh --hosts LIST|FILE [options] [bench run options]

Builds, checks the flags by writing the plan (DIR/plan.csv), and runs
`parallel --sshlogin LIST`: each job is one shard, `bench run ... --shard I/N`
on the next free host, from the bundle DIR/<name>.tgz (--basefile); the
shard directory comes back (--return) and nothing is left on the host
(--cleanup). Then DIR/merged: results, summaries, per-host summary, report.

Options:
  --hosts LIST|FILE  parallel's sshlogins: host1,user@host2,... or a file of
                     them, one a line (`:` is this machine)
  --ssh CMD          the ssh command parallel and rsync use (default ssh)
USAGE
    common_help
    echo "  (default --shards: the number of hosts, at least 2)"
}

hosts=""
ssh_opt=()
while [ $# -gt 0 ]; do
    case "$1" in
        --help|-h) usage; exit 0 ;;
        --hosts) [ $# -ge 2 ] || die "--hosts needs a list or a file"; hosts=$2; shift 2 ;;
        --ssh) [ $# -ge 2 ] || die "--ssh needs a command"; ssh_opt=(--ssh "$2"); shift 2 ;;
        *) take_common "$@"; shift $? ;;
    esac
done
[ -n "$hosts" ] || die "--hosts LIST|FILE is needed (e.g. --hosts node1,node2)"
command -v parallel >/dev/null || die "GNU parallel not found (Debian package parallel)"
# The sshlogins, one a line, from the file or the list.
if [ -f "$hosts" ]; then
    login=(--sshloginfile "$(cd "$(dirname "$hosts")" && pwd -P)/$(basename "$hosts")")
    logins=$(grep -v '^\s*\(#\|$\)' "$hosts")
else
    login=(--sshlogin "$hosts")
    logins=$(tr , '\n' <<<"$hosts")
fi
host_count=$(grep -c . <<<"$logins")
# parallel sends the bundle to a remote host with rsync, and without it
# fails only once the jobs start; `:` (this machine, also as `N/:`) needs none.
if grep -qv '^\s*\([0-9]*/\)\?:\s*$' <<<"$logins"; then
    command -v rsync >/dev/null || die "rsync not found (Debian package rsync): parallel sends the bundle to the hosts with it"
fi
[ -n "$shards" ] || shards=$((host_count > 2 ? host_count : 2))
cluster_prepare parallel

# The bundle: the project as built, without its history or results. A
# shipped copy has no checkout, so build/commit in it names the commit it
# was built from (meta.json's git_commit); and the hosts have no --costs
# run, so its samples travel as costs/samples.csv.
stage=$(mktemp -d)
mkdir -p "$stage/build" "$stage/costs"
extra=()
git -C "$PROJECT" rev-parse HEAD >"$stage/build/commit" 2>/dev/null && extra+=(build/commit)
for ((i = 0; i + 1 < ${#bench_args[@]}; i++)); do
    if [ "${bench_args[i]}" = --costs ]; then
        cp "${bench_args[i + 1]}/samples.csv" "$stage/costs/" || die "--costs ${bench_args[i + 1]}: no samples.csv"
        bench_args[i + 1]=@COSTS@
        extra+=(costs/samples.csv)
    fi
done
excludes=(--exclude=./.git --exclude=./results --exclude=./build/obj --exclude=./build/commit)
case "$out/" in "$PROJECT"/*) excludes+=(--exclude="./${out#"$PROJECT"/}") ;; esac
[ ${#extra[@]} -eq 0 ] || extra=(-C "$stage" "${extra[@]}")
tar -czf "$out/$name.tgz" "${excludes[@]}" -C "$PROJECT" . "${extra[@]}" ||
    die "cannot make the bundle $out/$name.tgz"
rm -rf "$stage"

# One job: unpack the bundle beside it, run the shard, pack its directory
# for the way back (a returned file is removed from the host by --cleanup,
# a directory would stay). The same in the login directory of a remote
# host and here in DIR (`:`), where parallel transfers nothing.
b="$(q "$name-build-"){}"
s="$(q "$name-shard-"){}"
args=$(quoted_bench_args)
job="mkdir $b && tar -xzf $(q "$name.tgz") -C $b && $b/build/bench run ${args//"'@COSTS@'"/$b/costs}--shard {}/$shards --out $s;"
job+=" status=\$?; rm -rf $b; if [ -d $s ]; then tar -czf $s.tgz $s && rm -rf $s; fi; exit \$status"
cd "$out" || exit 2
# parallel runs a remote job with the exported $SHELL and, where none is
# exported (cron, CI, `env -i`), silently runs nothing at all; the job is
# plain POSIX shell.
export PARALLEL_SHELL=${PARALLEL_SHELL:-/bin/sh}
seq 1 "$shards" | parallel --will-cite --jobs 1 --line-buffer --tagstring 'shard {}' \
    "${login[@]}" "${ssh_opt[@]}" --basefile "$name.tgz" --return "$name-shard-{}.tgz" --cleanup "$job"
jobs_status=$?
for f in "$name"-shard-*.tgz; do
    [ -f "$f" ] && tar -xzf "$f" && rm -f "$f"
done
rm -f "$name.tgz"
"$PROJECT/cluster/merge.sh" "$out" $([ "$plots" -eq 1 ] || echo --no-plots)
status=$?
[ "$status" -eq 0 ] && [ "$jobs_status" -ne 0 ] && status=1
exit "$status"
