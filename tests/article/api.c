/* What is particular to the article's allocator, beyond the allocator-agnostic
 * tests of tests/allocator/ (which tests/test_article.sh also runs under it):
 * the preload really is articlealloc, and the article's own bug stays fixed.
 * Run by tests/test_article.sh with LD_PRELOAD set to an article allocator
 * build. One test, one fact. */
#include "check.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void preload_is_articlealloc(void)
{
    const char *(*version)(void) =
        (const char *(*)(void))dlsym(RTLD_DEFAULT, "articlealloc_version");
    CHECK_MSG(version != NULL, "articlealloc_version not found: preload failed");
    CHECK(strncmp(version(), "articlealloc ", 13) == 0);
    Dl_info info;
    CHECK(dladdr((void *)malloc, &info) != 0);
    CHECK_MSG(strstr(info.dli_fname, "libarticlealloc") != NULL,
              "malloc resolves to %s", info.dli_fname);
}

static void realloc_shrink_is_in_place(void)
{
    /* The article's bug: shrinking allocated a new block with the old size. */
    size_t sizes[] = {64, 1000, 4096, 100000};
    for (unsigned i = 0; i < 4; i++) {
        unsigned char *p = malloc(sizes[i]);
        fill(p, sizes[i], i);
        unsigned char *q = realloc(p, sizes[i] / 2);
        CHECK_MSG(q == p, "realloc(%zu -> %zu) moved", sizes[i], sizes[i] / 2);
        CHECK(filled(q, sizes[i] / 2, i));
        free(q);
    }
}

CHECK_MAIN(30, T(preload_is_articlealloc), T(realloc_shrink_is_in_place))
