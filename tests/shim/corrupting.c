/* build/tests/libcorrupting.so: a test-only "allocator" that corrupts memory
 * on purpose, so tests/test_workloads.sh can check that every workload's
 * content checks catch it (status `corrupt`). It wraps glibc's own malloc
 * (__libc_malloc and friends) and, once the measured child has reported its
 * allocator to the runner (the "allocator" line of harness/child.h: the
 * workload starts next), so the harness's own setup is left alone:
 *   mode "prev" (default): each malloc flips the first byte of the block the
 *     previous malloc returned, if that block is still live; each realloc
 *     flips the first byte of the block it returns;
 *   mode "overlap": mallocs of up to 64 bytes return overlapping pieces of
 *     one static arena (free ignores them), as an allocator that hands one
 *     piece of memory to two owners would; two threads' mallocs are paired
 *     (the first spins up to 50 ms for the second), so both owners use the
 *     overlapping pieces at the same time.
 * Set the mode with BENCH_CORRUPT_MODE. Never built into anything else. */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern ssize_t __write(int, const void *, size_t);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *last;
static _Atomic unsigned long calls;
static _Atomic int active;
static int overlap;
static _Alignas(64) unsigned char arena[4096];
static int waiting;       /* a thread waits for its partner */
static unsigned long pairs;

__attribute__((constructor)) static void setup(void)
{
    const char *m = getenv("BENCH_CORRUPT_MODE");
    overlap = m && strcmp(m, "overlap") == 0;
}

static int in_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

/* The child's report line "allocator\t..." says the workload starts now. */
ssize_t write(int fd, const void *buf, size_t n)
{
    if (n >= 10 && memcmp(buf, "allocator\t", 10) == 0)
        active = 1;
    return __write(fd, buf, n);
}

const char *corrupting_version(void)
{
    return "corrupting test shim";
}

void *malloc(size_t n)
{
    unsigned long k = atomic_fetch_add(&calls, 1);
    if (!active)
        return __libc_malloc(n);
    if (overlap) {
        if (n > 64)
            return __libc_malloc(n);
        /* Pair this malloc with one from another thread: the pair gets two
         * pieces one byte apart and leaves malloc together (a spinning
         * rendezvous, so neither is still asleep when the other writes). */
        pthread_mutex_lock(&lock);
        unsigned long pair = pairs;
        unsigned char *p = arena + 64 + (pair % 8) * 128;
        if (waiting) {
            waiting = 0;
            pairs++;
            pthread_mutex_unlock(&lock);
            p += 1;
        } else {
            waiting = 1;
            pthread_mutex_unlock(&lock);
            struct timespec t0, t;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (;;) {
                pthread_mutex_lock(&lock);
                bool paired = pairs != pair;
                if (!paired) {
                    clock_gettime(CLOCK_MONOTONIC, &t);
                    if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 50000000L) {
                        waiting = 0; /* no partner came: go on alone */
                        pairs++;
                        paired = true;
                    }
                }
                pthread_mutex_unlock(&lock);
                if (paired)
                    break;
                sched_yield();
            }
        }
        (void)k;
        return p;
    }
    unsigned char *p = __libc_malloc(n);
    pthread_mutex_lock(&lock);
    if (last)
        last[0] ^= 0x55;
    last = n ? p : NULL;
    pthread_mutex_unlock(&lock);
    return p;
}

void free(void *p)
{
    if (!p || in_arena(p))
        return;
    pthread_mutex_lock(&lock);
    if (p == last)
        last = NULL;
    pthread_mutex_unlock(&lock);
    __libc_free(p);
}

void *calloc(size_t n, size_t m)
{
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    if (in_arena(p)) {
        unsigned char *q = __libc_malloc(n);
        if (q)
            memcpy(q, p, n < 64 ? n : 64);
        return q;
    }
    pthread_mutex_lock(&lock);
    if (p && p == last)
        last = NULL;
    pthread_mutex_unlock(&lock);
    unsigned char *q = __libc_realloc(p, n);
    if (q && n > 1 && active)
        q[0] ^= 0x55;
    return q;
}
