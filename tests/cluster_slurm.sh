#!/usr/bin/env bash
# cluster/slurm.sh on a real Slurm cluster of one node, this machine: the
# test generates a slurm.conf for localhost in a temporary directory, starts
# munged, slurmctld and slurmd itself, runs the article suite in --quick
# form as 4 shards through `sbatch --array` and the dependent merge job,
# compares the merged run with the same plan run in one process, and stops
# the daemons by their PIDs. Run by `make test-cluster` (and `.ci/run`); it
# says SKIP, with the reason, where Slurm cannot run. One line per fact.
set -u
cd "$(dirname "$0")/.." || exit 1
BENCH=build/bench
[ -x "$BENCH" ] || { echo "FAIL setup: run make first"; exit 1; }
. tests/lib.sh
. tests/cluster/lib.sh

for c in munged slurmctld slurmd sbatch sinfo python3; do
    if ! command -v "$c" >/dev/null; then
        skip slurm_cluster "$c not found: install slurm-wlm and munge (tests/packages.txt; .ci/run installs them)"
        exit 0
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    skip slurm_cluster "slurmd must run as root (it starts every job as the user who submitted it); this test runs as uid $(id -u)"
    exit 0
fi

chmod 755 "$TMP" # the daemons and the jobs read it
pids=()
# Every daemon of this cluster carries this mark in its environment (and
# slurmstepd, which slurmd starts, inherits it): how the end of the test
# finds anything left behind.
MARK="BENCH_SLURM_TEST=$TMP"
marked() { # the PIDs of live processes with the mark
    local e
    for e in /proc/[0-9]*/environ; do
        tr '\0' '\n' 2>/dev/null <"$e" | grep -qxF "$MARK" && { e=${e#/proc/}; echo "${e%/environ}"; }
    done
}
stop_daemons() {
    local p i
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for i in $(seq 50); do
        [ -z "$(marked)" ] && break
        sleep 0.2
    done
    for p in $(marked); do kill -9 "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    pids=()
}
trap 'stop_daemons; rm -rf "$TMP"' EXIT

# ---- The cluster ----
t0=$(date +%s)
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
host=$(hostname -s)
mkdir -p "$TMP/munge" "$TMP/state" "$TMP/spool"
chmod 755 "$TMP/munge"
head -c 1024 /dev/urandom >"$TMP/munge/key"
chmod 400 "$TMP/munge/key"
cat >"$TMP/slurm.conf" <<EOF
ClusterName=benchtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$TMP/munge/socket
CredType=cred/munge
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=bench Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$TMP/slurm.conf"
env "$MARK" munged -F --force --socket="$TMP/munge/socket" --key-file="$TMP/munge/key" \
    --pid-file="$TMP/munge/pid" --seed-file="$TMP/munge/seed" --log-file="$TMP/munge/log" \
    >"$TMP/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$TMP/munge/socket" ] && break; sleep 0.1; done
env "$MARK" slurmctld -D -f "$SLURM_CONF" >"$TMP/slurmctld.out" 2>&1 &
pids+=($!)
env "$MARK" slurmd -D -f "$SLURM_CONF" -N "$host" >"$TMP/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    why=$(cat "$TMP"/munged.out "$TMP"/slurmctld.out "$TMP"/slurmd.out "$TMP"/*.log 2>/dev/null |
          grep -iE 'error|fatal' | grep -v -i pmix | tail -1)
    skip slurm_cluster "the one-node cluster did not come up within 30 s (node state '${state:-none}'): ${why:-no error logged}"
    exit 0
fi
t1=$(date +%s)

# ---- The run: 4 shards, then the merge, all through Slurm ----
RUN=(--quick --suite article --quiet)
timeout 170 cluster/slurm.sh --shards 4 --wait --no-plots --out "$TMP/run" "${RUN[@]}" >"$TMP/slurm.out" 2>&1
rc=$?
t2=$(date +%s)
[ "$rc" = 0 ] && pass slurm_run_and_merge_exit_0 ||
    fail slurm_run_and_merge_exit_0 "exit $rc: $(tail -3 "$TMP/slurm.out"; tail -3 "$TMP"/run/slurm-merge-*.out 2>/dev/null)"
array=$(sed -n 's/^Submitted: job array \([0-9]*\).*/\1/p' "$TMP/slurm.out")
tasks=$(ls "$TMP"/run/slurm-"${array:-none}"_[0-9]*.out 2>/dev/null | wc -l)
[ -n "$array" ] && [ "$tasks" = 4 ] && [ "$(ls -d "$TMP"/run/*-shard-[1-4] 2>/dev/null | wc -l)" = 4 ] &&
    pass slurm_ran_one_array_task_per_shard || fail slurm_ran_one_array_task_per_shard "array '$array', $tasks task outputs: $(ls "$TMP/run")"
# --exclusive on one node: no two shards ran at the same time (meta.json's
# start and end, to the second).
overlap=$(for m in "$TMP"/run/*-shard-*/meta.json; do
              printf '%s %s\n' "$(sed -n 's/.*"start_time": "\(.*\)".*/\1/p' "$m")" "$(sed -n 's/.*"end_time": "\(.*\)".*/\1/p' "$m")"
          done | sort | awk 'NR>1 && $1 < end {n++} {end=$2} END {print n+0}')
[ "$tasks" = 4 ] && [ "$overlap" = 0 ] && pass exclusive_shards_never_share_the_node || fail exclusive_shards_never_share_the_node "$overlap overlaps"
last_end=$(sed -n 's/.*"end_time": "\(.*\)".*/\1/p' "$TMP"/run/*-shard-*/meta.json | sort | tail -1)
merged_at=$(sed -n 's/.*"merged_at": "\(.*\)".*/\1/p' "$TMP/run/merged/meta.json" 2>/dev/null)
[ -n "$merged_at" ] && [ -n "$last_end" ] && [[ ! "$merged_at" < "$last_end" ]] &&
    pass merge_job_runs_after_every_shard || fail merge_job_runs_after_every_shard "merged at '$merged_at', last shard ended '$last_end'"
grep -q "exactly once" "$TMP"/run/slurm-merge-*.out 2>/dev/null && pass merge_job_finds_the_plan_covered ||
    fail merge_job_finds_the_plan_covered "$(cat "$TMP"/run/slurm-merge-*.out 2>/dev/null | head -5)"
"$BENCH" run "${RUN[@]}" --out "$TMP/one" >/dev/null 2>&1
same_as_one_run slurm_merged_run_equals_one_process_run "$TMP/run/merged" "$TMP/one"

# ---- Down ----
t3=$(date +%s)
stop_daemons
left=$(marked | tr '\n' ' ')
[ -z "$left" ] && pass no_daemon_left_running || fail no_daemon_left_running "still running: $left"
echo "# slurm: cluster up in $((t1 - t0)) s, 4 shards and the merge in $((t2 - t1)) s, down in $(($(date +%s) - t3)) s"
