/* build/trace-dump: prints a trace (trace/format.h) as text, to look at what
 * a program allocates and to test the tracer. Usage:
 *   trace-dump FILE        one summary line
 *   trace-dump -v FILE     the summary, then one line per operation in the
 *                          global order: seq thread kind id size [align]
 * Exits 1, with the loader's reason, when the file is not a whole trace. */
#include "load.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void print_summary(const struct trace *t)
{
    printf("program %s ops %llu threads %u ids %u peak_live_bytes %llu cross_thread %llu "
           "signal %u page_size %u\n",
           t->name, (unsigned long long)t->ops, t->threads, t->ids,
           (unsigned long long)t->peak_live_bytes, (unsigned long long)t->cross_thread,
           t->signal, t->page_size);
}

/* The operations of all threads merged back into the global order. */
static void print_ops(const struct trace *t)
{
    uint64_t at[t->threads ? t->threads : 1];
    memset(at, 0, sizeof at);
    for (uint64_t seq = 0; seq < t->ops; seq++) {
        for (uint32_t i = 0; i < t->threads; i++) {
            const struct trace_op *op = &t->thread[i].ops[at[i]];
            if (at[i] == t->thread[i].count || op->seq != seq)
                continue;
            at[i]++;
            printf("%llu %u %s %u %llu", (unsigned long long)seq, i, trace_kind_name(op->kind),
                   op->id, (unsigned long long)op->size);
            if (trace_kind_aligned(op->kind))
                printf(" %llu", 1ull << op->align_shift);
            putchar('\n');
            break;
        }
    }
}

int main(int argc, char **argv)
{
    bool verbose = argc == 3 && strcmp(argv[1], "-v") == 0;
    if (argc != 2 + verbose) {
        fprintf(stderr, "usage: trace-dump [-v] FILE\n");
        return 2;
    }
    struct trace t;
    char why[512];
    if (trace_load(argv[1 + verbose], &t, why, sizeof why) != 0) {
        fprintf(stderr, "trace-dump: %s: %s\n", argv[1 + verbose], why);
        return 1;
    }
    print_summary(&t);
    if (verbose)
        print_ops(&t);
    trace_unload(&t);
    return 0;
}
