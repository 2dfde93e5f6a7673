#!/usr/bin/env bash
# Tests of the article backend (allocator/article/): runs its own API and
# stress programs (tests/article/), and the allocator-agnostic programs of
# tests/allocator/ once they exist, with LD_PRELOAD set to each build of it:
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

# The allocator-agnostic programs built from tests/allocator/*.c, wherever
# allocator/build.mk puts them under build/tests/.
shared_programs() {
    local src name
    for src in tests/allocator/*.c; do
        [ -e "$src" ] || continue
        name=$(basename "$src" .c)
        for cand in "build/tests/$name" "build/tests/allocator/$name"; do
            if [ -x "$cand" ]; then echo "$cand"; break; fi
        done
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
    for prog in build/tests/article/api build/tests/article/stress; do
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
        run_one "$variant:$(basename "$prog")" "$lib" "$prog"
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
