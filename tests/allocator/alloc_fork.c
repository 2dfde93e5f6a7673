/* fork while other threads allocate: the child must be able to allocate
 * (no lock inherited in a held state) and exit; nothing may hang. Each test
 * runs under the check framework's timeout. Allocator-agnostic. */
#include "check.h"
#include "alloc_test.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_int stop;

static void *churn(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
    void *keep[128] = {0};
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        unsigned k = (unsigned)(x % 128);
        T_free(keep[k]);
        size_t n = (x >> 8) % 16 == 0 ? 100000 + (x >> 16) % 400000 : 16 + (x >> 16) % 2000;
        keep[k] = T_malloc(n);
        if (keep[k]) ((char *)keep[k])[0] = 1;
    }
    for (int k = 0; k < 128; k++) T_free(keep[k]);
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) T_free(T_malloc(64 + (size_t)i));
    return NULL;
}

static int child_work(void)
{
    void *ps[500];
    for (int i = 0; i < 500; i++) {
        ps[i] = T_malloc(16 + (size_t)i * 37);
        if (!ps[i]) return 1;
        memset(ps[i], i, 16 + (size_t)i * 37);
    }
    for (int i = 0; i < 500; i++) T_free(ps[i]);
    void *big = T_malloc(3 << 20);
    if (!big) return 1;
    T_free(big);
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0) return 1;
    pthread_join(t, NULL);
    return 0;
}

static void fork_while_threads_allocate(void)
{
    enum { THREADS = 4, FORKS = 100 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)) == 0);
    for (int f = 0; f < FORKS; f++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) _exit(child_work());
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status %d)", f, status);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
}

static void child_can_free_parent_blocks(void)
{
    void *ps[100];
    for (int i = 0; i < 100; i++) ps[i] = T_malloc(100 + (size_t)i * 1000);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 100; i++) T_free(ps[i]);
        _exit(child_work());
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < 100; i++) T_free(ps[i]);
}

CHECK_MAIN(60,
    T(fork_while_threads_allocate),
    T(child_can_free_parent_blocks))
