#!/usr/bin/env bash
# The full comparison in one command: installs what is missing (Debian or
# Ubuntu; sudo when not root), builds, runs every backend on every workload
# through build/bench, renders the figures, and says where the results are.
# Every flag but its own four is `bench run`'s, passed through unchanged (one
# list of flags: `build/bench run --help`). Run ./run_all.sh --help.
set -u
cd "$(dirname "$0")" || exit 2

own_help() {
    cat <<'USAGE'
Usage: ./run_all.sh [options]

Installs what is missing, builds, runs the allocator comparison and writes
results/<run-id>/ (results.csv, samples.csv, summary.csv, meta.json, figures,
report.md); results/latest points to it. Without --suite or --workloads it
runs the suite `full` (about 15 minutes on 2 cores; `--quick` is a smoke run
of about 1 minute; `--suite article` the article's four workloads, about
2 minutes; README.md, "Run times").

Options of run_all.sh itself:
  --no-plots         skip the figures and report
  --no-install       do not install missing packages (only say what is missing)
  --help             this text

Every other option is `bench run`'s:
USAGE
}

bench_args=()
plots=1
install=1
help=0
for arg in "$@"; do
    case "$arg" in
        --help|-h) help=1 ;;
        --no-plots) plots=0 ;;
        --no-install) install=0 ;;
        *) bench_args+=("$arg") ;;
    esac
done

# ---- Packages ----
# Build tools, the peer allocators, the real programs (and the servers' load
# clients) and the plotting tools.
packages=(gcc make libc6-dev valgrind libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
          libgoogle-perftools4 libtbbmalloc2 libclang-rt-14-dev)
packages+=(python3 sqlite3 xz-utils redis-server redis-tools memcached libmemcached-tools
           ghostscript z3 lua5.4 perl git)
[ "$plots" -eq 1 ] && packages+=(gnuplot-nox python3-matplotlib)

install_missing() {
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo_cmd=(sudo)
    if [ "$install" -eq 1 ] && command -v apt-get >/dev/null &&
       { [ "$(id -u)" -eq 0 ] || [ ${#sudo_cmd[@]} -gt 0 ]; }; then
        echo "run_all.sh: installing ${missing[*]}" >&2
        if ! { "${sudo_cmd[@]}" apt-get update -qq &&
               DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"; } >/tmp/run_all.apt.log 2>&1; then
            echo "run_all.sh: could not install every package (log: /tmp/run_all.apt.log)." >&2
            echo "run_all.sh: please install: ${missing[*]}; going on with what is there." >&2
        fi
    else
        echo "run_all.sh: missing packages: ${missing[*]}" >&2
        echo "run_all.sh: install them with: sudo apt-get install ${missing[*]}" >&2
        echo "run_all.sh: going on; backends whose library is missing are reported as missing." >&2
    fi
}

build() {
    if ! make -s >/tmp/run_all.make.log 2>&1; then
        cat /tmp/run_all.make.log >&2
        echo "run_all.sh: the build failed" >&2
        exit 1
    fi
}

if [ "$help" -eq 1 ]; then
    own_help
    if [ -x build/bench ] || { command -v make >/dev/null && command -v cc >/dev/null && build; }; then
        build/bench run --help | sed -n '/^Options:/,$p' | tail -n +2
    else
        echo "  (build the project with \`make\` to list them: build/bench run --help)"
    fi
    exit 0
fi

install_missing
build

# ---- Run ----
# Without --workloads or --suite: the suite `full` (harness/suites.c).
case " ${bench_args[*]} " in
    *" --workloads "*|*" --suite "*) ;;
    *) bench_args+=(--suite full) ;;
esac
# bench validates every flag before it writes anything (exit 2). Ctrl-C
# reaches bench, which finishes its files and exits 130; tee ignores it so
# that no line is lost, and this script goes on to draw what finished.
interrupted=0
trap 'interrupted=1' INT TERM
log=$(mktemp)
build/bench run "${bench_args[@]}" | (trap '' INT TERM; exec tee "$log")
status=${PIPESTATUS[0]}
run_dir=$(sed -n '1s/.* -> //p' "$log")
rm -f "$log"
if [ "$status" -eq 2 ] || [ -z "$run_dir" ] || [ ! -d "$run_dir" ]; then
    exit "$status"
fi
[ "$interrupted" -eq 1 ] && [ "$status" -ne 130 ] && status=130

# ---- Figures and report ----
if [ "$plots" -eq 1 ] && [ -x plots/render.sh ]; then
    plots/render.sh "$run_dir" || echo "run_all.sh: some figures could not be made (see above)" >&2
fi
[ -f "$run_dir/report.md" ] && echo "Report:  $run_dir/report.md"
exit "$status"
