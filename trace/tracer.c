/* build/libbenchtrace.so: the allocation tracer. Preloaded into a program
 * with BENCH_TRACE_FILE naming the output, it records every malloc, calloc,
 * realloc (and reallocarray), free, posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc and malloc_usable_size call with its sizes, alignment,
 * thread and global order into the file (format: trace/format.h), and
 * forwards each call to the next allocator in lookup order (dlsym
 * RTLD_NEXT: glibc, or a library preloaded after this one).
 *
 * Order. One lock admits every record, so the order in the file is a total
 * order that each thread's own order and every hand-over of a block between
 * threads respect: a block is recorded after the call that made it returns
 * and before the call that ends it starts, so its allocation precedes its
 * free even when another thread frees it, and an address reused by another
 * thread's malloc is given its new id only after the old one was released.
 * A lock rather than per-thread buffers merged by sequence number: the
 * address-to-id table has to be shared anyway (any thread may free any
 * block), and the lock covers only bookkeeping (a hash probe and a few bytes
 * appended), never the real allocator's call. It serialises the traced
 * program's threads for those few nanoseconds, which matters for a recording
 * tool, not for a benchmark: replay timing never includes the tracer.
 *
 * Its own memory (the record buffer, the address table, the free-id stack)
 * comes from mmap, never from the allocator it traces. Calls made while
 * dlsym resolves the real functions are served from a small static buffer.
 *
 * Processes. BENCH_TRACE_FILE may hold %p (the process id) and %e (the
 * program's short name, as in /proc/PID/comm): then every program that the
 * traced one starts with exec writes its own file. Without them only the
 * first process is traced (the variable is removed from its environment so
 * its descendants are not). A forked child that does not exec is never
 * traced: its inherited table describes its parent's blocks, and it stops
 * recording at once (its parent's unwritten records are the parent's).
 *
 * Ending. The header is written when the file is opened, the records when
 * the buffer is full, and the rest and END at exit (a destructor), at _exit
 * and _Exit (interposed: they skip destructors), and on a fatal signal
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM, SIGINT, SIGHUP,
 * SIGQUIT, where the program left the default action), after which the
 * signal is raised again with its default action. A process killed by
 * SIGKILL, or one that execs another program, leaves a file without END,
 * which the loader reports as cut short. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "format.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define TRACE_ENV "BENCH_TRACE_FILE"

/* ---- State ---- */

enum { ST_UNINIT, ST_INITIALIZING, ST_OFF, ST_ON };
static _Atomic int state = ST_UNINIT;
static __thread int in_init __attribute__((tls_model("initial-exec")));
/* This thread's number in the trace, plus one (0: not numbered yet). */
static __thread uint32_t thread_number __attribute__((tls_model("initial-exec")));

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
} real;
static _Atomic bool resolved;

/* The recording, guarded by `lock`. */
static atomic_flag lock = ATOMIC_FLAG_INIT;
static int out_fd = -1;
static unsigned char *buf;
static size_t buf_len;
#define BUF_SIZE (1u << 20)
static uint64_t ops;
static uint32_t threads, current_thread, next_id;

/* ---- Bootstrap: calls made while dlsym runs ---- */

static _Alignas(16) unsigned char boot[64 * 1024];
static size_t boot_used;

static bool is_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot;
}

/* A 16-byte header holds the size, for realloc and malloc_usable_size. */
static void *boot_alloc(size_t size)
{
    size_t need = 16 + ((size + 15) & ~(size_t)15);
    if (size > sizeof boot || boot_used + need > sizeof boot)
        return NULL;
    unsigned char *p = boot + boot_used;
    boot_used += need;
    memcpy(p, &size, sizeof size);
    return p + 16; /* static storage: already zero, as calloc needs */
}

static size_t boot_size(const void *p)
{
    size_t size;
    memcpy(&size, (const unsigned char *)p - 16, sizeof size);
    return size;
}

/* ---- Small helpers that allocate nothing ---- */

static void say(const char *a, const char *b)
{
    const char *parts[] = {"libbenchtrace: ", a, b, "\n"};
    for (int i = 0; i < 4; i++)
        if (parts[i] && write(2, parts[i], strlen(parts[i])) < 0)
            return;
}

static void *map_pages(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void lock_take(void)
{
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&lock, memory_order_acquire);)
        if (++spins % 64 == 0)
            sched_yield();
}

static void lock_drop(void)
{
    atomic_flag_clear_explicit(&lock, memory_order_release);
}

/* ---- The address table: live block -> id (open addressing, linear probing) ---- */

struct entry {
    uintptr_t addr; /* 0: empty */
    uint32_t id;
};
static struct entry *table;
static size_t table_cap, table_count; /* cap: a power of two */

static size_t slot_of(uintptr_t addr, size_t cap)
{
    return (size_t)(((uint64_t)(addr >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static void table_insert(struct entry *t, size_t cap, uintptr_t addr, uint32_t id)
{
    size_t i = slot_of(addr, cap);
    while (t[i].addr)
        i = (i + 1) & (cap - 1);
    t[i] = (struct entry){addr, id};
}

/* Keeps the load at most one half; false when no memory for a bigger table. */
static bool table_reserve(void)
{
    if ((table_count + 1) * 2 <= table_cap)
        return true;
    size_t cap = table_cap ? table_cap * 2 : 1u << 16;
    struct entry *t = map_pages(cap * sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < table_cap; i++)
        if (table[i].addr)
            table_insert(t, cap, table[i].addr, table[i].id);
    if (table)
        munmap(table, table_cap * sizeof *table);
    table = t;
    table_cap = cap;
    return true;
}

/* The slot holding addr, or table_cap when it is not there. */
static size_t table_find(uintptr_t addr)
{
    if (!table_cap)
        return 0;
    for (size_t i = slot_of(addr, table_cap);; i = (i + 1) & (table_cap - 1)) {
        if (table[i].addr == addr)
            return i;
        if (!table[i].addr)
            return table_cap;
    }
}

/* Removes addr; returns its id, or -1 when the tracer never saw it. Deletion
 * shifts the rest of the run back (no tombstones to pile up): an entry moves
 * into the hole when the hole lies between its home slot and where it is. */
static int64_t table_remove(uintptr_t addr)
{
    size_t hole = table_find(addr), mask = table_cap - 1;
    if (hole == table_cap)
        return -1;
    uint32_t id = table[hole].id;
    table[hole].addr = 0;
    for (size_t j = (hole + 1) & mask; table[j].addr; j = (j + 1) & mask) {
        size_t home = slot_of(table[j].addr, table_cap);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            table[hole] = table[j];
            table[j].addr = 0;
            hole = j;
        }
    }
    table_count--;
    return id;
}

/* ---- Ids: a stack of released ids, reused most recent first ---- */

static uint32_t *free_ids;
static size_t free_count, free_cap;

static uint32_t id_take(void)
{
    return free_count ? free_ids[--free_count] : next_id++;
}

/* With no memory for a bigger stack the id is never reused: still unique. */
static void id_release(uint32_t id)
{
    if (free_count == free_cap) {
        size_t cap = free_cap ? free_cap * 2 : 1u << 14;
        uint32_t *s = map_pages(cap * sizeof *s);
        if (!s)
            return;
        if (free_ids) {
            memcpy(s, free_ids, free_count * sizeof *s);
            munmap(free_ids, free_cap * sizeof *free_ids);
        }
        free_ids = s;
        free_cap = cap;
    }
    free_ids[free_count++] = id;
}

/* ---- The record buffer ---- */

static void flush(void)
{
    for (size_t off = 0; off < buf_len;) {
        ssize_t n = write(out_fd, buf + off, buf_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            say("cannot write the trace file; tracing stopped", NULL);
            atomic_store(&state, ST_OFF);
            break;
        }
        off += (size_t)n;
    }
    buf_len = 0;
}

/* Appends one record, preceded by THREAD when the caller's thread is not the
 * one of the record before. The caller holds the lock (begin). */
static void put(unsigned kind, uint64_t a, uint64_t b, uint64_t c)
{
    if (buf_len + 2 * TRACE_RECORD_MAX > BUF_SIZE)
        flush();
    unsigned char *p = buf + buf_len;
    if (!thread_number)
        thread_number = ++threads; /* numbered by its first record */
    uint32_t t = thread_number - 1;
    if (t != current_thread) {
        *p++ = TRACE_THREAD;
        p = trace_put_varint(p, t);
        current_thread = t;
    }
    *p++ = (unsigned char)kind;
    const uint64_t f[3] = {a, b, c};
    for (int i = 0; i < trace_fields(kind); i++)
        p = trace_put_varint(p, f[i]);
    buf_len = (size_t)(p - buf);
    ops++;
}

/* Takes the lock when tracing is on; false (and no lock) when it is off. The state is read again under the lock,
 * since the process may have finished tracing while this thread waited. */
static bool begin(void)
{
    if (atomic_load_explicit(&state, memory_order_relaxed) != ST_ON)
        return false;
    lock_take();
    if (atomic_load_explicit(&state, memory_order_relaxed) != ST_ON) {
        lock_drop();
        return false;
    }
    return true;
}

/* Writes END and the rest of the buffer, and stops tracing. sig: the fatal
 * signal being handled, 0 at exit. A signal handler cannot wait for the lock
 * without bound (the code it interrupted may hold it): it tries for a while
 * (another thread's hold is a few nanoseconds), then gives up. */
static void finish(int sig)
{
    if (atomic_load(&state) != ST_ON)
        return;
    if (sig == 0) {
        lock_take();
    } else {
        int tries = 0;
        while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
            if (++tries == 1000)
                return;
            else
                sched_yield();
    }
    if (atomic_load(&state) == ST_ON) {
        unsigned char *p = buf + buf_len;
        *p++ = TRACE_END;
        p = trace_put_varint(p, ops);
        p = trace_put_varint(p, threads);
        p = trace_put_varint(p, next_id);
        p = trace_put_varint(p, (uint64_t)sig);
        buf_len = (size_t)(p - buf);
        flush();
        atomic_store(&state, ST_OFF);
        close(out_fd);
    }
    lock_drop();
}

/* ---- What each call records ---- */

/* Records the end of block `id` and frees the id for reuse. */
static void put_free(uint32_t id)
{
    put(TRACE_FREE, id, 0, 0);
    id_release(id);
}

/* A block that exists now: id -1 takes a new id (kind 0 puts the block back
 * in the table under its old id without a record: a realloc that failed). */
static void note_block(unsigned kind, void *p, uint64_t size, uint64_t align, int64_t id)
{
    if (!begin())
        return;
    if (table_reserve()) {
        /* The address is still in the table: its block ended by a path the
         * tracer does not see. End it here, so no id is live twice. */
        int64_t stale = table_remove((uintptr_t)p);
        if (stale >= 0)
            put_free((uint32_t)stale);
        uint32_t use = id < 0 ? id_take() : (uint32_t)id;
        table_insert(table, table_cap, (uintptr_t)p, use);
        table_count++;
        if (kind)
            put(kind, use, size, align);
    }
    lock_drop();
}

/* A block about to end: returns its id (-1 when unknown). With `freed` the
 * block ends here (FREE is recorded and the id released); without, its id
 * travels on with a realloc. */
static int64_t note_end(void *p, bool freed)
{
    if (!begin())
        return -1;
    int64_t id = table_remove((uintptr_t)p);
    if (id >= 0 && freed)
        put_free((uint32_t)id);
    lock_drop();
    return id;
}

/* The realloc whose block was taken out by note_end(p, false) freed it. */
static void note_released(int64_t id)
{
    if (id < 0 || !begin())
        return;
    put_free((uint32_t)id);
    lock_drop();
}

static void note_usable(void *p)
{
    if (!begin())
        return;
    size_t i = table_find((uintptr_t)p);
    if (i != table_cap)
        put(TRACE_USABLE_SIZE, table[i].id, 0, 0);
    lock_drop();
}

/* ---- Start-up ---- */

static bool has_pattern; /* BENCH_TRACE_FILE holds %p or %e */
static pid_t traced_pid;  /* the process the trace is of */

static const char *pid_text(char num[24])
{
    char *p = num + 23;
    *p = '\0';
    long v = (long)getpid();
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    return p;
}

/* Expands %p, %e and %% of the pattern into out; false when it does not fit. */
static bool expand(const char *pattern, const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = pattern; *s; s++) {
        char num[24], one[2] = {*s, '\0'};
        const char *text = one;
        if (s[0] == '%' && (s[1] == 'p' || s[1] == 'e' || s[1] == '%')) {
            s++;
            text = *s == 'p' ? pid_text(num) : *s == 'e' ? name : "%";
            has_pattern |= *s != '%';
        }
        size_t len = strlen(text);
        if (n + len + 1 > cap)
            return false;
        memcpy(out + n, text, len);
        n += len;
    }
    out[n] = '\0';
    return true;
}

static void write_header(const char *name)
{
    unsigned char *p = buf;
    memcpy(p, TRACE_MAGIC, TRACE_MAGIC_LEN);
    p += TRACE_MAGIC_LEN;
    uint32_t le[2] = {TRACE_VERSION, (uint32_t)sysconf(_SC_PAGESIZE)};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++)
            *p++ = (unsigned char)(le[i] >> (8 * b));
    size_t len = strlen(name);
    p = trace_put_varint(p, len);
    memcpy(p, name, len);
    buf_len = (size_t)(p - buf) + len;
}

/* Resolves the real functions (dlsym may call malloc or calloc: those calls
 * get the bootstrap buffer), then opens the file. */
static void do_init(void)
{
#define RESOLVE(f) real.f = (__typeof__(real.f))dlsym(RTLD_NEXT, #f)
    RESOLVE(malloc);
    RESOLVE(free);
    RESOLVE(calloc);
    RESOLVE(realloc);
    RESOLVE(posix_memalign);
    RESOLVE(aligned_alloc);
    RESOLVE(memalign);
    RESOLVE(valloc);
    RESOLVE(pvalloc);
    RESOLVE(malloc_usable_size);
#undef RESOLVE
    if (!real.malloc || !real.free || !real.calloc || !real.realloc || !real.posix_memalign ||
        !real.aligned_alloc || !real.memalign || !real.valloc || !real.pvalloc ||
        !real.malloc_usable_size) {
        say("cannot find the next allocator's functions (dlsym RTLD_NEXT)", NULL);
        abort();
    }
    atomic_store(&resolved, true);

    const char *pattern = getenv(TRACE_ENV);
    char name[TRACE_NAME_MAX] = "";
    char path[4096];
    prctl(PR_GET_NAME, name, 0, 0, 0);
    if (!pattern || !*pattern) {
        atomic_store(&state, ST_OFF);
        return;
    }
    if (!expand(pattern, name, path, sizeof path)) {
        say("file name too long: ", pattern);
        atomic_store(&state, ST_OFF);
        return;
    }
    out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    buf = out_fd >= 0 ? map_pages(BUF_SIZE) : NULL;
    if (!buf || !table_reserve()) {
        say(out_fd < 0 ? "cannot create " : "no memory for tracing into ", path);
        atomic_store(&state, ST_OFF);
        return;
    }
    write_header(name);
    flush(); /* a file that stays at its header was cut short, never empty */
    traced_pid = getpid();
    atomic_store(&state, ST_ON);
}

/* True when the real functions can be called; false only inside do_init's
 * dlsym (the bootstrap buffer serves then). The first call initialises;
 * another thread arriving meanwhile waits for it. */
static bool ready(void)
{
    int s = atomic_load_explicit(&state, memory_order_acquire);
    if (s >= ST_OFF)
        return true;
    if (in_init)
        return atomic_load(&resolved);
    int expect = ST_UNINIT;
    if (atomic_compare_exchange_strong(&state, &expect, ST_INITIALIZING)) {
        in_init = 1;
        do_init();
        in_init = 0;
        return true;
    }
    while (atomic_load(&state) == ST_INITIALIZING)
        sched_yield();
    return true;
}

static void forked_child(void)
{
    atomic_store(&state, ST_OFF);
}

static void on_fatal_signal(int sig)
{
    int saved = errno;
    finish(sig);
    errno = saved;
    raise(sig); /* SA_RESETHAND restored the default; delivered on return */
}

__attribute__((constructor)) static void trace_start(void)
{
    ready();
    if (atomic_load(&state) != ST_ON)
        return;
    if (!has_pattern)
        unsetenv(TRACE_ENV);
    pthread_atfork(NULL, NULL, forked_child);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
                                SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        struct sigaction old, sa = {.sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND};
        if (sigaction(fatal[i], NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
            old.sa_handler == SIG_DFL)
            sigaction(fatal[i], &sa, NULL);
    }
}

__attribute__((destructor)) static void trace_stop(void)
{
    finish(0);
}

/* ---- The interposed functions ---- */

EXPORT void *malloc(size_t size)
{
    if (!ready())
        return boot_alloc(size);
    void *p = real.malloc(size);
    if (p)
        note_block(TRACE_MALLOC, p, size, 0, -1);
    return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return ready() ? real.calloc(n, size) : NULL; /* the allocator's own error */
    if (!ready())
        return boot_alloc(n * size);
    void *p = real.calloc(n, size);
    if (p)
        note_block(TRACE_CALLOC, p, (uint64_t)n * size, 0, -1);
    return p;
}

EXPORT void free(void *p)
{
    if (!p || is_boot(p) || !ready())
        return;
    note_end(p, true);
    real.free(p);
}

EXPORT void *realloc(void *p, size_t size)
{
    bool can = ready();
    if (!can || is_boot(p)) {
        /* Inside dlsym, or a bootstrap block moving out to the real
         * allocator: recorded as new, since the trace never saw it made. */
        void *q = can ? real.malloc(size) : boot_alloc(size);
        if (q && is_boot(p))
            memcpy(q, p, boot_size(p) < size ? boot_size(p) : size);
        if (q && can)
            note_block(TRACE_REALLOC, q, size, 0, -1);
        return q;
    }
    int64_t id = p ? note_end(p, false) : -1;
    void *q = real.realloc(p, size);
    if (q)
        note_block(TRACE_REALLOC, q, size, 0, id);
    else if (p && size == 0)
        note_released(id); /* realloc(p, 0) freed p (glibc's choice) */
    else if (p && id >= 0)
        note_block(0, p, 0, 0, id); /* failed: p lives on, under its id */
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!ready())
        return ENOMEM;
    int rc = real.posix_memalign(out, align, size);
    if (rc == 0)
        note_block(TRACE_POSIX_MEMALIGN, *out, size, align, -1);
    return rc;
}

/* The aligned functions that return the block. */
#define ALIGNED_ENTRY(fn, kind, params, args, alignment)                       \
    EXPORT void *fn params                                                     \
    {                                                                          \
        if (!ready())                                                          \
            return NULL;                                                       \
        void *p = real.fn args;                                                \
        if (p)                                                                 \
            note_block(kind, p, size, alignment, -1);                          \
        return p;                                                              \
    }
ALIGNED_ENTRY(aligned_alloc, TRACE_ALIGNED_ALLOC, (size_t align, size_t size), (align, size), align)
ALIGNED_ENTRY(memalign, TRACE_MEMALIGN, (size_t align, size_t size), (align, size), align)
ALIGNED_ENTRY(valloc, TRACE_VALLOC, (size_t size), (size), 0)
ALIGNED_ENTRY(pvalloc, TRACE_PVALLOC, (size_t size), (size), 0)

/* _exit skips the destructor: the trace is finished here, unless this is a
 * vfork child (another pid sharing the parent's memory, whose trace is not
 * its own to finish). The system call, not glibc's _exit, so that nothing
 * here allocates. */
EXPORT void _exit(int status)
{
    if (getpid() == traced_pid)
        finish(0);
    for (;;)
        syscall(SYS_exit_group, status);
}

EXPORT void _Exit(int status)
{
    _exit(status);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (is_boot(p))
        return boot_size(p);
    if (!ready())
        return 0;
    size_t n = real.malloc_usable_size(p);
    note_usable(p);
    return n;
}
