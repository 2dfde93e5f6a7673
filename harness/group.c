/* Running a group of measured children (group.h): starting them with their
 * backend preloaded, the command and report protocol of child.h, the turns
 * in which they take their samples, the time limit, and how each one ended. */
#include "group.h"
#include "child.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_REPORT_FD 3
#define CHILD_CONTROL_FD 4

/* ---- Starting a child ---- */

/* Forks and execs `bench __child` with the backend preloaded (under
 * callgrind when counting instructions); its stdout and stderr go to its log,
 * its reports come back on m->report_fd, commands go to m->control_fd. */
static void spawn(struct member *m, const struct bench_case *c, const struct group_settings *s)
{
    int report[2], control[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(control, O_CLOEXEC) != 0)
        fatal_errno("pipe");
    /* Exec the running image itself, not its path: a `make` during the run
     * replaces build/bench, and every later child would exec the new binary
     * (or fail, the old path being gone). valgrind needs a path it can open:
     * /proc/<runner>/exe is the same image. */
    char exe[64];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)getpid());
    char *selection = case_full_selection(c);
    char cg_out[PATH_MAX + 32], cg_log[PATH_MAX + 32], numbers[CHILD_MAX_ARGS][24];
    char *argv[CHILD_MAX_ARGS + 16];
    int argc = 0;
    if (s->callgrind_dir) {
        snprintf(cg_out, sizeof cg_out, "--callgrind-out-file=%s/cg.%%p", s->callgrind_dir);
        /* valgrind's own messages (its cache warnings on every start) stay
         * out of the child's log; the child's stderr still goes there */
        snprintf(cg_log, sizeof cg_log, "--log-file=%s/valgrind.%%p.log", s->callgrind_dir);
        argv[argc++] = "valgrind";
        argv[argc++] = "--tool=callgrind";
        argv[argc++] = "--quiet";
        argv[argc++] = cg_log;
        argv[argc++] = "--cache-sim=yes";
        /* One simulated cache on every machine, so that the miss counts are
         * as reproducible as the instructions (a virtual machine may report
         * a cache valgrind cannot model, as this project's do) */
        argv[argc++] = "--I1=" CALLGRIND_I1;
        argv[argc++] = "--D1=" CALLGRIND_D1;
        argv[argc++] = "--LL=" CALLGRIND_LL;
        argv[argc++] = "--dump-line=no";
        argv[argc++] = cg_out;
    }
    argv[argc++] = exe;
    struct child_args args = {
        .backend = m->backend->name, .library = m->backend->library, .selection = selection,
        .run_dir = s->run_dir, .callgrind_dir = s->callgrind_dir, .threads = c->threads,
        .report_fd = CHILD_REPORT_FD, .control_fd = CHILD_CONTROL_FD, .latency = s->latency,
        .perf = s->perf};
    child_argv(&args, argv, argc, numbers);

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fatal_errno("fork");
    if (pid == 0) {
        /* Own process group, so a timeout kills everything it started and a
         * terminal's Ctrl-C reaches only the runner, which then cleans up. */
        setpgid(0, 0);
        int log = open(m->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
        /* dup2 clears close-on-exec, except onto itself; a pipe end may
         * sit on fd 3 or 4 already, so move both out of the way first */
        int report_write = fcntl(report[1], F_DUPFD_CLOEXEC, 10);
        int control_read = fcntl(control[0], F_DUPFD_CLOEXEC, 10);
        dup2(report_write, CHILD_REPORT_FD);
        dup2(control_read, CHILD_CONTROL_FD);
        signal(SIGPIPE, SIG_DFL);
        if (m->backend->library)
            setenv("LD_PRELOAD", m->backend->library, 1);
        else
            unsetenv("LD_PRELOAD");
        backend_export_settings(m->backend);
        execvp(argv[0], argv);
        fprintf(stderr, "bench: cannot exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* both sides, whichever runs first */
    close(report[1]);
    close(control[0]);
    free(selection);
    m->pid = pid;
    m->report_fd = report[0];
    m->control_fd = control[1];
    m->alive = true;
    timeline_begin(&m->tl, pid);
}

/* ---- What the child says ---- */

static void add_metric(struct metric_value *list, size_t *count, char **f, int n)
{
    if (*count >= MEMBER_MAX_METRICS || n < 3)
        return;
    struct metric_value *v = &list[(*count)++];
    snprintf(v->name, sizeof v->name, "%s", f[1]);
    snprintf(v->unit, sizeof v->unit, "%s", n > 3 ? f[3] : "");
    v->value = strtod(f[2], NULL);
}

/* One report line; returns its kind ("sample_end", "ready", ...). */
static const char *parse_line(struct member *m, char *line)
{
    char *f[4] = {0};
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(line, "\t", &save); tok && n < 4;
         tok = strtok_r(NULL, "\t", &save))
        f[n++] = tok;
    if (n == 0)
        return "";
    struct sample *current = m->sample_count ? &m->samples[m->sample_count - 1] : NULL;
    if (strcmp(f[0], "allocator") == 0 && n >= 3) {
        snprintf(m->allocator_path, sizeof m->allocator_path, "%s", f[1]);
        snprintf(m->allocator_version, sizeof m->allocator_version, "%s", f[2]);
    } else if (strcmp(f[0], "sample") == 0 && n >= 3) {
        if (m->sample_count == m->sample_cap) {
            m->sample_cap = m->sample_cap ? m->sample_cap * 2 : 16;
            m->samples = xrealloc(m->samples, m->sample_cap * sizeof *m->samples);
        }
        m->samples[m->sample_count++] = (struct sample){
            .index = atol(f[1]), .measured = strcmp(f[2], "1") == 0};
    } else if (strcmp(f[0], "metric") == 0) {
        /* inside a sample until it ends; after that, the process's own */
        if (current && !current->end_ns)
            add_metric(current->metrics, &current->metric_count, f, n);
        else
            add_metric(m->process_metrics, &m->process_metric_count, f, n);
    } else if (strcmp(f[0], "sample_end") == 0 && current) {
        current->end_ns = now_ns();
        timeline_sample_now(&m->tl);
    } else if (strcmp(f[0], "sample_pid") == 0 && n >= 2) {
        m->sample_pid = (pid_t)atol(f[1]);
    } else if (strcmp(f[0], "status") == 0 && n >= 2) {
        snprintf(m->status, sizeof m->status, "%s", f[1]);
        snprintf(m->detail, sizeof m->detail, "%s", n > 2 ? f[2] : "");
    }
    return f[0];
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

static void set_status(struct member *m, const char *status, const char *detail)
{
    snprintf(m->status, sizeof m->status, "%s", status);
    snprintf(m->detail, sizeof m->detail, "%s", detail);
}

/* Reaps a child whose report pipe has closed (or that was killed) and says
 * how it ended, from what it reported and how it exited. */
static void reap(struct member *m, const struct group_settings *s, bool timed_out)
{
    close(m->report_fd);
    close(m->control_fd);
    int status = 0;
    uint64_t deadline = now_ns() + 10 * 1000000000ull; /* exit handlers, a last flush */
    while (waitpid(m->pid, &status, WNOHANG) == 0) {
        if ((now_ns() >= deadline && !timed_out) || *s->interrupted) {
            timed_out = !*s->interrupted;
            kill_group(m->pid);
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    kill(-m->pid, SIGKILL); /* anything the child left behind in its group */
    m->alive = false;
    m->done = true;
    timeline_pause(&m->tl);

    bool reported_ok = strcmp(m->status, "ok") == 0;
    if (*s->interrupted && !(WIFEXITED(status) && reported_ok)) {
        set_status(m, "interrupted", "stopped by the user");
    } else if (timed_out) {
        char why[64];
        snprintf(why, sizeof why, "killed after %d s", s->timeout_s);
        set_status(m, "timeout", why);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        char why[256];
        snprintf(why, sizeof why, "signal %d (%s)%s", sig, strsignal(sig),
                 reported_ok ? " after the workload finished" : "");
        set_status(m, "crashed", why);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_OK && reported_ok) {
        /* ok, as reported */
    } else if (!m->status[0] || reported_ok) {
        char why[128];
        snprintf(why, sizeof why, "exited with status %d without a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        set_status(m, "error", why);
    }
}

/* Reads m's reports until it says `until` (true), or until it exits, runs
 * past its time limit or the user interrupts (false, m reaped); samples its
 * RSS meanwhile. `until` NULL: until it exits. */
static bool wait_for(struct member *m, const char *until, const struct group_settings *s)
{
    timeline_resume(&m->tl);
    uint64_t began = now_ns(), limit = (uint64_t)s->timeout_s * 1000000000ull;
    bool reached = false, timed_out = false;
    while (!reached) {
        uint64_t now = now_ns(), used = m->active_ns + (now - began);
        if (used >= limit || *s->interrupted) {
            timed_out = !*s->interrupted;
            kill_group(m->pid);
            break;
        }
        if (m->sample_pid)
            m->tl.pid = m->sample_pid;
        int wait_ms = (int)((limit - used) / 1000000 + 1), next_sample_ms = timeline_tick(&m->tl);
        struct pollfd p = {.fd = m->report_fd, .events = POLLIN};
        int r = poll(&p, 1, next_sample_ms < wait_ms ? next_sample_ms : wait_ms);
        if (r <= 0)
            continue; /* a timeline tick or EINTR: the loop head decides */
        ssize_t got = read(m->report_fd, m->buf + m->len, sizeof m->buf - 1 - m->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* the child closed the pipe: it exited */
        m->len += (size_t)got;
        m->buf[m->len] = '\0';
        char *nl;
        while (!reached && (nl = memchr(m->buf, '\n', m->len))) {
            *nl = '\0';
            const char *kind = parse_line(m, m->buf);
            reached = until && strcmp(kind, until) == 0;
            m->len -= (size_t)(nl + 1 - m->buf);
            memmove(m->buf, nl + 1, m->len);
        }
        if (m->len == sizeof m->buf - 1)
            m->len = 0; /* an absurd line: drop it */
    }
    m->active_ns += now_ns() - began;
    if (reached) {
        timeline_pause(&m->tl);
        return true;
    }
    reap(m, s, timed_out);
    return false;
}

static void command(struct member *m, const char *text)
{
    /* A child that died meanwhile shows as end of file on its report pipe;
     * SIGPIPE is ignored by the runner. */
    ssize_t ignored = write(m->control_fd, text, strlen(text));
    (void)ignored;
}

/* ---- Taking the samples ---- */

/* In the warm-up round a sample that lasts --min-time may let the
 * measured processes of its backend skip their warm-up sample
 * (group_warmup_not_needed); the decision must rest on a warm sample, and
 * the first one of a process is cold: first-touch faults of a large
 * working set can make it many times the warm time. So a long first
 * sample is followed by a second, and the two decide, unless the first
 * took 10 x --min-time or more (its cold start is then a small part of it,
 * and one more would cost too much). */
static bool warmup_needs_second(const struct member *m, const struct group_settings *s)
{
    if (s->fixed_samples > 0 || s->min_time_ms <= 0 || m->sample_count != 1)
        return false;
    double first = sample_value(&m->samples[0], "wall_ms");
    return first >= s->min_time_ms && first < 10 * s->min_time_ms;
}

bool group_warmup_not_needed(const struct member *m, const struct group_settings *s)
{
    if (s->fixed_samples > 0 || s->min_time_ms <= 0 || m->sample_count == 0)
        return false;
    double cold = sample_value(&m->samples[0], "wall_ms");
    double warm = sample_value(&m->samples[m->sample_count - 1], "wall_ms");
    return warm >= s->min_time_ms && cold <= 1.1 * warm;
}

/* Whether m has all the samples it needs. */
static bool satisfied(const struct member *m, const struct bench_case *c,
                      const struct group_settings *s)
{
    if (!c->workload->repeatable)
        return m->sample_count >= 1;
    if (s->warmup_round)
        return m->sample_count >= 1 + (size_t)warmup_needs_second(m, s);
    if (m->measured >= s->max_samples)
        return true;
    if (s->fixed_samples > 0)
        return m->measured >= s->fixed_samples;
    return m->measured >= 1 && m->measured_ms >= s->min_time_ms;
}

double sample_value(const struct sample *x, const char *name)
{
    for (size_t i = 0; i < x->metric_count; i++)
        if (strcmp(x->metrics[i].name, name) == 0)
            return x->metrics[i].value;
    return NAN;
}

/* One sample of m in `turn`; false when m ended instead. */
static bool take_sample(struct member *m, const struct bench_case *c,
                        const struct group_settings *s, int turn)
{
    int warmups = (int)m->sample_count - m->measured;
    bool measured = !s->warmup_round && (!c->workload->repeatable || warmups >= m->warmups);
    command(m, measured ? "sample 1\n" : "sample 0\n");
    if (!wait_for(m, "sample_end", s))
        return false;
    struct sample *x = &m->samples[m->sample_count - 1];
    x->turn = s->interleave == INTERLEAVE_SAMPLES ? turn : -1;
    if (measured) {
        m->measured++;
        double wall = sample_value(x, "wall_ms");
        m->measured_ms += isnan(wall) ? 0 : wall;
    }
    m->done = satisfied(m, c, s);
    return true;
}

static void shuffle(struct member **order, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(bench_rand(rng) % i);
        struct member *t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* The wall time of m's latest sample, 0 before its first. */
static double last_sample_ms(const struct member *m)
{
    if (m == NULL || m->sample_count == 0)
        return 0;
    double ms = sample_value(&m->samples[m->sample_count - 1], "wall_ms");
    return isnan(ms) ? 0 : ms;
}

/* m's samples of one turn: one, and more while they fit in the time of the
 * pacing member's sample. A backend whose samples are ten times shorter
 * than the baseline's then needs a tenth of the turns to reach --min-time,
 * and the baseline, which samples in every turn, a tenth of the samples it
 * would otherwise take only to pace (on `large`, glibc's 180 ms samples
 * paced custom's 10 ms ones 20 times per process). Every sample of the turn
 * pairs with the baseline's of the same turn, at most one baseline sample's
 * time away. */
static void take_turn(struct member *m, const struct member *pacer, const struct bench_case *c,
                      const struct group_settings *s, int turn)
{
    double budget = m == pacer ? 0 : last_sample_ms(pacer), spent = 0;
    do {
        if (!take_sample(m, c, s, turn))
            return;
        spent += last_sample_ms(m);
    } while (!m->done && !*s->interrupted && spent + last_sample_ms(m) <= budget);
}

/* Starts the children one after another (a start-up never overlaps another
 * child's sample), then takes turns until every one is satisfied, then
 * stops them. In each turn every child that still needs samples takes its
 * samples (take_turn), in an order shuffled anew, and so does the pacing
 * member (the baseline) while any other one does: a backend's sample of a
 * turn then pairs with the baseline's sample of the same turn. */
static void run_together(struct member **all, size_t count, const struct bench_case *c,
                         const struct group_settings *s)
{
    const struct member *pacer = NULL;
    for (size_t i = 0; i < count; i++)
        if (all[i]->paces)
            pacer = all[i];
    for (size_t i = 0; i < count && !*s->interrupted; i++) {
        spawn(all[i], c, s);
        wait_for(all[i], "ready", s);
    }
    struct member **turn_order = xmalloc((count + 1) * sizeof *turn_order);
    for (int turn = 0; !*s->interrupted; turn++) {
        bool others = false; /* a member other than the pacing one needs samples */
        for (size_t i = 0; i < count; i++)
            others |= all[i]->alive && !all[i]->done && !all[i]->paces;
        size_t active = 0;
        for (size_t i = 0; i < count; i++) {
            struct member *m = all[i];
            bool pacing = m->paces && others && m->measured < s->max_samples;
            if (m->alive && (!m->done || pacing))
                turn_order[active++] = m;
        }
        if (active == 0)
            break;
        shuffle(turn_order, active, s->rng);
        for (size_t i = 0; i < active && !*s->interrupted; i++)
            take_turn(turn_order[i], pacer, c, s, turn);
    }
    free(turn_order);
}

void group_run(struct member **members, size_t count, const struct bench_case *c,
               const struct group_settings *s)
{
    struct member **order = xmalloc((count + 1) * sizeof *order);
    for (size_t i = 0; i < count; i++) {
        order[i] = members[i];
        members[i]->alive = members[i]->done = false;
    }
    shuffle(order, count, s->rng);
    if (s->interleave == INTERLEAVE_SAMPLES) {
        run_together(order, count, c, s);
    } else {
        /* one child at a time, all its samples in a row */
        for (size_t i = 0; i < count; i++) {
            struct member *one = order[i];
            run_together(&one, 1, c, s);
            if (one->alive) {
                command(one, "stop\n");
                wait_for(one, NULL, s);
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        struct member *m = members[i];
        if (m->alive) {
            command(m, "stop\n");
            wait_for(m, NULL, s);
        }
        if (!m->status[0])
            set_status(m, *s->interrupted ? "interrupted" : "error",
                       *s->interrupted ? "stopped by the user" : "never started");
    }
    free(order);
}

void member_release(struct member *m)
{
    free(m->samples);
    free(m->log_path);
    timeline_discard(&m->tl);
    m->samples = NULL;
    m->log_path = NULL;
}
