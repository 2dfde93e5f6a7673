/* The result files' schema, written down once, and reading and writing
 * CSV records (RFC 4180 quoting). README.md documents every column. */
#ifndef BENCH_CSV_H
#define BENCH_CSV_H

#include <stdbool.h>
#include <stdio.h>

/* results.csv: one row per metric of one measured process (the median over
 * its `samples` measured samples), or one row with metric "run" and an empty
 * value when the process did not end `ok`. run_id and host say which run
 * and machine a row comes from, so that runs can be merged. Files written
 * before the last three columns existed are still read (they count as
 * samples=1 and the run_id and host of nowhere). */
#define RESULTS_HEADER \
    "backend,workload,threads,rep,metric,value,unit,status,params,detail,samples,run_id,host"
/* samples.csv: every sample of every process, warm-up samples included
 * (warmup=1); turn: the group's turn the sample was taken in (samples of one
 * turn were taken side by side; -1 when processes ran one at a time); t_ms
 * is when the sample ended, in ms since the run started. */
#define SAMPLES_HEADER \
    "backend,workload,threads,rep,sample,turn,warmup,metric,value,unit,t_ms,run_id,host"
/* summary.csv: one row per backend x workload x threads x metric. */
#define SUMMARY_HEADER \
    "backend,workload,threads,metric,unit,n,median,min,max,baseline,ratio,ci_low,ci_high," \
    "verdict,pairs,runs"
/* summary_by_host.csv: the same for each host of a merged run. */
#define SUMMARY_BY_HOST_HEADER "host," SUMMARY_HEADER
/* scores.csv: one row per backend (summary.c, stats.h). */
#define SCORES_HEADER \
    "backend,baseline,metric,cells,cells_total,score,ci_low,ci_high,verdict,resamples,seed," \
    "not_counted"

struct result_row {
    char *backend, *workload;
    int threads, rep;
    char *metric, *value, *unit, *status, *params, *detail;
    int samples;
    char *run_id, *host;
};

/* Writes one field, quoted when it holds a comma, quote or newline. */
void csv_write_field(FILE *f, const char *text, bool last);
void csv_write_row(FILE *f, const struct result_row *row);

/* Reads one record; returns the number of fields, 0 at end of file. The
 * fields stay valid until the next call. */
size_t csv_read_record(FILE *f, char ***fields_out);

/* The position of column `name` in a header record, or -1. */
int csv_column(char **fields, size_t n, const char *name);

/* Reads the header record of f and finds `count` named columns in it (cols);
 * a usage error naming path, the missing column and the `expected` header
 * otherwise. Returns how many fields a row needs to hold them all. */
size_t csv_find_columns(FILE *f, const char *path, const char *const *names, int count, int *cols,
                        const char *expected);

/* Loads results.csv; exits with a clear message on a missing file or a wrong
 * header. */
size_t results_load(const char *path, struct result_row **rows_out);
void results_free(struct result_row *rows, size_t n);

#endif
