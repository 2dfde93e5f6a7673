/* prog_redis: a real server. redis-server (persistence off) runs under the
 * backend on a free port of 127.0.0.1; redis-benchmark, run without the
 * backend, sends `requests` pipelined requests of each of SET, GET, LPUSH,
 * LPOP and LRANGE_100 from 20 connections, over a key space of 100,000 keys
 * and 64-byte values: the server allocates and frees its keys, values, list
 * nodes and reply buffers. Timed is the client's run; reported are the
 * client's requests per second per command. Debian's redis links libjemalloc
 * for its statistics (mallctl) and a size hint (nallocx); under another
 * backend, its malloc, free, calloc and realloc are the backend's, which the
 * probe checks (harness/workload.h, "Servers"). Parameters: requests. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"requests", "20000", "2000", 100, 100000000, NULL, "requests per command"},
    {0},
};

/* redis-benchmark --csv: a header, then "NAME","rps",... per test; NAME may
 * be followed by a remark ("LRANGE_100 (first 100 elements)"). The second
 * LPUSH, which fills the list for LRANGE, is not one of the measured ones. */
static void report_rates(struct bench_ctx *ctx, const char *path)
{
    static const char *const commands[] = {"SET", "GET", "LPUSH", "LPOP", "LRANGE_100"};
    bool seen[5] = {false};
    FILE *f = fopen(path, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char test[128];
        double rps;
        if (sscanf(line, "\"%127[^\" ]%*[^\"]\",\"%lf\"", test, &rps) != 2 &&
            sscanf(line, "\"%127[^\" ]\",\"%lf\"", test, &rps) != 2)
            continue;
        for (size_t i = 0; i < 5; i++)
            if (strcmp(test, commands[i]) == 0 && !seen[i]) {
                char metric[64];
                snprintf(metric, sizeof metric, "requests_per_s_%s", commands[i]);
                for (char *c = metric; *c; c++)
                    *c = (char)tolower((unsigned char)*c);
                bench_metric(ctx, metric, rps, "requests/s");
                seen[i] = true;
            }
    }
    if (f)
        fclose(f);
    for (size_t i = 0; i < 5; i++)
        if (!seen[i])
            bench_fail(ctx, "redis-benchmark reported no rate for %s (its output: %s)",
                       commands[i], path);
}

static int run(struct bench_ctx *ctx)
{
    char requests[32];
    snprintf(requests, sizeof requests, "%lld", bench_param_int(ctx, "requests"));
    const char *server[] = {"redis-server", "--bind", "127.0.0.1", "--port", "{port}",
                            "--save", "", "--appendonly", "no", "--daemonize", "no", NULL};
    const char *client[] = {"redis-benchmark", "-h", "127.0.0.1", "-p", "{port}", "-q", "--csv",
                            "-n", requests, "-c", "20", "-P", "16", "-r", "100000", "-d", "64",
                            "-t", "set,get,lpush,lpop,lrange_100", NULL};
    const char *out = bench_server_run(ctx, &(struct bench_server){
        .argv = server, .package = "redis-server", .client = client, .client_package = "redis-tools"});
    report_rates(ctx, out);
    return 0;
}

BENCH_WORKLOAD(prog_redis, .summary = "real server: redis-server under redis-benchmark (SET, GET, LPUSH, LPOP, LRANGE_100, pipelined)",
               .params = params, .suites = "programs", .tiny = "requests=2000",
               .run = run);
