/* The runner: takes the groups of its shard of the plan (plan.h) in order,
 * runs each group's children (group.c), and records how each measurement
 * ended: results.csv (one row per metric of a process, the median of its
 * measured samples), samples.csv (every sample) and timeline.csv (RSS over
 * time). */
#include "runner.h"
#include "csv.h"
#include "extend.h"
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

/* The time left: the planned processes at the pace so far, and after them
 * what the extra rounds may still take (extra_s). */
static void print_progress(size_t done, size_t total, uint64_t started_ns, double extra_s,
                           const struct member *m, const struct bench_case *c, int rep)
{
    int width = snprintf(NULL, 0, "%zu", total);
    double elapsed = (double)(now_ns() - started_ns) / 1e9;
    double left = (done ? elapsed / (double)done * (double)(total - done) : 0) + extra_s;
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

/* What the runner keeps from group to group. */
struct runner {
    struct run_config *cfg;
    struct run_meta *m;
    FILE *csv, *samples_csv, *timeline_csv;
    struct backend **present; /* the backends that are not missing */
    size_t present_count;
    struct member *members;   /* [present_count], one group's */
    struct member **running;
    /* Whether each backend's processes of each case skip their warm-up
     * sample, from the warm-up round (group_warmup_not_needed), which
     * halves the time of the slowest cells. [case][backend] */
    bool *no_warmup;
    /* A backend whose preload did not take (preload_failed) is not started
     * again: the rest of its rows say so, and the message is said once. */
    char **refused;
    double *process_s; /* [case][backend]: its last process's seconds */
    struct group_settings gs;
    const char *cg_dir;
    bool extend_possible; /* some case can have extra rounds (extend_case_eligible) */
    size_t total, done; /* processes, for the progress lines */
    uint64_t started;
    bool all_ok;
};

/* What the extra rounds may still take: their budget once the planned
 * processes are done (an estimate: they stop early when every cell is
 * narrow), while planned ones remain all of it, where a case can have them. */
static double extra_rounds_left_s(const struct runner *r)
{
    return r->extend_possible ? fmax(0, r->m->extend_time_s - r->m->extend_spent_s) : 0;
}

/* Runs case `case_index` in round `rep` and records its members: every
 * backend; or the baseline alone (baseline_only); or the backends `only`
 * marks and the baseline. Returns the seconds it took. */
static double run_group(struct runner *r, size_t case_index, int rep, bool baseline_only,
                        const bool *only)
{
    struct run_meta *m = r->m;
    const struct bench_case *c = m->cases[case_index];
    r->gs.warmup_round = rep == 0;
    size_t run_count = 0;
    for (size_t b = 0; b < r->present_count; b++) {
        bool long_samples = r->no_warmup[case_index * r->present_count + b];
        bool paces = strcmp(r->present[b]->name, m->baseline) == 0;
        r->members[b] = (struct member){
            .backend = r->present[b],
            .log_path = log_path_for(r->cfg->run_dir, r->present[b], c, rep),
            .warmups = long_samples ? 0 : m->warmup_samples, .paces = paces};
        if ((only && !only[b] && !paces) || !plan_backend_runs(r->present[b], c))
            continue; /* not in this group: no row either */
        if (r->refused[b]) {
            snprintf(r->members[b].status, sizeof r->members[b].status, "preload_failed");
            snprintf(r->members[b].detail, sizeof r->members[b].detail, "%s", r->refused[b]);
        } else {
            r->running[run_count++] = &r->members[b];
        }
    }
    if (baseline_only && run_count > 1) {
        /* the baseline alone, or the first that runs where it does not */
        for (size_t i = 1; i < run_count; i++)
            if (r->running[i]->paces)
                r->running[0] = r->running[i];
        run_count = 1;
    }
    uint64_t t0 = now_ns();
    group_run(r->running, run_count, c, &r->gs);
    double took = (double)(now_ns() - t0) / 1e9, active = 0;
    for (size_t i = 0; i < run_count; i++)
        active += (double)r->running[i]->active_ns / 1e9;
    /* a process's cost: its own working time, and its share of the rest
     * (starting, verifying, stopping) */
    for (size_t i = 0; i < run_count; i++)
        r->process_s[case_index * r->present_count + (size_t)(r->running[i] - r->members)] =
            (double)r->running[i]->active_ns / 1e9 + (took - active) / (double)run_count;
    for (size_t b = 0; b < r->present_count; b++) {
        struct member *mb = &r->members[b];
        if (!mb->status[0]) { /* left out of this group: nothing to record */
            member_release(mb);
            continue;
        }
        if (rep == 0)
            r->no_warmup[case_index * r->present_count + b] = group_warmup_not_needed(mb, &r->gs);
        struct stat st;
        if (stat(mb->log_path, &st) == 0 && st.st_size == 0)
            unlink(mb->log_path);
        if (mb->allocator_path[0] && !mb->backend->verified_path) {
            mb->backend->verified_path = xstrdup(mb->allocator_path);
            mb->backend->version = xstrdup(mb->allocator_version);
        }
        if (rep > 0 && strcmp(mb->status, "interrupted") != 0) {
            append_results(r->csv, m, mb, c, rep);
            append_samples(r->samples_csv, m, r->started, mb, c, rep);
            timeline_write(r->timeline_csv, mb->backend->name, c->label, c->threads, rep,
                           &mb->tl);
            r->all_ok = r->all_ok && strcmp(mb->status, "ok") == 0;
        }
        if (!r->refused[b] && strcmp(mb->status, "preload_failed") == 0) {
            r->refused[b] = xstrdup(mb->detail);
            fprintf(stderr, "bench: %s: the preload did not take (%s); its other runs are "
                            "recorded as preload_failed without running\n",
                    mb->backend->name, mb->detail);
        }
        if (strcmp(mb->status, "interrupted") != 0) {
            r->done++;
            if (!r->cfg->quiet && strcmp(mb->status, "preload_failed") != 0)
                print_progress(r->done, r->total, r->started, extra_rounds_left_s(r), mb, c,
                               rep);
        }
        member_release(mb);
    }
    if (r->cg_dir)
        remove_files_in(r->cg_dir);
    calibration_probe(&m->calibration, 2);
    return took;
}

/* The planned groups of this run's shard, in the plan's order (rep 0: the
 * warm-up round). */
static void run_planned_rounds(struct runner *r)
{
    const struct run_plan *p = r->m->plan;
    for (size_t g = 0; g < p->count; g++) {
        if (p->groups[g].shard != p->shard)
            continue;
        if (plan_group_baseline_only(r->m, &p->groups[g])) {
            r->total++;
            continue;
        }
        for (size_t b = 0; b < r->present_count; b++)
            r->total += plan_backend_runs(r->present[b], r->m->cases[p->groups[g].case_index]);
    }
    for (size_t g = 0; g < p->count && !interrupted; g++) {
        const struct plan_group *pg = &p->groups[g];
        if (pg->shard == p->shard)
            run_group(r, pg->case_index, pg->round, plan_group_baseline_only(r->m, pg), NULL);
    }
}

/* Extra rounds (extend.h): passes, each one round of every case that has
 * a cell extend_pick chose, in an order shuffled anew, with those backends
 * and the baseline; until no cell is wide, the wide ones are capped, none
 * can be paid for, the baseline fails, or the run is interrupted. meta
 * records why they ended and how many cells were still wide when last
 * measured. */
static void run_extra_rounds(struct runner *r)
{
    struct run_meta *m = r->m;
    size_t nc = m->case_count, nb = r->present_count, base = nb;
    for (size_t b = 0; b < nb; b++)
        if (strcmp(r->present[b]->name, m->baseline) == 0)
            base = b;
    if (m->extend_time_s <= 0)
        m->extend_ended = "not asked";
    else if (!r->extend_possible)
        m->extend_ended = "no eligible cell";
    else if (base == nb || r->refused[base])
        m->extend_ended = "no baseline";
    if (m->extend_ended)
        return;
    bool *eligible = calloc(nc + 1, sizeof *eligible);
    for (size_t c = 0; c < nc; c++)
        eligible[c] = extend_case_eligible(m, c);
    struct extend_cell *cells = calloc(nc * nb + 1, sizeof *cells);
    bool *pick = calloc(nc * nb + 1, sizeof *pick);
    double *base_cost = xmalloc((nc + 1) * sizeof *base_cost);
    int *next_rep = xmalloc((nc + 1) * sizeof *next_rep);
    size_t *order = xmalloc((nc + 1) * sizeof *order);
    for (size_t c = 0; c < nc; c++)
        next_rep[c] = m->reps + 1, base_cost[c] = r->process_s[c * nb + base];
    while (!m->extend_ended) {
        if (interrupted || r->refused[base]) {
            m->extend_ended = interrupted ? "interrupted" : "no baseline";
            break;
        }
        /* reading the run back is part of what the extra rounds cost */
        uint64_t t0 = now_ns();
        size_t wide = extend_measure(r->cfg->run_dir, m, r->present, nb, eligible, cells);
        m->extend_spent_s += (double)(now_ns() - t0) / 1e9;
        m->extend_still_wide = (int)wide;
        size_t open = 0;
        for (size_t i = 0; i < nc * nb; i++) {
            cells[i].cost_s = r->process_s[i];
            cells[i].capped = next_rep[i / nb] > m->max_reps;
            open += cells[i].wide && !cells[i].capped;
        }
        if (!wide)
            m->extend_ended = "narrow";
        else if (!open)
            m->extend_ended = "max_reps";
        else if (!extend_pick(m, nb, cells, base_cost, m->extend_time_s - m->extend_spent_s, pick))
            m->extend_ended = "budget";
        if (m->extend_ended)
            break;
        if (!r->cfg->quiet && m->extend_groups == 0)
            fprintf(stderr, "bench: extra rounds: %zu cell(s) have a 95%% interval wider than "
                            "+-%g%% (threaded: +-%g%%); up to %d s more\n",
                    wide, m->target_pct, m->target_threaded_pct, m->extend_time_s);
        size_t count = 0;
        for (size_t c = 0; c < nc; c++)
            for (size_t b = 0; b < nb; b++)
                if (pick[c * nb + b]) {
                    order[count++] = c;
                    break;
                }
        plan_shuffle(order, count, r->gs.rng);
        for (size_t i = 0; i < count && !interrupted; i++) {
            size_t c = order[i], members = 1;
            for (size_t b = 0; b < nb; b++)
                members += pick[c * nb + b];
            r->total += members;
            m->extend_spent_s += run_group(r, c, next_rep[c]++, false, pick + c * nb);
            if (!interrupted) /* an interrupted group's rows are not written */
                m->extend_groups++;
            base_cost[c] = r->process_s[c * nb + base];
        }
    }
    if (!r->cfg->quiet && m->extend_groups > 0)
        fprintf(stderr, "bench: extra rounds: %d group(s) in %.0f s; %d cell(s) still wider "
                        "than the target (%s)\n",
                m->extend_groups, m->extend_spent_s, m->extend_still_wide, m->extend_ended);
    free(eligible), free(cells), free(pick), free(base_cost), free(next_rep), free(order);
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
    struct runner r = {.cfg = cfg, .m = m, .cg_dir = cg_dir, .all_ok = true};
    r.csv = open_csv(cfg->run_dir, "results.csv", RESULTS_HEADER);
    r.samples_csv = open_csv(cfg->run_dir, "samples.csv", SAMPLES_HEADER);
    r.timeline_csv = open_csv(cfg->run_dir, "timeline.csv", TIMELINE_HEADER);
    utc_now(m->start_time, sizeof m->start_time);
    read_loadavg(m->load_start, sizeof m->load_start);
    calibration_probe(&m->calibration, 10);
    meta_write(cfg->run_dir, m);

    /* Missing backends are recorded at once, one row per would-be run. */
    r.present = xmalloc((m->backend_count + 1) * sizeof *r.present);
    for (size_t b = 0; b < m->backend_count; b++) {
        struct backend *be = m->backends[b];
        if (!be->missing) {
            r.present[r.present_count++] = be;
            continue;
        }
        fprintf(stderr, "%s: missing: %s\n", be->name, be->missing_reason);
        r.all_ok = false;
        struct member gone = {.backend = be, .status = "missing"};
        snprintf(gone.detail, sizeof gone.detail, "%s", be->missing_reason);
        for (size_t g = 0; g < m->plan->count; g++) {
            const struct plan_group *pg = &m->plan->groups[g];
            if (pg->shard == m->plan->shard && pg->round > 0)
                append_results(r.csv, m, &gone, m->cases[pg->case_index], pg->round);
        }
    }

    /* The turns inside each group draw from this generator; the order of
     * the groups is the plan's, which has its own (plan.c). */
    uint64_t rng = m->seed ? m->seed : 1;
    r.gs = (struct group_settings){
        .run_dir = cfg->run_dir, .timeout_s = m->timeout_s, .min_time_ms = m->min_time_ms,
        .fixed_samples = m->fixed_samples, .max_samples = m->max_samples,
        .interleave = (enum interleave)m->interleave,
        .latency = m->latency, .perf = m->perf_available, .callgrind_dir = cg_dir,
        .rng = &rng, .interrupted = &interrupted};
    r.members = calloc(r.present_count + 1, sizeof *r.members);
    r.no_warmup = calloc(m->case_count * r.present_count + 1, sizeof *r.no_warmup);
    r.refused = calloc(r.present_count + 1, sizeof *r.refused);
    r.running = xmalloc((r.present_count + 1) * sizeof *r.running);
    r.process_s = calloc(m->case_count * r.present_count + 1, sizeof *r.process_s);
    for (size_t c = 0; c < m->case_count; c++)
        r.extend_possible |= extend_case_eligible(m, c);
    r.started = now_ns();
    run_planned_rounds(&r);
    run_extra_rounds(&r);
    fclose(r.csv);
    fclose(r.samples_csv);
    fclose(r.timeline_csv);
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
    for (size_t b = 0; b < r.present_count; b++)
        free(r.refused[b]);
    free(r.members), free(r.present), free(logs), free(cg_dir), free(r.no_warmup);
    free(r.refused), free(r.running), free(r.process_s);
    if (interrupted) {
        fprintf(stderr, "bench: interrupted; the finished runs are in %s\n", cfg->run_dir);
        return EXIT_INTERRUPTED;
    }
    if (!r.all_ok)
        fprintf(stderr, "bench: some runs did not end ok (see the status column)\n");
    return r.all_ok ? 0 : EXIT_RUNS_FAILED;
}
