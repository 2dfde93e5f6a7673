/* The trace loader: reads a trace file (trace/format.h), checks it whole,
 * and lays its operations out for a replay: one array per recorded thread,
 * in that thread's order, each operation knowing which operation of another
 * thread it must wait for. Everything it keeps is mmap'd, so loading a trace
 * makes no call to the allocator under test. */
#ifndef TRACE_LOAD_H
#define TRACE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct trace_op {
    uint64_t size;       /* bytes asked for (calloc: nmemb * size) */
    uint32_t id;         /* the block's slot, 0..ids-1 */
    uint32_t seq;        /* this operation's place in the global order */
    uint32_t after;      /* 0, or 1 + seq of the operation on the same id that
                          * precedes this one, when another thread made it */
    uint8_t kind;        /* enum trace_kind (never THREAD or END) */
    uint8_t align_shift; /* aligned kinds: log2 of the alignment, at least 3 */
};

struct trace_thread {
    const struct trace_op *ops;
    uint64_t count;
};

struct trace {
    char name[TRACE_NAME_MAX + 1]; /* the recorded program's short name */
    uint32_t page_size;            /* of the recording machine */
    uint32_t threads, ids;
    uint64_t ops;
    uint32_t signal;               /* the fatal signal that ended the recording, or 0 */
    uint64_t peak_live_bytes;      /* most bytes live at once, in the recorded order */
    uint64_t cross_thread;         /* operations that wait for another thread's */
    struct trace_thread *thread;   /* threads of them */
    /* The mappings behind it all, for trace_unload. */
    void *ops_map, *thread_map;
    size_t ops_bytes, thread_bytes;
};

/* Loads `path`. Returns 0, or -1 with a one-line reason in `why` (the file
 * cannot be read, is not a trace, is of another version, was cut short, or
 * is corrupt: each says where). */
int trace_load(const char *path, struct trace *t, char *why, size_t why_size);
void trace_unload(struct trace *t);

/* The name of a record kind, e.g. "malloc", "posix_memalign". */
const char *trace_kind_name(unsigned kind);

#endif
