/* Servers as workloads (bench_server_run in harness/workload.h): a server
 * runs under the backend on a free port of 127.0.0.1, verified inside by the
 * probe like any real program; a load client, run without the backend, is
 * what is timed; then the server is stopped by its pid and must exit 0,
 * leave its port free and leave no process behind. Runs inside the measured
 * child. */
#include "program.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a server may take to accept its first connection, and to exit
 * after SIGTERM, before the run ends `error`. */
#define START_LIMIT_S 30
#define STOP_LIMIT_S 10

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000}, NULL);
}

/* ---- The port ---- */

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Whether a listening socket could bind the port now. SO_REUSEADDR, so that
 * the closed connections of the run (in TIME_WAIT) do not count: only a
 * socket still listening does. Binding port 0 picks a free one. */
static int bind_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = loopback(port);
    socklen_t len = sizeof a;
    int got = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        got = ntohs(a.sin_port);
    close(fd);
    return got;
}

static bool accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = loopback(port);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* ---- The server's life ---- */

/* The server ended before it was stopped: `crashed` when a signal killed it
 * or it had been serving; `error` when it exited before it ever accepted (a
 * bad option, a port taken). */
_Noreturn static void server_ended(struct bench_ctx *ctx, const char *name, pid_t pid, int port,
                                   int status, bool serving, const char *log)
{
    if (WIFSIGNALED(status))
        bench_status(ctx, "crashed", "%s (pid %d, port %d) was killed by signal %d (%s) %s", name,
                     (int)pid, port, WTERMSIG(status), strsignal(WTERMSIG(status)),
                     serving ? "during the run" : "before it accepted connections");
    if (serving)
        bench_status(ctx, "crashed", "%s (pid %d, port %d) exited with status %d during the run",
                     name, (int)pid, port, WEXITSTATUS(status));
    bench_status(ctx, "error", "%s exited with status %d before it accepted connections on port "
                 "%d (its output: %s)", name, WEXITSTATUS(status), port, log);
}

static void wait_until_accepting(struct bench_ctx *ctx, const char *name, pid_t pid, int port,
                                 const char *log)
{
    for (int waited_ms = 0; !accepts(port); waited_ms += 5) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            server_ended(ctx, name, pid, port, status, false, log);
        if (waited_ms >= START_LIMIT_S * 1000) {
            kill(pid, SIGKILL);
            bench_fail(ctx, "%s did not accept connections on port %d within %d s", name, port,
                       START_LIMIT_S);
        }
        sleep_ms(5);
    }
}

/* SIGTERM, then the exit status, which must be 0. A server whose event
 * loop sleeps until its next timer sees the signal only when it wakes
 * (memcached's timer runs once a second: about 0.7 s a stop, half a
 * minute of a default run); a connection wakes it at once. */
static void stop_server(struct bench_ctx *ctx, const char *name, pid_t pid, int port,
                        struct rusage *ru)
{
    kill(pid, SIGTERM);
    accepts(port);
    int status;
    for (int waited_ms = 0; wait4(pid, &status, WNOHANG, ru) != pid; waited_ms++) {
        if (waited_ms >= STOP_LIMIT_S * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            bench_fail(ctx, "%s (pid %d) did not exit within %d s of SIGTERM", name, (int)pid,
                       STOP_LIMIT_S);
        }
        sleep_ms(1);
    }
    if (WIFSIGNALED(status))
        bench_status(ctx, "crashed", "%s (pid %d) was killed by signal %d (%s) while stopping",
                     name, (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status) != 0)
        bench_status(ctx, "error", "%s (pid %d) exited with status %d when stopped", name,
                     (int)pid, WEXITSTATUS(status));
}

/* The measured child leads its own process group (the runner made it so):
 * any other member still alive was started by the workload and outlived it. */
static void check_nothing_left(struct bench_ctx *ctx, const char *name)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    pid_t self = getpid(), group = getpgrp();
    for (struct dirent *e; (e = readdir(d));) {
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0 || pid == self)
            continue;
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        if (!read_first_line(path, line, sizeof line))
            continue;
        /* pid (comm) state ppid pgrp ...: comm may hold spaces, so from the last ')'. */
        char *close = strrchr(line, ')');
        char state;
        int ppid, pgrp;
        if (close && sscanf(close + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == group &&
            state != 'Z') {
            closedir(d);
            *close = '\0';
            bench_fail(ctx, "process %ld %s) is still running after %s stopped", pid,
                       strchr(line, '('), name);
        }
    }
    closedir(d);
}

/* ---- The run ---- */

const char *bench_server_run(struct bench_ctx *ctx, const struct bench_server *s)
{
    static char client_out[4096];
    const char *name = s->argv[0];
    int port = bind_port(0);
    if (port <= 0)
        bench_fail(ctx, "no free port on 127.0.0.1: %s", strerror(errno));
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    char **server = program_argv(ctx, s->argv, s->package, port_text);
    char **client = program_argv(ctx, s->client, s->client_package, port_text);

    char *stem = program_file_stem(ctx);
    char *probe_file = xasprintf("%s.%s.probe", stem, child_backend(ctx));
    char *log = xasprintf("%s.%s.server.log", stem, child_backend(ctx));
    snprintf(client_out, sizeof client_out, "%s.%s.out", stem, child_backend(ctx));
    unlink(probe_file);

    pid_t spid = program_spawn(ctx, server, probe_file, NULL, log);
    wait_until_accepting(ctx, name, spid, port, log);
    child_report_sample_pid(ctx, (long)spid);

    /* Timed: the client's run, while the server serves it. Whichever of the
     * two ends first says how the run went. */
    bench_region_begin(ctx);
    pid_t cpid = program_spawn(ctx, client, NULL, NULL, client_out);
    int status;
    pid_t first;
    while ((first = waitpid(-1, &status, 0)) != cpid && first != spid)
        if (first < 0 && errno != EINTR)
            bench_fail(ctx, "waitpid: %s", strerror(errno));
    bench_region_end(ctx);
    if (first == spid) {
        kill(cpid, SIGKILL);
        waitpid(cpid, NULL, 0);
        server_ended(ctx, name, spid, port, status, true, log);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        kill(spid, SIGKILL);
        waitpid(spid, NULL, 0);
        program_check_ended(ctx, s->client[0], status, " (the load client)");
    }

    struct rusage ru;
    stop_server(ctx, name, spid, port, &ru);
    if (bind_port(port) != port)
        bench_fail(ctx, "port %d is still in use after %s stopped", port, name);
    check_nothing_left(ctx, name);
    program_report_usage(ctx, &ru, program_verify_probe(ctx, probe_file, name));
    unlink(probe_file);
    free(stem), free(probe_file), free(log);
    program_free_argv(server);
    program_free_argv(client);
    return client_out;
}
