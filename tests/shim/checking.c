/* A test-only "allocator" that detects double frees and nothing else, for
 * tests/test_security.sh (built there, named `checking=PATH`): glibc's own
 * malloc (__libc_malloc and friends) with a ring of the last 1024 pointers
 * freed. A free (or realloc) of a pointer in the ring writes "checking
 * shim: double free of 0x..." to stderr and aborts; a pointer leaves the
 * ring when malloc hands it out again. Never built into anything else. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

#define RING 1024
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *freed[RING];
static size_t next;

static void *forget(void *p) /* p was just handed out */
{
    if (!p)
        return p;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < RING; i++)
        if (freed[i] == p)
            freed[i] = NULL;
    pthread_mutex_unlock(&lock);
    return p;
}

static void remember(void *p) /* p is about to be freed: a second time aborts */
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < RING; i++)
        if (freed[i] == p) {
            char line[64];
            int n = snprintf(line, sizeof line, "checking shim: double free of %p\n", p);
            ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
            (void)ignored;
            abort();
        }
    freed[next++ % RING] = p;
    pthread_mutex_unlock(&lock);
}

void *malloc(size_t n) { return forget(__libc_malloc(n)); }
void *calloc(size_t n, size_t m) { return forget(__libc_calloc(n, m)); }

void free(void *p)
{
    if (!p)
        return;
    remember(p);
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    if (p)
        remember(p);
    void *q = __libc_realloc(p, n);
    if (!q && p && n)
        forget(p); /* realloc failed: p is still the caller's */
    return forget(q);
}
