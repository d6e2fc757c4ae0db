// SPDX-License-Identifier: MIT
/*
 * tests/boot_test.h - what the boot tests work out again from a booted
 * machine's own memblock books (integration_layouts.c, stress_boot.c,
 * unit_boot_memblock.c), to hold the figures the boot prints against.
 */
#ifndef KMM_TESTS_BOOT_TEST_H
#define KMM_TESTS_BOOT_TEST_H

#include "mm/include/memblock.h"
#include "mm/internal.h"

/* Bytes of RAM (memblock.memory) that memblock reservations cover. */
static inline uint64_t reserved_ram_bytes(struct kmm_machine *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	uint64_t sum = 0;

	for (int i = 0; i < mem->cnt; i++)
		sum += memblock_overlap(&m->memblock.reserved, mem->regions[i].base,
					mem->regions[i].base + mem->regions[i].size);
	return sum;
}

/* Pages reserved in memblock that are RAM (what "reserved" must consist of). */
static inline unsigned long reserved_ram_pages(struct kmm_machine *m)
{
	return (unsigned long)(reserved_ram_bytes(m) >> PAGE_SHIFT);
}

#endif /* KMM_TESTS_BOOT_TEST_H */
