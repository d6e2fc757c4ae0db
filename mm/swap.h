// SPDX-License-Identifier: MIT
/*
 * mm/swap.h - private to the pressure layer (mm/swap.c, mm/vmscan.c,
 * mm/swapfile.c, mm/swap_state.c, mm/pressure.c) and to mm/shmem.c, which
 * moves shmem pages to and from swap as Linux's does: the lruvec, the per-CPU
 * LRU add batches, swap areas, kswapd, scan_control, and the layer's state
 * in m->subsys[SUBSYS_PRESSURE]. The interface the rest of mm/ uses is
 * mm/include/swap.h.
 *
 * Linux counterpart: include/linux/mmzone.h (struct lruvec),
 * include/linux/swap.h (swap_info_struct, swap_cluster_info), mm/swap.h,
 * mm/vmscan.c (struct scan_control).
 *
 * Invariants (checked by pressure_check(), mm/pressure.c):
 *   LRU: every page on a list of a node's lruvec has PG_lru, no
 *     PG_lru_batch, the flags of that list (folio_lru_list), belongs to that
 *     node, and is on no other list; the lists' lengths equal the zone and
 *     node NR_*_ANON/FILE/UNEVICTABLE counters. A page in an add batch has
 *     PG_lru_batch and not PG_lru (the drain's move sets PG_lru and
 *     clears PG_lru_batch in one atomic write, under lru_lock). Every
 *     mapped user page, swap cache page and page cache page is on a list
 *     or in a batch, or is isolated (counted in NR_ISOLATED_ANON/FILE
 *     while reclaim holds it).
 *   Swap: for every slot, its count equals the PTEs and shmem indexes
 *     (mm/shmem.c) holding its entry, and
 *     SWAP_HAS_CACHE is set iff the swap cache has a page for it (a page
 *     with PG_swapcache and that entry in ->private); a slot keeps a
 *     workingset shadow only while it is used and has no cache page;
 *     inuse_pages counts the
 *     slots with either; each cluster's count is its used slots and the
 *     cluster is on the list its count says; nr_swap_pages is the free
 *     slots of the areas that take writes.
 *
 * Locking (outermost first): procs->lock (reclaim holds it while pages are
 * isolated, so the process layer's checker never sees an isolation
 * reference) -> pressure->swap_lock -> si->lock -> lru_cpu->lock ->
 * lruvec->lru_lock -> zone->lock. No lru_lock or si->lock is held while
 * pages are freed, written or read.
 */
#ifndef KMM_MM_SWAP_PRIVATE_H
#define KMM_MM_SWAP_PRIVATE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "arch/sim/swapdev.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/internal.h"

#define SWAP_CLUSTER_MAX	32UL
#define MAX_SWAPPINESS		200
#define FOLIO_BATCH_SIZE	31	/* PAGEVEC_SIZE */

/* ---- LRU ---- */

struct lruvec {
	spinlock_t lru_lock;
	struct list_head lists[NR_LRU_LISTS];	/* lru_lock */
	unsigned long anon_cost, file_cost;	/* lru_lock: recent reclaim cost (lru_note_cost) */
	atomic_ulong nonresident_age;		/* evictions + activations (mm/workingset.c) */
	pg_data_t *pgdat;			/* immutable */
};

/* A per-CPU-slot batch of pages waiting to go onto the lists (folio_batch). */
struct lru_cpu {
	spinlock_t lock;			/* the owner slot takes it; drain_all too */
	unsigned int nr;
	struct page *pages[FOLIO_BATCH_SIZE];
} __attribute__((aligned(64)));

/* ---- Swap areas (include/linux/swap.h) ---- */

#define SWAP_HAS_CACHE	0x8000u		/* the slot's page is in the swap cache */
#define SWAP_MAP_BAD	0x7fffu		/* the header slot, never allocated */
#define SWAP_MAP_MAX	0x7ffeu		/* most PTEs one slot can count */
#define SWAP_COUNT(v)	((v) & 0x7fffu)
#define SWAPFILE_CLUSTER 256		/* slots per cluster */

enum { CLUSTER_FREE, CLUSTER_NONFULL, CLUSTER_FULL };

struct swap_cluster_info {
	unsigned short count;		/* used slots; si->lock */
	unsigned char list;		/* CLUSTER_*: which list it is on */
	struct list_head node;		/* on si->free/nonfull/full_clusters */
};

#define SWP_USED	0x1	/* the slot in swap_info[] is taken */
#define SWP_WRITEOK	0x2	/* new pages may go here (cleared while swapoff runs) */

struct swap_info_struct {
	spinlock_t lock;		/* everything below that changes */
	unsigned long flags;		/* SWP_* */
	int prio;			/* higher is used first */
	int type;			/* index in swap_info[], immutable */
	unsigned long max;		/* slots in the file, the header slot included */
	unsigned long pages;		/* usable slots */
	unsigned long inuse_pages;	/* slots with a count or SWAP_HAS_CACHE; written under si->lock with
					 * relaxed atomic stores, read so without it */
	unsigned short *swap_map;	/* [max]: count | SWAP_HAS_CACHE */
	struct page **swap_cache;	/* [max]: the page in the swap cache, or NULL */
	unsigned long *swap_shadow;	/* [max]: workingset shadow of the page evicted from a
					 * used slot without a cache page, 0 none */
	struct swap_cluster_info *cluster_info;	/* [nr_clusters] */
	unsigned long nr_clusters;
	struct list_head free_clusters, nonfull_clusters, full_clusters;
	unsigned long *cpu_next;	/* [nr_cpus]: next offset to try in the slot's cluster, 0 none */
	unsigned long nr_cpus;
	char path[256];			/* as /proc/swaps shows it */
	char host_path[4096];		/* the host file */
	struct sim_swapdev *dev;
	uint64_t readahead_prev;	/* swapin_nr_pages()'s hint: relaxed atomics, no lock */
	unsigned long host_reads, host_writes;	/* host calls made (tests): relaxed atomics */
	bool reclaim_queued;		/* si->lock: the full-cluster reclaim work is due (swapfile.c) */
	struct swap_info_struct *retired_next;	/* on pressure->retired; swap_lock */
};

/* ---- kswapd ---- */

enum kswapd_mode { KSWAPD_STEP, KSWAPD_THREAD };

struct kswapd {
	pg_data_t *pgdat;
	spinlock_t lock;		/* wake, setting woken; runs, reclaimed, ns, last, has_report */
	atomic_bool woken;		/* wakeup_kswapd ran since the last run */
	struct kswapd_report wake;	/* filled by wakeup_kswapd */
	struct kswapd_report last;	/* the last run */
	bool napping;			/* lock: in the short sleep (HZ/10) after balancing */
	uint64_t nap_until;		/* lock: its end on the virtual clock */
	bool woke_from_nap;		/* lock: woken before nap_until (a premature sleep) */
	bool has_report;		/* last is new since kmm_kswapd_take_report() */
	unsigned long runs, sleeps;
	uint64_t ns;			/* host time spent in runs (benchmarks) */
	unsigned long reclaimed;	/* pages over all runs */
	/* kswapd=thread */
	struct sim_waitq wq;
	sim_thread *thread;
	atomic_bool stop;		/* set under the wq lock; read with or without it */
};

/* ---- The layer's state: m->subsys[SUBSYS_PRESSURE] ---- */

/*
 * 40 KiB, from the host as zero pages (pressure_init()): the few fields
 * every machine writes come first, then each node's kswapd and lruvec side
 * by side, and the swap directory's name last, so that a machine of one
 * node and no swapdir= touches one page (the fields and node 0's pair; two
 * while the kswapds and the lruvecs were two arrays, node 0's lruvec 29 KB
 * in), not three.
 */
struct pressure_node {
	struct kswapd kswapd;
	struct lruvec lruvec;
};

struct pressure {
	struct kmm_machine *m;
	enum kswapd_mode kswapd_mode;	/* immutable after boot */
	struct lru_cpu *cpu;		/* [m->nr_cpus] */

	/* sysctls, m->sysctl_lock for writers */
	int swappiness;			/* vm.swappiness, 0..200 */
	int page_cluster;		/* vm.page-cluster, 0..20 */

	/* swap areas */
	spinlock_t swap_lock;		/* swap_info[], nr_swapfiles, least_priority */
	/*
	 * Written under swap_lock with a release store (swapon, swapoff); a
	 * fault reads it without the lock: swap_info_lockless().
	 */
	struct swap_info_struct *swap_info[MAX_SWAPFILES];
	int nr_swapfiles;		/* highest type used + 1 */
	/*
	 * Areas swapoff took out of swap_info[] but could not free: it ran
	 * inside the process layer's section, so it could not wait for the
	 * faults that may still hold them (kmm_swapoff). Freed by the next
	 * swapoff that waits, or at shutdown. swap_lock.
	 */
	struct swap_info_struct *retired;
	int least_priority;		/* the next default priority is one below */
	atomic_long nr_swap_pages;	/* free slots of SWP_WRITEOK areas */
	atomic_long total_swap_pages;	/* usable slots of active areas */
	atomic_ulong ra_hits;		/* swapin_readahead_hits */
	atomic_ulong ra_last_pages;	/* last readahead window */
	bool own_swapdir;		/* made by kmm: removed at shutdown */
	unsigned long swap_rotate;	/* round robin among equal priorities */
	atomic_bool reclaim_work_pending;	/* some area's reclaim_queued is set */
	/*
	 * Tests only (NULL otherwise; set before the machine is shared): called
	 * on the thread that reads a slot into a fresh, locked swap-cache page
	 * (SWAPIN_HOOK_READ, before the read: a non-zero return fails the read
	 * with that error), and on one that finds a swap-cache page locked and
	 * is about to wait for it (SWAPIN_HOOK_WAIT: the page is locked by
	 * another thread, which may change it meanwhile, so the hook must not
	 * read its fields; the entry argument is the one the waiter looked up;
	 * page NULL: the slot is claimed by another thread with no page in the
	 * cache, and the lookup waits for that to end), on the thread that has
	 * just claimed a slot (SWAPIN_HOOK_CLAIM: SWAP_HAS_CACHE set, its fresh
	 * page not yet in the cache), and on swapoff's thread after each pass
	 * of try_to_unuse has walked the processes, before it frees what is
	 * left in the swap cache (SWAPIN_HOOK_UNUSE: page NULL, the entry's
	 * offset 0; a non-zero return stops swapoff with that error, as a
	 * signal stops Linux's try_to_unuse with -EINTR); on a thread mapping a swap-cache page in place of its
	 * entry (a fault, or swapoff's unuse) once the slot reference is
	 * dropped and before the PTE is stored (SWAPIN_HOOK_MAP: the
	 * page-table lock and the page lock are held); and on a fault whose
	 * swap_cache_read() came back empty, before it looks at its PTE again
	 * (SWAPIN_HOOK_RECHECK: page NULL). mm/swap_state.c.
	 */
	int (*swapin_hook)(void *arg, int point, struct page *page, swp_entry_t entry);
	void *swapin_hook_arg;
	struct pressure_node node[MAX_NUMNODES];
	char swapdir[4096];		/* where host swap files live */
};
enum { SWAPIN_HOOK_READ, SWAPIN_HOOK_WAIT, SWAPIN_HOOK_UNUSE, SWAPIN_HOOK_CLAIM, SWAPIN_HOOK_MAP,
       SWAPIN_HOOK_RECHECK };

/* The layer's state: m->subsys[SUBSYS_PRESSURE], NULL while the layer is down. */
static inline struct pressure *pressure_of(const struct kmm_machine *m)
{
	return (struct pressure *)m->subsys[SUBSYS_PRESSURE];
}
/*
 * The area of swap type @type for a reader that holds no lock (a fault, a
 * swap count): the acquire pairs with swapon's release store, so the area's
 * set-up is seen whole. swapoff's grace period (procs_stop) keeps the area
 * alive for a reader that found it. Linux: READ_ONCE(swap_info[type]).
 */
static inline struct swap_info_struct *swap_info_lockless(const struct pressure *p, unsigned int type)
{
	return __atomic_load_n(&p->swap_info[type], __ATOMIC_ACQUIRE);
}
static inline struct lruvec *node_lruvec(struct kmm_machine *m, int nid)
{
	return &pressure_of(m)->node[nid].lruvec;
}
static inline struct lruvec *folio_lruvec(const struct page *page)
{
	return node_lruvec(page_machine(page), page_to_nid(page));
}
static inline pg_data_t *page_pgdat(const struct page *page)
{
	return NODE_DATA_M(page_machine(page), page_to_nid(page));
}
/** folio_evictable() - not mlocked (kmm's page cache has no unevictable mappings). */
static inline bool folio_evictable(const struct page *page)
{
	return !page_flag_test(page, PG_mlocked);
}

/* ---- scan_control (mm/vmscan.c) ---- */

struct scan_control {
	unsigned long nr_to_reclaim;	/* how many pages to free */
	gfp_t gfp_mask;
	int order;
	int priority;			/* scan (lru_size >> priority) pages */
	enum zone_type reclaim_idx;	/* highest zone to reclaim from */
	unsigned int may_writepage:1;
	unsigned int may_unmap:1;
	unsigned int may_swap:1;
	unsigned int may_deactivate:2;	/* DEACTIVATE_ANON | DEACTIVATE_FILE */
	unsigned int force_deactivate:1;
	unsigned int skipped_deactivate:1;
	unsigned int cache_trim_mode:1;
	unsigned int file_is_tiny:1;
	unsigned int is_kswapd:1;
	unsigned long anon_cost, file_cost;
	unsigned long nr_scanned;
	unsigned long nr_reclaimed;
	unsigned long nr_pageout;
	unsigned long nr_immediate;	/* kswapd met pages it marked, still under writeback */
	/* Linux's sc->nr: what one shrink_node's inactive-list passes met (shrink_inactive_list) */
	struct {
		unsigned long dirty;		/* file pages dirty or under writeback */
		unsigned long unqueued_dirty;	/* dirty, not under writeback */
		unsigned long congested;	/* under writeback and marked PG_reclaim before */
		unsigned long writeback;	/* under writeback, marked now */
		unsigned long taken;		/* pages isolated, both kinds */
		unsigned long file_taken;	/* file pages isolated */
	} nr;
};
#define DEACTIVATE_ANON 1
#define DEACTIVATE_FILE 2

/* ---- mm/swap.c: the lists ---- */

/** lruvec_init() - empty lists of @lruvec for @pgdat. */
void lruvec_init(struct lruvec *lruvec, pg_data_t *pgdat);
/** lruvec_add_folio() / lruvec_del_folio() - list and counters. Context: lru_lock held. */
void lruvec_add_folio(struct lruvec *lruvec, struct page *page);
void lruvec_del_folio(struct lruvec *lruvec, struct page *page);
/** update_lru_size() - move @nr pages of @lru in @zid (zone and node counters). */
void update_lru_size(struct lruvec *lruvec, enum lru_list lru, enum zone_type zid, long nr);
/** lruvec_lru_size() - pages on @lru in zones up to @zid. */
unsigned long lruvec_lru_size(struct lruvec *lruvec, enum lru_list lru, int zid);
/**
 * lru_add() - put @page (off every list, PG_lru clear) on the list its flags
 * and evictability say, at the head; sets PG_lru. Context: lru_lock held.
 */
void lru_add(struct kmm_machine *m, struct lruvec *lruvec, struct page *page);
/** folio_putback_lru() - an isolated page back on its list; drops the isolation reference. */
void folio_putback_lru(struct page *page);
/** workingset_age_nonresident() - @nr_pages were evicted or activated on @lruvec. */
void workingset_age_nonresident(struct lruvec *lruvec, unsigned long nr_pages);

/**
 * __delete_from_swap_cache() - delete_from_swap_cache() leaving @shadow
 * (from workingset_eviction(), or 0) in the slot for a refault to find.
 * Context: reclaim, the page isolated and unmapped.
 */
bool __delete_from_swap_cache(struct page *page, unsigned long shadow);
/**
 * swap_cache_reclaim() - reclaim's removal of a clean, unmapped swap-cache
 * page: only if the cache's and the isolation's references are all that hold
 * it (tested under the slot's lock), leaving workingset_eviction()'s shadow.
 * Return: true when it left the cache (the cache's reference dropped).
 */
bool swap_cache_reclaim(struct page *page);

/** lru_note_cost() - reclaim of @file pages cost @nr_io writes and @nr_rotated rotations. */
void lru_note_cost(struct lruvec *lruvec, bool file, unsigned long nr_io, unsigned long nr_rotated);
/** lru_cpu_check() - the batch half of the checker: marks batch pages in @seen. */
int lru_cpu_check(struct kmm_machine *m, unsigned long *seen);

/* ---- mm/vmscan.c: reclaim ---- */

/** shrink_node() - one pass of reclaim over @pgdat for @sc (shrink_lruvec + shrink_slab). */
void shrink_node(pg_data_t *pgdat, struct scan_control *sc);
/** try_to_free_pages() - direct reclaim (m->reclaim). Return: pages reclaimed. */
unsigned long try_to_free_pages(struct kmm_machine *m, gfp_t gfp, unsigned int order,
				enum zone_type highest_zoneidx);
/**
 * kswapd_work() - one wake-up's work of @k's kswapd (the body of Linux's
 * kswapd() loop), on the caller's thread: kswapd=step's runner or the
 * node's host thread (mm/kswapd_thread.c). Context: no reclaim lock held.
 */
void kswapd_work(struct kmm_machine *m, struct kswapd *k);

/* ---- mm/kswapd_thread.c: kswapd as a host thread ---- */

/** kswapd_init() / kswapd_shutdown() - per-node kswapd state; threads in thread mode. */
int kswapd_init(struct kmm_machine *m);
void kswapd_shutdown(struct kmm_machine *m);
/** shrink_all_memory() - reclaim up to @nr pages from every node (the `reclaim` verb). */
unsigned long shrink_all_memory(struct kmm_machine *m, unsigned long nr);

/* ---- mm/swapfile.c: areas and slots ---- */

/** get_swap_page() - a free slot in the best area, counted SWAP_HAS_CACHE. {0} if none. */
swp_entry_t get_swap_page(struct kmm_machine *m);
/** swap_info_get() - the area of @entry if it is valid and in use, else NULL (logged). */
struct swap_info_struct *swap_info_get(struct kmm_machine *m, swp_entry_t entry);
/** swap_duplicate() - one more PTE holds @entry. Return: 0, -ENOENT (bad), -ENOMEM (count full). */
int swap_duplicate(struct kmm_machine *m, swp_entry_t entry);
/** swap_free() - a PTE holding @entry went away. */
void swap_free(struct kmm_machine *m, swp_entry_t entry);
/** put_swap_folio() - the swap cache let go of @entry: clear SWAP_HAS_CACHE, free if unused. */
void put_swap_folio(struct kmm_machine *m, swp_entry_t entry);
/** swap_page_io() - read or write one page of @si at @offset. Return: 0 or -errno. */
int swap_page_io(struct swap_info_struct *si, unsigned long offset, void *buf, bool write);
/**
 * swap_pages_io() - read or write @nr pages of @si from slot @offset on,
 * @bufs[i] the page at @offset + i, in one host call. Return: 0 or -errno.
 */
int swap_pages_io(struct swap_info_struct *si, unsigned long offset, void *const *bufs,
		  unsigned int nr, bool write);
/** vm_swap_full() - more than half of swap in use (Linux's vm_swap_full). */
bool vm_swap_full(struct kmm_machine *m);
/** swapfile_check() - the swap half of the checker (counts come from @ptes). */
int swapfile_check(struct kmm_machine *m);
/** swap_shutdown() - swapoff every area, free the swap directory. */
void swap_shutdown(struct kmm_machine *m);

/* ---- mm/swap_state.c: the swap cache and swap-in ---- */

/** swap_cache_get() - the page of @entry in the cache, with a reference, or NULL. */
struct page *swap_cache_get(struct kmm_machine *m, swp_entry_t entry);
/**
 * swap_cache_read() - the swap-cache page of @entry with a reference: found
 * in the cache (a readahead hit is counted), or read with cluster readahead
 * (*@major set). Return: the page (*@err 0; one found in the cache may
 * still be being read: swapin_lock_page() it, then test PG_uptodate, before
 * using its bytes), or NULL with *@err
 * -EIO when the slot could not be read (the caller's SIGBUS or -EIO), or
 * -ENOMEM: no memory, or nobody holds the entry any more (the caller looks
 * at its entry again).
 */
struct page *swap_cache_read(struct kmm_machine *m, swp_entry_t entry, gfp_t gfp, bool *major,
			     int *err);
/**
 * swap_cache_prefetch() - Linux's read_swap_cache_async() whose page the
 * caller lets go: @entry's page is in the swap cache afterwards (read if it
 * was not), unless memory or the read failed. Nothing is mapped.
 */
void swap_cache_prefetch(struct kmm_machine *m, swp_entry_t entry, gfp_t gfp);
/**
 * swapin_lock_page() - lock_page() of a page found in the swap cache: waits
 * while its read from swap is in progress (the reader holds PG_locked until
 * the read ends). Afterwards the page is PG_uptodate, or its read failed.
 * @entry is the swap entry the caller found the page under: the test hook
 * is told that one, since page->private may change under whoever holds
 * the lock (a failed read or a swap-in takes the page out of the cache).
 * Context: no spinlock held; may wait.
 */
void swapin_lock_page(struct kmm_machine *m, struct page *page, swp_entry_t entry);
/** add_to_swap() - give anonymous @page a slot and put it in the swap cache. Return: success. */
bool add_to_swap(struct page *page);
/**
 * delete_from_swap_cache() - take @page out of the swap cache, give up the
 * slot's SWAP_HAS_CACHE and drop the cache's reference (the caller holds one).
 */
bool delete_from_swap_cache(struct page *page);
/** swap_writepage() - write @page to its slot (pageout). Return: 0 or -errno. */
int swap_writepage(struct page *page);
/**
 * struct swap_plug - swap writes held back so that pages of adjacent slots
 * go to the disk in one host call (Linux's swap_iocb and the plug that
 * shrink_folio_list() passes to swap_writepage(), mm/page_io.c). A plugged
 * page is under writeback (PG_writeback, NR_WRITEBACK) and stays locked by
 * its plugger until swap_write_unplug() has written it and queued its
 * completion, in plug order.
 */
struct swap_plug {
	unsigned int nr;
	struct page *pages[SWAP_CLUSTER_MAX];
};
/**
 * swap_writepage_plug() - swap_writepage() whose write waits in @plug; a
 * full plug (or none, or a machine without a writeback queue) writes at
 * once. swap_plugged() tells which. Return: 0 or -errno (a write done now).
 */
int swap_writepage_plug(struct page *page, struct swap_plug *plug);
/** swap_plugged() - is @page the last page @plug holds? */
static inline bool swap_plugged(const struct swap_plug *plug, const struct page *page)
{
	return plug->nr && plug->pages[plug->nr - 1] == page;
}
/**
 * swap_write_unplug() - write the pages of @plug, one host call per run of
 * adjacent slots (a run that fails is written again page by page, so that
 * each page gets its own result), and end each as swap_writepage() would.
 * @plug is empty afterwards; its pages[] still name the pages it held.
 * Return: a mask of the pages whose write failed (bit i: pages[i]).
 */
unsigned long swap_write_unplug(struct swap_plug *plug);
/**
 * do_swap_page() - procs->swapin: bring the page of @entry back and map it
 * at @ptep. Return: 0 or VM_FAULT_MAJOR, -ENOMEM, -EFAULT (bad entry).
 */
int do_swap_page(struct kmm_machine *m, struct vm_area_struct *vma, uint64_t addr, void *ptep,
		 pteval_t entry, unsigned int flags);
/** try_to_unuse() - swapoff's: every PTE and cache page of @si back in RAM. */
int try_to_unuse(struct kmm_machine *m, struct swap_info_struct *si);
/** free_swap_and_cache() - procs->swap_free: a swap PTE went away. */
void free_swap_and_cache(struct kmm_machine *m, pteval_t pte);
/** swap_dup_pte() - procs->swap_dup. */
int swap_dup_pte(struct kmm_machine *m, pteval_t pte);
/**
 * swapin_walk_range() - procs->swapin_range (madvise_willneed's
 * swapin_walk_pmd_entry): every swap PTE of [@start, @end) in @vma has its
 * page read into the swap cache, nothing mapped, so touching it later is a
 * minor fault. Context: the mmap lock held, no page-table lock.
 */
void swapin_walk_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);


#endif /* KMM_MM_SWAP_PRIVATE_H */
