/* The flags of `bench run` (options.h): one table, read by the parser and by
 * the help. */
#include "options.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
    SWITCH, /* a bool, no value */
    TEXT,   /* a string value, kept as given */
    WHOLE,  /* a whole number within [min, max] */
    CHOICE, /* one of `choices` ("a|b"), kept as given */
    APPEND, /* repeatable: every value kept */
};

struct flag {
    const char *name, *value; /* value: how the help names the argument */
    enum kind kind;
    size_t offset; /* of the field in struct run_options */
    long long min, max;
    const char *choices;
    const char *help; /* lines separated by \n */
};

#define AT(field) offsetof(struct run_options, field)

static const struct flag flags[] = {
    {"--backends", "LIST", TEXT, AT(backends), 0, 0, NULL,
     "comma-separated backend names, or NAME=PATH.so for any library\n"
     "(default: every known backend but those `bench list` marks [only when named],\n"
     "and those it marks for a suite selected; one it marks [by default only on the\n"
     "workloads of: ...] runs on those alone, and named here it runs on all)"},
    {"--suite", "LIST", TEXT, AT(suites), 0, 0, NULL,
     "one or more named selections of workloads, comma-separated (see\n"
     "`bench list`); with --workloads, both (default without --workloads: article)"},
    {"--workloads", "LIST", TEXT, AT(workloads), 0, 0, NULL,
     "comma-separated selections; a selection may set parameters\n"
     "(mixed_sizes:max_size=65536:touch=all), thread counts (multithread@1,2,4)\n"
     "or name several workloads with a glob ('prog_*')"},
    {"--exclude", "LIST", TEXT, AT(exclude), 0, 0, NULL,
     "leave out the workloads matching these names or globs ('prog_gcc,cache_*')"},
    {"--threads", "LIST", TEXT, AT(threads), 0, 0, NULL,
     "thread counts for threaded workloads, e.g. 1,2,4,8 (default: each suite\n"
     "item's or workload's own)"},
    {"--param", "KEY=VALUE", APPEND, AT(params), 0, 0, NULL,
     "set a parameter of every selected workload that has it; WORKLOAD.KEY=VALUE\n"
     "for one workload; KEY=V1,V2,... sweeps it (one case per value); repeatable"},
    {"--reps", "N", WHOLE, AT(reps), 1, 1000, NULL,
     "measured repetitions (processes per backend and case), after one warm-up\n"
     "round (default 5; 1 with --quick); given alone, exactly N: no extra rounds"},
    {"--target-ci", "PCT[,PCT]", TEXT, AT(target_ci), 0, 0, NULL,
     "after the planned rounds, a cell of a workload that takes samples whose\n"
     "ratio to the baseline has a 95% interval wider than +-PCT% (the second\n"
     "value: threaded cells) gets extra rounds, it and the baseline side by side,\n"
     "until it is narrower, has --max-reps rounds, or --extend-time is spent\n"
     "(default 3,10; not in a sharded run)"},
    {"--extend-time", "SEC", WHOLE, AT(extend_time_s), 0, 86400, NULL,
     "the time the extra rounds may take in all (default 60; 0: none, as when\n"
     "--reps is given without --target-ci, --extend-time or --max-reps)"},
    {"--max-reps", "N", WHOLE, AT(max_reps), 1, 1000, NULL,
     "the most rounds a cell has, extra rounds included (default 25, or --reps\n"
     "when that is more)"},
    {"--min-time", "MS", WHOLE, AT(min_time_ms), 0, 3600000, NULL,
     "a workload that can repeat its timed body does so in one process until its\n"
     "measured samples add up to MS (default 100; 0 with --quick: one sample); the\n"
     "process's value of each metric is the median of its samples"},
    {"--samples", "N", WHOLE, AT(samples), 1, 100000, NULL,
     "exactly N measured samples per process instead of --min-time"},
    {"--warmup-samples", "N", WHOLE, AT(warmup_samples), 0, 1000, NULL,
     "samples at the start of each process, recorded as warm-up and left out of\n"
     "its value (default 1)"},
    {"--max-samples", "N", WHOLE, AT(max_samples), 1, 1000000, NULL,
     "never more measured samples per process (default 1000)"},
    {"--interleave", "MODE", CHOICE, AT(interleave), 0, 0, "samples|processes",
     "samples (default): the backends' processes of a case run side by side and\n"
     "take their samples in turns, so they see the same machine; processes: one\n"
     "process at a time, all its samples in a row"},
    {"--measure", "WHAT", CHOICE, AT(measure), 0, 0, "time|instructions",
     "time (default), or instructions: every process runs under valgrind\n"
     "--tool=callgrind and counts the instructions and simulated cache misses of\n"
     "each sample, exactly and repeatably (2 samples; valgrind runs one thread\n"
     "at a time, so threaded workloads are serialised)"},
    {"--baseline", "NAME", TEXT, AT(baseline), 0, 0, NULL,
     "the backend that ratios, scores and figures compare with (default glibc,\n"
     "else the first backend selected)"},
    {"--compare-to", "RUN", TEXT, AT(compare_to), 0, 0, NULL,
     "after the run, compare it with an earlier run directory, as\n"
     "`bench compare RUN NEW` does (compare.md in the new run)"},
    {"--latency", NULL, SWITCH, AT(latency), 0, 0, NULL,
     "also time every malloc and free of the workloads that record them:\n"
     "malloc_p50_ns .. free_max_ns (p50, p99, p999, max)"},
    {"--quick", NULL, SWITCH, AT(quick), 0, 0, NULL,
     "reduced sizes, one repetition, one sample per process: a smoke run"},
    {"--seed", "N", WHOLE, AT(seed), 0, INT64_MAX, NULL,
     "seed of the run order shuffle (default 1)"},
    {"--timeout", "SEC", WHOLE, AT(timeout_s), 1, 86400, NULL,
     "time limit of one process, counted while it runs (default 300)"},
    {"--out", "DIR", TEXT, AT(out), 0, 0, NULL,
     "write the run directory here, creating missing parents (default\n"
     "results/<run-id>); it must be new or empty"},
    {"--shard", "I/N", TEXT, AT(shard), 0, 0, NULL,
     "run only shard I of N of the run's plan (`bench plan`): every machine given\n"
     "the same flags computes the same plan, so N machines each given their I\n"
     "run the whole plan once; merge their run directories with `bench merge`"},
    {"--costs", "RUN", TEXT, AT(costs), 0, 0, NULL,
     "balance the shards by the times of an earlier run directory's samples\n"
     "instead of the cost model (give every shard the same RUN)"},
    {"--quiet", NULL, SWITCH, AT(quiet), 0, 0, NULL,
     "no progress lines (errors and the final table are still printed)"},
};

static const struct flag *flag_find(const char *name)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(flags[i].name, name) == 0)
            return &flags[i];
    return NULL;
}

static bool is_choice(const char *choices, const char *value)
{
    size_t len = strlen(value);
    for (const char *c = choices; *c;) {
        size_t n = strcspn(c, "|");
        if (n == len && strncmp(c, value, n) == 0)
            return true;
        c += n + (c[n] == '|');
    }
    return false;
}

void options_parse(int argc, char **argv, struct run_options *o)
{
    *o = (struct run_options){.reps = -1, .seed = -1, .timeout_s = -1, .min_time_ms = -1,
                              .samples = -1, .warmup_samples = -1, .max_samples = -1,
                              .extend_time_s = -1, .max_reps = -1};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            printf("Usage: bench run [options]\n\nOptions:\n");
            options_print_help();
            exit(0);
        }
        const struct flag *f = flag_find(arg);
        if (!f && strncmp(arg, "--", 2) == 0)
            usage_error("unknown option '%s'", arg);
        if (!f)
            usage_error("unexpected argument '%s' (options start with --)", arg);
        char *field = (char *)o + f->offset;
        if (f->kind == SWITCH) {
            *(bool *)field = true;
            continue;
        }
        if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
            usage_error("%s needs a value (%s)", arg, f->value);
        const char *value = argv[++i];
        switch (f->kind) {
        case TEXT:
            if (!*value)
                usage_error("%s is empty", arg);
            *(const char **)field = value;
            break;
        case CHOICE:
            if (!is_choice(f->choices, value))
                usage_error("%s expects one of %s, got '%s'", arg, f->choices, value);
            *(const char **)field = value;
            break;
        case WHOLE: {
            long long v;
            if (!parse_ll(value, &v) || v < f->min || v > f->max)
                usage_error("%s expects a whole number in %lld..%lld, got '%s'", arg, f->min,
                            f->max, value);
            *(long long *)field = v;
            break;
        }
        case APPEND:
            o->params = xrealloc(o->params, (o->param_count + 1) * sizeof *o->params);
            o->params[o->param_count++] = value;
            break;
        case SWITCH:
            break;
        }
    }
}

void options_print_help(void)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const struct flag *f = &flags[i];
        char head[48];
        snprintf(head, sizeof head, "%s%s%s", f->name, f->value ? " " : "", f->value ? f->value : "");
        const char *line = f->help;
        bool first = true;
        while (*line) {
            size_t n = strcspn(line, "\n");
            printf("  %-20s %.*s\n", first ? head : "", (int)n, line);
            first = false;
            line += n + (line[n] == '\n');
        }
    }
}
