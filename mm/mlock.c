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
 * and the pages after the failure stay out. Kept too: mlock2's
 * MLOCK_ONFAULT (VM_LOCKONFAULT: present pages locked, the rest as they
 * fault), and RLIMIT_MEMLOCK with CAP_IPC_LOCK as can_do_mlock() and
 * do_mlock() apply them: EPERM for a limit of 0 without the capability,
 * ENOMEM when the locked total would pass the limit (the range's part
 * locked already counted once), nothing changed; mlockall's MCL_CURRENT
 * weighs the whole address space (total_vm) against it.
 *
 * Locking: mmap_write_lock() held by the caller (page_mapped_locked() walks
 * the reverse map under its own locks); the VMA is write-locked before its
 * flags change. PG_mlocked changes by atomic read-modify-writes of
 * page->flags only, with no lock: munlock_page() says how two processes
 * that change their locked mappings of one page at once stay exact.
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

/* ---- PG_mlocked and NR_MLOCK ---- */

/*
 * PG_mlocked changes only by these read-modify-writes of page->flags, each
 * acq_rel (Linux's folio_test_set_mlocked() / folio_test_clear_mlocked():
 * atomic bit operations), so of two threads that set it, or clear it, at
 * once exactly one sees the change and counts it in NR_MLOCK.
 */
static bool mlocked_test_and_set(struct page *page)
{
	return (__atomic_fetch_or(&page->flags, 1UL << PG_mlocked, __ATOMIC_ACQ_REL) >> PG_mlocked) & 1;
}

static bool mlocked_test_and_clear(struct page *page)
{
	return (__atomic_fetch_and(&page->flags, ~(1UL << PG_mlocked), __ATOMIC_ACQ_REL) >> PG_mlocked) & 1;
}

/* PG_mlocked read by a read-modify-write that changes nothing: see munlock_page(). */
static bool mlocked_test_ordered(struct page *page)
{
	return (__atomic_fetch_add(&page->flags, 0UL, __ATOMIC_ACQ_REL) >> PG_mlocked) & 1;
}

static void mlocked_account(struct page *page, bool locked)
{
	mod_zone_page_state(page_zone(page), NR_MLOCK, locked ? 1 : -1);
	count_vm_event(page_machine(page), locked ? UNEVICTABLE_PGMLOCKED : UNEVICTABLE_PGMUNLOCKED);
	if (locked)
		mlock_folio_lru(page);
	else
		munlock_folio_lru(page);
}

void mlock_page(struct page *page)
{
	if (!mlocked_test_and_set(page))
		mlocked_account(page, true);
}

bool page_clear_mlocked(struct page *page)
{
	if (!mlocked_test_and_clear(page))
		return false;
	mlocked_account(page, false);
	return true;
}

/*
 * munlock_page() - a mapping of @page that was VM_LOCKED went (its VMA was
 * munlocked, or its entry zapped): PG_mlocked follows what the reverse map
 * now says.
 *
 * Linux counts a page's locked mappings (mlock_count, under the LRU lock;
 * it may undercount, and reclaim sets PG_mlocked again on a page that lost
 * it). kmm keeps PG_mlocked exact - set if and only if a VM_LOCKED VMA maps
 * the page, which the checker holds - and walks the reverse map to learn
 * it, outside the page-table lock. Two processes may change their locked
 * mappings of one shared page at once, so a walk can be stale by the time
 * its answer is written: after writing it, walk again, until a walk agrees
 * with what was written. Why that ends right: every change of the answer
 * (a VMA locked or unlocked, a locked entry made or zapped) is followed by
 * its maker's read-modify-write of page->flags (mlock_page(), or this
 * function's first test), and all of them are acq_rel on one word. So the
 * walk after the last of them in that word's order sees every change, and
 * the thread that made the last one stops only when that walk agrees with
 * the flag. (mlock_page() needs no walk: its caller's own locked mapping is
 * there while it runs, held by the page-table lock or the VMA lock.)
 * Context: no page-table lock (the walk takes the reverse map's locks).
 */
void munlock_page(struct page *page)
{
	if (!mlocked_test_ordered(page))
		return;
	bool locked = page_mapped_locked(page);
	for (;;) {
		if (locked)
			mlock_page(page);
		else
			page_clear_mlocked(page);
		bool now = page_mapped_locked(page);
		if (now == locked)
			return;
		locked = now;
	}
}

/*
 * One present entry of a VMA whose VM_LOCKED just changed. The entry was
 * read without the page-table lock: look again under it, as Linux's
 * mlock_pte_range() walks under it. Locking: reclaim's unmap_one() reads
 * VM_LOCKED under that lock too, so either it zapped the entry before (the
 * page is not ours to lock) or it sees VM_LOCKED and leaves the entry. An
 * unlock holds a reference instead, for munlock_page()'s walk outside the
 * lock: the VMA is no longer locked, and reclaim may unmap and free the
 * page meanwhile.
 */
static int mlock_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct vm_area_struct *vma = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;

	if (!pte_present(v) || !(page = vm_normal_page(vma, (unsigned long)va, v)))
		return 0;
	spinlock_t *ptl = pte_lockptr(mm, slot);	/* (mmap_write_lock keeps the table) */

	spin_lock(ptl);
	pteval_t now = pte_get(&mm->pgt, slot);
	if (!pte_present(now) || pte_pfn_geo(mm->pgt.geo, now) != pte_pfn_geo(mm->pgt.geo, v)) {
		spin_unlock(ptl);
		return 0;
	}
	if (vma->vm_flags & VM_LOCKED) {
		mlock_page(page);
		spin_unlock(ptl);
		return 0;
	}
	get_page(page);		/* the entry holds one: not speculative */
	spin_unlock(ptl);
	munlock_page(page);
	put_user_page_ref(page);
	return 0;
}

/*
 * mlock_fixup(): [@start, @end) of @vma gets @newflags' VM_LOCKED and
 * VM_LOCKONFAULT, split off first; locked_vm (VmLck) counts it once;
 * the pages mapped now are locked or unlocked when VM_LOCKED changes
 * (mlock_vma_pages_range(); the fault path locks the rest). A VM_SPECIAL
 * VMA is left as it is, silently, as Linux does. Context: mmap_write_lock.
 * Return: 0, or split_vma()'s error.
 */
static int mlock_fixup(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end, unsigned long newflags)
{
	unsigned long oldflags = vma->vm_flags;
	int err;

	if (newflags == oldflags || (oldflags & VM_SPECIAL))
		return 0;
	if (start > vma->vm_start && (err = split_vma(vma, start, true)) != 0)
		return err;
	if (end < vma->vm_end && (err = split_vma(vma, end, false)) != 0)
		return err;
	if (!(newflags & VM_LOCKED))
		mm->locked_vm -= vma_pages(vma);
	else if (!(oldflags & VM_LOCKED))
		mm->locked_vm += vma_pages(vma);
	vma_start_write(vma);
	vm_flags_reset(vma, newflags);
	if ((newflags ^ oldflags) & VM_LOCKED)
		pgtable_for_each_leaf(&mm->pgt, vma->vm_start, vma->vm_end, false, mlock_pte, vma);
	vma_try_merge(vma);
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

/* ---- RLIMIT_MEMLOCK and CAP_IPC_LOCK ---- */

bool can_do_mlock(void)
{
	return rlimit(KMM_RLIMIT_MEMLOCK) != 0 || capable(KMM_CAP_IPC_LOCK);
}

/*
 * count_mm_mlocked_page_nr(): pages of [@start, @start + @len) that VM_LOCKED
 * VMAs (VM_LOCKONFAULT ones too) map now - counted in locked_vm already, so
 * an mlock over them must not count them again.
 */
static unsigned long count_mm_mlocked_page_nr(struct mm_struct *mm, unsigned long start,
					      unsigned long len)
{
	unsigned long end = len > ~0UL - start ? ~0UL : start + len, count = 0;
	struct vm_area_struct *vma;

	for (unsigned long addr = start; addr < end && (vma = find_vma(mm, addr)) != NULL;) {
		if (vma->vm_start >= end)
			break;
		if (vma->vm_flags & VM_LOCKED)
			count += KMM_MIN(end, vma->vm_end) - KMM_MAX(start, vma->vm_start);
		addr = vma->vm_end;
	}
	return count >> PAGE_SHIFT;
}

/*
 * do_mlock()'s limit: the pages locked after it (locked_vm + the range,
 * less the range's pages locked already) may not pass RLIMIT_MEMLOCK
 * without CAP_IPC_LOCK. Return: 0 or -ENOMEM.
 */
static int mlock_limit_ok(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	uint64_t limit = rlimit(KMM_RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long locked = (len >> PAGE_SHIFT) + mm->locked_vm;

	if (locked <= limit || capable(KMM_CAP_IPC_LOCK))
		return 0;
	locked -= count_mm_mlocked_page_nr(mm, start, len);
	if (locked <= limit)
		return 0;
	return kmm_set_error(-ENOMEM, "mlock: %lu pages would be locked, past RLIMIT_MEMLOCK "
			     "(%llu bytes), and the process lacks CAP_IPC_LOCK", locked,
			     (unsigned long long)rlimit(KMM_RLIMIT_MEMLOCK));
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

int do_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long flags)
{
	bool lock = flags & VM_LOCKED;
	unsigned long end, addr;
	int err;

	/* mlock and mlock2 (not munlock): the capability and the limit first, as Linux */
	if (lock && !can_do_mlock())
		return kmm_set_error(-EPERM, "mlock: RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK");
	len = ALIGN_UP(len + (start & ~PAGE_MASK), PAGE_SIZE);
	start &= PAGE_MASK;
	if (lock && (err = mlock_limit_ok(mm, start, len)) != 0)
		return err;
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
		/* apply_vma_lock_flags(): both flags replaced (mlock of an on-fault range faults it in) */
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | (flags & VM_LOCKED_MASK);

		addr = e;
		if ((err = mlock_fixup(mm, vma, s, e, newflags)) != 0)
			return err;
	}
	if (!lock)
		return 0;
	/*
	 * Then the whole range is faulted in, VMAs that were locked already too
	 * (populate_vma_page_range() leaves a VM_LOCKONFAULT VMA as it is).
	 */
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

/* ---- mlockall / munlockall ---- */

/*
 * apply_mlockall_flags(): MCL_FUTURE puts VM_LOCKED (and with MCL_ONFAULT
 * VM_LOCKONFAULT) into mm->def_flags, which every later mmap and brk take;
 * without it they leave def_flags. MCL_CURRENT locks every VMA now (with
 * MCL_ONFAULT on fault), errors ignored; @flags 0 (munlockall) unlocks
 * every VMA. Flags do not stack: a second call replaces the first's.
 */
static void apply_mlockall_flags(struct mm_struct *mm, int flags)
{
	unsigned long to_add = 0;
	struct vm_area_struct *vma;

	mm->def_flags &= ~VM_LOCKED_MASK;
	if (flags & KMM_MCL_FUTURE) {
		mm->def_flags |= VM_LOCKED;
		if (flags & KMM_MCL_ONFAULT)
			mm->def_flags |= VM_LOCKONFAULT;
		if (!(flags & KMM_MCL_CURRENT))
			return;
	}
	if (flags & KMM_MCL_CURRENT)
		to_add = VM_LOCKED | ((flags & KMM_MCL_ONFAULT) ? VM_LOCKONFAULT : 0);
	for (unsigned long addr = 0; (vma = find_vma(mm, addr)) != NULL;) {
		addr = vma->vm_end;	/* (a merge may free @vma: its end is read first) */
		(void)mlock_fixup(mm, vma, vma->vm_start, vma->vm_end,
				  (vma->vm_flags & ~VM_LOCKED_MASK) | to_add);
	}
}

int do_mlockall(struct mm_struct *mm, int flags)
{
	if (!flags || (flags & ~(KMM_MCL_CURRENT | KMM_MCL_FUTURE | KMM_MCL_ONFAULT)) ||
	    flags == KMM_MCL_ONFAULT)
		return kmm_set_error(-EINVAL, "mlockall: flags %#x: MCL_CURRENT, MCL_FUTURE or both, "
				     "each with MCL_ONFAULT or not", (unsigned)flags);
	if (!can_do_mlock())
		return kmm_set_error(-EPERM, "mlockall: RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK");
	/* MCL_CURRENT: the whole address space, locked or not, against the limit */
	uint64_t limit = rlimit(KMM_RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long total = mm_total_vm(mm);
	if ((flags & KMM_MCL_CURRENT) && total > limit && !capable(KMM_CAP_IPC_LOCK))
		return kmm_set_error(-ENOMEM, "mlockall: MCL_CURRENT: the address space (%lu pages) is past "
				     "RLIMIT_MEMLOCK (%llu bytes) and the process lacks CAP_IPC_LOCK", total,
				     (unsigned long long)rlimit(KMM_RLIMIT_MEMLOCK));
	apply_mlockall_flags(mm, flags);
	if (flags & KMM_MCL_CURRENT) {
		/* mm_populate(0, TASK_SIZE): every VMA, errors ignored (VM_LOCKONFAULT ones fault later) */
		struct vm_area_struct *vma;
		for (unsigned long addr = 0; (vma = find_vma(mm, addr)) != NULL;) {
			addr = vma->vm_end;
			if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)))
				(void)populate_vma_page_range(vma, vma->vm_start, vma->vm_end);
		}
	}
	return 0;
}

void do_munlockall(struct mm_struct *mm)
{
	apply_mlockall_flags(mm, 0);
}
