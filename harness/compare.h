/* `bench compare RUN_A RUN_B`: did anything get faster or slower between two
 * runs, and is that real? For every backend x workload x threads x metric
 * both runs have, the change B/A with a bootstrap interval and a verdict
 * (the intervals hold all at once with 95%, unless --per-cell), written as compare.csv and compare.md (a Markdown table sorted by
 * effect) and printed.
 *
 * A backend's values are first divided, round by round, by the machine's
 * speed in that round as the other backends of the cell measured it (the
 * median of their values relative to their own medians in run A; their
 * samples were taken side by side with this backend's): a drift of the
 * machine between the two runs then cancels, and what is compared is the
 * backend's own change. With fewer than three backends one changed backend
 * moves the others' rows too (two backends cannot tell which one changed);
 * with more, the median ignores it. --raw compares raw values. */
#ifndef BENCH_COMPARE_H
#define BENCH_COMPARE_H

#include <stdbool.h>

struct compare_options {
    double threshold; /* the noise threshold, a fraction; 0: the default (2%) */
    bool raw;         /* compare raw values, not values relative to the baseline */
    bool all_metrics; /* every metric, not only the headline ones */
    bool per_cell;    /* 95% intervals each, not 95% for all of them at once */
};

/* Exits with a usage error unless DIR is a run directory (has results.csv). */
void compare_check_run(const char *dir);

/* Compares run b against run a, writes out_dir/compare.csv and compare.md,
 * prints the table; returns 0 when nothing regressed beyond the threshold,
 * 1 when something did. */
int compare_runs(const char *a, const char *b, const struct compare_options *opt,
                 const char *out_dir);

/* `bench compare` with its arguments (after the subcommand). */
int compare_command(int argc, char **argv);

#endif
