# Top-level build: the harness (build/bench), the project's allocator
# (build/libcustomalloc.so) and the tests. Each part lists its own sources in a
# build.mk beside them, the tests theirs in tests/build.mk; this file only
# holds what they share.

CC      ?= cc
BUILD   := build
# Warnings are errors everywhere; _GNU_SOURCE for dladdr, mremap, RUSAGE_THREAD.
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
# Benchmarks and tests must keep every malloc/free pair they write.
NO_BUILTIN_ALLOC := -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc \
                    -fno-builtin-realloc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

.PHONY: all test clean
all:

include harness/build.mk
include allocator/build.mk
include trace/build.mk
-include allocator/article/build.mk
-include plots/build.mk
include tests/build.mk

clean:
	rm -rf $(BUILD)
