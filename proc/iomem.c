// SPDX-License-Identifier: MIT
/*
 * proc/iomem.c - /proc/iomem (the physical address map as a resource tree)
 * and /proc/cmdline.
 *
 * Linux counterpart: kernel/resource.c (insert_resource, r_show,
 * reserve_region_with_split), arch/x86/kernel/e820.c
 * (e820__reserve_resources, e820_type_to_string, the "RAM buffer" rounding
 * of e820__reserve_resources_late), arch/x86/kernel/setup.c (the Kernel
 * code/rodata/data/bss resources), fs/proc/cmdline.c.
 *
 * Kept: the line format "%*s%0*llx-%0*llx : %s" with two spaces of indent
 * per level and at least 8 hex digits; insert_resource()'s nesting rules
 * (a resource that contains siblings adopts them, one inside another goes
 * below it, a partial overlap is refused); e820 type names; the kernel image
 * nested in System RAM; RAM buffers split around what is already claimed.
 * Values are shown as root sees them (Linux shows zeros to others).
 * Modelled: the PCI root bus windows (the legacy VGA hole, the gap from
 * the top of low RAM to the IOAPIC and the 64-bit hole above RAM, as the
 * captures' QEMU machine's ACPI _CRS reports them), the Video and System
 * ROMs, i386's Video RAM area, IOAPIC, HPET and its ACPI device, i386's
 * Local APIC, and the mmio= regions inside the windows: each as
 * tests/real-linux/'s captures show it, line for line.
 *
 * The tree is rebuilt from the machine's immutable boot data and the
 * hot-added ranges on each read, each range its own "System RAM" resource
 * as each add_memory() call registers one on Linux: the tree has room for
 * 512 resources of boot data plus one per range, however many ranges there
 * are. A tree that outgrows that (only boot data could: too many mmio=
 * regions) fails the read with ENOSPC rather than print part of the map.
 * Locking: none for boot data; memory_hotplug_ranges() takes the hotplug lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/e820.h"
#include "mm/include/machine.h"
#include "mm/include/memory_hotplug.h"
#include "proc/proc.h"

#define BOOT_RESOURCES 512	/* room for everything but the hot-added ranges */
#define MAX_IORES_LEVEL 5

struct resource {
	uint64_t start, end;	/* inclusive, as Linux */
	const char *name;
	int parent, child, sibling;	/* indexes; -1 for none */
};

struct resource_tree {
	struct resource *r;	/* [cap] */
	int n, cap;
	bool full;		/* a resource found no room: the read fails */
};

static int new_resource(struct resource_tree *t, uint64_t start, uint64_t end, const char *name)
{
	struct resource *r;

	if (end < start)
		return -1;
	if (t->n == t->cap) {
		t->full = true;
		return -1;
	}
	r = &t->r[t->n];
	*r = (struct resource){ start, end, name, -1, -1, -1 };
	return t->n++;
}

static bool overlaps(const struct resource *a, const struct resource *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* Link @idx into @parent's child list, sorted by start. */
static void link_child(struct resource_tree *t, int parent, int idx)
{
	int *pp = &t->r[parent].child;

	while (*pp >= 0 && t->r[*pp].start < t->r[idx].start)
		pp = &t->r[*pp].sibling;
	t->r[idx].sibling = *pp;
	*pp = idx;
	t->r[idx].parent = parent;
}

/*
 * insert_resource(): place @idx below the deepest resource that contains it;
 * siblings it contains become its children. Return: 0, or -EBUSY on a partial
 * overlap (the resource is then left out, as Linux leaves it unregistered).
 */
static int insert_resource(struct resource_tree *t, int idx)
{
	struct resource *new = &t->r[idx];
	int parent = 0;

	for (;;) {
		int c, first = -1;

		for (c = t->r[parent].child; c >= 0; c = t->r[c].sibling)
			if (overlaps(&t->r[c], new)) {
				first = c;
				break;
			}
		if (first < 0) {
			link_child(t, parent, idx);
			return 0;
		}
		struct resource *f = &t->r[first];
		bool same = f->start == new->start && f->end == new->end;

		if (!same && f->start <= new->start && f->end >= new->end) {
			parent = first;	/* goes inside the conflict */
			continue;
		}
		/* @new must contain every sibling it overlaps: it adopts them. */
		for (c = first; c >= 0 && overlaps(&t->r[c], new); c = t->r[c].sibling)
			if (t->r[c].start < new->start || t->r[c].end > new->end)
				return -EBUSY;
		int *pp = &t->r[parent].child;

		while (*pp != first)
			pp = &t->r[*pp].sibling;
		int last = first;

		while (t->r[last].sibling >= 0 && overlaps(&t->r[t->r[last].sibling], new))
			last = t->r[last].sibling;
		*pp = t->r[last].sibling;	/* unlink first..last */
		t->r[last].sibling = -1;
		new->child = first;
		for (c = first; c >= 0; c = t->r[c].sibling)
			t->r[c].parent = idx;
		link_child(t, parent, idx);
		return 0;
	}
}

static void add(struct resource_tree *t, uint64_t start, uint64_t end, const char *name)
{
	int idx = new_resource(t, start, end, name);

	if (idx >= 0 && insert_resource(t, idx))
		t->n--;		/* refused: it was the last one created */
}

/* reserve_region_with_split(): claim only the free top-level gaps of [start, end]. */
static void reserve_with_split(struct resource_tree *t, uint64_t start, uint64_t end,
			       const char *name)
{
	uint64_t pos = start;

	for (int c = t->r[0].child; c >= 0 && pos <= end; c = t->r[c].sibling) {
		const struct resource *r = &t->r[c];

		if (r->end < pos)
			continue;
		if (r->start > end)
			break;
		if (r->start > pos)
			add(t, pos, r->start - 1, name);
		if (r->end == UINT64_MAX)
			return;
		pos = r->end + 1;
	}
	if (pos <= end)
		add(t, pos, end, name);
}

static const char *e820_type_to_string(enum e820_type type)
{
	switch (type) {
	case E820_TYPE_RAM:
		return "System RAM";
	case E820_TYPE_ACPI:
		return "ACPI Tables";
	case E820_TYPE_NVS:
		return "ACPI Non-volatile Storage";
	case E820_TYPE_UNUSABLE:
		return "Unusable memory";
	case E820_TYPE_PMEM:
		return "Persistent Memory";
	case E820_TYPE_RESERVED:
		return "Reserved";
	}
	return "Unknown E820 type";
}

/* e820__reserve_resources_late(): how far a RAM range's end is rounded up. */
static uint64_t ram_alignment(uint64_t pos)
{
	uint64_t mb = pos >> 20;

	if (!mb)
		return 64 * 1024;	/* below 1 MiB: 64 KiB */
	if (mb < 16)
		return 1ULL << 20;	/* below 16 MiB: 1 MiB */
	return 64ULL << 20;		/* otherwise 64 MiB */
}

/*
 * The end of what the board puts above 4 GiB: its RAM there (kmm's boards
 * keep 3 GiB below 4 GiB; the rest starts at 4 GiB, whatever Linux's mem=
 * then removes), any RAM the map has up there, and the hotplug area.
 */
static uint64_t board_top(const struct kmm_machine *m)
{
	uint64_t low = KMM_MIN(m->opts.mem, 3ULL << 30), top = SZ_4G + (m->opts.mem - low);
	uint64_t hp_start, hp_end;

	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];

		if (e->type == E820_TYPE_RAM && e->addr + e->size > top)
			top = e->addr + e->size;
	}
	memory_hotplug_area(m, &hp_start, &hp_end);
	return KMM_MAX(top, hp_end);
}

static void build_tree(struct kmm_machine *m, struct resource_tree *t, uint64_t (*hot)[2],
		       int nr_hot)
{
	uint64_t top_low = 0, pos;

	t->n = 0;
	new_resource(t, 0, UINT64_MAX, "PCI mem");	/* iomem_resource, the root */

	/*
	 * setup_arch(): the kernel image, before e820 so System RAM adopts it:
	 * [_text, _etext), [__start_rodata, __end_rodata), [_sdata, _edata),
	 * [__bss_start, __bss_stop) of the build (mm/include/kconfig.h); the
	 * ends are the linker's, not page aligned.
	 */
	if (m->kconfig) {
		const struct kmm_image_layout *img = &m->kconfig->image;

		add(t, img->text, img->etext - 1, "Kernel code");
		add(t, img->rodata, img->rodata_end - 1, "Kernel rodata");
		add(t, img->sdata, img->edata - 1, "Kernel data");
		add(t, img->bss, img->bss_end - 1, "Kernel bss");
	}

	/*
	 * probe_roms(), also before e820: the first ROM found from c0000 is
	 * "Video ROM", at the length its header gives (rom[2] * 512). The
	 * captures' QEMU (-nodefaults: no VGA card) has a 1.5 KiB option ROM
	 * there (its -kernel boot ROM), c0000-c05ff in every capture. Then the
	 * system BIOS, which the e820 Reserved range of the same extent adopts.
	 */
	add(t, 0xc0000, 0xc05ff, "Video ROM");
	add(t, 0xf0000, 0xfffff, "System ROM");

	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];

		if (!e->size)
			continue;
		add(t, e->addr, e->addr + e->size - 1, e820_type_to_string(e->type));
		if (e->addr < 0xfec00000ULL && e->addr + e->size > top_low)
			top_low = KMM_MIN(e->addr + e->size, 0xfec00000ULL);
	}

	/*
	 * i386_reserve_resources() (CONFIG_X86_32, x86_init's reserve_resources
	 * after e820): the legacy VGA window, which the PCI root bus window of
	 * the same extent then adopts.
	 */
	if (kmm_arch_is_32(m))
		add(t, 0xa0000, 0xbffff, "Video RAM area");

	/*
	 * The PCI root bus windows (QEMU's ACPI _CRS): the VGA hole, the gap
	 * from the top of low RAM to the IOAPIC, and - where resource_size_t
	 * holds 64 bits (x86_64, PAE) - QEMU's 64-bit hole of 2 GiB at the first
	 * GiB boundary past 4 GiB, the board's RAM above 4 GiB (whatever Linux's
	 * mem= keeps) and the hotplug area.
	 */
	add(t, 0xa0000, 0xbffff, "PCI Bus 0000:00");
	pos = ALIGN_UP(top_low, 256ULL << 20);
	if (pos < 0xfec00000ULL)
		add(t, pos, 0xfebfffffULL, "PCI Bus 0000:00");
	if (m->opts.arch != KMM_ARCH_I386) {
		pos = ALIGN_UP(board_top(m), 1ULL << 30);
		add(t, pos, pos + (2ULL << 30) - 1, "PCI Bus 0000:00");
	}
	/*
	 * The platform devices: the IOAPIC; the HPET, "HPET 0" where the build
	 * has HPET_TIMER (hpet_insert_resource()) with the ACPI device's claim
	 * below it, the claim alone where it has not (i386's defconfig: the
	 * claim goes in first here, so that "HPET 0", of the same extent,
	 * adopts it as Linux's request nests it); and
	 * the local APIC, inserted late (lapic_insert_resource()) at
	 * apic_mmio_base, which 6.12 sets to the fixmap's virtual address
	 * (APIC_BASE): 0xffffb000 on i386, inside the firmware's Reserved top
	 * range; on x86_64 past iomem_resource's end, so insert_resource()
	 * refuses it and it is not shown.
	 */
	add(t, 0xfec00000ULL, 0xfec003ffULL, "IOAPIC 0");
	add(t, 0xfed00000ULL, 0xfed003ffULL, "PNP0103:00");
	if (m->kconfig && m->kconfig->hpet_timer)
		add(t, 0xfed00000ULL, 0xfed003ffULL, "HPET 0");

	for (int i = 0; i < m->opts.nr_mmio; i++) {
		const struct kmm_mmio *io = &m->opts.mmio[i];

		if (io->size)
			add(t, io->start, io->start + io->size - 1, io->name);
	}

	/* register_memory_resource(): each add_memory() range (mm/memory_hotplug.c). */
	for (int i = 0; i < nr_hot; i++)
		add(t, hot[i][0], hot[i][1] - 1, "System RAM");

	if (kmm_arch_is_32(m))
		add(t, 0xffffb000ULL, 0xffffbfffULL, "Local APIC");

	/* Round the end of each RAM range up to a reasonable boundary. */
	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];
		uint64_t start = e->addr + e->size, end;

		if (e->type != E820_TYPE_RAM || !e->size)
			continue;
		end = ALIGN_UP(start, ram_alignment(start)) - 1;
		if (start < end)
			reserve_with_split(t, start, end, "RAM buffer");
	}
}

static void print_tree(struct strbuf *sb, const struct resource_tree *t, int idx, int depth)
{
	for (int c = t->r[idx].child; c >= 0; c = t->r[c].sibling) {
		const struct resource *r = &t->r[c];

		sb_printf(sb, "%*s%0*llx-%0*llx : %s\n", depth * 2, "", 8,
			  (unsigned long long)r->start, 8, (unsigned long long)r->end, r->name);
		if (depth + 1 < MAX_IORES_LEVEL)
			print_tree(sb, t, c, depth + 1);
	}
}

/*
 * The hot-added ranges, however many (memory_hotplug_ranges() counts them
 * first; an add between the two calls asks for a larger array).
 * Return: how many into *@out (malloc()ed, NULL when none), or -ENOMEM.
 */
static int hot_ranges(struct kmm_machine *m, uint64_t (**out)[2])
{
	int want = memory_hotplug_ranges(m, NULL, 0);

	*out = NULL;
	while (want > 0) {
		uint64_t (*r)[2] = malloc(sizeof(*r) * (size_t)want);
		int got;

		if (!r)
			return -ENOMEM;
		got = memory_hotplug_ranges(m, r, want);
		if (got <= want) {
			*out = r;
			return got;
		}
		free(r);
		want = got;
	}
	return 0;
}

int iomem_show(struct kmm_machine *m, struct strbuf *sb)
{
	struct resource_tree t = { 0 };
	uint64_t (*hot)[2];
	int nr_hot = hot_ranges(m, &hot);

	if (nr_hot < 0)
		return nr_hot;
	t.cap = BOOT_RESOURCES + nr_hot;
	t.r = malloc(sizeof(*t.r) * (size_t)t.cap);
	if (!t.r) {
		free(hot);
		return -ENOMEM;
	}
	build_tree(m, &t, hot, nr_hot);
	free(hot);
	if (t.full) {
		free(t.r);
		return kmm_set_error(-ENOSPC, "/proc/iomem: more than %d resources", t.cap);
	}
	print_tree(sb, &t, 0, 0);
	free(t.r);
	return 0;
}

int cmdline_show(struct kmm_machine *m, struct strbuf *sb)
{
	sb_printf(sb, "%s\n", m->cmdline);
	return 0;
}
