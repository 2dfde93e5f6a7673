/* The allocation trace file format, written by the tracer (trace/tracer.c)
 * and read by the loader (trace/load.c). This comment is its definition.
 *
 * A trace is a header followed by a stream of records, in the global order
 * in which the traced process made its calls (the order the tracer's lock
 * admitted them). All integers after the fixed header are unsigned LEB128
 * varints (7 bits a byte, low group first, high bit set on all but the last
 * byte), so small ids and sizes take one or two bytes.
 *
 *   header   8 bytes   magic "ALLOCTRC"
 *            4 bytes   version, little-endian (TRACE_VERSION)
 *            4 bytes   page size of the recording machine, little-endian
 *            varint n, then n bytes: the program's short name (no NUL)
 *   records  one kind byte, then the kind's varint fields:
 *     MALLOC          id size
 *     CALLOC          id size          (size: nmemb * size, the bytes asked for)
 *     REALLOC         id size          (id live: its block is resized or moved and
 *                                       keeps the id; id not live: realloc(NULL, size))
 *     FREE            id
 *     POSIX_MEMALIGN  id size align
 *     ALIGNED_ALLOC   id size align
 *     MEMALIGN        id size align
 *     VALLOC          id size
 *     PVALLOC         id size
 *     USABLE_SIZE     id               (malloc_usable_size of a live block)
 *     THREAD          t                (the records that follow were made by
 *                                       thread t; before the first, thread 0)
 *     END             ops threads ids signal
 *   END is the last record and nothing follows it: ops counts the records
 *   before it other than THREAD, threads the thread numbers used (0..threads-1,
 *   numbered in the order of each thread's first record), ids the object ids
 *   used (0..ids-1), signal the fatal signal that ended the process (0: it
 *   exited). A file without END was cut short (the process died without a
 *   chance to finish it: SIGKILL, or an exec).
 *
 * Object ids are dense: an id names one live block, from the call that
 * returned it to the FREE that ends it (a realloc keeps it; a realloc(p, 0)
 * that freed p is recorded as FREE), and is then free for reuse by a later
 * block, the most recently freed first; so the ids in use never exceed the
 * peak number of live blocks, and a replay keeps one slot per id. Calls that
 * failed (returned NULL or an error) and free(NULL) are not recorded, nor
 * calls on pointers the tracer never saw returned. When the allocator returns
 * an address the trace still holds live (its block ended by a path the tracer
 * does not see), a FREE of the old id comes first. */
#ifndef TRACE_FORMAT_H
#define TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC "ALLOCTRC"
#define TRACE_MAGIC_LEN 8
#define TRACE_VERSION 1u
#define TRACE_FIXED_HEADER 16 /* magic, version, page size */
#define TRACE_NAME_MAX 64     /* longest program name the tracer writes */

enum trace_kind {
    TRACE_MALLOC = 1,
    TRACE_CALLOC,
    TRACE_REALLOC,
    TRACE_FREE,
    TRACE_POSIX_MEMALIGN,
    TRACE_ALIGNED_ALLOC,
    TRACE_MEMALIGN,
    TRACE_VALLOC,
    TRACE_PVALLOC,
    TRACE_USABLE_SIZE,
    TRACE_THREAD,
    TRACE_END,
};

/* The kinds that ask for an alignment (valloc and pvalloc: a page). */
static inline int trace_kind_aligned(unsigned kind)
{
    return kind >= TRACE_POSIX_MEMALIGN && kind <= TRACE_PVALLOC;
}

/* Longest record: a kind byte and four 64-bit varints (10 bytes each). */
#define TRACE_RECORD_MAX (1 + 4 * 10)

/* Appends v as a varint at p; returns the byte after it. */
static inline unsigned char *trace_put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* Reads a varint from [*p, end); advances *p. Returns 0 when the varint runs
 * past end or past 64 bits (a cut or corrupt file), 1 otherwise. */
static inline int trace_get_varint(const unsigned char **p, const unsigned char *end,
                                   uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        if (shift == 63 && b > 1)
            return 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

/* How many varint fields follow a kind byte; -1 for an unknown kind. */
static inline int trace_fields(unsigned kind)
{
    switch (kind) {
    case TRACE_FREE:
    case TRACE_USABLE_SIZE:
    case TRACE_THREAD:
        return 1;
    case TRACE_MALLOC:
    case TRACE_CALLOC:
    case TRACE_REALLOC:
    case TRACE_VALLOC:
    case TRACE_PVALLOC:
        return 2;
    case TRACE_POSIX_MEMALIGN:
    case TRACE_ALIGNED_ALLOC:
    case TRACE_MEMALIGN:
        return 3;
    case TRACE_END:
        return 4;
    default:
        return -1;
    }
}

#endif
