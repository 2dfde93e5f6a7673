/* The contract between a workload and the harness: everything a file in
 * workloads/ needs, and nothing else. A workload declares its parameters and a
 * run function, registers itself with BENCH_WORKLOAD, and is found by the
 * harness with no edit anywhere else (the registration lands in a linker
 * section that the harness walks). See workloads/README.md for a template. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * The timed region: wall_ms, user_ms, sys_ms and minor_faults cover only what
 * lies between these two calls; setup and teardown stay outside. */
void bench_region_begin(struct bench_ctx *ctx);
void bench_region_end(struct bench_ctx *ctx);
/* An extra metric of this run (e.g. the batch workload's alloc_ms). */
void bench_metric(struct bench_ctx *ctx, const char *name, double value,
                  const char *unit);
/* Monotonic clock in nanoseconds, for workloads that time phases. */
uint64_t bench_now_ns(void);

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

/* The content pattern: a byte derived from the block's address, its size and
 * the offset, so a block that overlaps another or was moved without its
 * contents fails the check. */
static inline unsigned char bench_pattern_byte(const void *block, size_t size,
                                               size_t offset)
{
    uintptr_t a = (uintptr_t)block;
    return (unsigned char)((a >> 4) ^ (a >> 12) ^ size ^ (size >> 8) ^ offset ^
                           (offset >> 8) ^ 0x5a);
}

static inline void bench_fill(void *block, size_t size)
{
    unsigned char *p = block;
    for (size_t i = 0; i < size; i++)
        p[i] = bench_pattern_byte(block, size, i);
}

/* Returns the offset of the first wrong byte, or `size` when all are right. */
static inline size_t bench_check(const void *block, size_t size)
{
    const unsigned char *p = block;
    for (size_t i = 0; i < size; i++)
        if (p[i] != bench_pattern_byte(block, size, i))
            return i;
    return size;
}

#endif
