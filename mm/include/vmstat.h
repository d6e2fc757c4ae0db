// SPDX-License-Identifier: MIT
/*
 * mm/include/vmstat.h - counting and reading the vm counters: per-CPU-slot
 * events, and the zone and node stat items.
 *
 * Linux counterpart: include/linux/vmstat.h (6.12). The items themselves are
 * in mm/include/vm_event_item.h. Zone and node counters are atomic longs in
 * the zone or node (Linux keeps per-CPU deltas and folds them); events are
 * per-CPU-slot counters summed on read (no shared cache line on the fast path).
 *
 * Locking: none; the counters are relaxed atomics (see count_vm_events()).
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
static inline void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item i, long delta)
{
	atomic_fetch_add_explicit(&pgdat->vm_stat[i], delta, memory_order_relaxed);
}
static inline unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item i)
{
	long v = atomic_load_explicit(&((pg_data_t *)pgdat)->vm_stat[i], memory_order_relaxed);
	return v < 0 ? 0 : (unsigned long)v;
}
/**
 * zone_numa_event_state() - a NUMA event of @z (numa_hit, ...): the zone's
 * base plus every CPU slot's count (Linux's fold of vm_numa_event on read).
 */
unsigned long zone_numa_event_state(struct zone *z, enum numa_stat_item item);
/** global_zone_page_state() / global_node_page_state() - sums over @m's nodes. */
unsigned long global_zone_page_state(struct kmm_machine *m, enum zone_stat_item i);
unsigned long global_node_page_state(struct kmm_machine *m, enum node_stat_item i);

#endif /* KMM_VMSTAT_H */
