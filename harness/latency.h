/* Per-operation latency (`bench run --latency`): the cycle counter's
 * calibration against the monotonic clock, the per-thread recorders the
 * workloads fill (harness/workload.h), and the percentiles the measured child
 * reports at the end of a run. Recorders live in mmap'd memory, never in the
 * allocator under test. */
#ifndef BENCH_LATENCY_H
#define BENCH_LATENCY_H

#include <stdbool.h>
#include "workload.h"

/* Set by `bench run --latency`; the runner passes it to every child. */
extern bool latency_requested;

/* In the child, before the workload: enables the recorders, measures the
 * counter's rate against CLOCK_MONOTONIC (about 20 ms) and the median cost of
 * reading it twice, which every sample has subtracted. */
void latency_enable(void);

/* Before each sample: a warm-up sample (measured false) gets no recorders,
 * so the percentiles cover the measured samples only. */
void latency_sample(bool measured);

/* After the workload: merges every thread's recorder and reports, per kind
 * that saw any operation, <kind>_p50_ns, _p90_ns, _p99_ns, _p999_ns, _p9999_ns, _max_ns (unit ns),
 * plus timer_overhead_ns and timer_resolution_ns once. */
void latency_report(struct bench_ctx *ctx);

#endif
