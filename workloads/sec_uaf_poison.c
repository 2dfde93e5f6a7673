/* sec_uaf_poison: two 64-byte blocks freed, then a write after free into the
 * last one's first word (where most allocators keep the free-list link),
 * storing the address of a static array: "free-list poisoning", which makes
 * the second malloc after it return memory of the attacker's choosing.
 * Encoded links (glibc's safe-linking, mimalloc's secure mode) turn the
 * address into garbage that a check rejects; plain links hand the array out.
 * glibc's check is of alignment: the decoded address is aligned, and so
 * passes, in about one process in 16 (it depends on where the heap was
 * placed). Follow-up: 4096 mallocs of 64 bytes, checked against each other and
 * the array (which stays in use). */
#include <string.h>
#include "../harness/workload.h"

static _Alignas(4096) char target[4096];

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    bench_misuse_keep(target, sizeof target);
    char *first = malloc(64), *p = bench_misuse_hide(malloc(64));
    free(first);
    free(p);
    char *aim = target + 1024;
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    memcpy(bench_misuse_hide(p), &aim, sizeof aim);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_uaf_poison,
               .summary = "misuse: a freed block's first word overwritten with an address",
               .suites = "security", .tiny = "", .run = run);
