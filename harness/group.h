/* A group: the measured children of one case (workload x threads) in one
 * round, one child per backend, and how their samples are taken. In the
 * default interleaving every child of the group is started and verified
 * first; then the runner asks them for one sample each in turn, in an order
 * shuffled anew every turn, so that the backends' samples are taken in the
 * same seconds and a change of the machine's speed (this project's machines
 * switch between speed regimes that last seconds) falls on all of them
 * alike. Only one child runs at a time; the others wait on their control
 * pipe, outside every measurement. */
#ifndef BENCH_GROUP_H
#define BENCH_GROUP_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "backends.h"
#include "cases.h"
#include "timeline.h"

#define MEMBER_MAX_METRICS 64

/* The cache callgrind simulates under --measure instructions (size,
 * associativity, line): an AMD EPYC core's L1s and a 32 MiB last level. */
#define CALLGRIND_I1 "32768,8,64"
#define CALLGRIND_D1 "49152,12,64"
#define CALLGRIND_LL "33554432,16,64"

struct metric_value {
    char name[64], unit[16];
    double value;
};

/* One sample as the child reported it. */
struct sample {
    long index;
    int turn;        /* the group's turn it was taken in; -1: not interleaved */
    bool measured;   /* false: a warm-up sample */
    uint64_t end_ns; /* when it ended (monotonic) */
    size_t metric_count;
    struct metric_value metrics[MEMBER_MAX_METRICS];
};

/* One child of the group and everything it said. */
struct member {
    struct backend *backend;
    char *log_path;
    pid_t pid;
    int report_fd, control_fd;
    char buf[16384];
    size_t len;
    /* how it ended */
    char status[32];
    char detail[1024];
    char allocator_path[PATH_MAX];
    char allocator_version[256];
    /* its samples, and the metrics of the whole process (after "stop") */
    struct sample *samples;
    size_t sample_count, sample_cap;
    size_t process_metric_count;
    struct metric_value process_metrics[MEMBER_MAX_METRICS];
    int warmups;       /* warm-up samples this member takes first */
    bool paces;        /* the baseline: it samples as long as any other member does,
                        * so that every turn pairs with one of its samples */
    int measured;      /* measured samples so far */
    double measured_ms; /* their wall time */
    uint64_t active_ns; /* time the runner spent on it, against the time limit */
    pid_t sample_pid;  /* a real program's pid, for the timeline */
    struct timeline tl;
    bool alive, done;
};

enum interleave { INTERLEAVE_SAMPLES, INTERLEAVE_PROCESSES };

struct group_settings {
    const char *run_dir;
    int timeout_s;             /* each child's time limit, counted while it runs */
    double min_time_ms;        /* a repeatable workload samples until this much measured time */
    int fixed_samples;         /* > 0: exactly this many measured samples instead */
    int max_samples;           /* never more measured samples than this */
    bool warmup_round;         /* one sample per child, none of them measured */
    enum interleave interleave;
    bool latency, perf;
    const char *callgrind_dir; /* non-NULL: children run under callgrind, dumps go here */
    uint64_t *rng;             /* the run's shuffle */
    volatile sig_atomic_t *interrupted;
};

/* Runs the group's children to the end; each member's status says how it
 * ended ("ok", "crashed", ...; "interrupted" when the user stopped the run).
 * The caller sets each member's backend, log_path, warmups and paces. */
void group_run(struct member **members, size_t count, const struct bench_case *c,
               const struct group_settings *s);

/* A metric of a sample, or NAN when it has none by that name. */
double sample_value(const struct sample *x, const char *name);

/* From m's process of the warm-up round: whether the measured processes of
 * its backend in this case may skip their warm-up sample. Only when one
 * sample alone lasts --min-time, and the cold first sample was no slower
 * than the warm one (the warm-up round takes a second sample when the
 * first is under 10 x --min-time) by more than a tenth: then a measured
 * process's single sample is as good as a warm one. A cold start that
 * costs more (glibc's first sample of mixed sizes to 64 KiB faults its
 * memory in: 190 ms against 125) keeps the warm-up, whatever --min-time. */
bool group_warmup_not_needed(const struct member *m, const struct group_settings *s);

/* Frees what group_run allocated in a member. */
void member_release(struct member *m);

#endif
