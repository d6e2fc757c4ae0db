// SPDX-License-Identifier: MIT
/*
 * shim/huge.c - the malloc shim's huge blocks: every block above 4 MiB
 * (KMALLOC_MAX_SIZE) is a host mapping of its own, as Linux hands a
 * kmalloc too big for the page allocator to vmalloc, and glibc a request
 * above its mmap threshold to mmap (shim/huge.h).
 *
 * Linux counterpart: none (glibc's mmap-threshold chunks play the part).
 * Split out of shim/malloc.c (session 10) with no change in behaviour:
 * malloc.c decides where a size goes; this file maps, frees and resizes
 * huge blocks, and judges the pointers that are neither in RAM nor in the
 * huge table (glibc's, when it served a call; else a misuse to report).
 *
 * A block's mapping is [base, base + len): alignment slack (when asked for
 * more than a page), the usable bytes from the user pointer (the table's
 * key), then one closed guard page. Freed mappings whose block started at
 * base are cached for reuse (shim/huge_cache.c); the table
 * (shim/huge_table.c) keeps freed keys to name a second free.
 *
 * Locking: no lock held on entry; the table and the cache take huge_lock
 * themselves, and the hardened quarantine of freed ranges is taken under
 * it here. The host calls run outside it.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/sim/sim.h"
#include "lib/util.h"
#include "shim/harden.h"
#include "shim/huge.h"
#include "shim/huge_cache.h"
#include "shim/huge_table.h"

extern void __libc_free(void *ptr);

static _Noreturn void bad_pointer(const char *call, const char *what, const void *ptr)
{
	shim_report(call, what, ptr, (size_t)-1, -1, 0x100);
}

void *huge_alloc(size_t size, size_t align, bool zero)
{
	size_t slack = align > PAGE_SIZE ? align - PAGE_SIZE : 0;
	size_t usable, len;
	uintptr_t p;

	if (slack > PTRDIFF_MAX / 2 || size > PTRDIFF_MAX - slack - 2 * PAGE_SIZE ||
	    unlikely(harden_fail_every && harden_fail_now()))
		return NULL;
	if (unlikely(harden_on)) {
		usable = size;
		len = harden_pages_bytes(size, align);
	} else {
		usable = ALIGN_UP(size, PAGE_SIZE);
		len = usable + slack + PAGE_SIZE;	/* and a guard page */
	}
	size_t cached_len = 0;
	void *base = NULL;
	if (likely(!harden_on) && !slack && (base = huge_cache_take(len, !zero, &cached_len)) != NULL) {
		/* A cached mapping, its guard page already after the block. */
		len = cached_len;
		/* reads as zero, as a fresh one; a range the program mlock()ed stays: clear it */
		if (zero && sim_discard(base, usable))
			memset(base, 0, usable);
	} else {
		base = sim_reserve(len, true);
	}
	if (!base)
		return NULL;
	if (unlikely(harden_on)) {
		p = (uintptr_t)harden_pages_place(base, len, size, align);
	} else {
		p = ALIGN_UP((uintptr_t)base, align > PAGE_SIZE ? align : PAGE_SIZE);
		if (!cached_len)
			sim_protect((void *)(p + usable), PAGE_SIZE, false);
	}
	harden_note_huge(base, len);
	if (!huge_insert(p, base, len, usable)) {
		sim_release(base, len);
		return NULL;
	}
	return (void *)p;
}

/* ---- Pointers that are neither in RAM nor huge ---- */

/*
 * A pointer neither in RAM nor in the huge table: glibc's, unless nothing is
 * mapped where glibc keeps its chunk header (a huge block freed long ago, or
 * a wild pointer): glibc would crash reading it, so it is refused here.
 */
static bool foreign_pointer_ok(const void *p)
{
	extern void *__libc_stack_end;	/* the top of the main thread's stack */
	volatile char here = 0;	/* the bottom of the calling thread's stack, nearly */
	uintptr_t a = (uintptr_t)p, sp = (uintptr_t)&here;
	Dl_info info;

	if (!sim_mapped((const char *)p - 16) || !sim_mapped(p))
		return false;
	/*
	 * The program's and its libraries' code and data and, on the main
	 * thread, its stack are never glibc's: refused in every mode (glibc's
	 * realloc would crash on them).
	 */
	if (dladdr(p, &info))
		return false;
	if (getpid() == gettid() && a >= sp && a < (uintptr_t)__libc_stack_end)
		return false;
	if (!harden_on)
		return true;
	/*
	 * Hardened: a program holds no glibc pointer (the shim serves from its
	 * first malloc; glibc serves only kmm's own calls), so only glibc's
	 * heap (below the break; the program's image, below it too, was refused
	 * above) or one of its mapped chunks passes: never a stack address.
	 */
	return p < sbrk(0) || !(((uintptr_t)p - 16) & (PAGE_SIZE - 1));
}

/* Free or realloc of @p that neither RAM nor the table knows: name what it is, or pass. */
static void foreign_pointer(const char *call, void *p)
{
	struct huge_entry e;

	/*
	 * A freed block's range is evidence only while it is still ours (in
	 * the cache, or held by the hardened mode): once given back the host
	 * may have mapped glibc's own memory there (a thread's arena).
	 */
	if (huge_containing((uintptr_t)p, &e) &&
	    (!e.freed || harden_on || huge_cache_holds((uintptr_t)p)))
		bad_pointer(call, e.freed ? "invalid pointer (inside a freed block)"
			    : "invalid pointer (inside a block)", p);
	if (!foreign_pointer_ok(p))
		bad_pointer(call, "invalid pointer (never returned by malloc)", p);
}

/* ---- Freeing and resizing ---- */

size_t huge_free(void *p, const char *call)
{
	struct huge_entry e;
	bool was_freed;

	if (huge_remove((uintptr_t)p, &e, &was_freed)) {
		if (unlikely(harden_on)) {
			harden_pages_size(call, p, e.base, e.len);
			spin_lock(&huge_lock);
			bool held = harden_quarantine_huge(e.base, e.len);
			spin_unlock(&huge_lock);
			if (!held)
				sim_release(e.base, e.len);
			return e.usable;
		}
		/*
		 * Reused only where the block starts its mapping (no alignment
		 * slack): the next block there has the same key, so its entry
		 * replaces this freed one and no stale entry names the range.
		 */
		if (e.key == (uintptr_t)e.base)
			huge_cache_put(e.base, e.len, e.usable);
		else
			sim_release(e.base, e.len);
		return e.usable;
	}
	if (was_freed)
		bad_pointer(call, "double free", p);
	foreign_pointer(call, p);
	/* Not ours: glibc's. */
	__libc_free(p);
	return 0;
}

/*
 * Whether the host moves several mappings side by side in one call
 * (sim_move_all(): Linux 6.17 on): 0 not asked yet, 1 yes, -1 no. Relaxed:
 * threads that ask at once get the same answer.
 */
static int host_moves_all;

/*
 * Ask the host once, on two pages of two mappings (one closed). A host that
 * refuses has unmapped the target first (sim_move_all()): that hole is left
 * as it is, two pages of address space, for another thread may have mapped
 * something there since.
 */
static bool moves_all_supported(void)
{
	int v = __atomic_load_n(&host_moves_all, __ATOMIC_RELAXED);

	if (v)
		return v > 0;
	char *from = sim_reserve(2 * PAGE_SIZE, true), *to = sim_reserve(2 * PAGE_SIZE, true);
	v = -1;
	if (from && to && !sim_protect(from + PAGE_SIZE, PAGE_SIZE, false)) {
		v = sim_move_all(from, to, 2 * PAGE_SIZE) ? -1 : 1;
		if (v > 0)
			from = NULL;	/* its pages are at @to now */
		else
			to = NULL;	/* refused: perhaps a hole now, left alone */
	}
	sim_release(from, 2 * PAGE_SIZE);
	sim_release(to, 2 * PAGE_SIZE);
	__atomic_store_n(&host_moves_all, v, __ATOMIC_RELAXED);
	return v > 0;
}

/*
 * Move block mapping @base/@have, which mremap cannot resize, into a fresh
 * mapping of @len bytes, its pages with it: a mapping made of several host
 * mappings side by side (pages moved in by shim/huge_cache.c and
 * trim_move_free(): a moved range stays a mapping of its own). Copying it
 * instead cost realloc_grow a copy of each such block, and the faults of
 * its new pages, at its next growth (session 28: 7 of 10 rounds of
 * realloc_grow 1 10 grew a 4 MiB block that way).
 * Return: the new mapping, or NULL with @base as it was (the caller copies).
 */
static char *move_whole(char *base, size_t have, size_t len)
{
	if (!moves_all_supported())
		return NULL;
	char *to = sim_reserve(len, true);
	if (!to)
		return NULL;
	if (!sim_move_all(base, to, have))
		return to;
	/*
	 * Refused (out of memory, or of host mappings): the host moves the
	 * mappings in order, so with the first still at @base none moved.
	 * One that failed part-way has torn the block: Linux takes such a
	 * failure as fatal already, and so does this.
	 */
	if (!sim_mapped(base))
		abort();
	sim_release(to, len);
	return NULL;
}

/*
 * huge_grow() (shim/huge.h): first into the free range of the heap right
 * after the block's mapping (shim/huge_cache.c), when it holds all the
 * bytes wanted; else with mremap, or moved whole (move_whole()). The
 * block leaves the table while its mapping changes, so that malloc_trim()'s
 * walk of the live blocks' spare tails (huge_trim_tails()) never discards
 * in a range mremap is moving; it is back (under its new key, when it
 * moved) before this returns.
 */
void *huge_grow(void *p, size_t size)
{
	struct huge_entry e;
	bool was_freed;

	if (harden_on || size > PTRDIFF_MAX / 2 || !huge_lookup((uintptr_t)p, &e) ||
	    e.key != (uintptr_t)e.base || ALIGN_UP(size, PAGE_SIZE) <= e.usable ||
	    !huge_remove((uintptr_t)p, &e, &was_freed))
		return NULL;
	size_t usable = ALIGN_UP(size, PAGE_SIZE), len = usable + PAGE_SIZE;
	char *base = e.base;
	size_t have = e.len;

	/* The guard opened, the mapping is one range, all open: mremap refuses several. */
	if (sim_protect(base + e.usable, PAGE_SIZE, true))
		goto out_restore;
	bool guard_ready = false;
	size_t fresh_from = usable;	/* where the host's new bytes start, if any */
	if (len > have && huge_cache_extend((uintptr_t)base + have, len - have, len, &guard_ready)) {
		have = len;	/* the free range right after it, with its pages */
	} else if (len > have) {
		fresh_from = have;
		char *grown = sim_resize(base, have, len);
		if (!grown)
			grown = move_whole(base, have, len);
		if (!grown)
			goto out_reguard;
		base = grown;
		have = len;
	}
	/*
	 * Once mremap has moved the block, its old address is gone and the
	 * caller cannot fall back to copying from it: keep the block even when
	 * the host refuses its new guard page (mprotect fails at
	 * vm.max_map_count), unguarded at its end.
	 */
	bool moved = base != e.base;
	if ((guard_ready || sim_protect(base + usable, PAGE_SIZE, false) == 0 || moved) &&
	    huge_insert((uintptr_t)base, base, have, usable)) {
		/*
		 * A new part the host mapped: the pages the heap or the RAM would
		 * give back move in (their ranges stay mappings of their own, so
		 * only where the next growth can move the block whole).
		 */
		if (fresh_from < usable && moves_all_supported())
			huge_cache_fill((uintptr_t)base + fresh_from, usable - fresh_from);
		return base;
	}
	/* No guard or no table entry: the block cannot be kept; nothing names it but the caller. */
	e.key = (uintptr_t)base;
	e.base = base;
	e.len = have;
out_reguard:
	sim_protect(base + e.usable, PAGE_SIZE, false);
out_restore:
	if (!huge_insert(e.key, e.base, e.len, e.usable))
		abort();	/* the entry just removed had room: cannot happen */
	return NULL;	/* not moved: the caller copies from @p, still mapped */
}

/* Copy [@s, @s + @len) of RAM to @d, then discard its whole pages. */
static void copy_and_discard(char *d, uintptr_t s, size_t len)
{
	uintptr_t first = ALIGN_UP(s, PAGE_SIZE), end = ALIGN_DOWN(s + len, PAGE_SIZE);

	memcpy(d, (const void *)s, len);
	if (first < end)
		sim_discard((void *)first, end - first);
}

/*
 * huge_move_in() (shim/huge.h). Until session 28 every chunk was copied
 * and discarded (realloc_grow 1 20: 71 MB copied so, in 300 calls); moved,
 * the bytes cost one host call. Where the huge block already holds pages
 * (carved from resident free ranges), the move throws them away (the host
 * unmaps what it moves over): copying into those parts instead, asking
 * the host first (mincore), faulted no fewer pages in realloc_grow 1 30
 * (64.2k against 64.1k) and copied 61 MB more.
 */
void huge_move_in(void *dst, const void *src, size_t n)
{
	uintptr_t s0 = (uintptr_t)src;
	uintptr_t first = ALIGN_UP(s0, PAGE_SIZE), end = ALIGN_DOWN(s0 + n, PAGE_SIZE);
	char *d0 = dst;

	if (!(((uintptr_t)dst ^ s0) & (PAGE_SIZE - 1)) && first < end &&
	    !sim_move((void *)first, d0 + (first - s0), end - first)) {
		memcpy(d0, src, first - s0);
		memcpy(d0 + (end - s0), (const void *)end, s0 + n - end);
		return;
	}
	for (size_t off = 0; off < n; off += BLOCK_MOVE_CHUNK)
		copy_and_discard(d0 + off, s0 + off, KMM_MIN(BLOCK_MOVE_CHUNK, n - off));
}

enum huge_resize huge_realloc(void *p, size_t *size, size_t *old)
{
	struct huge_entry e;

	if (!huge_lookup((uintptr_t)p, &e)) {
		if (huge_was_freed((uintptr_t)p))
			bad_pointer("realloc", "invalid pointer (freed)", p);
		foreign_pointer("realloc", p);
		return HUGE_FOREIGN;
	}
	*old = e.usable;
	if (unlikely(harden_on)) {
		harden_pages_size("realloc", p, e.base, e.len);
		if (*size == *old)
			return HUGE_KEEP;
	} else if (*size <= *old && *size > *old / 2) {
		return HUGE_KEEP;
	}
	/* Grow a huge block by half again, so repeated growth copies O(n) bytes. */
	if (*size > *old && *size <= PTRDIFF_MAX / 2 && *size > PAGES_MAX && !harden_on)
		*size += *size / 2;
	return HUGE_MOVE;
}
