/* The suites (suites.h): their names, and their items gathered from the
 * workloads' own registrations. */
#include "suites.h"
#include "cases.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const full_parts[] = {"article", "library", "programs", NULL};

const struct suite suites[] = {
    {"article", "the article's four workloads (and mixed_sizes to 64 KiB)", NULL, NULL},
    {"library", "the stress-test library: cross-thread, false sharing, churn, realloc, large, "
                "fragmentation, size sweep, trace replays", NULL, NULL},
    {"programs", "real programs: python3, sqlite3, gcc -O2, xz -T2, redis, memcached, "
                 "ghostscript, z3, lua5.4, perl, git, python3 with threads", NULL, NULL},
    /* (the project's hardened build is made for this suite: it runs here
     * by default, nowhere else) */
    {"security", "misuse cases (double and invalid frees, overflows, use after free): which "
                 "allocator notices", NULL, "custom-hardened"},
    {"full", "article (multithread at 1,2,4,8 threads) + library + programs (./run_all.sh's "
             "default)", full_parts, NULL},
};
const size_t suite_count = sizeof suites / sizeof suites[0];

const struct suite *suite_find(const char *name)
{
    for (size_t i = 0; i < suite_count; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}

bool suites_add_backend(const char *list, const char *backend)
{
    if (!list)
        return false;
    char *names = xstrdup(list);
    bool found = false;
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name && !found;
         name = strtok_r(NULL, ",", &save)) {
        const struct suite *s = suite_find(name);
        found = s && s->backends && names_have(s->backends, backend);
    }
    free(names);
    return found;
}

/* Appends to *items each item of w's registration that names `suite`
 * (items NULL: only counts them); returns how many it found. */
static size_t items_of(const struct bench_workload *w, const char *suite,
                       struct suite_item **items, size_t *count)
{
    if (!w->suites)
        return 0;
    char *list = xstrdup(w->suites);
    size_t found = 0;
    for (char *save = NULL, *item = strtok_r(list, " ", &save); item;
         item = strtok_r(NULL, " ", &save)) {
        char *at = strchr(item, '@');
        if (at)
            *at = '\0';
        size_t name_len = strcspn(item, ":");
        char *name = xasprintf("%.*s", (int)name_len, item);
        if (!suite_find(name)) {
            fprintf(stderr, "bench: internal error: workload %s names an unknown suite '%s'\n",
                    w->name, name);
            exit(EXIT_RUNS_FAILED);
        }
        if (strcmp(name, suite) == 0 && items) {
            *items = xrealloc(*items, (*count + 1) * sizeof **items);
            (*items)[(*count)++] = (struct suite_item){
                xasprintf("%s%s", w->name, item + name_len), at ? xstrdup(at + 1) : NULL};
        }
        found += strcmp(name, suite) == 0;
        free(name);
    }
    free(list);
    return found;
}

bool suite_has_workload(const char *suite, const struct bench_workload *w)
{
    return items_of(w, suite, NULL, NULL) > 0;
}

struct suite_item *suite_items(const struct suite *s, size_t *count)
{
    struct suite_item *items = NULL;
    *count = 0;
    for (size_t i = 0; i < workload_count(); i++) {
        const struct bench_workload *w = workload_at(i);
        if (items_of(w, s->name, &items, count) || !s->unites)
            continue;
        for (const char *const *part = s->unites; *part; part++)
            items_of(w, *part, &items, count);
    }
    return items;
}
