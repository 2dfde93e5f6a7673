/* A minimal test framework for the C tests: one function per fact, each run
 * in its own child process (so a crash or hang fails only that test), printed
 * in the PASS/FAIL/SKIP line protocol that tests/run.sh counts. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

struct check_test {
    const char *name;
    void (*fn)(void);
};

/* Exit code a test uses to say it was skipped (reason already printed). */
#define CHECK_SKIP_CODE 77

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                        \
            _exit(1);                                                        \
        }                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__,        \
                    __LINE__, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            _exit(1);                                                        \
        }                                                                    \
    } while (0)

#define CHECK_SKIP(...)                                                      \
    do {                                                                     \
        fprintf(stderr, "  skip: ");                                         \
        fprintf(stderr, __VA_ARGS__);                                        \
        fputc('\n', stderr);                                                 \
        _exit(CHECK_SKIP_CODE);                                              \
    } while (0)

/* Runs every test in its own process with a time limit; returns the exit
 * status for main (non-zero when any test failed). */
static inline int check_run(const struct check_test *tests, size_t count,
                            unsigned timeout_s)
{
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            printf("FAIL %s: fork failed\n", tests[i].name);
            failures++;
            continue;
        }
        if (pid == 0) {
            alarm(timeout_s);
            tests[i].fn();
            fflush(NULL);
            _exit(0);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
        }
        fflush(stderr);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("PASS %s\n", tests[i].name);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == CHECK_SKIP_CODE) {
            printf("SKIP %s: see message above\n", tests[i].name);
        } else if (WIFSIGNALED(status)) {
            printf("FAIL %s: killed by signal %d (%s)\n", tests[i].name,
                   WTERMSIG(status),
                   WTERMSIG(status) == SIGALRM ? "timed out" : strsignal(WTERMSIG(status)));
            failures++;
        } else {
            printf("FAIL %s: exit status %d\n", tests[i].name, WEXITSTATUS(status));
            failures++;
        }
        fflush(stdout);
    }
    return failures ? 1 : 0;
}

#define CHECK_MAIN(timeout_s, ...)                                           \
    int main(void)                                                           \
    {                                                                        \
        static const struct check_test tests[] = {__VA_ARGS__};              \
        setvbuf(stdout, NULL, _IOLBF, 0);                                    \
        return check_run(tests, sizeof tests / sizeof tests[0], timeout_s);  \
    }
#define T(fn) {#fn, fn}

#endif
