/* override.c: the exported symbols, and nothing else: malloc, free and the
 * rest of the family are aliases of the functions in alloc.c, free.c and
 * realloc.c, which this file compiles into its own unit (an alias must name a function
 * of the same unit), so each exported symbol is the function itself, with no
 * call in between. glibc's internal names (__libc_malloc, ...) are aliases
 * too: libc itself and some programs call those.
 *
 * Built with -DCUSTOMALLOC_PREFIX the same sources export customalloc_malloc,
 * customalloc_free, ... instead and interpose nothing (the sanitizer builds
 * of the tests). Built with -DCA_HARDENED (build/libcustomalloc-hardened.so)
 * the symbols are the functions of harden.c's layer instead, which this
 * unit then compiles too, and which calls those of alloc.c and free.c. Like
 * every malloc, these functions are not async-signal-safe. */
#include "alloc.c"
#include "free.c"
#include "realloc.c"
#ifdef CA_HARDENED
#include "harden.c"
#define CA_IMPL(name) ca_harden_##name
#define CA_BUILD_VERSION CA_VERSION " (hardened)"
#else
#define CA_IMPL(name) ca_##name
#define CA_BUILD_VERSION CA_VERSION
#endif

#define CA_API __attribute__((visibility("default")))
#define CA_ALIAS_(name, target) CA_API __typeof__(target) name __attribute__((alias(#target)))
#define CA_ALIAS(name, target) CA_ALIAS_(name, target)   /* target expanded first: CA_IMPL */

#ifdef CUSTOMALLOC_PREFIX
#define CA_EXPORT(name, target) CA_ALIAS(customalloc_##name, target)
#else
#define CA_EXPORT(name, target) CA_ALIAS(name, target)
#endif

CA_EXPORT(malloc, CA_IMPL(malloc));
CA_EXPORT(free, CA_IMPL(free));
CA_EXPORT(calloc, CA_IMPL(calloc));
CA_EXPORT(realloc, CA_IMPL(realloc));
CA_EXPORT(reallocarray, CA_IMPL(reallocarray));
CA_EXPORT(posix_memalign, CA_IMPL(posix_memalign));
CA_EXPORT(aligned_alloc, CA_IMPL(memalign));
CA_EXPORT(memalign, CA_IMPL(memalign));
CA_EXPORT(valloc, CA_IMPL(valloc));
CA_EXPORT(pvalloc, CA_IMPL(pvalloc));
CA_EXPORT(malloc_usable_size, CA_IMPL(malloc_usable_size));
CA_EXPORT(cfree, CA_IMPL(free));
CA_EXPORT(free_sized, CA_IMPL(free));           /* the size is not needed */
CA_EXPORT(free_aligned_sized, CA_IMPL(free));   /* nor the alignment */

#ifndef CUSTOMALLOC_PREFIX
CA_ALIAS(__libc_malloc, CA_IMPL(malloc));
CA_ALIAS(__libc_free, CA_IMPL(free));
CA_ALIAS(__libc_calloc, CA_IMPL(calloc));
CA_ALIAS(__libc_realloc, CA_IMPL(realloc));
CA_ALIAS(__libc_memalign, CA_IMPL(memalign));
CA_ALIAS(__libc_valloc, CA_IMPL(valloc));
CA_ALIAS(__libc_pvalloc, CA_IMPL(pvalloc));
CA_ALIAS(__posix_memalign, CA_IMPL(posix_memalign));
#endif

/* What lives in other units cannot be aliased: these call into them. */
#ifdef CUSTOMALLOC_PREFIX
#define CA_NAME(name) customalloc_##name
#else
#define CA_NAME(name) name
#endif

CA_API int CA_NAME(malloc_trim)(size_t pad);
int CA_NAME(malloc_trim)(size_t pad)
{
    (void)pad;   /* everything free is given back */
#ifdef CA_HARDENED
    ca_harden_flush();   /* the quarantine's blocks too */
#endif
    return ca_heap_trim(ca_tld.heap);
}

CA_API unsigned long long customalloc_stat(const char *name);
unsigned long long customalloc_stat(const char *name)
{
    return ca_stats_get(name);
}

CA_API const char *customalloc_version(void);
const char *customalloc_version(void)
{
    return CA_BUILD_VERSION;
}

#ifdef CA_HARDENED
/* The hardened build's marker (the harness checks that it is the one
 * preloaded): only this library defines it. */
CA_API const char *customalloc_hardened(void);
const char *customalloc_hardened(void)
{
    return CA_BUILD_VERSION;
}
#endif
