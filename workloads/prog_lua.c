/* prog_lua: a real program. lua5.4 runs workloads/programs/alloc_heavy.lua:
 * tables of records built, sorted and dropped, strings repeated, replaced
 * and folded, closures capturing upvalues, three rounds with a full
 * collection after each. Lua's allocator is one function over realloc and
 * free, so every table that grows is a realloc. Timed as a whole under the
 * backend, output compared with glibc's, allocator verified inside
 * (harness/workload.h, "Real programs"). Parameters: records. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"records", "15000", "3000", 1, 100000000, NULL, "records per round of the script"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char records[32];
    snprintf(records, sizeof records, "%lld", bench_param_int(ctx, "records"));
    const char *argv[] = {"lua5.4", "@alloc_heavy.lua", records, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "lua5.4"});
    return 0;
}

BENCH_WORKLOAD(prog_lua, .summary = "real program: lua5.4 running an allocation-heavy script (tables, strings, closures)",
               .params = params, .suites = "programs", .tiny = "records=2000",
               .run = run);
