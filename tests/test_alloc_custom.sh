#!/usr/bin/env bash
# customalloc under LD_PRELOAD: the allocator-agnostic API, stress, fork,
# thread-churn and fuzzer programs, the customalloc-specific checks (marker symbol,
# decay purge, malloc_trim, system calls, mremap, caches, heap reuse), the
# misuse it detects (double and invalid frees, realloc and usable size of
# such pointers, writes into freed blocks), the statistics variable (stderr
# or a file), and the RSS a near-empty process adds.
# Prints PASS/FAIL/SKIP lines; test names are prefixed with "custom:".
set -u
cd "$(dirname "$0")/.." || exit 2
lib=$PWD/build/libcustomalloc.so
fail=0
if [ ! -f "$lib" ]; then
    echo "FAIL custom:library: $lib not built"
    exit 1
fi

run_prog() {   # program under the preload, names prefixed
    local prog=$1
    if [ ! -x "$prog" ]; then
        echo "FAIL custom:$(basename "$prog"): not built"
        fail=1
        return
    fi
    local out rc
    out=$(LD_PRELOAD=$lib "$prog" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed -E 's/^(PASS|FAIL|SKIP) /\1 custom:/'
    if [ $rc -ne 0 ]; then
        fail=1
        printf '%s\n' "$out" | grep -q '^FAIL ' || echo "FAIL custom:$(basename "$prog"): exited with status $rc"
    fi
}

for t in test_alloc_api test_alloc_stress test_alloc_fork test_alloc_churn test_alloc_fuzz alloc_custom_checks alloc_misuse; do
    run_prog "build/tests/$t"
done

# The statistics variable prints a report at exit (what the real-program
# tests use to prove the allocator ran), and only when asked.
err=$(CUSTOMALLOC_STATS=1 LD_PRELOAD=$lib build/tests/alloc_custom_checks rss 2>&1 >/dev/null)
if printf '%s\n' "$err" | grep -q '^customalloc [0-9.]* statistics'; then
    echo "PASS custom:stats_variable_prints_report_at_exit"
else
    echo "FAIL custom:stats_variable_prints_report_at_exit: no report on stderr"; fail=1
fi
# sort (like xz) closes stderr from an atexit handler; the report still comes.
if command -v sort >/dev/null 2>&1; then
    err=$(printf 'b\na\n' | CUSTOMALLOC_STATS=1 LD_PRELOAD=$lib sort 2>&1 >/dev/null)
    if printf '%s\n' "$err" | grep -q '^customalloc [0-9.]* statistics'; then
        echo "PASS custom:stats_report_survives_a_closed_stderr"
    else
        echo "FAIL custom:stats_report_survives_a_closed_stderr: no report from sort"; fail=1
    fi
fi
# The hardened build's guard pages are mprotect calls, and the report counts them.
hardened=$PWD/build/libcustomalloc-hardened.so
if [ -f "$hardened" ] && command -v sort >/dev/null 2>&1; then
    err=$(printf 'b\na\n' | CUSTOMALLOC_STATS=1 LD_PRELOAD=$hardened sort 2>&1 >/dev/null)
    if printf '%s\n' "$err" | grep -Eq '^  os calls: .*, mprotect [1-9][0-9]*$'; then
        echo "PASS custom:stats_report_counts_guard_page_mprotects"
    else
        echo "FAIL custom:stats_report_counts_guard_page_mprotects: $(printf '%s\n' "$err" | grep 'os calls')"; fail=1
    fi
fi
err=$(LD_PRELOAD=$lib build/tests/alloc_custom_checks rss 2>&1 >/dev/null)
if [ -z "$err" ]; then
    echo "PASS custom:no_report_without_stats_variable"
else
    echo "FAIL custom:no_report_without_stats_variable: stderr not empty"; fail=1
fi
# A value with a '/' names a file: each process appends its report there
# and stderr stays empty; a file that cannot be opened says so on stderr.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for run in 1 2; do
    CUSTOMALLOC_STATS=$tmp/stats.txt LD_PRELOAD=$lib build/tests/alloc_custom_checks rss 2>"$tmp/err.$run" >/dev/null
done
if [ "$(grep -c '^customalloc [0-9.]* statistics' "$tmp/stats.txt" 2>/dev/null)" = 2 ]; then
    echo "PASS custom:stats_file_gets_one_report_per_process"
else
    echo "FAIL custom:stats_file_gets_one_report_per_process: $(grep -c statistics "$tmp/stats.txt" 2>/dev/null || echo no file) reports in the file"; fail=1
fi
if [ ! -s "$tmp/err.1" ] && [ ! -s "$tmp/err.2" ]; then
    echo "PASS custom:stats_file_leaves_stderr_empty"
else
    echo "FAIL custom:stats_file_leaves_stderr_empty: $(head -c 200 "$tmp/err.1")"; fail=1
fi
err=$(CUSTOMALLOC_STATS=$tmp/no/such/dir/stats.txt LD_PRELOAD=$lib build/tests/alloc_custom_checks rss 2>&1 >/dev/null)
if [ "$err" = "customalloc: CUSTOMALLOC_STATS: cannot open $tmp/no/such/dir/stats.txt for appending; no statistics" ]; then
    echo "PASS custom:stats_file_that_cannot_be_opened_is_named_on_stderr"
else
    echo "FAIL custom:stats_file_that_cannot_be_opened_is_named_on_stderr: stderr: $err"; fail=1
fi

# A near-empty process adds at most 2 MiB of RSS.
plain=$(build/tests/alloc_custom_checks rss)
pre=$(LD_PRELOAD=$lib build/tests/alloc_custom_checks rss)
if [ -n "$plain" ] && [ -n "$pre" ] && [ $((pre - plain)) -le $((2 * 1024 * 1024)) ]; then
    echo "PASS custom:near_empty_process_adds_at_most_2MiB"
else
    echo "FAIL custom:near_empty_process_adds_at_most_2MiB: glibc ${plain} B, customalloc ${pre} B"; fail=1
fi
exit $fail
