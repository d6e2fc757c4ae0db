// SPDX-License-Identifier: MIT
/*
 * shim/trim.c - the malloc shim gives free RAM back to the host: a page
 * reporting device (mm/page_reporting.c) whose report discards a free
 * buddy block's bytes, and the policy that decides when to walk the free
 * lists (trim_check(), after frees) and how much to spare (shim/trim.h).
 *
 * Linux counterpart: mm/page_reporting.c's users (virtio-balloon's free
 * page reporting); the policy plays the part of glibc's M_TRIM_THRESHOLD.
 * Split out of shim/malloc.c (session 11) with no change in behaviour:
 * malloc.c calls trim_check() after frees of page blocks and every
 * 65536th small free, and shim_trim_locked() for malloc_trim().
 *
 * Locking: trim_lock serialises trims; callers are inside their slot's
 * section, and page_reporting_process() takes each zone->lock under it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/include/addr.h"
#include "mm/include/machine.h"
#include "mm/include/page_reporting.h"
#include "mm/include/slab.h"
#include "shim/core.h"
#include "shim/huge_table.h"
#include "shim/trim.h"

spinlock_t trim_lock = SPINLOCK_INIT;
/* The trim limit's cap (KMM_MALLOC_TRIM, trim_limit()); 0: never trim but on malloc_trim(). */
unsigned long trim_threshold_pages = (64UL << 20) >> PAGE_SHIFT;
uintptr_t trim_shadow_bias;
unsigned int trim_shadow_shift = 3;
atomic_ulong free_low_mark;
atomic_ulong stat_trims, stat_trimmed_pages;
atomic_ulong trim_big_alloc_pages;
/* The least: freed RAM below this is never trimmed but by malloc_trim() (immutable). */
#define TRIM_FLOOR_PAGES ((4UL << 20) >> PAGE_SHIFT)
/* The free-growth trim's floor grows with the CPU slots freeing, this many at most (trim_floor()). */
#define TRIM_FLOOR_SLOTS 4
/* The trim limit, as a fraction of the RAM in use: 1/TRIM_USE_DIV (trim_limit()). */
#define TRIM_USE_DIV 4
/* The most a trim spares at the heads of the free lists, in trim limits (trim_check()). */
#define TRIM_KEEP_LIMITS 4
static const unsigned int trim_order = 6;	/* blocks of >= 256 KiB are discarded */
/* The peak trim's: blocks of >= 512 KiB (peak_trim() says why). */
static const unsigned int peak_trim_order = 7;
_Static_assert(TRIM_BIG_PAGES == 1UL << 6, "trim_note_alloc() counts the blocks a trim discards");

/*
 * What the program re-allocates of big blocks (trim_check()), all under
 * trim_lock: the count of big pages at the last automatic trim, whether
 * there was one, and the estimate the keep follows.
 */
static unsigned long big_at_last_trim;
static bool trimmed_once;
static unsigned long reuse_estimate;
/*
 * The footprint (pages: the RAM in use and the live huge blocks' bytes,
 * trim_footprint()) at which the next peak trim runs (trim_check()): an
 * eighth above the footprint at the last one, at least TRIM_FLOOR_PAGES
 * more. Written under trim_lock, read without it.
 */
static atomic_ulong peak_trim_at = TRIM_FLOOR_PAGES;
/* A peak trim waits for the RAM in use to grow by 1/2^TRIM_PEAK_SHIFT of itself. */
#define TRIM_PEAK_SHIFT 3


/*
 * The shim is a free page reporting device (mm/page_reporting.c): each
 * reported free block's RAM is discarded, so the host takes the pages back
 * and they read as zero when next touched. The blocks stay on their free
 * lists; only their bytes go. So does the whole pages of the block's slab
 * shadow (one byte per 16 bytes, 1/16 of RAM once slabs have used it): a free
 * block holds no object, new_slab() clears its slab's shadow before use, and
 * zero is what it writes. (A second free of a block whose slab was freed and
 * trimmed since then is named an invalid pointer, not a double free.)
 */
static void discard_shadow(const void *p, unsigned int order)
{
	if (trim_shadow_bias) {
		uintptr_t s = ALIGN_UP(trim_shadow_bias + ((uintptr_t)p >> trim_shadow_shift), PAGE_SIZE);
		uintptr_t e = ALIGN_DOWN(trim_shadow_bias + (((uintptr_t)p + (PAGE_SIZE << order)) >>
							     trim_shadow_shift), PAGE_SIZE);

		if (s < e)
			sim_discard((void *)s, e - s);
	}
}

static int discard_reported(struct page_reporting_dev_info *prdev, struct page *page,
			    unsigned int order)
{
	void *p = page_address(page);

	(void)prdev;
	if (!p)
		return 0;
	sim_discard(p, PAGE_SIZE << order);
	discard_shadow(p, order);
	return 0;
}

/*
 * The device of trim_move_free(): each reported block's pages move to @to
 * (the host moves their page table entries: nothing is faulted in or
 * zeroed, and the block reads as zero after, as a discarded one), until
 * @left bytes have moved. The last block may give only its end: it stays
 * unreported (its other pages are still there) and the walk stops.
 */
struct move_dev {
	struct page_reporting_dev_info dev;
	uintptr_t to;
	size_t left, min;
	int err;
};

static int move_reported(struct page_reporting_dev_info *prdev, struct page *page,
			 unsigned int order)
{
	struct move_dev *d = container_of(prdev, struct move_dev, dev);
	char *p = page_address(page);
	size_t bytes = PAGE_SIZE << order, take = KMM_MIN(bytes, d->left);

	if (!p || take < d->min)
		return -ENOSPC;	/* done: this block stays as it is */
	d->err = sim_move(p + bytes - take, (void *)d->to, take);
	if (d->err)
		return d->err;
	d->to += take;
	d->left -= take;
	if (take < bytes)
		return -ENOSPC;
	discard_shadow(p, order);
	return 0;
}

/*
 * Discard the free buddy blocks of order >= @order, sparing the first @keep
 * pages of the lists (the blocks freed last, most likely to be reused soon).
 * Context: trim_lock held; page_reporting_process() takes each zone->lock.
 */
static unsigned long discard_free_blocks(struct kmm_machine *m, unsigned int order,
					 unsigned long keep)
{
	struct page_reporting_dev_info dev = { .report = discard_reported, .order = order };

	return page_reporting_process(m, &dev, keep);
}

/* One trim (shim_trim_locked()'s body). Context: trim_lock held. */
static unsigned long trim_walk(struct kmm_machine *m, unsigned int order, unsigned long keep,
			       bool drain)
{
	unsigned long pages;

	if (drain) {
		kmm_slab_drain(m);	/* CPU slabs flushed, empty slabs freed */
		drain_all_pages(m, NULL);
	}
	pages = discard_free_blocks(m, order, keep);
	atomic_store(&free_low_mark, kmm_nr_free_pages(m));
	atomic_fetch_add(&stat_trims, 1);
	atomic_fetch_add(&stat_trimmed_pages, pages);
	return pages;
}

/* shim/trim.h */
unsigned long shim_trim_locked(struct kmm_machine *m, unsigned int order, unsigned long keep,
			       bool drain)
{
	unsigned long pages;

	spin_lock(&trim_lock);
	pages = trim_walk(m, order, keep, drain);
	if (drain && !order && !keep) {
		/* malloc_trim(): the program said it is done; re-use is learnt again */
		reuse_estimate = 0;
		trimmed_once = false;
	}
	spin_unlock(&trim_lock);
	return pages;
}

/*
 * What an automatic trim spares: the pages of big blocks (TRIM_BIG_PAGES or
 * more) the program allocated between the last two automatic trims, or
 * seven eighths of what the trim before spared if that is more (a burst of
 * re-allocation is remembered for a dozen trims or so, and forgotten when
 * it stops), at most TRIM_KEEP_LIMITS trim limits. A program that does not
 * allocate big blocks again once it has freed some spares nothing: the
 * allocations before the first trim are its growth, not re-use, and are
 * not counted. (A fixed four limits, session 10's rule, held 8 MiB of free
 * order-10 blocks resident at mt_churn 1's peak that saved it no fault; a
 * decay by half per trim cost big_reuse 2 1000 a fifth more faults, one
 * by an eighth none that its runs do not vary by: docs/malloc.md.)
 * Context: trim_lock held.
 */
static unsigned long trim_keep(unsigned long limit)
{
	unsigned long big = atomic_load_explicit(&trim_big_alloc_pages, memory_order_relaxed);
	unsigned long demand = trimmed_once ? big - big_at_last_trim : 0;

	big_at_last_trim = big;
	trimmed_once = true;
	reuse_estimate = KMM_MIN(KMM_MAX(demand, reuse_estimate - reuse_estimate / 8),
				 limit * TRIM_KEEP_LIMITS);
	return reuse_estimate;
}

/*
 * The trim limit: a quarter of the RAM in use (the machine's allocated
 * pages: slabs, page blocks and kmm's own), at least @floor (trim_floor()), at most
 * KMM_MALLOC_TRIM (64M). A program's freed memory so follows its size, as
 * glibc's top-of-heap trim does, instead of a flat 64M that most programs
 * never reach (big_reuse 1 300: peak RSS 1.33x glibc's with the flat 64M,
 * 1.11x with this; docs/malloc.md).
 */
static unsigned long trim_limit(unsigned long used, unsigned long floor)
{
	return KMM_CLAMP(used / TRIM_USE_DIV, floor, trim_threshold_pages);
}

/*
 * The CPU slots (bit slot % 64) that ran the trim check, that is freed page
 * blocks or emptied sheaves, since the last automatic trim (trim_check()
 * sets a bit it finds clear; the trim clears them all). Relaxed: a bit a
 * free late only moves the floor by one slot for one trim.
 */
static atomic_ulong trim_slots_freeing;

/*
 * The free-growth trim's floor: TRIM_FLOOR_PAGES for each CPU slot that
 * freed since the last trim, at most TRIM_FLOOR_SLOTS of them, within the
 * limit's cap. Threads on their own slots free and re-allocate apart, as
 * glibc's threads each in an arena that keeps its own top: with one floor
 * for all, big_reuse 2 1000's RAM was trimmed ~145 times a run, each trim
 * giving back about a 4 MiB block that one of the threads faulted in again
 * (docs/malloc-measured-2.md, session 26). Counting the slots that threads
 * hold instead counted big_reuse 1's idle main thread too (25.8k page
 * faults -> 27.0k); slots whose threads left, or sleep, count no more
 * once a trim has run without them.
 */
static unsigned long trim_floor(void)
{
	unsigned long w = atomic_load_explicit(&trim_slots_freeing, memory_order_relaxed);
	unsigned long slots = 0;

	for (; w && slots < TRIM_FLOOR_SLOTS; w &= w - 1)	/* no libgcc popcount call */
		slots++;
	return KMM_MIN(TRIM_FLOOR_PAGES * KMM_MAX(slots, 1UL), trim_threshold_pages);
}

/* shim/trim.h */
bool trim_slots_apart(void)
{
	unsigned long w = atomic_load_explicit(&trim_slots_freeing, memory_order_relaxed);

	return w & (w - 1);
}

/*
 * What the program holds, in pages, for the peak trim: the machine's RAM in
 * use @used and the bytes mapped for live huge blocks (above 4 MiB, each its
 * own host mapping, shim/huge_table.c). The huge bytes are read without
 * huge_lock (a word, relaxed): a figure a block old is good enough to tell
 * a new high. Counting them makes a program whose huge blocks take it to
 * its peak give back the free RAM blocks it holds there: big_reuse 1 1000
 * held ~10 MB of them resident at its peak, where the RAM in use alone
 * (3-6 MB of live page blocks) never reached a new high (docs/malloc.md).
 */
static inline unsigned long trim_footprint(unsigned long used)
{
	return used + (__atomic_load_n(&huge_live_bytes, __ATOMIC_RELAXED) >> PAGE_SHIFT);
}

/*
 * The peak trim: the footprint (trim_footprint()) has reached a new high (an
 * eighth above the last peak trim's, at least 4 MiB more), so the program
 * is at or near its largest, and every resident free block it holds now
 * adds to its peak RSS.
 * Discard the free blocks of 512 KiB and more, sparing none. The free-growth
 * trim below spares what the program re-allocates (trim_keep()), which is
 * right between peaks; at a peak those spared blocks are what the program
 * did not re-allocate before it had to grow. mixed_sizes 100000 1000 held
 * 73 MB of such blocks resident at its peak (docs/malloc.md). A program
 * whose footprint stays below its high does not meet this again: no
 * faults for it; one that grows meets it log(size)/log(9/8) times at most.
 * Only blocks of 512 KiB and more (peak_trim_order), measured and not
 * fully explained: a 256 KiB block given back is the likeliest to be split
 * for smaller blocks and faulted in again, and a reported block goes to
 * its list's tail, so the allocator splits bigger resident ones (session 23,
 * VmHWM at exit KB / minor faults, blocks from 256 KiB -> from 512 KiB:
 * mixed_sizes 100000 1000 316,892 / 103.0k -> 315,832 / 102.0k;
 * mt_churn 1 100000 2000 15,564 / 9.0k -> 13,252 / 8.4k, glibc 14,500;
 * from 1 MiB: 319,680 / 99.8k and 12,432 / 8.2k; docs/malloc-measured.md).
 * Context: inside the caller's slot section; takes trim_lock.
 */
static __attribute__((noinline, cold)) void peak_trim(struct kmm_machine *m, unsigned long foot)
{
	spin_lock(&trim_lock);
	if (foot > atomic_load_explicit(&peak_trim_at, memory_order_relaxed)) {
		atomic_store_explicit(&peak_trim_at,
				      foot + KMM_MAX(foot >> TRIM_PEAK_SHIFT, TRIM_FLOOR_PAGES),
				      memory_order_relaxed);
		trim_walk(m, peak_trim_order, 0, false);
	}
	spin_unlock(&trim_lock);
}

/*
 * Trim when free memory has grown by trim_limit() since its lowest point
 * since the last trim: large free blocks have accumulated. The trim spares
 * trim_keep()'s pages of blocks still resident at the heads of the free
 * lists, where the blocks freed last go (the likeliest to be reused soon;
 * blocks given back by an earlier trim are behind them and are not
 * counted, mm/page_reporting.c). A program that re-allocates big blocks
 * needs them: big_reuse 1 300 faulted 89k pages (glibc 78k) when a trim
 * spared one limit's worth, 75k with four (docs/malloc.md).
 * Context: inside the caller's slot section (in kmm).
 */
void trim_check(struct kmm_machine *m)
{
	unsigned long slot_bit = 1UL << (kmm_this_cpu_inline(m) & 63);

	if (!(atomic_load_explicit(&trim_slots_freeing, memory_order_relaxed) & slot_bit))
		atomic_fetch_or_explicit(&trim_slots_freeing, slot_bit, memory_order_relaxed);
	unsigned long nr_free = kmm_nr_free_pages(m);
	unsigned long low = atomic_load_explicit(&free_low_mark, memory_order_relaxed);
	unsigned long total = (unsigned long)atomic_load_explicit(&m->totalram_pages,
								  memory_order_relaxed);
	unsigned long used = total > nr_free ? total - nr_free : 0;
	unsigned long foot = trim_footprint(used);

	if (unlikely(foot > atomic_load_explicit(&peak_trim_at, memory_order_relaxed)) &&
	    trim_threshold_pages && !spin_is_locked(&trim_lock)) {
		peak_trim(m, foot);
		return;
	}
	if (nr_free < low) {
		atomic_store_explicit(&free_low_mark, nr_free, memory_order_relaxed);
		return;
	}
	if (!trim_threshold_pages || nr_free - low < KMM_MIN(TRIM_FLOOR_PAGES, trim_threshold_pages))
		return;
	unsigned long limit = trim_limit(used, trim_floor());
	if (nr_free - low < limit || spin_is_locked(&trim_lock))
		return;
	spin_lock(&trim_lock);
	atomic_store_explicit(&trim_slots_freeing, slot_bit, memory_order_relaxed);
	trim_walk(m, trim_order, trim_keep(limit), false);
	spin_unlock(&trim_lock);
}

/*
 * trim_move_free() (shim/trim.h): the free blocks the next automatic trim
 * would give back (order trim_order and up, past the pages it spares,
 * trim_keep()'s last estimate, at the heads of the lists) give their pages
 * to a huge block instead, the largest blocks first (fewest host calls and
 * host VMAs). A RAM block's pages so serve once more where they are
 * wanted, not discarded here and faulted in and zeroed there.
 */
size_t trim_move_free(uintptr_t to, size_t len, size_t min, int *err)
{
	struct move_dev d = { .dev = { .report = move_reported, .order = trim_order,
				       .high_first = true },
			      .to = to, .left = len, .min = min };

	*err = 0;
	if (!trim_threshold_pages || spin_is_locked(&trim_lock))
		return 0;
	shim_enter_slot();
	spin_lock(&trim_lock);
	page_reporting_process(shim_m, &d.dev, reuse_estimate);
	spin_unlock(&trim_lock);
	shim_leave_slot();
	*err = d.err;
	return len - d.left;
}
