/* Medians, geometric means and percentile-bootstrap intervals (stats.h). */
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of v[0..n) (k < n), reordering v so that v[0..k) are
 * at most it: Hoare's selection, linear on average. The bootstrap takes
 * thousands of medians per cell, and sorting each (qsort through a
 * comparison callback) was most of a summary's time. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            double t = v[i];
            v[i++] = v[j];
            v[j--] = t;
        }
        /* v[lo..j] <= pivot <= v[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
    return v[k];
}

/* Median of values[0..n) reordered in place (scratch buffers only). */
static double median_in_place(double *values, size_t n)
{
    double upper = select_kth(values, n, n / 2);
    if (n % 2)
        return upper;
    double lower = values[0]; /* the largest of values[0 .. n/2) */
    for (size_t i = 1; i < n / 2; i++)
        if (values[i] > lower)
            lower = values[i];
    return (lower + upper) / 2;
}

double stats_median(const double *values, size_t n)
{
    if (n == 0)
        return NAN;
    double *copy = xmalloc(n * sizeof *copy);
    memcpy(copy, values, n * sizeof *copy);
    double m = median_in_place(copy, n);
    free(copy);
    return m;
}

double stats_geomean(const double *values, size_t n)
{
    if (n == 0)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(values[i] > 0))
            return NAN;
        sum += log(values[i]);
    }
    return exp(sum / (double)n);
}

/* ---- A small, fully specified generator (splitmix64), so that intervals
 * are the same on every libc ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform index in [0, n), n > 0 (the modulo bias is far below 1e-12 for
 * the sample sizes here). */
static size_t draw(uint64_t *state, size_t n)
{
    return (size_t)(splitmix64(state) % n);
}

uint64_t stats_cell_seed(uint64_t seed, const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 1099511628211ull;
    uint64_t state = seed ^ h;
    return splitmix64(&state);
}

/* Median of n draws with replacement from values, using scratch. */
static double resampled_median(const double *values, size_t n, double *scratch, uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = values[draw(state, n)];
    return median_in_place(scratch, n);
}

/* The q-quantile of sorted[0..n), linear interpolation between order
 * statistics (R's type 7, numpy's default). */
static double quantile_sorted(const double *sorted, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return sorted[n - 1];
    double frac = pos - (double)i;
    return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

static bool paired(const struct ratio_sample *c)
{
    return c->pairs_n >= 1;
}

double stats_ratio_point(const struct ratio_sample *c)
{
    if (paired(c))
        return stats_median(c->pairs, c->pairs_n);
    if (c->num_n == 0 || c->den_n == 0)
        return NAN;
    double den = stats_median(c->den, c->den_n);
    return den > 0 ? stats_median(c->num, c->num_n) / den : NAN;
}

/* One bootstrap draw of a cell's ratio. */
static double resampled_ratio(const struct ratio_sample *c, double *scratch, uint64_t *state)
{
    if (paired(c))
        return resampled_median(c->pairs, c->pairs_n, scratch, state);
    double num = resampled_median(c->num, c->num_n, scratch, state);
    double den = resampled_median(c->den, c->den_n, scratch, state);
    return den > 0 ? num / den : NAN;
}

int stats_bootstrap_ratio(const struct ratio_sample *cells, size_t count, uint64_t seed,
                          int resamples, double level, double *low, double *high)
{
    *low = *high = NAN;
    if (count == 0 || resamples < 2)
        return -1;
    size_t largest = 0;
    for (size_t c = 0; c < count; c++) {
        if (!paired(&cells[c]) && (cells[c].num_n == 0 || cells[c].den_n == 0))
            return -1;
        if (cells[c].pairs_n == 1)
            return -1; /* one repetition's ratio shows no spread */
        if (!(stats_ratio_point(&cells[c]) > 0))
            return -1;
        size_t sizes[] = {cells[c].num_n, cells[c].den_n, cells[c].pairs_n};
        for (size_t k = 0; k < 3; k++)
            largest = sizes[k] > largest ? sizes[k] : largest;
    }
    double *scratch = xmalloc(largest * sizeof *scratch);
    double *stat = xmalloc((size_t)resamples * sizeof *stat);
    uint64_t state = seed;
    size_t kept = 0;
    for (int r = 0; r < resamples; r++) {
        double log_sum = 0;
        bool usable = true;
        for (size_t c = 0; c < count; c++) {
            double ratio = resampled_ratio(&cells[c], scratch, &state);
            if (!(ratio > 0))
                usable = false; /* a zero drawn from a sample holding zeros */
            else
                log_sum += log(ratio);
        }
        if (usable)
            stat[kept++] = exp(log_sum / (double)count);
    }
    int rc = -1;
    if (kept >= 2) {
        qsort(stat, kept, sizeof *stat, cmp_double);
        *low = quantile_sorted(stat, kept, (1 - level) / 2);
        *high = quantile_sorted(stat, kept, (1 + level) / 2);
        rc = 0;
    }
    free(stat);
    free(scratch);
    return rc;
}
