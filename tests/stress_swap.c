// SPDX-License-Identifier: MIT
/*
 * tests/stress_swap.c - a seeded random walk over several processes on a
 * machine that is always short of memory, with swap on: spawn, mmap, write,
 * read back, munmap (whole or half), fork, exit, mlock/munlock, reclaim,
 * kswapd runs, swapoff/swapon. Every page has a shadow tag (0: never
 * written, reads as zero), so every read checks the bytes that came back;
 * kmm_check runs after every step (LRU lists, swap slot counts against the
 * PTEs, the process layer's refcounts). At the end every process verifies
 * everything, exits, and every frame and every slot must be free again.
 * KMM_QUICK=1 takes fewer steps; KMM_SEED replays a run (printed on failure).
 */
#include "tests/swap_test.h"

#include <errno.h>

#define MAX_TASKS 5
#define MAX_REGIONS 6

struct region {
	uint64_t addr;
	uint64_t npages;
	uint64_t *tag;		/* per page; 0 = never written (zero) */
	bool locked;
};

struct proc {
	struct task_struct *t;
	struct region r[MAX_REGIONS];
	int nr;
};

static uint64_t next_tag = 1;

static bool check_page(struct task_struct *t, struct region *r, uint64_t i)
{
	if (r->tag[i])
		return verify_page(t, r->addr, i, r->tag[i]);
	uint64_t buf[PAGE_SIZE / 8];
	if (kmm_access(t, r->addr + i * PAGE_SIZE, buf, PAGE_SIZE, false))
		return kmm_test_fail(__FILE__, __LINE__, "read failed: %s", kmm_last_error());
	for (size_t w = 0; w < PAGE_SIZE / 8; w++)
		if (buf[w])
			return kmm_test_fail(__FILE__, __LINE__, "never-written page %" PRIu64
					     " reads %#" PRIx64 " at word %zu", i, buf[w], w);
	return true;
}

static void drop_region(struct proc *p, int k)
{
	free(p->r[k].tag);
	p->r[k] = p->r[--p->nr];
	memset(&p->r[p->nr], 0, sizeof(p->r[0]));
}

static void forget(struct proc *p)
{
	while (p->nr)
		drop_region(p, 0);
	p->t = NULL;
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
	case 0:	/* mmap */
		if (p->nr < MAX_REGIONS) {
			struct region *r = &p->r[p->nr];
			r->npages = 16 + t_rnd(s, 2048);
			if (kmm_mmap(p->t, 0, r->npages * PAGE_SIZE, RW, PRIV, &r->addr))
				return kmm_test_fail(__FILE__, __LINE__, "mmap: %s", kmm_last_error());
			r->tag = calloc(r->npages, sizeof(uint64_t));
			r->locked = false;
			p->nr++;
		}
		return true;
	case 1: case 2: case 3: {	/* write a run of pages */
		if (!p->nr)
			return true;
		struct region *r = &p->r[t_rnd(s, (uint64_t)p->nr)];
		uint64_t first = t_rnd(s, r->npages), len = 1 + t_rnd(s, 64);
		for (uint64_t i = first; i < r->npages && i < first + len; i++) {
			uint64_t tag = next_tag++;
			if (write_page(p->t, r->addr, i, tag))
				return kmm_test_fail(__FILE__, __LINE__, "write: %s", kmm_last_error());
			r->tag[i] = tag;
		}
		return true;
	}
	case 4: case 5: {	/* read a run back */
		if (!p->nr)
			return true;
		struct region *r = &p->r[t_rnd(s, (uint64_t)p->nr)];
		uint64_t first = t_rnd(s, r->npages), len = 1 + t_rnd(s, 64);
		for (uint64_t i = first; i < r->npages && i < first + len; i++)
			if (!check_page(p->t, r, i))
				return false;
		return true;
	}
	case 6: {	/* munmap a region, or its upper half */
		if (!p->nr)
			return true;
		int k = (int)t_rnd(s, (uint64_t)p->nr);
		struct region *r = &p->r[k];
		if (t_rnd(s, 2) && r->npages > 1) {
			uint64_t keep = r->npages / 2;
			if (kmm_munmap(p->t, r->addr + keep * PAGE_SIZE, (r->npages - keep) * PAGE_SIZE))
				return kmm_test_fail(__FILE__, __LINE__, "munmap: %s", kmm_last_error());
			r->npages = keep;
		} else {
			if (kmm_munmap(p->t, r->addr, r->npages * PAGE_SIZE))
				return kmm_test_fail(__FILE__, __LINE__, "munmap: %s", kmm_last_error());
			drop_region(p, k);
		}
		return true;
	}
	case 7: {	/* fork into an empty slot: the child shares every page and swap entry */
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
			c->r[i].locked = false;	/* VM_LOCKED is not inherited */
			c->r[i].tag = malloc(p->r[i].npages * sizeof(uint64_t));
			memcpy(c->r[i].tag, p->r[i].tag, p->r[i].npages * sizeof(uint64_t));
		}
		return true;
	}
	case 8:	/* exit */
		if (t_rnd(s, 3))
			return true;
		kmm_exit(p->t, 0);
		kmm_task_release(p->t);
		forget(p);
		return true;
	case 9: {	/* mlock / munlock a small region */
		if (!p->nr)
			return true;
		struct region *r = &p->r[t_rnd(s, (uint64_t)p->nr)];
		if (r->npages > 256)
			return true;
		int err = r->locked ? kmm_munlock(p->t, r->addr, r->npages * PAGE_SIZE)
				    : kmm_mlock(p->t, r->addr, r->npages * PAGE_SIZE);
		if (err)
			return kmm_test_fail(__FILE__, __LINE__, "mlock: %s", kmm_last_error());
		r->locked = !r->locked;
		return true;
	}
	case 10:	/* reclaim, or kswapd */
		reclaim_or_kswapd(m, s, 512);
		return true;
	default:	/* swapoff and swapon again, one time in 8 */
		return t_rnd(s, 8) || swapoff_and_on(m);
	}
}

static void run(uint64_t seed, unsigned long steps)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 256UL << 20);
	struct proc procs[MAX_TASKS] = { 0 };
	uint64_t s = seed;

	for (unsigned long n = 0; n < steps; n++) {
		if (!step(m, procs, &s, n)) {
			kmm_test_fail(__FILE__, __LINE__, "step %lu failed", n);
			break;
		}
		if (!walk_after_step(m, n))
			break;
	}
	for (int i = 0; i < MAX_TASKS; i++) {
		struct proc *p = &procs[i];
		if (!p->t)
			continue;
		for (int k = 0; k < p->nr; k++)
			for (uint64_t j = 0; j < p->r[k].npages; j++)
				if (!check_page(p->t, &p->r[k], j))
					goto out;
	}
out:
	expect_true(vm_event(m, PSWPOUT) > 0);
	for (int i = 0; i < MAX_TASKS; i++) {
		if (procs[i].t) {
			kmm_exit(procs[i].t, 0);
			kmm_task_release(procs[i].t);
		}
		forget(&procs[i]);
	}
	CHECK(m);
	expect_swap_all_free(m);
	done(m);
}

TEST(random_processes_under_pressure_with_swap)
{
	uint64_t seed = kmm_test_seed();

	run(seed, kmm_test_quick() ? 400 : 2500);
}
