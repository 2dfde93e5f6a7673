/* Workloads as the harness sees them: the registry of every compiled-in
 * workload, and cases (a workload with resolved parameters). */
#include "cases.h"
#include "suites.h"
#include "util.h"

#include <fnmatch.h>
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

/* A pair of parameters min_X and max_X must not contradict each other: the
 * workload could only fail every repetition. */
static void check_ranges(const struct bench_case *c, const char *selection)
{
    const struct bench_workload *w = c->workload;
    for (size_t i = 0; w->params && w->params[i].name; i++) {
        const char *name = w->params[i].name;
        if (strncmp(name, "min_", 4) != 0 || w->params[i].choices)
            continue;
        char *other = xasprintf("max_%s", name + 4);
        int j = param_index(w, other);
        long long lo, hi;
        if (j >= 0 && parse_ll(c->values[i], &lo) && parse_ll(c->values[j], &hi) && lo > hi)
            usage_error("workload selection '%s': %s=%lld is above %s=%lld", selection, name, lo,
                        other, hi);
        free(other);
    }
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
    check_ranges(c, selection);
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

char *case_full_selection(const struct bench_case *c)
{
    char *s = xstrdup(c->workload->name);
    for (size_t i = 0; i < workload_param_count(c->workload); i++) {
        char *next = xasprintf("%s:%s=%s", s, c->workload->params[i].name, c->values[i]);
        free(s);
        s = next;
    }
    return s;
}

/* ---- Planning ---- */

/* One selection before expansion: the text, and its own thread counts. */
struct selection {
    char *text;
    char *threads; /* "1,2,4", or NULL */
};

struct plan {
    struct selection *items;
    size_t count;
    struct bench_case **cases;
    size_t case_count;
};

static void add_selection(struct plan *p, const char *text, const char *threads)
{
    p->items = xrealloc(p->items, (p->count + 1) * sizeof *p->items);
    p->items[p->count++] = (struct selection){xstrdup(text), threads ? xstrdup(threads) : NULL};
}

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* --workloads: comma-separated selections; "name@1,2,4" carries thread
 * counts, whose commas continue it (a workload name is never a number); a
 * name with a glob becomes every workload it matches. */
static void add_workloads(struct plan *p, const char *list)
{
    char **tokens;
    size_t n = split_required(list, "--workloads", &tokens);
    for (size_t i = 0; i < n; i++) {
        char *text = tokens[i], *at = strchr(text, '@'), *threads = NULL;
        if (at) {
            *at = '\0';
            threads = xstrdup(at + 1);
            long long v;
            while (i + 1 < n && parse_ll(tokens[i + 1], &v)) {
                char *more = xasprintf("%s,%s", threads, tokens[++i]);
                free(threads);
                threads = more;
            }
        }
        size_t name_len = strcspn(text, ":");
        char *name = xasprintf("%.*s", (int)name_len, text);
        if (!has_glob(name)) {
            add_selection(p, text, threads);
        } else {
            size_t matched = 0;
            for (size_t w = 0; w < workload_count(); w++)
                if (fnmatch(name, workload_at(w)->name, 0) == 0) {
                    char *one = xasprintf("%s%s", workload_at(w)->name, text + name_len);
                    add_selection(p, one, threads);
                    free(one);
                    matched++;
                }
            if (!matched)
                usage_error("--workloads '%s' matches no workload (see `bench list`)", name);
        }
        free(name);
        free(threads);
    }
}

static void add_suites(struct plan *p, const char *list)
{
    char **names;
    size_t n = split_required(list, "--suite", &names);
    for (size_t i = 0; i < n; i++) {
        const struct suite *suite = suite_find(names[i]);
        if (!suite) {
            char *known = NULL;
            for (size_t k = 0; k < suite_count; k++)
                append_name(&known, suites[k].name);
            usage_error("unknown suite '%s' (known: %s)", names[i], known);
        }
        size_t n_items;
        struct suite_item *items = suite_items(suite, &n_items);
        if (n_items == 0)
            usage_error("suite '%s' has no workloads in this build", names[i]);
        for (size_t k = 0; k < n_items; k++)
            add_selection(p, items[k].selection, items[k].threads);
    }
}

static bool excluded(const char *selection, char **patterns, size_t n)
{
    size_t name_len = strcspn(selection, ":");
    char *name = xasprintf("%.*s", (int)name_len, selection);
    bool out = false;
    for (size_t i = 0; i < n && !out; i++)
        out = fnmatch(patterns[i], name, 0) == 0 || fnmatch(patterns[i], selection, 0) == 0;
    free(name);
    return out;
}

/* Thread counts from a list, each once, in the order given. */
static size_t parse_threads(const char *list, const char *what, long long **out)
{
    char **items;
    size_t n = split_required(list, what, &items), kept = 0;
    long long *t = xmalloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        long long v;
        if (!parse_ll(items[i], &v) || v < 1 || v > 1024)
            usage_error("%s expects thread counts in 1..1024, got '%s'", what, items[i]);
        bool seen = false;
        for (size_t k = 0; k < kept && !seen; k++)
            seen = t[k] == v;
        if (seen)
            fprintf(stderr, "bench: note: %s lists %lld twice; running it once\n", what, v);
        else
            t[kept++] = v;
    }
    *out = t;
    return kept;
}

/* --param KEY=V1,V2,...: split into one override per key, its values kept
 * for the sweep. */
struct sweep {
    struct param_override o; /* o.value: the value in use */
    char **values;
    size_t value_count;
};

static struct sweep *parse_params(const char *const *params, size_t n)
{
    struct sweep *s = calloc(n + 1, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        char *text = xstrdup(params[i]), *eq = strchr(text, '=');
        if (!eq || eq == text || !eq[1])
            usage_error("--param expects KEY=VALUE or WORKLOAD.KEY=VALUE, got '%s'", params[i]);
        *eq = '\0';
        char *dot = strchr(text, '.');
        s[i].o.workload = dot ? xasprintf("%.*s", (int)(dot - text), text) : NULL;
        s[i].o.key = xstrdup(dot ? dot + 1 : text);
        s[i].value_count = split_list(xstrdup(eq + 1), &s[i].values);
        if (s[i].value_count == 0)
            usage_error("--param %s has no value", params[i]);
        s[i].o.value = s[i].values[0];
    }
    return s;
}

static bool sweep_applies(const struct sweep *s, const struct bench_workload *w)
{
    if (s->o.workload)
        return strcmp(s->o.workload, w->name) == 0;
    for (size_t i = 0; w->params && w->params[i].name; i++)
        if (strcmp(w->params[i].name, s->o.key) == 0)
            return true;
    return false;
}

static void add_case(struct plan *p, struct bench_case *c)
{
    char *key = case_full_selection(c);
    for (size_t i = 0; i < p->case_count; i++) {
        char *other = case_full_selection(p->cases[i]);
        bool same = p->cases[i]->threads == c->threads && strcmp(other, key) == 0;
        free(other);
        if (same) {
            if (strcmp(p->cases[i]->label, c->label) != 0)
                fprintf(stderr, "bench: note: '%s' is the same configuration as '%s'; running it once\n",
                        c->label, p->cases[i]->label);
            else
                fprintf(stderr, "bench: note: '%s'%s is selected twice; running it once\n", c->label,
                        c->workload->threaded ? " (at these threads)" : "");
            free(key);
            return;
        }
    }
    free(key);
    p->cases = xrealloc(p->cases, (p->case_count + 1) * sizeof *p->cases);
    p->cases[p->case_count++] = c;
}

/* Every value combination of the sweeps that apply to the selection's
 * workload, each with its thread counts. */
static void expand(struct plan *p, const struct selection *sel, struct sweep *sweeps,
                   size_t sweep_count, const long long *threads, size_t thread_count, bool quick)
{
    struct param_override *ov = xmalloc((sweep_count + 1) * sizeof *ov);
    size_t *pick = calloc(sweep_count + 1, sizeof *pick);
    const struct bench_workload *w = case_resolve(sel->text, NULL, 0, quick)->workload;
    for (;;) {
        char *label = xstrdup(sel->text);
        for (size_t i = 0; i < sweep_count; i++) {
            ov[i] = sweeps[i].o;
            ov[i].value = sweeps[i].values[pick[i]];
            ov[i].used = false;
            if (sweeps[i].value_count > 1 && sweep_applies(&sweeps[i], w)) {
                char *more = xasprintf("%s:%s=%s", label, ov[i].key, ov[i].value);
                free(label);
                label = more;
            }
        }
        for (size_t t = 0; t < (thread_count ? thread_count : 1); t++) {
            struct bench_case *c = case_resolve(sel->text, ov, sweep_count, quick);
            free(c->label);
            c->label = xstrdup(label);
            c->threads = !w->threaded ? 1 : thread_count ? (int)threads[t]
                                                          : (w->default_threads > 0 ? w->default_threads : 1);
            add_case(p, c);
        }
        for (size_t i = 0; i < sweep_count; i++)
            sweeps[i].o.used |= ov[i].used;
        free(label);
        /* the next combination, odometer style, over the sweeps that apply */
        size_t i = 0;
        while (i < sweep_count && (!sweep_applies(&sweeps[i], w) ||
                                   ++pick[i] == sweeps[i].value_count)) {
            pick[i] = 0;
            i++;
        }
        if (i == sweep_count)
            break;
    }
    free(ov);
    free(pick);
}

struct bench_case **cases_plan(const struct plan_request *r, size_t *count)
{
    struct plan p = {0};
    if (r->suites)
        add_suites(&p, r->suites);
    if (r->workloads)
        add_workloads(&p, r->workloads);
    if (!r->suites && !r->workloads)
        add_suites(&p, DEFAULT_SUITE);
    char **exclude = NULL;
    size_t exclude_count = r->exclude ? split_list(xstrdup(r->exclude), &exclude) : 0;
    long long *global = NULL;
    size_t global_count = r->threads ? parse_threads(r->threads, "--threads", &global) : 0;
    struct sweep *sweeps = parse_params(r->params, r->param_count);
    size_t kept = 0;
    for (size_t i = 0; i < p.count; i++) {
        const struct selection *sel = &p.items[i];
        if (excluded(sel->text, exclude, exclude_count))
            continue;
        kept++;
        const struct bench_workload *w = case_resolve(sel->text, NULL, 0, r->quick)->workload;
        long long *threads = global;
        size_t thread_count = global_count;
        if (sel->threads && !w->threaded)
            usage_error("'%s@%s': %s is not threaded", sel->text, sel->threads, w->name);
        if (!global_count && sel->threads)
            thread_count = parse_threads(sel->threads, sel->text, &threads);
        if (global_count && !w->threaded)
            fprintf(stderr, "bench: note: %s is not threaded; --threads does not apply to it\n",
                    w->name);
        expand(&p, sel, sweeps, r->param_count, threads, w->threaded ? thread_count : 0, r->quick);
    }
    if (kept == 0)
        usage_error("--exclude leaves no workload to run");
    for (size_t i = 0; i < r->param_count; i++)
        if (!sweeps[i].o.used)
            usage_error("--param %s: no selected workload has that parameter", r->params[i]);
    *count = p.case_count;
    return p.cases;
}
