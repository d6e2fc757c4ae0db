// SPDX-License-Identifier: MIT
/*
 * mm/vmalloc.c - kernel virtual areas: vmalloc, vmap, kvmalloc, lookups,
 * /proc/vmallocinfo, the layer's boot and shutdown, and the host window that
 * makes the mappings real. The free-space tree and lazy purging are in
 * mm/vmap_area.c, ioremap's mapping in mm/ioremap.c, the checker in
 * mm/vmalloc_check.c; their shared types in mm/vmalloc.h.
 *
 * Linux counterpart: mm/vmalloc.c (6.12). Kept: vmap_area / vm_struct, the
 * free space as an rb-tree sorted by address whose nodes cache the largest
 * free block of their subtree (Rezki's 2019 rework), so the lowest-address
 * first fit is found by one descent; the four fit types (full, left edge,
 * right edge, no edge) when a free block is split; merging with both
 * neighbours on free; one guard page per area; lazy purge: vfree clears the
 * PTEs at once but the address range waits on a lazy list until more than
 * lazy_max_pages() = fls(ncpus) * 32 MiB / PAGE_SIZE pages are waiting, then
 * one "TLB flush" covers them all. The host's mapping of an area plays the
 * TLB: it is filled when the area is mapped (up to VMALLOC_POPULATE_PAGES),
 * as Linux writes every PTE then, and an area of consecutive frames keeps it
 * until the purge, as stale TLB entries stay until the flush. Simplified: one vmap node (no per-CPU
 * vmap blocks, no vm_map_ram), vmap_area structs come from host malloc.
 * Added: every area is really mapped in a host window (see below).
 *
 * The host window. One host range is reserved per machine, m->kwin (the
 * machine's, so that mm/addr.c converts without calling up here); simulated
 * kernel virtual address va lives at host address kwin.host + (va - kwin.va). On
 * i386 the window covers everything from VMALLOC_START to 4 GiB (vmalloc,
 * PKMAP and fixmap, ~130 MiB). On x86_64 the simulated vmalloc space is
 * 32 TiB, far more than a host should reserve, so the window covers the
 * first max(1 GiB, 2 * mem=) bytes of it (at most 64 GiB; override with the
 * boot option vmalloc_window=SIZE): an allocation that does not fit in the
 * window fails exactly as an exhausted vmalloc space fails. VmallocTotal
 * still reports Linux's 32 TiB.
 *
 * Kernel page tables. Every mapping is also written as a PTE in the
 * kernel's tables (mm/pgtable.c, in the format of the machine's arch), and
 * vmalloc_to_page() walks them. The root and the PKMAP/fixmap tables are
 * made at the first mapping rather than at boot, so that a machine that
 * never uses vmalloc boots to the same free-page numbers with or without
 * this layer (Linux makes them in early boot). Empty tables are freed when
 * a lazy range is purged (Linux keeps them; kmm frees them so the leak
 * check of a test sees every page come back).
 *
 * Invariant (vmalloc_check): the free, busy and lazy areas are disjoint and
 * cover [vstart, vend) exactly; no two free areas touch (they would have
 * been merged); every free node's subtree_max_size is the largest size in
 * its subtree; no frame a busy area maps is free in the buddy allocator and
 * every vmalloc page holds a reference; the PTEs of a busy area map exactly
 * its frames and its guard page is unmapped; nr_vmalloc_pages is the sum of
 * the pages of VM_ALLOC areas.
 *
 * A machine booted with ram=anon has no memory file to map twice: its
 * vmalloc and kmap of highmem fail with a clear error (sim_map_frames).
 *
 * Locking: vs->lock protects the three sets of areas, the counters and the
 * kernel page tables of the vmalloc range. Pages are allocated and freed
 * outside it. Order: kmap_lock (mm/highmem.c) -> vs->lock -> zone->lock
 * (page tables come from the page allocator) -> log_lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/vmalloc.h"
#include "lib/rbtree.h"
#include "mm/include/addr.h"
#include "mm/include/boot_options.h"
#include "mm/include/pgtable.h"
#include "mm/internal.h"
#include "mm/vmalloc.h"

/* ---- The window and the kernel page tables ---- */

/*
 * Areas up to this many pages are mapped on the host at once (MAP_POPULATE),
 * as Linux's vmalloc writes every PTE at once: one host call, no fault at
 * each first touch. Bigger ones fault page by page on the host, so that an
 * area never touched costs the host no memory (the machine's RAM is
 * committed lazily).
 */
#define VMALLOC_POPULATE_PAGES	512

static bool in_vmalloc_range(const struct vmalloc_state *vs, uint64_t va)
{
	return va >= vs->vstart && va < vs->vend;
}

/* One walk per page table: the PTE slots of consecutive pages lie side by side in it. */
static inline bool new_pte_table(const struct kmm_pgtable *pt, uint64_t va)
{
	const struct pgtable_geometry *g = pt->geo;

	return !(va & ((1ULL << (g->shift[PGT_PTE] + g->bits[PGT_PTE])) - 1));
}

/*
 * Write the PTEs of @n pages from @va (frames @pfns, @prot), making tables
 * as needed. Return: 0, or -ENOMEM with *@done PTEs written.
 */
static int set_ptes(struct kmm_pgtable *pt, uint64_t va, const unsigned long *pfns, size_t n,
		    pteval_t prot, size_t *done)
{
	char *slot = NULL;
	int err = 0;

	for (*done = 0; *done < n; (*done)++, va += PAGE_SIZE) {
		if (!slot || new_pte_table(pt, va)) {
			if (!(slot = pgtable_walk(pt, va, true, &err)))
				return err;
		} else {
			slot += pt->geo->entry_size;
		}
		pte_set(pt, slot, pfn_pte_geo(pt->geo, pfns[*done], prot));
	}
	return 0;
}

/* Clear the PTEs of @n pages from @va (where there is no table, nothing is mapped). */
static void clear_ptes(struct kmm_pgtable *pt, uint64_t va, size_t n)
{
	char *slot = NULL;

	for (size_t i = 0; i < n; i++, va += PAGE_SIZE) {
		if (!slot || new_pte_table(pt, va))
			slot = pgtable_walk(pt, va, false, NULL);
		else
			slot += pt->geo->entry_size;
		if (slot)
			pte_xchg(pt, slot, 0);
	}
}

/*
 * Map frames at @va: the host sees frames @host_pfns of @ram, the kernel
 * page table holds @pfns (the same numbers, except for device memory that
 * has its own backing file). @make_tables: create the kernel's page tables
 * if they do not exist yet; without it the PTEs are written only when they
 * do. @populate: the host maps every page now, as the kernel's PTEs are
 * (else at the first touch of each).
 */
static int __map_frames(struct kmm_machine *m, struct sim_ram *ram, uint64_t va,
			const unsigned long *host_pfns, const unsigned long *pfns, size_t n,
			pteval_t prot, bool make_tables, bool populate)
{
	struct vmalloc_state *vs = vstate(m);
	void *host = kernel_va_to_host(m, va);
	int err;

	if (!host || !kernel_va_to_host(m, va + n * PAGE_SIZE - 1))
		return kmm_set_error(-EFAULT, "kernel mapping %#llx+%zu pages is outside the host window",
				     (unsigned long long)va, n);
	if (ram->fd < 0)
		return kmm_set_error(-EOPNOTSUPP, "cannot map frames at %#llx: the machine's RAM is "
				     "anonymous memory (ram=anon), which cannot be mapped twice",
				     (unsigned long long)va);
	if (make_tables && (err = vmalloc_prepare_pgtables(m)))
		return err;
	err = sim_map_frames(ram, host, host_pfns, n, populate);
	if (err)
		return kmm_set_error(err, "sim_map_frames failed (%d) for %#llx", err,
				     (unsigned long long)va);
	if (__atomic_load_n(&vs->have_pt, __ATOMIC_ACQUIRE)) {
		/*
		 * The vmalloc range may need new tables: allocate them under the
		 * lock. PKMAP and fixmap tables exist from boot, so kmap's fast
		 * paths store their PTEs without it (one atomic store each).
		 */
		bool locked = in_vmalloc_range(vs, va);
		size_t done;

		if (locked)
			spin_lock(&vs->lock);
		err = set_ptes(&vs->kpt, va, pfns, n, prot, &done);
		if (err) {
			clear_ptes(&vs->kpt, va, done);
			if (locked)
				spin_unlock(&vs->lock);
			sim_unmap_frames(host, n);
			return kmm_set_error(err, "no memory for kernel page tables at %#llx",
					     (unsigned long long)va);
		}
		if (locked)
			spin_unlock(&vs->lock);
	}
	return 0;
}

int map_frames(struct kmm_machine *m, struct sim_ram *ram, uint64_t va,
	       const unsigned long *host_pfns, const unsigned long *pfns, size_t n, pteval_t prot)
{
	return __map_frames(m, ram, va, host_pfns, pfns, n, prot, true, false);
}

int kernel_map_fixmap(struct kmm_machine *m, uint64_t va, unsigned long pfn, bool host_mapped)
{
	struct vmalloc_state *vs = vstate(m);

	if (!host_mapped)
		return __map_frames(m, &m->ram, va, &pfn, &pfn, 1, PAGE_KERNEL, false, false);
	/* The host already shows @pfn there: only the PTE (fixmap tables take no lock). */
	if (vs && __atomic_load_n(&vs->have_pt, __ATOMIC_ACQUIRE))
		return pgtable_set_pte(&vs->kpt, va, pfn_pte_geo(vs->kpt.geo, pfn, PAGE_KERNEL));
	return 0;
}

void kernel_unmap_fixmap(struct kmm_machine *m, uint64_t va, bool keep_host)
{
	struct vmalloc_state *vs = vstate(m);
	void *host = kernel_va_to_host(m, va);

	if (!vs || !host)
		return;
	if (__atomic_load_n(&vs->have_pt, __ATOMIC_ACQUIRE))
		pgtable_clear_pte(&vs->kpt, va);
	if (!keep_host)
		sim_unmap_frames(host, 1);
}

int kernel_map_pages(struct kmm_machine *m, uint64_t va, const unsigned long *pfns, size_t n,
		     pteval_t prot)
{
	return map_frames(m, &m->ram, va, pfns, pfns, n, prot);
}

/* Clear PTEs and host mapping of [va, +n pages). Caller holds vs->lock in the vmalloc range. */
static void unmap_pages_locked(struct kmm_machine *m, struct vmalloc_state *vs, uint64_t va,
			       size_t n)
{
	void *host = kernel_va_to_host(m, va);

	if (!host || !n)
		return;
	sim_unmap_frames(host, n);
	if (vs->have_pt)
		clear_ptes(&vs->kpt, va, n);
}

void kernel_unmap_pages(struct kmm_machine *m, uint64_t va, size_t n)
{
	struct vmalloc_state *vs = vstate(m);
	bool locked = vs && in_vmalloc_range(vs, va);

	if (!vs)
		return;
	if (locked)
		spin_lock(&vs->lock);
	unmap_pages_locked(m, vs, va, n);
	if (locked)
		spin_unlock(&vs->lock);
}

/* ---- vm_struct ---- */

/* How many runs of consecutive frames (host mappings) @pfns[0 .. @n) make. */
static size_t frame_runs(const unsigned long *pfns, size_t n)
{
	size_t runs = n ? 1 : 0;

	for (size_t i = 1; i < n; i++)
		runs += pfns[i] != pfns[i - 1] + 1;
	return runs;
}


void set_caller(struct vm_struct *vm, const char *caller, const void *ret)
{
	if (caller)
		snprintf(vm->caller, sizeof(vm->caller), "%s", caller);
	else
		vm->caller_addr = ret;
}

/*
 * Map a fresh busy area: pfns of its pages, minus the guard page. The area
 * is made visible to lookups (vm set) only once mapped.
 */
static int map_area(struct kmm_machine *m, struct vmap_area *va, struct vm_struct *vm,
		    const unsigned long *pfns, size_t n, pteval_t prot)
{
	int err = __map_frames(m, &m->ram, va->va_start, pfns, pfns, n, prot, true,
			       n <= VMALLOC_POPULATE_PAGES);

	if (err)
		return err;
	struct vmalloc_state *vs = vstate(m);

	spin_lock(&vs->lock);
	va->vm = vm;
	vm->flags &= ~(unsigned long)VM_UNINITIALIZED;
	if (vm->flags & VM_ALLOC)
		WRITE_ONCE(vs->nr_vmalloc_pages, vs->nr_vmalloc_pages + vm->nr_pages);
	spin_unlock(&vs->lock);
	return 0;
}

/*
 * Remove the area at @addr: unmap it now, put its range on the lazy list
 * and purge if the list is over lazy_max_pages(). Return: the vm_struct
 * (the caller frees pages and struct) or NULL with an error.
 */
struct vm_struct *remove_vm_area(struct kmm_machine *m, const void *addr,
					const char *who)
{
	struct vmalloc_state *vs = vstate(m);
	uint64_t a = kernel_host_to_va(m, addr);

	spin_lock(&vs->lock);
	struct vmap_area *va = a ? __find_vmap_area(vs, a) : NULL;
	if (!va || va->va_start != a || !va->vm) {
		spin_unlock(&vs->lock);
		/* The kernel address, as dmesg says: the host's would differ run to run. */
		kmm_set_error(-EINVAL, "%s: Trying to %s() nonexistent vm area (%#llx)", who, who,
			      (unsigned long long)a);
		kmm_printk(m, "WARNING: Trying to %s() nonexistent vm area (%#llx)", who,
			   (unsigned long long)a);
		return NULL;
	}
	struct vm_struct *vm = va->vm;

	rb_erase(&va->rb_node, &vs->busy_root);
	vs->nr_busy--;
	va->vm = NULL;
	if (vm->flags & VM_ALLOC)
		WRITE_ONCE(vs->nr_vmalloc_pages, vs->nr_vmalloc_pages - vm->nr_pages);
	/*
	 * vunmap_range_noflush(): the PTEs go now; the host's mapping stands
	 * for the TLB entries, which go at the purge (purge_lazy_locked). But
	 * an area of scattered frames is one host mapping per run of them:
	 * left standing, a thousand such areas would be tens of thousands of
	 * host mappings, which slow every other mapping call; those go now.
	 */
	if (vs->have_pt)
		clear_ptes(&vs->kpt, va->va_start, vm->nr_mapped);
	if (frame_runs(vm->pfns, vm->nr_mapped) > 1)
		sim_unmap_frames(kernel_va_to_host(m, va->va_start), vm->nr_mapped);
	list_add_tail(&va->list, &vs->lazy_list);
	/* at most VMALLOC_LAZY_HOST_MAX of them standing: the newest go in one sweep */
	if (++vs->lazy_host_nr > VMALLOC_LAZY_HOST_MAX)
		flush_lazy_host_locked(vs);
	vs->lazy_nr += va_size(va) >> PAGE_SHIFT;
	uint64_t start = va->va_start, size = va_size(va);
	if (vs->lazy_nr > lazy_max_pages(m))
		purge_lazy_locked(vs);
	spin_unlock(&vs->lock);
	trace_free_vmap_area_noflush(m, start, size);
	return vm;
}

/*
 * alloc_vmap_area() as the stream sees it: fail_vmalloc's decision point
 * first, then the alloc_vmap_area event (also when it failed), which
 * charges the area's virtual time.
 */
static struct vmap_area *get_vmap_area(struct kmm_machine *m, struct vmalloc_state *vs,
				       unsigned long size, unsigned long align, gfp_t gfp)
{
	struct vmap_area *va = NULL;

	if (should_fail_vmalloc(m, size, gfp))
		kmm_set_error(-ENOMEM, "vmap allocation for size %lu failed: by fail_vmalloc",
			      size);
	else
		va = alloc_vmap_area(vs, size, align, vs->vstart, vs->vend);
	trace_alloc_vmap_area(m, va ? va->va_start : 0, size, align, vs->vstart, vs->vend, !va);
	return va;
}

void free_vm_struct(struct vm_struct *vm)
{
	free(vm->pages);
	free(vm->pfns);
	free(vm);
}

/* ---- vmalloc ---- */

static void free_area_pages(struct vm_struct *vm)
{
	for (unsigned int i = 0; i < vm->nr_pages; i++)
		if (vm->pages[i])
			__free_pages(vm->pages[i], 0);
}

static int cmp_page_ptr(const void *a, const void *b)
{
	const struct page *x = *(struct page *const *)a, *y = *(struct page *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sort @pages by frame. The per-CPU list hands back what the last vfree gave
 * it, last freed first: often in descending order (reversed here in one
 * pass) or already ascending; anything else goes to qsort.
 */
static void sort_pages(struct page **pages, unsigned long n)
{
	bool up = true, down = true;

	for (unsigned long i = 1; i < n && (up || down); i++) {
		up &= pages[i - 1] < pages[i];
		down &= pages[i - 1] > pages[i];
	}
	if (up)
		return;
	if (!down) {
		qsort(pages, n, sizeof(*pages), cmp_page_ptr);
		return;
	}
	for (unsigned long i = 0, j = n - 1; i < j; i++, j--) {
		struct page *t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
	}
}

static void *__vmalloc_common(struct kmm_machine *m, unsigned long size, unsigned long align,
			      gfp_t gfp, int nid, unsigned long vm_flags, const char *caller,
			      const void *ret)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs) {
		kmm_set_error(-ENODEV, "vmalloc: no machine, or its vmalloc layer is not initialised");
		return NULL;
	}
	if (!size || size > vs->vend - vs->vstart) {
		kmm_set_error(-EINVAL, "vmalloc: size %lu is %s", size,
			      size ? "larger than the vmalloc space" : "zero");
		return NULL;
	}
	if (nid >= m->nr_node_ids || nid < -1) {
		kmm_set_error(-EINVAL, "vmalloc: node %d does not exist (nodes 0-%d)", nid,
			      m->nr_node_ids - 1);
		return NULL;
	}
	if (align & (align - 1)) {
		kmm_set_error(-EINVAL, "vmalloc: alignment %lu is not a power of two", align);
		return NULL;
	}
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	size = ALIGN_UP(size, PAGE_SIZE);
	unsigned long nr = size >> PAGE_SHIFT;
	unsigned long area_size = size + ((vm_flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
	struct vm_struct *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		kmm_set_error(-ENOMEM, "vmalloc: no host memory for a vm_struct");
		return NULL;
	}
	vm->flags = VM_ALLOC | VM_UNINITIALIZED | vm_flags;
	vm->size = area_size;
	vm->nr_pages = (unsigned int)nr;
	vm->nr_mapped = nr;
	set_caller(vm, caller, ret);
	vm->pages = calloc(nr, sizeof(*vm->pages));
	vm->pfns = calloc(nr, sizeof(*vm->pfns));
	if (!vm->pages || !vm->pfns) {
		free_vm_struct(vm);
		kmm_set_error(-ENOMEM, "vmalloc: no host memory for a page array of %lu", nr);
		return NULL;
	}
	struct vmap_area *va = get_vmap_area(m, vs, area_size, align, gfp);
	if (!va) {
		free_vm_struct(vm);
		return NULL;
	}
	vm->addr = va->va_start;

	/* Pages: highmem allowed unless the caller asked for a DMA zone. */
	gfp_t page_gfp = gfp & ~(gfp_t)__GFP_ZERO;
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		page_gfp |= __GFP_HIGHMEM;
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = nid >= 0 ? alloc_pages_node(nid, page_gfp, 0)
					  : alloc_pages(page_gfp, 0);
		if (!p) {
			free_area_pages(vm);
			free_vmap_area(vs, va);
			free_vm_struct(vm);
			kmm_set_error(-ENOMEM, "vmalloc error: size %lu, page order 0, failed to "
				      "allocate pages (%lu of %lu)", size, i, nr);
			if (!(gfp & __GFP_NOWARN))
				kmm_printk(m, "vmalloc error: size %lu, page order 0, failed to "
					   "allocate pages, mode:%#x", size, gfp);
			return NULL;
		}
		vm->pages[i] = p;
	}
	/*
	 * Any order of the pages makes a valid area; ascending frames let the
	 * host map each run of consecutive frames with one mapping (the host
	 * limits how many mappings a process has: vm.max_map_count).
	 */
	sort_pages(vm->pages, nr);
	for (unsigned long i = 0; i < nr; i++)
		vm->pfns[i] = page_to_pfn_m(m, vm->pages[i]);
	if (map_area(m, va, vm, vm->pfns, nr, PAGE_KERNEL)) {
		free_area_pages(vm);
		free_vmap_area(vs, va);
		free_vm_struct(vm);
		return NULL;
	}
	void *host = kernel_va_to_host(m, vm->addr);
	if ((gfp & __GFP_ZERO) || (vm_flags & VM_USERMAP))
		memset(host, 0, size);
	return host;
}

/* vmalloc and friends: one operation for the stream's subscribers (mm/events.c). */
static void *vmalloc_common(struct kmm_machine *m, unsigned long size, unsigned long align,
			    gfp_t gfp, int nid, unsigned long vm_flags, const char *caller,
			    const void *ret)
{
	if (!m)
		return __vmalloc_common(m, size, align, gfp, nid, vm_flags, caller, ret);
	kmm_op_begin(m);
	void *p = __vmalloc_common(m, size, align, gfp, nid, vm_flags, caller, ret);
	kmm_op_end(m);
	return p;
}

void *kmm_vmalloc_caller(struct kmm_machine *m, unsigned long size, unsigned long align,
			 gfp_t gfp, int nid, unsigned long vm_flags, const char *caller)
{
	return vmalloc_common(m, size, align, gfp, nid, vm_flags & (VM_USERMAP | VM_NO_GUARD),
			      caller, __builtin_return_address(0));
}

void *vmalloc(unsigned long size)
{
	return vmalloc_common(kmm_current(), size, 0, GFP_KERNEL, -1, 0, NULL,
			      __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return vmalloc_common(kmm_current(), size, 0, GFP_KERNEL | __GFP_ZERO, -1, 0, NULL,
			      __builtin_return_address(0));
}

void *vmalloc_node(unsigned long size, int nid)
{
	return vmalloc_common(kmm_current(), size, 0, GFP_KERNEL, nid, 0, NULL,
			      __builtin_return_address(0));
}

void *vmalloc_user(unsigned long size)
{
	return vmalloc_common(kmm_current(), size, 0, GFP_KERNEL | __GFP_ZERO, -1, VM_USERMAP,
			      NULL, __builtin_return_address(0));
}

void *vmalloc_32(unsigned long size)
{
	/*
	 * GFP_VMALLOC32 is GFP_KERNEL | __GFP_DMA32: below 4 GiB on x86_64; on
	 * i386, which has no DMA32 zone, it means ZONE_NORMAL - lowmem - and
	 * (as in Linux) it keeps __GFP_HIGHMEM from being added.
	 */
	return vmalloc_common(kmm_current(), size, 0, GFP_KERNEL | __GFP_DMA32, -1, 0, NULL,
			      __builtin_return_address(0));
}

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	return vmalloc_common(kmm_current(), size, 0, gfp, -1, 0, NULL,
			      __builtin_return_address(0));
}

void vfree(const void *addr)
{
	if (!addr)
		return;
	struct kmm_machine *m = kmm_machine_of_kernel_window(addr);
	if (!m) {
		/* No machine to translate it for: name the mistake, not the host address. */
		kmm_set_error(-EINVAL, "vfree: not a vmalloc address of any machine");
		return;
	}
	kmm_op_begin(m);
	struct vm_struct *vm = remove_vm_area(m, addr, "vfree");
	if (!vm) {
		kmm_op_end(m);
		return;
	}
	if (!(vm->flags & VM_ALLOC)) {
		kmm_printk(m, "WARNING: vfree() of a %s area (%#llx): use %s", 
			   (vm->flags & VM_IOREMAP) ? "ioremap" : "vmap",
			   (unsigned long long)vm->addr,
			   (vm->flags & VM_IOREMAP) ? "iounmap()" : "vunmap()");
	} else {
		free_area_pages(vm);
	}
	free_vm_struct(vm);
	kmm_op_end(m);
}

/* ---- vmap ---- */

static void *__vmap_common(struct kmm_machine *m, struct page **pages, unsigned int count,
			   unsigned long flags, const char *caller, const void *ret)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs || !pages || !count || (uint64_t)count * PAGE_SIZE > vs->vend - vs->vstart) {
		kmm_set_error(-EINVAL, "vmap: %s", !vs ? "no vmalloc layer on this machine"
					: !pages ? "NULL page array" : !count ? "zero pages"
					: "more pages than the vmalloc space holds");
		return NULL;
	}
	struct vm_struct *vm = calloc(1, sizeof(*vm));
	if (!vm || !(vm->pfns = calloc(count, sizeof(*vm->pfns)))) {
		free(vm);
		kmm_set_error(-ENOMEM, "vmap: no host memory");
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!pages[i] || page_machine(pages[i]) != m) {
			free_vm_struct(vm);
			kmm_set_error(-EINVAL, "vmap: pages[%u] is %s", i,
				      pages[i] ? "a page of another machine" : "NULL");
			return NULL;
		}
		vm->pfns[i] = page_to_pfn_m(m, pages[i]);
	}
	vm->flags = VM_MAP | VM_UNINITIALIZED | (flags & VM_USERMAP);
	vm->size = ((unsigned long)count + 1) * PAGE_SIZE;
	vm->nr_mapped = count;
	set_caller(vm, caller, ret);
	struct vmap_area *va = get_vmap_area(m, vs, vm->size, PAGE_SIZE, GFP_KERNEL);
	if (!va) {
		free_vm_struct(vm);
		return NULL;
	}
	vm->addr = va->va_start;
	if (map_area(m, va, vm, vm->pfns, count, PAGE_KERNEL)) {
		free_vmap_area(vs, va);
		free_vm_struct(vm);
		return NULL;
	}
	return kernel_va_to_host(m, vm->addr);
}

static void *vmap_common(struct kmm_machine *m, struct page **pages, unsigned int count,
			 unsigned long flags, const char *caller, const void *ret)
{
	if (!m)
		return __vmap_common(m, pages, count, flags, caller, ret);
	kmm_op_begin(m);
	void *p = __vmap_common(m, pages, count, flags, caller, ret);
	kmm_op_end(m);
	return p;
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags, int prot)
{
	(void)prot;
	return vmap_common(kmm_current(), pages, count, flags, NULL, __builtin_return_address(0));
}

void *kmm_vmap_caller(struct kmm_machine *m, struct page **pages, unsigned int count,
		      unsigned long flags, const char *caller)
{
	return vmap_common(m, pages, count, flags, caller, __builtin_return_address(0));
}

void vunmap(const void *addr)
{
	if (!addr)
		return;
	struct kmm_machine *m = kmm_machine_of_kernel_window(addr);
	if (!m) {
		kmm_set_error(-EINVAL, "vunmap: not a vmalloc address of any machine");
		return;
	}
	kmm_op_begin(m);
	struct vm_struct *vm = remove_vm_area(m, addr, "vunmap");
	if (vm)
		free_vm_struct(vm);
	kmm_op_end(m);
}

/* ---- Lookups ---- */

bool is_vmalloc_addr(const void *addr)
{
	struct kmm_machine *m = addr ? kmm_machine_of_kernel_window(addr) : NULL;
	struct vmalloc_state *vs = vstate(m);

	if (!vs)
		return false;
	uint64_t va = kernel_host_to_va(m, addr);
	return va >= vs->vmalloc_start && va < vs->vmalloc_end;
}

struct page *vmalloc_to_page(const void *addr)
{
	struct kmm_machine *m = addr ? kmm_machine_of_kernel_window(addr) : NULL;
	struct vmalloc_state *vs = vstate(m);
	unsigned long pfn = 0;
	bool found = false;

	if (!vs)
		return NULL;
	uint64_t va = kernel_host_to_va(m, addr) & ~(uint64_t)(PAGE_SIZE - 1);
	spin_lock(&vs->lock);
	if (vs->have_pt) {
		pteval_t pte = pgtable_get_pte(&vs->kpt, va);
		if (pte & _PAGE_PRESENT) {
			pfn = pte_pfn_geo(vs->kpt.geo, pte);
			found = true;
		}
	} else {
		struct vmap_area *a = __find_vmap_area(vs, va);
		if (a && a->vm) {
			unsigned long i = (unsigned long)((va - a->va_start) >> PAGE_SHIFT);
			if (i < a->vm->nr_mapped) {
				pfn = a->vm->pfns[i];
				found = true;
			}
		}
	}
	spin_unlock(&vs->lock);
	if (!found || pfn >= m->max_pfn)
		return NULL;
	return pfn_to_page_m(m, pfn);
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *p = vmalloc_to_page(addr);

	return p ? page_to_pfn_m(page_machine(p), p) : 0;
}

uint64_t kmm_virt_addr(struct kmm_machine *m, const void *addr)
{
	return m ? kmm_host_to_kva(m, addr) : 0;	/* mm/addr.c: direct map, then our window */
}

/* ---- kvmalloc ---- */

/*
 * The slab layer's kmalloc, referenced weakly so that vmalloc builds and
 * works before (or without) it: when it is absent kvmalloc goes straight to
 * vmalloc.
 */
extern void *kmalloc(size_t size, gfp_t gfp) __attribute__((weak));
extern void kfree(const void *p) __attribute__((weak));

void *kvmalloc(size_t size, gfp_t gfp)
{
	if (kmalloc) {
		gfp_t kgfp = gfp;

		/* Linux: a large kmalloc attempt must not retry hard or warn. */
		if (size > PAGE_SIZE)
			kgfp |= __GFP_NOWARN | __GFP_NORETRY;
		void *p = kmalloc(size, kgfp);
		if (p || size <= PAGE_SIZE)
			return p;
	}
	return vmalloc_common(kmm_current(), size, 0, gfp, -1, 0, NULL,
			      __builtin_return_address(0));
}

void *kvzalloc(size_t size, gfp_t gfp)
{
	return kvmalloc(size, gfp | __GFP_ZERO);
}

void kvfree(const void *addr)
{
	if (!addr)
		return;
	if (is_vmalloc_addr(addr))
		vfree(addr);
	else if (kfree)
		kfree(addr);
}

/* ---- Views ---- */

unsigned long vmalloc_nr_pages(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);

	return vs ? READ_ONCE(vs->nr_vmalloc_pages) : 0;
}

uint64_t vmalloc_total_bytes(const struct kmm_machine *m)
{
	return m->layout.vmalloc_end - m->layout.vmalloc_start;
}

static void print_ptr(struct strbuf *sb, const struct kmm_machine *m, uint64_t v)
{
	if (kmm_arch_is_32(m))
		sb_printf(sb, "0x%08llx", (unsigned long long)v);
	else
		sb_printf(sb, "0x%016llx", (unsigned long long)v);
}

/*
 * %pS of a host return address: "symbol+0xoffset" or "binary+0xoffset"
 * (stable across runs). An address no loaded object holds would print as a
 * host address, which changes run to run: no caller is shown then, as Linux
 * shows none for an area without one.
 */
static void print_caller(struct strbuf *sb, const struct vm_struct *vm)
{
	Dl_info info;

	if (vm->caller[0]) {
		sb_printf(sb, " %s", vm->caller);
		return;
	}
	if (!vm->caller_addr)
		return;
	if (dladdr(vm->caller_addr, &info) && info.dli_sname && info.dli_saddr) {
		sb_printf(sb, " %s+0x%lx", info.dli_sname,
			  (unsigned long)((const char *)vm->caller_addr - (const char *)info.dli_saddr));
	} else if (dladdr(vm->caller_addr, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');
		sb_printf(sb, " %s+0x%lx", base ? base + 1 : info.dli_fname,
			  (unsigned long)((const char *)vm->caller_addr - (const char *)info.dli_fbase));
	}
}

int vmalloc_info_show(struct kmm_machine *m, struct strbuf *sb)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs)
		return -ENOENT;
	spin_lock(&vs->lock);
	for (struct rb_node *n = rb_first(&vs->busy_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		struct vm_struct *v = va->vm;

		if (!v || (v->flags & VM_UNINITIALIZED))
			continue;
		print_ptr(sb, m, v->addr);
		sb_puts(sb, "-");
		print_ptr(sb, m, v->addr + v->size);
		sb_printf(sb, " %7ld", (long)v->size);
		print_caller(sb, v);
		if (v->nr_pages)
			sb_printf(sb, " pages=%u", v->nr_pages);
		if (v->phys_addr) {
			if (m->opts.arch == KMM_ARCH_I386)
				sb_printf(sb, " phys=0x%08llx", (unsigned long long)v->phys_addr);
			else
				sb_printf(sb, " phys=0x%016llx", (unsigned long long)v->phys_addr);
		}
		if (v->flags & VM_IOREMAP)
			sb_puts(sb, " ioremap");
		if (v->flags & VM_ALLOC)
			sb_puts(sb, " vmalloc");
		if (v->flags & VM_MAP)
			sb_puts(sb, " vmap");
		if (v->flags & VM_USERMAP)
			sb_puts(sb, " user");
		if (v->nr_pages) {
			unsigned int counters[MAX_NUMNODES] = { 0 };
			for (unsigned int i = 0; i < v->nr_pages; i++)
				counters[page_to_nid(v->pages[i])]++;
			for (int nid = 0; nid < m->nr_node_ids && nid < MAX_NUMNODES; nid++)
				if (counters[nid])
					sb_printf(sb, " N%d=%u", nid, counters[nid]);
		}
		sb_puts(sb, "\n");
	}
	/* As a final step, the unpurged areas (show_purge_info). */
	struct list_head *pos;
	list_for_each(pos, &vs->lazy_list) {
		struct vmap_area *va = list_entry(pos, struct vmap_area, list);
		print_ptr(sb, m, va->va_start);
		sb_puts(sb, "-");
		print_ptr(sb, m, va->va_end);
		sb_printf(sb, " %7ld unpurged vm_area\n", (long)va_size(va));
	}
	spin_unlock(&vs->lock);
	return sb->failed ? -ENOMEM : 0;
}

void kmm_vmalloc_stats(struct kmm_machine *m, struct kmm_vmalloc_stats *st)
{
	struct vmalloc_state *vs = vstate(m);

	memset(st, 0, sizeof(*st));
	if (!vs)
		return;
	spin_lock(&vs->lock);
	st->vstart = vs->vstart;
	st->vend = vs->vend;
	st->nr_busy = vs->nr_busy;
	st->nr_free_areas = rb_count(&vs->free_root);
	st->free_bytes = vs->nr_free_bytes;
	st->largest_free = subtree_max(vs->free_root.node);
	st->lazy_pages = vs->lazy_nr;
	st->lazy_max_pages = lazy_max_pages(m);
	st->nr_purges = vs->nr_purges;
	st->nr_tlb_flushes = vs->nr_tlb_flushes;
	st->nr_vmalloc_pages = vs->nr_vmalloc_pages;
	st->window_bytes = m->kwin.bytes;
	st->have_pgtables = vs->have_pt;
	spin_unlock(&vs->lock);
}

/* ---- Boot and shutdown ---- */

/*
 * The layer's drain hook (kmm_drain): purge the lazy areas, flush unused
 * PKMAP slots, and when nothing is mapped any more give the kernel's table
 * frames back too (they are made again at the next mapping), so a leak
 * check sees the machine as it was after boot.
 */
static void vmalloc_drain(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs)
		return;
	bool kmaps_idle = kmap_idle(m);	/* the highmem entry drained first */
	spin_lock(&vs->lock);
	purge_lazy_locked(vs);
	if (kmaps_idle && !vs->nr_busy && vs->have_pt) {
		pgtable_destroy(&vs->kpt);
		__atomic_store_n(&vs->have_pt, false, __ATOMIC_RELEASE);
		vs->kpt_ready = false;
	}
	spin_unlock(&vs->lock);
}

static void free_tree(struct rb_root *root, bool free_vm)
{
	struct rb_node *n;

	while ((n = root->node)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		rb_erase(n, root);
		if (free_vm && va->vm)
			free_vm_struct(va->vm);
		free(va);
	}
}

static void vmalloc_shutdown(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs)
		return;
	/* The machine's RAM goes away with it: forget the areas, release the window. */
	free_tree(&vs->busy_root, true);
	free_tree(&vs->free_root, false);
	while (!list_empty(&vs->lazy_list)) {
		struct vmap_area *va = list_first_entry(&vs->lazy_list, struct vmap_area, list);
		list_del(&va->list);
		free(va);
	}
	for (int i = 0; i < KMM_MAX_MMIO; i++) {
		if (vs->mmio_ram[i]) {
			sim_ram_destroy(vs->mmio_ram[i]);
			free(vs->mmio_ram[i]);
		}
	}
	/* The kernel's table frames go with the machine's RAM (no pgtable_destroy). */
	sim_release(m->kwin.host, m->kwin.bytes);
	memset(&m->kwin, 0, sizeof(m->kwin));
	free(vs);
	m->subsys[SUBSYS_VMALLOC] = NULL;
}

/* vmalloc_window=SIZE (x86_64): the host window's size, at least 16 MiB. */
static int window_validate(const char *val, char *err, size_t len)
{
	uint64_t v;

	if (!val || kmm_parse_size(val, &v, NULL) || v < 16 * SZ_1M) {
		snprintf(err, len, "expected a size of at least 16M, e.g. vmalloc_window=8G");
		return -EINVAL;
	}
	return 0;
}

void vmalloc_boot_options(void)
{
	kmm_register_boot_option("vmalloc_window", window_validate);
}

static uint64_t window_option(struct kmm_machine *m)
{
	const char *val = kmm_boot_option(m, "vmalloc_window");
	uint64_t v = 0;

	return val && !kmm_parse_size(val, &v, NULL) ? v : 0;
}

/*
 * Tables for a range that kmap fills one PTE at a time without the vmalloc
 * lock (PKMAP, fixmap): allocate them up front, as Linux's
 * permanent_kmaps_init() and the early fixmap setup do.
 */
static int prealloc_tables(struct vmalloc_state *vs, uint64_t start, uint64_t end)
{
	for (uint64_t va = start & ~(uint64_t)(SZ_1M - 1); va < end; va += SZ_1M) {
		int err = 0;

		if (!pgtable_walk(&vs->kpt, va < start ? start : va, true, &err) || err)
			return err ? err : -ENOMEM;
	}
	return 0;
}

int vmalloc_prepare_pgtables(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);
	const struct kmm_layout *l = &m->layout;
	int err = 0;

	if (!vs)
		return -ENODEV;
	if (__atomic_load_n(&vs->have_pt, __ATOMIC_ACQUIRE))
		return 0;
	spin_lock(&vs->lock);
	if (!vs->have_pt) {
		if (!vs->kpt_ready) {
			err = pgtable_init(&vs->kpt, m, false);
			vs->kpt_ready = !err;
		}
		if (!err && kmm_arch_is_32(m) && l->last_pkmap > 0)
			err = prealloc_tables(vs, l->pkmap_base,
					      l->pkmap_base + (uint64_t)l->last_pkmap * PAGE_SIZE);
		if (!err && kmm_arch_is_32(m))
			err = prealloc_tables(vs, l->fixaddr_start, l->fixaddr_top + PAGE_SIZE);
		if (!err) {
			__atomic_store_n(&vs->have_pt, true, __ATOMIC_RELEASE);
		} else if (vs->kpt_ready) {
			/* Out of memory half-way: give back what was built (the drain
			 * frees kernel tables only once they are complete). */
			pgtable_destroy(&vs->kpt);
			vs->kpt_ready = false;
		}
	}
	spin_unlock(&vs->lock);
	return err ? kmm_set_error(err, "no memory for the kernel page tables") : 0;
}

int vmalloc_init(struct kmm_machine *m)
{
	struct kmm_layout *l = &m->layout;
	struct vmalloc_state *vs;

	if (vstate(m))
		return 0;
	if (!l->vmalloc_start || l->vmalloc_end <= l->vmalloc_start)
		return kmm_set_error(-EINVAL, "vmalloc_init: the boot layout has no vmalloc range");
	vs = calloc(1, sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	vs->m = m;
	spin_lock_init(&vs->lock);
	vs->free_root = RB_ROOT;
	vs->busy_root = RB_ROOT;
	INIT_LIST_HEAD(&vs->lazy_list);
	vs->vmalloc_start = l->vmalloc_start;
	vs->vmalloc_end = l->vmalloc_end;
	m->kwin.va = l->vmalloc_start;
	if (kmm_arch_is_32(m)) {
		m->kwin.bytes = (size_t)((1ULL << 32) - l->vmalloc_start);
	} else {
		uint64_t w = window_option(m);
		if (!w && m->opts.ram_anon) {
			/*
			 * Anonymous RAM cannot be remapped, so no area ever gets
			 * frames: a token window, not 2 x mem of address space
			 * (the malloc shim's machine, which a ulimit -v would
			 * otherwise refuse).
			 */
			w = SZ_1M;
		} else if (!w) {
			w = 2 * m->opts.mem;
			if (w < SZ_1G)
				w = SZ_1G;
			if (w > 64 * (uint64_t)SZ_1G)
				w = 64 * (uint64_t)SZ_1G;
		}
		w = ALIGN_UP(w, (uint64_t)SZ_1M);
		if (w > ALIGN_DOWN(l->vmalloc_end - l->vmalloc_start, (uint64_t)PAGE_SIZE))
			w = ALIGN_DOWN(l->vmalloc_end - l->vmalloc_start, (uint64_t)PAGE_SIZE);
		m->kwin.bytes = (size_t)w;
	}
	m->kwin.host = sim_reserve(m->kwin.bytes, false);
	if (!m->kwin.host) {
		size_t bytes = m->kwin.bytes;

		memset(&m->kwin, 0, sizeof(m->kwin));
		free(vs);
		return kmm_set_error(-ENOMEM, "vmalloc_init: the host refused a %zu-byte window",
				     bytes);
	}
	vs->vstart = l->vmalloc_start;
	/* x86_64's VMALLOC_END is inclusive (0xffffe8ffffffffff); i386's is a page boundary. */
	vs->vend = (l->vmalloc_end & (PAGE_SIZE - 1)) == PAGE_SIZE - 1 ? l->vmalloc_end + 1
								     : l->vmalloc_end;
	if (vs->vend - m->kwin.va > m->kwin.bytes)
		vs->vend = m->kwin.va + m->kwin.bytes;
	struct vmap_area *all = va_new(vs->vstart, vs->vend);
	if (!all) {
		sim_release(m->kwin.host, m->kwin.bytes);
		memset(&m->kwin, 0, sizeof(m->kwin));
		free(vs);
		return -ENOMEM;
	}
	insert_vmap_area(&vs->free_root, all, free_va_recompute);
	vs->nr_free_bytes = vs->vend - vs->vstart;
	m->subsys[SUBSYS_VMALLOC] = vs;
	return 0;
}

/* meminfo's VmallocUsed. */
static void vmalloc_meminfo(struct kmm_machine *m, struct meminfo_extra *x)
{
	x->vmalloc_used = vmalloc_nr_pages(m);
}

/* The vmalloc layer's entry of the subsystem table; its state is vstate(m). */
const struct kmm_subsys vmalloc_subsys = {
	.name = "vmalloc",
	.id = SUBSYS_VMALLOC,
	.boot_options = vmalloc_boot_options,
	.init = vmalloc_init,
	.check = vmalloc_check,
	.drain = vmalloc_drain,
	.shutdown = vmalloc_shutdown,
	.meminfo = vmalloc_meminfo,
};
