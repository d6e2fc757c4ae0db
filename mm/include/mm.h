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
 * The VMA "tree" of an mm is a sorted array of VMA pointers searched by
 * binary search: find_vma is O(log n) as the maple tree's is; insertion
 * and removal move pointers (O(n) words, a memmove), which is what a maple
 * tree node does within one node. Simplified against the maple tree: one node.
 *
 * Invariant (checked by process_check()):
 *   - VMAs are page aligned, non-empty, sorted and disjoint;
 *   - every present PTE lies inside a VMA, and its page's mapcount equals the
 *     number of present PTEs that map it over all processes;
 *   - a mapped page's refcount is mapcount + (1 if in a file's page cache)
 *     + 1024 * pins (GUP_PIN_COUNTING_BIAS) + transient gup references;
 *   - RSS counters equal the present, non-special PTEs by kind;
 *   - pgtables_bytes equals the table frames of the mm.
 *
 * Locking (simplified, stated honestly): one recursive machine-wide process
 * lock (procs->lock) serialises every system call, fault, fork, exit and
 * checker run of a machine, where Linux has mmap_lock, per-VMA locks and the
 * page-table lock. The TLB-hit path of kmm_access() takes no lock at all,
 * so one process's loads and stores must come from one host thread at a
 * time, and killing or exiting a process while another thread is inside
 * kmm_access() for it is not supported (its frames could be freed under
 * the access). Different processes may run on different threads.
 */
#ifndef KMM_MM_H
#define KMM_MM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/mmu.h"
#include "include/kmm/process.h"
#include "lib/list.h"
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
#define KMM_RLIMIT_STACK	(8UL << 20)

/*
 * A file as mappings see it: a name and a page cache (page index -> frame).
 * Regular files are the program images exec maps; shmem files back
 * MAP_SHARED|MAP_ANONYMOUS. Content of a regular file page is a
 * deterministic pattern of (file, index), "read from disk" at fault time.
 * Simplified: the cache dies with the file's last mapping.
 */
struct kmm_file {
	char path[64];
	bool shmem;
	unsigned long ino;
	uint64_t size;			/* bytes */
	int refcount;			/* VMAs (and exec) holding it */
	unsigned long nr_pages;		/* slots in @pages */
	struct page **pages;		/* the page cache, NULL where not cached */
	unsigned long nrpages;		/* cached pages */
	struct list_head i_mmap;	/* VMAs mapping it (vma->shared_node) */
};

/*
 * The anonymous reverse map: one anon_vma per fork family (the 2.6.x design
 * before the anon_vma_chain): every VMA that may hold pages of the family is
 * on ->vmas; a page's ->mapping points here (| PAGE_MAPPING_ANON) and its
 * ->index is its linear page index, so the address in any VMA of the family
 * is vm_start + ((index - vm_pgoff) << PAGE_SHIFT).
 */
struct anon_vma {
	int refcount;			/* VMAs on ->vmas (pages take none: see rmap_walk) */
	struct list_head vmas;		/* vma->anon_vma_node */
};
#define PAGE_MAPPING_ANON 0x1UL

enum vma_kind { VMA_PLAIN, VMA_VDSO, VMA_VVAR };

struct mm_struct;

struct vm_area_struct {
	unsigned long vm_start, vm_end;		/* [start, end), page aligned */
	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	pteval_t vm_page_prot;			/* leaf bits for a new PTE (no RW for private) */
	unsigned long vm_pgoff;			/* file page, or linear index for anon */
	struct anon_vma *anon_vma;
	struct list_head anon_vma_node;
	struct kmm_file *vm_file;
	struct list_head shared_node;		/* on vm_file->i_mmap */
	enum vma_kind kind;
};

struct mm_struct {
	struct kmm_machine *m;
	struct kmm_pgtable pgt;
	struct sim_mmu_ctx ctx;			/* CR3 + ASID + flush generation */

	struct vm_area_struct **vmas;		/* sorted by vm_start */
	int map_count, vmas_cap;

	unsigned long total_vm, locked_vm, pinned_vm, data_vm, exec_vm, stack_vm;
	unsigned long committed_vm;		/* pages of VM_ACCOUNT VMAs (commit charge) */
	unsigned long hiwater_rss, hiwater_vm;
	long rss_stat[NR_MM_COUNTERS];
	unsigned long start_code, end_code, start_data, end_data;
	unsigned long start_brk, brk, start_stack, mmap_base, task_size;
	unsigned long def_flags;
	bool has_pinned;			/* MMF_HAS_PINNED */
	struct kmm_file *exe_file;
};

enum task_state { TASK_RUNNING, TASK_DEAD };

struct task_struct {
	int pid;
	struct kmm_machine *machine;		/* immutable */
	char comm[16];
	struct task_struct *parent;
	struct mm_struct *mm;			/* NULL once dead */
	int oom_score_adj;
	unsigned long min_flt, maj_flt;
	enum task_state state;
	struct kmm_task_exit exit;
	struct list_head tasks;			/* procs->tasks, pid order */
	/* Statistics kept after exit for ps / status of a zombie */
	unsigned long last_hiwater_rss, last_hiwater_vm;
};

/* A pinned page recorded for the checker (FOLL_PIN references). */
struct pin_record {
	struct page *page;
	int count;
};

struct kmm_procs {
	struct kmm_machine *m;
	spinlock_t lock;			/* the process lock, see the header */
	_Atomic(void *) lock_owner;
	int lock_depth;
	struct list_head tasks;
	int next_pid;
	uint32_t next_asid;
	struct sim_mmu *mmu;
	struct page *zero_page;			/* the shared zero page */
	unsigned long zero_pfn;
	unsigned long next_ino;
	struct pin_record *pins;
	int nr_pins, pins_cap;
	unsigned long stack_guard_gap;		/* bytes */
	gfp_t user_gfp;				/* GFP_HIGHUSER_MOVABLE, or without highmem
						   when the MMU window cannot reach it (ram=anon) */
	unsigned long cow_copies, cow_reuses;	/* do_wp_page outcomes */
	atomic_long committed_pages;		/* sum of committed_vm over live mms */
	/*
	 * Hooks of the pressure layer (NULL until it installs them):
	 * swapin()          a fault on a swap entry: bring the page back and map it
	 *                   at @ptep; 0, -ENOMEM (OOM) or another -errno (SIGBUS).
	 * swap_free()       a swap entry left a page table (zap, exit): drop its slot.
	 * swap_dup()        fork copied a swap entry: take a slot reference (0/-errno).
	 * vm_enough_memory() the overcommit check before @pages more VM_ACCOUNT
	 *                   pages are committed; 0 or -ENOMEM (nothing changes).
	 */
	int (*swapin)(struct kmm_machine *m, struct vm_area_struct *vma, uint64_t addr,
		      void *ptep, pteval_t entry);
	void (*swap_free)(struct kmm_machine *m, pteval_t entry);
	int (*swap_dup)(struct kmm_machine *m, pteval_t entry);
	int (*vm_enough_memory)(struct kmm_machine *m, long pages);
};

static inline struct kmm_procs *procs_of(const struct kmm_machine *m)
{
	return m->subsys[SUBSYS_PROCESS];
}

/* ---- mm/mmap.c: VMAs, mmap, munmap, brk, accounting, the process lock ---- */

/** procs_lock() / procs_unlock() - the machine's process lock (recursive per thread). */
void procs_lock(struct kmm_machine *m);
void procs_unlock(struct kmm_machine *m);
/** process_init() (mm/fork.c) - the process entry's init: zero page, MMU. Return: 0/-ENOMEM. */
int process_init(struct kmm_machine *m);
/** process_check() (mm/rmap.c) - the layer's checker, see the invariant above. Return: 0/-EUCLEAN. */
int process_check(struct kmm_machine *m);

struct mm_struct *mm_alloc(struct kmm_machine *m);
/** mmput() - unmap everything, free the tables and the mm. */
void mmput(struct mm_struct *mm);
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
void vm_area_free(struct vm_area_struct *vma);
/** find_vma() - the first VMA with vm_end > @addr, or NULL. O(log n). */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/** find_vma_prev() - find_vma(), and the VMA before it in *@pprev. */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
int vma_index(struct mm_struct *mm, struct vm_area_struct *vma);
int vma_insert(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_remove(struct mm_struct *mm, struct vm_area_struct *vma);
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
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len);
long do_brk(struct mm_struct *mm, unsigned long newbrk);
int expand_stack(struct vm_area_struct *vma, unsigned long addr);
unsigned long vm_start_gap(const struct vm_area_struct *vma);
void update_hiwater(struct mm_struct *mm);
static inline void add_mm_counter(struct mm_struct *mm, enum mm_counter c, long n)
{
	mm->rss_stat[c] += n;
}
static inline unsigned long get_mm_rss(const struct mm_struct *mm)
{
	return (unsigned long)(mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] +
			       mm->rss_stat[MM_SHMEMPAGES]);
}
struct task_struct *task_alloc(struct kmm_machine *m, const char *comm, struct task_struct *parent);
struct kmm_file *kmm_file_create(struct kmm_machine *m, const char *path, uint64_t size, bool shmem);
void kmm_file_get(struct kmm_file *f);
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
/** zap_page_range() - clear the PTEs of [start, end) in @vma, dropping pages. */
void zap_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/** free_pgtables_range() - free the page tables covering [start, end) (the caller zapped it; floor/ceiling are not used yet). */
void free_pgtables_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			 unsigned long floor, unsigned long ceiling);
void flush_tlb_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
void flush_tlb_mm(struct mm_struct *mm);
/** vm_normal_page() - the struct page behind a present PTE, NULL for special (zero page). */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pteval_t pte);
void *user_page_host(struct kmm_machine *m, struct page *page);
/** populate_vma_range() - fault in [start, end) (MAP_POPULATE, mlock). Return: 0 or -ENOMEM. */
int populate_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
void kill_task(struct task_struct *t, int sig, int code, uint64_t addr);
int count_fault(struct task_struct *t, unsigned int ret);

/* ---- mm/rmap.c: reverse map ---- */

struct anon_vma *anon_vma_alloc(void);
void anon_vma_get(struct anon_vma *av);
void anon_vma_put(struct anon_vma *av);
/** anon_vma_prepare() - give @vma an anon_vma (its family's) before its first anon page. */
int anon_vma_prepare(struct vm_area_struct *vma);
void anon_vma_link(struct vm_area_struct *vma, struct anon_vma *av);
void anon_vma_unlink(struct vm_area_struct *vma);
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, unsigned long addr);
void page_add_anon_rmap(struct page *page);
void page_add_file_rmap(struct page *page);
/** page_remove_rmap() - one PTE less; updates NR_ANON_MAPPED / NR_FILE_MAPPED on the last. */
void page_remove_rmap(struct page *page, bool anon);
bool PageAnon(const struct page *page);
/**
 * rmap_walk() - call @fn for every PTE that maps @page (anon or file).
 * @fn returns true to go on. Return: the number of mappings visited.
 */
int rmap_walk(struct page *page,
	      bool (*fn)(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			 void *ptep, void *arg),
	      void *arg);

/**
 * page_referenced() - test and clear the accessed bit in every PTE mapping
 * @page (folio_referenced). *@vm_flags gets the OR of the mapping VMAs'
 * flags (VM_LOCKED there means: do not evict). Return: young mappings found.
 * Context: takes procs_lock().
 */
int page_referenced(struct page *page, unsigned long *vm_flags);
/**
 * try_to_unmap() - replace every PTE mapping @page by @swp_pte: a swap entry
 * (swp_entry_to_pte) for an anonymous page, 0 for a file page that can be
 * read again. Each mapping's reference and mapcount go, RSS moves to
 * MM_SWAPENTS for swap entries, TLBs are flushed. The caller holds its own
 * reference, and its swap slot already counts one reference per mapping.
 * Refused (nothing changed) for a VM_LOCKED mapping or a maybe-pinned page.
 * Return: true when no mapping is left. Context: takes procs_lock().
 */
bool try_to_unmap(struct page *page, pteval_t swp_pte);

/* ---- mm/fork.c: fork, exit, the task table ---- */

struct mm_struct *dup_mm(struct task_struct *t, struct mm_struct *old);
void do_exit_mm(struct task_struct *t);

/* ---- mm/gup.c: get_user_pages / pin_user_pages ---- */

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
int do_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, bool lock);
/** mlock_page() - @page is mapped by a VM_LOCKED VMA: PG_mlocked, NR_MLOCK (once). */
void mlock_page(struct page *page);
/** munlock_page() - clear PG_mlocked unless a VM_LOCKED VMA still maps @page. */
void munlock_page(struct page *page);
/** page_mapped_locked() - does a VM_LOCKED VMA map @page (rmap walk)? */
bool page_mapped_locked(struct page *page);
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
