/* prog_gcc: a real program. gcc -O2 compiles workloads/programs/compile_me.c
 * (copies x 16 generated functions) to assembly on its standard output. The
 * compiler is two processes (the gcc driver and cc1), both preloaded and both
 * verified; cc1 allocates trees, RTL and hash tables by the million. Timed as
 * a whole under the backend, output compared with glibc's (harness/workload.h,
 * "Real programs"). Parameters: copies. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"copies", "1", "1", 1, 16, NULL, "blocks of 16 generated functions to compile"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char copies[32];
    snprintf(copies, sizeof copies, "-DCOPIES=%lld", bench_param_int(ctx, "copies"));
    const char *argv[] = {"gcc", "-O2", "-S", "-o", "-", copies, "@compile_me.c", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "gcc"});
    return 0;
}

BENCH_WORKLOAD(prog_gcc, .summary = "real program: gcc -O2 compiling a generated C file",
               .params = params, .suites = "programs", .tiny = "copies=1",
               .run = run);
