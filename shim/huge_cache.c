// SPDX-License-Identifier: MIT
/*
 * shim/huge_cache.c - the malloc shim's heap of freed huge ranges
 * (shim/huge_cache.h): what freed huge blocks leave is kept, split for
 * smaller blocks and merged with free neighbours, and given back to the
 * host under a bound.
 *
 * Linux counterpart: none (tcmalloc's page heap and glibc's reuse of freed
 * chunks below its dynamic mmap threshold play the part: both reuse freed
 * large blocks instead of mapping afresh).
 *
 * A fresh huge block costs a host mmap, and a page fault and a zeroed page
 * per 4 KiB it touches; a freed range whose pages are kept costs neither.
 * Until session 15 the shim kept whole freed mappings (best fit, else cut
 * or grown with mremap), and a block that fitted none was mapped afresh
 * beside mappings too small for it; each reshaping gave back pages that the
 * next larger block faulted in again (bench/malloc/big_reuse 1 1000: 84k
 * faults, glibc 238k, mimalloc 25k). Here the freed ranges form one heap:
 * a range is carved out for a block anywhere in a run of free ranges that
 * lie next to each other (the host places fresh mappings next to the last
 * ones, so runs form across mappings too), where it costs the fewest pages
 * not resident (then in the shortest run, then with the fewest host calls,
 * then at the lowest address); the rest stays free; a freed block joins its
 * neighbours.
 *
 * Each free range is resident (a freed block written through: its pages
 * are kept for the next block, unzeroed, as glibc's reuse is) or empty
 * (discarded, reads as zero: a block written at a few places is kept
 * without its pages, HUGE_CACHE_DENSE, so that the next block does not
 * inherit pages it does not write). The bound: the resident free bytes
 * and the live blocks' bytes together stay within the most the live blocks
 * held right after a block came from the heap (the footprint the program
 * has shown it re-uses; forgotten by malloc_trim()) or HUGE_CACHE_FLOOR,
 * and the resident free bytes within huge_cache_limit
 * (KMM_MALLOC_HUGE_CACHE, 64M): so the heap never raises the huge side of
 * a program's peak RSS above the peak of its live huge bytes, or the
 * floor. Beyond the bound the oldest resident ranges are discarded (the
 * excess only, from a range's end); empty ranges beyond the larger of the
 * floor and the live bytes are unmapped, the largest first; malloc_trim()
 * unmaps them all. Not used in the hardened mode, where freed huge ranges
 * stay reserved instead.
 *
 * Guard pages: a live block has one closed page after it. When it is
 * freed that page stays closed inside its free range (the range records
 * it), so that a block of the same size taken there again costs no host
 * call; a block carved over a closed page opens it (mprotect), and one
 * whose end falls on it keeps it as its own guard. Among places that cost
 * the same pages in runs as short, a block goes where it needs the fewest
 * of those calls
 * (best_place_locked()), ending on a closed page where it can: each
 * mprotect takes the host's mmap lock for writing and splits or merges its
 * VMAs, stalling the faults of the program's other threads, and one that
 * closes a resident page sends them a TLB shootdown (session 25:
 * big_reuse 1 1000 made 638 mprotect calls, 124 since). Two free ranges
 * each with a closed page lie side by side as two ranges of one run.
 *
 * Moved pages (session 26): a block carved where free ranges hold no
 * pages takes those of resident free ranges elsewhere, the oldest first,
 * moved into its empty parts by the host (mremap with MREMAP_DONTUNMAP:
 * page table entries move, no page is faulted in or zeroed), and the
 * sources are listed again empty; so does a fresh mapping made for a
 * block that no run can hold. Without it a block too large for every
 * resident range faulted its pages in while those ranges stayed, and the
 * bound discarded them at the next block: the program paid for each page
 * twice (big_reuse 1 1000: 33.3k page faults, 25.8k with the moves).
 * What the resident free ranges cannot fill takes the pages of free RAM
 * blocks that the next trim would give back (session 27, shim/trim.c's
 * trim_move_free(), the largest first), moved the same way: with two
 * threads the RAM trims gave back ~13k pages a run while the huge blocks
 * faulted theirs in (big_reuse 2 1000: fewer faults in every sample set,
 * by an amount that moves with the sample, since a two-thread run's count
 * is bimodal; peak RSS 93.7 -> 89.2 MB, glibc 88.7; docs/malloc-measured-2.md).
 *
 * Invariant: the free ranges are sorted by address, page-aligned and do
 * not overlap (a range is merged, when listed, with a neighbour of its
 * kind if they have one closed page at most between them); a range is open (read-write) but
 * for at most one page, at offset guard (guard == len: none);
 * huge_cached_bytes and huge_empty_bytes are the sums of the resident and
 * the empty ranges' lengths. A range being discarded or unmapped is out of
 * the list while the host call runs, so no block is carved from it.
 *
 * Locking: huge_lock for everything here; the host calls (mprotect,
 * madvise, munmap, mincore) run outside it, on ranges out of the list.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/util.h"
#include "mm/include/mmzone.h"
#include "shim/huge_cache.h"
#include "shim/huge_table.h"
#include "shim/trim.h"

#define HUGE_CACHE_ENTRIES 64
#define HUGE_CACHE_FLOOR (24UL << 20)	/* the bound never falls below this */
/* A freed block keeps its pages if at least 3/4 of its bytes are resident. */
#define HUGE_CACHE_DENSE(resident, len) ((resident) >= (len) / 4 * 3)

struct huge_range {
	uintptr_t start;
	size_t len;
	size_t guard;		/* offset of its closed page; len: none */
	unsigned long age;	/* huge_clock when freed: the oldest is discarded first */
	bool resident;		/* its pages kept; else discarded (reads as zero) */
};

static struct huge_range huge_cache[HUGE_CACHE_ENTRIES];	/* huge_lock; by address */
static int huge_cached;				/* huge_lock: ranges in huge_cache */
static size_t huge_cached_bytes;		/* huge_lock: resident free bytes */
static size_t huge_empty_bytes;			/* huge_lock: empty free bytes */
static unsigned long huge_clock;		/* huge_lock: frees so far */
/*
 * The most bytes the live huge blocks have held right after one of them
 * came from the heap (huge_lock; 0 again after huge_cache_trim()): the
 * footprint the program has shown it re-uses (limit_locked()).
 */
static size_t huge_reuse_high;
static size_t huge_cache_limit = 64UL << 20;	/* set before the first huge block */

/* A range out of the list, for a host call outside huge_lock. */
struct huge_piece {
	uintptr_t start;
	size_t len;
	size_t guard;
	bool unmap;		/* given back to the host; else discarded and listed again */
	bool empty;		/* its pages moved away already: listed again with no discard */
};

#define HUGE_PIECES (HUGE_CACHE_ENTRIES + 2)

/* ---- The list ---- */

static uintptr_t range_end(const struct huge_range *r)
{
	return r->start + r->len;
}

static void count_locked(const struct huge_range *r, bool add)
{
	size_t *sum = r->resident ? &huge_cached_bytes : &huge_empty_bytes;

	if (add)
		*sum += r->len;
	else
		*sum -= r->len;
}

static void remove_locked(int i)
{
	count_locked(&huge_cache[i], false);
	memmove(&huge_cache[i], &huge_cache[i + 1],
		sizeof(huge_cache[0]) * (size_t)(huge_cached - i - 1));
	huge_cached--;
}

/* Whether @a and the range @b right after it can be one range (one closed page at most). */
static bool mergeable(const struct huge_range *a, const struct huge_range *b)
{
	return range_end(a) == b->start && a->resident == b->resident &&
	       (a->guard == a->len || b->guard == b->len);
}

/* @b (right after @a) into @a: @a's closed page if it has one, else @b's (or none). */
static void merge_into(struct huge_range *a, const struct huge_range *b)
{
	if (a->guard == a->len)
		a->guard = a->len + b->guard;	/* b->guard == b->len: none */
	a->len += b->len;
	a->age = KMM_MAX(a->age, b->age);
}

/*
 * List free range @r, merged with its neighbours where it can be.
 * Return: false when the list is full and @r joins no neighbour (the
 * caller gives it back to the host).
 */
static bool insert_locked(struct huge_range r)
{
	int i = 0;

	while (i < huge_cached && huge_cache[i].start < r.start)
		i++;
	bool left = i > 0 && mergeable(&huge_cache[i - 1], &r);
	bool right = i < huge_cached && mergeable(&r, &huge_cache[i]);
	if (left && right && huge_cache[i - 1].guard < huge_cache[i - 1].len &&
	    huge_cache[i].guard < huge_cache[i].len)
		right = false;	/* a closed page on each side: join the left one only */
	if (left) {
		count_locked(&huge_cache[i - 1], false);
		merge_into(&huge_cache[i - 1], &r);
		if (right) {
			struct huge_range next = huge_cache[i];
			remove_locked(i);
			merge_into(&huge_cache[i - 1], &next);
		}
		count_locked(&huge_cache[i - 1], true);
		return true;
	}
	if (right) {
		count_locked(&huge_cache[i], false);
		merge_into(&r, &huge_cache[i]);
		huge_cache[i] = r;
		count_locked(&huge_cache[i], true);
		return true;
	}
	if (huge_cached == HUGE_CACHE_ENTRIES)
		return false;
	memmove(&huge_cache[i + 1], &huge_cache[i], sizeof(huge_cache[0]) * (size_t)(huge_cached - i));
	huge_cache[i] = r;
	huge_cached++;
	count_locked(&r, true);
	return true;
}

/* ---- The bound ---- */

/*
 * The resident free bytes allowed while @live bytes are live: the live
 * and the resident free bytes together within the re-use high-water or
 * the floor, whichever is more, and huge_cache_limit at most. (Counting
 * the machine's RAM in use too, sampled at each huge block's malloc and
 * free, kept big_reuse 1 1000's peak RSS where it was and cost 27k more
 * faults, 58k against 31k; at two threads up to 4x more.)
 */
static size_t limit_locked(size_t live)
{
	size_t high = KMM_MAX(HUGE_CACHE_FLOOR, huge_reuse_high);

	return high > live ? KMM_MIN(huge_cache_limit, high - live) : 0;
}

/* The empty free bytes kept (address space only) while @live bytes are live. */
static size_t empty_limit_locked(size_t live)
{
	return huge_cache_limit ? KMM_MAX(HUGE_CACHE_FLOOR, live) : 0;
}

/* The offset in [@start, @start + @len) of @r's closed page; @len if it lies elsewhere or @r has none. */
static size_t guard_in(const struct huge_range *r, uintptr_t start, size_t len)
{
	uintptr_t g = r->start + r->guard;

	return r->guard < r->len && g >= start && g < start + len ? g - start : len;
}

/*
 * Take out of the list what goes beyond the bounds while @live bytes are
 * live, into @v (at most HUGE_PIECES): the oldest resident ranges to be
 * discarded (the excess only, from a range's end, when the list has room
 * for the rest), then the largest empty ones to be unmapped. Return: how
 * many pieces.
 */
static int over_bound_locked(size_t live, struct huge_piece *v)
{
	size_t limit = limit_locked(live);
	int n = 0;

	while (huge_cached_bytes > limit && n < HUGE_PIECES) {
		int old = -1;
		for (int i = 0; i < huge_cached; i++)
			if (huge_cache[i].resident && (old < 0 || huge_cache[i].age < huge_cache[old].age))
				old = i;
		struct huge_range *r = &huge_cache[old];
		size_t excess = ALIGN_UP(huge_cached_bytes - limit, PAGE_SIZE);
		if (excess < r->len && huge_cached < HUGE_CACHE_ENTRIES) {
			uintptr_t cut = range_end(r) - excess;
			v[n++] = (struct huge_piece){ cut, excess, guard_in(r, cut, excess), false, false };
			count_locked(r, false);
			if (r->guard >= r->len - excess)
				r->guard = r->len - excess;
			r->len -= excess;
			count_locked(r, true);
		} else {
			v[n++] = (struct huge_piece){ r->start, r->len, r->guard, false, false };
			remove_locked(old);
		}
	}
	size_t empty = huge_empty_bytes, empty_limit = empty_limit_locked(live);
	for (int i = 0; i < n; i++)
		empty += v[i].len;	/* to be listed again, empty */
	while (empty > empty_limit && n < HUGE_PIECES) {
		int big = -1;
		for (int i = 0; i < huge_cached; i++)
			if (!huge_cache[i].resident && (big < 0 || huge_cache[i].len > huge_cache[big].len))
				big = i;
		if (big < 0)
			break;
		empty -= huge_cache[big].len;
		v[n++] = (struct huge_piece){ huge_cache[big].start, huge_cache[big].len,
					      huge_cache[big].len, true, false };
		remove_locked(big);
	}
	return n;
}

/*
 * The host calls for pieces @v[0..@n) taken out of the list: unmap, or
 * discard and list again as empty; then what that puts over the bounds,
 * until nothing does. Context: huge_lock not held.
 */
static void settle(struct huge_piece *v, int n)
{
	while (n) {
		for (int i = 0; i < n; i++) {
			if (!v[i].unmap && !v[i].empty && sim_discard((void *)v[i].start, v[i].len))
				v[i].unmap = true;	/* the host kept its pages: give it all back */
			if (v[i].unmap)
				sim_release((void *)v[i].start, v[i].len);
		}
		int back = 0;
		spin_lock(&huge_lock);
		for (int i = 0; i < n; i++)
			if (!v[i].unmap &&
			    !insert_locked((struct huge_range){ v[i].start, v[i].len, v[i].guard, 0, false }))
				v[back++] = (struct huge_piece){ v[i].start, v[i].len, v[i].len, true, false };
		if (!back)
			back = over_bound_locked(huge_live_bytes, v);
		spin_unlock(&huge_lock);
		n = back;
	}
}

/* ---- Taking a block out ---- */

/* Empty bytes of [@a, @a + @len) in the run of ranges @first..@last. */
static size_t empty_in(int first, int last, uintptr_t a, size_t len)
{
	size_t e = 0;

	for (int i = first; i <= last; i++) {
		const struct huge_range *r = &huge_cache[i];
		uintptr_t lo = KMM_MAX(r->start, a), hi = KMM_MIN(range_end(r), a + len);
		if (!r->resident && hi > lo)
			e += hi - lo;
	}
	return e;
}

/*
 * The host calls a block at [@a, @a + @len) in the run of ranges
 * @first..@last costs: one per closed page inside it (opened), and one to
 * close its own guard, its last page, unless that page is closed already.
 */
static unsigned int calls_in(int first, int last, uintptr_t a, size_t len)
{
	uintptr_t end = a + len - PAGE_SIZE;	/* the block's guard page */
	unsigned int calls = 1;

	for (int i = first; i <= last; i++) {
		const struct huge_range *r = &huge_cache[i];
		uintptr_t g = r->start + r->guard;
		if (r->guard == r->len || g < a || g > end)
			continue;
		if (g == end)
			calls--;
		else
			calls++;
	}
	return calls;
}

/*
 * Where a block of @len bytes costs least: in a run of adjacent ranges
 * long enough, starting at a range's start, ending at a range's end or
 * ending on a closed page (its guard ready), the fewest empty bytes (pages
 * to fault in), then the shortest run, then the fewest host calls
 * (calls_in()), then the lowest address. Return: the address, or 0 if no
 * run is long enough.
 *
 * So a block that can end on a free range's closed page goes there, and
 * the range's front stays free: it no longer has that room after it to
 * grow into in place (huge_grow() moves it with mremap, its pages kept, and
 * only the new bytes fault in). Ranked before the run's length, the calls
 * cost big_reuse 1 1000 1.6 MB of peak RSS; a preference for room to grow
 * (free bytes after the block at least its size) ranked before them, 1.6
 * MB too and 8% more faults (session 25).
 */
static uintptr_t best_place_locked(size_t len)
{
	uintptr_t best = 0;
	size_t best_empty = 0, best_run = 0;
	unsigned int best_calls = 0;

	for (int first = 0, last; first < huge_cached; first = last + 1) {
		last = first;
		while (last + 1 < huge_cached && range_end(&huge_cache[last]) == huge_cache[last + 1].start)
			last++;
		uintptr_t rs = huge_cache[first].start, re = range_end(&huge_cache[last]);
		if (re - rs < len)
			continue;
		for (int i = first; i <= last; i++) {
			const struct huge_range *r = &huge_cache[i];
			/* the block from this range's start, to its end, or onto its closed page */
			uintptr_t g = r->start + r->guard + PAGE_SIZE;
			uintptr_t cand[3] = { r->start, range_end(r) - len, g - len };
			bool ok[3] = { re - r->start >= len, range_end(r) - rs >= len,
				       r->guard < r->len && g - rs >= len };
			for (int c = 0; c < 3; c++) {
				uintptr_t a = cand[c];
				if (!ok[c])
					continue;
				size_t e = empty_in(first, last, a, len);
				unsigned int calls = calls_in(first, last, a, len);
				if (!best || e < best_empty ||
				    (e == best_empty &&
				     (re - rs < best_run ||
				      (re - rs == best_run &&
				       (calls < best_calls || (calls == best_calls && a < best)))))) {
					best = a;
					best_empty = e;
					best_calls = calls;
					best_run = re - rs;
				}
			}
		}
	}
	return best;
}

/*
 * Carve [@a, @a + @len) out of the list: the closed pages inside it but at
 * its last page go into @open (their addresses); a remainder the full list
 * cannot take (none: a block starts or ends where a range does, so at most
 * one remains of the ranges it removes) into @v as a piece to unmap.
 * Return: whether its last page is already closed.
 */
static bool carve_locked(uintptr_t a, size_t len, uintptr_t *open, int *nopen,
			 struct huge_piece *v, int *n)
{
	bool guard_ready = false;
	struct huge_range rest[2];
	int nrest = 0;

	*nopen = 0;
	for (int i = 0; i < huge_cached;) {
		struct huge_range r = huge_cache[i];
		uintptr_t lo = KMM_MAX(r.start, a), hi = KMM_MIN(range_end(&r), a + len);
		if (hi <= lo) {
			i++;
			continue;
		}
		if (r.guard < r.len) {
			uintptr_t g = r.start + r.guard;
			if (g == a + len - PAGE_SIZE)
				guard_ready = true;
			else if (g >= lo && g < hi)
				open[(*nopen)++] = g;
		}
		if (r.start < lo)
			rest[nrest++] = (struct huge_range){ r.start, lo - r.start,
							     guard_in(&r, r.start, lo - r.start), r.age, r.resident };
		if (hi < range_end(&r))
			rest[nrest++] = (struct huge_range){ hi, range_end(&r) - hi,
							     guard_in(&r, hi, range_end(&r) - hi), r.age, r.resident };
		remove_locked(i);
	}
	for (int i = 0; i < nrest; i++)
		if (!insert_locked(rest[i]))
			v[(*n)++] = (struct huge_piece){ rest[i].start, rest[i].len, rest[i].len, true, false };
	return guard_ready;
}

/* A page move: @len bytes of a resident free range's pages from @from to an empty part at @to. */
struct huge_move {
	uintptr_t from, to;
	size_t len;
};

#define HUGE_MOVES 8
/* huge_lock: set when the host refused a move as unsupported (no MREMAP_DONTUNMAP). */
static bool moves_off;
/* The least worth a move: one host call against the faults of 16 pages. */
#define HUGE_MOVE_MIN (64UL << 10)

/*
 * The empty parts of [@a, @a + @len - PAGE_SIZE) (the block before its
 * guard page), closed pages left out, into @t (at most HUGE_MOVES).
 * Return: how many. Context: huge_lock held, before the block is carved.
 */
static int empty_parts_locked(uintptr_t a, size_t len, struct huge_move *t)
{
	uintptr_t end = a + len - PAGE_SIZE;
	int n = 0;

	for (int i = 0; i < huge_cached && n < HUGE_MOVES; i++) {
		const struct huge_range *r = &huge_cache[i];
		uintptr_t lo = KMM_MAX(r->start, a), hi = KMM_MIN(range_end(r), end);
		if (r->resident || hi <= lo)
			continue;
		uintptr_t g = r->start + r->guard;
		if (r->guard < r->len && g >= lo && g < hi) {
			if (g - lo >= HUGE_MOVE_MIN && n < HUGE_MOVES)
				t[n++] = (struct huge_move){ 0, lo, g - lo };
			lo = g + PAGE_SIZE;
		}
		if (hi > lo && hi - lo >= HUGE_MOVE_MIN && n < HUGE_MOVES)
			t[n++] = (struct huge_move){ 0, lo, hi - lo };
	}
	return n;
}

/*
 * Fill the empty parts @t[0..@nt) of a block just carved with the pages of
 * resident free ranges, the oldest first (those the bound gives back
 * first), each taken from the end of its open part: into @mv (at most
 * HUGE_MOVES), the source out of the list, to be listed again empty once
 * moved (@v, @n: settle()). Return: how many moves.
 * Context: huge_lock held, the block carved.
 */
static int plan_moves_locked(struct huge_move *t, int nt, struct huge_move *mv,
			     struct huge_piece *v, int *n)
{
	int nm = 0;

	for (int k = 0; k < nt && nm < HUGE_MOVES; k++) {
		while (t[k].len >= HUGE_MOVE_MIN && nm < HUGE_MOVES && *n + 2 < HUGE_PIECES) {
			int old = -1;
			for (int i = 0; i < huge_cached; i++)
				if (huge_cache[i].resident &&
				    (old < 0 || huge_cache[i].age < huge_cache[old].age))
					old = i;
			if (old < 0)
				return nm;
			struct huge_range *r = &huge_cache[old];
			/* its open part: after its closed page, else before it */
			uintptr_t lo = r->start, hi = range_end(r);
			if (r->guard < r->len) {
				uintptr_t g = r->start + r->guard;
				if (hi - (g + PAGE_SIZE) >= g - lo)
					lo = g + PAGE_SIZE;
				else
					hi = g;
			}
			if (hi - lo < HUGE_MOVE_MIN)
				return nm;
			size_t take = KMM_MIN(hi - lo, t[k].len);
			uintptr_t from = hi - take, open_pages[1];
			int nopen = 0;
			carve_locked(from, take, open_pages, &nopen, v, n);
			mv[nm++] = (struct huge_move){ from, t[k].to, take };
			v[(*n)++] = (struct huge_piece){ from, take, take, false, true };
			t[k].to += take;
			t[k].len -= take;
		}
	}
	return nm;
}

/*
 * Do the moves @mv[0..@nm) of pieces @v[0..@n); a source whose move the
 * host refused keeps its pages and is listed again resident, taken out of
 * @v (a host without MREMAP_DONTUNMAP turns the moves off). Return: the
 * pieces left in @v. Context: huge_lock not held.
 */
static int move_pages(const struct huge_move *mv, int nm, struct huge_piece *v, int n)
{
	for (int i = 0; i < nm; i++) {
		int err = sim_move((void *)mv[i].from, (void *)mv[i].to, mv[i].len);
		if (!err)
			continue;
		for (int j = 0; j < n; j++) {
			if (!v[j].empty || v[j].start != mv[i].from)
				continue;
			spin_lock(&huge_lock);
			if (err == -EINVAL)
				moves_off = true;
			/* the newest: not picked again before the others */
			bool listed = insert_locked((struct huge_range){ v[j].start, v[j].len, v[j].len,
									 ++huge_clock, true });
			spin_unlock(&huge_lock);
			if (listed)
				v[j] = v[--n];
			else
				v[j] = (struct huge_piece){ v[j].start, v[j].len, v[j].len, true, false };
			break;
		}
	}
	return n;
}

void *huge_cache_take(size_t len, bool fill, size_t *got)
{
	struct huge_piece v[HUGE_PIECES];
	uintptr_t open[HUGE_CACHE_ENTRIES];
	struct huge_move t[HUGE_MOVES], mv[HUGE_MOVES];
	int nopen = 0, n = 0, nm = 0, nt = 0;
	bool guard_ready = false, fresh = false;

	if (!huge_cache_limit)
		return NULL;
	spin_lock(&huge_lock);
	uintptr_t a = best_place_locked(len);
	if (a) {
		nt = fill && !moves_off ? empty_parts_locked(a, len, t) : 0;
		guard_ready = carve_locked(a, len, open, &nopen, v, &n);
		/* the live bytes once this block is in the table (huge_insert()) */
		huge_reuse_high = KMM_MAX(huge_reuse_high, huge_live_bytes + len);
	} else {
		/* no place: a fresh mapping, here if resident pages can move into it */
		fresh = fill && !moves_off;
		/*
		 * With threads allocating apart (two CPU slots or more freeing
		 * page blocks), a fresh block is one thread's block that the
		 * others' free ranges, scattered, could not hold: the footprint
		 * counts it as re-used (big_reuse 2 1000: 51.9k page faults ->
		 * 46.7k). One thread's fresh block is its growth: counting it
		 * cost big_reuse 1 1000 1.5 MB of peak RSS (1.17x -> 1.20x glibc).
		 */
		if (fresh && trim_slots_apart())
			huge_reuse_high = KMM_MAX(huge_reuse_high, huge_live_bytes + len);
	}
	/*
	 * The new block counts in the bound, a fresh one too: room for it
	 * first, after the moves into it where there are any (their sources
	 * are not discarded before they move).
	 */
	if (!n && !fresh && !nt)
		n = over_bound_locked(huge_live_bytes + len, v);
	spin_unlock(&huge_lock);
	if (!a && !fresh) {
		settle(v, n);
		return NULL;
	}
	if (fresh) {
		a = (uintptr_t)sim_reserve(len, true);
		if (!a)
			return NULL;
		t[nt++] = (struct huge_move){ 0, a, len - PAGE_SIZE };
	}
	if (nt) {
		/* the block is out of the list: its empty parts are its own now */
		spin_lock(&huge_lock);
		nm = plan_moves_locked(t, nt, mv, v, &n);
		if (!n)
			n = over_bound_locked(huge_live_bytes + len, v);
		spin_unlock(&huge_lock);
	}
	if (nm)
		n = move_pages(mv, nm, v, n);
	/* what the heap's resident ranges could not fill: free RAM's pages */
	for (int k = 0; k < nt; k++) {
		int merr = 0;
		if (t[k].len >= HUGE_MOVE_MIN)
			trim_move_free(t[k].to, t[k].len, HUGE_MOVE_MIN, &merr);
		if (merr == -EINVAL) {
			spin_lock(&huge_lock);
			moves_off = true;
			spin_unlock(&huge_lock);
		}
		if (merr)
			break;
	}
	int err = 0;
	for (int i = 0; i < nopen && !err; i++)
		err = sim_protect((void *)open[i], PAGE_SIZE, true);
	if (!err && !guard_ready)
		err = sim_protect((void *)(a + len - PAGE_SIZE), PAGE_SIZE, false);
	settle(v, n);
	if (err) {
		/* The host refused to reshape it (vm.max_map_count): it goes back. */
		sim_release((void *)a, len);
		return NULL;
	}
	*got = len;
	return (void *)a;
}

/*
 * huge_cache_extend() (shim/huge_cache.h). The block being grown is out of
 * the table meanwhile (huge_grow()): @total counts its bytes in the live
 * ones for the bound.
 */
bool huge_cache_extend(uintptr_t end, size_t more, size_t total, bool *guard_ready)
{
	struct huge_piece v[HUGE_PIECES];
	uintptr_t open[HUGE_CACHE_ENTRIES];
	int nopen = 0, n = 0, i = 0;
	bool ok = false;

	if (!huge_cache_limit)
		return false;
	spin_lock(&huge_lock);
	while (i < huge_cached && huge_cache[i].start < end)
		i++;
	uintptr_t reach = end;
	for (int j = i; j < huge_cached && huge_cache[j].start == reach && reach - end < more; j++)
		reach = range_end(&huge_cache[j]);
	if (reach - end >= more) {
		*guard_ready = carve_locked(end, more, open, &nopen, v, &n);
		huge_reuse_high = KMM_MAX(huge_reuse_high, huge_live_bytes + total);
		if (!n)
			n = over_bound_locked(huge_live_bytes + total, v);
		ok = true;
	}
	spin_unlock(&huge_lock);
	int err = 0;
	for (int k = 0; k < nopen && !err; k++)
		err = sim_protect((void *)open[k], PAGE_SIZE, true);
	settle(v, n);
	if (ok && err) {
		sim_release((void *)end, more);	/* the host refused to open it: not ours now */
		return false;
	}
	return ok;
}

/*
 * huge_cache_fill() (shim/huge_cache.h): the same moves as a block carved
 * over empty ranges gets (huge_cache_take()), into a live block's new part.
 */
void huge_cache_fill(uintptr_t to, size_t len)
{
	struct huge_piece v[HUGE_PIECES];
	struct huge_move t[1] = { { 0, to, len } }, mv[HUGE_MOVES];
	int n = 0, nm = 0, merr = 0;

	if (!huge_cache_limit || len < HUGE_MOVE_MIN)
		return;
	spin_lock(&huge_lock);
	bool off = moves_off;
	if (!off)
		nm = plan_moves_locked(t, 1, mv, v, &n);
	spin_unlock(&huge_lock);
	if (off)
		return;
	if (nm)
		n = move_pages(mv, nm, v, n);
	/* what the heap's resident ranges could not fill: free RAM's pages */
	if (t[0].len >= HUGE_MOVE_MIN)
		trim_move_free(t[0].to, t[0].len, HUGE_MOVE_MIN, &merr);
	if (merr == -EINVAL) {
		spin_lock(&huge_lock);
		moves_off = true;
		spin_unlock(&huge_lock);
	}
	settle(v, n);
}

/* ---- Putting a freed block in ---- */

/*
 * Keep freed block @base/@len (closed at @guard) in the heap; then what
 * goes over the bounds goes (the oldest resident bytes first). A block
 * larger than what may stay resident is not asked about (which of its
 * pages are resident: mincore): most of it is discarded at once, and its
 * rest is taken as resident. One that can be neither resident nor mapped
 * goes straight back to the host.
 */
void huge_cache_put(void *base, size_t len, size_t guard)
{
	struct huge_piece v[HUGE_PIECES];
	bool resident = true;

	spin_lock(&huge_lock);
	size_t limit = limit_locked(huge_live_bytes);
	bool mapped = huge_empty_bytes + len <= empty_limit_locked(huge_live_bytes);
	spin_unlock(&huge_lock);
	if (!limit && !mapped) {
		sim_release(base, len);
		return;
	}
	if (len <= limit) {
		/* Judged on the freed block's bytes, before its guard page. */
		size_t used = KMM_MIN(guard, len);
		resident = HUGE_CACHE_DENSE(sim_resident(base, used), used);
	} else if (!limit) {
		resident = false;
	}
	if (!resident && sim_discard(base, len))
		resident = true;	/* the host kept its pages */
	spin_lock(&huge_lock);
	bool listed = insert_locked((struct huge_range){ (uintptr_t)base, len, KMM_MIN(guard, len),
							 ++huge_clock, resident });
	int n = listed ? over_bound_locked(huge_live_bytes, v) : 0;
	spin_unlock(&huge_lock);
	if (!listed)
		sim_release(base, len);
	settle(v, n);
}

/* ---- malloc_trim, and questions ---- */

size_t huge_cache_trim(void)
{
	struct huge_range all[HUGE_CACHE_ENTRIES];
	size_t bytes = 0;

	spin_lock(&huge_lock);
	int n = huge_cached;
	memcpy(all, huge_cache, sizeof(all[0]) * (size_t)n);
	huge_cached = 0;
	huge_cached_bytes = 0;
	huge_empty_bytes = 0;
	huge_reuse_high = 0;	/* the program said it is done with it */
	spin_unlock(&huge_lock);
	for (int i = 0; i < n; i++) {
		sim_release((void *)all[i].start, all[i].len);
		bytes += all[i].len;
	}
	return bytes;
}

int huge_cache_check(void)
{
	size_t resident = 0, empty = 0;
	int err = 0;

	spin_lock(&huge_lock);
	for (int i = 0; i < huge_cached && !err; i++) {
		const struct huge_range *r = &huge_cache[i];
		if (!r->len || (r->start | r->len) & (PAGE_SIZE - 1) ||
		    (r->guard < r->len && r->guard & (PAGE_SIZE - 1)) || r->guard > r->len ||
		    (i && range_end(&huge_cache[i - 1]) > r->start))
			err = -EUCLEAN;
		*(r->resident ? &resident : &empty) += r->len;
	}
	if (!err && (resident != huge_cached_bytes || empty != huge_empty_bytes))
		err = -EUCLEAN;
	spin_unlock(&huge_lock);
	return err;
}

bool huge_cache_holds(uintptr_t addr)
{
	bool found = false;

	spin_lock(&huge_lock);
	for (int i = 0; i < huge_cached && !found; i++)
		found = addr - huge_cache[i].start < huge_cache[i].len;
	spin_unlock(&huge_lock);
	return found;
}

void huge_cache_set_limit(size_t bytes)
{
	huge_cache_limit = bytes;
}
