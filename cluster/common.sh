# What cluster/slurm.sh and cluster/parallel.sh share (sourced, not run):
# their common flags, the build, the plan checked before anything is sent
# anywhere, and quoting for the command lines they hand on. Every flag that
# is not theirs is `bench run`'s, passed through as run_all.sh does.

PROJECT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH=$PROJECT/build/bench
shards=""
out=""
plots=1
bench_args=()

die() {
    echo "$(basename "$0"): $*" >&2
    exit 2
}

# take_common ARGS...: takes the first argument (and its value) when it is a
# common flag, else keeps it for bench run; returns how many it took.
take_common() {
    case "$1" in
        --shards)
            [ $# -ge 2 ] || die "--shards needs a number"
            shards=$2
            return 2 ;;
        --out)
            [ $# -ge 2 ] || die "--out needs a directory"
            out=$2
            return 2 ;;
        --no-plots)
            plots=0
            return 1 ;;
        --shard)
            die "--shard is set for each shard by this script; give the number of shards with --shards N" ;;
        *)
            bench_args+=("$1")
            return 1 ;;
    esac
}

common_help() {
    cat <<'USAGE'
  --shards N         split the run's plan into N shards (see `build/bench plan`)
  --out DIR          where the shards and the merged run go (default
                     results/<date>-<how>/); the merged run is DIR/merged
  --no-plots         merge, but draw no figures or report
Every other option is `bench run`'s (build/bench run --help), the same for
every shard.
USAGE
}

# q WORD: WORD quoted for any POSIX shell.
q() {
    printf "'%s'" "${1//\'/\'\\\'\'}"
}

# The bench arguments, quoted, on one line.
quoted_bench_args() {
    local a
    for a in "${bench_args[@]}"; do
        printf '%s ' "$(q "$a")"
    done
}

# cluster_prepare HOW: builds, creates $out (default
# results/<date>-HOW in the project), sets $name (its last component, the
# prefix of every shard directory) and writes $out/plan.csv: `bench plan`
# checks every flag as `bench run` will, so a typo fails here, before
# anything is sent anywhere. It stays in the caller's directory, where the
# flags' relative paths (--costs RUN, NAME=PATH.so) mean what they say.
cluster_prepare() {
    case "$shards" in
        ''|*[!0-9]*) die "--shards N (a whole number, 2 or more) is needed" ;;
    esac
    [ "$shards" -ge 2 ] || die "--shards must be 2 or more (one shard is a plain ./run_all.sh)"
    local log
    log=$(mktemp)
    if ! make -s -C "$PROJECT" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "the build failed"
    fi
    rm -f "$log"
    [ -n "$out" ] || out="$PROJECT/results/$(date -u +%Y%m%d-%H%M%S)-$1"
    mkdir -p "$out" || die "cannot create $out"
    out=$(cd "$out" && pwd -P)
    [ -z "$(ls -A "$out")" ] || die "$out is not empty (results are never overwritten)"
    name=$(basename "$out")
    "$BENCH" plan "${bench_args[@]}" --shard "1/$shards" --out "$out/plan.csv" || exit $?
}
