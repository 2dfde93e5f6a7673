/* What the measured child counts around each timed region besides the
 * clock: the process's resource usage (CPU time, page faults, context
 * switches, from getrusage), hardware counters through perf_event_open where
 * the kernel allows them, and the instructions (and simulated cache misses)
 * that callgrind counted when the runner started the child under valgrind
 * (`bench run --measure instructions`). Runs inside the measured child. */
#ifndef BENCH_COUNTERS_H
#define BENCH_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#define COUNTERS_PERF_EVENTS 4
#define COUNTERS_MAX_VALUES 16

struct counter_value {
    const char *name, *unit;
    double value;
};

/* One region's starting point. */
struct counters {
    struct rusage usage;
    uint64_t perf[COUNTERS_PERF_EVENTS];
};

/* Once per process, before the first region. perf: open the hardware
 * counters (the runner asks only where its own test open succeeded).
 * callgrind_dir: where valgrind writes this process's dumps ("cg.<pid>.<n>"),
 * or NULL when not under callgrind. Returns false and says why when asked
 * for something that cannot be had. */
bool counters_setup(bool perf, const char *callgrind_dir, char *why, size_t why_size);

/* Last thing before the region's clock starts / first thing after it stops.
 * counters_stop fills `out` and returns how many values it wrote (callgrind's
 * only when `instructions`); 0 with why set when a callgrind dump cannot be
 * read. */
void counters_start(struct counters *c);
size_t counters_stop(const struct counters *c, bool instructions, struct counter_value *out,
                     size_t max, char *why, size_t why_size);

/* In the runner: whether this process may count hardware events (a test
 * open of the instructions counter); false with the reason otherwise, e.g.
 * "perf_event_open: No such file or directory (perf_event_paranoid=2)". */
bool counters_perf_available(char *why, size_t why_size);

#endif
