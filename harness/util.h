/* Small helpers shared by the harness: errors, clocks, strings, files. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of the harness. */
enum {
    EXIT_RUNS_FAILED = 1, /* finished, but some run did not end `ok` */
    EXIT_USAGE = 2,       /* bad flag, name, parameter or file: nothing run */
    EXIT_INTERRUPTED = 130,
};

/* Prints "bench: <message>" and exits with EXIT_USAGE. */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "bench: <message>: <strerror>" and exits with status 1 (an
 * environment failure such as an unwritable directory). */
_Noreturn void fatal_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t now_ns(void);

/* A heap string built with printf formatting; never NULL (aborts on OOM). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Appends ", name" (or just "name" to an empty list) to the heap string
 * *list, which starts as NULL: for "known: a, b, c" in error messages. */
void append_name(char **list, const char *name);

/* Whether `name` is one of the space-separated words of `list` (a suite's
 * backends, a plan row's backends column). */
bool names_have(const char *list, const char *name);

/* Splits a comma-separated list in place; returns the number of items. */
size_t split_list(char *list, char ***items_out);

/* The items of a flag's comma-separated value (a copy of it is split); a
 * usage error naming `what` (e.g. "--suite") when there are none. */
size_t split_required(const char *list, const char *what, char ***items_out);

/* Parses a whole decimal integer; false on junk or overflow. */
bool parse_ll(const char *text, long long *out);

/* Reads the first line of a small file into buf (newline stripped). */
bool read_first_line(const char *path, char *buf, size_t size);

/* Writes `contents` to `path` through a temporary file and rename, so readers
 * never see a half-written file. */
void write_file_atomic(const char *path, const char *contents);

/* mkdir -p: creates dir and any missing parents (mode 0755); 0 on success,
 * -1 with errno set otherwise. */
int mkdir_parents(const char *dir);

/* The directory holding the running executable (e.g. ".../build"). */
const char *exe_dir(void);

#endif
