/* The suites: named selections of workloads, one table. Adding a suite is
 * one entry in suites[]; adding a workload to one is one line in its list. */
#include "suites.h"

#include <string.h>

/* The article's four workloads, with mixed_sizes also at 16..65536 as
 * ../shared/ANCHORS.md measures it. */
#define ARTICLE                                                                \
    {"alloc_free", NULL}, {"batch", NULL}, {"mixed_sizes", NULL},              \
    {"mixed_sizes:max_size=65536", NULL}, {"multithread", NULL}

/* The workload library: stress tests of the literature, sweeps, memory. */
#define LIBRARY                                                                \
    {"producer_consumer", NULL}, {"larson", NULL}, {"cache_scratch", NULL},    \
    {"cache_thrash", NULL}, {"thread_churn", NULL},                            \
    {"random_churn", "1,2,4,8"}, {"realloc_growth", NULL}, {"large", NULL},    \
    {"fragmentation", NULL}, {"size_sweep", NULL}

/* Whole programs under each allocator. */
#define PROGRAMS                                                               \
    {"prog_python", NULL}, {"prog_sqlite", NULL}, {"prog_gcc", NULL},          \
    {"prog_xz", NULL}

static const struct suite_item article[] = {ARTICLE, {NULL, NULL}};
static const struct suite_item library[] = {LIBRARY, {NULL, NULL}};
static const struct suite_item programs[] = {PROGRAMS, {NULL, NULL}};
/* In `full`, multithread sweeps 1,2,4,8 threads for the thread-scaling figure. */
static const struct suite_item full[] = {
    {"alloc_free", NULL}, {"batch", NULL}, {"mixed_sizes", NULL},
    {"mixed_sizes:max_size=65536", NULL}, {"multithread", "1,2,4,8"},
    LIBRARY, PROGRAMS, {NULL, NULL}};

const struct suite suites[] = {
    {"article", "the article's four workloads (and mixed_sizes to 64 KiB)", article},
    {"library", "the stress-test library: cross-thread, false sharing, churn, realloc, large, fragmentation, size sweep", library},
    {"programs", "real programs: python3, sqlite3, gcc -O2, xz -T2", programs},
    {"full", "article (multithread at 1,2,4,8 threads) + library + programs (./run_all.sh's default)", full},
};
const size_t suite_count = sizeof suites / sizeof suites[0];

const struct suite *suite_find(const char *name)
{
    for (size_t i = 0; i < suite_count; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}
