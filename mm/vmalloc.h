// SPDX-License-Identifier: MIT
/*
 * mm/vmalloc.h - the vmalloc layer's private types, shared by its files:
 * mm/vmalloc.c (the window, vmalloc/vmap, lookups, views, boot),
 * mm/vmap_area.c (the free-space tree, area allocation, lazy purge),
 * mm/ioremap.c (mapping device ranges) and mm/vmalloc_check.c (the checker).
 * Nothing outside those files includes it; the rest of mm/ sees the layer
 * through mm/internal.h and include/kmm/vmalloc.h.
 *
 * Linux counterpart: include/linux/vmalloc.h (struct vm_struct,
 * struct vmap_area), mm/vmalloc.c's statics (6.12).
 *
 * Invariant and locking: see mm/vmalloc.c; fields of struct vmalloc_state
 * below its lock are under it.
 */
#ifndef KMM_MM_VMALLOC_H
#define KMM_MM_VMALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"
#include "lib/rbtree.h"
#include "mm/include/pgtable.h"
#include "mm/include/mmdebug.h"
#include "mm/internal.h"

/* A range of kernel virtual addresses: free, busy or lazily freed. */
struct vmap_area {
	uint64_t va_start, va_end;	/* [start, end), page aligned, guard included */
	struct rb_node rb_node;		/* in the free or the busy tree */
	struct list_head list;		/* on the lazy list once freed */
	unsigned long subtree_max_size;	/* free tree: largest block in this subtree */
	struct vm_struct *vm;		/* busy: what is mapped (NULL until mapped) */
};

/* What a busy area maps (include/linux/vmalloc.h's vm_struct, plus the frames). */
struct vm_struct {
	uint64_t addr;			/* simulated virtual start */
	unsigned long size;		/* bytes, guard page included */
	unsigned long flags;		/* VM_* */
	struct page **pages;		/* VM_ALLOC: the pages (owned) */
	unsigned int nr_pages;		/* VM_ALLOC: pages allocated for the area */
	unsigned long nr_mapped;	/* frames mapped from addr on */
	unsigned long *pfns;		/* the frames, nr_mapped of them */
	uint64_t phys_addr;		/* VM_IOREMAP: the device address */
	const void *caller_addr;	/* host return address of the allocating call */
	char caller[64];		/* or a name given by the caller (scenario verbs) */
};

/* Per machine: m->subsys[SUBSYS_VMALLOC], through vstate(). Fields below lock are under it. */
struct vmalloc_state {
	/* The host window itself is m->kwin (mm/include/machine.h, converted by addr.h). */
	struct kmm_machine *m;		/* the machine; immutable */
	uint64_t vmalloc_start, vmalloc_end;	/* the layout's range; immutable */
	uint64_t vstart, vend;		/* the part areas come from (<= window); immutable */
	spinlock_t lock;
	struct rb_root free_root;	/* augmented with subtree_max_size */
	struct rb_root busy_root;
	struct list_head lazy_list;
	unsigned long long nr_busy;
	unsigned long long lazy_nr;	/* pages of address space on lazy_list */
	unsigned long lazy_host_nr;	/* areas put on lazy_list since its last host flush */
	unsigned long long nr_free_bytes;
	unsigned long long nr_vmalloc_pages;	/* vs->lock; read by vmalloc_nr_pages() unlocked: READ_ONCE */
	unsigned long long nr_purges, nr_tlb_flushes;
	uint64_t last_flush_start, last_flush_end;
	struct sim_ram *mmio_ram[KMM_MAX_MMIO];	/* device memory of mmio= regions beyond RAM */
	struct kmm_pgtable kpt;		/* the kernel's tables (vmalloc, pkmap, fixmap) */
	bool have_pt;			/* kpt and the PKMAP/fixmap tables exist (set once) */
	bool kpt_ready;			/* kpt's root exists */
};


static inline struct vmalloc_state *vstate(struct kmm_machine *m)
{
	return m ? m->subsys[SUBSYS_VMALLOC] : NULL;
}

static inline unsigned long va_size(const struct vmap_area *va)
{
	return (unsigned long)(va->va_end - va->va_start);
}

static inline unsigned long subtree_max(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vmap_area, rb_node)->subtree_max_size : 0;
}

/* ---- mm/vmap_area.c ---- */

/** va_new() - a host-allocated area [@start, @end). Return: NULL if out of host memory. */
struct vmap_area *va_new(uint64_t start, uint64_t end);
/** insert_vmap_area() - link @va into @root by address, with augmentation @aug (or NULL). */
void insert_vmap_area(struct rb_root *root, struct vmap_area *va, rb_recompute_fn aug);

/** free_va_recompute() - the free tree's augmentation: subtree_max_size of @n. */
bool free_va_recompute(struct rb_node *n);
/** __find_vmap_area() - the busy area containing @addr. Context: vs->lock held. */
struct vmap_area *__find_vmap_area(struct vmalloc_state *vs, uint64_t addr);
/** merge_or_add_vmap_area() - give @va's range back to the free tree. Context: vs->lock held. */
void merge_or_add_vmap_area(struct vmalloc_state *vs, struct vmap_area *va);
/*
 * At most this many lazy areas keep their host mapping: each is two host
 * mappings (the area, its guard), and the host allows a process 65,530
 * (vm.max_map_count) - 20,000 one-page areas waiting for a purge would be
 * half of that, and slow every other mapping call.
 */
#define VMALLOC_LAZY_HOST_MAX	1024
/** flush_lazy_host_locked() - unmap the newest lazy areas on the host (they stay lazy). Context: vs->lock held. */
void flush_lazy_host_locked(struct vmalloc_state *vs);
/** purge_lazy_locked() - the lazy areas back to the free tree, one flush. Context: vs->lock held. */
unsigned long purge_lazy_locked(struct vmalloc_state *vs);
/**
 * alloc_vmap_area() - a busy area of @size bytes (guard included) at @align
 * inside [@vstart, @vend). Context: takes vs->lock. Return: the area, or
 * NULL with the error set.
 */
struct vmap_area *alloc_vmap_area(struct vmalloc_state *vs, unsigned long size,
				  unsigned long align, uint64_t vstart, uint64_t vend);
/** free_vmap_area() - undo alloc_vmap_area() for an area never mapped. */
void free_vmap_area(struct vmalloc_state *vs, struct vmap_area *va);

/* ---- mm/vmalloc.c ---- */

/** map_frames() - map @pfns (frames of @ram at @host_pfns) at @va, window and PTEs. */
int map_frames(struct kmm_machine *m, struct sim_ram *ram, uint64_t va,
	       const unsigned long *host_pfns, const unsigned long *pfns, size_t n, uint64_t prot);
/** set_caller() - record who asked for @vm: a name, else the return address @ret. */
void set_caller(struct vm_struct *vm, const char *caller, const void *ret);
/** remove_vm_area() - unmap and unlink the area at @addr. Return: its vm_struct, or NULL. */
struct vm_struct *remove_vm_area(struct kmm_machine *m, const void *addr, const char *who);
/** free_vm_struct() - free @vm and the arrays it owns (not the pages). */
void free_vm_struct(struct vm_struct *vm);

/* ---- mm/vmalloc_check.c ---- */

/** vmalloc_check() - the vmalloc entry's checker (kmap_check() is the highmem entry's). */
int vmalloc_check(struct kmm_machine *m);

#endif /* KMM_MM_VMALLOC_H */
