# Trace record and replay: build/libbenchtrace.so (the preload tracer),
# the trace loader linked into build/bench for the replay workload, and
# build/trace-dump (prints a trace). The format: trace/format.h.

TRACE_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -fvisibility=hidden -pthread

all: $(BUILD)/libbenchtrace.so
$(BUILD)/libbenchtrace.so: trace/tracer.c trace/format.h
	@mkdir -p $(dir $@)
	$(CC) $(TRACE_CFLAGS) -shared -Wl,-z,now -o $@ $< -ldl

# The loader, linked into build/bench (the replay workload) and trace-dump.
TRACE_LOAD_OBJ := $(BUILD)/obj/trace/load.o
$(TRACE_LOAD_OBJ): trace/load.c trace/load.h trace/format.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -c -o $@ $<

all: $(BUILD)/trace-dump
$(BUILD)/trace-dump: trace/dump.c $(TRACE_LOAD_OBJ)
	$(CC) $(CFLAGS_COMMON) -o $@ $^

# The replay workload (workloads/replay.c) reads its trace through the loader.
$(BUILD)/bench $(BUILD)/tests/bench-test: $(TRACE_LOAD_OBJ)
$(BUILD)/obj/workloads/replay.o: trace/load.h trace/format.h harness/tracefile.h

# The committed traces (workloads/traces/NAME.trace.xz, made by
# trace/record.sh), unpacked for the replay workload.
TRACE_DATA := $(patsubst workloads/traces/%.trace.xz,$(BUILD)/traces/%.trace,\
                $(wildcard workloads/traces/*.trace.xz))
all: $(TRACE_DATA)
$(BUILD)/traces/%.trace: workloads/traces/%.trace.xz
	@mkdir -p $(dir $@)
	xz -dc $< > $@.tmp && mv $@.tmp $@
