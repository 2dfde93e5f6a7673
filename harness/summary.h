/* summary.csv: medians, ranges and ratios to glibc, computed from a run's
 * results.csv (so a summary can always be recomputed from the raw rows), and
 * the short table printed at the end of a run. */
#ifndef BENCH_SUMMARY_H
#define BENCH_SUMMARY_H

#include <stdio.h>

/* Reads RUN_DIR/results.csv, writes RUN_DIR/summary.csv (atomically) and
 * prints the table of time medians and ratios to `table` (NULL: no table). */
void summary_write(const char *run_dir, FILE *table);

double median_of(double *values, size_t n); /* sorts values in place */

#endif
