/* The result files' schema, written down once, and reading and writing
 * CSV records (RFC 4180 quoting). README.md documents every column. */
#ifndef BENCH_CSV_H
#define BENCH_CSV_H

#include <stdbool.h>
#include <stdio.h>

/* results.csv: one row per measured value of one run (or one row with metric
 * "run" and an empty value when the run did not end `ok`). */
#define RESULTS_HEADER "backend,workload,threads,rep,metric,value,unit,status,params,detail"
/* summary.csv: one row per backend x workload x threads x metric. */
#define SUMMARY_HEADER \
    "backend,workload,threads,metric,unit,n,median,min,max,ratio_vs_glibc,ci_low,ci_high,runs"
/* scores.csv: one row per backend (summary.c, stats.h). */
#define SCORES_HEADER \
    "backend,metric,cells,cells_total,score,ci_low,ci_high,resamples,seed,not_counted"

struct result_row {
    char *backend, *workload;
    int threads, rep;
    char *metric, *value, *unit, *status, *params, *detail;
};

/* Writes one field, quoted when it holds a comma, quote or newline. */
void csv_write_field(FILE *f, const char *text, bool last);
void csv_write_row(FILE *f, const struct result_row *row);

/* Reads one record; returns the number of fields, 0 at end of file. The
 * fields stay valid until the next call. */
size_t csv_read_record(FILE *f, char ***fields_out);

/* Loads results.csv; exits with a clear message on a missing file or a wrong
 * header. */
size_t results_load(const char *path, struct result_row **rows_out);

#endif
