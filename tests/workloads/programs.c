/* Real-program workloads that end badly on purpose, compiled only into
 * build/tests/bench-test, so tests/test_workloads.sh can check how each
 * ending of an external command is recorded. */
#include "../../harness/workload.h"

static const struct bench_param no_params[] = {{0}};

static int run_missing(struct bench_ctx *ctx)
{
    const char *argv[] = {"no-such-program-for-bench", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "no-such-package"});
    return 0;
}
BENCH_WORKLOAD(test_prog_missing, .summary = "runs a program that is not installed",
               .params = no_params, .run = run_missing);

static int run_fails(struct bench_ctx *ctx)
{
    const char *argv[] = {"sh", "-c", "echo failing on purpose >&2; exit 3", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_fails, .summary = "runs a program that exits with status 3",
               .params = no_params, .run = run_fails);

static int run_crashes(struct bench_ctx *ctx)
{
    const char *argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_crashes, .summary = "runs a program that dies of SIGSEGV",
               .params = no_params, .run = run_crashes);

static int run_changes(struct bench_ctx *ctx)
{
    /* Different output on every run: never equal to the glibc reference. */
    const char *argv[] = {"sh", "-c", "echo $$", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash"});
    return 0;
}
BENCH_WORKLOAD(test_prog_changes, .summary = "runs a program whose output differs from glibc's",
               .params = no_params, .run = run_changes);

/* A stand-in server (python3) for the ways a server can end badly: it
 * listens on the port it is given, and then, by mode, dies of SIGSEGV
 * while the client runs ("die"), exits 3 on SIGTERM ("exit3"), or leaves a
 * forked child behind ("leave"); otherwise it exits 0 on SIGTERM. */
static const char fake_server[] =
    "import os, signal, socket, sys, time\n"
    "port, mode = int(sys.argv[1]), sys.argv[2]\n"
    "s = socket.socket()\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('127.0.0.1', port))\n"
    "s.listen()\n"
    "if mode == 'leave' and os.fork() == 0:\n"
    "    s.close()\n"
    "    time.sleep(60)\n"
    "    os._exit(0)\n"
    "signal.signal(signal.SIGTERM, lambda *_: os._exit(3 if mode == 'exit3' else 0))\n"
    "s.accept()\n"
    "if mode == 'die':\n"
    "    time.sleep(0.3)\n"
    "    os.kill(os.getpid(), signal.SIGSEGV)\n"
    "while True:\n"
    "    time.sleep(1)\n";

static void run_fake_server(struct bench_ctx *ctx, const char *mode, const char *client_command)
{
    const char *server[] = {"python3", "-c", fake_server, "{port}", mode, NULL};
    const char *client[] = {"sh", "-c", client_command, NULL};
    bench_server_run(ctx, &(struct bench_server){.argv = server, .package = "python3",
                                                 .client = client, .client_package = "dash"});
}

/* One test workload per ending: the stand-in's mode and the client's command. */
#define FAKE_SERVER_WORKLOAD(id, mode, client_command, text)                   \
    static int run_##id(struct bench_ctx *ctx)                                 \
    {                                                                          \
        run_fake_server(ctx, mode, client_command);                            \
        return 0;                                                              \
    }                                                                          \
    BENCH_WORKLOAD(id, .summary = text, .params = no_params, .run = run_##id)

FAKE_SERVER_WORKLOAD(test_server_dies, "die", "sleep 10",
                     "a server that dies of SIGSEGV while its client runs");
FAKE_SERVER_WORKLOAD(test_server_exit3, "exit3", "true",
                     "a server that exits with status 3 when stopped");
FAKE_SERVER_WORKLOAD(test_server_leaves, "leave", "true", "a server that leaves a process behind");
FAKE_SERVER_WORKLOAD(test_server_client_fails, "serve", "exit 4",
                     "a server whose load client exits with status 4");
/* Its client fails when it runs under the backend or with its settings. */
FAKE_SERVER_WORKLOAD(test_server_ok, "serve", "test -z \"$LD_PRELOAD$BENCH_TEST_SETTING\"",
                     "a server that serves and stops as it should, its client outside the backend");
