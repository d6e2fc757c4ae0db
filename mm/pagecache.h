// SPDX-License-Identifier: MIT
/*
 * mm/pagecache.h - the page cache layer's private state, shared by
 * mm/filemap.c (the cache, the entry "filemap"), mm/page-writeback.c
 * (dirty limits, writeback, the flusher) and mm/readahead.c.
 *
 * Locking: files_lock guards @files (a leaf lock); the sysctl ints are read
 * with relaxed loads and written by proc/sysctl.c under m->sysctl_lock.
 */
#ifndef KMM_MM_PAGECACHE_H
#define KMM_MM_PAGECACHE_H

#include "include/kmm/slab.h"
#include "mm/include/filemap.h"
#include "mm/include/subsys.h"

struct pagecache_state {
	spinlock_t files_lock;
	struct list_head files;			/* every kmm_file of the machine (files_node) */
	/* vm.* sysctls (Linux's defaults) */
	int dirty_background_ratio;		/* 10 */
	int dirty_ratio;			/* 20 */
	unsigned long dirty_background_bytes;	/* 0: the ratio rules */
	unsigned long dirty_bytes;		/* 0: the ratio rules */
	int dirty_expire_centisecs;		/* 3000: periodic writeback's age */
	int dirty_writeback_centisecs;		/* 500: its period; 0 turns it off */
	int drop_caches;			/* the last value written (Linux keeps it too) */
	int read_ahead_kb;			/* 128: the backing device's read_ahead_kb */
	unsigned long fault_around_pages;	/* 16: fault_around_bytes / PAGE_SIZE, a power of two */
	uint64_t last_periodic;			/* virtual ns of the last periodic writeback */
	/* writeback in flight (mm/page-writeback.c): one queue for the machine's disks */
	spinlock_t wb_lock;			/* leaf: the queue and disk_busy_until */
	struct wb_inflight *wb_q;		/* [wb_head, wb_tail): in submission order */
	struct page **wb_sorted;		/* wb_cap entries: writeback_check's scratch */
	size_t wb_head, wb_tail, wb_cap;	/* wb_cap: what both arrays hold */
	/*
	 * Writes NR_WRITEBACK counts that are not in the queue: from
	 * folio_start_writeback() until queued, and from a completion's dequeue
	 * until end_writeback() (atomic; lowered under wb_lock).
	 */
	long wb_transit;
	uint64_t disk_busy_until;		/* virtual ns when the last queued write ends */
	unsigned int reclaim_throttled;		/* reclaimers waiting (NR_THROTTLED_WRITTEN counts) */
	/* the workingset's shadow nodes (mm/workingset.c): leaf nodes of the files' i_shadows */
	spinlock_t shadow_lock;			/* @shadow_nodes, @nr_shadow_nodes; after i_pages_lock */
	struct list_head shadow_nodes;		/* oldest first (xa_node.private_list) */
	unsigned long nr_shadow_nodes;		/* on the list: WORKINGSET_NODES */
	struct shrinker shadow_shrinker;	/* "mm-shadow" */
	/* statistics */
	atomic_ulong flusher_runs;		/* background writeback rounds */
	atomic_ulong throttled;			/* balance_dirty_pages() pauses */
	atomic_ulong pause_ns;			/* virtual time writers spent in them */
	/*
	 * Tests only (NULL otherwise; set while one thread runs the machine):
	 * called as the flusher that reclaim wakes starts (@start true) and
	 * ends its round, so that a test can hold a page busy for the flusher
	 * alone (reclaim keeps a page someone holds locked).
	 */
	void (*flusher_hook)(void *arg, bool start);
	void *flusher_hook_arg;
	/* readahead's spare buffer for a run (mm/readahead.c): taken and given back by exchange */
	char *ra_buf;
	/*
	 * Tests only (NULL otherwise): called by readahead right after it read
	 * a run of @nr pages from @index into its pages (@direct) or its buffer,
	 * before any of them is cached: where another thread could write back
	 * and drop one of those pages meanwhile.
	 */
	void (*ra_read_hook)(void *arg, struct kmm_file *f, unsigned long index, unsigned int nr,
			     bool direct);
	void *ra_read_hook_arg;
};

/*
 * A page under writeback: its bytes are on the backing store already (kmm
 * writes them at submission), and it stays PG_writeback, counted in
 * NR_WRITEBACK and holding a reference of the I/O, until the virtual clock
 * reaches @done_ns and a completion point ends it (folio_end_writeback).
 */
struct wb_inflight {
	struct page *page;
	uint64_t done_ns;
};

static inline struct pagecache_state *pagecache_of(const struct kmm_machine *m)
{
	return m->subsys[SUBSYS_FILEMAP];
}

/** writeback_state_init() - the vm.dirty_* defaults (mm/page-writeback.c). */
void writeback_state_init(struct pagecache_state *st);
/** writeback_state_exit() - end every write in flight and free the queue (the layer's shutdown). */
void writeback_state_exit(struct kmm_machine *m, struct pagecache_state *st);
/**
 * writeback_check() - the queue's invariant: NR_WRITEBACK pages in flight,
 * each once, each PG_writeback, their times in order; @file_writeback is
 * how many file pages the caller found under writeback (at most that many).
 * Return: 0 or -EUCLEAN with the error set. Context: the world stopped.
 */
int writeback_check(struct kmm_machine *m, long file_writeback);
/* The entry's sysctl rows (mm/page-writeback.c); their storage is the state above. */
extern const struct ctl_table writeback_sysctls[];
/** drop_caches_sysctl_handler() - vm.drop_caches (mm/filemap.c): write-only, 1..4. */
proc_handler drop_caches_sysctl_handler;

/* mm/workingset.c: the shadow nodes of the page cache. */
/**
 * workingset_update_node() - the i_shadows update callback: a leaf node with
 * shadows is on the machine's shadow-node list (WORKINGSET_NODES), one whose
 * count went to 0 leaves it. Context: the file's i_pages_lock.
 */
void workingset_update_node(struct xa_node *node);
/** workingset_shadow_init() / _shutdown() - the list and the "mm-shadow" shrinker (filemap's entry). */
int workingset_shadow_init(struct kmm_machine *m, struct pagecache_state *st);
void workingset_shadow_shutdown(struct kmm_machine *m, struct pagecache_state *st);
/** workingset_shadow_check() - the list holds exactly the leaf nodes of every file's i_shadows. */
int workingset_shadow_check(struct kmm_machine *m, unsigned long leaves);

/* mm/filemap.c: what readahead builds on. */
/**
 * filemap_read_new_page() - a new page for @idx of @f, filled from the
 * backing store (a_ops), the image pattern, or zeros (shmem, or @zero: a
 * hole about to be written); *@major set when the backing store was read.
 * Return: the page (one reference, not in the cache), or NULL with *@err.
 */
struct page *filemap_read_new_page(struct kmm_file *f, unsigned long idx, bool zero, bool *major,
				   int *err);
/**
 * filemap_fill_new_page() - a new page for @idx of @f holding the PAGE_SIZE
 * bytes at @src, which a_ops->read_ahead read from the backing store: what
 * filemap_read_new_page() makes of a read_folio. Return: the page (one
 * reference, not in the cache), or NULL with *@err (-ENOMEM).
 */
struct page *filemap_fill_new_page(struct kmm_file *f, unsigned long idx, const void *src, int *err);
/**
 * filemap_add_folio() - put @page (filled, its only reference ours) at @idx;
 * the cache takes our reference, and we get a new one when @get.
 * Return: 0, -EEXIST (another page is there; ours untouched), -ENOMEM.
 */
int filemap_add_folio(struct kmm_file *f, struct page *page, unsigned long idx, bool get);
/**
 * filemap_add_read_folio() - filemap_add_folio() of a page filled from the
 * backing store by a read that began when filemap_write_seq(@f) was @seq:
 * refused if a page of @f was written to the store since (its bytes may be
 * older than the store's: a page made, written back and reclaimed between
 * the read and this add). Return: as filemap_add_folio(), or -EAGAIN
 * (stale: ours untouched, read it again).
 */
int filemap_add_read_folio(struct kmm_file *f, struct page *page, unsigned long idx, bool get,
			   unsigned long seq);
/* The file's count of page writes to its backing store (kmm_file.write_seq). */
static inline unsigned long filemap_write_seq(const struct kmm_file *f)
{
	return __atomic_load_n(&f->write_seq, __ATOMIC_ACQUIRE);
}
/** filemap_discard_new_page() - free a page from filemap_read_new_page() that never entered the cache. */
void filemap_discard_new_page(struct page *page);

#endif /* KMM_MM_PAGECACHE_H */
