// SPDX-License-Identifier: MIT
/*
 * mm/vmap_area.c - the vmalloc space's address ranges: the free tree sorted
 * by address whose nodes cache their subtree's largest free block, the four
 * split cases, merging on free, and the lazy list purged in batches.
 *
 * Linux counterpart: mm/vmalloc.c (6.12): augment_tree_propagate_from,
 * find_vmap_lowest_match, va_clip and its fit types (full, left edge, right
 * edge, no edge), merge_or_add_vmap_area, alloc_vmap_area,
 * __purge_vmap_area_lazy, lazy_max_pages, vm_unmap_aliases. Kept: the
 * lowest-address first fit found by one descent (Rezki's 2019 rework); the
 * lazy purge past lazy_max_pages() = fls(ncpus) * 32 MiB / PAGE_SIZE pages
 * with one "TLB flush" for the batch; one retry after a purge before
 * "vmap allocation ... failed". Simplified: one vmap node, no per-CPU vmap
 * blocks; vmap_area structs come from host malloc.
 *
 * Invariant (checked by mm/vmalloc_check.c): the free, busy and lazy areas
 * are disjoint and cover [vstart, vend) exactly; no two free areas touch;
 * every free node's subtree_max_size is the largest size in its subtree.
 *
 * Locking: vs->lock protects the three sets of areas and their counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rbtree.h"
#include "mm/include/addr.h"
#include "mm/include/pgtable.h"
#include "mm/internal.h"
#include "mm/vmalloc.h"

/* ---- Areas ---- */

/* The free tree's augmentation: the largest free block at or below a node. */
bool free_va_recompute(struct rb_node *n)
{
	struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
	unsigned long v = va_size(va);

	if (subtree_max(n->left) > v)
		v = subtree_max(n->left);
	if (subtree_max(n->right) > v)
		v = subtree_max(n->right);
	if (va->subtree_max_size == v)
		return false;
	va->subtree_max_size = v;
	return true;
}

void insert_vmap_area(struct rb_root *root, struct vmap_area *va, rb_recompute_fn aug)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (va->va_start < rb_entry(parent, struct vmap_area, rb_node)->va_start)
			link = &parent->left;
		else
			link = &parent->right;
	}
	rb_link_node(&va->rb_node, parent, link);
	va->subtree_max_size = 0;
	rb_insert_augmented(&va->rb_node, root, aug);
}

/* The busy area containing @addr, or NULL. Context: vs->lock. */
struct vmap_area *__find_vmap_area(struct vmalloc_state *vs, uint64_t addr)
{
	struct rb_node *n = vs->busy_root.node;

	lockdep_assert_held(&vs->lock);
	while (n) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (addr < va->va_start)
			n = n->left;
		else if (addr >= va->va_end)
			n = n->right;
		else
			return va;
	}
	return NULL;
}

/* Does [ALIGN(max(va_start, vstart)), +size) fit in @va? Return the start or 0. */
static uint64_t fit_in(const struct vmap_area *va, unsigned long size, unsigned long align,
		       uint64_t vstart, uint64_t vend)
{
	uint64_t s = va->va_start > vstart ? va->va_start : vstart;

	s = ALIGN_UP(s, (uint64_t)align);
	if (s < va->va_start || s + size < s)
		return 0;
	if (s + size > va->va_end || s + size > vend)
		return 0;
	return s;
}

/*
 * The lowest-address free block that holds @size at @align. A subtree whose
 * largest block is smaller than @size is skipped whole, so with page
 * alignment this is one descent of O(log n) nodes (the in-order walk only
 * backtracks when an alignment does not fit a block big enough for the
 * unaligned size).
 */
static struct vmap_area *find_lowest_match(struct rb_node *n, unsigned long size,
					   unsigned long align, uint64_t vstart, uint64_t vend,
					   uint64_t *start)
{
	while (n && subtree_max(n) >= size) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		struct vmap_area *r;

		if (va->va_start >= vend)
			n = n->left;	/* everything here and right is too high */
		else {
			r = find_lowest_match(n->left, size, align, vstart, vend, start);
			if (r)
				return r;
			if (va->va_end > vstart && (*start = fit_in(va, size, align, vstart, vend)))
				return va;
			if (va->va_end >= vend)
				return NULL;
			n = n->right;
		}
	}
	return NULL;
}

struct vmap_area *va_new(uint64_t start, uint64_t end)
{
	struct vmap_area *va = calloc(1, sizeof(*va));

	if (va) {
		va->va_start = start;
		va->va_end = end;
		INIT_LIST_HEAD(&va->list);
	}
	return va;
}

/*
 * Carve [@s, @s+@size) out of free block @va (fit types of Linux's
 * va_clip()). Return: 0, or -ENOMEM if the no-edge split needed a node.
 */
static int clip_free_va(struct vmalloc_state *vs, struct vmap_area *va, uint64_t s,
			unsigned long size)
{
	uint64_t e = s + size;

	if (va->va_start == s && va->va_end == e) {		/* full fit */
		rb_erase_augmented(&va->rb_node, &vs->free_root, free_va_recompute);
		free(va);
	} else if (va->va_start == s) {				/* left edge */
		va->va_start = e;
		rb_propagate(&va->rb_node, free_va_recompute);
	} else if (va->va_end == e) {				/* right edge */
		va->va_end = s;
		rb_propagate(&va->rb_node, free_va_recompute);
	} else {						/* no edge: split */
		struct vmap_area *rest = va_new(e, va->va_end);

		if (!rest)
			return -ENOMEM;
		va->va_end = s;
		rb_propagate(&va->rb_node, free_va_recompute);
		insert_vmap_area(&vs->free_root, rest, free_va_recompute);
	}
	vs->nr_free_bytes -= size;
	return 0;
}

/* Give [start, end) back to the free tree, merging with both neighbours. */
void merge_or_add_vmap_area(struct vmalloc_state *vs, struct vmap_area *va)
{
	lockdep_assert_held(&vs->lock);
	insert_vmap_area(&vs->free_root, va, free_va_recompute);
	vs->nr_free_bytes += va_size(va);

	struct rb_node *p = rb_prev(&va->rb_node);
	if (p) {
		struct vmap_area *prev = rb_entry(p, struct vmap_area, rb_node);

		if (prev->va_end == va->va_start) {
			uint64_t end = va->va_end;

			rb_erase_augmented(&va->rb_node, &vs->free_root, free_va_recompute);
			free(va);
			prev->va_end = end;
			rb_propagate(&prev->rb_node, free_va_recompute);
			va = prev;
		}
	}
	struct rb_node *n = rb_next(&va->rb_node);
	if (n) {
		struct vmap_area *next = rb_entry(n, struct vmap_area, rb_node);

		if (next->va_start == va->va_end) {
			uint64_t end = next->va_end;

			rb_erase_augmented(&next->rb_node, &vs->free_root, free_va_recompute);
			free(next);
			va->va_end = end;
			rb_propagate(&va->rb_node, free_va_recompute);
		}
	}
}

unsigned long lazy_max_pages(struct kmm_machine *m)
{
	return (unsigned long)fls_ul((unsigned long)m->nr_cpus) * (32 * SZ_1M / PAGE_SIZE);
}

/* The host forgets [start, end) of the window: the flush of those "TLB entries". */
static void unmap_host_range(struct vmalloc_state *vs, uint64_t start, uint64_t end)
{
	void *host = kernel_va_to_host(vs->m, start);

	if (host && end > start)
		sim_unmap_frames(host, (size_t)((end - start) >> PAGE_SHIFT));
}

/*
 * Add @va's range to the run [*start, *end) of ranges the host forgets
 * with one call, if it touches either end; else the host forgets the run
 * so far and @va starts the next. The caller forgets the last run.
 */
static void host_run_add(struct vmalloc_state *vs, const struct vmap_area *va, uint64_t *start,
			 uint64_t *end)
{
	if (va->va_start == *end && *end) {
		*end = va->va_end;
	} else if (va->va_end == *start) {
		*start = va->va_start;
	} else {
		unmap_host_range(vs, *start, *end);
		*start = va->va_start;
		*end = va->va_end;
	}
}

void flush_lazy_host_locked(struct vmalloc_state *vs)
{
	uint64_t run_start = 0, run_end = 0;
	struct list_head *pos = vs->lazy_list.prev;

	lockdep_assert_held(&vs->lock);
	for (unsigned long n = vs->lazy_host_nr; n && pos != &vs->lazy_list; n--, pos = pos->prev) {
		struct vmap_area *va = list_entry(pos, struct vmap_area, list);

		host_run_add(vs, va, &run_start, &run_end);
	}
	unmap_host_range(vs, run_start, run_end);
	vs->lazy_host_nr = 0;
}

/*
 * __purge_vmap_area_lazy(): every lazily freed range goes back to the free
 * tree, with one (simulated) TLB flush for all of them. The host's mappings
 * of the ranges, left standing by remove_vm_area() as a TLB keeps stale
 * entries, go here: one host call per run of adjacent ranges (areas freed
 * in address order, as a loop of vmalloc and vfree frees them, make one
 * run). Caller holds vs->lock.
 */
unsigned long purge_lazy_locked(struct vmalloc_state *vs)
{
	unsigned long nr = 0;
	uint64_t lo = UINT64_MAX, hi = 0, run_start = 0, run_end = 0;

	while (!list_empty(&vs->lazy_list)) {
		struct vmap_area *va = list_first_entry(&vs->lazy_list, struct vmap_area, list);

		list_del(&va->list);
		if (va->va_start < lo)
			lo = va->va_start;
		if (va->va_end > hi)
			hi = va->va_end;
		host_run_add(vs, va, &run_start, &run_end);
		if (vs->have_pt)
			pgtable_free_range(&vs->kpt, va->va_start, va->va_end);
		nr += va_size(va) >> PAGE_SHIFT;
		merge_or_add_vmap_area(vs, va);
	}
	unmap_host_range(vs, run_start, run_end);
	vs->lazy_host_nr = 0;
	if (nr) {
		vs->nr_purges++;
		vs->nr_tlb_flushes++;	/* flush_tlb_kernel_range(lo, hi): one for the batch */
		vs->last_flush_start = lo;
		vs->last_flush_end = hi;
	}
	vs->lazy_nr = 0;
	return nr;
}

/**
 * vm_unmap_aliases_m() - purge every lazily freed area of @m now.
 * Return: pages' worth of address space returned to the free tree.
 */
unsigned long vm_unmap_aliases_m(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);
	unsigned long nr;

	if (!vs)
		return 0;
	kmm_op_begin(m);	/* page tables are freed under vs->lock */
	spin_lock(&vs->lock);
	nr = purge_lazy_locked(vs);
	spin_unlock(&vs->lock);
	kmm_op_end(m);
	return nr;
}

void vm_unmap_aliases(void)
{
	vm_unmap_aliases_m(kmm_current());
}

/*
 * alloc_vmap_area(): a busy area of @size bytes (guard included) at @align.
 * On failure the lazy areas are purged and the search retried once, as
 * Linux does before it reports "vmap allocation failed".
 */
struct vmap_area *alloc_vmap_area(struct vmalloc_state *vs, unsigned long size,
					 unsigned long align, uint64_t vstart, uint64_t vend)
{
	struct vmap_area *busy = va_new(0, 0);
	uint64_t s = 0;
	bool purged = false;

	if (!busy)
		return NULL;
	spin_lock(&vs->lock);
retry:;
	struct vmap_area *va = find_lowest_match(vs->free_root.node, size, align, vstart, vend, &s);
	if (!va) {
		if (!purged && !list_empty(&vs->lazy_list)) {
			purge_lazy_locked(vs);
			purged = true;
			goto retry;
		}
		spin_unlock(&vs->lock);
		free(busy);
		/*
		 * Linux's hint names vmalloc=, which only i386 takes; on x86_64
		 * what runs out is kmm's host window (its 32 TiB area does not).
		 */
		if (vs->vmalloc_end <= 0xffffffffULL)
			kmm_set_error(-ENOMEM, "vmap allocation for size %lu failed: use "
				      "vmalloc=<size> to increase size (vmalloc space "
				      "%#llx-%#llx exhausted)", size, (unsigned long long)vstart,
				      (unsigned long long)vend);
		else
			kmm_set_error(-ENOMEM, "vmap allocation for size %lu failed: boot with "
				      "vmalloc_window=<size> to widen kmm's window onto the vmalloc "
				      "area (%#llx-%#llx exhausted)", size,
				      (unsigned long long)vstart, (unsigned long long)vend);
		return NULL;
	}
	if (clip_free_va(vs, va, s, size)) {
		spin_unlock(&vs->lock);
		free(busy);
		kmm_set_error(-ENOMEM, "vmalloc: out of memory for a vmap_area");
		return NULL;
	}
	busy->va_start = s;
	busy->va_end = s + size;
	insert_vmap_area(&vs->busy_root, busy, NULL);
	vs->nr_busy++;
	spin_unlock(&vs->lock);
	return busy;
}

/* Undo alloc_vmap_area() for an area that was never mapped. */
void free_vmap_area(struct vmalloc_state *vs, struct vmap_area *va)
{
	spin_lock(&vs->lock);
	rb_erase(&va->rb_node, &vs->busy_root);
	vs->nr_busy--;
	merge_or_add_vmap_area(vs, va);
	spin_unlock(&vs->lock);
}
