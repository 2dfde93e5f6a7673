/* The `bench` command line: parses and validates every flag before anything
 * is written, then hands the run to the runner. Subcommands: run, list,
 * plan, summarize, compare, merge (and the hidden __child, the measured process). */
#include "backends.h"
#include "cases.h"
#include "child.h"
#include "compare.h"
#include "counters.h"
#include "extend.h"
#include "group.h"
#include "latency.h"
#include "merge.h"
#include "options.h"
#include "plan.h"
#include "runner.h"
#include "suites.h"
#include "summary.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_VERSION
#define BENCH_VERSION "unknown"
#endif

static void print_help(void)
{
    printf("bench: compare memory allocators on the same workloads, each measurement in\n"
           "its own process with the allocator preloaded and verified.\n"
           "\n"
           "Usage:\n"
           "  bench run [options]       run the comparison, write a run directory\n"
           "  bench plan [options of run] [--out FILE]\n"
           "                            the run's groups (a case in a round, every backend)\n"
           "                            in execution order, with their expected cost and\n"
           "                            shard (--shard I/N), as plan.csv; checks the flags\n"
           "                            as run does and runs nothing\n"
           "  bench list [--tiny]       list workloads (with parameters), suites, backends;\n"
           "                            --tiny: each workload's tiny form, as the tests run it\n"
           "  bench summarize RUN_DIR [--baseline NAME]\n"
           "                            recompute the summary files from results.csv\n"
           "  bench compare RUN_A RUN_B [--threshold PCT] [--raw] [--all-metrics] [--per-cell]\n"
           "                [--out DIR]\n"
           "                            what changed from run A to run B, and is it real:\n"
           "                            compare.md and compare.csv (default: into RUN_B);\n"
           "                            intervals that hold all at once (--per-cell: 95%% each);\n"
           "                            exit 1 when something regressed beyond the noise\n"
           "                            threshold (default 2%%)\n"
           "  bench merge RUN_DIR... --out DIR [--pool]\n"
           "                            one run from runs of several machines or days\n"
           "  bench --help | --version\n"
           "\n"
           "Options of `run`:\n");
    options_print_help();
    printf("\n"
           "Each round runs every case (workload x threads) once under every backend, in\n"
           "an order shuffled by the seed; the first round is a discarded warm-up. Exit\n"
           "status: 0 when every run ended ok, 1 when some did not (their rows say why),\n"
           "2 for bad usage (nothing is written), 130 when interrupted (finished rows,\n"
           "the summary and meta.json are kept).\n");
}

static void list_everything(void)
{
    printf("Workloads (select with --workloads NAME or NAME:key=value:...):\n");
    for (size_t i = 0; i < workload_count(); i++) {
        const struct bench_workload *w = workload_at(i);
        printf("  %-20s %s%s\n", w->name, w->summary,
               w->threaded ? " [threaded]" : "");
        for (size_t p = 0; w->params && w->params[p].name; p++) {
            const struct bench_param *bp = &w->params[p];
            printf("      %-14s default %-9s", bp->name, bp->default_value);
            if (bp->choices)
                printf(" one of %-12s", bp->choices);
            else
                printf(" %lld..%-10lld", bp->min, bp->max);
            printf(" %s%s%s\n", bp->help, bp->quick_value ? "; --quick: " : "",
                   bp->quick_value ? bp->quick_value : "");
        }
    }
    printf("\nSuites (select with --suite NAME):\n");
    for (size_t i = 0; i < suite_count; i++) {
        printf("  %-10s %s\n             ", suites[i].name, suites[i].summary);
        size_t n;
        struct suite_item *items = suite_items(&suites[i], &n);
        for (size_t k = 0; k < n; k++)
            printf(" %s%s%s", items[k].selection, items[k].threads ? "@" : "",
                   items[k].threads ? items[k].threads : "");
        putchar('\n');
    }
    printf("\nBackends:\n");
    for (size_t i = 0; i < backend_kind_count; i++) {
        struct backend *b = backend_from_spec(backend_kinds[i].name);
        printf("  %-16s %s%s", b->name,
               b->missing ? b->missing_reason : (b->library ? b->library : "(no preload: the C library)"),
               backend_kinds[i].in_default_run ? "" : "  [only when named");
        for (size_t k = 0; k < suite_count && !backend_kinds[i].in_default_run; k++)
            if (suites_add_backend(suites[k].name, b->name))
                printf(", or with --suite %s", suites[k].name);
        if (backend_kinds[i].in_default_run && backend_kinds[i].home_suites)
            printf("  [by default only on the workloads of: %s]", backend_kinds[i].home_suites);
        puts(backend_kinds[i].in_default_run ? "" : "]");
    }
}

/* `bench list --tiny`: each workload's tiny form, one selection a line, as
 * the tests run them; a workload without one says so. */
static int list_tiny(void)
{
    for (size_t i = 0; i < workload_count(); i++) {
        const struct bench_workload *w = workload_at(i);
        if (!w->tiny)
            printf("%s (no tiny form)\n", w->name);
        else
            printf("%s%s%s\n", w->name, w->tiny[0] ? ":" : "", w->tiny);
    }
    return 0;
}

/* ---- `run` ---- */

/* A path in the project's top directory (the parent of build/), without
 * "build/.." in it, for what the run prints and records. */
static char *project_path(const char *relative)
{
    char top[PATH_MAX];
    char *up = xasprintf("%s/..", exe_dir());
    char *path = realpath(up, top) ? xasprintf("%s/%s", top, relative)
                                   : xasprintf("%s/%s", up, relative);
    free(up);
    return path;
}

/* The run directory, created (with missing parents) and known to be
 * writable before anything is printed or run; an absolute path. */
static char *make_run_dir(const char *out, bool *is_default)
{
    if (out) {
        *is_default = false;
        DIR *d = opendir(out);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                    usage_error("--out %s: the directory is not empty (results are never overwritten)", out);
            closedir(d);
        } else if (mkdir_parents(out) != 0) {
            usage_error("--out %s: cannot create it: %s", out, strerror(errno));
        }
        struct stat st;
        if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
            usage_error("--out %s: not a directory", out);
        if (access(out, W_OK) != 0)
            usage_error("--out %s: not writable: %s", out, strerror(errno));
        char resolved[PATH_MAX];
        return xstrdup(realpath(out, resolved) ? resolved : out);
    }
    *is_default = true;
    char *results = project_path("results");
    mkdir(results, 0755);
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int n = 1;; n++) {
        char *dir = n == 1 ? xasprintf("%s/%s", results, stamp)
                           : xasprintf("%s/%s-%d", results, stamp, n);
        if (mkdir(dir, 0755) == 0) {
            free(results);
            return dir;
        }
        if (errno != EEXIST)
            fatal_errno("cannot create %s", dir);
        free(dir);
    }
}

/* Without --backends: the default run's, and those the selected suites add. */
static void select_backends(const char *list, const char *suite_list, struct run_meta *m)
{
    if (!list) {
        m->backends = xmalloc(backend_kind_count * sizeof *m->backends);
        for (size_t i = 0; i < backend_kind_count; i++)
            if (backend_kinds[i].in_default_run || suites_add_backend(suite_list, backend_kinds[i].name)) {
                struct backend *b = backend_from_spec(backend_kinds[i].name);
                b->home_suites = backend_kinds[i].home_suites;
                m->backends[m->backend_count++] = b;
            }
        return;
    }
    char **names;
    size_t n = split_required(list, "--backends", &names);
    m->backends = xmalloc(n * sizeof *m->backends);
    for (size_t i = 0; i < n; i++) {
        struct backend *b = backend_from_spec(names[i]);
        for (size_t j = 0; j < m->backend_count; j++)
            if (strcmp(m->backends[j]->name, b->name) == 0)
                usage_error("backend '%s' is selected twice", b->name);
        m->backends[m->backend_count++] = b;
    }
}

/* A backend chosen by default for its home suites' workloads is left out
 * of a run that has none of them (e.g. `article` in --suite programs). */
static void drop_homeless_backends(struct run_meta *m)
{
    size_t kept = 0;
    for (size_t b = 0; b < m->backend_count; b++) {
        bool runs = false;
        for (size_t c = 0; c < m->case_count && !runs; c++)
            runs = plan_backend_runs(m->backends[b], m->cases[c]);
        if (runs)
            m->backends[kept++] = m->backends[b];
    }
    m->backend_count = kept;
}

/* The baseline: asked for, else glibc, else the first backend selected. */
static void select_baseline(const char *asked, struct run_meta *m)
{
    for (size_t i = 0; i < m->backend_count && !m->baseline; i++)
        if (strcmp(m->backends[i]->name, asked ? asked : "glibc") == 0)
            m->baseline = m->backends[i]->name;
    if (asked && !m->baseline)
        usage_error("--baseline %s is not one of the selected backends", asked);
    if (!m->baseline) {
        m->baseline = m->backends[0]->name;
        m->baseline_why = "glibc is not in this run: ratios are to the first backend selected";
    }
    /* every other backend's ratios need it: the baseline runs everywhere */
    for (size_t i = 0; i < m->backend_count; i++)
        if (strcmp(m->backends[i]->name, m->baseline) == 0)
            m->backends[i]->home_suites = NULL;
}

/* What `run` and `plan` share: the flags parsed and checked, the backends,
 * cases, baseline and plan settled; nothing is written. */
static void run_setup(int argc, char **argv, int full_argc, char **full_argv,
                      struct run_options *out, struct run_meta *m)
{
    struct run_options o;
    options_parse(argc, argv, &o);
    struct run_meta meta = {
        .argc = full_argc, .argv = full_argv, .quick = o.quick, .latency = o.latency,
        .seed = o.seed >= 0 ? (unsigned long long)o.seed : DEFAULT_SEED,
        .reps = o.reps > 0 ? (int)o.reps : o.quick ? 1 : DEFAULT_REPS,
        .timeout_s = o.timeout_s > 0 ? (int)o.timeout_s : DEFAULT_TIMEOUT_S,
        .min_time_ms = o.min_time_ms >= 0 ? (double)o.min_time_ms : o.quick ? 0 : DEFAULT_MIN_TIME_MS,
        .fixed_samples = o.samples > 0 ? (int)o.samples : 0,
        .warmup_samples = o.warmup_samples >= 0 ? (int)o.warmup_samples : DEFAULT_WARMUP_SAMPLES,
        .max_samples = o.max_samples > 0 ? (int)o.max_samples : DEFAULT_MAX_SAMPLES,
        .interleave = o.interleave && strcmp(o.interleave, "processes") == 0 ? INTERLEAVE_PROCESSES
                                                                             : INTERLEAVE_SAMPLES,
        .measure = o.measure && strcmp(o.measure, "instructions") == 0 ? MEASURE_INSTRUCTIONS
                                                                      : MEASURE_TIME,
    };
    meta.target_pct = DEFAULT_TARGET_PCT, meta.target_threaded_pct = DEFAULT_TARGET_THREADED_PCT;
    if (o.target_ci)
        extend_parse_target(o.target_ci, &meta.target_pct, &meta.target_threaded_pct);
    /* --reps N alone asks for exactly N rounds; extra rounds come with the
     * default rounds or when asked for. */
    bool extend_asked = o.target_ci || o.extend_time_s >= 0 || o.max_reps > 0;
    meta.extend_time_s = o.extend_time_s >= 0              ? (int)o.extend_time_s
                         : o.reps > 0 && !extend_asked ? 0
                                                       : DEFAULT_EXTEND_TIME_S;
    if (o.max_reps > 0 && o.max_reps < meta.reps)
        usage_error("--max-reps %lld is fewer than the %d rounds --reps asks for", o.max_reps,
                    meta.reps);
    meta.max_reps = o.max_reps > 0 ? (int)o.max_reps
                                   : meta.reps > DEFAULT_MAX_REPS ? meta.reps : DEFAULT_MAX_REPS;
    latency_requested = o.latency;
    if (meta.measure == MEASURE_INSTRUCTIONS) {
        if (!meta.fixed_samples)
            meta.fixed_samples = DEFAULT_INSTRUCTION_SAMPLES;
        if (system("valgrind --version >/dev/null 2>&1") != 0)
            usage_error("--measure instructions needs valgrind (Debian package valgrind)");
    }
    if (o.compare_to)
        compare_check_run(o.compare_to);
    select_backends(o.backends, o.suites, &meta);
    struct plan_request plan = {.workloads = o.workloads, .suites = o.suites,
                                .exclude = o.exclude, .threads = o.threads,
                                .params = o.params, .param_count = o.param_count,
                                .quick = o.quick};
    meta.cases = cases_plan(&plan, &meta.case_count);
    select_baseline(o.baseline, &meta);
    drop_homeless_backends(&meta);
    int shard = 1, shard_count = 1;
    if (o.shard)
        plan_parse_shard(o.shard, &shard, &shard_count);
    meta.plan = plan_build(&meta, shard, shard_count, o.costs);
    *out = o;
    *m = meta;
}

/* plan.csv as `bench plan` and every run directory have it. */
static void write_plan(const char *path, const struct run_meta *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    plan_write_csv(f, m->plan, m);
    fclose(f);
    if (!path)
        fputs(text, stdout);
    else
        write_file_atomic(path, text);
    free(text);
}

static int command_plan(int argc, char **argv, int full_argc, char **full_argv)
{
    struct run_options o;
    struct run_meta meta;
    run_setup(argc, argv, full_argc, full_argv, &o, &meta);
    struct stat st;
    if (o.out && stat(o.out, &st) == 0 && S_ISDIR(st.st_mode))
        usage_error("--out %s: a directory; `bench plan` writes the plan into a file", o.out);
    write_plan(o.out, &meta);
    const struct run_plan *p = meta.plan;
    size_t measured = (size_t)meta.reps * meta.case_count;
    fprintf(stderr, "bench: plan %s: %zu group(s), %zu measured, %zu warm-up, over %d shard(s);"
                    " expected seconds per shard:",
            p->hash, p->count, measured, p->count - measured, p->shard_count);
    for (int s = 0; s < p->shard_count; s++)
        fprintf(stderr, " %.1f", p->shard_cost_s[s]);
    fprintf(stderr, " (%s)\n", p->costs_from ? p->costs_from : "the cost model");
    return 0;
}

static int command_run(int argc, char **argv, int full_argc, char **full_argv)
{
    struct run_options o;
    struct run_meta meta;
    run_setup(argc, argv, full_argc, full_argv, &o, &meta);
    if (gethostname(meta.host, sizeof meta.host) != 0)
        snprintf(meta.host, sizeof meta.host, "unknown");
    if (meta.measure == MEASURE_TIME)
        meta.perf_available = counters_perf_available(meta.perf_reason, sizeof meta.perf_reason);
    else
        snprintf(meta.perf_reason, sizeof meta.perf_reason, "not used with --measure instructions");

    /* Everything is valid: only now is anything written. */
    bool is_default;
    char *run_dir = make_run_dir(o.out, &is_default);
    const char *slash = strrchr(run_dir, '/');
    meta.run_id = slash ? slash + 1 : run_dir;
    char *plan_path = xasprintf("%s/plan.csv", run_dir);
    write_plan(plan_path, &meta);
    free(plan_path);
    struct run_config cfg = {.meta = meta, .run_dir = run_dir, .quiet = o.quiet};
    char *latest = NULL;
    if (is_default) {
        latest = project_path("results/latest");
        cfg.latest_link = latest;
    }
    printf("bench: %zu backend(s) x %zu case(s) x %d rep(s) (+1 warm-up round) -> %s\n",
           meta.backend_count, meta.case_count, meta.reps, run_dir);
    if (meta.plan->shard_count > 1)
        printf("bench: shard %d/%d of plan %s: %zu of its %zu groups, ~%.0f s expected\n",
               meta.plan->shard, meta.plan->shard_count, meta.plan->hash,
               plan_shard_group_count(meta.plan), meta.plan->count,
               meta.plan->shard_cost_s[meta.plan->shard - 1]);
    if (meta.measure == MEASURE_INSTRUCTIONS)
        fprintf(stderr, "bench: counting instructions under callgrind (valgrind runs one thread "
                        "at a time: threaded workloads are serialised)\n");
    int rc = runner_run(&cfg);
    if (o.compare_to && rc != EXIT_INTERRUPTED) {
        int crc = compare_runs(o.compare_to, run_dir, &(struct compare_options){0}, run_dir);
        if (rc == 0 && crc != 0)
            rc = crc;
    }
    free(latest);
    return rc;
}

static int command_summarize(int argc, char **argv)
{
    const char *baseline = NULL;
    if (argc == 3 && strcmp(argv[1], "--baseline") == 0)
        baseline = argv[2];
    else if (argc != 1)
        usage_error("summarize expects one run directory (and optionally --baseline NAME)");
    compare_check_run(argv[0]);
    summary_write(argv[0], baseline, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], CHILD_SUBCOMMAND) == 0)
        child_main(argc - 2, argv + 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help();
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("bench (malloc-bench) %s\n", BENCH_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return command_run(argc - 2, argv + 2, argc, argv);
    if (strcmp(argv[1], "plan") == 0)
        return command_plan(argc - 2, argv + 2, argc, argv);
    if (strcmp(argv[1], "list") == 0) {
        if (argc == 3 && strcmp(argv[2], "--tiny") == 0)
            return list_tiny();
        if (argc > 2)
            usage_error("list takes no arguments but --tiny (got '%s')", argv[2]);
        list_everything();
        return 0;
    }
    if (strcmp(argv[1], "summarize") == 0)
        return command_summarize(argc - 2, argv + 2);
    if (strcmp(argv[1], "compare") == 0)
        return compare_command(argc - 2, argv + 2);
    if (strcmp(argv[1], "merge") == 0)
        return merge_command(argc - 2, argv + 2);
    usage_error("unknown command '%s' (run, plan, list, summarize, compare, merge)", argv[1]);
}
