/* The measured process: proves which allocator runs, runs one workload once
 * inside its timed region, and reports metrics and status to the runner. */
#include "child.h"
#include "backends.h"
#include "cases.h"
#include "latency.h"
#include "program.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct bench_ctx {
    const struct bench_case *c;
    int out_fd;
    int region_state; /* 0 not begun, 1 inside, 2 ended */
    uint64_t begin_ns;
    struct rusage begin_usage;
    const char *backend, *run_dir; /* run_dir: NULL when the runner gave none */
    char allocator_path[PATH_MAX]; /* as verified before the workload */
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
    snprintf(text, sizeof text, "%.6g", value);
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
    getrusage(RUSAGE_SELF, &ctx->begin_usage);
    ctx->begin_ns = now_ns(); /* last, so the rusage call is not timed */
}

static double tv_ms(struct timeval a, struct timeval b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_usec - a.tv_usec) / 1e3;
}

void bench_region_end(struct bench_ctx *ctx)
{
    uint64_t end_ns = now_ns(); /* first, so the rusage call is not timed */
    struct rusage end_usage;
    getrusage(RUSAGE_SELF, &end_usage);
    if (ctx->region_state != 1) {
        fprintf(stderr, "bench: workload %s ended a timed region it had not begun\n",
                ctx->c->workload->name);
        abort();
    }
    ctx->region_state = 2;
    report_metric(ctx->out_fd, "wall_ms", (double)(end_ns - ctx->begin_ns) / 1e6, "ms");
    report_metric(ctx->out_fd, "user_ms", tv_ms(ctx->begin_usage.ru_utime, end_usage.ru_utime), "ms");
    report_metric(ctx->out_fd, "sys_ms", tv_ms(ctx->begin_usage.ru_stime, end_usage.ru_stime), "ms");
    report_metric(ctx->out_fd, "minor_faults",
                  (double)(end_usage.ru_minflt - ctx->begin_usage.ru_minflt), "count");
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

void child_main(int argc, char **argv)
{
    const char *backend = NULL, *library = NULL, *selection = NULL, *run_dir = NULL;
    long long threads = 1, fd = -1, latency = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            usage_error("child: %s needs a value", arg);
        i++;
        if (strcmp(arg, "--backend") == 0) {
            backend = val;
        } else if (strcmp(arg, "--lib") == 0) {
            library = val;
        } else if (strcmp(arg, "--workload") == 0) {
            selection = val;
        } else if (strcmp(arg, "--threads") == 0) {
            parse_ll(val, &threads);
        } else if (strcmp(arg, "--fd") == 0) {
            parse_ll(val, &fd);
        } else if (strcmp(arg, "--run-dir") == 0) {
            run_dir = val;
        } else if (strcmp(arg, "--latency") == 0) {
            parse_ll(val, &latency);
        } else {
            usage_error("child: unknown argument %s", arg);
        }
    }
    if (!backend || !selection || fd < 0)
        usage_error("child: --backend, --workload and --fd are required");

    /* The runner passes every parameter value in the selection. */
    struct bench_case *c = case_resolve(selection, NULL, 0, false);
    c->threads = (int)threads;
    struct bench_ctx ctx = {.c = c, .out_fd = (int)fd, .backend = backend, .run_dir = run_dir};

    char path[PATH_MAX], version[256], why[PATH_MAX * 3];
    if (!backend_verify(backend, library, path, sizeof path, version, sizeof version, why,
                        sizeof why)) {
        report(ctx.out_fd, "status", "preload_failed", why, NULL);
        _exit(CHILD_EXIT_FAILED);
    }
    report(ctx.out_fd, "allocator", path, version, NULL);
    snprintf(ctx.allocator_path, sizeof ctx.allocator_path, "%s", path);
    if (latency)
        latency_enable(); /* calibrates: outside the timed region */

    int rc = c->workload->run(&ctx);
    if (rc != 0) {
        report(ctx.out_fd, "status", "error", "the workload returned a failure", NULL);
        _exit(CHILD_EXIT_FAILED);
    }
    if (ctx.region_state != 2) {
        report(ctx.out_fd, "status", "error", "the workload never closed its timed region", NULL);
        _exit(CHILD_EXIT_FAILED);
    }
    latency_report(&ctx);
    report_metric(ctx.out_fd, "peak_rss_kib", (double)peak_rss_kib(), "KiB");
    report(ctx.out_fd, "status", "ok", "", NULL);
    /* exit, not _exit: allocator destructors and atexit handlers run, and a
     * crash there still fails the run. */
    exit(CHILD_EXIT_OK);
}
