#!/usr/bin/env bash
# The full comparison in one command: installs what is missing (Debian or
# Ubuntu; sudo when not root), builds, runs every backend on every workload
# through build/bench, renders the figures, and says where the results are.
# Run ./run_all.sh --help for the flags.
set -u
cd "$(dirname "$0")" || exit 2

usage() {
    cat <<'USAGE'
Usage: ./run_all.sh [options]

Runs the allocator comparison and writes results/<run-id>/ (results.csv,
summary.csv, meta.json, figures, report.md); results/latest points to it.

Options:
  --quick            reduced sizes, one repetition: a smoke run (under a minute)
  --backends LIST    comma-separated backends (default: all known; see
                     `build/bench list`), or NAME=PATH.so for any library
  --suite NAME       a named selection of workloads (default: full; see
                     `build/bench list`): article, library, programs, full
  --workloads LIST   comma-separated workloads instead of a suite, each
                     optionally with parameters: mixed_sizes:max_size=65536
  --latency          also time every malloc/free: malloc_p50_ns .. free_max_ns
  --threads LIST     thread counts for threaded workloads (default: each
                     suite's own, e.g. multithread and random_churn at
                     1,2,4,8; with --workloads, 1,2,4,8: the sweep of the
                     thread-scaling figure)
  --reps N           measured repetitions per backend x workload (default 5)
  --out DIR          write the run directory to DIR instead of results/<run-id>
  --no-plots         skip the figures
  --no-install       do not install missing packages (only say what is missing)
  --help             this text

Exit status: 0 when every run ended ok; 1 when some did not (the others are
still written); 2 for bad usage (nothing is written).
USAGE
}

bench_args=()
plots=1
install=1
while [ $# -gt 0 ]; do
    case "$1" in
        --help|-h) usage; exit 0 ;;
        --quick) bench_args+=(--quick) ;;
        --latency) bench_args+=(--latency) ;;
        --no-plots) plots=0 ;;
        --no-install) install=0 ;;
        --backends|--workloads|--suite|--threads|--reps|--out)
            if [ $# -lt 2 ] || [ -z "$2" ]; then
                echo "run_all.sh: $1 needs a value (see --help)" >&2; exit 2
            fi
            bench_args+=("$1" "$2"); shift ;;
        *) echo "run_all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# ---- Packages ----
# Build tools, the peer allocators, and the plotting tools.
packages=(gcc make libc6-dev libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4)
# The real-program workloads' programs (gcc is above).
packages+=(python3 sqlite3 xz-utils)
[ "$plots" -eq 1 ] && packages+=(gnuplot-nox python3-matplotlib)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo_cmd=(sudo)
    if [ "$install" -eq 1 ] && command -v apt-get >/dev/null &&
       { [ "$(id -u)" -eq 0 ] || [ ${#sudo_cmd[@]} -gt 0 ]; }; then
        echo "run_all.sh: installing ${missing[*]}"
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
fi

# ---- Build ----
if ! make -s >/tmp/run_all.make.log 2>&1; then
    cat /tmp/run_all.make.log >&2
    echo "run_all.sh: the build failed" >&2
    exit 1
fi

# ---- Run ----
# Without --workloads, the suite `full` (harness/suites.c), whose items carry
# their thread sweeps (multithread and random_churn at 1,2,4,8). With
# --workloads, threaded workloads run at 1, 2, 4 and 8 threads unless
# --threads says otherwise: the thread-scaling figure needs the sweep.
case " ${bench_args[*]} " in
    *" --workloads "*)
        case " ${bench_args[*]} " in *" --threads "*) ;; *) bench_args+=(--threads 1,2,4,8) ;; esac ;;
    *" --suite "*) ;;
    *) bench_args+=(--suite full) ;;
esac
# Find the run directory from bench's first line, so the figures land beside
# the results even when --out was not given.
log=$(mktemp)
build/bench run "${bench_args[@]}" | tee "$log"
status=${PIPESTATUS[0]}
run_dir=$(sed -n '1s/.* -> //p' "$log")
rm -f "$log"
if [ "$status" -eq 2 ] || [ -z "$run_dir" ] || [ ! -d "$run_dir" ]; then
    exit "$status"
fi

# ---- Figures and report ----
if [ "$plots" -eq 1 ]; then
    if [ -x plots/render.sh ]; then
        plots/render.sh "$run_dir" || echo "run_all.sh: some figures could not be made (see above)" >&2
    fi
fi

echo
echo "Results: $run_dir"
[ -f "$run_dir/report.md" ] && echo "Report:  $run_dir/report.md"
exit "$status"
