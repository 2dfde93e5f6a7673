/* stats.c: the counters by name (the layers count their own events: os.c,
 * segment.c, large.c, heap.c, and each heap for itself), and the report
 * written at exit when CUSTOMALLOC_STATS asks for it (to stderr, or
 * appended to a file). The fast paths count nothing; every counter sits on
 * a slow path. */
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int stats_enabled;
static int stats_fd = -1;   /* where the report goes, opened at start-up */

/* fd moved above the low numbers programs and shells use for their own
 * redirections, close-on-exec; fd itself when that fails. */
static int fd_moved_high(int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0) return fd;
    if (fd != 2) close(fd);
    return high;
}

/* CUSTOMALLOC_STATS unset, empty or starting with '0': no report. A value
 * with a '/' in it names a file the report is appended to (one per process,
 * so stderr stays as the program left it); any other value: stderr. Both are
 * opened now: programs such as sort and xz close stderr from an atexit
 * handler, before the report is written. */
void ca_stats_init(void)
{
    const char *s = getenv("CUSTOMALLOC_STATS");
    if (s == NULL || s[0] == '\0' || s[0] == '0') return;
    if (strchr(s, '/') == NULL) {
        stats_fd = fd_moved_high(2);
        stats_enabled = 1;
        return;
    }
    int fd = open(s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "customalloc: CUSTOMALLOC_STATS: cannot open %s for appending; no statistics\n", s);
        if (n > 0) {
            ssize_t w = write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
            (void)w;
        }
        return;
    }
    stats_fd = fd_moved_high(fd);
    stats_enabled = 1;
}

static const struct {
    const char *name;
    ca_counter_t *counter;
} counters[] = {
    {"mmap_calls", &ca_os_counters.mmap_calls},
    {"munmap_calls", &ca_os_counters.munmap_calls},
    {"madvise_calls", &ca_os_counters.madvise_calls},
    {"mremap_calls", &ca_os_counters.mremap_calls},
    {"mprotect_calls", &ca_os_counters.mprotect_calls},
    {"mapped", &ca_os_counters.mapped},
    {"mapped_peak", &ca_os_counters.mapped_peak},
    {"purged_bytes", &ca_os_counters.purged_bytes},
    {"segments", &ca_segment_count},
    {"segments_peak", &ca_segment_peak},
    {"large_allocs", &ca_large_allocs},
    {"large_reused", &ca_large_reused},
    {"large_live", &ca_large_live},
    {"large_dirty", &ca_large_dirty},
    {"heaps_created", &ca_heaps_created},
    {"heaps_adopted", &ca_heaps_adopted},
    {"heaps_abandoned", &ca_heaps_abandoned},
};

typedef struct {
    uint64_t pages_init, pages_retired, pages_swept, slow, remote_frees, heaps;
} heap_sums_t;

static heap_sums_t heap_sums(void)
{
    heap_sums_t s = {0};
    for (ca_heap_t *h = ca_heap_list(); h; h = h->next_all) {
        s.pages_init += h->st_pages_init;
        s.pages_retired += h->st_pages_retired;
        s.pages_swept += h->st_pages_swept;
        s.slow += h->st_slow;
        s.remote_frees += h->st_remote_frees;
        s.heaps++;
    }
    return s;
}

static uint64_t get(const char *name)
{
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (strcmp(name, counters[i].name) == 0) return atomic_load(counters[i].counter);
    return 0;
}

/* Counter by name, for tests and tools (exported as customalloc_stat);
 * 0 for a name it does not know. */
uint64_t ca_stats_get(const char *name)
{
    heap_sums_t s = heap_sums();
    if (strcmp(name, "pages_init") == 0) return s.pages_init;
    if (strcmp(name, "pages_retired") == 0) return s.pages_retired;
    if (strcmp(name, "pages_swept") == 0) return s.pages_swept;
    if (strcmp(name, "slow_mallocs") == 0) return s.slow;
    if (strcmp(name, "remote_frees") == 0) return s.remote_frees;
    if (strcmp(name, "os_calls") == 0)
        return get("mmap_calls") + get("munmap_calls") + get("madvise_calls") + get("mremap_calls") +
               get("mprotect_calls");
    return get(name);
}

static void print_report(int fd)
{
    char buf[1024];
    heap_sums_t s = heap_sums();
#define L(n) (unsigned long long)get(#n)
    int n = snprintf(buf, sizeof buf,
                     "%s statistics (pid %d)\n"
                     "  os calls: mmap %llu, munmap %llu, madvise %llu, mremap %llu, mprotect %llu\n"
                     "  mapped: %llu KiB now, %llu KiB peak; purged %llu KiB in total\n"
                     "  segments: %llu now, %llu peak; heaps: %llu (%llu created, %llu adopted, %llu abandoned)\n"
                     "  pages: %llu initialised, %llu retired, %llu swept; slow mallocs %llu; remote frees %llu\n"
                     "  large: %llu allocations, %llu from free spans; %llu KiB live, %llu KiB free resident\n",
                     CA_VERSION, (int)getpid(), L(mmap_calls), L(munmap_calls), L(madvise_calls),
                     L(mremap_calls), L(mprotect_calls), L(mapped) / 1024, L(mapped_peak) / 1024, L(purged_bytes) / 1024,
                     L(segments), L(segments_peak), (unsigned long long)s.heaps, L(heaps_created),
                     L(heaps_adopted), L(heaps_abandoned), (unsigned long long)s.pages_init,
                     (unsigned long long)s.pages_retired, (unsigned long long)s.pages_swept, (unsigned long long)s.slow,
                     (unsigned long long)s.remote_frees, L(large_allocs), L(large_reused), L(large_live) / 1024, L(large_dirty) / 1024);
#undef L
    if (n > 0) {
        ssize_t w = write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
        (void)w;
    }
}

__attribute__((destructor)) static void report_at_exit(void)
{
    if (stats_enabled) print_report(stats_fd >= 0 ? stats_fd : 2);
}
