/* A workload that reports what a configured backend put into the measured
 * child's environment, compiled only into build/tests/bench-test, so
 * tests/test_harness.sh can check that a backend's settings reach the child
 * (and the allocator in it) and nothing else. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include "../../harness/workload.h"

static const struct bench_param no_params[] = {{0}};

static int run_env(struct bench_ctx *ctx)
{
    bench_region_begin(ctx);
    bench_region_end(ctx);
    const char *v = getenv("BENCH_TEST_SETTING");
    bench_metric(ctx, "bench_test_setting", v ? atof(v) : -1, "value");
    /* Under jemalloc: whether it read MALLOC_CONF's background_thread. */
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    bool on = false;
    size_t len = sizeof on;
    if (mallctl && mallctl("opt.background_thread", &on, &len, NULL, 0) == 0)
        bench_metric(ctx, "jemalloc_background_thread", on, "bool");
    return 0;
}
BENCH_WORKLOAD(test_env, .summary = "reports BENCH_TEST_SETTING and jemalloc's background_thread",
               .params = no_params, .run = run_env);
