// SPDX-License-Identifier: MIT
/*
 * tests/stress_shmem.c - a seeded random walk over shmem on a machine short
 * of memory, with swap on: tmpfs files written and read by pwrite/pread,
 * truncated, mapped shared, unlinked; MAP_SHARED|MAP_ANONYMOUS regions
 * written and read through the mappings of several processes, shared with
 * forked children; reclaim, kswapd, swapoff/swapon in between, so pages go
 * to swap and come back through every kind of lookup (mm/shmem.c). Every
 * page of every object has a shadow tag (0: never written, reads as zero),
 * so every read checks the bytes that came back; kmm_check runs after every
 * step (the swap checker counts the shmem indexes' entries). Now and then a
 * random page of a tmpfs file that is on swap (and not in the swap cache)
 * is made unreadable (the swap-in hook fails every read of its slot while
 * its index holds it): from then on every read() or write() of that page
 * fails with EIO - the first read poisons the index and frees the slot,
 * swapoff poisons it too and completes - until truncation takes the index
 * (the mappings' walks leave such a page alone: a fault there is SIGBUS).
 * Every run makes at least one page unreadable and sees at least one EIO
 * (a walk that did not gets one more step that does), and fails otherwise.
 * At the end everything is verified, every object goes, and every frame
 * and slot must be free again. KMM_QUICK=1 takes fewer steps; KMM_SEED
 * replays a run.
 */
#include "tests/swap_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <kmm/fs.h>

#include "mm/include/filemap.h"

#define MAX_TASKS	4
#define MAX_REGIONS	4
#define MAX_FILES	3
#define MAX_PAGES	1536

/* A shmem object: a tmpfs file or the object behind a shared anonymous mapping. */
struct obj {
	uint64_t *tag;		/* per page; 0 = never written (zero) */
	bool *bad;		/* per page: its read failed or will (EIO from now on) */
	uint64_t size;		/* pages: the file's size, or the mapping's length */
	int refs;		/* regions mapping it, plus one while a file is linked */
	bool file;
	char path[32];
};

struct region {
	uint64_t addr, npages;
	struct obj *o;
};

struct proc {
	struct task_struct *t;
	struct region r[MAX_REGIONS];
	int nr;
};

static uint64_t next_tag = 1;
static struct obj *files[MAX_FILES];

static struct obj *obj_new(uint64_t size, bool file, const char *path)
{
	struct obj *o = calloc(1, sizeof(*o));

	o->tag = calloc(MAX_PAGES, sizeof(uint64_t));
	o->bad = calloc(MAX_PAGES, sizeof(bool));
	o->size = size;
	o->refs = 1;
	o->file = file;
	snprintf(o->path, sizeof(o->path), "%s", path ? path : "");
	return o;
}

/* ---- Unreadable slots ---- */

#define MAX_BAD 16

/* A slot whose reads fail while index @idx of @f holds it (a page of @o). */
struct bad_slot {
	struct kmm_file *f;
	unsigned long idx;
	swp_entry_t entry;
	struct obj *o;
};
static struct bad_slot bad[MAX_BAD];
static int nr_bad;
static unsigned long made_bad, eio_seen;	/* each must be > 0 by the end; KMM_VERBOSE prints them */

/* Does index @b->idx of @b->f still hold @b->entry (as mm/shmem.c stores it: an odd value)? */
static bool bad_slot_held(const struct bad_slot *b)
{
	void *v;

	spin_lock(&b->f->i_pages_lock);
	v = xa_load(&b->f->i_swap, b->idx);
	spin_unlock(&b->f->i_pages_lock);
	return v == (void *)(uintptr_t)((b->entry.val << 1) | 1);
}

/* The swap-in hook: a read of a slot a bad index still holds fails. */
static int fail_bad_slots(void *arg, int point, struct page *page, swp_entry_t entry)
{
	(void)arg;
	(void)page;
	if (point != SWAPIN_HOOK_READ)
		return 0;
	for (int i = 0; i < nr_bad; i++)
		if (bad[i].entry.val == entry.val && bad_slot_held(&bad[i]))
			return -EIO;
	return 0;
}

/* Forget the bad slots no index holds any more (poisoned, truncated), or all of @o's. */
static void prune_bad(struct obj *o)
{
	for (int i = 0; i < nr_bad;) {
		if (bad[i].o == o || (!o && !bad_slot_held(&bad[i])))
			bad[i] = bad[--nr_bad];
		else
			i++;
	}
}

static void obj_put(struct obj *o)
{
	if (--o->refs == 0) {
		prune_bad(o);	/* its file goes with it */
		free(o->tag);
		free(o->bad);
		free(o);
	}
}

static bool check_words(const uint64_t *buf, struct obj *o, uint64_t i, const char *how)
{
	for (size_t w = 0; w < PAGE_SIZE / 8; w++) {
		uint64_t want = o->tag[i] ? pattern(o->tag[i], i, w) : 0;
		if (buf[w] != want)
			return kmm_test_fail(__FILE__, __LINE__, "%s page %" PRIu64 " of %s word %zu: %#"
					     PRIx64 ", expected %#" PRIx64 " (tag %" PRIu64 ")", how, i,
					     o->file ? o->path : "a shared anonymous object", w, buf[w],
					     want, o->tag[i]);
	}
	return true;
}

/* Read page @i of region @r through the mapping and check it. */
static bool region_check(struct task_struct *t, struct region *r, uint64_t i)
{
	uint64_t buf[PAGE_SIZE / 8];

	if (r->o->bad[i])
		return true;	/* unreadable: SIGBUS (the process would die) */
	if (kmm_access(t, r->addr + i * PAGE_SIZE, buf, PAGE_SIZE, false))
		return kmm_test_fail(__FILE__, __LINE__, "read through the mapping: %s", kmm_last_error());
	return check_words(buf, r->o, i, "mapped");
}

/* Pages of @r that may be touched: a file's mapping stops at the file's end (SIGBUS past it). */
static uint64_t region_span(const struct region *r)
{
	return KMM_MIN(r->npages, r->o->size);
}

static void drop_region(struct proc *p, int k)
{
	obj_put(p->r[k].o);
	p->r[k] = p->r[--p->nr];
	memset(&p->r[p->nr], 0, sizeof(p->r[0]));
}

static void forget(struct proc *p)
{
	while (p->nr)
		drop_region(p, 0);
	p->t = NULL;
}

static int open_file(struct task_struct *t, struct obj *o)
{
	int fd = kmm_open(t, o->path, KMM_O_RDWR);

	if (fd < 0)
		kmm_test_fail(__FILE__, __LINE__, "open %s: %s", o->path, kmm_last_error());
	return fd;
}

/* The kmm_file behind @o (a linked tmpfs file): the file of a mapping of it, for a moment. */
static struct kmm_file *kfile_of(struct task_struct *t, struct obj *o)
{
	struct kmm_file *f = NULL;
	uint64_t addr;
	int fd = open_file(t, o);

	if (fd < 0)
		return NULL;
	if (!kmm_mmap_fd(t, fd, 0, PAGE_SIZE, KMM_PROT_READ, KMM_MAP_SHARED, 0, &addr)) {
		mmap_read_lock(t->mm);
		f = find_vma(t->mm, addr)->vm_file;
		mmap_read_unlock(t->mm);
		kmm_munmap(t, addr, PAGE_SIZE);
	}
	kmm_close(t, fd);
	return f;
}

struct swapped {
	struct kmm_file *f;
	unsigned long n, idx[MAX_PAGES];
	swp_entry_t entry[MAX_PAGES];
};

static int take_swapped(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e)
{
	struct swapped *sw = arg;

	if (f == sw->f && sw->n < MAX_PAGES) {
		sw->idx[sw->n] = idx;
		sw->entry[sw->n++] = e;
	}
	return 0;
}

/*
 * Make a random page of tmpfs file @o that is on swap, not in the swap
 * cache, unreadable: its index will read back as EIO from now on. It is
 * read at once (EIO) one time in 2, and always while no EIO was seen yet.
 */
static bool make_unreadable(struct kmm_machine *m, struct proc *p, struct obj *o, uint64_t *s)
{
	static struct swapped sw;
	int token;

	prune_bad(NULL);
	if (!o->size)
		return true;
	if (nr_bad == MAX_BAD || !(sw.f = kfile_of(p->t, o)))
		return nr_bad == MAX_BAD || kmm_test_fail(__FILE__, __LINE__, "no file behind %s", o->path);
	sw.n = 0;
	token = procs_stop(m);
	shmem_for_each_swap_entry(m, take_swapped, &sw);
	if (token != -EDEADLK)
		procs_resume(m);
	for (unsigned long tries = 0; sw.n && tries < 8; tries++) {
		unsigned long k = (unsigned long)t_rnd(s, sw.n);
		struct page *cached = swap_cache_get(m, sw.entry[k]);
		if (cached) {
			put_user_page_ref(cached);	/* its bytes are in RAM: no read would fail */
			continue;
		}
		if (o->bad[sw.idx[k]] || sw.idx[k] >= o->size)
			continue;
		bad[nr_bad++] = (struct bad_slot){ sw.f, sw.idx[k], sw.entry[k], o };
		o->bad[sw.idx[k]] = true;
		made_bad++;
		if (!eio_seen || t_rnd(s, 2)) {
			/* read it now (the index is poisoned and its slot freed), or leave it for later */
			uint64_t buf[PAGE_SIZE / 8];
			int fd = open_file(p->t, o);
			long r = fd < 0 ? -EBADF : kmm_pread(p->t, fd, buf, PAGE_SIZE, sw.idx[k] * PAGE_SIZE);
			if (fd >= 0)
				kmm_close(p->t, fd);
			if (r != -EIO)
				return kmm_test_fail(__FILE__, __LINE__, "pread of page %lu of %s made unreadable:"
						     " %ld, expected -EIO", sw.idx[k], o->path, r);
			eio_seen++;
		}
		return true;
	}
	return true;
}

/* Create tmpfs file @k (files[@k] is empty). Return: its object, or NULL (the test failed). */
static struct obj *file_create(struct proc *p, int k)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/s%d", k);
	fd = kmm_open(p->t, path, KMM_O_CREAT | KMM_O_RDWR);
	if (fd < 0) {
		kmm_test_fail(__FILE__, __LINE__, "create %s: %s", path, kmm_last_error());
		return NULL;
	}
	kmm_close(p->t, fd);
	return files[k] = obj_new(0, true, path);
}

static bool file_step(struct kmm_machine *m, struct proc *p, uint64_t *s, unsigned long n)
{
	int k = (int)t_rnd(s, MAX_FILES);
	struct obj *o = files[k];
	uint64_t buf[PAGE_SIZE / 8];
	int fd;

	if (!o)
		return file_create(p, k) != NULL;
	switch (t_rnd(s, 7)) {
	case 0: case 1: {	/* pwrite a run of pages (the file may grow) */
		uint64_t first = t_rnd(s, MAX_PAGES), len = 1 + t_rnd(s, 128);
		if ((fd = open_file(p->t, o)) < 0)
			return false;
		for (uint64_t i = first; i < MAX_PAGES && i < first + len; i++) {
			uint64_t tag = next_tag++;
			fill_page(buf, i, tag);
			if (o->bad[i]) {
				long r = kmm_pwrite(p->t, fd, buf, PAGE_SIZE, i * PAGE_SIZE);
				if (r != -EIO)
					return kmm_test_fail(__FILE__, __LINE__, "pwrite of unreadable page %"
							     PRIu64 " of %s: %ld, expected -EIO", i, o->path, r);
				eio_seen++;
				continue;
			}
			if (kmm_pwrite(p->t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE)
				return kmm_test_fail(__FILE__, __LINE__, "pwrite: %s", kmm_last_error());
			o->tag[i] = tag;
			if (i + 1 > o->size)
				o->size = i + 1;
		}
		kmm_close(p->t, fd);
		return true;
	}
	case 2: case 3: {	/* pread a run back */
		uint64_t first = t_rnd(s, o->size + 1), len = 1 + t_rnd(s, 128);
		if ((fd = open_file(p->t, o)) < 0)
			return false;
		for (uint64_t i = first; i < o->size && i < first + len; i++) {
			long r = kmm_pread(p->t, fd, buf, PAGE_SIZE, i * PAGE_SIZE);
			if (o->bad[i] && r == -EIO) {
				eio_seen++;
				continue;
			}
			if (o->bad[i])
				return kmm_test_fail(__FILE__, __LINE__, "pread of unreadable page %" PRIu64
						     " of %s: %ld, expected -EIO", i, o->path, r);
			if (r != PAGE_SIZE)
				return kmm_test_fail(__FILE__, __LINE__, "pread: %s", kmm_last_error());
			if (!check_words(buf, o, i, "read"))
				return false;
		}
		kmm_close(p->t, fd);
		return true;
	}
	case 4: {	/* truncate to a whole number of pages, smaller or larger */
		uint64_t size = t_rnd(s, MAX_PAGES + 1);
		if ((fd = open_file(p->t, o)) < 0)
			return false;
		if (kmm_ftruncate(p->t, fd, size * PAGE_SIZE))
			return kmm_test_fail(__FILE__, __LINE__, "ftruncate: %s", kmm_last_error());
		kmm_close(p->t, fd);
		for (uint64_t i = size; i < MAX_PAGES; i++) {
			o->tag[i] = 0;
			o->bad[i] = false;	/* the index went, and its entry */
		}
		o->size = size;
		return true;
	}
	case 5:		/* a page on swap becomes unreadable, one time in 4 */
		return t_rnd(s, 4) || make_unreadable(m, p, o, s);
	default:	/* unlink it (the mappings keep the object) */
		if (t_rnd(s, 3))
			return true;
		if (kmm_unlink(m, o->path))
			return kmm_test_fail(__FILE__, __LINE__, "unlink %s: %s", o->path, kmm_last_error());
		files[k] = NULL;
		(void)n;
		obj_put(o);
		return true;
	}
}

/*
 * After the walk, when it made no page unreadable or saw no EIO (a short
 * walk whose files never reached swap, one seed in two at KMM_QUICK): a
 * file of 256 written pages, reclaimed until some are on swap and out of
 * the swap cache, and one of them made unreadable and read (EIO). So every
 * seed tests the EIO paths at least once. Return: false when it failed.
 */
static bool make_one_unreadable(struct kmm_machine *m, struct proc *procs, uint64_t *s)
{
	struct proc *p = &procs[0];
	uint64_t buf[PAGE_SIZE / 8];
	struct obj *o = files[0];
	int fd;

	if (!p->t && !(p->t = kmm_spawn(m, "eio")))
		return kmm_test_fail(__FILE__, __LINE__, "spawn: %s", kmm_last_error());
	if ((!o && !(o = file_create(p, 0))) || (fd = open_file(p->t, o)) < 0)
		return false;
	for (uint64_t i = 0; i < 256; i++) {
		uint64_t tag = next_tag++;
		if (o->bad[i])
			continue;
		fill_page(buf, i, tag);
		if (kmm_pwrite(p->t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE)
			return kmm_test_fail(__FILE__, __LINE__, "pwrite: %s", kmm_last_error());
		o->tag[i] = tag;
		o->size = KMM_MAX(o->size, i + 1);
	}
	kmm_close(p->t, fd);
	for (int round = 0; round < 16 && !(made_bad && eio_seen); round++) {
		kmm_reclaim(m, 4096);
		if (!make_unreadable(m, p, o, s) || !walk_after_step(m, (unsigned long)round))
			return false;
	}
	return true;
}

static bool step(struct kmm_machine *m, struct proc *procs, uint64_t *s, unsigned long n)
{
	struct proc *p = &procs[t_rnd(s, MAX_TASKS)];
	char name[16];

	if (!p->t) {
		snprintf(name, sizeof(name), "p%lu", n);
		p->t = kmm_spawn(m, name);
		return p->t != NULL;
	}
	switch (t_rnd(s, 12)) {
	case 0: case 1: case 2:
		return file_step(m, p, s, n);
	case 3: {	/* mmap a shared anonymous object, or a file */
		if (p->nr == MAX_REGIONS)
			return true;
		struct region *r = &p->r[p->nr];
		struct obj *f = files[t_rnd(s, MAX_FILES)];
		if (t_rnd(s, 2) && f && f->size) {
			int fd = open_file(p->t, f);
			if (fd < 0)
				return false;
			r->npages = f->size;
			if (kmm_mmap_fd(p->t, fd, 0, r->npages * PAGE_SIZE, RW, KMM_MAP_SHARED, 0, &r->addr))
				return kmm_test_fail(__FILE__, __LINE__, "mmap %s: %s", f->path, kmm_last_error());
			kmm_close(p->t, fd);
			r->o = f;
			f->refs++;
		} else {
			r->npages = 16 + t_rnd(s, MAX_PAGES - 16);
			if (kmm_mmap(p->t, 0, r->npages * PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS,
				     &r->addr))
				return kmm_test_fail(__FILE__, __LINE__, "mmap: %s", kmm_last_error());
			r->o = obj_new(r->npages, false, NULL);
		}
		p->nr++;
		return true;
	}
	case 4: case 5: {	/* write a run through a mapping */
		if (!p->nr)
			return true;
		struct region *r = &p->r[t_rnd(s, (uint64_t)p->nr)];
		uint64_t span = region_span(r), first = t_rnd(s, span), len = 1 + t_rnd(s, 64);
		for (uint64_t i = first; i < span && i < first + len; i++) {
			uint64_t tag = next_tag++;
			if (r->o->bad[i])
				continue;	/* SIGBUS: the process would die */
			if (write_page(p->t, r->addr, i, tag))
				return kmm_test_fail(__FILE__, __LINE__, "write: %s", kmm_last_error());
			r->o->tag[i] = tag;
		}
		return true;
	}
	case 6: {	/* read a run back through a mapping */
		if (!p->nr)
			return true;
		struct region *r = &p->r[t_rnd(s, (uint64_t)p->nr)];
		uint64_t span = region_span(r), first = t_rnd(s, span), len = 1 + t_rnd(s, 64);
		for (uint64_t i = first; i < span && i < first + len; i++)
			if (!region_check(p->t, r, i))
				return false;
		return true;
	}
	case 7: {	/* munmap a region */
		if (!p->nr)
			return true;
		int k = (int)t_rnd(s, (uint64_t)p->nr);
		if (kmm_munmap(p->t, p->r[k].addr, p->r[k].npages * PAGE_SIZE))
			return kmm_test_fail(__FILE__, __LINE__, "munmap: %s", kmm_last_error());
		drop_region(p, k);
		return true;
	}
	case 8: {	/* fork into an empty slot: the child maps the same objects */
		struct proc *c = NULL;
		for (int i = 0; i < MAX_TASKS && !c; i++)
			if (!procs[i].t)
				c = &procs[i];
		if (!c)
			return true;
		snprintf(name, sizeof(name), "f%lu", n);
		c->t = kmm_fork(p->t, name);
		if (!c->t)
			return kmm_test_fail(__FILE__, __LINE__, "fork: %s", kmm_last_error());
		c->nr = p->nr;
		for (int i = 0; i < p->nr; i++) {
			c->r[i] = p->r[i];
			c->r[i].o->refs++;
		}
		return true;
	}
	case 9:	/* exit */
		if (t_rnd(s, 3))
			return true;
		kmm_exit(p->t, 0);
		kmm_task_release(p->t);
		forget(p);
		return true;
	case 10:	/* reclaim, or kswapd */
		reclaim_or_kswapd(m, s, 1024);
		return true;
	default:	/* swapoff and swapon again, one time in 6 */
		return t_rnd(s, 6) || swapoff_and_on(m);
	}
}

static void run(uint64_t seed, unsigned long steps)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 128UL << 20);
	struct proc procs[MAX_TASKS] = { 0 };
	uint64_t s = seed;

	next_tag = 1;
	memset(files, 0, sizeof(files));
	nr_bad = 0;
	made_bad = eio_seen = 0;
	pressure_of(m)->swapin_hook = fail_bad_slots;
	for (unsigned long n = 0; n < steps; n++) {
		if (!step(m, procs, &s, n)) {
			kmm_test_fail(__FILE__, __LINE__, "step %lu failed", n);
			break;
		}
		if (!walk_after_step(m, n))
			break;
	}
	if (!(made_bad && eio_seen) && !make_one_unreadable(m, procs, &s))
		kmm_test_fail(__FILE__, __LINE__, "making a page unreadable after the walk failed");
	/* everything, once more: every mapping, every file */
	for (int i = 0; i < MAX_TASKS; i++) {
		struct proc *p = &procs[i];
		if (!p->t)
			continue;
		for (int k = 0; k < p->nr; k++)
			for (uint64_t j = 0; j < region_span(&p->r[k]); j++)
				if (!region_check(p->t, &p->r[k], j))
					goto out;
	}
	for (int k = 0; k < MAX_FILES; k++) {
		struct task_struct *t = kmm_spawn(m, "verify");
		struct obj *o = files[k];
		uint64_t buf[PAGE_SIZE / 8];
		int fd;
		if (!t) {
			kmm_test_fail(__FILE__, __LINE__, "final check: spawning a reader failed");
			break;
		}
		if (o && (fd = open_file(t, o)) >= 0) {	/* open_file fails the test itself */
			for (uint64_t i = 0; i < o->size; i++) {
				long r = kmm_pread(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE);
				if (o->bad[i] && r == -EIO)
					continue;
				if (r != PAGE_SIZE) {
					kmm_test_fail(__FILE__, __LINE__, "final read of page %llu of file %d failed",
						      (unsigned long long)i, k);
					break;
				}
				if (!check_words(buf, o, i, "final read"))
					break;
			}
			kmm_close(t, fd);
		}
		kmm_exit(t, 0);
		kmm_task_release(t);
	}
out:
	if (getenv("KMM_VERBOSE"))
		printf("pages made unreadable %lu, EIO seen %lu\n", made_bad, eio_seen);
	/* the EIO paths were tested, not skipped */
	expect_true(made_bad > 0);
	expect_true(eio_seen > 0);
	expect_true(vm_event(m, PSWPOUT) > 0);
	expect_true(vm_event(m, PSWPIN) > 0);
	for (int i = 0; i < MAX_TASKS; i++) {
		if (procs[i].t) {
			kmm_exit(procs[i].t, 0);
			kmm_task_release(procs[i].t);
		}
		forget(&procs[i]);
	}
	for (int k = 0; k < MAX_FILES; k++) {
		if (files[k]) {
			expect_eq(kmm_unlink(m, files[k]->path), 0);
			obj_put(files[k]);
			files[k] = NULL;
		}
	}
	CHECK(m);
	expect_swap_all_free(m);
	expect_eq(global_node_page_state(m, NR_SHMEM), 0);
	done(m);
}

TEST(random_shmem_under_pressure_with_swap)
{
	uint64_t seed = kmm_test_seed();

	run(seed, kmm_test_quick() ? 400 : 2000);
}
