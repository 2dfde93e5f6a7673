# Tests: tests/run.sh runs every tests/test_*.sh script and every program
# build/tests/test_*. Every test program's rule is here; TEST_PROGRAMS also
# lists the products the tests need (libraries, tools) built elsewhere.
# build/tests/bench-test is the harness with the misbehaving test workloads
# of tests/workloads/ linked in, for the harness tests.

TEST_WORKLOAD_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/workloads/*.c))

$(BUILD)/tests/bench-test: $(HARNESS_OBJ) $(WORKLOAD_OBJ) $(TEST_WORKLOAD_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(HARNESS_LIBS)
$(BUILD)/obj/tests/workloads/%.o: tests/workloads/%.c harness/workload.h
	@mkdir -p $(dir $@)
	$(CC) $(HARNESS_CFLAGS) -c -o $@ $<

# The content pattern every checking workload relies on.
TEST_PROGRAMS += $(BUILD)/tests/test_pattern
$(BUILD)/tests/test_pattern: tests/pattern_test.c harness/workload.h tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -o $@ $<

# --- the project's allocator (allocator/) ---
CA_TEST_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -pthread -Itests
CA_TEST_DEPS := tests/check.h tests/allocator/alloc_test.h

# Allocator-agnostic programs: they test whatever malloc runs in the process.
CA_AGNOSTIC := test_alloc_api test_alloc_stress test_alloc_fork test_alloc_churn test_alloc_fuzz
$(BUILD)/tests/test_alloc_%: tests/allocator/alloc_%.c $(CA_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_TEST_CFLAGS) $< -o $@ -ldl

# Checks specific to customalloc (statistics, trim, decay, system calls);
# run by tests/test_alloc_custom.sh under LD_PRELOAD, not directly.
$(BUILD)/tests/alloc_custom_checks: tests/allocator/custom_checks.c $(CA_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_TEST_CFLAGS) $< -o $@ -ldl

# Misuse customalloc detects (tests/test_alloc_custom.sh runs it).
$(BUILD)/tests/alloc_misuse: tests/allocator/misuse.c $(CA_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_TEST_CFLAGS) $< -o $@ -ldl

# Callgrind driver for the fast-path instruction count (tests/test_alloc_pairs.sh).
$(BUILD)/tests/alloc_pairs: tests/allocator/pairs.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) $< -o $@

# Sanitizer builds: the allocator's sources compiled with
# -DCUSTOMALLOC_PREFIX (customalloc_malloc, ..., interposing nothing) and
# a sanitizer, linked into tests compiled to call them.
CA_SAN_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CA_SAN_TSAN := -fsanitize=thread
CA_PFX_FLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -ftls-model=initial-exec -DCUSTOMALLOC_PREFIX
$(BUILD)/allocator/asan/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_PFX_FLAGS) $(CA_SAN_ASAN) -c $< -o $@
$(BUILD)/allocator/tsan/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_PFX_FLAGS) $(CA_SAN_TSAN) -c $< -o $@

CA_ASAN_OBJS := $(addprefix $(BUILD)/allocator/asan/,$(CA_SRCS:.c=.o))
CA_TSAN_OBJS := $(addprefix $(BUILD)/allocator/tsan/,$(CA_SRCS:.c=.o))
.SECONDARY: $(CA_ASAN_OBJS) $(CA_TSAN_OBJS)
$(BUILD)/tests/test_alloc_%_asan: tests/allocator/alloc_%.c $(CA_TEST_DEPS) $(CA_ASAN_OBJS)
	$(CC) $(CA_TEST_CFLAGS) $(CA_SAN_ASAN) -DCA_TEST_PREFIXED $< $(filter %.o,$^) -o $@ -ldl
$(BUILD)/tests/test_alloc_%_tsan: tests/allocator/alloc_%.c $(CA_TEST_DEPS) $(CA_TSAN_OBJS)
	$(CC) $(CA_TEST_CFLAGS) $(CA_SAN_TSAN) -DCA_TEST_PREFIXED $< $(filter %.o,$^) -o $@ -ldl

TEST_PROGRAMS += $(addprefix $(BUILD)/tests/,$(CA_AGNOSTIC)) \
                 $(BUILD)/tests/alloc_custom_checks $(BUILD)/tests/alloc_misuse $(BUILD)/tests/alloc_pairs \
                 $(BUILD)/libcustomalloc.so \
                 $(BUILD)/debug/libcustomalloc.so $(BUILD)/libcustomalloc-hardened.so \
                 $(BUILD)/tests/test_alloc_api_asan $(BUILD)/tests/test_alloc_stress_asan \
                 $(BUILD)/tests/test_alloc_fuzz_asan $(BUILD)/tests/test_alloc_stress_tsan \
                 $(BUILD)/tests/test_alloc_fuzz_tsan

# --- the article's allocator (allocator/article/) ---
# Tests of this backend (run by tests/test_article.sh under LD_PRELOAD; named
# so that tests/run.sh does not also run them without the preload).
ARTICLE_TEST_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fno-builtin -pthread -Itests
ARTICLE_TESTS := $(BUILD)/tests/article/api
TEST_PROGRAMS += $(ARTICLE_TESTS)

$(BUILD)/tests/article/%: tests/article/%.c tests/check.h
	@mkdir -p $(@D)
	$(CC) $(ARTICLE_TEST_CFLAGS) -o $@ $< -ldl

# --- trace record and replay (trace/) ---
# The program tests/test_trace.sh records (its calls are known exactly).
TEST_PROGRAMS += $(BUILD)/tests/trace_tiny $(BUILD)/libbenchtrace.so $(BUILD)/trace-dump
$(BUILD)/tests/trace_tiny: tests/trace/tiny.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -pthread -o $@ $<

# --- the statistics (harness/stats.c) ---
STATS_TEST := $(BUILD)/tests/test_stats
TEST_PROGRAMS += $(STATS_TEST)

$(STATS_TEST): tests/stats/test_stats.c $(BUILD)/obj/harness/stats.o $(BUILD)/obj/harness/util.o \
               harness/stats.h tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -o $@ tests/stats/test_stats.c $(BUILD)/obj/harness/stats.o \
	    $(BUILD)/obj/harness/util.o -lm

# --- the choice of extra rounds (harness/extend.c) ---
EXTEND_TEST := $(BUILD)/tests/test_extend
TEST_PROGRAMS += $(EXTEND_TEST)
EXTEND_TEST_OBJS := $(addprefix $(BUILD)/obj/harness/,extend.o table.o csv.o stats.o util.o \
                      backends.o)

$(EXTEND_TEST): tests/extend/test_extend.c $(EXTEND_TEST_OBJS) harness/extend.h tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -o $@ tests/extend/test_extend.c $(EXTEND_TEST_OBJS) -lm

.PHONY: test test-cluster
test: all $(TEST_PROGRAMS) $(BUILD)/tests/bench-test
	CA_AGNOSTIC="$(CA_AGNOSTIC)" tests/run.sh

# The tests that start a cluster's daemons (tests/cluster_*.sh: a one-node
# Slurm cluster, about a minute), kept out of `make test`; .ci/run runs both.
test-cluster: all
	tests/run.sh tests/cluster_*.sh

# A known slowdown for checking `bench compare` (tests/shim/delay.c): glibc
# made slower, and the project's allocator made slower (the same source,
# linked against build/libcustomalloc.so, whose __libc_malloc it then calls).
all: $(BUILD)/tests/libdelay.so $(BUILD)/tests/libdelay-custom.so
$(BUILD)/tests/libdelay.so: tests/shim/delay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -fPIC -shared -o $@ $<
$(BUILD)/tests/libdelay-custom.so: tests/shim/delay.c $(BUILD)/libcustomalloc.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -fPIC -shared -DDELAY_TARGET='"libcustomalloc.so"' -o $@ $< \
	    -L$(BUILD) -Wl,--no-as-needed -lcustomalloc -Wl,-rpath,'$$ORIGIN/..'
