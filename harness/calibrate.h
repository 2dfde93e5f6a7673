/* How steady is this machine? Two fixed loops, timed by the runner (never
 * inside a measured process) at the start, between groups and at the end of
 * a run: a chain of dependent multiplications (the core's clock) and a
 * free-list push/pop through memory (the store-to-load traffic allocators
 * live on). On this project's shared machines the second one swings by up
 * to 1.6x between speed regimes that last seconds while the first one does
 * not move: meta.json records both, so a reader sees how noisy the machine
 * was while the run was taken. */
#ifndef BENCH_CALIBRATE_H
#define BENCH_CALIBRATE_H

#include <stddef.h>
#include <stdio.h>

struct calibration {
    double *alu_ms, *memory_ms; /* one entry per probe */
    size_t count, capacity;
};

/* Times each loop `times` times (about 0.5 ms each) and keeps the figures. */
void calibration_probe(struct calibration *cal, int times);

/* The JSON object meta.json holds: for each loop its median, p10, p90, min,
 * max and the number of probes; "null" without probes. */
void calibration_write_json(FILE *f, const struct calibration *cal);

void calibration_free(struct calibration *cal);

#endif
