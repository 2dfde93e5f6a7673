/* Whether the runs given to `bench merge` are shards of one plan (plan.h),
 * and whether together they hold every measured group of it exactly once:
 * every backend's rows of every (round, case) the plan lists. A shard is a
 * run whose meta.json says "plan_shard": "I/N" with N > 1; runs that are no
 * shards (whole runs of a plan, old runs) merge as before, unchecked. */
#ifndef BENCH_SHARDS_H
#define BENCH_SHARDS_H

#include <stdbool.h>
#include <stddef.h>

struct shards_check {
    char *plan_hash;    /* the plan every input shares, or NULL */
    const char *plan_csv; /* an input's plan.csv of that plan, or NULL */
    int shard_count;    /* > 1 when the inputs are shards of it */
    size_t cells;       /* measured (group, backend) pairs of the plan */
    size_t missing;     /* of them, in no input (listed on stderr) */
};

/* Checks the inputs. Shards of different plans, or shards beside runs that
 * are not of their plan, are refused with a usage error that says which and
 * why, as is a group found in two inputs (it would count twice), unless
 * pool: then they merge unchecked. Missing groups are listed on stderr and
 * counted in out->missing; the caller merges what is there. */
void shards_check(const char *const *dirs, size_t count, bool pool, struct shards_check *out);

#endif
