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
#include "mm/include/vmstat.h"

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
			/* Blocks still deferred at shutdown: their records. */
			if (zone->deferred_ranges.next) {
				while (!list_empty(&zone->deferred_ranges)) {
					struct deferred_range *dr = list_first_entry(
						&zone->deferred_ranges, struct deferred_range, list);

					list_del(&dr->list);
					free(dr);
				}
			}
			free(zone->pageblock_mt);
			zone->pageblock_mt = NULL;
		}
		free_old_zonelists(pgdat);
		free(pgdat);
		m->node_data[nid] = NULL;
	}
	if (m->vmemmap)
		sim_release(m->vmemmap, m->vmemmap_bytes);
	m->vmemmap = NULL;
	free(m->section_state);
	m->section_state = NULL;
	free(m->section_deferred);
	m->section_deferred = NULL;
	free(m->section_reserved);
	m->section_reserved = NULL;
	free(m->section_lazy);
	m->section_lazy = NULL;
	if (m->reserved_chunks != kmm_machine_tail(m))
		free(m->reserved_chunks);
	m->reserved_chunks = NULL;
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

/* alternative_instructions(): the .smp_locks pages (mm/include/boot.h says when). */
static void free_smp_alternatives(struct boot *b)
{
	struct kmm_machine *m = b->m;
	const struct kmm_image_layout *img = &m->kconfig->image;

	if (smp_alternatives_freed(m))
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

/* The word of @cmdline that starts with @key ("movablecore="), into @out; false if none. */
static bool cmdline_word(const char *cmdline, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = cmdline; p && *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n >= kl && !strncmp(p, key, kl)) {
			snprintf(out, len, "%.*s", (int)n, p);
			return true;
		}
		p += n;
	}
	return false;
}

/*
 * A layer's boot-time allocation found no memory once the page allocator was
 * up: say which, and why - the zones a kernel allocation may use (all below
 * HighMem and Movable) are too small - naming the option that made them so
 * (movablecore= or kernelcore=, else mem=) instead of the bare "alloc_pages:
 * out of memory" of the allocation itself. (Linux panics at boot in such
 * cases, or fails the layer's init_*() and limps on.) A failure with those
 * zones above their high watermarks was not a shortage (fail_page_alloc=,
 * say): its message stays as it was.
 */
static int explain_boot_oom(struct kmm_machine *m, int err)
{
	unsigned long managed = 0, free = 0, high = 0;
	char opt[64], why[320];
	bool zones_cut = cmdline_word(m->cmdline, "movablecore=", opt, sizeof(opt)) ||
			 cmdline_word(m->cmdline, "kernelcore=", opt, sizeof(opt));

	if (err != -ENOMEM || !strstr(kmm_last_error(), "out of memory"))
		return err;
	if (!zones_cut)
		snprintf(opt, sizeof(opt), "mem=%lluM", (unsigned long long)(m->opts.mem >> 20));
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		for (int z = 0; m->node_data[nid] && z < ZONE_HIGHMEM; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			managed += zone_managed_pages(zone);
			free += zone_page_state(zone, NR_FREE_PAGES);
			high += high_wmark_pages(zone);
		}
	}
	if (free > high)
		return err;
	snprintf(why, sizeof(why), "%s", kmm_last_error());
	return kmm_set_error(err, "boot: %s: out of memory for the kernel's own allocations "
			     "(%s): the zones they may use (below HighMem and Movable) manage only "
			     "%luK, %luK of it still free, after %d CPUs' per-CPU areas and the "
			     "boot's reservations%s%s; %s",
			     opt, why, managed << (PAGE_SHIFT - 10), free << (PAGE_SHIFT - 10),
			     m->nr_cpu_ids, m->opts.nr_memmap ? " (memmap= among them)" : "",
			     zones_cut ? ", the rest being ZONE_MOVABLE" : "",
			     zones_cut ? "give the kernel more (a smaller movablecore=, a larger "
					 "kernelcore=) or boot more mem="
				       : "boot more mem= or fewer CPUs (nr_cpus=)");
}

/*
 * The options come from the heap until the machine holds them, not this
 * frame: 1.8 KB at the boot's deepest point (the parser, and the loader
 * resolving its first calls into libc), which the malloc shim's boot runs
 * on its program's stack (rss24).
 */
struct kmm_machine *kmm_boot(const char *cmdline)
{
	struct kmm_boot_opts *opts = malloc(sizeof(*opts));
	struct kmm_machine *m, *prev;
	struct boot b;
	int err;

	if (!opts) {
		kmm_set_error(-ENOMEM, "boot: out of host memory for the command line");
		return NULL;
	}
	if (kmm_parse_cmdline(cmdline, opts)) {
		free(opts);
		return NULL;
	}
	m = kmm_machine_alloc();
	if (!m) {
		free(opts);
		kmm_set_error(-ENOMEM, "boot: too many machines (at most %d at once)",
			      KMM_MAX_MACHINES);
		return NULL;
	}
	m->ram.fd = -1;
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmdline ? cmdline : "");
	m->opts = *opts;
	free(opts);
	m->kconfig = m->opts.kconfig;
	m->init_on_alloc = m->opts.init_on_alloc < 0 ? m->kconfig->init_on_alloc
						     : m->opts.init_on_alloc;
	m->nr_cpu_ids = m->opts.nr_cpus;
	m->nr_cpus = m->opts.maxcpus;
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
	if (!err && (err = subsys_init_all(m)) != 0)	/* the subsystem table, in boot order */
		err = explain_boot_oom(m, err);
	if (!err && (err = vfs_caches_init_hash(&b, false)) != 0)	/* vfs_caches_init(): hashdist */
		err = explain_boot_oom(m, err);
	if (!err) {
		swiotlb_print_info(&b);
		free_boot_memory(&b);
		/* Boot leaves no pages on per-CPU lists: the free count is exact. */
		drain_all_pages(m, NULL);
		memblock_discard(m);
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
