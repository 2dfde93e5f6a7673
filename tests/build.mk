# Tests: tests/run.sh runs every tests/test_*.sh script and every program
# build/tests/test_*. Parts add their test programs to TEST_PROGRAMS.
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

.PHONY: test
test: all $(TEST_PROGRAMS) $(BUILD)/tests/bench-test
	tests/run.sh
