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
 * step (the swap checker counts the shmem indexes' entries). At the end
 * everything is verified, every object goes, and every frame and slot must
 * be free again. KMM_QUICK=1 takes fewer steps; KMM_SEED replays a run.
 */
#include "tests/swap_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <kmm/fs.h>

#define MAX_TASKS	4
#define MAX_REGIONS	4
#define MAX_FILES	3
#define MAX_PAGES	1536

/* A shmem object: a tmpfs file or the object behind a shared anonymous mapping. */
struct obj {
	uint64_t *tag;		/* per page; 0 = never written (zero) */
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
	o->size = size;
	o->refs = 1;
	o->file = file;
	snprintf(o->path, sizeof(o->path), "%s", path ? path : "");
	return o;
}

static void obj_put(struct obj *o)
{
	if (--o->refs == 0) {
		free(o->tag);
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

static bool file_step(struct kmm_machine *m, struct proc *p, uint64_t *s, unsigned long n)
{
	int k = (int)t_rnd(s, MAX_FILES);
	struct obj *o = files[k];
	uint64_t buf[PAGE_SIZE / 8];
	int fd;

	if (!o) {	/* create it */
		char path[32];
		snprintf(path, sizeof(path), "/dev/shm/s%d", k);
		fd = kmm_open(p->t, path, KMM_O_CREAT | KMM_O_RDWR);
		if (fd < 0)
			return kmm_test_fail(__FILE__, __LINE__, "create %s: %s", path, kmm_last_error());
		kmm_close(p->t, fd);
		files[k] = obj_new(0, true, path);
		return true;
	}
	switch (t_rnd(s, 6)) {
	case 0: case 1: {	/* pwrite a run of pages (the file may grow) */
		uint64_t first = t_rnd(s, MAX_PAGES), len = 1 + t_rnd(s, 128);
		if ((fd = open_file(p->t, o)) < 0)
			return false;
		for (uint64_t i = first; i < MAX_PAGES && i < first + len; i++) {
			uint64_t tag = next_tag++;
			fill_page(buf, i, tag);
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
			if (kmm_pread(p->t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE)
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
		for (uint64_t i = size; i < MAX_PAGES; i++)
			o->tag[i] = 0;
		o->size = size;
		return true;
	}
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
	for (unsigned long n = 0; n < steps; n++) {
		if (!step(m, procs, &s, n)) {
			kmm_test_fail(__FILE__, __LINE__, "step %lu failed", n);
			break;
		}
		if (!walk_after_step(m, n))
			break;
	}
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
				if (kmm_pread(t, fd, buf, PAGE_SIZE, i * PAGE_SIZE) != PAGE_SIZE) {
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
