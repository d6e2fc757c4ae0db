// SPDX-License-Identifier: MIT
/*
 * mm/gup.c - get_user_pages and pin_user_pages: the kernel takes references
 * on a process's pages, faulting them in as needed.
 *
 * Linux counterpart: mm/gup.c (__get_user_pages, follow_page_pte,
 * try_grab_folio, unpin_user_page), include/linux/mm.h
 * (folio_maybe_dma_pinned, GUP_PIN_COUNTING_BIAS).
 * Kept: a fault that fails is -ENOMEM when out of memory, else -EFAULT
 * (vm_fault_to_errno: a poisoned page too, as no caller asks FOLL_HWPOISON);
 * FOLL_GET adds one reference; FOLL_PIN adds GUP_PIN_COUNTING_BIAS
 * (1024) so page_maybe_dma_pinned() sees it, counts nr_foll_pin_acquired and
 * _released, and sets MMF_HAS_PINNED on the mm, which makes fork copy such
 * anonymous pages instead of sharing them; FOLL_WRITE faults with write
 * (breaking COW); a pin of a COW-shared anonymous page unshares it first
 * (Linux's FAULT_FLAG_UNSHARE, done here as a write fault in a writable VMA).
 * FOLL_LONGTERM first migrates an anonymous page out of ZONE_MOVABLE
 * (check_and_migrate_movable_pages): a copy in a zone the page allocator may
 * not need to empty, every PTE switched over through the reverse map, the old
 * frame freed, pgmigrate_success counted. Simplified: file pages in
 * ZONE_MOVABLE are pinned where they are; there is no CMA.
 *
 * Locking: inside procs_enter(), mmap_read_lock() across the walk (faults
 * run under it); each page is looked up and its reference taken under the
 * lock of its PTE table (follow_page_pte(), as Linux), never from an entry
 * read without it; the pin records under procs->pins_lock; moving a page
 * for a long-term pin changes each mapping under its PTE lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/highmem.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

static struct pin_record *find_pin(struct kmm_procs *p, const struct page *page)
{
	for (int i = 0; i < p->nr_pins; i++)
		if (p->pins[i].page == page)
			return &p->pins[i];
	return NULL;
}

int page_pin_count(struct kmm_machine *m, const struct page *page)
{
	struct kmm_procs *p = procs_of(m);

	spin_lock(&p->pins_lock);
	struct pin_record *r = find_pin(p, page);
	int count = r ? r->count : 0;	/* count is in references: pins * 1024 + gets */
	spin_unlock(&p->pins_lock);
	return count;
}

bool page_maybe_dma_pinned(const struct page *page)
{
	return page_ref_count(page) >= GUP_PIN_COUNTING_BIAS;
}

/* Context: procs->pins_lock held. */
static int record_ref(struct kmm_procs *p, struct page *page, int refs)
{
	struct pin_record *r = find_pin(p, page);

	if (!r) {
		if (p->nr_pins == p->pins_cap) {
			int cap = p->pins_cap ? p->pins_cap * 2 : 16;
			void *n = realloc(p->pins, sizeof(*p->pins) * (size_t)cap);
			if (!n)
				return -ENOMEM;
			p->pins = n;
			p->pins_cap = cap;
		}
		r = &p->pins[p->nr_pins++];
		r->page = page;
		r->count = 0;
	}
	r->count += refs;
	if (r->count == 0)
		*r = p->pins[--p->nr_pins];
	return 0;
}

struct migrate_ctx {
	struct page *old, *new;
	int moved;
	bool copied;
};

/*
 * Move one mapping of @c->old over to @c->new, under its page-table lock
 * (a fault on it waits for the lock and finds the new entry). The first
 * mapping write-protects its entry, flushes it and waits for the accesses in
 * flight through it (a kmm_access() store on another thread) before the
 * copy, so no store lands in the old frame after it was copied (Linux
 * copies only after try_to_migrate() has replaced every entry by a
 * migration entry and flushed). A page mapped more than once is shared
 * copy-on-write, read-only in every mapping: nothing can store into it
 * through the others.
 */
static bool migrate_one(struct page *old, struct vm_area_struct *vma, unsigned long addr, void *ptep,
			void *arg)
{
	struct migrate_ctx *c = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_machine *m = mm->m;
	const struct pgtable_geometry *g = mm->pgt.geo;

	if (!(ptep = rmap_lock_pte(old, vma, addr)))
		return true;
	pteval_t pte = pte_clear_bits(&mm->pgt, ptep, _PAGE_RW);	/* was it writable? */
	if (!c->copied) {
		flush_tlb_range(vma, addr, addr + PAGE_SIZE);
		sim_mmu_shootdown_wait(procs_of(m)->mmu);
		copy_highpage(c->new, old);
		c->copied = true;
	}
	/* what a read set meanwhile (accessed) is kept; the write bit as it was */
	pteval_t now = pte_get(&mm->pgt, ptep);
	pteval_t npte = (now & ~g->pfn_mask) | (pte & _PAGE_RW) | pfn_pte_geo(g, page_to_pfn_m(m, c->new), 0);

	pte_set(&mm->pgt, ptep, npte);
	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	if (c->moved++ == 0)
		folio_add_new_anon_rmap(c->new, vma, addr);
	else
		folio_add_anon_rmap_pte(c->new);
	get_page(c->new);
	folio_remove_rmap_pte(old);
	atomic_fetch_sub_explicit(&old->_refcount, 1, memory_order_acq_rel);
	spin_unlock(pte_lockptr(mm, ptep));
	return true;
}

/*
 * A long-term pin must not hold a frame in ZONE_MOVABLE (memory hot-remove
 * and compaction rely on emptying it): move an anonymous page first. The
 * copy is made inside the walk, once the first mapping can no longer be
 * stored through (migrate_one()); the old frame goes only after a second
 * shootdown wait, when no load through a translation taken before the
 * switch is in flight either.
 * Context: the caller holds a reference on @page (follow_page_pte()'s).
 * Return: the page to pin, the caller's reference now on it (the new copy:
 * the allocation's reference becomes the caller's before any PTE maps it,
 * and the one on @page is dropped), or NULL on -ENOMEM (the reference still
 * on @page).
 */
static struct page *migrate_longterm(struct kmm_machine *m, struct page *page)
{
	if (page_zonenum(page) != ZONE_MOVABLE || !PageAnon(page))
		return page;
	struct page *n = kmm_alloc_pages(m, procs_of(m)->user_gfp & ~__GFP_MOVABLE, 0, -1);
	if (!n)
		return NULL;
	/* n's count stays at the allocation's 1, the caller's; each mapping moved over brings one */
	struct anon_vma *av = (void *)((unsigned long)page->mapping & ~PAGE_MAPPING_ANON);
	struct migrate_ctx c = { page, n, 0, false };
	rmap_walk(page, migrate_one, &c);	/* the caller's reference holds the old frame */
	n->mapping = (void *)((unsigned long)av | PAGE_MAPPING_ANON);
	n->index = page->index;
	if (!c.moved) {
		__free_pages(n, 0);	/* never mapped: ours is its only reference */
		return page;
	}
	/*
	 * PG_mlocked moves with the mappings: off the old frame (once, should
	 * a munlock_page() of it run meanwhile), onto the new one, and then
	 * the new one settled by its reverse map (its locked mappings may have
	 * been zapped since the walk moved them).
	 */
	if (page_clear_mlocked(page)) {
		mlock_page(n);
		munlock_page(n);
	}
	sim_mmu_shootdown_wait(procs_of(m)->mmu);	/* loads through the old entries */
	put_user_page_ref(page);	/* the old frame goes with its last reference */
	folio_add_lru(n);
	count_vm_event(m, PGMIGRATE_SUCCESS);
	return n;
}

/*
 * follow_page_pte(): the page @vma maps at @addr, if the entry there allows
 * the access asked for, with one reference taken under the page-table lock
 * (the PTE's own reference cannot go meanwhile: zap, unmap and COW change
 * the entry under that lock before they drop it). Linux: follow_page_pte()
 * with try_grab_folio() under pte_offset_map_lock(). A read without the lock
 * could see an entry a racing unmap or COW was about to clear and take a
 * reference on a page that had been freed meanwhile.
 * Return: the page (the zero page without a reference), or NULL when the
 * caller must fault first.
 */
static struct page *follow_page_pte(struct vm_area_struct *vma, unsigned long addr, bool write,
				    bool pin)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = NULL;
	spinlock_t *ptl;
	void *slot;
	pteval_t pte;

	slot = pte_offset_map_lock(mm, addr, &ptl);
	pte = slot ? pte_get(&mm->pgt, slot) : 0;
	bool ok = pte_present(pte) && !pte_protnone(pte);
	if (ok && write && !pte_write(pte))
		ok = false;
	if (ok && pin && !pte_write(pte) && is_cow_mapping(vma->vm_flags)) {
		/* a pinned anonymous page must be exclusive: unshare it */
		struct page *cand = vm_normal_page(vma, addr, pte);
		if (!cand || (PageAnon(cand) && page_ref_count(cand) > 1) || !PageAnon(cand))
			ok = !(vma->vm_flags & VM_WRITE);
	}
	if (ok) {
		page = vm_normal_page(vma, addr, pte);
		if (page)
			get_page(page);		/* the PTE holds one: not speculative */
		else
			page = procs_of(mm->m)->zero_page;
	}
	if (slot)
		pte_unmap_unlock(ptl);
	return page;
}

int vm_fault_to_errno(unsigned int vm_fault)
{
	if (vm_fault & VM_FAULT_OOM)
		return -ENOMEM;
	if (vm_fault & (VM_FAULT_HWPOISON | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
		return -EFAULT;
	return 0;
}

static long __get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, struct page **pages)
{
	struct kmm_machine *m = mm->m;
	struct kmm_procs *p = procs_of(m);
	bool write = gup_flags & KMM_FOLL_WRITE;
	bool pin = gup_flags & KMM_FOLL_PIN;
	int refs = pin ? GUP_PIN_COUNTING_BIAS : 1;
	unsigned long i;

	if (start & ~PAGE_MASK)
		return kmm_set_error(-EINVAL, "gup: address 0x%lx is not page aligned", start);
	for (i = 0; i < nr_pages; i++) {
		unsigned long addr = start + i * PAGE_SIZE;
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			if (i)
				break;
			return kmm_set_error(-EFAULT, "gup: 0x%lx is not mapped", addr);
		}
		if ((write && !(vma->vm_flags & VM_WRITE)) || (!write && !(vma->vm_flags & VM_READ)) ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			if (i)
				break;
			return kmm_set_error(-EFAULT, "gup: access to 0x%lx not allowed by the mapping", addr);
		}
		struct page *page = NULL;
		for (int tries = 0; tries < 3; tries++) {
			page = follow_page_pte(vma, addr, write, pin);
			if (page)
				break;
			bool wfault = write || (pin && (vma->vm_flags & VM_WRITE) && is_cow_mapping(vma->vm_flags));
			unsigned int ret = handle_mm_fault(vma, addr, wfault ? FAULT_FLAG_WRITE : 0);
			if (ret & VM_FAULT_ERROR) {
				/* faultin_page(): out of memory is -ENOMEM, the rest -EFAULT */
				int err = vm_fault_to_errno(ret);
				const char *why = err == -ENOMEM		 ? "out of memory"
						  : (ret & VM_FAULT_HWPOISON) ? "its page was lost"
									      : "SIGBUS or SIGSEGV";
				return i ? (long)i : kmm_set_error(err, "gup: fault at 0x%lx failed (%s)", addr, why);
			}
		}
		if (!page)
			return i ? (long)i : kmm_set_error(-EFAULT, "gup: could not fault 0x%lx", addr);
		if (page == p->zero_page) {
			/* the zero page is never refcounted; hand it out without a record */
			if (pages)
				pages[i] = page;
			continue;
		}
		if ((gup_flags & KMM_FOLL_LONGTERM) && pin) {
			struct page *moved = migrate_longterm(m, page);
			if (!moved) {
				put_user_page_ref(page);
				return i ? (long)i : kmm_set_error(-ENOMEM, "gup: no memory to migrate 0x%lx "
								   "out of ZONE_MOVABLE", addr);
			}
			page = moved;
		}
		/* the one reference follow_page_pte() took becomes the first of @refs */
		spin_lock(&p->pins_lock);
		int rerr = record_ref(p, page, refs);
		if (!rerr && refs > 1)
			atomic_fetch_add_explicit(&page->_refcount, refs - 1, memory_order_relaxed);
		spin_unlock(&p->pins_lock);
		if (rerr) {
			put_user_page_ref(page);
			return i ? (long)i : -ENOMEM;
		}
		if (pin) {
			mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_FOLL_PIN_ACQUIRED, 1);
			atomic_store(&mm->has_pinned, true);
		}
		if (pages)
			pages[i] = page;
	}
	return (long)i;
}

long get_user_pages_remote(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages)
{
	kmm_op_begin(mm->m);	/* faults and references: one operation for the stream */
	int token = procs_enter(mm->m);
	mmap_read_lock(mm);
	long r = __get_user_pages(mm, start, nr_pages, (gup_flags | KMM_FOLL_GET) & ~KMM_FOLL_PIN, pages);
	mmap_read_unlock(mm);
	procs_exit(mm->m, token);
	kmm_op_end(mm->m);
	return r;
}

long pin_user_pages_remote(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages)
{
	kmm_op_begin(mm->m);	/* faults and references: one operation for the stream */
	int token = procs_enter(mm->m);
	mmap_read_lock(mm);
	long r = __get_user_pages(mm, start, nr_pages, (gup_flags | KMM_FOLL_PIN) & ~KMM_FOLL_GET, pages);
	mmap_read_unlock(mm);
	procs_exit(mm->m, token);
	kmm_op_end(mm->m);
	return r;
}

static void drop_refs(struct page *page, int refs)
{
	struct kmm_machine *m = page_machine(page);
	struct kmm_procs *p = procs_of(m);

	if (page == p->zero_page)
		return;
	kmm_op_begin(m);
	int token = procs_enter(m);
	spin_lock(&p->pins_lock);
	record_ref(p, page, -refs);
	spin_unlock(&p->pins_lock);
	if (refs == GUP_PIN_COUNTING_BIAS)
		mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_FOLL_PIN_RELEASED, 1);
	/* Drop all but one, then the last one as put_page() does (freeing on zero). */
	if (refs > 1)
		atomic_fetch_sub_explicit(&page->_refcount, refs - 1, memory_order_relaxed);
	put_user_page_ref(page);
	procs_exit(m, token);
	kmm_op_end(m);
}

void unpin_user_page(struct page *page)
{
	drop_refs(page, GUP_PIN_COUNTING_BIAS);
}

void unpin_user_pages(struct page **pages, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		unpin_user_page(pages[i]);
}

/** put_page() for a FOLL_GET reference from get_user_pages_remote(). */
void kmm_put_user_page(struct page *page)
{
	drop_refs(page, 1);
}
