/* The measured process: started by the runner with LD_PRELOAD already set,
 * it proves which allocator runs, runs one workload once, and reports on a
 * pipe. The line protocol on that pipe (tab-separated) is:
 *   allocator <path> <version>
 *   metric    <name> <value> <unit>
 *   status    <ok|preload_failed|corrupt|error|missing|crashed> <detail>
 *   sample_pid <pid>   (the process whose RSS the timeline follows from now)
 * Only the runner reads it. */
#ifndef BENCH_CHILD_H
#define BENCH_CHILD_H

/* The hidden subcommand the runner execs: `bench __child ...`. */
#define CHILD_SUBCOMMAND "__child"

/* Exit codes of the child that carry meaning for the runner. */
enum { CHILD_EXIT_OK = 0, CHILD_EXIT_FAILED = 3 };

/* Entry point for `bench __child --backend NAME [--lib PATH] --workload SEL
 * --threads N --fd FD [--run-dir DIR] [--latency 1]`, where SEL names every parameter value
 * ("workload:key=value:..."). Never returns. */
_Noreturn void child_main(int argc, char **argv);

#endif
