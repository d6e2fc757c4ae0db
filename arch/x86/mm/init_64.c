// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/init_64.c - x86_64's direct map as Linux 6.12 builds and
 * counts it: meminfo's DirectMap4k/2M/1G.
 *
 * Linux counterpart: arch/x86/mm/init.c (init_mem_mapping,
 * memory_map_top_down, init_range_memory_mapping, init_memory_mapping,
 * split_mem_range, adjust_range_page_size_mask), arch/x86/mm/init_64.c
 * (kernel_physical_mapping_init, phys_pud_init, phys_pmd_init, phys_pte_init)
 * and arch/x86/mm/pat/set_memory.c (update_page_count, split_page_count,
 * __should_split_large_page, cpa_process_alias), 6.12. kmm's direct map is one
 * host mapping; what Linux's page tables would be is modelled here, as a
 * sparse table of PUD, PMD and PTE entries, only to count them as Linux does.
 *
 * The counting, as Linux does it:
 *  - Every entry the mapping code writes counts one at its level. Before
 *    the page allocator is up (!after_bootmem), an entry it finds already
 *    there and keeps counts again: a 1G page that three calls walk counts
 *    three times. So the totals can exceed RAM (4 GiB on a 4G board with
 *    1 GiB above 4G: DirectMap1G 4 GiB before any split).
 *  - init_mem_mapping() maps the ISA MiB in 4k pages, then memblock's
 *    memory top-down from the top of a free 2 MiB block in growing steps
 *    (2 MiB, then 512 MiB, then 128 GiB), one init_memory_mapping() call
 *    per memory region in each step; each call splits its range into a 4k
 *    head, 2M and 1G middles and a 4k tail, and lets a range use 2M/1G pages
 *    where the whole aligned page is inside one memory region.
 *  - A change of protection that covers only part of a large page splits
 *    it (split_page_count: one fewer at its level, 512 more below), for an
 *    address of the direct map and also of the kernel's own high mapping
 *    (its addresses are virt_addr_valid), whose 2M pages were never counted.
 *    The kernel image's protections at the end of boot do that (below).
 *
 * Not modelled (docs/fidelity.md, "DirectMap on x86_64"): protections set
 * at run time on memory the page allocator handed out (Debian's build JITs
 * the PTP classifier's BPF program at boot into a 2 MiB-per-node program
 * pack and makes it read-only and executable, splitting the direct map's
 * pages that hold it), since which large pages those are depends on where
 * Linux's allocator placed hundreds of pages at that moment.
 *
 * Locking: none; runs once at boot, before the machine is published.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/include/boot.h"
#include "mm/include/machine.h"

#define PMD_BYTES (2ULL << 20)
#define PUD_BYTES (1ULL << 30)
#define PTRS 512
#define ISA_END_ADDRESS 0x100000ULL

enum { DM_NONE, DM_LEAF, DM_TABLE };
/* Protection bits the model follows: what decides whether a change splits a page. */
enum { PROT_RO = 1, PROT_NX = 2 };
/* Page sizes a range may use (Linux's page_size_mask bits). */
enum { USE_2M = 1, USE_1G = 2 };

struct pmd_table {
	uint8_t type[PTRS];
	uint8_t prot[PTRS];		/* a leaf's protections */
	uint64_t *ptes[PTRS];		/* a table's present PTEs, one bit each */
};

struct direct_map {
	const struct memblock_type *mem;	/* memblock.memory when init_mem_mapping runs */
	unsigned long nr_pud;
	uint8_t *pud_type, *pud_prot;
	struct pmd_table **pmd;
	unsigned long count[PG_LEVEL_NUM];	/* Linux's direct_pages_count[] */
	int err;
};

/* ---- The page-table walk (kernel_physical_mapping_init) ---- */

static uint64_t *new_pte_table(struct direct_map *dm)
{
	uint64_t *t = calloc(PTRS / 64, sizeof(uint64_t));

	if (!t)
		dm->err = -ENOMEM;
	return t;
}

/* phys_pte_init(): every PTE in [paddr, end) of this table counts, new or kept. */
static void pte_init(struct direct_map *dm, uint64_t *bits, uint64_t paddr, uint64_t end)
{
	for (unsigned int i = (unsigned int)(paddr >> PAGE_SHIFT) % PTRS; i < PTRS;
	     i++, paddr = ALIGN_DOWN(paddr, (uint64_t)PAGE_SIZE) + PAGE_SIZE) {
		if (paddr >= end)
			break;
		bits[i / 64] |= 1ULL << (i % 64);
		dm->count[PG_LEVEL_4K]++;
	}
}

/* phys_pmd_init() inside one GiB. */
static void pmd_init(struct direct_map *dm, struct pmd_table *t, uint64_t paddr, uint64_t end,
		     unsigned int use)
{
	for (unsigned int i = (unsigned int)(paddr >> 21) % PTRS; i < PTRS && !dm->err; i++) {
		uint64_t next = ALIGN_DOWN(paddr, PMD_BYTES) + PMD_BYTES;

		if (paddr >= end)
			break;
		if (t->type[i] == DM_TABLE) {
			pte_init(dm, t->ptes[i], paddr, end);
		} else if (t->type[i] == DM_LEAF && (use & USE_2M)) {
			dm->count[PG_LEVEL_2M]++;	/* kept, counted again */
		} else if (use & USE_2M) {
			t->type[i] = DM_LEAF;
			t->prot[i] = PROT_NX;
			dm->count[PG_LEVEL_2M]++;
		} else {
			/* none, or a 2M page that this range may not use: a PTE table */
			t->ptes[i] = new_pte_table(dm);
			if (!t->ptes[i])
				return;
			t->type[i] = DM_TABLE;
			pte_init(dm, t->ptes[i], paddr, end);
		}
		paddr = next;
	}
}

static struct pmd_table *new_pmd_table(struct direct_map *dm)
{
	struct pmd_table *t = calloc(1, sizeof(*t));

	if (!t)
		dm->err = -ENOMEM;
	return t;
}

/* phys_pud_init() (and the PGD/P4D walk above it) over [paddr, end). */
static void physical_mapping_init(struct direct_map *dm, uint64_t paddr, uint64_t end,
				  unsigned int use)
{
	while (paddr < end && !dm->err) {
		unsigned long i = (unsigned long)(paddr >> 30);
		uint64_t next = ALIGN_DOWN(paddr, PUD_BYTES) + PUD_BYTES;

		if (i >= dm->nr_pud)
			break;
		if (dm->pud_type[i] == DM_TABLE) {
			pmd_init(dm, dm->pmd[i], paddr, end, use);
		} else if (dm->pud_type[i] == DM_LEAF && (use & USE_1G)) {
			dm->count[PG_LEVEL_1G]++;	/* kept, counted again */
		} else if (use & USE_1G) {
			dm->pud_type[i] = DM_LEAF;
			dm->pud_prot[i] = PROT_NX;
			dm->count[PG_LEVEL_1G]++;
		} else {
			dm->pmd[i] = new_pmd_table(dm);
			if (!dm->pmd[i])
				return;
			dm->pud_type[i] = DM_TABLE;
			pmd_init(dm, dm->pmd[i], paddr, end, use);
		}
		paddr = next;
	}
}

/* ---- init_memory_mapping() ---- */

struct map_range {
	uint64_t start, end;
	unsigned int use;
};

/* memblock_is_region_memory(): one memory region holds all of [base, end). */
static bool region_is_memory(const struct memblock_type *mem, uint64_t base, uint64_t end)
{
	for (int i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];

		if (base >= r->base && base < r->base + r->size)
			return end <= r->base + r->size;
	}
	return false;
}

static int save_range(struct map_range *mr, int nr, uint64_t spfn, uint64_t epfn, unsigned int use)
{
	if (spfn < epfn)
		mr[nr++] = (struct map_range){ PFN_PHYS(spfn), PFN_PHYS(epfn), use };
	return nr;
}

/* split_mem_range() with adjust_range_page_size_mask() and the merge, on x86_64. */
static int split_mem_range(const struct memblock_type *mem, struct map_range *mr,
			   uint64_t start, uint64_t end)
{
	const uint64_t pmd_pfns = PMD_BYTES >> PAGE_SHIFT, pud_pfns = PUD_BYTES >> PAGE_SHIFT;
	uint64_t limit = end >> PAGE_SHIFT, pfn = start >> PAGE_SHIFT, s, e;
	int nr = 0;

	e = KMM_MIN(ALIGN_UP(pfn, pmd_pfns), limit);	/* head, up to a 2M boundary */
	if (pfn < e) {
		nr = save_range(mr, nr, pfn, e, 0);
		pfn = e;
	}
	s = ALIGN_UP(pfn, pmd_pfns);			/* 2M pages up to a 1G boundary */
	e = KMM_MIN(ALIGN_UP(pfn, pud_pfns), ALIGN_DOWN(limit, pmd_pfns));
	if (s < e) {
		nr = save_range(mr, nr, s, e, USE_2M);
		pfn = e;
	}
	s = ALIGN_UP(pfn, pud_pfns);			/* 1G pages */
	e = ALIGN_DOWN(limit, pud_pfns);
	if (s < e) {
		nr = save_range(mr, nr, s, e, USE_2M | USE_1G);
		pfn = e;
	}
	s = ALIGN_UP(pfn, pmd_pfns);			/* 2M pages after the last 1G */
	e = ALIGN_DOWN(limit, pmd_pfns);
	if (s < e) {
		nr = save_range(mr, nr, s, e, USE_2M);
		pfn = e;
	}
	nr = save_range(mr, nr, pfn, limit, 0);		/* the 4k tail */

	/* A range may use a larger page when memory holds the whole aligned page. */
	for (int i = 0; i < nr; i++) {
		if (!(mr[i].use & USE_2M) &&
		    region_is_memory(mem, ALIGN_DOWN(mr[i].start, PMD_BYTES), ALIGN_UP(mr[i].end, PMD_BYTES)))
			mr[i].use |= USE_2M;
		if (!(mr[i].use & USE_1G) &&
		    region_is_memory(mem, ALIGN_DOWN(mr[i].start, PUD_BYTES), ALIGN_UP(mr[i].end, PUD_BYTES)))
			mr[i].use |= USE_1G;
	}
	/* Neighbours that now use the same sizes become one range. */
	for (int i = 0; nr > 1 && i < nr - 1; i++) {
		if (mr[i].end != mr[i + 1].start || mr[i].use != mr[i + 1].use)
			continue;
		mr[i].end = mr[i + 1].end;
		for (int j = i + 1; j < nr - 1; j++)
			mr[j] = mr[j + 1];
		nr--;
		i--;
	}
	return nr;
}

static void init_memory_mapping(struct direct_map *dm, uint64_t start, uint64_t end)
{
	struct map_range mr[5];
	int nr = split_mem_range(dm->mem, mr, start, end);

	for (int i = 0; i < nr; i++)
		physical_mapping_init(dm, mr[i].start, mr[i].end, mr[i].use);
}

/* init_range_memory_mapping(): each memory region's part of [r_start, r_end). */
static uint64_t init_range_memory_mapping(struct direct_map *dm, uint64_t r_start, uint64_t r_end)
{
	uint64_t mapped = 0;

	for (int i = 0; i < dm->mem->cnt; i++) {
		const struct memblock_region *r = &dm->mem->regions[i];
		uint64_t s = ALIGN_UP(r->base, (uint64_t)PAGE_SIZE);
		uint64_t e = ALIGN_DOWN(r->base + r->size, (uint64_t)PAGE_SIZE);

		s = KMM_MIN(KMM_MAX(s, r_start), r_end);
		e = KMM_MIN(KMM_MAX(e, r_start), r_end);
		if (s >= e)
			continue;
		init_memory_mapping(dm, s, e);
		mapped += e - s;
	}
	return mapped;
}

/* memory_map_top_down(): from the top of a free 2M block down, in growing steps. */
static void memory_map_top_down(struct kmm_machine *m, struct direct_map *dm, uint64_t map_start,
				uint64_t map_end)
{
	uint64_t addr = memblock_alloc_range(m, PMD_BYTES, PMD_BYTES, map_end, -1, "init_mem_mapping");
	uint64_t real_end = map_end, last_start, step = PMD_BYTES, mapped = 0;

	if (addr) {
		memblock_phys_free(m, addr, PMD_BYTES);
		real_end = addr + PMD_BYTES;
	}
	last_start = real_end;
	while (last_start > map_start && !dm->err) {
		uint64_t start = map_start;

		if (last_start > step)
			start = KMM_MAX(ALIGN_DOWN(last_start - 1, step), map_start);
		mapped += init_range_memory_mapping(dm, start, last_start);
		last_start = start;
		if (mapped >= step)
			step <<= 8;	/* get_new_step_size(): PMD_SHIFT - PAGE_SHIFT - 1 */
	}
	if (real_end < map_end)
		init_range_memory_mapping(dm, real_end, map_end);
}

/* ---- Splitting large pages (arch/x86/mm/pat/set_memory.c) ---- */

/* split_page_count(): a large page of @level became PTRS pages one level down. */
static void split_page_count(struct direct_map *dm, int level)
{
	if (!dm->count[level])
		return;
	dm->count[level]--;
	dm->count[level - 1] += PTRS;
}

/*
 * A protection change on [start, end) of the direct map: a large page whose
 * protections change keeps its size when the range covers all of it, and is
 * split otherwise (a 1G page into 2M pages, which are then looked at again).
 */
static void cpa_direct(struct direct_map *dm, uint64_t start, uint64_t end, unsigned int set,
		       unsigned int clr)
{
	uint64_t addr = start;

	while (addr < end && !dm->err) {
		unsigned long i = (unsigned long)(addr >> 30);
		struct pmd_table *t;
		unsigned int j, new;

		if (i >= dm->nr_pud || dm->pud_type[i] == DM_NONE) {
			addr = ALIGN_DOWN(addr, PUD_BYTES) + PUD_BYTES;
			continue;
		}
		if (dm->pud_type[i] == DM_LEAF) {
			new = (dm->pud_prot[i] | set) & ~clr;
			if (new == dm->pud_prot[i] || (addr % PUD_BYTES == 0 && end - addr >= PUD_BYTES)) {
				dm->pud_prot[i] = (uint8_t)new;
				addr = ALIGN_DOWN(addr, PUD_BYTES) + PUD_BYTES;
				continue;
			}
			t = new_pmd_table(dm);
			if (!t)
				return;
			for (j = 0; j < PTRS; j++) {
				t->type[j] = DM_LEAF;
				t->prot[j] = dm->pud_prot[i];
			}
			dm->pmd[i] = t;
			dm->pud_type[i] = DM_TABLE;
			split_page_count(dm, PG_LEVEL_1G);
			continue;	/* look at the 2M page again */
		}
		t = dm->pmd[i];
		j = (unsigned int)(addr >> 21) % PTRS;
		if (t->type[j] == DM_LEAF) {
			new = (t->prot[j] | set) & ~clr;
			if (new != t->prot[j] && (addr % PMD_BYTES || end - addr < PMD_BYTES)) {
				uint64_t *bits = new_pte_table(dm);

				if (!bits)
					return;
				for (unsigned int w = 0; w < PTRS / 64; w++)
					bits[w] = ~0ULL;
				t->ptes[j] = bits;
				t->type[j] = DM_TABLE;
				split_page_count(dm, PG_LEVEL_2M);
			} else {
				t->prot[j] = (uint8_t)new;
			}
		}
		addr = ALIGN_DOWN(addr, PMD_BYTES) + PMD_BYTES;
	}
}

/*
 * The kernel's own mapping (__START_KERNEL_map): 2M pages from _text to the
 * 2M boundary after _brk_end, read-write and executable from head_64.S. Its
 * splits count in direct_pages_count too.
 */
struct image_map {
	uint64_t base;
	unsigned int nr;
	uint8_t prot[64];
	bool split[64];
};

/*
 * set_memory_*() on [start, end) of the image's high mapping, then on its
 * alias in the direct map (cpa_process_alias), which keeps its NX as it is.
 */
static void cpa_image(struct direct_map *dm, struct image_map *hm, uint64_t start, uint64_t end,
		      unsigned int set, unsigned int clr)
{
	start = ALIGN_DOWN(start, (uint64_t)PAGE_SIZE);
	end = ALIGN_UP(end, (uint64_t)PAGE_SIZE);
	if (start >= end)
		return;
	for (uint64_t p = ALIGN_DOWN(start, PMD_BYTES); p < end; p += PMD_BYTES) {
		unsigned int k = (unsigned int)((p - hm->base) / PMD_BYTES);
		unsigned int new;

		if (p < hm->base || k >= hm->nr || hm->split[k])
			continue;
		new = (hm->prot[k] | set) & ~clr;
		if (new == hm->prot[k])
			continue;
		if (start <= p && end >= p + PMD_BYTES) {
			hm->prot[k] = (uint8_t)new;
		} else {
			hm->split[k] = true;
			split_page_count(dm, PG_LEVEL_2M);
		}
	}
	if ((set | clr) & ~PROT_NX)
		cpa_direct(dm, start, end, set & ~PROT_NX, clr & ~PROT_NX);
}

/* free_init_pages(): the range becomes no-execute, then writable, before it is freed. */
static void free_init_pages(struct direct_map *dm, struct image_map *hm, uint64_t start, uint64_t end)
{
	cpa_image(dm, hm, start, end, PROT_NX, 0);
	cpa_image(dm, hm, start, end, 0, PROT_RO);
}

/*
 * The protections Linux 6.12 sets on the image between the page allocator
 * coming up and /init, in its order. Each depends only on the image's
 * layout and on the mapping above, so kmm applies them to the model here
 * (the figures are read after boot). PTI's set_memory_np_noalias() of freed
 * image pages and its global-bit changes touch whole pages or pages split
 * already, and change no count.
 */
static void protect_kernel_image(struct kmm_machine *m, struct direct_map *dm, bool smp_locks_freed)
{
	const struct kmm_image_layout *img = &m->kconfig->image;
	struct image_map hm = { .base = ALIGN_DOWN(img->text, PMD_BYTES) };

	hm.nr = (unsigned int)((ALIGN_UP(img->reserve_end, PMD_BYTES) - hm.base) / PMD_BYTES);
	if (!img->text || hm.nr > ARRAY_SIZE(hm.prot))
		return;
	/* init_IRQ(): the IDT, in .bss..page_aligned at __bss_start, becomes read-only. */
	cpa_image(dm, &hm, img->bss, img->bss + PAGE_SIZE, PROT_RO, 0);
	/* alternative_instructions(): the .smp_locks pages go once SMP is patched. */
	if (smp_locks_freed && img->smp_locks_end)
		free_init_pages(dm, &hm, img->smp_locks, img->smp_locks_end);
	/* free_initmem(): unused .bss..decrypted, then .init. */
	if (img->decrypted_end)
		free_init_pages(dm, &hm, img->decrypted, img->decrypted_end);
	free_init_pages(dm, &hm, img->init, img->init_end);
	/* mark_rodata_ro(): text and rodata read-only up to __end_rodata_hpage_align,
	   no-execute from _etext to the 2M boundary after _brk_end, then the gaps go. */
	cpa_image(dm, &hm, img->text, ALIGN_UP(img->rodata_end, PMD_BYTES), PROT_RO, 0);
	cpa_image(dm, &hm, img->etext, ALIGN_UP(img->reserve_end, PMD_BYTES), PROT_NX, 0);
	free_init_pages(dm, &hm, ALIGN_UP(img->etext, (uint64_t)PAGE_SIZE), img->rodata);
	if (img->gap_end)
		free_init_pages(dm, &hm, img->gap, img->gap_end);
}

/* ---- The entry ---- */

static void direct_map_free(struct direct_map *dm)
{
	for (unsigned long i = 0; dm->pud_type && dm->pmd && i < dm->nr_pud; i++) {
		if (dm->pud_type[i] != DM_TABLE)
			continue;
		for (unsigned int j = 0; j < PTRS; j++)
			free(dm->pmd[i]->ptes[j]);
		free(dm->pmd[i]);
	}
	free(dm->pmd);
	free(dm->pud_type);
	free(dm->pud_prot);
}

int init_mem_mapping(struct kmm_machine *m, bool smp_locks_freed)
{
	uint64_t end = PFN_PHYS(m->max_pfn);
	struct direct_map dm = { .mem = &m->memblock.memory };

	dm.nr_pud = (unsigned long)DIV_ROUND_UP(end, PUD_BYTES);
	dm.pud_type = calloc(dm.nr_pud, 1);
	dm.pud_prot = calloc(dm.nr_pud, 1);
	dm.pmd = calloc(dm.nr_pud, sizeof(*dm.pmd));
	if (!dm.pud_type || !dm.pud_prot || !dm.pmd) {
		dm.err = -ENOMEM;
		goto out;
	}
	/* The ISA range is mapped whatever the holes in it: in 4k pages. */
	init_memory_mapping(&dm, 0, KMM_MIN(ISA_END_ADDRESS, end));
	if (end > ISA_END_ADDRESS)
		memory_map_top_down(m, &dm, ISA_END_ADDRESS, end);
	if (!dm.err && m->kconfig)
		protect_kernel_image(m, &dm, smp_locks_freed);
	for (int l = 0; l < PG_LEVEL_NUM; l++)
		m->layout.direct_pages_count[l] = dm.count[l];
out:
	direct_map_free(&dm);
	return dm.err ? kmm_set_error(dm.err, "boot: no host memory to model the direct map") : 0;
}
