// SPDX-License-Identifier: MIT
/*
 * mm/cpu_slot.c - CPU slots: handing them to threads and back, and the
 * remote side of the slot guard (see mm/include/cpu_slot.h for the design).
 *
 * Linux counterpart: none as such (CPUs do not come and go with threads);
 * the remote side plays the part of on_each_cpu()/IPIs in drain_all_pages()
 * and flush_all(): membarrier(2) is how one thread makes every other one
 * pass a barrier.
 *
 * Invariant: slot c has guard.nr_users threads registered to it (each
 * thread's registration is in its thread-local cpu_regs or cpu_regs_more,
 * tagged with the machine's serial; one whose machine is gone holds
 * nothing); m->cpu_free is the number of slots with nr_users == 0;
 * guard.lockless is set only while nr_users <= 1, no remote holder has
 * revoked it, and the machine may use membarrier.
 *
 * Locking: m->cpu_lock (assignment, nr_users) -> guard.lock. A thread's exit
 * hook takes the machine registry's lock first, so a machine cannot be freed
 * under it. A slot's first hand-out populates its per-CPU units
 * (pcpu_populate(): m->percpu.lock, a leaf) after cpu_lock is dropped and
 * before the thread uses the slot; a fork's child frees that lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"

_Thread_local int kmm_cpu_token __attribute__((tls_model("initial-exec")));
struct kmm_cpu_guard kmm_cpu_guard_closed = { .lock = SPINLOCK_INIT };
_Thread_local struct kmm_cpu_cache kmm_cpu_cache
	__attribute__((tls_model("initial-exec"))) = { .guard = &kmm_cpu_guard_closed };

/*
 * This thread's registrations: the slot it holds on each machine it used.
 * A few inline (a thread of the malloc shim uses one machine, a test two or
 * three); more spill into a table indexed by registry slot, allocated the
 * first time a thread holds slots on more live machines than that. Every
 * new thread's static TLS is cleared when it starts: a table of all
 * KMM_MAX_MACHINES + 1 registry slots, 4 KiB, was 83% of the library's
 * and cost each new thread ~550 instructions (callgrind) and 64 lines.
 */
struct cpu_reg {
	unsigned long serial;	/* the machine's serial; 0: free */
	int slot;		/* its registry slot */
	int cpu;		/* the CPU slot this thread holds there */
};
#define CPU_REGS_INLINE 4
static _Thread_local struct cpu_reg cpu_regs[CPU_REGS_INLINE] __attribute__((tls_model("initial-exec")));
/* KMM_MAX_MACHINES + 1 entries, by registry slot, or NULL (calloc; freed when the thread exits) */
static _Thread_local struct cpu_reg *cpu_regs_more __attribute__((tls_model("initial-exec")));
/* The exit hook is queued (sim_on_thread_exit()) and has not run yet. */
static _Thread_local bool exit_hook_armed __attribute__((tls_model("initial-exec")));
/* The exit hook has run: this thread is in its exit destructors (kmm_cpu_thread_exiting()). */
static _Thread_local bool slots_released __attribute__((tls_model("initial-exec")));

/* This thread's registration on @m, or NULL. */
static struct cpu_reg *find_reg(const struct kmm_machine *m)
{
	for (int i = 0; i < CPU_REGS_INLINE; i++)
		if (cpu_regs[i].serial == m->serial)
			return &cpu_regs[i];
	if (cpu_regs_more && cpu_regs_more[m->slot].serial == m->serial)
		return &cpu_regs_more[m->slot];
	return NULL;
}

/* Is machine @r names gone (so @r holds nothing)? Context: registry lock held. */
static bool reg_stale(const struct cpu_reg *r)
{
	struct kmm_machine *o = kmm_machines[r->slot];

	return !o || o->serial != r->serial;
}

/*
 * A free registration entry for @m (which this thread holds no slot on): an
 * unused inline one, else @m's entry of the spill table (any serial there is
 * of a machine gone: @m holds its registry slot). An inline entry whose
 * machine is gone is not taken again until the thread exits: telling would
 * take the registry lock, which a thread exit holds while it takes slot
 * locks, and a thread may register on one machine while it holds a slot of
 * another (then the two could wait for each other). If the table cannot be
 * had, the last inline entry is taken over and its slot left counted:
 * over-counted, that slot only loses its owned mode (correct, slower), as
 * when the exit hook cannot be queued.
 */
static struct cpu_reg *new_reg(struct kmm_machine *m)
{
	for (int i = 0; i < CPU_REGS_INLINE; i++)
		if (!cpu_regs[i].serial)
			return &cpu_regs[i];
	if (!cpu_regs_more)
		cpu_regs_more = calloc(KMM_MAX_MACHINES + 1, sizeof(*cpu_regs_more));
	return cpu_regs_more ? &cpu_regs_more[m->slot] : &cpu_regs[CPU_REGS_INLINE - 1];
}

static inline struct kmm_cpu_guard *guard_of(struct kmm_machine *m, int cpu)
{
	return &m->cpus[cpu].guard;
}

/* Threads on slot guard @g. Context: m->cpu_lock or g->lock held (both to change it). */
static inline int users_of(struct kmm_cpu_guard *g)
{
	return atomic_load_explicit(&g->nr_users, memory_order_relaxed);
}

/*
 * Add @delta to @g's users and set its owned mode to match; keeps
 * m->cpu_free. Context: m->cpu_lock held, not g->lock; no owned section of
 * @g can be in progress (a slot gaining its second user goes through
 * join_shared() instead).
 */
static void add_users(struct kmm_machine *m, struct kmm_cpu_guard *g, int delta)
{
	int was = users_of(g);

	spin_lock(&g->lock);
	atomic_store_explicit(&g->nr_users, was + delta, memory_order_relaxed);
	atomic_store_explicit(&g->lockless, m->cpu_lockless && was + delta <= 1,
			      memory_order_release);
	spin_unlock(&g->lock);
	if (!was != !(was + delta))
		atomic_store_explicit(&m->cpu_free, atomic_load_explicit(&m->cpu_free,
			memory_order_relaxed) + (was ? 1 : -1), memory_order_relaxed);
}

/* Context: guard.lock held. What lockless should be now. */
static bool lockless_target(struct kmm_machine *m, struct kmm_cpu_guard *g)
{
	return m->cpu_lockless && users_of(g) <= 1;
}

/*
 * May another thread be inside slot @cpu's owned section now? Only its one
 * user, if that is not this thread: with no user, the last one left under
 * g->lock (add_users()), which the caller now holds, so its stores are
 * visible; this thread's own section is ordered by program order. Boot ran
 * 15 membarrier(2) calls for its own slot 0 (zone_pcp_update_all() locks
 * each slot once per zone), where none was needed. Context: g->lock held.
 */
static bool owner_may_run(struct kmm_machine *m, int cpu)
{
	struct cpu_reg *r;

	if (!users_of(guard_of(m, cpu)))
		return false;
	r = find_reg(m);
	return !r || r->cpu != cpu;
}

/*
 * Take slot @cpu's lock from any thread and stop its owned mode (the caller
 * then waits for an owned section in progress: guard_wait_owner()). With
 * @barrier, the membarrier(2) the revoke needs is run here. Context: g->lock
 * not held by the caller. Return: true if the revoke still needs a barrier.
 */
static bool guard_lock_revoke(struct kmm_machine *m, int cpu, bool barrier)
{
	struct kmm_cpu_guard *g = guard_of(m, cpu);

	spin_lock(&g->lock);
	atomic_store_explicit(&g->lock_owner, &kmm_cpu_token, memory_order_relaxed);
	g->lock_depth = 1;
	if (!atomic_load_explicit(&g->lockless, memory_order_relaxed))
		return false;
	atomic_store_explicit(&g->lockless, 0, memory_order_seq_cst);
	g->revoked = true;
	if (!owner_may_run(m, cpu))
		return false;
	if (barrier)
		sim_membarrier();
	return !barrier;
}

/* Wait until slot @cpu's owner is out of its owned section (unless it is us). */
static void guard_wait_owner(struct kmm_machine *m, int cpu)
{
	struct kmm_cpu_guard *g = guard_of(m, cpu);
	int spins = 0;

	struct cpu_reg *r = find_reg(m);

	if (r && r->cpu == cpu)
		return;		/* our own slot: an owned section in progress is ours */
	while (atomic_load_explicit(&g->busy, memory_order_acquire)) {
		if (++spins > 100) {
			sim_yield();
			spins = 0;
		} else {
			sim_cpu_relax();
		}
	}
}

static void guard_unlock(struct kmm_machine *m, int cpu)
{
	struct kmm_cpu_guard *g = guard_of(m, cpu);

	if (--g->lock_depth)
		return;
	if (g->revoked) {
		g->revoked = false;
		atomic_store_explicit(&g->lockless, lockless_target(m, g), memory_order_release);
	}
	atomic_store_explicit(&g->lock_owner, NULL, memory_order_relaxed);
	spin_unlock(&g->lock);
}

void kmm_cpu_lock(struct kmm_machine *m, int cpu)
{
	struct kmm_cpu_guard *g = guard_of(m, cpu);

	if (atomic_load_explicit(&g->lock_owner, memory_order_relaxed) == &kmm_cpu_token) {
		g->lock_depth++;
		return;
	}
	guard_lock_revoke(m, cpu, true);
	if (g->revoked)
		guard_wait_owner(m, cpu);
}

void kmm_cpu_unlock(struct kmm_machine *m, int cpu)
{
	guard_unlock(m, cpu);
}

void kmm_cpu_lock_all(struct kmm_machine *m)
{
	bool any = false;

	for (int c = 0; c < m->nr_cpus; c++) {
		struct kmm_cpu_guard *g = guard_of(m, c);
		if (atomic_load_explicit(&g->lock_owner, memory_order_relaxed) == &kmm_cpu_token) {
			g->lock_depth++;
			continue;
		}
		any |= guard_lock_revoke(m, c, false);
	}
	if (!any)
		return;
	sim_membarrier();
	for (int c = 0; c < m->nr_cpus; c++)
		if (guard_of(m, c)->revoked)
			guard_wait_owner(m, c);
}

void kmm_cpu_unlock_all(struct kmm_machine *m)
{
	for (int c = m->nr_cpus - 1; c >= 0; c--)
		guard_unlock(m, c);
}

/* ---- fork() ---- */

/*
 * The prepare handler of a fork: every lock a registering or exiting thread
 * may hold, in lock order, so that none is held in the child by a thread
 * that is not there.
 */
void kmm_cpu_fork_prepare(struct kmm_machine *m)
{
	kmm_registry_lock();
	spin_lock(&m->cpu_lock);
	kmm_cpu_lock_all(m);
}

void kmm_cpu_fork_parent(struct kmm_machine *m)
{
	kmm_cpu_unlock_all(m);
	spin_unlock(&m->cpu_lock);
	kmm_registry_unlock();
}

/*
 * In the child only the forking thread exists: the slots other threads held
 * are free there, and the forker's own is no longer shared. guard_unlock()
 * sets each slot's owned mode again from its new count.
 */
void kmm_cpu_fork_child(struct kmm_machine *m)
{
	struct cpu_reg *r = find_reg(m);
	int mine = r ? r->cpu : -1;

	for (int c = 0; c < m->nr_cpus; c++) {
		struct kmm_cpu_guard *g = guard_of(m, c);
		atomic_store_explicit(&g->nr_users, c == mine, memory_order_relaxed);
		g->revoked = true;
	}
	atomic_store_explicit(&m->cpu_free, m->nr_cpus - (mine >= 0), memory_order_relaxed);
	/*
	 * The per-CPU area's lock is not held across fork (the shim's check at
	 * exit stops the other threads with the fork handlers and then needs
	 * it): a thread that held it is not in the child, so it is free there.
	 * What that thread left half done stays harmless: a CPU it was
	 * populating is populated again, its constructors run anew on pieces
	 * nobody used; an allocation or free it was making leaves a few blocks
	 * marked in the child.
	 */
	spin_lock_init(&m->percpu.lock);
	kmm_cpu_fork_parent(m);
}

/* ---- Handing slots out and back ---- */

/*
 * Add this thread to slot @cpu, which has users: shared from now on, so
 * its owner must leave owned mode first. The wait for the owner's section
 * is made holding the slot's lock, as kmm_cpu_lock() makes it: a thread
 * that takes the lock next finds owned mode off and so waits for nothing,
 * and must find the section over (the slab checker and flush_all() read
 * the CPU's sheaf under that lock). Context: m->cpu_lock held.
 */
static void join_shared(struct kmm_machine *m, int cpu)
{
	struct kmm_cpu_guard *g = guard_of(m, cpu);

	spin_lock(&g->lock);
	atomic_store_explicit(&g->nr_users, users_of(g) + 1, memory_order_relaxed);
	if (atomic_load_explicit(&g->lockless, memory_order_relaxed)) {
		atomic_store_explicit(&g->lockless, 0, memory_order_seq_cst);
		sim_membarrier();
		guard_wait_owner(m, cpu);
	}
	spin_unlock(&g->lock);
}

/* Remember slot @cpu of @m as this thread's for kmm_this_cpu_inline(). */
static void set_this_cpu(struct kmm_machine *m, int cpu)
{
	kmm_cpu_cache.serial = m->serial;
	kmm_cpu_cache.cpu = cpu;
	kmm_cpu_cache.guard = guard_of(m, cpu);
	kmm_cpu_cache.pcpu_offset = (size_t)cpu << PCPU_UNIT_SHIFT;
}

/*
 * Give back the slot of registration @r if its machine is live. Context:
 * registry lock held. Inline: a new function the exit of every thread runs
 * would need a place on shim/hot-symbols.txt (integration_malloc_rss).
 */
static inline __attribute__((always_inline)) void give_back_reg(struct cpu_reg *r)
{
	if (!r->serial)
		return;
	if (!reg_stale(r) && kmm_machines[r->slot]->cpus) {
		struct kmm_machine *m = kmm_machines[r->slot];
		spin_lock(&m->cpu_lock);
		add_users(m, guard_of(m, r->cpu), -1);
		spin_unlock(&m->cpu_lock);
	}
	r->serial = 0;
}

/* Give back every slot this thread holds on a live machine. */
static void give_back_slots(void)
{
	struct cpu_reg *more = cpu_regs_more;

	kmm_registry_lock();
	for (int i = 0; i < CPU_REGS_INLINE; i++)
		give_back_reg(&cpu_regs[i]);
	for (int i = 1; more && i <= KMM_MAX_MACHINES; i++)
		give_back_reg(&more[i]);
	cpu_regs_more = NULL;
	kmm_cpu_cache.serial = 0;
	kmm_cpu_cache.guard = &kmm_cpu_guard_closed;	/* the slot may be another thread's now */
	kmm_registry_unlock();
	free(more);
}

/* The exit hook: the thread is leaving. */
static void release_slots(void *arg)
{
	(void)arg;
	exit_hook_armed = false;
	slots_released = true;
	give_back_slots();
}

bool kmm_cpu_thread_exiting(void)
{
	return slots_released;
}

void kmm_cpu_release_thread(void)
{
	give_back_slots();
}

int kmm_this_cpu(struct kmm_machine *m)
{
	struct cpu_reg *r = find_reg(m);
	int cpu;

	if (likely(r)) {
		cpu = r->cpu;
		goto out;
	}
	if (!m->cpus) {
		pcpu_populate(m, 0);
		return 0;	/* early boot: slot 0, nothing to register with */
	}
	if (!exit_hook_armed && sim_on_thread_exit(release_slots, NULL) == 0)
		exit_hook_armed = true;
	r = new_reg(m);
	/* The lowest slot nobody holds, else the least shared. */
	spin_lock(&m->cpu_lock);
	cpu = 0;
	for (int c = 0; c < m->nr_cpus; c++) {
		if (users_of(guard_of(m, c)) < users_of(guard_of(m, cpu)))
			cpu = c;
		if (!users_of(guard_of(m, cpu)))
			break;
	}
	struct kmm_cpu_guard *g = guard_of(m, cpu);
	if (users_of(g))
		join_shared(m, cpu);
	else
		add_users(m, g, 1);
	spin_unlock(&m->cpu_lock);
	pcpu_populate(m, cpu);	/* before this thread's first use of the slot */
	r->slot = m->slot;
	r->cpu = cpu;
	r->serial = m->serial;
out:
	set_this_cpu(m, cpu);
	return cpu;
}

int kmm_cpu_move(struct kmm_machine *m)
{
	struct cpu_reg *r = find_reg(m);
	int old, cpu;

	if (!r)
		return kmm_this_cpu(m);
	cpu = old = r->cpu;
	spin_lock(&m->cpu_lock);
	if (users_of(guard_of(m, old)) > 1 &&
	    atomic_load_explicit(&m->cpu_free, memory_order_relaxed)) {
		while (users_of(guard_of(m, cpu)))
			cpu = (cpu + 1) % m->nr_cpus;	/* one is free: the loop ends */
		add_users(m, guard_of(m, cpu), 1);
		add_users(m, guard_of(m, old), -1);	/* its last user may go owned */
	}
	spin_unlock(&m->cpu_lock);
	pcpu_populate(m, cpu);
	r->cpu = cpu;
	set_this_cpu(m, cpu);
	return cpu;
}

int kmm_cpu_users(struct kmm_machine *m, int cpu)
{
	int n;

	spin_lock(&m->cpu_lock);
	n = users_of(guard_of(m, cpu));
	spin_unlock(&m->cpu_lock);
	return n;
}

int kmm_cpu_threads(struct kmm_machine *m)
{
	int n = 0;

	spin_lock(&m->cpu_lock);
	for (int c = 0; c < m->nr_cpus; c++)
		n += users_of(guard_of(m, c));
	spin_unlock(&m->cpu_lock);
	return n;
}

bool kmm_cpu_lockless_allowed(void)
{
	if (!sim_membarrier_available() || sim_getenv("KMM_CPU_LOCKED"))
		return false;
#if defined(__SANITIZE_THREAD__) || defined(KMM_CPU_TSAN)
	/*
	 * ThreadSanitizer cannot see membarrier's ordering: the locked way
	 * unless KMM_TSAN_OWNED asks for owned slots, so that TSan checks the
	 * rest of their protocol (docs/testing.md; the *_owned runs of
	 * cmake/harden.cmake).
	 */
	return sim_getenv("KMM_TSAN_OWNED") != NULL;
#else
	return true;
#endif
}

/*
 * A slot's guard is one 64-byte line of m->cpus (every guard is read or
 * written by each hand-out and kmm_cpu_lock_all(): 64 slots share a page);
 * its event counters are per-CPU data, a slot's own page of the per-CPU
 * area, untouched until a thread takes the slot.
 */
_Static_assert(sizeof(struct kmm_cpu) == 64, "a slot's guard is one line");

int kmm_cpus_init(struct kmm_machine *m)
{
	size_t bytes = sizeof(struct kmm_cpu) * (size_t)m->nr_cpus;
	struct vm_event_state *events = pcpu_alloc(m, sizeof(*events), NULL, NULL);

	if (!events)
		return -ENOMEM;
	m->cpus = aligned_alloc(64, bytes);
	if (!m->cpus) {
		pcpu_free(m, events);
		return -ENOMEM;
	}
	memset(m->cpus, 0, bytes);
	spin_lock_init(&m->cpu_lock);
	m->cpu_lockless = kmm_cpu_lockless_allowed();
	atomic_init(&m->cpu_free, m->nr_cpus);
	m->vm_events = events;
	for (int c = 0; c < m->nr_cpus; c++) {
		spin_lock_init(&m->cpus[c].guard.lock);
		m->cpus[c].events = per_cpu_ptr(events, c);
	}
	pcpu_populate(m, 0);	/* the boot CPU's units: every cache's sheaves meet there (barn_flush()) */
	return 0;
}
