// SPDX-License-Identifier: MIT
/*
 * init/main.c - kmm_boot() and kmm_shutdown(): the boot sequence from the
 * command line to a running machine (the layers above the page allocator
 * come up through the subsystem table, mm/subsys.c), and the teardown of a
 * machine.
 *
 * Linux counterpart: init/main.c (start_kernel, the order of its steps,
 * mm_core_init's part of it). The steps themselves live where Linux keeps
 * them: setup_arch() in arch/x86/kernel/setup.c, the layouts and lowmem in
 * arch/x86/mm/init.c, nodes in arch/x86/mm/numa.c, zones, struct pages and
 * handing memory to the buddy allocator in mm/mm_init.c, the command line
 * in mm/mm_init_cmdline.c.
 *
 * Invariant: kmm_boot() returns a machine whose every layer is up and whose
 * checkers hold, or NULL with everything it built torn down and
 * kmm_last_error() naming the cause.
 *
 * Locking: kmm_boot() builds a machine on one thread and publishes it only
 * when done, so it takes no machine locks; several threads may boot several
 * machines at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/boot_options.h"
#include "mm/include/subsys.h"
#include "mm/include/boot.h"
#include "mm/include/kconfig.h"
#include "mm/include/events.h"

/* ==================================================================== */
/* ---- kmm_boot / kmm_shutdown ---- */

static void machine_teardown(struct kmm_machine *m)
{
	subsys_shutdown_all(m);
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pg_data_t *pgdat = m->node_data[nid];

		if (!pgdat)
			continue;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (zone->per_cpu_pageset)
				zone_free_pcp(zone);
			/* Sections still deferred at shutdown: their records. */
			if (zone->deferred_sections.next) {
				while (!list_empty(&zone->deferred_sections)) {
					struct deferred_section *ds = list_first_entry(
						&zone->deferred_sections, struct deferred_section, list);

					list_del(&ds->list);
					free(ds);
				}
			}
			free(zone->pageblock_mt);
			zone->pageblock_mt = NULL;
		}
		free(pgdat);
		m->node_data[nid] = NULL;
	}
	if (m->vmemmap)
		sim_release(m->vmemmap, m->vmemmap_bytes);
	m->vmemmap = NULL;
	free(m->section_state);
	m->section_state = NULL;
	sim_ram_destroy(&m->ram);
	kmm_machine_free(m);
}

static int alloc_cpus(struct kmm_machine *m)
{
	if (kmm_cpus_init(m))
		return kmm_set_error(-ENOMEM, "boot: out of host memory for CPU slots");
	return 0;
}

static void set_sysctl_defaults(struct kmm_machine *m)
{
	static const int ratio[MAX_NR_ZONES] = { 256, 256, 32, 0, 0 };

	m->min_free_kbytes = 0;		/* init_per_zone_wmark_min() computes it */
	m->user_min_free_kbytes = -1;
	m->watermark_scale_factor = 10;
	m->watermark_boost_factor = 15000;
	memcpy(m->lowmem_reserve_ratio, ratio, sizeof(ratio));
	m->percpu_pagelist_high_fraction = 0;
}

/*
 * alternative_instructions(): once the kernel is patched for SMP, the
 * .smp_locks pages that would let it repatch for one CPU go - unless it was
 * patched for one CPU (maxcpus=0 or 1 on a board with more), when they stay
 * for the CPUs that may come online later.
 */
static void free_smp_alternatives(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct kmm_image_layout *img = &m->kconfig->image;
	bool uniproc_patched = m->nr_cpu_ids == 1 || m->opts.maxcpus <= 1;

	if (!uniproc_patched || m->nr_cpu_ids == 1)
		free_reserved_area(b, img->smp_locks, img->smp_locks_end, "SMP alternatives");
}

/*
 * The end of kernel_init(): what the boot used and no longer needs goes to
 * the buddy allocator - the initrd (after populating rootfs), x86_64's unused
 * .bss..decrypted (mem_encrypt_free_decrypted_mem), .init (free_initmem),
 * and x86_64's rodata/data gap (mark_rodata_ro) - in Linux's order.
 */
static void free_boot_memory(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct kmm_image_layout *img = &m->kconfig->image;

	if (b->initrd_start)
		free_reserved_area(b, b->initrd_start,
				   b->initrd_start + ALIGN_UP(m->opts.initrd_size, (uint64_t)PAGE_SIZE),
				   "initrd");
	if (img->decrypted_end)
		free_reserved_area(b, img->decrypted, img->decrypted_end, "unused decrypted");
	free_initmem(b);
	if (img->gap_end)
		free_reserved_area(b, img->gap, img->gap_end, "unused kernel image (rodata/data gap)");
}

/* start_kernel() after setup_arch(), up to the page allocator being ready. */
static int start_kernel(struct boot *b)
{
	struct kmm_machine *m = b->m;
	int err;

	err = setup_per_cpu_areas(m);
	if (err)
		return err;
	kmm_printk(m, "Kernel command line: %s", m->cmdline);
	err = vfs_caches_init_hash(b, true);	/* vfs_caches_init_early(): one node */
	if (err)
		return err;
	err = setup_host_memory(b);
	if (err)
		return err;

	/* mm_core_init() */
	build_all_zonelists(m);
	/* Every build kmm has is INIT_STACK_ALL_ZERO; heap alloc is init_on_alloc. */
	kmm_printk(m, "mem auto-init: stack:all(zero), heap alloc:%s, heap free:off",
		   m->init_on_alloc ? "on" : "off");
	/* Linux's stamps stay 0 until time_init(); kmm's clock starts here. */
	kmm_clock_start(m);
	/* mem_init(): pci_iommu_alloc(), set_highmem_pages_init(), memblock_free_all() */
	err = swiotlb_init(b);
	if (err)
		return err;
	set_highmem_pages_init(b);
	memblock_free_all(b);
	update_totals(b);
	free_smp_alternatives(b);
	mem_init_print_info(m);
	init_per_zone_wmark_min(m);
	zone_pcp_update_all(m);
	set_recommended_min_free_kbytes(m);	/* hugepage_init(), THP builds only */
	return 0;
}

struct kmm_machine *kmm_boot(const char *cmdline)
{
	struct kmm_boot_opts opts;
	struct kmm_machine *m, *prev;
	struct boot b;
	int err;

	if (kmm_parse_cmdline(cmdline, &opts))
		return NULL;
	m = kmm_machine_alloc();
	if (!m) {
		kmm_set_error(-ENOMEM, "boot: too many machines (at most %d at once)",
			      KMM_MAX_MACHINES);
		return NULL;
	}
	m->ram.fd = -1;
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmdline ? cmdline : "");
	m->opts = opts;
	m->kconfig = opts.kconfig;
	m->init_on_alloc = opts.init_on_alloc < 0 ? opts.kconfig->init_on_alloc : opts.init_on_alloc;
	m->nr_cpu_ids = opts.nr_cpus;
	m->nr_cpus = opts.maxcpus;
	set_sysctl_defaults(m);
	arch_setup_params(m);
	memset(&b, 0, sizeof(b));
	b.m = m;

	prev = kmm_use(m);
	err = alloc_cpus(m);
	if (!err)
		err = setup_arch(&b);
	if (!err)
		err = start_kernel(&b);
	if (!err)
		err = subsys_init_all(m);	/* the subsystem table, in boot order */
	if (!err)
		err = vfs_caches_init_hash(&b, false);	/* vfs_caches_init(): hashdist */
	if (!err) {
		swiotlb_print_info(&b);
		free_boot_memory(&b);
		/* Boot leaves no pages on per-CPU lists: the free count is exact. */
		drain_all_pages(m, NULL);
	}
	if (err) {
		machine_teardown(m);	/* layers shut down with @m still current */
		m = NULL;
	}
	kmm_use(prev);
	return m;
}

void kmm_shutdown(struct kmm_machine *m)
{
	struct kmm_machine *prev;

	if (!m)
		return;
	/* Layers' shutdown hooks may use kernel-style calls on the current machine. */
	prev = kmm_use(m);
	machine_teardown(m);
	kmm_use(prev == m ? NULL : prev);
}
