// SPDX-License-Identifier: MIT
/*
 * mm/vmstat.c - the node stat items' per-CPU-slot diffs: set-up, the fold
 * into the node's base, the threshold, and the exact reads.
 *
 * Linux counterpart: mm/vmstat.c (6.12): __mod_node_page_state()'s
 * overflow into the node (node_page_state_add()), calculate_normal_
 * threshold() and refresh_zone_stat_thresholds(), node_page_state() -
 * which here folds every slot's diff, where Linux reads the base and
 * folds the diffs every second (mm/include/vmstat.h says why). The
 * threshold is computed when Linux computes it: init_per_zone_wmark_min()
 * (boot, memory hotplug) calls refresh_zone_stat_thresholds().
 *
 * Locking: none; relaxed atomics (a read folds racily, exact when no
 * update is in flight).
 */
#include <errno.h>

#include "mm/include/vmstat.h"
#include "mm/internal.h"

int calculate_normal_threshold(const struct zone *zone)
{
	const struct kmm_machine *m = zone->machine;
	int cpus = m ? m->nr_cpus : 1;
	/* Memory in 128 MiB units. */
	int mem = (int)(zone_managed_pages(zone) >> (27 - PAGE_SHIFT));
	int threshold = 2 * fls_ul((unsigned long)cpus) * (1 + fls_ul((unsigned long)mem));

	return KMM_MIN(125, threshold);
}

/*
 * The node's threshold: the largest of its zones' (Linux's
 * refresh_zone_stat_thresholds() gives a node the largest of its zones'
 * per-CPU thresholds). At least 2: the formula's least.
 */
static int node_threshold(const pg_data_t *pgdat)
{
	int t = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		t = KMM_MAX(t, calculate_normal_threshold(&pgdat->node_zones[z]));
	return t;
}

void refresh_zone_stat_thresholds(struct kmm_machine *m)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (pgdat)
			__atomic_store_n(&pgdat->stat_threshold, node_threshold(pgdat),
					 __ATOMIC_RELAXED);
	}
}

void node_stat_fold(pg_data_t *pgdat, enum node_stat_item i, long delta)
{
	atomic_fetch_add_explicit(&pgdat->vm_stat[i], delta, memory_order_relaxed);
}

long node_page_state_signed(const pg_data_t *pgdat, enum node_stat_item i)
{
	long v = atomic_load_explicit(&((pg_data_t *)pgdat)->vm_stat[i], memory_order_relaxed);
	struct per_cpu_nodestat *pcp = pgdat->per_cpu_nodestats;
	struct kmm_machine *m = pgdat->node_zones[0].machine;

	if (!pcp)
		return v;
	for (int c = 0; c < m->nr_cpus; c++)
		if (cpu_populated(&m->percpu, c))	/* the others are all zero */
			v += atomic_load_explicit(&per_cpu_ptr(pcp, c)->vm_node_stat_diff[i],
						  memory_order_relaxed);
	return v;
}

unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item i)
{
	long v = node_page_state_signed(pgdat, i);

	return v < 0 ? 0 : (unsigned long)v;
}

int node_stat_init(struct kmm_machine *m)
{
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat || pgdat->per_cpu_nodestats || m->nr_cpus <= 0)
			continue;
		pgdat->stat_serial = m->serial;
		__atomic_store_n(&pgdat->stat_threshold, node_threshold(pgdat), __ATOMIC_RELAXED);
		pgdat->per_cpu_nodestats = pcpu_alloc(m, sizeof(struct per_cpu_nodestat), NULL, NULL);
		if (!pgdat->per_cpu_nodestats)
			return -ENOMEM;
	}
	return 0;
}
