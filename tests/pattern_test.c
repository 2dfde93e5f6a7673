/* The content pattern of harness/workload.h: what every content-checking
 * workload relies on to turn a corrupting allocator into status `corrupt`. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../harness/workload.h"

static void filled_block_checks_clean(void)
{
    for (size_t size = 1; size <= 200; size++) {
        unsigned char *p = malloc(size);
        bench_fill(p, size);
        CHECK_MSG(bench_check(p, size) == size, "size %zu", size);
        free(p);
    }
}

static void every_flipped_byte_is_found_at_its_offset(void)
{
    for (size_t size = 1; size <= 80; size++) {
        unsigned char *p = malloc(size);
        for (size_t off = 0; off < size; off++) {
            bench_fill(p, size);
            p[off] ^= 0x10;
            CHECK_MSG(bench_check(p, size) == off, "size %zu offset %zu", size, off);
        }
        free(p);
    }
}

static void copy_at_another_address_fails(void)
{
    unsigned char *a = malloc(64), *b = malloc(64);
    bench_fill(a, 64);
    memcpy(b, a, 64);
    CHECK(bench_check(b, 64) < 64);
    free(a);
    free(b);
}

static void same_bytes_for_another_size_fail(void)
{
    unsigned char *p = malloc(64);
    bench_fill(p, 64);
    CHECK(bench_check(p, 48) < 48);
    free(p);
}

static void pattern_byte_matches_fill(void)
{
    unsigned char *p = malloc(45);
    bench_fill(p, 45);
    for (size_t i = 0; i < 45; i++)
        CHECK_MSG(p[i] == bench_pattern_byte(p, 45, i), "offset %zu", i);
    free(p);
}

CHECK_MAIN(30, T(filled_block_checks_clean), T(every_flipped_byte_is_found_at_its_offset),
           T(copy_at_another_address_fails), T(same_bytes_for_another_size_fail),
           T(pattern_byte_matches_fill))
