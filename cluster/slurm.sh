#!/usr/bin/env bash
# A comparison on a Slurm cluster: one task of a job array per shard of the
# run's plan, each on a node of its own (--exclusive: a measurement needs an
# otherwise idle machine), then a job that waits for all of them, merges the
# shards and draws the report. The project directory (and so the build) must
# be on a filesystem every node mounts; README.md, "Clusters".
set -u
. "$(dirname "$0")/common.sh"

usage() {
    cat <<'USAGE'
Usage: cluster/slurm.sh --shards N [options] [bench run options] [-- sbatch options]

Builds, checks the flags by writing the plan (DIR/plan.csv), and submits
  a job array of N tasks, task I running `build/bench run ... --shard I/N`
    into DIR/<name>-shard-I (one node each, --exclusive), and
  a merge job (--dependency=afterany on the array) running cluster/merge.sh:
    DIR/merged with results, summaries, the per-host summary and the report.
The sbatch options after `--` go to both jobs: e.g. -- --partition=short
--time=02:00:00 --account=myproject (or set SBATCH_PARTITION, SBATCH_TIMELIMIT,
SBATCH_ACCOUNT, which sbatch reads itself).

Options:
USAGE
    common_help
    cat <<'USAGE'
  --wait             return when the merge job has ended, with its exit status
  --help             this text
USAGE
}

wait_opt=()
sbatch_opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --help|-h) usage; exit 0 ;;
        --wait) wait_opt=(--wait); shift ;;
        --) shift; sbatch_opts=("$@"); break ;;
        *) take_common "$@"; shift $? ;;
    esac
done
command -v sbatch >/dev/null || die "sbatch not found: run this where Slurm's commands are (a login node)"
cluster_prepare slurm

# The command line that merges the shards and draws the report.
merge_command() {
    printf '%s %s%s' "$(q "$PROJECT/cluster/merge.sh")" "$(q "$out")" \
        "$([ "$plots" -eq 1 ] || echo ' --no-plots')"
}

# The job scripts stay in DIR: a failed shard is resubmitted with
#   rm -rf DIR/<name>-shard-3; sbatch --array=3 DIR/shard.sbatch
cat >"$out/shard.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=bench-shard
#SBATCH --array=1-$shards
#SBATCH --exclusive
#SBATCH --output=$out/slurm-%A_%a.out
cd $(q "$PWD") || exit 2
exec $(q "$BENCH") run $(quoted_bench_args)--shard "\$SLURM_ARRAY_TASK_ID/$shards" --out $(q "$out/$name-shard-")"\$SLURM_ARRAY_TASK_ID"
JOB
cat >"$out/merge.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=bench-merge
#SBATCH --output=$out/slurm-merge-%j.out
exec $(merge_command)
JOB

array=$(sbatch --parsable "${sbatch_opts[@]}" "$out/shard.sbatch") || die "sbatch refused the shard array (see above)"
array=${array%%;*}
echo "Submitted: job array $array ($shards shards: $out/shard.sbatch, output $out/slurm-${array}_*.out)"
# afterany, not afterok: a shard exits 1 when any single measurement did not
# end ok (a crash, a missing library), which is a result, not a failure of
# the shard; the merge then says exactly which measurements, if any, are
# missing (a shard that was killed or timed out).
merge_job=$(sbatch --parsable --dependency="afterany:$array" "${wait_opt[@]}" \
    "${sbatch_opts[@]}" "$out/merge.sbatch")
status=$?
merge_job=${merge_job%%;*}
echo "Submitted: merge job $merge_job (after the array; output $out/slurm-merge-$merge_job.out)"
echo "Watch:     squeue -j $array,$merge_job"
echo "Results:   $out/merged (report.md there when the merge job has run)"
exit "$status"
