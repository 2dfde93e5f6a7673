/* prog_python: a real program. python3 (Debian's /usr/bin/python3) runs
 * workloads/programs/alloc_heavy.py, which builds, sorts and drops hundreds
 * of thousands of dicts, tuples, lists and strings: an interpreter's
 * allocation pattern (many small short-lived objects, pymalloc above the
 * allocator for the smallest). The whole command is timed under the
 * backend; its output must equal its output under glibc, and the probe must
 * see the backend's malloc inside it (harness/workload.h, "Real programs").
 * Parameters: records (objects per round of the script). */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"records", "25000", "5000", 1, 100000000, NULL, "records the script builds per round"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char records[32];
    snprintf(records, sizeof records, "%lld", bench_param_int(ctx, "records"));
    const char *argv[] = {"python3", "@alloc_heavy.py", records, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "python3"});
    return 0;
}

BENCH_WORKLOAD(prog_python, .summary = "real program: python3 running an allocation-heavy script",
               .params = params, .suites = "programs", .tiny = "records=2000",
               .run = run);
