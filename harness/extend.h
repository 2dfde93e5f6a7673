/* Extra rounds: after a run's planned rounds, a cell whose ratio to the
 * baseline still has a 95% interval wider than the target gets more rounds
 * of its own (its backend and the baseline, side by side as in every
 * round), until the interval is narrow enough, the cell has --max-reps
 * rounds, or the run's --extend-time is spent. The rule looks only at the
 * interval's width, never at where the ratio lies, so that it cannot steer
 * a ratio toward a wanted answer (a fixed-width interval rule in the manner
 * of Chow and Robbins). This file decides which cells are still too wide;
 * the runner runs their rounds. */
#ifndef BENCH_EXTEND_H
#define BENCH_EXTEND_H

#include <stdbool.h>
#include <stddef.h>
#include "meta.h"

#define DEFAULT_TARGET_PCT 3.0          /* a single-threaded cell */
#define DEFAULT_TARGET_THREADED_PCT 10.0 /* a threaded one: threads share the cores */
#define DEFAULT_EXTEND_TIME_S 60
#define DEFAULT_MAX_REPS 25

/* Parses --target-ci's "PCT" or "PCT,THREADED_PCT" (0 < PCT <= 100; one
 * value sets both); a usage error otherwise. */
void extend_parse_target(const char *text, double *pct, double *threaded_pct);

/* Whether case c of m can have extra rounds: a time run, a case whose
 * processes take samples (the others cost a whole process a value), an
 * unsharded run (a shard runs its plan, nothing more: merged shards must
 * equal one run of that plan) with at least two rounds and a budget. */
bool extend_case_eligible(const struct run_meta *m, size_t c);

/* One backend of one case, as the extra rounds see it. */
struct extend_cell {
    bool wide;       /* eligible, not the baseline, and its interval too wide */
    double width;    /* its half-width in percent (NAN: no interval yet) */
    double target;   /* the target it is held to, in percent */
    size_t rounds;   /* its ok rounds so far */
    /* the runner fills these two: */
    double cost_s;   /* its last process's seconds */
    bool capped;     /* its case has had --max-reps rounds */
};

/* Reads RUN_DIR's results.csv and samples.csv as written so far into
 * cells[c * backend_count + b] (wide, width, target, rounds) for each case c
 * that is eligible[c] and each backend backends[b]. Returns how many are
 * wide. */
size_t extend_measure(const char *run_dir, const struct run_meta *m,
                      struct backend *const *backends, size_t backend_count,
                      const bool *eligible, struct extend_cell *cells);

/* Chooses the wide cells, not capped, that get a round in the next pass (pick[i]), given
 * the seconds left: a cell's width shrinks as one over the square root of
 * its rounds, so it needs about rounds * (width / target)^2 in all (at most
 * m->max_reps); the cells whose rounds to the target cost least (their
 * process and the baseline's, base_cost_s[c]) go first, as many as the
 * seconds left pay for to the end. When none can be paid to the end, the
 * cheapest rounds go first, as many as fit once. Returns how many. */
size_t extend_pick(const struct run_meta *m, size_t backend_count,
                   const struct extend_cell *cells, const double *base_cost_s,
                   double seconds_left, bool *pick);

#endif
