/* Callgrind driver for the fast-path target: N malloc(64)+free pairs.
 *   alloc_pairs pingpong N   one block live at a time
 *   alloc_pairs steady N     one extra block kept live throughout
 * Run under callgrind with N and 2N; the per-pair cost is the difference of
 * the totals divided by N (start-up and exit cancel out):
 * tests/test_alloc_pairs.sh does that and checks the figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s pingpong|steady N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    void *keep = NULL;
    if (strcmp(argv[1], "steady") == 0) keep = malloc(64);
    for (long i = 0; i < n; i++) {
        void *p = malloc(64);
        *(volatile char *)p = 1;
        free(p);
    }
    free(keep);
    return 0;
}
