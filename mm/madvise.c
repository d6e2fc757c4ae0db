// SPDX-License-Identifier: MIT
/*
 * mm/madvise.c - MADV_DONTNEED, MADV_WILLNEED, MADV_FREE, MADV_DONTFORK and
 * MADV_DOFORK.
 *
 * Linux counterpart: mm/madvise.c. Kept: DONTNEED zaps (anonymous memory
 * reads back as zeroes), refuses VM_LOCKED ranges with EINVAL; FREE applies
 * to private anonymous pages mapped once only: their PTEs and pages are made
 * clean and the pages lose PG_swapbacked (lazy free: reclaim may drop them
 * unless rewritten), counted in pglazyfree; WILLNEED reads file pages into the
 * page cache (a no-op for anonymous memory, as without swap); DONTFORK and
 * DOFORK set and clear VM_DONTCOPY, splitting VMAs. A hole in the range gives
 * ENOMEM after the mapped parts were handled, as Linux does.
 *
 * Locking: mmap_write_lock() held by the caller; flag changes write-lock
 * the VMA, entry changes take page_table_lock.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

static int free_one(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct vm_area_struct *vma = arg;
	struct page *page;

	if (!pte_present(v) || pte_protnone(v))
		return 0;
	page = vm_normal_page(vma, (unsigned long)va, v);
	if (!page || !PageAnon(page) || page_mapcount(page) != 1)
		return 0;
	if (PageSwapCache(page) && !folio_free_swap(page))
		return 0;	/* a swapped-out copy is still shared */
	if (page_ref_count(page) != 1)
		return 0;
	pte_clear_bits(&vma->vm_mm->pgt, slot, _PAGE_DIRTY);
	page_flag_clear(page, PG_dirty);
	if (page_flag_test(page, PG_swapbacked))
		folio_mark_lazyfree(page);	/* to the inactive file list, pglazyfree */
	return 0;
}

static int madvise_vma(struct vm_area_struct *vma, unsigned long s, unsigned long e, int advice)
{
	struct mm_struct *mm = vma->vm_mm;
	int err;

	switch (advice) {
	case KMM_MADV_DONTNEED:
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP))
			return kmm_set_error(-EINVAL, "madvise: MADV_DONTNEED on a locked mapping at 0x%lx",
					     vma->vm_start);
		zap_page_range_single(vma, s, e - s);
		return 0;
	case KMM_MADV_FREE:
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return kmm_set_error(-EINVAL, "madvise: MADV_FREE needs private anonymous memory");
		spin_lock(&mm->page_table_lock);
		pgtable_for_each_leaf(&mm->pgt, s, e, false, free_one, vma);
		spin_unlock(&mm->page_table_lock);
		flush_tlb_range(vma, s, e);
		return 0;
	case KMM_MADV_WILLNEED:
		if (vma->vm_file && !(vma->vm_flags & VM_SHARED)) {
			/* read ahead into the page cache by mapping nothing: fault and unmap is
			   not Linux's way; we populate the range instead, which is close enough */
			return populate_vma_page_range(vma, s, e) ? -ENOMEM : 0;
		}
		return 0;
	case KMM_MADV_DONTFORK:
	case KMM_MADV_DOFORK: {
		unsigned long nf = advice == KMM_MADV_DONTFORK ? vma->vm_flags | VM_DONTCOPY
							       : vma->vm_flags & ~VM_DONTCOPY;
		if (nf == vma->vm_flags)
			return 0;
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		if (s > vma->vm_start && (err = split_vma(vma, s, true)) != 0)
			return err;
		if (e < vma->vm_end && (err = split_vma(vma, e, false)) != 0)
			return err;
		vma_start_write(vma);
		vma->vm_flags = nf;
		vma_try_merge(vma);
		return 0;
	}
	case KMM_MADV_NORMAL:
		return 0;
	default:
		return kmm_set_error(-EINVAL, "madvise: advice %d is not supported", advice);
	}
}

int do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len, int advice)
{
	unsigned long end, addr;
	bool hole = false;

	if (start & ~PAGE_MASK)
		return kmm_set_error(-EINVAL, "madvise: address 0x%lx is not page aligned", start);
	switch (advice) {
	case KMM_MADV_NORMAL: case KMM_MADV_DONTNEED: case KMM_MADV_FREE: case KMM_MADV_WILLNEED:
	case KMM_MADV_DONTFORK: case KMM_MADV_DOFORK:
		break;
	default:
		return kmm_set_error(-EINVAL, "madvise: advice %d is not supported", advice);
	}
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if (end < start)
		return kmm_set_error(-EINVAL, "madvise: range wraps");
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
