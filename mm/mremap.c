// SPDX-License-Identifier: MIT
/*
 * mm/mremap.c - resize or move a mapping.
 *
 * Linux counterpart: mm/mremap.c (do_mremap / SYSCALL mremap, vma_to_resize,
 * move_vma, move_page_tables, mremap_to). Kept: shrinking unmaps the tail;
 * growing in place when the room after the VMA is free (then the VMA merges
 * with a compatible neighbour it now touches); otherwise MREMAP_MAYMOVE moves
 * the VMA and its page-table entries (frames are not copied; vm_pgoff is kept
 * so the reverse map still finds every page); MREMAP_FIXED moves to a given
 * address after unmapping what was there. EFAULT when the old range is not
 * one VMA, ENOMEM when it cannot grow and may not move.
 * Growth is held to RLIMIT_MEMLOCK (a locked mapping: EAGAIN), then RLIMIT_AS
 * and RLIMIT_DATA (may_expand_vm: ENOMEM), as vma_to_resize() holds it.
 * Simplified: MREMAP_DONTUNMAP is refused (EINVAL). With MREMAP_FIXED Linux
 * unmaps the target before vma_to_resize()'s limit checks, so a move refused
 * for a limit has already unmapped it; kmm checks the limits first and a
 * refused move leaves the target mapped (kmm's rule: an error changes
 * nothing; the errno is Linux's).
 *
 * Locking: mmap_write_lock() held by the caller; the VMA is write-locked
 * before it changes, each entry moves under its old table's PTE lock and
 * then its new table's (nested).
 */
#include <errno.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

struct move_ctx {
	struct mm_struct *mm;
	unsigned long delta;	/* new - old, modulo 2^64 */
	int err;
};

static int move_one(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct move_ctx *c = arg;
	/*
	 * No allocation here, under the old table's PTE lock: installing a
	 * missing table takes mm->page_table_lock, which free_level() takes
	 * before a PTE lock (docs/locking.md), so an install here would nest
	 * the two the wrong way round. move_vma() made every table of the
	 * target beforehand, and nothing frees one while we hold mmap_lock
	 * for write (Linux's move_page_tables() allocates before it locks,
	 * too): a missing one is a bug.
	 */
	void *dst = pgtable_walk(&c->mm->pgt, va + c->delta, false, NULL);

	VM_BUG_ON(!dst);
	if (!dst) {
		c->err = -ENOMEM;
		return 1;
	}
	/*
	 * move_ptes(): the new table's lock nests inside the old one's (Linux's
	 * SINGLE_DEPTH_NESTING); both tables may be one. Nobody else holds two
	 * PTE locks of this mm: fork and mremap hold its mmap_lock for write.
	 */
	spinlock_t *old_ptl = pte_lockptr(c->mm, slot), *new_ptl = pte_lockptr(c->mm, dst);

	if (new_ptl != old_ptl)
		spin_lock(new_ptl);
	pte_set(&c->mm->pgt, dst, pte_xchg(&c->mm->pgt, slot, 0));
	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	return 0;
}

/* move_vma(): @vma covers exactly [old, old+old_len); it moves to @new_addr with @new_len. */
static long move_vma(struct vm_area_struct *vma, unsigned long old, unsigned long old_len,
		     unsigned long new_addr, unsigned long new_len)
{
	struct mm_struct *mm = vma->vm_mm;
	struct move_ctx c = { mm, new_addr - old, 0 };

	/* Pre-allocate the tables of the target so the move itself cannot fail halfway. */
	for (unsigned long a = new_addr; a < new_addr + old_len; a += PAGE_SIZE) {
		int err;
		if (!pgtable_walk(&mm->pgt, a, true, &err))
			return kmm_set_error(-ENOMEM, "mremap: out of memory for page tables");
	}
	/* And the tree's nodes (vma_iter_prealloc()): vma_insert() below cannot fail. */
	if (vma_tree_prealloc(mm))
		return -ENOMEM;
	vma_start_write(vma);
	/*
	 * take_rmap_locks(): the entries move and the VMA follows them under
	 * the file's i_mmap_lock, so a walker of its VMAs (truncation's
	 * unmap_mapping_range) finds each entry where the VMA says.
	 */
	if (vma->vm_file)
		sim_write_lock(&vma->vm_file->i_mmap_lock);
	walk_ptes_locked(mm, old, old + old_len, true, move_one, &c);
	if (!c.err) {
		flush_tlb_range(vma, old, old + old_len);
		vma_remove(mm, vma);
		vma->vm_start = new_addr;
		vma->vm_end = new_addr + new_len;
		vma_insert(mm, vma);
	}
	if (vma->vm_file)
		sim_write_unlock(&vma->vm_file->i_mmap_lock);
	if (c.err)
		return c.err;
	vm_stat_account(mm, vma->vm_flags, (long)((new_len - old_len) >> PAGE_SHIFT));
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += (new_len - old_len) >> PAGE_SHIFT;
	free_pgtables_range(mm, old, old + old_len, 0, 0);
	vma_try_merge(vma);
	update_hiwater(mm);
	return (long)new_addr;
}

long do_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
	       unsigned long new_len, int flags, unsigned long new_addr)
{
	struct vm_area_struct *vma;
	int err;

	if (flags & ~(KMM_MREMAP_MAYMOVE | KMM_MREMAP_FIXED | KMM_MREMAP_DONTUNMAP))
		return kmm_set_error(-EINVAL, "mremap: unknown flags 0x%x", flags);
	if (flags & KMM_MREMAP_DONTUNMAP)
		return kmm_set_error(-EINVAL, "mremap: MREMAP_DONTUNMAP is not supported by kmm");
	if ((flags & KMM_MREMAP_FIXED) && !(flags & KMM_MREMAP_MAYMOVE))
		return kmm_set_error(-EINVAL, "mremap: MREMAP_FIXED needs MREMAP_MAYMOVE");
	if (addr & ~PAGE_MASK)
		return kmm_set_error(-EINVAL, "mremap: address 0x%lx is not page aligned", addr);
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!new_len || !old_len)
		return kmm_set_error(-EINVAL, "mremap: zero length");
	if (new_len > mm->task_size)
		return kmm_set_error(-ENOMEM, "mremap: new length too large");
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || addr + old_len > vma->vm_end)
		return kmm_set_error(-EFAULT, "mremap: [0x%lx, 0x%lx) is not inside one mapping", addr,
				     addr + old_len);
	/* resize_is_valid(): a locked mapping grows within RLIMIT_MEMLOCK */
	if (new_len > old_len && !mlock_future_ok(mm, vma->vm_flags, new_len - old_len))
		return kmm_set_error(-EAGAIN, "mremap: growing a locked mapping by 0x%lx bytes would pass "
				     "RLIMIT_MEMLOCK (%llu bytes)", new_len - old_len,
				     (unsigned long long)rlimit(KMM_RLIMIT_MEMLOCK));
	/* ... and within RLIMIT_AS and, for data, RLIMIT_DATA (may_expand_vm) */
	if (new_len > old_len && !may_expand_vm(mm, vma->vm_flags, (new_len - old_len) >> PAGE_SHIFT))
		return expand_vm_error(mm, "mremap", (new_len - old_len) >> PAGE_SHIFT);
	if (flags & KMM_MREMAP_FIXED) {
		if ((new_addr & ~PAGE_MASK) || new_addr + new_len > mm->task_size ||
		    (new_addr < addr + old_len && addr < new_addr + new_len))
			return kmm_set_error(-EINVAL, "mremap: bad MREMAP_FIXED target 0x%lx", new_addr);
		if ((err = do_munmap(mm, new_addr, new_len)) != 0)
			return err;
		vma = find_vma(mm, addr);
		goto move;
	}
	if (new_len <= old_len) {
		if (new_len < old_len && (err = do_munmap(mm, addr + new_len, old_len - new_len)) != 0)
			return err;
		return (long)addr;
	}
	/* Grow in place? */
	if (addr + old_len == vma->vm_end && !(vma->vm_flags & VM_DONTEXPAND)) {
		struct vm_area_struct *next = find_vma(mm, vma->vm_end);
		unsigned long want = addr + new_len;
		if (want <= mm->task_size && (!next || want <= vm_start_gap(next))) {
			unsigned long grow = (want - vma->vm_end) >> PAGE_SHIFT;
			if ((err = vm_charge(mm, vma->vm_flags, (long)grow)) != 0)
				return err;
			/* A shared anonymous object keeps its size: the grown part is past
			   its end and faults with SIGBUS, as on Linux. */
			vma_start_write(vma);
			if (vma->vm_file)	/* vma_prepare(): under the file's i_mmap_lock */
				sim_write_lock(&vma->vm_file->i_mmap_lock);
			vma->vm_end = want;
			if (vma->vm_file)
				sim_write_unlock(&vma->vm_file->i_mmap_lock);
			vma_adjust_tree(vma);
			vm_stat_account(mm, vma->vm_flags, (long)grow);
			if (vma->vm_flags & VM_LOCKED) {
				mm->locked_vm += grow;
				populate_vma_page_range(vma, want - (grow << PAGE_SHIFT), want);
			}
			vma_try_merge(vma);
			update_hiwater(mm);
			return (long)addr;
		}
	}
	if (!(flags & KMM_MREMAP_MAYMOVE))
		return kmm_set_error(-ENOMEM, "mremap: cannot grow in place and MREMAP_MAYMOVE is not set");
	if (vma->vm_flags & VM_DONTEXPAND)
		return kmm_set_error(-EFAULT, "mremap: this mapping cannot be expanded");
	new_addr = get_unmapped_area(mm, 0, new_len, 0);
	if ((long)new_addr < 0)
		return kmm_set_error(-ENOMEM, "mremap: no room for 0x%lx bytes", new_len);
move:
	if (new_len > old_len && (err = vm_charge(mm, vma->vm_flags, (long)((new_len - old_len) >> PAGE_SHIFT))) != 0)
		return err;
	/* Carve [addr, addr+old_len) out as its own VMA, then move it. */
	if (vma->vm_start < addr && (err = split_vma(vma, addr, true)) != 0)
		return err;
	if (vma->vm_end > addr + old_len && (err = split_vma(vma, addr + old_len, false)) != 0)
		return err;
	if (new_len < old_len) {
		if ((err = do_munmap(mm, addr + new_len, old_len - new_len)) != 0)
			return err;
		vma = find_vma(mm, addr);
		old_len = new_len;
	}
	return move_vma(vma, addr, old_len, new_addr, new_len);
}
