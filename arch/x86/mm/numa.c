// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/numa.c - nodes: one node, or numa=fake=N equal ones, and the
 * node data of each.
 *
 * Linux counterpart: arch/x86/mm/numa.c (numa_init, dummy_numa_init,
 * alloc_node_data), arch/x86/mm/numa_emulation.c (split_nodes_equally).
 * Kept: the dmesg lines ("No NUMA configuration found", "Faking a node",
 * "Faking node N at", "NODE_DATA(N) allocated"). Simplified: no ACPI/SRAT;
 * numa=fake=N splits RAM into N equal parts on 32 MiB boundaries (Linux also
 * hands out leftover 32 MiB chunks one per node).
 *
 * Locking: boot runs on one thread on an unpublished machine (init/main.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "arch/x86/include/asm/layout.h"
#include "mm/include/memblock.h"
#include "mm/include/boot.h"

int setup_nodes(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int nr = m->opts.numa_fake > 1 ? m->opts.numa_fake : 1;
	uint64_t max_addr = PFN_PHYS(m->max_pfn), start = 0, size;

	if (!kmm_arch_is_32(m)) {
		kmm_printk(m, "No NUMA configuration found");
		kmm_printk(m, "Faking a node at [mem 0x%016llx-0x%016llx]", 0ULL,
			   (unsigned long long)max_addr - 1);
	}
	m->nr_node_ids = nr;
	if (nr == 1) {
		b->node_start[0] = 0;
		b->node_end[0] = m->max_pfn;
		return memblock_set_node(m, 0, max_addr, 0) ? -ENOSPC : 0;
	}
	/*
	 * split_nodes_equally(): each node gets the same amount of RAM (holes
	 * do not count), rounded down to FAKE_NODE_MIN_SIZE; a node ends on a
	 * 32 MiB boundary; the last node takes the rest.
	 */
	size = ALIGN_DOWN(m->memblock.memory.total_size / (uint64_t)nr, FAKE_NODE_MIN_SIZE);
	for (int nid = 0; nid < nr; nid++) {
		uint64_t end = start + size;

		if (nid == nr - 1) {
			end = max_addr;
		} else {
			while (end < max_addr && memblock_overlap(&m->memblock.memory, start, end) < size)
				end += FAKE_NODE_MIN_SIZE;
			end = KMM_MIN(end, max_addr);
		}
		if (memblock_set_node(m, start, end - start, nid))
			return kmm_set_error(-ENOSPC, "numa=fake: out of memblock region slots");
		kmm_printk(m, "Faking node %d at [mem 0x%016llx-0x%016llx] (%lluMB)", nid,
			   (unsigned long long)start, (unsigned long long)end - 1,
			   (unsigned long long)((end - start) >> 20));
		b->node_start[nid] = (unsigned long)PFN_DOWN(start);
		b->node_end[nid] = (unsigned long)PFN_DOWN(end);
		start = end;
	}
	return 0;
}

int alloc_node_data(struct boot *b)
{
	struct kmm_machine *m = b->m;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		m->node_data[nid] = calloc(1, sizeof(pg_data_t));
		if (!m->node_data[nid])
			return kmm_set_error(-ENOMEM, "boot: out of host memory for node data");
		m->node_data[nid]->node_id = nid;
		if (kmm_arch_is_32(m))
			continue;	/* i386 uses the static contig_page_data */
		/* x86_64 alloc_node_data(): a pg_data_t in the node's own memory. */
		uint64_t nd_size = 0x2b000, pa;

		pa = memblock_alloc_try_nid(m, nd_size, PAGE_SIZE, 0, nid, "NODE_DATA");
		if (!pa)
			return boot_no_room(m, "NODE_DATA");
		kmm_printk(m, "NODE_DATA(%d) allocated [mem 0x%08llx-0x%08llx]", nid,
			   (unsigned long long)pa, (unsigned long long)(pa + nd_size - 1));
	}
	return 0;
}
