/* Real-program workloads that end badly on purpose, compiled only into
 * build/tests/bench-test, so tests/test_workloads.sh can check how each
 * ending of an external command is recorded. */
#include "../../harness/workload.h"

static const struct bench_param no_params[] = {{0}};

static int run_missing(struct bench_ctx *ctx)
{
    const char *argv[] = {"no-such-program-for-bench", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "no-such-package"});
    return 0;
}
BENCH_WORKLOAD(test_prog_missing, .summary = "runs a program that is not installed",
               .params = no_params, .run = run_missing);

static int run_fails(struct bench_ctx *ctx)
{
    const char *argv[] = {"sh", "-c", "echo failing on purpose >&2; exit 3", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_fails, .summary = "runs a program that exits with status 3",
               .params = no_params, .run = run_fails);

static int run_crashes(struct bench_ctx *ctx)
{
    const char *argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_crashes, .summary = "runs a program that dies of SIGSEGV",
               .params = no_params, .run = run_crashes);

static int run_changes(struct bench_ctx *ctx)
{
    /* Different output on every run: never equal to the glibc reference. */
    const char *argv[] = {"sh", "-c", "echo $$", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_changes, .summary = "runs a program whose output differs from glibc's",
               .params = no_params, .run = run_changes);
