/* Allocator backends: the table of known allocators, finding their
 * libraries, and (inside the measured child) proving which one really runs.
 * Adding an allocator is one line in backend_kinds[]. */
#include "backends.h"
#include "util.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BENCH_MULTIARCH
#define BENCH_MULTIARCH "x86_64-linux-gnu"
#endif

/* The per-bin-lock article variant runs only when named: the default run
 * keeps to one reproduction of the article's design, and to 10 minutes. */
const struct backend_kind backend_kinds[] = {
    /* name       library                       marker                  probe             install hint                           default */
    {"glibc",    NULL,                          "gnu_get_libc_version", PROBE_STRING_FN,  "part of the C library",               true},
    {"jemalloc", "libjemalloc.so.2",            "mallctl",              PROBE_MALLCTL,    "Debian package libjemalloc2",         true},
    {"mimalloc", "libmimalloc.so.2",            "mi_version",           PROBE_INT_FN,     "Debian package libmimalloc2.0",       true},
    {"tcmalloc", "libtcmalloc_minimal.so.4",    "tc_version",           PROBE_TC_VERSION, "Debian package libtcmalloc-minimal4", true},
    {"custom",   "@libcustomalloc.so",          "customalloc_version",  PROBE_STRING_FN,  "run `make` to build it",              true},
    {"article",  "@libarticlealloc.so",         "articlealloc_version", PROBE_STRING_FN,  "run `make` to build it",              true},
    {"article-binlock", "@libarticlealloc-binlock.so", "articlealloc_version", PROBE_STRING_FN, "run `make` to build it",        false},
};
const size_t backend_kind_count = sizeof backend_kinds / sizeof backend_kinds[0];

const struct backend_kind *backend_kind_find(const char *name)
{
    for (size_t i = 0; i < backend_kind_count; i++)
        if (strcmp(backend_kinds[i].name, name) == 0)
            return &backend_kinds[i];
    return NULL;
}

/* ---- Finding libraries (parent side) ---- */

static char *find_system_library(const char *file)
{
    static const char *const dirs[] = {
        "/usr/lib/" BENCH_MULTIARCH, "/lib/" BENCH_MULTIARCH, "/usr/local/lib",
        "/usr/lib", "/usr/lib64", "/lib64",
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *path = xasprintf("%s/%s", dirs[i], file);
        if (access(path, R_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

static bool valid_backend_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *c = name; *c; c++)
        if (!(('a' <= *c && *c <= 'z') || ('A' <= *c && *c <= 'Z') ||
              ('0' <= *c && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

struct backend *backend_from_spec(const char *spec)
{
    struct backend *b = calloc(1, sizeof *b);
    const char *eq = strchr(spec, '=');
    if (eq) {
        b->name = xasprintf("%.*s", (int)(eq - spec), spec);
        if (!valid_backend_name(b->name))
            usage_error("backend name '%s' in '%s': use letters, digits, '_', '-' and '.'",
                        b->name, spec);
        if (!eq[1])
            usage_error("backend '%s' names no library (expected NAME=PATH.so)", b->name);
        b->kind = backend_kind_find(b->name);
        char resolved[PATH_MAX];
        if (realpath(eq + 1, resolved)) {
            b->library = xstrdup(resolved);
        } else {
            b->library = xstrdup(eq + 1);
            b->missing = true;
            b->missing_reason = xasprintf("%s: no such file", eq + 1);
        }
        return b;
    }
    b->name = xstrdup(spec);
    b->kind = backend_kind_find(spec);
    if (!b->kind) {
        char *known = NULL;
        for (size_t i = 0; i < backend_kind_count; i++)
            append_name(&known, backend_kinds[i].name);
        usage_error("unknown backend '%s' (known: %s; or NAME=PATH.so)", spec, known);
    }
    const char *lib = b->kind->library;
    if (!lib)
        return b;
    if (lib[0] == '@') {
        b->library = xasprintf("%s/%s", exe_dir(), lib + 1);
        if (access(b->library, R_OK) != 0) {
            b->missing = true;
            b->missing_reason = xasprintf("%s not found (%s)", b->library, b->kind->install_hint);
        }
    } else {
        b->library = find_system_library(lib);
        if (!b->library) {
            b->library = xstrdup(lib);
            b->missing = true;
            b->missing_reason = xasprintf("%s not found (%s)", lib, b->kind->install_hint);
        }
    }
    return b;
}

/* ---- Verification (child side) ---- */

/* The real path of the object that defines `symbol` in this process. */
static bool object_of(void *symbol, char *path, size_t size)
{
    Dl_info info;
    if (!symbol || !dladdr(symbol, &info) || !info.dli_fname)
        return false;
    char resolved[PATH_MAX];
    const char *name = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    snprintf(path, size, "%s", name);
    return true;
}

static void read_version(enum version_probe probe, void *marker, char *out, size_t size)
{
    switch (probe) {
    case PROBE_STRING_FN: {
        const char *(*fn)(void) = (const char *(*)(void))marker;
        snprintf(out, size, "%s", fn());
        return;
    }
    case PROBE_MALLCTL: {
        int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
            (int (*)(const char *, void *, size_t *, void *, size_t))marker;
        const char *v = NULL;
        size_t len = sizeof v;
        if (mallctl("version", &v, &len, NULL, 0) == 0 && v)
            snprintf(out, size, "%s", v);
        else
            snprintf(out, size, "unknown");
        return;
    }
    case PROBE_INT_FN: {
        int (*fn)(void) = (int (*)(void))marker;
        int v = fn();
        snprintf(out, size, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
        return;
    }
    case PROBE_TC_VERSION: {
        const char *(*fn)(int *, int *, const char **) =
            (const char *(*)(int *, int *, const char **))marker;
        int major = 0, minor = 0;
        const char *patch = NULL;
        snprintf(out, size, "%s", fn(&major, &minor, &patch));
        return;
    }
    case PROBE_NONE:
        break;
    }
    snprintf(out, size, "unknown (no marker symbol)");
}

bool backend_verify(const char *name, const char *library, char *actual_path,
                    size_t actual_size, char *version, size_t version_size,
                    char *why, size_t why_size)
{
    const struct backend_kind *kind = backend_kind_find(name);
    char expected[PATH_MAX];
    if (library) {
        if (!realpath(library, expected))
            snprintf(expected, sizeof expected, "%s", library);
    } else if (!object_of((void *)gnu_get_libc_version, expected, sizeof expected)) {
        snprintf(why, why_size, "cannot locate the C library with dladdr");
        return false;
    }

    static const char *const entry_points[] = {"malloc", "free", "calloc", "realloc"};
    for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; i++) {
        char where[PATH_MAX];
        if (!object_of(dlsym(RTLD_DEFAULT, entry_points[i]), where, sizeof where)) {
            snprintf(why, why_size, "dladdr cannot locate %s", entry_points[i]);
            return false;
        }
        if (strcmp(where, expected) != 0) {
            snprintf(why, why_size, "%s resolves to %s, not to %s (LD_PRELOAD=%s)",
                     entry_points[i], where, expected,
                     getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
            return false;
        }
        if (i == 0)
            snprintf(actual_path, actual_size, "%s", where);
    }

    if (!kind || !kind->marker) {
        read_version(PROBE_NONE, NULL, version, version_size);
        return true;
    }
    void *marker = dlsym(RTLD_DEFAULT, kind->marker);
    char where[PATH_MAX];
    if (!object_of(marker, where, sizeof where)) {
        snprintf(why, why_size, "marker symbol %s of %s is not defined in this process",
                 kind->marker, name);
        return false;
    }
    if (strcmp(where, expected) != 0) {
        snprintf(why, why_size, "marker symbol %s resolves to %s, not to %s", kind->marker,
                 where, expected);
        return false;
    }
    read_version(kind->probe, marker, version, version_size);
    return true;
}
