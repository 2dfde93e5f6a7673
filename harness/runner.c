/* The runner: takes the groups of its shard of the plan (plan.h) in order,
 * runs each group's children (group.c), and records how each measurement
 * ended: results.csv (one row per metric of a process, the median of its
 * measured samples), samples.csv (every sample) and timeline.csv (RSS over
 * time). */
#include "runner.h"
#include "csv.h"
#include "group.h"
#include "stats.h"
#include "plan.h"
#include "summary.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- Recording ---- */

/* The median of metric `name` over m's measured samples; the unit and how
 * many samples had it through the pointers. */
static double sample_median(const struct member *m, const char *name, const char **unit,
                            int *count)
{
    double *values = xmalloc((m->sample_count + 1) * sizeof *values);
    size_t n = 0;
    for (size_t s = 0; s < m->sample_count; s++) {
        const struct sample *x = &m->samples[s];
        for (size_t i = 0; x->measured && i < x->metric_count; i++)
            if (strcmp(x->metrics[i].name, name) == 0) {
                values[n++] = x->metrics[i].value;
                *unit = x->metrics[i].unit;
            }
    }
    double median = stats_median(values, n);
    free(values);
    *count = (int)n;
    return median;
}

static void write_number_row(FILE *csv, struct result_row *row, const char *metric, double v,
                             const char *unit, int samples)
{
    char text[64];
    snprintf(text, sizeof text, "%.10g", v);
    row->metric = (char *)metric;
    row->value = text;
    row->unit = (char *)unit;
    row->samples = samples;
    csv_write_row(csv, row);
}

/* results.csv rows of one member: each metric's median over the measured
 * samples (in the order the first sample reported them), then the metrics
 * of the whole process; or one "run" row saying why it failed. */
static void append_results(FILE *csv, const struct run_meta *meta, const struct member *m,
                           const struct bench_case *c, int rep)
{
    char *params = case_params_string(c);
    struct result_row row = {.backend = m->backend->name, .workload = c->label,
                             .threads = c->threads, .rep = rep, .status = (char *)m->status,
                             .params = params, .detail = "", .run_id = (char *)meta->run_id,
                             .host = (char *)meta->host};
    if (strcmp(m->status, "ok") == 0) {
        const struct sample *first = NULL;
        for (size_t s = 0; s < m->sample_count && !first; s++)
            if (m->samples[s].measured)
                first = &m->samples[s];
        for (size_t i = 0; first && i < first->metric_count; i++) {
            const char *unit = "";
            int count;
            double v = sample_median(m, first->metrics[i].name, &unit, &count);
            write_number_row(csv, &row, first->metrics[i].name, v, unit, count);
        }
        for (size_t i = 0; i < m->process_metric_count; i++)
            write_number_row(csv, &row, m->process_metrics[i].name, m->process_metrics[i].value,
                             m->process_metrics[i].unit, 0);
    } else {
        /* A failed run records why, and no timing. */
        row.metric = "run", row.value = "", row.unit = "", row.detail = (char *)m->detail;
        csv_write_row(csv, &row);
    }
    fflush(csv);
    free(params);
}

static void append_samples(FILE *csv, const struct run_meta *meta, uint64_t run_start_ns,
                           const struct member *m, const struct bench_case *c, int rep)
{
    for (size_t s = 0; s < m->sample_count; s++) {
        const struct sample *x = &m->samples[s];
        if (!x->end_ns)
            continue; /* the sample the child died in */
        char head[64];
        snprintf(head, sizeof head, "%d,%d,%ld,%d,%d", c->threads, rep, x->index, x->turn,
                 !x->measured);
        for (size_t i = 0; i < x->metric_count; i++) {
            csv_write_field(csv, m->backend->name, false);
            csv_write_field(csv, c->label, false);
            fprintf(csv, "%s,", head);
            csv_write_field(csv, x->metrics[i].name, false);
            fprintf(csv, "%.10g,", x->metrics[i].value);
            csv_write_field(csv, x->metrics[i].unit, false);
            fprintf(csv, "%.1f,", (double)(x->end_ns - run_start_ns) / 1e6);
            csv_write_field(csv, meta->run_id, false);
            csv_write_field(csv, meta->host, true);
        }
    }
    fflush(csv);
}

static char *log_path_for(const char *run_dir, const struct backend *b, const struct bench_case *c,
                          int rep)
{
    char *label = xstrdup(c->label);
    for (char *p = label; *p; p++)
        if (*p == '/' || *p == ':' || *p == ' ')
            *p = '_';
    char *path = xasprintf("%s/logs/%s.%s.t%d.%s%d.log", run_dir, b->name, label, c->threads,
                           rep ? "rep" : "warmup", rep);
    free(label);
    return path;
}

/* ---- Progress ---- */

static void print_progress(size_t done, size_t total, uint64_t started_ns, const struct member *m,
                           const struct bench_case *c, int rep)
{
    int width = snprintf(NULL, 0, "%zu", total);
    double elapsed = (double)(now_ns() - started_ns) / 1e9;
    double left = done ? elapsed / (double)done * (double)(total - done) : 0;
    char threads[16] = "", rep_text[16];
    if (c->workload->threaded)
        snprintf(threads, sizeof threads, " x%d", c->threads);
    snprintf(rep_text, sizeof rep_text, "rep %d", rep);
    FILE *out = stderr; /* progress is a message; stdout holds the results */
    fprintf(out, "[%*zu/%zu %d:%02d, ~%d:%02d left] %s %s%s %s: ", width, done, total,
           (int)elapsed / 60, (int)elapsed % 60, (int)left / 60, (int)left % 60,
           m->backend->name, c->label, threads, rep ? rep_text : "warm-up");
    if (strcmp(m->status, "ok") == 0) {
        const char *unit;
        int count, counted;
        double wall = sample_median(m, "wall_ms", &unit, &count);
        double instructions = sample_median(m, "instructions", &unit, &counted);
        if (rep == 0 && m->sample_count > 0)   /* nothing is measured; the last sample decides */
            wall = sample_value(&m->samples[m->sample_count - 1], "wall_ms");
        if (!isnan(instructions))
            fprintf(out, "%.4g instructions", instructions);
        else
            fprintf(out, "%.2f ms", wall);
        fprintf(out, count > 1 ? " (median of %d samples)\n" : "\n", count);
    } else {
        fprintf(out, "%s%s%s\n", m->status, m->detail[0] ? ": " : "", m->detail);
    }
}

/* ---- The rounds ---- */

/* Creates RUN_DIR/name with its header, flushed at once so that even a run
 * stopped before its first row leaves a valid file. */
static FILE *open_csv(const char *run_dir, const char *name, const char *header)
{
    char *path = xasprintf("%s/%s", run_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fatal_errno("cannot write %s", path);
    fprintf(f, "%s\n", header);
    fflush(f);
    free(path);
    return f;
}

/* Callgrind writes a last dump when a child exits; only the samples' dumps
 * (read and removed by the children) count. */
static void remove_files_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            char *path = xasprintf("%s/%s", dir, e->d_name);
            unlink(path);
            free(path);
        }
    if (d)
        closedir(d);
}

static void read_loadavg(char *buf, size_t size)
{
    if (!read_first_line("/proc/loadavg", buf, size))
        buf[0] = '\0';
}

int runner_run(struct run_config *cfg)
{
    struct run_meta *m = &cfg->meta;
    struct sigaction sa = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a child that died leaves a closed control pipe */

    char *logs = xasprintf("%s/logs", cfg->run_dir);
    if (mkdir(logs, 0755) != 0 && errno != EEXIST)
        fatal_errno("cannot create %s", logs);
    char *cg_dir = NULL;
    if (m->measure == MEASURE_INSTRUCTIONS) {
        cg_dir = xasprintf("%s/callgrind", cfg->run_dir);
        if (mkdir(cg_dir, 0755) != 0 && errno != EEXIST)
            fatal_errno("cannot create %s", cg_dir);
    }
    FILE *csv = open_csv(cfg->run_dir, "results.csv", RESULTS_HEADER);
    FILE *samples_csv = open_csv(cfg->run_dir, "samples.csv", SAMPLES_HEADER);
    FILE *timeline_csv = open_csv(cfg->run_dir, "timeline.csv", TIMELINE_HEADER);
    utc_now(m->start_time, sizeof m->start_time);
    read_loadavg(m->load_start, sizeof m->load_start);
    calibration_probe(&m->calibration, 10);
    meta_write(cfg->run_dir, m);

    /* Missing backends are recorded at once, one row per would-be run. */
    struct backend **present = xmalloc((m->backend_count + 1) * sizeof *present);
    size_t present_count = 0;
    bool all_ok = true;
    for (size_t b = 0; b < m->backend_count; b++) {
        struct backend *be = m->backends[b];
        if (!be->missing) {
            present[present_count++] = be;
            continue;
        }
        fprintf(stderr, "%s: missing: %s\n", be->name, be->missing_reason);
        all_ok = false;
        struct member gone = {.backend = be, .status = "missing"};
        snprintf(gone.detail, sizeof gone.detail, "%s", be->missing_reason);
        for (size_t g = 0; g < m->plan->count; g++) {
            const struct plan_group *pg = &m->plan->groups[g];
            if (pg->shard == m->plan->shard && pg->round > 0)
                append_results(csv, m, &gone, m->cases[pg->case_index], pg->round);
        }
    }

    /* The turns inside each group draw from this generator; the order of
     * the groups is the plan's, which has its own (plan.c). */
    uint64_t rng = m->seed ? m->seed : 1;
    struct group_settings gs = {
        .run_dir = cfg->run_dir, .timeout_s = m->timeout_s, .min_time_ms = m->min_time_ms,
        .fixed_samples = m->fixed_samples, .max_samples = m->max_samples,
        .interleave = (enum interleave)m->interleave,
        .latency = m->latency, .perf = m->perf_available, .callgrind_dir = cg_dir,
        .rng = &rng, .interrupted = &interrupted};
    struct member *members = calloc(present_count + 1, sizeof *members);
    /* Whether each backend's processes of each case skip their warm-up
     * sample, from the warm-up round (group_warmup_not_needed), which
     * halves the time of the slowest cells. */
    bool *no_warmup = calloc(m->case_count * present_count + 1, sizeof *no_warmup);
    /* A backend whose preload did not take (preload_failed) is not started
     * again: the rest of its rows say so, and the message is said once. */
    char **refused = calloc(present_count + 1, sizeof *refused);
    struct member **running = xmalloc((present_count + 1) * sizeof *running);
    size_t total = 0, done = 0;
    for (size_t g = 0; g < m->plan->count; g++)
        if (m->plan->groups[g].shard == m->plan->shard)
            total += plan_group_baseline_only(m, &m->plan->groups[g]) ? 1 : present_count;
    uint64_t started = now_ns();
    /* The plan's groups in order (rep 0: the warm-up round), those of this
     * run's shard. */
    for (size_t g = 0; g < m->plan->count && !interrupted; g++) {
        const struct plan_group *pg = &m->plan->groups[g];
        if (pg->shard != m->plan->shard)
            continue;
        int rep = pg->round;
        size_t case_index = pg->case_index;
        const struct bench_case *c = m->cases[case_index];
        gs.warmup_round = rep == 0;
        size_t run_count = 0;
        for (size_t b = 0; b < present_count; b++) {
            bool long_samples = no_warmup[case_index * present_count + b];
            members[b] = (struct member){.backend = present[b],
                                         .log_path = log_path_for(cfg->run_dir, present[b], c, rep),
                                         .warmups = long_samples ? 0 : m->warmup_samples,
                                         .paces = strcmp(present[b]->name, m->baseline) == 0};
            if (refused[b]) {
                snprintf(members[b].status, sizeof members[b].status, "preload_failed");
                snprintf(members[b].detail, sizeof members[b].detail, "%s", refused[b]);
            } else {
                running[run_count++] = &members[b];
            }
        }
        if (plan_group_baseline_only(m, pg) && run_count > 1) {
            /* the baseline alone, or the first that runs where it does not */
            for (size_t i = 1; i < run_count; i++)
                if (running[i]->paces)
                    running[0] = running[i];
            run_count = 1;
        }
        group_run(running, run_count, c, &gs);
        for (size_t b = 0; b < present_count; b++) {
            struct member *mb = &members[b];
            if (!mb->status[0]) { /* left out of a baseline-only group: nothing to record */
                member_release(mb);
                continue;
            }
            if (rep == 0)
                no_warmup[case_index * present_count + b] = group_warmup_not_needed(mb, &gs);
            struct stat st;
            if (stat(mb->log_path, &st) == 0 && st.st_size == 0)
                unlink(mb->log_path);
            if (mb->allocator_path[0] && !mb->backend->verified_path) {
                mb->backend->verified_path = xstrdup(mb->allocator_path);
                mb->backend->version = xstrdup(mb->allocator_version);
            }
            if (rep > 0 && strcmp(mb->status, "interrupted") != 0) {
                append_results(csv, m, mb, c, rep);
                append_samples(samples_csv, m, started, mb, c, rep);
                timeline_write(timeline_csv, mb->backend->name, c->label, c->threads, rep,
                               &mb->tl);
                all_ok = all_ok && strcmp(mb->status, "ok") == 0;
            }
            if (!refused[b] && strcmp(mb->status, "preload_failed") == 0) {
                refused[b] = xstrdup(mb->detail);
                fprintf(stderr, "bench: %s: the preload did not take (%s); its other runs are "
                                "recorded as preload_failed without running\n",
                        mb->backend->name, mb->detail);
            }
            if (strcmp(mb->status, "interrupted") != 0) {
                done++;
                if (!cfg->quiet && strcmp(mb->status, "preload_failed") != 0)
                    print_progress(done, total, started, mb, c, rep);
            }
            member_release(mb);
        }
        if (cg_dir)
            remove_files_in(cg_dir);
        calibration_probe(&m->calibration, 2);
    }
    fclose(csv);
    fclose(samples_csv);
    fclose(timeline_csv);
    if (cg_dir)
        rmdir(cg_dir);
    rmdir(logs); /* only if empty */

    m->interrupted = interrupted;
    utc_now(m->end_time, sizeof m->end_time);
    read_loadavg(m->load_end, sizeof m->load_end);
    calibration_probe(&m->calibration, 10);
    meta_write(cfg->run_dir, m);
    putchar('\n');
    summary_write(cfg->run_dir, m->baseline, stdout);

    if (cfg->latest_link) {
        char *tmp = xasprintf("%s.tmp", cfg->latest_link);
        const char *base = strrchr(cfg->run_dir, '/');
        unlink(tmp);
        if (symlink(base ? base + 1 : cfg->run_dir, tmp) == 0)
            rename(tmp, cfg->latest_link);
        free(tmp);
    }
    printf("\nResults: %s (results.csv, samples.csv, summary.csv, meta.json)\n", cfg->run_dir);
    for (size_t b = 0; b < present_count; b++)
        free(refused[b]);
    free(members), free(present), free(logs), free(cg_dir), free(no_warmup);
    free(refused), free(running);
    if (interrupted) {
        fprintf(stderr, "bench: interrupted; the finished runs are in %s\n", cfg->run_dir);
        return EXIT_INTERRUPTED;
    }
    if (!all_ok)
        fprintf(stderr, "bench: some runs did not end ok (see the status column)\n");
    return all_ok ? 0 : EXIT_RUNS_FAILED;
}
