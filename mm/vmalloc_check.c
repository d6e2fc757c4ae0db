// SPDX-License-Identifier: MIT
/*
 * mm/vmalloc_check.c - the vmalloc layer's invariant checker.
 *
 * Linux counterpart: none (Linux has no vmalloc checker; its
 * CONFIG_DEBUG_VM checks are scattered asserts).
 *
 * Invariant checked: the free, busy and lazy areas are disjoint and cover
 * [vstart, vend) exactly; no two free areas touch; every free node's
 * subtree_max_size is right (rb_check with the augmentation); no frame a
 * busy area maps is free in the buddy allocator and every vmalloc page
 * holds a reference; the PTEs of a busy area map exactly its frames and its
 * guard page is unmapped; nr_vmalloc_pages is the sum of the pages of
 * VM_ALLOC areas. (kmap_check(), mm/highmem.c, is the highmem entry's.)
 *
 * Locking: runs under vs->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/vmalloc.h"
#include "lib/rbtree.h"
#include "mm/include/pgtable.h"
#include "mm/internal.h"
#include "mm/vmalloc.h"

struct span {
	uint64_t start, end;
	int kind;	/* 0 free, 1 busy, 2 lazy */
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int check_fail(struct kmm_machine *m, const char *fmt, unsigned long long a,
		      unsigned long long b)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, b);
	kmm_printk(m, "vmalloc check: %s", msg);
	return kmm_set_error(-EUCLEAN, "vmalloc: %s", msg);
}

/*
 * Is @pfn free in the buddy allocator: inside a free block of some order? A
 * mapped frame may be a tail of a higher-order allocation (refcount 0, as
 * Linux leaves non-compound tails), so the refcount alone cannot tell.
 */
static bool frame_is_free(struct kmm_machine *m, unsigned long pfn)
{
	if (pfn >= m->max_pfn)
		return true;
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		unsigned long head = pfn & ~((1UL << order) - 1);
		const struct page *p = pfn_to_page_m(m, head);

		if (PageBuddy(p) && p->private >= order)
			return true;
	}
	return false;
}

static int vmalloc_check_locked(struct kmm_machine *m, struct vmalloc_state *vs)
{
	int rc = rb_check(&vs->free_root, free_va_recompute);

	if (rc)
		return check_fail(m, "free tree is broken (rb_check %lld)%.0llu", (unsigned long long)rc, 0);
	if ((rc = rb_check(&vs->busy_root, NULL)))
		return check_fail(m, "busy tree is broken (rb_check %lld)%.0llu", (unsigned long long)rc, 0);
	size_t nf = rb_count(&vs->free_root), nb = rb_count(&vs->busy_root);
	size_t nl = list_count(&vs->lazy_list), k = 0;
	if (nb != vs->nr_busy)
		return check_fail(m, "nr_busy %llu but %llu busy areas", vs->nr_busy, nb);
	struct span *s = malloc((nf + nb + nl + 1) * sizeof(*s));
	if (!s)
		return 0;	/* cannot check without memory; not a violation */
	uint64_t free_bytes = 0, vm_pages = 0, lazy_pages = 0;
	for (struct rb_node *n = rb_first(&vs->free_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		s[k++] = (struct span){ va->va_start, va->va_end, 0 };
		free_bytes += va_size(va);
	}
	for (struct rb_node *n = rb_first(&vs->busy_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		s[k++] = (struct span){ va->va_start, va->va_end, 1 };
	}
	struct list_head *pos;
	list_for_each(pos, &vs->lazy_list) {
		struct vmap_area *va = list_entry(pos, struct vmap_area, list);
		s[k++] = (struct span){ va->va_start, va->va_end, 2 };
		lazy_pages += va_size(va) >> PAGE_SHIFT;
	}
	qsort(s, k, sizeof(*s), cmp_span);
	uint64_t at = vs->vstart;
	int err = 0;
	for (size_t i = 0; i < k && !err; i++) {
		if (s[i].start >= s[i].end)
			err = check_fail(m, "empty or inverted area %#llx-%#llx", s[i].start, s[i].end);
		else if (s[i].start != at)
			err = check_fail(m, s[i].start > at ? "hole in the vmalloc space at %#llx (next area %#llx)"
							    : "areas overlap at %#llx (area starts %#llx)",
					 at, s[i].start);
		else if (i && s[i].kind == 0 && s[i - 1].kind == 0)
			err = check_fail(m, "free areas %#llx and %#llx touch but were not merged",
					 s[i - 1].start, s[i].start);
		at = s[i].end;
	}
	free(s);
	if (err)
		return err;
	if (k && at != vs->vend)
		return check_fail(m, "areas end at %#llx, the space at %#llx", at, vs->vend);
	if (free_bytes != vs->nr_free_bytes)
		return check_fail(m, "free bytes counted %llu, summed %llu", vs->nr_free_bytes, free_bytes);
	if (lazy_pages != vs->lazy_nr)
		return check_fail(m, "lazy pages counted %llu, summed %llu", vs->lazy_nr, lazy_pages);

	/* Mapped frames: referenced, and the PTEs say what the area says. */
	for (struct rb_node *n = rb_first(&vs->busy_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		struct vm_struct *vm = va->vm;

		if (!vm)
			continue;
		if (vm->addr != va->va_start || vm->size != va_size(va))
			return check_fail(m, "vm_struct %#llx does not match its area %#llx",
					  vm->addr, va->va_start);
		if (vm->flags & VM_ALLOC)
			vm_pages += vm->nr_pages;
		for (unsigned long i = 0; i < vm->nr_mapped; i++) {
			unsigned long pfn = vm->pfns[i];
			uint64_t a = va->va_start + i * PAGE_SIZE;

			if (!(vm->flags & VM_IOREMAP) && frame_is_free(m, pfn))
				return check_fail(m, "area %#llx maps pfn %#llx, which is free",
						  va->va_start, pfn);
			if ((vm->flags & VM_ALLOC) && page_ref_count(vm->pages[i]) <= 0)
				return check_fail(m, "area %#llx: its page %llu has no reference",
						  va->va_start, i);
			if (vm->pages && vm->pages[i] != pfn_to_page_m(m, pfn))
				return check_fail(m, "area %#llx page %llu disagrees with its pfn",
						  va->va_start, i);
			if (vs->have_pt) {
				pteval_t pte = pgtable_get_pte(&vs->kpt, a);
				if (!(pte & _PAGE_PRESENT) || pte_pfn_geo(vs->kpt.geo, pte) != pfn)
					return check_fail(m, "PTE of %#llx does not map pfn %#llx", a, pfn);
			}
		}
		if (vs->have_pt && !(vm->flags & VM_NO_GUARD) &&
		    (pgtable_get_pte(&vs->kpt, va->va_end - PAGE_SIZE) & _PAGE_PRESENT))
			return check_fail(m, "guard page of area %#llx is mapped%.0llu", va->va_start, 0);
	}
	if (vm_pages != vs->nr_vmalloc_pages)
		return check_fail(m, "nr_vmalloc_pages %llu, areas hold %llu", vs->nr_vmalloc_pages,
				  vm_pages);
	return 0;
}

int vmalloc_check(struct kmm_machine *m)
{
	struct vmalloc_state *vs = vstate(m);

	if (!vs)
		return 0;
	spin_lock(&vs->lock);
	int err = vmalloc_check_locked(m, vs);
	spin_unlock(&vs->lock);
	return err;
}
