/* page.c: a page's free lists and the heap's page queues.
 *
 * Per size class the heap keeps a queue of pages that may have free blocks;
 * its head is the page malloc allocates from (and what the thread's direct
 * array points to). Pages with nothing left leave the queue (they are in no
 * list at all, marked by the FULL tag bit, so moving them costs no writes to
 * neighbours) and come back when a block is freed into them.
 *
 * `used` counts a page's blocks that are out (handed out, in the medium
 * block cache, or in the remote-free list not yet taken in), except while
 * the page is its queue's head: then malloc's fast path pops without
 * counting (one instruction less on every malloc), so `used` is only a
 * countdown from HEAD_BIAS that frees decrement. It reaches 0 only after
 * 2^30 net frees (then it starts again): a head is never retired by a free,
 * so a block that ping-pongs on the head page costs nothing extra. When a
 * page stops being head its count is made exact again from its lists (for
 * a head leaving as full they are empty: all reserved blocks are out). A
 * page that empties while it is not the head is retired at once (given back
 * to its segment). Remote frees arrive on a page's atomic thread_free list
 * and are taken in here (ca_page_drain_notify). */
#include "internal.h"

#define EXTEND_UNIT 4096           /* a free list grows by the blocks that start in one 4 KiB OS page */

/* A queue head's countdown starts here; the debug build starts it low, so
 * that its running out (and starting again) is exercised. */
#ifdef CA_DEBUG
#define HEAD_BIAS 256u
#else
#define HEAD_BIAS (1u << 30)
#endif

/* The ends of the lists: [0] of a page's local lists (free_link,
 * local_free), [1] of its remote-free list, so that a list that ran into
 * another (a block freed twice, once onto each) shows it at its end. Their
 * links decode, under any key (bit 63 clear), to 2^63 | key, which is not
 * a user address (see internal.h). */
const ca_block_t ca_list_end[2] = {{(uintptr_t)1 << 16}, {(uintptr_t)1 << 16}};

/* The page every direct entry points to when there is nothing to pop. */
ca_page_t ca_page_empty = {.free_link = CA_LIST_END, .local_free = CA_LIST_END};

const uintptr_t ca_link_bound = (uintptr_t)1 << CA_ADDRESS_BITS;

/* ---------------------------------------------------------------------------
 * Free lists: every link is encoded with the page's key (ca_link_encode)
 * ------------------------------------------------------------------------- */

/* The block after b on one of the page's lists, or NULL at an end (either
 * one: callers that care look at which, list_end), checked: a link that
 * does not lead to one of the page's blocks aborts, naming b (a write into
 * the freed block, or a block freed twice, by a remote free racing with
 * the owner, and handed out since). */
static ca_block_t *list_next(const ca_page_t *page, const ca_block_t *b)
{
    uintptr_t n = ca_link_decode(page->key, b->link);
    if ((ca_block_t *)n == CA_LIST_END || (ca_block_t *)n == CA_REMOTE_END) return NULL;
    if (unlikely(!ca_link_ok(n) || !ca_page_is_block(page, (void *)n))) ca_os_fatal("corrupted free list", b);
    return (ca_block_t *)n;
}

/* The end a list's last block links to. */
static const ca_block_t *list_end(const ca_page_t *page, const ca_block_t *last)
{
    return (const ca_block_t *)ca_link_decode(page->key, last->link);
}

/* The first block of a local list (NULL: empty). */
static ca_block_t *list_first(ca_block_t *head)
{
    return head == CA_LIST_END ? NULL : head;
}

/* Whether b is on the list from head to end. The owner's walk (owner)
 * checks every link; another thread's walk races with the owner's pushes
 * and pops by design, so it stops at the first link that does not lead to a
 * block of the page (a block popped under it), and may miss b then: a
 * double free from another thread at the very moment the owner works on the
 * page is not always caught; one that is caught is certain (a block handed
 * out is on no list any more, and a free list's links only lead down the
 * list). Not instrumented by TSan for that reason. */
__attribute__((no_sanitize("thread"))) static bool list_holds(const ca_page_t *page, uintptr_t head,
                                                               const ca_block_t *end, const ca_block_t *b,
                                                               bool owner)
{
    uint32_t n = 0;
    const ca_block_t *prev = NULL;
    for (uintptr_t x = head; x != 0 && (const ca_block_t *)x != end;
         prev = (const ca_block_t *)x, x = ca_link_decode(page->key, ca_peek_word(&prev->link))) {
        if (!ca_link_ok(x) || !ca_page_is_block(page, (void *)x) || ++n > page->reserved) {
            if (owner) ca_os_fatal("corrupted free list", prev ? prev : (const void *)x);
            return false;
        }
        if (x == (uintptr_t)b) return true;
    }
    return false;
}

/* A block freed twice, once onto each of two lists, joined them: from it
 * on, the list from `from` is the other one. Names the first block of
 * `from` that is on the other list (the page's local lists, or its
 * remote-free list). */
__attribute__((noreturn, cold)) static void lists_joined(const ca_page_t *page, ca_block_t *from, bool remote)
{
    for (ca_block_t *x = from; x != NULL; x = list_next(page, x)) {
        bool other = remote ? list_holds(page, (uintptr_t)page->free_link, CA_LIST_END, x, true) ||
                                  list_holds(page, (uintptr_t)page->local_free, CA_LIST_END, x, true)
                            : list_holds(page, atomic_load_explicit(&page->thread_free, memory_order_acquire),
                                         CA_REMOTE_END, x, true);
        if (other) ca_os_fatal("double free", x);
    }
    ca_os_fatal("double free", from);
}

/* A list that grew longer than the page's blocks runs in a circle: a block
 * on it was freed twice. The circle's entry (found the tortoise-and-hare
 * way) is that block. */
__attribute__((noreturn, cold)) static void list_circle(const ca_page_t *page, ca_block_t *list)
{
    ca_block_t *slow = list, *fast = list;
    do {
        if (fast == NULL || list_next(page, fast) == NULL) ca_os_fatal("double free", list);
        slow = list_next(page, slow);
        fast = list_next(page, list_next(page, fast));
    } while (slow != fast);
    for (slow = list; slow != fast; slow = list_next(page, slow)) fast = list_next(page, fast);
    ca_os_fatal("double free", slow);
}

/* The length of a local list (the owner's) and its last block: at most the
 * reserved blocks, ending at the local end (else a block on it was freed
 * twice: a circle, or a join with the remote-free list). */
static uint32_t list_length(const ca_page_t *page, ca_block_t *first, const ca_block_t **last)
{
    uint32_t n = 0;
    *last = NULL;
    for (ca_block_t *b = first; b != NULL; b = list_next(page, b)) {
        if (unlikely(++n > page->reserved)) list_circle(page, first);
        *last = b;
    }
    if (unlikely(*last != NULL && list_end(page, *last) != CA_LIST_END)) lists_joined(page, first, false);
    return n;
}

/* The blocks of a page that are out, counted from its lists (exact also
 * while the page is a queue head). Two lists that end in the same block
 * share it and all before the end: a block freed twice, once onto each;
 * the first shared one is it. */
static uint32_t blocks_out(const ca_page_t *page)
{
    ca_block_t *a = list_first(page->free_link), *b = list_first(page->local_free);
    const ca_block_t *a_last, *b_last;
    uint32_t na = list_length(page, a, &a_last), nb = list_length(page, b, &b_last);
    if (unlikely(a_last != NULL && a_last == b_last)) {
        for (uint32_t i = na; i > nb; i--) a = list_next(page, a);
        for (uint32_t i = nb; i > na; i--) b = list_next(page, b);
        while (a != b) a = list_next(page, a), b = list_next(page, b);
        ca_os_fatal("double free", a);
    }
    return page->reserved - na - nb - page->lost;
}

/* Whether b is on one of the page's lists (free, local_free, or the remote
 * frees not yet taken in). The heads race with the owner as the links do
 * (see list_holds), so the function is not instrumented by TSan either. */
__attribute__((no_sanitize("thread"))) bool ca_page_holds(const ca_page_t *page, const ca_block_t *b, bool owner)
{
    return list_holds(page, ca_peek_word(&page->free_link), CA_LIST_END, b, owner) ||
           list_holds(page, ca_peek_word(&page->local_free), CA_LIST_END, b, owner) ||
           list_holds(page, atomic_load_explicit(&page->thread_free, memory_order_acquire), CA_REMOTE_END, b, owner);
}

/* The block p frees: p itself when it is the start of one of the page's
 * reserved blocks, or the aligned pointer handed out for its block (see
 * ca_page_set_aligned); NULL for anything else. */
ca_block_t *ca_page_resolve(const ca_page_t *page, const void *p)
{
    if (ca_page_is_block(page, p)) return (ca_block_t *)p;
    if (!atomic_load_explicit(&page->has_aligned, memory_order_relaxed)) return NULL;
    size_t off = (size_t)((const uint8_t *)p - page->start);
    if (off >= (size_t)page->capacity * page->block_size) return NULL;
    ca_block_t *b = ca_block_start(page, p);
    if (!ca_page_is_block(page, b)) return NULL;   /* not reserved yet */
    return ((const uintptr_t *)b)[1] == ((uintptr_t)p ^ page->key) ? b : NULL;
}

/* ---------------------------------------------------------------------------
 * Queues
 * ------------------------------------------------------------------------- */
/* A class's direct entries: one per 16 bytes of its sizes, 8 to 64 of them
 * from 1 KiB up, where they come in runs of 8; written 8 at a time, which
 * the compiler turns into vector stores. A class's head changes whenever
 * its page runs out, which for random frees in classes of 32 to 64 blocks
 * a page is every few mallocs: one entry at a time, this loop was 8% of
 * all instructions on sizes 16..8192 (171 a call). */
void ca_page_set_direct(ca_heap_t *heap, unsigned cls)
{
    if (heap->direct == NULL || cls > CA_DIRECT_CLASS_MAX) return;
    ca_page_t *page = heap->queues[cls].first;
    if (page == NULL) page = &ca_page_empty;
    size_t lo = cls == 1 ? 0 : ca_class_size(cls - 1) / 16 + 1;
    size_t end = ca_class_size(cls) / 16 + 1;
    size_t d = lo;
    for (; d + 8 <= end; d += 8)
        for (unsigned k = 0; k < 8; k++) heap->direct[d + k] = page;
    for (; d < end; d++) heap->direct[d] = page;
}

static void pq_append(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    page->next = NULL;
    page->prev = q->last;
    if (q->last) {
        q->last->next = page;
        q->last = page;
    } else {
        q->first = q->last = page;
        page->used = HEAD_BIAS;
        ca_page_set_direct(heap, page->cls);
    }
}

/* The blocks on a local list of a medium page are not out (ca_live_byte). */
static void list_live_back(const ca_page_t *page, ca_block_t *first)
{
    for (ca_block_t *b = list_first(first); b != NULL; b = list_next(page, b)) ca_live_back(b);
}

/* A medium page that stops being its queue's head goes back to the block
 * cache's way (ca_page_fast_frees made it take fast frees): the blocks those
 * put on its lists are marked not out, as the cache's way keeps them.
 * Called after blocks_out, which checked that both lists end. */
static void medium_leave_head(ca_page_t *page)
{
    uintptr_t tag = ca_tag_get(page);
    if (page->block_size <= CA_MCACHE_MIN || (tag & CA_TAG_MEDIUM)) return;
    list_live_back(page, page->free_link);
    list_live_back(page, page->local_free);
    ca_tag_set(page, tag | CA_TAG_MEDIUM);
}

static void pq_remove(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    bool head = q->first == page;
    if (page->prev) page->prev->next = page->next;
    else q->first = page->next;
    if (page->next) page->next->prev = page->prev;
    else q->last = page->prev;
    page->next = page->prev = NULL;
    if (head) {
        page->used = blocks_out(page);
        medium_leave_head(page);
        if (q->first) q->first->used = HEAD_BIAS;
        ca_page_set_direct(heap, page->cls);
    }
}

/* ---------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------- */

/* Threads the next run of never-used blocks onto the (empty) free list:
 * those that start in the OS page (EXTEND_UNIT) where the first of them
 * starts, at least one. Threading writes each block's link, so every block
 * on the list has its first OS page resident: growing by more than the
 * program asks for touches memory it may never use (a class that holds 33
 * KiB at its peak kept 64 KiB resident when lists grew by doubling up to
 * 64 KiB at a time, in every heap: thread_churn's peak RSS, 4 heaps of 16
 * classes, went from 5636 to 4592 KiB). A fresh OS page is a page fault
 * anyway, beside which the slow-path call per OS page costs little (3%
 * more instructions for a batch of fresh 64-byte blocks). */
static void page_extend(ca_page_t *page)
{
    ca_assert(page->free_link == CA_LIST_END && page->reserved < page->capacity);
    uint32_t bsize = page->block_size;
    uint8_t *first = page->start + (size_t)page->reserved * bsize;
    size_t room = ca_align_up((uintptr_t)first + 1, EXTEND_UNIT) - (uintptr_t)first;
    uint32_t n = (uint32_t)((room + bsize - 1) / bsize);
    if (n > (uint32_t)(page->capacity - page->reserved)) n = page->capacity - page->reserved;
    uint8_t *p = first;
    for (uint32_t i = 1; i < n; i++, p += bsize) ((ca_block_t *)p)->link = ca_link_encode(page->key, (uintptr_t)(p + bsize));
    ((ca_block_t *)p)->link = ca_link_encode(page->key, (uintptr_t)CA_LIST_END);
    page->free_link = (ca_block_t *)first;
    page->reserved = (uint16_t)(page->reserved + n);
    /* the new blocks are blocks now (ca_page_is_block) */
    atomic_store_explicit((_Atomic(uint64_t) *)&page->div_limit, (uint64_t)(page->reserved - 1) * (page->div_magic * bsize),
                          memory_order_relaxed);
    /* (a medium head that takes fast frees may get dirty blocks pushed on
     * top of these at any time) */
    page->free_is_zero = page->tail_zero && (ca_tag_get(page) & CA_TAG_MEDIUM);
}

/* ---------------------------------------------------------------------------
 * Sweeping: the free memory inside sparse small pages goes back to the kernel
 *
 * After a mass free at random, few small pages empty (a page of 2 KiB
 * blocks with 90% of them free is empty once in 10^50), so retiring empty
 * pages gives nothing back, and a heap that then grows in other classes
 * grows on top of it all. But most OS pages inside such a page hold only
 * free blocks: those are purged. A free block's link lives in its first
 * word, so the blocks that start in a purged OS page leave the lists
 * first: they are `lost` (counted apart from `used`; every block that
 * starts in a purged OS page is lost, see ca_page_lost) until the page
 * runs out of other blocks, when they are threaded again (page_unsweep),
 * like never-used blocks. Blocks that start in an OS page still there stay
 * on the lists, also when they reach into a purged one (handed out, their
 * memory there reads as zero). While a page has lost blocks its frees take
 * the slow path (the PURGED tag), which refuses a lost block as a double
 * free: its first word, purged, no longer carries the mark. Only small
 * pages (their OS pages fit in one word) that are not queue heads (whose
 * `used` is not a count) are swept.
 * ------------------------------------------------------------------------- */
#define PURGE_UNIT ((uintptr_t)1 << CA_PURGE_SHIFT)
#define SWEEP_MIN  (64 * 1024)     /* a page is swept when it may give back this much */
#define SWEEP_MAX_SPAN 16          /* nor when blocks are so small that an OS page spans more */

/* Whether sweeping the page (not a head, so `used` is exact) is likely to
 * purge SWEEP_MIN: an OS page not yet purged is free when every one of
 * the k blocks it overlaps is, about f^k with f the share of the blocks
 * not lost that are free. */
static bool page_worth_sweeping(const ca_page_t *page)
{
    uint32_t bsize = page->block_size, k = (uint32_t)(PURGE_UNIT / bsize) + 1;
    uint32_t kept = page->reserved - page->lost;
    if (bsize > CA_SMALL_MAX || k > SWEEP_MAX_SPAN || kept == 0) return false;
    double f = (double)(kept - page->used) / kept, y = 1;
    for (uint32_t i = 0; i < k; i++) y *= f;
    size_t left = (size_t)page->reserved * bsize - (size_t)__builtin_popcountll(page->purged) * PURGE_UNIT;
    return y * (double)left >= SWEEP_MIN;
}

/* Purges the page's OS pages that hold only free blocks and takes the
 * blocks that start in them off the lists (see above); returns the bytes
 * purged. The lists are walked with every link checked; a block met twice
 * was freed twice. */
static size_t page_sweep(ca_page_t *page)
{
    uint32_t bsize = page->block_size, n = page->reserved;
    uint64_t onlist[CA_SMALL_PAGE / 16 / 64];
    memset(onlist, 0, (n + 63) / 64 * sizeof onlist[0]);
    ca_block_t *lists[2] = {list_first(page->free_link), list_first(page->local_free)};
    for (int l = 0; l < 2; l++) {
        const ca_block_t *last = NULL;
        for (ca_block_t *b = lists[l]; b != NULL; last = b, b = list_next(page, b)) {
            uint32_t j = (uint32_t)(((uint8_t *)b - page->start) / bsize);
            if (unlikely((onlist[j / 64] >> (j % 64)) & 1)) ca_os_fatal("double free", b);
            onlist[j / 64] |= (uint64_t)1 << (j % 64);
        }
        if (unlikely(last != NULL && list_end(page, last) != CA_LIST_END)) lists_joined(page, lists[l], false);
    }
    uint8_t *base = (uint8_t *)((uintptr_t)page->start & ~(uintptr_t)(CA_SLICE_SIZE - 1));
    uint8_t *end = page->start + (size_t)n * bsize;
    uint64_t add = 0;
    for (uint8_t *u = (uint8_t *)ca_align_up((uintptr_t)page->start, PURGE_UNIT); u + PURGE_UNIT <= end; u += PURGE_UNIT) {
        unsigned bit = (unsigned)((size_t)(u - base) >> CA_PURGE_SHIFT);
        if ((page->purged >> bit) & 1) continue;
        bool all_free = true;
        for (uint32_t j = (uint32_t)((size_t)(u - page->start) / bsize);
             all_free && j <= (uint32_t)((size_t)(u + PURGE_UNIT - 1 - page->start) / bsize); j++)
            all_free = ((onlist[j / 64] >> (j % 64)) & 1) || ca_page_lost(page, page->start + (size_t)j * bsize);
        if (all_free) add |= (uint64_t)1 << bit;
    }
    if (add == 0) return 0;
    size_t purged = (size_t)__builtin_popcountll(add) << CA_PURGE_SHIFT;
    page->purged |= add;
    ca_block_t *head = CA_LIST_END;
    for (uint32_t j = n; j-- > 0;) {
        if (!((onlist[j / 64] >> (j % 64)) & 1)) continue;
        ca_block_t *b = (ca_block_t *)(page->start + (size_t)j * bsize);
        if (ca_page_lost(page, b)) {
            page->lost++;
            continue;
        }
        b->link = ca_link_encode(page->key, (uintptr_t)head);
        head = b;
    }
    page->free_link = head;
    page->local_free = CA_LIST_END;
    page->free_is_zero = 0;
    ca_tag_set(page, ca_tag_get(page) | CA_TAG_PURGED);
    while (add != 0) {
        unsigned lo = (unsigned)__builtin_ctzll(add), len = (unsigned)__builtin_ctzll(~(add >> lo));
        ca_os_purge(base + ((size_t)lo << CA_PURGE_SHIFT), (size_t)len << CA_PURGE_SHIFT);
        add &= len == 64 ? 0 : ~((((uint64_t)1 << len) - 1) << lo);
    }
    return purged;
}

/* Threads the lost blocks onto the (empty) free list again, in address
 * order (there may be none: a purged OS page may lie inside one block);
 * their memory reads as zero until it is touched. The page's frees take
 * the fast path again. */
static void page_unsweep(ca_page_t *page)
{
    ca_assert(page->free_link == CA_LIST_END && page->purged != 0);
    ca_block_t *head = CA_LIST_END;
    for (uint32_t j = page->reserved; j-- > 0;) {
        ca_block_t *b = (ca_block_t *)(page->start + (size_t)j * page->block_size);
        if (!ca_page_lost(page, b)) continue;
        b->link = ca_link_encode(page->key, (uintptr_t)head);
        head = b;
    }
    page->free_link = head;
    page->lost = 0;
    page->purged = 0;
    ca_tag_set(page, ca_tag_get(page) & ~CA_TAG_PURGED);
}

/* Sweeps the heap's small pages that are worth it (queued, not heads)
 * until `want` bytes are purged: before the heap takes a new segment (a
 * segment's worth, so that what it will touch there is about what went
 * back; sweeping everything at once cost a system call for each run of
 * free OS pages, also in pages the program then freed whole), and at trim
 * (all). */
void ca_page_sweep(ca_heap_t *heap, size_t want)
{
    if (ca_os_page_size() != PURGE_UNIT) return;
    size_t purged = 0;
    for (unsigned c = 1; c <= ca_size_class(CA_SMALL_MAX) && purged < want; c++) {
        ca_page_t *head = heap->queues[c].first;
        for (ca_page_t *p = head ? head->next : NULL; p != NULL && purged < want; p = p->next) {
            if (!page_worth_sweeping(p)) continue;
            purged += page_sweep(p);
            heap->st_pages_swept++;
        }
    }
}

/* A key for a list of free blocks (a page's, a heap's block cache): random,
 * and such that its mark (the low byte of every link: bits 47..54 of the
 * key) is CA_MARK, and with bit 63 clear, so that the lists' ends decode
 * above every user address (ca_list_end). */
uint64_t ca_page_key(ca_heap_t *heap)
{
    uint64_t x = ca_mix64(heap->rng += 0x9E3779B97F4A7C15ull);   /* splitmix64 */
    return (x & ~((uint64_t)0xff << 47) & ~((uint64_t)1 << 63)) | ((uint64_t)CA_MARK << 47);
}

/* A medium page starting: none of its blocks is out (its granules'
 * bytes, ca_live_byte; the page is CA_MEDIUM_PAGE-aligned in its segment,
 * page 0's header included). */
static void live_clear(const ca_page_t *page)
{
    uintptr_t base = (uintptr_t)page->start & ~(uintptr_t)(CA_MEDIUM_PAGE - 1);
    for (uintptr_t g = 0; g < CA_MEDIUM_PAGE; g += (uintptr_t)1 << CA_LIVE_GRANULE_SHIFT)
        ca_live_back((const void *)(base + g));
}

/* A fresh page for class cls. When it takes a new segment, the heap first
 * gives back what its sparse pages hold free (ca_page_sweep): a heap that
 * grows after a mass free (in other classes) grows into memory the kernel
 * got back. */
static ca_page_t *page_fresh(ca_heap_t *heap, unsigned cls)
{
    size_t bsize = ca_class_size(cls);
    int kind = bsize <= CA_SMALL_MAX ? CA_SEG_SMALL : CA_SEG_MEDIUM;
    if (heap->avail[kind] == NULL) ca_page_sweep(heap, CA_SEG_SIZE);
    ca_page_t *page = ca_segment_page_alloc(heap, kind, cls);
    if (page == NULL) return NULL;
    ca_assert(atomic_load_explicit(&page->heap, memory_order_relaxed) == NULL);
    page->block_size = (uint32_t)bsize;
    page->cls = (uint8_t)cls;
    page->capacity = (uint16_t)(page->area / bsize);
    page->reserved = 0;
    page->used = 0;
    page->lost = 0;
    page->purged = 0;
    page->key = ca_page_key(heap);
    page->div_magic = UINT64_MAX / bsize + 1 + ((bsize & (bsize - 1)) == 0);   /* 2^64 / size + 1 */
    page->free_link = CA_LIST_END;
    page->local_free = CA_LIST_END;
    page->notify_next = NULL;
    atomic_store_explicit(&page->thread_free, 0, memory_order_relaxed);
    atomic_store_explicit(&page->has_aligned, 0, memory_order_relaxed);
    atomic_store_explicit(&page->heap, heap, memory_order_relaxed);
    if (bsize > CA_MCACHE_MIN) live_clear(page);
    ca_tag_set(page, heap->tp | (bsize > CA_MCACHE_MIN ? CA_TAG_MEDIUM : 0));
    heap->st_pages_init++;
    heap->npages[cls]++;
    page_extend(page);
    pq_append(heap, &heap->queues[cls], page);
    return page;
}

/* Makes the free list non-empty from the blocks the owner got back (its local
 * frees are collected here); false when the page has none. */
static bool page_has_freed_blocks(ca_page_t *page)
{
    if (page->free_link != CA_LIST_END) return true;
    if (page->local_free == CA_LIST_END) return false;
    page->free_link = page->local_free;
    page->local_free = CA_LIST_END;
    page->free_is_zero = 0;
    return true;
}

/* A page with nothing to hand out and no room to grow leaves its queue; the
 * FULL tag sends the next free into it to the slow path, which brings it back. */
static void page_leave_as_full(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    pq_remove(heap, q, page);
    ca_tag_set(page, ca_tag_get(page) | CA_TAG_FULL);
}

/* The page to allocate a block of class `cls` from, with a non-empty free list:
 * the queue head after collecting its local frees or growing it; heads with
 * nothing left leave the queue as full; a fresh page when the queue runs out. */
ca_page_t *ca_page_find(ca_heap_t *heap, unsigned cls)
{
    ca_pageq_t *q = &heap->queues[cls];
    ca_page_t *page;
    while ((page = q->first) != NULL) {
        if (page_has_freed_blocks(page)) return page;
        if (page->purged) {
            page_unsweep(page);
            if (page->free_link != CA_LIST_END) return page;
        }
        if (page->reserved < page->capacity) {
            page_extend(page);
            return page;
        }
        page_leave_as_full(heap, q, page);
    }
    return page_fresh(heap, cls);
}

/* Like ca_page_find, but only blocks already handed out once (free or
 * local_free lists): NULL where the class would have to grow a page or take
 * a fresh one, i.e. touch memory not yet in use. */
ca_page_t *ca_page_find_used(ca_heap_t *heap, unsigned cls)
{
    ca_pageq_t *q = &heap->queues[cls];
    ca_page_t *page;
    while ((page = q->first) != NULL) {
        if (page_has_freed_blocks(page)) return page;
        if (page->reserved < page->capacity || page->purged) break;
        page_leave_as_full(heap, q, page);
    }
    if (page == NULL) return NULL;
    /* The head could grow; the pages behind it got blocks back (or were
     * emptied by earlier calls: those leave as full, paying for the scan). */
    for (ca_page_t *p = page->next; p != NULL;) {
        ca_page_t *next = p->next;
        if (page_has_freed_blocks(p)) return p;
        if (p->reserved == p->capacity && !p->purged) page_leave_as_full(heap, q, p);
        p = next;
    }
    return NULL;
}

/* An empty page leaves its queue and goes back to its segment. */
static void page_retire(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    pq_remove(heap, q, page);
    heap->npages[page->cls]--;
    ca_segment_page_free(heap, page);
}

/* `used` reached 0: an empty page that is not a queue head is retired; a
 * head's countdown starts again. */
void ca_page_now_empty(ca_heap_t *heap, ca_page_t *page)
{
    ca_pageq_t *q = &heap->queues[page->cls];
    if (q->first == page) {
        page->used = HEAD_BIAS;
        return;
    }
    ca_assert(page->used == 0 && blocks_out(page) == 0);
    page_retire(heap, q, page);
}

/* A block was freed into a full page: back into its queue. */
static void page_unfull(ca_heap_t *heap, ca_page_t *page)
{
    ca_tag_set(page, ca_tag_get(page) & ~CA_TAG_FULL);
    pq_append(heap, &heap->queues[page->cls], page);
    if (page->used == 0) ca_page_now_empty(heap, page);
}

/* `used` just dropped by the blocks now on a list of this page. */
static void page_got_blocks_back(ca_heap_t *heap, ca_page_t *page)
{
    if (ca_tag_get(page) & CA_TAG_FULL)
        page_unfull(heap, page);
    else if (page->used == 0)
        ca_page_now_empty(heap, page);
}

/* Block b of the page was handed out as the interior pointer `aligned`
 * (b + 16 or more, so b's first two words lie before it and are ours): the
 * page's frees take the slow path from now on (ALIGNED tag), and b's second
 * word records the pointer, keyed, so that ca_page_resolve accepts exactly
 * that one. */
void ca_page_set_aligned(ca_page_t *page, ca_block_t *b, void *aligned)
{
    ((uintptr_t *)b)[1] = (uintptr_t)aligned ^ page->key;
    if (atomic_load_explicit(&page->has_aligned, memory_order_relaxed)) return;
    atomic_store_explicit(&page->has_aligned, 1, memory_order_relaxed);
    ca_tag_set(page, ca_tag_get(page) | CA_TAG_ALIGNED);
}

/* A local free into a medium page that is its queue's head: from now on
 * the page takes the fast path's frees (its tag loses MEDIUM), as a small
 * page does, until it stops being the head (medium_leave_head). A block
 * freed and allocated again in a loop then costs what a small one does,
 * where the block cache's way costs twice as many instructions; frees into
 * the pages behind the head, most of them when frees are random, still go
 * to the cache. The head's blocks freed from now on are dirty. The caller
 * pushes the block (ca_page_push). */
void ca_page_fast_frees(ca_page_t *page)
{
    ca_tag_set(page, ca_tag_get(page) & ~CA_TAG_MEDIUM);
    page->free_is_zero = 0;
}

/* The owner frees block b (a block start) of its page. */
void ca_page_free_local(ca_heap_t *heap, ca_page_t *page, ca_block_t *b)
{
    b->link = ca_link_encode(page->key, (uintptr_t)page->local_free);
    page->local_free = b;
    page->used--;
    page_got_blocks_back(heap, page);
}

/* Gives back the queue heads that have no block out (thread exit,
 * malloc_trim). */
void ca_page_release_heads(ca_heap_t *heap)
{
    for (unsigned c = 1; c < CA_NCLASS; c++) {
        ca_pageq_t *q = &heap->queues[c];
        ca_page_t *page;
        while ((page = q->first) != NULL && blocks_out(page) == 0 &&
               atomic_load_explicit(&page->thread_free, memory_order_relaxed) == 0)
            page_retire(heap, q, page);
    }
}

/* ---------------------------------------------------------------------------
 * Remote frees
 * ------------------------------------------------------------------------- */

/* Takes in the blocks other threads freed. A page is on the notify list
 * exactly while its thread_free list is non-empty (the thread that makes it
 * non-empty pushes the page), so each page is visited once per batch. The
 * walk to the list's tail stops at the page's block count, so a double free
 * that closed the list into a circle aborts instead of spinning forever;
 * a list that ends at the local lists' end ran into them (a block freed
 * there and here). */
void ca_page_drain_notify(ca_heap_t *heap)
{
    ca_page_t *page = atomic_exchange_explicit(&heap->notify, NULL, memory_order_acquire);
    while (page) {
        ca_page_t *next = page->notify_next;   /* read before the exchange below */
        ca_block_t *list = (ca_block_t *)atomic_exchange_explicit(&page->thread_free, 0, memory_order_acq_rel);
        ca_assert(list != NULL);                /* on the notify list only while non-empty */
        if (list) {
            if (unlikely(!ca_link_ok((uintptr_t)list) || !ca_page_is_block(page, list)))
                ca_os_fatal("corrupted free list", list);
            uint32_t n = 1;
            ca_block_t *tail = list;
            for (ca_block_t *b; (b = list_next(page, tail)) != NULL; tail = b)
                if (unlikely(++n > page->reserved)) list_circle(page, list);
            if (unlikely(list_end(page, tail) != CA_REMOTE_END)) lists_joined(page, list, true);
            tail->link = ca_link_encode(page->key, (uintptr_t)page->local_free);
            page->local_free = list;
            /* (only a head's countdown can be below n) */
            page->used = page->used > n ? page->used - n : 0;
            page_got_blocks_back(heap, page);
        }
        page = next;
    }
}

/* ---------------------------------------------------------------------------
 * The debug build's invariant checks (DESIGN.md, "Invariants")
 * ------------------------------------------------------------------------- */
#ifdef CA_DEBUG
static void check_page(ca_heap_t *heap, ca_page_t *page, bool queued, bool head, bool walk)
{
    uintptr_t tag = ca_tag_get(page);
    ca_assert(page->state == CA_PAGE_INUSE);
    ca_assert(atomic_load_explicit(&page->heap, memory_order_relaxed) == heap);      /* 6 */
    ca_assert((tag & ~CA_TAG_FLAGS) == heap->tp);                                    /* 1 */
    ca_assert(((tag & CA_TAG_FULL) != 0) == !queued);                                /* 5 */
    ca_assert(page->used >= 1);                                                      /* 2 */
    if (head) ca_assert(page->used <= HEAD_BIAS + page->reserved);
    ca_assert(page->reserved <= page->capacity && page->capacity * page->block_size <= page->area);
    ca_assert(((uintptr_t)page->start & 15) == 0);                                   /* 7 */
    ca_segment_t *seg = ca_segment_of(page);
    uint8_t *area = (uint8_t *)seg + (size_t)(page - seg->pages) * CA_SLICE_SIZE;
    ca_assert(ca_segmap_has(seg));                                                  /* 4 */
    for (uint32_t k = 0; k < seg->stride; k++) {
        const uint8_t *slice = area + k * CA_SLICE_SIZE;
        ca_assert(ca_page_of(slice) == page && ca_page_of_slot(ca_slot_of(slice)) == page);
    }
    if (seg->stride > 1) ca_assert(ca_tag_get(ca_slot_of(area + CA_SLICE_SIZE)) == CA_TAG_SECOND);   /* 4 */
    ca_assert(((tag & CA_TAG_PURGED) != 0) == (page->purged != 0));
    ca_assert(page->purged == 0 || page->block_size <= CA_SMALL_MAX);
    ca_assert(page->block_size <= CA_MCACHE_MIN || head || (tag & CA_TAG_MEDIUM));   /* 13 */
    ca_assert((uint8_t)(page->key >> 47) == CA_MARK && !(page->key >> 63));          /* 9 */
    ca_assert(page->reserved == 0 || ca_page_is_block(page, page->start + (size_t)(page->reserved - 1) * page->block_size));
    ca_assert(!ca_page_is_block(page, page->start + (size_t)page->reserved * page->block_size));   /* 10 */
    if (head && heap->direct && page->cls <= CA_DIRECT_CLASS_MAX)
        ca_assert(heap->direct[ca_class_size(page->cls) / 16] == page);              /* 5 */
    if (walk) {
        /* every reserved block is on a list or counted in used (handed out,
         * in a remote-free list or in the block cache) */
        ca_assert(head || page->used == blocks_out(page));                          /* 2 */
        uint32_t lost = 0;
        for (uint32_t j = 0; j < page->reserved; j++)
            lost += ca_page_lost(page, page->start + (size_t)j * page->block_size);
        ca_assert(lost == page->lost);                                               /* 11 */
        if (page->block_size > CA_MCACHE_MIN && !head) {
            /* used = out + cached + freed elsewhere, not taken in yet;
             * another thread clears a byte before it pushes the block, so
             * counting the pushed ones first, the bytes after, can only
             * come short of used while a free is half done */
            uint32_t cached = 0, remote = 0, out = 0;
            for (ca_block_t *b = heap->mcache[page->cls].head; b; b = (ca_block_t *)ca_link_decode(heap->mkey, b->link))
                cached += ca_page_of(b) == page;
            ca_block_t *r = (ca_block_t *)atomic_load_explicit(&page->thread_free, memory_order_acquire);
            for (; r != NULL && remote <= page->reserved; r = list_next(page, r)) remote++;
            for (uint32_t j = 0; j < page->reserved; j++)
                out += ca_live_is_out(page->start + (size_t)j * page->block_size);
            ca_assert(out + cached + remote <= page->used);                                /* 12 */
        }
    }
}

/* Checks the structure of the heap the caller owns: every queue and the
 * pages in it, every segment's free pages and the dirty bytes. Free lists
 * are walked for one class per call (round robin), to keep it cheap. */
void ca_page_check_heap(ca_heap_t *heap)
{
    static __thread unsigned walk_cls;
    walk_cls = walk_cls % (CA_NCLASS - 1) + 1;
    for (unsigned c = 1; c < CA_NCLASS; c++) {
        ca_pageq_t *q = &heap->queues[c];
        ca_assert((q->first == NULL) == (q->last == NULL));
        if (heap->direct && c <= CA_DIRECT_CLASS_MAX && q->first == NULL)
            ca_assert(heap->direct[ca_class_size(c) / 16] == &ca_page_empty);       /* 5 */
        ca_page_t *prev = NULL;
        for (ca_page_t *p = q->first; p; prev = p, p = p->next) {
            ca_assert(p->prev == prev && p->cls == c);
            check_page(heap, p, true, p == q->first, c == walk_cls);
        }
        ca_assert(q->last == prev);
    }
    size_t dirty = 0;
    uint32_t npages[CA_NCLASS] = {0};
    for (ca_segment_t *seg = heap->segments; seg; seg = seg->all_next) {
        ca_assert(seg->heap == heap);
        uint32_t nfree = 0;
        for (uint32_t i = 0; i < seg->npages; i++) {
            ca_page_t *p = ca_segment_page(seg, i);
            if (p->state == CA_PAGE_INUSE) {
                npages[p->cls]++;
                if (ca_tag_get(p) & CA_TAG_FULL)
                    check_page(heap, p, false, false, false);
                else
                    ca_assert(p->prev != NULL || heap->queues[p->cls].first == p);      /* 5 */
                continue;
            }
            nfree++;
            if (p->state == CA_PAGE_FREE_DIRTY) dirty += p->area;                    /* 8 */
        }
        ca_assert(nfree == seg->nfree && (seg->nfree > 0) == (seg->in_avail != 0));
    }
    ca_assert(dirty == heap->dirty_bytes);                                           /* 8 */
    for (unsigned c = 1; c < CA_NCLASS; c++) ca_assert(npages[c] == heap->npages[c]);
}
#endif
