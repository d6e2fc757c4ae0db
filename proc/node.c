// SPDX-License-Identifier: MIT
/*
 * proc/node.c - the per-node files under /sys/devices/system/node/:
 * online, has_memory, and nodeN/meminfo, nodeN/numastat, nodeN/vmstat.
 *
 * Linux counterpart: drivers/base/node.c (6.12): node_read_meminfo,
 * node_read_numastat, node_read_vmstat, and the node_states masks printed
 * as CPU/node lists ("0-1"). Kept: every line's format ("Node %d <Name>:
 * %8lu kB" with the same padding as /proc/meminfo; numastat's older names
 * interleave_hit/local_node/other_node); vmstat's order (zone counters summed
 * over the node's zones, numa events, node counters). Simplified: only the
 * fields of this kmm config (HIGHMEM on i386, THP, unaccepted memory on
 * x86-64), the hugetlb lines 0 until that layer lands.
 *
 * Locking: none; counters are atomics read racily, as Linux reads them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/vmstat.h"
#include "mm/include/machine.h"
#include "proc/proc.h"

static pg_data_t *node_with_id(struct kmm_machine *m, int nid)
{
	return nid >= 0 && nid < m->nr_node_ids ? m->node_data[nid] : NULL;
}

static unsigned long node_zone_sum(pg_data_t *pgdat, enum zone_stat_item item)
{
	unsigned long sum = 0;

	for (int t = 0; t < MAX_NR_ZONES; t++)
		sum += zone_page_state(&pgdat->node_zones[t], item);
	return sum;
}

static unsigned long node_numa_sum(pg_data_t *pgdat, int item)
{
	long sum = 0;

	for (int t = 0; t < MAX_NR_ZONES; t++)
		sum += (long)zone_numa_event_state(&pgdat->node_zones[t], (enum numa_stat_item)item);
	return sum < 0 ? 0 : (unsigned long)sum;
}

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

static void node_val_kb(struct strbuf *sb, int nid, const char *label, unsigned long pages)
{
	sb_printf(sb, "Node %d %-16s%8lu kB\n", nid, label, K(pages));
}

static void node_meminfo(struct kmm_machine *m, pg_data_t *pgdat, struct strbuf *sb)
{
	int nid = pgdat->node_id;
	unsigned long total = 0, free = node_zone_sum(pgdat, NR_FREE_PAGES);
	unsigned long high = 0, highfree = 0;
	unsigned long srecl = node_page_state_pages(pgdat, NR_SLAB_RECLAIMABLE_B);
	unsigned long sunrecl = node_page_state_pages(pgdat, NR_SLAB_UNRECLAIMABLE_B);

	for (int t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = &pgdat->node_zones[t];

		total += zone_managed_pages(z);
		if (kmm_arch_is_32(m) && t >= ZONE_HIGHMEM && populated_zone(z) &&
		    READ_ONCE(z->zone_start_pfn) >= READ_ONCE(m->max_low_pfn)) {
			high += zone_managed_pages(z);
			highfree += zone_page_state(z, NR_FREE_PAGES);
		}
	}
	node_val_kb(sb, nid, "MemTotal:", total);
	node_val_kb(sb, nid, "MemFree:", free);
	node_val_kb(sb, nid, "MemUsed:", total - KMM_MIN(total, free));
	node_val_kb(sb, nid, "SwapCached:", node_page_state(pgdat, NR_SWAPCACHE));
	node_val_kb(sb, nid, "Active:", node_page_state(pgdat, NR_ACTIVE_ANON) +
					       node_page_state(pgdat, NR_ACTIVE_FILE));
	node_val_kb(sb, nid, "Inactive:", node_page_state(pgdat, NR_INACTIVE_ANON) +
						 node_page_state(pgdat, NR_INACTIVE_FILE));
	node_val_kb(sb, nid, "Active(anon):", node_page_state(pgdat, NR_ACTIVE_ANON));
	node_val_kb(sb, nid, "Inactive(anon):", node_page_state(pgdat, NR_INACTIVE_ANON));
	node_val_kb(sb, nid, "Active(file):", node_page_state(pgdat, NR_ACTIVE_FILE));
	node_val_kb(sb, nid, "Inactive(file):", node_page_state(pgdat, NR_INACTIVE_FILE));
	node_val_kb(sb, nid, "Unevictable:", node_page_state(pgdat, NR_UNEVICTABLE));
	node_val_kb(sb, nid, "Mlocked:", node_zone_sum(pgdat, NR_MLOCK));
	if (kmm_arch_is_32(m)) {	/* CONFIG_HIGHMEM */
		node_val_kb(sb, nid, "HighTotal:", high);
		node_val_kb(sb, nid, "HighFree:", highfree);
		node_val_kb(sb, nid, "LowTotal:", total - high);
		node_val_kb(sb, nid, "LowFree:", free - KMM_MIN(free, highfree));
	}
	node_val_kb(sb, nid, "Dirty:", node_page_state(pgdat, NR_FILE_DIRTY));
	node_val_kb(sb, nid, "Writeback:", node_page_state(pgdat, NR_WRITEBACK));
	node_val_kb(sb, nid, "FilePages:", node_page_state(pgdat, NR_FILE_PAGES));
	node_val_kb(sb, nid, "Mapped:", node_page_state(pgdat, NR_FILE_MAPPED));
	node_val_kb(sb, nid, "AnonPages:", node_page_state(pgdat, NR_ANON_MAPPED));
	node_val_kb(sb, nid, "Shmem:", node_page_state(pgdat, NR_SHMEM));
	sb_printf(sb, "Node %d KernelStack:    %8lu kB\n", nid,
		  node_page_state(pgdat, NR_KERNEL_STACK_KB));
	node_val_kb(sb, nid, "PageTables:", node_page_state(pgdat, NR_PAGETABLE));
	node_val_kb(sb, nid, "SecPageTables:", node_page_state(pgdat, NR_SECONDARY_PAGETABLE));
	node_val_kb(sb, nid, "NFS_Unstable:", 0);
	node_val_kb(sb, nid, "Bounce:", node_zone_sum(pgdat, NR_BOUNCE));
	node_val_kb(sb, nid, "WritebackTmp:", node_page_state(pgdat, NR_WRITEBACK_TEMP));
	node_val_kb(sb, nid, "KReclaimable:",
		    srecl + node_page_state(pgdat, NR_KERNEL_MISC_RECLAIMABLE));
	node_val_kb(sb, nid, "Slab:", srecl + sunrecl);
	node_val_kb(sb, nid, "SReclaimable:", srecl);
	node_val_kb(sb, nid, "SUnreclaim:", sunrecl);
	node_val_kb(sb, nid, "AnonHugePages:", node_page_state(pgdat, NR_ANON_THPS));
	node_val_kb(sb, nid, "ShmemHugePages:", node_page_state(pgdat, NR_SHMEM_THPS));
	node_val_kb(sb, nid, "ShmemPmdMapped:",
		    node_page_state(pgdat, NR_SHMEM_PMDMAPPED));
	node_val_kb(sb, nid, "FileHugePages:", node_page_state(pgdat, NR_FILE_THPS));
	node_val_kb(sb, nid, "FilePmdMapped:",
		    node_page_state(pgdat, NR_FILE_PMDMAPPED));
	if (!kmm_arch_is_32(m))	/* CONFIG_UNACCEPTED_MEMORY */
		node_val_kb(sb, nid, "Unaccepted:", node_zone_sum(pgdat, NR_UNACCEPTED));
	sb_printf(sb, "Node %d HugePages_Total: %5u\n", nid, 0u);
	sb_printf(sb, "Node %d HugePages_Free:  %5u\n", nid, 0u);
	sb_printf(sb, "Node %d HugePages_Surp:  %5u\n", nid, 0u);
}

static void node_numastat(pg_data_t *pgdat, struct strbuf *sb)
{
	sb_printf(sb,
		  "numa_hit %lu\n"
		  "numa_miss %lu\n"
		  "numa_foreign %lu\n"
		  "interleave_hit %lu\n"
		  "local_node %lu\n"
		  "other_node %lu\n",
		  node_numa_sum(pgdat, NUMA_HIT), node_numa_sum(pgdat, NUMA_MISS),
		  node_numa_sum(pgdat, NUMA_FOREIGN), node_numa_sum(pgdat, NUMA_INTERLEAVE_HIT),
		  node_numa_sum(pgdat, NUMA_LOCAL), node_numa_sum(pgdat, NUMA_OTHER));
}

static void node_vmstat(struct kmm_machine *m, pg_data_t *pgdat, struct strbuf *sb)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
		if (i == NR_UNACCEPTED && kmm_arch_is_32(m))
			continue;
		sb_printf(sb, "%s %lu\n", zone_stat_names[i],
			  node_zone_sum(pgdat, (enum zone_stat_item)i));
	}
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		sb_printf(sb, "%s %lu\n", numa_stat_names[i], node_numa_sum(pgdat, i));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
		unsigned long v = node_page_state_pages(pgdat, (enum node_stat_item)i);

		if (i == NR_ANON_THPS || i == NR_FILE_THPS || i == NR_SHMEM_THPS ||
		    i == NR_SHMEM_PMDMAPPED || i == NR_FILE_PMDMAPPED)
			v /= hpage_pmd_nr(m);
		sb_printf(sb, "%s %lu\n", node_stat_names[i], v);
	}
}

/* A node mask as Linux prints it: "0", "0-1", "0,2-3". */
static void print_node_list(struct kmm_machine *m, struct strbuf *sb, bool need_memory)
{
	bool first = true;

	for (int n = 0; n < m->nr_node_ids; n++) {
		int end = n;
		bool ok = m->node_data[n] &&
			  (!need_memory || READ_ONCE(m->node_data[n]->node_present_pages));

		if (!ok)
			continue;
		while (end + 1 < m->nr_node_ids && m->node_data[end + 1] &&
		       (!need_memory || READ_ONCE(m->node_data[end + 1]->node_present_pages)))
			end++;
		sb_printf(sb, end > n ? "%s%d-%d" : "%s%d", first ? "" : ",", n, end);
		first = false;
		n = end;
	}
	sb_puts(sb, "\n");
}

static const char *const node_files[] = { "meminfo", "numastat", "vmstat" };

int node_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb)
{
	char file[16], extra;
	int nid;

	if (!strcmp(rest, "online") || !strcmp(rest, "possible")) {
		print_node_list(m, sb, false);
		return 0;
	}
	if (!strcmp(rest, "has_memory") || !strcmp(rest, "has_normal_memory")) {
		print_node_list(m, sb, true);
		return 0;
	}
	if (sscanf(rest, "node%d/%15[a-z]%c", &nid, file, &extra) != 2 || !node_with_id(m, nid))
		return -ENOENT;
	/* "node01" or "node+1" are not node directories. */
	char canonical[32];

	snprintf(canonical, sizeof(canonical), "node%d/%s", nid, file);
	if (strcmp(canonical, rest))
		return -ENOENT;
	if (!strcmp(file, "meminfo"))
		node_meminfo(m, node_with_id(m, nid), sb);
	else if (!strcmp(file, "numastat"))
		node_numastat(node_with_id(m, nid), sb);
	else if (!strcmp(file, "vmstat"))
		node_vmstat(m, node_with_id(m, nid), sb);
	else
		return -ENOENT;
	return 0;
}

int node_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg)
{
	static const char *const top[] = { "has_memory", "has_normal_memory", "online",
					   "possible" };
	char path[96];
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(top) && !err; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s", top[i]);
		err = fn(path, 0444, arg);
	}
	for (int n = 0; n < m->nr_node_ids && !err; n++) {
		if (!m->node_data[n])
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(node_files) && !err; i++) {
			snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/%s", n,
				 node_files[i]);
			err = fn(path, 0444, arg);
		}
	}
	return err;
}
