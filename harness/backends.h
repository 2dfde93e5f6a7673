/* Allocator backends: the table of known allocators, finding their
 * libraries, and (inside the measured child) proving which one really runs. */
#ifndef BENCH_BACKENDS_H
#define BENCH_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

/* How to ask an allocator for its version, through its marker symbol. */
enum version_probe {
    PROBE_NONE,      /* unknown library: no marker, no version */
    PROBE_STRING_FN, /* const char *marker(void) */
    PROBE_MALLCTL,   /* jemalloc: mallctl("version", ...) */
    PROBE_INT_FN,    /* mimalloc: int marker(void), e.g. 209 for 2.0.9 */
    PROBE_TC_VERSION /* gperftools: const char *tc_version(int*, int*, const char**) */
};

/* One known allocator: one line of the table in backends.c. */
struct backend_kind {
    const char *name;
    /* NULL: no preload (the C library's own malloc). "lib.so.N": searched in
     * the system library directories. "@lib.so": in the harness's build dir. */
    const char *library;
    const char *marker; /* a symbol only this allocator defines */
    enum version_probe probe;
    const char *install_hint; /* said when the library is missing */
    bool in_default_run;      /* false: only when named with --backends */
};

/* A backend selected for a run. */
struct backend {
    char *name;
    const struct backend_kind *kind; /* NULL for a user library of a new name */
    char *library;                   /* resolved path; NULL for no preload */
    bool missing;
    char *missing_reason;
    /* What the measured child reported, once one has run. */
    char *verified_path;
    char *version;
};

/* The known allocators, in their default order. */
extern const struct backend_kind backend_kinds[];
extern const size_t backend_kind_count;
const struct backend_kind *backend_kind_find(const char *name);

/* Builds a backend from a name ("jemalloc") or a user spec ("name=PATH.so");
 * exits with a usage error for an unknown name or a bad spec. */
struct backend *backend_from_spec(const char *spec);

/* Inside the measured child, before the workload: checks that malloc, free,
 * calloc and realloc resolve into `library` (or into the C library when it is
 * NULL) and that the marker symbol resolves there too. On success fills
 * `version` and `actual_path` and returns true; on failure writes why into
 * `why` and returns false. */
bool backend_verify(const char *name, const char *library, char *actual_path,
                    size_t actual_size, char *version, size_t version_size,
                    char *why, size_t why_size);

#endif
