/* build/libbenchprobe.so: preloaded after the allocator into every process of
 * a real-program workload. Its constructor asks the dynamic linker which
 * library `malloc` and `free` resolve to in this process, and appends
 * "<pid>\t<exe>\t<malloc's library>\t<free's library>\n" to the file named by
 * $BENCH_PROBE_FILE. It defines no allocation function itself, and uses none
 * (no stdio): it must not change what it observes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len + 1 < cap)
        buf[len++] = *s++;
    return len;
}

/* The library a symbol resolves to for this process's calls. Usually dladdr
 * of its global address; but when the executable takes the function's
 * address (Debian's python3 does), the canonical address is the
 * executable's PLT stub, so then the first shared object in lookup order
 * (the link map: executable, preloads, then dependencies) that defines the
 * symbol itself is the answer. */
static const char *library_of(const char *symbol)
{
    Dl_info info;
    void *addr = dlsym(RTLD_DEFAULT, symbol);
    if (!addr || !dladdr(addr, &info) || !info.dli_fname)
        return "(unresolved)";
    void *main_handle = dlopen(NULL, RTLD_LAZY | RTLD_NOLOAD);
    struct link_map *map = NULL;
    if (!main_handle || dlinfo(main_handle, RTLD_DI_LINKMAP, &map) != 0 || !map)
        return info.dli_fname;
    /* Not the executable: the usual case, and the answer. */
    if (info.dli_fbase != (void *)map->l_addr && map->l_addr != 0)
        return info.dli_fname;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    if (strcmp(info.dli_fname, exe) != 0 && map->l_addr != 0)
        return info.dli_fname;
    for (struct link_map *l = map->l_next; l; l = l->l_next) {
        if (!l->l_name || !l->l_name[0])
            continue;
        void *h = dlopen(l->l_name, RTLD_LAZY | RTLD_NOLOAD);
        if (!h)
            continue;
        void *a = dlsym(h, symbol);
        Dl_info own;
        bool defines = a && dladdr(a, &own) && own.dli_fname && strcmp(own.dli_fname, l->l_name) == 0;
        dlclose(h);
        if (defines)
            return l->l_name;
    }
    return info.dli_fname;
}

__attribute__((constructor)) static void benchprobe_report(void)
{
    const char *file = getenv("BENCH_PROBE_FILE");
    if (!file || !*file)
        return;
    char exe[1024], pid[24], line[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    long p = (long)getpid();
    size_t k = sizeof pid - 1;
    pid[k] = '\0';
    do {
        pid[--k] = (char)('0' + p % 10);
        p /= 10;
    } while (p && k);
    size_t len = 0;
    len = append(line, len, sizeof line, pid + k);
    len = append(line, len, sizeof line, "\t");
    len = append(line, len, sizeof line, exe);
    len = append(line, len, sizeof line, "\t");
    len = append(line, len, sizeof line, library_of("malloc"));
    len = append(line, len, sizeof line, "\t");
    len = append(line, len, sizeof line, library_of("free"));
    line[len++] = '\n';
    /* One write with O_APPEND: lines of concurrent processes do not mix. */
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, len);
        (void)w;
        close(fd);
    }
}
