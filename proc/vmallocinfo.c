// SPDX-License-Identifier: MIT
/*
 * proc/vmallocinfo.c - /proc/vmallocinfo.
 *
 * Linux counterpart: mm/vmalloc.c vmalloc_info_show(). (meminfo's
 * VmallocUsed comes from the vmalloc entry's meminfo hook, mm/vmalloc.c.)
 * The rendering lives next to the areas
 * in mm/vmalloc.c (vmalloc_info_show); this file only plugs it into the proc
 * tables.
 *
 * Format, one line per busy area in address order, then the lazily freed
 * ones: "0x<start>-0x<end> <size incl. guard> <caller> pages=N phys=0x..
 * ioremap|vmalloc|vmap|user N<node>=<pages>", "... unpurged vm_area".
 *
 * Locking: the vmalloc lock, taken by vmalloc_info_show().
 */
#include "mm/include/vmalloc.h"
#include "proc/proc.h"

int vmallocinfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	return vmalloc_info_show(m, sb);
}
