/* segmap.c: which 4 MiB segments of the address space are ours: one byte
 * per segment of the user address space (2^25 bytes, 32 MiB of .bss: only
 * the 4 KiB pages that hold entries of our mappings are ever touched, one
 * per 16 GiB of address space in use). A small/medium segment's byte is set
 * while it is mapped (cached ones included); large blocks have none (their
 * arena has its own map, large.c). free checks the byte before it reads
 * the descriptor its pointer leads to (ca_slot_of), so that a pointer that
 * is not ours (NULL, the stack, static data, another allocator's memory)
 * never leads to a read of memory that may not be mapped. Bytes are
 * written only by the thread that maps or unmaps their segment. */
#include "internal.h"

uint8_t ca_segmap[(size_t)1 << (CA_ADDRESS_BITS - CA_SEG_SHIFT)];

void ca_segmap_set(const void *seg)
{
    atomic_store_explicit((_Atomic(uint8_t) *)&ca_segmap[(uintptr_t)seg >> CA_SEG_SHIFT], 1, memory_order_relaxed);
}

void ca_segmap_clear(const void *seg)
{
    atomic_store_explicit((_Atomic(uint8_t) *)&ca_segmap[(uintptr_t)seg >> CA_SEG_SHIFT], 0, memory_order_relaxed);
}
