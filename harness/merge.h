/* `bench merge DIR... --out DIR`: one run directory from several runs of
 * the same build (machines, days, shards of one plan). Every row keeps the
 * run_id and host it came from, so repetitions of different runs never
 * collide and each keeps its pairing with the baseline of its own round;
 * the same run given twice is refused (it would count its repetitions
 * twice), and so are runs of different builds unless --pool says to pool
 * them. The merged directory gets results.csv, samples.csv, summary.csv
 * (pooled), summary_by_host.csv (one summary per host), scores.csv and a
 * meta.json that lists what was merged. */
#ifndef BENCH_MERGE_H
#define BENCH_MERGE_H

int merge_command(int argc, char **argv);

#endif
