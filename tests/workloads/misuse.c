/* A misuse case whose reaction is known whatever the allocator, compiled
 * only into build/tests/bench-test, so tests/test_security.sh can check how
 * harness/misuse.c classifies each way a grandchild can end. Parameter
 * `act`: what happens in place of an allocator's reaction. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "../../harness/workload.h"

static const struct bench_param params[] = {
    {"act", "say", NULL, 0, 0, "say|fault|crash_later|spread|hang|die_in_setup",
     "say: a message at the misuse, then on; fault: SIGSEGV at the misuse; "
     "crash_later: SIGSEGV in the follow-up; spread: the follow-up sees corrupted "
     "state; hang: never ends; die_in_setup: SIGSEGV before the misuse"},
    {0},
};

static const char *act; /* set before the fork, read in the grandchild */

static void body(void)
{
    if (strcmp(act, "die_in_setup") == 0)
        raise(SIGSEGV);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    if (strcmp(act, "say") == 0) {
        static const char message[] = "test allocator: bad free of 0x1234\n";
        ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
        (void)ignored;
    }
    if (strcmp(act, "fault") == 0)
        raise(SIGSEGV);
    while (strcmp(act, "hang") == 0)
        pause();
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    if (strcmp(act, "crash_later") == 0)
        raise(SIGSEGV);
    if (strcmp(act, "spread") == 0)
        bench_misuse_mark(BENCH_MISUSE_SPREAD, "two live blocks at one address");
}

static int run(struct bench_ctx *ctx)
{
    act = bench_param_str(ctx, "act");
    return bench_misuse_run(ctx, body);
}

BENCH_WORKLOAD(test_misuse, .summary = "a misuse case with a known reaction (act=...)",
               .params = params, .run = run);
