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
    struct ratio_sample cell = {.num = num, .num_n = 15, .den = den, .den_n = 15};
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
    struct ratio_sample cell = {.num = num, .num_n = 21, .den = den, .den_n = 21};
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
        struct ratio_sample cell = {.num = num, .num_n = 15, .den = den, .den_n = 15};
        CHECK(stats_bootstrap_ratio(&cell, 1, (uint64_t)t, 500, 0.95, &lo, &hi) == 0);
        covered += lo <= 0.25 && 0.25 <= hi;
    }
    CHECK_MSG(covered >= trials * 85 / 100, "covered %d of %d", covered, trials);
}

static void bootstrap_of_constant_samples_is_exact(void)
{
    double num[] = {3, 3, 3}, den[] = {6, 6, 6}, lo, hi;
    struct ratio_sample cell = {.num = num, .num_n = 3, .den = den, .den_n = 3};
    CHECK(stats_bootstrap_ratio(&cell, 1, 1, 2000, 0.95, &lo, &hi) == 0);
    CHECK(lo == 0.5 && hi == 0.5);
}

static void bootstrap_geomean_of_cells(void)
{
    double a[] = {1, 1}, b[] = {2, 2}, c[] = {8, 8}, d[] = {4, 4}, lo, hi;
    struct ratio_sample cells[] = {{.num = a, .num_n = 2, .den = b, .den_n = 2}, {.num = c, .num_n = 2, .den = d, .den_n = 2}}; /* ratios 0.5 and 2 */
    CHECK(stats_bootstrap_ratio(cells, 2, 1, 2000, 0.95, &lo, &hi) == 0);
    CHECK_MSG(near(lo, 1) && near(hi, 1), "[%g, %g]", lo, hi);
}

static void bootstrap_refuses_empty_or_zero(void)
{
    double a[] = {1, 2}, z[] = {0, 0}, lo, hi;
    struct ratio_sample empty = {.num = a, .num_n = 2, .den = a, .den_n = 0}, zero = {.num = a, .num_n = 2, .den = z, .den_n = 2};
    CHECK(stats_bootstrap_ratio(&empty, 1, 1, 100, 0.95, &lo, &hi) == -1 && isnan(lo));
    CHECK(stats_bootstrap_ratio(&zero, 1, 1, 100, 0.95, &lo, &hi) == -1 && isnan(hi));
}

static void paired_ratio_is_median_of_pairs(void)
{
    double num[] = {5, 7, 9}, den[] = {10, 12, 30}, pairs[] = {0.5, 7.0 / 12, 0.3};
    struct ratio_sample cell = {.num = num, .num_n = 3, .den = den, .den_n = 3,
                                .pairs = pairs, .pairs_n = 3};
    CHECK(near(stats_ratio_point(&cell), 0.5));
    cell.pairs_n = 1; /* one repetition's ratio is the cell's, but has no interval */
    double lo, hi;
    CHECK(near(stats_ratio_point(&cell), 0.5));
    CHECK(stats_bootstrap_ratio(&cell, 1, 1, 100, 0.95, &lo, &hi) == -1);
    cell.pairs_n = 0; /* unpaired: the ratio of medians */
    CHECK(near(stats_ratio_point(&cell), 7.0 / 12));
}

/* Rounds whose machine speed differs by up to 2x, the same for both sides:
 * the paired interval stays tight, the unpaired one cannot. */
static void pairing_cancels_a_common_drift(void)
{
    double speed[] = {1.0, 1.9, 1.2, 0.95, 1.6, 1.1, 2.0, 1.3}, num[8], den[8], pairs[8];
    for (int i = 0; i < 8; i++) {
        den[i] = 10 * speed[i];
        num[i] = 5 * speed[i] * (1 + 0.01 * (i % 3 - 1));
        pairs[i] = num[i] / den[i];
    }
    struct ratio_sample paired = {.num = num, .num_n = 8, .den = den, .den_n = 8,
                                  .pairs = pairs, .pairs_n = 8};
    struct ratio_sample unpaired = {.num = num, .num_n = 8, .den = den, .den_n = 8};
    double plo, phi, ulo, uhi;
    CHECK(stats_bootstrap_ratio(&paired, 1, 3, 2000, 0.95, &plo, &phi) == 0);
    CHECK(stats_bootstrap_ratio(&unpaired, 1, 3, 2000, 0.95, &ulo, &uhi) == 0);
    CHECK_MSG(plo >= 0.49 && phi <= 0.51, "paired [%g, %g]", plo, phi);
    CHECK_MSG(uhi - ulo > 5 * (phi - plo), "unpaired [%g, %g], paired [%g, %g]", ulo, uhi, plo, phi);
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
           T(paired_ratio_is_median_of_pairs), T(pairing_cancels_a_common_drift),
           T(cell_seed_depends_on_key))
