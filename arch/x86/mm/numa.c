// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/numa.c - nodes: one node, or numa=fake=N equal ones, and the
 * node data of each.
 *
 * Linux counterpart: arch/x86/mm/numa.c (numa_init, dummy_numa_init,
 * numa_alloc_distance, alloc_node_data), arch/x86/mm/numa_emulation.c
 * (split_nodes_interleave, which 6.12's numa=fake=N uses). Kept: the dmesg
 * lines ("No NUMA configuration found", "Faking a node", "Faking node N at",
 * "NUMA: Initialized distance table", "NODE_DATA(N) allocated"); the node
 * boundaries of split_nodes_interleave, its 32 MiB leftover chunks and its
 * DMA32 rule. Simplified: no ACPI/SRAT (one physical node).
 *
 * Locking: boot runs on one thread on an unpublished machine (init/main.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "arch/x86/include/asm/layout.h"
#include "mm/include/memblock.h"
#include "mm/include/boot.h"

/* mem_hole_size(): the bytes of [start, end) that are not in memblock.memory. */
static uint64_t mem_hole_size(const struct kmm_machine *m, uint64_t start, uint64_t end)
{
	start = ALIGN_DOWN(start, (uint64_t)PAGE_SIZE);
	end = ALIGN_DOWN(end, (uint64_t)PAGE_SIZE);
	if (end <= start)
		return 0;
	return (end - start) - memblock_overlap(&m->memblock.memory, start, end);
}

struct emu_blk {
	uint64_t start, end;
	int nid;
};

/*
 * split_nodes_interleave() (numa_emulation.c): numa=fake=N on one physical
 * node [phys_start, max_addr). Every fake node gets the same share of RAM
 * (holes do not count), rounded down to FAKE_NODE_MIN_SIZE; the 32 MiB
 * chunks that rounding leaves over go one each to the first nodes ("big"
 * nodes). A node grows by 32 MiB steps until it holds its share of RAM; it
 * extends to 4 GiB when less than 32 MiB of DMA32 RAM would be left after it,
 * and to the end of RAM when less than a share would be left. RAM left over
 * after N nodes starts again at node 0. Return: blocks written, or -1 when a
 * share is below 32 MiB.
 */
static int split_nodes_interleave(const struct kmm_machine *m, uint64_t phys_start,
				  uint64_t max_addr, int nr_nodes, struct emu_blk *out, int max_out)
{
	uint64_t dma32_end = PFN_PHYS(MAX_DMA32_PFN), start = phys_start;
	uint64_t size = max_addr - mem_hole_size(m, 0, max_addr);
	int big, nid = 0, n = 0;

	size = PFN_PHYS((unsigned long)(size >> PAGE_SHIFT) / (unsigned long)nr_nodes);
	big = (int)(((size & (FAKE_NODE_MIN_SIZE - 1)) * (uint64_t)nr_nodes) / FAKE_NODE_MIN_SIZE);
	size &= ~(FAKE_NODE_MIN_SIZE - 1);
	if (!size)
		return -1;
	while (start < max_addr && n < max_out) {
		uint64_t limit = max_addr, end = start + size;

		if (nid < big)
			end += FAKE_NODE_MIN_SIZE;
		while (end - start - mem_hole_size(m, start, end) < size) {
			end += FAKE_NODE_MIN_SIZE;
			if (end > limit) {
				end = limit;
				break;
			}
		}
		if (end < dma32_end && dma32_end - end - mem_hole_size(m, end, dma32_end) <
					       FAKE_NODE_MIN_SIZE)
			end = dma32_end;
		if (limit - KMM_MIN(end, limit) - mem_hole_size(m, KMM_MIN(end, limit), limit) < size)
			end = limit;
		end = KMM_MIN(end, limit);
		out[n++] = (struct emu_blk){ start, end, nid++ % nr_nodes };
		start = end;
	}
	return n;
}

/*
 * numa_init() with dummy_numa_init() and, for numa=fake=N, numa_emulation():
 * one physical node spanning memblock's RAM, split into N fake nodes, and
 * their distance table (one page from memblock, top-down).
 */
static int setup_fake_nodes(struct boot *b, int nr, uint64_t max_addr);

int setup_nodes(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int nr = m->opts.numa_fake > 1 ? m->opts.numa_fake : 1;
	uint64_t max_addr = PFN_PHYS(m->max_pfn);

	if (m->kconfig->numa) {
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
	return setup_fake_nodes(b, nr, max_addr);
}

/*
 * numa=fake=N: the blocks (3 KB of them) in a frame of their own, not in
 * setup_nodes()'s, below which every boot's memblock calls ran: one node is
 * the malloc shim's machine, whose boot's stack pages stay in every process.
 */
static __attribute__((noinline)) int setup_fake_nodes(struct boot *b, int nr, uint64_t max_addr)
{
	struct kmm_machine *m = b->m;
	struct emu_blk blk[2 * MAX_NUMNODES];
	int nblk;

	/* numa_cleanup_meminfo(): the physical node starts where memblock's RAM does. */
	nblk = split_nodes_interleave(m, m->memblock.memory.regions[0].base, max_addr, nr, blk,
				      (int)ARRAY_SIZE(blk));
	if (nblk < 0) {
		/* numa_emulation() falls back to the physical layout: one node. */
		kmm_printk(m, "Not enough memory for each node.  NUMA emulation disabled.");
		m->nr_node_ids = 1;
		b->node_start[0] = 0;
		b->node_end[0] = m->max_pfn;
		return memblock_set_node(m, 0, max_addr, 0) ? -ENOSPC : 0;
	}
	for (int nid = 0; nid < nr; nid++)
		b->node_start[nid] = b->node_end[nid] = 0;
	for (int i = 0; i < nblk; i++) {
		const struct emu_blk *e = &blk[i];
		unsigned long s = (unsigned long)PFN_DOWN(e->start), x = (unsigned long)PFN_DOWN(e->end);

		if (memblock_set_node(m, e->start, e->end - e->start, e->nid))
			return kmm_set_error(-ENOSPC, "numa=fake: out of memblock region slots");
		kmm_printk(m, "Faking node %d at [mem 0x%016llx-0x%016llx] (%lluMB)", e->nid,
			   (unsigned long long)e->start, (unsigned long long)e->end - 1,
			   (unsigned long long)((e->end - e->start) >> 20));
		if (b->node_end[e->nid] == b->node_start[e->nid]) {
			b->node_start[e->nid] = s;
			b->node_end[e->nid] = x;
		} else {
			b->node_start[e->nid] = KMM_MIN(b->node_start[e->nid], s);
			b->node_end[e->nid] = KMM_MAX(b->node_end[e->nid], x);
		}
	}
	/* numa_alloc_distance(): nr x nr bytes, a page, below the mapped RAM. */
	if (!memblock_alloc_range(m, (uint64_t)nr * (uint64_t)nr, PAGE_SIZE, 0, -1,
				  "numa_distance"))
		return boot_no_room(m, "the NUMA distance table");
	kmm_printk(m, "NUMA: Initialized distance table, cnt=%d", nr);
	return 0;
}

int alloc_node_data(struct boot *b)
{
	struct kmm_machine *m = b->m;

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		m->node_data[nid] = pgdat_alloc(m->nr_node_ids);
		if (!m->node_data[nid])
			return kmm_set_error(-ENOMEM, "boot: out of host memory for node data");
		m->node_data[nid]->node_id = nid;
		if (kmm_arch_is_32(m))
			continue;	/* i386 uses the static contig_page_data */
		/*
		 * x86_64 alloc_node_data(): a pg_data_t in the node's own memory,
		 * cache-line aligned (memblock here hands out whole pages, so it
		 * ends where a page does and starts inside the first one).
		 */
		uint64_t nd_size = m->kconfig->node_data_size, pa, end;

		pa = memblock_alloc_try_nid(m, nd_size, PAGE_SIZE, 0, nid, "NODE_DATA");
		if (!pa)
			return boot_no_room(m, "NODE_DATA");
		end = pa + ALIGN_UP(nd_size, (uint64_t)PAGE_SIZE);
		kmm_printk(m, "NODE_DATA(%d) allocated [mem 0x%08llx-0x%08llx]", nid,
			   (unsigned long long)ALIGN_DOWN(end - nd_size, 64ULL),
			   (unsigned long long)(end - 1));
	}
	return 0;
}
