// SPDX-License-Identifier: MIT
/*
 * mm/memory.c - the page-fault handler, copy-on-write, zapping, and the
 * user-access loop that runs a process's loads and stores through the MMU.
 *
 * Linux counterpart: mm/memory.c (handle_mm_fault, do_anonymous_page,
 * do_fault, do_wp_page, zap_pte_range), arch/x86/mm/fault.c
 * (do_user_addr_fault, access_error, bad_area, do_sigbus), mm/filemap.c
 * (filemap_fault, much reduced).
 * Kept: the dispatch on the PTE (none / swap / protnone / write to read-only
 * / spurious), the zero page for anonymous reads, a fresh zeroed page for
 * anonymous writes, COW copy or reuse when the page has a single reference
 * (wp_can_reuse_anon_folio's rule for small folios: refcount == 1), SIGBUS
 * past the end of a file, SEGV_MAPERR / SEGV_ACCERR, SIGBUS with
 * BUS_MCEERR_AR and do_sigbus()'s "MCE: Killing" line for a page whose
 * contents were lost (VM_FAULT_HWPOISON), fault accounting (pgfault,
 * pgmajfault, min_flt, maj_flt, pgreuse).
 * Kept too: the fault path tries the per-VMA lock first
 * (lock_vma_under_rcu) and falls back to mmap_lock; pages are allocated and
 * filled with no page-table lock held, then installed under it after the
 * entry is checked again (another thread may have won: its work stands).
 * Kept too: fault-around (do_fault_around, filemap_map_pages) on read faults
 * of file mappings.
 * Kept too: split PTE locks (a lock per PTE table, pte_offset_map_lock()).
 * Simplified: no THP, no userfaultfd; swap entries go to the pressure layer through procs->swapin.
 * Every new user page goes onto the LRU (folio_add_lru, mm/include/swap.h)
 * before its PTE is set, and comes off it on its last put.
 *
 * Invariant: a present non-special PTE holds one reference and one mapcount
 * of its page; a private writable VMA's PTE is writable only when the page
 * is exclusively this mapping's.
 *
 * Locking: a fault holds its VMA's read lock (or mmap_lock) and takes the
 * lock of the entry's PTE table around each change of a leaf entry; a file
 * page is mapped holding its PG_locked (taken before the PTE lock), after the
 * page was found still in its file and below its end; zap runs under
 * mmap_write_lock() with the VMA write-locked and each table's PTE lock held
 * (dropped around munlock_page(), which walks the reverse map), except
 * truncation's pass over private COW copies (unmap_mapping_range), which
 * holds the file's i_mmap_lock (read) instead, as rmap walkers do. The TLB-hit
 * path of kmm_access() runs unlocked; every kmm_access() call is an SRCU
 * reader (procs_enter), so the tables its misses walk stay allocated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/highmem.h"
#include "mm/include/mm.h"
#include "mm/include/mmdebug.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

/* ---- Pages and TLB ---- */

struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte)
{
	struct kmm_machine *m = vma->vm_mm->m;

	if (pte_special(pte))
		return NULL;
	return pfn_to_page_m(m, pte_pfn_geo(vma->vm_mm->pgt.geo, pte));
}

void flush_tlb_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	sim_mmu_flush_range(procs_of(mm->m)->mmu, &mm->ctx, start, end);
}

void flush_tlb_mm(struct mm_struct *mm)
{
	sim_mmu_flush_ctx(&mm->ctx);
}

/*
 * A user page: GFP_HIGHUSER_MOVABLE (highmem on i386). Its bytes are the
 * caller's to set, through clear_user_highpage(), copy_user_highpage() or
 * kmap_local_page(), as Linux's fault paths do.
 */
static struct page *alloc_user_page(struct kmm_machine *m)
{
	return kmm_alloc_pages(m, procs_of(m)->user_gfp, 0, -1);
}

/*
 * The last reference went away (the count is 0): clear what the process
 * layer set, take the page off its LRU list, free it. The count stays 0 on
 * the way (free_frozen_pages()): isolate_lru_folios() may meet the page on
 * its list until __page_cache_release() takes it off, and its
 * get_page_unless_zero() must keep failing until then.
 */
static void free_user_page(struct page *page)
{
	__page_cache_release(page);	/* off its LRU list or add batch */
	page->mapping = NULL;
	page->index = 0;
	page_flag_clear(page, PG_swapbacked);
	page_flag_clear(page, PG_dirty);
	if (page_flag_test(page, PG_mlocked)) {
		page_flag_clear(page, PG_mlocked);
		mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	}
	free_frozen_pages(page, 0);
}

/*
 * free_user_page() of a batch (Linux's free_pages_and_swap_cache() ->
 * folios_put_refs() -> free_unref_folios()): one reference dropped from
 * each of @pages, and those that were the last go off the LRU under one
 * lru_lock, have what the process layer set cleared (PG_swapbacked,
 * PG_dirty and PG_mlocked in one atomic and), and go to the per-CPU lists
 * in one slot section. The pages are all of one machine (one mm's).
 * @pages is reused for the freed ones.
 */
static void free_user_pages(struct page **pages, unsigned int nr)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr; i++)
		if (put_page_testzero(pages[i]))
			pages[n++] = pages[i];
	if (!n)
		return;
	page_cache_release_batch(pages, n);
	for (unsigned int i = 0; i < n; i++) {
		struct page *page = pages[i];
		unsigned long old;

		page->mapping = NULL;
		page->index = 0;
		old = __atomic_fetch_and(&page->flags,
					 ~((1UL << PG_swapbacked) | (1UL << PG_dirty) | (1UL << PG_mlocked)),
					 __ATOMIC_RELAXED);
		if (old & (1UL << PG_mlocked))
			mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	}
	free_unref_folios(pages, n);
}

/* put_page() for user pages: drop one reference, freeing on the last. */
static void put_user_page(struct page *page)
{
	if (put_page_testzero(page))
		free_user_page(page);
}

void *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp)
{
	void *slot;

	while ((slot = pgtable_walk(&mm->pgt, addr, false, NULL)) != NULL) {
		spinlock_t *ptl = pte_lockptr(mm, slot);

		spin_lock(ptl);
		if (pgtable_walk(&mm->pgt, addr, false, NULL) == slot) {
			*ptlp = ptl;
			return slot;
		}
		spin_unlock(ptl);	/* the table was unlinked meanwhile: look again */
	}
	return NULL;
}

/*
 * pte_offset_map_lock() for a fault that found @seen without the lock (its
 * first look at the entry), having read @mm's count of unlinked PTE tables
 * (@unlinks) before that walk: under the table's lock an unchanged count
 * means the table is still linked (each unlink is counted under the lock of
 * the table it unlinks), so the walk need not be made again. Else, or when
 * the count moved, the full pte_offset_map_lock().
 */
static void *pte_lock_seen(struct mm_struct *mm, unsigned long addr, void *seen, unsigned int unlinks,
			   spinlock_t **ptlp)
{
	spinlock_t *ptl = pte_lockptr(mm, seen);

	spin_lock(ptl);
	if (__builtin_expect(atomic_load_explicit(&mm->pgt.pte_unlinks, memory_order_relaxed) == unlinks, 1)) {
		*ptlp = ptl;
		return seen;
	}
	spin_unlock(ptl);
	return pte_offset_map_lock(mm, addr, ptlp);
}

/* One PTE table's part of walk_ptes_locked(). */
struct ptes_walk {
	struct mm_struct *mm;
	bool nonnone;
	int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v);
	void *arg;
};

static int walk_pte_table_locked(void *arg, uint64_t va, void *first, unsigned long nr)
{
	struct ptes_walk *w = arg;
	struct kmm_pgtable *pt = &w->mm->pgt;
	spinlock_t *ptl;
	int r = 0;

	/* (the walk again under the lock: truncation's pass holds no mmap_lock) */
	void *slot = pte_offset_map_lock(w->mm, (unsigned long)va, &ptl);
	if (!slot)
		return 0;
	for (unsigned long i = 0; i < nr && !r; i++) {
		void *s = pte_slot_at(pt, slot, i);
		pteval_t v = pte_get(pt, s);

		if (w->nonnone ? !pte_none(v) : pte_present(v))
			r = w->fn(w->arg, va + i * PAGE_SIZE, s, v);
	}
	pte_unmap_unlock(ptl);
	(void)first;
	return r;
}

int walk_ptes_locked(struct mm_struct *mm, unsigned long start, unsigned long end, bool nonnone,
		     int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v), void *arg)
{
	struct ptes_walk w = { mm, nonnone, fn, arg };

	return pgtable_for_each_pte_table(&mm->pgt, start, end, walk_pte_table_locked, &w);
}

void put_user_page_ref(struct page *page)
{
	put_user_page(page);
}

static enum mm_counter mm_counter_file(const struct page *page)
{
	return page_flag_test(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

static enum mm_counter mm_counter_of(const struct page *page)
{
	return PageAnon(page) ? MM_ANONPAGES : mm_counter_file(page);
}

/* pte_mkdirty() sets the soft-dirty bit too, as on x86 with CONFIG_MEM_SOFT_DIRTY. */
static inline pteval_t pte_mkdirty(pteval_t v)
{
	return v | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;
}

/*
 * free_swap_cache(): an anonymous page no PTE maps any more need not keep
 * its swap copy; folio_free_swap() drops it unless a swap PTE still holds
 * the slot (then the last free_swap_and_cache() or reclaim drops it). As
 * folio_free_swap() wants, under the page lock: a trylock (the caller holds
 * a PTE lock), so a page someone holds - a swap-in reading it,
 * reclaim - keeps its copy for reclaim to drop.
 */
static void free_swap_cache(struct page *page)
{
	if (PageAnon(page) && PageSwapCache(page) && page_mapcount(page) <= 0 && trylock_page(page)) {
		folio_free_swap(page);
		unlock_page(page);
	}
}

/* ---- Zapping ---- */

/*
 * zap gathers the pages whose mapping reference it drops and drops them only
 * after the TLB flush and the shootdown's wait (Linux's mmu_gather: unmap,
 * flush, free the batch). A thread of any process may be inside
 * kmm_access()'s copy through a translation taken before the flush; until
 * the wait returns that copy may still read or write the frame, so the frame
 * must not be freed (and handed to another owner) before. ZAP_BATCH bounds
 * the batch as MAX_GATHER_BATCH does: a full batch flushes what was cleared
 * so far, waits and drops its pages, and the walk goes on.
 */
#define ZAP_BATCH 64

struct zap_ctx {
	struct vm_area_struct *vma;
	bool cows_only;			/* leave present page-cache pages (truncation's pass) */
	unsigned long swapents;
	unsigned long start;		/* the range cleared so far starts here */
	unsigned int nr;		/* pages in @pages */
	pg_data_t *mapped_pgdat;	/* the node of the NR_*_MAPPED drops gathered: */
	long mapped_anon, mapped_file;	/* made at each flush (zap_remove_rmap()) */
	struct page *pages[ZAP_BATCH];	/* each holds the mapping's reference */
};

/* The NR_ANON_MAPPED / NR_FILE_MAPPED drops zap_remove_rmap() gathered. */
static void zap_rmap_flush(struct zap_ctx *z)
{
	if (z->mapped_anon)
		mod_node_page_state(z->mapped_pgdat, NR_ANON_MAPPED, -z->mapped_anon);
	if (z->mapped_file)
		mod_node_page_state(z->mapped_pgdat, NR_FILE_MAPPED, -z->mapped_file);
	z->mapped_anon = z->mapped_file = 0;
}

/*
 * folio_remove_rmap_pte() of a zap's page (@anon: PageAnon()), with the
 * NR_ANON_MAPPED / NR_FILE_MAPPED drop gathered while the pages are of one
 * node and made by zap_rmap_flush() at the zap's flush (or for a page of
 * another node): one counter update a batch, not a locked add on the CPU
 * slot's diff a page. The counters lag the PTEs only inside the zap, as
 * Linux's per-CPU diffs lag them; every reader that compares them with the
 * mappings (the process checker) runs with no zap in flight.
 */
static void zap_remove_rmap(struct zap_ctx *z, struct page *page, bool anon)
{
	int old = atomic_fetch_sub_explicit(&page->_mapcount, 1, memory_order_relaxed);
	pg_data_t *pgdat;

	VM_BUG_ON_PAGE(old < 0, page);	/* no PTE mapped it */
	if (old != 0)
		return;
	pgdat = NODE_DATA_M(page_machine(page), page_to_nid(page));
	if (pgdat != z->mapped_pgdat) {
		zap_rmap_flush(z);
		z->mapped_pgdat = pgdat;
	}
	if (anon)
		z->mapped_anon++;
	else
		z->mapped_file++;
}

/*
 * tlb_flush_mmu(): flush [@z->start, @end) of every TLB, wait for the
 * accesses in flight, then drop the gathered pages' references.
 * Context: the caller must not be inside an access bracket.
 */
static void zap_flush(struct zap_ctx *z, unsigned long end)
{
	struct mm_struct *mm = z->vma->vm_mm;

	flush_tlb_range(z->vma, z->start, end);
	zap_rmap_flush(z);
	if (!z->nr)
		return;
	sim_mmu_shootdown_wait(procs_of(mm->m)->mmu);
	free_user_pages(z->pages, z->nr);
	z->nr = 0;
}

static int zap_one(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct zap_ctx *z = arg;
	struct vm_area_struct *vma = z->vma;
	struct mm_struct *mm = vma->vm_mm;
	pteval_t old = pte_get(&mm->pgt, slot);

	if (z->cows_only && pte_present(old)) {
		struct page *p = vm_normal_page(vma, (unsigned long)va, old);
		if (!p || !PageAnon(p))
			return 0;	/* a page of the file: truncation unmaps it under its lock */
	}
	/* (the entry only changes under its table's lock, which the walk holds) */
	old = pte_xchg(&mm->pgt, slot, 0);

	if (!pte_present(old)) {
		if (is_poisoned_pte(mm->pgt.geo, old))
			return 0;	/* zap_nonpresent_ptes(): a marker holds nothing */
		/* a swap entry: the pressure layer frees the slot through its hook */
		if (procs_of(mm->m)->swap_free)
			procs_of(mm->m)->swap_free(mm->m, old);
		add_mm_counter(mm, MM_SWAPENTS, -1);
		z->swapents++;
		return 0;
	}
	struct page *page = vm_normal_page(vma, (unsigned long)va, old);
	if (!page)
		return 0;	/* the zero page: not counted, not referenced */
	bool anon = PageAnon(page);
	/*
	 * zap_present_folio_ptes(): a dirty entry's store reaches the page as
	 * folio_mark_dirty(), DIRTY tag and all (a writeback may have cleaned
	 * the page since a fault dirtied this entry). Its ->mapping is steady:
	 * truncation takes a page out of its file only after unmapping it,
	 * under this page-table lock.
	 */
	if (!anon && pte_dirty(old))
		folio_mark_dirty(page);
	__add_mm_counter(mm, mm_counter_of(page), -1);	/* the callers raised hiwater_rss */
	zap_remove_rmap(z, page, anon);
	free_swap_cache(page);
	/*
	 * A locked mapping went: munlock_page() must run (its first test is
	 * what orders it against a concurrent mlock of the page elsewhere:
	 * mm/mlock.c). It walks the reverse map: not under the PTE lock.
	 * (Truncation zaps COW copies here without the mmap lock: a read once.)
	 */
	if ((vm_flags_read_once(vma) & VM_LOCKED) || page_flag_test(page, PG_mlocked)) {
		spinlock_t *ptl = pte_lockptr(mm, slot);

		spin_unlock(ptl);
		munlock_page(page);
		spin_lock(ptl);
	}
	z->pages[z->nr++] = page;	/* the mapping's reference goes after the flush */
	if (z->nr == ZAP_BATCH) {
		zap_flush(z, (unsigned long)va + PAGE_SIZE);
		z->start = (unsigned long)va + PAGE_SIZE;
	}
	return 0;
}

void zap_page_range_single(struct vm_area_struct *vma, unsigned long address, unsigned long size)
{
	struct zap_ctx z = { .vma = vma };
	unsigned long start = address, end = address + size;

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	if (start >= end)
		return;
	z.start = start;
	update_hiwater(vma->vm_mm);
	walk_ptes_locked(vma->vm_mm, start, end, true, zap_one, &z);
	zap_flush(&z, end);
}

/*
 * Truncation's pass over the private side (Linux 6.12's truncate_pagecache():
 * unmap_mapping_range(mapping, holebegin, 0, even_cows = 1) after
 * truncate_inode_pages()): in every VMA of @f (only private ones have
 * any), the entries of index @first and beyond that no page-cache page
 * leads to go - a private mapping's COW
 * copy (anonymous page), its swap entry, a poisoned marker - so a touch
 * there faults and gets SIGBUS as in a shared mapping. The file's own pages
 * were unmapped page by page under their locks (drop_range()) and are left.
 * Context: inside procs_enter(); takes @f->i_mmap_lock (read), then the PTE
 * locks of each mapping, one table at a time; the VMAs' geometry changes under i_mmap_lock (write)
 * (split_vma, move_vma), so each range here is where its entries are.
 */
void unmap_mapping_range(struct kmm_file *f, unsigned long first)
{
	struct list_head *pos;

	sim_read_lock(&f->i_mmap_lock);
	list_for_each(pos, &f->i_mmap) {
		struct vm_area_struct *vma = list_entry(pos, struct vm_area_struct, shared_node);
		unsigned long pages = vma_pages(vma), skip;
		struct zap_ctx z = { .vma = vma, .cows_only = true };

		/*
		 * (Every VMA of the file, shared ones too, though they hold only the
		 * file's pages: vm_flags is not read here, mprotect and mlock write it
		 * under the mmap and VMA locks this walk does not take.)
		 */
		if (vma->vm_pgoff + pages <= first)
			continue;
		skip = first > vma->vm_pgoff ? first - vma->vm_pgoff : 0;
		z.start = vma->vm_start + (skip << PAGE_SHIFT);
		update_hiwater_rss(vma->vm_mm);		/* zap_one() lowers RSS */
		walk_ptes_locked(vma->vm_mm, z.start, vma->vm_end, true, zap_one, &z);
		zap_flush(&z, vma->vm_end);
	}
	sim_read_unlock(&f->i_mmap_lock);
}

/*
 * free_pgtables_range(): the tables of [start, end) that are empty once it
 * is zapped. Against Linux's free_pgd_range(), which frees a table only
 * when no VMA in [floor, ceiling) lies in its span: a table with another
 * VMA's entries is never empty, so it stays, as in Linux; a table no VMA
 * spans any more is empty, so it goes, as in Linux; a table whose span
 * holds another VMA without entries there goes, where Linux keeps it (the
 * neighbour's next fault allocates it again; a fault that walked to it
 * meanwhile sees the unlink in pte_lock_seen()). floor and ceiling are
 * not used for that reason. integration_fault_pgtable_free holds the first
 * two cases.
 */
void free_pgtables_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			 unsigned long floor, unsigned long ceiling)
{
	(void)floor;
	(void)ceiling;
	/* the upper levels' lock; each PTE table's is taken inside, around its unlinking */
	spin_lock(&mm->page_table_lock);
	pgtable_free_range(&mm->pgt, start, end);
	spin_unlock(&mm->page_table_lock);
}

/* ---- Faults ---- */

static unsigned int do_anonymous_page(struct vm_area_struct *vma, unsigned long addr,
				      unsigned int flags, void *seen, unsigned int unlinks)
{
	spinlock_t *ptl;
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	const struct pgtable_geometry *g = mm->pgt.geo;
	void *slot;

	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;
	if (!(flags & FAULT_FLAG_WRITE)) {
		/* Read of a never-written page: the shared zero page, read-only, special. */
		pteval_t pte = pfn_pte_geo(g, procs_of(m)->zero_pfn, vma->vm_page_prot) | _PAGE_SPECIAL;
		if ((slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl)) != NULL) {
			if (pte_none(pte_get(&mm->pgt, slot)))
				pte_set(&mm->pgt, slot, pte);
			pte_unmap_unlock(ptl);
		}
		return 0;
	}
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	struct page *page = alloc_user_page(m);
	if (!page)
		return VM_FAULT_OOM;
	clear_user_highpage(page, addr);
	slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl);
	if (!slot || !pte_none(pte_get(&mm->pgt, slot))) {
		/* another thread, or reclaim inside the allocation, changed the entry: retry */
		if (slot)
			pte_unmap_unlock(ptl);
		put_user_page(page);	/* never published: ours is the last */
		return 0;
	}
	folio_add_new_anon_rmap(page, vma, addr);
	add_mm_counter(mm, MM_ANONPAGES, 1);
	pteval_t pte = pte_mkdirty(pfn_pte_geo(g, page_to_pfn_m(m, page), vma->vm_page_prot));
	if (vma->vm_flags & VM_WRITE)
		pte |= _PAGE_RW;
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(page);
	folio_add_lru(page);	/* before the PTE makes it visible: nobody can free it yet */
	pte_set(&mm->pgt, slot, pte);
	pte_unmap_unlock(ptl);
	return 0;
}

/*
 * do_fault_around(): before a read fault goes to the file, map the cached
 * pages around it - fault_around_pages, aligned by virtual address, clamped
 * to the VMA and to the page table of @addr. Return: VM_FAULT_NOPAGE when
 * @addr got mapped (the fault is done, a minor one), else 0.
 */
static unsigned int do_fault_around(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long nr_pages = fault_around_pages(vma->vm_mm->m);
	unsigned long ptrs = 1UL << vma->vm_mm->pgt.geo->bits[PGT_PTE];
	unsigned long pte_off = (addr >> PAGE_SHIFT) & (ptrs - 1);
	unsigned long pgoff = linear_page_index(vma, addr);
	unsigned long vma_off = pgoff - vma->vm_pgoff;
	unsigned long vma_pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	unsigned long from_pte, to_pte;

	from_pte = KMM_MAX(pte_off & ~(nr_pages - 1), pte_off - KMM_MIN(pte_off, vma_off));
	to_pte = KMM_MIN(KMM_MIN(from_pte + nr_pages, ptrs), pte_off + vma_pages - vma_off) - 1;
	return filemap_map_pages(vma, addr, pgoff + from_pte - pte_off, pgoff + to_pte - pte_off);
}

/*
 * lock_fault_page(): __do_fault() with filemap_fault's folio_lock and its
 * checks: the page at @idx of the VMA's file, referenced and locked, still
 * in the file (a truncation or invalidation may have taken it out between
 * the lookup and the lock: look it up again) and below its end (else
 * SIGBUS). Holding the lock until the PTE is set means a truncation, which
 * removes pages locked, either sees our PTE and clears it or made us see
 * the page gone. Return: the page, or NULL with the reason in *@ret.
 */
static struct page *lock_fault_page(struct vm_area_struct *vma, unsigned long idx, unsigned int *ret)
{
	struct kmm_file *f = vma->vm_file;

	for (;;) {
		struct page *page = filemap_fault(vma, idx, ret);	/* our reference (mm/filemap.c) */
		if (!page)
			return NULL;
		lock_page(page);
		if (page->mapping == f && page->index == idx) {
			if ((uint64_t)idx < DIV_ROUND_UP(i_size_read(f), PAGE_SIZE))
				return page;
			*ret |= VM_FAULT_SIGBUS;	/* the end moved below it: truncation is on its way */
			unlock_page(page);
			put_user_page(page);
			return NULL;
		}
		unlock_page(page);
		put_user_page(page);
	}
}

static unsigned int do_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags,
			     void *seen, unsigned int unlinks)
{
	spinlock_t *ptl;
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	const struct pgtable_geometry *g = mm->pgt.geo;
	unsigned long idx = linear_page_index(vma, addr);
	unsigned int ret = 0;
	void *slot;

	/* do_read_fault(): map what is cached around first (not the [vdso]: no ->map_pages) */
	if (!(flags & FAULT_FLAG_WRITE) && vma->kind == VMA_PLAIN && fault_around_pages(m) > 1 &&
	    (ret = do_fault_around(vma, addr)) != 0)
		return ret;
	struct page *page = lock_fault_page(vma, idx, &ret);	/* referenced, locked */
	if (!page)
		return ret;			/* VM_FAULT_OOM, or SIGBUS past the end of the file */
	if ((flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED)) {
		/* do_cow_fault(): a private copy of the file page */
		struct page *n = anon_vma_prepare(vma) ? NULL : alloc_user_page(m);
		if (!n) {
			unlock_page(page);
			put_user_page(page);
			return VM_FAULT_OOM;
		}
		copy_user_highpage(n, page, addr, vma);
		/*
		 * The file page stays locked until the copy is mapped (6.12's
		 * do_cow_fault() unlocks after finish_fault()): a truncation, which
		 * takes each page's lock, then either made lock_fault_page() see
		 * the new end, or finds the copy mapped when it unmaps the COWs.
		 */
		slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl);
		if (!slot || !pte_none(pte_get(&mm->pgt, slot))) {
			if (slot)
				pte_unmap_unlock(ptl);
			unlock_page(page);
			put_user_page(page);
			put_user_page(n);
			return ret;
		}
		folio_add_new_anon_rmap(n, vma, addr);
		add_mm_counter(mm, MM_ANONPAGES, 1);
		if (vma->vm_flags & VM_LOCKED)
			mlock_page(n);
		folio_add_lru(n);
		pte_set(&mm->pgt, slot,
			pte_mkdirty(pfn_pte_geo(g, page_to_pfn_m(m, n), vma->vm_page_prot)) | _PAGE_RW);
		pte_unmap_unlock(ptl);
		unlock_page(page);
		put_user_page(page);
		return ret;
	}
	slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl);
	if (!slot || !pte_none(pte_get(&mm->pgt, slot))) {
		/* changed while the page was read in: retry */
		if (slot)
			pte_unmap_unlock(ptl);
		unlock_page(page);
		put_user_page(page);
		return ret;
	}
	/* Our reference becomes the mapping's. */
	folio_add_file_rmap_pte(page);
	add_mm_counter(mm, mm_counter_file(page), 1);
	pteval_t pte = pfn_pte_geo(g, page_to_pfn_m(m, page), vma->vm_page_prot);
	if (flags & FAULT_FLAG_WRITE) {
		pte = pte_mkdirty(pte) | _PAGE_RW;
		folio_mark_dirty(page);		/* a shared mapping's store: the file changes */
	}
	pte_set(&mm->pgt, slot, pte);
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(page);
	pte_unmap_unlock(ptl);
	unlock_page(page);	/* mapped: a truncation now finds the PTE to clear */
	return ret;
}

/*
 * do_wp_page(): a write to a present read-only PTE of a writable VMA.
 * Shared: make it writable. Private: reuse the page in place when this is its
 * only reference (wp_can_reuse_anon_folio), else copy it (wp_page_copy).
 * The decision is made under the PTE lock with the entry unchanged.
 */
static unsigned int do_wp_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte,
			       void *seen, unsigned int unlinks)
{
	spinlock_t *ptl;
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	struct kmm_procs *p = procs_of(m);
	const struct pgtable_geometry *g = mm->pgt.geo;
	struct page *old = vm_normal_page(vma, addr, pte);
	void *slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl);

	if (!slot)
		return 0;
	if (pte_get(&mm->pgt, slot) != pte) {
		pte_unmap_unlock(ptl);
		return 0;	/* changed meanwhile: retry the access */
	}
	if (vma->vm_flags & VM_SHARED) {
		/*
		 * wp_page_shared(): the write-notify fault of a file page dirties
		 * it under the page lock (fault_dirty_shared_page), as writeback
		 * cleans it under that lock: its PTEs write-protected, then
		 * PG_dirty cleared. Without the lock the entry could turn
		 * writable between the two and the page end clean.
		 */
		bool file = old && !PageAnon(old);
		if (file && !trylock_page(old)) {
			get_page(old);		/* the entry holds one: not speculative */
			pte_unmap_unlock(ptl);
			lock_page(old);
			slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl);
			if (!slot || pte_get(&mm->pgt, slot) != pte) {
				if (slot)
					pte_unmap_unlock(ptl);
				unlock_page(old);
				put_user_page(old);
				return 0;	/* changed meanwhile: retry the access */
			}
			put_user_page(old);	/* the entry's own still holds it */
		}
		if (file)
			folio_mark_dirty(old);
		pte_set(&mm->pgt, slot, pte_mkdirty(pte) | _PAGE_RW | _PAGE_ACCESSED);
		pte_unmap_unlock(ptl);
		if (file)
			unlock_page(old);
		flush_tlb_range(vma, addr, addr + PAGE_SIZE);
		return 0;
	}
	/*
	 * wp_can_reuse_anon_folio(): a swap copy no other PTE needs is dropped
	 * first, under the page lock (a trylock: a page someone holds keeps
	 * its copy, and its swap cache's reference makes us copy it)
	 */
	if (old && PageAnon(old) && PageSwapCache(old) && page_mapcount(old) == 1 && trylock_page(old)) {
		folio_free_swap(old);
		unlock_page(old);
	}
	if (old && PageAnon(old) && page_ref_count(old) == 1) {
		/* wp_page_reuse(): sole reference, no copy */
		/*
		 * folio_move_anon_rmap(): a store PageAnon() may meet, from a
		 * zap of the mm that held the page's other reference a moment
		 * ago (it reads ->mapping before it lets the page go).
		 */
		__atomic_store_n(&old->mapping,
				 (void *)((unsigned long)vma->anon_vma | PAGE_MAPPING_ANON),
				 __ATOMIC_RELAXED);
		pte_set(&mm->pgt, slot, pte_mkdirty(pte) | _PAGE_RW | _PAGE_ACCESSED);
		pte_unmap_unlock(ptl);
		flush_tlb_range(vma, addr, addr + PAGE_SIZE);
		count_vm_event(m, PGREUSE);
		atomic_fetch_add_explicit(&p->cow_reuses, 1, memory_order_relaxed);
		return 0;
	}
	if (old)
		get_page(old);	/* hold it across the allocation (reclaim may unmap it) */
	pte_unmap_unlock(ptl);
	/* wp_page_copy() */
	struct page *n = anon_vma_prepare(vma) ? NULL : alloc_user_page(m);
	if (n && old)
		copy_user_highpage(n, old, addr, vma);
	else if (n)
		clear_user_highpage(n, addr);
	slot = n ? pte_lock_seen(mm, addr, seen, unlinks, &ptl) : NULL;
	if (!slot || pte_get(&mm->pgt, slot) != pte) {
		/* out of memory, or the entry changed meanwhile: retry or fail */
		if (slot)
			pte_unmap_unlock(ptl);
		if (n)
			put_user_page(n);
		if (old)
			put_user_page(old);
		return n ? 0 : VM_FAULT_OOM;
	}
	folio_add_new_anon_rmap(n, vma, addr);
	/*
	 * The copy replaces the old page in RSS: a file (or shmem) page's count
	 * falls before the anonymous one rises, as in Linux's wp_page_copy(),
	 * and an anonymous page's stays as it is (hiwater_rss keeps the RSS
	 * before the copy, not a page more).
	 */
	if (!old)
		add_mm_counter(mm, MM_ANONPAGES, 1);
	else if (mm_counter_of(old) != MM_ANONPAGES) {
		add_mm_counter(mm, mm_counter_of(old), -1);
		add_mm_counter(mm, MM_ANONPAGES, 1);
	}
	pteval_t npte = pte_mkdirty(pfn_pte_geo(g, page_to_pfn_m(m, n), vma->vm_page_prot)) |
			_PAGE_RW | _PAGE_ACCESSED;
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(n);
	folio_add_lru(n);
	pte_set(&mm->pgt, slot, npte);
	if (old)
		folio_remove_rmap_pte(old);
	pte_unmap_unlock(ptl);
	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	if (old) {
		/*
		 * Another thread may still be copying through the old translation;
		 * the mapping's reference may be the page's last: wait (zap_flush).
		 */
		sim_mmu_shootdown_wait(p->mmu);
		if ((vma->vm_flags & VM_LOCKED) || page_flag_test(old, PG_mlocked))
			munlock_page(old);	/* (zap_one() says why both) */
		/*
		 * The copy took the old page's last mapping: its swap copy (if
		 * it kept one) is no one's now; without this it stayed in the
		 * swap cache, slot and frame, until reclaim found it.
		 */
		free_swap_cache(old);
		put_user_page(old);	/* the mapping's reference */
		put_user_page(old);	/* ours */
	}
	atomic_fetch_add_explicit(&p->cow_copies, 1, memory_order_relaxed);
	return 0;
}

unsigned int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	int err;
	void *slot, *seen;
	spinlock_t *ptl;
	pteval_t pte;

	count_vm_event(m, PGFAULT);
	/* Tables on the way are installed without a lock (see mm/pgtable.c). */
	/* (before the walk: see pte_lock_seen()) */
	unsigned int unlinks = atomic_load_explicit(&mm->pgt.pte_unlinks, memory_order_acquire);
	slot = seen = pgtable_walk(&mm->pgt, addr, true, &err);
	if (!slot)
		return VM_FAULT_OOM;
	pte = pte_get(&mm->pgt, slot);
	if (pte_none(pte))
		return vma_is_anonymous(vma) ? do_anonymous_page(vma, addr, flags, slot, unlinks)
					     : do_fault(vma, addr, flags, slot, unlinks);
	if (!pte_present(pte)) {
		struct kmm_procs *p = procs_of(m);
		if (p->swapin) {
			int r = p->swapin(m, vma, addr, slot, pte, flags);
			if (r >= 0)
				return (unsigned int)r;
			return r == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		}
		return VM_FAULT_SIGBUS;
	}
	if (pte_protnone(pte)) {
		if (!vma_is_accessible(vma))
			return VM_FAULT_SIGSEGV;
		/* a stale PROT_NONE entry in an accessible VMA: restore the VMA's bits */
		if (!(slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl)))
			return 0;
		if (pte_get(&mm->pgt, slot) != pte) {
			pte_unmap_unlock(ptl);
			return 0;
		}
		pte = (pte & ~(_PAGE_PROTNONE | _PAGE_NX)) | vma->vm_page_prot;
		pte_set(&mm->pgt, slot, pte);
		pte_unmap_unlock(ptl);
	}
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(pte))
		return do_wp_page(vma, addr, pte, seen, unlinks);
	/* Spurious: set young (and dirty on a write) and flush the stale entry. */
	if ((slot = pte_lock_seen(mm, addr, seen, unlinks, &ptl)) != NULL) {
		if (pte_present(pte_get(&mm->pgt, slot)))
			pte_or(&mm->pgt, slot,
			       _PAGE_ACCESSED | ((flags & FAULT_FLAG_WRITE) ? _PAGE_DIRTY : 0));
		pte_unmap_unlock(ptl);
	}
	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	return 0;
}

int mm_account_fault(struct task_struct *t, unsigned int ret)
{
	/*
	 * The line of the slot this thread last used (struct task_flt_line):
	 * any line counts exactly, so the cached slot's number is taken as it
	 * is, without asking whether it is this machine's (one TLS load).
	 */
	struct task_flt_line *l = &t->flt[kmm_cpu_cache.cpu & (MM_RSS_LINES - 1)];

	if (ret & VM_FAULT_MAJOR) {
		atomic_fetch_add_explicit(&l->maj_flt, 1, memory_order_relaxed);
		count_vm_event(t->machine, PGMAJFAULT);
	} else {
		atomic_fetch_add_explicit(&l->min_flt, 1, memory_order_relaxed);
	}
	return 0;
}

void kill_task(struct task_struct *t, int sig, int code, uint64_t addr)
{
	struct kmm_machine *m = t->mm ? t->mm->m : NULL;

	if (t->state == TASK_DEAD)
		return;
	t->exit.signal = sig;
	t->exit.si_code = code;
	t->exit.addr = addr;
	/* force_sig_mceerr()'s si_addr_lsb: the lost extent, one page (no huge pages here) */
	t->exit.addr_lsb = sig == KMM_SIGBUS && code == KMM_BUS_MCEERR_AR ? PAGE_SHIFT : 0;
	/* Linux's show_signal_msg() line, without ip/sp (kmm runs no instructions) */
	if (m && sig == KMM_SIGSEGV)
		kmm_printk(m, "%s[%d]: segfault at %" PRIx64 " error %x (%s)", t->comm, t->pid, addr,
			   t->exit.error_code,
			   code == KMM_SEGV_MAPERR ? "SEGV_MAPERR: no mapping"
						   : "SEGV_ACCERR: the mapping forbids this access");
	else if (m && sig == KMM_SIGBUS && code == KMM_BUS_MCEERR_AR)
		/* do_sigbus()'s pr_err (arch/x86/mm/fault.c, CONFIG_MEMORY_FAILURE), Linux's text */
		kmm_printk(m, "MCE: Killing %s:%d due to hardware memory corruption fault at %" PRIx64,
			   t->comm, t->pid, addr);
	else if (m && sig == KMM_SIGBUS)
		kmm_printk(m, "%s[%d]: bus error at %" PRIx64, t->comm, t->pid, addr);
	exit_mm(t);
}

static bool access_error(unsigned int error_code, struct vm_area_struct *vma)
{
	if (error_code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (error_code & X86_PF_PROT)
		return true;	/* read or fetch of a present page it may not: NX, protection */
	return !vma_is_accessible(vma);
}

/* Deliver a fault's signal; the x86 error code is recorded for the report. */
static void fault_kill(struct task_struct *t, unsigned int error_code, int sig, int code, uint64_t addr)
{
	t->exit.error_code = error_code;
	kill_task(t, sig, code, addr);
}

int do_user_addr_fault(struct task_struct *t, unsigned long addr, unsigned int error_code)
{
	struct mm_struct *mm = t->mm;
	struct kmm_machine *m;
	struct vm_area_struct *vma;
	unsigned int flags = FAULT_FLAG_USER, ret;
	bool write_locked = false;

	if (!mm)
		return -EFAULT;
	m = mm->m;
	if (error_code & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (error_code & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	if (error_code & X86_PF_RSVD) {
		fault_kill(t, error_code, KMM_SIGBUS, KMM_BUS_ADRERR, addr);
		return -EFAULT;
	}
	/* The per-VMA lock first: no mmap_lock at all when it works. */
	vma = lock_vma_under_rcu(mm, addr);
	if (vma) {
		if (access_error(error_code, vma)) {
			vma_end_read(vma);
			goto bad_area_accerr;
		}
		ret = handle_mm_fault(vma, addr & PAGE_MASK, flags);
		vma_end_read(vma);
		goto done;
	}
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start > addr) {
		/* Growing the stack changes the VMA: that needs the write lock. */
		mmap_read_unlock(mm);
		mmap_write_lock(mm);
		write_locked = true;
		vma = find_vma(mm, addr);
		if (vma && vma->vm_start > addr &&
		    (!(vma->vm_flags & VM_GROWSDOWN) || expand_stack(vma, addr)))
			vma = NULL;
	}
	if (!vma || access_error(error_code, vma)) {
		if (write_locked)
			mmap_write_unlock(mm);
		else
			mmap_read_unlock(mm);
		if (!vma)
			goto bad_area_maperr;
		goto bad_area_accerr;
	}
	ret = handle_mm_fault(vma, addr & PAGE_MASK, flags);
	if (write_locked)
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
done:
	/* Signals are delivered with no lock held: the exit takes mmap_lock. */
	if (atomic_load(&t->oom_victim) || atomic_load(&m->halted)) {
		/* fatal_signal_pending(): an OOM victim dies here, whatever the fault did */
		task_return_to_user(t);
		return -EFAULT;
	}
	if (ret & VM_FAULT_OOM) {
		/*
		 * pagefault_out_of_memory(): 6.12 runs no OOM kill here (the
		 * allocator already did); the fault is retried (kmm_access gives
		 * up after FAULT_LOOP_LIMIT such tries with SIGBUS, the "fault
		 * loop" report).
		 */
		if (procs_of(m)->pagefault_oom)
			procs_of(m)->pagefault_oom(m);
		return 0;
	}
	if (ret & VM_FAULT_HWPOISON) {
		/*
		 * do_sigbus(): the page's contents are lost (handle_pte_marker()
		 * on the poisoned marker swapoff leaves for a slot it could not
		 * read back): BUS_MCEERR_AR, as a machine check on the page would give.
		 */
		fault_kill(t, error_code, KMM_SIGBUS, KMM_BUS_MCEERR_AR, addr);
		return -EFAULT;
	}
	if (ret & VM_FAULT_SIGBUS) {
		fault_kill(t, error_code, KMM_SIGBUS, KMM_BUS_ADRERR, addr);
		return -EFAULT;
	}
	if (ret & VM_FAULT_SIGSEGV) {
		fault_kill(t, error_code, KMM_SIGSEGV, KMM_SEGV_ACCERR, addr);
		return -EFAULT;
	}
	mm_account_fault(t, ret);
	return 0;

bad_area_accerr:
	count_vm_event(m, PGFAULT);
	fault_kill(t, error_code, KMM_SIGSEGV, KMM_SEGV_ACCERR, addr);
	return -EFAULT;
bad_area_maperr:
	count_vm_event(m, PGFAULT);
	fault_kill(t, error_code, KMM_SIGSEGV, KMM_SEGV_MAPERR, addr);
	return -EFAULT;
}

int populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	bool write = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;

	/*
	 * Linux gives a VMA with any access FOLL_FORCE, so mlock succeeds on a
	 * write-only or exec-only one; a PROT_NONE VMA gets none, and
	 * __get_user_pages()' check_vma_flags() refuses its first page: -EFAULT
	 * (mlock's ENOMEM; MAP_POPULATE and mremap ignore it).
	 */
	/* VM_LOCKONFAULT (mlockall's MCL_ONFAULT): the pages are locked as they fault, none now */
	if (vma->vm_flags & VM_LOCKONFAULT)
		return 0;
	if (!vma_is_accessible(vma))
		return -EFAULT;
	for (unsigned long a = start; a < end; a += PAGE_SIZE) {
		pteval_t pte = pgtable_get_pte(&mm->pgt, a);
		if (pte_present(pte) && !pte_protnone(pte) && (!write || pte_write(pte)))
			continue;
		unsigned int ret = handle_mm_fault(vma, a, write ? FAULT_FLAG_WRITE : 0);
		if (ret & VM_FAULT_ERROR)
			return vm_fault_to_errno(ret);	/* __get_user_pages(): a poisoned page is -EFAULT */
	}
	return 0;
}

/* ---- The user-access loop ---- */

/*
 * The faults in a row at one address that changed nothing there before
 * kmm_access() gives up ("fault loop", SIGBUS): a fault that can never map
 * its page is a bug, and a test should say so rather than hang. Linux
 * retries a fault without a limit, and so does kmm while the faults make
 * progress: one that changed the address's PTE (it mapped the page, or
 * found someone had) starts the count again, even if reclaim or swapoff
 * took the page away before the access (a chase that moves on). Past
 * FAULT_YIELD_AFTER such faults each retry yields first, so that a thread
 * in the way - a swap-in or swapoff in the middle of the PTE, an OOM victim
 * on its way out - can move on. Before session 15 any 16 faults in a row
 * gave up, and a fault retried while swapoff's thread stood between a
 * slot's release and its PTE store (review14 R3) met the limit under TSan.
 */
#define FAULT_LOOP_LIMIT	1024
#define FAULT_YIELD_AFTER	16

/*
 * Hits touch nothing shared; only a miss (the walk reads page tables, a
 * fault changes them) enters the process layer's SRCU section.
 */
static int access_loop(struct task_struct *t, uint64_t addr, void *buf, int byte, size_t len,
		       unsigned int access)
{
	struct mm_struct *mm = t->mm;

	if (!mm || t->state == TASK_DEAD)
		return kmm_set_error(-ESRCH, "process %d is dead", t->pid);
	struct kmm_machine *m = mm->m;
	struct sim_mmu *mmu = procs_of(m)->mmu;
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned char *out = buf;
	int stuck = 0, err = 0;	/* stuck: faults in a row that changed nothing here */
	uint64_t checked = 1;	/* the page whose faults are checked for progress (1: none yet) */
	int token = -2;		/* -2: not inside procs_enter() yet */
	int pid = -1;		/* >= 0: the pid events carried before our first fault */
	bool bracketed = false;	/* a fault opened an operation for the stream */
	struct task_struct *prev = NULL;

	if (tlb->mmu != mmu && !(tlb = sim_mmu_tlb(mmu)))
		return kmm_set_error(-ENOMEM, "out of host memory for a TLB");
	while (len) {
		size_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		unsigned int code = 0;
		if (chunk > len)
			chunk = len;
		/* The instruction in flight: a shootdown (reclaim's) waits for its store. */
		sim_tlb_access_begin(tlb);
		unsigned char *host = sim_tlb_hit(tlb, &mm->ctx, addr, access);
		if (!host && token == -2) {
			/* not inside the bracket while procs_enter() may wait at the door */
			sim_tlb_access_end(tlb);
			token = procs_enter(m);
			prev = set_current_task(t);
			sim_tlb_access_begin(tlb);
		}
		if (!host)
			host = sim_mmu_walk(mmu, &mm->ctx, tlb, addr, access, &code);
		if (!host) {
			sim_tlb_access_end(tlb);
			if (pid < 0)
				pid = kmm_trace_set_pid(t->pid);
			if (trace_page_fault_user(m, addr, code) && !bracketed) {
				kmm_op_begin(m);
				bracketed = true;
			}
			/*
			 * A page's first fault goes unchecked: the walk that retries
			 * the access tells whether it mapped the page. Only if that
			 * walk misses again are the page's faults checked, each
			 * reading the PTE before and after (the tables stay allocated
			 * inside the section: no lock for a look). A fault loop is
			 * caught one fault later; the usual fault, one per page,
			 * walks the tables two times fewer.
			 */
			bool check = (addr & PAGE_MASK) == checked;
			pteval_t before = check ? pgtable_get_pte(&mm->pgt, addr) : 0;
			int r = do_user_addr_fault(t, (unsigned long)addr, code);
			if (r && t->state != TASK_DEAD && atomic_load(&m->halted)) {
				err = kmm_set_error(-EIO, "process %d (%s): the machine has halted (kernel panic)",
						    t->pid, t->comm);
				break;
			}
			if (r) {
				err = kmm_set_error(-EFAULT, "process %d (%s) killed by signal %d at 0x%" PRIx64,
						    t->pid, t->comm, t->exit.signal, addr);
				break;
			}
			if (!check) {
				checked = addr & PAGE_MASK;
				stuck = 0;
			} else if (pgtable_get_pte(&mm->pgt, addr) != before) {
				stuck = 0;	/* progress, though the walk may miss again */
			} else if (++stuck > FAULT_LOOP_LIMIT) {
				kmm_printk(m, "BUG: fault loop at 0x%" PRIx64 " in %s[%d]", addr, t->comm, t->pid);
				kill_task(t, KMM_SIGBUS, KMM_BUS_ADRERR, addr);
				err = kmm_set_error(-EFAULT, "process %d (%s): %d faults in a row at 0x%" PRIx64
						    " changed nothing there (fault loop): killed by signal %d",
						    t->pid, t->comm, FAULT_LOOP_LIMIT, addr, KMM_SIGBUS);
				break;
			} else if (stuck > FAULT_YIELD_AFTER) {
				sim_yield();
			}
			continue;
		}
		stuck = 0;
		if (access & SIM_ACCESS_WRITE) {
			if (out)
				memcpy(host, out, chunk);
			else
				memset(host, byte, chunk);
		} else if (out) {
			memcpy(out, host, chunk);
		}
		sim_tlb_access_end(tlb);
		if (out)
			out += chunk;
		addr += chunk;
		len -= chunk;
	}
	if (token != -2) {
		task_leave(prev);	/* a pending OOM kill of @t is delivered here */
		if (!err && t->state == TASK_DEAD)
			err = kmm_set_error(-EFAULT, "process %d (%s) killed by signal %d", t->pid,
					    t->comm, t->exit.signal);
		procs_exit(m, token);
	}
	if (bracketed)
		kmm_op_end(m);
	if (pid >= 0)
		kmm_trace_set_pid(pid);
	return err;
}

/* No address space has id 0 (mm/mmap.c counts from 1): an entry never matches it. */
static const uint32_t refused_gen;

int kmm_as_of_abi(struct task_struct *t, struct kmm_as *as, unsigned int abi)
{
	if (!t)
		return kmm_set_error(-ESRCH, "no such process");
	if (abi != KMM_MMU_ABI) {
		as->asid = 0;
		as->gen = &refused_gen;
		as->task = t;
		return kmm_set_error(-ENOEXEC, "kmm_as_of: the caller was compiled against the TLB ABI %u of "
				     "<kmm/mmu.h>, this library has %u: rebuild it (until then its inline "
				     "accessors miss and take kmm_access())", abi, KMM_MMU_ABI);
	}
	int token = procs_enter(t->machine);
	struct mm_struct *mm = get_task_mm(t);

	if (mm) {
		as->asid = mm->ctx.asid;
		as->gen = &mm->ctx.gen;
		as->task = t;
		mmput(mm);
	}
	procs_exit(t->machine, token);
	return mm ? 0 : kmm_set_error(-ESRCH, "process %d is dead", t->pid);
}

/*
 * The symbol code compiled before KMM_MMU_ABI existed calls (TLB ABI 1,
 * entries with the frame's host address): refused.
 */
#undef kmm_as_of
int kmm_as_of(struct task_struct *t, struct kmm_as *as);
int kmm_as_of(struct task_struct *t, struct kmm_as *as)
{
	return kmm_as_of_abi(t, as, 1);
}

int kmm_access(struct task_struct *t, uint64_t addr, void *buf, size_t len, bool write)
{
	struct mm_struct *mm = t->mm;
	struct kmm_tlb *tlb = kmm_tlb_this;
	unsigned char *host;

	/*
	 * Within one page and a hit of this thread's TLB: a copy, nothing else.
	 * The lookup and the copy are one instruction in flight, bracketed as
	 * access_loop's are: reclaim unmaps a page, flushes every TLB and then
	 * waits out the brackets before it writes the page out and frees it. A
	 * copy outside the bracket could still be reading (or writing) the
	 * frame when it is freed and handed to someone else.
	 */
	if (likely(mm && len <= PAGE_SIZE - (addr & (PAGE_SIZE - 1)))) {
		sim_tlb_access_begin(tlb);
		host = sim_tlb_hit(tlb, &mm->ctx, addr, write ? SIM_ACCESS_WRITE : SIM_ACCESS_READ);
		if (host) {
			unsigned char *to = write ? host : buf;
			const unsigned char *from = write ? buf : host;

			/* a load or store of a machine word is a move, not a call to memcpy */
			if (len == 8)
				__builtin_memcpy(to, from, 8);
			else if (len == 4)
				__builtin_memcpy(to, from, 4);
			else
				memcpy(to, from, len);
			sim_tlb_access_end(tlb);
			return 0;
		}
		sim_tlb_access_end(tlb);
	}
	return access_loop(t, addr, buf, 0, len, write ? SIM_ACCESS_WRITE : SIM_ACCESS_READ);
}

int kmm_fill(struct task_struct *t, uint64_t addr, int byte, uint64_t len)
{
	return access_loop(t, addr, NULL, byte, (size_t)len, SIM_ACCESS_WRITE);
}

int kmm_fetch(struct task_struct *t, uint64_t addr, void *buf, size_t len)
{
	return access_loop(t, addr, buf, 0, len, SIM_ACCESS_FETCH);
}

int kmm_touch(struct task_struct *t, uint64_t addr, uint64_t len, bool write)
{
	if (!len)
		return 0;
	/* The last byte, at most the top of the address space: a range past it does not wrap to none. */
	uint64_t last = addr + len - 1 < addr ? UINT64_MAX : addr + len - 1;

	for (uint64_t a = addr & PAGE_MASK;; a += PAGE_SIZE) {
		unsigned char b = 0;
		uint64_t at = a < addr ? addr : a;
		int err = write ? access_loop(t, at, NULL, 0x5a, 1, SIM_ACCESS_WRITE)
				: access_loop(t, at, &b, 0, 1, SIM_ACCESS_READ);
		if (err)
			return err;
		if (a >= (last & PAGE_MASK))
			return 0;
	}
}
