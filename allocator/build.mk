# The project's allocator: build/libcustomalloc.so (LD_PRELOAD-able and
# linkable), its debug and hardened builds. Its tests, and the sanitizer
# builds they link, are in tests/build.mk.

# override.c compiles alloc.c, free.c and realloc.c into its unit (the
# exported symbols are aliases of their functions), so those are not listed.
CA_SRCS := os.c segmap.c meta.c cache.c segment.c page.c mcache.c large.c heap.c init.c stats.c override.c
CA_HDRS := allocator/internal.h allocator/alloc.c allocator/free.c allocator/realloc.c
CA_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -fvisibility=hidden \
             -ftls-model=initial-exec -fno-plt
CA_OBJS := $(addprefix $(BUILD)/allocator/,$(CA_SRCS:.c=.o))

all: $(BUILD)/libcustomalloc.so

$(BUILD)/allocator/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_CFLAGS) -c $< -o $@

$(BUILD)/libcustomalloc.so: $(CA_OBJS)
	$(CC) -shared -Wl,-z,now -o $@ $(CA_OBJS)

# The debug build: the same library with -DCA_DEBUG, which checks the
# invariants DESIGN.md lists (ca_assert); tests/test_alloc_builds.sh runs the
# API, stress and fuzz programs under it.
CA_DEBUG_OBJS := $(addprefix $(BUILD)/allocator/debug/,$(CA_SRCS:.c=.o))
$(BUILD)/allocator/debug/%.o: allocator/%.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_CFLAGS) -DCA_DEBUG -c $< -o $@
$(BUILD)/debug/libcustomalloc.so: $(CA_DEBUG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,now -o $@ $(CA_DEBUG_OBJS)

# The hardened build: the same objects but override.o, which compiled with
# -DCA_HARDENED takes in harden.c and exports its layer (tail canaries, a
# quarantine, zero-on-free, guard pages; DESIGN.md, "The hardened build").
# tests/test_alloc_builds.sh runs the API, stress, fuzz and misuse programs
# under it.
CA_HARDENED_OBJS := $(filter-out $(BUILD)/allocator/override.o,$(CA_OBJS)) $(BUILD)/allocator/hardened/override.o
$(BUILD)/allocator/hardened/override.o: allocator/override.c allocator/harden.c $(CA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CA_CFLAGS) -DCA_HARDENED -c $< -o $@
$(BUILD)/libcustomalloc-hardened.so: $(CA_HARDENED_OBJS)
	$(CC) -shared -Wl,-z,now -o $@ $(CA_HARDENED_OBJS)

all: $(BUILD)/libcustomalloc-hardened.so
