// SPDX-License-Identifier: MIT
/*
 * shim/realloc.c - the rest of the C allocation API on a kmm machine: calloc,
 * realloc and reallocarray, the aligned allocations (posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc) and malloc_usable_size.
 *
 * Each is malloc's allocator core (shim/malloc.c: kmm_alloc(), the block
 * records, the live map) seen from another call: calloc is an allocation
 * that is cleared, the aligned calls an allocation with an alignment above
 * malloc's 16, realloc an allocation, a copy and a free unless the block
 * can keep its place (a class's block that still fits and would not fit a
 * class below half its size; a page block grown or shrunk in place,
 * ram_resize(); a huge block grown in its mapping, shim/huge.c).
 * malloc_usable_size reads a block's size without changing it, but for a
 * page block's record of the bytes asked for, which it drops (the program
 * may use every usable byte from then on: shim/blocks.h).
 *
 * calloc, realloc and malloc_usable_size of a small block take the slab's
 * lock-free paths first, as malloc and free do (lockfree_on, shim/core.h):
 * a block of one of the shim's classes is known by its shadow byte alone
 * (small_live_size()).
 *
 * Linux counterpart: none (glibc's malloc/malloc.c is the API being
 * replaced); krealloc() and kmalloc_size_roundup() are the kernel's nearest.
 *
 * Locking: none of its own; what it calls enters the CPU slot's section
 * (shim/malloc.c's header has the order).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/addr.h"
#include "mm/include/machine.h"
#include "mm/include/slab.h"
#include "shim/blocks.h"
#include "shim/classes.h"
#include "shim/core.h"
#include "shim/harden.h"
#include "shim/huge.h"
#include "shim/huge_table.h"
#include "shim/trace.h"
#include "shim/trim.h"

/*
 * calloc of a small block is malloc()'s (its inline lock-free path, or
 * its slow path's barn and kmm_alloc()) and a clear of the bytes asked
 * for, as kmm_alloc() clears them. python3 (bench/malloc/run.sh's
 * alloc.py) callocs 401 K blocks of 16-64 bytes: 48 instructions each
 * over malloc's through kmem_cache_alloc_fast(), ~25 through malloc()
 * (callgrind of a calloc loop, docs/malloc-measured-2.md, real28).
 */
void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (likely(__atomic_load_n(&lockfree_on, __ATOMIC_ACQUIRE) && bytes - 1 < SMALL_MAX &&
		   !in_kmm)) {
		void *p = malloc(bytes);
		return likely(p) ? memset(p, 0, bytes) : NULL;
	}
	if (unlikely(in_kmm) || unlikely(!shim_ready()))
		return __libc_calloc(n, size);
	void *p = kmm_alloc(bytes, 16, true);
	SHIM_TRACE(shim_trace_alloc(p, bytes, 0));
	return p;
}

/*
 * The usable bytes of @p (in RAM) when its shadow byte names one of the
 * shim's classes (class_code_size[]): @p is then a live block of that
 * class. 0 when it does not (a page block, a freed or foreign pointer, a
 * mode without lock-free paths): the caller asks the long way. Not for a
 * page-aligned pointer: a page block's shadow the trim discarded stays
 * untouched (kfree_fast() says why).
 */
static inline size_t small_live_size(const void *p)
{
	if (!__atomic_load_n(&lockfree_on, __ATOMIC_ACQUIRE) ||
	    ((uintptr_t)p & ((1u << trim_shadow_shift) - 1)) || !((uintptr_t)p & (PAGE_SIZE - 1)))
		return 0;
	unsigned int c = (unsigned int)__atomic_load_n(
		(unsigned char *)(slab_shadow_bias + ((uintptr_t)p >> trim_shadow_shift)),
		__ATOMIC_RELAXED) - KMM_SLAB_SHADOW_CODE_BASE;
	return c < CLASS_CODES ? class_code_size[c] : 0;
}

static __attribute__((noinline)) void *realloc_slow(void *p, size_t size);

/*
 * realloc of a block of one of the shim's classes to a small size, the
 * realloc real programs make (perl's hash.pl: 400 K, of 16-64 bytes, 350 K
 * of them moves; python3's alloc.py: 1.6 M of 2.0 M): the block stays if
 * it still fits and would not fit a class below half its size, else
 * malloc(), the copy and free(): their inline lock-free paths, and no
 * frame of the long function (realloc_slow(), every other case: NULL, 0,
 * a page block or huge block on either side, a mode without lock-free
 * paths, in kmm). A move cost ~90 instructions more the long way
 * (callgrind, docs/malloc-measured-2.md, real28).
 */
void *realloc(void *p, size_t size)
{
	size_t old;

	if (likely(in_ram(p) && size - 1 < SMALL_MAX && !in_kmm && (old = small_live_size(p)) != 0)) {
		if (size <= old && (size > old / 2 || old <= 16))
			return p;
		void *q = malloc(size);
		if (likely(q)) {
			memcpy(q, p, KMM_MIN(old, size));
			free(p);
		}
		return q;
	}
	return realloc_slow(p, size);
}

static __attribute__((noinline)) void *realloc_slow(void *p, size_t size)
{
	if (!p)
		return malloc(size);
	if (!size) {
		free(p);
		return NULL;
	}
	if (unlikely(in_kmm) || !shim_ready())	/* boots first, as free() does */
		return __libc_realloc(p, size);

	size_t old;
	if (in_ram(p) && (old = small_live_size(p)) != 0) {
		/* A live block of a class (the same rule as below, without its lookups). */
		if (size <= old && (size > old / 2 || old <= 16)) {
			SHIM_TRACE(shim_trace_realloc(p, p, size));
			return p;
		}
	} else if (in_ram(p)) {
		if (!block_live(p))
			report_bad_pointer("realloc", block_freed(p) ? "invalid pointer (freed)"
					   : "invalid pointer", p);
		old = ram_usable(p);
		if (!harden_on && size > SMALL_MAX && size <= PAGES_MAX && old > SMALL_MAX &&
		    ram_resize(p, size)) {
			if (stats_enabled) {
				stat_add(-(long)old);
				stat_add((long)ram_usable(p));
			}
			SHIM_TRACE(shim_trace_realloc(p, p, size));
			return p;
		}
		/*
		 * Keep the block when the new size fits and would not fit a class
		 * below half (hardened: only the same size, the red zone is exact).
		 */
		if (unlikely(harden_on) ? size == old
		    : size <= old && (size > old / 2 || old <= 16)) {
			if (block_bytes_asked(ram_head(p), old) < old)
				block_set_asked(ram_head(p), size);
			SHIM_TRACE(shim_trace_realloc(p, p, size));
			return p;
		}
		old = block_bytes_asked(ram_head(p), old);
	} else {
		switch (huge_realloc(p, &size, &old)) {
		case HUGE_FOREIGN:
			return __libc_realloc(p, size);
		case HUGE_KEEP:
			SHIM_TRACE(shim_trace_realloc(p, p, size));
			return p;
		case HUGE_MOVE:
			break;
		}
		void *q = size > old ? huge_grow(p, size) : NULL;
		if (q) {
			if (stats_enabled) {
				stat_add(-(long)old);
				stat_add((long)kmm_usable(q));
			}
			SHIM_TRACE(shim_trace_realloc(p, q, size));
			return q;
		}
	}
	/*
	 * A small block tries malloc's lock-free path first (perl reallocs
	 * one block in five; the long way through kmm_alloc() cost ~390
	 * instructions more each, callgrind: docs/malloc.md).
	 */
	void *q = NULL;
	if (__atomic_load_n(&lockfree_on, __ATOMIC_ACQUIRE) && size <= SMALL_MAX)
		q = kmem_cache_alloc_fast(class_cache(class_index(size)));
	if (!q && !(q = kmm_alloc(size, 16, false)))
		return NULL;
	block_move_bytes(q, p, KMM_MIN(old, size), anon_ram && !harden_on && in_ram(p) && !in_ram(q));
	SHIM_TRACE(shim_trace_realloc(p, q, size));	/* and free() below is not recorded */
	free(p);
	return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

/*
 * An allocation aligned to @align (a power of two). Up to a page, in the
 * lock-free mode, it is malloc() of the power of two that holds both @size
 * and @align, the class kmm_alloc() would take: a power-of-two class's
 * blocks are aligned to their size (its slabs start on a page boundary,
 * its blocks follow one another), and the rare block that is not goes back
 * and the long way decides. memalign(64, 64): ~385 instructions with its
 * free the long way, ~120 so (callgrind, docs/malloc-measured-2.md, real28).
 */
static void *aligned_common(size_t align, size_t size)
{
	if (likely(__atomic_load_n(&lockfree_on, __ATOMIC_ACQUIRE) && align <= PAGE_SIZE &&
		   size - 1 < SMALL_MAX && !in_kmm)) {
		size_t want = align <= 16 ? size : 1UL << fls_ul(KMM_MAX(size, align) - 1);
		if (want <= SMALL_MAX) {
			void *p = malloc(want);
			if (likely(!((uintptr_t)p & (align - 1))))	/* NULL too: malloc() set errno */
				return p;
			free(p);
		}
	}
	if (unlikely(in_kmm) || unlikely(!shim_ready()))
		return __libc_memalign(align, size);
	void *p = kmm_alloc(size, KMM_MAX(align, (size_t)16), false);
	SHIM_TRACE(shim_trace_alloc(p, size, align));
	return p;
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = aligned_common(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned_common(align, size);
}

void *memalign(size_t align, size_t size)
{
	/*
	 * glibc refuses an alignment above SIZE_MAX / 2 + 1 (EINVAL) and rounds
	 * a non-power-of-two one up to the next power of two. Checked before
	 * rounding: 1UL << 64 is undefined (memalign(SIZE_MAX, 16) returned a
	 * pointer).
	 */
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (align & (align - 1))
		align = 1UL << fls_ul(align);
	return aligned_common(align ? align : 1, size);
}

void *valloc(size_t size)
{
	return aligned_common(PAGE_SIZE, size);
}

void *pvalloc(size_t size)
{
	if (size > PTRDIFF_MAX - PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_common(PAGE_SIZE, size ? ALIGN_UP(size, PAGE_SIZE) : PAGE_SIZE);
}

size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (ram_start && in_ram(p)) {
		size_t n = small_live_size(p);	/* a class's block: no record to forget */
		if (n)
			return n;
		n = kmm_usable(p);
		if (n)
			block_forget_asked(ram_head(p));	/* the program may now use all @n bytes */
		return n;
	}
	if (!in_kmm && atomic_load(&shim_state) == SHIM_UP) {
		struct huge_entry e;
		if (huge_lookup((uintptr_t)p, &e))
			return e.usable;
	}
	return glibc_usable_size ? glibc_usable_size(p) : 0;
}
