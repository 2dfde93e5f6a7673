/* Shared by the allocator test programs. They test whatever malloc the
 * process runs (glibc when run directly, another library under LD_PRELOAD).
 * Built with -DCA_TEST_PREFIXED they call customalloc's prefixed,
 * non-interposing build instead (customalloc_malloc, ...), which is how the sanitizer
 * builds exercise the allocator's own code under ASan/UBSan/TSan. */
#ifndef ALLOC_TEST_H
#define ALLOC_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <dlfcn.h>

#ifdef CA_TEST_PREFIXED
void *customalloc_malloc(size_t);
void customalloc_free(void *);
void *customalloc_calloc(size_t, size_t);
void *customalloc_realloc(void *, size_t);
void *customalloc_reallocarray(void *, size_t, size_t);
int customalloc_posix_memalign(void **, size_t, size_t);
void *customalloc_aligned_alloc(size_t, size_t);
void *customalloc_memalign(size_t, size_t);
void *customalloc_valloc(size_t);
void *customalloc_pvalloc(size_t);
size_t customalloc_malloc_usable_size(void *);
void customalloc_cfree(void *);
void customalloc_free_sized(void *, size_t);
void customalloc_free_aligned_sized(void *, size_t, size_t);
int customalloc_malloc_trim(size_t);
#define T_malloc customalloc_malloc
#define T_free customalloc_free
#define T_calloc customalloc_calloc
#define T_realloc customalloc_realloc
#define T_reallocarray customalloc_reallocarray
#define T_posix_memalign customalloc_posix_memalign
#define T_aligned_alloc customalloc_aligned_alloc
#define T_memalign customalloc_memalign
#define T_valloc customalloc_valloc
#define T_pvalloc customalloc_pvalloc
#define T_malloc_usable_size customalloc_malloc_usable_size
#define T_malloc_trim customalloc_malloc_trim
#define T_LOOKUP(name) ((void *)customalloc_##name)
#else
#define T_malloc malloc
#define T_free free
#define T_calloc calloc
#define T_realloc realloc
#define T_reallocarray reallocarray
#define T_posix_memalign posix_memalign
#define T_aligned_alloc aligned_alloc
#define T_memalign memalign
#define T_valloc valloc
#define T_pvalloc pvalloc
#define T_malloc_usable_size malloc_usable_size
#define T_malloc_trim malloc_trim
/* Functions glibc 2.36 does not declare (or export for new links). */
#define T_LOOKUP(name) dlsym(RTLD_DEFAULT, #name)
#endif

/* A pattern that depends on the block's address and size, so a block
 * overwritten by another block's contents or moved without its data shows.
 * Word i of the block holds t_word(base, size, i); byte j is byte j % 8 of
 * word j / 8 (little-endian). */
static inline uint64_t t_word(const void *base, size_t size, size_t i)
{
    uint64_t x = (uint64_t)(uintptr_t)base ^ ((uint64_t)size << 40) ^ (i * 0x9E3779B97F4A7C15ull);
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}

static inline unsigned char t_pattern(const void *base, size_t size, size_t i)
{
    return (unsigned char)(t_word(base, size, i / 8) >> (8 * (i % 8)));
}

static inline void t_fill(void *p, size_t size)
{
    unsigned char *c = p;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w = t_word(p, size, i);
        memcpy(c + i * 8, &w, 8);
    }
    for (size_t j = words * 8; j < size; j++) c[j] = t_pattern(p, size, j);
}

static inline int t_check(const void *p, size_t size)
{
    const unsigned char *c = p;
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, c + i * 8, 8);
        if (w != t_word(p, size, i)) return 0;
    }
    for (size_t j = words * 8; j < size; j++)
        if (c[j] != t_pattern(p, size, j)) return 0;
    return 1;
}

/* Resident set size of this process in bytes (from /proc/self/statm). */
static inline size_t t_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, res = 0;
    int n = fscanf(f, "%lu %lu", &size, &res);
    fclose(f);
    return n == 2 ? res * 4096ul : 0;
}

#endif
