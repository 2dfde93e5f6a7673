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
    PROBE_TC_VERSION, /* gperftools: const char *tc_version(int*, int*, const char**) */
    PROBE_DPKG       /* the library cannot tell: the version of its Debian package */
};

/* One known allocator, or a configured variant of one: one line of the table
 * in backends.c. */
struct backend_kind {
    const char *name;
    /* NULL: no preload (the C library's own malloc). "lib.so.N": searched in
     * the system library directories. "@lib.so": in the harness's build dir.
     * A path starting with '/': a glob pattern; the highest version that
     * matches (the directories of LLVM's runtime carry version numbers). */
    const char *library;
    const char *marker; /* a symbol only this allocator defines */
    enum version_probe probe;
    /* The symbol the probe calls (NULL: the marker itself), or for
     * PROBE_DPKG the Debian package whose version is recorded. */
    const char *version_from;
    const char *install_hint; /* said when the library is missing */
    bool in_default_run;      /* false: only when named with --backends */
    /* A configured variant: "BASE+ENV=VALUE[+ENV=VALUE...]", the syntax of
     * --backends after "NAME=" (the other fields are then unused). */
    const char *variant;
    /* Chosen by default (not named with --backends), it runs only on the
     * workloads of these suites (space-separated), NULL: on all. */
    const char *home_suites;
};

/* A backend selected for a run. */
struct backend {
    char *name;
    /* The allocator it runs: NULL for a user library of a new name; for a
     * configured backend, its base's kind. */
    const struct backend_kind *kind;
    /* The kind's home_suites where the run chose it by default, else NULL:
     * the cases it runs on (plan_backend_runs). */
    const char *home_suites;
    char *library;                   /* resolved path; NULL for no preload */
    bool missing;
    char *missing_reason;
    /* Environment settings the measured child gets, "ENV=VALUE" each. */
    char **settings;
    size_t setting_count;
    /* A user library's version function (NAME=PATH.so:version=FN), or NULL. */
    char *version_fn;
    /* What the measured child reported, once one has run. */
    char *verified_path;
    char *version;
};

/* The known allocators, in their default order. */
extern const struct backend_kind backend_kinds[];
extern const size_t backend_kind_count;
const struct backend_kind *backend_kind_find(const char *name);

/* Builds a backend from a name ("jemalloc"), a user library ("name=PATH.so")
 * or a configured backend ("name=BASE+ENV=VALUE+...", BASE a known name or a
 * PATH.so); exits with a usage error for an unknown name or a bad spec. */
struct backend *backend_from_spec(const char *spec);

/* In the forked child, just before it execs the measured process: puts the
 * backend's settings into the environment (and, for the verification and
 * for the commands a real-program workload runs outside the backend, which
 * base it configures and which variables are its settings). */
void backend_export_settings(const struct backend *b);
/* In a command that must not run under the backend (a program's glibc
 * reference, a server's load client): removes the backend's settings from
 * the environment again. */
void backend_unexport_settings(void);

/* Inside the measured child, before the workload: checks that malloc, free,
 * calloc and realloc resolve into `library` (or into the C library when it is
 * NULL) and that the marker symbol resolves there too. On success fills
 * `version` and `actual_path` and returns true; on failure writes why into
 * `why` and returns false. */
bool backend_verify(const char *name, const char *library, char *actual_path,
                    size_t actual_size, char *version, size_t version_size,
                    char *why, size_t why_size);

#endif
