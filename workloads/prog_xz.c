/* prog_xz: a real multi-threaded program. xz compresses a generated text
 * file with --threads (the --threads value, default 2) worker threads and
 * small blocks, so its threads allocate and free their encoder buffers
 * concurrently and hand blocks to the main thread. The input (input_kib KiB
 * of pseudo-random words from a fixed seed) is written once per run
 * directory, outside the timed region. Timed as a whole under the backend,
 * output compared with glibc's (the same -T gives the same bytes), allocator
 * verified inside (harness/workload.h, "Real programs").
 * Parameters: input_kib, level; threads with --threads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"input_kib", "4096", "512", 1, 1 << 22, NULL, "size of the generated input, KiB"},
    {"level", "1", NULL, 0, 9, NULL, "xz preset"},
    {0},
};

static void write_input(struct bench_ctx *ctx, const char *path, const void *arg)
{
    static const char *const words[] = {"alloc", "free", "page", "span", "arena", "heap",
                                        "thread", "cache", "block", "size", "class", "remote"};
    FILE *f = fopen(path, "w");
    if (!f)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
    uint64_t rng = 42;
    long long written = 0, target = *(const long long *)arg * 1024;
    while (written < target) {
        int n = fprintf(f, "%s%u%c", words[bench_rand(&rng) % 12],
                        (unsigned)(bench_rand(&rng) % 1000),
                        bench_rand(&rng) % 12 ? ' ' : '\n');
        written += n > 0 ? n : 1;
    }
    if (fclose(f) != 0)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
}

static int run(struct bench_ctx *ctx)
{
    char threads[32], level[8];
    snprintf(threads, sizeof threads, "--threads=%d", bench_threads(ctx));
    snprintf(level, sizeof level, "-%lld", bench_param_int(ctx, "level"));
    long long kib = bench_param_int(ctx, "input_kib");
    char name[64];
    snprintf(name, sizeof name, "xz-input-%lldk.txt", kib);
    const char *in = bench_program_input(ctx, name, write_input, &kib);
    const char *argv[] = {"xz", threads, level, "--block-size=262144", "-c", NULL};
    bench_program_run(ctx, &(struct bench_program){
                               .argv = argv, .package = "xz-utils", .stdin_file = in});
    return 0;
}

BENCH_WORKLOAD(prog_xz, .summary = "real program, multi-threaded: xz --threads compressing generated text",
               .params = params, .threaded = true, .default_threads = 2, .suites = "programs", .tiny = "input_kib=128",
               .run = run);
