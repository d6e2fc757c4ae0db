// SPDX-License-Identifier: MIT
/*
 * mm/include/filemap.h - the page cache as the rest of the kernel sees it:
 * a file's address space (struct kmm_file, mm/include/mm.h) holds its pages
 * in an xarray by page index; reads fill it (with readahead), writes and
 * shared mappings dirty it, writeback cleans it, reclaim and drop_caches
 * empty it.
 *
 * Linux counterpart: include/linux/pagemap.h, include/linux/fs.h
 * (address_space_operations, file_ra_state), include/linux/writeback.h.
 *
 * A page in the cache: page->mapping is its kmm_file, page->index its page
 * index, PG_uptodate set (kmm reads a page in before it enters the cache, so
 * no reader ever waits for one), PG_swapbacked for shmem, and the cache holds
 * one reference. PG_dirty <=> PAGECACHE_TAG_DIRTY in i_pages <=> counted in
 * NR_FILE_DIRTY. PG_writeback <=> PAGECACHE_TAG_WRITEBACK, counted in
 * NR_WRITEBACK, from the start of a page's write until its completion: the
 * bytes reach the backing store at the start, the completion comes when the
 * virtual clock reaches the disk's time for it (mm/page-writeback.c), at a
 * completion point: kmm_writeback_run_pending() (after every scenario
 * command), a waiter (folio_wait_writeback: truncation, fsync, sync), a
 * throttled writer (balance_dirty_pages) or reclaimer (reclaim_throttle).
 * PG_locked is taken (trylock_page/lock_page) by whoever copies into or out of
 * a page-cache page that others can see: writers, writeback, truncation.
 *
 * Locking: f->i_rwsem (write: write(), truncate; read: read()) ->
 * f->invalidate_lock (write: truncation; read: a fault's read, readahead) ->
 * PG_locked -> f->i_pages_lock (the xarray, nrpages) -> lru and zone locks.
 * A fault maps a page-cache page holding its PG_locked, after testing that
 * the page is still in the file and below its end (truncation removes a
 * page holding PG_locked, after setting the size).
 * The state's files_lock is a leaf.
 */
#ifndef KMM_MM_INCLUDE_FILEMAP_H
#define KMM_MM_INCLUDE_FILEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mm/include/mm.h"

/* The filesystem's disk, kmmd0: block major 254, minor 0 (/proc/PID/maps shows fe:00). */
#define KMMD0_MAJOR		254

#define PAGECACHE_TAG_DIRTY	XA_MARK_0
#define PAGECACHE_TAG_WRITEBACK	XA_MARK_1

/*
 * What a filesystem gives the page cache (Linux's address_space_operations,
 * reduced to single pages). All return 0 or -errno.
 *   read_folio  fill @page (locked, not in the cache yet) from the backing
 *               store at page->index; bytes past the end of the file are 0.
 *   read_ahead  optional (readahead's batch): fill @dst[0..@nr) (PAGE_SIZE
 *               bytes each) with the bytes of the @nr pages from @index on,
 *               as read_folio would fill each page, in as few reads of the
 *               backing store as it can.
 *   writepage   write @page's bytes (PG_locked, PG_writeback held by the
 *               caller) to the backing store at page->index.
 *   release     the last reference to @f is going (unlinked or unmounted):
 *               free what backs it. The page cache is already empty.
 */
struct address_space_operations {
	int (*read_folio)(struct kmm_file *f, struct page *page);
	int (*read_ahead)(struct kmm_file *f, unsigned long index, unsigned int nr, void *const *dst);
	int (*writepage)(struct kmm_file *f, struct page *page);
	void (*release)(struct kmm_file *f);
};

static inline uint64_t i_size_read(const struct kmm_file *f)
{
	return __atomic_load_n(&f->size, __ATOMIC_ACQUIRE);
}
static inline void i_size_write(struct kmm_file *f, uint64_t size)
{
	__atomic_store_n(&f->size, size, __ATOMIC_RELEASE);
}

/* ---- mm/filemap.c ---- */

/** mapping_init() - set up @f's page cache (kmm_file_create calls it). */
void mapping_init(struct kmm_machine *m, struct kmm_file *f);
/**
 * truncate_inode_pages_final() - the last reference to @f is going: drop
 * every page (dirty ones without writing: whoever wanted them written
 * synced first), then call a_ops->release. Context: no lock of @f held.
 */
void truncate_inode_pages_final(struct kmm_machine *m, struct kmm_file *f);
/**
 * filemap_fault() - the fault path's page (Linux's filemap_fault): page @idx
 * of @vma's file with a reference for the caller. A page already cached may
 * start the next readahead window (PG_readahead); a miss is a major fault
 * (VM_FAULT_MAJOR in *@ret) for a file with contents - a filesystem file or
 * a program image, not tmpfs or the [vdso] - and reads around @idx first
 * (VM_SEQ_READ: a window from @idx on; VM_RAND_READ: nothing more).
 * Return: the page, or NULL with VM_FAULT_OOM or VM_FAULT_SIGBUS (a read
 * error, or @idx past the end of the file) in *@ret.
 * Context: the VMA's read lock or mmap_lock held.
 */
struct page *filemap_fault(struct vm_area_struct *vma, unsigned long idx, unsigned int *ret);
/**
 * filemap_map_pages() - fault-around (Linux's ->map_pages): map into @vma
 * the cached, uptodate pages of file pages [@start_pgoff, @end_pgoff] whose
 * PTEs are empty, read-only as the VMA's protection says, each with a
 * reference and a mapcount of its own; pages locked by someone else, marked
 * PG_readahead or past the end of the file are left for their own fault.
 * Pages mapped lower the file's mmap_miss. Return: VM_FAULT_NOPAGE when
 * @fault_addr itself got mapped, else 0. Context: as filemap_fault; the
 * range lies in one page table of the VMA (do_fault_around clamps it).
 */
unsigned int filemap_map_pages(struct vm_area_struct *vma, unsigned long fault_addr,
			       unsigned long start_pgoff, unsigned long end_pgoff);
/** fault_around_pages() - pages fault-around maps at most (fault_around_bytes / PAGE_SIZE; 1: off). */
unsigned long fault_around_pages(struct kmm_machine *m);
/** filemap_fault_around_bytes() - fault_around_bytes. Return: it, or -ENOENT without the page cache. */
int filemap_fault_around_bytes(struct kmm_machine *m);
/**
 * filemap_set_fault_around_bytes() - set it: at least a page, rounded down
 * to a power of two. Return: 0, -EINVAL (more than one page table maps:
 * 2 MiB, 4 MiB on i386 without PAE; nothing changed), -ENOENT.
 */
int filemap_set_fault_around_bytes(struct kmm_machine *m, uint64_t bytes);
/**
 * filemap_remove_mapping() - reclaim's remove_mapping for a page-cache page:
 * a clean, unmapped page that only the cache and the isolation hold leaves
 * its file. Return: true when it left (the isolation reference is then the
 * last). Context: reclaim, inside procs_enter(), the page locked by the
 * caller (and left locked).
 */
bool filemap_remove_mapping(struct page *page);
/**
 * filemap_read() - read(): up to @len bytes at @pos into @buf through the
 * page cache, with readahead by @ra (may be NULL: no readahead).
 * Return: bytes read (0 at or past the end), or -errno.
 */
ssize_t filemap_read(struct kmm_file *f, struct file_ra_state *ra, void *buf, size_t len,
		     uint64_t pos);
/**
 * generic_perform_write() - write(): @len bytes of @buf at @pos into the page
 * cache, dirtying each page, growing the file. Throttled by
 * balance_dirty_pages(). Return: bytes written, or -errno (-ENOSPC, -ENOMEM).
 */
ssize_t generic_perform_write(struct kmm_file *f, const void *buf, size_t len, uint64_t pos);
/**
 * truncate_setsize() - set @f's size: pages wholly past the new end are
 * unmapped from every process (a later access there gets SIGBUS) and
 * dropped; the tail of the last page is zeroed. Context: caller holds
 * f->i_rwsem for writing.
 */
void truncate_setsize(struct kmm_file *f, uint64_t size);
/**
 * pagecache_isize_extended() - @f grew from @from to @to bytes: the cached
 * page that straddled @from gets [@from, @to) (within the page) zeroed, so
 * what a shared mapping stored past the old end (never written: writepage
 * zeroes past i_size) does not show up inside the file. A dirty page stays
 * dirty; a clean one matches the disk, which holds zeros there. Context:
 * f->i_rwsem held for writing.
 */
void pagecache_isize_extended(struct kmm_file *f, uint64_t from, uint64_t to);
/**
 * invalidate_mapping_pages() - drop the clean, unmapped, unlocked pages of
 * [@start, @end] (page indices) from @f (drop_caches, fadvise DONTNEED).
 * Return: pages dropped.
 */
unsigned long invalidate_mapping_pages(struct kmm_file *f, unsigned long start, unsigned long end);
/** drop_pagecache() - invalidate_mapping_pages() over every file of @m. Return: pages dropped. */
unsigned long drop_pagecache(struct kmm_machine *m);
/**
 * filemap_fincore() - which of the first @n pages of @f are cached: @vec[i]
 * is 1 (cached), 3 (cached and dirty), else 0. Return: pages cached.
 */
unsigned long filemap_fincore(struct kmm_file *f, unsigned char *vec, unsigned long n);
/**
 * filemap_find_image() - a live program image (a file with no a_ops, not
 * shmem) named @path of @size bytes, with a reference: exec maps it again,
 * so every process running the image shares its text pages. Return: it, or NULL.
 */
struct kmm_file *filemap_find_image(struct kmm_machine *m, const char *path, uint64_t size);
/**
 * image_seed() - the seed of the generated bytes of the program image
 * @path: a hash of the path, so an image's bytes depend on its name only.
 */
uint64_t image_seed(const char *path);
/**
 * image_pattern() - page @idx of the program image of @seed: PAGE_SIZE
 * deterministic bytes into @buf. exec installs an image file with them
 * (fs/), and a synthetic image (no filesystem) reads them.
 */
void image_pattern(uint64_t seed, unsigned long idx, void *buf);
/** filemap_register() / filemap_unregister() - @f on (off) the machine's list of files. */
void filemap_register(struct kmm_machine *m, struct kmm_file *f);
void filemap_unregister(struct kmm_machine *m, struct kmm_file *f);
/**
 * filemap_for_each_file() - call @fn for every file of @m (with a reference
 * held across the call) until it returns non-zero. Return: that value or 0.
 */
int filemap_for_each_file(struct kmm_machine *m, int (*fn)(struct kmm_file *f, void *arg), void *arg);
/** lock_page() / trylock_page() / unlock_page() - PG_locked (a bit spinlock). */
void lock_page(struct page *page);
bool trylock_page(struct page *page);
void unlock_page(struct page *page);

/* ---- mm/page-writeback.c ---- */

/**
 * folio_mark_dirty() - @page of a file's cache has new data: PG_dirty, the
 * DIRTY tag, NR_FILE_DIRTY and nr_dirtied (once); PG_reclaim (reclaim's
 * mark, or the readahead mark sharing its bit) is cleared. shmem pages only
 * get PG_dirty (they have no backing store to be written to).
 * Return: true when it was clean before.
 */
bool folio_mark_dirty(struct page *page);
/**
 * folio_write_one() - write one dirty page of @f (locked by the caller) to
 * the backing store: its shared mappings are write-protected and cleaned
 * first (folio_mkclean), so a later store dirties it again.
 * Return: 0 (clean now), or -errno (the page stays dirty; the error is
 * recorded for fsync).
 */
int folio_write_one(struct kmm_file *f, struct page *page);
/**
 * filemap_pageout() - reclaim's pageout() of a dirty file page (isolated,
 * unmapped): its write starts, with PG_reclaim so that its completion puts
 * it at the tail of the inactive list; counted nr_vmscan_write. Only
 * kswapd calls it (see shrink_folio_list), holding the page lock, which
 * it keeps. Return: 0 (clean and under writeback now), -EAGAIN not now
 * (shmem, no backing store, a write in flight), another -errno for a
 * write error.
 */
int filemap_pageout(struct page *page);
/**
 * wakeup_flusher_threads() - reclaim met only dirty file pages that nobody
 * is writing (Linux's wakeup_flusher_threads(WB_REASON_VMSCAN)): the
 * flusher starts writing every dirty page of every file (WB_SYNC_NONE),
 * inline, as balance_dirty_pages' flusher runs; pages under writeback or
 * locked by others are skipped, and it stops at a full device queue.
 * Context: no page lock the caller needs kept from the flusher; may take
 * f->i_pages_lock, page locks by trylock, the rmap locks of folio_mkclean.
 * Return: writes started.
 */
long wakeup_flusher_threads(struct kmm_machine *m);
/**
 * filemap_fdatawrite_range() - start writing every dirty page of @f in the
 * byte range [@start, @end] (__filemap_fdatawrite_range, WB_SYNC_NONE: a
 * page already under writeback is skipped, nothing is waited for): a
 * failed write is recorded for fsync (wb_err) and not consumed here.
 * Return: the first error of this call, or 0.
 */
int filemap_fdatawrite_range(struct kmm_file *f, uint64_t start, uint64_t end);
/**
 * filemap_write_and_wait_range() - write every dirty page of @f in the byte
 * range [@start, @end]. Return: 0, or the first write error since the last
 * call (then cleared, as fsync reports it once).
 */
int filemap_write_and_wait_range(struct kmm_file *f, uint64_t start, uint64_t end);
/**
 * folio_start_writeback() - @page's write begins: PG_writeback, the
 * WRITEBACK tag of its file (not for swap-cache or shmem pages), NR_WRITEBACK.
 * Context: the page locked by the caller; follow with folio_queue_writeback().
 */
void folio_start_writeback(struct page *page);
/**
 * folio_queue_writeback() - @page's bytes went to the backing store with
 * result @err: on success the write completes when the virtual clock
 * reaches the disk's time for it (the queue holds a reference until then);
 * on failure (or with no queue) it is over now.
 */
void folio_queue_writeback(struct page *page, int err);
/**
 * folio_wait_writeback() - wait until @page is not under writeback: the
 * writes queued before it and its own complete, the virtual clock moving on
 * to the time they take. Context: may be called with @page locked.
 */
void folio_wait_writeback(struct page *page);
/** writeback_complete() - end every write whose time has come. Return: writes ended. */
unsigned long writeback_complete(struct kmm_machine *m);
/** writeback_wait_all() - wait for every write in flight (the clock moves on). Return: writes ended. */
unsigned long writeback_wait_all(struct kmm_machine *m);
/* Why reclaim waits (Linux's vmscan_throttle_state, the two kmm uses). */
enum vmscan_throttle_state {
	VMSCAN_THROTTLE_WRITEBACK,	/* pages it marked are still under writeback: HZ/10 */
	VMSCAN_THROTTLE_NOPROGRESS,	/* direct reclaim freed nothing down to priority 1: a jiffy */
};
/**
 * reclaim_throttle() - a reclaimer that cannot progress while pages are
 * under writeback waits on the virtual clock (Linux's reclaim_throttle):
 * for VMSCAN_THROTTLE_WRITEBACK until more than SWAP_CLUSTER_MAX writes
 * completed or HZ/10 passed, for NOPROGRESS one jiffy (HZ 250). With no
 * write in flight it returns at once (Linux would sleep). Pages written
 * meanwhile count in nr_throttled_written.
 */
void reclaim_throttle(struct kmm_machine *m, enum vmscan_throttle_state reason);
/** sync_pagecache() - write back every dirty page of every file of @m and wait for every write (sync(2)). Return: 0/-errno. */
int sync_pagecache(struct kmm_machine *m);
/**
 * balance_dirty_pages_ratelimited() - after a writer dirtied pages of @f:
 * above the background threshold the flusher starts writing until dirty
 * pages are under it; while dirty + writeback pages are above the dirty
 * threshold the writer pauses (the virtual clock moves on, writes
 * complete) until they are not.
 */
void balance_dirty_pages_ratelimited(struct kmm_file *f);
/**
 * global_dirty_limits() - the background and dirty thresholds in pages, from
 * vm.dirty_(background_)ratio or _bytes over the dirtyable memory (free +
 * file pages, Linux's global_dirtyable_memory).
 */
void global_dirty_limits(struct kmm_machine *m, unsigned long *background, unsigned long *dirty);

/* ---- mm/readahead.c ---- */

/** filemap_read_ahead_kb() - the disk's read_ahead_kb. Return: it, or -ENOENT without the page cache. */
int filemap_read_ahead_kb(struct kmm_machine *m);
/** filemap_set_read_ahead_kb() - set it (files opened later use it). Return: 0 or -ENOENT. */
int filemap_set_read_ahead_kb(struct kmm_machine *m, int kb);
/** file_ra_state_init() - a fresh window for an opened file (ra_pages from read_ahead_kb). */
void file_ra_state_init(struct kmm_machine *m, struct file_ra_state *ra);
/**
 * page_cache_sync_ra() - a read missed the cache at @index wanting
 * @req_count pages: read in a window (Linux's ondemand readahead: a first
 * window of get_init_ra_size(), doubled or quadrupled on sequential reads up
 * to ra_pages), marking PG_readahead where the next one starts.
 */
void page_cache_sync_ra(struct kmm_file *f, struct file_ra_state *ra, unsigned long index,
			unsigned long req_count);
/** page_cache_async_ra() - a read hit a PG_readahead page at @index: read the next window. */
void page_cache_async_ra(struct kmm_file *f, struct file_ra_state *ra, struct page *page,
			 unsigned long index, unsigned long req_count);
/**
 * page_cache_ra_unbounded() - read pages [@index, @index + @nr) of @f that
 * are not cached (stopping at the end of the file), marking the page at
 * @index + @nr - @lookahead PG_readahead. Return: pages read.
 */
unsigned long page_cache_ra_unbounded(struct kmm_file *f, unsigned long index, unsigned long nr,
				      unsigned long lookahead);
/**
 * do_page_cache_ra() - page_cache_ra_unbounded() with @nr first trimmed to
 * the end of the file (so the marker moves with the end, as Linux's).
 */
void do_page_cache_ra(struct kmm_file *f, unsigned long index, unsigned long nr, unsigned long lookahead);
/** ra_submit() - read @ra's current window of @f (page_cache_ra_order for single pages). */
void ra_submit(struct kmm_file *f, struct file_ra_state *ra);
/*
 * The disk's largest I/O in pages (bdi->io_pages: max_sectors_kb 4096, 6.12's
 * BLK_DEF_MAX_SECTORS_CAP): how far past the window a forced readahead goes.
 */
#define KMMD0_IO_PAGES	1024
/**
 * force_page_cache_ra() - read @nr pages of @f from @index with no window
 * (fadvise/madvise WILLNEED, FMODE_RANDOM reads), at most
 * max(KMMD0_IO_PAGES, @ra->ra_pages), in 2 MiB chunks; nothing for tmpfs.
 */
void force_page_cache_ra(struct kmm_file *f, const struct file_ra_state *ra, unsigned long index,
			 unsigned long nr);

#endif /* KMM_MM_INCLUDE_FILEMAP_H */
