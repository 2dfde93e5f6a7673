# The project's allocator: build/libcustomalloc.so (placeholder until it lands).
