#!/usr/bin/env bash
# Tests of the article backend (allocator/article/): runs the
# allocator-agnostic programs of tests/allocator/ (API, stress, fork, churn,
# fuzz) and its own few facts (tests/article/api.c), with LD_PRELOAD set to
# each build of it:
#   article          build/libarticlealloc.so          (one global lock)
#   article-binlock  build/libarticlealloc-binlock.so  (per-bin locks)
# Every line is prefixed with the build's name, e.g.
#   PASS article-binlock:api:realloc_shrink_is_in_place
set -u
cd "$(dirname "$0")/.." || exit 2
root=$PWD
status=0

# run_one PREFIX LIB PROGRAM: one program under the preload, lines prefixed.
run_one() {
    local prefix=$1 lib=$2 prog=$3 out rc
    out=$(mktemp)
    LD_PRELOAD="$lib" timeout --kill-after=5 120 "$prog" >"$out" 2>&1
    rc=$?
    sed -E -n "s/^(PASS|FAIL|SKIP) /\1 $prefix:/p; /^(PASS|FAIL|SKIP) /!s/^/    /p" "$out"
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -q '^FAIL ' "$out" || echo "FAIL $prefix: exited with status $rc"
    fi
    rm -f "$out"
}

# The allocator-agnostic programs of tests/allocator/: the names `make test`
# passes in CA_AGNOSTIC (tests/build.mk's list, built as
# build/tests/NAME), else every build/tests/test_alloc_* that is not a
# sanitizer build (those do not use the preloaded malloc).
shared_programs() {
    local names name
    names=${CA_AGNOSTIC:-}
    if [ -z "$names" ]; then
        for f in build/tests/test_alloc_*; do
            [ -e "$f" ] || continue
            case $f in *_asan|*_tsan) continue ;; esac
            names="$names $(basename "$f")"
        done
    fi
    for name in $names; do
        if [ -x "build/tests/$name" ]; then
            echo "build/tests/$name"
        elif [ -e "tests/allocator/${name#test_}.c" ]; then
            echo "MISSING:build/tests/$name"
        fi
    done
}

for variant in article article-binlock; do
    case $variant in
        article) lib=$root/build/libarticlealloc.so ;;
        article-binlock) lib=$root/build/libarticlealloc-binlock.so ;;
    esac
    if [ ! -f "$lib" ]; then
        echo "FAIL $variant: $lib is missing (run make)"
        status=1
        continue
    fi
    for prog in build/tests/article/api; do
        if [ ! -x "$prog" ]; then
            echo "FAIL $variant:$(basename "$prog"): $prog is missing (run make test)"
            status=1
            continue
        fi
        run_one "$variant:$(basename "$prog")" "$lib" "$prog"
    done
    shared=$(shared_programs)
    if [ -z "$shared" ]; then
        echo "SKIP $variant:tests/allocator: no allocator-agnostic test programs built yet"
    fi
    for prog in $shared; do
        case $prog in
            MISSING:*)
                echo "FAIL $variant:$(basename "${prog#MISSING:}"): ${prog#MISSING:} is missing (run make test)"
                status=1 ;;
            *) run_one "$variant:$(basename "$prog")" "$lib" "$prog" ;;
        esac
    done
    # Whole programs that allocate through libc (stdio, qsort, pipes, fork).
    if printf 'b\na\nc\nb\n' | LD_PRELOAD="$lib" sort | LD_PRELOAD="$lib" uniq -c \
        | LD_PRELOAD="$lib" sh -c 'cat >/dev/null; ls / >/dev/null'; then
        echo "PASS $variant:runs_sort_uniq_sh_ls"
    else
        echo "FAIL $variant:runs_sort_uniq_sh_ls: a preloaded program failed"
        status=1
    fi
done
exit $status
