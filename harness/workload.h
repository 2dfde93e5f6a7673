/* The contract between a workload and the harness: everything a file in
 * workloads/ needs, and nothing else. A workload declares its parameters and a
 * run function, registers itself with BENCH_WORKLOAD, and is found by the
 * harness with no edit anywhere else (the registration lands in a linker
 * section that the harness walks). See workloads/README.md for a template.
 *
 * Where each part is implemented: parameters, measurement, threads and
 * endings in child.c (the measured process); bench_rss_kib in timeline.c;
 * the latency recorders in latency.c; real programs in program.c; the
 * helpers below are inline here. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct bench_ctx; /* owned by the harness; one per measured run */

/* One parameter a workload accepts. Integer parameters have bounds; choice
 * parameters have a '|'-separated list of allowed values. Every parameter has
 * a default and may have a smaller value used by --quick. */
struct bench_param {
    const char *name;
    const char *default_value;
    const char *quick_value; /* NULL: --quick keeps the default */
    long long min, max;      /* integer parameters */
    const char *choices;     /* non-NULL makes it a choice parameter */
    const char *help;
};

struct bench_workload {
    const char *name;
    const char *summary;             /* one line for `bench list` */
    const struct bench_param *params; /* terminated by an entry with name NULL */
    /* A threaded workload runs once per --threads value (default_threads when
     * none is given); the others always run with one thread. */
    bool threaded;
    int default_threads;
    /* true: run() may be called many times in one process, each call one
     * sample that does exactly what the workload's definition says, from the
     * same starting state (it frees what it allocated). The harness then
     * samples it until --min-time of measured samples is reached, after
     * --warmup-samples warm-up calls, and the process's value of each metric
     * is the median over its measured samples. false (real programs,
     * fixed-duration workloads): run() is called once per process. */
    bool repeatable;
    /* The suites the workload belongs to, as items separated by spaces, each
     * SUITE[:key=value...][@threads]: "library", "article
     * article:max_size=65536", "library@1,2,4,8". The suite `full` unites
     * article, library and programs; a workload that names `full` itself
     * (e.g. "article full@1,2,4,8") uses those items there instead. NULL or
     * "": in no suite (run it with --workloads). */
    const char *suites;
    /* The parameters of its tiny form, which the tests run ("count=2000",
     * "" when the defaults are tiny already). Every workload has one. */
    const char *tiny;
    /* Returns 0 on success. Must call bench_region_begin/end exactly once
     * around the timed part. */
    int (*run)(struct bench_ctx *ctx);
};

/* Registers a workload. `id` must be a C identifier; it is also the name
 * users select it by. */
#define BENCH_WORKLOAD(id, ...)                                                \
    static const struct bench_workload bench_workload_##id = {                 \
        .name = #id, __VA_ARGS__};                                             \
    static const struct bench_workload *const bench_workload_ptr_##id          \
        __attribute__((used, section("bench_workloads"))) = &bench_workload_##id

/* ---- Parameters (already validated by the harness) ---- */
long long bench_param_int(const struct bench_ctx *ctx, const char *name);
const char *bench_param_str(const struct bench_ctx *ctx, const char *name);
int bench_threads(const struct bench_ctx *ctx);

/* ---- Measurement ----
 * The timed region: wall_ms, user_ms, sys_ms, minor_faults, major_faults,
 * voluntary_ctx_switches, involuntary_ctx_switches (and instructions or
 * hardware counters when measured) cover only what lies between these two
 * calls; setup and teardown stay outside. Once per call of run(). */
void bench_region_begin(struct bench_ctx *ctx);
void bench_region_end(struct bench_ctx *ctx);
/* An extra metric of this sample (e.g. the batch workload's alloc_ms); like
 * the region's own metrics, the process reports the median over its
 * measured samples. */
void bench_metric(struct bench_ctx *ctx, const char *name, double value,
                  const char *unit);
/* Monotonic clock in nanoseconds, for workloads that time phases. */
uint64_t bench_now_ns(void);

/* Runs fn(&jobs[t]) on `count` new threads (jobs is an array of `count`
 * elements of job_size bytes) and waits for all of them; fails the run when a
 * thread cannot be started. */
void bench_run_threads(struct bench_ctx *ctx, int count, void *(*fn)(void *), void *jobs,
                       size_t job_size);

/* ---- Failure ----
 * A content check failed: the allocator corrupted memory. The run ends with
 * status `corrupt` and no timing is recorded. */
_Noreturn void bench_corrupt(struct bench_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Anything else that went wrong (e.g. malloc returned NULL): status `error`. */
_Noreturn void bench_fail(struct bench_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Helpers every workload may use ---- */

/* xorshift64*: small, fast, and the same sequence on every machine. */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform integer in [lo, hi]. */
static inline uint64_t bench_rand_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
    return lo + bench_rand(state) % (hi - lo + 1);
}

/* The content pattern: 8-byte words derived from the block's address, its
 * size and the word's index, so a block that overlaps another or was moved
 * without its contents fails the check. Word-wise, so that filling and
 * checking a small block costs a few nanoseconds and does not drown the
 * allocator's own cost in the workloads that check every block. */
static inline uint64_t bench_pattern_word(const void *block, size_t size, size_t word)
{
    uint64_t x = (uint64_t)(uintptr_t)block * 0x9E3779B97F4A7C15ull;
    x ^= (uint64_t)size * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)word * 0x165667B19E3779F9ull;
    return x ^ (x >> 29);
}

/* Byte `offset` of the pattern, for workloads that write or check a sample. */
static inline unsigned char bench_pattern_byte(const void *block, size_t size, size_t offset)
{
    return (unsigned char)(bench_pattern_word(block, size, offset / 8) >> (8 * (offset % 8)));
}

static inline void bench_fill(void *block, size_t size)
{
    unsigned char *p = block;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w = bench_pattern_word(block, size, i / 8);
        __builtin_memcpy(p + i, &w, 8);
    }
    for (; i < size; i++)
        p[i] = bench_pattern_byte(block, size, i);
}

/* Returns the offset of the first wrong byte, or `size` when all are right. */
static inline size_t bench_check(const void *block, size_t size)
{
    const unsigned char *p = block;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w = bench_pattern_word(block, size, i / 8), got;
        __builtin_memcpy(&got, p + i, 8);
        if (got != w)
            break; /* the byte loop below finds which byte */
    }
    for (; i < size; i++)
        if (p[i] != bench_pattern_byte(block, size, i))
            return i;
    return size;
}

/* The two checks every workload makes. A malloc that returned NULL ends the
 * run `error`, naming the size: p = bench_need(ctx, malloc(size), size).
 * A block whose content pattern changed ends it `corrupt`, naming the byte
 * (and `where`, e.g. "on its way to the consumer", or NULL). The payload
 * checked must not hold the workload's own pointers: a node that keeps its
 * links in the checked bytes crashes on a corrupting allocator instead of
 * reporting `corrupt`; keep links in a header outside the pattern. */
static inline void *bench_need(struct bench_ctx *ctx, void *p, size_t size)
{
    if (__builtin_expect(p == NULL, 0))
        bench_fail(ctx, "allocating %zu bytes returned NULL", size);
    return p;
}

static inline void bench_verify(struct bench_ctx *ctx, const void *block, size_t size,
                                const char *where)
{
    size_t bad = bench_check(block, size);
    if (__builtin_expect(bad != size, 0))
        bench_corrupt(ctx, "byte %zu of a %zu-byte block changed%s%s", bad, size,
                      where ? " " : "", where ? where : "");
}

/* ---- More endings ----
 * Ends the run with any status of results.csv (e.g. `missing` when a real
 * program is not installed); bench_corrupt and bench_fail are the common two. */
_Noreturn void bench_status(struct bench_ctx *ctx, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Memory ----
 * Resident set of this process now, in KiB (from /proc/self/statm); -1 when
 * unreadable. For workloads that report memory after each phase. */
long long bench_rss_kib(void);

/* ---- Per-operation latency (`bench run --latency`) ----
 * A workload that times operations takes one recorder per thread with
 * bench_lat_recorder (NULL when --latency is off) and makes its calls through
 * bench_malloc / bench_free / bench_free_remote / bench_realloc. With a NULL
 * recorder they are the plain call (one predictable branch); with a recorder
 * each call is timed with the cycle counter and counted. The harness reports
 * malloc_p50_ns, _p90_ns, _p99_ns, _p999_ns, _p9999_ns, _max_ns and the same for free,
 * free_remote and realloc (the kinds that saw any call), the timer's own
 * overhead subtracted. Recorders are not taken from the allocator under test. */
enum bench_lat_kind {
    BENCH_LAT_MALLOC,
    BENCH_LAT_FREE,        /* a free of a block this thread allocated */
    BENCH_LAT_FREE_REMOTE, /* a free of a block another thread allocated */
    BENCH_LAT_REALLOC,
    BENCH_LAT_KINDS
};
struct bench_lat;
/* Thread-safe; call once in each thread that times, outside its hot loop. */
struct bench_lat *bench_lat_recorder(struct bench_ctx *ctx);
/* Adds one sample of `ticks` counter ticks (not thread-safe: one recorder per thread). */
void bench_lat_add(struct bench_lat *r, enum bench_lat_kind kind, uint64_t ticks);

/* The cycle counter: rdtsc fenced so the timed call cannot drift across it;
 * elsewhere the monotonic clock. The harness calibrates it. */
static inline uint64_t bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
    uint64_t t = __builtin_ia32_rdtsc();
    __builtin_ia32_lfence();
    return t;
#else
    return bench_now_ns();
#endif
}

static inline void *bench_malloc(struct bench_lat *r, size_t size)
{
    if (!r)
        return malloc(size);
    uint64_t t0 = bench_ticks();
    void *p = malloc(size);
    bench_lat_add(r, BENCH_LAT_MALLOC, bench_ticks() - t0);
    return p;
}

static inline void bench_free_kind(struct bench_lat *r, void *p, enum bench_lat_kind kind)
{
    if (!r) {
        free(p);
        return;
    }
    uint64_t t0 = bench_ticks();
    free(p);
    bench_lat_add(r, kind, bench_ticks() - t0);
}

static inline void bench_free(struct bench_lat *r, void *p)
{
    bench_free_kind(r, p, BENCH_LAT_FREE);
}

static inline void bench_free_remote(struct bench_lat *r, void *p)
{
    bench_free_kind(r, p, BENCH_LAT_FREE_REMOTE);
}

static inline void *bench_realloc(struct bench_lat *r, void *p, size_t size)
{
    if (!r)
        return realloc(p, size);
    uint64_t t0 = bench_ticks();
    void *q = realloc(p, size);
    bench_lat_add(r, BENCH_LAT_REALLOC, bench_ticks() - t0);
    return q;
}

/* ---- Misuse cases (workloads/sec_*.c; harness/misuse.c) ----
 * run() returns bench_misuse_run(ctx, body): the body runs in a forked
 * grandchild under the same allocator and marks its phases; how the
 * allocator reacted becomes the run's metrics detected, crashed_later,
 * silent, timeout (exactly one is 1), signal, exit_code, diagnostic,
 * corrupted, refused and last_mark (README.md, "Security suite"). The
 * status stays ok. */
enum bench_misuse_mark {
    BENCH_MISUSE_NEXT,    /* the misuse comes next */
    BENCH_MISUSE_AFTER,   /* it is done; the follow-up comes next */
    BENCH_MISUSE_REFUSED, /* the allocator refused the bad request (NULL, an error code) */
    BENCH_MISUSE_SPREAD,  /* the follow-up found corrupted state; `what` says which */
};
int bench_misuse_run(struct bench_ctx *ctx, void (*body)(void));
void bench_misuse_mark(enum bench_misuse_mark mark, const char *what);
/* p, from where the compiler cannot follow it (no warning, no folding). */
void *bench_misuse_hide(void *p);
/* Memory the case still uses (a live block, a stack or static array, a
 * foreign mapping): filled with a constant byte, so that what an allocator
 * reads there is the same in every process, and remembered (at most 4). */
void bench_misuse_keep(void *p, size_t size);
/* A private mapping the allocator never gave out (as another allocator's
 * memory), kept as above. */
void *bench_misuse_foreign(size_t size);
/* The usual follow-up: 256 KiB of mallocs of `size` (4 to 4096 of them),
 * filled and checked; marks SPREAD when one is NULL, misaligned, overlaps
 * another or kept memory, or when a block's or kept memory's content
 * changed; then frees them. */
void bench_misuse_churn(size_t size);
/* The overflow cases' body: 16 blocks of `size`, every other one freed first
 * when free_neighbours; the misuse: `by` bytes past the 9th changed, then the
 * blocks freed; the follow-up: bench_misuse_churn(size). */
void bench_misuse_overflow(size_t size, size_t by, bool free_neighbours);

/* ---- Real programs ----
 * A workload that times a whole external command under the backend (see
 * harness/program.h and workloads/prog_*.c). argv[0] is looked up in
 * /usr/bin, then PATH; an argument starting with '@' names a file in
 * workloads/programs/ (e.g. "@alloc_heavy.py"). The command runs with the
 * backend preloaded plus build/libbenchprobe.so, which reports from inside
 * every process of the command which library its malloc resolves to; the
 * run ends `preload_failed` when any process used another allocator,
 * `missing` when the command is not installed (naming `package`), `crashed`
 * or `error` when the command dies or exits non-zero, and `corrupt` when its
 * standard output differs from the output of the same command under glibc
 * (made once per run directory and kept in it, under programs/). The timed
 * region is the whole command, from fork to its exit. */
struct bench_program {
    const char *const *argv; /* NULL-terminated */
    const char *package;     /* Debian package that provides argv[0] */
    const char *stdin_file;  /* '@name' or an absolute path; NULL: /dev/null */
    /* A further command that argv runs (a script's real subject, e.g. git),
     * looked up and reported `missing` like argv[0]; NULL: none. */
    const char *needs, *needs_package;
};
void bench_program_run(struct bench_ctx *ctx, const struct bench_program *prog);
/* Absolute path of a file in workloads/programs/ (static buffer). */
const char *bench_program_file(struct bench_ctx *ctx, const char *name);
/* The run directory's programs/ folder, for inputs a workload generates
 * (static buffer; created on first use). */
const char *bench_program_dir(struct bench_ctx *ctx);
/* An input the workload generates: programs/<name>, made by make(ctx, path,
 * arg) the first time a run of this run directory asks for it (setup, not
 * timed), under a temporary name that is then renamed, so that no run ever
 * sees half an input. It may make a file or a whole directory, and ends the
 * run with bench_fail when it cannot. Returns the input's path (static
 * buffer, overwritten by the next call). */
const char *bench_program_input(struct bench_ctx *ctx, const char *name,
                                void (*make)(struct bench_ctx *ctx, const char *path,
                                             const void *arg),
                                const void *arg);

/* ---- Servers ----
 * A workload that measures a server (see harness/server.c and
 * workloads/prog_redis.c). The server runs in the foreground under the
 * backend plus the probe, verified inside as a program is, bound to a free
 * port of 127.0.0.1: "{port}" in any argument of argv or client becomes that
 * port. Once it accepts connections, the load client runs WITHOUT the
 * backend (plain glibc, none of the backend's settings); the timed region is
 * the client's run. Then the server gets SIGTERM and must exit 0 within 10
 * s, its port must be free and no process the workload started may be left.
 * The run ends `crashed` when the server dies before it is stopped (its pid
 * and port in the detail), `error` when the client fails or the server
 * exits before accepting, `missing` when either program is not installed.
 * The program_* metrics are the server's. Returns the path of the client's
 * standard output (static buffer), from which the workload reads the
 * client's figures (e.g. requests per second) and reports them with
 * bench_metric. */
struct bench_server {
    const char *const *argv;   /* the server, NULL-terminated */
    const char *package;       /* Debian package that provides argv[0] */
    const char *const *client; /* the load client, NULL-terminated */
    const char *client_package;
};
const char *bench_server_run(struct bench_ctx *ctx, const struct bench_server *server);

#endif
