/* prog_z3: a real program. z3 solves `problems` generated SMT-LIB problems
 * in one script, each in its own push/pop scope: factor a random odd number
 * of 2 x `bits` bits into two factors of `bits` bits, both above 1, with
 * bit-vector multiplication. Bit-blasting builds a multiplier circuit per
 * problem and the SAT solver learns and drops clauses; about two thirds of
 * the numbers have no such factors (unsat), the rest do (sat). The script
 * (from a fixed seed) is written once per run directory, outside the timed
 * region. z3 prints sat or unsat per problem: the output must equal glibc's
 * (harness/workload.h, "Real programs"). Parameters: problems, bits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"problems", "10", "4", 1, 100000, NULL, "factoring problems in the script"},
    {"bits", "10", NULL, 4, 24, NULL, "bits of each factor"},
    {0},
};

struct script {
    long long problems, bits;
};

static void write_script(struct bench_ctx *ctx, const char *path, const void *arg)
{
    const struct script *s = arg;
    FILE *f = fopen(path, "w");
    if (!f)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
    long long w = 2 * s->bits;
    uint64_t rng = 42;
    fprintf(f, "(set-logic QF_BV)\n");
    for (long long p = 0; p < s->problems; p++) {
        /* Odd, with its top bit set: a product of two `bits`-bit numbers,
         * or a number that is not one. */
        uint64_t n = (bench_rand(&rng) % (1ull << (w - 2))) | 1 | (1ull << (w - 3));
        fprintf(f, "(push 1)\n"
                   "(declare-fun a () (_ BitVec %lld))\n(declare-fun b () (_ BitVec %lld))\n"
                   "(assert (bvult a (_ bv%llu %lld)))\n(assert (bvult b (_ bv%llu %lld)))\n"
                   "(assert (bvugt a (_ bv1 %lld)))\n(assert (bvugt b (_ bv1 %lld)))\n"
                   "(assert (= (bvmul a b) (_ bv%llu %lld)))\n(check-sat)\n(pop 1)\n",
                w, w, 1ull << s->bits, w, 1ull << s->bits, w, w, w, (unsigned long long)n, w);
    }
    if (fclose(f) != 0)
        bench_fail(ctx, "cannot write %s: %s", path, strerror(errno));
}

static int run(struct bench_ctx *ctx)
{
    struct script s = {bench_param_int(ctx, "problems"), bench_param_int(ctx, "bits")};
    char name[64];
    snprintf(name, sizeof name, "z3-factor-%lldx%lld.smt2", s.problems, s.bits);
    const char *path = bench_program_input(ctx, name, write_script, &s);
    const char *argv[] = {"z3", "-smt2", path, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "z3"});
    return 0;
}

BENCH_WORKLOAD(prog_z3, .summary = "real program: z3 solving generated bit-vector factoring problems",
               .params = params, .suites = "programs", .tiny = "problems=2",
               .run = run);
