/* Named selections of workloads (`bench run --suite NAME`). A workload says
 * in its own registration which suites it belongs to (the `suites` field of
 * struct bench_workload), so adding a workload is one file; this table only
 * names the suites and says which one unites the others. */
#ifndef BENCH_SUITES_H
#define BENCH_SUITES_H

#include <stdbool.h>
#include <stddef.h>

struct suite_item {
    char *selection; /* as for --workloads: "mixed_sizes:max_size=65536" */
    char *threads;   /* "1,2,4,8", or NULL for the workload's default */
};

struct suite {
    const char *name;
    const char *summary;
    /* NULL: the workloads that name this suite. Else the suites it unites
     * (NULL-terminated), each workload's items there, unless the workload
     * names this suite itself. */
    const char *const *unites;
    /* Backends the table runs only when named that a run of this suite
     * without --backends includes too (space-separated), or NULL. */
    const char *backends;
};

extern const struct suite suites[];
extern const size_t suite_count;
#define DEFAULT_SUITE "article" /* what `bench run` runs without --workloads or --suite */

const struct suite *suite_find(const char *name);

/* Whether one of the suites in `list` (as for --suite; NULL: none) names
 * the backend among its own (struct suite's `backends`). */
bool suites_add_backend(const char *list, const char *backend);

struct bench_workload;
/* Whether w's own registration names `suite` (a uniting suite such as
 * "full" is named by none). */
bool suite_has_workload(const char *suite, const struct bench_workload *w);

/* The items of a suite, in the order of the workloads' names (a round
 * shuffles them anyway); *count gets how many. Exits with an internal error
 * naming the workload when a registration names an unknown suite. */
struct suite_item *suite_items(const struct suite *s, size_t *count);

#endif
