// SPDX-License-Identifier: MIT
/*
 * mm/mlock.c - mlock and munlock: VM_LOCKED on the VMAs of a range, its
 * pages faulted in, locked_vm (VmLck) kept.
 *
 * Linux counterpart: mm/mlock.c (do_mlock, apply_vma_lock_flags,
 * mlock_fixup, mlock_folio, munlock_folio). Kept: a page mapped by at least
 * one VM_LOCKED VMA has PG_mlocked and is counted once in its zone's
 * NR_MLOCK (meminfo Mlocked); it loses both when its last locked mapping
 * goes (munlock, munmap, exit, COW copy), found through the reverse map.
 * The LRU half (to and from the unevictable list) is mlock_folio_lru() and
 * munlock_folio_lru() in mm/swap.c. Kept too: mlock() sets the flags first,
 * VMA by VMA, and a hole in the range ends that with ENOMEM, the VMAs
 * before it locked (munlock: unlocked) all the same and nothing faulted in;
 * then it faults the whole range in (__mm_populate without ignore_errors)
 * and maps gup's error as __mlock_posix_error_return() does: a page that
 * cannot be faulted (a poisoned one, SIGBUS) or a PROT_NONE VMA in the
 * range (gup refuses it) is ENOMEM, no memory EAGAIN; the VMAs stay locked
 * and the pages after the failure stay out. Simplified: RLIMIT_MEMLOCK is
 * not enforced.
 *
 * Locking: mmap_write_lock() held by the caller (page_mapped_locked() walks
 * the reverse map under its own locks); the VMA is write-locked before its
 * flags change.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

static bool find_locked(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			void *ptep, void *arg)
{
	if (vm_flags_read_once(vma) & VM_LOCKED) {	/* a walker: no mmap lock */
		*(bool *)arg = true;
		return false;
	}
	return true;
}

bool page_mapped_locked(struct page *page)
{
	bool locked = false;

	rmap_walk(page, find_locked, &locked);
	return locked;
}

void mlock_page(struct page *page)
{
	if (page_flag_test(page, PG_mlocked))
		return;
	page_flag_set(page, PG_mlocked);
	mod_zone_page_state(page_zone(page), NR_MLOCK, 1);
	count_vm_event(page_machine(page), UNEVICTABLE_PGMLOCKED);
	mlock_folio_lru(page);
}

void munlock_page(struct page *page)
{
	if (!page_flag_test(page, PG_mlocked) || page_mapped_locked(page))
		return;
	page_flag_clear(page, PG_mlocked);
	mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	count_vm_event(page_machine(page), UNEVICTABLE_PGMUNLOCKED);
	munlock_folio_lru(page);
}

static int mlock_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct vm_area_struct *vma = arg;
	struct page *page;

	if (!pte_present(v) || !(page = vm_normal_page(vma, (unsigned long)va, v)))
		return 0;
	if (vma->vm_flags & VM_LOCKED)
		mlock_page(page);
	else
		munlock_page(page);
	return 0;
}

/*
 * __mm_populate(start, len, ignore_errors = 0), mlock's half: fault in every
 * page of [@start, @end) (VM_IO and VM_PFNMAP VMAs skipped) and stop at the
 * first VMA whose populate fails - a fault that failed, or a PROT_NONE VMA,
 * which gup refuses (populate_vma_page_range()): the pages after it stay
 * out, though their VMAs are VM_LOCKED. *@bad gets the failing VMA.
 * Context: mmap_write_lock (Linux populates under the read lock).
 * Return: 0 or populate_vma_page_range()'s error.
 */
static int mlock_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
			  struct vm_area_struct **bad)
{
	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end)
			break;
		unsigned long s = KMM_MAX(addr, vma->vm_start), e = KMM_MIN(end, vma->vm_end);
		int err;

		addr = e;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			continue;
		if ((err = populate_vma_page_range(vma, s, e)) != 0) {
			*bad = vma;
			return err;
		}
	}
	return 0;
}

/* __mlock_posix_error_return(): gup's -EFAULT is mlock's ENOMEM, its -ENOMEM EAGAIN. */
static int mlock_posix_error(int err)
{
	if (err == -EFAULT)
		return -ENOMEM;
	if (err == -ENOMEM)
		return -EAGAIN;
	return err;
}

int do_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, bool lock)
{
	unsigned long end, addr;
	int err;

	len = ALIGN_UP(len + (start & ~PAGE_MASK), PAGE_SIZE);
	start &= PAGE_MASK;
	end = start + len;
	if (end < start)
		return kmm_set_error(-EINVAL, "mlock: range wraps");
	/*
	 * apply_vma_lock_flags(): VMA by VMA from @start; a hole ends it with
	 * ENOMEM, the VMAs before it keeping their new flags (and nothing is
	 * faulted in). A hole at @start changes nothing.
	 */
	for (addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			const char *op = lock ? "mlock" : "munlock";
			if (addr == start)
				return kmm_set_error(-ENOMEM, "%s: 0x%lx is not mapped", op, addr);
			return kmm_set_error(-ENOMEM, "%s: 0x%lx is not mapped (0x%lx-0x%lx before it is %s)",
					     op, addr, start, addr, lock ? "locked" : "unlocked");
		}
		unsigned long s = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long e = end < vma->vm_end ? end : vma->vm_end;
		unsigned long newflags = lock ? vma->vm_flags | VM_LOCKED : vma->vm_flags & ~VM_LOCKED_MASK;

		addr = e;
		if (newflags == vma->vm_flags)
			continue;
		if (vma->vm_flags & VM_SPECIAL)
			continue;	/* Linux skips VM_SPECIAL VMAs silently */
		if (s > vma->vm_start && (err = split_vma(vma, s, true)) != 0)
			return err;
		if (e < vma->vm_end && (err = split_vma(vma, e, false)) != 0)
			return err;
		vma_start_write(vma);
		vm_flags_reset(vma, newflags);
		if (lock)
			mm->locked_vm += vma_pages(vma);
		else
			mm->locked_vm -= vma_pages(vma);
		/* mlock_vma_pages_range(): the pages mapped now; the fault path locks the rest */
		pgtable_for_each_leaf(&mm->pgt, vma->vm_start, vma->vm_end, false, mlock_pte, vma);
		vma_try_merge(vma);
	}
	if (!lock)
		return 0;
	/* Then the whole range is faulted in, VMAs that were locked already too. */
	struct vm_area_struct *bad = NULL;
	if ((err = mlock_populate(mm, start, end, &bad)) == 0)
		return 0;
	if (!vma_is_accessible(bad))
		return kmm_set_error(mlock_posix_error(err), "mlock: the mapping at 0x%lx is PROT_NONE: its "
				     "pages cannot be faulted in", bad->vm_start);
	return kmm_set_error(mlock_posix_error(err), "mlock: a page at or after 0x%lx could not be "
			     "faulted in (%s)", KMM_MAX(start, bad->vm_start),
			     err == -ENOMEM ? "out of memory"
					    : "SIGBUS: its contents were lost, or past the end of its file");
}
