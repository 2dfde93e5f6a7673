/* The machine's steadiness probes (calibrate.h). */
#include "calibrate.h"
#include "stats.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define ALU_STEPS 300000
#define MEMORY_STEPS 300000
#define NODES 64

static volatile uint64_t sink; /* keeps the loops' results alive */

/* A chain of dependent multiply-xorshift steps: bound by the core's clock. */
static uint64_t alu_loop(void)
{
    uint64_t x = 1;
    for (long i = 0; i < ALU_STEPS; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 17;
    }
    return x;
}

/* Pop a node from one of eight lists, write into it, push it back: each
 * step loads what an earlier step stored, as a malloc/free pair does. */
struct node {
    struct node *next;
    uint64_t payload[7];
};
static struct node nodes[NODES];
static struct node *volatile heads[8];

static uint64_t memory_loop(void)
{
    for (int i = 0; i < NODES; i++) {
        nodes[i].next = heads[i % 8];
        heads[i % 8] = &nodes[i];
    }
    uint64_t sum = 0;
    for (long i = 0; i < MEMORY_STEPS; i++) {
        int list = (int)(i & 7);
        struct node *n = heads[list];
        heads[list] = n->next;
        n->payload[1] = (uint64_t)i;
        sum += n->payload[1];
        n->next = heads[list];
        heads[list] = n;
    }
    for (int i = 0; i < 8; i++)
        heads[i] = NULL;
    return sum;
}

void calibration_probe(struct calibration *cal, int times)
{
    for (int t = 0; t < times; t++) {
        if (cal->count == cal->capacity) {
            cal->capacity = cal->capacity ? cal->capacity * 2 : 64;
            cal->alu_ms = xrealloc(cal->alu_ms, cal->capacity * sizeof *cal->alu_ms);
            cal->memory_ms = xrealloc(cal->memory_ms, cal->capacity * sizeof *cal->memory_ms);
        }
        uint64_t t0 = now_ns();
        sink = alu_loop();
        uint64_t t1 = now_ns();
        sink = memory_loop();
        uint64_t t2 = now_ns();
        cal->alu_ms[cal->count] = (double)(t1 - t0) / 1e6;
        cal->memory_ms[cal->count] = (double)(t2 - t1) / 1e6;
        cal->count++;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void write_loop(FILE *f, const char *name, const double *values, size_t n, bool last)
{
    double *sorted = xmalloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = values[i];
    qsort(sorted, n, sizeof *sorted, cmp_double);
    fprintf(f, "\"%s\": {\"median\": %.4f, \"p10\": %.4f, \"p90\": %.4f, \"min\": %.4f, "
               "\"max\": %.4f, \"probes\": %zu}%s",
            name, stats_median(sorted, n), sorted[n / 10], sorted[n - 1 - n / 10], sorted[0],
            sorted[n - 1], n, last ? "" : ", ");
    free(sorted);
}

void calibration_write_json(FILE *f, const struct calibration *cal)
{
    if (cal->count == 0) {
        fputs("null", f);
        return;
    }
    fputc('{', f);
    write_loop(f, "alu_ms", cal->alu_ms, cal->count, false);
    write_loop(f, "memory_ms", cal->memory_ms, cal->count, true);
    fputc('}', f);
}

void calibration_free(struct calibration *cal)
{
    free(cal->alu_ms);
    free(cal->memory_ms);
    *cal = (struct calibration){0};
}
