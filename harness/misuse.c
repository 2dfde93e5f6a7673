/* Misuse cases (workloads/sec_*.c, the `security` suite): runs a case's body
 * in a forked grandchild under the same allocator, follows it through the
 * marks it writes, and records how the allocator reacted to the misuse as
 * metrics of the run: exactly one of detected, crashed_later, silent and
 * timeout is 1; signal, exit_code, diagnostic, corrupted, refused and
 * last_mark (0 setup, 1 misuse, 2 after, 3 corrupted state seen, 4 done)
 * say more.
 *
 * The marks travel on the grandchild's stderr, the same pipe an allocator
 * writes its own diagnostic to, so the order of the two is kept: whatever
 * the allocator said between "misuse next" and "after" it said at the
 * misuse. A mark is a record separator, a letter and a newline. */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* A grandchild that has not ended by then is stuck (a spinning free list, a
 * deadlock): every case takes milliseconds. */
#define MISUSE_LIMIT_MS 2000
/* What is kept of the grandchild's output; the rest is read and dropped. */
#define MISUSE_OUTPUT_MAX 16384
#define MARK_START '\036'
#define MARK_DONE 'D'
static const char mark_letters[] = "NARS"; /* enum bench_misuse_mark's order */

/* How far the grandchild got: the last mark it wrote. */
enum stage { SETUP, MISUSE, AFTER, SPREAD, DONE };

/* ---- The grandchild's side ---- */

static void write_all(int fd, const char *text, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, text, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        text += w;
        n -= (size_t)w;
    }
}

static void write_mark(char letter, const char *what)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%c%c%s\n", MARK_START, letter, what ? what : "");
    if (n >= (int)sizeof line)
        n = (int)sizeof line - 1, line[n - 1] = '\n';
    write_all(STDERR_FILENO, line, (size_t)n);
}

void bench_misuse_mark(enum bench_misuse_mark mark, const char *what)
{
    write_mark(mark_letters[mark], what);
}

void *bench_misuse_hide(void *p)
{
    void *volatile v = p;
    return v;
}

static bool overlaps(const char *a, size_t a_size, const char *b, size_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* The memory the case still uses (bench_misuse_keep): where it is, and a
 * copy of its content in a mapping of its own (not from the allocator). */
#define KEPT_MOST 4
#define KEPT_BYTE 0x5a
static struct {
    const char *p;
    size_t size;
    char *copy;
} kept[KEPT_MOST];
static int kept_count;

void bench_misuse_keep(void *p, size_t size)
{
    char *copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (kept_count == KEPT_MOST || copy == MAP_FAILED)
        abort(); /* before the misuse: the run ends `error` */
    memset(p, KEPT_BYTE, size);
    memcpy(copy, p, size);
    kept[kept_count].p = p, kept[kept_count].size = size, kept[kept_count].copy = copy;
    kept_count++;
}

void *bench_misuse_foreign(size_t size)
{
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort(); /* before the misuse: the run ends `error` */
    bench_misuse_keep(p, size);
    return p;
}

/* The churn's checks; false (and the SPREAD mark written) at the first
 * sign of corrupted state. */
__attribute__((format(printf, 1, 2))) static bool spread(const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    bench_misuse_mark(BENCH_MISUSE_SPREAD, what);
    return false;
}

static bool churn_fill(char **block, int count, size_t size)
{
    for (int i = 0; i < count; i++) {
        char *q = block[i] = malloc(size);
        if (!q)
            return spread("malloc(%zu) returned NULL after the misuse", size);
        if (size >= 16 && (uintptr_t)q % 16 != 0)
            return spread("malloc(%zu) returned the misaligned %p", size, (void *)q);
        /* before the fill: memory still in use must not be written */
        for (int j = 0; j < i; j++)
            if (overlaps(q, size, block[j], size))
                return spread("two live mallocs of %zu bytes overlap at %p", size, (void *)q);
        for (int j = 0; j < kept_count; j++)
            if (overlaps(q, size, kept[j].p, kept[j].size))
                return spread("malloc(%zu) returned %p, inside memory still in use", size,
                              (void *)q);
        bench_fill(q, size);
    }
    for (int i = 0; i < count; i++)
        if (bench_check(block[i], size) != size)
            return spread("a new %zu-byte block at %p changed under another one", size,
                          (void *)block[i]);
    for (int j = 0; j < kept_count; j++)
        if (memcmp(kept[j].p, kept[j].copy, kept[j].size) != 0)
            return spread("%zu bytes still in use at %p changed", kept[j].size,
                          (const void *)kept[j].p);
    return true;
}

void bench_misuse_churn(size_t size)
{
    /* 256 KiB of blocks: enough to use up a size class's current page
     * (mimalloc's 64 KiB pages, glibc's 7-entry tcache and its bins), so a
     * corrupted list that the allocator only reaches later is reached */
    enum { LEAST = 4, MOST = 4096, BYTES = 256 << 10 };
    char *block[MOST];
    int count = size >= BYTES / LEAST ? LEAST : size <= BYTES / MOST ? MOST : (int)(BYTES / size);
    /* corrupted state: the blocks stay where they are (freeing one that
     * overlaps another would be a second misuse) */
    if (!churn_fill(block, count, size))
        return;
    for (int i = 0; i < count; i++)
        free(block[i]);
}

void bench_misuse_overflow(size_t size, size_t by, bool free_neighbours)
{
    enum { BLOCKS = 16, VICTIM = 8 };
    char *block[BLOCKS];
    for (int i = 0; i < BLOCKS; i++)
        memset(block[i] = malloc(size), KEPT_BYTE, size); /* the same bytes in every process */
    if (free_neighbours)
        for (int i = 1; i < BLOCKS; i += 2)
            free(block[i]);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    /* each byte inverted, so every one of them changes */
    unsigned char *end = bench_misuse_hide(block[VICTIM] + size);
    for (size_t i = 0; i < by; i++)
        end[i] = (unsigned char)~end[i];
    for (int i = 0; i < BLOCKS; i += free_neighbours ? 2 : 1)
        free(block[i]);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(size);
}

static _Noreturn void grandchild(int out, void (*body)(void))
{
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    /* Only the measured child may talk to the runner: its report and
     * control pipes (and anything else) are closed here. */
    if (close_range(3, ~0u, 0) != 0)
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}); /* an abort dumps no core */
    /* glibc's fatal messages go to stderr, not to a terminal */
    setenv("LIBC_FATAL_STDERR_", "1", 1);
    body();
    write_mark(MARK_DONE, NULL);
    _exit(0); /* not exit: the measured child's atexit handlers are not ours */
}

/* ---- The measured child's side ---- */

struct watch {
    enum stage stage;      /* the last mark seen */
    int noticed;           /* stage at which the allocator first spoke or refused; -1 */
    bool diagnostic;       /* the grandchild wrote something that is not a mark */
    bool corrupted;        /* a SPREAD mark */
    bool refused;          /* a REFUSED mark */
    char said[256];        /* the first line of the diagnostic */
    char what[160];        /* the first SPREAD mark's text */
};

/* Reads the grandchild's output until it closes it (it ended) or the time
 * limit passes; returns what was kept and its length through *kept. */
static bool drain(int fd, char *text, size_t *kept)
{
    *kept = 0;
    uint64_t deadline = bench_now_ns() + (uint64_t)MISUSE_LIMIT_MS * 1000000u;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= deadline)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
        if (r <= 0)
            continue; /* EINTR or the deadline: the loop head decides */
        char chunk[4096];
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return true;
        size_t room = MISUSE_OUTPUT_MAX - *kept, take = (size_t)got < room ? (size_t)got : room;
        memcpy(text + *kept, chunk, take);
        *kept += take;
    }
}

static void note(struct watch *w, int noticed_at)
{
    if (w->noticed < 0)
        w->noticed = noticed_at;
}

/* Walks the output in order: marks move the stage, other bytes are what
 * the allocator said (outside a mark, whitespace alone says nothing). */
static void read_output(const char *text, size_t n, struct watch *w)
{
    *w = (struct watch){.stage = SETUP, .noticed = -1};
    for (size_t i = 0; i < n; i++) {
        if (text[i] == MARK_START && i + 1 < n) {
            char letter = text[++i];
            const char *end = memchr(text + i, '\n', n - i);
            size_t len = end ? (size_t)(end - text) - i - 1 : n - i - 1;
            if (letter == mark_letters[BENCH_MISUSE_NEXT])
                w->stage = MISUSE;
            else if (letter == mark_letters[BENCH_MISUSE_AFTER] && w->stage < AFTER)
                w->stage = AFTER;
            else if (letter == mark_letters[BENCH_MISUSE_REFUSED]) {
                note(w, w->stage);
                w->refused = true;
            } else if (letter == mark_letters[BENCH_MISUSE_SPREAD]) {
                if (!w->corrupted)
                    snprintf(w->what, sizeof w->what, "%.*s", (int)len, text + i + 1);
                w->stage = SPREAD;
                w->corrupted = true;
            } else if (letter == MARK_DONE)
                w->stage = DONE;
            i += len + 1;
            continue;
        }
        if (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')
            continue;
        if (!w->diagnostic) {
            size_t len = strcspn(text + i, "\n\036");
            snprintf(w->said, sizeof w->said, "%.*s", (int)len, text + i);
            note(w, w->stage);
        }
        w->diagnostic = true;
    }
}

/* A stop the allocator meant (abort, a trap, an exit code), as opposed to a
 * fault on memory it had already got wrong. */
static bool deliberate(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status) != 0;
    int sig = WTERMSIG(status);
    return sig == SIGABRT || sig == SIGTRAP || sig == SIGILL;
}

static const char *const stage_names[] = {"setup", "misuse", "after", "spread", "done"};

int bench_misuse_run(struct bench_ctx *ctx, void (*body)(void))
{
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        bench_fail(ctx, "pipe: %s", strerror(errno));
    static char text[MISUSE_OUTPUT_MAX + 1]; /* not from the allocator under test */
    fflush(NULL);
    bench_region_begin(ctx);
    pid_t pid = fork();
    if (pid < 0)
        bench_fail(ctx, "fork: %s", strerror(errno));
    if (pid == 0)
        grandchild(pipe_fds[1], body);
    close(pipe_fds[1]);
    size_t n;
    bool ended = drain(pipe_fds[0], text, &n);
    text[n] = '\0';
    if (!ended)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bench_region_end(ctx);
    close(pipe_fds[0]);

    struct watch w;
    read_output(text, n, &w);
    bool failed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (w.stage == SETUP && !ended)
        bench_fail(ctx, "the case hung before its misuse");
    if (w.stage == SETUP)
        bench_fail(ctx, "the case ended before its misuse (%s %d)%s%s",
                   WIFSIGNALED(status) ? "signal" : "exit status",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                   w.diagnostic ? ": " : "", w.said);
    /* detected: the allocator spoke, refused or stopped the process before
     * the follow-up saw corrupted state (a fault counts only at the misuse
     * itself: later it is the corruption's own crash) */
    bool detected = ended && ((w.noticed == MISUSE || w.noticed == AFTER) ||
                              (failed && w.stage == MISUSE) ||
                              (failed && w.stage == AFTER && deliberate(status)));
    bool crashed_later = ended && !detected && failed;
    bool silent = ended && !detected && !failed;
    int sig = ended && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    bench_metric(ctx, "detected", detected, "flag");
    bench_metric(ctx, "crashed_later", crashed_later, "flag");
    bench_metric(ctx, "silent", silent, "flag");
    bench_metric(ctx, "timeout", !ended, "flag");
    bench_metric(ctx, "signal", sig, "signo");
    int code = ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    bench_metric(ctx, "exit_code", code, "code");
    bench_metric(ctx, "diagnostic", w.diagnostic, "flag");
    bench_metric(ctx, "corrupted", w.corrupted, "flag");
    bench_metric(ctx, "refused", w.refused, "flag");
    bench_metric(ctx, "last_mark", w.stage, "mark");
    /* for the log: what happened, in words */
    const char *outcome = !ended         ? "timeout"
                          : detected     ? "detected"
                          : crashed_later ? "crashed_later"
                                         : "silent";
    fprintf(stderr, "misuse: %s; last mark: %s; %s %d%s%s%s%s%s\n", outcome,
            stage_names[w.stage], sig ? "signal" : "exit code", sig ? sig : code,
            w.refused ? "; refused" : "", w.diagnostic ? "; said: " : "", w.said,
            w.corrupted ? "; corrupted: " : "", w.what);
    return 0;
}
