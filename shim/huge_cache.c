// SPDX-License-Identifier: MIT
/*
 * shim/huge_cache.c - the malloc shim's cache of freed huge mappings
 * (shim/huge_cache.h).
 *
 * Linux counterpart: none (glibc's mmap threshold and tcmalloc's page heap
 * play the part: both reuse freed large blocks instead of mapping afresh).
 *
 * Recently freed huge mappings, reused by the next huge block (best fit;
 * else cut or grown to size), as glibc and tcmalloc reuse such blocks
 * instead of mapping fresh memory: a fresh mapping costs a host
 * mmap, a page fault and zeroing per page. Bounded: HUGE_CACHE_ENTRIES
 * mappings and huge_cache_limit bytes (KMM_MALLOC_HUGE_CACHE, default
 * 64M), and no more bytes than the live huge blocks hold, HUGE_CACHE_FLOOR,
 * or what the live blocks lack of the most they held right after a block
 * came from the cache, whichever is more: a cached mapping is resident,
 * and a small program's peak RSS should not double for it (glibc's bound
 * likewise follows its largest freed mapping), but a program that re-uses
 * its huge blocks keeps the footprint it has shown it needs (session 15:
 * big_reuse 1 1000 faulted 141k pages, 84k with it; its peak RSS the
 * same; cache_limit_locked()). The oldest goes back to
 * the host first, and malloc_trim() returns all. Not used hardened (freed
 * ranges stay reserved there).
 *
 * A mapping is cached as it is, open, its pages and its one closed page
 * (the guard page after the block that had it) kept: freeing it and
 * handing it to the next block costs no host call but, when the new block
 * ends elsewhere, moving the guard page (two one-page mprotects). Closing
 * the whole mapping while cached (as until session 9) named a use after
 * free, but changed every page's entry twice per reuse, and a host that
 * shadows page tables (this project's test box) then faults on the first
 * touch of each page as if it were new: big_reuse spent most of its time
 * there. Use-after-free of a huge block is now caught only hardened, as
 * for every other block (docs/malloc.md). And a mapping that fits (up to
 * twice the size asked) is reused whole, its spare tail kept with its
 * pages: cutting the tail gave back pages that the next larger block
 * faulted in again, and so did discarding it (until session 11: big_reuse
 * 1 1000 faulted 215k pages, glibc 237k). The tail lies past the block's
 * guard page; malloc_trim() discards it (huge_trim_tails()).
 *
 * Only a mapping its owner used densely keeps its pages: the next block
 * reuses them only where it writes, and a block written at a few places (a
 * header, a tail, the first half before a realloc) left most of its pages
 * idle. A freed block with less than three quarters of its bytes resident
 * (HUGE_CACHE_DENSE) has its mapping cached without them (discarded, so it
 * reads as zero): the reuse then saves the host mmap and munmap, not the
 * faults. The block's bytes are judged, not the mapping's: a 5 MiB block
 * written through in a 10 MiB mapping whose tail held nothing was judged
 * sparse, and its pages went (big_reuse's 4-6 and 8-12 MiB blocks lost
 * them so at every other reuse).
 * (bench/malloc/mt_churn 1 100000 2000, whose 4-6 MiB blocks are written
 * at both ends and, one in sixteen, half through by realloc: peak RSS
 * 23.1 -> 19.0 MB, glibc 14.4; big_reuse 1 1000, blocks written through,
 * keeps its 243k page faults.)
 *
 * Invariant: a cached mapping is open (read-write) but for at most one
 * page, at offset guard (guard == len: none); huge_cached_bytes is the sum
 * of the cached lengths.
 */
#include <stdbool.h>
#include <string.h>

#include "lib/util.h"
#include "mm/include/mmzone.h"
#include "shim/huge_cache.h"
#include "shim/huge_table.h"

#define HUGE_CACHE_ENTRIES 16
#define HUGE_CACHE_FLOOR (24UL << 20)	/* the bound never falls below this */
/* A mapping keeps its pages in the cache if at least 3/4 of its bytes are resident. */
#define HUGE_CACHE_DENSE(resident, len) ((resident) >= (len) / 4 * 3)
static struct {
	void *base;
	size_t len;
	size_t guard;		/* offset of its closed page; len: none */
} huge_cache[HUGE_CACHE_ENTRIES];		/* huge_lock; oldest first */
static int huge_cached;				/* huge_lock */
static size_t huge_cached_bytes;		/* huge_lock */
/*
 * The most bytes the live huge blocks have held right after one of them
 * was served from the cache (huge_lock; 0 again after huge_cache_trim()):
 * the footprint the program has shown it re-uses (cache_limit_locked()).
 */
static size_t huge_reuse_high;
static size_t huge_cache_limit = 64UL << 20;	/* set before the first huge block */

/* Open the page at @guard of @base/@len if it is inside. Return: 0 or -errno. */
static int open_guard(void *base, size_t len, size_t guard)
{
	if (guard >= len)
		return 0;
	return sim_protect((char *)base + guard, PAGE_SIZE, true);
}

/*
 * Take a cached mapping for @len bytes: the smallest of @len .. 2 * @len
 * bytes, whole (its spare tail too: the pages a larger block will want
 * again); else the smallest larger one, its tail beyond @len given back;
 * else the largest smaller one, grown to @len in place or moved (mremap
 * keeps its pages: no faults for them). So a huge block finds a mapping
 * whenever one is cached, and the cache does not hold mappings while fresh
 * ones are made beside them. Then its closed page is moved to @len - one
 * page, where the new block's guard goes (nothing to do when the last
 * block there had the same size). Return: its base and length.
 */
void *huge_cache_take(size_t len, size_t *got)
{
	int fit = -1, big = -1, small = -1;

	if (!huge_cache_limit)
		return NULL;
	spin_lock(&huge_lock);
	for (int i = 0; i < huge_cached; i++) {
		size_t l = huge_cache[i].len;
		if (l >= len && l / 2 <= len && (fit < 0 || l < huge_cache[fit].len))
			fit = i;
		else if (l > len && (big < 0 || l < huge_cache[big].len))
			big = i;
		else if (l < len && (small < 0 || l > huge_cache[small].len))
			small = i;
	}
	int best = fit >= 0 ? fit : big >= 0 ? big : small;
	void *base = NULL;
	size_t have = 0, guard = 0;
	if (best >= 0) {
		base = huge_cache[best].base;
		have = huge_cache[best].len;
		guard = huge_cache[best].guard;
		huge_cached_bytes -= have;
		memmove(&huge_cache[best], &huge_cache[best + 1],
			sizeof(huge_cache[0]) * (size_t)(huge_cached - best - 1));
		huge_cached--;
		/* the live bytes once this block is in the table (huge_insert()) */
		huge_reuse_high = KMM_MAX(huge_reuse_high, huge_live_bytes + (best == fit ? have : len));
	}
	spin_unlock(&huge_lock);
	if (!base)
		return NULL;
	if (have > len && best != fit) {
		sim_release((char *)base + len, have - len);
		have = len;
	} else if (have < len) {
		/* One host mapping, all open, for mremap (it refuses a range of several). */
		if (open_guard(base, have, guard))
			goto out_release;
		guard = len;
		void *grown = sim_resize(base, have, len);
		if (!grown)
			goto out_release;
		base = grown;
		have = len;
	}
	size_t want = len - PAGE_SIZE;
	if (guard != want) {
		if (open_guard(base, have, guard) ||
		    sim_protect((char *)base + want, PAGE_SIZE, false))
			goto out_release;
	}
	*got = have;
	return base;

out_release:
	sim_release(base, have);
	return NULL;
}

/*
 * The byte bound now: huge_lock held. At most huge_cache_limit; within
 * that, the floor, the live blocks' bytes, or what the live blocks lack
 * of the re-use high-water (huge_reuse_high), whichever is more. The last
 * lets a program that frees and re-allocates huge blocks keep, while few
 * of them are live, the mappings its next ones will want (big_reuse's
 * live huge bytes swing between 0 and 41 MiB: with the bound at the live
 * bytes or 24 MiB its growths and fresh mappings faulted 136k pages in
 * 1,000 rounds, 79k with this); by that term the cached and live mappings
 * together stay within the high-water, a footprint the program has
 * already had live. A program that never re-uses a freed huge mapping has
 * no high-water: its bound is as before.
 */
static size_t cache_limit_locked(void)
{
	size_t lacking = huge_reuse_high > huge_live_bytes ? huge_reuse_high - huge_live_bytes : 0;

	return KMM_MIN(huge_cache_limit,
		       KMM_MAX(KMM_MAX(HUGE_CACHE_FLOOR, huge_live_bytes), lacking));
}

/*
 * Keep @base/@len (closed at @guard) for reuse, giving the oldest mappings
 * back beyond the bounds. A mapping above the byte bound goes straight
 * back to the host, before any work on it (asking the host which of its
 * pages are resident, discarding them): it would be released right after.
 * The bound is read again under the lock when the mapping goes in, since
 * live blocks may have been freed meanwhile.
 */
void huge_cache_put(void *base, size_t len, size_t guard)
{
	void *drop[HUGE_CACHE_ENTRIES + 1];
	size_t drop_len[HUGE_CACHE_ENTRIES + 1];
	int n = 0;

	spin_lock(&huge_lock);
	bool fits = len <= cache_limit_locked();
	spin_unlock(&huge_lock);
	if (!fits) {
		sim_release(base, len);
		return;
	}
	/*
	 * Sparse: cached without its pages (if the host refuses, with them).
	 * Judged on the freed block's bytes, before its guard page: the
	 * mapping's spare tail is not the block's to have used.
	 */
	size_t used = KMM_MIN(guard, len);
	if (!HUGE_CACHE_DENSE(sim_resident(base, used), used))
		sim_discard(base, len);
	spin_lock(&huge_lock);
	size_t limit = cache_limit_locked();
	if (len > limit) {
		spin_unlock(&huge_lock);
		sim_release(base, len);
		return;
	}
	while (huge_cached && (huge_cached == HUGE_CACHE_ENTRIES ||
			       huge_cached_bytes + len > limit)) {
		drop[n] = huge_cache[0].base;
		drop_len[n++] = huge_cache[0].len;
		huge_cached_bytes -= huge_cache[0].len;
		memmove(&huge_cache[0], &huge_cache[1], sizeof(huge_cache[0]) * (size_t)--huge_cached);
	}
	huge_cache[huge_cached].base = base;
	huge_cache[huge_cached].len = len;
	huge_cache[huge_cached++].guard = KMM_MIN(guard, len);
	huge_cached_bytes += len;
	spin_unlock(&huge_lock);
	for (int i = 0; i < n; i++)
		sim_release(drop[i], drop_len[i]);
}

/* malloc_trim(): every cached mapping back to the host. Return: bytes given back. */
size_t huge_cache_trim(void)
{
	size_t bytes = 0;
	void *base;
	size_t len;

	for (;;) {
		spin_lock(&huge_lock);
		huge_reuse_high = 0;	/* the program said it is done with it */
		if (!huge_cached) {
			spin_unlock(&huge_lock);
			return bytes;
		}
		base = huge_cache[--huge_cached].base;
		len = huge_cache[huge_cached].len;
		huge_cached_bytes -= len;
		spin_unlock(&huge_lock);
		sim_release(base, len);
		bytes += len;
	}
}

bool huge_cache_holds(uintptr_t addr)
{
	bool found = false;

	spin_lock(&huge_lock);
	for (int i = 0; i < huge_cached && !found; i++)
		found = addr - (uintptr_t)huge_cache[i].base < huge_cache[i].len;
	spin_unlock(&huge_lock);
	return found;
}

void huge_cache_set_limit(size_t bytes)
{
	huge_cache_limit = bytes;
}

