/* prog_git: a real program, many processes. sh runs
 * workloads/programs/git_work.sh: git init, then for each of three
 * generated revisions of a tree of `files` small text files (all added;
 * then a fifth changed and a twentieth more added; then a directory removed
 * and one renamed) git add -A and git commit, then git gc (repack, prune),
 * git fsck and git log -p -M --stat: git's index, object hashing, packing
 * with delta search and diffs, in some ten processes, every one preloaded
 * and verified. The revisions are written once per run directory, outside
 * the timed region; the repository is made anew by each run, in /dev/shm
 * when it is there (git writes a file per object: on a disk the run would
 * time the disk, not git). Fixed names and dates make the history, commit
 * ids included, equal to glibc's (harness/workload.h, "Real programs").
 * Parameters: files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"files", "1000", "200", 1, 1000000, NULL, "files in each revision of the tree"},
    {0},
};

static void write_file(struct bench_ctx *ctx, const char *dir, const char *name, long long id,
                       int revision)
{
    static const char *const words[] = {"alloc", "free", "page", "span", "arena", "heap",
                                        "thread", "cache", "block", "size", "class", "remote"};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
    uint64_t rng = 42 + (uint64_t)id * 7919 + (uint64_t)revision * 1000003;
    fprintf(f, "file %lld revision %d\n", id, revision);
    for (int line = 0; line < 5; line++)
        for (int w = 0; w < 6; w++)
            fprintf(f, "%s%c", words[bench_rand(&rng) % 12], w < 5 ? ' ' : '\n');
    if (fclose(f) != 0)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
}

static void make_dir(struct bench_ctx *ctx, const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        bench_fail(ctx, "cannot create %s: %s", path, strerror(errno));
}

/* rev0: files 0..n-1 in directories d00, d01, ... of 100; rev1: every fifth
 * file changed, n/20 new files in new/; rev2: rev1 without d01, with d00
 * renamed to moved00. */
static void write_revisions(struct bench_ctx *ctx, const char *path, const void *arg)
{
    long long n = *(const long long *)arg;
    make_dir(ctx, path);
    for (int r = 0; r < 3; r++) {
        char rev[4200], dir[4300], name[32];
        snprintf(rev, sizeof rev, "%s/rev%d", path, r);
        make_dir(ctx, rev);
        for (long long i = 0; i < n; i++) {
            long long d = i / 100;
            if (r == 2 && d == 1)
                continue;
            snprintf(dir, sizeof dir, "%s/%s%02lld", rev, r == 2 && d == 0 ? "moved" : "d", d);
            make_dir(ctx, dir);
            snprintf(name, sizeof name, "f%02lld.txt", i % 100);
            write_file(ctx, dir, name, i, r > 0 && i % 5 == 0);
        }
        if (r > 0) {
            snprintf(dir, sizeof dir, "%s/new", rev);
            make_dir(ctx, dir);
            for (long long k = 0; k < n / 20; k++) {
                snprintf(name, sizeof name, "n%04lld.txt", k);
                write_file(ctx, dir, name, n + k, 0);
            }
        }
    }
}

static int run(struct bench_ctx *ctx)
{
    long long files = bench_param_int(ctx, "files");
    char name[64];
    snprintf(name, sizeof name, "git-revisions-%lld", files);
    const char *revs = bench_program_input(ctx, name, write_revisions, &files);
    const char *scratch = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : bench_program_dir(ctx);
    const char *argv[] = {"sh", "@git_work.sh", revs, scratch, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "dash",
                                                   .needs = "git", .needs_package = "git"});
    return 0;
}

BENCH_WORKLOAD(prog_git, .summary = "real program, many processes: git add, commit, gc, fsck and log -p of generated trees",
               .params = params, .suites = "programs", .tiny = "files=100",
               .run = run);
