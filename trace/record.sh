#!/usr/bin/env bash
# Records the committed traces of workloads/traces/: each program workload
# in its test-sized form, run by the harness itself with the tracer in the
# backend's place (so the command lines are those of workloads/prog_*.c and
# the program's output is checked against glibc's as in any run), then
# xz-compressed into workloads/traces/NAME.trace.xz. Run `make` first, and
# `make` again afterwards to unpack them into build/traces/.
#   python  prog_python:records=2000   (python3)
#   sqlite  prog_sqlite:rows=2000      (sqlite3)
#   gcc     prog_gcc:copies=1          (cc1: the compiler proper, not the driver)
#   xz      prog_xz:input_kib=128, 2 threads
# Usage: trace/record.sh [NAME...]   (default: all four)
set -u
cd "$(dirname "$0")/.." || exit 2
[ -x build/bench ] && [ -f build/libbenchtrace.so ] && [ -x build/trace-dump ] ||
    { echo "record.sh: run make first" >&2; exit 2; }

declare -A workload=([python]=prog_python:records=2000 [sqlite]=prog_sqlite:rows=2000
                     [gcc]=prog_gcc:copies=1 [xz]=prog_xz:input_kib=128)
declare -A program=([python]=python3 [sqlite]=sqlite3 [gcc]=cc1 [xz]=xz)
declare -A threads=([python]=1 [sqlite]=1 [gcc]=1 [xz]=2)
names=("$@"); [ $# -gt 0 ] || names=(python sqlite gcc xz)

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for name in "${names[@]}"; do
    [ -n "${workload[$name]:-}" ] || { echo "record.sh: unknown trace '$name' (known: ${!workload[*]})" >&2; exit 2; }
    dir="$tmp/$name"; mkdir -p "$dir"
    # The warm-up and the measured rep each leave a trace of the program: the newest is taken.
    if ! BENCH_TRACE_FILE="$dir/%e.%p.trace" build/bench run --reps 1 --threads "${threads[$name]}" \
        --backends "trace=$PWD/build/libbenchtrace.so" --workloads "${workload[$name]}" \
        --out "$dir/run" >"$dir/log" 2>&1; then
        echo "record.sh: $name: the run failed (log below)" >&2; cat "$dir/log" >&2; status=1; continue
    fi
    file=$(ls -t "$dir/${program[$name]}".*.trace 2>/dev/null | head -1)
    if [ -z "$file" ] || ! build/trace-dump "$file" >"$dir/summary"; then
        echo "record.sh: $name: no whole trace of ${program[$name]}" >&2; status=1; continue
    fi
    xz -9e -c "$file" >"workloads/traces/$name.trace.xz"
    echo "$name: $(cat "$dir/summary"); $(stat -c %s "$file") bytes, $(stat -c %s "workloads/traces/$name.trace.xz") compressed"
done
exit $status
