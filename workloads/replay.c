/* replay: a recorded program's own allocation calls, replayed under the
 * backend. The trace (recorded by build/libbenchtrace.so, trace/tracer.c;
 * format in trace/format.h) is loaded and checked before the timed region;
 * the region replays every call in it: one replay thread per recorded
 * thread (recorded thread 0 on the calling thread, as it was the program's
 * main thread), each in its recorded order, and an operation on a block
 * that another thread used last waits until that thread's operation is done
 * (so a block freed by another thread is freed only after it was made).
 * Every block made is tagged in its first 8 bytes and written once in each
 * further page it spans, so its memory is really used; the tag is checked
 * at realloc (the contents must move with the block), malloc_usable_size
 * and free, and calloc's bytes are checked to be zero where written.
 * Metrics: ops (operations replayed), checksum (of the operations and the
 * tags read back: equal on every replay of one trace, under every backend),
 * ns_per_op, threads, cross_thread_ops, peak_live_kib (of the bytes asked
 * for, in the recorded order). The blocks the program never freed are
 * checked and freed after the region, so the region could run again from a
 * clean state. What replay does not capture: README.md, "Trace record and
 * replay".
 * Parameters: trace (python, gcc, sqlite, xz: the committed traces of the
 * program workloads, recorded by trace/record.sh; file: the trace at the
 * absolute path in $BENCH_REPLAY_FILE).
 * Design: the trace-driven evaluations of the allocator literature (e.g.
 * Zorn and Grunwald, 1994), written from their description. */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../harness/tracefile.h"
#include "../harness/workload.h"
#include "../trace/load.h"

#define FILE_ENV "BENCH_REPLAY_FILE"

static const struct bench_param params[] = {
    {"trace", "sqlite", NULL, 0, 0, "python|gcc|sqlite|xz|file",
     "recorded program, or file: the trace at $" FILE_ENV},
    {0},
};

/* One block of the trace, by id. */
struct slot {
    unsigned char *p;
    uint64_t size, tag;
    uint32_t owner;        /* the replay thread that made (or last moved) it */
    _Atomic uint32_t done; /* 1 + seq of the latest operation done on it */
};

struct worker {
    struct replay *r;
    uint32_t thread;
    pthread_t id;
    uint64_t ops, sum; /* operations done, their checksum */
};

struct replay {
    struct bench_ctx *ctx;
    struct trace trace;
    struct slot *slots;
    struct worker *workers;
    size_t slots_bytes, workers_bytes, page;
};

/* ---- Blocks: tag, touch, check ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static size_t tag_len(uint64_t size)
{
    return size < 8 ? (size_t)size : 8;
}

/* Writes one byte in each page the block spans after its tag; with `zeroed`
 * (calloc) each of those bytes must still be zero. False when one was not. */
static bool touch(const struct replay *r, unsigned char *p, uint64_t size, bool zeroed)
{
    uintptr_t first = ((uintptr_t)p + tag_len(size) + r->page - 1) & ~(uintptr_t)(r->page - 1);
    for (unsigned char *q = (unsigned char *)first; q < p + size; q += r->page) {
        if (zeroed && *q)
            return false;
        *q = 0xa5;
    }
    return true;
}

static void check(const struct replay *r, const struct slot *s, const struct trace_op *op)
{
    if (s->p && memcmp(s->p, &s->tag, tag_len(s->size)) != 0)
        bench_corrupt(r->ctx, "block %u (%llu bytes) changed before operation %u (%s)", op->id,
                      (unsigned long long)s->size, op->seq, trace_kind_name(op->kind));
}

/* ---- One operation ---- */

static void *make(const struct replay *r, struct bench_lat *lat, const struct trace_op *op)
{
    size_t size = (size_t)op->size, align = (size_t)1 << op->align_shift;
    void *p = NULL;
    switch (op->kind) {
    case TRACE_MALLOC:
        return bench_malloc(lat, size);
    case TRACE_CALLOC:
        return calloc(1, size);
    case TRACE_ALIGNED_ALLOC:
        return aligned_alloc(align, size);
    case TRACE_PVALLOC: /* pvalloc rounds the size up to whole pages */
        size = (size + r->page - 1) & ~(r->page - 1);
        /* fall through */
    default: /* posix_memalign, memalign, valloc: one aligned path */
        return posix_memalign(&p, align, size) == 0 ? p : NULL;
    }
}

static void made(struct replay *r, struct worker *w, struct slot *s, const struct trace_op *op,
                 unsigned char *p)
{
    if (!p && op->size)
        bench_fail(r->ctx, "%s(%llu) returned NULL (operation %u)", trace_kind_name(op->kind),
                   (unsigned long long)op->size, op->seq);
    if (trace_kind_aligned(op->kind) && ((uintptr_t)p & (((uintptr_t)1 << op->align_shift) - 1)))
        bench_fail(r->ctx, "%s with alignment %llu returned %p (operation %u)",
                   trace_kind_name(op->kind), 1ull << op->align_shift, (void *)p, op->seq);
    if (!s->p)
        s->tag = mix((uint64_t)op->id << 32 | op->seq);
    s->p = p;
    s->size = op->size;
    s->owner = w->thread;
    if (!p)
        return;
    bool zeroed = op->kind == TRACE_CALLOC;
    bool zero_held = touch(r, p, op->size, zeroed) &&
                     (!zeroed || memcmp(p, (const uint64_t[]){0}, tag_len(op->size)) == 0);
    memcpy(p, &s->tag, tag_len(op->size));
    if (!zero_held)
        bench_corrupt(r->ctx, "calloc(%llu) returned a block that is not zero (operation %u)",
                      (unsigned long long)op->size, op->seq);
}

/* Does one operation; returns its share of the checksum. */
static uint64_t perform(struct replay *r, struct worker *w, struct bench_lat *lat,
                        const struct trace_op *op)
{
    struct slot *s = &r->slots[op->id];
    uint64_t h = mix((uint64_t)op->seq << 8 | op->kind) ^ mix(op->size + 1);
    switch (op->kind) {
    case TRACE_FREE:
        check(r, s, op);
        bench_free_kind(lat, s->p, s->owner == w->thread ? BENCH_LAT_FREE : BENCH_LAT_FREE_REMOTE);
        s->p = NULL;
        return h ^ s->tag;
    case TRACE_USABLE_SIZE: {
        check(r, s, op);
        volatile size_t usable = malloc_usable_size(s->p);
        (void)usable;
        return h ^ s->tag;
    }
    case TRACE_REALLOC: {
        /* A live block's contents must move with it (as far as both sizes
         * reach); realloc(NULL, n) makes a new block. */
        uint64_t keep = s->p ? (s->size < op->size ? s->size : op->size) : 0;
        uint64_t was = s->p ? s->tag : 0;
        check(r, s, op);
        unsigned char *q = bench_realloc(lat, s->p, (size_t)op->size);
        if (q && memcmp(q, &s->tag, tag_len(keep)) != 0)
            bench_corrupt(r->ctx, "realloc of block %u to %llu bytes lost its contents "
                          "(operation %u)", op->id, (unsigned long long)op->size, op->seq);
        if (!q && op->size == 0) /* realloc(p, 0) may free p */
            s->p = NULL;
        else
            made(r, w, s, op, q);
        return h ^ was;
    }
    default:
        made(r, w, s, op, make(r, lat, op));
        return h;
    }
}

/* ---- Threads ---- */

static void replay_thread(struct worker *w)
{
    struct replay *r = w->r;
    const struct trace_thread *th = &r->trace.thread[w->thread];
    struct bench_lat *lat = bench_lat_recorder(r->ctx);
    for (uint64_t i = 0; i < th->count; i++) {
        const struct trace_op *op = &th->ops[i];
        struct slot *s = &r->slots[op->id];
        /* Another thread did the previous operation on this block: wait
         * for it (a spin that yields, as the wait is usually short). */
        for (unsigned spins = 0;
             op->after && atomic_load_explicit(&s->done, memory_order_acquire) != op->after;)
            if (++spins % 64 == 0)
                sched_yield();
        w->sum += perform(r, w, lat, op);
        atomic_store_explicit(&s->done, op->seq + 1, memory_order_release);
    }
    w->ops = th->count;
}

static void *thread_main(void *arg)
{
    replay_thread(arg);
    return NULL;
}

/* ---- Setup, the timed body, reset ---- */

static void *map_or_fail(struct bench_ctx *ctx, size_t bytes, const char *what)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        bench_fail(ctx, "no memory for the replay's %s (%zu bytes)", what, bytes);
    return p;
}

/* Loads the trace and maps the slots and workers (never from the allocator
 * under test, which sees only the replayed calls). */
static void replay_setup(struct bench_ctx *ctx, struct replay *r)
{
    const char *name = bench_param_str(ctx, "trace"), *path;
    if (strcmp(name, "file") == 0) {
        path = getenv(FILE_ENV);
        if (!path || path[0] != '/')
            bench_fail(ctx, "trace=file needs %s set to an absolute path (it is %s)", FILE_ENV,
                       path ? path : "unset");
    } else {
        path = bench_trace_file(ctx, name);
    }
    char why[512];
    *r = (struct replay){.ctx = ctx, .page = (size_t)sysconf(_SC_PAGESIZE)};
    if (trace_load(path, &r->trace, why, sizeof why) != 0)
        bench_fail(ctx, "trace %s: %s", path, why);
    r->slots_bytes = (r->trace.ids ? r->trace.ids : 1) * sizeof *r->slots;
    r->workers_bytes = (r->trace.threads ? r->trace.threads : 1) * sizeof *r->workers;
    r->slots = map_or_fail(ctx, r->slots_bytes, "blocks");
    r->workers = map_or_fail(ctx, r->workers_bytes, "threads");
}

/* Replays every operation; starts and ends with no replayed block live
 * other than those the program left. */
static void replay_body(struct replay *r)
{
    uint32_t n = r->trace.threads;
    for (uint32_t t = 0; t < n; t++)
        r->workers[t] = (struct worker){.r = r, .thread = t};
    for (uint32_t t = 1; t < n; t++)
        if (pthread_create(&r->workers[t].id, NULL, thread_main, &r->workers[t]) != 0)
            bench_fail(r->ctx, "cannot start replay thread %u of %u", t, n);
    if (n)
        replay_thread(&r->workers[0]);
    for (uint32_t t = 1; t < n; t++)
        pthread_join(r->workers[t].id, NULL);
}

/* Checks and frees the blocks the program never freed, and clears every
 * slot: the state replay_body starts from. */
static void replay_reset(struct replay *r)
{
    for (uint32_t id = 0; id < r->trace.ids; id++) {
        struct slot *s = &r->slots[id];
        if (s->p && memcmp(s->p, &s->tag, tag_len(s->size)) != 0)
            bench_corrupt(r->ctx, "block %u (%llu bytes), never freed by the program, changed",
                          id, (unsigned long long)s->size);
        free(s->p);
    }
    memset(r->slots, 0, r->slots_bytes);
}

static int run(struct bench_ctx *ctx)
{
    struct replay r;
    replay_setup(ctx, &r);
    bench_region_begin(ctx);
    uint64_t t0 = bench_now_ns();
    replay_body(&r);
    uint64_t ns = bench_now_ns() - t0;
    bench_region_end(ctx);
    replay_reset(&r);

    uint64_t ops = 0, sum = 0;
    for (uint32_t t = 0; t < r.trace.threads; t++) {
        ops += r.workers[t].ops;
        sum += r.workers[t].sum; /* a sum: the same whatever the interleaving */
    }
    bench_metric(ctx, "ops", (double)ops, "count");
    /* Six digits: the metric's printed precision. */
    bench_metric(ctx, "checksum", (double)(mix(sum) % 1000000), "count");
    bench_metric(ctx, "ns_per_op", ops ? (double)ns / (double)ops : 0, "ns");
    bench_metric(ctx, "threads", r.trace.threads, "count");
    bench_metric(ctx, "cross_thread_ops", (double)r.trace.cross_thread, "count");
    bench_metric(ctx, "peak_live_kib", (double)r.trace.peak_live_bytes / 1024, "KiB");
    munmap(r.slots, r.slots_bytes);
    munmap(r.workers, r.workers_bytes);
    trace_unload(&r.trace);
    return 0;
}

BENCH_WORKLOAD(replay, .summary = "replays a recorded program's allocation trace (trace/), one thread per recorded thread",
               .params = params, .repeatable = true, .suites = "library:trace=python library:trace=sqlite library:trace=gcc library:trace=xz", .tiny = "trace=sqlite",
               .run = run);
