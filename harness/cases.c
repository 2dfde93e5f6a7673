/* Workloads as the harness sees them: the registry of every compiled-in
 * workload, and cases (a workload with resolved parameters). */
#include "cases.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Registry: BENCH_WORKLOAD puts a pointer into this linker section ---- */

extern const struct bench_workload *const __start_bench_workloads[];
extern const struct bench_workload *const __stop_bench_workloads[];

static const struct bench_workload **sorted;
static size_t sorted_count;

static int by_name(const void *a, const void *b)
{
    const struct bench_workload *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static void registry_load(void)
{
    if (sorted)
        return;
    sorted_count = (size_t)(__stop_bench_workloads - __start_bench_workloads);
    sorted = xmalloc(sorted_count * sizeof *sorted);
    for (size_t i = 0; i < sorted_count; i++)
        sorted[i] = __start_bench_workloads[i];
    qsort(sorted, sorted_count, sizeof *sorted, by_name);
}

size_t workload_count(void)
{
    registry_load();
    return sorted_count;
}

const struct bench_workload *workload_at(size_t index)
{
    registry_load();
    return index < sorted_count ? sorted[index] : NULL;
}

const struct bench_workload *workload_find(const char *name)
{
    registry_load();
    for (size_t i = 0; i < sorted_count; i++)
        if (strcmp(sorted[i]->name, name) == 0)
            return sorted[i];
    return NULL;
}

size_t workload_param_count(const struct bench_workload *w)
{
    size_t n = 0;
    while (w->params && w->params[n].name)
        n++;
    return n;
}

/* ---- Parameter values ---- */

bool param_value_valid(const struct bench_param *p, const char *value, char *why,
                       size_t why_size)
{
    if (p->choices) {
        size_t len = strlen(value);
        for (const char *c = p->choices; *c;) {
            size_t n = strcspn(c, "|");
            if (n == len && strncmp(c, value, n) == 0)
                return true;
            c += n + (c[n] == '|');
        }
        snprintf(why, why_size, "'%s' is not one of %s", value, p->choices);
        return false;
    }
    long long v;
    if (!parse_ll(value, &v)) {
        snprintf(why, why_size, "'%s' is not a whole number", value);
        return false;
    }
    if (v < p->min || v > p->max) {
        snprintf(why, why_size, "%lld is outside %lld..%lld", v, p->min, p->max);
        return false;
    }
    return true;
}

static int param_index(const struct bench_workload *w, const char *key)
{
    for (size_t i = 0; w->params && w->params[i].name; i++)
        if (strcmp(w->params[i].name, key) == 0)
            return (int)i;
    return -1;
}

static char *known_keys(const struct bench_workload *w)
{
    char *keys = NULL;
    for (size_t i = 0; w->params && w->params[i].name; i++)
        append_name(&keys, w->params[i].name);
    return keys ? keys : xstrdup("none");
}

static void set_value(struct bench_case *c, const char *key, const char *value,
                      const char *origin)
{
    int i = param_index(c->workload, key);
    if (i < 0)
        usage_error("workload %s has no parameter '%s' (%s; it has: %s)", c->workload->name,
                    key, origin, known_keys(c->workload));
    char why[256];
    if (!param_value_valid(&c->workload->params[i], value, why, sizeof why))
        usage_error("bad value for %s.%s (%s): %s", c->workload->name, key, origin, why);
    free(c->values[i]);
    c->values[i] = xstrdup(value);
}

struct bench_case *case_resolve(const char *selection, struct param_override *overrides,
                                size_t override_count, bool quick)
{
    char *spec = xstrdup(selection);
    char *save = NULL;
    char *name = strtok_r(spec, ":", &save);
    const struct bench_workload *w = name ? workload_find(name) : NULL;
    if (!w) {
        char *known = NULL;
        for (size_t i = 0; i < workload_count(); i++)
            append_name(&known, workload_at(i)->name);
        usage_error("unknown workload '%s' (known: %s)", name ? name : selection, known);
    }

    struct bench_case *c = calloc(1, sizeof *c);
    c->workload = w;
    c->label = xstrdup(selection);
    size_t n = workload_param_count(w);
    c->values = calloc(n ? n : 1, sizeof *c->values);
    for (size_t i = 0; i < n; i++) {
        const struct bench_param *p = &w->params[i];
        c->values[i] = xstrdup(quick && p->quick_value ? p->quick_value : p->default_value);
    }
    for (size_t i = 0; i < override_count; i++) {
        struct param_override *o = &overrides[i];
        if (o->workload && strcmp(o->workload, w->name) != 0)
            continue;
        if (!o->workload && param_index(w, o->key) < 0)
            continue;
        set_value(c, o->key, o->value, "from --param");
        o->used = true;
    }
    for (char *kv = strtok_r(NULL, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
            usage_error("'%s' in workload selection '%s': expected key=value", kv, selection);
        *eq = '\0';
        set_value(c, kv, eq + 1, "in the workload selection");
    }
    free(spec);
    return c;
}

char *case_params_string(const struct bench_case *c)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < workload_param_count(c->workload); i++) {
        char *next = xasprintf("%s%s%s=%s", s, i ? ";" : "", c->workload->params[i].name,
                               c->values[i]);
        free(s);
        s = next;
    }
    return s;
}
