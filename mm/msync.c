// SPDX-License-Identifier: MIT
/*
 * mm/msync.c - msync() and mincore(): a mapping's file pages written back,
 * and which pages of a range are resident.
 *
 * Linux counterpart: mm/msync.c (sys_msync), mm/mincore.c (sys_mincore,
 * mincore_page, mincore_pte_range).
 * Kept: MS_SYNC writes the dirty pages of every shared file mapping in the
 * range (vfs_fsync_range over the file range it maps); MS_ASYNC does nothing
 * (Linux's since 2.6.19: dirty pages are already tracked); MS_INVALIDATE is
 * accepted; ENOMEM when part of the range is unmapped; EINVAL for an
 * unaligned start or unknown flags. mincore: a present PTE is resident; a
 * file mapping's missing PTE asks the page cache (so pages another process
 * or read() brought in count); an anonymous hole or a swap entry is not.
 * Simplified: a swapped-out page in the swap cache is reported not resident.
 *
 * Events: each call is its body (__do_sys_NAME) between trace_sys_enter()
 * and trace_sys_exit(), as mm/mmap.c's.
 *
 * Locking: mmap_read_lock() while the VMAs are read; the writeback runs with
 * no mmap_lock held (a reference on each file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/fs.h"
#include "include/kmm/trace.h"
#include "mm/include/events.h"
#include "mm/include/filemap.h"
#include "mm/include/swap.h"
#include "mm/include/mm.h"
#include "mm/internal.h"

struct sync_range {
	struct kmm_file *f;
	uint64_t start, end;	/* bytes of the file, inclusive */
};

static int __do_sys_msync(struct task_struct *t, uint64_t addr, uint64_t len, int flags)
{
	struct kmm_machine *m = t ? t->machine : NULL;
	struct sync_range *r = NULL;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE), at = addr;
	int n = 0, cap = 0, err = 0, token;

	if ((flags & ~(KMM_MS_ASYNC | KMM_MS_INVALIDATE | KMM_MS_SYNC)) ||
	    ((flags & KMM_MS_ASYNC) && (flags & KMM_MS_SYNC)) || (addr & (PAGE_SIZE - 1)))
		return kmm_set_error(-EINVAL, "msync: bad flags 0x%x or an unaligned start", flags);
	if (end < addr)		/* as sys_msync; a length that rounds up to 0 is 0 bytes there too */
		return kmm_set_error(-ENOMEM, "msync: %#llx + %#llx wraps past the address space",
				     (unsigned long long)addr, (unsigned long long)len);
	if (!m || !kmm_task_alive(t))
		return kmm_set_error(-ESRCH, "msync: no such process");
	token = procs_enter(m);
	if (!(mm = get_task_mm(t))) {
		procs_exit(m, token);
		return kmm_set_error(-ESRCH, "msync: the process is dead");
	}
	mmap_read_lock(mm);
	VMA_ITERATOR(vmi, mm, (unsigned long)addr);
	while (at < end) {
		vma = vma_next(&vmi);
		if (!vma || vma->vm_start > at) {
			err = kmm_set_error(-ENOMEM, "msync: %#llx is not mapped", (unsigned long long)at);
			break;
		}
		uint64_t lo = KMM_MAX(at, (uint64_t)vma->vm_start), hi = KMM_MIN(end, (uint64_t)vma->vm_end);
		if ((flags & KMM_MS_SYNC) && vma->vm_file && (vma->vm_flags & VM_SHARED)) {
			if (n == cap) {
				void *q = realloc(r, (size_t)(cap = cap ? 2 * cap : 8) * sizeof(*r));
				if (!q) {
					err = -ENOMEM;
					break;
				}
				r = q;
			}
			r[n].f = vma->vm_file;
			kmm_file_get(r[n].f);
			r[n].start = ((uint64_t)vma->vm_pgoff << PAGE_SHIFT) + (lo - vma->vm_start);
			r[n].end = r[n].start + (hi - lo) - 1;
			n++;
		}
		at = hi;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	for (int i = 0; i < n; i++) {
		int e = err ? 0 : filemap_write_and_wait_range(r[i].f, r[i].start, r[i].end);
		if (e && !err)
			err = kmm_set_error(e, "msync: writing %s failed", r[i].f->path);
		kmm_file_put(m, r[i].f);
	}
	free(r);
	procs_exit(m, token);
	return err;
}

static int __do_sys_mincore(struct task_struct *t, uint64_t addr, uint64_t len, unsigned char *vec)
{
	struct kmm_machine *m = t ? t->machine : NULL;
	struct mm_struct *mm;
	/* as sys_mincore: not ALIGN_UP(len), which wraps to 0 pages near 2^64 */
	uint64_t pages = (len >> PAGE_SHIFT) + ((len & (PAGE_SIZE - 1)) != 0);
	int err = 0, token;

	if (addr & (PAGE_SIZE - 1))
		return kmm_set_error(-EINVAL, "mincore: %#llx is not page aligned", (unsigned long long)addr);
	if (!m || !kmm_task_alive(t))
		return kmm_set_error(-ESRCH, "mincore: no such process");
	token = procs_enter(m);
	if (!(mm = get_task_mm(t))) {
		procs_exit(m, token);
		return kmm_set_error(-ESRCH, "mincore: the process is dead");
	}
	/* access_ok(start, len): a range past the user address space is -ENOMEM */
	if (addr + len < addr || addr + len > mm->task_size) {
		mmput(mm);
		procs_exit(m, token);
		return kmm_set_error(-ENOMEM, "mincore: %#llx + %#llx is past the user address space",
				     (unsigned long long)addr, (unsigned long long)len);
	}
	mmap_read_lock(mm);
	for (uint64_t i = 0; i < pages; i++) {
		unsigned long va = (unsigned long)(addr + (i << PAGE_SHIFT));
		struct vm_area_struct *vma = find_vma(mm, va);
		if (!vma || vma->vm_start > va) {
			err = kmm_set_error(-ENOMEM, "mincore: %#lx is not mapped", va);
			break;
		}
		void *slot = pgtable_walk(&mm->pgt, va, false, NULL);
		pteval_t pte = slot ? pte_get(&mm->pgt, slot) : 0;
		if (pte_present(pte))
			vec[i] = 1;
		else if (pte_none(pte) && vma->vm_file) {
			/* mincore_page(): is the file page cached? */
			unsigned char c = 0;
			unsigned long idx = linear_page_index(vma, va);
			if ((uint64_t)idx < DIV_ROUND_UP(i_size_read(vma->vm_file), PAGE_SIZE)) {
				spin_lock(&vma->vm_file->i_pages_lock);
				c = xa_load(&vma->vm_file->i_pages, idx) != NULL;
				spin_unlock(&vma->vm_file->i_pages_lock);
				if (!c)		/* a shmem page on swap: in core if the swap cache has it */
					c = shmem_incore(vma->vm_file, idx);
			}
			vec[i] = c;
		} else {
			vec[i] = 0;
		}
	}
	mmap_read_unlock(mm);
	mmput(mm);
	procs_exit(m, token);
	return err;
}

int kmm_msync(struct task_struct *t, uint64_t addr, uint64_t len, int flags)
{
	struct kmm_machine *m = t ? t->machine : NULL;
	int r;

	if (m)
		trace_sys_enter(m, kmm_task_pid(t), KMM_SYS_MSYNC, addr, len, (uint64_t)flags);
	r = __do_sys_msync(t, addr, len, flags);
	if (m)
		trace_sys_exit(m, KMM_SYS_MSYNC, r);
	return r;
}

int kmm_mincore(struct task_struct *t, uint64_t addr, uint64_t len, unsigned char *vec)
{
	struct kmm_machine *m = t ? t->machine : NULL;
	int r;

	if (m)
		trace_sys_enter(m, kmm_task_pid(t), KMM_SYS_MINCORE, addr, len, 0);
	r = __do_sys_mincore(t, addr, len, vec);
	if (m)
		trace_sys_exit(m, KMM_SYS_MINCORE, r);
	return r;
}
