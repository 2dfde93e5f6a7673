/* Region counters of the measured child (counters.h): getrusage deltas,
 * perf_event_open hardware counters, and callgrind's instruction counts.
 *
 * Callgrind: the runner starts the child under
 * `valgrind --tool=callgrind --callgrind-out-file=DIR/cg.%p`, collecting from
 * the start. Callgrind's "toggle collect" is per thread, so it would miss the
 * threads a workload starts inside its region; a dump, by contrast, covers
 * every thread and zeroes every counter. So the region is bracketed by two
 * dumps: the first one (setup since the last dump) is thrown away, the second
 * is the region, and its summary line is read back at once (a dump is written
 * before the client request returns). The first dump's file is only removed
 * after the region: reading it there would count the reading (an fopen, a
 * malloc, a file whose length varies from run to run) as the region's. */
#include "counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

/* ---- Hardware counters ---- */

static const struct {
    const char *name;
    uint32_t type;
    uint64_t config;
} perf_events[COUNTERS_PERF_EVENTS] = {
    {"hw_instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"hw_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"hw_cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"hw_dtlb_misses", PERF_TYPE_HW_CACHE,
     PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
         (PERF_COUNT_HW_CACHE_RESULT_MISS << 16)},
};
static int perf_fd[COUNTERS_PERF_EVENTS] = {-1, -1, -1, -1};

/* Counts this process and every thread it starts later (inherit), in user
 * and kernel mode as the process's paranoia level allows. */
static int perf_open(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = type;
    a.config = config;
    a.inherit = 1;
    a.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static uint64_t perf_read(int fd)
{
    uint64_t v = 0;
    if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
        return 0;
    return v;
}

bool counters_perf_available(char *why, size_t why_size)
{
    int fd = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
    if (fd >= 0) {
        close(fd);
        return true;
    }
    int err = errno;
    char paranoid[32] = "unknown";
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    if (f) {
        if (!fgets(paranoid, sizeof paranoid, f))
            snprintf(paranoid, sizeof paranoid, "unknown");
        paranoid[strcspn(paranoid, "\n")] = '\0';
        fclose(f);
    }
    snprintf(why, why_size, "perf_event_open: %s (perf_event_paranoid=%s)", strerror(err),
             paranoid);
    return false;
}

/* ---- Callgrind ---- */

static const char *cg_dir;
static unsigned cg_dumps; /* callgrind numbers its dumps 1, 2, ... */

static void cg_dump_path(unsigned n, char *path, size_t size)
{
    snprintf(path, size, "%s/cg.%d.%u", cg_dir, (int)getpid(), n);
}

/* Reads "events: Ir ..." and "summary: N ..." of dump number n, then
 * deletes the file. */
static bool cg_read_dump(unsigned n, uint64_t *values, char (*names)[16], size_t *count,
                         char *why, size_t why_size)
{
    char path[4200];
    cg_dump_path(n, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_size, "cannot read the callgrind dump %s: %s", path, strerror(errno));
        return false;
    }
    char line[1024];
    size_t events = 0, got = 0;
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *tok;
        if (strncmp(line, "events:", 7) == 0) {
            for (tok = strtok_r(line + 7, " \n", &save); tok && events < 8;
                 tok = strtok_r(NULL, " \n", &save))
                snprintf(names[events++], sizeof names[0], "%s", tok);
        } else if (strncmp(line, "summary:", 8) == 0) {
            for (tok = strtok_r(line + 8, " \n", &save); tok && got < events;
                 tok = strtok_r(NULL, " \n", &save))
                values[got++] = strtoull(tok, NULL, 10);
        }
    }
    fclose(f);
    unlink(path);
    for (size_t i = got; i < events; i++)
        values[i] = 0; /* callgrind leaves trailing zero events out */
    *count = events;
    if (events == 0) {
        snprintf(why, why_size, "the callgrind dump %s has no events line", path);
        return false;
    }
    return true;
}

static void cg_dump(void)
{
#ifdef HAVE_CALLGRIND
    CALLGRIND_DUMP_STATS;
#endif
    cg_dumps++;
}

/* ---- The region ---- */

bool counters_setup(bool perf, const char *callgrind_dir, char *why, size_t why_size)
{
    if (callgrind_dir) {
#ifdef HAVE_CALLGRIND
        if (!RUNNING_ON_VALGRIND) {
            snprintf(why, why_size, "asked to count instructions, but not running under valgrind");
            return false;
        }
        cg_dir = callgrind_dir;
#else
        snprintf(why, why_size, "built without <valgrind/callgrind.h>: install valgrind and rebuild");
        return false;
#endif
    }
    for (size_t i = 0; perf && i < COUNTERS_PERF_EVENTS; i++)
        perf_fd[i] = perf_open(perf_events[i].type, perf_events[i].config);
    return true;
}

void counters_start(struct counters *c)
{
    getrusage(RUSAGE_SELF, &c->usage);
    for (size_t i = 0; i < COUNTERS_PERF_EVENTS; i++)
        c->perf[i] = perf_read(perf_fd[i]);
    if (cg_dir)
        cg_dump(); /* the costs since the last dump are setup: dropped at the stop */
}

static double tv_ms(struct timeval a, struct timeval b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_usec - a.tv_usec) / 1e3;
}

/* Callgrind's event names as this harness's metrics. */
static const struct {
    const char *event, *metric;
} cg_metrics[] = {
    {"Ir", "instructions"},
    {"D1mr", "sim_l1d_read_misses"},
    {"D1mw", "sim_l1d_write_misses"},
    {"DLmr", "sim_ll_read_misses"},
    {"DLmw", "sim_ll_write_misses"},
};

size_t counters_stop(const struct counters *c, bool instructions, struct counter_value *out,
                     size_t max, char *why, size_t why_size)
{
    uint64_t cg_values[8];
    char cg_names[8][16];
    size_t cg_count = 0;
    if (cg_dir) {
        cg_dump();
        char setup[4200];
        cg_dump_path(cg_dumps - 1, setup, sizeof setup);
        unlink(setup);
        if (!cg_read_dump(cg_dumps, cg_values, cg_names, &cg_count, why, why_size))
            return 0;
    }
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    size_t n = 0;
#define PUT(NAME, VALUE, UNIT)                                                 \
    do {                                                                       \
        if (n < max)                                                           \
            out[n++] = (struct counter_value){NAME, UNIT, (double)(VALUE)};    \
    } while (0)
    PUT("user_ms", tv_ms(c->usage.ru_utime, u.ru_utime), "ms");
    PUT("sys_ms", tv_ms(c->usage.ru_stime, u.ru_stime), "ms");
    PUT("minor_faults", u.ru_minflt - c->usage.ru_minflt, "count");
    PUT("major_faults", u.ru_majflt - c->usage.ru_majflt, "count");
    PUT("voluntary_ctx_switches", u.ru_nvcsw - c->usage.ru_nvcsw, "count");
    PUT("involuntary_ctx_switches", u.ru_nivcsw - c->usage.ru_nivcsw, "count");
    for (size_t i = 0; i < COUNTERS_PERF_EVENTS; i++)
        if (perf_fd[i] >= 0)
            PUT(perf_events[i].name, perf_read(perf_fd[i]) - c->perf[i], "count");
    for (size_t e = 0; instructions && e < cg_count; e++)
        for (size_t m = 0; m < sizeof cg_metrics / sizeof cg_metrics[0]; m++)
            if (strcmp(cg_names[e], cg_metrics[m].event) == 0)
                PUT(cg_metrics[m].metric, cg_values[e], "count");
#undef PUT
    return n;
}
