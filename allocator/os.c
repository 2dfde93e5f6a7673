/* os.c: the only file that talks to the kernel (mmap, munmap, madvise,
 * mremap, the clock) and the abort on misuse. It counts its own calls and
 * the bytes mapped (ca_os_counters, read by stats.c and by the "no
 * system-call thrash" tests). errno is left as the kernel set it; callers on
 * the free path save and restore it. */
#include "internal.h"

#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

ca_os_counters_t ca_os_counters;
static size_t page_size_cached;

size_t ca_os_page_size(void)
{
    if (unlikely(page_size_cached == 0)) {
        long ps = sysconf(_SC_PAGESIZE);
        page_size_cached = ps > 0 ? (size_t)ps : 4096;
    }
    return page_size_cached;
}

static void count_mapped(int64_t delta)
{
    ca_count_level(&ca_os_counters.mapped, &ca_os_counters.mapped_peak, delta);
}

void *ca_os_map(size_t size)
{
    ca_count(ca_os_counters.mmap_calls, 1);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    count_mapped((int64_t)size);
    return p;
}

void ca_os_unmap(void *p, size_t size)
{
    if (p == NULL || size == 0) return;
    ca_count(ca_os_counters.munmap_calls, 1);
    munmap(p, size);
    count_mapped(-(int64_t)size);
}

/* A mapping of `size` bytes aligned to `align`. The kernel usually places a
 * new mapping right below the previous one, so for segment-sized requests a
 * plain mmap is often aligned already: try that first, over-allocate and
 * trim only when it is not. */
void *ca_os_map_aligned(size_t size, size_t align)
{
    if (size % align == 0) {
        void *p = ca_os_map(size);
        if (p == NULL) return NULL;
        if (((uintptr_t)p & (align - 1)) == 0) return p;
        ca_os_unmap(p, size);
    }
    if (size + align < size) {
        errno = ENOMEM;
        return NULL;
    }
    uint8_t *raw = ca_os_map(size + align);
    if (raw == NULL) return NULL;
    uint8_t *aligned = (uint8_t *)ca_align_up((uintptr_t)raw, align);
    size_t head = (size_t)(aligned - raw);
    size_t tail = align - head;
    if (head) ca_os_unmap(raw, head);
    if (tail) ca_os_unmap(aligned + size, tail);
    return aligned;
}

/* A mapping of `size` bytes exactly at addr, where nothing is mapped
 * (NULL when something is, or the kernel refuses). */
void *ca_os_map_at(void *addr, size_t size)
{
    ca_count(ca_os_counters.mmap_calls, 1);
    void *p = mmap(addr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    count_mapped((int64_t)size);
    if (p != addr) {   /* a kernel older than 4.17 took the address as a hint */
        ca_os_unmap(p, size);
        return NULL;
    }
    return p;
}

/* Makes a range inaccessible (access false: the hardened build's guard
 * pages and freed large blocks, harden.c) or readable and writable again. */
bool ca_os_protect(void *p, size_t size, bool access)
{
    ca_count(ca_os_counters.mprotect_calls, 1);
    return mprotect(p, size, access ? PROT_READ | PROT_WRITE : PROT_NONE) == 0;
}

/* 64 random bits (a seed: each heap's pages' keys come from one). */
uint64_t ca_os_random(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        const uint64_t *at = (const uint64_t *)getauxval(AT_RANDOM);   /* 16 bytes from the kernel */
        r = (at ? at[0] ^ at[1] : 0) ^ ca_os_now_ms() ^ (uintptr_t)&r;
    }
    return r;
}

/* Give the physical pages back; the range stays mapped and reads as zero
 * (callers rely on it: calloc skips what is known to be zero). Where the
 * kernel refuses (locked memory, mlockall), the range is zeroed instead. */
void ca_os_purge(void *p, size_t size)
{
    if (size == 0) return;
    ca_count(ca_os_counters.madvise_calls, 1);
    ca_count(ca_os_counters.purged_bytes, size);
    if (madvise(p, size, MADV_DONTNEED) != 0) memset(p, 0, size);
}

/* Moves the pages of [from, from+size) onto [to, to+size), which the
 * caller has mapped (what was there goes); [from, from+size) stays mapped
 * and reads as zero. No copy: the page tables move. False where the
 * kernel cannot (before 5.7, or a range across two mappings). */
bool ca_os_move(void *from, size_t size, void *to)
{
    ca_count(ca_os_counters.mremap_calls, 1);
    return mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to) != MAP_FAILED;
}

uint64_t ca_os_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------------------
 * Aborts. The message is formatted by hand into a buffer on the stack and
 * written with one write(2): no stdio, nothing that could allocate or wait
 * for a lock the caller may hold (we may be inside malloc).
 * ------------------------------------------------------------------------- */
static void put_str(char *buf, size_t *n, size_t cap, const char *s)
{
    while (*s && *n < cap) buf[(*n)++] = *s++;
}

static void put_hex(char *buf, size_t *n, size_t cap, uintptr_t v)
{
    int shift = 60;
    while (shift > 0 && (v >> shift) == 0) shift -= 4;
    for (; shift >= 0 && *n < cap; shift -= 4) buf[(*n)++] = "0123456789abcdef"[(v >> shift) & 15];
}

/* One message, even when the abort itself runs into another (a SIGABRT
 * handler that frees, another thread): only the first writes. */
static __attribute__((noreturn)) void write_and_abort(const char *buf, size_t n)
{
    static _Atomic int written;
    if (atomic_exchange(&written, 1) == 0) {
        ssize_t w = write(2, buf, n);
        (void)w;
    }
    abort();
}

/* A misuse was detected: "customalloc: <what>: 0x<pointer>", then abort. */
void ca_os_fatal(const char *what, const void *p)
{
    char buf[160];
    size_t n = 0, cap = sizeof buf - 1;
    put_str(buf, &n, cap, "customalloc: ");
    put_str(buf, &n, cap, what);
    put_str(buf, &n, cap, ": 0x");
    put_hex(buf, &n, cap, (uintptr_t)p);
    buf[n++] = '\n';
    write_and_abort(buf, n);
}

/* A debug-build invariant failed: "customalloc: assertion failed: file:line:
 * expression", then abort (libc's assert may allocate). */
void ca_os_assert_fail(const char *expr, const char *file, int line)
{
    char buf[512];
    size_t n = 0, cap = sizeof buf - 1;
    char num[12];
    size_t k = sizeof num;
    unsigned v = (unsigned)line;
    num[--k] = '\0';
    do {
        num[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k > 0);
    put_str(buf, &n, cap, "customalloc: assertion failed: ");
    put_str(buf, &n, cap, file);
    put_str(buf, &n, cap, ":");
    put_str(buf, &n, cap, num + k);
    put_str(buf, &n, cap, ": ");
    put_str(buf, &n, cap, expr);
    buf[n++] = '\n';
    write_and_abort(buf, n);
}
