// SPDX-License-Identifier: MIT
/*
 * mm/madvise.c - MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM, MADV_DONTNEED,
 * MADV_WILLNEED, MADV_FREE, MADV_DONTFORK, MADV_DOFORK and
 * MADV_POPULATE_READ / MADV_POPULATE_WRITE.
 *
 * Linux counterpart: mm/madvise.c. Kept: DONTNEED zaps (anonymous memory
 * reads back as zeroes), refuses VM_LOCKED ranges with EINVAL; FREE applies
 * to private anonymous pages mapped once only: their PTEs and pages are made
 * clean and the pages lose PG_swapbacked (lazy free: reclaim may drop them
 * unless rewritten), counted in pglazyfree; WILLNEED of a file mapping reads
 * its file pages into the page cache without mapping them (vfs_fadvise
 * WILLNEED: at most the disk's largest I/O), of anonymous memory reads its
 * swapped pages into the swap cache (the pressure layer's swapin_range,
 * Linux's swapin_walk_pmd_entry), mapping nothing; DONTFORK and DOFORK set and
 * clear VM_DONTCOPY, SEQUENTIAL and RANDOM set VM_SEQ_READ or VM_RAND_READ
 * (the other cleared; NORMAL clears both), splitting VMAs: the fault path's
 * readahead follows them (mm/filemap.c). DONTNEED of a file mapping unmaps;
 * the pages stay cached. A hole in the range gives ENOMEM after the mapped
 * parts were handled, as Linux does.
 * WILLNEED of tmpfs or shared anonymous memory reads its pages on swap into
 * the swap cache (shmem_swapin_range, mm/shmem.c). POPULATE_READ and
 * POPULATE_WRITE fault the range in and stop at the first failure (see
 * madvise_populate()).
 *
 * Locking: mmap_write_lock() held by the caller; flag changes write-lock
 * the VMA, entry changes take their table's PTE lock.
 */
#include <errno.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

/*
 * MADV_FREE in two steps. Under each table's PTE lock, free_one() clears the dirty
 * bit of each eligible PTE and gathers its page (with a reference, so that
 * it cannot be freed meanwhile). Then the range is flushed and the
 * shootdown waits for the stores in flight through the old, dirty
 * translations (a kmm_access() copy on another thread), and only then
 * does each page count as clean (PG_dirty cleared, lazy-free). A store
 * still landing in a page already on the lazy-free list would be dropped
 * by reclaim without a trace, as the PTE it came through is clean.
 */
#define FREE_BATCH 64

struct free_ctx {
	struct vm_area_struct *vma;
	unsigned long start;		/* the range cleaned so far starts here */
	unsigned int nr;
	struct page *pages[FREE_BATCH];	/* each with a reference of ours */
};

/*
 * Flush [@c->start, @end), wait, then make the gathered pages clean and
 * lazy-free. Context: may run under a PTE lock (a full batch in the
 * walk), as zap's batch flush does.
 */
static void free_flush(struct free_ctx *c, unsigned long end)
{
	flush_tlb_range(c->vma, c->start, end);
	c->start = end;
	if (!c->nr)
		return;
	sim_mmu_shootdown_wait(procs_of(c->vma->vm_mm->m)->mmu);
	for (unsigned int i = 0; i < c->nr; i++) {
		struct page *page = c->pages[i];
		/*
		 * Reclaim may have taken it meanwhile (it holds the page lock
		 * while it adds it to swap and writes it): such a page stays
		 * dirty, as one with a swap copy was left above.
		 */
		if (trylock_page(page)) {
			if (!PageSwapCache(page)) {
				page_flag_clear(page, PG_dirty);
				if (page_flag_test(page, PG_swapbacked))
					folio_mark_lazyfree(page);	/* to the inactive file list, pglazyfree */
			}
			unlock_page(page);
		}
		put_user_page_ref(page);
	}
	c->nr = 0;
}

static int free_one(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct free_ctx *c = arg;
	struct vm_area_struct *vma = c->vma;
	struct page *page;

	if (!pte_present(v) || pte_protnone(v))
		return 0;
	page = vm_normal_page(vma, (unsigned long)va, v);
	if (!page || !PageAnon(page) || page_mapcount(page) != 1)
		return 0;
	if (PageSwapCache(page)) {
		/* folio_free_swap() under the page lock; a page someone holds (a swap-in) is left */
		bool freed;
		if (!trylock_page(page))
			return 0;
		freed = folio_free_swap(page);
		unlock_page(page);
		if (!freed)
			return 0;	/* a swapped-out copy is still shared */
	}
	if (page_ref_count(page) != 1)
		return 0;
	pte_clear_bits(&vma->vm_mm->pgt, slot, _PAGE_DIRTY);
	get_page(page);
	c->pages[c->nr++] = page;
	if (c->nr == FREE_BATCH)
		free_flush(c, (unsigned long)va + PAGE_SIZE);
	return 0;
}

/* madvise_update_vma(): [@s, @e) of @vma gets @nf as its flags, split off when it is a part. */
static int madvise_update_vma(struct vm_area_struct *vma, unsigned long s, unsigned long e, unsigned long nf)
{
	int err;

	if (nf == vma->vm_flags)
		return 0;
	if (s > vma->vm_start && (err = split_vma(vma, s, true)) != 0)
		return err;
	if (e < vma->vm_end && (err = split_vma(vma, e, false)) != 0)
		return err;
	vma_start_write(vma);
	vm_flags_reset(vma, nf);
	vma_try_merge(vma);
	return 0;
}

/*
 * madvise_willneed() of a file mapping: vfs_fadvise(WILLNEED) of the
 * range's file pages - they are read into the page cache (no more than the
 * disk's largest I/O, as force_page_cache_ra), and nothing is mapped.
 */
static int madvise_willneed_file(struct vm_area_struct *vma, unsigned long s, unsigned long e)
{
	struct kmm_file *f = vma->vm_file;
	struct file_ra_state ra;

	spin_lock(&f->ra_lock);
	ra = f->f_ra;
	spin_unlock(&f->ra_lock);
	force_page_cache_ra(f, &ra, linear_page_index(vma, s), (e - s) >> PAGE_SHIFT);
	return 0;
}

static int madvise_vma(struct vm_area_struct *vma, unsigned long s, unsigned long e, int advice)
{
	struct mm_struct *mm = vma->vm_mm;

	switch (advice) {
	case KMM_MADV_DONTNEED:
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP))
			return kmm_set_error(-EINVAL, "madvise: MADV_DONTNEED on a locked mapping at 0x%lx",
					     vma->vm_start);
		zap_page_range_single(vma, s, e - s);
		return 0;
	case KMM_MADV_FREE: {
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return kmm_set_error(-EINVAL, "madvise: MADV_FREE needs private anonymous memory");
		struct free_ctx c = { .vma = vma, .start = s, .nr = 0 };
		walk_ptes_locked(mm, s, e, false, free_one, &c);
		free_flush(&c, e);
		return 0;
	}
	case KMM_MADV_WILLNEED:
		if (vma->vm_file && !vma->vm_file->shmem && vma->kind == VMA_PLAIN)
			return madvise_willneed_file(vma, s, e);
		if (vma->vm_file && vma->vm_file->shmem && vma->kind == VMA_PLAIN) {
			/* shmem: its pages on swap are read into the swap cache (mm/shmem.c) */
			shmem_swapin_range(vma->vm_file, linear_page_index(vma, s), linear_page_index(vma, e - 1));
			return 0;
		}
		/* anonymous memory: its swapped pages into the swap cache (the pressure layer) */
		if (vma_is_anonymous(vma) && procs_of(mm->m)->swapin_range)
			procs_of(mm->m)->swapin_range(vma, s, e);
		return 0;
	case KMM_MADV_DONTFORK:
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		return madvise_update_vma(vma, s, e, vma->vm_flags | VM_DONTCOPY);
	case KMM_MADV_DOFORK:
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		return madvise_update_vma(vma, s, e, vma->vm_flags & ~VM_DONTCOPY);
	case KMM_MADV_NORMAL:
		return madvise_update_vma(vma, s, e, vma->vm_flags & ~(VM_SEQ_READ | VM_RAND_READ));
	case KMM_MADV_SEQUENTIAL:
		return madvise_update_vma(vma, s, e, (vma->vm_flags & ~VM_RAND_READ) | VM_SEQ_READ);
	case KMM_MADV_RANDOM:
		return madvise_update_vma(vma, s, e, (vma->vm_flags & ~VM_SEQ_READ) | VM_RAND_READ);
	default:
		return kmm_set_error(-EINVAL, "madvise: advice %d is not supported", advice);
	}
}

/*
 * MADV_POPULATE_READ and MADV_POPULATE_WRITE (Linux 6.12's madvise_populate()
 * over faultin_page_range()): fault every page of [@start, @end) in, readable
 * or writable (a write fault breaks COW), without the FOLL_FORCE mlock's
 * populate has, and stop at the first failure, the pages before it staying
 * in: a hole is ENOMEM; a VMA that does not allow the access (PROT_NONE, no
 * VM_READ for READ, no VM_WRITE for WRITE) or is VM_IO / VM_PFNMAP is EINVAL
 * (check_vma_flags() under FOLL_MADV_POPULATE); a fault that fails is ENOMEM
 * out of memory, EHWPOISON on a poisoned page (FOLL_HWPOISON), else EFAULT
 * (SIGBUS, SIGSEGV). Nothing is mlocked or advised: the VMAs are unchanged.
 */
static int madvise_populate(struct mm_struct *mm, unsigned long start, unsigned long end, bool write)
{
	const char *what = write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ";

	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return kmm_set_error(-ENOMEM, "madvise: %s: 0x%lx is not mapped", what, addr);
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) || !(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
			return kmm_set_error(-EINVAL, "madvise: %s: the mapping at 0x%lx is not %s", what,
					     vma->vm_start, write ? "writable" : "readable");
		for (unsigned long e = KMM_MIN(end, vma->vm_end); addr < e; addr += PAGE_SIZE) {
			pteval_t pte = pgtable_get_pte(&mm->pgt, addr);
			if (pte_present(pte) && !pte_protnone(pte) && (!write || pte_write(pte)))
				continue;
			unsigned int ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
			if (!(ret & VM_FAULT_ERROR))
				continue;
			if (ret & VM_FAULT_OOM)
				return kmm_set_error(-ENOMEM, "madvise: %s: out of memory at 0x%lx", what, addr);
			if (ret & VM_FAULT_HWPOISON)
				return kmm_set_error(-EHWPOISON, "madvise: %s: the page at 0x%lx was lost", what,
						     addr);
			return kmm_set_error(-EFAULT, "madvise: %s: the fault at 0x%lx failed (SIGBUS)", what,
					     addr);
		}
	}
	return 0;
}

int do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len, int advice)
{
	unsigned long end, addr;
	bool hole = false;

	if (start & ~PAGE_MASK)
		return kmm_set_error(-EINVAL, "madvise: address 0x%lx is not page aligned", start);
	switch (advice) {
	case KMM_MADV_NORMAL: case KMM_MADV_DONTNEED: case KMM_MADV_FREE: case KMM_MADV_WILLNEED:
	case KMM_MADV_DONTFORK: case KMM_MADV_DOFORK: case KMM_MADV_SEQUENTIAL: case KMM_MADV_RANDOM:
	case KMM_MADV_POPULATE_READ: case KMM_MADV_POPULATE_WRITE:
		break;
	default:
		return kmm_set_error(-EINVAL, "madvise: advice %d is not supported", advice);
	}
	/* do_madvise(): a length that rounds up to 0 (from near 2^64) is EINVAL */
	unsigned long len_in = len;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if ((len_in && !len) || end < start)
		return kmm_set_error(-EINVAL, "madvise: range wraps");
	if (advice == KMM_MADV_POPULATE_READ || advice == KMM_MADV_POPULATE_WRITE)
		return madvise_populate(mm, start, end, advice == KMM_MADV_POPULATE_WRITE);
	for (addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end) {
			hole = true;
			break;
		}
		if (vma->vm_start > addr)
			hole = true;
		unsigned long s = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long e = end < vma->vm_end ? end : vma->vm_end;
		int err = madvise_vma(vma, s, e, advice);
		if (err)
			return err;
		addr = e;
	}
	return hole ? kmm_set_error(-ENOMEM, "madvise: part of the range is not mapped") : 0;
}
