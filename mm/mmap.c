// SPDX-License-Identifier: MIT
/*
 * mm/mmap.c - address spaces and their VMAs: split and merge, the
 * unmapped-area search, mmap, munmap, brk, stack growth; the files that
 * mappings use; mm_struct itself.
 *
 * Linux counterpart: mm/mmap.c, mm/vma.c, mm/util.c (vm_stat_account parts),
 * kernel/fork.c (mm_alloc). Kept: vm_flags, protection_map, the merge rules
 * (same flags, file, compatible anon_vma, contiguous pgoff, no VM_SPECIAL),
 * top-down allocation below mmap_base, the stack guard gap in placement, stack
 * growth and brk, the total/data/exec/stack/locked accounting, and the
 * limits on them as 6.12 applies them: may_expand_vm() (RLIMIT_AS on
 * total_vm, RLIMIT_DATA on data_vm, the ignore_rlimit_data boot option and
 * its warning), brk's check_data_rlimit(), RLIMIT_STACK at stack growth,
 * RLIMIT_MEMLOCK (mlock_future_ok), and the mmap layout from the stack
 * limit exec reads (arch_pick_mmap_layout).
 * Simplified: the VMA tree is mm/vma.c's rbtree. The commit charge is
 * counted here (vm_stat_account, shmem_charge); whether it may be made is
 * the overcommit policy's call (vm_charge asks mm/util.c through
 * procs->vm_enough_memory).
 *
 * Invariant: see mm/include/mm.h.
 * Locking: every system call runs inside procs_enter() with mmap_write_lock();
 * a VMA is write-locked (vma_start_write) before it changes, so faults that
 * hold only its read lock never see it half-changed.
 *
 * Events: each system call (kmm_mmap ... kmm_munlock) is its Linux body
 * (__do_sys_NAME) between trace_sys_enter() and trace_sys_exit() on the
 * machine's stream (mm/events.c), which also charge its virtual time.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/include/vmstat.h"
#include "mm/internal.h"

/* ---- Files ---- */

struct kmm_file *kmm_file_create(struct kmm_machine *m, const char *path, uint64_t size, bool shmem)
{
	struct kmm_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->shmem = shmem;
	f->size = size;
	f->ino = atomic_fetch_add(&procs_of(m)->next_ino, 1) + 1;
	atomic_init(&f->refcount, 1);
	sim_rwlock_init(&f->i_mmap_lock);
	INIT_LIST_HEAD(&f->i_mmap);
	mapping_init(m, f);		/* the page cache (mm/filemap.c) */
	return f;
}

void shmem_charge(struct kmm_machine *m, struct kmm_file *f, long pages)
{
	struct kmm_procs *p = procs_of(m);

	f->committed = (unsigned long)((long)f->committed + pages);
	atomic_fetch_add(&p->shmem_committed, pages);
	atomic_fetch_add(&p->committed_pages, pages);
}

void kmm_file_get(struct kmm_file *f)
{
	atomic_fetch_add_explicit(&f->refcount, 1, memory_order_relaxed);
}

/* The last reference drops the page cache with the file (see mm.h). */
void kmm_file_put(struct kmm_machine *m, struct kmm_file *f)
{
	if (!f || atomic_fetch_sub_explicit(&f->refcount, 1, memory_order_acq_rel) != 1)
		return;
	if (f->committed)
		shmem_charge(m, f, -(long)f->committed);	/* shmem_unacct_size() */
	truncate_inode_pages_final(m, f);	/* pages, then the filesystem's release */
	sim_rwlock_destroy(&f->i_mmap_lock);
	sim_rwlock_destroy(&f->i_rwsem);
	sim_rwlock_destroy(&f->invalidate_lock);
	free(f);
}

/* ---- VMAs ---- */

/* From the vm_area_struct cache (process_init), zeroed. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_zalloc(procs_of(mm->m)->vm_area_cachep, GFP_KERNEL);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->anon_vma_node);
	INIT_LIST_HEAD(&vma->shared_node);
	atomic_init(&vma->vm_lock, 0);
	atomic_init(&vma->vm_lock_seq, -1);
	return vma;
}

void vm_area_free(struct vm_area_struct *vma)
{
	anon_vma_unlink(vma);
	if (vma->vm_file) {
		sim_write_lock(&vma->vm_file->i_mmap_lock);
		list_del(&vma->shared_node);
		sim_write_unlock(&vma->vm_file->i_mmap_lock);
		kmm_file_put(vma->vm_mm->m, vma->vm_file);
		vma->vm_file = NULL;
	}
	if (vma->linked)
		procs_defer_free_vma(vma);	/* a fault may still hold a pointer to it */
	else
		kmem_cache_free(procs_of(vma->vm_mm->m)->vm_area_cachep, vma);
}

/* protection_map[] of arch/x86/mm/pgprot.c, indexed by VM_READ|WRITE|EXEC|SHARED. */
pteval_t vm_get_page_prot(const struct kmm_machine *m, unsigned long vm_flags)
{
	static const pteval_t map[16] = {
		PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY,
		PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
		PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED,
		PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
	};
	pteval_t prot = map[vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)];

	if (!pgtable_geometry_of(m)->has_nx)
		prot &= ~_PAGE_NX;
	return prot;
}

/*
 * vma_wants_writenotify(), reduced: a shared mapping of a file with a
 * backing store maps its pages read-only, so the first store to each page
 * faults and dirties it (mm/page-writeback.c counts and writes it back).
 */
void vma_set_page_prot(struct vm_area_struct *vma)
{
	struct kmm_file *f = vma->vm_file;

	vma->vm_page_prot = vm_get_page_prot(vma->vm_mm->m, vma->vm_flags);
	if ((vma->vm_flags & VM_SHARED) && f && f->a_ops && !f->shmem)
		vma->vm_page_prot &= ~(pteval_t)_PAGE_RW;
}

/* vm_stat_account(): total, exec, stack and data pages of an mm, and its commit charge. */
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	__atomic_store_n(&mm->total_vm, mm->total_vm + (unsigned long)npages, __ATOMIC_RELAXED);
	if (flags & VM_ACCOUNT) {
		mm->committed_vm += (unsigned long)npages;
		atomic_fetch_add(&procs_of(mm->m)->committed_pages, npages);
	}
	if ((flags & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC)
		mm->exec_vm += (unsigned long)npages;
	else if (flags & VM_STACK)
		mm->stack_vm += (unsigned long)npages;
	else if ((flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		mm->data_vm += (unsigned long)npages;
}

int vm_charge(struct mm_struct *mm, unsigned long flags, long npages)
{
	struct kmm_procs *p = procs_of(mm->m);

	if (!(flags & VM_ACCOUNT) || npages <= 0 || !p->vm_enough_memory)
		return 0;
	if (p->vm_enough_memory(mm, npages))
		return kmm_set_error(-ENOMEM, "not enough memory to commit %ld more pages "
				     "(overcommit policy)", npages);
	return 0;
}

unsigned long kmm_committed_pages(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);
	long v = p ? atomic_load(&p->committed_pages) : 0;

	return v > 0 ? (unsigned long)v : 0;
}

/* *@p = max(*@p, @v), for maxima written by concurrent faults. */
static void atomic_max(unsigned long *p, unsigned long v)
{
	unsigned long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > old && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

void update_hiwater_rss(struct mm_struct *mm)
{
	atomic_max(&mm->hiwater_rss, get_mm_rss(mm));
}

void update_hiwater(struct mm_struct *mm)
{
	update_hiwater_rss(mm);
	atomic_max(&mm->hiwater_vm, mm_total_vm(mm));
}

static void vma_link_file(struct vm_area_struct *vma, struct kmm_file *file)
{
	vma->vm_file = file;
	if (file) {
		kmm_file_get(file);
		sim_write_lock(&file->i_mmap_lock);
		list_add_tail(&vma->shared_node, &file->i_mmap);
		sim_write_unlock(&file->i_mmap_lock);
	}
}

int split_vma(struct vm_area_struct *vma, unsigned long addr, bool new_below)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *n;

	if (addr <= vma->vm_start || addr >= vma->vm_end || (addr & ~PAGE_MASK))
		return -EINVAL;
	if (vma_tree_prealloc(mm))	/* vma_iter_prealloc(): vma_insert() below cannot fail */
		return -ENOMEM;
	vma_start_write(vma);
	n = vm_area_alloc(mm);
	if (!n)
		return -ENOMEM;
	n->vm_flags = vma->vm_flags;
	n->vm_page_prot = vma->vm_page_prot;
	n->kind = vma->kind;
	n->vm_pgoff = vma->vm_pgoff;
	if (new_below) {
		n->vm_start = vma->vm_start;
		n->vm_end = addr;
	} else {
		n->vm_start = addr;
		n->vm_end = vma->vm_end;
		n->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	}
	/*
	 * vma_prepare()'s i_mmap_lock_write(): a walker of the file's VMAs
	 * (truncation's unmap_mapping_range) sees @vma and @n either before the
	 * split or after it, never a range that is in neither or an index at the
	 * wrong address.
	 */
	struct kmm_file *file = vma->vm_file;
	if (file) {
		kmm_file_get(file);
		n->vm_file = file;
		sim_write_lock(&file->i_mmap_lock);
	}
	if (new_below) {
		vma->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
		vma->vm_start = addr;
	} else {
		vma->vm_end = addr;
	}
	if (file) {
		list_add_tail(&n->shared_node, &file->i_mmap);
		sim_write_unlock(&file->i_mmap_lock);
	}
	if (vma->anon_vma)
		anon_vma_link(n, vma->anon_vma);
	/* The new piece is write-locked too until mmap_write_unlock(). */
	atomic_store_explicit(&n->vm_lock_seq, atomic_load(&mm->mm_lock_seq), memory_order_relaxed);
	vma_adjust_tree(vma);
	vma_insert(mm, n);
	return 0;
}

static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return !a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma;
}

/* Can @b directly follow @a as one VMA? */
static bool can_merge(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start &&
	       ((a->vm_flags ^ b->vm_flags) & ~VM_SOFTDIRTY) == 0 &&
	       !(a->vm_flags & VM_SPECIAL) &&
	       a->kind == VMA_PLAIN && b->kind == VMA_PLAIN &&
	       a->vm_file == b->vm_file &&
	       a->vm_pgoff + vma_pages(a) == b->vm_pgoff &&
	       anon_vma_compatible(a, b);
}

/* Fold @b into @a (a directly before b); @b is freed. */
static void merge_into(struct vm_area_struct *a, struct vm_area_struct *b)
{
	struct mm_struct *mm = a->vm_mm;

	vma_start_write(a);
	vma_start_write(b);
	if (!a->anon_vma && b->anon_vma)
		anon_vma_link(a, b->anon_vma);
	vma_remove(mm, b);	/* before a grows over it */
	if (a->vm_file)		/* vma_prepare(): the file's VMA walkers see a's range whole */
		sim_write_lock(&a->vm_file->i_mmap_lock);
	a->vm_end = b->vm_end;
	if (a->vm_file)
		sim_write_unlock(&a->vm_file->i_mmap_lock);
	vma_adjust_tree(a);
	vm_area_free(b);
}

struct vm_area_struct *vma_try_merge(struct vm_area_struct *vma)
{
	if (!vma->linked || vma->detached)
		return vma;
	/*
	 * The neighbours that touch @vma (can_merge() wants no less), from the
	 * tree's leaf: no descent right after mmap's insertion, and a neighbour
	 * with room between is not read (a cold line among many VMAs).
	 */
	struct vm_area_struct *prev, *next;
	vma_touching(vma, &prev, &next);

	if (next && can_merge(vma, next))
		merge_into(vma, next);
	if (prev && can_merge(prev, vma)) {
		merge_into(prev, vma);
		vma = prev;
	}
	return vma;
}

/* ---- Finding room ---- */

unsigned long vm_start_gap(const struct vm_area_struct *vma)
{
	unsigned long gap = procs_of(vma->vm_mm->m)->stack_guard_gap;
	unsigned long start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		start = start > gap ? start - gap : 0;
	}
	return start;
}

static unsigned long vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

#define MMAP_MIN_ADDR 0x10000UL		/* vm.mmap_min_addr default (64 KiB) */

static bool range_free(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	struct vm_area_struct *prev, *next = find_vma_prev(mm, addr, &prev);

	if (addr < MMAP_MIN_ADDR || addr + len > mm->task_size || addr + len < addr)
		return false;
	if (prev && vm_end_gap(prev) > addr)
		return false;
	return !next || addr + len <= vm_start_gap(next);
}

unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				unsigned long flags)
{
	if (len > mm->task_size - MMAP_MIN_ADDR)
		return (unsigned long)-ENOMEM;
	if (addr) {
		addr = ALIGN_UP(addr, PAGE_SIZE);
		if (range_free(mm, addr, len))
			return addr;
	}
	/* Top-down: the highest gap below mmap_base that fits (O(log n), mm/vma.c). */
	return unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, mm->mmap_base);
}

/* ---- mmap ---- */

/* is_data_mapping(): private, writable and not a stack - what RLIMIT_DATA and VmData count. */
static bool is_data_mapping(unsigned long flags)
{
	return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE;
}

bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages)
{
	struct kmm_procs *p = procs_of(mm->m);

	if (mm->total_vm + npages > rlimit(KMM_RLIMIT_AS) >> PAGE_SHIFT)
		return false;
	if (!is_data_mapping(flags) || mm->data_vm + npages <= rlimit(KMM_RLIMIT_DATA) >> PAGE_SHIFT)
		return true;
	/* Valgrind's workaround: a soft limit of 0 lets the hard limit decide */
	if (rlimit(KMM_RLIMIT_DATA) == 0 && mm->data_vm + npages <= rlimit_max(KMM_RLIMIT_DATA) >> PAGE_SHIFT)
		return true;
	if (!atomic_exchange(&p->rlimit_data_warned, true)) {
		struct task_struct *t = current_task();

		kmm_printk(mm->m, "%s (%d): VmData %lu exceed data ulimit %llu. Update limits%s.",
			   t ? t->comm : "kmm", t ? t->pid : 0, (mm->data_vm + npages) << PAGE_SHIFT,
			   (unsigned long long)rlimit(KMM_RLIMIT_DATA),
			   p->ignore_rlimit_data ? "" : " or use boot option ignore_rlimit_data");
	}
	return p->ignore_rlimit_data;
}

int expand_vm_error(struct mm_struct *mm, const char *call, unsigned long npages)
{
	if (mm->total_vm + npages > rlimit(KMM_RLIMIT_AS) >> PAGE_SHIFT)
		return kmm_set_error(-ENOMEM, "%s: %lu more pages would pass RLIMIT_AS (%llu bytes; "
				     "%lu pages mapped)", call, npages,
				     (unsigned long long)rlimit(KMM_RLIMIT_AS), mm->total_vm);
	return kmm_set_error(-ENOMEM, "%s: %lu more pages of data would pass RLIMIT_DATA (%llu bytes; "
			     "%lu pages of data mapped)", call, npages,
			     (unsigned long long)rlimit(KMM_RLIMIT_DATA), mm->data_vm);
}

/* count_vma_pages_range(): the pages of [addr, end) mapped now (what MAP_FIXED would replace). */
static unsigned long count_vma_pages_range(struct mm_struct *mm, unsigned long addr, unsigned long end)
{
	unsigned long n = 0;
	struct vm_area_struct *v;
	VMA_ITERATOR(vmi, mm, addr);

	for_each_vma_range(vmi, v, end)
		n += ((v->vm_end < end ? v->vm_end : end) - (v->vm_start > addr ? v->vm_start : addr)) >> PAGE_SHIFT;
	return n;
}

bool mlock_future_ok(struct mm_struct *mm, unsigned long flags, unsigned long bytes)
{
	if (!(flags & VM_LOCKED) || capable(KMM_CAP_IPC_LOCK))
		return true;
	return (bytes >> PAGE_SHIFT) + mm->locked_vm <= rlimit(KMM_RLIMIT_MEMLOCK) >> PAGE_SHIFT;
}

static unsigned long calc_vm_flags(int prot, int flags)
{
	unsigned long vm = 0;

	if (prot & KMM_PROT_READ)
		vm |= VM_READ;
	if (prot & KMM_PROT_WRITE)
		vm |= VM_WRITE;
	if (prot & KMM_PROT_EXEC)
		vm |= VM_EXEC;
	if (flags & KMM_MAP_GROWSDOWN)
		vm |= VM_GROWSDOWN;
	if (flags & KMM_MAP_LOCKED)
		vm |= VM_LOCKED;
	return vm;
}

long do_mmap(struct mm_struct *mm, struct kmm_file *file, unsigned long addr, unsigned long len,
	     int prot, int flags, unsigned long pgoff, unsigned long extra_vm_flags)
{
	struct kmm_machine *m = mm->m;
	int type = flags & (KMM_MAP_SHARED | KMM_MAP_PRIVATE);
	bool fixed = flags & (KMM_MAP_FIXED | KMM_MAP_FIXED_NOREPLACE);
	unsigned long vm_flags;
	struct vm_area_struct *vma;
	struct kmm_file *shm = NULL;
	int err;
	VMA_ITERATOR(vmi, mm, addr);

	if (!len)
		return kmm_set_error(-EINVAL, "mmap: length is 0");
	if (type != KMM_MAP_SHARED && type != KMM_MAP_PRIVATE)
		return kmm_set_error(-EINVAL, "mmap: exactly one of MAP_SHARED and MAP_PRIVATE is needed");
	if (prot & ~(KMM_PROT_READ | KMM_PROT_WRITE | KMM_PROT_EXEC))
		return kmm_set_error(-EINVAL, "mmap: unknown PROT_ bits 0x%x", prot);
	if (len > mm->task_size || ALIGN_UP(len, PAGE_SIZE) < len)
		return kmm_set_error(-ENOMEM, "mmap: length 0x%lx exceeds the user address space", len);
	len = ALIGN_UP(len, PAGE_SIZE);
	if (fixed) {
		if (addr & ~PAGE_MASK)
			return kmm_set_error(-EINVAL, "mmap: MAP_FIXED address 0x%lx is not page aligned", addr);
		if (addr + len > mm->task_size || addr + len < addr || addr < MMAP_MIN_ADDR)
			return kmm_set_error(-ENOMEM, "mmap: [0x%lx, 0x%lx) is outside the user address space",
					     addr, addr + len);
		if (flags & KMM_MAP_FIXED_NOREPLACE) {
			/* Its descent also finds the place vma_iter_insert() takes below. */
			struct vm_area_struct *v = vma_iter_intersection(&vmi, addr, addr + len);
			if (v)
				return kmm_set_error(-EEXIST, "mmap: MAP_FIXED_NOREPLACE: [0x%lx, 0x%lx) overlaps the mapping at 0x%lx",
						     addr, addr + len, v->vm_start);
		}
	} else {
		long a = (long)get_unmapped_area(mm, addr, len, (unsigned long)flags);
		if (a < 0)
			return kmm_set_error(-ENOMEM, "mmap: no room for 0x%lx bytes", len);
		addr = (unsigned long)a;
	}

	/* VM_SOFTDIRTY: new mappings start soft-dirty (CONFIG_MEM_SOFT_DIRTY, as x86 distros) */
	vm_flags = calc_vm_flags(prot, flags) | mm->def_flags | VM_MAYREAD | VM_MAYWRITE |
		   VM_MAYEXEC | VM_SOFTDIRTY | (extra_vm_flags & ~(VM_MMAP_FD_RDONLY | VM_MMAP_FD_WRONLY));
	if (type == KMM_MAP_SHARED)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	/*
	 * A file's shared mapping through an fd not open for writing: never
	 * writable, and no longer VM_SHARED, as Linux's do_mmap() leaves it -
	 * VM_MAYSHARE stays (maps' 's', smaps' "ms" without "sh").
	 */
	if (type == KMM_MAP_SHARED && file && (extra_vm_flags & VM_MMAP_FD_RDONLY))
		vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
	/* MAP_NORESERVE is honoured only while overcommit is allowed (not mode 2). */
	if ((flags & KMM_MAP_NORESERVE) &&
	    (!procs_of(m)->overcommit_policy || procs_of(m)->overcommit_policy(m) != 2))
		vm_flags |= VM_NORESERVE;
	if (!(vm_flags & VM_NORESERVE) && (vm_flags & (VM_SHARED | VM_WRITE)) == VM_WRITE)
		vm_flags |= VM_ACCOUNT;

	/* RLIMIT_MEMLOCK: MAP_LOCKED, or mlockall(MCL_FUTURE)'s def_flags */
	if ((flags & KMM_MAP_LOCKED) && !can_do_mlock())
		return kmm_set_error(-EPERM, "mmap: MAP_LOCKED: RLIMIT_MEMLOCK is 0 and the process lacks "
				     "CAP_IPC_LOCK");
	if (!mlock_future_ok(mm, vm_flags, len))
		return kmm_set_error(-EAGAIN, "mmap: locking 0x%lx more bytes would pass RLIMIT_MEMLOCK "
				     "(%llu bytes)", len, (unsigned long long)rlimit(KMM_RLIMIT_MEMLOCK));
	/* The file's mode, after the address and the locking checks (Linux's order) */
	if (file && type == KMM_MAP_SHARED && (prot & KMM_PROT_WRITE) && (extra_vm_flags & VM_MMAP_FD_RDONLY))
		return kmm_set_error(-EACCES, "mmap: the fd is not open for writing (a shared writable mapping)");
	if (file && (extra_vm_flags & VM_MMAP_FD_WRONLY))
		return kmm_set_error(-EACCES, "mmap: the fd is not open for reading");
	/*
	 * mmap_region(): RLIMIT_AS and RLIMIT_DATA, less what MAP_FIXED replaces;
	 * MAP_FIXED_NOREPLACE found [addr, addr + len) empty above (and nothing
	 * maps under the write lock since), so it has nothing to count or unmap.
	 */
	bool replace = fixed && !(flags & KMM_MAP_FIXED_NOREPLACE);
	unsigned long grow = (len >> PAGE_SHIFT) - (replace ? count_vma_pages_range(mm, addr, addr + len) : 0);
	if (!may_expand_vm(mm, vm_flags, grow))
		return expand_vm_error(mm, "mmap", grow);
	if ((err = vm_charge(mm, vm_flags, (long)(len >> PAGE_SHIFT))) != 0)
		return err;
	if (!file && type == KMM_MAP_SHARED) {
		/* shmem_zero_setup(): the object is charged its size (shmem_acct_size) */
		if (!(vm_flags & VM_NORESERVE) &&
		    (err = vm_charge(mm, VM_ACCOUNT, (long)(len >> PAGE_SHIFT))) != 0)
			return err;
		shm = kmm_file_create(m, "/dev/zero (deleted)", len, true);
		if (!shm)
			return kmm_set_error(-ENOMEM, "mmap: out of memory for the shared object");
		if (!(vm_flags & VM_NORESERVE))
			shmem_charge(m, shm, len >> PAGE_SHIFT);
		file = shm;
		pgoff = 0;
	} else if (!file) {
		pgoff = addr >> PAGE_SHIFT;
	}

	vma = vm_area_alloc(mm);
	if (!vma) {
		kmm_file_put(m, shm);
		return kmm_set_error(-ENOMEM, "mmap: out of memory for the VMA");
	}
	/* MAP_FIXED replaces what was there (after everything that can fail). */
	if (replace && (err = do_munmap(mm, addr, len)) != 0) {
		kmem_cache_free(procs_of(m)->vm_area_cachep, vma);
		kmm_file_put(m, shm);
		return err;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma_link_file(vma, file);
	vma_set_page_prot(vma);
	kmm_file_put(m, shm);		/* the VMA holds it now */
	if (vma_iter_insert(&vmi, vma)) {
		vm_area_free(vma);
		return kmm_set_error(-ENOMEM, "mmap: out of memory for the VMA tree");
	}
	vm_stat_account(mm, vm_flags, (long)(len >> PAGE_SHIFT));
	if (vm_flags & VM_LOCKED)
		mm->locked_vm += len >> PAGE_SHIFT;
	vma = vma_try_merge(vma);
	update_hiwater(mm);
	if ((flags & KMM_MAP_POPULATE) || (vm_flags & VM_LOCKED))
		populate_vma_page_range(vma, addr, addr + len);	/* like mm_populate(): errors ignored */
	return (long)addr;
}

/*
 * Remove whole VMAs inside [start, end), from @vma (the first, where @vmi
 * found it): zap, unaccount, free. @vmi removes each from the leaf it read
 * while nothing else moved (one descent for do_munmap's VMA, not three);
 * after a removal its next step descends again from the removed VMA's end
 * (mm.h); none after the VMA that reaches @end.
 */
static void remove_vma_range(struct mm_struct *mm, struct vma_iterator *vmi, struct vm_area_struct *vma,
			     unsigned long end)
{
	for (; vma; vma = vma_find(vmi, end)) {
		bool last = vma->vm_end >= end;
		vma_start_write(vma);
		zap_page_range_single(vma, vma->vm_start, vma->vm_end - vma->vm_start);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		if (vma->vm_flags & VM_LOCKED)
			mm->locked_vm -= vma_pages(vma);
		vma_iter_remove(vmi, vma);
		vm_area_free(vma);
		if (last)
			break;
	}
}

int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end;
	struct vm_area_struct *vma, *last;

	if ((start & ~PAGE_MASK) || start > mm->task_size || len > mm->task_size - start)
		return kmm_set_error(-EINVAL, "munmap: bad range 0x%lx+0x%lx", start, len);
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return kmm_set_error(-EINVAL, "munmap: length is 0");
	end = start + len;
	/* do_vmi_munmap()'s vma_find(): the first VMA ending above start, if it starts below end. */
	VMA_ITERATOR(vmi, mm, start);
	vma = vma_find(&vmi, end);
	if (!vma)
		return 0;
	/* Split at both ends first; failure leaves everything mapped. */
	if (vma->vm_start < start) {
		int err = split_vma(vma, start, true);
		if (err)
			return err;
	}
	/* The VMA that holds end - 1: the first one again when it reaches that far. */
	last = vma->vm_end >= end ? vma : find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end) {
		int err = split_vma(last, end, false);
		if (err)
			return err;
	}
	/*
	 * No update_hiwater() here: zap_page_range_single() raises both marks
	 * for each VMA before its RSS and its total_vm (vm_stat_account) fall.
	 */
	remove_vma_range(mm, &vmi, vma, end);
	free_pgtables_range(mm, start, end, 0, 0);
	return 0;
}

/* ---- brk and the stack ---- */

/* do_brk() refused for a limit and named it (kmm_set_error): brk's error keeps that text. */
static _Thread_local bool brk_limit_named;

long do_brk(struct mm_struct *mm, unsigned long brk)
{
	unsigned long newbrk, oldbrk;
	struct vm_area_struct *next, *prev;

	if (brk < mm->start_brk)
		return (long)mm->brk;
	/*
	 * check_data_rlimit(), before everything else (a shrink too, as Linux):
	 * the heap and the data segment together within RLIMIT_DATA.
	 */
	uint64_t data_rlim = rlimit(KMM_RLIMIT_DATA);
	if (data_rlim != KMM_RLIM_INFINITY &&
	    (brk - mm->start_brk) + (mm->end_data - mm->start_data) > data_rlim) {
		kmm_set_error(-ENOSPC, "brk: a heap of %lu bytes and %lu of data would pass RLIMIT_DATA "
			      "(%llu bytes)", brk - mm->start_brk, mm->end_data - mm->start_data,
			      (unsigned long long)data_rlim);
		brk_limit_named = true;
		return (long)mm->brk;
	}
	newbrk = ALIGN_UP(brk, PAGE_SIZE);
	oldbrk = ALIGN_UP(mm->brk, PAGE_SIZE);
	if (newbrk == oldbrk) {
		mm->brk = brk;
		return (long)brk;
	}
	if (brk <= mm->brk) {
		if (do_munmap(mm, newbrk, oldbrk - newbrk))
			return (long)mm->brk;
		mm->brk = brk;
		return (long)brk;
	}
	if (newbrk > mm->task_size)
		return (long)mm->brk;
	/* check_brk_limits(): mlockall(MCL_FUTURE) locks the heap's growth too */
	if (!mlock_future_ok(mm, mm->def_flags, newbrk - oldbrk))
		return (long)mm->brk;
	/* The heap must not come within a page (and a stack's gap) of the next mapping. */
	next = find_vma_prev(mm, oldbrk, &prev);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return (long)mm->brk;
	unsigned long flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | VM_SOFTDIRTY | mm->def_flags;
	/* do_brk_flags(): RLIMIT_AS and RLIMIT_DATA on the pages added */
	if (!may_expand_vm(mm, flags, (newbrk - oldbrk) >> PAGE_SHIFT)) {
		expand_vm_error(mm, "brk", (newbrk - oldbrk) >> PAGE_SHIFT);
		brk_limit_named = true;
		return (long)mm->brk;
	}
	if (vm_charge(mm, flags, (long)((newbrk - oldbrk) >> PAGE_SHIFT)))
		return (long)mm->brk;
	if (prev && prev->vm_end == oldbrk && ((prev->vm_flags ^ flags) & ~VM_SOFTDIRTY) == 0 && !prev->vm_file &&
	    prev->kind == VMA_PLAIN) {
		vma_start_write(prev);
		prev->vm_end = newbrk;
		vma_adjust_tree(prev);
	} else {
		struct vm_area_struct *vma = vm_area_alloc(mm);
		if (!vma)
			return (long)mm->brk;
		vma->vm_start = oldbrk;
		vma->vm_end = newbrk;
		vma->vm_flags = flags;
		vma->vm_pgoff = oldbrk >> PAGE_SHIFT;
		vma_set_page_prot(vma);
		if (vma_insert(mm, vma)) {
			vm_area_free(vma);
			return (long)mm->brk;
		}
		vma_try_merge(vma);
	}
	vm_stat_account(mm, flags, (long)((newbrk - oldbrk) >> PAGE_SHIFT));
	if (flags & VM_LOCKED) {
		/* do_brk_flags() counts it; brk() populates it (mm_populate, errors ignored) */
		mm->locked_vm += (newbrk - oldbrk) >> PAGE_SHIFT;
		struct vm_area_struct *vma = find_vma(mm, oldbrk);
		if (vma && vma->vm_start <= oldbrk)
			populate_vma_page_range(vma, oldbrk, newbrk);
	}
	update_hiwater(mm);
	mm->brk = brk;
	return (long)brk;
}

/*
 * expand_downwards(): grow a VM_GROWSDOWN VMA down to @addr, refusing to come
 * within stack_guard_gap of the mapping below or beyond RLIMIT_STACK.
 */
int expand_stack(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev;
	unsigned long gap = procs_of(mm->m)->stack_guard_gap;
	unsigned long grow;

	addr &= PAGE_MASK;
	if (!(vma->vm_flags & VM_GROWSDOWN) || addr >= vma->vm_start)
		return -EFAULT;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	find_vma_prev(mm, vma->vm_start, &prev);
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(prev)) {
		if (addr < prev->vm_end || addr - prev->vm_end < gap)
			return -ENOMEM;
	} else if (prev && addr < prev->vm_end) {
		return -ENOMEM;
	}
	/* acct_stack_growth(): RLIMIT_AS, RLIMIT_STACK on the whole size, RLIMIT_MEMLOCK */
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	if (!may_expand_vm(mm, vma->vm_flags, grow))
		return expand_vm_error(mm, "stack growth", grow);
	if (vma->vm_end - addr > rlimit(KMM_RLIMIT_STACK))
		return kmm_set_error(-ENOMEM, "stack growth: a stack of %lu bytes would pass "
				     "RLIMIT_STACK (%llu bytes)", vma->vm_end - addr,
				     (unsigned long long)rlimit(KMM_RLIMIT_STACK));
	if (!mlock_future_ok(mm, vma->vm_flags, grow << PAGE_SHIFT))
		return -ENOMEM;
	if (vm_charge(mm, vma->vm_flags, (long)grow))
		return -ENOMEM;
	vma_start_write(vma);
	if (vma->vm_file)	/* a VM_GROWSDOWN file mapping: its range changes under i_mmap_lock */
		sim_write_lock(&vma->vm_file->i_mmap_lock);
	vma->vm_pgoff -= grow;
	vma->vm_start = addr;
	if (vma->vm_file)
		sim_write_unlock(&vma->vm_file->i_mmap_lock);
	vma_adjust_tree(vma);
	vm_stat_account(mm, vma->vm_flags, (long)grow);
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += grow;
	update_hiwater(mm);
	return 0;
}

/* ---- mm_struct ---- */

/*
 * Address-space ids are unique over every machine of the host process: a
 * thread's TLB then never matches an entry of another machine's MMU (the
 * inline accessors do not compare MMUs).
 */
static atomic_uint next_asid;

/* A user table frame unlinked (under page_table_lock): lockless walkers may still read it. */
static void free_user_table(struct kmm_pgtable *pt, struct page *page)
{
	procs_defer_free_table(pt->m, page);
}

void arch_pick_mmap_layout(struct mm_struct *mm, uint64_t rlim_stack)
{
	unsigned long gap = rlim_stack > ULONG_MAX ? ULONG_MAX : (unsigned long)rlim_stack;
	unsigned long pad = procs_of(mm->m)->stack_guard_gap;	/* + stack_maxrandom_size(): 0, no ASLR */

	if (gap + pad > gap)	/* values near RLIM_INFINITY would wrap */
		gap += pad;
	if (gap < 128UL << 20)
		gap = 128UL << 20;
	else if (gap > mm->task_size / 6 * 5)
		gap = mm->task_size / 6 * 5;
	mm->mmap_base = ALIGN_UP(mm->task_size - gap, PAGE_SIZE);
}

struct mm_struct *mm_alloc(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);
	struct mm_struct *mm = kmem_cache_zalloc(p->mm_cachep, GFP_KERNEL);

	if (!mm)
		return NULL;
	mm->m = m;
	if (pgtable_init(&mm->pgt, m, true)) {
		kmem_cache_free(p->mm_cachep, mm);
		return NULL;
	}
	mm->pgt.free_table = free_user_table;
	mm->pgt.install_lock = &mm->page_table_lock;	/* the lock free_pgtables_range() holds */
	sim_rwlock_init_writer_first(&mm->mmap_lock);
	atomic_init(&mm->mm_lock_seq, 0);
	spin_lock_init(&mm->page_table_lock);
	atomic_init(&mm->mm_users, 1);
	mm->ctx.cr3 = mm->pgt.pgd_pa;
	mm->ctx.asid = atomic_fetch_add(&next_asid, 1) + 1;
	mm->ctx.gen = 0;
	mm->ctx.geo = mm->pgt.geo;
	mm->task_size = m->layout.task_size ? m->layout.task_size :
			kmm_arch_is_32(m) ? 0xC0000000UL : 0x7ffffffff000UL;
	arch_pick_mmap_layout(mm, KMM_STK_LIM);
	return mm;
}

void mmput(struct mm_struct *mm)
{
	if (!mm || atomic_fetch_sub_explicit(&mm->mm_users, 1, memory_order_acq_rel) != 1)
		return;
	/* exit_mmap(): no user is left, the lock is taken for the rules' sake. */
	mmap_write_lock(mm);
	update_hiwater(mm);
	for (;;) {
		struct vm_area_struct *vma;
		find_vma_prev(mm, ~0UL, &vma);	/* the last */
		if (!vma)
			break;
		vma_start_write(vma);
		zap_page_range_single(vma, vma->vm_start, vma->vm_end - vma->vm_start);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_remove(mm, vma);
		vm_area_free(vma);
	}
	vma_tree_destroy(mm);
	flush_tlb_mm(mm);
	spin_lock(&mm->page_table_lock);
	unsigned long stray = pgtable_destroy(&mm->pgt);
	spin_unlock(&mm->page_table_lock);
	if (stray)
		kmm_printk(mm->m, "BUG: mmput: %lu present PTEs left after unmapping", stray);
	mmap_write_unlock(mm);
	kmm_file_put(mm->m, mm->exe_file);
	sim_rwlock_destroy(&mm->mmap_lock);
	kmem_cache_free(procs_of(mm->m)->mm_cachep, mm);
}

/* ---- System calls (the public API of include/kmm/process.h) ---- */

/*
 * Enter the process layer and write-lock the live task's mm; NULL (and
 * -ESRCH set, nothing held) when the task is dead. The reference taken
 * under tasklist_lock keeps the mm while a kill from another thread runs.
 */
static struct mm_struct *lock_live_mm(struct task_struct *t, int *token,
				      struct task_struct **prev)
{
	struct mm_struct *mm;

	if (!t) {
		kmm_set_error(-ESRCH, "no such process");
		return NULL;
	}
	*token = procs_enter(t->machine);
	mm = get_task_mm(t);
	if (!mm) {
		procs_exit(t->machine, *token);
		kmm_set_error(-ESRCH, "process %d is dead", t->pid);
		return NULL;
	}
	mmap_write_lock(mm);
	*prev = set_current_task(t);
	return mm;
}

/* Unlock and leave: a pending OOM kill of the task is delivered here, with no lock held. */
static void unlock_mm(struct mm_struct *mm, int token, struct task_struct *prev)
{
	struct kmm_machine *m = mm->m;

	mmap_write_unlock(mm);
	mmput(mm);
	task_leave(prev);
	procs_exit(m, token);
}

static int __do_sys_mmap(struct task_struct *t, uint64_t addr, uint64_t len, int prot, int flags, uint64_t *out)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;
	const int known = KMM_MAP_SHARED | KMM_MAP_PRIVATE | KMM_MAP_FIXED | KMM_MAP_ANONYMOUS |
			  KMM_MAP_GROWSDOWN | KMM_MAP_LOCKED | KMM_MAP_NORESERVE | KMM_MAP_POPULATE |
			  KMM_MAP_FIXED_NOREPLACE;

	if (flags & ~known)
		return kmm_set_error(-EINVAL, "mmap: unknown MAP_ flags 0x%x", flags & ~known);
	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	long r = do_mmap(mm, NULL, (unsigned long)addr, (unsigned long)len, prot,
			 flags | KMM_MAP_ANONYMOUS, 0, 0);
	unlock_mm(mm, token, prev);
	if (r < 0)
		return (int)r;
	if (out)
		*out = (uint64_t)r;
	return 0;
}

long vm_mmap_pgoff(struct task_struct *t, struct kmm_file *file, unsigned long addr, unsigned long len,
		   int prot, int flags, unsigned long pgoff, unsigned long extra_vm_flags)
{
	const int known = KMM_MAP_SHARED | KMM_MAP_PRIVATE | KMM_MAP_FIXED | KMM_MAP_LOCKED |
			  KMM_MAP_NORESERVE | KMM_MAP_POPULATE | KMM_MAP_FIXED_NOREPLACE;
	struct mm_struct *mm;
	struct task_struct *prev;
	int token;
	long r;

	if (flags & ~known)
		return kmm_set_error(-EINVAL, "mmap: flags 0x%x are not for a file mapping", flags & ~known);
	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	r = do_mmap(mm, file, addr, len, prot, flags, pgoff,
		    extra_vm_flags & (VM_FILE_NOREUSE | VM_MMAP_FD_RDONLY | VM_MMAP_FD_WRONLY));
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_mmap(struct task_struct *t, uint64_t addr, uint64_t len, int prot, int flags, uint64_t *out)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MMAP, addr, len, (uint64_t)prot);
	int r = __do_sys_mmap(t, addr, len, prot, flags, out);

	if (m)
		trace_sys_exit(m, KMM_SYS_MMAP, r ? r : (int64_t)(out ? *out : 0));
	return r;
}

static int __do_sys_munmap(struct task_struct *t, uint64_t addr, uint64_t len)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	int r = do_munmap(mm, (unsigned long)addr, (unsigned long)len);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_munmap(struct task_struct *t, uint64_t addr, uint64_t len)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MUNMAP, addr, len, 0);
	int r = __do_sys_munmap(t, addr, len);

	if (m)
		trace_sys_exit(m, KMM_SYS_MUNMAP, r);
	return r;
}

static int __do_sys_mprotect(struct task_struct *t, uint64_t addr, uint64_t len, int prot)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	int r = do_mprotect(mm, (unsigned long)addr, (unsigned long)len, prot);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_mprotect(struct task_struct *t, uint64_t addr, uint64_t len, int prot)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MPROTECT, addr, len, (uint64_t)prot);
	int r = __do_sys_mprotect(t, addr, len, prot);

	if (m)
		trace_sys_exit(m, KMM_SYS_MPROTECT, r);
	return r;
}

static int __do_sys_brk(struct task_struct *t, uint64_t newbrk, uint64_t *out)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	brk_limit_named = false;
	long r = do_brk(mm, (unsigned long)newbrk);
	unlock_mm(mm, token, prev);
	if (out)
		*out = (uint64_t)r;
	if ((uint64_t)r == newbrk)
		return 0;
	return brk_limit_named ? -ENOMEM : kmm_set_error(-ENOMEM, "brk: cannot move the break to 0x%llx",
							 (unsigned long long)newbrk);
}

int kmm_brk(struct task_struct *t, uint64_t newbrk, uint64_t *out)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_BRK, newbrk, 0, 0);
	int r = __do_sys_brk(t, newbrk, out);

	if (m)
		trace_sys_exit(m, KMM_SYS_BRK, r ? r : (int64_t)newbrk);
	return r;
}

static int __do_sys_mremap(struct task_struct *t, uint64_t old_addr, uint64_t old_len,
			   uint64_t new_len, int flags, uint64_t new_addr, uint64_t *out)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	long r = do_mremap(mm, (unsigned long)old_addr, (unsigned long)old_len, (unsigned long)new_len,
			   flags, (unsigned long)new_addr);
	unlock_mm(mm, token, prev);
	if (r < 0)
		return (int)r;
	if (out)
		*out = (uint64_t)r;
	return 0;
}

int kmm_mremap(struct task_struct *t, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
	       int flags, uint64_t new_addr, uint64_t *out)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MREMAP, old_addr, old_len, new_len);
	int r = __do_sys_mremap(t, old_addr, old_len, new_len, flags, new_addr, out);

	if (m)
		trace_sys_exit(m, KMM_SYS_MREMAP, r ? r : (int64_t)(out ? *out : 0));
	return r;
}

static int __do_sys_madvise(struct task_struct *t, uint64_t addr, uint64_t len, int advice)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	int r = do_madvise(mm, (unsigned long)addr, (unsigned long)len, advice);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_madvise(struct task_struct *t, uint64_t addr, uint64_t len, int advice)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MADVISE, addr, len, (uint64_t)advice);
	int r = __do_sys_madvise(t, addr, len, advice);

	if (m)
		trace_sys_exit(m, KMM_SYS_MADVISE, r);
	return r;
}

static int __do_sys_mlock(struct task_struct *t, uint64_t addr, uint64_t len, unsigned long vm_flags)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	int r = do_mlock(mm, (unsigned long)addr, (unsigned long)len, vm_flags);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_mlock(struct task_struct *t, uint64_t addr, uint64_t len)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MLOCK, addr, len, 0);
	int r = __do_sys_mlock(t, addr, len, VM_LOCKED);

	if (m)
		trace_sys_exit(m, KMM_SYS_MLOCK, r);
	return r;
}

int kmm_mlock2(struct task_struct *t, uint64_t addr, uint64_t len, int flags)
{
	struct kmm_machine *m = t ? t->machine : NULL;
	int r;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MLOCK2, addr, len, (uint64_t)flags);
	if (flags & ~KMM_MLOCK_ONFAULT)
		r = kmm_set_error(-EINVAL, "mlock2: unknown flags %#x (MLOCK_ONFAULT is %#x)",
				  (unsigned)flags, KMM_MLOCK_ONFAULT);
	else
		r = __do_sys_mlock(t, addr, len, VM_LOCKED | ((flags & KMM_MLOCK_ONFAULT) ? VM_LOCKONFAULT : 0));
	if (m)
		trace_sys_exit(m, KMM_SYS_MLOCK2, r);
	return r;
}

static int __do_sys_munlock(struct task_struct *t, uint64_t addr, uint64_t len)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	int r = do_mlock(mm, (unsigned long)addr, (unsigned long)len, 0);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_munlock(struct task_struct *t, uint64_t addr, uint64_t len)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MUNLOCK, addr, len, 0);
	int r = __do_sys_munlock(t, addr, len);

	if (m)
		trace_sys_exit(m, KMM_SYS_MUNLOCK, r);
	return r;
}

static int __do_sys_mlockall(struct task_struct *t, int flags, bool lock)
{
	struct mm_struct *mm;
	int token, r = 0;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	if (lock)
		r = do_mlockall(mm, flags);
	else
		do_munlockall(mm);
	unlock_mm(mm, token, prev);
	return r;
}

int kmm_mlockall(struct task_struct *t, int flags)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MLOCKALL, (uint64_t)flags, 0, 0);
	int r = __do_sys_mlockall(t, flags, true);

	if (m)
		trace_sys_exit(m, KMM_SYS_MLOCKALL, r);
	return r;
}

int kmm_munlockall(struct task_struct *t)
{
	struct kmm_machine *m = t ? t->machine : NULL;

	if (m)
		trace_sys_enter(m, t->pid, KMM_SYS_MUNLOCKALL, 0, 0, 0);
	int r = __do_sys_mlockall(t, 0, false);

	if (m)
		trace_sys_exit(m, KMM_SYS_MUNLOCKALL, r);
	return r;
}

char *kmm_pagetable_walk(struct task_struct *t, uint64_t addr)
{
	struct mm_struct *mm;
	int token;
	struct task_struct *prev;
	struct strbuf sb;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return NULL;
	sb_init(&sb);
	pgtable_dump_walk(&mm->pgt, addr, &sb);
	unlock_mm(mm, token, prev);
	return sb_detach(&sb);
}

struct pt_each {
	int (*fn)(const struct kmm_pt_entry *e, void *arg);
	void *arg;
};

static int pt_each_entry(void *arg, int level, uint64_t table, unsigned long idx, uint64_t va,
			 pteval_t v)
{
	struct pt_each *pe = arg;
	struct kmm_pt_entry e = { level, table, (unsigned int)idx, va, v };

	return pe->fn(&e, pe->arg);
}

int kmm_pagetable_for_each(struct task_struct *t, struct kmm_pt_shape *shape,
			   int (*fn)(const struct kmm_pt_entry *e, void *arg), void *arg)
{
	struct mm_struct *mm;
	int token, r = 0;
	struct task_struct *prev;

	if (!(mm = lock_live_mm(t, &token, &prev)))
		return -ESRCH;
	const struct pgtable_geometry *g = mm->pgt.geo;
	if (shape) {
		memset(shape, 0, sizeof(*shape));
		shape->levels = g->levels;
		shape->entry_size = g->entry_size;
		shape->root = mm->pgt.pgd_pa;
		shape->addr_mask = g->pfn_mask;
		for (int l = 0; l < PGT_NR_LEVELS; l++) {
			shape->real[l] = g->real[l];
			shape->shift[l] = g->shift[l];
			shape->bits[l] = g->bits[l];
		}
	}
	if (fn) {
		struct pt_each pe = { fn, arg };
		r = pgtable_for_each_entry(&mm->pgt, pt_each_entry, &pe);
	}
	unlock_mm(mm, token, prev);
	return r;
}
