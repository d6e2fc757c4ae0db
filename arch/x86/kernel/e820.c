// SPDX-License-Identifier: MIT
/*
 * arch/x86/kernel/e820.c - the firmware memory map of the simulated machine.
 *
 * Linux counterpart: arch/x86/kernel/e820.c (6.12). Kept: the table of
 * (address, size, type) entries; e820__update_table()'s rule that where
 * entries overlap the highest type number wins; the printed formats
 * ("BIOS-e820: [mem 0x%016llx-0x%016llx] usable", the KERN_DEBUG
 * "e820: update ..." and "e820: remove ..." lines); memmap=nn$ss and
 * memmap=nn#ss; trim_bios_range() (page 0 becomes reserved, 640K-1M is not
 * RAM); e820__end_of_ram_pfn() clamped to the arch's max_arch_pfn.
 * Modelled: the map a QEMU PC hands over under one of three firmwares
 * (firmware=, e820_setup_firmware() below); Linux's mem= as a cap on the
 * usable ranges (e820_apply_mem_limit).
 *
 * Invariant: after e820__update_table() entries are sorted, non-empty and
 * non-overlapping, and adjacent entries have different types.
 *
 * Locking: none; the table is written during kmm_boot() only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/e820.h"
#include "arch/x86/include/asm/layout.h"
#include "mm/include/boot.h"

const char *e820_type_name(enum e820_type type)
{
	switch (type) {
	case E820_TYPE_RAM:
		return "usable";
	case E820_TYPE_RESERVED:
		return "reserved";
	case E820_TYPE_ACPI:
		return "ACPI data";
	case E820_TYPE_NVS:
		return "ACPI NVS";
	case E820_TYPE_UNUSABLE:
		return "unusable";
	case E820_TYPE_PMEM:
		return "persistent (type 7)";
	}
	return "type ?";
}

int __e820__range_add(struct e820_table *t, uint64_t start, uint64_t size, enum e820_type type)
{
	if (!size)
		return 0;
	if (t->nr_entries == E820_MAX_ENTRIES)
		return -ENOSPC;
	t->entries[t->nr_entries++] = (struct e820_entry){ start, size, type };
	return 0;
}

/*
 * The least entry boundary (an entry's start or end) of @t above @x, or @x
 * when there is none. The boundaries are found again for each piece rather
 * than sorted into an array: a table has a few dozen, and an array of them
 * (2 KB for 2 * E820_MAX_ENTRIES) lay in the boot's deepest frame, stack
 * pages the malloc shim's boot left in every process.
 */
static uint64_t next_point(const struct e820_table *t, uint64_t x)
{
	uint64_t best = x;

	for (int i = 0; i < t->nr_entries; i++) {
		const struct e820_entry *e = &t->entries[i];
		uint64_t ends[2] = { e->addr, e->addr + e->size };

		if (!e->size)
			continue;
		for (int k = 0; k < 2; k++)
			if (ends[k] > x && (best == x || ends[k] < best))
				best = ends[k];
	}
	return best;
}

/*
 * Rebuild @t as sorted, non-overlapping entries: cut the address space at
 * every entry boundary, give each piece the highest type of the entries
 * covering it, and merge equal neighbours. The new entries are built in a
 * host block (the boot's stack pages stay in the process, and the malloc
 * shim boots on its program's stack; a freed block is the heap's again),
 * then copied over @t, whose unused entries are zero as before.
 * Return: 0, -ENOSPC (more pieces than a table holds; @t unchanged) or
 * -ENOMEM.
 */
int e820__update_table(struct e820_table *t)
{
	struct e820_table *out = malloc(sizeof(*out));
	uint64_t s = ~0ULL;

	if (!out)
		return -ENOMEM;
	out->nr_entries = 0;
	for (int i = 0; i < t->nr_entries; i++)
		if (t->entries[i].size && t->entries[i].addr < s)
			s = t->entries[i].addr;
	for (uint64_t e; (e = next_point(t, s)) != s; s = e) {
		int type = 0;

		for (int i = 0; i < t->nr_entries; i++) {
			const struct e820_entry *x = &t->entries[i];

			if (x->size && x->addr <= s && x->addr + x->size >= e && (int)x->type > type)
				type = (int)x->type;
		}
		if (!type)
			continue;
		if (out->nr_entries) {
			struct e820_entry *last = &out->entries[out->nr_entries - 1];

			if ((int)last->type == type && last->addr + last->size == s) {
				last->size += e - s;
				continue;
			}
		}
		if (__e820__range_add(out, s, e - s, (enum e820_type)type)) {
			free(out);
			return -ENOSPC;
		}
	}
	/*
	 * Field by field onto zeroes: @out's padding bytes were never written.
	 * Entries from nr_entries on are zero already (every rebuild leaves
	 * them so): only those in use are cleared, and a machine's table, the
	 * last field of its struct, keeps its unused tail untouched (a page of
	 * every malloc shim process, mm/include/machine.h).
	 */
	memset(t->entries, 0, (size_t)t->nr_entries * sizeof(t->entries[0]));
	for (int i = 0; i < out->nr_entries; i++) {
		t->entries[i].addr = out->entries[i].addr;
		t->entries[i].size = out->entries[i].size;
		t->entries[i].type = out->entries[i].type;
	}
	t->nr_entries = out->nr_entries;
	free(out);
	return 0;
}

void e820__print_table(struct kmm_machine *m, const char *who)
{
	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];

		kmm_printk(m, "%s: [mem 0x%016llx-0x%016llx] %s", who, (unsigned long long)e->addr,
			   (unsigned long long)(e->addr + e->size - 1), e820_type_name(e->type));
	}
}

/*
 * Change the type of the parts of [start, start+size) that have @old_type
 * into @new_type (@new_type 0: remove them), printing Linux's debug line.
 */
static int e820_range_change(struct kmm_machine *m, uint64_t start, uint64_t size,
			     enum e820_type old_type, int new_type)
{
	struct e820_table *t = &m->e820;
	uint64_t end = start + size;
	int n = t->nr_entries;

	if (new_type)
		kmm_printk(m, "e820: update [mem 0x%08llx-0x%08llx] %s ==> %s",
			   (unsigned long long)start, (unsigned long long)(end - 1),
			   e820_type_name(old_type), e820_type_name((enum e820_type)new_type));
	else
		kmm_printk(m, "e820: remove [mem 0x%08llx-0x%08llx] %s", (unsigned long long)start,
			   (unsigned long long)(end - 1), e820_type_name(old_type));
	for (int i = 0; i < n; i++) {
		struct e820_entry *e = &t->entries[i];
		uint64_t s = KMM_MAX(e->addr, start), x = KMM_MIN(e->addr + e->size, end);

		if (e->type != old_type || s >= x)
			continue;
		/* Keep the parts outside the range, drop the middle. */
		uint64_t eend = e->addr + e->size;

		if (e->addr < s && eend > x)
			__e820__range_add(t, x, eend - x, e->type);
		if (e->addr < s) {
			e->size = s - e->addr;
		} else {
			e->addr = x;
			e->size = eend - x;
		}
		if (new_type)
			__e820__range_add(t, s, x - s, (enum e820_type)new_type);
	}
	return e820__update_table(t);
}

/*
 * The board's map as the firmware hands it over. QEMU's PC puts RAM from 0 to
 * 640 KiB less the EBDA (0x9fc00), the BIOS ROM at 0xf0000, RAM from 1 MiB up
 * to min(RAM, 3 GiB) below the PCI hole, the rest above 4 GiB, and the 256
 * KiB flash just below 4 GiB. Then per firmware= (enum kmm_firmware):
 *   seabios      SeaBIOS 1.16 as QEMU runs it under TCG (the captures in
 *                reference/real-linux/): the top 128 KiB of low RAM hold the
 *                ACPI tables QEMU built, and are reserved;
 *   seabios-kvm  the same under KVM, where QEMU also reserves the page at
 *                0xfeffc000 (KVM's TSS and identity map);
 *   qemu         kmm's map before firmware= existed: all low RAM usable (no
 *                ACPI reservation) plus the KVM page - what QEMU's own table
 *                says before a firmware reserves anything.
 */
int e820_setup_firmware(struct kmm_machine *m)
{
	struct e820_table *t = &m->e820;
	uint64_t mem = m->opts.mem;
	uint64_t low = KMM_MIN(mem, 3ULL << 30), acpi = 0;
	enum kmm_firmware fw = m->opts.firmware;

	if (fw == KMM_FIRMWARE_SEABIOS || fw == KMM_FIRMWARE_SEABIOS_KVM)
		acpi = 128ULL << 10;
	t->nr_entries = 0;
	__e820__range_add(t, 0, 0x9fc00, E820_TYPE_RAM);
	__e820__range_add(t, 0x9fc00, 0xa0000 - 0x9fc00, E820_TYPE_RESERVED);
	__e820__range_add(t, 0xf0000, 0x100000 - 0xf0000, E820_TYPE_RESERVED);
	__e820__range_add(t, 0x100000, low - acpi - 0x100000, E820_TYPE_RAM);
	__e820__range_add(t, low - acpi, acpi, E820_TYPE_RESERVED);
	if (fw == KMM_FIRMWARE_QEMU || fw == KMM_FIRMWARE_SEABIOS_KVM)
		__e820__range_add(t, 0xfeffc000ULL, 0x4000, E820_TYPE_RESERVED);
	__e820__range_add(t, 0xfffc0000ULL, 0x40000, E820_TYPE_RESERVED);
	if (mem > low)
		__e820__range_add(t, SZ_4G, mem - low, E820_TYPE_RAM);
	return e820__update_table(t);
}

/*
 * parse_memopt(): Linux's mem=X drops every usable range above physical
 * address X ("e820: remove [mem X-0xfffffffffffffffe] usable"); reserved
 * ranges stay.
 */
int e820_apply_mem_limit(struct kmm_machine *m)
{
	uint64_t x = m->opts.mem_limit;

	return e820_range_change(m, x, ~0ULL - x, E820_TYPE_RAM, 0);
}

int e820_apply_memmap(struct kmm_machine *m)
{
	const struct kmm_boot_opts *o = &m->opts;

	for (int i = 0; i < o->nr_memmap; i++) {
		int err = __e820__range_add(&m->e820, o->memmap[i].start, o->memmap[i].size,
					 o->memmap[i].type);
		if (err)
			return err;
	}
	return e820__update_table(&m->e820);
}

int trim_bios_range(struct kmm_machine *m)
{
	/*
	 * The first 4 KiB belong to the BIOS (real-mode IVT, BDA) though the
	 * map lists them as usable; the legacy VGA/ROM window is never RAM.
	 */
	int err = e820_range_change(m, 0, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED);

	if (err == -ENOMEM)
		return err;
	return e820_range_change(m, 0xa0000, 0x100000 - 0xa0000, E820_TYPE_RAM, 0);
}

unsigned long e820_end_pfn(const struct kmm_machine *m, unsigned long limit_pfn)
{
	unsigned long last = 0;

	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];
		unsigned long s = (unsigned long)PFN_UP(e->addr);
		unsigned long x = (unsigned long)PFN_DOWN(e->addr + e->size);

		if (e->type != E820_TYPE_RAM || s >= x || s >= limit_pfn)
			continue;
		last = KMM_MAX(last, KMM_MIN(x, limit_pfn));
	}
	return last;
}

bool e820__mapped_any(const struct kmm_machine *m, uint64_t start, uint64_t end,
			enum e820_type type)
{
	for (int i = 0; i < m->e820.nr_entries; i++) {
		const struct e820_entry *e = &m->e820.entries[i];

		if (e->type == type && e->addr < end && e->addr + e->size > start)
			return true;
	}
	return false;
}
