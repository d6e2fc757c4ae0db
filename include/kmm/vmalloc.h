// SPDX-License-Identifier: MIT
/*
 * include/kmm/vmalloc.h - kernel virtual memory: vmalloc, vmap, ioremap,
 * kmap. The public API of mm/vmalloc.c, mm/highmem.c and mm/ioremap.c.
 *
 * Pointers handed out here are real host pointers into the machine's
 * vmalloc window: the area's pages are the frames it was built from, mapped
 * with the memory file, so bytes written through a vmalloc pointer are the
 * bytes page_address()/kmap() of each frame read. kmm_virt_addr() gives the
 * simulated kernel virtual address Linux would print (0xf8800000-ish on
 * i386, 0xffffc90000000000-ish on x86_64).
 *
 * The calls without a machine argument act on the current machine
 * (kmm_use); vfree/vunmap/iounmap/kvfree find the machine from the pointer.
 *
 * Limits of the host. The simulated x86_64 vmalloc space is 32 TiB; the
 * host window behind it is max(1 GiB, 2 x mem=), at most 64 GiB
 * (vmalloc_window=SIZE overrides it): an allocation that does not fit the
 * window fails as an exhausted vmalloc space does. On i386 the window is the
 * whole 128-MiB-ish top of the address space. Each run of consecutive frames
 * in an area is one host mapping, and the host caps mappings per process
 * (vm.max_map_count, 65530 by default): areas of many scattered frames can
 * hit that cap first, and then fail with ENOMEM from sim_map_frames.
 *
 * Errors: NULL (or a negative errno) with kmm_last_error() naming the cause;
 * nothing is left allocated on failure.
 */
#ifndef KMM_VMALLOC_H
#define KMM_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kmm/kmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vm_struct flags (include/linux/vmalloc.h values) */
#define VM_IOREMAP	0x00000001	/* ioremap() and friends */
#define VM_ALLOC	0x00000002	/* vmalloc() */
#define VM_MAP		0x00000004	/* vmap()ed pages */
#define VM_USERMAP	0x00000008	/* suitable for remap_vmalloc_range */
#define VM_DMA_COHERENT	0x00000010
#define VM_UNINITIALIZED 0x00000020	/* vm_struct is not fully initialized */
#define VM_NO_GUARD	0x00000040	/* don't add guard page */

/* Page protections for vmap() (a subset of x86's). */
#define KMM_PAGE_KERNEL		0
#define KMM_PAGE_KERNEL_RO	1

/* ---- vmalloc ---- */

/** vmalloc() - @size bytes of virtually contiguous memory (GFP_KERNEL, highmem pages allowed). */
void *vmalloc(unsigned long size);
/** vzalloc() - vmalloc() and zero. */
void *vzalloc(unsigned long size);
/** vmalloc_node() - vmalloc() with pages preferred from node @nid (NUMA_NO_NODE = -1: any). */
void *vmalloc_node(unsigned long size, int nid);
/** vmalloc_user() - zeroed, flagged VM_USERMAP (may be mapped to user space). */
void *vmalloc_user(unsigned long size);
/** vmalloc_32() - pages below 4 GiB physical (lowmem on 32-bit). */
void *vmalloc_32(unsigned long size);
/** __vmalloc() - vmalloc() with the caller's GFP flags (__GFP_ZERO, __GFP_NOWARN, ...). */
void *__vmalloc(unsigned long size, gfp_t gfp);
/**
 * kmm_vmalloc_caller() - the general form: the area is listed in
 * /proc/vmallocinfo with @caller as its caller (NULL: the return address).
 * @align: a power of two (below PAGE_SIZE, and 0, mean PAGE_SIZE).
 * @vm_flags: VM_USERMAP or 0 (VM_ALLOC is implied).
 * @nid: preferred node or -1.
 */
void *kmm_vmalloc_caller(struct kmm_machine *m, unsigned long size, unsigned long align,
			 gfp_t gfp, int nid, unsigned long vm_flags, const char *caller);

/** vfree() - free a vmalloc'ed area; NULL is a no-op. A bad pointer is reported, not fatal. */
void vfree(const void *addr);

/* ---- vmap ---- */

/**
 * vmap() - map @count caller-owned pages contiguously. The pages stay the
 * caller's: vunmap() removes the mapping and does not free them.
 * @flags: VM_MAP (others ignored). @prot: KMM_PAGE_KERNEL.
 */
void *vmap(struct page **pages, unsigned int count, unsigned long flags, int prot);
/** kmm_vmap_caller() - vmap() with a caller name for /proc/vmallocinfo. */
void *kmm_vmap_caller(struct kmm_machine *m, struct page **pages, unsigned int count,
		      unsigned long flags, const char *caller);
/** vunmap() - undo vmap(). */
void vunmap(const void *addr);

/* ---- ioremap of simulated MMIO (the mmio= boot option) ---- */

/**
 * ioremap() - map the device range [@phys, @phys+@size) into vmalloc space.
 * The range must lie inside one mmio= region of the current machine.
 */
void *ioremap(uint64_t phys, unsigned long size);
/** kmm_ioremap_caller() - ioremap() on @m with a caller name. */
void *kmm_ioremap_caller(struct kmm_machine *m, uint64_t phys, unsigned long size,
			 const char *caller);
/** iounmap() - undo ioremap(). */
void iounmap(const void *addr);

/* ---- Lookups ---- */

/** is_vmalloc_addr() - does @addr lie in some machine's vmalloc range? */
bool is_vmalloc_addr(const void *addr);
/** vmalloc_to_page() - the page mapped at @addr (walks the kernel page tables), or NULL. */
struct page *vmalloc_to_page(const void *addr);
/** vmalloc_to_pfn() - its frame number; 0 if unmapped. */
unsigned long vmalloc_to_pfn(const void *addr);
/**
 * kmm_virt_addr() - the simulated kernel virtual address of a host pointer
 * into @m's direct map, vmalloc, pkmap or fixmap range; 0 if none.
 */
uint64_t kmm_virt_addr(struct kmm_machine *m, const void *addr);

/** vm_unmap_aliases() - purge the lazily freed areas of the current machine now. */
void vm_unmap_aliases(void);
/** vm_unmap_aliases_m() - the same on @m. Return: pages of address space purged. */
unsigned long vm_unmap_aliases_m(struct kmm_machine *m);
/** lazy_max_pages() - the lazy-purge threshold: fls(ncpus) * 32 MiB / PAGE_SIZE. */
unsigned long lazy_max_pages(struct kmm_machine *m);

/* A snapshot of the vmalloc space, for tests, benchmarks and the CLI. */
struct kmm_vmalloc_stats {
	uint64_t vstart, vend;		/* the allocatable range (within the host window) */
	unsigned long long nr_busy;	/* busy areas (mapped or being mapped) */
	unsigned long long nr_free_areas;
	unsigned long long free_bytes;	/* in the free tree (lazy ranges not counted) */
	unsigned long long largest_free;
	unsigned long long lazy_pages;	/* address space waiting on the lazy list */
	unsigned long long lazy_max_pages;
	unsigned long long nr_purges, nr_tlb_flushes;
	unsigned long long nr_vmalloc_pages;	/* VmallocUsed, in pages */
	unsigned long long window_bytes;
	bool have_pgtables;		/* mappings are also written as kernel PTEs */
};
/** kmm_vmalloc_stats() - fill @st (zeroes if @m has no vmalloc layer). */
void kmm_vmalloc_stats(struct kmm_machine *m, struct kmm_vmalloc_stats *st);

/* ---- kvmalloc ---- */

/** kvmalloc() - kmalloc() first; vmalloc() if that fails or the size is large. */
void *kvmalloc(size_t size, gfp_t gfp);
/** kvzalloc() - kvmalloc(size, gfp | __GFP_ZERO). */
void *kvzalloc(size_t size, gfp_t gfp);
/** kvfree() - free either kind. */
void kvfree(const void *addr);

/* ---- Highmem (mm/highmem.c). On x86_64 these reduce to page_address(). ---- */

/**
 * kmap() - a permanent kernel mapping of @page (PKMAP slot, refcounted).
 * Context: may wait for a free slot when other threads hold them all;
 * single-threaded, a full PKMAP area is an error (NULL, message set).
 */
void *kmap(struct page *page);
/** kunmap() - drop one kmap() reference of @page. Return: 0 or -EINVAL (not kmapped). */
int kunmap(struct page *page);
/** kmap_local_page() - a CPU-local mapping in a fixmap slot (stack order). NULL if the stack is full. */
void *kmap_local_page(struct page *page);
/**
 * kunmap_local() - undo the most recent kmap_local_page() of this CPU.
 * Return: 0, or -EINVAL if @addr is not the top of the stack (state unchanged).
 */
int kunmap_local(const void *addr);
/** kmap_atomic() / kunmap_atomic() - the deprecated forms of the same slots. */
void *kmap_atomic(struct page *page);
int kunmap_atomic(const void *addr);
/** kmap_local_depth() - mappings on this CPU's kmap_local stack. */
int kmap_local_depth(struct kmm_machine *m);

/** clear_highpage() - zero @page through a temporary mapping. */
void clear_highpage(struct page *page);
/** copy_highpage() - copy @from's bytes into @to. */
void copy_highpage(struct page *to, struct page *from);
/** memcpy_from_page() / memcpy_to_page() - bytes of a (highmem) page at @offset. */
void memcpy_from_page(char *to, struct page *page, size_t offset, size_t len);
void memcpy_to_page(struct page *page, size_t offset, const char *from, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* KMM_VMALLOC_H */
