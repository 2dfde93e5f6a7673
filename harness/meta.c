/* meta.json: the machine, the build and the run's settings. */
#include "meta.h"
#include "group.h"
#include "plan.h"
#include "util.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "unknown"
#endif

/* The compiler that built this harness, as it names itself (clang's
 * __VERSION__ already says "Clang ..."; gcc's is only the number). */
#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

void utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- A minimal JSON writer: strings are escaped, nothing else needed ---- */

void meta_json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void json_field(FILE *f, const char *indent, const char *key, const char *value, bool last)
{
    fprintf(f, "%s\"%s\": ", indent, key);
    meta_json_string(f, value);
    fputs(last ? "\n" : ",\n", f);
}

/* ---- Facts about the machine ---- */

static char *cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            fclose(f);
            if (!colon)
                break;
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            return xstrdup(colon);
        }
    }
    if (f)
        fclose(f);
    return xstrdup("unknown");
}

/* The selected value of a sysfs setting such as "always [madvise] never". */
static char *sysfs_choice(const char *path)
{
    char line[256];
    if (!read_first_line(path, line, sizeof line))
        return NULL;
    char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
    if (open && close) {
        *close = '\0';
        return xstrdup(open + 1);
    }
    return xstrdup(line);
}

static char *memory_total(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    char *result = NULL;
    while (f && fgets(line, sizeof line, f) && !result) {
        long long kib;
        if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
            result = xasprintf("%lld", kib);
    }
    if (f)
        fclose(f);
    return result;
}

/* Output of a short command run in the project's directory, or NULL. */
static char *command_output(const char *command)
{
    char *full = xasprintf("cd '%s/..' 2>/dev/null && { %s; } 2>/dev/null", exe_dir(), command);
    FILE *p = popen(full, "r");
    free(full);
    if (!p)
        return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    int rc = pclose(p);
    if (rc != 0)
        return NULL;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return xstrdup(buf);
}

/* The clock of CPU 0 as the kernel reports it (cpufreq where the machine
 * has it, else /proc/cpuinfo's "cpu MHz"), or NULL. */
static char *cpu_mhz(void)
{
    char line[256];
    if (read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", line,
                        sizeof line))
        return xasprintf("%.0f", atof(line) / 1000);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char *mhz = NULL;
    while (f && !mhz && fgets(line, sizeof line, f)) {
        double v;
        if (sscanf(line, "cpu MHz : %lf", &v) == 1)
            mhz = xasprintf("%.0f", v);
    }
    if (f)
        fclose(f);
    return mhz;
}

static const char *const measure_names[] = {[MEASURE_TIME] = "time",
                                            [MEASURE_INSTRUCTIONS] = "instructions"};
static const char *const interleave_names[] = {"samples", "processes"};

void meta_write(const char *run_dir, const struct run_meta *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct utsname u;
    uname(&u);
    char *kernel = xasprintf("%s %s %s", u.sysname, u.release, u.machine);
    char *cpu = cpu_model();
    char *mem = memory_total();
    char *thp = sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled");
    char *thp_defrag = sysfs_choice("/sys/kernel/mm/transparent_hugepage/defrag");
    char *governor = sysfs_choice("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    char *commit = command_output("git rev-parse HEAD");
    if (!commit) /* a shipped copy, no checkout (cluster/parallel.sh) */
        commit = command_output("cat build/commit");
    char *dirty = command_output("git rev-parse --git-dir >/dev/null && "
                                 "git status --porcelain --untracked-files=no | head -c 1 | wc -c");
    char *seed = xasprintf("%llu", m->seed);
    char *mhz = cpu_mhz();

    fputs("{\n", f);
    json_field(f, "  ", "run_id", m->run_id, false);
    json_field(f, "  ", "host", m->host, false);
    json_field(f, "  ", "start_time", m->start_time, false);
    json_field(f, "  ", "end_time", m->end_time[0] ? m->end_time : NULL, false);
    fprintf(f, "  \"interrupted\": %s,\n", m->interrupted ? "true" : "false");
    fputs("  \"command_line\": [", f);
    for (int i = 0; i < m->argc; i++) {
        meta_json_string(f, m->argv[i]);
        fputs(i + 1 < m->argc ? ", " : "", f);
    }
    fputs("],\n", f);
    fprintf(f, "  \"seed\": %s,\n", seed);
    fprintf(f, "  \"reps\": %d,\n  \"warmup_rounds\": 1,\n  \"timeout_s\": %d,\n", m->reps,
            m->timeout_s);
    fprintf(f, "  \"quick\": %s,\n", m->quick ? "true" : "false");
    if (m->plan) {
        fputs("  \"plan\": ", f);
        plan_write_json(f, m->plan);
        fputs(",\n", f);
    }
    fputs("  \"measurement\": {\n", f);
    json_field(f, "    ", "mode", measure_names[m->measure], false);
    fprintf(f, "    \"min_time_ms\": %g,\n    \"fixed_samples\": %d,\n", m->min_time_ms,
            m->fixed_samples);
    fprintf(f, "    \"warmup_samples\": %d,\n    \"max_samples\": %d,\n", m->warmup_samples,
            m->max_samples);
    json_field(f, "    ", "interleave", interleave_names[m->interleave], false);
    fprintf(f, "    \"extra_rounds\": {\"target_pct\": %g, \"target_threaded_pct\": %g, "
               "\"budget_s\": %d, \"max_reps\": %d, \"groups\": %d, \"spent_s\": %.1f, "
               "\"still_wide\": %d, \"ended\": ",
            m->target_pct, m->target_threaded_pct, m->extend_time_s, m->max_reps,
            m->extend_groups, m->extend_spent_s, m->extend_still_wide);
    meta_json_string(f, m->extend_ended);
    fputs("},\n", f);
    json_field(f, "    ", "simulated_cache", m->measure == MEASURE_INSTRUCTIONS
                   ? "I1 " CALLGRIND_I1 ", D1 " CALLGRIND_D1 ", LL " CALLGRIND_LL " (size, ways, line)"
                   : NULL, false);
    json_field(f, "    ", "baseline", m->baseline, false);
    json_field(f, "    ", "baseline_note", m->baseline_why, false);
    fprintf(f, "    \"hardware_counters\": %s,\n", m->perf_available ? "true" : "false");
    json_field(f, "    ", "hardware_counters_note", m->perf_available ? NULL : m->perf_reason,
               false);
    fputs("    \"calibration\": ", f);
    calibration_write_json(f, &m->calibration);
    fputs("\n  },\n", f);
    fputs("  \"machine\": {\n", f);
    json_field(f, "    ", "cpu_model", cpu, false);
    fprintf(f, "    \"cores_online\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "    \"memory_kib\": %s,\n", mem ? mem : "null");
    json_field(f, "    ", "kernel", kernel, false);
    json_field(f, "    ", "glibc_version", gnu_get_libc_version(), false);
    json_field(f, "    ", "transparent_hugepages", thp, false);
    json_field(f, "    ", "transparent_hugepages_defrag", thp_defrag, false);
    json_field(f, "    ", "cpu_governor", governor, false);
    json_field(f, "    ", "cpu_mhz", mhz, false);
    json_field(f, "    ", "load_average_start", m->load_start[0] ? m->load_start : NULL, false);
    json_field(f, "    ", "load_average_end", m->load_end[0] ? m->load_end : NULL, true);
    fputs("  },\n  \"build\": {\n", f);
    json_field(f, "    ", "compiler", COMPILER, false);
    json_field(f, "    ", "cflags", BENCH_CFLAGS, false);
    json_field(f, "    ", "git_commit", commit, false);
    fprintf(f, "    \"git_dirty\": %s\n  },\n",
            dirty ? (strcmp(dirty, "0") != 0 ? "true" : "false") : "null");
    fputs("  \"backends\": [\n", f);
    for (size_t i = 0; i < m->backend_count; i++) {
        const struct backend *b = m->backends[i];
        fputs("    {\n", f);
        json_field(f, "      ", "name", b->name, false);
        json_field(f, "      ", "library", b->library, false);
        json_field(f, "      ", "verified_path", b->verified_path, false);
        json_field(f, "      ", "version", b->version, false);
        /* chosen by default for some suites: it ran on their workloads alone */
        json_field(f, "      ", "home_suites", b->home_suites, false);
        /* A configured backend: the allocator it configures, and how. */
        json_field(f, "      ", "base",
                   b->kind && strcmp(b->kind->name, b->name) != 0 ? b->kind->name : NULL, false);
        fputs("      \"settings\": {", f);
        for (size_t s = 0; s < b->setting_count; s++) {
            const char *eq = strchr(b->settings[s], '=');
            char *key = xasprintf("%.*s", (int)(eq - b->settings[s]), b->settings[s]);
            fputs(s ? ", " : "", f);
            meta_json_string(f, key);
            fputs(": ", f);
            meta_json_string(f, eq + 1);
            free(key);
        }
        fputs("},\n", f);
        json_field(f, "      ", "missing", b->missing ? b->missing_reason : NULL, true);
        fputs(i + 1 < m->backend_count ? "    },\n" : "    }\n", f);
    }
    fputs("  ],\n  \"workloads\": [\n", f);
    for (size_t i = 0; i < m->case_count; i++) {
        const struct bench_case *c = m->cases[i];
        char *params = case_params_string(c);
        fputs("    {\n", f);
        json_field(f, "      ", "label", c->label, false);
        json_field(f, "      ", "workload", c->workload->name, false);
        fprintf(f, "      \"threads\": %d,\n", c->threads);
        json_field(f, "      ", "params", params, true);
        fputs(i + 1 < m->case_count ? "    },\n" : "    }\n", f);
        free(params);
    }
    fputs("  ]\n}\n", f);
    fclose(f);

    char *path = xasprintf("%s/meta.json", run_dir);
    write_file_atomic(path, text);
    free(path);
    free(text);
    free(kernel), free(cpu), free(mem), free(thp), free(thp_defrag);
    free(governor), free(commit), free(dirty), free(seed), free(mhz);
}

char *meta_read_field(const char *run_dir, const char *key)
{
    char *path = xasprintf("%s/meta.json", run_dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return NULL;
    char *pattern = xasprintf("\"%s\": \"", key);
    char line[4096], *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char *k = strstr(line, pattern);
        if (!k)
            continue;
        k += strlen(pattern);
        char *end = k;
        while (*end && *end != '"')
            end += *end == '\\' && end[1] ? 2 : 1;
        *end = '\0';
        found = xstrdup(k);
    }
    fclose(f);
    free(pattern);
    return found;
}
