// SPDX-License-Identifier: MIT
/*
 * mm/show_mem.c - the allocation-failure report: the "page allocation
 * failure" line and the Mem-Info block that follows it in dmesg.
 *
 * Linux counterpart: mm/show_mem.c (__show_mem, show_free_areas) and
 * warn_alloc() in mm/page_alloc.c (6.12). The lines are Linux's, field for
 * field; counters owned by layers that do not exist yet print 0 until they
 * do, because they read the same vmstat items Linux reads.
 *
 * Not reproduced: dump_stack()'s addresses (kmm prints the CPU line and the
 * names of its own functions on the failing path, without offsets) and
 * hugetlb pools (always empty; the line shows one default-size pool).
 *
 * Invariant: none (a printer). Locking: zone->lock while reading free
 * lists; m->log_lock inside kmm_printk.
 */
#include <stdio.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/include/swap.h"
#include "mm/internal.h"

#define K(x) ((unsigned long)(x) << (PAGE_SHIFT - 10))

/*
 * This thread's "current->comm": a task's own comm array while the task is
 * current (kmm_set_task_comm(), a pointer: the task outlives its being
 * current, and a comm array holds its NUL), or kmm_set_comm()'s copy, or
 * "kmm" (NULL or empty).
 */
static const char comm_none[16] = "kmm";
static _Thread_local char current_comm[16];
static _Thread_local const char *current_comm_at;

void kmm_set_comm(const char *comm)
{
	size_t i = 0;

	if (!comm || !*comm) {
		current_comm_at = NULL;
		return;
	}
	for (; i < sizeof(current_comm) - 1 && comm[i]; i++)
		current_comm[i] = comm[i];
	current_comm[i] = '\0';
	current_comm_at = current_comm;
}

/*
 * Every access that enters the process layer (a fault's included) sets the
 * comm on entry and back on leaving (set_current_task()): one store of a
 * pointer, where a copy of the 16 bytes cost ~11 instructions a call and
 * the byte loop before it ~35 (session 27).
 */
void kmm_set_task_comm(const char *comm)
{
	current_comm_at = comm;
}

const char *kmm_comm(struct kmm_machine *m)
{
	const char *comm = current_comm_at;

	(void)m;
	return comm && comm[0] ? comm : comm_none;
}

static _Thread_local bool current_oom_victim;

void kmm_set_current_oom_victim(bool victim)
{
	current_oom_victim = victim;
}

bool kmm_current_oom_victim(void)
{
	return current_oom_victim;
}

#define for_each_populated_zone_m(m, z)                                         \
	for (int _nid = 0; _nid < (m)->nr_node_ids; _nid++)                     \
		if ((m)->node_data[_nid])                                       \
			for ((z) = (m)->node_data[_nid]->node_zones;            \
			     (z) < (m)->node_data[_nid]->node_zones + MAX_NR_ZONES; (z)++) \
				if (populated_zone(z))

static unsigned long zone_pcp_count(struct kmm_machine *m, struct zone *z)
{
	unsigned long sum = 0;

	if (!z->per_cpu_pageset)
		return 0;
	for (int c = 0; c < m->nr_cpus; c++)
		if (cpu_populated(&m->percpu, c))	/* the others hold none */
			sum += (unsigned long)__atomic_load_n(&per_cpu_ptr(z->per_cpu_pageset, c)->count,
							      __ATOMIC_RELAXED);
	return sum;
}

static bool node_has_managed_zones(pg_data_t *pgdat, int max_zone_idx)
{
	for (int i = 0; i <= max_zone_idx; i++)
		if (zone_managed_pages(&pgdat->node_zones[i]))
			return true;
	return false;
}

static void show_free_areas(struct kmm_machine *m, int max_zone_idx)
{
	unsigned long free_pcp = 0;
	struct zone *zone;
	struct strbuf sb;

	for_each_populated_zone_m(m, zone)
		if ((int)zone->type <= max_zone_idx)
			free_pcp += zone_pcp_count(m, zone);

	kmm_printk(m, "active_anon:%lu inactive_anon:%lu isolated_anon:%lu\n"
		   " active_file:%lu inactive_file:%lu isolated_file:%lu\n"
		   " unevictable:%lu dirty:%lu writeback:%lu\n"
		   " slab_reclaimable:%lu slab_unreclaimable:%lu\n"
		   " mapped:%lu shmem:%lu pagetables:%lu\n"
		   " sec_pagetables:%lu bounce:%lu\n"
		   " kernel_misc_reclaimable:%lu\n"
		   " free:%lu free_pcp:%lu free_cma:%lu",
		   global_node_page_state(m, NR_ACTIVE_ANON),
		   global_node_page_state(m, NR_INACTIVE_ANON),
		   global_node_page_state(m, NR_ISOLATED_ANON),
		   global_node_page_state(m, NR_ACTIVE_FILE),
		   global_node_page_state(m, NR_INACTIVE_FILE),
		   global_node_page_state(m, NR_ISOLATED_FILE),
		   global_node_page_state(m, NR_UNEVICTABLE),
		   global_node_page_state(m, NR_FILE_DIRTY),
		   global_node_page_state(m, NR_WRITEBACK),
		   global_node_page_state(m, NR_SLAB_RECLAIMABLE_B) >> PAGE_SHIFT,
		   global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B) >> PAGE_SHIFT,
		   global_node_page_state(m, NR_FILE_MAPPED),
		   global_node_page_state(m, NR_SHMEM),
		   global_node_page_state(m, NR_PAGETABLE),
		   global_node_page_state(m, NR_SECONDARY_PAGETABLE),
		   global_zone_page_state(m, NR_BOUNCE),
		   global_node_page_state(m, NR_KERNEL_MISC_RECLAIMABLE),
		   global_zone_page_state(m, NR_FREE_PAGES), free_pcp,
		   global_zone_page_state(m, NR_FREE_CMA_PAGES));

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat || !node_has_managed_zones(pgdat, max_zone_idx))
			continue;
		kmm_printk(m, "Node %d active_anon:%lukB inactive_anon:%lukB active_file:%lukB"
			   " inactive_file:%lukB unevictable:%lukB isolated(anon):%lukB"
			   " isolated(file):%lukB mapped:%lukB dirty:%lukB writeback:%lukB"
			   " shmem:%lukB shmem_thp:%lukB shmem_pmdmapped:%lukB anon_thp:%lukB"
			   " writeback_tmp:%lukB kernel_stack:%lukB pagetables:%lukB"
			   " sec_pagetables:%lukB all_unreclaimable? %s",
			   nid, K(node_page_state(pgdat, NR_ACTIVE_ANON)),
			   K(node_page_state(pgdat, NR_INACTIVE_ANON)),
			   K(node_page_state(pgdat, NR_ACTIVE_FILE)),
			   K(node_page_state(pgdat, NR_INACTIVE_FILE)),
			   K(node_page_state(pgdat, NR_UNEVICTABLE)),
			   K(node_page_state(pgdat, NR_ISOLATED_ANON)),
			   K(node_page_state(pgdat, NR_ISOLATED_FILE)),
			   K(node_page_state(pgdat, NR_FILE_MAPPED)),
			   K(node_page_state(pgdat, NR_FILE_DIRTY)),
			   K(node_page_state(pgdat, NR_WRITEBACK)),
			   K(node_page_state(pgdat, NR_SHMEM)),
			   K(node_page_state(pgdat, NR_SHMEM_THPS)),
			   K(node_page_state(pgdat, NR_SHMEM_PMDMAPPED)),
			   K(node_page_state(pgdat, NR_ANON_THPS)),
			   K(node_page_state(pgdat, NR_WRITEBACK_TEMP)),
			   node_page_state(pgdat, NR_KERNEL_STACK_KB),
			   K(node_page_state(pgdat, NR_PAGETABLE)),
			   K(node_page_state(pgdat, NR_SECONDARY_PAGETABLE)), "no");
	}

	for_each_populated_zone_m(m, zone) {
		if ((int)zone->type > max_zone_idx)
			continue;
		unsigned long local_pcp = zone->per_cpu_pageset
			? (unsigned long)READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, kmm_this_cpu(m))->count) : 0;

		kmm_printk(m, "Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB"
			   " reserved_highatomic:%luKB active_anon:%lukB inactive_anon:%lukB"
			   " active_file:%lukB inactive_file:%lukB unevictable:%lukB"
			   " writepending:%lukB present:%lukB managed:%lukB mlocked:%lukB"
			   " bounce:%lukB free_pcp:%lukB local_pcp:%lukB free_cma:%lukB",
			   zone->node, zone_names[zone->type],
			   K(zone_page_state(zone, NR_FREE_PAGES)), K(READ_ONCE(zone->watermark_boost)),
			   K(min_wmark_pages(zone)), K(low_wmark_pages(zone)),
			   K(high_wmark_pages(zone)), K(zone->nr_reserved_highatomic),
			   K(zone_page_state(zone, NR_ZONE_ACTIVE_ANON)),
			   K(zone_page_state(zone, NR_ZONE_INACTIVE_ANON)),
			   K(zone_page_state(zone, NR_ZONE_ACTIVE_FILE)),
			   K(zone_page_state(zone, NR_ZONE_INACTIVE_FILE)),
			   K(zone_page_state(zone, NR_ZONE_UNEVICTABLE)),
			   K(zone_page_state(zone, NR_ZONE_WRITE_PENDING)),
			   K(zone->present_pages), K(zone_managed_pages(zone)),
			   K(zone_page_state(zone, NR_MLOCK)), K(zone_page_state(zone, NR_BOUNCE)),
			   K(zone_pcp_count(m, zone)), K(local_pcp),
			   K(zone_page_state(zone, NR_FREE_CMA_PAGES)));
		sb_init(&sb);
		/* One entry per zone type of the build (Linux's MAX_NR_ZONES). */
		sb_puts(&sb, "lowmem_reserve[]:");
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (zone_type_configured(m, (enum zone_type)i))
				sb_printf(&sb, " %ld", READ_ONCE(zone->lowmem_reserve[i]));
		kmm_printk(m, "%s", sb.buf ? sb.buf : "");
		sb_free(&sb);
	}

	for_each_populated_zone_m(m, zone) {
		static const char types[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'C', 'I' };
		unsigned long nr[NR_PAGE_ORDERS], total = 0;
		unsigned char present[NR_PAGE_ORDERS];

		if ((int)zone->type > max_zone_idx)
			continue;
		spin_lock(&zone->lock);
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			nr[o] = zone->free_area[o].nr_free;
			total += nr[o] << o;
			present[o] = 0;
			for (int t = 0; t < MIGRATE_TYPES; t++)
				if (!list_empty(&zone->free_area[o].free_list[t]) ||
				    (o == MAX_PAGE_ORDER && t == MIGRATE_MOVABLE &&
				     zone->nr_deferred_blocks))
					present[o] |= (unsigned char)(1u << t);
		}
		spin_unlock(&zone->lock);
		sb_init(&sb);
		sb_printf(&sb, "Node %d %s: ", zone->node, zone_names[zone->type]);
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			sb_printf(&sb, "%lu*%lukB ", nr[o], K(1UL) << o);
			if (nr[o]) {
				char t[MIGRATE_TYPES + 1], *p = t;

				for (int i = 0; i < MIGRATE_TYPES; i++)
					if (present[o] & (1u << i))
						*p++ = types[i];
				*p = '\0';
				sb_printf(&sb, "(%s) ", t);
			}
		}
		sb_printf(&sb, "= %lukB", K(total));
		kmm_printk(m, "%s", sb.buf ? sb.buf : "");
		sb_free(&sb);
	}

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid])
			kmm_printk(m, "Node %d hugepages_total=0 hugepages_free=0 hugepages_surp=0 "
				   "hugepages_size=%lukB", nid,
				   m->opts.arch == KMM_ARCH_I386 ? 4096UL : 2048UL);
	kmm_printk(m, "%ld total pagecache pages", (long)global_node_page_state(m, NR_FILE_PAGES));
	kmm_printk(m, "%lu pages in swap cache", global_node_page_state(m, NR_SWAPCACHE));
	kmm_printk(m, "Free swap  = %ldkB", (long)K(get_nr_swap_pages(m)));
	kmm_printk(m, "Total swap = %lukB", K(total_swap_pages(m)));
}

/**
 * show_mem() - print the Mem-Info block for zones up to @max_zone_idx.
 * @m: the machine.
 * @max_zone_idx: highest zone type shown (MAX_NR_ZONES - 1 for all).
 * Context: takes each zone->lock briefly; must not be called with one held.
 */
void show_mem(struct kmm_machine *m, int max_zone_idx)
{
	unsigned long total = 0, reserved = 0, highmem = 0;
	struct zone *zone;

	kmm_printk(m, "Mem-Info:");
	show_free_areas(m, max_zone_idx);
	for_each_populated_zone_m(m, zone) {
		total += zone->present_pages;
		reserved += zone->present_pages - zone_managed_pages(zone);
		if (zone->type == ZONE_HIGHMEM)
			highmem += zone->present_pages;
	}
	kmm_printk(m, "%lu pages RAM", total);
	kmm_printk(m, "%lu pages HighMem/MovableOnly", highmem);
	kmm_printk(m, "%lu pages reserved", reserved);
	kmm_printk(m, "%lu pages cma reserved", m->totalcma_pages);
	kmm_printk(m, "%lu pages hwpoisoned", 0UL);
}

/* warn_alloc()'s ratelimit: one report per 10 s of virtual time, per machine. */
struct ratelimit_state {
	unsigned long serial;
	uint64_t begin_ns;
	int printed, missed;
};
static struct ratelimit_state nopage_rs[KMM_MAX_MACHINES + 1];
static spinlock_t nopage_rs_lock = SPINLOCK_INIT;

static bool warn_alloc_ratelimit(struct kmm_machine *m)
{
	const uint64_t interval = 10ull * 1000000000ull;
	uint64_t now = kmm_clock_ns(m);
	bool ok;
	int missed = 0;

	spin_lock(&nopage_rs_lock);
	struct ratelimit_state *rs = &nopage_rs[m->slot];

	if (rs->serial != m->serial) {
		rs->serial = m->serial;
		rs->begin_ns = now;
		rs->printed = rs->missed = 0;
	}
	if (now - rs->begin_ns >= interval) {
		missed = rs->missed;
		rs->begin_ns = now;
		rs->printed = rs->missed = 0;
	}
	ok = rs->printed < 1;
	if (ok)
		rs->printed++;
	else
		rs->missed++;
	spin_unlock(&nopage_rs_lock);
	if (missed)
		kmm_printk(m, "warn_alloc: %d callbacks suppressed", missed);
	return ok;
}

/**
 * warn_alloc_reset_ratelimit() - let the next failure report print now
 * (tests, and the scenario runner between steps).
 * @m: the machine.
 */
void warn_alloc_reset_ratelimit(struct kmm_machine *m)
{
	spin_lock(&nopage_rs_lock);
	nopage_rs[m->slot].serial = 0;
	spin_unlock(&nopage_rs_lock);
}

void warn_alloc(struct kmm_machine *m, gfp_t gfp, unsigned int order)
{
	char flags[256];
	bool has_dma = false;

	if (gfp & __GFP_NOWARN)
		return;
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid] && zone_managed_pages(&m->node_data[nid]->node_zones[ZONE_DMA]))
			has_dma = true;
	if ((gfp & __GFP_DMA) && !has_dma)
		return;
	if (!warn_alloc_ratelimit(m))
		return;
	kmm_gfp_format(flags, sizeof(flags), gfp);
	kmm_printk(m, "%s: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null),"
		   "cpuset=/,mems_allowed=%s%d", kmm_comm(m), order, gfp, flags,
		   m->nr_node_ids > 1 ? "0-" : "", m->nr_node_ids > 1 ? m->nr_node_ids - 1 : 0);
	kmm_printk(m, "CPU: %d UID: 0 PID: 0 Comm: %s Not tainted 6.12.0-kmm #1",
		   kmm_this_cpu(m), kmm_comm(m));
	kmm_printk(m, "Call Trace:\n <TASK>\n warn_alloc\n __alloc_pages_slowpath\n"
		   " __alloc_pages\n kmm_alloc_pages\n </TASK>");
	show_mem(m, gfp_zone_m(m, gfp));
}
