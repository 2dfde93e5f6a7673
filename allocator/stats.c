/* stats.c: process-wide counters (kernel calls, mapped bytes, segments, large
 * blocks, heaps), per-heap counters summed at report time, and the report
 * printed to stderr at exit when CUSTOMALLOC_STATS is set. The fast paths
 * count nothing; every counter here sits on a slow path. */
#include "internal.h"

#include <stdio.h>
#include <unistd.h>

ca_stats_t ca_stats;
int ca_stats_enabled;
int ca_stats_fd = -1;   /* a duplicate of stderr taken at start-up */

void ca_stat_mapped(int64_t delta)
{
    uint64_t now = atomic_fetch_add_explicit(&ca_stats.mapped, (uint64_t)delta, memory_order_relaxed) + (uint64_t)delta;
    uint64_t peak = atomic_load_explicit(&ca_stats.mapped_peak, memory_order_relaxed);
    while ((int64_t)now > (int64_t)peak &&
           !atomic_compare_exchange_weak_explicit(&ca_stats.mapped_peak, &peak, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

typedef struct {
    uint64_t pages_init, pages_retired, slow, remote_frees, segments, heaps;
} heap_sums_t;

static heap_sums_t heap_sums(void)
{
    heap_sums_t s = {0};
    for (ca_heap_t *h = ca_heap_list(); h; h = h->next_all) {
        s.pages_init += h->st_pages_init;
        s.pages_retired += h->st_pages_retired;
        s.slow += h->st_slow;
        s.remote_frees += h->st_remote_frees;
        s.segments += h->st_segments;
        s.heaps++;
    }
    return s;
}

/* Counter by name, for tests and tools (exported as customalloc_stat). */
uint64_t ca_stat_get(const char *name)
{
#define F(n) if (strcmp(name, #n) == 0) return atomic_load(&ca_stats.n)
    F(mmap_calls); F(munmap_calls); F(madvise_calls); F(mremap_calls);
    F(mapped); F(mapped_peak); F(purged_bytes); F(segments); F(segments_peak);
    F(large_allocs); F(large_cache_hits); F(heaps_created); F(heaps_adopted); F(heaps_abandoned);
#undef F
    heap_sums_t s = heap_sums();
    if (strcmp(name, "pages_init") == 0) return s.pages_init;
    if (strcmp(name, "pages_retired") == 0) return s.pages_retired;
    if (strcmp(name, "slow_mallocs") == 0) return s.slow;
    if (strcmp(name, "remote_frees") == 0) return s.remote_frees;
    if (strcmp(name, "os_calls") == 0)
        return atomic_load(&ca_stats.mmap_calls) + atomic_load(&ca_stats.munmap_calls) +
               atomic_load(&ca_stats.madvise_calls) + atomic_load(&ca_stats.mremap_calls);
    return 0;
}

void ca_stats_print(int fd)
{
    char buf[1024];
    heap_sums_t s = heap_sums();
#define L(n) (unsigned long long)atomic_load(&ca_stats.n)
    int n = snprintf(buf, sizeof buf,
                     "%s statistics (pid %d)\n"
                     "  os calls: mmap %llu, munmap %llu, madvise %llu, mremap %llu\n"
                     "  mapped: %llu KiB now, %llu KiB peak; purged %llu KiB in total\n"
                     "  segments: %llu now, %llu peak; heaps: %llu (%llu created, %llu adopted, %llu abandoned)\n"
                     "  pages: %llu initialised, %llu retired; slow mallocs %llu; remote frees %llu\n"
                     "  large: %llu allocations, %llu from cache\n",
                     CA_VERSION, (int)getpid(), L(mmap_calls), L(munmap_calls), L(madvise_calls),
                     L(mremap_calls), L(mapped) / 1024, L(mapped_peak) / 1024, L(purged_bytes) / 1024,
                     L(segments), L(segments_peak), (unsigned long long)s.heaps, L(heaps_created),
                     L(heaps_adopted), L(heaps_abandoned), (unsigned long long)s.pages_init,
                     (unsigned long long)s.pages_retired, (unsigned long long)s.slow,
                     (unsigned long long)s.remote_frees, L(large_allocs), L(large_cache_hits));
#undef L
    if (n > 0) {
        ssize_t w = write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
        (void)w;
    }
}

__attribute__((destructor)) static void ca_stats_at_exit(void)
{
    /* Programs such as sort and xz close stderr from an atexit handler,
     * which runs before this destructor: write to the copy taken at start. */
    if (ca_stats_enabled) ca_stats_print(ca_stats_fd >= 0 ? ca_stats_fd : 2);
}
