// SPDX-License-Identifier: MIT
/*
 * mm/mlock.c - mlock and munlock: VM_LOCKED on the VMAs of a range, its
 * pages faulted in, locked_vm (VmLck) kept.
 *
 * Linux counterpart: mm/mlock.c (do_mlock, apply_vma_lock_flags,
 * mlock_fixup). Simplified: pages are not moved to an unevictable LRU here
 * (the pressure layer reads VM_LOCKED through the reverse map instead);
 * RLIMIT_MEMLOCK is not enforced.
 *
 * Locking: procs_lock() held by the caller.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

int do_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, bool lock)
{
	unsigned long end, addr;

	len = ALIGN_UP(len + (start & ~PAGE_MASK), PAGE_SIZE);
	start &= PAGE_MASK;
	end = start + len;
	if (end < start)
		return kmm_set_error(-EINVAL, "mlock: range wraps");
	for (addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return kmm_set_error(-ENOMEM, "%s: 0x%lx is not mapped", lock ? "mlock" : "munlock", addr);
		addr = vma->vm_end;
	}
	for (addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long s = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long e = end < vma->vm_end ? end : vma->vm_end;
		unsigned long newflags = lock ? vma->vm_flags | VM_LOCKED : vma->vm_flags & ~VM_LOCKED_MASK;
		int err;

		addr = e;
		if (newflags == vma->vm_flags)
			continue;
		if (vma->vm_flags & VM_SPECIAL)
			continue;	/* Linux skips VM_SPECIAL VMAs silently */
		if (s > vma->vm_start && (err = split_vma(vma, s, true)) != 0)
			return err;
		if (e < vma->vm_end && (err = split_vma(vma, e, false)) != 0)
			return err;
		vma->vm_flags = newflags;
		if (lock)
			mm->locked_vm += vma_pages(vma);
		else
			mm->locked_vm -= vma_pages(vma);
		if (lock)
			populate_vma_range(vma, vma->vm_start, vma->vm_end);
		vma_try_merge(vma);
	}
	return 0;
}
