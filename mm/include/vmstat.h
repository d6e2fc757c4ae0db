// SPDX-License-Identifier: MIT
/*
 * mm/include/vmstat.h - counting and reading the vm counters: per-CPU-slot
 * events, and the zone and node stat items.
 *
 * Linux counterpart: include/linux/vmstat.h and mm/vmstat.c (6.12). The
 * items themselves are in mm/include/vm_event_item.h.
 *
 * Events: per-CPU-slot counters summed on read (count_vm_events()).
 *
 * Node stat items: as Linux's, a base in the node (pgdat->vm_stat[]) and
 * a diff per CPU slot (pgdat->per_cpu_nodestats); an update adds to its
 * slot's diff, and only when the diff passes the node's stat_threshold
 * (Linux's calculate_normal_threshold() over the node's zones, at most
 * 125) is it folded into the base. So a page fault's NR_ANON_MAPPED (and
 * every other node item a fast path moves) writes nothing shared: one
 * atomic add on the slot's own line, and a fold every ~threshold pages.
 * Kept from Linux: the threshold and its formula. Changed: the diff is an
 * int moved by atomic adds (Linux: an s8 under preempt_disable(), or
 * this_cpu_cmpxchg), since threads beyond the slots share one: an add and
 * the fold's exchange never lose a count, whoever runs between them; an
 * update bigger than the threshold goes straight to the base. Linux also
 * folds every second (vmstat_update) so that its readers, which read the
 * base alone, drift by at most CPUs x threshold; kmm folds only when a
 * diff passes the threshold, and every reader folds instead:
 *
 * Readers, and why each takes the folded sum (base + every populated
 * slot's diff; node_page_state(), global_node_page_state()): every one
 * either prints (/proc/meminfo, /proc/vmstat, /proc/zoneinfo, the node
 * files, show_mem and the OOM report, the CLI's report and pressure
 * views) or decides (reclaim's inactive_is_low() and slab/file balance,
 * the workingset's sizes, lru_note_cost()'s decay, pressure limits, the
 * dirty limits and throttling, the checkers of rmap, swap, page cache and
 * workingset), and must print and decide exactly what it did with one
 * atomic per item: goldens and real-linux comparisons do not move, and a
 * checker must not see a count off by CPUs x threshold. None of them runs
 * per page: the most frequent is balance_dirty_pages_ratelimited(), a few
 * folds per write(), each m->nr_cpus loads. So no reader takes the base
 * alone (Linux's node_page_state()); the fold is exact whenever no update
 * is in flight, as the atomic was.
 *
 * Zone stat items stay one atomic long in the zone, written where a lock
 * is held anyway: NR_FREE_PAGES and NR_FREE_CMA_PAGES under zone->lock
 * (mod_zone_freepages_locked(), and read by every allocation's watermark
 * check: one load, exact), the LRU items under lru_lock (a batch of pages
 * at a time), NR_MLOCK on mlock/munlock. No fast path writes one without
 * a lock, so per-CPU diffs would buy nothing there and cost the watermark
 * check a fold.
 *
 * Locking: none; the counters, diffs and bases are relaxed atomics.
 */
#ifndef KMM_VMSTAT_H
#define KMM_VMSTAT_H

#include <stdatomic.h>

#include "mm/include/machine.h"

static inline void count_vm_events(struct kmm_machine *m, enum vm_event_item item, long n)
{
	/*
	 * Only the slot's owner writes (threads beyond maxcpus share a slot and
	 * may, rarely, lose an increment, as Linux's __count_vm_events can);
	 * relaxed load+store keeps the fast path free of locked instructions
	 * while readers summing the counters see no torn values.
	 */
	unsigned long *ev = &per_cpu_ptr(m->vm_events, kmm_this_cpu_inline(m))->event[item];
	__atomic_store_n(ev, __atomic_load_n(ev, __ATOMIC_RELAXED) + (unsigned long)n,
			 __ATOMIC_RELAXED);
}
static inline void count_vm_event(struct kmm_machine *m, enum vm_event_item item)
{
	count_vm_events(m, item, 1);
}
/** sum_vm_event() - an event counter summed over CPU slots. */
unsigned long sum_vm_event(struct kmm_machine *m, enum vm_event_item item);
/**
 * sum_vm_events() - @n event counters at once, each summed over the CPU
 * slots into @out[i] (one pass over the slots: what a sampler reading many
 * counters after every command wants).
 */
void sum_vm_events(struct kmm_machine *m, const enum vm_event_item *items, int n,
		   unsigned long *out);

static inline void mod_zone_page_state(struct zone *z, enum zone_stat_item i, long delta)
{
	atomic_fetch_add_explicit(&z->vm_stat[i], delta, memory_order_relaxed);
}
static inline unsigned long zone_page_state(const struct zone *z, enum zone_stat_item i)
{
	long v = atomic_load_explicit(&((struct zone *)z)->vm_stat[i], memory_order_relaxed);
	return v < 0 ? 0 : (unsigned long)v;
}
/*
 * node_stat_fold() - mod_node_page_state()'s rare part: put @delta (a
 * slot's diff that passed the threshold, or an update too big for one)
 * into @pgdat's base.
 */
void node_stat_fold(pg_data_t *pgdat, enum node_stat_item i, long delta);

static inline void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item i, long delta)
{
	struct per_cpu_nodestat *pcp = pgdat->per_cpu_nodestats;
	int t = __atomic_load_n(&pgdat->stat_threshold, __ATOMIC_RELAXED);

	/*
	 * The thread's cached slot (kmm_this_cpu_inline()'s cache) when it is
	 * on this node's machine; a thread that has none here (it has not
	 * asked for a slot, or asked another machine last) goes to the base
	 * rather than take a slot for a counter.
	 */
	/* -t <= v <= t as one compare: v + t in [0, 2t], unsigned (t <= 125) */
	if (__builtin_expect(pcp != NULL && kmm_cpu_cache.serial == pgdat->stat_serial, 1) &&
	    ((__builtin_constant_p(delta) && delta >= -1 && delta <= 1) ||	/* t >= 2 then */
	     (unsigned long)(delta + t) <= 2 * (unsigned long)t)) {
		atomic_int *d = &((struct per_cpu_nodestat *)((char *)pcp +
			kmm_cpu_cache.pcpu_offset))->vm_node_stat_diff[i];
		int x = atomic_fetch_add_explicit(d, (int)delta, memory_order_relaxed) + (int)delta;

		if (__builtin_expect((unsigned int)(x + t) <= 2 * (unsigned int)t, 1))
			return;
		/* Whatever the slot holds now, adds of its sharers included. */
		delta = atomic_exchange_explicit(d, 0, memory_order_relaxed);
	}
	node_stat_fold(pgdat, i, delta);
}
/**
 * node_page_state() - @pgdat's item @i, exact: the base plus every
 * populated CPU slot's diff (Linux's node_page_state() reads the base
 * alone; see the header for why every kmm reader folds). Negative sums
 * (an update in flight) read 0.
 */
unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item i);
/** node_page_state_signed() - node_page_state() before the clamp at 0. */
long node_page_state_signed(const pg_data_t *pgdat, enum node_stat_item i);
/**
 * node_stat_init() - give each node of @m its per-CPU-slot diffs and its
 * threshold (Linux's setup_per_cpu_pageset() part for
 * pgdat->per_cpu_nodestats). Before it, updates go to the base.
 * Context: boot, after the per-CPU area exists. Return: 0 or -ENOMEM.
 */
int node_stat_init(struct kmm_machine *m);
/**
 * refresh_zone_stat_thresholds() - each node's stat_threshold again from
 * its zones' (the managed pages moved: boot's init_per_zone_wmark_min(),
 * memory hotplug). It is at least 2 once node_stat_init() ran.
 */
void refresh_zone_stat_thresholds(struct kmm_machine *m);
/**
 * calculate_normal_threshold() - the stat threshold of @zone (Linux's
 * formula): 2 x fls(CPUs) x (1 + fls(managed memory in 128 MiB units)), at
 * most 125. A node's is the largest of its zones'.
 */
int calculate_normal_threshold(const struct zone *zone);
/**
 * zone_numa_event_state() - a NUMA event of @z (numa_hit, ...): the zone's
 * base plus every CPU slot's count (Linux's fold of vm_numa_event on read).
 */
unsigned long zone_numa_event_state(struct zone *z, enum numa_stat_item item);
/** global_zone_page_state() / global_node_page_state() - sums over @m's nodes. */
unsigned long global_zone_page_state(struct kmm_machine *m, enum zone_stat_item i);
unsigned long global_node_page_state(struct kmm_machine *m, enum node_stat_item i);

#endif /* KMM_VMSTAT_H */
