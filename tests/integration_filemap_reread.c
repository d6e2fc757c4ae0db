// SPDX-License-Identifier: MIT
/*
 * tests/integration_filemap_reread.c - a page read from the backing store
 * for one fault, one write_begin or one read() miss is never cached with
 * bytes older than the store's (review21 R1, for 9f8222c). The page's
 * read_folio() returns the disk's bytes; if, before the page is added,
 * someone else has made that page, written new bytes into it, written it
 * back and seen it dropped, the add is refused (the file's write_seq moved:
 * -EAGAIN) and the caller reads the page again, now getting the new bytes.
 *
 * The interleaving is made deterministic by wrapping the file's a_ops:
 * the test's read_folio() calls kmmfs's, then (once, for the page under
 * test) writes that page through the cache, writes it back and drops it,
 * all on the reading thread before the read's page is added. Without the
 * refusal the stale bytes are cached and seen; without the second read the
 * fault, write or read fails with -EAGAIN. Each test unlinks its file, and
 * the harness's leak check proves every page came back.
 */
#include <errno.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/process.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "tests/filemap_test.h"

#define PG 4096
#define TARGET 5	/* the page each test reads, of 8 */

struct reread {
	const char *path;
	struct kmm_file *f;
	const struct address_space_operations *orig;
	struct address_space_operations ops;
	int reads;		/* read_folio() calls for TARGET */
	int injected;		/* TARGET pages written back and dropped by the hook */
};

static struct reread rr;

static int find_file(struct kmm_file *f, void *arg)
{
	struct reread *s = arg;

	if (!strcmp(f->path, s->path))
		s->f = f;
	return 0;
}

/* kmmfs's read_folio(), then, after the first read of TARGET, a write-back of new bytes there. */
static int read_then_write_back(struct kmm_file *f, struct page *page)
{
	static unsigned char w[PG];
	int err = rr.orig->read_folio(f, page);

	if (err || f != rr.f || page->index != TARGET || rr.reads++)
		return err;
	fill(w, PG, (uint64_t)TARGET * PG, 2);
	if (generic_perform_write(f, w, PG, (uint64_t)TARGET * PG) == PG &&
	    !filemap_write_and_wait_range(f, (uint64_t)TARGET * PG, (uint64_t)(TARGET + 1) * PG - 1)) {
		lru_add_drain_all(f->m);
		rr.injected = (int)invalidate_mapping_pages(f, TARGET, TARGET);
	}
	return err;
}

/*
 * A machine with /data/rr: 8 pages of pattern 1 on disk, none cached, no
 * readahead (read_ahead_kb 0 before the file is made: faults and reads
 * take one page at a time, through filemap_get_or_read()), the file's a_ops
 * wrapped. *@fd gets a read-write descriptor of @t.
 */
static struct kmm_machine *setup(struct task_struct **t, int *fd)
{
	struct kmm_machine *m = boot("mem=128M");

	/* before the file exists: its own window (mmap read-around) is set when it is made */
	assert_eq(kmm_proc_write(m, "/sys/block/kmmd0/queue/read_ahead_kb", "0"), 0);
	*t = kmm_spawn(m, "A");
	*fd = kmm_open(*t, "/data/rr", KMM_O_CREAT | KMM_O_RDWR);
	assert_true(*fd >= 3);
	write_pages(*t, *fd, 8, 1);
	assert_eq(kmm_fsync(*t, *fd), 0);
	kmm_close(*t, *fd);
	assert_eq(kmm_sysctl_write(m, "vm.drop_caches", "1"), 0);
	*fd = kmm_open(*t, "/data/rr", KMM_O_RDWR);
	assert_true(*fd >= 3);
	rr = (struct reread){ .path = "/data/rr" };
	filemap_for_each_file(m, find_file, &rr);
	assert_true(rr.f != NULL);
	rr.orig = rr.f->a_ops;
	rr.ops = *rr.orig;
	rr.ops.read_folio = read_then_write_back;
	rr.f->a_ops = &rr.ops;
	return m;
}

/* The hook ran once, and TARGET was read twice: the refused read and the one after it. */
static void finish(struct kmm_machine *m, struct task_struct *t, int fd, const unsigned char *want)
{
	static unsigned char r[PG];

	rr.f->a_ops = rr.orig;
	expect_eq(rr.injected, 1);
	expect_eq(rr.reads, 2);
	/* what stays cached is what the read saw */
	assert_eq(kmm_pread(t, fd, r, PG, (uint64_t)TARGET * PG), PG);
	expect_true(!memcmp(r, want, PG));
	/* and the pages around it are the disk's */
	for (int i = 0; i < 8; i++) {
		unsigned char w[PG];

		if (i == TARGET)
			continue;
		fill(w, PG, (uint64_t)i * PG, 1);
		assert_eq(kmm_pread(t, fd, r, PG, (uint64_t)i * PG), PG);
		if (memcmp(r, w, PG))
			kmm_test_fail(__FILE__, __LINE__, "page %d differs from the file", i);
	}
	kmm_exit(t, 0);
	expect_eq(kmm_unlink(m, "/data/rr"), 0);
	done(m);
}

TEST(a_read_miss_reads_again_when_the_page_was_written_back_during_its_read)
{
	struct task_struct *t;
	int fd;
	struct kmm_machine *m = setup(&t, &fd);
	static unsigned char r[PG], w[PG];

	assert_eq(kmm_pread(t, fd, r, PG, (uint64_t)TARGET * PG), PG);
	fill(w, PG, (uint64_t)TARGET * PG, 2);
	if (memcmp(r, w, PG))
		kmm_test_fail(__FILE__, __LINE__, "read() returned the disk's bytes from before the write-back");
	finish(m, t, fd, w);
}

TEST(a_fault_reads_again_when_the_page_was_written_back_during_its_read)
{
	struct task_struct *t;
	int fd;
	struct kmm_machine *m = setup(&t, &fd);
	static unsigned char r[PG], w[PG];
	uint64_t at;

	assert_eq(kmm_mmap_fd(t, fd, 0, 8 * PG, KMM_PROT_READ, KMM_MAP_SHARED, 0, &at), 0);
	assert_eq(kmm_access(t, at + (uint64_t)TARGET * PG, r, PG, false), 0);
	fill(w, PG, (uint64_t)TARGET * PG, 2);
	if (memcmp(r, w, PG))
		kmm_test_fail(__FILE__, __LINE__, "the fault mapped the disk's bytes from before the write-back");
	finish(m, t, fd, w);
}

TEST(a_partial_write_reads_again_when_the_page_was_written_back_during_its_read)
{
	struct task_struct *t;
	int fd;
	struct kmm_machine *m = setup(&t, &fd);
	static unsigned char part[100], w[PG];

	/* 100 bytes inside TARGET: write_begin reads the page first */
	fill(part, sizeof(part), 0, 3);
	assert_eq(kmm_pwrite(t, fd, part, sizeof(part), (uint64_t)TARGET * PG + 10), (long)sizeof(part));
	fill(w, PG, (uint64_t)TARGET * PG, 2);
	memcpy(w + 10, part, sizeof(part));
	finish(m, t, fd, w);
}
