/* os.c: the only place that talks to the kernel: anonymous mappings for the
 * shared heap's segments, for large blocks and for thread caches, and the
 * message-then-abort used when a heap check fails. Nothing here allocates. */
#include "article.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *ar_os_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void ar_os_unmap(void *p, size_t len)
{
    if (munmap(p, len) != 0)
        ar_os_fatal("munmap failed");
}

size_t ar_os_page_size(void)
{
    /* getpagesize() reads the auxiliary vector: no allocation, no lock. */
    static size_t page;
    if (page == 0)
        page = (size_t)getpagesize();
    return page;
}

_Noreturn void ar_os_fatal(const char *msg)
{
    /* write(2), not stdio: stdio may allocate, and the heap is suspect. */
    static const char prefix[] = "articlealloc: ";
    ssize_t r = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    r = write(STDERR_FILENO, msg, strlen(msg));
    r = write(STDERR_FILENO, "\n", 1);
    (void)r;
    abort();
}
