/* The measured process: proves which allocator runs, runs one workload
 * sample after sample, each time the runner says so, inside its timed region,
 * and reports every sample's metrics and the run's status to the runner. */
#include "child.h"
#include "backends.h"
#include "cases.h"
#include "counters.h"
#include "latency.h"
#include "program.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bench_ctx {
    const struct bench_case *c;
    int out_fd;
    int region_state; /* 0 not begun, 1 inside, 2 ended; reset for each sample */
    uint64_t begin_ns;
    struct counters begin;
    const char *backend, *run_dir; /* run_dir: NULL when the runner gave none */
    char allocator_path[PATH_MAX]; /* as verified before the workload */
    bool no_instructions;          /* the region runs a command callgrind does not see */
};

/* ---- Reporting ---- */

/* Writes one protocol line; tabs and newlines in text become spaces. */
static void report(int fd, const char *kind, const char *a, const char *b, const char *c)
{
    char line[4096];
    int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%s", kind, a, b, c ? c : "");
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    for (int i = (int)strlen(kind) + 1; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(fd, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (int)w;
    }
}

static void report_metric(int fd, const char *name, double value, const char *unit)
{
    char text[64];
    snprintf(text, sizeof text, "%.17g", value);
    report(fd, "metric", name, text, unit);
}

_Noreturn static void end_with_status(struct bench_ctx *ctx, const char *status,
                                      const char *fmt, va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof detail, fmt, ap);
    for (char *t = detail; *t; t++)
        if (*t == '\t')
            *t = ' ';
    report(ctx->out_fd, "status", status, detail, NULL);
    _exit(CHILD_EXIT_FAILED);
}

/* ---- The workload API (harness/workload.h) ---- */

static int param_slot(const struct bench_ctx *ctx, const char *name)
{
    const struct bench_workload *w = ctx->c->workload;
    for (size_t i = 0; w->params && w->params[i].name; i++)
        if (strcmp(w->params[i].name, name) == 0)
            return (int)i;
    /* A workload asking for a parameter it did not declare is a bug in it. */
    fprintf(stderr, "bench: workload %s asked for undeclared parameter '%s'\n", w->name, name);
    abort();
}

long long bench_param_int(const struct bench_ctx *ctx, const char *name)
{
    long long v = 0;
    parse_ll(ctx->c->values[param_slot(ctx, name)], &v);
    return v;
}

const char *bench_param_str(const struct bench_ctx *ctx, const char *name)
{
    return ctx->c->values[param_slot(ctx, name)];
}

int bench_threads(const struct bench_ctx *ctx)
{
    return ctx->c->threads;
}

uint64_t bench_now_ns(void)
{
    return now_ns();
}

void bench_region_begin(struct bench_ctx *ctx)
{
    if (ctx->region_state != 0) {
        fprintf(stderr, "bench: workload %s began its timed region twice\n", ctx->c->workload->name);
        abort();
    }
    ctx->region_state = 1;
    counters_start(&ctx->begin);
    ctx->begin_ns = now_ns(); /* last, so the counters' own work is not timed */
}

void bench_region_end(struct bench_ctx *ctx)
{
    uint64_t end_ns = now_ns(); /* first, so the counters' own work is not timed */
    if (ctx->region_state != 1) {
        fprintf(stderr, "bench: workload %s ended a timed region it had not begun\n",
                ctx->c->workload->name);
        abort();
    }
    struct counter_value values[COUNTERS_MAX_VALUES];
    char why[512];
    size_t n = counters_stop(&ctx->begin, !ctx->no_instructions, values, COUNTERS_MAX_VALUES,
                             why, sizeof why);
    if (n == 0)
        bench_fail(ctx, "%s", why);
    ctx->region_state = 2;
    report_metric(ctx->out_fd, "wall_ms", (double)(end_ns - ctx->begin_ns) / 1e6, "ms");
    for (size_t i = 0; i < n; i++)
        report_metric(ctx->out_fd, values[i].name, values[i].value, values[i].unit);
}

void bench_run_threads(struct bench_ctx *ctx, int count, void *(*fn)(void *), void *jobs,
                       size_t job_size)
{
    pthread_t ids[count];
    for (int t = 0; t < count; t++)
        if (pthread_create(&ids[t], NULL, fn, (char *)jobs + (size_t)t * job_size) != 0)
            bench_fail(ctx, "pthread_create failed for thread %d of %d", t, count);
    for (int t = 0; t < count; t++)
        pthread_join(ids[t], NULL);
}

void bench_metric(struct bench_ctx *ctx, const char *name, double value, const char *unit)
{
    report_metric(ctx->out_fd, name, value, unit);
}

void bench_corrupt(struct bench_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    end_with_status(ctx, "corrupt", fmt, ap);
}

void bench_fail(struct bench_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    end_with_status(ctx, "error", fmt, ap);
}

void bench_status(struct bench_ctx *ctx, const char *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    end_with_status(ctx, status, fmt, ap);
}

/* ---- What real-program workloads need to know (harness/program.h) ---- */

const char *child_backend(const struct bench_ctx *ctx) { return ctx->backend; }
const char *child_run_dir(const struct bench_ctx *ctx) { return ctx->run_dir; }
const char *child_allocator_path(const struct bench_ctx *ctx) { return ctx->allocator_path; }
const char *child_label(const struct bench_ctx *ctx) { return ctx->c->label; }

void child_count_no_instructions(struct bench_ctx *ctx)
{
    ctx->no_instructions = true;
}

void child_report_sample_pid(struct bench_ctx *ctx, long pid)
{
    char text[32];
    snprintf(text, sizeof text, "%ld", pid);
    report(ctx->out_fd, "sample_pid", text, "", NULL);
}

/* ---- The child's main ---- */

/* Peak resident set of this process image (VmHWM), in KiB. Unlike ru_maxrss
 * it does not include the harness process this one was forked from. */
static long long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* The next command from the runner: true for "sample", with *measured set
 * (false for a warm-up sample); false for "stop" or when the runner is gone. */
static bool next_command(int fd, bool *measured)
{
    char line[64];
    size_t len = 0;
    while (len < sizeof line - 1) {
        ssize_t got = read(fd, line + len, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (strncmp(line, "sample ", 7) != 0)
        return false;
    *measured = strcmp(line + 7, "1") == 0;
    return true;
}

static void end_run(struct bench_ctx *ctx, const char *why)
{
    report(ctx->out_fd, "status", "error", why, NULL);
    _exit(CHILD_EXIT_FAILED);
}

/* ---- The runner's arguments: one table for both directions ---- */

static const struct {
    const char *flag;
    size_t offset;
    bool number;
} child_fields[] = {
    {"--backend", offsetof(struct child_args, backend), false},
    {"--lib", offsetof(struct child_args, library), false},
    {"--workload", offsetof(struct child_args, selection), false},
    {"--run-dir", offsetof(struct child_args, run_dir), false},
    {"--callgrind-dir", offsetof(struct child_args, callgrind_dir), false},
    {"--threads", offsetof(struct child_args, threads), true},
    {"--fd", offsetof(struct child_args, report_fd), true},
    {"--control-fd", offsetof(struct child_args, control_fd), true},
    {"--latency", offsetof(struct child_args, latency), true},
    {"--perf", offsetof(struct child_args, perf), true},
};
#define CHILD_FIELDS (sizeof child_fields / sizeof child_fields[0])

int child_argv(const struct child_args *a, char **argv, int argc, char numbers[][24])
{
    argv[argc++] = CHILD_SUBCOMMAND;
    for (size_t i = 0; i < CHILD_FIELDS; i++) {
        const char *field = (const char *)a + child_fields[i].offset;
        if (child_fields[i].number) {
            snprintf(numbers[i], 24, "%lld", *(const long long *)field);
            argv[argc++] = (char *)child_fields[i].flag;
            argv[argc++] = numbers[i];
        } else if (*(const char *const *)field) {
            argv[argc++] = (char *)child_fields[i].flag;
            argv[argc++] = *(char *const *)field;
        }
    }
    argv[argc] = NULL;
    return argc;
}

static void parse_child_args(int argc, char **argv, struct child_args *a)
{
    *a = (struct child_args){.threads = 1, .report_fd = -1, .control_fd = -1};
    for (int i = 0; i + 1 < argc; i += 2) {
        size_t f = 0;
        while (f < CHILD_FIELDS && strcmp(child_fields[f].flag, argv[i]) != 0)
            f++;
        if (f == CHILD_FIELDS)
            usage_error("child: unknown argument %s", argv[i]);
        char *field = (char *)a + child_fields[f].offset;
        if (child_fields[f].number)
            parse_ll(argv[i + 1], (long long *)field);
        else
            *(const char **)field = argv[i + 1];
    }
    if (argc % 2 || !a->backend || !a->selection || a->report_fd < 0 || a->control_fd < 0)
        usage_error("child: --backend, --workload, --fd and --control-fd are required, each with a value");
}

void child_main(int argc, char **argv)
{
    struct child_args args;
    parse_child_args(argc, argv, &args);
    const char *backend = args.backend, *library = args.library, *run_dir = args.run_dir;

    /* The runner passes every parameter value in the selection. */
    struct bench_case *c = case_resolve(args.selection, NULL, 0, false);
    c->threads = (int)args.threads;
    struct bench_ctx ctx = {.c = c, .out_fd = (int)args.report_fd, .backend = backend,
                            .run_dir = run_dir};

    char path[PATH_MAX], version[256], why[PATH_MAX * 3];
    if (!backend_verify(backend, library, path, sizeof path, version, sizeof version, why,
                        sizeof why)) {
        report(ctx.out_fd, "status", "preload_failed", why, NULL);
        _exit(CHILD_EXIT_FAILED);
    }
    report(ctx.out_fd, "allocator", path, version, NULL);
    snprintf(ctx.allocator_path, sizeof ctx.allocator_path, "%s", path);
    if (!counters_setup(args.perf != 0, args.callgrind_dir, why, sizeof why))
        end_run(&ctx, why);
    if (args.latency)
        latency_enable(); /* calibrates: outside the timed region */
    report(ctx.out_fd, "ready", "", "", NULL);

    bool measured;
    for (long k = 0; next_command((int)args.control_fd, &measured); k++) {
        char index[32];
        snprintf(index, sizeof index, "%ld", k);
        report(ctx.out_fd, "sample", index, measured ? "1" : "0", NULL);
        latency_sample(measured);
        ctx.region_state = 0;
        if (c->workload->run(&ctx) != 0)
            end_run(&ctx, "the workload returned a failure");
        if (ctx.region_state != 2)
            end_run(&ctx, "the workload never closed its timed region");
        report(ctx.out_fd, "sample_end", index, "", NULL);
    }
    latency_report(&ctx);
    report_metric(ctx.out_fd, "peak_rss_kib", (double)peak_rss_kib(), "KiB");
    report(ctx.out_fd, "status", "ok", "", NULL);
    /* exit, not _exit: allocator destructors and atexit handlers run, and a
     * crash there still fails the run. */
    exit(CHILD_EXIT_OK);
}
