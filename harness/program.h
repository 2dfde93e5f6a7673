/* Real programs and servers as workloads (bench_program_run and
 * bench_server_run in harness/workload.h): what the measured child tells
 * program.c and server.c about its run (defined in child.c), and the pieces
 * of running a command that the two share (program.c). */
#ifndef BENCH_PROGRAM_H
#define BENCH_PROGRAM_H

#include <sys/resource.h>
#include <sys/types.h>
#include "workload.h"

const char *child_backend(const struct bench_ctx *ctx);
const char *child_run_dir(const struct bench_ctx *ctx);   /* NULL when not given */
const char *child_allocator_path(const struct bench_ctx *ctx);
const char *child_label(const struct bench_ctx *ctx);
/* The region runs an external command, which callgrind does not follow:
 * no instruction counts for it (its wall time is the command's own). */
void child_count_no_instructions(struct bench_ctx *ctx);
/* Tells the runner to sample this pid's RSS for the timeline from now on. */
void child_report_sample_pid(struct bench_ctx *ctx, long pid);

/* The environment variable through which build/libbenchprobe.so learns the
 * file it appends "<pid>\t<exe>\t<library of malloc>\t<library of free>" to. */
#define PROBE_FILE_ENV "BENCH_PROBE_FILE"

/* ---- Shared by program.c and server.c ---- */

/* A command line ready for execv: argv[0] found in /usr/bin, /bin, then PATH
 * (the run ends `missing`, naming `package`, when it is not installed); an
 * argument "@name" becomes the path of workloads/programs/name, and "{port}"
 * inside an argument becomes `port` (when not NULL). */
char **program_argv(struct bench_ctx *ctx, const char *const *argv, const char *package,
                    const char *port);
void program_free_argv(char **argv);
/* Starts argv with stdin from `in` (NULL: /dev/null) and stdout into `out`.
 * With a probe file it runs under the backend (the child's LD_PRELOAD plus
 * the probe, which reports into probe_file); without one, under plain glibc
 * and without the backend's settings. */
pid_t program_spawn(struct bench_ctx *ctx, char *const argv[], const char *probe_file,
                    const char *in, const char *out);
/* Ends the run `crashed` or `error` unless `status` says the command exited 0;
 * `when` is added to the name in the message (" (the reference run)"). */
void program_check_ended(struct bench_ctx *ctx, const char *name, int status, const char *when);
/* Every process that reported into probe_file must have used the backend's
 * malloc and free (else `preload_failed`); returns how many reported. */
int program_verify_probe(struct bench_ctx *ctx, const char *probe_file, const char *name);
/* "<run dir>/programs/<label>.t<threads>": the start of this run's file names. */
char *program_file_stem(struct bench_ctx *ctx);
/* The program_* metrics: CPU times and peak RSS of a command, from wait4. */
void program_report_usage(struct bench_ctx *ctx, const struct rusage *ru, int processes);

#endif
