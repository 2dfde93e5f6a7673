/* prog_memcached: a real server. memcached (2 worker threads, 64 MiB of
 * cache) runs under the backend on a free port of 127.0.0.1; memaslap
 * (Debian's libmemcached-tools calls it memcaslap), run without the backend,
 * performs `ops` operations, 90% gets and 10% sets of values of about 1 KiB
 * (its default size mix), from 16 concurrent connections, and verifies a
 * tenth of the values it gets back. memcached keeps items in its own slabs
 * (1 MiB pages it mallocs) and mallocs its connections, buffers and hash
 * table. Timed is the client's run; reported are the client's operations
 * per second (its TPS) and its get misses; a value that comes back wrong
 * ends the run `corrupt` (harness/workload.h, "Servers"). Parameters: ops. */
#include <stdio.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"ops", "15000", "2000", 100, 100000000, NULL, "get and set operations"},
    {0},
};

/* memaslap ends with "get_misses: N", "verify_failed: N", ... and
 * "Run time: 0.3s Ops: 24992 TPS: 91408 Net_rate: 102.3M/s". */
static void report_rates(struct bench_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    double tps = -1, misses = -1, failed = -1, v;
    while (f && fgets(line, sizeof line, f)) {
        char *at = strstr(line, "TPS: ");
        if (at && sscanf(at, "TPS: %lf", &v) == 1)
            tps = v;
        else if (sscanf(line, "get_misses: %lf", &v) == 1)
            misses = v;
        else if (sscanf(line, "verify_failed: %lf", &v) == 1)
            failed = v;
    }
    if (f)
        fclose(f);
    if (tps < 0 || misses < 0 || failed < 0)
        bench_fail(ctx, "memaslap reported no TPS, get_misses or verify_failed (its output: %s)",
                   path);
    if (failed > 0)
        bench_corrupt(ctx, "memaslap got %.0f wrong values back from memcached", failed);
    bench_metric(ctx, "ops_per_s", tps, "ops/s");
    bench_metric(ctx, "get_misses", misses, "count");
}

static int run(struct bench_ctx *ctx)
{
    char ops[32];
    snprintf(ops, sizeof ops, "%lld", bench_param_int(ctx, "ops"));
    /* -u: memcached refuses to run as root without a user to switch to;
     * as root it stays root, as anyone else it ignores the option. */
    const char *server[] = {"memcached", "-u", "root", "-l", "127.0.0.1", "-p", "{port}",
                            "-U", "0", "-t", "2", "-m", "64", NULL};
    const char *client[] = {"memcaslap", "-s", "127.0.0.1:{port}", "-T", "1", "-c", "16",
                            "-x", ops, "--verify=0.1", NULL};
    const char *out = bench_server_run(ctx, &(struct bench_server){
        .argv = server, .package = "memcached", .client = client,
        .client_package = "libmemcached-tools"});
    report_rates(ctx, out);
    return 0;
}

BENCH_WORKLOAD(prog_memcached, .summary = "real server: memcached under memaslap (90% get, 10% set, ~1 KiB values, verified)",
               .params = params, .suites = "programs", .tiny = "ops=2000",
               .run = run);
