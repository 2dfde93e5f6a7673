#!/usr/bin/env bash
# The last step of a cluster run (cluster/slurm.sh runs it as a job of its
# own, cluster/parallel.sh at the end): merges the shard directories
# DIR/*-shard-*/ into DIR/merged with `bench merge`, which checks that they
# are shards of one plan and hold each of its measurements exactly once, and
# draws the merged run's figures and report.
#
# Usage: cluster/merge.sh DIR [--no-plots]
# Exit status: bench merge's (0: complete; 1: merged, but some measurements
# of the plan are missing, listed on stderr; 2: refused, with the reason).
set -u
[ $# -ge 1 ] && [ -d "$1" ] || { echo "usage: cluster/merge.sh DIR [--no-plots]" >&2; exit 2; }
dir=$(cd "$1" && pwd -P)
plots=1
[ "${2:-}" = --no-plots ] && plots=0
cd "$(dirname "$0")/.." || exit 2

shopt -s nullglob
shard_dirs=("$dir"/*-shard-*/)
if [ ${#shard_dirs[@]} -lt 2 ]; then
    echo "cluster/merge.sh: ${#shard_dirs[@]} shard director(y/ies) in $dir; a merge needs two or more (did the shards run? see $dir/slurm-*.out)" >&2
    exit 2
fi
build/bench merge "${shard_dirs[@]%/}" --out "$dir/merged"
status=$?
if [ "$plots" -eq 1 ] && [ -f "$dir/merged/summary.csv" ] && [ -x plots/render.sh ]; then
    plots/render.sh "$dir/merged" || echo "cluster/merge.sh: some figures could not be made (see above)" >&2
fi
[ -f "$dir/merged/report.md" ] && echo "Report:  $dir/merged/report.md"
[ -f "$dir/merged/results.csv" ] && echo "Merged:  $dir/merged"
exit "$status"
