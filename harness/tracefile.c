/* bench_trace_file (harness/tracefile.h): the unpacked trace of a short name,
 * beside build/bench (build/traces/) or one level up for
 * build/tests/bench-test. */
#include "tracefile.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

const char *bench_trace_file(struct bench_ctx *ctx, const char *name)
{
    static char path[PATH_MAX];
    const char *tries[] = {"/traces/", "/../traces/"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s%s.trace", exe_dir(), tries[i], name);
        if (access(path, R_OK) == 0)
            return path;
    }
    bench_fail(ctx, "no trace '%s': %s/traces/%s.trace is missing (run make: it unpacks "
                    "workloads/traces/%s.trace.xz)", name, exe_dir(), name, name);
}
