/* meta.json: everything needed to judge and reproduce a run (machine,
 * kernel settings, compiler, commit, command line, seed, each backend's
 * library and version). Written when the run starts and rewritten when it
 * ends, each time atomically. */
#ifndef BENCH_META_H
#define BENCH_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "backends.h"
#include "calibrate.h"
#include "cases.h"

struct run_plan;

/* What a run measures: times (the default) or callgrind's instruction counts. */
enum measure { MEASURE_TIME, MEASURE_INSTRUCTIONS };

struct run_meta {
    const char *run_id;
    char host[256];
    int argc;
    char **argv;
    unsigned long long seed;
    int reps;
    int timeout_s;
    bool quick;
    bool latency;
    /* sampling (group.h) */
    enum measure measure;
    double min_time_ms;
    int fixed_samples, warmup_samples, max_samples;
    int interleave; /* enum interleave */
    /* extra rounds (extend.h): the interval targets, in percent; the time
     * they may take; the rounds a cell may have in all; and what they took */
    double target_pct, target_threaded_pct;
    int extend_time_s, max_reps;
    double extend_spent_s;
    int extend_groups, extend_still_wide;
    const char *extend_ended; /* why they ended: narrow, budget, max_reps, ... */
    const char *baseline; /* the backend ratios are taken to */
    const char *baseline_why; /* said when it is not the one asked for */
    bool perf_available;
    char perf_reason[256]; /* why hardware counters are not recorded */
    char load_start[64], load_end[64]; /* /proc/loadavg */
    struct calibration calibration;
    char start_time[32], end_time[32]; /* end_time empty while running */
    bool interrupted;
    struct backend **backends;
    size_t backend_count;
    struct bench_case **cases;
    size_t case_count;
    const struct run_plan *plan; /* its groups in order, and its shard (plan.h) */
};

/* ISO 8601 UTC time of now. */
void utc_now(char *buf, size_t size);
void meta_write(const char *run_dir, const struct run_meta *meta);

/* The first string value of "key" in RUN_DIR/meta.json (as meta_write
 * writes it, one field a line), or NULL: enough to read back what a run
 * recorded (its baseline, run_id, host, commit) without a JSON parser. */
char *meta_read_field(const char *run_dir, const char *key);

/* Writes s as a JSON string (null for NULL). */
void meta_json_string(FILE *f, const char *s);

#endif
