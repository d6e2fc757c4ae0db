// SPDX-License-Identifier: MIT
/*
 * mm/mprotect.c - change the protection of a range: split VMAs at the ends,
 * set the new vm_flags and page protection, rewrite present PTEs, flush the
 * TLB, merge what became compatible.
 *
 * Linux counterpart: mm/mprotect.c (do_mprotect_pkey, mprotect_fixup,
 * change_pte_range). Kept: ENOMEM for a hole in the range, the VMAs before it
 * changed (EACCES the same way, at a VMA that may not be made writable); a
 * range that starts in a hole changes nothing. PROT_NONE turns present PTEs
 * into PAGE_NONE (protnone) entries that keep the frame; a private mapping's
 * PTE stays read-only on an upgrade unless it was writable before, so the
 * next write goes through do_wp_page (which reuses an exclusive page). Simplified: no pkeys, no PROT_GROWSDOWN.
 *
 * Locking: mmap_write_lock() held by the caller; each VMA is write-locked
 * before its flags change, its entries change under their tables' PTE locks.
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

struct prot_ctx {
	struct vm_area_struct *vma;
	unsigned long old_flags;
};

static int change_one(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct prot_ctx *c = arg;
	struct vm_area_struct *vma = c->vma;
	struct kmm_pgtable *pt = &vma->vm_mm->pgt;
	pteval_t keep = v & (pt->geo->pfn_mask | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY |
			     _PAGE_SPECIAL);
	pteval_t n;

	if (!pte_present(v))
		return 0;	/* swap entries keep their encoding */
	n = keep | vma->vm_page_prot;
	if (!pt->geo->has_nx)
		n &= ~_PAGE_NX;
	if ((vma->vm_flags & VM_WRITE) && !pte_special(v)) {
		if ((vma->vm_flags & VM_SHARED) && (v & _PAGE_DIRTY))
			n |= _PAGE_RW;
		else if (!(vma->vm_flags & VM_SHARED) && (v & _PAGE_RW))
			n |= _PAGE_RW;
	}
	pte_set(pt, slot, n);
	return 0;
}

static int mprotect_fixup(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			  unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	int err;

	if (newflags == vma->vm_flags)
		return 0;
	/* a mapping that turns into data is held to RLIMIT_DATA (may_expand_vm) */
	if ((newflags & VM_WRITE) && !may_expand_vm(mm, newflags, (end - start) >> PAGE_SHIFT) &&
	    may_expand_vm(mm, vma->vm_flags, (end - start) >> PAGE_SHIFT))
		return expand_vm_error(mm, "mprotect", (end - start) >> PAGE_SHIFT);
	if ((newflags & VM_ACCOUNT) && !(vma->vm_flags & VM_ACCOUNT) &&
	    (err = vm_charge(mm, newflags, (long)((end - start) >> PAGE_SHIFT))) != 0)
		return err;
	if (start > vma->vm_start && (err = split_vma(vma, start, true)) != 0)
		return err;
	if (end < vma->vm_end && (err = split_vma(vma, end, false)) != 0)
		return err;
	struct prot_ctx c = { vma, vma->vm_flags };
	vma_start_write(vma);
	vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
	vm_flags_reset(vma, newflags);
	vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
	vma_set_page_prot(vma);
	walk_ptes_locked(mm, vma->vm_start, vma->vm_end, false, change_one, &c);
	flush_tlb_range(vma, vma->vm_start, vma->vm_end);
	vma_try_merge(vma);
	return 0;
}

int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, int prot)
{
	unsigned long end, addr;

	/*
	 * do_mprotect_pkey()'s order: alignment, a zero length (0, whatever
	 * the bits), then the rounded range (a length that rounds up past the
	 * top, to 0 included, is ENOMEM), then the bits.
	 */
	if (start & ~PAGE_MASK)
		return kmm_set_error(-EINVAL, "mprotect: address 0x%lx is not page aligned", start);
	if (!len)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if (end <= start)
		return kmm_set_error(-ENOMEM, "mprotect: range wraps");
	if (prot & ~(KMM_PROT_READ | KMM_PROT_WRITE | KMM_PROT_EXEC))
		return kmm_set_error(-EINVAL, "mprotect: unknown PROT_ bits 0x%x", prot);
	/*
	 * As do_mprotect_pkey(): the range must start inside a VMA (else ENOMEM,
	 * nothing changed); then VMA by VMA, each checked (EACCES) and changed
	 * in turn, so a hole (ENOMEM) or a VMA that may not be made writable
	 * (EACCES) stops the walk with the VMAs before it changed.
	 */
	struct vm_area_struct *vma = find_vma(mm, start);
	if (!vma || vma->vm_start > start)
		return kmm_set_error(-ENOMEM, "mprotect: 0x%lx is not mapped", start);
	for (addr = start; addr < end;) {
		unsigned long newflags = vma->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC);
		unsigned long s = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long e = end < vma->vm_end ? end : vma->vm_end;
		if ((prot & KMM_PROT_WRITE) && !(vma->vm_flags & VM_MAYWRITE))
			return kmm_set_error(-EACCES, "mprotect: mapping at 0x%lx may not be made writable",
					     vma->vm_start);
		if (prot & KMM_PROT_READ)
			newflags |= VM_READ;
		if (prot & KMM_PROT_WRITE)
			newflags |= VM_WRITE;
		if (prot & KMM_PROT_EXEC)
			newflags |= VM_EXEC;
		if ((newflags & (VM_WRITE | VM_SHARED | VM_NORESERVE)) == VM_WRITE)
			newflags |= VM_ACCOUNT;
		int err = mprotect_fixup(vma, s, e, newflags);
		if (err)
			return err;
		addr = e;
		/* by address: the fixup may have merged this VMA with the next */
		if (addr < end && (!(vma = find_vma(mm, addr)) || vma->vm_start > addr))
			return kmm_set_error(-ENOMEM, "mprotect: 0x%lx is not mapped", addr);
	}
	return 0;
}
