// SPDX-License-Identifier: MIT
/*
 * tests/stress_slab_sheaf.c - several threads against the CPUs' sheaves
 * (slab_sheaves=on, mm/slab.h), the slab checker after every step.
 *
 * Four threads allocate from three caches and from kmalloc, through the
 * ordinary calls and through the lock-free paths the malloc shim uses alone
 * (kmem_cache_alloc_fast(), kfree_fast(): each falls back to the ordinary
 * call when it refuses), free their own objects in random order, and pass
 * objects to one another through a shared mailbox, so that many frees land
 * in another CPU's sheaf than the allocation came from, and sheaf flushes
 * give objects back to slabs other CPUs own. Now and then a thread shrinks a
 * cache (flush_all(): every CPU's sheaf given back while the others push).
 * Two of the caches keep full sheaves in their barn (the malloc shim's
 * way): whole sheaves move from one CPU to another through it.
 * Every live object carries a stamp in its first and last words; a stamp
 * that changed while the object was live means it was handed out twice.
 *
 * Two machines. Four threads on two CPU slots with hardened free pointers:
 * every slot is shared (the main thread keeps slot 0 too), so no thread is
 * ever alone on its slot and everything runs under the slot lock
 * (slab_alloc_full(), slab_free_full()); the lock-free calls always refuse
 * (hardened pointers, shared slots) and fall back. Four threads on five
 * slots (nr_cpus=maxcpus=THREADS+1: the main thread keeps slot 0, each
 * worker is alone on one of the others; maxcpus alone is capped by nr_cpus,
 * 2 by default, and this test ran on two shared slots before session 9):
 * the owned fast paths and the lock-free calls
 * run where the host allows owned slots (m->cpu_lockless: membarrier, not
 * under ThreadSanitizer or KMM_CPU_LOCKED), and there every worker must have
 * had kmem_cache_alloc_fast() and kfree_fast() succeed (counted per worker),
 * or the test proves nothing about them. The threads start together; a step is
 * BURST operations, after which slub_check() must pass; a failure names the
 * thread, the step and the seed (KMM_SEED=... reruns the same choices). At
 * the end: the caches hold exactly the live objects, the checkers pass, and
 * every page is back once the caches are destroyed (tests/slab_test.h).
 * KMM_QUICK=1: fewer steps. (Checked: with flush_all() giving back only the
 * calling thread's sheaf, both tests fail - objects left in the other CPUs'
 * sheaves - while every single-threaded test of tests/unit_slab_sheaf.c
 * (now also tests/unit_slab_barn.c) passes.)
 *
 * A third test races two frees of the same objects (see its comment).
 */
#include <stdlib.h>

#include "tests/slab_stamp.h"

#define THREADS 4
#define LIVE_MAX 300
#define MAILBOX 48
#define BURST 16		/* operations per step */

static struct {
	spinlock_t lock;
	struct obj slot[MAILBOX];
	int n;
} mailbox;

static struct kmm_machine *machine;
static unsigned long steps_per_thread;
static uint64_t run_seed;
static atomic_int failures;
static atomic_int started;	/* threads at the start line: all go together */

static void fail(const char *what, unsigned long step, int id)
{
	atomic_fetch_add(&failures, 1);
	fprintf(stderr, "thread %d step %lu (seed %" PRIu64 "): %s\n", id, step, run_seed, what);
}

/*
 * Free @o by one of the three ways, @how from the thread's generator.
 * Return: true if kfree_fast() freed it.
 */
static bool release(struct obj *o, uint64_t how, unsigned long step, int id)
{
	if (!stamp_ok(o))
		fail("a live object's stamp changed: handed out twice?", step, id);
	switch (how % 3) {
	case 0:
		if (o->kind >= 0) {
			kmem_cache_free(caches[o->kind], o->p);
			break;
		}
		/* fall through */
	case 1:
		kfree(o->p);
		break;
	default:
		if (kfree_fast(machine, o->p))
			return true;
		kfree(o->p);
		break;
	}
	return false;
}

struct worker {
	int id;
	uint64_t rng;
	struct obj live[LIVE_MAX];
	int nr_live;
	unsigned long allocs, frees, remote, shrinks;
	unsigned long fast_allocs, fast_frees;	/* the lock-free calls' successes */
};

static void *alloc_one(struct worker *w, struct obj *o, uint64_t r)
{
	static const size_t ksizes[] = { 8, 16, 24, 40, 64, 96, 128, 200, 256, 512, 1000, 2048 };

	o->kind = (int)((r >> 8) % 4) - 1;
	if (o->kind < 0) {
		o->size = ksizes[(r >> 16) % ARRAY_SIZE(ksizes)];
		o->p = kmalloc(o->size, GFP_KERNEL);
	} else if ((r >> 24) & 1) {
		o->p = kmem_cache_alloc_fast(caches[o->kind]);
		if (o->p)
			w->fast_allocs++;
		else
			o->p = kmem_cache_alloc(caches[o->kind], GFP_KERNEL);
	} else {
		o->p = kmem_cache_alloc(caches[o->kind], GFP_KERNEL);
	}
	return o->p;
}

/* One random operation of @w. Return: false after a failure (reported). */
static bool one_op(struct worker *w, unsigned long step, uint64_t *seq)
{
	uint64_t r = kmm_test_rand(&w->rng);
	int op = (int)(r % 100);

	if ((op < 48 && w->nr_live < LIVE_MAX) || w->nr_live == 0) {
		struct obj o = { 0 };
		if (!alloc_one(w, &o, r)) {
			fail(kmm_last_error(), step, w->id);
			return false;
		}
		o.stamp = ((uint64_t)w->id << 56) | ++*seq;
		stamp(&o);
		w->live[w->nr_live++] = o;
		w->allocs++;
	} else if (op < 80) {
		int i = (int)((r >> 8) % (uint64_t)w->nr_live);
		w->fast_frees += release(&w->live[i], r >> 32, step, w->id);
		w->live[i] = w->live[--w->nr_live];
		w->frees++;
	} else if (op < 89) {
		/* Hand one object on: another thread frees it. */
		int i = (int)((r >> 8) % (uint64_t)w->nr_live);
		spin_lock(&mailbox.lock);
		if (mailbox.n < MAILBOX) {
			mailbox.slot[mailbox.n++] = w->live[i];
			w->live[i] = w->live[--w->nr_live];
		}
		spin_unlock(&mailbox.lock);
	} else if (op < 99) {
		struct obj o = { 0 };
		spin_lock(&mailbox.lock);
		if (mailbox.n)
			o = mailbox.slot[--mailbox.n];
		spin_unlock(&mailbox.lock);
		if (o.p) {
			w->fast_frees += release(&o, r >> 32, step, w->id);
			w->frees++;
			w->remote++;
		}
	} else {
		/* Every CPU's sheaf of one cache given back while the others run. */
		kmem_cache_shrink(caches[(r >> 8) % 3]);
		w->shrinks++;
	}
	return true;
}

/* Steps of BURST operations, the checker after each. */
static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t seq = 0;

	kmm_use(machine);
	atomic_fetch_add(&started, 1);
	while (atomic_load(&started) < THREADS)
		;
	for (unsigned long step = 0; step < steps_per_thread; step++) {
		for (int i = 0; i < BURST; i++)
			if (!one_op(w, step, &seq))
				return NULL;
		if (slub_check(machine)) {
			fail(kmm_last_error(), step, w->id);
			return NULL;
		}
	}
	return NULL;
}

/* @own_slots: each worker alone on its CPU slot (the lock-free calls must serve). */
static void run(const char *cmdline, bool own_slots)
{
	struct kmm_machine *m = slab_boot(cmdline);
	struct worker *w = calloc(THREADS, sizeof(*w));
	sim_thread *t[THREADS];

	assert_true(w != NULL);
	machine = m;
	run_seed = kmm_test_seed();
	atomic_store(&failures, 0);
	atomic_store(&started, 0);
	spin_lock_init(&mailbox.lock);
	mailbox.n = 0;
	steps_per_thread = kmm_test_quick() ? 2000 : 10000;
	caches[0] = kmem_cache_create("sheaf-32", 32, 0, 0, NULL);
	caches[1] = kmem_cache_create("sheaf-192", 192, 0, SLAB_HWCACHE_ALIGN, NULL);
	caches[2] = kmem_cache_create("sheaf-1024", 1024, 0, 0, NULL);
	assert_true(caches[0] && caches[1] && caches[2]);
	for (int k = 0; k < 3; k++)
		assert_true(caches[k]->sheaf_capacity >= 4);
	/*
	 * Two caches hand full sheaves to their barn, as the malloc shim's
	 * do (kmem_cache_keep_sheaves()): sheaves move whole between CPUs
	 * through it while the checker runs; the third gives half back.
	 */
	kmem_cache_keep_sheaves(caches[0]);
	kmem_cache_keep_sheaves(caches[1]);
	for (int i = 0; i < THREADS; i++) {
		w[i].id = i + 1;
		w[i].rng = run_seed * (THREADS + 1) + (uint64_t)i + 1;
		assert_eq(sim_thread_start(&t[i], work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		sim_thread_join(t[i]);
	expect_eq(atomic_load(&failures), 0);
	expect_eq(kmm_check(m), 0);

	/* The caches hold exactly the objects of the live sets and the mailbox. */
	unsigned long cached = caches_objects_in_use();
	unsigned long in_caches = objs_of_caches(mailbox.slot, mailbox.n);
	for (int i = 0; i < THREADS; i++)
		in_caches += objs_of_caches(w[i].live, w[i].nr_live);
	expect_eq(cached, in_caches);

	unsigned long ops = 0, remote = 0, shrinks = 0, fast_allocs = 0, fast_frees = 0;
	for (int i = 0; i < THREADS; i++) {
		fast_allocs += w[i].fast_allocs;
		fast_frees += w[i].fast_frees;
		if (own_slots && m->cpu_lockless && (!w[i].fast_allocs || !w[i].fast_frees))
			kmm_test_fail(__FILE__, __LINE__, "%s: thread %d alone on its slot: %lu "
				      "kmem_cache_alloc_fast() and %lu kfree_fast() succeeded "
				      "(seed %" PRIu64 ")", cmdline, w[i].id, w[i].fast_allocs,
				      w[i].fast_frees, run_seed);
	}
	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < w[i].nr_live; j++)
			release(&w[i].live[j], (uint64_t)j, 0, 0);
		ops += w[i].allocs + w[i].frees;
		remote += w[i].remote;
		shrinks += w[i].shrinks;
	}
	while (mailbox.n)
		release(&mailbox.slot[--mailbox.n], 0, 0, 0);
	expect_eq(slub_check(m), 0);
	caches_expect_empty_and_destroy();
	expect_eq(atomic_load(&failures), 0);
	expect_true(strstr(t_dmesg(m), "BUG") == NULL);
	printf("%s: %lu allocations and frees (%lu remote), %lu shrinks; lock-free: %lu allocations, "
	       "%lu frees%s\n", cmdline, ops, remote, shrinks, fast_allocs, fast_frees,
	       m->cpu_lockless ? "" : " (no owned slots here)");
	expect_true(remote > 0);
	free(w);
	slab_done(m);
}

TEST(four_threads_on_two_slots_with_sheaves_hardened)
{
	run("mem=512M maxcpus=2 slab_sheaves=on slab_freelist_hardened=on", false);
}

/* THREADS+1 slots: the main thread keeps slot 0 from the boot. */
_Static_assert(THREADS == 4, "four_threads_each_on_its_slot_with_sheaves boots 5 CPUs");
TEST(four_threads_each_on_its_slot_with_sheaves)
{
	run("mem=512M nr_cpus=5 maxcpus=5 slab_sheaves=on", true);
}

/*
 * Two threads on two CPU slots free the same objects at the same moment
 * (a program's double free racing itself). A thread alone on its slot
 * claims an object's shadow byte with a load and a store, no locked
 * instruction (mm/slab.h), so both frees of one object may go through and
 * put it in both CPUs' sheaves; what must hold is that it is never handed
 * out twice without a report: either one free refuses (it found the byte
 * FREE; kmem_cache_free() would report it), or the second copy is reported
 * ("double free detected") and dropped when it leaves its sheaf, handed
 * out or given back. Round after round one thread allocates a batch (which
 * must hold no object twice), both meet at a spin barrier and free the
 * whole batch in the same order; then the batch's objects are counted in
 * every CPU's sheaf (in two: a race both frees won, "late"), and each
 * thread gives its CPU's sheaf back (each second copy is reported and
 * dropped there); every 256th round the checker must pass. Every round
 * starts so with no second
 * copy left: after a report the slab promises no more than SLUB does, and
 * a second copy left in a sheaf while the same object is freed twice at
 * once again, round after round, can be given back under a free in
 * progress (seen: a slab's inuse wrapped after 4096 rounds). At the end:
 * a late race was seen only with a report made. The lock-free
 * kfree_fast() where the host allows owned slots, else kmem_cache_free()
 * (a loser reports the double free at once). The race is not forced, only
 * made likely (tests/unit_slab_stale_free.c forces it); a failure names the
 * round and the seed.
 */
#define RACE_BATCH 8

static struct {
	struct kmem_cache *s;
	void *batch[RACE_BATCH];
	atomic_int arrive;
	unsigned long rounds, done, late;
	atomic_int lost;
} race;

/* All RACE_THREADS threads meet: generation @gen of the counter. */
static void race_meet(int gen)
{
	atomic_fetch_add_explicit(&race.arrive, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&race.arrive, memory_order_acquire) < 2 * gen)
		;
}

static void race_free(void *p)
{
	if (machine->cpu_lockless) {
		if (kfree_fast(machine, p))
			return;
		/* Refused: the other thread freed it first, or this CPU's sheaf is full. */
		if (!shadow_live_in(race.s, __atomic_load_n(cache_shadow(race.s, p), __ATOMIC_ACQUIRE)))
			return;
	}
	kmem_cache_free(race.s, p);
}

/*
 * This thread's CPU gives its whole sheaf back (sheaf_flush(), as a shrink
 * does for every CPU, without stopping the others): each second copy of a
 * race is reported and dropped there, unless its twin went back first.
 */
static void race_give_back(void)
{
	int cpu = kmm_this_cpu(machine);
	int owned = kmm_cpu_enter(slot_guard(race.s, cpu));
	struct kmem_cache_cpu *c = per_cpu_ptr(race.s->cpu_slab, cpu);

	if (c->sheaf_nr)
		sheaf_flush(race.s, c, c->sheaf_nr);
	kmm_cpu_exit(slot_guard(race.s, cpu), owned);
}

static void race_lost(unsigned long r, const char *what)
{
	atomic_fetch_add(&race.lost, 1);
	fprintf(stderr, "round %lu (seed %" PRIu64 "): %s\n", r, run_seed, what);
}

static void *race_work(void *arg)
{
	int id = (int)(intptr_t)arg;
	int gen = 0;

	kmm_use(machine);
	for (unsigned long r = 0; r < race.rounds; r++) {
		if (id == 0) {
			for (int i = 0; i < RACE_BATCH; i++) {
				race.batch[i] = kmem_cache_alloc(race.s, GFP_KERNEL);
				for (int j = 0; j < i; j++)
					if (race.batch[j] == race.batch[i])
						race_lost(r, "an object handed out twice in one batch");
			}
		}
		race_meet(++gen);
		for (int i = 0; i < RACE_BATCH; i++)
			race_free(race.batch[i]);
		race_meet(++gen);
		if (id == 0) {
			for (int i = 0; i < RACE_BATCH; i++) {
				int seen = 0;
				for (int cpu = 0; cpu < machine->nr_cpus; cpu++) {
					struct kmem_cache_cpu *c = per_cpu_ptr(race.s->cpu_slab, cpu);
					for (unsigned int k = 0; k < c->sheaf_nr; k++)
						seen += c->sheaf[k] == race.batch[i];
				}
				race.late += seen > 1;
			}
		}
		race_meet(++gen);
		race_give_back();
		race_meet(++gen);
		if (id == 0 && (r & 255) == 0 && slub_check(machine))
			race_lost(r, kmm_last_error());
		race_meet(++gen);
		if (id == 0)
			race.done = r + 1;
		if (atomic_load(&race.lost))
			break;
	}
	return NULL;
}

TEST(two_cpus_freeing_one_object_at_once_free_it_once)
{
	/* Three slots: the main thread keeps slot 0, each racer has its own. */
	struct kmm_machine *m = slab_boot("mem=256M nr_cpus=3 maxcpus=3 slab_sheaves=on");
	sim_thread *t[2];

	machine = m;
	run_seed = kmm_test_seed();
	if (!m->cpu_lockless) {
		/*
		 * Without owned slots (ThreadSanitizer, or no membarrier) the
		 * loser of each race takes kmem_cache_free()'s report, which
		 * prints the object's bytes while the winner writes its sheaf
		 * link: a race the report of a racing double free has by
		 * nature, which ThreadSanitizer flags. Run where kfree_fast()
		 * serves (every other build here).
		 */
		printf("skipped: no owned CPU slots on this machine\n");
		slab_done(m);
		return;
	}
	race.s = kmem_cache_create("race-64", 64, 0, 0, NULL);
	assert_true(race.s != NULL);
	atomic_store(&race.arrive, 0);
	atomic_store(&race.lost, 0);
	race.done = 0;
	race.late = 0;
	race.rounds = kmm_test_quick() ? 20000 : 50000;
	for (int i = 0; i < 2; i++)
		assert_eq(sim_thread_start(&t[i], race_work, (void *)(intptr_t)i), 0);
	for (int i = 0; i < 2; i++)
		sim_thread_join(t[i]);
	expect_eq(atomic_load(&race.lost), 0);
	kmem_cache_shrink(race.s);	/* the last second copies leave their sheaves */
	expect_eq(slub_check(m), 0);
	expect_eq(race.done, race.rounds);
	/* Every race both frees won was reported when its second copy left. */
	long reports = atomic_load(&race.s->errors);
	if (race.late)
		expect_true(reports > 0);
	printf("%lu rounds of %d objects freed by two threads at once; %lu objects in two "
	       "sheaves, %ld late reports\n", race.done, RACE_BATCH, race.late, reports);
	kmem_cache_destroy(race.s);
	slab_done(m);
}
