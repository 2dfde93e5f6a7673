/* The statistics behind summary.csv and scores.csv (harness/stats.c), on
 * data with known answers: medians, geometric means, and bootstrap intervals
 * that are deterministic under a seed and contain the true ratio. */
#include "../check.h"
#include "../../harness/stats.h"

#include <math.h>
#include <stdbool.h>

static bool near(double a, double b) { return fabs(a - b) <= 1e-12 * (fabs(a) + fabs(b) + 1); }

static void median_odd_count(void)
{
    double v[] = {9, 1, 5};
    CHECK(stats_median(v, 3) == 5);
}

static void median_even_count_is_mean_of_middle_two(void)
{
    double v[] = {4, 1, 3, 10};
    CHECK(stats_median(v, 4) == 3.5);
}

static void median_leaves_input_untouched(void)
{
    double v[] = {3, 2, 1};
    stats_median(v, 3);
    CHECK(v[0] == 3 && v[1] == 2 && v[2] == 1);
}

static void median_of_nothing_is_nan(void) { CHECK(isnan(stats_median(NULL, 0))); }

static void geomean_known_values(void)
{
    double a[] = {1, 4, 16}, b[] = {2, 8}, c[] = {0.5, 2};
    CHECK(near(stats_geomean(a, 3), 4));
    CHECK(near(stats_geomean(b, 2), 4));
    CHECK(near(stats_geomean(c, 2), 1));
}

static void geomean_rejects_non_positive(void)
{
    double v[] = {1, 0, 4};
    CHECK(isnan(stats_geomean(v, 3)));
    CHECK(isnan(stats_geomean(v, 0)));
}

/* A fixed pseudo-random sample: centre * (1 + u), u uniform in [-spread, spread]. */
static void synthetic(double *out, size_t n, double centre, double spread, uint64_t *state)
{
    for (size_t i = 0; i < n; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(*state >> 11) / 9007199254740992.0; /* [0,1) */
        out[i] = centre * (1 + spread * (2 * u - 1));
    }
}

static void bootstrap_same_seed_same_interval(void)
{
    double num[15], den[15], lo1, hi1, lo2, hi2, lo3, hi3;
    uint64_t s = 42;
    synthetic(num, 15, 5, 0.2, &s);
    synthetic(den, 15, 10, 0.2, &s);
    struct ratio_sample cell = {num, 15, den, 15};
    CHECK(stats_bootstrap_ratio(&cell, 1, 7, 2000, 0.95, &lo1, &hi1) == 0);
    CHECK(stats_bootstrap_ratio(&cell, 1, 7, 2000, 0.95, &lo2, &hi2) == 0);
    CHECK(lo1 == lo2 && hi1 == hi2);
    CHECK(stats_bootstrap_ratio(&cell, 1, 8, 2000, 0.95, &lo3, &hi3) == 0);
    CHECK_MSG(lo3 != lo1 || hi3 != hi1, "another seed gave the very same interval");
}

static void bootstrap_contains_true_ratio(void)
{
    double num[21], den[21], lo, hi;
    uint64_t s = 1;
    synthetic(num, 21, 5, 0.1, &s);
    synthetic(den, 21, 10, 0.1, &s);
    struct ratio_sample cell = {num, 21, den, 21};
    CHECK(stats_bootstrap_ratio(&cell, 1, STATS_SEED, 2000, 0.95, &lo, &hi) == 0);
    CHECK_MSG(lo < 0.5 && 0.5 < hi, "[%g, %g]", lo, hi);
    CHECK_MSG(lo > 0.4 && hi < 0.6, "[%g, %g] is too wide for 10%% noise", lo, hi);
}

/* Over many synthetic data sets a 95% interval holds the true ratio most of
 * the time (the percentile bootstrap of a median is a little liberal with
 * small samples, hence the margin). */
static void bootstrap_coverage_near_nominal(void)
{
    int covered = 0, trials = 200;
    uint64_t s = 99;
    for (int t = 0; t < trials; t++) {
        double num[15], den[15], lo, hi;
        synthetic(num, 15, 2, 0.3, &s);
        synthetic(den, 15, 8, 0.3, &s);
        struct ratio_sample cell = {num, 15, den, 15};
        CHECK(stats_bootstrap_ratio(&cell, 1, (uint64_t)t, 500, 0.95, &lo, &hi) == 0);
        covered += lo <= 0.25 && 0.25 <= hi;
    }
    CHECK_MSG(covered >= trials * 85 / 100, "covered %d of %d", covered, trials);
}

static void bootstrap_of_constant_samples_is_exact(void)
{
    double num[] = {3, 3, 3}, den[] = {6, 6, 6}, lo, hi;
    struct ratio_sample cell = {num, 3, den, 3};
    CHECK(stats_bootstrap_ratio(&cell, 1, 1, 2000, 0.95, &lo, &hi) == 0);
    CHECK(lo == 0.5 && hi == 0.5);
}

static void bootstrap_geomean_of_cells(void)
{
    double a[] = {1, 1}, b[] = {2, 2}, c[] = {8, 8}, d[] = {4, 4}, lo, hi;
    struct ratio_sample cells[] = {{a, 2, b, 2}, {c, 2, d, 2}}; /* ratios 0.5 and 2 */
    CHECK(stats_bootstrap_ratio(cells, 2, 1, 2000, 0.95, &lo, &hi) == 0);
    CHECK_MSG(near(lo, 1) && near(hi, 1), "[%g, %g]", lo, hi);
}

static void bootstrap_refuses_empty_or_zero(void)
{
    double a[] = {1, 2}, z[] = {0, 0}, lo, hi;
    struct ratio_sample empty = {a, 2, a, 0}, zero = {a, 2, z, 2};
    CHECK(stats_bootstrap_ratio(&empty, 1, 1, 100, 0.95, &lo, &hi) == -1 && isnan(lo));
    CHECK(stats_bootstrap_ratio(&zero, 1, 1, 100, 0.95, &lo, &hi) == -1 && isnan(hi));
}

static void cell_seed_depends_on_key(void)
{
    CHECK(stats_cell_seed(1, "glibc|batch") == stats_cell_seed(1, "glibc|batch"));
    CHECK(stats_cell_seed(1, "glibc|batch") != stats_cell_seed(1, "glibc|batcH"));
    CHECK(stats_cell_seed(1, "x") != stats_cell_seed(2, "x"));
}

CHECK_MAIN(30, T(median_odd_count), T(median_even_count_is_mean_of_middle_two),
           T(median_leaves_input_untouched), T(median_of_nothing_is_nan),
           T(geomean_known_values), T(geomean_rejects_non_positive),
           T(bootstrap_same_seed_same_interval), T(bootstrap_contains_true_ratio),
           T(bootstrap_coverage_near_nominal), T(bootstrap_of_constant_samples_is_exact),
           T(bootstrap_geomean_of_cells), T(bootstrap_refuses_empty_or_zero),
           T(cell_seed_depends_on_key))
