/* SPDX-License-Identifier: MIT */
/*
 * shim/boot_line.h - the malloc shim's boot line, in one place.
 *
 * shim/malloc.c boots its machine with the line shim_boot_line() writes, and
 * the tests that measure that machine (what a boot leaves resident, the
 * struct pages it leaves untouched, the caches and blocks it leaves out)
 * boot the same text through the same function: a change to the line shows
 * in their figures instead of leaving them on a hand copy of an old line.
 *
 * Linux counterpart: none (a kernel's command line comes from its boot
 * loader; this is the shim's choice of options, docs/malloc.md).
 */
#ifndef KMM_SHIM_BOOT_LINE_H
#define KMM_SHIM_BOOT_LINE_H

#include <stdbool.h>
#include <stdio.h>

/* The RAM a growing machine boots with; KMM_MALLOC_MEM (default below) is its most. */
#define SHIM_BOOT_MEM_TEXT	"128M"
#define SHIM_MEM_DEFAULT	"4G"

/*
 * The options every shim machine boots with, after nr_cpus=. debug_checks=off:
 * a debug build or KMM_DEBUG_CHECKS would otherwise check this machine after
 * every malloc (KMM_MALLOC_CMDLINE may turn it back on: the last occurrence
 * wins). slab_sheaves=on: a freed block goes to its CPU's sheaf (mm/slab.h),
 * glibc's tcache in kernel terms. mixed_blocks=reserved: boot leaves the
 * struct pages of the free parts of its reserved blocks untouched (220 KB less
 * at start, for 12 MiB of the first 128M; docs/boot-options.md).
 * kmalloc_caches=lazy: the kmalloc-rcl-* and dma-kmalloc-* caches, which the
 * shim never asks for, are not made (~40 KB less at start).
 * slab_shadow_granule=16: half the shadow (and no kmalloc-8: sizes 1..8 take
 * kmalloc-16, as in Linux with a 16-byte KMALLOC_MIN_SIZE). proc_caches=lazy:
 * the process layer's four caches and its zero page wait for a first task,
 * which the shim never makes (with kmalloc-8 gone, the struct kmem_caches
 * then fit one slab: a RAM page less).
 */
#define SHIM_BOOT_OPTIONS	" ram=anon debug_checks=off slab_sheaves=on mixed_blocks=reserved" \
				" kmalloc_caches=lazy slab_shadow_granule=16 proc_caches=lazy"
/* The default mode's tail (no hardening, no slab_debug): a free block's link in the line its user touches. */
#define SHIM_BOOT_TAIL_DEFAULT	" slab_freeptr=start"

/*
 * Write the shim's boot line for a machine of @mem (a size such as "4G") with
 * @cpus CPUs into @buf: with @grow, a machine of SHIM_BOOT_MEM_TEXT that
 * memory hotplug grows up to @mem (shim/malloc.c, shim_grow()), else one of
 * @mem at once; @tail (a leading space each) ends it: SHIM_BOOT_TAIL_DEFAULT
 * in the default mode, the debug, hardening and KMM_MALLOC_CMDLINE options
 * otherwise. Returns snprintf()'s count (>= @size: cut short).
 */
static inline int shim_boot_line(char *buf, size_t size, const char *mem, bool grow, int cpus,
				 const char *tail)
{
	if (grow)
		return snprintf(buf, size, "mem=" SHIM_BOOT_MEM_TEXT " maxmem=%s memhp_default_state=online"
				" memory_hotplug.memmap_on_memory=1 nr_cpus=%d" SHIM_BOOT_OPTIONS "%s",
				mem, cpus, tail);
	return snprintf(buf, size, "mem=%s nr_cpus=%d" SHIM_BOOT_OPTIONS "%s", mem, cpus, tail);
}

#endif /* KMM_SHIM_BOOT_LINE_H */
