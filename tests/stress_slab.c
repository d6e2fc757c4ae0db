// SPDX-License-Identifier: MIT
/*
 * tests/stress_slab.c - two threads, a million mixed slab operations.
 *
 * Each thread allocates from three caches (with and without ctor, hardened
 * and RCU flavours; one by one and in bulks of 8) and from kmalloc in mixed
 * sizes (some __GFP_RECLAIMABLE, some above 8 KiB), frees its own objects in
 * random order, and hands objects to the other thread through a mailbox so
 * that half the frees are remote (another CPU slot's slab). Every live object
 * carries a stamp (thread, sequence) in its first and last words; a stamp
 * that changed while the object was live means it was handed out twice. At
 * the end: every cache's object counts are zero, the checker passes, and once
 * the caches are destroyed and drained every page is back in the buddy
 * allocator (the leak check of tests/slab_test.h).
 *
 * Checker: slub_check after every step with KMM_DEBUG_CHECKS (it is safe
 * while the other thread runs), every 4096 steps otherwise; kmm_check at the
 * end. KMM_QUICK=1: 100k operations instead of 1M.
 */
#include <stdlib.h>

#include "tests/slab_stamp.h"

#define LIVE_MAX 600
#define MAILBOX 64

static struct {
	spinlock_t lock;
	struct obj slot[MAILBOX];
	int n;
} mailbox = { SPINLOCK_INIT, { { 0 } }, 0 };

static struct kmm_machine *machine;
static unsigned long ops_per_thread;
static atomic_int failures;

static void ctor_zero(void *p)
{
	memset(p, 0, 8);
}

static void release(struct obj *o)
{
	if (!stamp_ok(o)) {
		atomic_fetch_add(&failures, 1);
		fprintf(stderr, "object %p (kind %d) stamp changed: handed out twice?\n",
			(void *)o->p, o->kind);
	}
	if (o->kind >= 0)
		kmem_cache_free(caches[o->kind], o->p);
	else
		kfree(o->p);
}

struct worker {
	int id;
	uint64_t rng;
	struct obj live[LIVE_MAX];
	int nr_live;
	unsigned long allocs, frees, remote;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	static const size_t ksizes[] = { 8, 16, 40, 64, 96, 100, 128, 192, 250, 512, 1000, 2048,
					 4000, 8192, 12000 };
	uint64_t seq = 0;

	kmm_use(machine);
	for (unsigned long step = 0; step < ops_per_thread; step++) {
		uint64_t r = kmm_test_rand(&w->rng);
		int op = (int)(r % 100);

		if (op < 5 && w->nr_live + 8 <= LIVE_MAX) {
			/* A bulk allocation of 8 from one cache. */
			void *b[8];
			int k = (int)((r >> 8) % 3);
			if (kmem_cache_alloc_bulk(caches[k], GFP_KERNEL, 8, b) != 8) {
				atomic_fetch_add(&failures, 1);
				fprintf(stderr, "bulk allocation failed: %s\n", kmm_last_error());
				break;
			}
			for (int i = 0; i < 8; i++) {
				struct obj o = { .p = b[i], .kind = k };
				o.stamp = ((uint64_t)w->id << 56) | ++seq;
				stamp(&o);
				w->live[w->nr_live++] = o;
			}
			w->allocs += 8;
		} else if ((op < 50 && w->nr_live < LIVE_MAX) || w->nr_live == 0) {
			struct obj o = { 0 };
			o.kind = (int)((r >> 8) % 4) - 1;
			if (o.kind < 0) {
				o.size = ksizes[(r >> 16) % ARRAY_SIZE(ksizes)];
				o.p = kmalloc(o.size, (r >> 24) & 1 ? GFP_KERNEL : GFP_KERNEL | __GFP_RECLAIMABLE);
			} else {
				o.p = kmem_cache_alloc(caches[o.kind], GFP_KERNEL);
			}
			if (!o.p) {
				atomic_fetch_add(&failures, 1);
				fprintf(stderr, "allocation failed: %s\n", kmm_last_error());
				break;
			}
			o.stamp = ((uint64_t)w->id << 56) | ++seq;
			stamp(&o);
			w->live[w->nr_live++] = o;
			w->allocs++;
		} else if (op < 85) {
			int i = (int)((r >> 8) % (uint64_t)w->nr_live);
			release(&w->live[i]);
			w->live[i] = w->live[--w->nr_live];
			w->frees++;
		} else if (op < 93) {
			/* Hand one object to the other thread. */
			int i = (int)((r >> 8) % (uint64_t)w->nr_live);
			spin_lock(&mailbox.lock);
			if (mailbox.n < MAILBOX) {
				mailbox.slot[mailbox.n++] = w->live[i];
				w->live[i] = w->live[--w->nr_live];
			}
			spin_unlock(&mailbox.lock);
		} else {
			/* Take one from the mailbox and free it here: a remote free. */
			struct obj o = { 0 };
			spin_lock(&mailbox.lock);
			if (mailbox.n)
				o = mailbox.slot[--mailbox.n];
			spin_unlock(&mailbox.lock);
			if (o.p) {
				release(&o);
				w->frees++;
				w->remote++;
			}
		}
#ifdef KMM_DEBUG_CHECKS
		if (slub_check(machine)) {
#else
		if ((step & 4095) == 0 && slub_check(machine)) {
#endif
			atomic_fetch_add(&failures, 1);
			fprintf(stderr, "step %lu: %s\n", step, kmm_last_error());
			break;
		}
	}
	return NULL;
}

TEST(two_threads_a_million_mixed_operations)
{
	struct kmm_machine *m = slab_boot("mem=512M maxcpus=2 slab_freelist_hardened=on");
	struct worker *w = calloc(2, sizeof(*w));
	sim_thread *t[2];

	machine = m;
	ops_per_thread = kmm_test_quick() ? 50000 : 500000;
#ifdef KMM_DEBUG_CHECKS
	ops_per_thread /= 20;	/* a full check per step (all layers): keep the run short */
#endif
	caches[0] = kmem_cache_create("stress-24", 24, 0, 0, ctor_zero);
	caches[1] = kmem_cache_create("stress-200", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	caches[2] = kmem_cache_create("stress-1000", 1000, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	assert_true(caches[0] && caches[1] && caches[2]);
	for (int i = 0; i < 2; i++) {
		w[i].id = i + 1;
		w[i].rng = kmm_test_seed() * 2 + (uint64_t)i + 1;
		assert_eq(sim_thread_start(&t[i], work, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		sim_thread_join(t[i]);
	expect_eq(atomic_load(&failures), 0);
	expect_eq(kmm_check(m), 0);

	/* Balance: the caches hold exactly the objects in the live sets and the mailbox. */
	unsigned long cached = caches_objects_in_use();
	unsigned long in_caches = objs_of_caches(mailbox.slot, mailbox.n);
	for (int i = 0; i < 2; i++)
		in_caches += objs_of_caches(w[i].live, w[i].nr_live);
	expect_eq(cached, in_caches);

	for (int i = 0; i < 2; i++)
		for (int j = 0; j < w[i].nr_live; j++)
			release(&w[i].live[j]);
	while (mailbox.n)
		release(&mailbox.slot[--mailbox.n]);
	caches_expect_empty_and_destroy();
	expect_eq(atomic_load(&failures), 0);
	printf("stress: %lu+%lu allocations, %lu+%lu frees (%lu+%lu remote)\n", w[0].allocs,
	       w[1].allocs, w[0].frees, w[1].frees, w[0].remote, w[1].remote);
	expect_true(w[0].allocs + w[1].allocs + w[0].frees + w[1].frees >= ops_per_thread);
	free(w);
	slab_done(m);
}
