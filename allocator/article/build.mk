# The article's allocator, rebuilt as a reference backend (README.md here):
#   build/libarticlealloc.so          one global lock      (backend "article")
#   build/libarticlealloc-binlock.so  one lock per bin     (backend "article-binlock")
# Both from the same sources; -DARTICLE_BIN_LOCKS selects the second.

ARTICLE_SRCS   := $(wildcard allocator/article/*.c)
ARTICLE_HDRS   := $(wildcard allocator/article/*.h)
ARTICLE_CFLAGS := $(CFLAGS_COMMON) $(NO_BUILTIN_ALLOC) -fPIC -fvisibility=hidden \
                  -ftls-model=initial-exec -pthread
ARTICLE_LDFLAGS := -shared -pthread -Wl,--no-undefined -Wl,-z,now

all: $(BUILD)/libarticlealloc.so $(BUILD)/libarticlealloc-binlock.so

$(BUILD)/libarticlealloc.so: $(ARTICLE_SRCS) $(ARTICLE_HDRS) allocator/article/build.mk
	@mkdir -p $(@D)
	$(CC) $(ARTICLE_CFLAGS) $(ARTICLE_LDFLAGS) -o $@ $(ARTICLE_SRCS)

$(BUILD)/libarticlealloc-binlock.so: $(ARTICLE_SRCS) $(ARTICLE_HDRS) allocator/article/build.mk
	@mkdir -p $(@D)
	$(CC) $(ARTICLE_CFLAGS) -DARTICLE_BIN_LOCKS $(ARTICLE_LDFLAGS) -o $@ $(ARTICLE_SRCS)
