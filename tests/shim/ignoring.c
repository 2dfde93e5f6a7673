/* A test-only "allocator" that checks nothing, for tests/test_security.sh
 * (built there, named `ignoring=PATH`): glibc's own malloc, calloc and
 * realloc, and a free that does nothing. No block is ever reused, so a
 * double free passes unnoticed and harms nothing. Never built into anything
 * else. */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *malloc(size_t n) { return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void free(void *p) { (void)p; }
