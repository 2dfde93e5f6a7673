/* Memory over time: RSS samples of the measured process, taken by the
 * runner (the process that is not measured), so sampling costs the child
 * nothing but the kernel's work of answering the read. */
#include "timeline.h"
#include "csv.h"
#include "util.h"
#include "workload.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long long rss_kib_of(pid_t pid)
{
    char path[64];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/statm");
    /* open/read, not stdio: this runs inside measured children too. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return -1;
    return (long long)(resident * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024);
}

long long bench_rss_kib(void)
{
    return rss_kib_of(0);
}

/* RSS of a process and all its descendants (a compiler driver and its cc1),
 * through /proc/<pid>/task/<tid>/children; -1 when the process is gone. */
static long long rss_tree_kib(pid_t pid, int depth)
{
    long long total = rss_kib_of(pid);
    if (total <= 0 || depth > 8)
        return total;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return total;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char file[320];
        snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, e->d_name);
        FILE *f = fopen(file, "r");
        if (!f)
            continue;
        int child;
        while (fscanf(f, "%d", &child) == 1) {
            long long r = rss_tree_kib((pid_t)child, depth + 1);
            if (r > 0)
                total += r;
        }
        fclose(f);
    }
    closedir(d);
    return total;
}

void timeline_begin(struct timeline *tl, pid_t pid)
{
    tl->pid = pid;
    tl->start_ns = now_ns();
    tl->next_ns = tl->start_ns + TIMELINE_PERIOD_MS * 1000000ull; /* after exec */
    tl->paused_ns = 0;
    tl->count = 0;
}

void timeline_pause(struct timeline *tl)
{
    if (!tl->paused_ns)
        tl->paused_ns = now_ns();
}

void timeline_resume(struct timeline *tl)
{
    if (!tl->paused_ns)
        return;
    uint64_t idle = now_ns() - tl->paused_ns;
    tl->start_ns += idle;
    tl->next_ns += idle;
    tl->paused_ns = 0;
}

void timeline_sample_now(struct timeline *tl)
{
    long long rss = rss_tree_kib(tl->pid, 0);
    if (rss <= 0) /* 0: a zombie that has released its memory */
        return;
    if (tl->count == tl->capacity) {
        tl->capacity = tl->capacity ? tl->capacity * 2 : 1024;
        tl->samples = xrealloc(tl->samples, tl->capacity * sizeof *tl->samples);
    }
    tl->samples[tl->count].t_ms = (uint32_t)((now_ns() - tl->start_ns) / 1000000);
    tl->samples[tl->count].rss_kib = rss;
    tl->count++;
}

int timeline_tick(struct timeline *tl)
{
    uint64_t now = now_ns();
    if (now >= tl->next_ns) {
        timeline_sample_now(tl);
        /* On schedule, not drifting: skip the periods a slow wake-up missed. */
        while (tl->next_ns <= now)
            tl->next_ns += TIMELINE_PERIOD_MS * 1000000ull;
    }
    return (int)((tl->next_ns - now) / 1000000) + 1;
}

void timeline_write(FILE *f, const char *backend, const char *workload, int threads, int rep,
                    struct timeline *tl)
{
    for (size_t i = 0; i < tl->count; i++) {
        csv_write_field(f, backend, false);
        csv_write_field(f, workload, false);
        fprintf(f, "%d,%d,%u,%lld\n", threads, rep, (unsigned)tl->samples[i].t_ms,
                tl->samples[i].rss_kib);
    }
    fflush(f);
    tl->count = 0;
}

void timeline_discard(struct timeline *tl)
{
    free(tl->samples);
    *tl = (struct timeline){0};
}
