/* summary.csv, summary.json, scores.csv (and summary_by_host.csv for a
 * merge of several machines): medians, ranges and ratios to the baseline
 * backend, computed from a run's results.csv (so a summary can always be
 * recomputed from the raw rows), and the short table printed at the end of a
 * run. */
#ifndef BENCH_SUMMARY_H
#define BENCH_SUMMARY_H

#include <stdio.h>

/* Reads RUN_DIR/results.csv, writes the summary files (each atomically) and
 * prints the table of time medians and ratios to `table` (NULL: no table).
 * baseline: the backend ratios are taken to; NULL: the one meta.json
 * records, else glibc, else the first backend in the table's order. */
void summary_write(const char *run_dir, const char *baseline, FILE *table);

#endif
