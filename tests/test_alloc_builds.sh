#!/usr/bin/env bash
# customalloc's other builds under the API, stress and fuzz programs, each
# of which must pass:
# - the debug build (build/debug/libcustomalloc.so, -DCA_DEBUG), which
#   checks the invariants allocator/DESIGN.md lists as assertions: none may
#   fail;
# - the hardened build (build/libcustomalloc-hardened.so, -DCA_HARDENED:
#   tail canaries, quarantine, zero-on-free, guard pages), which also runs
#   the misuse program (tests/allocator/misuse.c): what it catches, each
#   abort with its message.
# Prints PASS/FAIL/SKIP lines; test names are prefixed with the build's
# name ("debug:", "hardened:").
set -u
cd "$(dirname "$0")/.." || exit 2
fail=0

# check_build NAME LIBRARY PROGRAM...: the library says it is that build,
# and each program passes under it.
check_build() {
    local name=$1 lib=$PWD/$2; shift 2
    if [ ! -f "$lib" ]; then
        echo "FAIL $name:library: $lib not built"
        fail=1
        return
    fi
    local version
    version=$(LD_PRELOAD=$lib build/tests/alloc_custom_checks version 2>&1)
    case $version in
        *"($name)"*) echo "PASS $name:library_is_the_${name}_build" ;;
        *) echo "FAIL $name:library_is_the_${name}_build: customalloc_version says \"$version\""; fail=1 ;;
    esac
    local t prog out rc
    for t in "$@"; do
        prog=build/tests/$t
        if [ ! -x "$prog" ]; then
            echo "FAIL $name:$t: not built"
            fail=1
            continue
        fi
        out=$(LD_PRELOAD=$lib "$prog" 2>&1)
        rc=$?
        printf '%s\n' "$out" | sed -E "s/^(PASS|FAIL|SKIP) /\\1 $name:/"
        if printf '%s\n' "$out" | grep -q 'customalloc: assertion failed'; then
            echo "FAIL $name:$t: an invariant failed: $(printf '%s\n' "$out" | grep -m1 'customalloc: assertion failed')"
            fail=1
        elif [ $rc -ne 0 ]; then
            fail=1
            printf '%s\n' "$out" | grep -q '^FAIL ' || echo "FAIL $name:$t: exited with status $rc"
        fi
    done
}

check_build debug build/debug/libcustomalloc.so test_alloc_api test_alloc_stress test_alloc_fuzz
check_build hardened build/libcustomalloc-hardened.so test_alloc_api test_alloc_stress test_alloc_fuzz alloc_misuse
exit $fail
