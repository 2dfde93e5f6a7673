/* Real programs as workloads: runs a whole external command under the
 * backend, verifies from inside each of its processes (through the probe
 * library) which malloc it used, and compares its output with the output of
 * the same command under glibc. Runs inside the measured child. */
#include "program.h"
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

static const char *probe_library(void)
{
    static char path[PATH_MAX];
    const char *tries[] = {"/libbenchprobe.so", "/../libbenchprobe.so"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", exe_dir(), tries[i]);
        if (access(path, R_OK) == 0)
            return path;
    }
    return NULL;
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

/* ---- Running the command ---- */

static pid_t spawn(struct bench_ctx *ctx, char *const argv[], const char *preload,
                   const char *probe_file, const char *in, const char *out)
{
    pid_t pid = fork();
    if (pid < 0)
        bench_fail(ctx, "fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    if (preload)
        setenv("LD_PRELOAD", preload, 1);
    else
        unsetenv("LD_PRELOAD");
    if (probe_file)
        setenv(PROBE_FILE_ENV, probe_file, 1);
    else
        unsetenv(PROBE_FILE_ENV);
    int ifd = open(in ? in : "/dev/null", O_RDONLY);
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (ifd < 0 || ofd < 0) {
        fprintf(stderr, "bench: cannot open %s or %s: %s\n", in ? in : "/dev/null", out,
                strerror(errno));
        _exit(127);
    }
    dup2(ifd, STDIN_FILENO);
    dup2(ofd, STDOUT_FILENO);
    close(ifd);
    close(ofd);
    execv(argv[0], argv);
    fprintf(stderr, "bench: cannot exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void check_ended_well(struct bench_ctx *ctx, const char *name, int status,
                             const char *when)
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
static int verify_probe(struct bench_ctx *ctx, const char *probe_file, const char *name)
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

static char *file_stem(struct bench_ctx *ctx)
{
    char *label = xstrdup(child_label(ctx));
    for (char *p = label; *p; p++)
        if (*p == '/' || *p == ':' || *p == ' ' || *p == '=')
            *p = '_';
    char *stem = xasprintf("%s/%s.t%d", bench_program_dir(ctx), label, bench_threads(ctx));
    free(label);
    return stem;
}

void bench_program_run(struct bench_ctx *ctx, const struct bench_program *prog)
{
    const char *name = prog->argv[0];
    char *exe = find_command(name);
    if (!exe)
        bench_status(ctx, "missing", "%s is not installed (Debian package %s)", name,
                     prog->package);
    const char *probe = probe_library();
    if (!probe)
        bench_fail(ctx, "build/libbenchprobe.so is not built (run make)");

    size_t argc = 0;
    while (prog->argv[argc])
        argc++;
    char **argv = xmalloc((argc + 1) * sizeof *argv);
    argv[0] = exe;
    for (size_t i = 1; i < argc; i++)
        argv[i] = xstrdup(prog->argv[i][0] == '@' ? bench_program_file(ctx, prog->argv[i] + 1)
                                                  : prog->argv[i]);
    argv[argc] = NULL;
    char *in = NULL;
    if (prog->stdin_file)
        in = xstrdup(prog->stdin_file[0] == '@' ? bench_program_file(ctx, prog->stdin_file + 1)
                                                : prog->stdin_file);

    /* The reference: the same command under glibc, made once per run
     * directory by whichever run needs it first (setup, not timed). */
    char *stem = file_stem(ctx);
    char *ref = xasprintf("%s.glibc-reference.out", stem);
    if (access(ref, R_OK) != 0) {
        char *tmp = xasprintf("%s.tmp%d", ref, (int)getpid());
        int status;
        pid_t pid = spawn(ctx, argv, NULL, NULL, in, tmp);
        waitpid(pid, &status, 0);
        check_ended_well(ctx, name, status, " (the reference run under glibc)");
        if (rename(tmp, ref) != 0)
            bench_fail(ctx, "cannot rename %s: %s", tmp, strerror(errno));
        free(tmp);
    }

    const char *current = getenv("LD_PRELOAD");
    char *preload = current && *current ? xasprintf("%s:%s", current, probe) : xstrdup(probe);
    char *probe_file = xasprintf("%s.%s.probe", stem, child_backend(ctx));
    char *out = xasprintf("%s.%s.out", stem, child_backend(ctx));
    unlink(probe_file);

    int status;
    struct rusage ru;
    bench_region_begin(ctx);
    pid_t pid = spawn(ctx, argv, preload, probe_file, in, out);
    child_report_sample_pid(ctx, (long)pid);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    bench_region_end(ctx);

    check_ended_well(ctx, name, status, "");
    int processes = verify_probe(ctx, probe_file, name);
    long long diff = first_difference(out, ref);
    if (diff >= 0)
        bench_corrupt(ctx, "the output of %s differs from its output under glibc at byte %lld "
                      "(%s vs %s)", name, diff, out, ref);
    bench_metric(ctx, "program_user_ms",
                 (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3, "ms");
    bench_metric(ctx, "program_sys_ms",
                 (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3, "ms");
    bench_metric(ctx, "program_peak_rss_kib", (double)ru.ru_maxrss, "KiB");
    bench_metric(ctx, "program_processes", processes, "count");
    unlink(probe_file);
    free(exe), free(in), free(stem), free(ref), free(preload), free(probe_file), free(out);
    for (size_t i = 1; i < argc; i++)
        free(argv[i]);
    free(argv);
}
