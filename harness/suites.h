/* Named selections of workloads (`bench run --suite NAME`), all in one table
 * in suites.c. An item may carry its own thread counts (used when --threads
 * is not given). */
#ifndef BENCH_SUITES_H
#define BENCH_SUITES_H

#include <stddef.h>

struct suite_item {
    const char *selection; /* as for --workloads: "mixed_sizes:max_size=65536" */
    const char *threads;   /* "1,2,4,8", or NULL for the workload's default */
};

struct suite {
    const char *name;
    const char *summary;
    const struct suite_item *items; /* terminated by an item with selection NULL */
};

extern const struct suite suites[];
extern const size_t suite_count;
#define DEFAULT_SUITE "article" /* what `bench run` runs without --workloads or --suite */

const struct suite *suite_find(const char *name);

#endif
