# The project's allocator: build/libcustomalloc.so (LD_PRELOAD-able and
# linkable), its tests, and the sanitizer builds of the tests (the same
# sources compiled with -DCUSTOMALLOC_PREFIX: ca_malloc, ..., interposing
# nothing).

CA_SRCS := os.c segment.c page.c alloc.c free.c large.c heap.c stats.c override.c
CA_HDRS := allocator/internal.h
CA_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -fvisibility=hidden \
             -ftls-model=initial-exec -fno-plt
CA_OBJS := $(addprefix $(BUILD)/allocator/,$(CA_SRCS:.c=.o))

all: $(BUILD)/libcustomalloc.so

$(BUILD)/allocator/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_CFLAGS) -c $< -o $@

$(BUILD)/libcustomalloc.so: $(CA_OBJS)
	$(CC) -shared -Wl,-z,now -o $@ $(CA_OBJS)

# --- tests -----------------------------------------------------------------
CA_TEST_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -pthread -Itests
CA_TEST_DEPS := tests/check.h tests/allocator/alloc_test.h

# Allocator-agnostic programs: they test whatever malloc runs in the process.
CA_AGNOSTIC := test_alloc_api test_alloc_stress test_alloc_fork test_alloc_churn
$(BUILD)/tests/test_alloc_%: tests/allocator/alloc_%.c $(CA_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_TEST_CFLAGS) $< -o $@ -ldl

# Checks specific to customalloc (statistics, trim, decay, system calls);
# run by tests/test_alloc_custom.sh under LD_PRELOAD, not directly.
$(BUILD)/tests/alloc_custom_checks: tests/allocator/custom_checks.c $(CA_TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_TEST_CFLAGS) $< -o $@ -ldl

# Callgrind driver for the fast-path instruction count.
$(BUILD)/tests/alloc_pairs: tests/allocator/pairs.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) $< -o $@

# Sanitizer builds: prefixed allocator objects, tests compiled to call them.
CA_SAN_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CA_SAN_TSAN := -fsanitize=thread
CA_PFX_FLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -ftls-model=initial-exec -DCUSTOMALLOC_PREFIX
$(BUILD)/allocator/asan/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_PFX_FLAGS) $(CA_SAN_ASAN) -c $< -o $@
$(BUILD)/allocator/tsan/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_PFX_FLAGS) $(CA_SAN_TSAN) -c $< -o $@

$(BUILD)/tests/test_alloc_api_asan: tests/allocator/alloc_api.c $(CA_TEST_DEPS) $(addprefix $(BUILD)/allocator/asan/,$(CA_SRCS:.c=.o))
	$(CC) $(CA_TEST_CFLAGS) $(CA_SAN_ASAN) -DCA_TEST_PREFIXED $< $(filter %.o,$^) -o $@ -ldl
$(BUILD)/tests/test_alloc_stress_asan: tests/allocator/alloc_stress.c $(CA_TEST_DEPS) $(addprefix $(BUILD)/allocator/asan/,$(CA_SRCS:.c=.o))
	$(CC) $(CA_TEST_CFLAGS) $(CA_SAN_ASAN) -DCA_TEST_PREFIXED $< $(filter %.o,$^) -o $@ -ldl
$(BUILD)/tests/test_alloc_stress_tsan: tests/allocator/alloc_stress.c $(CA_TEST_DEPS) $(addprefix $(BUILD)/allocator/tsan/,$(CA_SRCS:.c=.o))
	$(CC) $(CA_TEST_CFLAGS) $(CA_SAN_TSAN) -DCA_TEST_PREFIXED $< $(filter %.o,$^) -o $@ -ldl

TEST_PROGRAMS += $(addprefix $(BUILD)/tests/,$(CA_AGNOSTIC)) \
                 $(BUILD)/tests/alloc_custom_checks $(BUILD)/tests/alloc_pairs $(BUILD)/libcustomalloc.so \
                 $(BUILD)/tests/test_alloc_api_asan $(BUILD)/tests/test_alloc_stress_asan \
                 $(BUILD)/tests/test_alloc_stress_tsan
