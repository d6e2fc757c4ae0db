// SPDX-License-Identifier: MIT
/*
 * tests/integration_dirty_reclaim.c - reclaim leaves dirty file pages to the
 * flusher (Linux 6.12's shrink_folio_list rule): a reclaimer that meets one
 * marks it PG_reclaim, counts it in nr_vmscan_immediate_reclaim and moves it
 * to the active list, and wakes the flusher when a batch held nothing but
 * dirty pages nobody writes; when the flusher's write of a marked page ends,
 * the page goes to the inactive tail (pgrotated) and is freed by the next
 * pass. Only kswapd writes a dirty file page itself (nr_vmscan_write): one it
 * meets a second time, on a node it found full of unqueued dirty pages.
 * And fadvise NOREUSE: reclaim ignores the accessed bits of a mapping made
 * through a file so advised (vma_has_recency).
 *
 * The passes are shrink_node() calls at priority 0, as kswapd and direct
 * reclaim make them, on a machine whose only reclaimable pages are those of
 * the test's file (no swap), so each step's effect can be named page by page.
 */
#include "tests/harness.h"
#include "tests/filemap_test.h"

#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>
#include <kmm/swap.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/pagecache.h"
#include "mm/swap.h"

#define PG 4096
#define NPAGES 32	/* one batch of isolation (SWAP_CLUSTER_MAX) */

/* A machine whose writers never start the flusher themselves. */
static struct kmm_machine *boot_quiet(void)
{
	struct kmm_machine *m = boot("mem=128M");

	assert_eq(kmm_sysctl_write(m, "vm.dirty_ratio", "90"), 0);
	assert_eq(kmm_sysctl_write(m, "vm.dirty_background_ratio", "80"), 0);
	return m;
}

struct find_ctx {
	const char *path;
	struct kmm_file *f;
};

static int find_one(struct kmm_file *f, void *arg)
{
	struct find_ctx *c = arg;

	if (strcmp(f->path, c->path))
		return 0;
	c->f = f;
	return 1;
}

static struct kmm_file *file_of(struct kmm_machine *m, const char *path)
{
	struct find_ctx c = { path, NULL };

	filemap_for_each_file(m, find_one, &c);
	assert_true(c.f != NULL);
	return c.f;
}

/* Page @idx of @f in the cache, or NULL (looked at, no reference taken: one thread). */
static struct page *cached(struct kmm_file *f, unsigned long idx)
{
	struct page *page;

	spin_lock(&f->i_pages_lock);
	page = xa_load(&f->i_pages, idx);
	spin_unlock(&f->i_pages_lock);
	return page;
}

/* How many of @f's first NPAGES pages have flag @flag (set or not, per @set). */
static int count_flag(struct kmm_file *f, int flag, bool set)
{
	int n = 0;

	for (unsigned long i = 0; i < NPAGES; i++) {
		struct page *page = cached(f, i);
		if (page && page_flag_test(page, (enum pageflags)flag) == set)
			n++;
	}
	return n;
}

/*
 * The flusher that reclaim wakes finds @arg (a page) locked, as if another
 * thread held it busy: reclaim itself skips a page someone holds locked
 * (its trylock), so the test takes the lock for the flusher's round only.
 */
static void flusher_finds_busy(void *arg, bool start)
{
	if (start)
		lock_page(arg);
	else
		unlock_page(arg);
}

static void hold_from_flusher(struct kmm_machine *m, struct page *page)
{
	pagecache_of(m)->flusher_hook_arg = page;
	pagecache_of(m)->flusher_hook = page ? flusher_finds_busy : NULL;
}

/* One shrink_node() pass over node 0 at priority 0: kswapd's, or a direct reclaimer's. */
static unsigned long one_pass(struct kmm_machine *m, bool kswapd)
{
	struct scan_control sc = {
		.nr_to_reclaim = 1UL << 20,
		.gfp_mask = GFP_KERNEL,
		.priority = 0,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.may_writepage = 1,
		.may_unmap = 1,
		.may_swap = 1,
		.is_kswapd = kswapd,
	};

	shrink_node(m->node_data[0], &sc);
	return sc.nr_reclaimed;
}

/* A file of NPAGES dirty pages, alone on the file LRU (inactive, nothing written yet). */
static struct kmm_file *dirty_file(struct kmm_machine *m, struct task_struct *a, int *fd)
{
	*fd = kmm_open(a, "/data/d", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(*fd >= 3);
	write_pages(a, *fd, NPAGES, 5);
	lru_add_drain(m);	/* the CPU slot's add batch onto the list */
	assert_eq(vmstat_val(m, "nr_dirty"), NPAGES);
	assert_eq(vmstat_val(m, "nr_writeback"), 0);
	assert_eq(vmstat_val(m, "nr_inactive_file"), NPAGES);
	assert_eq(vmstat_val(m, "nr_active_file"), 0);
	return file_of(m, "/data/d");
}

static void finish(struct kmm_machine *m, struct task_struct *a, int fd)
{
	expect_true(reads_back(a, fd, NPAGES, 5));	/* every byte, from the cache or the disk */
	expect_eq(kmm_close(a, fd), 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/d"), 0);
	done(m);
}

/*
 * Direct reclaim (memory.reclaim's path here) over a file of dirty pages:
 * it writes none of them itself (nr_vmscan_write stays), marks and counts
 * the ones it met, and the flusher it woke writes them all; it frees them
 * once written.
 */
TEST(direct_reclaim_leaves_dirty_file_pages_to_the_flusher)
{
	struct kmm_machine *m = boot_quiet();
	struct task_struct *a = kmm_spawn(m, "A");
	int fd;

	dirty_file(m, a, &fd);
	long vmscan_write0 = vmstat_val(m, "nr_vmscan_write");
	long immediate0 = vmstat_val(m, "nr_vmscan_immediate_reclaim");
	long pgpgout0 = vmstat_val(m, "pgpgout");

	expect_true(kmm_reclaim(m, NPAGES) >= NPAGES);
	expect_eq(vmstat_val(m, "nr_vmscan_write"), vmscan_write0);	/* reclaim wrote none */
	/* the first page it met (priority 5 scans one) woke the flusher, which took them all */
	expect_true(vmstat_val(m, "nr_vmscan_immediate_reclaim") - immediate0 >= 1);
	expect_eq(vmstat_val(m, "pgpgout") - pgpgout0, NPAGES * (PG / 1024));
	expect_eq(vmstat_val(m, "nr_dirty"), 0);
	expect_eq(kmm_check(m), 0);
	finish(m, a, fd);
}

/*
 * One pass of direct reclaim: every page is marked PG_reclaim and moved to
 * the active list (none written by reclaim; the flusher, woken because the
 * batch was all unqueued dirty, writes them). When the writes end, each
 * goes to the inactive tail (pgrotated), and the next pass frees every
 * page it scans: exactly those.
 */
TEST(a_marked_dirty_page_is_reclaimed_right_after_its_write_ends)
{
	struct kmm_machine *m = boot_quiet();
	struct task_struct *a = kmm_spawn(m, "A");
	int fd;
	struct kmm_file *f = dirty_file(m, a, &fd);
	long immediate0 = vmstat_val(m, "nr_vmscan_immediate_reclaim");

	expect_eq(one_pass(m, false), 0);
	expect_eq(vmstat_val(m, "nr_vmscan_immediate_reclaim") - immediate0, NPAGES);
	expect_eq(vmstat_val(m, "nr_active_file"), NPAGES);	/* out of the way */
	expect_eq(vmstat_val(m, "nr_inactive_file"), 0);
	expect_eq(count_flag(f, PG_reclaim, true), NPAGES);
	expect_eq(vmstat_val(m, "nr_writeback"), NPAGES);	/* the flusher's writes */
	expect_eq(vmstat_val(m, "nr_vmscan_write"), 0);
	expect_eq(kmm_check(m), 0);

	long rotated0 = vmstat_val(m, "pgrotated");
	expect_eq(kmm_writeback_wait(m), NPAGES);
	expect_eq(vmstat_val(m, "pgrotated") - rotated0, NPAGES);
	expect_eq(vmstat_val(m, "nr_active_file"), 0);
	expect_eq(vmstat_val(m, "nr_inactive_file"), NPAGES);
	expect_eq(count_flag(f, PG_reclaim, false), NPAGES);	/* the mark went with the write */

	long scan0 = vmstat_val(m, "pgscan_direct"), steal0 = vmstat_val(m, "pgsteal_direct");
	expect_eq(one_pass(m, false), NPAGES);
	expect_eq(vmstat_val(m, "pgscan_direct") - scan0, NPAGES);
	expect_eq(vmstat_val(m, "pgsteal_direct") - steal0, NPAGES);
	expect_eq(f->nrpages, 0);
	expect_eq(kmm_check(m), 0);
	finish(m, a, fd);
}

/*
 * kswapd writes a dirty file page only on its second visit: the first
 * marks it, and the flusher cannot take it (the test holds its lock while
 * the flusher runs, as a busy page would be); the node is then PGDAT_DIRTY (every file page kswapd
 * took was unqueued dirty), so when aging brings the page back to the
 * inactive list kswapd writes it (nr_vmscan_write), and once written it is
 * freed. Direct reclaim in the same steps never writes it.
 */
static void second_visit(bool kswapd)
{
	struct kmm_machine *m = boot_quiet();
	struct task_struct *a = kmm_spawn(m, "A");
	int fd;
	struct kmm_file *f = dirty_file(m, a, &fd);
	struct page *p0 = cached(f, 0);
	long immediate0 = vmstat_val(m, "nr_vmscan_immediate_reclaim");

	/* first visit: marked and activated, the flusher writes all but page 0 */
	hold_from_flusher(m, p0);
	expect_eq(one_pass(m, kswapd), 0);
	hold_from_flusher(m, NULL);
	expect_eq(vmstat_val(m, "nr_vmscan_immediate_reclaim") - immediate0, NPAGES);
	expect_eq(vmstat_val(m, "nr_vmscan_write"), 0);
	expect_eq(vmstat_val(m, "nr_writeback"), NPAGES - 1);
	expect_true(page_flag_test(p0, PG_dirty) && page_flag_test(p0, PG_reclaim) &&
		    page_flag_test(p0, PG_active));
	expect_eq((__atomic_load_n(&m->node_data[0]->flags, __ATOMIC_RELAXED) >> PGDAT_DIRTY) & 1,
		  kswapd);
	/* aging: the active pages go back to the inactive list */
	expect_eq(one_pass(m, kswapd), 0);
	expect_eq(vmstat_val(m, "nr_inactive_file"), NPAGES);
	/* second visit: kswapd writes page 0 itself; direct reclaim marks it again */
	one_pass(m, kswapd);
	expect_eq(vmstat_val(m, "nr_vmscan_write"), kswapd ? 1 : 0);
	expect_eq(vmstat_val(m, "nr_vmscan_immediate_reclaim") - immediate0, kswapd ? NPAGES : NPAGES + 1);
	expect_eq(page_flag_test(p0, PG_dirty), !kswapd);
	expect_eq(kmm_check(m), 0);
	finish(m, a, fd);
}

TEST(kswapd_writes_a_dirty_file_page_on_its_second_visit)
{
	second_visit(true);
}

TEST(direct_reclaim_never_writes_a_dirty_file_page)
{
	second_visit(false);
}

/*
 * A marked page written again is new data: the mark from reclaim's visit
 * goes (folio_mark_dirty clears PG_reclaim), so the next visit is a first
 * one again, and a write in flight that ends no longer rotates it.
 */
TEST(writing_a_marked_page_again_clears_its_mark)
{
	struct kmm_machine *m = boot_quiet();
	struct task_struct *a = kmm_spawn(m, "A");
	static unsigned char w[PG];
	int fd;
	struct kmm_file *f = dirty_file(m, a, &fd);
	struct page *p0 = cached(f, 0), *p1 = cached(f, 1);

	hold_from_flusher(m, p0);	/* the flusher leaves page 0 dirty */
	expect_eq(one_pass(m, false), 0);
	hold_from_flusher(m, NULL);
	expect_true(page_flag_test(p0, PG_dirty) && page_flag_test(p0, PG_reclaim));
	expect_true(page_flag_test(p1, PG_writeback) && page_flag_test(p1, PG_reclaim));
	fill(w, PG, 0, 5);
	assert_eq(kmm_pwrite(a, fd, w, PG, 0), PG);	/* the same bytes, written again */
	fill(w, PG, PG, 5);
	assert_eq(kmm_pwrite(a, fd, w, PG, PG), PG);
	expect_true(!page_flag_test(p0, PG_reclaim));
	expect_true(!page_flag_test(p1, PG_reclaim));
	long rotated0 = vmstat_val(m, "pgrotated");
	expect_eq(kmm_writeback_wait(m), NPAGES - 1);
	expect_eq(vmstat_val(m, "pgrotated") - rotated0, NPAGES - 2);	/* all but pages 0 and 1 */
	expect_eq(kmm_check(m), 0);
	finish(m, a, fd);
}

/* ---- fadvise NOREUSE ---- */

/*
 * A clean file mapped and read through an open file: pages freed by one
 * direct reclaim pass. Their PTEs are young, so reclaim keeps them - unless
 * the open file was advised NOREUSE before the mmap(), which makes the
 * mapping's accessed bits say nothing (6.12's vma_has_recency).
 */
static unsigned long reclaim_mapped_and_read(bool noreuse)
{
	struct kmm_machine *m = boot_quiet();
	struct task_struct *a = kmm_spawn(m, "A");
	int fd = kmm_open(a, "/data/n", KMM_O_CREAT | KMM_O_RDWR);
	uint64_t addr = 0;
	unsigned long got;

	assert_true(fd >= 3);
	write_pages(a, fd, NPAGES, 7);
	assert_eq(kmm_fsync(a, fd), 0);	/* clean: nothing for the flusher */
	if (noreuse)
		assert_eq(kmm_fadvise(a, fd, 0, 0, KMM_POSIX_FADV_NOREUSE), 0);
	assert_eq(kmm_mmap_fd(a, fd, 0, NPAGES * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &addr), 0);
	assert_eq(kmm_touch(a, addr, NPAGES * PG, false), 0);
	lru_add_drain(m);
	assert_eq(vmstat_val(m, "nr_inactive_file"), NPAGES);
	got = one_pass(m, false);
	expect_eq(kmm_check(m), 0);
	expect_true(reads_back(a, fd, NPAGES, 7));	/* from the disk where reclaim took them */
	expect_eq(kmm_munmap(a, addr, NPAGES * PG), 0);
	expect_eq(kmm_close(a, fd), 0);
	kmm_exit(a, 0);
	expect_eq(kmm_unlink(m, "/data/n"), 0);
	done(m);
	return got;
}

TEST(a_mapping_through_a_noreuse_file_has_no_recency)
{
	expect_eq(reclaim_mapped_and_read(false), 0);	/* young: kept */
	expect_eq(reclaim_mapped_and_read(true), NPAGES);	/* young, but NOREUSE: freed */
}
