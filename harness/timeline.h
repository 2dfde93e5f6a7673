/* Memory over time: while a measured child runs, the runner reads its
 * resident set from /proc/<pid>/statm every TIMELINE_PERIOD_MS and, when the
 * run has finished, appends the samples to timeline.csv in the run directory
 * (flushed per run, like results.csv). A real-program workload names the
 * command's pid, and the samples then follow the command. A sample is the
 * RSS of the process plus all its descendants. Children of a group wait
 * while another one runs; their clocks stop meanwhile (timeline_pause). */
#ifndef BENCH_TIMELINE_H
#define BENCH_TIMELINE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define TIMELINE_PERIOD_MS 10
#define TIMELINE_HEADER "backend,workload,threads,rep,t_ms,rss_kib"

struct timeline {
    pid_t pid;          /* the process sampled now */
    uint64_t start_ns;  /* t_ms = 0: when the child was started */
    uint64_t next_ns;   /* when the next sample is due */
    uint64_t paused_ns; /* when it was paused; 0 while running */
    size_t count, capacity;
    struct { uint32_t t_ms; long long rss_kib; } *samples;
};

void timeline_begin(struct timeline *tl, pid_t pid);
/* While the runner waits on another child of the same group, this one's
 * clock stands still: t_ms counts only the time the runner spent on this
 * child (its start, its samples, its exit), so that curves of children
 * whose samples were interleaved compare with those run one at a time. */
void timeline_pause(struct timeline *tl);
void timeline_resume(struct timeline *tl);
/* Takes a sample now, off the schedule: at the end of each of a process's
 * samples, so that a short process still has points. */
void timeline_sample_now(struct timeline *tl);
/* Takes a sample when one is due; returns the milliseconds until the next. */
int timeline_tick(struct timeline *tl);
/* Appends the samples as rows of timeline.csv and flushes; frees them. */
void timeline_write(FILE *f, const char *backend, const char *workload, int threads, int rep,
                    struct timeline *tl);
void timeline_discard(struct timeline *tl);

/* Resident set of a process in KiB from /proc/<pid>/statm (0: this one);
 * -1 when unreadable (e.g. the process has exited). */
long long rss_kib_of(pid_t pid);

#endif
