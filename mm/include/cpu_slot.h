// SPDX-License-Identifier: MIT
/*
 * mm/include/cpu_slot.h - CPU slots: which host thread is which CPU, and the
 * guard that makes a slot's per-CPU data (pcp lists, slab CPU caches, NUMA
 * counters) safe to touch.
 *
 * Linux counterpart: a CPU and preempt_disable()/local_lock(): per-CPU data
 * needs no lock because only its CPU touches it, and code on another CPU
 * that must see it (drain_all_pages, flush_all) runs there through IPIs or
 * takes the local lock. kmm's CPUs are host threads, which the host may
 * preempt at any instruction, so kmm gives each slot one guard with two
 * modes:
 *   - owned: one thread holds the slot (the common case: a slot is shared
 *     only when threads outnumber maxcpus). It enters with a plain store to
 *     c->busy and a check of c->lockless: no locked instruction, no fence.
 *   - shared, or taken by another thread: c->lock, a spinlock.
 * A thread that needs another slot's data (draining it, a checker, a second
 * thread joining the slot) takes c->lock, clears c->lockless, and runs a
 * process-wide memory barrier (membarrier(2), PRIVATE_EXPEDITED), after
 * which the owner either is inside its section (c->busy is visible: wait
 * for it) or will see c->lockless clear and take c->lock. This is the
 * asymmetric Dekker of userspace RCU and biased locks: the cost moves from
 * every fast-path operation to the rare remote one. Without membarrier,
 * and under ThreadSanitizer (which cannot see that barrier), slots are
 * never lockless and every section takes c->lock.
 *
 * Slots are handed out lowest free first, and given back when a thread
 * exits. A thread that found every slot taken shares the least used one;
 * when a slot frees up later, the first of the sharers to call into the
 * malloc shim moves there (kmm_cpu_move(), asked on the shim's locked path:
 * a shared slot never takes the lock-free ones, so an owned slot pays one
 * load for the question). So a slot stays shared while a free one exists
 * only until one of its threads next allocates or frees; threads of the
 * library's own callers (not the shim's) keep the slot they were given.
 *
 * Invariant: c->lockless implies c->nr_users <= 1 and nobody else holds
 * c->lock; a thread touches a slot's per-CPU data only between
 * kmm_cpu_enter() and kmm_cpu_exit() (or under kmm_cpu_lock()).
 *
 * Locking: m->cpu_lock (slot assignment) -> c->lock. Sections nest on one
 * thread (the slab allocator frees a slab's pages to the pcp lists while it
 * holds the slot), and are outermost among the allocators' locks.
 */
#ifndef KMM_MM_CPU_SLOT_H
#define KMM_MM_CPU_SLOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sim/sim.h"

struct kmm_machine;

/* The owned/shared guard of one CPU slot (embedded in struct kmm_cpu). */
struct kmm_cpu_guard {
	atomic_int lockless;		/* owned mode on: see the header */
	atomic_int busy;		/* owner's nesting depth in owned mode (owner writes) */
	spinlock_t lock;		/* shared mode, and remote holders */
	_Atomic(void *) lock_owner;	/* the thread holding @lock (nesting) */
	int lock_depth;			/* @lock_owner's nesting, it alone writes */
	atomic_int nr_users;		/* threads assigned to the slot: m->cpu_lock and @lock
					 * to change, either to read; relaxed, so it may be
					 * peeked at (kmm_cpu_shared()) */
	bool revoked;			/* a remote holder cleared @lockless; @lock */
};

extern _Thread_local int kmm_cpu_token __attribute__((tls_model("initial-exec")));

/* This thread's slot on the machine it asked about last (kmm_this_cpu_inline()). */
struct kmm_cpu_cache {
	unsigned long serial;		/* the machine's serial; 0: none */
	int cpu;
	/*
	 * Not kmm's: the malloc shim's nesting count (its in_kmm,
	 * shim/malloc.c), kept in the hole here so that malloc()'s test of it
	 * and its reads of this struct share one address (a load less).
	 * Nothing in mm/ reads or clears it.
	 */
	int shim_depth;
	/*
	 * That slot's guard; never NULL: &kmm_cpu_guard_closed while the
	 * thread holds no slot (a new thread, and after its exit hook gave its
	 * slots back), so an owned entry (kmm_cpu_enter_owned()) made without
	 * a look at @serial fails there. Left as it was when its machine is
	 * freed: a caller that skips the serial must know its machine lives
	 * (mm/slab_fast.h's _sole paths).
	 */
	struct kmm_cpu_guard *guard;
	size_t pcpu_offset;		/* cpu << PCPU_UNIT_SHIFT: per_cpu_ptr()'s step, made once */
};
extern _Thread_local struct kmm_cpu_cache kmm_cpu_cache __attribute__((tls_model("initial-exec")));
/*
 * The guard of no slot: never lockless, never busy, so kmm_cpu_enter_owned()
 * refuses it with two loads and no store. Only its address is used: nothing
 * enters it any other way (the general paths test kmm_cpu_cache.serial first).
 */
extern struct kmm_cpu_guard kmm_cpu_guard_closed;

/*
 * kmm_cpu_enter() - enter slot @g's section. Return: the section's token for
 * kmm_cpu_exit(): >= 0 when entered in owned mode (no lock taken: the depth
 * before), -1 when @g->lock is held. Context: the caller's own slot; nests.
 */
static inline int kmm_cpu_enter(struct kmm_cpu_guard *g)
{
	int depth = atomic_load_explicit(&g->busy, memory_order_relaxed);

	/*
	 * Only a thread that saw owned mode ever sets busy (so busy != 0 is this
	 * thread's own owned section: nest in it). Mark the section, then look
	 * again: a thread revoking owned mode either sees busy (and waits for
	 * it) or we see lockless clear (and back out). The second look is an
	 * acquire too: a remote holder's whole section (revoke, barrier, its
	 * reads, lockless restored with release) may fall between the first
	 * look and the busy store, and this section's writes must then come
	 * after that holder's reads (mmu14, TSan with owned slots on). On x86
	 * the same plain load.
	 */
	if (depth || __builtin_expect(atomic_load_explicit(&g->lockless, memory_order_acquire), 1)) {
		atomic_store_explicit(&g->busy, depth + 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		if (depth || __builtin_expect(atomic_load_explicit(&g->lockless, memory_order_acquire), 1))
			return depth;
		atomic_store_explicit(&g->busy, depth, memory_order_release);
	}
	if (atomic_load_explicit(&g->lock_owner, memory_order_relaxed) == &kmm_cpu_token) {
		g->lock_depth++;
		return -1;
	}
	spin_lock(&g->lock);
	atomic_store_explicit(&g->lock_owner, &kmm_cpu_token, memory_order_relaxed);
	g->lock_depth = 1;
	return -1;
}

/* clang says "ThreadSanitizer" this way (kmm_cpu_lockless_allowed() asks). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KMM_CPU_TSAN 1
#endif
#endif

/*
 * kmm_cpu_enter_owned() - the fast paths' entry: enter @g's section only in
 * owned mode and only from depth 0, the common case. busy == 0 and lockless
 * are tested with a load each; then the section is marked and lockless
 * looked at again, as kmm_cpu_enter() does. Two 4-byte loads, not one
 * 8-byte load of both: the last section's exit stored busy alone, and a
 * wider load over a store still on its way to the cache waits for it
 * (no store forwarding): in a malloc right after a free, 45% of malloc()'s
 * perf samples sat on that load (thread_relay 1 2000 2000 1000).
 * Return: true if entered (leave with kmm_cpu_exit_owned()); false with
 * nothing changed: a nested section, a shared or revoked slot - the caller
 * goes the general kmm_cpu_enter() way.
 */
static inline bool kmm_cpu_enter_owned(struct kmm_cpu_guard *g)
{
	if (atomic_load_explicit(&g->busy, memory_order_relaxed) ||
	    !atomic_load_explicit(&g->lockless, memory_order_acquire))
		return false;
	atomic_store_explicit(&g->busy, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (__builtin_expect(atomic_load_explicit(&g->lockless, memory_order_acquire), 1))
		return true;
	atomic_store_explicit(&g->busy, 0, memory_order_release);
	return false;
}

/* kmm_cpu_exit_owned() - leave a section kmm_cpu_enter_owned() entered: one store. */
static inline void kmm_cpu_exit_owned(struct kmm_cpu_guard *g)
{
	atomic_store_explicit(&g->busy, 0, memory_order_release);
}

/*
 * kmm_cpu_tryenter() - kmm_cpu_enter(), except that a shared slot whose lock
 * another thread holds is not waited for. Return: the token, or -2 when not
 * entered.
 */
static inline int kmm_cpu_tryenter(struct kmm_cpu_guard *g)
{
	int depth = atomic_load_explicit(&g->busy, memory_order_relaxed);

	if (depth || __builtin_expect(atomic_load_explicit(&g->lockless, memory_order_acquire), 1)) {
		atomic_store_explicit(&g->busy, depth + 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		if (depth || __builtin_expect(atomic_load_explicit(&g->lockless, memory_order_acquire), 1))
			return depth;
		atomic_store_explicit(&g->busy, depth, memory_order_release);
	}
	if (atomic_load_explicit(&g->lock_owner, memory_order_relaxed) == &kmm_cpu_token) {
		g->lock_depth++;
		return -1;
	}
	if (!spin_trylock(&g->lock))
		return -2;
	atomic_store_explicit(&g->lock_owner, &kmm_cpu_token, memory_order_relaxed);
	g->lock_depth = 1;
	return -1;
}

/* kmm_cpu_exit() - leave the section entered with @token: owned, one store. */
static inline void kmm_cpu_exit(struct kmm_cpu_guard *g, int token)
{
	if (__builtin_expect(token >= 0, 1)) {
		atomic_store_explicit(&g->busy, token, memory_order_release);
		return;
	}
	if (--g->lock_depth)
		return;
	atomic_store_explicit(&g->lock_owner, NULL, memory_order_relaxed);
	spin_unlock(&g->lock);
}

/**
 * kmm_this_cpu() - this thread's CPU slot on @m: assigned on first use
 * (the lowest slot no thread holds, else the least shared), given back when
 * the thread exits. Context: any; lock-free after the first call.
 */
int kmm_this_cpu(struct kmm_machine *m);

/**
 * kmm_cpu_move() - move this thread off its slot of @m onto a free one, if
 * the slot is shared and a slot is free (registering it first if it holds
 * none). Context: outside any section of @m's slots; takes m->cpu_lock.
 * Return: this thread's slot now.
 */
int kmm_cpu_move(struct kmm_machine *m);

/*
 * kmm_cpu_shared() - whether slot guard @g has more than one user (a peek:
 * the count may change under the caller). A slot in owned mode answers
 * with one load.
 */
static inline bool kmm_cpu_shared(struct kmm_cpu_guard *g)
{
	return !atomic_load_explicit(&g->lockless, memory_order_relaxed) &&
	       atomic_load_explicit(&g->nr_users, memory_order_relaxed) > 1;
}

/**
 * kmm_cpu_lock() / kmm_cpu_unlock() - hold slot @cpu from any thread (to
 * drain or check its per-CPU data): waits for its owner to leave an owned
 * section. Nests with the caller's own kmm_cpu_enter() of that slot.
 */
void kmm_cpu_lock(struct kmm_machine *m, int cpu);
void kmm_cpu_unlock(struct kmm_machine *m, int cpu);
/** kmm_cpu_lock_all() / kmm_cpu_unlock_all() - every slot at once (one barrier). */
void kmm_cpu_lock_all(struct kmm_machine *m);
void kmm_cpu_unlock_all(struct kmm_machine *m);
/**
 * kmm_cpu_fork_prepare() / kmm_cpu_fork_parent() / kmm_cpu_fork_child() -
 * pthread_atfork handlers' part for @m: prepare holds the machine registry,
 * m->cpu_lock and every slot (lock order), so no thread registering or
 * giving its slot back holds one across the fork; the child's handler also
 * frees every slot but the forking thread's (the other threads are gone).
 */
void kmm_cpu_fork_prepare(struct kmm_machine *m);
void kmm_cpu_fork_parent(struct kmm_machine *m);
void kmm_cpu_fork_child(struct kmm_machine *m);

/**
 * kmm_cpu_lockless_allowed() - whether slots may run lock-free here: the host has
 * membarrier, KMM_CPU_LOCKED is unset, and ThreadSanitizer is not watching
 * (or, in a TSan build, KMM_TSAN_OWNED is set).
 */
bool kmm_cpu_lockless_allowed(void);
/** kmm_cpus_init() - set up @m's slots (m->nr_cpus of them). Return: 0/-ENOMEM. */
int kmm_cpus_init(struct kmm_machine *m);
/**
 * kmm_cpu_thread_exiting() - whether this thread's exit hook has run: the
 * thread is in its thread-exit destructors. A registration from here on
 * re-queues the hook, which glibc runs only if a destructor round is left
 * (PTHREAD_DESTRUCTOR_ITERATIONS, 4): a caller that may be in the last one
 * gives the slot back itself after its call (kmm_cpu_release_thread()).
 */
bool kmm_cpu_thread_exiting(void);
/**
 * kmm_cpu_release_thread() - give back every slot this thread holds, as its
 * exit hook does; its next call registers it again. Context: outside any
 * section of those slots.
 */
void kmm_cpu_release_thread(void);
/** kmm_cpu_users() - threads holding slot @cpu (for tests and /proc views). */
int kmm_cpu_users(struct kmm_machine *m, int cpu);
/** kmm_cpu_threads() - threads holding a slot of @m now. */
int kmm_cpu_threads(struct kmm_machine *m);

#endif /* KMM_MM_CPU_SLOT_H */
