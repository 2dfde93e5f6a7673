#!/usr/bin/env bash
# Tests of trace record and replay (trace/, workloads/replay.c): the tracer
# records exactly the calls of a small multi-threaded program
# (tests/trace/tiny.c) with their sizes, alignments, threads and cross-thread
# frees, leaves forked children alone, gives exec'd programs their own file
# only when asked, and finishes the file on a fatal signal; the replay runs
# the trace under glibc and custom with the same operation count and checksum
# every time; a cut or corrupt trace is a clear error, never a crash.
# One line per fact: PASS name / FAIL name: why / SKIP name: why.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench DUMP=build/trace-dump TINY=build/tests/trace_tiny TRACER=$PWD/build/libbenchtrace.so
for f in "$BENCH" "$DUMP" "$TINY" "$TRACER"; do [ -e "$f" ] || { echo "FAIL setup: $f missing: run make first"; exit 1; }; done

ok() { if eval "$2"; then pass "$1"; else fail "$1" "$3"; fi; }
# traced FILE PROGRAM ARGS...: runs PROGRAM under the tracer into FILE.
traced() { local f=$1; shift; BENCH_TRACE_FILE=$f LD_PRELOAD=$TRACER "$@"; }
# count DUMP KIND SIZE [THREAD-TEST]: operations of a kind and size in a dump -v.
count() { awk -v k="$2" -v s="$3" -v t="${4:-}" 'NR>1 && $3==k && $5==s && (t=="" || (t=="main" ? $2==0 : $2!=0))' "$1" | wc -l; }
field() { awk -v k="$2" 'NR==1 { for (i = 1; i < NF; i++) if ($i == k) print $(i+1) }' "$1"; }
# replay OUT BACKENDS FILE [REPS]: replays the trace FILE (trace=file).
replay() {
    local out=$1 backends=$2 file=$3 reps=${4:-1}
    BENCH_REPLAY_FILE=$file "$BENCH" run --reps "$reps" --backends "$backends" --workloads replay:trace=file \
        --out "$out" >"$out.log" 2>&1
}
metric() { awk -F, -v b="$2" -v m="$3" '$1==b && $5==m {print $6}' "$1/results.csv"; }
status_of() { awk -F, -v b="$2" '$1==b && $5=="run" {print $8 ": " $10; exit} $1==b && $8=="ok" {print "ok"; exit}' "$1/results.csv"; }

# ---- Recording ----
T="$TMP/tiny.trace"
out=$(traced "$T" "$TINY" fork 2>&1); rc=$?
ok tracer_leaves_the_program_working '[ $rc -eq 0 ] && [ "$out" = "trace_tiny ok" ]' "rc $rc, output '$out'"
ok trace_starts_with_magic_and_version_1 '[ "$(head -c 12 "$T" | od -An -tx1 | tr -d " \n")" = "414c4c4f4354524301000000" ]' \
    "$(head -c 12 "$T" | od -An -c)"
"$DUMP" -v "$T" >"$TMP/tiny.txt" 2>&1; rc=$?
ok trace_dump_reads_the_trace '[ $rc -eq 0 ] && [ "$(field "$TMP/tiny.txt" program)" = trace_tiny ]' "rc $rc: $(head -1 "$TMP/tiny.txt")"
ok tracer_records_every_malloc_and_free_once \
    '[ "$(count "$TMP/tiny.txt" malloc 777)" = 300 ] && [ "$(count "$TMP/tiny.txt" free 777)" = 300 ] && [ "$(count "$TMP/tiny.txt" malloc 555)" = 20 ]' \
    "$(count "$TMP/tiny.txt" malloc 777) malloc(777), $(count "$TMP/tiny.txt" free 777) free, $(count "$TMP/tiny.txt" malloc 555) malloc(555)"
ok tracer_records_calloc_as_its_total_size '[ "$(count "$TMP/tiny.txt" calloc 1000 main)" = 1 ]' "no calloc of 1000 bytes"
ok tracer_records_alignments \
    'grep -q "posix_memalign [0-9]* 1000 64$" "$TMP/tiny.txt" && grep -q "aligned_alloc [0-9]* 512 256$" "$TMP/tiny.txt" &&
     grep -q "memalign [0-9]* 300 128$" "$TMP/tiny.txt" && grep -q "valloc [0-9]* 5000 4096$" "$TMP/tiny.txt"' \
    "$(grep -E "align|valloc" "$TMP/tiny.txt" | tr '\n' ';')"
ok tracer_records_malloc_usable_size '[ "$(count "$TMP/tiny.txt" malloc_usable_size 4096 main)" = 1 ]' "none of a 4096-byte block"
# The realloc chain 16 -> 4096 is one block: one id from malloc(16) to its free.
chain=$(awk 'NR>1 && $2==0 && (($3=="malloc" && $5==16) || $3=="realloc") {print $4}' "$TMP/tiny.txt" | sort -u | wc -l)
reallocs=$(awk 'NR>1 && $3=="realloc"' "$TMP/tiny.txt" | wc -l)
ok realloc_keeps_the_block_id '[ "$chain" = 1 ] && [ "$reallocs" = 8 ]' "$chain ids in the chain of $reallocs reallocs"
ok tracer_numbers_each_thread '[ "$(field "$TMP/tiny.txt" threads)" = 4 ]' "threads $(field "$TMP/tiny.txt" threads)"
ok tracer_sees_cross_thread_frees \
    '[ "$(count "$TMP/tiny.txt" malloc 333 worker)" = 150 ] && [ "$(count "$TMP/tiny.txt" free 333 main)" = 150 ] &&
     [ "$(count "$TMP/tiny.txt" malloc 555 main)" = 20 ] && [ "$(count "$TMP/tiny.txt" free 555 worker)" = 20 ] &&
     [ "$(field "$TMP/tiny.txt" cross_thread)" -ge 170 ]' "cross_thread $(field "$TMP/tiny.txt" cross_thread)"
ok forked_child_is_not_traced '[ "$(count "$TMP/tiny.txt" malloc 4242)" = 0 ]' "the child's malloc(4242) is in the parent's trace"
# Ids are reused: never more than the peak of live blocks (about 200 here).
ok ids_are_dense '[ "$(field "$TMP/tiny.txt" ids)" -lt 400 ]' "ids $(field "$TMP/tiny.txt" ids)"

# A name without %p/%e: only the first process (the shell) is traced.
traced "$TMP/one.trace" sh -c "$TINY >/dev/null; true"
"$DUMP" -v "$TMP/one.trace" >"$TMP/one.txt" 2>&1
ok plain_name_traces_only_the_first_process \
    '[ "$(field "$TMP/one.txt" program)" = sh ] && [ "$(count "$TMP/one.txt" malloc 777)" = 0 ] && [ "$(ls "$TMP" | grep -c trace$)" = 2 ]' \
    "$(head -1 "$TMP/one.txt"); files: $(ls "$TMP" | tr '\n' ' ')"
mkdir "$TMP/each"
traced "$TMP/each/%e.%p.trace" sh -c "$TINY >/dev/null; true"
f=$(ls "$TMP"/each/trace_tiny.*.trace 2>/dev/null | head -1)
ok pattern_gives_each_exec_its_own_file \
    '[ -n "$f" ] && "$DUMP" -v "$f" >"$TMP/each.txt" && [ "$(count "$TMP/each.txt" malloc 777)" = 300 ] && ls "$TMP"/each/sh.*.trace >/dev/null 2>&1' \
    "files: $(ls "$TMP/each" | tr '\n' ' ')"

traced "$TMP/abort.trace" "$TINY" abort >/dev/null 2>&1
"$DUMP" -v "$TMP/abort.trace" >"$TMP/abort.txt" 2>&1
ok fatal_signal_still_finishes_the_trace \
    '[ "$(field "$TMP/abort.txt" signal)" = 6 ] && [ "$(count "$TMP/abort.txt" malloc 5151)" = 1 ]' "$(head -1 "$TMP/abort.txt")"
traced "$TMP/exit.trace" "$TINY" exit >/dev/null 2>&1
"$DUMP" -v "$TMP/exit.trace" >"$TMP/exit.txt" 2>&1
ok underscore_exit_still_finishes_the_trace \
    '[ "$(field "$TMP/exit.txt" signal)" = 0 ] && [ "$(count "$TMP/exit.txt" malloc 5151)" = 1 ]' "$(head -1 "$TMP/exit.txt")"
traced "$TMP/kill.trace" "$TINY" kill >/dev/null 2>&1
"$DUMP" "$TMP/kill.trace" >"$TMP/kill.txt" 2>&1; rc=$?
ok trace_of_a_killed_process_is_reported_cut_short '[ $rc -eq 1 ] && grep -q "cut short" "$TMP/kill.txt"' "rc $rc: $(cat "$TMP/kill.txt")"

# Under load: a producer thread's 20,000 blocks freed by a consumer thread,
# through rings, as fast as they go. A trace whose order were wrong anywhere
# (a free recorded before its block's malloc) is one the loader rejects.
# Recorded through the harness, the tracer as the backend of the measured
# process.
mkdir "$TMP/pc"
BENCH_TRACE_FILE="$TMP/pc/%e.%p.trace" "$BENCH" run --reps 1 --backends "tracer=$TRACER" \
    --workloads producer_consumer:count=20000 --out "$TMP/pc/run" >/dev/null 2>&1
f=$(ls -S "$TMP"/pc/*.trace 2>/dev/null | head -1)
"$DUMP" "${f:-/nonexistent}" >"$TMP/pc.txt" 2>&1
ok tracer_order_holds_across_threads_under_load '[ "$(field "$TMP/pc.txt" cross_thread)" -ge 20000 ]' "$(cat "$TMP/pc.txt")"

# ---- Replay ----
replay "$TMP/g" glibc "$T" 2
ops=$(field "$TMP/tiny.txt" ops)
ok replay_runs_ok_under_glibc '[ "$(status_of "$TMP/g" glibc)" = ok ]' "$(status_of "$TMP/g" glibc) $(tail -3 "$TMP/g.log")"
ok replay_does_every_recorded_operation '[ "$(metric "$TMP/g" glibc ops | sort -u)" = "$ops" ]' "ops $(metric "$TMP/g" glibc ops | tr '\n' ' ')vs $ops in the trace"
ok replay_twice_gives_the_same_count_and_checksum \
    '[ "$(metric "$TMP/g" glibc ops | wc -l)" = 2 ] && [ "$(metric "$TMP/g" glibc ops | sort -u | wc -l)" = 1 ] &&
     [ "$(metric "$TMP/g" glibc checksum | wc -l)" = 2 ] && [ "$(metric "$TMP/g" glibc checksum | sort -u | wc -l)" = 1 ]' \
    "ops $(metric "$TMP/g" glibc ops | tr '\n' ' '), checksums $(metric "$TMP/g" glibc checksum | tr '\n' ' ')"
ok replay_keeps_the_recorded_threads \
    '[ "$(metric "$TMP/g" glibc threads | head -1)" = 4 ] && [ "$(metric "$TMP/g" glibc cross_thread_ops | head -1)" = "$(field "$TMP/tiny.txt" cross_thread)" ]' \
    "threads $(metric "$TMP/g" glibc threads | head -1), cross_thread_ops $(metric "$TMP/g" glibc cross_thread_ops | head -1)"
replay "$TMP/c" custom "$T"
ok replay_runs_ok_under_custom '[ "$(status_of "$TMP/c" custom)" = ok ]' "$(status_of "$TMP/c" custom)"
ok replay_checksum_is_the_same_under_custom \
    '[ -n "$(metric "$TMP/c" custom checksum)" ] && [ "$(metric "$TMP/c" custom checksum | sort -u)" = "$(metric "$TMP/g" glibc checksum | sort -u)" ] &&
     [ "$(metric "$TMP/c" custom ops | sort -u)" = "$ops" ]' \
    "custom $(metric "$TMP/c" custom checksum | tr '\n' ' ') glibc $(metric "$TMP/g" glibc checksum | head -1)"

# Every committed trace replays under glibc and custom, all of it.
names=$(ls build/traces/*.trace 2>/dev/null | sed 's|.*/||; s|\.trace$||')
if [ -z "$names" ]; then
    fail committed_traces_replay "no build/traces/*.trace (run make)"
else
    list=$(for n in $names; do printf 'replay:trace=%s,' "$n"; done)
    "$BENCH" run --reps 1 --backends glibc,custom --workloads "${list%,}" --out "$TMP/all" >"$TMP/all.log" 2>&1
    for n in $names; do
        want=$("$DUMP" "build/traces/$n.trace" | awk '{print $4}')
        got=$(awk -F, -v w="replay:trace=$n" '$2==w && $5=="ops" {print $1 "=" $6}' "$TMP/all/results.csv" | sort | tr '\n' ' ')
        ok "committed_trace_${n}_replays_whole_under_glibc_and_custom" '[ "$got" = "custom=$want glibc=$want " ]' \
            "ops '$got' vs $want: $(awk -F, -v w="replay:trace=$n" '$2==w && $5=="run"' "$TMP/all/results.csv")"
    done
fi

# ---- Bad traces: a clear `error`, never a crash ----
bad_trace() { # NAME FILE EXPECTED-TEXT
    replay "$TMP/bad-$1" glibc "$2"
    local s want=$3; s=$(status_of "$TMP/bad-$1" glibc)
    ok "$1_trace_is_a_clear_error" '[[ "$s" == error:*"$want"* ]]' "status '$s'"
}
size=$(stat -c %s "$T")
head -c $((size - 3)) "$T" >"$TMP/cut.trace"
bad_trace truncated "$TMP/cut.trace" "cut short"
head -c $((size / 2)) "$T" >"$TMP/half.trace"
bad_trace half "$TMP/half.trace" "cut short"
{ head -c 40 "$T"; printf '\x7f'; tail -c +42 "$T"; } >"$TMP/kind.trace"
bad_trace unknown_kind "$TMP/kind.trace" "corrupt"
{ printf 'NOTATRACE'; tail -c +10 "$T"; } >"$TMP/magic.trace"
bad_trace bad_magic "$TMP/magic.trace" "not a trace"
{ head -c 8 "$T"; printf '\x09\x00\x00\x00'; tail -c +13 "$T"; } >"$TMP/version.trace"
bad_trace other_version "$TMP/version.trace" "version 9"
: >"$TMP/empty.trace"
bad_trace empty "$TMP/empty.trace" "empty"
bad_trace missing "$TMP/nosuch.trace" "cannot open"
BENCH_REPLAY_FILE= "$BENCH" run --reps 1 --backends glibc --workloads replay:trace=file --out "$TMP/noenv" >/dev/null 2>&1
s=$(status_of "$TMP/noenv" glibc)
ok trace_file_needs_its_path '[[ "$s" == error:*BENCH_REPLAY_FILE* ]]' "status '$s'"

# Every cut and many single-byte changes of the tiny trace: the loader says
# yes or gives a reason (exit 0 or 1), and never crashes.
crashes=0 reasons=0
for ((n = 0; n < size; n += 5)); do
    head -c $n "$T" >"$TMP/f.trace"
    "$DUMP" "$TMP/f.trace" >/dev/null 2>"$TMP/f.err"; rc=$?
    [ $rc -le 1 ] || crashes=$((crashes + 1)); [ $rc -eq 1 ] && [ -s "$TMP/f.err" ] && reasons=$((reasons + 1))
done
for ((i = 1; i <= 200; i++)); do
    off=$(( (i * 7919) % size )); byte=$(( (i * 31) % 256 ))
    { head -c $off "$T"; printf "\\x$(printf %02x $byte)"; tail -c +$((off + 2)) "$T"; } >"$TMP/f.trace"
    "$DUMP" -v "$TMP/f.trace" >/dev/null 2>&1; [ $? -le 1 ] || crashes=$((crashes + 1))
done
ok loader_never_crashes_on_cut_or_changed_traces '[ $crashes = 0 ]' "$crashes crashes"
ok loader_rejects_every_cut_trace_with_a_reason '[ $reasons = $(( (size + 4) / 5 )) ]' "$reasons reasons for $(( (size + 4) / 5 )) cuts"
