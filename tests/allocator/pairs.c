/* Callgrind driver for the fast-path target: N malloc(SIZE)+free pairs.
 *   alloc_pairs pingpong N [SIZE]   one block live at a time
 *   alloc_pairs steady N [SIZE]     one extra block kept live throughout
 * (SIZE 64 unless given)
 * Run under callgrind with N and 2N; the per-pair cost is the difference of
 * the totals divided by N (start-up and exit cancel out):
 * tests/test_alloc_pairs.sh does that and checks the figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s pingpong|steady N [SIZE]\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    size_t size = argc == 4 ? (size_t)atol(argv[3]) : 64;
    void *keep = NULL;
    if (strcmp(argv[1], "steady") == 0) keep = malloc(size);
    for (long i = 0; i < n; i++) {
        void *p = malloc(size);
        *(volatile char *)p = 1;
        free(p);
    }
    free(keep);
    return 0;
}
