/* prog_perl: a real program. perl runs workloads/programs/alloc_heavy.pl:
 * hashes of arrays of hashes built, walked in sorted order and dropped,
 * lines generated and rewritten by regexes, matches counted in a hash,
 * text joined, split and reversed, three rounds. Debian's perl uses the
 * system malloc (usemymalloc=n). Timed as a whole under the backend, output
 * compared with glibc's, allocator verified inside (harness/workload.h,
 * "Real programs"). Parameters: records. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"records", "10000", "2000", 1, 100000000, NULL, "records per round of the script"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char records[32];
    snprintf(records, sizeof records, "%lld", bench_param_int(ctx, "records"));
    const char *argv[] = {"perl", "@alloc_heavy.pl", records, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "perl"});
    return 0;
}

BENCH_WORKLOAD(prog_perl, .summary = "real program: perl running hashes, regexes and strings",
               .params = params, .suites = "programs", .tiny = "records=1000",
               .run = run);
