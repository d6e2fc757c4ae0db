// SPDX-License-Identifier: MIT
/*
 * mm/include/mm.h - processes and address spaces: task_struct, mm_struct,
 * vm_area_struct, anon_vma, the small page cache behind file mappings, and
 * the functions the process layer's files share.
 *
 * Linux counterpart: include/linux/mm_types.h (mm_struct, vm_area_struct),
 * include/linux/mm.h (vm_flags), include/linux/rmap.h (anon_vma),
 * include/linux/sched.h (task_struct), include/linux/mman.h.
 *
 * The VMAs of an mm sit in a B-tree keyed by address whose nodes hold each
 * entry's end and largest free gap below (mm/vma.c: the shape of 6.12's
 * maple tree, in host memory), and nowhere else (no vm_next / vm_prev list:
 * 6.12 has none): find_vma, insertion, removal and the top-down search for a
 * free range are O(log n); a walk in address order goes over the tree's
 * leaves with a struct vma_iterator (for_each_vma), O(1) a step amortised.
 *
 * Invariant (checked by process_check()):
 *   - VMAs are page aligned, non-empty, sorted and disjoint; the tree, the
 *     leaves in order and map_count agree, and every node's ends and gaps are current;
 *   - every present PTE lies inside a VMA, and its page's mapcount equals the
 *     number of present PTEs that map it over all processes;
 *   - a mapped page's refcount is mapcount + (1 if in a file's page cache)
 *     + (1 if in the swap cache) + 1024 * pins (GUP_PIN_COUNTING_BIAS) + transient gup references;
 *   - RSS counters equal the present, non-special PTEs by kind;
 *   - pgtables_bytes equals the table frames of the mm.
 *
 * Locking (docs/locking.md has the whole order): Linux's, per mm and per VMA.
 *   procs->srcu      every process-layer entry point runs inside a read-side
 *                    section (per CPU slot counters); it is the RCU that
 *                    keeps unlinked page tables and VMAs alive for lockless
 *                    walkers, and its writer side stops the world for
 *                    process_check().
 *   mm->mmap_lock    reader/writer, per mm: written by mmap, munmap,
 *                    mprotect, mremap, brk, mlock, madvise, fork (parent and
 *                    child), exec and exit; read by faults that miss the
 *                    per-VMA path, gup and /proc readers (mmap_read_lock()).
 *   vma->vm_lock     per VMA (Linux 6.4's per-VMA locks): a fault holds it
 *                    for read instead of mmap_lock; a writer takes it with
 *                    vma_start_write() before changing the VMA, and it stays
 *                    write-locked until mmap_write_unlock().
 *   anon_vma->lock / file->i_mmap_lock   the reverse-map lists.
 *   PTE table lock   per PTE table (Linux's split PTE locks: the table
 *                    frame's struct page holds it, page->ptl, as ptdesc->ptl):
 *                    every change of a leaf entry in that table, and the
 *                    look at an entry that must stay as seen (pte_lockptr(),
 *                    pte_offset_map_lock()). Two at once only in fork's copy
 *                    (the child's after the parent's) and mremap's move (the
 *                    new table's after the old one's).
 *   mm->page_table_lock   upper levels: a table's installing, unlinking and freeing
 *                    (taken before the PTE table's lock), the mm's tables at
 *                    exit, and a VMA's anon_vma set-up.
 *   procs->tasklist_lock  the task list, pids, t->mm.
 * Pages move between processes only through atomics (refcount, mapcount,
 * flags) and the locks above; so faults of different processes, and of
 * different VMAs of one process, run in parallel. The TLB-hit path of
 * kmm_access() takes no lock; it brackets each translation and its copy
 * (sim_tlb_access_begin/end), and whoever takes a page away from a PTE
 * waits for the brackets open at its TLB flush (sim_mmu_shootdown_wait)
 * before the frame can be freed or written out: zap (munmap, MADV_DONTNEED,
 * exit, the OOM reaper) gathers the pages and drops their references after
 * the flush and the wait, as Linux's mmu_gather does; truncation waits after
 * it unmaps a page and before it drops the cache's reference; a COW copy
 * waits before it drops the old page's; reclaim waits before it writes a
 * page out or frees it. So an access racing with an unmap on another thread
 * completes on the old frame, as on a CPU before the shootdown IPI lands,
 * but never on a frame that has meanwhile been freed and reused. The inline
 * accessors of <kmm/process.h> (kmm_load64, ...) do not bracket: one of
 * their loads or stores that races with an unmap or reclaim on another
 * thread may use a frame already freed.
 */
#ifndef KMM_MM_H
#define KMM_MM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/mmu.h"
#include "include/kmm/process.h"
#include "lib/list.h"
#include "lib/rbtree.h"
#include "lib/strmap.h"
#include "lib/xarray.h"
#include "mm/include/events.h"
#include "mm/include/addr.h"
#include "mm/include/machine.h"
#include "mm/include/pgtable.h"

/* ---- vm_flags (include/linux/mm.h, 6.12 values) ---- */

#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL
#define VM_UFFD_MISSING	0x00000200UL
#define VM_PFNMAP	0x00000400UL
/*
 * kmm only, in a bit 6.12 leaves free: mapped through an open file with
 * FMODE_NOREUSE (fadvise NOREUSE). Linux finds the mode on the VMA's struct
 * file; kmm's VMAs map the file itself, so the mode is copied at mmap time.
 */
#define VM_FILE_NOREUSE	0x00000800UL
/*
 * kmm only, never stored in vm_flags: kmm_mmap_fd() asks do_mmap() with it
 * when the fd is not open for writing, so a shared mapping of it may never be
 * made writable and is not VM_SHARED (Linux's do_mmap() clears VM_MAYWRITE
 * and VM_SHARED from file->f_mode, VM_MAYSHARE stays).
 */
#define VM_MMAP_FD_RDONLY	0x4000000000000000UL
/*
 * kmm only, never stored either: the fd is not open for reading.
 * do_mmap() refuses both kinds where Linux's does, EACCES after the
 * address, EEXIST, EPERM and EAGAIN checks.
 */
#define VM_MMAP_FD_WRONLY	0x2000000000000000UL
#define VM_UFFD_WP	0x00001000UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_SEQ_READ	0x00008000UL
#define VM_RAND_READ	0x00010000UL
#define VM_DONTCOPY	0x00020000UL
#define VM_DONTEXPAND	0x00040000UL
#define VM_LOCKONFAULT	0x00080000UL
#define VM_ACCOUNT	0x00100000UL
#define VM_NORESERVE	0x00200000UL
#define VM_HUGETLB	0x00400000UL
#define VM_SYNC		0x00800000UL
#define VM_ARCH_1	0x01000000UL
#define VM_WIPEONFORK	0x02000000UL
#define VM_DONTDUMP	0x04000000UL
#define VM_SOFTDIRTY	0x08000000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_HUGEPAGE	0x20000000UL
#define VM_NOHUGEPAGE	0x40000000UL
#define VM_MERGEABLE	0x80000000UL

#define VM_DONTFORK	VM_DONTCOPY		/* kmm's name in the issue; Linux spells it VM_DONTCOPY */
#define VM_STACK	VM_GROWSDOWN
#define VM_SPECIAL	(VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)
#define VM_LOCKED_MASK	(VM_LOCKED | VM_LOCKONFAULT)
#define VM_DATA_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_STACK_DEFAULT_FLAGS VM_DATA_DEFAULT_FLAGS
#define VM_STACK_FLAGS	(VM_STACK | VM_STACK_DEFAULT_FLAGS | VM_ACCOUNT)

enum mm_counter {
	MM_FILEPAGES,
	MM_ANONPAGES,
	MM_SWAPENTS,
	MM_SHMEMPAGES,
	NR_MM_COUNTERS
};

/* VM_FAULT_* (include/linux/mm_types.h) */
#define VM_FAULT_OOM		0x000001
#define VM_FAULT_SIGBUS		0x000002
#define VM_FAULT_MAJOR		0x000004
#define VM_FAULT_HWPOISON	0x000010
#define VM_FAULT_SIGSEGV	0x000040
#define VM_FAULT_NOPAGE		0x000100
#define VM_FAULT_RETRY		0x000400
#define VM_FAULT_DONE_COW	0x001000
#define VM_FAULT_ERROR		(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON)

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_USER		0x40
#define FAULT_FLAG_INSTRUCTION	0x100

#define GUP_PIN_COUNTING_BIAS	1024
#define STACK_GUARD_GAP_PAGES	256

/*
 * A file and its address space (Linux's inode + address_space in one): a
 * name, a size and the page cache (page index -> frame, mm/filemap.c).
 * Regular files of the filesystem (fs/) read and write their pages through
 * @a_ops; program images from exec and the [vdso] have no @a_ops and read a
 * deterministic pattern of (file, index) at fault time; shmem files (tmpfs,
 * MAP_SHARED|MAP_ANONYMOUS) have no backing store. The cache lives until
 * the file's last reference goes (for a filesystem file: until it is
 * unlinked or unmounted, closed and unmapped), or reclaim and drop_caches
 * take its clean pages.
 */
/*
 * A readahead window (Linux's struct file_ra_state): one per open file for
 * read(), and one per kmm_file for its mappings' faults (kmm's VMAs map the
 * file, not an open file: see kmm_file.f_ra).
 */
struct file_ra_state {
	unsigned long start;		/* first page of the current window */
	unsigned int size;		/* pages in it */
	unsigned int async_size;	/* start the next window when this many are left */
	unsigned int ra_pages;		/* the largest window (read_ahead_kb / 4) */
	unsigned int mmap_miss;		/* faults that missed the cache, less pages mapped around */
	bool random;			/* FMODE_RANDOM (fadvise RANDOM): reads get no window */
	bool noreuse;			/* FMODE_NOREUSE (fadvise NOREUSE): its mappings get VM_FILE_NOREUSE */
	uint64_t prev_pos;		/* the last byte read, or ~0 */
};

struct address_space_operations;
struct kmem_cache;
struct kmm_file {
	char path[64];
	bool shmem;
	unsigned long ino;
	uint64_t size;			/* i_size, bytes: written under @i_rwsem, read with i_size_read() */
	atomic_int refcount;		/* VMAs, exec, open files, the filesystem's inode */
	spinlock_t i_pages_lock;	/* @i_pages and @nrpages (Linux's xa_lock of i_pages) */
	struct xarray i_pages;		/* the page cache; tags DIRTY, WRITEBACK (mm/include/filemap.h) */
	unsigned long nrpages;		/* cached pages */
	struct xarray i_shadows;	/* reclaim's shadow entries by index (i_pages_lock; mm/workingset.c) */
	/*
	 * shmem: the swap entries of its pages that reclaim swapped out, by
	 * index (Linux keeps them as value entries in i_pages; here beside it,
	 * as the shadows are, so no walker of the cache meets one): an index
	 * has a page or a swap entry, never both. i_pages_lock; mm/shmem.c.
	 */
	struct xarray i_swap;
	unsigned long swapped;		/* entries in @i_swap (shmem_inode_info.swapped), i_pages_lock */
	struct sim_rwlock i_mmap_lock;	/* @i_mmap (Linux's i_mmap_rwsem) */
	unsigned long committed;	/* shmem: pages charged at creation (shmem_acct_size) */
	struct list_head i_mmap;	/* VMAs mapping it (vma->shared_node) */
	struct sim_rwlock i_rwsem;	/* write(), truncate (write); read() (read) */
	/*
	 * Linux's mapping->invalidate_lock: truncation holds it for writing
	 * while it sets the size and empties the cache past it; whoever adds
	 * pages without @i_rwsem (a fault's read, readahead) holds it for
	 * reading, and tests the size under it. So no page is added past the
	 * end behind truncation's back. Before PG_locked.
	 */
	struct sim_rwlock invalidate_lock;
	const struct address_space_operations *a_ops;	/* immutable while the file is used */
	void *host;			/* the filesystem's inode (its business) */
	struct kmm_machine *m;		/* immutable */
	struct list_head files_node;	/* the page cache's list of files (its files_lock) */
	int wb_err;			/* a write error not yet reported by fsync (i_pages_lock) */
	/*
	 * Page writes to the backing store so far (atomic): raised after each
	 * a_ops->writepage, before the page can end its writeback and leave
	 * the cache; a page read from the store before the last raise may be
	 * stale (filemap_add_read_folio()).
	 */
	unsigned long write_seq;
	uint64_t dirtied_when;		/* virtual ns its first dirty page appeared (i_pages_lock) */
	/*
	 * The window of faults on its mappings (Linux keeps it in the mapped
	 * struct file; here every mapping of the file shares it): copied in and
	 * out under @ra_lock, never held across a read.
	 */
	spinlock_t ra_lock;
	struct file_ra_state f_ra;	/* ra_lock */
};

/*
 * The anonymous reverse map: one anon_vma per fork family (the 2.6.x design
 * before the anon_vma_chain): every VMA that may hold pages of the family is
 * on ->vmas; a page's ->mapping points here (| PAGE_MAPPING_ANON) and its
 * ->index is its linear page index, so the address in any VMA of the family
 * is vm_start + ((index - vm_pgoff) << PAGE_SHIFT).
 */
struct anon_vma {
	struct sim_rwlock lock;		/* @vmas: written by link/unlink, read by rmap walks */
	atomic_int refcount;		/* VMAs on ->vmas (pages take none: see rmap_walk) */
	struct list_head vmas;		/* vma->anon_vma_node, under @lock */
};
/*
 * Its cache is SLAB_TYPESAFE_BY_RCU with a constructor, as Linux's: the lock
 * and an empty ->vmas are set up once per object by anon_vma_ctor(), and a
 * freed anon_vma stays an anon_vma (its lock usable, perhaps reused for
 * another family) until its slab's grace period, so a walker that read a
 * stale page->mapping takes a valid lock and finds no VMA mapping the page.
 */
#define PAGE_MAPPING_ANON 0x1UL
/*
 * PageAnon(): read racily, as Linux's folio_test_anon: a zap asks it of a
 * page whose PTE it holds while truncation, holding the page lock, may be
 * clearing a file page's ->mapping (either way: not anonymous). Inline:
 * a zap asks it of every page three or four times.
 */
static inline bool PageAnon(const struct page *page)
{
	return ((unsigned long)__atomic_load_n(&page->mapping, __ATOMIC_RELAXED) & PAGE_MAPPING_ANON) != 0;
}

enum vma_kind { VMA_PLAIN, VMA_VDSO, VMA_VVAR };

struct mm_struct;

/*
 * A node of an mm's VMA tree (mm/vma.c says how the tree keeps them): up to
 * VMA_TREE_SLOTS entries, each an end (a leaf's VMA's vm_end; an inner
 * node's child's last), the largest free gap below the entry's VMAs, and the
 * VMA or the child. A descent reads nr, the ends up to the one it takes
 * and that entry's slot. The slot and the gap side by side (e[]): an
 * insertion or a removal shifts both from the entry the descent read on, in
 * the lines it read and the next, not in a gap[] array of their own.
 */
#define VMA_TREE_SLOTS 16
#define VMA_TREE_MIN 4		/* fewest entries of a node other than the root */
struct vma_tree_node {
	unsigned int nr;
	bool leaf;
	struct vma_tree_node *parent;	/* NULL at the root; on the spare list, the next */
	unsigned long end[VMA_TREE_SLOTS];
	struct {
		void *slot;		/* leaf: struct vm_area_struct *; inner: child */
		unsigned long gap;
	} e[VMA_TREE_SLOTS];
};

/*
 * Every field is written under mmap_write_lock() with the VMA write-locked
 * (vma_start_write()), and is stable for a holder of mmap_lock or of the
 * VMA's read lock; except anon_vma, which a fault under the VMA read lock
 * may set once (under mm->page_table_lock, see anon_vma_prepare()).
 */
struct vm_area_struct {
	unsigned long vm_start, vm_end;		/* [start, end), page aligned */
	/*
	 * The first 64 bytes hold what a lookup, a fault's read lock and an
	 * munmap read: the range (what the tree's gap updates read,
	 * vm_start_gap()), the lock, the flags, the mm and what vm_area_free()
	 * tests. A 176-byte object starts at 0, 16, 32 or 48 bytes into a line:
	 * with the lock at byte 104 it was always a line apart from vm_start
	 * (bench/fault vma 100000, random order: an munmap's LL read misses
	 * 7.0 -> 6.1 with this order).
	 */
	/* Per-VMA lock (Linux 6.4): readers >= 0, -1 while a writer holds it */
	atomic_int vm_lock;
	atomic_int vm_lock_seq;			/* mm_lock_seq when last write-locked */
	enum vma_kind kind;
	bool linked;				/* in the tree; freeing waits for a grace period */
	bool detached;				/* taken out of the tree (under the VMA write lock) */
	unsigned long vm_flags;			/* see vm_flags_reset() below */
	struct mm_struct *vm_mm;		/* immutable */
	struct anon_vma *anon_vma;
	struct kmm_file *vm_file;
	/*
	 * One link, two lives (as Linux's vm_rcu shares a VMA's storage): on
	 * vm_file->i_mmap while mapped (i_mmap_lock); vm_area_free() takes it
	 * off that list before the VMA waits on procs->deferred for its grace
	 * period (deferred_lock), and nothing reads shared_node after that.
	 */
	union {
		struct list_head shared_node;
		struct list_head free_node;
	};
	pteval_t vm_page_prot;			/* leaf bits for a new PTE (no RW for private) */
	unsigned long vm_pgoff;			/* file page, or linear index for anon */
	struct list_head anon_vma_node;		/* anon_vma->lock */
	/* Unused: Linux 6.12 keeps more here (vm_policy, anon_name, ...); the slab object stays 176 bytes (below). */
	unsigned long vm_pad[8];
};
/*
 * vm_flags is written only under mmap_write_lock() with the VMA write-locked,
 * through vm_flags_reset() (Linux's vm_flags_reset() / vm_flags_reset_once());
 * a holder of either lock reads it plainly. A reverse-map walker holds
 * neither - only the file's i_mmap_lock or the anon_vma's lock - and reads it
 * with vm_flags_read_once(), as Linux's walkers read it unlocked
 * (folio_referenced_one(), try_to_unmap_one()). Both are relaxed atomics:
 * the plain load and store on x86-64, but a defined value (the old flags or
 * the new) in C11 and nothing for TSan to report. No order is needed: what
 * a walker acts on, the PTE, it rereads under the page-table lock. (Taking
 * i_mmap_lock and the anon_vma lock around each store instead would put two
 * more locks, in a fixed order, on every mprotect, mlock and madvise, for
 * readers that use the flags only as a hint.)
 */
static inline unsigned long vm_flags_read_once(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);
}
static inline void vm_flags_reset(struct vm_area_struct *vma, unsigned long flags)
{
	__atomic_store_n(&vma->vm_flags, flags, __ATOMIC_RELAXED);
}
/* 176 bytes on a 64-bit host, Linux 6.12 x86_64's (its slabinfo objsize): keep it so. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct vm_area_struct) == 176,
	       "struct vm_area_struct grew past Linux x86_64's 176 bytes");

/*
 * Fields without a note are written under mmap_write_lock() and read under
 * mmap_lock (either side); outside the process layer, read them through
 * mmap_read_lock() or task_mm_info().
 */
/*
 * rss_stat, one 64-byte line per CPU slot (Linux 6.2's percpu_counter for
 * rss_stat, simplified: MM_RSS_LINES lines, slot k adds to line k mod
 * MM_RSS_LINES, so more slots than lines share one; k is the slot the thread
 * used last, kmm_cpu_cache.cpu, taken without asking whether it is this
 * machine's: any line counts exactly). A fault adds to its own CPU's line
 * with no other CPU writing it; readers sum the lines
 * (get_mm_counter()), exact whenever no update is in flight.
 */
#define MM_RSS_LINES 4
struct mm_rss_line {
	atomic_long count[NR_MM_COUNTERS];	/* atomic: slots beyond MM_RSS_LINES share it */
	long pad[8 - NR_MM_COUNTERS];
};

struct mm_struct {
	/* first: the mm is cache-line aligned (SLAB_HWCACHE_ALIGN), so each line is one */
	struct mm_rss_line rss_stat[MM_RSS_LINES];
	struct kmm_machine *m;			/* immutable */
	struct kmm_pgtable pgt;			/* leaves: their table's lock (pte_lockptr) */
	struct sim_mmu_ctx ctx;			/* CR3 + ASID + flush generation */

	struct sim_rwlock mmap_lock;		/* see the header */
	atomic_int mm_lock_seq;			/* odd while write-locked (per-VMA locks) */
	spinlock_t page_table_lock;		/* table unlinking and freeing, anon_vma set-up */
	atomic_int mm_users;			/* the task + get_task_mm() holders */

	struct vma_tree_node *mm_mt;		/* the VMA tree's root (mm/vma.c) */
	struct vma_tree_node *mm_mt_spare;	/* nodes kept for the next insertions */
	int mm_mt_height, mm_mt_nr_spare;	/* levels of the tree; nodes on mm_mt_spare */
	unsigned long mm_mt_seq;		/* bumped by every insertion and removal (struct vma_iterator) */
	/* The VMA inserted last: only compared with a neighbour's address (it may be freed since). */
	const struct vm_area_struct *mm_mt_last;
	/* Its leaf and entry while mm_mt_seq is still mm_mt_last_seq (vma_touching()). */
	struct vma_tree_node *mm_mt_last_leaf;
	unsigned int mm_mt_last_i;
	unsigned long mm_mt_last_seq;
	int map_count;

	unsigned long total_vm;			/* written with atomic stores: faults read it */
	unsigned long locked_vm, pinned_vm, data_vm, exec_vm, stack_vm;
	unsigned long committed_vm;		/* pages of VM_ACCOUNT VMAs (commit charge) */
	unsigned long hiwater_rss, hiwater_vm;	/* atomic maxima (hiwater_rss lazy: get_mm_hiwater_rss) */
	unsigned long start_code, end_code, start_data, end_data;
	unsigned long start_brk, brk, start_stack, mmap_base, task_size;
	unsigned long def_flags;
	atomic_bool has_pinned;			/* MMF_HAS_PINNED */
	struct kmm_file *exe_file;
	atomic_bool oom_skip;			/* MMF_OOM_SKIP: reaped, not a candidate again */
};

enum task_state { TASK_RUNNING, TASK_DEAD };

/*
 * A task's fault counts (Linux: min_flt and maj_flt in each thread's
 * task_struct, summed over the threads by /proc/PID/stat). The host threads
 * that drive one kmm process share its task_struct, so the counts are kept
 * per CPU-slot line, as mm->rss_stat: a fault adds to its slot's line (slot
 * k to line k mod MM_RSS_LINES), and no line shares a cache line with the
 * task's fields every access reads (oom_victim, state). Readers sum the
 * lines (task_flt()).
 */
struct task_flt_line {
	atomic_ulong min_flt, maj_flt;	/* atomic: slots beyond MM_RSS_LINES share a line */
} __attribute__((aligned(64)));

struct task_struct {
	int pid;				/* immutable */
	struct kmm_machine *machine;		/* immutable */
	char comm[16];				/* tasklist_lock (exec renames) */
	unsigned int uid;			/* 0 (root, CAP_SYS_ADMIN) unless set; fork copies it */
	struct task_struct *parent;		/* tasklist_lock */
	struct mm_struct *mm;			/* NULL once dead; tasklist_lock */
	int oom_score_adj;			/* signal->oom_score_adj, -1000..1000; atomic */
	/*
	 * signal->rlim[], KMM_RLIMIT_*: written under tasklist_lock (kmm_prlimit)
	 * with relaxed atomic stores, read with relaxed atomics (rlimit()'s
	 * READ_ONCE). fork copies them, exec keeps them.
	 */
	struct kmm_rlimit rlim[KMM_RLIM_NLIMITS];
	/*
	 * The credentials' capability sets (struct cred), bit n for Linux's
	 * CAP_ number n: effective (what capable() tests), permitted,
	 * inheritable, ambient and the bounding set. Written under
	 * tasklist_lock with relaxed atomic stores, read with relaxed atomics.
	 * fork copies them; exec recomputes them (cap_bprm_creds_from_file).
	 * Invariant (cap_ambient_invariant_ok): ambient within permitted and
	 * inheritable; effective within permitted.
	 */
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_ambient, cap_bset;
	atomic_bool oom_victim;			/* mark_oom_victim(): SIGKILL pending (mm/oom_kill.c) */
	enum task_state state;			/* tasklist_lock */
	atomic_int usage;			/* the task list's reference + each get_task_by_pid()'s */
	struct kmm_task_exit exit;
	struct list_head tasks;			/* procs->tasks, pid order */
	struct list_head children;		/* tasks whose parent this is; tasklist_lock */
	struct list_head sibling;		/* on parent->children; tasklist_lock */
	struct list_head comm_node;		/* on its comm's list (mm/task_index.c); tasklist_lock */
	/* Statistics kept after exit for ps / status of a zombie */
	unsigned long last_hiwater_rss, last_hiwater_vm;
	struct task_flt_line flt[MM_RSS_LINES];	/* min_flt, maj_flt: task_flt() sums them */
};

/* Every capability Linux 6.12 has (CAP_LAST_CAP 40): what root holds, and a task spawned from nothing. */
#define CAP_FULL_SET	((1ull << 41) - 1)
#define CAP_SETPCAP	8	/* capset() beyond the permitted set into the inheritable one */
#define CAP_SYS_ADMIN	21	/* with CAP_SYS_RESOURCE: past RLIMIT_NPROC at fork */

/* The capabilities and RLIMIT_MEMLOCK of @t (struct task_struct says how they are read). */
static inline bool task_capable(const struct task_struct *t, int cap)
{
	return (__atomic_load_n(&t->cap_effective, __ATOMIC_RELAXED) >> cap) & 1;
}
/* task_rlimit(), task_rlimit_max(): @t's soft and hard limit of @res, KMM_RLIMIT_* (bytes, ...). */
static inline uint64_t task_rlimit(const struct task_struct *t, int res)
{
	return __atomic_load_n(&t->rlim[res].rlim_cur, __ATOMIC_RELAXED);
}
static inline uint64_t task_rlimit_max(const struct task_struct *t, int res)
{
	return __atomic_load_n(&t->rlim[res].rlim_max, __ATOMIC_RELAXED);
}

/* t->oom_score_adj: /proc writes it unlocked, so it is read and written with relaxed atomics. */
static inline int task_oom_score_adj(const struct task_struct *t)
{
	return __atomic_load_n(&t->oom_score_adj, __ATOMIC_RELAXED);
}

/* A pinned page recorded for the checker (FOLL_PIN references). */
struct pin_record {
	struct page *page;
	int count;
};

/*
 * SRCU (Linux's sleepable RCU, kernel/rcu/srcutree.c, much reduced): a reader
 * counts itself in its CPU slot's counter of the current index; a grace
 * period flips the index and waits for the old index's counters to drain.
 * kmm adds a stop: stopped readers wait at the door, and the stopper waits
 * for every counter to drain (process_check() runs with the world stopped).
 */
struct srcu_cpu {
	atomic_long count[2];
} __attribute__((aligned(64)));

struct srcu_struct {
	atomic_int idx;				/* readers enter counter [idx & 1] */
	atomic_int stopped;			/* nonzero: new readers wait */
	spinlock_t gp_lock;			/* serialises grace periods and stops */
	int nr_cpus;
	struct srcu_cpu *cpu;			/* [nr_cpus] */
};

struct kmm_procs {
	struct kmm_machine *m;
	struct srcu_struct srcu;		/* see the header */
	spinlock_t tasklist_lock;		/* recursive: the owner may take it again */
	_Atomic(void *) tasklist_owner;
	int tasklist_depth;
	struct list_head tasks;			/* tasklist_lock */
	struct xarray by_pid;			/* pid -> task; tasklist_lock (mm/task_index.c) */
	struct strmap by_comm;			/* comm -> its tasks; tasklist_lock */
	unsigned long by_comm_lost;		/* renames the name index missed (no host memory) */
	int next_pid;				/* tasklist_lock */
	struct sim_mmu *mmu;
	struct page *zero_page;			/* the shared zero page */
	unsigned long zero_pfn;
	atomic_ulong next_ino;
	spinlock_t pins_lock;			/* @pins, @nr_pins, @pins_cap */
	struct pin_record *pins;
	int nr_pins, pins_cap;
	spinlock_t deferred_lock;		/* @deferred, @deferred_tables */
	struct list_head deferred;		/* unlinked VMAs waiting for a grace period */
	struct list_head deferred_tables;	/* unlinked page-table frames (page->lru), likewise */
	atomic_long nr_deferred;		/* entries on both lists */
	unsigned long stack_guard_gap;		/* bytes */
	/*
	 * Linux 6.12's INIT_RLIMITS, with fork_init()'s RLIMIT_NPROC and
	 * RLIMIT_SIGPENDING (max_threads / 2): a task from nothing starts with
	 * them. Immutable after init. ignore_rlimit_data: the boot option
	 * (immutable after boot); rlimit_data_warned: may_expand_vm()'s
	 * pr_warn_once (atomic).
	 */
	struct kmm_rlimit init_rlim[KMM_RLIM_NLIMITS];
	unsigned long max_threads;
	bool ignore_rlimit_data;
	atomic_bool rlimit_data_warned;
	gfp_t user_gfp;				/* GFP_HIGHUSER_MOVABLE, or without highmem
						   when the MMU window cannot reach it (ram=anon) */
	atomic_ulong cow_copies, cow_reuses;	/* do_wp_page outcomes */
	atomic_long committed_pages;		/* committed_vm of live mms + shmem_committed */
	atomic_long shmem_committed;		/* charges of live shmem objects (kmm_file.committed) */
	/*
	 * The slab caches the structures above come from, as Linux's
	 * mm_cachep, anon_vma_cachep, task_struct_cachep, vm_area_cachep
	 * (created by process_init in that order; immutable until shutdown).
	 * With proc_caches=lazy (kmm only) they and the zero page are made by
	 * the first task_alloc() instead: @objects_ready is set (release)
	 * once they are, under @objects_lock (mm/fork.c, proc_objects_get()).
	 */
	struct kmem_cache *mm_cachep, *anon_vma_cachep, *task_struct_cachep, *vm_area_cachep;
	atomic_bool objects_ready;
	spinlock_t objects_lock;
	/*
	 * Hooks of the pressure layer (NULL until it installs them):
	 * swapin()          a fault on a swap entry: bring the page back and map it
	 *                   at @ptep (@flags: FAULT_FLAG_*); 0 or VM_FAULT_MAJOR
	 *                   when it read from swap, -ENOMEM (OOM) or another
	 *                   -errno (SIGBUS).
	 *                   Called with @vma read-locked (or mmap_lock held) and no
	 *                   PTE lock: read the page in, then take the lock of
	 *                   @ptep's table and map it only if *@ptep
	 *                   still holds @entry (else another thread won: return 0).
	 * swap_free()       a swap entry left a page table (zap, exit): drop its
	 *                   slot. Called under the PTE's table lock.
	 * swap_dup()        fork copied a swap entry, or try_to_unmap wrote one:
	 *                   take a slot reference (0/-errno). Called under the
	 *                   table lock of the PTE that is written.
	 * vm_enough_memory() the overcommit check before @pages more pages are
	 *                   committed for @mm (or its current task); 0 or -ENOMEM
	 *                   (nothing changes). NULL: everything is granted.
	 *                   Called under @mm's mmap_write_lock.
	 * overcommit_policy() vm.overcommit_memory (0, 1, 2): MAP_NORESERVE is
	 *                   honoured unless it is 2. NULL: 0.
	 * pagefault_oom()   a fault came back with VM_FAULT_OOM and the task is
	 *                   not dying: report it (the fault is retried).
	 * oom_victim_exit() an OOM victim leaves its fault or system call (no
	 *                   process lock held): the OOM reaper takes its memory,
	 *                   then it dies of SIGKILL. NULL: it just dies.
	 * swapin_range()    MADV_WILLNEED of anonymous memory: read the pages of
	 *                   the swap PTEs in [@start, @end) of @vma into the swap
	 *                   cache, mapping nothing (mmap lock held, no page-table
	 *                   lock). NULL: nothing is read.
	 * exit_files()      @t has exited (its mm is gone): close its open files
	 *                   (do_exit's exit_files; set by the fs layer). NULL:
	 *                   it has none.
	 * open_exec()       the program file @path for exec to map, with a
	 *                   reference in *@out (fs/exec.c's open_exec; set by
	 *                   the fs layer): the file of that name, or, when there
	 *                   is none, one installed now with @size bytes of the
	 *                   generated image (image_pattern). Return: 0 or
	 *                   -errno (a bad path, no space). NULL (no filesystem
	 *                   layer): exec makes a synthetic image of that name.
	 */
	int (*swapin)(struct kmm_machine *m, struct vm_area_struct *vma, uint64_t addr,
		      void *ptep, pteval_t entry, unsigned int flags);
	void (*swap_free)(struct kmm_machine *m, pteval_t entry);
	int (*swap_dup)(struct kmm_machine *m, pteval_t entry);
	void (*swapin_range)(struct vm_area_struct *vma, unsigned long start, unsigned long end);
	int (*vm_enough_memory)(struct mm_struct *mm, long pages);
	int (*overcommit_policy)(struct kmm_machine *m);
	void (*pagefault_oom)(struct kmm_machine *m);
	void (*oom_victim_exit)(struct task_struct *t);
	void (*exit_files)(struct task_struct *t);
	int (*open_exec)(struct kmm_machine *m, const char *path, uint64_t size, struct kmm_file **out);
};

static inline struct kmm_procs *procs_of(const struct kmm_machine *m)
{
	return m->subsys[SUBSYS_PROCESS];
}

/* ---- mm/mmap_lock.c: the locks of the process layer ---- */

/**
 * procs_enter() / procs_exit() - bracket every entry into the process layer
 * (system calls, faults, fork, exit, rmap walks of reclaim): an SRCU
 * read-side section of procs->srcu. Nested calls on one thread are cheap and
 * never wait. procs_exit() of the outermost section frees what the thread
 * unlinked (page tables, VMAs) after a grace period.
 * Return (procs_enter): a token for procs_exit().
 * Context: no process-layer lock held at the outermost procs_enter().
 */
int procs_enter(struct kmm_machine *m);
void procs_exit(struct kmm_machine *m, int token);
/**
 * procs_stop() / procs_resume() - stop every process-layer entry point and
 * wait for those running to leave (for process_check()). Return: 0, or
 * -EDEADLK when the calling thread is itself inside procs_enter() (nothing
 * is stopped then).
 */
int procs_stop(struct kmm_machine *m);
void procs_resume(struct kmm_machine *m);
/** procs_defer_free_table() - free @page (an unlinked page-table frame) after a grace period. */
void procs_defer_free_table(struct kmm_machine *m, struct page *page);
/** procs_defer_free_vma() - free @vma (out of its tree) after a grace period. */
void procs_defer_free_vma(struct vm_area_struct *vma);
/** procs_srcu_init() / procs_srcu_shutdown() - set up / tear down (flushing) the SRCU of @p. */
int procs_srcu_init(struct kmm_procs *p, int nr_cpus);
void procs_srcu_shutdown(struct kmm_procs *p);

/** mmap_read_lock() and friends - @mm's mmap_lock (Linux's include/linux/mmap_lock.h). */
void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
/** mmap_read_trylock() - the read lock if it is free now (the OOM reaper). Return: taken? */
bool mmap_read_trylock(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
/** mmap_write_unlock() - also ends every vma_start_write() of this write section. */
void mmap_write_unlock(struct mm_struct *mm);
/**
 * vma_start_write() - write-lock @vma before changing it: waits for faults
 * holding its read lock; it stays locked until mmap_write_unlock().
 * Context: mmap_write_lock() held.
 */
void vma_start_write(struct vm_area_struct *vma);
/**
 * lock_vma_under_rcu() - the VMA containing @addr, read-locked, found
 * without mmap_lock (a per-thread cache of the last VMA, else a short
 * mmap_read_lock() lookup). Return: the VMA, or NULL (fall back to
 * mmap_read_lock() and find_vma()). Context: inside procs_enter().
 */
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr);
void vma_end_read(struct vm_area_struct *vma);

/**
 * get_task_by_pid() - the task with @pid, with a reference (Linux's
 * get_pid_task()): it is not freed, even if reaped meanwhile, until
 * put_task_struct(). Return: the task, or NULL.
 */
struct task_struct *get_task_by_pid(struct kmm_machine *m, int pid);
/** put_task_struct() - drop a reference; the last one frees the task. */
void put_task_struct(struct task_struct *t);
/** tasklist_lock() / tasklist_unlock() - the task list (recursive on one thread). */
void tasklist_lock(struct kmm_machine *m);
void tasklist_unlock(struct kmm_machine *m);

/**
 * get_task_mm() - @t's mm with a reference (mm_users), or NULL once @t is
 * dead. Drop it with mmput(). Context: any; takes tasklist_lock.
 */
struct mm_struct *get_task_mm(struct task_struct *t);
/** mmget() - one more reference on a live @mm. */
void mmget(struct mm_struct *mm);

/* What /proc and the CLI read about a process, copied under the locks. */
struct task_mm_info {
	bool alive;
	unsigned long total_vm, locked_vm, pinned_vm, data_vm, exec_vm, stack_vm;
	unsigned long hiwater_rss, hiwater_vm;
	long rss[NR_MM_COUNTERS];
	unsigned long start_code, end_code, start_data, end_data;
	unsigned long start_brk, brk, start_stack;
	int map_count;
	unsigned long nr_ptes;			/* page-table frames below the root */
	unsigned long pgtables_bytes;
	unsigned long min_flt, maj_flt;
};
/** task_mm_info() - fill @out for @t (alive false and zeros once @t has no mm). */
void task_mm_info(struct task_struct *t, struct task_mm_info *out);
/** procs_cow_stats() - do_wp_page outcomes on @m: copies and in-place reuses. */
void procs_cow_stats(struct kmm_machine *m, unsigned long *copies, unsigned long *reuses);

/* ---- mm/vma.c: the VMA tree ---- */

/** find_vma() - the first VMA with vm_end > @addr, or NULL. O(log n). Context: mmap_lock. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/**
 * find_vma_intersection() - the first VMA that overlaps [@start, @end), or
 * NULL. When the leaf's stored gap puts the next VMA at or above @end, that
 * VMA is not read (a line in no cache in a large tree). Context: mmap_lock.
 */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
/** find_vma_prev() - find_vma(), and the VMA before it in *@pprev. */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
/**
 * vma_insert() - link @vma (disjoint from the others) into @mm. O(log n).
 * Return: 0; -ENOMEM (nothing changed) if no node could be had for the tree,
 * which cannot happen after vma_tree_prealloc() under the same mmap_write_lock().
 */
int vma_insert(struct mm_struct *mm, struct vm_area_struct *vma);
/** vma_remove() - unlink @vma from @mm. O(log n). */
void vma_remove(struct mm_struct *mm, struct vm_area_struct *vma);
/**
 * vma_adjust_tree() - after @vma's vm_start or vm_end changed in place (the
 * order of the VMAs unchanged): refresh the cached gaps. O(log n).
 */
void vma_adjust_tree(struct vm_area_struct *vma);
/** vma_tree_prealloc() - keep the nodes the next vma_insert() may need. Return: 0/-ENOMEM. */
int vma_tree_prealloc(struct mm_struct *mm);
/*
 * vma_tree_fail_nth - tests' knob: when set to n > 0, the n-th host
 * allocation of a tree node from now fails as posix_memalign's would. Set it
 * only with no other thread in the process layer (it is a plain int).
 */
extern int vma_tree_fail_nth;
/** vma_tree_destroy() - free @mm's spare tree nodes (the tree stays; at mmput(), none is left). */
void vma_tree_destroy(struct mm_struct *mm);
/** vma_tree_nodes() - the nodes of @mm's VMA tree (its spare nodes not counted). Context: mmap_lock. */
unsigned long vma_tree_nodes(const struct mm_struct *mm);
/** vma_tree_check() - the tree's invariants for process_check(). Return: 0/-EUCLEAN. */
int vma_tree_check(struct mm_struct *mm, int pid);
/** unmapped_area_topdown() - the highest free [addr, addr+len) below @high_limit, or -ENOMEM. */
unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len, unsigned long low_limit,
				    unsigned long high_limit);

/*
 * struct vma_iterator - a walk over @mm's VMAs in address order (Linux 6.12's
 * vma_iterator, a maple state): the leaf and entry of the VMA it returned
 * last, so that the next or previous VMA is the entry beside it (or the
 * first or last of the neighbouring leaf, found through the parents).
 * Context: mmap_lock, held for the whole walk.
 *
 * The tree may change during the walk (a caller that removes or inserts
 * VMAs, as munmap's and exit's loops do): every insertion and removal bumps
 * mm->mm_mt_seq, and a step that finds it changed forgets the leaf (which
 * may have been freed or reshaped) and descends again by address - to the
 * first VMA that starts at or after the end of the one it returned last
 * (vma_find), or to the last that ends at or below its start (vma_prev). So
 * the walk never reads a removed VMA or node; a VMA that grew over the
 * position in the meantime is not returned again, and one inserted behind it
 * is not seen.
 */
struct vma_iterator {
	struct mm_struct *mm;
	struct vma_tree_node *node;	/* the leaf of the last VMA returned; NULL: descend */
	unsigned int i;			/* its entry */
	bool walked;			/* a VMA was returned: start/end are its range */
	unsigned long seq;		/* mm->mm_mt_seq when node was read */
	unsigned long start, end;	/* !walked: both the address to start at */
};
#define VMA_ITERATOR(name, mm_, addr) \
	struct vma_iterator name = { .mm = (mm_), .start = (addr), .end = (addr) }
/** vma_iter_init() - start @vmi over again at @addr (VMA_ITERATOR's job for a declared one). */
static inline void vma_iter_init(struct vma_iterator *vmi, struct mm_struct *mm, unsigned long addr)
{
	*vmi = (struct vma_iterator){ .mm = mm, .start = addr, .end = addr };
}
/**
 * vma_find() - the next VMA that starts below @max, NULL if none (the
 * position stays). A new iterator's first is the VMA holding its address or
 * the first above it (find_vma()). O(1) amortised, O(log n) after a change.
 */
struct vm_area_struct *vma_find(struct vma_iterator *vmi, unsigned long max);
/**
 * vma_touching() - the VMAs directly before and after @vma (linked in its
 * mm's tree) that touch it: *@pprev ending at its vm_start, *@pnext starting
 * at its vm_end; NULL for a side with room between (or no VMA). Decided from
 * the leaf's end and gap where it can, without reading the neighbour; right
 * after vma_insert() of @vma, with no insertion or removal since, from the
 * leaf the insertion left (no descent). Context: mmap_lock.
 */
void vma_touching(struct vm_area_struct *vma, struct vm_area_struct **pprev,
		  struct vm_area_struct **pnext);
/**
 * vma_iter_intersection() - find_vma_intersection() of [@start, @end) that
 * leaves @vmi at @start (not walked: vma_find() returns the VMA at or after
 * @start). On NULL with a VMA above, @vmi keeps the leaf and entry where a
 * VMA starting at @start goes, for vma_iter_insert(). Context: mmap_lock.
 */
struct vm_area_struct *vma_iter_intersection(struct vma_iterator *vmi, unsigned long start,
					     unsigned long end);
/**
 * vma_iter_insert() - vma_insert() of @vma at the place vma_iter_intersection()
 * left in @vmi for its vm_start, with no descent while nothing was inserted
 * or removed since (else, or for another start, as vma_insert()). @vmi is
 * then reset (its next step descends). Return: as vma_insert().
 * Context: mmap_write_lock, held since vma_iter_intersection().
 */
int vma_iter_insert(struct vma_iterator *vmi, struct vm_area_struct *vma);
/**
 * vma_iter_remove() - vma_remove() of @vma, the VMA @vmi returned last: from
 * the leaf @vmi holds while nothing moved since (no descent), else as
 * vma_remove(). The next step descends again from @vma's end, as after any
 * removal. Context: mmap_write_lock.
 */
void vma_iter_remove(struct vma_iterator *vmi, struct vm_area_struct *vma);
/** vma_next() - the next VMA, NULL after the last. */
static inline struct vm_area_struct *vma_next(struct vma_iterator *vmi)
{
	return vma_find(vmi, ~0UL);
}
/**
 * vma_prev() - the VMA before the one returned last; a new iterator's is
 * the last VMA that ends at or below its address. NULL if none (the
 * position stays).
 */
struct vm_area_struct *vma_prev(struct vma_iterator *vmi);
/* Every VMA from @vmi's position on; @vma is NULL after the loop. */
#define for_each_vma(vmi, vma) while (((vma) = vma_next(&(vmi))) != NULL)
/* Every VMA from @vmi's position on that starts below @end. */
#define for_each_vma_range(vmi, vma, end) while (((vma) = vma_find(&(vmi), (end))) != NULL)

/* ---- mm/mmap.c: VMAs, mmap, munmap, brk, accounting ---- */

/** process_init() (mm/fork.c) - the process entry's init: zero page, MMU. Return: 0/-ENOMEM. */
int process_init(struct kmm_machine *m);
/** process_check() (mm/rmap.c) - the layer's checker, see the invariant above. Return: 0/-EUCLEAN. */
int process_check(struct kmm_machine *m);

struct mm_struct *mm_alloc(struct kmm_machine *m);
/**
 * arch_pick_mmap_layout() - @mm's mmap_base from the stack limit exec reads
 * (x86's mmap_base(), no randomisation): TASK_SIZE less the limit and the
 * stack guard gap, the gap kept within [128 MiB, 5/6 of TASK_SIZE] - so an
 * unlimited stack puts mmap_base at a sixth of TASK_SIZE (x86 keeps the
 * top-down layout for it). mm_alloc() uses _STK_LIM; exec the task's limit.
 */
void arch_pick_mmap_layout(struct mm_struct *mm, uint64_t rlim_stack);
/** mmput() - drop a reference; the last one unmaps everything and frees the tables and the mm. */
void mmput(struct mm_struct *mm);
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
/** vm_area_free() - unlink @vma from its anon_vma and file and free it (after a grace period if it was in a tree). */
void vm_area_free(struct vm_area_struct *vma);
pteval_t vm_get_page_prot(const struct kmm_machine *m, unsigned long vm_flags);
void vma_set_page_prot(struct vm_area_struct *vma);
/** split_vma() - cut @vma at @addr; the new piece is after (or before if @new_below). */
int split_vma(struct vm_area_struct *vma, unsigned long addr, bool new_below);
/** vma_try_merge() - merge @vma with compatible neighbours. Return: the surviving VMA. */
struct vm_area_struct *vma_try_merge(struct vm_area_struct *vma);
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages);
/** vm_charge() - the overcommit check for @npages more pages of a @flags VMA. Return: 0/-ENOMEM. */
int vm_charge(struct mm_struct *mm, unsigned long flags, long npages);
unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				unsigned long flags);
/** do_mmap() - Linux's do_mmap for anonymous / @file memory. Return: address or -errno. */
long do_mmap(struct mm_struct *mm, struct kmm_file *file, unsigned long addr, unsigned long len,
	     int prot, int flags, unsigned long pgoff, unsigned long extra_vm_flags);
/**
 * vm_mmap_pgoff() - the mmap system call for a file: map @len bytes of @file
 * from page @pgoff into @t (locks, enters and leaves the process layer).
 * @extra_vm_flags: what the open file adds (VM_FILE_NOREUSE, VM_MMAP_FD_RDONLY,
 * VM_MMAP_FD_WRONLY), or 0.
 * Return: the address or -errno.
 */
long vm_mmap_pgoff(struct task_struct *t, struct kmm_file *file, unsigned long addr, unsigned long len,
		   int prot, int flags, unsigned long pgoff, unsigned long extra_vm_flags);
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len);
long do_brk(struct mm_struct *mm, unsigned long newbrk);
int expand_stack(struct vm_area_struct *vma, unsigned long addr);
unsigned long vm_start_gap(const struct vm_area_struct *vma);
/*
 * ---- Split PTE locks ----
 * pte_lockptr() - the lock of the PTE table that holds @slot (a leaf slot
 * from pgtable_walk()): Linux's pte_lockptr(), the table frame's page->ptl.
 * The slot must have been found under a lock that keeps its table linked
 * (mmap_lock for write, or the lock itself taken and the walk repeated:
 * pte_offset_map_lock()).
 */
static inline spinlock_t *pte_lockptr(const struct mm_struct *mm, const void *slot)
{
	return &virt_to_page_m(mm->m, slot)->ptl;
}
/**
 * pte_offset_map_lock() - the leaf slot of @addr in @mm's tables, with the
 * lock of its table taken (*@ptlp). The walk is made again under the lock:
 * a table unlinked meanwhile (free_pgtables) is not returned.
 * Context: inside procs_enter() or under mmap_lock (the table frame stays).
 * Return: the slot, locked, or NULL (nothing held) when no table maps @addr.
 */
void *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp);
/** pte_unmap_unlock() - drop the lock pte_offset_map_lock() took. */
static inline void pte_unmap_unlock(spinlock_t *ptl)
{
	spin_unlock(ptl);
}
/**
 * walk_ptes_locked() - pgtable_for_each_leaf() over [@start, @end) of @mm
 * with each PTE table's lock held while @fn visits that table's entries
 * (Linux's walk_pte_range() under pte_offset_map_lock()). @fn may drop and
 * take again the lock of its slot (pte_lockptr()); it returns nonzero to
 * stop, and that value is returned.
 * Context: the caller keeps the tables (mmap_lock, or i_mmap_lock with
 * procs_enter()); no PTE lock held.
 */
int walk_ptes_locked(struct mm_struct *mm, unsigned long start, unsigned long end, bool nonnone,
		     int (*fn)(void *arg, uint64_t va, void *slot, pteval_t v), void *arg);

/** update_hiwater() - raise hiwater_rss and hiwater_vm to the current values (atomic maxima). */
void update_hiwater(struct mm_struct *mm);
/*
 * hiwater_rss is lazy, as Linux's (update_hiwater_rss() before RSS falls,
 * get_mm_hiwater_rss() on read): a fault raises RSS and leaves hiwater_rss
 * alone; whatever lowers RSS first raises hiwater_rss to the RSS it is
 * about to lower (add_mm_counter() with a negative count of resident
 * pages does so itself; zap, which lowers it page by page, once before its
 * walk with __add_mm_counter()). So the peak is always max(hiwater_rss,
 * RSS now): get_mm_hiwater_rss(), which every reader folds.
 */
/** update_hiwater_rss() - raise hiwater_rss to the current RSS (an atomic maximum). */
void update_hiwater_rss(struct mm_struct *mm);
/**
 * get_mm_counter() - @mm's count @c: its lines summed (percpu_counter_sum()),
 * never below 0 (a sum taken while a page moves between two CPUs' lines may
 * see its removal and not its addition, as percpu_counter_read_positive()).
 */
static inline long get_mm_counter(const struct mm_struct *mm, enum mm_counter c)
{
	long sum = 0;

	for (int i = 0; i < MM_RSS_LINES; i++)
		sum += atomic_load_explicit(&((struct mm_struct *)mm)->rss_stat[i].count[c],
					    memory_order_relaxed);
	return sum > 0 ? sum : 0;
}
/* __add_mm_counter(): add_mm_counter() for a caller that ran update_hiwater_rss() first. */
static inline void __add_mm_counter(struct mm_struct *mm, enum mm_counter c, long n)
{
	/* the line of the slot this thread last used: any line counts exactly (one TLS load) */
	struct mm_rss_line *l = &mm->rss_stat[kmm_cpu_cache.cpu & (MM_RSS_LINES - 1)];

	atomic_fetch_add_explicit(&l->count[c], n, memory_order_relaxed);
	if (kmm_trace_on(mm->m, KMM_EVBIT(KMM_EV_RSS_STAT)))	/* the sum only for the event */
		trace_rss_stat(mm->m, c, (int64_t)get_mm_counter(mm, c) * 4096);
}
static inline void add_mm_counter(struct mm_struct *mm, enum mm_counter c, long n)
{
	if (n < 0 && c != MM_SWAPENTS)
		update_hiwater_rss(mm);		/* the RSS falls: keep its peak */
	__add_mm_counter(mm, c, n);
}
/** task_flt() - @t's minor (@major false) or major fault count: its lines summed. */
static inline unsigned long task_flt(const struct task_struct *t, bool major)
{
	unsigned long sum = 0;

	for (int i = 0; i < MM_RSS_LINES; i++)
		sum += atomic_load_explicit(major ? &((struct task_struct *)t)->flt[i].maj_flt
						  : &((struct task_struct *)t)->flt[i].min_flt,
					    memory_order_relaxed);
	return sum;
}
static inline unsigned long get_mm_rss(const struct mm_struct *mm)
{
	return (unsigned long)(get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
			       get_mm_counter(mm, MM_SHMEMPAGES));
}
/** get_mm_hiwater_rss() - the peak RSS in pages: max(hiwater_rss, the RSS now). */
static inline unsigned long get_mm_hiwater_rss(const struct mm_struct *mm)
{
	unsigned long hw = __atomic_load_n(&mm->hiwater_rss, __ATOMIC_RELAXED), rss = get_mm_rss(mm);

	return hw > rss ? hw : rss;
}
static inline unsigned long mm_total_vm(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->total_vm, __ATOMIC_RELAXED);
}
struct task_struct *task_alloc(struct kmm_machine *m, const char *comm, struct task_struct *parent);
/*
 * The task indexes (mm/task_index.c), tasklist_lock held: task_index_add()
 * (0 or -ENOMEM), task_index_del(), task_index_rename() after exec changed
 * t->comm; task_index_check() for process_check() (0, or -EINVAL and @why).
 */
int task_index_add(struct task_struct *t);
void task_index_del(struct task_struct *t);
void task_index_rename(struct task_struct *t);
void task_index_destroy(struct kmm_procs *p);
int task_index_check(struct kmm_machine *m, char *why, size_t len);
struct kmm_file *kmm_file_create(struct kmm_machine *m, const char *path, uint64_t size, bool shmem);
void kmm_file_get(struct kmm_file *f);
/** shmem_charge() - add @pages (negative: give back) to shmem object @f's commit charge. */
void shmem_charge(struct kmm_machine *m, struct kmm_file *f, long pages);
void kmm_file_put(struct kmm_machine *m, struct kmm_file *f);

/* ---- mm/memory.c: faults, zapping, COW, user access ---- */

/** handle_mm_fault() - Linux's core fault path. Return: VM_FAULT_* bits (0 = done). */
unsigned int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags);
/**
 * do_user_addr_fault() - the x86 fault entry for a user access: find the VMA,
 * check access, handle, and on failure deliver the signal (killing @t).
 * Return: 0 when the access may be retried, -EFAULT when @t died.
 */
int do_user_addr_fault(struct task_struct *t, unsigned long addr, unsigned int error_code);
/**
 * zap_page_range_single() - clear the PTEs of [@address, @address + @size) in
 * @vma, dropping their pages and swap entries.
 */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long address, unsigned long size);
/**
 * unmap_mapping_range() - truncation's second unmap (even_cows): in every
 * VMA of @f, clear the entries of index @first and beyond that are
 * not the file's pages (COW copies, their swap entries, poisoned markers).
 * Context: inside procs_enter(); takes @f->i_mmap_lock (read) and PTE locks.
 */
void unmap_mapping_range(struct kmm_file *f, unsigned long first);
/** free_pgtables_range() - free the page tables covering [start, end) (the caller zapped it; floor/ceiling are not used yet). */
void free_pgtables_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			 unsigned long floor, unsigned long ceiling);
void flush_tlb_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
void flush_tlb_mm(struct mm_struct *mm);
/** vm_normal_page() - the struct page behind a present PTE, NULL for special (zero page). */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte);
/**
 * populate_vma_page_range() - fault in [start, end) of @vma (MAP_POPULATE, mlock),
 * stopping at the first fault that fails.
 * Return: 0; -EFAULT for a PROT_NONE @vma (nothing faulted), else the failed
 * fault's vm_fault_to_errno() (-ENOMEM, -EFAULT).
 */
int populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
void kill_task(struct task_struct *t, int sig, int code, uint64_t addr);
int mm_account_fault(struct task_struct *t, unsigned int ret);

/* ---- mm/rmap.c: reverse map ---- */

void anon_vma_ctor(void *data);
struct anon_vma *anon_vma_alloc(struct kmm_machine *m);
void get_anon_vma(struct anon_vma *av);
void put_anon_vma(struct kmm_machine *m, struct anon_vma *av);
/** anon_vma_prepare() - give @vma an anon_vma (its family's) before its first anon page. */
int anon_vma_prepare(struct vm_area_struct *vma);
void anon_vma_link(struct vm_area_struct *vma, struct anon_vma *av);
void anon_vma_unlink(struct vm_area_struct *vma);
void folio_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, unsigned long addr);
void folio_add_anon_rmap_pte(struct page *page);
void folio_add_file_rmap_pte(struct page *page);
/*
 * folio_count_first_map() - the node's NR_ANON_MAPPED (@anon) or
 * NR_FILE_MAPPED for a page whose _mapcount its caller raised from -1 (an
 * in-line folio_add_*_rmap_pte: fork's copy).
 */
void folio_count_first_map(struct page *page, bool anon);
/**
 * folio_remove_rmap_pte() - one PTE less of @page; on the last, NR_ANON_MAPPED
 * or NR_FILE_MAPPED (by PageAnon) drops. kmm's folios are single pages.
 */
void folio_remove_rmap_pte(struct page *page);
/**
 * rmap_lock_pte() - lock the PTE table lock of @addr in @vma and return the
 * slot of @addr if it still maps @page, else unlock and return NULL. The
 * caller unlocks with spin_unlock(pte_lockptr(vma->vm_mm, slot)).
 */
void *rmap_lock_pte(struct page *page, struct vm_area_struct *vma, unsigned long addr);
/**
 * rmap_walk() - call @fn for every PTE that maps @page (anon or file).
 * @fn returns true to go on. Return: the number of mappings visited.
 * Context: inside procs_enter(); takes the anon_vma or file's i_mmap lock
 * for read and holds it across @fn, which runs with no PTE lock held (an @fn
 * that changes the entry takes its table's lock and re-reads it: see
 * rmap_lock_pte()).
 */
int rmap_walk(struct page *page,
	      bool (*fn)(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			 void *ptep, void *arg),
	      void *arg);

/**
 * folio_referenced() - test and clear the accessed bit in every PTE mapping
 * @page (folio_referenced). *@vm_flags gets the OR of the mapping VMAs'
 * flags (VM_LOCKED there means: do not evict). Mappings without recency
 * (VM_SEQ_READ, VM_RAND_READ, VM_FILE_NOREUSE: vma_has_recency) are not
 * asked. Return: young mappings found.
 * Context: enters procs->srcu; takes the reverse-map lock for read and each
 * mapping's PTE table lock; the caller holds no PTE lock.
 */
int folio_referenced(struct page *page, unsigned long *vm_flags);
/**
 * try_to_unmap() - replace every PTE mapping @page by @swp_pte: a swap entry
 * (swp_entry_to_pte) for an anonymous page, 0 for a file page that can be
 * read again. Each mapping's reference and mapcount go, RSS moves to
 * MM_SWAPENTS for swap entries, TLBs are flushed. The caller holds its own
 * reference; each swap entry written takes a slot reference through
 * procs->swap_dup (a mapping whose reference cannot be taken stays).
 * Refused (nothing changed) for a VM_LOCKED mapping or a maybe-pinned page.
 * Return: true when no mapping is left. Context: as folio_referenced().
 */
bool try_to_unmap(struct page *page, pteval_t swp_pte);
/**
 * unmap_mapping_folio() - truncation's unmap of file page @page: every PTE
 * mapping it goes, a VM_LOCKED mapping's too (Linux zaps the folio's range
 * in each VMA of the file, ignoring VM_LOCKED), and the page loses PG_mlocked
 * with its last locked mapping. Context: as folio_referenced(), with @page
 * locked (the caller is taking it out of its file).
 */
void unmap_mapping_folio(struct page *page);

/* ---- mm/fork.c: fork, exit, the task table, current ---- */

/*
 * current_task() - the task this thread is acting for (Linux's current):
 * set_current_task() at the start of a system call, fault loop, fork, spawn
 * or exec on a task; the end of it calls task_leave(), which delivers a
 * pending OOM kill ("on return to user space") and restores the previous
 * current. NULL outside any task (the scenario's own kernel allocations),
 * shown as "kmm" in reports. Per thread.
 */
struct task_struct *current_task(void);
/** set_current_task() - make @t current; Return: the previous current (for task_leave). */
struct task_struct *set_current_task(struct task_struct *t);
/*
 * capable() - does the current task hold @cap (KMM_CAP_*)? Outside any task
 * (the kernel's own work) every capability is held.
 */
static inline bool capable(int cap)
{
	struct task_struct *t = current_task();

	return !t || task_capable(t, cap);
}
/* rlimit(), rlimit_max() - the current task's limit of @res (KMM_RLIMIT_*); none outside a task. */
static inline uint64_t rlimit(int res)
{
	struct task_struct *t = current_task();

	return t ? task_rlimit(t, res) : KMM_RLIM_INFINITY;
}
static inline uint64_t rlimit_max(int res)
{
	struct task_struct *t = current_task();

	return t ? task_rlimit_max(t, res) : KMM_RLIM_INFINITY;
}
/* ---- mm/ucount.c: a user's process count, RLIMIT_NPROC ---- */

/**
 * user_nproc() - the tasks of @uid on @m's task list, zombies included (Linux's
 * UCOUNT_RLIMIT_NPROC count). Context: takes tasklist_lock (recursive: may be held).
 */
long user_nproc(struct kmm_machine *m, unsigned int uid);
/**
 * fork_check_nproc() - copy_process()'s RLIMIT_NPROC check for a fork by
 * @parent: its user already has RLIMIT_NPROC (soft) tasks, and it is not root
 * and holds neither CAP_SYS_RESOURCE nor CAP_SYS_ADMIN. Context: a process
 * operation (procs_enter), before the child is made; takes tasklist_lock.
 * Return: 0, or -EAGAIN with kmm_last_error() naming the user, the count and
 * the limit.
 */
int fork_check_nproc(struct task_struct *parent);
/**
 * task_return_to_user() - @t leaves its fault or system call: a pending OOM
 * kill is delivered now (the reaper, then SIGKILL). Context: no process lock.
 */
void task_return_to_user(struct task_struct *t);
/** task_leave() - task_return_to_user(current), then make @prev current again. */
void task_leave(struct task_struct *prev);

struct mm_struct *dup_mm(struct task_struct *t, struct mm_struct *old);
void exit_mm(struct task_struct *t);

/* ---- mm/gup.c: get_user_pages / pin_user_pages ---- */

/**
 * vm_fault_to_errno() - the error gup and populate make of a failed fault
 * (Linux's include/linux/mm.h helper; kmm has no FOLL_HWPOISON caller).
 * Return: -ENOMEM for VM_FAULT_OOM; -EFAULT for VM_FAULT_HWPOISON (a page
 * whose contents were lost), VM_FAULT_SIGBUS or VM_FAULT_SIGSEGV; else 0.
 */
int vm_fault_to_errno(unsigned int vm_fault);

long get_user_pages_remote(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages);
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			   unsigned int gup_flags, struct page **pages);
void unpin_user_page(struct page *page);
void unpin_user_pages(struct page **pages, unsigned long n);
void put_user_page_ref(struct page *page);
void kmm_put_user_page(struct page *page);
int page_pin_count(struct kmm_machine *m, const struct page *page);
bool page_maybe_dma_pinned(const struct page *page);

/* ---- mm/mprotect.c, mremap.c, madvise.c, mlock.c, exec.c ---- */

int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, int prot);
long do_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
	       unsigned long new_len, int flags, unsigned long new_addr);
int do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len, int advice);
/**
 * do_mlock() - mlock2(@start, @len) with @flags VM_LOCKED (mlock), VM_LOCKED |
 * VM_LOCKONFAULT (MLOCK_ONFAULT), or munlock with @flags 0.
 * Context: mmap_write_lock; the current task's RLIMIT_MEMLOCK and CAP_IPC_LOCK.
 * Return: 0; -EPERM (a lock: RLIMIT_MEMLOCK 0, no CAP_IPC_LOCK); -ENOMEM (over
 * the limit, a hole, a PROT_NONE VMA or a page that cannot be faulted);
 * -EAGAIN (no memory); -EINVAL (the range wraps).
 */
int do_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long flags);
/** can_do_mlock() - may the current task lock at all (RLIMIT_MEMLOCK not 0, or CAP_IPC_LOCK)? */
bool can_do_mlock(void);
/**
 * mlock_future_ok() - may @bytes more be mapped with @flags into @mm: true
 * unless @flags has VM_LOCKED, the current task lacks CAP_IPC_LOCK and
 * locked_vm would pass its RLIMIT_MEMLOCK (mm/mmap.c).
 */
bool mlock_future_ok(struct mm_struct *mm, unsigned long flags, unsigned long bytes);
/**
 * may_expand_vm() - may @npages more pages with @flags be mapped into @mm?
 * False past the current task's RLIMIT_AS (total_vm), or, for a data
 * mapping (private, writable, not a stack), past RLIMIT_DATA (data_vm) -
 * unless the soft limit is 0 and the hard one allows it (Valgrind's way),
 * or the machine booted with ignore_rlimit_data. The first refusal of a
 * machine's data limit prints Linux's warning to dmesg (mm/mmap.c).
 * Context: the mm's mmap_lock.
 */
bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages);
/** expand_vm_error() - -ENOMEM, the error text naming the limit @npages more pages pass. */
int expand_vm_error(struct mm_struct *mm, const char *call, unsigned long npages);
/** mlock_page() - @page is mapped by a VM_LOCKED VMA: PG_mlocked, NR_MLOCK (once). */
void mlock_page(struct page *page);
/**
 * munlock_page() - a locked mapping of @page went: clear PG_mlocked unless a
 * VM_LOCKED VMA still maps @page (exact under concurrent callers: mm/mlock.c).
 */
void munlock_page(struct page *page);
/** page_clear_mlocked() - PG_mlocked off whatever maps @page; NR_MLOCK once. Return: was it on? */
bool page_clear_mlocked(struct page *page);
/** page_mapped_locked() - does a VM_LOCKED VMA map @page (rmap walk)? */
bool page_mapped_locked(struct page *page);
/**
 * do_mlockall() - mlockall(@flags) of @mm (kmm/process.h). Context: mmap_write_lock.
 * Return: 0, -EINVAL, -EPERM (can_do_mlock), -ENOMEM (MCL_CURRENT over RLIMIT_MEMLOCK).
 */
int do_mlockall(struct mm_struct *mm, int flags);
/** do_munlockall() - munlockall() of @mm. Context: mmap_write_lock. */
void do_munlockall(struct mm_struct *mm);
int exec_mmap(struct kmm_machine *m, struct task_struct *t, const struct kmm_exec_image *img);

/* ---- helpers ---- */

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}
static inline unsigned long linear_page_index(const struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_file;
}
static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ACCESS_FLAGS;
}
static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

#endif /* KMM_MM_H */
