// SPDX-License-Identifier: MIT
/*
 * mm/page_alloc_check.c - the page allocator's invariant checker, run by
 * kmm_check() and after every step of the stress tests.
 *
 * Linux counterpart: none as such; Linux checks pieces of this piecemeal
 * (VM_BUG_ON_PAGE in the free paths, __add_to_free_list's migratetype
 * warning, check_new_pages()). kmm proves the whole state at once, in the
 * spirit of tlsf_check() and o1heapDoInvariantsHold().
 *
 * What it proves, per zone:
 *  - every free block on free_area[k].free_list[mt] is PageBuddy with order
 *    k, 2^k-aligned, inside the zone, refcount 0, not reserved, and its
 *    pageblock(s) have type mt (6.12 keeps free lists and pageblock types in
 *    step); nr_free[k] equals the list lengths (plus deferred blocks);
 *  - no frame is in two places: blocks, pcp lists and deferred sections are
 *    disjoint; every PageBuddy head is on a list;
 *  - NR_FREE_PAGES equals the pages on the buddy lists (Isolate excluded)
 *    plus deferred sections; nr_free_highatomic and NR_FREE_CMA_PAGES equal
 *    their lists; each pcp count equals its lists;
 *  - every frame of the zone is accounted exactly once: managed pages ==
 *    buddy + pcp + deferred + allocated, where allocated = initialised, not
 *    reserved, not free;
 *  - in eager mode no two free buddies of one order are left unmerged; in
 *    lazy mode exactly the PG_lazy_free blocks add up to nr_lazy_free;
 *  - PG_reported only on the head of a block on a buddy list: no pcp page
 *    and no allocated or reserved page carries it (the pages inside a free
 *    block are not read, to keep the walk at one read per non-free frame).
 *
 * Locking: holds every CPU slot (kmm_cpu_lock_all), then zone->lock, so the
 * picture is consistent while other threads allocate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/internal.h"

struct checker {
	struct kmm_machine *m;
	struct zone *zone;
	unsigned char *seen;	/* one bit per pfn of the zone span */
	int err;
};

static int report(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int report(struct checker *c, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (c->err)
		return c->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_set_error(-EUCLEAN, "page_alloc: node %d zone %s: %s", c->zone->node,
		      zone_names[c->zone->type], msg);
	kmm_printk(c->m, "kmm: page_alloc check failed: node %d zone %s: %s", c->zone->node,
		   zone_names[c->zone->type], msg);
	c->err = -EUCLEAN;
	return c->err;
}

/* Pages of other owners are read racily: snapshot the flags word once. */
static inline bool in_zone_page(struct checker *c, const struct page *p)
{
	struct page snap;

	snap.flags = __atomic_load_n(&p->flags, __ATOMIC_RELAXED);
	return page_machine_slot(&snap) == (unsigned int)c->m->slot &&
	       page_zonenum(&snap) == (unsigned int)c->zone->type &&
	       page_to_nid(&snap) == c->zone->node;
}

static bool section_online(struct kmm_machine *m, unsigned long pfn);

/*
 * Record that [pfn, pfn+nr) is accounted. Free blocks and pcp pages must lie
 * in online sections and blocks; deferred blocks are then disjoint from
 * them by construction and are checked by their state instead of bit by
 * bit (a 1 TiB machine has a quarter of a million of them).
 */
static int mark(struct checker *c, unsigned long pfn, unsigned long nr, const char *what)
{
	unsigned long base = c->zone->zone_start_pfn;

	if (pfn < base || pfn + nr > zone_end_pfn(c->zone))
		return report(c, "%s at pfn %#lx (+%lu) lies outside the zone", what, pfn, nr);
	if (!section_online(c->m, pfn))
		return report(c, "%s at pfn %#lx lies in a section that is not online", what, pfn);
	for (unsigned long i = pfn - base, end = pfn - base + nr; i < end;) {
		/* whole bytes of the bitmap at once where the range covers them */
		if (!(i & 7) && end - i >= 8) {
			if (c->seen[i >> 3])
				return report(c, "pfn %#lx counted twice (%s)",
					      base + i + (unsigned long)__builtin_ctz(c->seen[i >> 3]),
					      what);
			c->seen[i >> 3] = 0xff;
			i += 8;
			continue;
		}
		if (c->seen[i >> 3] & (1u << (i & 7)))
			return report(c, "pfn %#lx counted twice (%s)", base + i, what);
		c->seen[i >> 3] |= (unsigned char)(1u << (i & 7));
		i++;
	}
	return 0;
}

static int get_pb_mt(struct checker *c, unsigned long pfn)
{
	struct zone *z = c->zone;
	int pbo = c->m->pageblock_order;

	return z->pageblock_mt[(pfn >> pbo) - (z->zone_start_pfn >> pbo)];
}

static bool section_online(struct kmm_machine *m, unsigned long pfn)
{
	return !m->section_state || pfn_init_state(m, pfn) == SECTION_ONLINE;
}

static int check_free_lists(struct checker *c, unsigned long *buddy_pages,
			    unsigned long *isolate_pages, unsigned long *highatomic_pages,
			    unsigned long *cma_pages, unsigned long *lazy_pages)
{
	struct kmm_machine *m = c->m;
	struct zone *z = c->zone;

	for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++) {
		unsigned long blocks = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *head = &z->free_area[order].free_list[mt], *pos;

			list_for_each(pos, head) {
				struct page *p = list_entry(pos, struct page, buddy_list);
				unsigned long pfn = page_to_pfn_m(m, p);

				if (!PageBuddy(p))
					return report(c, "pfn %#lx on free list %u/%s is not PageBuddy",
						      pfn, order, migratetype_names[mt]);
				if (p->private != order)
					return report(c, "pfn %#lx on free list of order %u has order %lu",
						      pfn, order, p->private);
				if (!IS_ALIGNED(pfn, 1UL << order))
					return report(c, "free block at pfn %#lx is not aligned to order %u",
						      pfn, order);
				if (!in_zone_page(c, p))
					return report(c, "free block at pfn %#lx belongs to another zone",
						      pfn);
				if (page_ref_count(p) != 0 || PageReserved(p))
					return report(c, "free block at pfn %#lx has refcount %d%s", pfn,
						      page_ref_count(p), PageReserved(p) ? ", reserved" : "");
				for (unsigned long pb = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
				     pb < pfn + (1UL << order); pb += m->pageblock_nr_pages)
					if (get_pb_mt(c, pb) != mt)
						return report(c, "free block at pfn %#lx (order %u) is on the %s list but its pageblock is %s",
							      pfn, order, migratetype_names[mt],
							      migratetype_names[get_pb_mt(c, pb)]);
				if (mark(c, pfn, 1UL << order, "free block"))
					return c->err;
				if (page_flag_test(p, PG_lazy_free)) {
					if (!m->opts.buddy_lazy)
						return report(c, "pfn %#lx is lazy-free in eager mode", pfn);
					*lazy_pages += 1UL << order;
				} else {
					/*
					 * Unmerged buddies are allowed where one side is lazy,
					 * and at pageblock order and above: there a merge
					 * depends on both blocks' types when they were freed,
					 * and Linux re-types free blocks without merging them
					 * (unreserve_highatomic_pageblock's move_to_free_list).
					 */
					unsigned long bpfn = pfn ^ (1UL << order);
					struct page *b = p + ((long)bpfn - (long)pfn);

					if (order < (unsigned int)m->pageblock_order && PageBuddy(b) &&
					    b->private == order && in_zone_page(c, b) &&
					    !page_flag_test(b, PG_lazy_free))
						return report(c, "free buddies at pfn %#lx and %#lx (order %u) were not merged",
							      pfn, bpfn, order);
				}
				blocks++;
				*buddy_pages += 1UL << order;
				if (mt == MIGRATE_ISOLATE)
					*isolate_pages += 1UL << order;
				else if (mt == MIGRATE_HIGHATOMIC)
					*highatomic_pages += 1UL << order;
				else if (mt == MIGRATE_CMA)
					*cma_pages += 1UL << order;
			}
		}
		if (order == MAX_PAGE_ORDER)
			blocks += z->nr_deferred_blocks;
		if (blocks != z->free_area[order].nr_free)
			return report(c, "nr_free[%u] is %lu but the lists hold %lu blocks", order,
				      z->free_area[order].nr_free, blocks);
	}
	return 0;
}

static int check_pcp(struct checker *c, unsigned long *pcp_pages)
{
	struct kmm_machine *m = c->m;
	struct zone *z = c->zone;

	if (!z->per_cpu_pageset)
		return 0;
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, cpu);
		long count = 0;

		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never handed out: no pageset set up, nothing on it */
		for (int i = 0; i < NR_PCP_LISTS; i++) {
			unsigned int order = (unsigned int)i / MIGRATE_PCPTYPES;
			struct list_head *pos;

			list_for_each(pos, &pcp->lists[i]) {
				struct page *p = list_entry(pos, struct page, pcp_list);
				unsigned long pfn = page_to_pfn_m(m, p);

				if (PageBuddy(p) || page_ref_count(p) != 0 || !in_zone_page(c, p) ||
				    PageReported(p))
					return report(c, "cpu %d pcp list %d: pfn %#lx is %s", cpu, i, pfn,
						      PageBuddy(p) ? "PageBuddy" :
						      page_ref_count(p) ? "referenced" :
						      PageReported(p) ? "PageReported" : "from another zone");
				if (!IS_ALIGNED(pfn, 1UL << order) || p->private != order)
					return report(c, "cpu %d pcp list %d: pfn %#lx is not an order-%u block",
						      cpu, i, pfn, order);
				if (mark(c, pfn, 1UL << order, "pcp page"))
					return c->err;
				count += 1L << order;
			}
		}
		if (count != pcp->count)
			return report(c, "cpu %d pcp count is %d but its lists hold %ld pages", cpu,
				      pcp->count, count);
		*pcp_pages += (unsigned long)count;
	}
	return 0;
}

/* The first zone spanning @pfn, as boot files a deferred block (zone_of_pfn in mm/mm_init.c). */
static struct zone *zone_of_deferred(struct kmm_machine *m, unsigned long pfn)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int t = 0; m->node_data[nid] && t < MAX_NR_ZONES; t++) {
			struct zone *zone = &m->node_data[nid]->node_zones[t];

			if (zone->spanned_pages && zone_spans_pfn(zone, pfn))
				return zone;
		}
	return NULL;
}

static int check_deferred(struct checker *c, unsigned long *deferred_pages)
{
	struct kmm_machine *m = c->m;
	struct zone *z = c->zone;
	unsigned long n = 0, marked = 0;
	struct list_head *pos;

	list_for_each(pos, &z->deferred_ranges) {
		struct deferred_range *dr = list_entry(pos, struct deferred_range, list);
		unsigned long pfn = dr->start_pfn, end = pfn + (dr->nr_blocks << MAX_PAGE_ORDER);

		if (!IS_ALIGNED(pfn, MAX_ORDER_NR_PAGES) || !dr->nr_blocks ||
		    !zone_spans_pfn(z, pfn) || !zone_spans_pfn(z, end - 1) ||
		    (pfn >> SECTION_SHIFT) != ((end - 1) >> SECTION_SHIFT))
			return report(c, "deferred range at pfn %#lx (%lu blocks) is misplaced", pfn,
				      dr->nr_blocks);
		for (; m->section_state && pfn < end; pfn += MAX_ORDER_NR_PAGES)
			if (pfn_init_state(m, pfn) != SECTION_DEFERRED)
				return report(c, "deferred block at pfn %#lx is not marked deferred", pfn);
		n += dr->nr_blocks;
	}
	if (n != z->nr_deferred_blocks)
		return report(c, "nr_deferred_blocks is %lu but the ranges hold %lu",
			      z->nr_deferred_blocks, n);
	/* No block marked deferred in the zone's sections without a range holding it. */
	for (unsigned long sec = z->zone_start_pfn >> SECTION_SHIFT;
	     m->section_deferred && sec < m->nr_sections &&
	     (sec << SECTION_SHIFT) < zone_end_pfn(z); sec++) {
		uint32_t bits = m->section_deferred[sec];

		for (unsigned int b = 0; bits && b < (PAGES_PER_SECTION >> MAX_PAGE_ORDER); b++) {
			unsigned long pfn = (sec << SECTION_SHIFT) + ((unsigned long)b << MAX_PAGE_ORDER);

			if ((bits >> b) & 1 && zone_spans_pfn(z, pfn) && zone_of_deferred(m, pfn) == z)
				marked++;
		}
	}
	if (m->section_deferred && marked != n)
		return report(c, "%lu blocks are marked deferred but the ranges hold %lu", marked, n);
	*deferred_pages = n << MAX_PAGE_ORDER;
	return 0;
}

/* Walk every initialised frame of the zone: orphans, and the allocated count. */
static int check_frames(struct checker *c, unsigned long *allocated)
{
	struct kmm_machine *m = c->m;
	struct zone *z = c->zone;
	unsigned long pfn = z->zone_start_pfn, end = zone_end_pfn(z);

	*allocated = 0;
	while (pfn < end) {
		unsigned long sec = pfn >> SECTION_SHIFT, bit = (pfn >> MAX_PAGE_ORDER) &
							 ((PAGES_PER_SECTION >> MAX_PAGE_ORDER) - 1);
		/* a block with reserved or free chunks not initialised: a chunk at a time */
		bool chunked = sec < m->nr_sections &&
			       ((m->section_reserved &&
				 ((__atomic_load_n(&m->section_reserved[sec], __ATOMIC_ACQUIRE) >> bit) & 1)) ||
				(m->section_lazy &&
				 ((__atomic_load_n(&m->section_lazy[sec], __ATOMIC_ACQUIRE) >> bit) & 1)));
		unsigned long unit = chunked ? MEMMAP_CHUNK_PAGES : MAX_ORDER_NR_PAGES;
		unsigned long stop = KMM_MIN(end, ALIGN_DOWN(pfn, unit) + unit);

		/*
		 * A section, a block or a chunk not initialised (pfn_init_state):
		 * skipped, but a free chunk of a split deferred block must lie in
		 * free blocks (the allocator initialises a chunk before it hands
		 * any page of it out or makes a head in it).
		 */
		if (m->section_state && pfn_init_state(m, pfn) == SECTION_LAZY_FREE) {
			for (; pfn < stop; pfn++) {
				unsigned long i = pfn - z->zone_start_pfn;

				if (!(c->seen[i >> 3] & (1u << (i & 7))))
					return report(c, "pfn %#lx has no struct page yet but is not free",
						      pfn);
			}
			continue;
		}
		if (!section_online(m, pfn)) {
			pfn = stop;
			continue;
		}
		while (pfn < stop) {
			unsigned long i = pfn - z->zone_start_pfn;
			struct page *p = pfn_to_page_m(m, pfn);

			/* eight frames all accounted already (free or on a pcp list) */
			if (!(i & 7) && c->seen[i >> 3] == 0xff && stop - pfn >= 8) {
				pfn += 8;
				continue;
			}
			if (!(c->seen[i >> 3] & (1u << (i & 7))) && in_zone_page(c, p)) {
				if (PageBuddy(p))
					return report(c, "PageBuddy pfn %#lx is on no free list", pfn);
				if (PageReported(p))
					return report(c, "pfn %#lx is PageReported but not free", pfn);
				if (!PageReserved(p))
					(*allocated)++;
			}
			pfn++;
		}
	}
	return 0;
}

static int check_zone(struct kmm_machine *m, struct zone *z)
{
	struct checker c = { .m = m, .zone = z };
	unsigned long buddy = 0, isolate = 0, highatomic = 0, cma = 0, lazy = 0, pcp = 0;
	unsigned long deferred = 0, allocated = 0, nr_free;

	if (!z->spanned_pages || !__atomic_load_n(&z->free_area[0].free_list[0].next, __ATOMIC_RELAXED))
		return 0;
	if (!z->pageblock_mt) {
		c.err = 0;
		return report(&c, "no pageblock types");
	}
	c.seen = calloc((z->spanned_pages + 7) / 8, 1);
	if (!c.seen)
		return kmm_set_error(-ENOMEM, "page_alloc check: no memory for the frame bitmap");

	if (z->per_cpu_pageset)
		kmm_cpu_lock_all(m);
	spin_lock(&z->lock);

	if (check_free_lists(&c, &buddy, &isolate, &highatomic, &cma, &lazy) ||
	    check_pcp(&c, &pcp) || check_deferred(&c, &deferred))
		goto out;
	nr_free = zone_page_state(z, NR_FREE_PAGES);
	if (nr_free != buddy + deferred - isolate)
		report(&c, "NR_FREE_PAGES is %lu but the buddy lists hold %lu (+%lu deferred, -%lu isolated)",
		       nr_free, buddy, deferred, isolate);
	else if (highatomic != z->nr_free_highatomic)
		report(&c, "nr_free_highatomic is %lu but the HighAtomic lists hold %lu",
		       z->nr_free_highatomic, highatomic);
	else if (cma != zone_page_state(z, NR_FREE_CMA_PAGES))
		report(&c, "NR_FREE_CMA_PAGES is %lu but the CMA lists hold %lu",
		       zone_page_state(z, NR_FREE_CMA_PAGES), cma);
	else if (lazy != z->nr_lazy_free)
		report(&c, "nr_lazy_free is %lu but %lu lazy pages are listed", z->nr_lazy_free,
		       lazy);
	else if (!check_frames(&c, &allocated) &&
		 buddy + pcp + deferred + allocated != zone_managed_pages(z))
		report(&c, "managed %lu != free %lu + pcp %lu + deferred %lu + allocated %lu",
		       zone_managed_pages(z), buddy, pcp, deferred, allocated);
out:
	spin_unlock(&z->lock);
	if (z->per_cpu_pageset)
		kmm_cpu_unlock_all(m);
	free(c.seen);
	return c.err;
}

int page_alloc_check(struct kmm_machine *m)
{
	if (!m)
		return 0;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat)
			continue;
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			int err = check_zone(m, &pgdat->node_zones[t]);

			if (err)
				return err;
		}
	}
	return 0;
}
