// SPDX-License-Identifier: MIT
/*
 * mm/ioremap.c - the mapping half of ioremap: a VM_IOREMAP area over a
 * device range, backed by the RAM file or by a file of the mmio= region's
 * own. The request is checked in arch/x86/mm/ioremap.c.
 *
 * Linux counterpart: mm/ioremap.c (generic_ioremap_prot, generic_iounmap)
 * and mm/vmalloc.c (ioremap_page_range, get_vm_area_caller) (6.12). Kept:
 * areas aligned to their size's order, capped at IOREMAP_MAX_ORDER (16 MiB);
 * uncached PTEs (PCD|PWT).
 *
 * Invariant and locking: those of mm/vmalloc.c; a region's backing file is
 * made once, under vs->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/vmalloc.h"
#include "lib/rbtree.h"
#include "mm/include/pgtable.h"
#include "mm/include/addr.h"
#include "mm/internal.h"
#include "mm/vmalloc.h"

/**
 * vmap_phys_range() - map the device range [@phys, @phys + @size) of mmio=
 * region @region as a VM_IOREMAP area.
 * @caller, @ret: who asked, for /proc/vmallocinfo.
 * Context: takes vs->lock. Return: the host address of the area, or NULL
 * with the error set.
 */
static void *__vmap_phys_range(struct kmm_machine *m, uint64_t phys, unsigned long size,
			       int region, const char *caller, const void *ret);

void *vmap_phys_range(struct kmm_machine *m, uint64_t phys, unsigned long size, int region,
		      const char *caller, const void *ret)
{
	kmm_op_begin(m);	/* one operation for the stream (kernel tables may be built) */
	void *p = __vmap_phys_range(m, phys, size, region, caller, ret);
	kmm_op_end(m);
	return p;
}

static void *__vmap_phys_range(struct kmm_machine *m, uint64_t phys, unsigned long size,
			       int region, const char *caller, const void *ret)
{
	struct vmalloc_state *vs = vstate(m);
	unsigned long n = (unsigned long)(size >> PAGE_SHIFT);
	struct vm_struct *vm = calloc(1, sizeof(*vm));

	if (!vm || !(vm->pfns = calloc(n, sizeof(*vm->pfns)))) {
		free(vm);
		kmm_set_error(-ENOMEM, "ioremap: no host memory");
		return NULL;
	}
	for (unsigned long i = 0; i < n; i++)
		vm->pfns[i] = (unsigned long)(phys >> PAGE_SHIFT) + i;
	vm->flags = VM_IOREMAP | VM_UNINITIALIZED;
	vm->size = size + PAGE_SIZE;
	vm->nr_mapped = n;
	vm->phys_addr = phys;
	set_caller(vm, caller, ret);
	/* Linux aligns ioremap areas to their size's order (IOREMAP_MAX_ORDER caps it). */
	unsigned long align = PAGE_SIZE;
	while (align < size && align < (1UL << 24))
		align <<= 1;
	/*
	 * Device memory: frames of the RAM file if the range lies inside it,
	 * else a backing file of the region's own, made at its first ioremap.
	 */
	struct sim_ram *ram = &m->ram;
	unsigned long *host_pfns = vm->pfns;
	if (phys + size > m->ram.size) {
		int r = region;
		spin_lock(&vs->lock);
		if (!vs->mmio_ram[r] && (vs->mmio_ram[r] = calloc(1, sizeof(struct sim_ram))) &&
		    sim_ram_create(vs->mmio_ram[r], m->opts.mmio[r].size, 0, false, false)) {
			free(vs->mmio_ram[r]);
			vs->mmio_ram[r] = NULL;
		}
		ram = vs->mmio_ram[r];
		spin_unlock(&vs->lock);
		host_pfns = ram ? malloc(n * sizeof(*host_pfns)) : NULL;
		if (!host_pfns) {
			free_vm_struct(vm);
			kmm_set_error(-ENOMEM, "ioremap: no backing for device region %s",
				      m->opts.mmio[r].name);
			return NULL;
		}
		for (unsigned long i = 0; i < n; i++)
			host_pfns[i] = (unsigned long)((phys - m->opts.mmio[r].start) >> PAGE_SHIFT) + i;
	}
	struct vmap_area *va = alloc_vmap_area(vs, vm->size, align, vs->vstart, vs->vend);
	int err = va ? map_frames(m, ram, va->va_start, host_pfns, vm->pfns, n,
				  PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT) : -ENOMEM;
	if (host_pfns != vm->pfns)
		free(host_pfns);
	if (err) {
		if (va)
			free_vmap_area(vs, va);
		free_vm_struct(vm);
		return NULL;
	}
	vm->addr = va->va_start;
	spin_lock(&vs->lock);
	va->vm = vm;
	vm->flags &= ~(unsigned long)VM_UNINITIALIZED;
	spin_unlock(&vs->lock);
	return kernel_va_to_host(m, vm->addr);
}

/** vunmap_phys_range() - undo vmap_phys_range(). Return: 0, or -EINVAL if @addr is no area. */
int vunmap_phys_range(struct kmm_machine *m, const void *addr)
{
	kmm_op_begin(m);
	struct vm_struct *vm = remove_vm_area(m, addr, "iounmap");

	if (vm)
		free_vm_struct(vm);
	kmm_op_end(m);
	return vm ? 0 : -EINVAL;
}
