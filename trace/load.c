/* The trace loader (trace/load.h): three passes over the mapped file, all
 * through one record decoder. The first checks the syntax and that END
 * agrees with what precedes it; the second counts each thread's operations;
 * the third lays them out, checks that every id is used as a block's life
 * allows (made while not live, resized, sized or freed while live), and
 * links each operation to the one of another thread that it must follow. */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

static void *map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

const char *trace_kind_name(unsigned kind)
{
    static const char *const names[] = {
        [TRACE_MALLOC] = "malloc",          [TRACE_CALLOC] = "calloc",
        [TRACE_REALLOC] = "realloc",        [TRACE_FREE] = "free",
        [TRACE_POSIX_MEMALIGN] = "posix_memalign", [TRACE_ALIGNED_ALLOC] = "aligned_alloc",
        [TRACE_MEMALIGN] = "memalign",      [TRACE_VALLOC] = "valloc",
        [TRACE_PVALLOC] = "pvalloc",        [TRACE_USABLE_SIZE] = "malloc_usable_size",
        [TRACE_THREAD] = "thread",          [TRACE_END] = "end",
    };
    return kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "?";
}

/* ---- The record decoder ---- */

struct cursor {
    const unsigned char *p, *start, *end;
    uint32_t thread; /* of the records being read (THREAD switches it) */
};

struct record {
    unsigned kind;
    uint64_t f[4]; /* the kind's fields in order (format.h) */
    size_t offset; /* of its kind byte */
};

/* Reads the next record other than THREAD. Returns 1 for an operation, 0 for
 * END, -1 with a reason. */
static int next_record(struct cursor *c, struct record *r, char *why, size_t why_size)
{
    for (;;) {
        r->offset = (size_t)(c->p - c->start);
        if (c->p == c->end)
            return fail(why, why_size,
                        "cut short after %zu bytes: no END record (the recorded process was "
                        "killed by SIGKILL, or exec'd another program, before its trace was "
                        "finished)",
                        r->offset);
        r->kind = *c->p++;
        int n = trace_fields(r->kind);
        if (n < 0)
            return fail(why, why_size, "corrupt: unknown record kind %u at byte %zu", r->kind,
                        r->offset);
        for (int i = 0; i < n; i++)
            if (!trace_get_varint(&c->p, c->end, &r->f[i]))
                return fail(why, why_size,
                            c->p == c->end ? "cut short in a %s record at byte %zu"
                                           : "corrupt: an overlong number in a %s record at byte %zu",
                            trace_kind_name(r->kind), r->offset);
        if (r->kind == TRACE_END)
            return 0;
        if (r->kind != TRACE_THREAD)
            return 1;
        if (r->f[0] >= UINT32_MAX)
            return fail(why, why_size, "corrupt: thread %llu at byte %zu",
                        (unsigned long long)r->f[0], r->offset);
        c->thread = (uint32_t)r->f[0];
    }
}

/* ---- Pass 1: header, syntax, END ---- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_header(struct trace *t, struct cursor *c, char *why, size_t why_size)
{
    size_t size = (size_t)(c->end - c->start);
    if (size < TRACE_MAGIC_LEN || memcmp(c->start, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0)
        return fail(why, why_size, "not a trace (no %s magic at its start)", TRACE_MAGIC);
    if (size < TRACE_FIXED_HEADER + 1)
        return fail(why, why_size, "cut short in its header (%zu bytes)", size);
    uint32_t version = le32(c->start + 8);
    if (version != TRACE_VERSION)
        return fail(why, why_size, "trace format version %u; this build reads version %u",
                    version, TRACE_VERSION);
    t->page_size = le32(c->start + 12);
    if (t->page_size == 0 || (t->page_size & (t->page_size - 1)))
        return fail(why, why_size, "corrupt header: page size %u", t->page_size);
    c->p = c->start + TRACE_FIXED_HEADER;
    uint64_t len;
    if (!trace_get_varint(&c->p, c->end, &len) || len > TRACE_NAME_MAX ||
        len > (uint64_t)(c->end - c->p))
        return fail(why, why_size, "corrupt header: bad program name");
    memcpy(t->name, c->p, len);
    t->name[len] = '\0';
    c->p += len;
    return 0;
}

static int scan(struct trace *t, struct cursor c, char *why, size_t why_size)
{
    struct record r;
    uint64_t ops = 0, max_id = 0;
    uint32_t max_thread = 0;
    int k;
    while ((k = next_record(&c, &r, why, why_size)) == 1) {
        ops++;
        if (r.f[0] > max_id)
            max_id = r.f[0];
        if (c.thread > max_thread)
            max_thread = c.thread;
    }
    if (k < 0)
        return -1;
    if (c.p != c.end)
        return fail(why, why_size, "corrupt: %zu bytes after the END record",
                    (size_t)(c.end - c.p));
    uint64_t threads = ops ? (uint64_t)max_thread + 1 : 0, ids = ops ? max_id + 1 : 0;
    if (r.f[0] != ops || r.f[1] != threads || r.f[2] != ids)
        return fail(why, why_size,
                    "corrupt: END says %llu operations, %llu threads, %llu ids; the records "
                    "hold %llu, %llu, %llu",
                    (unsigned long long)r.f[0], (unsigned long long)r.f[1],
                    (unsigned long long)r.f[2], (unsigned long long)ops,
                    (unsigned long long)threads, (unsigned long long)ids);
    if (ops >= UINT32_MAX || r.f[2] >= UINT32_MAX)
        return fail(why, why_size, "too large: %llu operations, %llu ids (the limit is 2^32)",
                    (unsigned long long)ops, (unsigned long long)r.f[2]);
    t->ops = ops;
    t->threads = (uint32_t)threads;
    t->ids = (uint32_t)r.f[2];
    t->signal = (uint32_t)r.f[3];
    return 0;
}

/* ---- Passes 2 and 3: layout, lives, cross-thread links ---- */

struct id_state {
    uint64_t size;     /* while live */
    uint32_t last;     /* 1 + seq of the id's latest operation; 0: none yet */
    uint32_t thread;   /* that operation's thread */
    bool live;
};

static bool makes_block(unsigned kind)
{
    return kind != TRACE_FREE && kind != TRACE_USABLE_SIZE;
}

/* log2 of the alignment a replay asks for: the recorded one rounded up to a
 * power of two (memalign accepts any), at least 8 (posix_memalign's least). */
static int align_shift(const struct record *r, uint32_t page_size)
{
    uint64_t align = r->kind == TRACE_VALLOC || r->kind == TRACE_PVALLOC ? page_size
                     : trace_kind_aligned(r->kind)                       ? r->f[2]
                                                                         : 0;
    int shift = 3;
    while (shift < 63 && ((uint64_t)1 << shift) < align)
        shift++;
    return shift;
}

static int lay_out(struct trace *t, struct cursor c, char *why, size_t why_size)
{
    t->thread_bytes = (t->threads ? t->threads : 1) * sizeof *t->thread;
    t->ops_bytes = (t->ops ? t->ops : 1) * sizeof(struct trace_op);
    size_t id_bytes = (t->ids ? t->ids : 1) * sizeof(struct id_state);
    t->thread = t->thread_map = map_zeroed(t->thread_bytes);
    t->ops_map = map_zeroed(t->ops_bytes);
    struct id_state *ids = map_zeroed(id_bytes);
    uint64_t *fill = map_zeroed(t->thread_bytes);
    if (!t->thread || !t->ops_map || !ids || !fill) {
        if (ids)
            munmap(ids, id_bytes);
        if (fill)
            munmap(fill, t->thread_bytes);
        return fail(why, why_size, "no memory for %llu operations", (unsigned long long)t->ops);
    }

    struct record r;
    struct cursor count = c;
    while (next_record(&count, &r, why, why_size) == 1)
        t->thread[count.thread].count++;
    struct trace_op *ops = t->ops_map;
    for (uint64_t i = 0, at = 0; i < t->threads; at += t->thread[i++].count) {
        t->thread[i].ops = ops + at;
        fill[i] = at; /* where thread i's next operation goes */
    }

    /* The scan checked the syntax and that every id is below END's count. */
    int rc = 0;
    uint64_t live_bytes = 0;
    for (uint32_t seq = 0; next_record(&c, &r, why, why_size) == 1; seq++) {
        struct id_state *s = &ids[r.f[0]];
        bool may = r.kind == TRACE_REALLOC || (makes_block(r.kind) ? !s->live : s->live);
        if (!may) {
            rc = fail(why, why_size, "corrupt: %s of id %llu at byte %zu, which is %s",
                      trace_kind_name(r.kind), (unsigned long long)r.f[0], r.offset,
                      s->live ? "live" : "not live");
            break;
        }
        struct trace_op *op = &ops[fill[c.thread]++];
        *op = (struct trace_op){.size = makes_block(r.kind) ? r.f[1] : s->size,
                                .id = (uint32_t)r.f[0],
                                .seq = seq,
                                .kind = (uint8_t)r.kind,
                                .align_shift = (uint8_t)align_shift(&r, t->page_size)};
        if (s->last && s->thread != c.thread) {
            op->after = s->last;
            t->cross_thread++;
        }
        s->last = seq + 1;
        s->thread = c.thread;
        if (makes_block(r.kind)) {
            live_bytes += r.f[1] - (s->live ? s->size : 0);
            s->size = r.f[1];
            s->live = true;
        } else if (r.kind == TRACE_FREE) {
            live_bytes -= s->size;
            s->live = false;
        }
        if (live_bytes > t->peak_live_bytes)
            t->peak_live_bytes = live_bytes;
    }
    munmap(ids, id_bytes);
    munmap(fill, t->thread_bytes);
    return rc;
}

/* ---- The entry points ---- */

int trace_load(const char *path, struct trace *t, char *why, size_t why_size)
{
    *t = (struct trace){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(why, why_size, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (!regular || st.st_size == 0) {
        close(fd);
        return fail(why, why_size, "%s is %s", path, regular ? "empty" : "not a regular file");
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return fail(why, why_size, "cannot map %s: %s", path, strerror(errno));
    struct cursor c = {.start = map, .end = map + size};
    int rc = read_header(t, &c, why, why_size) == 0 && scan(t, c, why, why_size) == 0 &&
                     lay_out(t, c, why, why_size) == 0
                 ? 0
                 : -1;
    /* Decoded: the file is not needed any more (nor counted in a replay's RSS). */
    munmap((void *)map, size);
    if (rc != 0)
        trace_unload(t);
    return rc;
}

void trace_unload(struct trace *t)
{
    if (t->ops_map)
        munmap(t->ops_map, t->ops_bytes);
    if (t->thread_map)
        munmap(t->thread_map, t->thread_bytes);
    *t = (struct trace){0};
}
