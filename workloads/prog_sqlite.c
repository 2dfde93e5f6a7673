/* prog_sqlite: a real program. The sqlite3 shell runs
 * workloads/programs/queries.sql on an in-memory database: inserts of `rows`
 * rows, two indexes, updates, deletes, a self-join and aggregate queries, so
 * the allocator serves the page cache, B-tree cells, statement objects and
 * result strings. Timed as a whole under the backend, output compared with
 * glibc's, allocator verified inside (harness/workload.h, "Real programs").
 * Parameters: rows. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"rows", "50000", "10000", 1, 100000000, NULL, "rows inserted"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, ".parameter set @rows %lld", bench_param_int(ctx, "rows"));
    const char *argv[] = {"sqlite3", "-batch", ":memory:", "-cmd", cmd, NULL};
    bench_program_run(ctx, &(struct bench_program){
                               .argv = argv, .package = "sqlite3", .stdin_file = "@queries.sql"});
    return 0;
}

BENCH_WORKLOAD(prog_sqlite, .summary = "real program: sqlite3 running inserts, updates and queries in memory",
               .params = params, .suites = "programs", .tiny = "rows=2000",
               .run = run);
