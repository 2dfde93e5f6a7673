/* Statistics for summary.csv and scores.csv: medians, geometric means and
 * percentile-bootstrap confidence intervals, all deterministic under a seed
 * (the same seed and data give the same interval on every machine). */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The seed and size of every bootstrap the harness writes; README.md and
 * scores.csv record them. */
#define STATS_SEED 20260601u
#define STATS_RESAMPLES 2000
#define STATS_LEVEL 0.95

/* Median of n values, leaving them untouched; NAN when n is 0. */
double stats_median(const double *values, size_t n);

/* Geometric mean of n positive values; NAN when n is 0 or a value is <= 0. */
double stats_geomean(const double *values, size_t n);

/* A 64-bit seed for one table cell: `seed` mixed with a hash of `key`, so a
 * cell's interval does not depend on which other cells the run holds. */
uint64_t stats_cell_seed(uint64_t seed, const char *key);

/* One cell's ratio of a backend to the baseline. Paired (pairs_n >= 1): the
 * ratios of repetitions taken side by side (the same run and round), and the
 * cell's ratio is their median (an interval needs two of them). Unpaired:
 * two samples, and the ratio is median(num) / median(den). */
struct ratio_sample {
    const double *num; /* e.g. a backend's wall_ms repetitions */
    size_t num_n;
    const double *den; /* the baseline's repetitions of the same cell */
    size_t den_n;
    const double *pairs; /* num_i / den_i of the repetitions taken together */
    size_t pairs_n;
};

/* The cell's ratio as above; NAN when it has none. */
double stats_ratio_point(const struct ratio_sample *cell);

/* Percentile bootstrap of the geometric mean of `count` cells' ratios: each
 * of `resamples` rounds redraws every cell with replacement (its pairs, or
 * num and den alike), takes each cell's ratio as above and their geometric
 * mean; the interval is the (1-level)/2 and (1+level)/2 quantiles of those
 * rounds. With count == 1 it is the interval of one cell's ratio. Returns 0
 * and sets *low, *high; -1 (NAN bounds) when a sample is empty or a ratio is
 * not positive. */
int stats_bootstrap_ratio(const struct ratio_sample *cells, size_t count, uint64_t seed,
                          int resamples, double level, double *low, double *high);

#endif
