// SPDX-License-Identifier: MIT
/*
 * mm/pgtable.c - page tables in simulated physical memory: allocate, walk,
 * read and write entries, free ranges, print a walk. The entry formats and
 * each arch's table geometry are in arch/x86/mm/pgtable.c.
 *
 * Linux counterpart: mm/pgtable-generic.c, arch/x86/mm/pgtable.c,
 * mm/memory.c (__pte_alloc, free_pgd_range), include/linux/pgtable.h.
 * Kept: the x86 entry formats (32-bit 2-level, 64-bit PAE and 4-level), the
 * bits, table frames from the page allocator typed PGTY_table and counted in
 * NR_PAGETABLE and pgtables_bytes. Simplified: one walk routine for every
 * geometry instead of per-level inline helpers; tables are always 4 KiB
 * frames (the PAE root too); no huge-page leaves (PSE is never set by kmm).
 *
 * Invariant: see mm/include/pgtable.h.
 *
 * Locking: the caller holds the owner's page-table lock; entries are read
 * and written atomically so the software MMU can walk concurrently.
 */
#include "mm/include/pgtable.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mm/include/addr.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

const char *const pgtable_level_names[PGT_NR_LEVELS] = { "PGD", "P4D", "PUD", "PMD", "PTE" };

/* ---- Table frames ---- */

/* Table frames are GFP_KERNEL, so lowmem: the kernel reaches them through the direct map. */
static inline void *table_host(const struct kmm_pgtable *pt, uint64_t pa)
{
	return phys_to_virt_m(pt->m, pa);
}

/*
 * Entries are read with acquire: a table installed by another walker
 * (entry_install's compare-and-swap releases it) is seen zeroed.
 */
static inline pteval_t entry_load(const struct kmm_pgtable *pt, const void *slot)
{
	if (pt->geo->entry_size == 4)
		return __atomic_load_n((const uint32_t *)slot, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)slot, __ATOMIC_ACQUIRE);
}

static inline pteval_t entry_get(const struct kmm_pgtable *pt, uint64_t table_pa, unsigned long idx)
{
	return entry_load(pt, (char *)table_host(pt, table_pa) + idx * (size_t)pt->geo->entry_size);
}

static inline void *entry_slot(const struct kmm_pgtable *pt, uint64_t table_pa, unsigned long idx)
{
	return (char *)table_host(pt, table_pa) + idx * (size_t)pt->geo->entry_size;
}

/*
 * pte_alloc_one() and friends: a zeroed lowmem frame typed as a page table.
 * Lower levels are counted (NR_PAGETABLE via the ptdesc ctor, pgtables_bytes
 * via mm_inc_nr_ptes/pmds/puds); the root is not, as x86's pgd_alloc() in
 * 6.12 takes a plain page (so VmPTE and PageTables leave the PGD out).
 */
static int table_alloc(struct kmm_pgtable *pt, uint64_t *pa, bool root)
{
	struct kmm_machine *m = pt->m;
	struct page *page = kmm_alloc_pages(m, GFP_KERNEL | __GFP_ZERO, 0, -1);

	if (!page)
		return -ENOMEM;
	__page_set_type(page, PGTY_table);
	spin_lock_init(&page->ptl);	/* ptlock_init(): used by PTE tables only */
	if (!root) {
		mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_PAGETABLE, 1);
		atomic_fetch_add(&pt->pgtables_bytes, (long)PAGE_SIZE);
	}
	*pa = PFN_PHYS(page_to_pfn_m(m, page));
	return 0;
}

/* Undo table_alloc()'s type and counts. */
static struct page *table_unaccount(struct kmm_pgtable *pt, uint64_t pa, bool root)
{
	struct kmm_machine *m = pt->m;
	struct page *page = pfn_to_page_m(m, (unsigned long)PFN_DOWN(pa));

	__page_clear_type(page);
	if (!root) {
		mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_PAGETABLE, -1);
		atomic_fetch_sub(&pt->pgtables_bytes, (long)PAGE_SIZE);
	}
	return page;
}

/* pte_free(): give an unlinked table frame back; it must hold no entries. */
static void table_free(struct kmm_pgtable *pt, uint64_t pa, bool root)
{
	struct page *page = table_unaccount(pt, pa, root);

	if (pt->free_table)
		pt->free_table(pt, page);
	else
		__free_pages(page, 0);
}

/* A frame from table_alloc() that no walker ever saw: free it at once. */
static void table_free_unused(struct kmm_pgtable *pt, uint64_t pa)
{
	__free_pages(table_unaccount(pt, pa, false), 0);
}

/* The split lock of the PTE table at @pa (Linux's ptlock_ptr(page_ptdesc(page))). */
static inline spinlock_t *table_ptl(const struct kmm_pgtable *pt, uint64_t pa)
{
	return &pfn_to_page_m(pt->m, (unsigned long)PFN_DOWN(pa))->ptl;
}

/* Install @e at the empty upper-level @slot unless another walker did first. */
static bool entry_install(const struct kmm_pgtable *pt, void *slot, pteval_t e)
{
	if (pt->geo->entry_size == 4) {
		uint32_t expect = 0;
		return __atomic_compare_exchange_n((uint32_t *)slot, &expect, (uint32_t)e, false,
						   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	uint64_t expect = 0;
	return __atomic_compare_exchange_n((uint64_t *)slot, &expect, e, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

int pgtable_init(struct kmm_pgtable *pt, struct kmm_machine *m, bool user)
{
	memset(pt, 0, sizeof(*pt));
	pt->m = m;
	pt->geo = pgtable_geometry_of(m);
	pt->user = user;
	atomic_init(&pt->pgtables_bytes, 0);
	return table_alloc(pt, &pt->pgd_pa, true);
}

unsigned long pgtable_nr_tables(const struct kmm_pgtable *pt)
{
	return (unsigned long)atomic_load(&((struct kmm_pgtable *)pt)->pgtables_bytes) / PAGE_SIZE;
}

/* ---- Walking ---- */

static inline int next_real(const struct pgtable_geometry *g, int level)
{
	do
		level++;
	while (level < PGT_NR_LEVELS && !g->real[level]);
	return level;
}

static inline unsigned long level_index(const struct pgtable_geometry *g, int level, uint64_t va)
{
	return (unsigned long)((va >> g->shift[level]) & ((1ULL << g->bits[level]) - 1));
}

/* Canonical-address check; returns false when the tables cannot map @va. */
static bool va_in_reach(const struct pgtable_geometry *g, uint64_t va)
{
	if (g->levels == 4) {
		uint64_t top = va >> 47;
		return top == 0 || top == 0x1ffff;
	}
	return va < g->va_limit;
}

static pteval_t upper_entry(const struct kmm_pgtable *pt, int level, uint64_t table_pa)
{
	/* A PAE PDPTE carries only the present bit (RW/US are reserved there). */
	if (level == PGT_PGD && pt->geo->levels == 3)
		return _PAGE_PRESENT | table_pa;
	return table_pa | (pt->user ? _PAGE_TABLE : _KERNPG_TABLE);
}

/*
 * The 4-level walk when every table on the way is there: three upper
 * entries of 8 bytes and 9 index bits each (PGD, PUD, PMD; P4D folded), in
 * line, without the geometry loop. Every fault walks (the fault path under
 * the page-table lock, the fault loop's look at the entry before and after)
 * and x86_64 is the arch most callers boot. Return: the leaf slot, or NULL
 * when a table is missing (walk_tables() then allocates it or says so).
 */
static inline void *walk_4level(const struct kmm_pgtable *pt, uint64_t va)
{
	const char *direct = table_host(pt, 0);
	const pteval_t mask = pt->geo->pfn_mask;
	/* x86-64's PGDIR_SHIFT, PUD_SHIFT and PMD_SHIFT (geo_4level's shifts) */
	pteval_t e = __atomic_load_n((const uint64_t *)(direct + pt->pgd_pa) + ((va >> 39) & 511),
				     __ATOMIC_ACQUIRE);

	if (!(e & _PAGE_PRESENT))
		return NULL;
	e = __atomic_load_n((const uint64_t *)(direct + (e & mask)) + ((va >> 30) & 511), __ATOMIC_ACQUIRE);
	if (!(e & _PAGE_PRESENT))
		return NULL;
	e = __atomic_load_n((const uint64_t *)(direct + (e & mask)) + ((va >> 21) & 511), __ATOMIC_ACQUIRE);
	if (!(e & _PAGE_PRESENT))
		return NULL;
	return (uint64_t *)(direct + (e & mask)) + ((va >> PAGE_SHIFT) & 511);
}

/* The slot of @va's entry at @stop (an upper level): NULL when a table above it is missing. */
static void *upper_slot(const struct kmm_pgtable *pt, uint64_t va, int stop)
{
	const struct pgtable_geometry *g = pt->geo;
	uint64_t table = pt->pgd_pa;
	int level = PGT_PGD;

	for (; level != stop; level = next_real(g, level)) {
		pteval_t e = entry_load(pt, entry_slot(pt, table, level_index(g, level, va)));
		if (!(e & _PAGE_PRESENT))
			return NULL;
		table = e & g->pfn_mask;
	}
	return entry_slot(pt, table, level_index(g, level, va));
}

/*
 * Install @e at @slot, @level's entry of @va, seen empty: under the install
 * lock the walk to @slot is made again (the table holding it may have been
 * unlinked meanwhile) and the slot must still be empty. Return: whether @e
 * went in; if not, the caller walks again.
 */
static bool install_locked(struct kmm_pgtable *pt, uint64_t va, int level, void *slot, pteval_t e)
{
	bool done = false;

	spin_lock(pt->install_lock);
	if (upper_slot(pt, va, level) == slot && !(entry_load(pt, slot) & _PAGE_PRESENT)) {
		pte_set(pt, slot, e);		/* release: walkers see the zeroed table */
		done = true;
	}
	spin_unlock(pt->install_lock);
	return done;
}

/* The general walk: any geometry, allocating (@alloc) what is missing. */
static __attribute__((noinline)) void *walk_tables(struct kmm_pgtable *pt, uint64_t va, bool alloc,
						   int *err)
{
	const struct pgtable_geometry *g = pt->geo;
	uint64_t table;

	if (!va_in_reach(g, va)) {
		if (err)
			*err = -EFAULT;
		return NULL;
	}
again:
	table = pt->pgd_pa;
	for (int level = PGT_PGD; level != PGT_PTE; level = next_real(g, level)) {
		void *slot = entry_slot(pt, table, level_index(g, level, va));
		pteval_t e = entry_load(pt, slot);

		if (!(e & _PAGE_PRESENT)) {
			uint64_t child;
			if (!alloc)
				return NULL;
			if (table_alloc(pt, &child, false)) {
				if (err)
					*err = -ENOMEM;
				return NULL;
			}
			e = upper_entry(pt, level, child);
			if (pt->install_lock) {
				if (!install_locked(pt, va, level, slot, e)) {
					table_free_unused(pt, child);	/* no walker saw it */
					goto again;
				}
			} else if (!entry_install(pt, slot, e)) {
				/* Another walker installed one first: use theirs. */
				table_free_unused(pt, child);
				e = entry_load(pt, slot);
			}
		}
		table = e & g->pfn_mask;
	}
	return entry_slot(pt, table, level_index(g, PGT_PTE, va));
}

void *pgtable_walk(struct kmm_pgtable *pt, uint64_t va, bool alloc, int *err)
{
	if (err)
		*err = 0;
	if (pt->geo->levels == 4 && va_in_reach(pt->geo, va)) {
		void *slot = walk_4level(pt, va);

		if (slot)
			return slot;
	}
	return walk_tables(pt, va, alloc, err);
}

pteval_t pgtable_get_pte(struct kmm_pgtable *pt, uint64_t va)
{
	void *slot = pgtable_walk(pt, va, false, NULL);

	return slot ? entry_load(pt, slot) : 0;
}

int pgtable_set_pte(struct kmm_pgtable *pt, uint64_t va, pteval_t v)
{
	int err;
	void *slot = pgtable_walk(pt, va, true, &err);

	if (!slot)
		return err;
	pte_set(pt, slot, v);
	return 0;
}

pteval_t pgtable_clear_pte(struct kmm_pgtable *pt, uint64_t va)
{
	void *slot = pgtable_walk(pt, va, false, NULL);

	return slot ? pte_xchg(pt, slot, 0) : 0;
}

/* Address span covered by one entry of @level. */
static inline uint64_t level_span(const struct pgtable_geometry *g, int level)
{
	return 1ULL << g->shift[level];
}

/* Sign-extend a 48-bit index-built address on 4-level tables. */
static inline uint64_t canon(const struct pgtable_geometry *g, uint64_t va)
{
	if (g->levels == 4 && (va & (1ULL << 47)))
		return va | 0xffff000000000000ULL;
	return va;
}

/*
 * Map [start, end) into the tables' index space: 48 bits on 4-level tables
 * (kernel addresses lose their sign extension), 32 bits otherwise; end == 0
 * means "to the top".
 */
static void clip_range(const struct pgtable_geometry *g, uint64_t start, uint64_t end,
		       uint64_t *s, uint64_t *e)
{
	uint64_t top = g->levels == 4 ? 1ULL << 48 : 1ULL << 32;

	*s = start & (top - 1);
	if (end == 0 || (g->levels != 4 && end >= top)) {
		*e = top;
	} else {
		*e = end & (top - 1);
		if (*e == 0)
			*e = top;
	}
}

struct leaf_iter {
	struct kmm_pgtable *pt;
	bool nonnone;
	int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v);
	/* set instead of @fn: called once per leaf table (pgtable_for_each_pte_table) */
	int (*table_fn)(void *arg, uint64_t va, void *slot, unsigned long nr);
	void *arg;
};

static int iter_level(struct leaf_iter *it, int level, uint64_t table, uint64_t base,
		      uint64_t start, uint64_t end)
{
	const struct pgtable_geometry *g = it->pt->geo;
	uint64_t span = level_span(g, level);
	unsigned long n = 1UL << g->bits[level];
	unsigned long first = (unsigned long)((start - base) / span);

	if (level == PGT_PTE && it->table_fn) {
		/* [start, end) lies inside this table: its run of slots at once */
		unsigned long last = (unsigned long)((end - base + span - 1) / span);

		if (last > n)
			last = n;
		if (first >= last)
			return 0;
		return it->table_fn(it->arg, canon(g, base + first * span), entry_slot(it->pt, table, first),
				    last - first);
	}
	for (unsigned long i = first; i < n; i++) {
		uint64_t va = base + i * span;
		if (va >= end)
			break;
		void *slot = entry_slot(it->pt, table, i);
		pteval_t e = entry_load(it->pt, slot);
		if (level == PGT_PTE) {
			bool want = it->nonnone ? !pte_none(e) : pte_present(e);
			if (want) {
				int r = it->fn(it->arg, canon(g, va), slot, e);
				if (r)
					return r;
			}
			continue;
		}
		if (!(e & _PAGE_PRESENT))
			continue;
		int r = iter_level(it, next_real(g, level), e & g->pfn_mask, va, KMM_MAX(va, start),
				   KMM_MIN(va + span, end));
		if (r)
			return r;
	}
	return 0;
}

int pgtable_for_each_leaf(struct kmm_pgtable *pt, uint64_t start, uint64_t end, bool nonnone,
			  int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v), void *arg)
{
	struct leaf_iter it = { pt, nonnone, fn, NULL, arg };
	uint64_t s, e;

	clip_range(pt->geo, start, end, &s, &e);
	if (e <= s)
		return 0;
	return iter_level(&it, PGT_PGD, pt->pgd_pa, 0, s, e);
}

int pgtable_for_each_pte_table(struct kmm_pgtable *pt, uint64_t start, uint64_t end,
			       int (*fn)(void *arg, uint64_t va, void *slot, unsigned long nr), void *arg)
{
	struct leaf_iter it = { pt, false, NULL, fn, arg };
	uint64_t s, e;

	clip_range(pt->geo, start, end, &s, &e);
	if (e <= s)
		return 0;
	return iter_level(&it, PGT_PGD, pt->pgd_pa, 0, s, e);
}

/*
 * Every entry of the tables, for views that draw them: each present upper
 * entry (then the table it points at) and each non-none leaf, in address
 * order. Tables are read as pgtable_for_each_leaf() reads them.
 */
struct entry_iter {
	struct kmm_pgtable *pt;
	int (*fn)(void *arg, int level, uint64_t table, unsigned long idx, uint64_t va, pteval_t v);
	void *arg;
};

static int entries_level(struct entry_iter *it, int level, uint64_t table, uint64_t base)
{
	const struct pgtable_geometry *g = it->pt->geo;
	unsigned long n = 1UL << g->bits[level];

	/* a PAE root uses only its first 4 entries */
	if (level == PGT_PGD && g->levels == 3)
		n = 4;
	for (unsigned long i = 0; i < n; i++) {
		uint64_t va = base + i * level_span(g, level);
		pteval_t e = entry_get(it->pt, table, i);
		if (level == PGT_PTE ? pte_none(e) : !(e & _PAGE_PRESENT))
			continue;
		int r = it->fn(it->arg, level, table, i, canon(g, va), e);
		if (!r && level != PGT_PTE)
			r = entries_level(it, next_real(g, level), e & g->pfn_mask, va);
		if (r)
			return r;
	}
	return 0;
}

int pgtable_for_each_entry(struct kmm_pgtable *pt,
			   int (*fn)(void *arg, int level, uint64_t table, unsigned long idx,
				     uint64_t va, pteval_t v),
			   void *arg)
{
	struct entry_iter it = { pt, fn, arg };

	return pt->pgd_pa ? entries_level(&it, PGT_PGD, pt->pgd_pa, 0) : 0;
}

/* ---- Freeing ---- */

static bool table_empty(const struct kmm_pgtable *pt, int level, uint64_t table)
{
	unsigned long n = 1UL << pt->geo->bits[level];

	for (unsigned long i = 0; i < n; i++)
		if (!pte_none(entry_get(pt, table, i)))
			return false;
	return true;
}

/*
 * Free child tables of @table (at @level, mapping from @base) that cover
 * only [start, end) or have become empty. Counts stray present leaves in
 * *@stray (a caller bug: leaves must be cleared first).
 */
static unsigned long free_level(struct kmm_pgtable *pt, int level, uint64_t table, uint64_t base,
				uint64_t start, uint64_t end, unsigned long *stray)
{
	const struct pgtable_geometry *g = pt->geo;
	uint64_t span = level_span(g, level);
	unsigned long n = 1UL << g->bits[level];
	unsigned long freed = 0;
	unsigned long first = (unsigned long)((start - base) / span);

	for (unsigned long i = first; i < n; i++) {
		uint64_t va = base + i * span;
		if (va >= end)
			break;
		void *slot = entry_slot(pt, table, i);
		pteval_t e = entry_load(pt, slot);
		if (level == PGT_PTE) {
			if (!pte_none(e))
				(*stray)++;
			continue;
		}
		if (!(e & _PAGE_PRESENT))
			continue;
		int child_level = next_real(g, level);
		uint64_t child = e & g->pfn_mask;
		freed += free_level(pt, child_level, child, va, KMM_MAX(va, start),
				    KMM_MIN(va + span, end), stray);
		/*
		 * A PTE table is looked at and unlinked under its own lock: a
		 * fault of another VMA that maps into it fills an entry under
		 * that lock, and finds the table gone when it walks again
		 * holding it (pte_offset_map_lock()).
		 */
		spinlock_t *ptl = child_level == PGT_PTE ? table_ptl(pt, child) : NULL;
		if (ptl)
			spin_lock(ptl);
		bool empty = table_empty(pt, child_level, child);
		if (empty)
			pte_set(pt, slot, 0);
		if (ptl) {
			if (empty)
				atomic_fetch_add_explicit(&pt->pte_unlinks, 1, memory_order_release);
			spin_unlock(ptl);
		}
		if (empty) {
			table_free(pt, child, false);
			freed++;
		}
	}
	return freed;
}

unsigned long pgtable_free_range(struct kmm_pgtable *pt, uint64_t start, uint64_t end)
{
	unsigned long stray = 0;
	uint64_t s, e;

	clip_range(pt->geo, start, end, &s, &e);
	if (e <= s)
		return 0;
	return free_level(pt, PGT_PGD, pt->pgd_pa, 0, s, e, &stray);
}

unsigned long pgtable_destroy(struct kmm_pgtable *pt)
{
	unsigned long stray = 0;
	uint64_t top = pt->geo->levels == 4 ? 1ULL << 48 : 1ULL << 32;

	if (!pt->pgd_pa)
		return 0;
	free_level(pt, PGT_PGD, pt->pgd_pa, 0, 0, top, &stray);
	table_free(pt, pt->pgd_pa, true);
	pt->pgd_pa = 0;
	return stray;
}

static unsigned long count_level(struct kmm_pgtable *pt, int level, uint64_t table)
{
	const struct pgtable_geometry *g = pt->geo;
	unsigned long n = 1UL << g->bits[level], count = 1;

	if (level == PGT_PTE)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		pteval_t e = entry_get(pt, table, i);
		if (e & _PAGE_PRESENT)
			count += count_level(pt, next_real(g, level), e & g->pfn_mask);
	}
	return count;
}

unsigned long pgtable_count_tables(struct kmm_pgtable *pt)
{
	return pt->pgd_pa ? count_level(pt, PGT_PGD, pt->pgd_pa) - 1 : 0;	/* the root is not counted */
}

/* ---- Printing ---- */

void pgtable_dump_walk(struct kmm_pgtable *pt, uint64_t va, struct strbuf *sb)
{
	const struct pgtable_geometry *g = pt->geo;
	int w = g->entry_size * 2;
	uint64_t table = pt->pgd_pa;
	char flags[160];

	sb_printf(sb, "walk of 0x%" PRIx64 ": %d-level tables, %d-byte entries, CR3 = 0x%" PRIx64 "\n",
		  va, g->levels, g->entry_size, pt->pgd_pa);
	if (!va_in_reach(g, va)) {
		sb_printf(sb, "  address beyond the tables' reach\n");
		return;
	}
	for (int level = PGT_PGD; level < PGT_NR_LEVELS; level++) {
		if (!g->real[level]) {
			sb_printf(sb, "  %s  folded (same entry as the level above)\n",
				  pgtable_level_names[level]);
			continue;
		}
		unsigned long idx = level_index(g, level, va);
		pteval_t e = entry_get(pt, table, idx);
		sb_printf(sb, "  %s  table 0x%09" PRIx64 " [%4lu] = 0x%0*" PRIx64 "  %s\n",
			  pgtable_level_names[level], table, idx, w, e,
			  pte_flags_str(g, e, flags, sizeof(flags)));
		if (level == PGT_PTE) {
			if (pte_present(e) && !pte_protnone(e)) {
				uint64_t pa = (e & g->pfn_mask) | (va & (PAGE_SIZE - 1));
				sb_printf(sb, "  -> pfn 0x%lx, physical address 0x%" PRIx64 "\n",
					  pte_pfn_geo(g, e), pa);
			} else if (pte_none(e)) {
				sb_printf(sb, "  -> not mapped (a fault would fill it)\n");
			} else if (pte_protnone(e)) {
				sb_printf(sb, "  -> PROT_NONE: the frame is kept but any access faults\n");
			} else {
				sb_printf(sb, "  -> not present: swapped out\n");
			}
			return;
		}
		if (!(e & _PAGE_PRESENT)) {
			sb_printf(sb, "  -> no %s table: nothing mapped below this entry\n",
				  pgtable_level_names[next_real(g, level)]);
			return;
		}
		table = e & g->pfn_mask;
	}
}
