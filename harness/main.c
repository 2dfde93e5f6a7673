/* The `bench` command line: parses and validates every flag before anything
 * is written, then hands the run to the runner. Subcommands: run, list,
 * summarize (and the hidden __child, the measured process). */
#include "backends.h"
#include "cases.h"
#include "child.h"
#include "latency.h"
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

/* Without --workloads or --suite: the suite DEFAULT_SUITE (harness/suites.c),
 * the article's four workloads. */
#define DEFAULT_REPS 5
#define DEFAULT_TIMEOUT_S 300
#define DEFAULT_SEED 1

static void print_help(void)
{
    printf(
        "bench: compare memory allocators on the same workloads, each measurement in\n"
        "its own process with the allocator preloaded and verified.\n"
        "\n"
        "Usage:\n"
        "  bench run [options]       run the comparison, write a run directory\n"
        "  bench list                list workloads (with parameters) and backends\n"
        "  bench summarize RUN_DIR   recompute RUN_DIR/summary.csv from results.csv\n"
        "  bench --help\n"
        "\n"
        "Options of `run`:\n"
        "  --backends LIST     comma-separated backend names, or NAME=PATH.so for any\n"
        "                      library (default: every known backend but those\n"
        "                      that `bench list` marks [only when named])\n"
        "  --workloads LIST    comma-separated selections; a selection may set\n"
        "                      parameters: mixed_sizes:max_size=65536:touch=all\n"
        "                      (default: the suite " DEFAULT_SUITE ")\n"
        "  --suite NAME        a named selection of workloads (see `bench list`):\n"
        "                      article, library, programs, full\n"
        "  --latency           time every malloc/free with the cycle counter and add\n"
        "                      malloc_p50_ns .. free_max_ns (p50, p99, p999, max)\n"
        "  --threads LIST      thread counts for threaded workloads, e.g. 1,2,4,8\n"
        "                      (default: each workload's own)\n"
        "  --param KEY=VALUE   set a parameter of every selected workload that has it;\n"
        "                      WORKLOAD.KEY=VALUE for one workload (repeatable)\n"
        "  --reps N            measured repetitions, after one warm-up round (default %d;\n"
        "                      1 with --quick)\n"
        "  --quick             reduced sizes and one repetition: a smoke run\n"
        "  --seed N            seed of the run order shuffle (default %d)\n"
        "  --timeout SEC       time limit of one measurement (default %d)\n"
        "  --out DIR           write the run directory here (default results/<run-id>)\n"
        "\n"
        "Each round runs every backend x workload once, in an order shuffled by the\n"
        "seed; the first round is a discarded warm-up. Exit status: 0 when every run\n"
        "ended ok, 1 when some did not (their rows say why), 2 for bad usage (nothing\n"
        "is written), 130 when interrupted (finished rows are kept).\n",
        DEFAULT_REPS, DEFAULT_SEED, DEFAULT_TIMEOUT_S);
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
        for (const struct suite_item *it = suites[i].items; it->selection; it++)
            printf(" %s%s%s", it->selection, it->threads ? "@" : "", it->threads ? it->threads : "");
        putchar('\n');
    }
    printf("\nBackends:\n");
    for (size_t i = 0; i < backend_kind_count; i++) {
        struct backend *b = backend_from_spec(backend_kinds[i].name);
        printf("  %-16s %s%s\n", b->name,
               b->missing ? b->missing_reason : (b->library ? b->library : "(no preload: the C library)"),
               backend_kinds[i].in_default_run ? "" : "  [only when named]");
    }
}

/* ---- Parsing `run` ---- */

static long long int_flag(const char *flag, const char *value, long long min, long long max)
{
    long long v;
    if (!parse_ll(value, &v) || v < min || v > max)
        usage_error("%s expects a whole number in %lld..%lld, got '%s'", flag, min, max, value);
    return v;
}

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
        } else if (mkdir(out, 0755) != 0) {
            fatal_errno("cannot create %s", out);
        }
        return xstrdup(out);
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

static int command_run(int argc, char **argv, int full_argc, char **full_argv)
{
    char *backends_list = NULL, *workloads_list = NULL, *threads_list = NULL, *out = NULL;
    const char *suite_name = NULL;
    struct param_override *overrides = NULL;
    size_t override_count = 0;
    struct run_meta meta = {.reps = -1, .seed = DEFAULT_SEED, .timeout_s = DEFAULT_TIMEOUT_S,
                            .argc = full_argc, .argv = full_argv};

    for (int i = 0; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            print_help();
            exit(0);
        }
        if (strcmp(flag, "--quick") == 0) {
            meta.quick = true;
            continue;
        }
        if (strcmp(flag, "--latency") == 0) {
            latency_requested = true;
            continue;
        }
        if (strncmp(flag, "--", 2) != 0)
            usage_error("unexpected argument '%s'", flag);
        if (i + 1 >= argc)
            usage_error("%s needs a value", flag);
        char *value = argv[++i];
        if (strcmp(flag, "--backends") == 0) {
            backends_list = value;
        } else if (strcmp(flag, "--workloads") == 0) {
            workloads_list = value;
        } else if (strcmp(flag, "--threads") == 0) {
            threads_list = value;
        } else if (strcmp(flag, "--suite") == 0) {
            suite_name = value;
        } else if (strcmp(flag, "--reps") == 0) {
            meta.reps = (int)int_flag(flag, value, 1, 1000);
        } else if (strcmp(flag, "--seed") == 0) {
            meta.seed = (unsigned long long)int_flag(flag, value, 0, INT64_MAX);
        } else if (strcmp(flag, "--timeout") == 0) {
            meta.timeout_s = (int)int_flag(flag, value, 1, 86400);
        } else if (strcmp(flag, "--out") == 0) {
            out = value;
        } else if (strcmp(flag, "--param") == 0) {
            char *eq = strchr(value, '=');
            if (!eq || eq == value)
                usage_error("--param expects KEY=VALUE or WORKLOAD.KEY=VALUE, got '%s'", value);
            *eq = '\0';
            char *dot = strchr(value, '.');
            overrides = xrealloc(overrides, (override_count + 1) * sizeof *overrides);
            overrides[override_count++] = (struct param_override){
                .workload = dot ? xasprintf("%.*s", (int)(dot - value), value) : NULL,
                .key = xstrdup(dot ? dot + 1 : value), .value = xstrdup(eq + 1)};
            *eq = '=';
        } else {
            usage_error("unknown option '%s'", flag);
        }
    }
    if (meta.reps < 0)
        meta.reps = meta.quick ? 1 : DEFAULT_REPS;

    /* Backends. */
    if (backends_list) {
        char **names;
        size_t n = split_list(xstrdup(backends_list), &names);
        if (n == 0)
            usage_error("--backends is empty");
        meta.backends = xmalloc(n * sizeof *meta.backends);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(meta.backends[j]->name, backend_from_spec(names[i])->name) == 0)
                    usage_error("backend '%s' is selected twice", names[i]);
            meta.backends[meta.backend_count++] = backend_from_spec(names[i]);
        }
    } else {
        meta.backends = xmalloc(backend_kind_count * sizeof *meta.backends);
        for (size_t i = 0; i < backend_kind_count; i++)
            if (backend_kinds[i].in_default_run)
                meta.backends[meta.backend_count++] = backend_from_spec(backend_kinds[i].name);
    }

    /* Thread counts. */
    long long *threads = NULL;
    size_t thread_count = 0;
    if (threads_list) {
        char **items;
        thread_count = split_list(xstrdup(threads_list), &items);
        if (thread_count == 0)
            usage_error("--threads is empty");
        threads = xmalloc(thread_count * sizeof *threads);
        for (size_t i = 0; i < thread_count; i++)
            threads[i] = int_flag("--threads", items[i], 1, 1024);
    }

    /* Cases: each selection, once per thread count when threaded. A suite
     * item may bring its own thread counts; --threads overrides them. */
    char **selections;
    const char **selection_threads = NULL;
    size_t selection_count;
    if (workloads_list && suite_name)
        usage_error("--workloads and --suite exclude each other");
    if (workloads_list) {
        selection_count = split_list(xstrdup(workloads_list), &selections);
        if (selection_count == 0)
            usage_error("--workloads is empty");
    } else {
        const struct suite *suite = suite_find(suite_name ? suite_name : DEFAULT_SUITE);
        if (!suite) {
            char *known = NULL;
            for (size_t i = 0; i < suite_count; i++)
                append_name(&known, suites[i].name);
            usage_error("unknown suite '%s' (known: %s)", suite_name, known);
        }
        selection_count = 0;
        while (suite->items[selection_count].selection)
            selection_count++;
        selections = xmalloc(selection_count * sizeof *selections);
        selection_threads = xmalloc(selection_count * sizeof *selection_threads);
        for (size_t i = 0; i < selection_count; i++) {
            selections[i] = (char *)suite->items[i].selection;
            selection_threads[i] = suite->items[i].threads;
        }
    }
    long long *global_threads = threads;
    size_t global_thread_count = thread_count;
    for (size_t i = 0; i < selection_count; i++) {
        threads = global_threads, thread_count = global_thread_count;
        if (!global_thread_count && selection_threads && selection_threads[i]) {
            char **items;
            thread_count = split_list(xstrdup(selection_threads[i]), &items);
            threads = xmalloc(thread_count * sizeof *threads);
            for (size_t t = 0; t < thread_count; t++)
                threads[t] = int_flag("--threads", items[t], 1, 1024);
        }
        struct bench_case *base = case_resolve(selections[i], overrides, override_count, meta.quick);
        for (size_t j = 0; j < i; j++)
            if (strcmp(selections[j], selections[i]) == 0)
                usage_error("workload '%s' is selected twice", selections[i]);
        size_t variants = base->workload->threaded && thread_count ? thread_count : 1;
        for (size_t t = 0; t < variants; t++) {
            struct bench_case *c = t == 0 ? base : case_resolve(selections[i], overrides,
                                                                override_count, meta.quick);
            c->threads = !base->workload->threaded ? 1
                         : thread_count           ? (int)threads[t]
                         : (base->workload->default_threads > 0 ? base->workload->default_threads : 1);
            meta.cases = xrealloc(meta.cases, (meta.case_count + 1) * sizeof *meta.cases);
            meta.cases[meta.case_count++] = c;
        }
    }
    for (size_t i = 0; i < override_count; i++)
        if (!overrides[i].used)
            usage_error("--param %s%s%s=%s: no selected workload has that parameter",
                        overrides[i].workload ? overrides[i].workload : "",
                        overrides[i].workload ? "." : "", overrides[i].key, overrides[i].value);

    /* Everything is valid: only now is anything written. */
    bool is_default;
    char *run_dir = make_run_dir(out, &is_default);
    const char *slash = strrchr(run_dir, '/');
    meta.run_id = slash ? slash + 1 : run_dir;
    struct run_config cfg = {.meta = meta, .run_dir = run_dir};
    char *latest = NULL;
    if (is_default) {
        latest = project_path("results/latest");
        cfg.latest_link = latest;
    }
    printf("bench: %zu backend(s) x %zu case(s) x %d rep(s) (+1 warm-up round) -> %s\n",
           meta.backend_count, meta.case_count, meta.reps, run_dir);
    return runner_run(&cfg);
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
    if (strcmp(argv[1], "run") == 0)
        return command_run(argc - 2, argv + 2, argc, argv);
    if (strcmp(argv[1], "list") == 0) {
        list_everything();
        return 0;
    }
    if (strcmp(argv[1], "summarize") == 0) {
        if (argc != 3)
            usage_error("summarize expects one run directory");
        summary_write(argv[2], stdout);
        return 0;
    }
    usage_error("unknown command '%s' (run, list, summarize)", argv[1]);
}
