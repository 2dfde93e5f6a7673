/* The flags of `bench run`, defined once in a table (options.c) that parses
 * them, checks their values and prints their help; `./run_all.sh` passes
 * every flag it does not own through to `bench run`, so there is one list of
 * flags, not two to keep in step. */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define DEFAULT_REPS 5
#define DEFAULT_TIMEOUT_S 300
#define DEFAULT_SEED 1
#define DEFAULT_MIN_TIME_MS 100
#define DEFAULT_WARMUP_SAMPLES 1
#define DEFAULT_MAX_SAMPLES 1000
/* Instruction counts do not vary from sample to sample: a few are enough. */
#define DEFAULT_INSTRUCTION_SAMPLES 2

/* What the command line asked for; -1 (or NULL) where it said nothing. */
struct run_options {
    const char *backends, *workloads, *suites, *exclude, *threads, *out, *baseline,
        *compare_to, *interleave, *measure, *shard, *costs, *target_ci;
    const char **params; /* every --param, as given */
    size_t param_count;
    long long reps, seed, timeout_s, min_time_ms, samples, warmup_samples, max_samples,
        extend_time_s, max_reps;
    bool quick, latency, quiet;
};

/* Parses the arguments after `run`; exits with a usage error (exit 2) on an
 * unknown flag, a missing value or a bad one, and prints help for --help. */
void options_parse(int argc, char **argv, struct run_options *o);

/* The flags' help, as `bench run --help` and `./run_all.sh --help` print it. */
void options_print_help(void);

#endif
