/* Allocator backends: the table of known allocators, finding their
 * libraries, and (inside the measured child) proving which one really runs.
 * Adding an allocator is one line in backend_kinds[]. */
#include "backends.h"
#include "program.h"
#include "util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <glob.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BENCH_MULTIARCH
#define BENCH_MULTIARCH "x86_64-linux-gnu"
#endif
#ifndef BENCH_CPU
#define BENCH_CPU "x86_64"
#endif

/* The per-bin-lock article variant runs only when named: the default run
 * keeps to one reproduction of the article's design, and runs it on the
 * article's workloads (its table is what it is for) and the misuse cases
 * (a few seconds) alone: on the library and the programs it is a toy that
 * took a quarter of a full run, perl at 9 times and mixed sizes at 40
 * times the others' time. tcmalloc-full's marker
 * is a heap-profiler entry point that only the full gperftools library
 * defines (tc_version is in both); tbbmalloc's is in its proxy, the library
 * that replaces malloc (scalable_malloc and the rest live in libtbbmalloc,
 * which the proxy loads); neither tbbmalloc nor scudo reports a version, so
 * the version of the Debian package is recorded. scudo is the hardened
 * allocator of LLVM 14's compiler-rt, in a directory named for the exact
 * LLVM version. */
const struct backend_kind backend_kinds[] = {
    /* name          library                       marker                  probe             version from   install hint                           default, variant, home suites */
    {"glibc",        NULL,                         "gnu_get_libc_version", PROBE_STRING_FN,  NULL,          "part of the C library",               true, NULL, NULL},
    {"jemalloc",     "libjemalloc.so.2",           "mallctl",              PROBE_MALLCTL,    NULL,          "Debian package libjemalloc2",         true, NULL, NULL},
    {"mimalloc",     "libmimalloc.so.2",           "mi_version",           PROBE_INT_FN,     NULL,          "Debian package libmimalloc2.0",       true, NULL, NULL},
    {"tcmalloc",     "libtcmalloc_minimal.so.4",   "tc_version",           PROBE_TC_VERSION, NULL,          "Debian package libtcmalloc-minimal4", true, NULL, NULL},
    {"tcmalloc-full", "libtcmalloc.so.4",          "HeapProfilerStart",    PROBE_TC_VERSION, "tc_version",  "Debian package libgoogle-perftools4", true, NULL, NULL},
    {"tbbmalloc",    "libtbbmalloc_proxy.so.2",    "__TBB_malloc_proxy",   PROBE_DPKG,       "libtbbmalloc2", "Debian package libtbbmalloc2",      true, NULL, NULL},
    {"scudo",        "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-" BENCH_CPU ".so",
                                                   "__scudo_print_stats",  PROBE_DPKG,       "libclang-rt-14-dev", "Debian package libclang-rt-14-dev", true, NULL, NULL},
    {"custom",       "@libcustomalloc.so",         "customalloc_version",  PROBE_STRING_FN,  NULL,          "run `make` to build it",              true, NULL, NULL},
    {"custom-hardened", "@libcustomalloc-hardened.so", "customalloc_hardened", PROBE_STRING_FN, NULL,      "run `make` to build it",              false, NULL, NULL},
    {"article",      "@libarticlealloc.so",        "articlealloc_version", PROBE_STRING_FN,  NULL,          "run `make` to build it",              true, NULL, "article security"},
    {"article-binlock", "@libarticlealloc-binlock.so", "articlealloc_version", PROBE_STRING_FN, NULL,       "run `make` to build it",              false, NULL, NULL},
    /* Configured variants: a base and its environment settings, in the
     * syntax of --backends; they run only when named. mimalloc 2.0 (Debian
     * 12) calls purging "decommit" (2.1 renamed decommit_delay to
     * purge_delay and still reads the old name). */
    {"jemalloc-bg",    .variant = "jemalloc+MALLOC_CONF=background_thread:true"},
    {"glibc-1arena",   .variant = "glibc+GLIBC_TUNABLES=glibc.malloc.arena_max=1"},
    {"mimalloc-eager", .variant = "mimalloc+MIMALLOC_DECOMMIT_DELAY=0+MIMALLOC_SEGMENT_DECOMMIT_DELAY=0"},
    {"custom-stats",   .variant = "custom+CUSTOMALLOC_STATS=1"},
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

/* The match of a glob pattern with the highest version numbers in it. */
static char *find_library_pattern(const char *pattern)
{
    glob_t g;
    char *best = NULL;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (!best || strverscmp(g.gl_pathv[i], best) > 0)
                best = g.gl_pathv[i];
        best = best ? xstrdup(best) : NULL;
        globfree(&g);
    }
    return best;
}

/* Not empty, and only letters, digits, '_' and the characters of `extra`. */
static bool made_of(const char *s, size_t len, const char *extra)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && !(s[i] && strchr(extra, s[i])))
            return false;
    return true;
}

static bool valid_backend_name(const char *name)
{
    return made_of(name, strlen(name), "-.");
}

static bool valid_env_name(const char *name, size_t len)
{
    return made_of(name, len, "") && !isdigit((unsigned char)name[0]);
}

/* The environment variables through which the measured child learns which
 * base a configured backend configures (for its marker) and which variables
 * are its settings (for the commands that run outside the backend). */
#define BASE_ENV "BENCH_BACKEND_BASE"
#define SETTINGS_ENV "BENCH_BACKEND_SETTINGS"
#define VERSION_FN_ENV "BENCH_BACKEND_VERSION_FN"

/* Adds "ENV=VALUE" to b's settings; a later value of the same variable
 * replaces an earlier one (a variant of a variant). */
static void add_setting(struct backend *b, const char *setting, const char *spec)
{
    const char *eq = strchr(setting, '=');
    size_t len = eq ? (size_t)(eq - setting) : strlen(setting);
    if (!eq || !valid_env_name(setting, len))
        usage_error("setting '%s' of backend '%s' in '%s' is not ENV=VALUE", setting, b->name,
                    spec);
    static const char *const reserved[] = {"LD_PRELOAD", BASE_ENV, SETTINGS_ENV, VERSION_FN_ENV,
                                           PROBE_FILE_ENV};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == len && strncmp(setting, reserved[i], len) == 0)
            usage_error("backend '%s' in '%s' may not set %s: the harness sets it", b->name, spec,
                        reserved[i]);
    for (size_t i = 0; i < b->setting_count; i++)
        if (strncmp(b->settings[i], setting, len + 1) == 0) {
            free(b->settings[i]);
            b->settings[i] = xstrdup(setting);
            return;
        }
    b->settings = xrealloc(b->settings, (b->setting_count + 1) * sizeof *b->settings);
    b->settings[b->setting_count++] = xstrdup(setting);
}

static _Noreturn void unknown_backend(const char *what, const char *spec)
{
    char *known = NULL;
    for (size_t i = 0; i < backend_kind_count; i++)
        append_name(&known, backend_kinds[i].name);
    usage_error("unknown %s '%s' (known: %s; or NAME=PATH.so, or NAME=BASE+ENV=VALUE)", what,
                spec, known);
}

/* NAME=TARGET[+ENV=VALUE...]: TARGET is a known backend (the base) or a
 * library path. */
static struct backend *backend_from_definition(const char *spec, const char *eq)
{
    char *name = xasprintf("%.*s", (int)(eq - spec), spec);
    if (!valid_backend_name(name))
        usage_error("backend name '%s' in '%s': use letters, digits, '_', '-' and '.'", name,
                    spec);
    const char *plus = strchr(eq + 1, '+');
    char *target = plus ? xasprintf("%.*s", (int)(plus - eq - 1), eq + 1) : xstrdup(eq + 1);
    if (!*target)
        usage_error("backend '%s' names no library or base (expected NAME=PATH.so or "
                    "NAME=BASE+ENV=VALUE)", name);
    struct backend *b;
    if (backend_kind_find(target)) {
        b = backend_from_spec(target);
        free(b->name);
        b->name = name;
    } else if (strchr(target, '/') || strstr(target, ".so")) {
        b = calloc(1, sizeof *b);
        b->name = name;
        /* PATH.so:version=FN names the library's version function */
        char *colon = strstr(target, ":version=");
        if (colon) {
            b->version_fn = xstrdup(colon + strlen(":version="));
            *colon = '\0';
            if (!valid_env_name(b->version_fn, strlen(b->version_fn)))
                usage_error("backend '%s': version function '%s' is not a C name", name,
                            b->version_fn);
        }
        char resolved[PATH_MAX];
        struct stat st;
        if (!realpath(target, resolved) || stat(resolved, &st) != 0)
            usage_error("backend '%s': %s: no such file", name, target);
        if (!S_ISREG(st.st_mode))
            usage_error("backend '%s': %s is not a library file (a directory?)", name, target);
        b->library = xstrdup(resolved);
    } else {
        unknown_backend("base backend", target);
    }
    for (const char *s = plus; s; s = strchr(s + 1, '+')) {
        const char *next = strchr(s + 1, '+');
        char *setting = next ? xasprintf("%.*s", (int)(next - s - 1), s + 1) : xstrdup(s + 1);
        add_setting(b, setting, spec);
        free(setting);
    }
    free(target);
    return b;
}

struct backend *backend_from_spec(const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (eq) {
        char *name = xasprintf("%.*s", (int)(eq - spec), spec);
        if (backend_kind_find(name))
            usage_error("'%s' is a built-in backend: give your library another name (e.g. "
                        "my-%s=...)", name, name);
        free(name);
        return backend_from_definition(spec, eq);
    }
    const struct backend_kind *kind = backend_kind_find(spec);
    if (!kind)
        unknown_backend("backend", spec);
    if (kind->variant) {
        char *definition = xasprintf("%s=%s", kind->name, kind->variant);
        struct backend *b = backend_from_definition(definition, definition + strlen(kind->name));
        free(definition);
        return b;
    }
    struct backend *b = calloc(1, sizeof *b);
    b->name = xstrdup(spec);
    b->kind = kind;
    const char *lib = kind->library;
    if (!lib)
        return b;
    if (lib[0] == '@')
        b->library = xasprintf("%s/%s", exe_dir(), lib + 1);
    else
        b->library = lib[0] == '/' ? find_library_pattern(lib) : find_system_library(lib);
    if (!b->library)
        b->library = xstrdup(lib);
    if (access(b->library, R_OK) != 0) {
        b->missing = true;
        b->missing_reason = xasprintf("%s not found (%s)", b->library, kind->install_hint);
    }
    return b;
}

/* ---- Settings (in the forked child) ---- */

void backend_export_settings(const struct backend *b)
{
    char *names = NULL;
    for (size_t i = 0; i < b->setting_count; i++) {
        char *setting = xstrdup(b->settings[i]);
        char *eq = strchr(setting, '=');
        *eq = '\0';
        setenv(setting, eq + 1, 1);
        char *more = names ? xasprintf("%s,%s", names, setting) : xstrdup(setting);
        free(names);
        names = more;
        free(setting);
    }
    if (names)
        setenv(SETTINGS_ENV, names, 1);
    else
        unsetenv(SETTINGS_ENV);
    if (b->kind && strcmp(b->kind->name, b->name) != 0)
        setenv(BASE_ENV, b->kind->name, 1);
    else
        unsetenv(BASE_ENV);
    if (b->version_fn)
        setenv(VERSION_FN_ENV, b->version_fn, 1);
    else
        unsetenv(VERSION_FN_ENV);
    free(names);
}

void backend_unexport_settings(void)
{
    const char *names = getenv(SETTINGS_ENV);
    if (names) {
        char *list = xstrdup(names);
        for (char *save = NULL, *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save))
            unsetenv(n);
        free(list);
    }
    unsetenv(SETTINGS_ENV);
    unsetenv(BASE_ENV);
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

/* The version of an installed Debian package, from dpkg's status file:
 * stanzas of "Field: value" lines, one blank line between packages. */
static bool dpkg_version(const char *package, char *out, size_t size)
{
    FILE *f = fopen("/var/lib/dpkg/status", "r");
    if (!f)
        return false;
    char *line = NULL, version[256] = "";
    size_t cap = 0;
    bool ours = false, installed = false, found = false;
    while (!found) {
        ssize_t n = getline(&line, &cap, f);
        if (n < 0 || n <= 1) { /* the end of a stanza */
            found = ours && installed && version[0];
            ours = installed = false;
            if (n < 0)
                break;
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "Package: ", 9) == 0)
            ours = strcmp(line + 9, package) == 0;
        else if (strncmp(line, "Status: ", 8) == 0)
            installed = strcmp(line + 8, "install ok installed") == 0;
        else if (ours && strncmp(line, "Version: ", 9) == 0)
            snprintf(version, sizeof version, "%s", line + 9);
    }
    free(line);
    fclose(f);
    if (found)
        snprintf(out, size, "%s (Debian package %s)", version, package);
    return found;
}

static void read_version(const struct backend_kind *kind, void *marker, char *out, size_t size)
{
    void *fn = kind->version_from ? dlsym(RTLD_DEFAULT, kind->version_from) : marker;
    if (!fn && kind->probe != PROBE_DPKG) {
        snprintf(out, size, "unknown (%s is not defined)", kind->version_from);
        return;
    }
    switch (kind->probe) {
    case PROBE_STRING_FN: {
        const char *(*string_fn)(void) = (const char *(*)(void))fn;
        snprintf(out, size, "%s", string_fn());
        return;
    }
    case PROBE_MALLCTL: {
        int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
            (int (*)(const char *, void *, size_t *, void *, size_t))fn;
        const char *v = NULL;
        size_t len = sizeof v;
        if (mallctl("version", &v, &len, NULL, 0) == 0 && v)
            snprintf(out, size, "%s", v);
        else
            snprintf(out, size, "unknown");
        return;
    }
    case PROBE_INT_FN: {
        int (*int_fn)(void) = (int (*)(void))fn;
        int v = int_fn();
        snprintf(out, size, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
        return;
    }
    case PROBE_TC_VERSION: {
        const char *(*tc_version)(int *, int *, const char **) =
            (const char *(*)(int *, int *, const char **))fn;
        int major = 0, minor = 0;
        const char *patch = NULL;
        snprintf(out, size, "%s", tc_version(&major, &minor, &patch));
        return;
    }
    case PROBE_DPKG:
        if (!dpkg_version(kind->version_from, out, size))
            snprintf(out, size, "unknown (Debian package %s is not installed)", kind->version_from);
        return;
    case PROBE_NONE:
        break;
    }
    snprintf(out, size, "unknown (no version probe)");
}

bool backend_verify(const char *name, const char *library, char *actual_path,
                    size_t actual_size, char *version, size_t version_size,
                    char *why, size_t why_size)
{
    /* A configured backend is verified as its base (backend_export_settings). */
    const char *base = getenv(BASE_ENV);
    const struct backend_kind *kind = backend_kind_find(base ? base : name);
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

    const char *version_fn = kind ? NULL : getenv(VERSION_FN_ENV);
    if (!version_fn && (!kind || !kind->marker)) {
        snprintf(version, version_size, "unknown (no marker symbol)");
        return true;
    }
    const char *marker_name = version_fn ? version_fn : kind->marker;
    void *marker = dlsym(RTLD_DEFAULT, marker_name);
    char where[PATH_MAX];
    if (!object_of(marker, where, sizeof where)) {
        snprintf(why, why_size, "%s %s of %s is not defined in this process",
                 version_fn ? "version function" : "marker symbol", marker_name, name);
        return false;
    }
    if (strcmp(where, expected) != 0) {
        snprintf(why, why_size, "%s %s resolves to %s, not to %s",
                 version_fn ? "version function" : "marker symbol", marker_name, where, expected);
        return false;
    }
    if (version_fn)
        snprintf(version, version_size, "%s", ((const char *(*)(void))marker)());
    else
        read_version(kind, marker, version, version_size);
    return true;
}
