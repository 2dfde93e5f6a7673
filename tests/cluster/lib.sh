# Shared by the cluster tests (sourced after tests/lib.sh): what makes two
# runs "the same cells".

# Every measurement of a run: backend, workload, threads, rep, metric,
# status, one a line, sorted (values and run ids left out).
cells() {
    awk -F, 'NR>1 {print $1","$2","$3","$4","$5","$8}' "$1/results.csv" | sort
}

# Each summary cell with its repetition count n and how its runs ended.
counts() {
    awk -F, 'NR==1 {for (i=1;i<=NF;i++) c[$i]=i; next}
             {print $c["backend"]","$c["workload"]","$c["threads"]","$c["metric"]","$c["n"]","$c["runs"]}' \
        "$1/summary.csv" | sort
}

# same_as_one_run NAME MERGED ONE: the merged run has exactly the cells,
# repetition counts and statuses of the run in one process, no row twice.
same_as_one_run() {
    local name=$1 merged=$2 one=$3
    if [ ! -f "$merged/results.csv" ]; then
        fail "$name" "no merged run in $merged"
    elif [ "$(cells "$merged" | uniq -d | wc -l)" -ne 0 ]; then
        fail "$name" "rows twice: $(cells "$merged" | uniq -d | head -3 | tr '\n' ' ')"
    elif ! diff <(cells "$one") <(cells "$merged") >/dev/null; then
        fail "$name" "cells differ: $(diff <(cells "$one") <(cells "$merged") | head -4 | tr '\n' ' ')"
    elif ! diff <(counts "$one") <(counts "$merged") >/dev/null; then
        fail "$name" "counts differ: $(diff <(counts "$one") <(counts "$merged") | head -4 | tr '\n' ' ')"
    else
        pass "$name"
    fi
}
