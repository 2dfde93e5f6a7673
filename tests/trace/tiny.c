/* build/tests/trace_tiny: a small program for tests/test_trace.sh to record
 * with the tracer, whose calls are known exactly:
 *   each of 3 worker threads: 100 x (malloc(777), free), and 50
 *     malloc(333) that the main thread frees after joining it;
 *   the main thread: 20 malloc(555) that worker 0 frees, calloc(10, 100),
 *     a realloc chain 16 -> 32 -> ... -> 4096, posix_memalign(64, 1000),
 *     aligned_alloc(256, 512), memalign(128, 300), valloc(5000),
 *     malloc_usable_size of one block, and free of each.
 * Usage: trace_tiny [threads|fork|abort|exit|kill]
 *   fork:  also forks a child that makes 10 malloc(4242) and exits;
 *   abort, exit, kill: ends after a malloc(5151) with abort(), _exit(0) or
 *          SIGKILL. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3
static char *handed[WORKERS][50]; /* worker -> main */
static char *from_main[20];       /* main -> worker 0 */

static void *need(void *p)
{
    if (!p) {
        fprintf(stderr, "trace_tiny: out of memory\n");
        exit(1);
    }
    memset(p, 1, 1);
    return p;
}

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    for (int i = 0; i < 100; i++)
        free(need(malloc(777)));
    for (int i = 0; i < 50; i++)
        handed[t][i] = need(malloc(333));
    if (t == 0)
        for (int i = 0; i < 20; i++)
            free(from_main[i]);
    return NULL;
}

static void main_thread_calls(void)
{
    free(need(calloc(10, 100)));
    char *p = need(malloc(16));
    for (size_t n = 32; n <= 4096; n *= 2)
        p = need(realloc(p, n));
    if (malloc_usable_size(p) < 4096)
        exit(1);
    free(p);
    void *q = NULL;
    if (posix_memalign(&q, 64, 1000) != 0)
        exit(1);
    free(need(q));
    free(need(aligned_alloc(256, 512)));
    free(need(memalign(128, 300)));
    free(need(valloc(5000)));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "threads";
    for (int i = 0; i < 20; i++)
        from_main[i] = need(malloc(555));
    pthread_t ids[WORKERS];
    for (long t = 0; t < WORKERS; t++)
        if (pthread_create(&ids[t], NULL, worker, (void *)t) != 0)
            return 1;
    main_thread_calls();
    for (int t = 0; t < WORKERS; t++)
        pthread_join(ids[t], NULL);
    for (int t = 0; t < WORKERS; t++)
        for (int i = 0; i < 50; i++)
            free(handed[t][i]);
    if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0; i < 10; i++)
                free(need(malloc(4242)));
            exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
            return 1;
    }
    if (strcmp(mode, "threads") != 0 && strcmp(mode, "fork") != 0) {
        need(malloc(5151));
        if (strcmp(mode, "abort") == 0)
            abort();
        if (strcmp(mode, "exit") == 0)
            _exit(0);
        raise(SIGKILL);
    }
    puts("trace_tiny ok");
    return 0;
}
