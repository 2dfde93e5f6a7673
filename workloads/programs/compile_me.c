/* The prog_gcc workload's input: a sizeable C translation unit that
 * `gcc -O2 -S` turns into assembly. The preprocessor multiplies one family of
 * functions (string hashing, a small sort, a state machine, struct copies)
 * into COPIES x 16 instances, so the compiler's allocator sees many functions,
 * basic blocks and RTL objects. COPIES (1..16, default 4) is set
 * with -DCOPIES=N. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef COPIES
#define COPIES 4
#endif

struct rec {
    uint32_t key;
    double weight;
    char name[24];
    struct rec *next;
};

#define FAMILY(n)                                                              \
    static uint64_t hash_##n(const char *s, size_t len)                        \
    {                                                                          \
        uint64_t h = 1469598103934665603ull ^ (uint64_t)(n);                   \
        for (size_t i = 0; i < len; i++) {                                     \
            h ^= (unsigned char)s[i];                                          \
            h *= 1099511628211ull + (n);                                       \
            if ((h & 0xff) == (n) % 251)                                       \
                h = (h << 7) | (h >> 57);                                      \
        }                                                                      \
        return h;                                                              \
    }                                                                          \
    static void sort_##n(struct rec *r, size_t count)                          \
    {                                                                          \
        for (size_t i = 1; i < count; i++) {                                   \
            struct rec t = r[i];                                               \
            size_t j = i;                                                      \
            while (j > 0 && (r[j - 1].key > t.key ||                           \
                             (r[j - 1].key == t.key && r[j - 1].weight > t.weight))) { \
                r[j] = r[j - 1];                                               \
                j--;                                                           \
            }                                                                  \
            r[j] = t;                                                          \
        }                                                                      \
    }                                                                          \
    static int machine_##n(const char *in)                                     \
    {                                                                          \
        int state = (n) % 5, count = 0;                                        \
        for (; *in; in++) {                                                    \
            switch (state) {                                                   \
            case 0: state = *in == 'a' ? 1 : *in == 'b' ? 2 : 0; break;        \
            case 1: state = *in == (char)('a' + (n) % 26) ? 3 : 0; count++; break; \
            case 2: state = *in > 'm' ? 4 : 1; break;                          \
            case 3: count += *in & 3; state = 0; break;                        \
            default: state = (state + *in) % 5; break;                         \
            }                                                                  \
        }                                                                      \
        return count * ((n) + 1);                                              \
    }                                                                          \
    uint64_t entry_##n(struct rec *r, size_t count, const char *text)          \
    {                                                                          \
        sort_##n(r, count);                                                    \
        uint64_t acc = 0;                                                      \
        for (size_t i = 0; i < count; i++) {                                   \
            acc += hash_##n(r[i].name, strnlen(r[i].name, sizeof r[i].name));  \
            acc ^= (uint64_t)(r[i].weight * (n + 3));                          \
            if (r[i].next)                                                     \
                acc += r[i].next->key;                                         \
        }                                                                      \
        return acc + (uint64_t)machine_##n(text);                              \
    }

#define F4(n) FAMILY(n##0) FAMILY(n##1) FAMILY(n##2) FAMILY(n##3)
#define F16(n) F4(n##0) F4(n##1) F4(n##2) F4(n##3)

F16(1)
#if COPIES >= 2
F16(2)
#endif
#if COPIES >= 3
F16(3)
#endif
#if COPIES >= 4
F16(4)
#endif
#if COPIES >= 5
F16(5)
#endif
#if COPIES >= 6
F16(6)
#endif
#if COPIES >= 7
F16(7)
#endif
#if COPIES >= 8
F16(8)
#endif
#if COPIES >= 9
F16(9)
#endif
#if COPIES >= 10
F16(10)
#endif
#if COPIES >= 11
F16(11)
#endif
#if COPIES >= 12
F16(12)
#endif
#if COPIES >= 13
F16(13)
#endif
#if COPIES >= 14
F16(14)
#endif
#if COPIES >= 15
F16(15)
#endif
#if COPIES >= 16
F16(16)
#endif
