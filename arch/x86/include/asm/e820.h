// SPDX-License-Identifier: MIT
/*
 * arch/x86/include/asm/e820.h - the BIOS e820 memory map: its types and the
 * functions of arch/x86/kernel/e820.c.
 *
 * Linux counterpart: arch/x86/include/asm/e820/types.h and e820/api.h (6.12).
 * Kept: the entry types and their numbers, a table of at most 128 entries.
 * Simplified: one header for the types and the API.
 *
 * Locking: a machine's table is built by kmm_boot() on one thread and is
 * immutable after boot.
 */
#ifndef KMM_ASM_E820_H
#define KMM_ASM_E820_H

#include <stdbool.h>
#include <stdint.h>

struct kmm_machine;

enum e820_type {
	E820_TYPE_RAM = 1,
	E820_TYPE_RESERVED = 2,
	E820_TYPE_ACPI = 3,
	E820_TYPE_NVS = 4,
	E820_TYPE_UNUSABLE = 5,
	E820_TYPE_PMEM = 7,
};

struct e820_entry {
	uint64_t addr, size;
	enum e820_type type;
};

/*
 * Room for 80 entries (Linux: 128 from the boot protocol, plus 3 per NUMA
 * node for the kernel's own table). A kmm board's map holds at most ~41:
 * the firmware's 8, two more per memmap= range (KMM_MAX_MEMMAP, 16) and one
 * for mem=. The table is the last field of struct kmm_machine, and 80 keeps
 * the struct inside two pages, so that the array after it
 * (m->reserved_chunks, mm/machine.c) starts in the second.
 */
#define E820_MAX_ENTRIES 80
struct e820_table {
	int nr_entries;
	struct e820_entry entries[E820_MAX_ENTRIES];
};

/* ---- arch/x86/kernel/e820.c ---- */

const char *e820_type_name(enum e820_type type);
int __e820__range_add(struct e820_table *t, uint64_t start, uint64_t size, enum e820_type type);
/** e820__update_table() - sort and merge; the highest type wins where entries overlap. Return: 0/-ENOSPC/-ENOMEM. */
int e820__update_table(struct e820_table *t);
/** e820__print_table() - "<who>: [mem 0x...-0x...] type" for every entry of m->e820. */
void e820__print_table(struct kmm_machine *m, const char *who);
/** e820_setup_firmware() - the QEMU PC's map for m->opts.mem bytes of RAM under m->opts.firmware. Return: 0/-errno. */
int e820_setup_firmware(struct kmm_machine *m);
/** e820_apply_mem_limit() - Linux's mem=: drop usable RAM above m->opts.mem_limit. Return: 0/-errno. */
int e820_apply_mem_limit(struct kmm_machine *m);
/** e820_apply_memmap() - carve the memmap= ranges into m->e820. Return: 0/-ENOSPC/-ENOMEM. */
int e820_apply_memmap(struct kmm_machine *m);
/** trim_bios_range() - page 0 reserved, 640K-1M not RAM (with Linux's debug lines). Return: 0/-errno. */
int trim_bios_range(struct kmm_machine *m);
/** e820_end_pfn() - one past the last RAM pfn below @limit_pfn. */
unsigned long e820_end_pfn(const struct kmm_machine *m, unsigned long limit_pfn);
/** e820__mapped_any() - does any entry of @type intersect [start, end)? */
bool e820__mapped_any(const struct kmm_machine *m, uint64_t start, uint64_t end,
			enum e820_type type);

#endif /* KMM_ASM_E820_H */
