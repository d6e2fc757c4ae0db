// SPDX-License-Identifier: MIT
/*
 * mm/include/vmalloc.h - the vmalloc layer as the rest of the kernel sees
 * it: its /proc views and meminfo figures, and ioremap's mapping half.
 *
 * Linux counterpart: include/linux/vmalloc.h (vmalloc_nr_pages, the
 * VMALLOC_TOTAL figure, vmalloc_info_show registered from mm/vmalloc.c),
 * include/linux/io.h (ioremap). The API itself (vmalloc, vfree, vmap, kmap)
 * is public in include/kmm/vmalloc.h; the layer's own types are private in
 * mm/vmalloc.h.
 */
#ifndef KMM_MM_INCLUDE_VMALLOC_H
#define KMM_MM_INCLUDE_VMALLOC_H

#include <stdint.h>

#include "include/kmm/vmalloc.h"

struct kmm_machine;
struct strbuf;

/** vmalloc_nr_pages() - pages held by vmalloc areas: meminfo's VmallocUsed (proc calls this). */
unsigned long vmalloc_nr_pages(struct kmm_machine *m);
/** vmalloc_total_bytes() - VMALLOC_END - VMALLOC_START (meminfo's VmallocTotal, in bytes). */
uint64_t vmalloc_total_bytes(const struct kmm_machine *m);
/** vmalloc_info_show() - /proc/vmallocinfo. Return: 0, -ENOENT (no vmalloc layer), -ENOMEM. */
int vmalloc_info_show(struct kmm_machine *m, struct strbuf *sb);
/** vmap_phys_range() / vunmap_phys_range() - ioremap's mapping half (mm/ioremap.c; arch/x86/mm/ioremap.c checks). */
void *vmap_phys_range(struct kmm_machine *m, uint64_t phys, unsigned long size, int region,
		      const char *caller, const void *ret);
int vunmap_phys_range(struct kmm_machine *m, const void *addr);

#endif /* KMM_MM_INCLUDE_VMALLOC_H */
