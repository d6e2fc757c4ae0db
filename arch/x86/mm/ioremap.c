// SPDX-License-Identifier: MIT
/*
 * arch/x86/mm/ioremap.c - ioremap/iounmap of the simulated device ranges:
 * checking a request against the mmio= regions (the mapping itself is
 * vmap_phys_range(), in mm/ioremap.c).
 *
 * Linux counterpart: arch/x86/mm/ioremap.c, mm/ioremap.c (6.12). Kept: the
 * request is page-aligned outward and the returned pointer keeps the
 * offset into the first page; the area is a VM_IOREMAP vmalloc area with a
 * guard page, listed in /proc/vmallocinfo with phys=; mappings are uncached
 * (PCD|PWT in the PTE). Simplified: a range must lie inside one region
 * declared with the mmio= boot option (Linux would also map RAM with a
 * warning, or refuse it); the device's "registers" are memory: frames of
 * the machine's memory file if the region lies inside it, else a backing
 * file of the region's own (made at its first ioremap), so what a driver
 * writes through ioremap stays there and reads back through a second
 * ioremap. mmio= regions are page-aligned by the boot layer.
 *
 * Invariant and locking: those of mm/vmalloc.c.
 */
#include <errno.h>

#include "include/kmm/vmalloc.h"
#include "mm/include/addr.h"
#include "mm/include/vmalloc.h"

/* The mmio= region holding [phys, end), or -1. */
static int find_mmio(const struct kmm_machine *m, uint64_t phys, uint64_t end)
{
	for (int i = 0; i < m->opts.nr_mmio; i++) {
		const struct kmm_mmio *r = &m->opts.mmio[i];

		if (phys >= r->start && end <= r->start + r->size)
			return i;
	}
	return -1;
}

void *kmm_ioremap_caller(struct kmm_machine *m, uint64_t phys, unsigned long size,
			 const char *caller)
{
	if (!m || !subsys_up(m, SUBSYS_VMALLOC)) {
		kmm_set_error(-ENODEV, "ioremap: no machine, or no vmalloc layer");
		return NULL;
	}
	if (!size || phys + size < phys) {
		kmm_set_error(-EINVAL, "ioremap: bad size %lu at %#llx", size, (unsigned long long)phys);
		return NULL;
	}
	uint64_t last = phys + size;
	int region = find_mmio(m, phys, last);
	if (region < 0) {
		kmm_set_error(-EINVAL, "ioremap: [%#llx-%#llx] is not inside an mmio= region of "
			      "this machine", (unsigned long long)phys, (unsigned long long)last - 1);
		return NULL;
	}
	uint64_t start = phys & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t end = ALIGN_UP(last, (uint64_t)PAGE_SIZE);
	char *p = vmap_phys_range(m, start, (unsigned long)(end - start), region, caller,
				  __builtin_return_address(0));
	return p ? p + (phys - start) : NULL;
}

void *ioremap(uint64_t phys, unsigned long size)
{
	return kmm_ioremap_caller(kmm_current(), phys, size, NULL);
}

void iounmap(const void *addr)
{
	if (!addr)
		return;
	struct kmm_machine *m = kmm_machine_of_kernel_window(addr);
	if (!m) {
		/* No machine to translate it for: name the mistake, not the host address. */
		kmm_set_error(-EINVAL, "iounmap: not an ioremap address of any machine");
		return;
	}
	const char *base = (const char *)((uintptr_t)addr & ~(uintptr_t)(PAGE_SIZE - 1));
	vunmap_phys_range(m, base);
}
