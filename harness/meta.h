/* meta.json: everything needed to judge and reproduce a run (machine,
 * kernel settings, compiler, commit, command line, seed, each backend's
 * library and version). Written when the run starts and rewritten when it
 * ends, each time atomically. */
#ifndef BENCH_META_H
#define BENCH_META_H

#include <stdbool.h>
#include <stddef.h>
#include "backends.h"
#include "cases.h"

struct run_meta {
    const char *run_id;
    int argc;
    char **argv;
    unsigned long long seed;
    int reps;
    int timeout_s;
    bool quick;
    char start_time[32], end_time[32]; /* end_time empty while running */
    bool interrupted;
    struct backend **backends;
    size_t backend_count;
    struct bench_case **cases;
    size_t case_count;
};

/* ISO 8601 UTC time of now. */
void utc_now(char *buf, size_t size);
void meta_write(const char *run_dir, const struct run_meta *meta);

#endif
