/* The runner: plans the matrix, runs each measurement in its own child
 * process with the backend preloaded, and records how each one ended. */
#include "runner.h"
#include "child.h"
#include "csv.h"
#include "latency.h"
#include "summary.h"
#include "timeline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_METRICS 64
#define CHILD_RESULT_FD 3

/* What one child reported and how it ended. */
struct outcome {
    char status[32];
    char detail[1024];
    char allocator_path[PATH_MAX];
    char allocator_version[256];
    pid_t sample_pid; /* a real program's pid, for the timeline */
    size_t metric_count;
    struct {
        char name[64], value[64], unit[16];
    } metrics[MAX_METRICS];
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- Starting the child ---- */

static char *full_selection(const struct bench_case *c)
{
    char *s = xstrdup(c->workload->name);
    for (size_t i = 0; i < workload_param_count(c->workload); i++) {
        char *next = xasprintf("%s:%s=%s", s, c->workload->params[i].name, c->values[i]);
        free(s);
        s = next;
    }
    return s;
}

/* Forks and execs `bench __child` with the backend preloaded; its stdout and
 * stderr go to log_path, its reports to the returned pipe. */
static pid_t spawn_child(const struct backend *b, const struct bench_case *c,
                         const char *run_dir, const char *log_path, int *report_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        fatal_errno("pipe");
    /* Exec the running image itself, not its path: a `make` during the run
     * replaces build/bench, and every later child would exec the new binary
     * (or fail, the old path being gone). */
    static char exe[] = "/proc/self/exe";
    char *selection = full_selection(c);
    char threads[16], fd_text[16];
    snprintf(threads, sizeof threads, "%d", c->threads);
    snprintf(fd_text, sizeof fd_text, "%d", CHILD_RESULT_FD);
    char *argv[24];
    int argc = 0;
    argv[argc++] = exe;
    argv[argc++] = CHILD_SUBCOMMAND;
    argv[argc++] = "--backend";
    argv[argc++] = b->name;
    if (b->library) {
        argv[argc++] = "--lib";
        argv[argc++] = b->library;
    }
    argv[argc++] = "--workload";
    argv[argc++] = selection;
    argv[argc++] = "--threads";
    argv[argc++] = threads;
    argv[argc++] = "--fd";
    argv[argc++] = fd_text;
    argv[argc++] = "--run-dir";
    argv[argc++] = (char *)run_dir;
    if (latency_requested) {
        argv[argc++] = "--latency";
        argv[argc++] = "1";
    }
    argv[argc] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fatal_errno("fork");
    if (pid == 0) {
        /* Own process group, so a timeout kills everything it started and a
         * terminal's Ctrl-C reaches only the runner, which then cleans up. */
        setpgid(0, 0);
        int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            dup2(log, STDOUT_FILENO);
            dup2(log, STDERR_FILENO);
            close(log);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        dup2(fds[1], CHILD_RESULT_FD); /* dup2 clears close-on-exec */
        if (b->library)
            setenv("LD_PRELOAD", b->library, 1);
        else
            unsetenv("LD_PRELOAD");
        execv(exe, argv);
        fprintf(stderr, "bench: cannot exec %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* both sides, whichever runs first */
    close(fds[1]);
    free(selection);
    *report_fd = fds[0];
    return pid;
}

/* ---- Reading what the child says ---- */

static void parse_report_line(char *line, struct outcome *o)
{
    char *fields[4] = {0};
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(line, "\t", &save); tok && n < 4;
         tok = strtok_r(NULL, "\t", &save))
        fields[n++] = tok;
    if (n >= 3 && strcmp(fields[0], "allocator") == 0) {
        snprintf(o->allocator_path, sizeof o->allocator_path, "%s", fields[1]);
        snprintf(o->allocator_version, sizeof o->allocator_version, "%s", fields[2]);
    } else if (n >= 3 && strcmp(fields[0], "metric") == 0 && o->metric_count < MAX_METRICS) {
        size_t m = o->metric_count++;
        snprintf(o->metrics[m].name, sizeof o->metrics[m].name, "%s", fields[1]);
        snprintf(o->metrics[m].value, sizeof o->metrics[m].value, "%s", fields[2]);
        snprintf(o->metrics[m].unit, sizeof o->metrics[m].unit, "%s", n > 3 ? fields[3] : "");
    } else if (n >= 2 && strcmp(fields[0], "sample_pid") == 0) {
        o->sample_pid = (pid_t)atol(fields[1]);
    } else if (n >= 2 && strcmp(fields[0], "status") == 0) {
        snprintf(o->status, sizeof o->status, "%s", fields[1]);
        snprintf(o->detail, sizeof o->detail, "%s", n > 2 ? fields[2] : "");
    }
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

/* Collects the child's reports until it closes the pipe, then its exit
 * status; kills it when the deadline passes or the user interrupts. Samples
 * the child's RSS into `tl` meanwhile. */
static void collect(pid_t pid, int fd, int timeout_s, struct outcome *o, struct timeline *tl)
{
    timeline_begin(tl, pid);
    uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000ull;
    char buf[16384];
    size_t len = 0;
    bool timed_out = false;
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline || interrupted) {
            timed_out = !interrupted;
            kill_group(pid);
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (o->sample_pid)
            tl->pid = o->sample_pid;
        int wait_ms = (int)((deadline - now) / 1000000 + 1), next_sample_ms = timeline_tick(tl);
        int r = poll(&p, 1, next_sample_ms < wait_ms ? next_sample_ms : wait_ms);
        if (r <= 0)
            continue; /* timeout or EINTR: the loop head decides */
        ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = '\0';
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            parse_report_line(buf, o);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
        if (len == sizeof buf - 1)
            len = 0; /* an absurd line: drop it */
    }
    close(fd);

    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now_ns() >= deadline && !timed_out) {
            timed_out = true;
            kill_group(pid);
        }
        if (interrupted)
            kill_group(pid);
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    kill(-pid, SIGKILL); /* anything the child left behind in its group */

    bool reported_ok = strcmp(o->status, "ok") == 0;
    if (interrupted && !(WIFEXITED(status) && reported_ok)) {
        snprintf(o->status, sizeof o->status, "interrupted");
        snprintf(o->detail, sizeof o->detail, "stopped by the user");
    } else if (timed_out) {
        snprintf(o->status, sizeof o->status, "timeout");
        snprintf(o->detail, sizeof o->detail, "killed after %d s", timeout_s);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(o->status, sizeof o->status, "crashed");
        snprintf(o->detail, sizeof o->detail, "signal %d (%s)%s", sig, strsignal(sig),
                 reported_ok ? " after the workload finished" : "");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_OK && reported_ok) {
        /* ok, as reported */
    } else if (!o->status[0] || reported_ok) {
        snprintf(o->status, sizeof o->status, "error");
        snprintf(o->detail, sizeof o->detail, "exited with status %d without a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

/* ---- Recording ---- */

static void append_rows(FILE *csv, const struct backend *b, const struct bench_case *c, int rep,
                        const struct outcome *o)
{
    char *params = case_params_string(c);
    struct result_row row = {.backend = b->name, .workload = c->label, .threads = c->threads,
                             .rep = rep, .status = (char *)o->status, .params = params};
    if (strcmp(o->status, "ok") == 0) {
        row.detail = "";
        for (size_t m = 0; m < o->metric_count; m++) {
            row.metric = (char *)o->metrics[m].name;
            row.value = (char *)o->metrics[m].value;
            row.unit = (char *)o->metrics[m].unit;
            csv_write_row(csv, &row);
        }
    } else {
        /* A failed run records why, and no timing. */
        row.metric = "run", row.value = "", row.unit = "", row.detail = (char *)o->detail;
        csv_write_row(csv, &row);
    }
    fflush(csv);
    free(params);
}

static const char *metric_value(const struct outcome *o, const char *name)
{
    for (size_t m = 0; m < o->metric_count; m++)
        if (strcmp(o->metrics[m].name, name) == 0)
            return o->metrics[m].value;
    return NULL;
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

/* ---- The matrix ---- */

struct job {
    struct backend *backend;
    struct bench_case *c;
};

static void shuffle(struct job *jobs, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(bench_rand(rng) % i);
        struct job t = jobs[i - 1];
        jobs[i - 1] = jobs[j];
        jobs[j] = t;
    }
}

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

int runner_run(struct run_config *cfg)
{
    struct run_meta *m = &cfg->meta;
    struct sigaction sa = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char *logs = xasprintf("%s/logs", cfg->run_dir);
    if (mkdir(logs, 0755) != 0 && errno != EEXIST)
        fatal_errno("cannot create %s", logs);
    FILE *csv = open_csv(cfg->run_dir, "results.csv", RESULTS_HEADER);
    FILE *timeline_csv = open_csv(cfg->run_dir, "timeline.csv", TIMELINE_HEADER);
    struct timeline tl = {0};
    utc_now(m->start_time, sizeof m->start_time);
    meta_write(cfg->run_dir, m);

    /* Missing backends are recorded at once, one row per would-be run. */
    struct job *jobs = xmalloc((m->backend_count * m->case_count + 1) * sizeof *jobs);
    size_t job_count = 0;
    bool all_ok = true;
    for (size_t b = 0; b < m->backend_count; b++) {
        struct backend *be = m->backends[b];
        if (be->missing) {
            fprintf(stderr, "%s: missing: %s\n", be->name, be->missing_reason);
            all_ok = false;
            struct outcome o = {.status = "missing"};
            snprintf(o.detail, sizeof o.detail, "%s", be->missing_reason);
            for (int rep = 1; rep <= m->reps; rep++)
                for (size_t c = 0; c < m->case_count; c++)
                    append_rows(csv, be, m->cases[c], rep, &o);
            continue;
        }
        for (size_t c = 0; c < m->case_count; c++)
            jobs[job_count++] = (struct job){be, m->cases[c]};
    }

    size_t total = job_count * (size_t)(m->reps + 1), done = 0;
    int width = snprintf(NULL, 0, "%zu", total);
    uint64_t rng = m->seed ? m->seed : 1;
    for (int rep = 0; rep <= m->reps && !interrupted; rep++) { /* rep 0: warm-up */
        shuffle(jobs, job_count, &rng);
        for (size_t j = 0; j < job_count && !interrupted; j++) {
            struct backend *b = jobs[j].backend;
            struct bench_case *c = jobs[j].c;
            char *log_path = log_path_for(cfg->run_dir, b, c, rep);
            int fd;
            pid_t pid = spawn_child(b, c, cfg->run_dir, log_path, &fd);
            struct outcome o = {0};
            collect(pid, fd, m->timeout_s, &o, &tl);
            struct stat st;
            if (stat(log_path, &st) == 0 && st.st_size == 0)
                unlink(log_path);

            if (o.allocator_path[0] && !b->verified_path) {
                b->verified_path = xstrdup(o.allocator_path);
                b->version = xstrdup(o.allocator_version);
            }
            bool ok = strcmp(o.status, "ok") == 0;
            if (rep > 0 && strcmp(o.status, "interrupted") != 0) {
                append_rows(csv, b, c, rep, &o);
                timeline_write(timeline_csv, b->name, c->label, c->threads, rep, &tl);
                all_ok = all_ok && ok;
            }
            char threads[16] = "";
            if (c->workload->threaded)
                snprintf(threads, sizeof threads, " x%d", c->threads);
            char rep_text[16];
            snprintf(rep_text, sizeof rep_text, "rep %d", rep);
            const char *wall = metric_value(&o, "wall_ms");
            printf("[%*zu/%zu] %s %s%s %s: ", width, ++done, total, b->name, c->label, threads,
                   rep ? rep_text : "warm-up");
            if (ok && wall)
                printf("%.1f ms\n", strtod(wall, NULL));
            else
                printf("%s%s%s\n", o.status, o.detail[0] ? ": " : "", o.detail);
            fflush(stdout);
            free(log_path);
        }
    }
    fclose(csv);
    fclose(timeline_csv);
    timeline_discard(&tl);
    rmdir(logs); /* only if empty */

    m->interrupted = interrupted;
    utc_now(m->end_time, sizeof m->end_time);
    meta_write(cfg->run_dir, m);
    putchar('\n');
    summary_write(cfg->run_dir, stdout);

    if (cfg->latest_link) {
        char *tmp = xasprintf("%s.tmp", cfg->latest_link);
        const char *base = strrchr(cfg->run_dir, '/');
        unlink(tmp);
        if (symlink(base ? base + 1 : cfg->run_dir, tmp) == 0)
            rename(tmp, cfg->latest_link);
        free(tmp);
    }
    printf("\nResults: %s (results.csv, summary.csv, meta.json)\n", cfg->run_dir);
    free(jobs), free(logs);
    if (interrupted) {
        fprintf(stderr, "bench: interrupted; the finished runs are in %s\n", cfg->run_dir);
        return EXIT_INTERRUPTED;
    }
    if (!all_ok)
        fprintf(stderr, "bench: some runs did not end ok (see the status column)\n");
    return all_ok ? 0 : EXIT_RUNS_FAILED;
}
