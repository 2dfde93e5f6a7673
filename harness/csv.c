/* Reading and writing the result files' CSV records. */
#include "csv.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void csv_write_field(FILE *f, const char *text, bool last)
{
    if (!text)
        text = "";
    if (strpbrk(text, ",\"\n\r")) {
        fputc('"', f);
        for (const char *c = text; *c; c++) {
            if (*c == '"')
                fputc('"', f);
            fputc(*c, f);
        }
        fputc('"', f);
    } else {
        fputs(text, f);
    }
    fputc(last ? '\n' : ',', f);
}

void csv_write_row(FILE *f, const struct result_row *r)
{
    char threads[16], rep[16], samples[16] = "";
    snprintf(threads, sizeof threads, "%d", r->threads);
    snprintf(rep, sizeof rep, "%d", r->rep);
    if (r->samples > 0)
        snprintf(samples, sizeof samples, "%d", r->samples);
    const char *fields[] = {r->backend, r->workload, threads, rep,       r->metric,
                            r->value,   r->unit,     r->status, r->params, r->detail,
                            samples,    r->run_id,   r->host};
    size_t n = sizeof fields / sizeof fields[0];
    for (size_t i = 0; i < n; i++)
        csv_write_field(f, fields[i], i + 1 == n);
}

/* The record being read: characters with a NUL after each field, and where
 * each field starts. Reused from call to call. */
static struct {
    char *text;
    size_t len, cap;
    size_t *starts;
    size_t count, starts_cap;
    char **fields;
} rec;

static void rec_push(char ch)
{
    if (rec.len + 1 >= rec.cap) {
        rec.cap = rec.cap ? rec.cap * 2 : 256;
        rec.text = xrealloc(rec.text, rec.cap);
    }
    rec.text[rec.len++] = ch;
}

static void rec_end_field(void)
{
    rec_push('\0');
    if (rec.count + 1 >= rec.starts_cap) {
        rec.starts_cap = rec.starts_cap ? rec.starts_cap * 2 : 16;
        rec.starts = xrealloc(rec.starts, rec.starts_cap * sizeof *rec.starts);
    }
    rec.starts[++rec.count] = rec.len; /* the next field starts here */
}

size_t csv_read_record(FILE *f, char ***fields_out)
{
    rec.len = 0;
    rec.count = 0;
    if (!rec.starts) {
        rec.starts_cap = 16;
        rec.starts = xmalloc(rec.starts_cap * sizeof *rec.starts);
    }
    rec.starts[0] = 0;
    bool quoted = false, any = false;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        any = true;
        if (quoted && ch == '"') {
            int next = fgetc(f);
            if (next == '"') {
                rec_push('"');
                continue;
            }
            quoted = false;
            if (next == EOF)
                break;
            ch = next;
        } else if (quoted) {
            rec_push((char)ch);
            continue;
        }
        if (ch == '"')
            quoted = true;
        else if (ch == ',')
            rec_end_field();
        else if (ch == '\n')
            break;
        else if (ch != '\r')
            rec_push((char)ch);
    }
    if (!any)
        return 0;
    rec_end_field();
    rec.fields = xrealloc(rec.fields, rec.count * sizeof *rec.fields);
    for (size_t i = 0; i < rec.count; i++)
        rec.fields[i] = rec.text + rec.starts[i];
    *fields_out = rec.fields;
    return rec.count;
}

int csv_column(char **fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return (int)i;
    return -1;
}

size_t csv_find_columns(FILE *f, const char *path, const char *const *names, int count, int *cols,
                        const char *expected)
{
    char **fields;
    size_t n = csv_read_record(f, &fields), need = 0;
    for (int i = 0; i < count; i++) {
        cols[i] = csv_column(fields, n, names[i]);
        if (cols[i] < 0)
            usage_error("%s: no column '%s' (expected the header '%s')", path, names[i], expected);
        need = (size_t)cols[i] + 1 > need ? (size_t)cols[i] + 1 : need;
    }
    return need;
}

size_t results_load(const char *path, struct result_row **rows_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fatal_errno("cannot read %s", path);
    char **fields;
    size_t n = csv_read_record(f, &fields);
    char *header = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%s%s", header, i ? "," : "", fields[i]);
        free(header);
        header = next;
    }
    if (strncmp(header, "backend,workload,threads,rep,metric,value,unit,status", 52) != 0)
        usage_error("%s: not a results file (header '%s', expected '%s')", path, header,
                    RESULTS_HEADER);
    free(header);
    int samples_col = csv_column(fields, n, "samples"), run_col = csv_column(fields, n, "run_id"),
        host_col = csv_column(fields, n, "host");

    struct result_row *rows = NULL;
    size_t count = 0, cap = 0;
    unsigned line = 1;
    while ((n = csv_read_record(f, &fields)) > 0) {
        line++;
        if (n == 1 && !fields[0][0])
            continue; /* blank line */
        if (n < 8)
            usage_error("%s:%u: %zu fields, expected at least 8", path, line, n);
        long long threads, rep, samples = 1;
        if (!parse_ll(fields[2], &threads) || !parse_ll(fields[3], &rep))
            usage_error("%s:%u: threads and rep must be whole numbers", path, line);
        if (samples_col >= 0 && (size_t)samples_col < n && fields[samples_col][0] &&
            !parse_ll(fields[samples_col], &samples))
            usage_error("%s:%u: samples must be a whole number", path, line);
        if (count == cap) {
            cap = cap ? cap * 2 : 1024;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[count++] = (struct result_row){
            .backend = xstrdup(fields[0]), .workload = xstrdup(fields[1]),
            .threads = (int)threads, .rep = (int)rep, .metric = xstrdup(fields[4]),
            .value = xstrdup(fields[5]), .unit = xstrdup(fields[6]),
            .status = xstrdup(fields[7]), .params = xstrdup(n > 8 ? fields[8] : ""),
            .detail = xstrdup(n > 9 ? fields[9] : ""), .samples = (int)samples,
            .run_id = xstrdup(run_col >= 0 && (size_t)run_col < n ? fields[run_col] : ""),
            .host = xstrdup(host_col >= 0 && (size_t)host_col < n ? fields[host_col] : ""),
        };
    }
    fclose(f);
    *rows_out = rows;
    return count;
}

void results_free(struct result_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct result_row *r = &rows[i];
        free(r->backend), free(r->workload), free(r->metric), free(r->value), free(r->unit);
        free(r->status), free(r->params), free(r->detail), free(r->run_id), free(r->host);
    }
    free(rows);
}
