# The harness: build/bench, with every workloads/*.c linked in (each one
# registers itself; nothing else lists them).

HARNESS_SRC  := $(wildcard harness/*.c)
WORKLOAD_SRC := $(wildcard workloads/*.c)
# The version `bench --version` prints: the commit it was built from.
BENCH_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
HARNESS_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -pthread \
    -DBENCH_MULTIARCH='"$(MULTIARCH)"' -DBENCH_CPU='"$(firstword $(subst -, ,$(MULTIARCH)))"' \
    -DBENCH_CFLAGS='"$(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC)"' -DBENCH_VERSION='"$(BENCH_VERSION)"'
HARNESS_LIBS := -pthread -ldl -lm

HARNESS_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(HARNESS_SRC))
WORKLOAD_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(WORKLOAD_SRC))

all: $(BUILD)/bench

$(BUILD)/bench: $(HARNESS_OBJ) $(WORKLOAD_OBJ)
	$(CC) -o $@ $^ $(HARNESS_LIBS)

$(BUILD)/obj/harness/%.o: harness/%.c $(wildcard harness/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HARNESS_CFLAGS) -c -o $@ $<
$(BUILD)/obj/workloads/%.o: workloads/%.c harness/workload.h
	@mkdir -p $(dir $@)
	$(CC) $(HARNESS_CFLAGS) -c -o $@ $<

# The probe preloaded into real-program workloads (harness/probe/): reports
# from inside each process which library malloc resolves to.
all: $(BUILD)/libbenchprobe.so
$(BUILD)/libbenchprobe.so: harness/probe/benchprobe.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -fPIC -shared -o $@ $< -ldl
