/* init.c: process and thread life. The process is set up on the first
 * allocation (or by the constructor, whichever comes first); a thread gets
 * its heap on its first allocation (or on its first free into a page that a
 * dead thread with its thread pointer left behind) and abandons it in a
 * TLS-key destructor at exit; fork takes every lock before and releases them
 * after, in both processes.
 *
 * Nothing on these paths calls libc's malloc or anything that might:
 * pthread_key_create and pthread_atfork do not allocate for the first
 * handful of keys and handlers, getenv does not, and pthread_setspecific
 * (which may call calloc for keys >= 32) runs after the heap is installed,
 * so a nested call simply uses it. */
#include "internal.h"

__thread ca_tld_t ca_tld __attribute__((tls_model("initial-exec"))) = {
    .direct = {[0 ... CA_DIRECT_COUNT - 1] = &ca_page_empty},
    .heap = NULL,
};

static pthread_key_t thread_key;
static _Atomic int process_state;     /* 0 not started, 1 running init, 2 done */

/* ---------------------------------------------------------------------------
 * Fork: every lock, in one order (heaps, segment cache, large arena,
 * metadata), so a
 * child of a multi-threaded process never inherits a held lock.
 * ------------------------------------------------------------------------- */
static void fork_prepare(void)
{
    ca_heap_fork_prepare();
    pthread_mutex_lock(&ca_segment_cache.lock);
    ca_large_lock();
    ca_meta_lock();
}

static void unlock_below_heaps(void)
{
    ca_meta_unlock();
    ca_large_unlock();
    pthread_mutex_unlock(&ca_segment_cache.lock);
}

static void fork_parent(void)
{
    unlock_below_heaps();
    ca_heap_fork_parent();
}

static void fork_child(void)
{
    unlock_below_heaps();
    ca_heap_fork_child(ca_tld.heap);
}

/* ---------------------------------------------------------------------------
 * Process and thread start, thread exit
 * ------------------------------------------------------------------------- */
static void thread_done(void *value);

static void process_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&process_state, &expected, 1)) {
        /* Another thread is initialising: go on (it never allocates from us
         * while doing so, so nothing depends on its finishing first). A
         * nested call from this very thread sees state 1 and goes on. */
        return;
    }
    ca_os_page_size();
    ca_stats_init();
    pthread_key_create(&thread_key, thread_done);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atomic_store(&process_state, 2);
}

__attribute__((constructor)) static void init_at_load(void)
{
    process_init();
}

/* Makes the calling thread's heap (adopted or new) its own: the TLS direct
 * array points into its queues and every page carries the thread pointer.
 * NULL without memory. */
ca_heap_t *ca_init_thread(void)
{
    if (atomic_load_explicit(&process_state, memory_order_acquire) == 0) process_init();
    if (unlikely(ca_thread_tp() & CA_TAG_FLAGS)) ca_os_fatal("thread pointer not 16-byte aligned", (void *)ca_thread_tp());
    ca_heap_t *heap = ca_heap_acquire(ca_thread_tp());
    if (heap == NULL) return NULL;
    heap->direct = ca_tld.direct;
    ca_heap_retag(heap, heap->tp);
    ca_tld.heap = heap;
    for (unsigned c = 1; c <= CA_DIRECT_CLASS_MAX; c++) ca_page_set_direct(heap, c);
    if (atomic_load_explicit(&process_state, memory_order_acquire) == 2)
        pthread_setspecific(thread_key, heap);
    return heap;
}

/* Thread exit (key destructor). Frees that arrive after this (other
 * destructors) find pages with no owner and take the remote path;
 * allocations get large blocks (ca_tld.exiting), so the thread never dies
 * owning a heap unless its first allocation came after its destructors'
 * last round (see heap.c, heap_left_by). */
static void thread_done(void *value)
{
    ca_heap_t *heap = value;
    ca_tld.exiting = true;
    if (heap == NULL || heap != ca_tld.heap) return;
    ca_heap_abandon(heap);
    ca_tld.heap = NULL;
    for (unsigned d = 0; d < CA_DIRECT_COUNT; d++) ca_tld.direct[d] = &ca_page_empty;
}
