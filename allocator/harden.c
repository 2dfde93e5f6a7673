/* harden.c: the hardened build's layer (build/libcustomalloc-hardened.so,
 * override.c compiled with -DCA_HARDENED, which includes this file and
 * exports these functions in place of alloc.c's and free.c's). It catches
 * what the default build cannot see for free, at a price the default build
 * does not pay: every block carries a tail (a canary and its size, checked
 * when it is freed), freed blocks are wiped and wait in a quarantine before
 * they are really freed (their wipe checked when they leave it), and large
 * blocks end in a guard page and are inaccessible while they wait. The
 * blocks themselves come from the ordinary ca_* functions underneath, which
 * keep all their own checks (invalid frees, corrupted free lists).
 *
 * A block of n bytes is asked for as n + HARDEN_TAIL bytes (plus a page for
 * a large one); `room` is its usable size (less the guard page):
 *
 *   p            p+n                    p+room-8   p+room       p+usable
 *   | user bytes | canary (16-23 bytes) | size word | guard page |
 *                                                     (large blocks only)
 *
 * The size word is n and a 16-bit check of it, xored with a mask derived
 * from a per-process secret and p; the canary bytes come from the same
 * mask. So an overflow of even one byte past n, or any write into the word,
 * aborts at the free ("heap overflow"), and malloc_usable_size reports n.
 *
 * A freed block (not large) gets its first word set to a mark derived from
 * the mask and the rest zeroed (zero-on-free: nothing of it can leak into a
 * later allocation), then waits in the quarantine: a ring per shard
 * (threads spread over shards by their thread pointer, each shard under its
 * own lock), bounded in entries and bytes, static (it never allocates). A
 * free of a block that starts with its mark is a double free (the mark
 * cannot be there otherwise: it is cleared when the block leaves the
 * quarantine, and the program cannot compute it). When a block leaves
 * the quarantine (the oldest one, to make room), its wipe is checked
 * ("write after free"; its first HARDEN_CHECKED bytes) and it goes to
 * ca_free; so do all of them at malloc_trim, before a malloc that the
 * kernel refused is tried again, and (checked, not freed) at exit. A large block (page-aligned, a multiple of
 * pages, above CA_MEDIUM_MAX: what large.c and huge.c hand out) is
 * purged and made inaccessible instead of wiped, so that a write after its
 * free faults at once; a double free of one is found by looking for it in
 * the quarantine. */
#include "internal.h"


#define HARDEN_TAIL        (sizeof(uintptr_t) + 1)   /* the size word and at least one canary byte */
#define HARDEN_CANARY      16                      /* canary bytes at least, where the block has room */
#define HARDEN_MAX_REQUEST ((size_t)1 << 47)       /* larger requests cannot be met (and n fits 48 bits) */
/* A freed block's wipe checked when it leaves the quarantine, at most: the
 * whole of every small block, the start of larger ones, where a stale
 * pointer's fields lie (reading all of a 64 KiB block that the program
 * touched a byte of doubled the cost of its free, on top of the wipe). */
#define HARDEN_CHECKED     4096
#define HARDEN_SHARDS      8
#define HARDEN_ENTRIES     256                     /* per shard */
#define HARDEN_BYTES       ((size_t)1 << 20)       /* per shard: usable bytes held (one block may exceed it) */

typedef struct {
    void *p;
    size_t usable;
} harden_entry_t;

typedef struct {
    pthread_mutex_t lock;
    unsigned first, count;        /* ring: entries[first] is the oldest */
    size_t bytes;
    harden_entry_t entries[HARDEN_ENTRIES];
} harden_shard_t;

static harden_shard_t harden_shards[HARDEN_SHARDS];
static uint64_t harden_key;
static _Atomic int harden_ready;
static pthread_once_t harden_once = PTHREAD_ONCE_INIT;

/* ---------------------------------------------------------------------------
 * Start: the secret and the fork handlers (a child must not inherit a
 * shard's lock held by a thread that did not come along).
 * ------------------------------------------------------------------------- */
static void harden_fork_prepare(void)
{
    for (unsigned i = 0; i < HARDEN_SHARDS; i++) pthread_mutex_lock(&harden_shards[i].lock);
}

static void harden_fork_release(void)
{
    for (unsigned i = HARDEN_SHARDS; i-- > 0;) pthread_mutex_unlock(&harden_shards[i].lock);
}

static void harden_init(void)
{
    for (unsigned i = 0; i < HARDEN_SHARDS; i++) pthread_mutex_init(&harden_shards[i].lock, NULL);
    harden_key = ca_os_random() | 1;
    pthread_atfork(harden_fork_prepare, harden_fork_release, harden_fork_release);
    atomic_store_explicit(&harden_ready, 1, memory_order_release);
}

ca_inline void harden_start(void)
{
    if (unlikely(!atomic_load_explicit(&harden_ready, memory_order_acquire))) pthread_once(&harden_once, harden_init);
}

/* ---------------------------------------------------------------------------
 * The tail
 * ------------------------------------------------------------------------- */
/* What p's tail, canary and mark are derived from. */
ca_inline uint64_t harden_mask(const void *p)
{
    return ca_mix64(harden_key ^ (uintptr_t)p);
}

ca_inline uintptr_t harden_mark(uint64_t mask)
{
    return ~mask;
}

ca_inline uintptr_t harden_size_word(uint64_t mask, size_t n)
{
    return (((uintptr_t)n << 16) | (ca_mix64(mask ^ n) & 0xffff)) ^ mask;
}

/* The canary byte at offset j of the block: never 0, so that the most
 * common overflow, a string's terminating zero, always changes it. */
ca_inline uint64_t harden_canary(uint64_t mask)
{
    return mask | 0x0101010101010101ull;
}

/* The canary's bytes: from n to the size word, or to the first whole word
 * HARDEN_CANARY bytes past n (an overflow begins at n). Its byte at offset
 * j of the block is byte j % 8 of harden_canary, so its whole words are
 * that word. */
ca_inline size_t harden_canary_end(size_t n, size_t room)
{
    size_t end = room - sizeof(uintptr_t), cap = ca_align_up(n + HARDEN_CANARY, sizeof(uintptr_t));
    return end < cap ? end : cap;
}

/* A large block: page-aligned, a multiple of pages, and larger than any
 * page's block (so it was asked for with room for its guard page, see
 * harden_request). */
static bool harden_guarded(const void *p, size_t usable)
{
    if (usable <= CA_MEDIUM_MAX) return false;
    size_t ps = ca_os_page_size();
    return usable >= CA_MEDIUM_MAX + ps && ((uintptr_t)p & (ps - 1)) == 0 && (usable & (ps - 1)) == 0;
}

/* Where the tail ends: before the guard page of a large block. */
static size_t harden_room(const void *p, size_t usable)
{
    return harden_guarded(p, usable) ? usable - ca_os_page_size() : usable;
}

static void harden_tail_set(uint8_t *p, size_t room, size_t n)
{
    uint64_t mask = harden_mask(p), c = harden_canary(mask);
    size_t j = n, end = harden_canary_end(n, room);
    for (; j & 7; j++) p[j] = (uint8_t)(c >> (j & 7) * 8);
    for (; j < end; j += 8) *(uint64_t *)(p + j) = c;
    *(uintptr_t *)(p + room - sizeof(uintptr_t)) = harden_size_word(mask, n);
}

/* The size the block was asked for; an overflow into its tail aborts. */
static size_t harden_tail_check(uint8_t *p, size_t room)
{
    uint64_t mask = harden_mask(p);
    uintptr_t v = *(uintptr_t *)(p + room - sizeof(uintptr_t)) ^ mask;
    size_t n = v >> 16;
    if (n > room - HARDEN_TAIL || (v & 0xffff) != (ca_mix64(mask ^ n) & 0xffff)) ca_os_fatal("heap overflow", p);
    uint64_t c = harden_canary(mask);
    size_t j = n, end = harden_canary_end(n, room);
    for (; j & 7; j++)
        if (p[j] != (uint8_t)(c >> (j & 7) * 8)) ca_os_fatal("heap overflow", p);
    for (; j < end; j += 8)
        if (*(const uint64_t *)(p + j) != c) ca_os_fatal("heap overflow", p);
    return n;
}

/* ---------------------------------------------------------------------------
 * The quarantine
 * ------------------------------------------------------------------------- */
static harden_shard_t *harden_shard(void)
{
    return &harden_shards[(ca_mix64(ca_thread_tp()) >> 32) % HARDEN_SHARDS];
}

/* Whether the large block p waits in the quarantine (its memory cannot be
 * read: it is looked for). */
static bool harden_holds(const void *p)
{
    bool found = false;
    for (unsigned i = 0; i < HARDEN_SHARDS && !found; i++) {
        harden_shard_t *s = &harden_shards[i];
        pthread_mutex_lock(&s->lock);
        for (unsigned k = 0; k < s->count && !found; k++) found = s->entries[(s->first + k) % HARDEN_ENTRIES].p == p;
        pthread_mutex_unlock(&s->lock);
    }
    return found;
}

/* Aborts with `what` when the live block p (by the underlying allocator's
 * account) is in fact freed and waiting in the quarantine. */
static void harden_check_not_freed(void *p, size_t usable, const char *what)
{
    if (harden_guarded(p, usable) ? harden_holds(p) : *(uintptr_t *)p == harden_mark(harden_mask(p)))
        ca_os_fatal(what, p);
}

/* A waiting block that is not large still has its wipe: the mark, then
 * zeros (its first HARDEN_CHECKED bytes are looked at); a write after free
 * aborts. */
static void harden_check_wipe(harden_entry_t e)
{
    const uintptr_t *w = e.p;
    size_t checked = e.usable < HARDEN_CHECKED ? e.usable : HARDEN_CHECKED;
    if (w[0] != harden_mark(harden_mask(e.p))) ca_os_fatal("write after free", e.p);
    for (size_t i = 1; i < checked / sizeof(uintptr_t); i++)
        if (w[i] != 0) ca_os_fatal("write after free", e.p);
}

/* The mark goes with the wipe's check: the underlying free does not always
 * overwrite a block's first word (a large block's, an aligned pointer's
 * inside its block), and a block handed out again must not carry it. */
static void harden_release(harden_entry_t e)
{
    if (!harden_guarded(e.p, e.usable)) {
        harden_check_wipe(e);
        *(uintptr_t *)e.p = 0;
    } else if (!ca_os_protect(e.p, e.usable, true)) {
        ca_os_fatal("cannot unprotect a freed block", e.p);
    }
    ca_free(e.p);
}

/* Takes the oldest entry off s (locked, not empty). */
static harden_entry_t harden_pop(harden_shard_t *s)
{
    harden_entry_t e = s->entries[s->first];
    s->first = (s->first + 1) % HARDEN_ENTRIES;
    s->count--;
    s->bytes -= e.usable;
    return e;
}

/* The block p, checked, is freed: wiped (or made inaccessible), then put in
 * the quarantine, whose oldest entries leave it (outside the lock: their
 * release frees) until it fits. */
static void harden_retire(void *p, size_t usable)
{
    if (harden_guarded(p, usable)) {
        ca_os_purge(p, usable);   /* (the guard page is inaccessible already) */
        ca_os_protect(p, usable - ca_os_page_size(), false);
    } else {
        *(uintptr_t *)p = harden_mark(harden_mask(p));
        memset((uint8_t *)p + sizeof(uintptr_t), 0, usable - sizeof(uintptr_t));
    }
    harden_shard_t *s = harden_shard();
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (s->count < HARDEN_ENTRIES && (s->count == 0 || s->bytes + usable <= HARDEN_BYTES)) break;
        harden_entry_t e = harden_pop(s);
        pthread_mutex_unlock(&s->lock);
        harden_release(e);
    }
    s->entries[(s->first + s->count) % HARDEN_ENTRIES] = (harden_entry_t){p, usable};
    s->count++;
    s->bytes += usable;
    pthread_mutex_unlock(&s->lock);
}

/* Every waiting block leaves the quarantine. */
void ca_harden_flush(void)
{
    harden_start();
    for (unsigned i = 0; i < HARDEN_SHARDS; i++) {
        harden_shard_t *s = &harden_shards[i];
        for (;;) {
            pthread_mutex_lock(&s->lock);
            if (s->count == 0) break;
            harden_entry_t e = harden_pop(s);
            pthread_mutex_unlock(&s->lock);
            harden_release(e);
        }
        pthread_mutex_unlock(&s->lock);
    }
}

/* At exit the blocks still waiting are checked (not freed: other exit
 * handlers may still run), so that a write after free of a block freed
 * late is not missed. */
__attribute__((destructor)) static void harden_check_at_exit(void)
{
    if (!atomic_load_explicit(&harden_ready, memory_order_acquire)) return;
    for (unsigned i = 0; i < HARDEN_SHARDS; i++) {
        harden_shard_t *s = &harden_shards[i];
        pthread_mutex_lock(&s->lock);
        for (unsigned k = 0; k < s->count; k++) {
            harden_entry_t e = s->entries[(s->first + k) % HARDEN_ENTRIES];
            if (!harden_guarded(e.p, e.usable)) harden_check_wipe(e);
        }
        pthread_mutex_unlock(&s->lock);
    }
}

/* ---------------------------------------------------------------------------
 * The functions override.c exports in the hardened build
 * ------------------------------------------------------------------------- */
/* What to ask the underlying allocator for when n bytes are asked: the
 * tail, and for a block that will be large, its guard page. A smaller
 * request can still come back large (a large alignment): its usable size
 * is then at least CA_MEDIUM_MAX + a page (harden_guarded), room enough. */
static size_t harden_request(size_t n)
{
    size_t r = n + HARDEN_TAIL;
    return r > CA_MEDIUM_MAX ? r + ca_os_page_size() : r;
}

enum { HARDEN_PLAIN, HARDEN_ZERO, HARDEN_ALIGNED, HARDEN_POSIX };

/* A block of r bytes from the underlying allocator, as `how` asks; NULL
 * with errno set when refused. */
static void *harden_get_once(int how, size_t align, size_t r)
{
    void *p = NULL;
    int rc;
    size_t ps = ca_os_page_size();
    if (r > CA_MEDIUM_MAX && align < ps) {
        /* A large block is asked for page-aligned: it then also ends on a
         * page (large.c hands out whole pages), as its guard page needs
         * (harden_guarded); an unaligned one starts after a header. */
        p = ca_memalign(ps, r);
        if (p != NULL && how == HARDEN_ZERO) memset(p, 0, r);
        return p;
    }
    switch (how) {
    case HARDEN_ZERO: return ca_calloc(1, r);
    case HARDEN_ALIGNED: return ca_memalign(align, r);
    case HARDEN_POSIX:
        rc = ca_posix_memalign(&p, align, r);
        if (rc != 0) errno = rc;
        return p;
    default: return ca_malloc(r);
    }
}

/* A block of n bytes (at least 1) with its tail (and guard page); when
 * memory is short, the quarantine is emptied and the request made once
 * more. */
static void *harden_alloc(int how, size_t align, size_t n)
{
    harden_start();
    if (n > HARDEN_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    if (n == 0) n = 1;   /* a byte that is the program's: malloc_usable_size says 1 */
    size_t r = harden_request(n);
    void *p = harden_get_once(how, align, r);
    if (p == NULL && errno == ENOMEM) {
        ca_harden_flush();
        p = harden_get_once(how, align, r);
    }
    if (p == NULL) return NULL;
    size_t usable = ca_alloc_usable(p, "invalid malloc_usable_size");
    size_t ps = ca_os_page_size();
    if (harden_guarded(p, usable)) ca_os_protect((uint8_t *)p + usable - ps, ps, false);
    harden_tail_set(p, harden_room(p, usable), n);
    return p;
}

/* The usable size of p, which must be a live block (else: `what`) and not
 * one waiting in the quarantine (else: `freed`). */
static size_t harden_live(void *p, const char *what, const char *freed)
{
    harden_start();
    size_t usable = ca_alloc_usable(p, what);
    harden_check_not_freed(p, usable, freed);
    return usable;
}

void *ca_harden_malloc(size_t n)
{
    return harden_alloc(HARDEN_PLAIN, 0, n);
}

/* count * size into *n; false (errno ENOMEM) when it overflows. */
static bool harden_product(size_t count, size_t size, size_t *n)
{
    if (!__builtin_mul_overflow(count, size, n)) return true;
    errno = ENOMEM;
    return false;
}

void *ca_harden_calloc(size_t count, size_t size)
{
    size_t n;
    return harden_product(count, size, &n) ? harden_alloc(HARDEN_ZERO, 0, n) : NULL;
}

void *ca_harden_memalign(size_t align, size_t n)
{
    return harden_alloc(HARDEN_ALIGNED, align, n);
}

int ca_harden_posix_memalign(void **out, size_t align, size_t n)
{
    int saved = errno;
    void *p = harden_alloc(HARDEN_POSIX, align, n);
    int rc = p == NULL ? errno : 0;
    if (p != NULL) *out = p;
    errno = saved;
    return rc;
}

void *ca_harden_valloc(size_t n)
{
    return harden_alloc(HARDEN_ALIGNED, ca_os_page_size(), n);
}

/* pvalloc's size is rounded up to whole pages, and all of them are the
 * program's (so they are what the canary follows). */
void *ca_harden_pvalloc(size_t n)
{
    size_t ps = ca_os_page_size();
    if (n > SIZE_MAX - ps) {
        errno = ENOMEM;
        return NULL;
    }
    return harden_alloc(HARDEN_ALIGNED, ps, n == 0 ? ps : ca_align_up(n, ps));
}

void ca_harden_free(void *p)
{
    if (p == NULL) return;
    int saved = errno;
    size_t usable = harden_live(p, "invalid free", "double free");
    harden_tail_check(p, harden_room(p, usable));
    harden_retire(p, usable);
    errno = saved;
}

/* In place while the new size fits and the block would not waste more than
 * 3/4 of itself (as alloc.c decides); otherwise a new block, and the old
 * one goes to the quarantine like any freed block. */
void *ca_harden_realloc(void *p, size_t n)
{
    if (p == NULL) return ca_harden_malloc(n);
    if (n == 0) {
        ca_harden_free(p);
        return NULL;
    }
    size_t usable = harden_live(p, "invalid realloc", "invalid realloc");
    size_t room = harden_room(p, usable);
    size_t old = harden_tail_check(p, room);
    if (n > HARDEN_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    if (n + HARDEN_TAIL <= room && ca_realloc_keeps(usable, n)) {
        harden_tail_set(p, room, n);
        return p;
    }
    void *q = ca_harden_malloc(n);
    if (q == NULL) return NULL;
    memcpy(q, p, old < n ? old : n);
    harden_retire(p, usable);
    return q;
}

void *ca_harden_reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    return harden_product(count, size, &n) ? ca_harden_realloc(p, n) : NULL;
}

/* The size asked for: the bytes after it are the canary's. */
size_t ca_harden_malloc_usable_size(void *p)
{
    if (p == NULL) return 0;
    size_t usable = harden_live(p, "invalid malloc_usable_size", "invalid malloc_usable_size");
    return harden_tail_check(p, harden_room(p, usable));
}
