/* Merging run directories (merge.h). */
#include "merge.h"
#include "compare.h"
#include "csv.h"
#include "meta.h"
#include "shards.h"
#include "summary.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One input run. */
struct input {
    const char *dir;
    char *run_id, *host, *commit, *baseline, *start_time;
};

/* The last component of a path, without trailing slashes (a new string). */
static char *base_name(const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    const char *slash = memrchr(dir, '/', len);
    const char *start = slash ? slash + 1 : dir;
    return xasprintf("%.*s", (int)(len - (size_t)(start - dir)), start);
}

static void read_input(const char *dir, struct input *in)
{
    compare_check_run(dir);
    in->dir = dir;
    in->run_id = meta_read_field(dir, "run_id");
    if (!in->run_id)
        in->run_id = base_name(dir); /* a run without meta.json: its directory names it */
    in->host = meta_read_field(dir, "host");
    in->commit = meta_read_field(dir, "git_commit");
    in->baseline = meta_read_field(dir, "baseline");
    in->start_time = meta_read_field(dir, "start_time");
}

/* Copies the data rows of DIR/name (not its header) to out, filling empty
 * run_id and host fields of results.csv from the input. */
static void append_results(FILE *out, const struct input *in)
{
    char *path = xasprintf("%s/results.csv", in->dir);
    struct result_row *rows;
    size_t n = results_load(path, &rows);
    for (size_t i = 0; i < n; i++) {
        struct result_row r = rows[i];
        if (!r.run_id[0])
            r.run_id = in->run_id;
        if (!r.host[0])
            r.host = in->host ? in->host : "unknown";
        csv_write_row(out, &r);
    }
    results_free(rows, n);
    free(path);
}

/* samples.csv rows in this version's columns (by name: a run from before
 * a column existed gets it empty, `turn` -1: its samples pair by process
 * only); a run without samples.csv adds none. */
static void append_samples(FILE *out, const struct input *in)
{
    char *path = xasprintf("%s/samples.csv", in->dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return;
    char *header = xstrdup(SAMPLES_HEADER), **names;
    size_t columns = split_list(header, &names);
    char **fields;
    size_t n = csv_read_record(f, &fields);
    int *col = xmalloc(columns * sizeof *col);
    for (size_t c = 0; c < columns; c++)
        col[c] = csv_column(fields, n, names[c]);
    while ((n = csv_read_record(f, &fields)) > 0)
        for (size_t c = 0; c < columns; c++) {
            const char *v = col[c] >= 0 && (size_t)col[c] < n ? fields[col[c]]
                            : strcmp(names[c], "turn") == 0 ? "-1" : "";
            csv_write_field(out, v, c + 1 == columns);
        }
    fclose(f);
    free(col), free(names), free(header);
}

static FILE *create(const char *dir, const char *name, const char *header)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fatal_errno("cannot write %s", path);
    free(path);
    if (header)
        fprintf(f, "%s\n", header);
    return f;
}

/* Copies the file `from` to DIR/name. */
static void copy_file(const char *from, const char *dir, const char *name)
{
    FILE *in = fopen(from, "r");
    if (!in)
        fatal_errno("cannot read %s", from);
    FILE *out = create(dir, name, NULL);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    if (fclose(out) != 0)
        fatal_errno("cannot write %s/%s", dir, name);
}

static void write_meta(const char *out, const struct input *in, size_t count,
                       const struct shards_check *sc)
{
    char *path = xasprintf("%s/meta.json", out);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char now[32];
    utc_now(now, sizeof now);
    char *run_id = base_name(out);
    fputs("{\n  \"run_id\": ", f);
    meta_json_string(f, run_id);
    free(run_id);
    fputs(",\n  \"host\": \"merged\",\n  \"merged_at\": ", f);
    meta_json_string(f, now);
    fputs(",\n  \"baseline\": ", f);
    meta_json_string(f, in[0].baseline);
    fputs(",\n  \"plan_hash\": ", f);
    meta_json_string(f, sc->plan_hash);
    if (sc->shard_count > 1)
        fprintf(f, ",\n  \"plan_shards\": %d,\n  \"plan_measurements\": %zu,\n"
                   "  \"plan_measurements_missing\": %zu",
                sc->shard_count, sc->cells, sc->missing);
    fputs(",\n  \"merged_from\": [\n", f);
    for (size_t i = 0; i < count; i++) {
        fputs("    {\"dir\": ", f);
        meta_json_string(f, in[i].dir);
        fputs(", \"run_id\": ", f);
        meta_json_string(f, in[i].run_id);
        fputs(", \"host\": ", f);
        meta_json_string(f, in[i].host);
        fputs(", \"start_time\": ", f);
        meta_json_string(f, in[i].start_time);
        fputs(", \"git_commit\": ", f);
        meta_json_string(f, in[i].commit);
        fputs(i + 1 < count ? "},\n" : "}\n", f);
    }
    fputs("  ]\n}\n", f);
    fclose(f);
    write_file_atomic(path, text);
    free(text);
    free(path);
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* An empty or new directory, with its parents. */
static void make_out_dir(const char *out)
{
    DIR *d = opendir(out);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                usage_error("--out %s: the directory is not empty (results are never overwritten)",
                            out);
        closedir(d);
        return;
    }
    if (mkdir_parents(out) != 0)
        fatal_errno("cannot create %s", out);
}

int merge_command(int argc, char **argv)
{
    const char *out = NULL;
    bool pool = false;
    struct input *in = xmalloc((size_t)(argc + 1) * sizeof *in);
    size_t count = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc)
                usage_error("--out needs a value");
            out = argv[++i];
        } else if (strcmp(argv[i], "--pool") == 0) {
            pool = true;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            usage_error("merge: unknown option '%s'", argv[i]);
        } else {
            read_input(argv[i], &in[count++]);
        }
    }
    if (count < 2)
        usage_error("merge expects at least two run directories: bench merge DIR DIR... --out DIR");
    if (!out)
        usage_error("merge needs --out DIR for the merged run");
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < i; j++) {
            if (strcmp(in[i].run_id, in[j].run_id) == 0)
                usage_error("%s and %s are the same run (run_id %s): merging it twice would count "
                            "its repetitions twice",
                            in[j].dir, in[i].dir, in[i].run_id);
            if (!pool && !same_text(in[i].commit, in[j].commit))
                usage_error("%s and %s were built from different commits (%s, %s): their numbers "
                            "need not compare; --pool merges them anyway",
                            in[j].dir, in[i].dir, in[j].commit ? in[j].commit : "unknown",
                            in[i].commit ? in[i].commit : "unknown");
        }
    const char **dirs = xmalloc(count * sizeof *dirs);
    for (size_t i = 0; i < count; i++)
        dirs[i] = in[i].dir;
    struct shards_check sc;
    shards_check(dirs, count, pool, &sc);
    free(dirs);
    make_out_dir(out);

    FILE *results = create(out, "results.csv", RESULTS_HEADER);
    FILE *samples = create(out, "samples.csv", SAMPLES_HEADER);
    for (size_t i = 0; i < count; i++) {
        append_results(results, &in[i]);
        append_samples(samples, &in[i]);
    }
    if (fclose(results) != 0 || fclose(samples) != 0)
        fatal_errno("cannot write into %s", out);
    write_meta(out, in, count, &sc);
    if (sc.plan_csv)
        copy_file(sc.plan_csv, out, "plan.csv");
    printf("bench: merged %zu runs into %s\n", count, out);
    if (sc.shard_count > 1 && !sc.missing)
        printf("bench: the %zu runs cover every measurement of plan %s (%d shards) exactly once\n",
               count, sc.plan_hash, sc.shard_count);
    summary_write(out, in[0].baseline, stdout);
    if (sc.missing)
        fprintf(stderr, "bench: merge: %zu of the %zu measurements of plan %s are in none of the "
                        "runs (listed above): the merged run is incomplete\n",
                sc.missing, sc.cells, sc.plan_hash);
    for (size_t i = 0; i < count; i++)
        free(in[i].run_id), free(in[i].host), free(in[i].commit), free(in[i].baseline),
            free(in[i].start_time);
    free(in);
    free(sc.plan_hash);
    free((char *)sc.plan_csv);
    return sc.missing ? EXIT_RUNS_FAILED : 0;
}
