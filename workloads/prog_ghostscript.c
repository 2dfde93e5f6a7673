/* prog_ghostscript: a real program. gs renders workloads/programs/drawing.ps
 * (`pages` pages of curved, filled and stroked rings, dashed clipped spokes
 * and labels in three fonts) to 24-bit PNG at 100 dpi on its standard
 * output: the interpreter allocates paths, clip lists, dictionaries, font
 * caches and strings, the rasteriser its bands. Timed as a whole under the
 * backend; the PNG bytes must equal glibc's, allocator verified inside
 * (harness/workload.h, "Real programs"). Parameters: pages. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"pages", "2", "1", 1, 1000, NULL, "pages rendered"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char pages[32];
    snprintf(pages, sizeof pages, "-dPAGES=%lld", bench_param_int(ctx, "pages"));
    const char *argv[] = {"gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", pages, "-sDEVICE=png16m",
                          "-r100", "-sOutputFile=-", "@drawing.ps", NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "ghostscript"});
    return 0;
}

BENCH_WORKLOAD(prog_ghostscript, .summary = "real program: ghostscript rendering a generated PostScript drawing to PNG",
               .params = params, .suites = "programs", .tiny = "pages=1",
               .run = run);
