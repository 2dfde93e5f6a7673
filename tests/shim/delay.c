/* build/tests/libdelay.so and libdelay-custom.so: test-only "allocators"
 * that are another allocator made slower on purpose, to check that
 * `bench compare` notices a known slowdown: glibc (DELAY_TARGET libc.so.6)
 * or the project's allocator (libcustomalloc.so, which the library is linked
 * against). They take that library's malloc, calloc, realloc and free by
 * name from the library itself (dlopen of the loaded library, dlsym), and
 * spin BENCH_DELAY_SPINS iterations (read once; 0 or unset: no delay) before
 * each malloc, calloc and realloc: a fixed amount of work per call, so the
 * slowdown in percent is larger where calls are cheaper. free is wrapped
 * without a delay only so that all four entry points resolve into this
 * library, as the harness verifies; the other entry points (memalign, ...)
 * resolve to the target itself. Calls made while the functions are being
 * looked up are served from a small static arena. Never built into anything
 * else. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef DELAY_TARGET
#define DELAY_TARGET "libc.so.6"
#endif

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static long spins = -1;
static int resolving;

/* While dlopen and dlsym run (they may allocate). */
static _Alignas(16) unsigned char arena[64 * 1024];
static size_t arena_used;

static void *arena_alloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (arena_used + size > sizeof arena)
        return NULL;
    void *p = arena + arena_used;
    arena_used += size;
    return p;
}

static int from_arena(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static void resolve(void)
{
    resolving = 1;
    void *lib = dlopen(DELAY_TARGET, RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        next_calloc = (void *(*)(size_t, size_t))dlsym(lib, "calloc");
        next_realloc = (void *(*)(void *, size_t))dlsym(lib, "realloc");
        next_free = (void (*)(void *))dlsym(lib, "free");
        next_malloc = (void *(*)(size_t))dlsym(lib, "malloc");
    }
    const char *v = getenv("BENCH_DELAY_SPINS");
    spins = v ? atol(v) : 0;
    resolving = 0;
}

static int ready(void)
{
    if (!next_malloc && !resolving)
        resolve();
    return next_malloc != NULL;
}

static void delay(void)
{
    for (volatile long i = 0; i < spins; i++)
        ;
}

const char *delayalloc_version(void) { return "a delay around " DELAY_TARGET; }

void *malloc(size_t size)
{
    if (!ready())
        return arena_alloc(size);
    delay();
    return next_malloc(size);
}

void free(void *p)
{
    if (p && !from_arena(p) && ready())
        next_free(p);
}

void *calloc(size_t n, size_t size)
{
    if (!ready())
        return n && size > SIZE_MAX / n ? NULL : arena_alloc(n * size); /* the arena is zeroed */
    delay();
    return next_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (!ready() || from_arena(p)) {
        void *q = ready() ? next_malloc(size) : arena_alloc(size);
        if (q && p) {
            size_t room = (size_t)(arena + sizeof arena - (unsigned char *)p);
            memcpy(q, p, size < room ? size : room);
        }
        return q;
    }
    delay();
    return next_realloc(p, size);
}
