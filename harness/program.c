/* Real programs as workloads: runs a whole external command under the
 * backend, verifies from inside each of its processes (through the probe
 * library) which malloc it used, and compares its output with the output of
 * the same command under glibc. Runs inside the measured child. The pieces
 * that servers share (finding, starting and checking a command) are the
 * program_* functions of program.h; server.c holds the rest of servers. */
#include "program.h"
#include "backends.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- Where things are ---- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* workloads/programs/ of the source tree: beside build/ for build/bench, one
 * level further for build/tests/bench-test. */
static const char *sources_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0]) {
        const char *tries[] = {"/../workloads/programs", "/../../workloads/programs"};
        for (size_t i = 0; i < 2 && !dir[0]; i++) {
            char *p = xasprintf("%s%s", exe_dir(), tries[i]);
            if (is_dir(p) && !realpath(p, dir))
                dir[0] = '\0';
            free(p);
        }
    }
    return dir[0] ? dir : NULL;
}

const char *bench_program_file(struct bench_ctx *ctx, const char *name)
{
    static char path[PATH_MAX];
    const char *dir = sources_dir();
    if (!dir)
        bench_fail(ctx, "cannot find workloads/programs/ beside %s", exe_dir());
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, R_OK) != 0)
        bench_fail(ctx, "cannot read %s", path);
    return path;
}

const char *bench_program_dir(struct bench_ctx *ctx)
{
    static char dir[PATH_MAX];
    if (!dir[0]) {
        const char *run_dir = child_run_dir(ctx);
        if (run_dir)
            snprintf(dir, sizeof dir, "%s/programs", run_dir);
        else
            snprintf(dir, sizeof dir, "/tmp/bench-programs-%d", (int)getuid());
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            bench_fail(ctx, "cannot create %s: %s", dir, strerror(errno));
    }
    return dir;
}

const char *bench_program_input(struct bench_ctx *ctx, const char *name,
                                void (*make)(struct bench_ctx *ctx, const char *path,
                                             const void *arg),
                                const void *arg)
{
    static char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%.255s", bench_program_dir(ctx), name);
    if (access(path, F_OK) == 0)
        return path;
    char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
    make(ctx, tmp, arg);
    if (rename(tmp, path) != 0)
        bench_fail(ctx, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    free(tmp);
    return path;
}

static const char *probe_library(struct bench_ctx *ctx)
{
    static char path[PATH_MAX];
    const char *tries[] = {"/libbenchprobe.so", "/../libbenchprobe.so"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", exe_dir(), tries[i]);
        if (access(path, R_OK) == 0)
            return path;
    }
    bench_fail(ctx, "build/libbenchprobe.so is not built (run make)");
}

/* /usr/bin first, so a version manager's shim (a script that execs the real
 * program) is not what gets measured; then the PATH. */
static char *find_command(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    char *path = xasprintf("/usr/bin:/bin:%s", getenv("PATH") ? getenv("PATH") : "");
    char *save = NULL, *found = NULL;
    for (char *d = strtok_r(path, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *candidate = xasprintf("%s/%s", *d ? d : ".", name);
        if (access(candidate, X_OK) == 0)
            found = candidate;
        else
            free(candidate);
    }
    free(path);
    return found;
}

/* `arg` with every "{port}" replaced by `port`. */
static char *with_port(const char *arg, const char *port)
{
    char *result = xstrdup(arg);
    for (char *at; port && (at = strstr(result, "{port}"));) {
        char *next = xasprintf("%.*s%s%s", (int)(at - result), result, port, at + 6);
        free(result);
        result = next;
    }
    return result;
}

char **program_argv(struct bench_ctx *ctx, const char *const *argv, const char *package,
                    const char *port)
{
    char *exe = find_command(argv[0]);
    if (!exe)
        bench_status(ctx, "missing", "%s is not installed (Debian package %s)", argv[0], package);
    size_t argc = 0;
    while (argv[argc])
        argc++;
    char **out = xmalloc((argc + 1) * sizeof *out);
    out[0] = exe;
    for (size_t i = 1; i < argc; i++)
        out[i] = argv[i][0] == '@' ? xstrdup(bench_program_file(ctx, argv[i] + 1))
                                   : with_port(argv[i], port);
    out[argc] = NULL;
    return out;
}

void program_free_argv(char **argv)
{
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* ---- Running the command ---- */

pid_t program_spawn(struct bench_ctx *ctx, char *const argv[], const char *probe_file,
                    const char *in, const char *out)
{
    /* Under the backend: the measured child's own preload, plus the probe.
     * Under glibc, the C library itself is preloaded: a program linked with
     * another allocator (Debian's redis links libjemalloc) would otherwise
     * get that one's malloc, the first in its lookup order. */
    char *preload = NULL;
    if (probe_file) {
        const char *current = getenv("LD_PRELOAD");
        preload = xasprintf("%s:%s", current && *current ? current : child_allocator_path(ctx),
                            probe_library(ctx));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        bench_fail(ctx, "fork: %s", strerror(errno));
    if (pid > 0) {
        free(preload);
        return pid;
    }
    if (probe_file) {
        setenv("LD_PRELOAD", preload, 1);
        setenv(PROBE_FILE_ENV, probe_file, 1);
    } else {
        unsetenv("LD_PRELOAD");
        unsetenv(PROBE_FILE_ENV);
        backend_unexport_settings();
    }
    int ifd = open(in ? in : "/dev/null", O_RDONLY);
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (ifd < 0 || ofd < 0) {
        fprintf(stderr, "bench: cannot open %s or %s: %s\n", in ? in : "/dev/null", out,
                strerror(errno));
        _exit(127);
    }
    dup2(ifd, STDIN_FILENO);
    dup2(ofd, STDOUT_FILENO);
    /* Nothing but the three standard streams: a server that outlived the
     * measured child must not hold its report pipe open, or the runner
     * would wait for the pipe's end until the time limit. */
    closefrom(STDERR_FILENO + 1);
    execv(argv[0], argv);
    fprintf(stderr, "bench: cannot exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

void program_check_ended(struct bench_ctx *ctx, const char *name, int status, const char *when)
{
    if (WIFSIGNALED(status))
        bench_status(ctx, "crashed", "%s%s killed by signal %d (%s)", name, when,
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_status(ctx, "error", "%s%s exited with status %d (its stderr is in logs/)", name,
                     when, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ---- Checks after the run ---- */

static void same_library(struct bench_ctx *ctx, const char *what, const char *seen,
                         const char *pid, const char *exe)
{
    char a[PATH_MAX], b[PATH_MAX];
    const char *expected = child_allocator_path(ctx);
    if (!realpath(seen, a))
        snprintf(a, sizeof a, "%s", seen);
    if (!realpath(expected, b))
        snprintf(b, sizeof b, "%s", expected);
    if (strcmp(a, b) != 0)
        bench_status(ctx, "preload_failed", "in %s (pid %s) %s resolves to %s, not %s", exe, pid,
                     what, seen, expected);
}

/* Every process of the command must have reported the backend's malloc and
 * free; returns how many processes reported. */
int program_verify_probe(struct bench_ctx *ctx, const char *probe_file, const char *name)
{
    FILE *f = fopen(probe_file, "r");
    if (!f)
        bench_status(ctx, "preload_failed",
                     "no process of %s reported its allocator (was LD_PRELOAD dropped?)", name);
    char line[PATH_MAX * 3];
    int processes = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL;
        char *pid = strtok_r(line, "\t", &save), *exe = strtok_r(NULL, "\t", &save);
        char *m = strtok_r(NULL, "\t", &save), *fr = strtok_r(NULL, "\t", &save);
        if (!pid || !exe || !m || !fr)
            bench_status(ctx, "preload_failed", "unreadable probe report from %s", name);
        same_library(ctx, "malloc", m, pid, exe);
        same_library(ctx, "free", fr, pid, exe);
        processes++;
    }
    fclose(f);
    if (processes == 0)
        bench_status(ctx, "preload_failed",
                     "no process of %s reported its allocator (was LD_PRELOAD dropped?)", name);
    return processes;
}

/* Returns -1 when equal, else the offset of the first difference. */
static long long first_difference(const char *x, const char *y)
{
    FILE *a = fopen(x, "rb"), *b = fopen(y, "rb");
    long long off = 0, result = -1;
    if (!a || !b) {
        result = 0;
    } else {
        for (;; off++) {
            int ca = getc(a), cb = getc(b);
            if (ca != cb) {
                result = off;
                break;
            }
            if (ca == EOF)
                break;
        }
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return result;
}

char *program_file_stem(struct bench_ctx *ctx)
{
    char *label = xstrdup(child_label(ctx));
    for (char *p = label; *p; p++)
        if (*p == '/' || *p == ':' || *p == ' ' || *p == '=')
            *p = '_';
    char *stem = xasprintf("%s/%s.t%d", bench_program_dir(ctx), label, bench_threads(ctx));
    free(label);
    return stem;
}

void program_report_usage(struct bench_ctx *ctx, const struct rusage *ru, int processes)
{
    bench_metric(ctx, "program_user_ms",
                 (double)ru->ru_utime.tv_sec * 1e3 + (double)ru->ru_utime.tv_usec / 1e3, "ms");
    bench_metric(ctx, "program_sys_ms",
                 (double)ru->ru_stime.tv_sec * 1e3 + (double)ru->ru_stime.tv_usec / 1e3, "ms");
    bench_metric(ctx, "program_peak_rss_kib", (double)ru->ru_maxrss, "KiB");
    bench_metric(ctx, "program_processes", processes, "count");
}

void bench_program_run(struct bench_ctx *ctx, const struct bench_program *prog)
{
    const char *name = prog->argv[0];
    char **argv = program_argv(ctx, prog->argv, prog->package, NULL);
    if (prog->needs)
        program_free_argv(program_argv(ctx, (const char *const[]){prog->needs, NULL},
                                       prog->needs_package, NULL));
    char *in = NULL;
    if (prog->stdin_file)
        in = xstrdup(prog->stdin_file[0] == '@' ? bench_program_file(ctx, prog->stdin_file + 1)
                                                : prog->stdin_file);

    /* The reference: the same command under glibc, made once per run
     * directory by whichever run needs it first (setup, not timed). */
    char *stem = program_file_stem(ctx);
    char *ref = xasprintf("%s.glibc-reference.out", stem);
    if (access(ref, R_OK) != 0) {
        char *tmp = xasprintf("%s.tmp%d", ref, (int)getpid());
        int status;
        pid_t pid = program_spawn(ctx, argv, NULL, in, tmp);
        waitpid(pid, &status, 0);
        program_check_ended(ctx, name, status, " (the reference run under glibc)");
        if (rename(tmp, ref) != 0)
            bench_fail(ctx, "cannot rename %s: %s", tmp, strerror(errno));
        free(tmp);
    }

    char *probe_file = xasprintf("%s.%s.probe", stem, child_backend(ctx));
    char *out = xasprintf("%s.%s.out", stem, child_backend(ctx));
    unlink(probe_file);

    int status;
    struct rusage ru;
    /* callgrind counts this process only, not the command it runs */
    child_count_no_instructions(ctx);
    bench_region_begin(ctx);
    pid_t pid = program_spawn(ctx, argv, probe_file, in, out);
    child_report_sample_pid(ctx, (long)pid);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    bench_region_end(ctx);

    program_check_ended(ctx, name, status, "");
    int processes = program_verify_probe(ctx, probe_file, name);
    long long diff = first_difference(out, ref);
    if (diff >= 0)
        bench_corrupt(ctx, "the output of %s differs from its output under glibc at byte %lld "
                      "(%s vs %s)", name, diff, out, ref);
    program_report_usage(ctx, &ru, processes);
    unlink(probe_file);
    free(in), free(stem), free(ref), free(probe_file), free(out);
    program_free_argv(argv);
}
