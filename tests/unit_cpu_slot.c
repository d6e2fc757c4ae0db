// SPDX-License-Identifier: MIT
/*
 * tests/unit_cpu_slot.c - CPU slots (mm/cpu_slot.c): the lowest free slot
 * goes to a new thread and comes back when it exits, no slot is shared
 * while one is free, an owning thread runs in owned mode (no lock) and a
 * second thread on its slot turns that off until it leaves; and under load
 * (threads allocating pages and slab objects on their slots while another
 * drains every slot and runs the checker) every frame stays accounted.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdatomic.h>

#include <kmm/slab.h>

#include "mm/include/percpu.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/slab.h"

static struct kmm_machine *machine;

static bool owned_mode(int cpu)
{
	return atomic_load(&machine->cpus[cpu].guard.lockless) != 0;
}

struct probe {
	pthread_barrier_t *hold;	/* NULL: exit at once */
	int cpu;
};

static void *take_slot(void *arg)
{
	struct probe *p = arg;

	kmm_use(machine);
	p->cpu = kmm_this_cpu(machine);
	if (p->hold) {
		pthread_barrier_wait(p->hold);	/* slots taken */
		pthread_barrier_wait(p->hold);	/* let go */
	}
	return NULL;
}

TEST(slots_are_handed_back_and_never_shared_while_one_is_free)
{
	pthread_t th[6];
	struct probe pr[6];
	pthread_barrier_t hold;

	machine = boot("mem=128M nr_cpus=4");
	expect_eq(kmm_this_cpu(machine), 0);
	/* one thread after another: each finds slot 1 free again */
	for (int i = 0; i < 3; i++) {
		pr[i] = (struct probe){ NULL, -1 };
		assert_eq(pthread_create(&th[i], NULL, take_slot, &pr[i]), 0);
		pthread_join(th[i], NULL);
		expect_eq(pr[i].cpu, 1);
		expect_eq(kmm_cpu_users(machine, 1), 0);
	}
	/* six threads and the main one on four slots: 2, 2, 2, 1, lowest first */
	pthread_barrier_init(&hold, NULL, 7);
	for (int i = 0; i < 6; i++) {
		pr[i] = (struct probe){ &hold, -1 };
		assert_eq(pthread_create(&th[i], NULL, take_slot, &pr[i]), 0);
	}
	pthread_barrier_wait(&hold);
	int users[4] = { 0 };
	for (int c = 0; c < 4; c++)
		users[c] = kmm_cpu_users(machine, c);
	expect_eq(users[0] + users[1] + users[2] + users[3], 7);
	for (int c = 0; c < 4; c++)
		expect_true(users[c] == 1 || users[c] == 2);
	expect_eq(kmm_cpu_threads(machine), 7);
	if (machine->cpu_lockless)
		for (int c = 0; c < 4; c++)
			expect_eq(owned_mode(c), users[c] == 1);
	pthread_barrier_wait(&hold);
	for (int i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&hold);
	expect_eq(kmm_cpu_threads(machine), 1);
	for (int c = 1; c < 4; c++)
		expect_eq(kmm_cpu_users(machine, c), 0);
	if (machine->cpu_lockless)
		expect_true(owned_mode(0));	/* alone again */
	done(machine);
}

/* ---- A second user arriving while the owner is inside an owned section ---- */

static atomic_int joined_cpu = -1;
static atomic_int owner_inside, locker_saw_owner_inside = -1;

static void *join_slot(void *arg)
{
	(void)arg;
	kmm_use(machine);
	atomic_store(&joined_cpu, kmm_this_cpu(machine));	/* waits for the owner's section */
	return NULL;
}

static void *lock_slot(void *arg)
{
	(void)arg;
	/* After the joiner has turned owned mode off, while the owner is still inside. */
	while (owned_mode(0))
		sched_yield();
	kmm_cpu_lock(machine, 0);
	atomic_store(&locker_saw_owner_inside, atomic_load(&owner_inside));
	kmm_cpu_unlock(machine, 0);
	return NULL;
}

/*
 * A thread that takes a slot's lock after a second user joined the slot
 * (join_shared(): owned mode off, then a wait for the owner's section)
 * must find the owner's section over, as it would had it turned owned mode
 * off itself: the slab checker and flush_all() read a CPU's sheaf under
 * that lock (stress_slab_sheaf once saw "shadow says it is not free" there:
 * a hand-out of a late-registering thread's slot-mate in progress). The
 * owner stays inside until the locker is through or 2 s have passed (a
 * locker that is not through by then is waiting, as it should: the verdict
 * never depends on the time, only how long a correct run takes).
 */
TEST(a_slot_lock_taken_after_a_join_waits_for_the_owners_section)
{
	pthread_t joiner, locker;

	machine = boot("mem=128M nr_cpus=1 maxcpus=1");
	expect_eq(kmm_this_cpu(machine), 0);
	if (!machine->cpu_lockless) {
		printf("skipped: no owned CPU slots on this machine\n");
		done(machine);
		return;
	}
	struct kmm_cpu_guard *g = &machine->cpus[0].guard;

	assert_true(kmm_cpu_enter_owned(g));
	atomic_store(&owner_inside, 1);
	assert_eq(pthread_create(&joiner, NULL, join_slot, NULL), 0);
	assert_eq(pthread_create(&locker, NULL, lock_slot, NULL), 0);
	for (int i = 0; i < 200 && atomic_load(&locker_saw_owner_inside) < 0; i++)
		usleep(10000);
	atomic_store(&owner_inside, 0);
	kmm_cpu_exit_owned(g);
	pthread_join(joiner, NULL);
	pthread_join(locker, NULL);
	expect_eq(atomic_load(&joined_cpu), 0);
	expect_eq(atomic_load(&locker_saw_owner_inside), 0);
	expect_eq(kmm_cpu_users(machine, 0), 1);
	done(machine);
}

/* ---- Under load ---- */

#define WORKERS 6
static atomic_int running;

static void *churn(void *arg)
{
	struct kmem_cache *s = arg;
	void *objs[32];
	struct page *pages[16];

	kmm_use(machine);
	for (int round = 0; round < (kmm_test_quick() ? 300 : 3000); round++) {
		for (int i = 0; i < 16; i++)
			pages[i] = alloc_pages(GFP_KERNEL, (unsigned int)(i % 4));
		for (int i = 0; i < 32; i++)
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int i = 0; i < 16; i++)
			if (pages[i])
				__free_pages(pages[i], (unsigned int)(i % 4));
		for (int i = 31; i >= 0; i--)
			kmem_cache_free(s, objs[i]);
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void *drainer(void *arg)
{
	char *error = arg;

	kmm_use(machine);
	while (atomic_load(&running) > 0) {
		drain_all_pages(machine, NULL);
		if (kmm_check(machine) && !error[0])
			snprintf(error, 256, "%s", kmm_last_error());
	}
	return NULL;
}

TEST(owned_slots_drained_and_checked_by_another_thread)
{
	pthread_t th[WORKERS], dr;
	char error[256] = "";

	machine = boot("mem=256M nr_cpus=8");
	struct kmem_cache *s = kmem_cache_create("slot_test", 96, 0, 0, NULL);
	assert_true(s != NULL);
	atomic_store(&running, WORKERS);
	for (int i = 0; i < WORKERS; i++)
		assert_eq(pthread_create(&th[i], NULL, churn, s), 0);
	assert_eq(pthread_create(&dr, NULL, drainer, error), 0);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	pthread_join(dr, NULL);
	if (error[0])
		kmm_test_fail(__FILE__, __LINE__, "kmm_check while draining: %s", error);
	expect_eq(kmm_check(machine), 0);
	kmem_cache_destroy(s);
	done(machine);
}

/* ---- What a thread's registration costs, and what its exit gives back ---- */

static struct kmm_machine *second;
static size_t glibc_in_use_delta;
static int cpu_on_first, cpu_on_second;

static void *register_on_both(void *arg)
{
	(void)arg;
	struct mallinfo2 before = mallinfo2();

	kmm_use(machine);
	cpu_on_first = kmm_this_cpu(machine);	/* the first registration arms the exit hook */
	glibc_in_use_delta = mallinfo2().uordblks - before.uordblks;
	kmm_use(second);
	cpu_on_second = kmm_this_cpu(second);
	return NULL;
}

/*
 * A new thread's first registration allocates nothing (the exit hook of a
 * thread's first registration needs no malloc: in the malloc shim that
 * malloc was glibc's, setting up glibc's thread cache for one small block,
 * whose free at exit the shim then had to recognise as glibc's); and a
 * thread registered on two machines gives both slots back when it exits,
 * the later machine (the higher registry slot) too.
 */
TEST(a_thread_registers_without_malloc_and_gives_every_slot_back)
{
	pthread_t th;

	machine = boot("mem=128M nr_cpus=2");
	second = boot("mem=128M nr_cpus=2");
	assert_true(second->slot > machine->slot);
	kmm_use(machine);
	/* this thread booted both: slot 0 of each */
	expect_eq(kmm_this_cpu(machine), 0);
	kmm_use(second);
	expect_eq(kmm_this_cpu(second), 0);
	assert_eq(pthread_create(&th, NULL, register_on_both, NULL), 0);
	pthread_join(th, NULL);
	/* 0 also where a sanitizer's allocator stands in and reports nothing */
	expect_eq(glibc_in_use_delta, 0);
	expect_eq(cpu_on_first, 1);
	expect_eq(cpu_on_second, 1);
	expect_eq(kmm_cpu_threads(machine), 1);
	expect_eq(kmm_cpu_threads(second), 1);
	expect_eq(kmm_cpu_users(machine, 1), 0);
	expect_eq(kmm_cpu_users(second, 1), 0);
	done(second);
	kmm_use(machine);
	done(machine);
}

/*
 * A thread keeps a few registrations in its TLS and the rest in a table it
 * allocates: one registered on eight machines at once finds its slot on
 * each again, and gives every one back when it exits; one on machines that
 * are shut down and booted again registers on each new one.
 */
#define MANY 8
static struct kmm_machine *many[MANY];
static int cpu_on_many[MANY], cpu_again[MANY];

static void *register_on_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < MANY; i++) {
		kmm_use(many[i]);
		cpu_on_many[i] = kmm_this_cpu(many[i]);
	}
	for (int i = MANY - 1; i >= 0; i--) {
		kmm_use(many[i]);
		cpu_again[i] = kmm_this_cpu(many[i]);
	}
	return NULL;
}

TEST(a_thread_on_eight_machines_keeps_and_gives_back_every_slot)
{
	pthread_t th;

	for (int i = 0; i < MANY; i++) {
		many[i] = boot("mem=64M nr_cpus=2");
		assert_true(many[i] != NULL);
		expect_eq(kmm_this_cpu(many[i]), 0);	/* this thread: slot 0 of each */
	}
	assert_eq(pthread_create(&th, NULL, register_on_many, NULL), 0);
	pthread_join(th, NULL);
	for (int i = 0; i < MANY; i++) {
		expect_eq(cpu_on_many[i], 1);
		expect_eq(cpu_again[i], 1);
		expect_eq(kmm_cpu_users(many[i], 1), 0);
		expect_eq(kmm_cpu_threads(many[i]), 1);
	}
	/* this thread on machines that come and go */
	for (int round = 0; round < 3; round++) {
		for (int i = 1; i < MANY; i++) {
			kmm_use(many[i]);
			done(many[i]);
			many[i] = boot("mem=64M nr_cpus=2");
			assert_true(many[i] != NULL);
			expect_eq(kmm_this_cpu(many[i]), 0);
		}
		kmm_use(many[0]);
		expect_eq(kmm_this_cpu(many[0]), 0);
		expect_eq(kmm_cpu_users(many[0], 0), 1);
	}
	for (int i = MANY - 1; i >= 0; i--) {
		kmm_use(many[i]);
		expect_eq(kmm_cpu_threads(many[i]), 1);
		done(many[i]);
	}
}

/*
 * A thread holding a slot of one machine registers on another while a
 * thread that held that slot exits: the exit hook holds the machine
 * registry's lock and waits for the slot, so a registration must not take
 * the registry lock (044ff96's look for an entry of a machine gone did: the
 * two waited for each other for ever). Run in a child whose alarm turns
 * such a hang into a failure; it is no measure of speed.
 */
static struct kmm_machine *held_m, *other_m;
static atomic_int exit_stage;
static int exiter_cpu = -1, holder_cpu = -1;

static void *exiter(void *arg)
{
	(void)arg;
	kmm_use(held_m);
	exiter_cpu = kmm_this_cpu(held_m);
	atomic_store(&exit_stage, 1);
	while (atomic_load(&exit_stage) < 2)
		sched_yield();
	return NULL;	/* the exit hook gives the slot back: it waits for the holder */
}

static void *holder(void *arg)
{
	(void)arg;
	while (atomic_load(&exit_stage) < 1)
		sched_yield();
	kmm_cpu_lock(held_m, exiter_cpu);
	atomic_store(&exit_stage, 2);
	/* the exiter's hook holds the registry and held_m's cpu_lock, and waits for the slot */
	while (!spin_is_locked(&held_m->cpu_lock))
		sched_yield();
	kmm_use(other_m);
	holder_cpu = kmm_this_cpu(other_m);	/* new to other_m: registers */
	kmm_cpu_unlock(held_m, exiter_cpu);
	return NULL;
}

TEST(a_thread_holding_a_slot_registers_while_another_exits)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		held_m = kmm_boot("mem=64M nr_cpus=2");
		other_m = kmm_boot("mem=64M nr_cpus=2");
		if (!held_m || !other_m)
			_exit(3);
		pthread_t e, h;
		if (pthread_create(&e, NULL, exiter, NULL) || pthread_create(&h, NULL, holder, NULL))
			_exit(4);
		pthread_join(h, NULL);
		pthread_join(e, NULL);
		int bad = (exiter_cpu != 1) | (holder_cpu != 1) << 1 |
			  (kmm_cpu_users(held_m, 1) != 0) << 2 | (kmm_cpu_users(other_m, 1) != 0) << 3;
		kmm_shutdown(other_m);
		kmm_shutdown(held_m);
		_exit(bad ? 10 + bad : 0);
	}
	assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		printf("  child killed by signal %d%s\n", WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (it hung)" : "");
	expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * Owned slots follow the host and the environment: on where membarrier(2)
 * exists and KMM_CPU_LOCKED is unset; under ThreadSanitizer only when
 * KMM_TSAN_OWNED is set too (the *_owned runs of cmake/harden.cmake rely on
 * it: without it they would run the locked way and check nothing new).
 */
TEST(owned_slots_follow_the_host_and_the_environment)
{
	bool want = sim_membarrier_available() && !getenv("KMM_CPU_LOCKED");

#if defined(__SANITIZE_THREAD__) || defined(KMM_CPU_TSAN)
	want = want && getenv("KMM_TSAN_OWNED");
#endif
	machine = boot("mem=64M");
	expect_eq(kmm_cpu_lockless_allowed(), want);
	expect_eq(machine->cpu_lockless, want);
	done(machine);
}

/* ---- Which slot locks need a process-wide barrier ---- */

/* Barriers run by @fn(@cpu) (kmm_cpu_lock() and unlock, or every slot's when @cpu < 0). */
static unsigned long barriers_to_lock(int cpu)
{
	unsigned long before = sim_membarrier_count();

	if (cpu < 0) {
		kmm_cpu_lock_all(machine);
		kmm_cpu_unlock_all(machine);
	} else {
		kmm_cpu_lock(machine, cpu);
		kmm_cpu_unlock(machine, cpu);
	}
	return sim_membarrier_count() - before;
}

/*
 * Taking a slot's lock out of owned mode needs membarrier(2) only where
 * another thread may be inside the slot's owned section: the slot's one
 * user, when that is not the locker. Its own slot (the boot ran 15
 * barriers for slot 0, zone_pcp_update_all() locking it once per zone)
 * and a slot nobody holds (its last user left under the slot's lock) need
 * none; a slot another thread owns needs one, and so does kmm_cpu_lock_all()
 * then, one for all. Without owned slots (no membarrier, KMM_CPU_LOCKED,
 * ThreadSanitizer) no lock needs a barrier.
 */
TEST(a_slot_lock_runs_a_barrier_only_for_another_threads_owned_slot)
{
	pthread_t th;
	struct probe pr = { NULL, -1 };
	pthread_barrier_t hold;

	machine = boot("mem=128M nr_cpus=4");
	int per_owned = machine->cpu_lockless ? 1 : 0;
	assert_eq(kmm_this_cpu(machine), 0);
	expect_eq(barriers_to_lock(0), 0);		/* this thread's own slot */
	assert_eq(pthread_create(&th, NULL, take_slot, &pr), 0);
	pthread_join(th, NULL);
	assert_eq(pr.cpu, 1);
	expect_eq(owned_mode(1), machine->cpu_lockless);	/* left owned, by nobody */
	expect_eq(barriers_to_lock(1), 0);
	expect_eq(barriers_to_lock(-1), 0);
	pthread_barrier_init(&hold, NULL, 2);
	pr = (struct probe){ &hold, -1 };
	assert_eq(pthread_create(&th, NULL, take_slot, &pr), 0);
	pthread_barrier_wait(&hold);			/* it holds slot 1 */
	expect_eq(pr.cpu, 1);
	expect_eq(barriers_to_lock(1), per_owned);
	expect_eq(barriers_to_lock(0), 0);
	expect_eq(barriers_to_lock(-1), per_owned);
	expect_eq(owned_mode(1), machine->cpu_lockless);	/* owned again once unlocked */
	pthread_barrier_wait(&hold);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&hold);
	done(machine);
}

/* ---- The per-CPU area: a slot's units set up at its first hand-out ---- */

static struct kmem_cache *unit_cache;

static void *alloc_on_a_slot(void *arg)
{
	struct probe *p = arg;

	kmm_use(machine);
	p->cpu = kmm_this_cpu(machine);
	void *obj = kmem_cache_alloc(unit_cache, GFP_KERNEL);
	if (obj)
		kmem_cache_free(unit_cache, obj);
	return NULL;
}

/*
 * Every cache's per-CPU structures lie by CPU in one reserved area
 * (mm/include/percpu.h), and a CPU's units are set up when its slot is
 * first handed out: on a machine of 8 slots that has had two threads, the
 * host holds no page of the other six slots' units, and they read as zero
 * (never constructed). The checker and a cache's destruction skip them. At
 * boot, every cache's arrays used to be made and initialised for every
 * slot (64 bytes per slot per cache, from the host's heap).
 */
TEST(a_slots_per_cpu_units_are_touched_only_once_a_thread_takes_it)
{
	pthread_t th;
	struct probe pr = { 0 };

	machine = boot("mem=128M nr_cpus=8");
	unit_cache = kmem_cache_create("unit_test", 96, 0, 0, NULL);
	assert_true(unit_cache != NULL);
	expect_eq(kmm_this_cpu(machine), 0);
	expect_true(cpu_populated(&machine->percpu, 0));
	for (int cpu = 1; cpu < 8; cpu++) {
		expect_true(!cpu_populated(&machine->percpu, cpu));
		expect_eq(pcpu_resident_units(machine, cpu), 0);
	}
	assert_eq(pthread_create(&th, NULL, alloc_on_a_slot, &pr), 0);
	pthread_join(th, NULL);
	expect_eq(pr.cpu, 1);
	expect_true(cpu_populated(&machine->percpu, 1));
	expect_true(pcpu_resident_units(machine, 1) > 0);
	/* constructed: an empty partial list points at itself */
	struct list_head *partial = &per_cpu_ptr(unit_cache->cpu_slab, 1)->partial;
	expect_true(partial->next == partial);
	for (int cpu = 2; cpu < 8; cpu++) {
		expect_true(!cpu_populated(&machine->percpu, cpu));
		expect_eq(pcpu_resident_units(machine, cpu), 0);
	}
	expect_eq(kmm_check(machine), 0);
	/* A cache made after a slot was set up is set up on it at once. */
	struct kmem_cache *later = kmem_cache_create("unit_later", 200, 0, 0, NULL);
	assert_true(later != NULL);
	partial = &per_cpu_ptr(later->cpu_slab, 1)->partial;
	expect_true(partial->next == partial);
	kmem_cache_destroy(later);
	/*
	 * Read only now (a read maps the host's zero page, which mincore
	 * counts): slot 2's copy was never constructed.
	 */
	expect_true(per_cpu_ptr(unit_cache->cpu_slab, 2)->partial.next == NULL);
	kmem_cache_destroy(unit_cache);
	for (int cpu = 3; cpu < 8; cpu++)
		expect_eq(pcpu_resident_units(machine, cpu), 0);
	done(machine);
}

static void *page_on_a_slot(void *arg)
{
	struct probe *p = arg;

	kmm_use(machine);
	p->cpu = kmm_this_cpu(machine);
	struct page *page = alloc_pages(GFP_KERNEL, 0);
	if (page)
		__free_pages(page, 0);
	return NULL;
}

/*
 * A CPU slot no thread takes costs the host nothing of its own but its
 * guard, one 64-byte line of the packed guards (64 slots share a page):
 * its vm event counters and its zones' pagesets are per-CPU data in its
 * own unit, which stays untouched while the machine boots, counts, drains,
 * checks itself and shows /proc/vmstat and /proc/zoneinfo (a read of a
 * never-used unit would map the host's zero page there, which mincore
 * sees). A thread that takes the slot counts on it, and finds its pagesets
 * set up with the zones' limits. Before, every slot's struct kmm_cpu (the
 * guard and 1 KB of counters) and pagesets (320 bytes a zone) came from
 * the host's heap and were written at boot.
 */
TEST(a_slot_no_thread_takes_holds_no_page_of_its_own)
{
	pthread_t th;
	struct probe pr = { 0 };
	char *s = NULL;

	machine = boot("mem=128M nr_cpus=64");
	kmm_use(machine);
	expect_eq(sizeof(struct kmm_cpu), 64);
	for (int cpu = 0; cpu < 64; cpu++)
		expect_eq(per_cpu_index(machine->vm_events, machine->cpus[cpu].events), cpu);
	assert_eq(kmm_proc_read(machine, "/proc/vmstat", &s), 0);
	free(s);
	assert_eq(kmm_proc_read(machine, "/proc/zoneinfo", &s), 0);
	free(s);
	drain_all_pages(machine, NULL);
	lru_add_drain_all(machine);
	expect_eq(kmm_check(machine), 0);
	for (int cpu = 1; cpu < 64; cpu++) {
		expect_true(!cpu_populated(&machine->percpu, cpu));
		if (!expect_eq(pcpu_resident_units(machine, cpu), 0))
			printf("  slot %d's unit is resident\n", cpu);
	}
	unsigned long freed = sum_vm_event(machine, PGFREE);
	assert_eq(pthread_create(&th, NULL, page_on_a_slot, &pr), 0);
	pthread_join(th, NULL);
	expect_eq(pr.cpu, 1);
	expect_true(per_cpu_ptr(machine->vm_events, 1)->event[PGFREE] >= 1);
	expect_true(sum_vm_event(machine, PGFREE) >= freed + 1);
	/* its pagesets were set up at its hand-out with each zone's limits */
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = &machine->node_data[0]->node_zones[t];
		struct per_cpu_pages *pcp = per_cpu_ptr(z->per_cpu_pageset, 1);

		if (!populated_zone(z) || !z->per_cpu_pageset)
			continue;
		expect_eq(pcp->batch, z->pageset_batch);
		expect_eq(pcp->high_min, z->pageset_high_min);
		expect_eq(pcp->high_max, z->pageset_high_max);
		expect_true(pcp->lists[0].next == &pcp->lists[0] || pcp->count > 0);
	}
	for (int cpu = 2; cpu < 64; cpu++)
		expect_eq(pcpu_resident_units(machine, cpu), 0);
	done(machine);
}

/* The host heap bytes (glibc's) that booting @cmdline keeps until shutdown. */
static long heap_of_a_boot(const char *cmdline)
{
	struct mallinfo2 before = mallinfo2();
	struct kmm_machine *m = kmm_boot(cmdline);
	struct mallinfo2 after = mallinfo2();

	assert_true(m != NULL);
	kmm_shutdown(m);
	return (long)after.uordblks - (long)before.uordblks;
}

/*
 * What a CPU slot costs a machine in the host's heap, whether or not a
 * thread ever takes it: its guard (64 bytes) and the SRCU reader counts
 * (64), nothing else. Every other layer's per-CPU data (the vm event
 * counters, the zones' pagesets, the LRU add batch, the kmap_local stack,
 * every cache's CPU structures) is per-CPU data in the slot's own unit,
 * set up when the slot is first handed out. Measured as the heap a machine
 * of 64 slots keeps beyond one of 2, per slot: 3,476 bytes on main before
 * session 19 (1,024 kmm_cpu, 320 per zone, 256 LRU batch, 264 kmap, 64 SRCU).
 */
TEST(a_slot_costs_the_host_heap_two_lines)
{
	long h2 = heap_of_a_boot("mem=128M nr_cpus=2");
	long h64 = heap_of_a_boot("mem=128M nr_cpus=64");
	long per_slot = (h64 - h2) / 62;

	printf("  host heap of a booted machine: %ld bytes with 2 slots, %ld with 64: %ld a slot\n",
	       h2, h64, per_slot);
	expect_true(per_slot <= 2 * 64 + 32);
}

/*
 * The per-CPU area's allocator: a piece is zero in every unit when it is
 * handed out, also after a freed one with written pieces is reused; a
 * constructor runs on each populated CPU's piece at allocation and on a
 * CPU's when it is populated later, once.
 */
static int ctor_runs[PCPU_MAX_CPUS];

static void count_ctor(void *arg, void *ptr, int cpu)
{
	(void)arg;
	ctor_runs[cpu]++;
	*(int *)ptr = cpu + 1;
}

TEST(per_cpu_pieces_start_zero_and_constructors_run_once_per_cpu)
{
	machine = boot("mem=64M nr_cpus=4");
	kmm_use(machine);
	memset(ctor_runs, 0, sizeof(ctor_runs));
	int *a = pcpu_alloc(machine, 100, count_ctor, NULL);
	assert_true(a != NULL);
	expect_eq(*a, 1);			/* CPU 0 is populated at boot */
	expect_eq(ctor_runs[0], 1);
	expect_eq(*per_cpu_ptr(a, 2), 0);
	pcpu_populate(machine, 2);
	pcpu_populate(machine, 2);
	expect_eq(ctor_runs[2], 1);
	expect_eq(*per_cpu_ptr(a, 2), 3);
	expect_eq(ctor_runs[1] + ctor_runs[3], 0);
	/* A piece without a constructor, written on CPU 2 and freed, comes back zero. */
	char *b = pcpu_alloc(machine, 4096, NULL, NULL);
	assert_true(b != NULL);
	memset(per_cpu_ptr(b, 2), 0x5a, 4096);
	pcpu_free(machine, b);
	char *c = pcpu_alloc(machine, 4096, NULL, NULL);
	assert_true(c == b);	/* the same blocks, from the unit's end */
	for (int cpu = 0; cpu < 4; cpu++)
		for (int i = 0; i < 4096; i++)
			if (per_cpu_ptr(c, cpu)[i])
				kmm_test_fail(__FILE__, __LINE__, "cpu%d's piece byte %d is not zero", cpu, i);
	/* More than a chunk's worth: a second chunk, at the same stride. */
	void *big[20];
	for (int i = 0; i < 20; i++)
		assert_true((big[i] = pcpu_alloc(machine, 8192, NULL, NULL)) != NULL);
	for (int i = 0; i < 20; i++)
		pcpu_free(machine, big[i]);
	expect_eq(ctor_runs[0] + ctor_runs[1] + ctor_runs[2] + ctor_runs[3], 2);
	pcpu_free(machine, c);
	pcpu_free(machine, a);
	done(machine);
}

/*
 * A plain per-CPU allocation (no constructor) keeps no record in the host's
 * heap: its size comes from its chunk's maps (blocks in use, and where each
 * allocation starts). Three neighbours freed one at a time give back their
 * own blocks, all of them cleared, and no neighbour's: the next allocation
 * of each size takes the same place (first fit from the unit's end).
 */
TEST(plain_per_cpu_allocations_free_by_their_chunks_maps)
{
	machine = boot("mem=64M nr_cpus=4");
	kmm_use(machine);
	pcpu_populate(machine, 3);
	struct mallinfo2 before = mallinfo2();
	char *a = pcpu_alloc(machine, 100, NULL, NULL);	/* 2 blocks, highest */
	char *b = pcpu_alloc(machine, 64, NULL, NULL);	/* 1 block, below a */
	char *c = pcpu_alloc(machine, 200, NULL, NULL);	/* 4 blocks, below b */
	struct mallinfo2 after = mallinfo2();

	assert_true(a && b && c);
	expect_eq(a - b, 64);
	expect_eq(b - c, 256);
	expect_eq((long)after.uordblks - (long)before.uordblks, 0);
	for (int cpu = 0; cpu < 4; cpu += 3) {
		memset(per_cpu_ptr(a, cpu), 0xa5, 128);
		memset(per_cpu_ptr(b, cpu), 0xb5, 64);
		memset(per_cpu_ptr(c, cpu), 0xc5, 256);
	}
	pcpu_free(machine, b);
	expect_eq((unsigned char)per_cpu_ptr(a, 3)[0], 0xa5);
	expect_eq((unsigned char)per_cpu_ptr(c, 3)[255], 0xc5);
	char *d = pcpu_alloc(machine, 64, NULL, NULL);
	expect_true(d == b);
	expect_eq(per_cpu_ptr(d, 3)[0], 0);
	pcpu_free(machine, a);
	pcpu_free(machine, c);
	expect_eq((unsigned char)per_cpu_ptr(d, 3)[0], 0);	/* d's block is its own */
	char *e = pcpu_alloc(machine, 128, NULL, NULL);	/* a's two blocks, cleared */
	expect_true(e == a);
	char *f = pcpu_alloc(machine, 256, NULL, NULL);	/* c's four */
	expect_true(f == c);
	for (int cpu = 0; cpu < 4; cpu += 3) {
		for (int i = 0; i < 128; i++)
			if (per_cpu_ptr(e, cpu)[i])
				kmm_test_fail(__FILE__, __LINE__, "cpu%d: a's byte %d kept", cpu, i);
		for (int i = 0; i < 256; i++)
			if (per_cpu_ptr(f, cpu)[i])
				kmm_test_fail(__FILE__, __LINE__, "cpu%d: c's byte %d kept", cpu, i);
	}
	pcpu_free(machine, d);
	pcpu_free(machine, e);
	pcpu_free(machine, f);
	done(machine);
}
