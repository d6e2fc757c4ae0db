// SPDX-License-Identifier: MIT
/*
 * mm/vma.c - the VMA tree of an address space: a B-tree by address whose
 * nodes hold the keys (each VMA's vm_end) and the largest free gap of each
 * child; the walk in address order over its leaves (struct vma_iterator).
 *
 * Linux counterpart: mm/vma.c and mm/mmap.c of 6.12 keep VMAs in a maple
 * tree (lib/maple_tree.c): a B-tree whose nodes carry the pivots and, in an
 * mm's tree, the largest gap below each slot, so that a lookup or the
 * unmapped-area search reads a few nodes of keys instead of one VMA per
 * level. This tree has the same shape in a simpler form: a node has up to
 * VT_SLOTS entries (end, gap, slot); a leaf's slot is a VMA, an inner
 * node's a child whose last VMA's vm_end is the entry's end; every leaf is
 * at the same depth; a node other than the root keeps at least VT_MIN
 * entries (an insertion splits a full node in two halves, a removal that
 * leaves fewer borrows from a sibling or merges with it). Not the maple
 * tree's: ranges of the empty space as entries, RCU readers (every reader
 * here holds mmap_lock: lock_vma_under_rcu() looks up under it, see
 * mm/mmap_lock.c), node types by density. As in 6.12 there is no list of
 * VMAs beside the tree (Linux <= 6.0's vm_next / vm_prev): the VMA before or
 * after another is the entry beside it in its leaf, or the last or first of
 * the neighbouring leaf, reached through the parent links; a walk holds its
 * place in a struct vma_iterator (mm.h says how it survives a change).
 *
 * The nodes are host memory (posix_memalign), not a slab cache of the
 * machine: Linux's maple_node cache would add a line to /proc/slabinfo and
 * pages to Slab:, which kmm prints as Linux's formulas do for the objects it
 * has (docs/fidelity.md). Each mm keeps a few spare nodes, so that an
 * insertion takes what it may need before it changes anything
 * (vma_tree_prealloc(), as Linux's vma_iter_prealloc()).
 *
 * Invariant (vma_tree_check, run by process_check): every leaf at depth
 * mm_mt_height; each node's entry count in [VT_MIN, VT_SLOTS] ([1 or 2,
 * VT_SLOTS] at the root), its parent link right; an inner entry's end and
 * gap are its child's last end and largest gap; a leaf entry's end is its
 * VMA's vm_end and its gap the VMA's (vm_start_gap(vma) - vm_end of the VMA
 * before, 0 if negative); the leaves in order give the VMAs sorted and
 * disjoint, map_count of them.
 *
 * Locking: the tree changes under mmap_write_lock() (with the
 * VMA write-locked, see vma_start_write()); find_vma() and the search need
 * mmap_lock held for read or write. Nodes are freed at once: nothing reads
 * the tree without mmap_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define VT_SLOTS VMA_TREE_SLOTS
#define VT_MIN VMA_TREE_MIN
#define VT_SPARE_MAX 16	/* spare nodes an mm keeps at most */

static inline unsigned long vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

/* The free room below @vma, down to the end of @prev, the VMA before it (or 0 if none). */
static unsigned long vma_gap(const struct vm_area_struct *vma, const struct vm_area_struct *prev)
{
	unsigned long start = vm_start_gap(vma);
	unsigned long prev_end = prev ? vm_end_gap(prev) : 0;

	return start > prev_end ? start - prev_end : 0;
}

/*
 * The free room below a VMA whose room below used to be @gap above
 * @old_end (the end of the VMA that was before it), now that the VMA
 * before it ends at @new_end: from the stored gap alone, without reading
 * the VMA (a cold line at 10^5 VMAs), when @gap says where its room ends
 * (gap > 0: at old_end + gap). Return: the gap, or -1 if it must be read
 * from the VMA (gap 0: the room's end is at or below @old_end, unknown).
 */
static long gap_moved(unsigned long gap, unsigned long old_end, unsigned long new_end)
{
	unsigned long start = old_end + gap;

	if (!gap)
		return new_end >= old_end ? 0 : -1;
	return start > new_end ? (long)(start - new_end) : 0;
}

/* ---- Nodes ---- */

static struct vma_tree_node *vt_node_get(struct mm_struct *mm, bool leaf)
{
	struct vma_tree_node *n = mm->mm_mt_spare;

	/* vma_tree_prealloc() left enough: an insertion takes at most height + 1. */
	mm->mm_mt_spare = n->parent;
	mm->mm_mt_nr_spare--;
	n->parent = NULL;
	n->nr = 0;
	n->leaf = leaf;
	return n;
}

static void vt_node_put(struct mm_struct *mm, struct vma_tree_node *n)
{
	if (mm->mm_mt_nr_spare >= VT_SPARE_MAX) {
		free(n);
		return;
	}
	n->parent = mm->mm_mt_spare;
	mm->mm_mt_spare = n;
	mm->mm_mt_nr_spare++;
}

int vma_tree_fail_nth;

int vma_tree_prealloc(struct mm_struct *mm)
{
	while (mm->mm_mt_nr_spare < mm->mm_mt_height + 1) {
		void *p;
		bool fail = vma_tree_fail_nth > 0 && --vma_tree_fail_nth == 0;
		if (fail || posix_memalign(&p, 64, sizeof(struct vma_tree_node)))
			return kmm_set_error(-ENOMEM, "VMA tree: no host memory for a node");
		struct vma_tree_node *n = p;
		n->parent = mm->mm_mt_spare;
		mm->mm_mt_spare = n;
		mm->mm_mt_nr_spare++;
	}
	return 0;
}

void vma_tree_destroy(struct mm_struct *mm)
{
	while (mm->mm_mt_spare) {
		struct vma_tree_node *n = mm->mm_mt_spare;
		mm->mm_mt_spare = n->parent;
		free(n);
	}
	mm->mm_mt_nr_spare = 0;
}

static unsigned long vt_max_gap(const struct vma_tree_node *n)
{
	unsigned long max = 0;

	for (unsigned int i = 0; i < n->nr; i++)
		if (n->e[i].gap > max)
			max = n->e[i].gap;
	return max;
}

static unsigned int vt_index_in_parent(const struct vma_tree_node *n)
{
	const struct vma_tree_node *p = n->parent;
	unsigned int i = 0;

	while (p->e[i].slot != n)
		i++;
	return i;
}

/* Write @n's summary (last end, largest gap) into entry @i of @p. Return: whether it changed. */
static bool vt_set_summary(struct vma_tree_node *p, unsigned int i, const struct vma_tree_node *n)
{
	unsigned long end = n->end[n->nr - 1], gap = vt_max_gap(n);

	if (p->end[i] == end && p->e[i].gap == gap)
		return false;
	p->end[i] = end;
	p->e[i].gap = gap;
	return true;
}

/*
 * Rewrite the entries for @n and its ancestors up to the root; with
 * @until_same, stop at the first that does not change (every entry above
 * was current before).
 */
static void vt_propagate(struct vma_tree_node *n, bool until_same)
{
	for (struct vma_tree_node *p = n->parent; p; n = p, p = p->parent)
		if (!vt_set_summary(p, vt_index_in_parent(n), n) && until_same)
			break;
}

/*
 * @n's gaps changed, its last end did not: @fell, the largest old gap that
 * fell or went, and @rose, the largest new one that rose or came in. The
 * parent's entry holds @n's old largest gap: while @fell is below it, the
 * entry that held it is as it was, and the new largest is that or @rose,
 * with no scan of @n; else @n is read again and the change goes up as far
 * as it reaches.
 */
static void vt_gaps_changed(struct vma_tree_node *n, unsigned long fell, unsigned long rose)
{
	struct vma_tree_node *p = n->parent;

	if (!p)
		return;
	unsigned int pi = vt_index_in_parent(n);
	if (fell >= p->e[pi].gap) {
		if (vt_set_summary(p, pi, n))
			vt_propagate(p, true);
	} else if (rose > p->e[pi].gap) {
		p->e[pi].gap = rose;
		vt_propagate(p, true);
	}
}

/* Move @count entries from @src at @si to @dst at @di (the gap at @di already open). */
static void vt_move(struct vma_tree_node *dst, unsigned int di, struct vma_tree_node *src,
		    unsigned int si, unsigned int count)
{
	memcpy(&dst->end[di], &src->end[si], count * sizeof(dst->end[0]));
	memcpy(&dst->e[di], &src->e[si], count * sizeof(dst->e[0]));
	if (!dst->leaf)
		for (unsigned int i = di; i < di + count; i++)
			((struct vma_tree_node *)dst->e[i].slot)->parent = dst;
}

/* Move @n's entries from @from on to start at @to (up or down); n->nr follows. */
static void vt_shift(struct vma_tree_node *n, unsigned int from, unsigned int to)
{
	unsigned int k = n->nr - from;

	memmove(&n->end[to], &n->end[from], k * sizeof(n->end[0]));
	memmove(&n->e[to], &n->e[from], k * sizeof(n->e[0]));
	n->nr = to + k;
}

/* Open entry @i of @n (shift the rest up) or close it (shift down). */
static inline void vt_open(struct vma_tree_node *n, unsigned int i)
{
	vt_shift(n, i, i + 1);
}

static inline void vt_close(struct vma_tree_node *n, unsigned int i)
{
	vt_shift(n, i + 1, i);
}

/* ---- Neighbours ---- */

/* The leftmost (@last: rightmost) leaf under @n. */
static struct vma_tree_node *vt_edge_leaf(struct vma_tree_node *n, bool last)
{
	while (!n->leaf)
		n = n->e[last ? n->nr - 1 : 0].slot;
	return n;
}

/*
 * Step from entry *@pi of leaf *@pn to the next (@dir 1) or previous (@dir
 * -1) entry in address order, into the neighbouring leaf if need be.
 * Return: false (nothing moved) at the tree's end.
 */
static bool vt_step(struct vma_tree_node **pn, unsigned int *pi, int dir)
{
	struct vma_tree_node *n = *pn;

	if (dir > 0 ? *pi + 1 < n->nr : *pi > 0) {
		*pi += (unsigned int)dir;
		return true;
	}
	for (struct vma_tree_node *p = n->parent; p; n = p, p = p->parent) {
		unsigned int j = vt_index_in_parent(n);
		if (dir > 0 ? j + 1 < p->nr : j > 0) {
			n = vt_edge_leaf(p->e[j + (unsigned int)dir].slot, dir < 0);
			*pn = n;
			*pi = dir > 0 ? 0 : n->nr - 1;
			return true;
		}
	}
	return false;
}

/* The VMA before entry @i of leaf @n, NULL if it is the first. */
static struct vm_area_struct *vt_prev_vma(struct vma_tree_node *n, unsigned int i)
{
	if (i)
		return n->e[i - 1].slot;
	return vt_step(&n, &i, -1) ? n->e[i].slot : NULL;
}

/*
 * The VMA before entry @i of leaf @n, NULL if none; its end in *@end (0 if
 * none), from the leaf: the entry's end is that VMA's vm_end, which is
 * vm_end_gap(prev) here (no VM_GROWSUP, see vm_end_gap() above) - the
 * prev_end that vma_gap() and gap_moved() take. A guard gap above a VMA
 * would have to be stored in the leaf, or this read the VMA.
 */
static struct vm_area_struct *vt_prev_end(struct vma_tree_node *n, unsigned int i,
					  unsigned long *end)
{
	if (i) {
		*end = n->end[i - 1];
		return n->e[i - 1].slot;
	}
	if (!vt_step(&n, &i, -1)) {
		*end = 0;
		return NULL;
	}
	*end = n->end[i];
	return n->e[i].slot;
}

/* The VMA after entry @i of leaf @n, NULL if it is the last. */
static struct vm_area_struct *vt_next_vma(struct vma_tree_node *n, unsigned int i)
{
	if (i + 1 < n->nr)
		return n->e[i + 1].slot;
	return vt_step(&n, &i, 1) ? n->e[i].slot : NULL;
}

/* ---- Lookup ---- */

/* The first entry of @n whose end is above @addr, or n->nr. */
static inline unsigned int vt_slot_above(const struct vma_tree_node *n, unsigned long addr)
{
	unsigned int i = 0;

	while (i < n->nr && n->end[i] <= addr)
		i++;
	return i;
}

/* The leaf and entry (*@pi) of the first VMA with vm_end > @addr; NULL if none. */
static struct vma_tree_node *vt_descend(const struct mm_struct *mm, unsigned long addr,
					unsigned int *pi)
{
	struct vma_tree_node *n = mm->mm_mt;

	while (n) {
		unsigned int i = vt_slot_above(n, addr);
		if (i == n->nr)
			return NULL;
		if (n->leaf) {
			*pi = i;
			return n;
		}
		n = n->e[i].slot;
	}
	return NULL;
}

/*
 * The leaf and entry of @vma. Its stored end may be stale (vma_adjust_tree()
 * is told after vm_start or vm_end changed in place), but it is above the
 * new vm_start and every VMA before it ends at or below that: so the
 * descent by vm_start ends at @vma.
 */
static struct vma_tree_node *vt_locate(const struct mm_struct *mm, const struct vm_area_struct *vma,
				       unsigned int *pi)
{
	struct vma_tree_node *n = vt_descend(mm, vma->vm_start, pi);

	if (n && n->e[*pi].slot == vma)
		return n;
	kmm_printk(mm->m, "BUG: VMA tree: VMA 0x%lx-0x%lx not found", vma->vm_start, vma->vm_end);
	return NULL;
}

static struct vm_area_struct *vt_last(const struct mm_struct *mm)
{
	struct vma_tree_node *n = mm->mm_mt;

	if (!n)
		return NULL;
	n = vt_edge_leaf(n, true);
	return n->e[n->nr - 1].slot;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	unsigned int i;
	struct vma_tree_node *n = vt_descend(mm, addr, &i);

	return n ? n->e[i].slot : NULL;
}

/*
 * find_vma_intersection()'s work: the leaf (NULL: no VMA ends above @start)
 * and entry *@pi of the first VMA ending above @start, and the VMA if it
 * starts below @end.
 */
static struct vm_area_struct *vt_intersection(const struct mm_struct *mm, unsigned long start,
					      unsigned long end, struct vma_tree_node **pn,
					      unsigned int *pi)
{
	unsigned int i;
	struct vma_tree_node *n = *pn = vt_descend(mm, start, &i);

	if (!n)
		return NULL;
	*pi = i;
	/*
	 * A gap above 0 starts at the end before (end[i - 1]) and reaches
	 * vm_start_gap() of the VMA, at or below its vm_start: room up to @end
	 * is room below the VMA.
	 */
	if (i && n->e[i].gap && n->end[i - 1] + n->e[i].gap >= end)
		return NULL;
	struct vm_area_struct *vma = n->e[i].slot;
	return vma->vm_start < end ? vma : NULL;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vma_tree_node *n;
	unsigned int i;

	return vt_intersection(mm, start, end, &n, &i);
}

struct vm_area_struct *vma_iter_intersection(struct vma_iterator *vmi, unsigned long start,
					     unsigned long end)
{
	struct vma_tree_node *n;
	unsigned int i = 0;
	struct vm_area_struct *vma = vt_intersection(vmi->mm, start, end, &n, &i);

	/* Not walked: vma_find() and vma_prev() descend anew from @start. */
	vmi->walked = false;
	vmi->start = vmi->end = start;
	vmi->node = vma ? NULL : n;
	vmi->i = i;
	vmi->seq = vmi->mm->mm_mt_seq;
	return vma;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	unsigned int i;
	struct vma_tree_node *n = vt_descend(mm, addr, &i);

	if (!n) {
		*pprev = vt_last(mm);
		return NULL;
	}
	*pprev = vt_prev_vma(n, i);
	return n->e[i].slot;
}

/* ---- The iterator (mm.h) ---- */

/* Take entry @i of leaf @n as @vmi's position; return its VMA. */
static struct vm_area_struct *vmi_set(struct vma_iterator *vmi, struct vma_tree_node *n,
				      unsigned int i)
{
	struct vm_area_struct *vma = n->e[i].slot;

	vmi->node = n;
	vmi->i = i;
	vmi->seq = vmi->mm->mm_mt_seq;
	vmi->walked = true;
	vmi->start = vma->vm_start;
	vmi->end = vma->vm_end;
	return vma;
}

/*
 * Is @vmi's leaf still the tree's (no insertion or removal since it was
 * read), at the VMA it returned last? (A leaf kept by vma_iter_intersection()
 * is a place for vma_iter_insert() only.)
 */
static inline bool vmi_current(const struct vma_iterator *vmi)
{
	return vmi->node && vmi->walked && vmi->seq == vmi->mm->mm_mt_seq;
}

struct vm_area_struct *vma_find(struct vma_iterator *vmi, unsigned long max)
{
	struct vma_tree_node *n = vmi->node;
	unsigned int i = vmi->i;

	if (vmi_current(vmi)) {
		if (!vt_step(&n, &i, 1))
			return NULL;
	} else {
		/* Anew: the first VMA ending above the address; once walked, starting at or above. */
		n = vt_descend(vmi->mm, vmi->end, &i);
		if (n && vmi->walked && ((struct vm_area_struct *)n->e[i].slot)->vm_start < vmi->end &&
		    !vt_step(&n, &i, 1))
			n = NULL;
		vmi->node = NULL;
		if (!n)
			return NULL;
	}
	if (((struct vm_area_struct *)n->e[i].slot)->vm_start >= max)
		return NULL;
	return vmi_set(vmi, n, i);
}

struct vm_area_struct *vma_prev(struct vma_iterator *vmi)
{
	struct vma_tree_node *n = vmi->node;
	unsigned int i = vmi->i;

	if (vmi_current(vmi)) {
		if (!vt_step(&n, &i, -1))
			return NULL;
	} else {
		/* Anew: the entry before the first VMA ending above the start, else the last. */
		vmi->node = NULL;
		n = vt_descend(vmi->mm, vmi->start, &i);
		if (n) {
			if (!vt_step(&n, &i, -1))
				return NULL;
		} else if ((n = vmi->mm->mm_mt) != NULL) {
			n = vt_edge_leaf(n, true);
			i = n->nr - 1;
		} else {
			return NULL;
		}
	}
	return vmi_set(vmi, n, i);
}

void vma_touching(struct vm_area_struct *vma, struct vm_area_struct **pprev,
		  struct vm_area_struct **pnext)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vma_tree_node *n, *s;
	unsigned int i, j;

	*pprev = *pnext = NULL;
	if (mm->mm_mt_last == vma && mm->mm_mt_last_seq == mm->mm_mt_seq) {
		n = mm->mm_mt_last_leaf;	/* vma_insert() left it, and nothing moved since */
		i = mm->mm_mt_last_i;
	} else {
		n = vt_descend(mm, vma->vm_start, &i);
	}
	if (!n || n->e[i].slot != vma)
		return;
	/* Before: the entry before, if its end (the leaf's, exact) is @vma's start. */
	s = n;
	j = i;
	if (vt_step(&s, &j, -1) && s->end[j] == vma->vm_start)
		*pprev = s->e[j].slot;
	/*
	 * After: the entry after, if its stored gap (vm_start_gap() less @vma's
	 * end) is 0; above 0, its vm_start is above @vma's end, and that VMA's
	 * line is not read.
	 */
	s = n;
	j = i;
	if (vt_step(&s, &j, 1) && s->e[j].gap == 0 &&
	    ((struct vm_area_struct *)s->e[j].slot)->vm_start == vma->vm_end)
		*pnext = s->e[j].slot;
}

/* ---- Gaps ---- */

/* @vma's gap changed (its start, or @prev, the VMA before it): store it, and up the tree. */
static void vt_update_gap(struct mm_struct *mm, struct vm_area_struct *vma,
			  const struct vm_area_struct *prev)
{
	unsigned int i;
	struct vma_tree_node *n = vt_locate(mm, vma, &i);
	unsigned long gap = vma_gap(vma, prev);

	if (!n || n->e[i].gap == gap)
		return;
	n->e[i].gap = gap;
	vt_propagate(n, true);
}

/* The VMA after @addr, where a VMA ended or ends (the first entry ending above it): its gap is @gap now. */
static void vt_set_gap(struct mm_struct *mm, unsigned long addr, unsigned long gap)
{
	unsigned int i;
	struct vma_tree_node *n = vt_descend(mm, addr, &i);

	if (!n || n->e[i].gap == gap)
		return;
	n->e[i].gap = gap;
	vt_propagate(n, true);
}

/* ---- Insertion ---- */

/*
 * Where a full node splits for a new entry to go in at @i: the entries the
 * old node keeps (the rest move to a new node after it), and in *@left
 * whether the new entry goes into the old node (at @i) or the new one (at
 * @i less that). In halves, unless the insertions come in address order
 * (@dir): then the cut is at the new entry, so that the node the next
 * insertions reach keeps few entries and the other stays full, as a B+-tree's
 * bulk load or the maple tree's split at the edge of an append do. Halves
 * would leave every node of such a run half full: mmap's top-down order,
 * each VMA below the last, fills leaves to 50% split in halves, to 13/16 cut
 * at the edge. Each side keeps at least VT_MIN entries.
 *   @dir -1 (each entry below the last): [0, i) and the new entry stay,
 *           [i, nr) go - the next one comes in at @i again;
 *   @dir +1 (each above the last): the new entry and [i, nr) go - the next
 *           one comes in just after it.
 */
static unsigned int vt_split_point(unsigned int i, int dir, bool *left)
{
	unsigned int keep = VT_SLOTS / 2, lo = VT_MIN, hi = VT_SLOTS + 1 - VT_MIN;

	if (dir < 0) {
		lo = VT_MIN - 1;
		hi = VT_SLOTS - VT_MIN;
	}
	if (dir)
		keep = i < lo ? lo : i > hi ? hi : i;
	*left = dir < 0 ? i <= keep : i < keep;
	return keep;
}

static struct vma_tree_node *vt_split(struct mm_struct *mm, struct vma_tree_node *n,
				      unsigned int keep, int dir);

/*
 * Link @r, just split off @n, into @n's parent after @n (splitting that too
 * if full: at @r when the insertions come in order, @dir != 0, since the
 * next split comes at @n or @r again). @n and @r may end up in different
 * parents: both their paths to the root are rewritten.
 */
static void vt_add_sibling(struct mm_struct *mm, struct vma_tree_node *n, struct vma_tree_node *r,
			   int dir)
{
	struct vma_tree_node *p = n->parent;
	unsigned int at;
	bool left;

	if (!p) {
		p = vt_node_get(mm, false);
		p->nr = 2;
		p->e[0].slot = n;
		p->e[1].slot = r;
		n->parent = r->parent = p;
		vt_set_summary(p, 0, n);
		vt_set_summary(p, 1, r);
		mm->mm_mt = p;
		mm->mm_mt_height++;
		return;
	}
	at = vt_index_in_parent(n) + 1;
	if (p->nr == VT_SLOTS) {
		/* In order, the new child is the edge: the cut goes before it (as @dir +1). */
		unsigned int keep = vt_split_point(at, dir ? 1 : 0, &left);
		struct vma_tree_node *q = vt_split(mm, p, keep, dir);
		if (!left) {
			at -= keep;
			p = q;
		}
	}
	vt_open(p, at);
	p->e[at].slot = r;
	r->parent = p;
	p->end[at] = p->e[at].gap = 0;
	vt_propagate(r, false);
	vt_propagate(n, false);
}

/* Move the entries of full @n from @keep on to a new node after it. Return: the new node. */
static struct vma_tree_node *vt_split(struct mm_struct *mm, struct vma_tree_node *n,
				      unsigned int keep, int dir)
{
	struct vma_tree_node *r = vt_node_get(mm, n->leaf);

	vt_move(r, 0, n, keep, n->nr - keep);
	r->nr = n->nr - keep;
	n->nr = keep;
	vt_add_sibling(mm, n, r, dir);
	return r;
}

static void vt_insert_at(struct mm_struct *mm, struct vm_area_struct *vma, struct vma_tree_node *n,
			 unsigned int i);

int vma_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vma_tree_node *n = mm->mm_mt;
	unsigned int i;
	int err;

	if ((err = vma_tree_prealloc(mm)) != 0)
		return err;
	if (!n) {
		n = mm->mm_mt = vt_node_get(mm, true);
		mm->mm_mt_height = 1;
	}
	/* The first entry ending above vm_start (the VMA after @vma), else the last. */
	for (;;) {
		i = vt_slot_above(n, vma->vm_start);
		if (n->leaf)
			break;
		n = n->e[i < n->nr ? i : n->nr - 1].slot;
	}
	vt_insert_at(mm, vma, n, i);
	return 0;
}

int vma_iter_insert(struct vma_iterator *vmi, struct vm_area_struct *vma)
{
	struct mm_struct *mm = vmi->mm;
	struct vma_tree_node *n = vmi->node;
	unsigned int i = vmi->i;
	int err;

	vmi->node = NULL;
	/*
	 * vma_iter_intersection()'s leaf while no insertion or removal came
	 * since, and its entry still the first ending above vm_start (a range
	 * changed in place in between would show here): no second descent.
	 */
	if (!n || vmi->walked || vmi->seq != mm->mm_mt_seq || vmi->start != vma->vm_start ||
	    i >= n->nr || n->end[i] <= vma->vm_start || (i && n->end[i - 1] > vma->vm_start))
		return vma_insert(mm, vma);
	if ((err = vma_tree_prealloc(mm)) != 0)
		return err;
	vt_insert_at(mm, vma, n, i);
	return 0;
}

/* Link @vma at entry @i of leaf @n: the first entry ending above its vm_start, else n->nr. */
static void vt_insert_at(struct mm_struct *mm, struct vm_area_struct *vma, struct vma_tree_node *n,
			 unsigned int i)
{
	struct vm_area_struct *prev, *next;

	next = i < n->nr ? n->e[i].slot : NULL;
	unsigned long prev_end;
	prev = vt_prev_end(n, i, &prev_end);
	/* @next's gap shrinks to what is above @vma; from its stored gap (gap 0 stays 0). */
	unsigned long next_gap = 0;
	if (next) {
		long g = gap_moved(n->e[i].gap, prev_end, vma->vm_end);
		next_gap = g >= 0 ? (unsigned long)g : vma_gap(next, vma);
	}

	bool split = n->nr == VT_SLOTS;
	if (split) {
		/* In order: just below the VMA inserted last (top-down), or just above it. */
		int dir = next && next == mm->mm_mt_last ? -1 : prev && prev == mm->mm_mt_last ? 1 : 0;
		bool left;
		unsigned int keep = vt_split_point(i, dir, &left);
		struct vma_tree_node *r = vt_split(mm, n, keep, dir);
		if (!left) {
			i -= keep;
			n = r;
		}
	}
	unsigned long old_gap = i < n->nr ? n->e[i].gap : 0;	/* @next's, when it is in this leaf */
	vt_open(n, i);
	n->end[i] = vma->vm_end;
	unsigned long start = vm_start_gap(vma);
	n->e[i].gap = start > prev_end ? start - prev_end : 0;
	n->e[i].slot = vma;
	if (split) {
		/* Every entry on the way up is rewritten. */
		if (next && i + 1 < n->nr)
			n->e[i + 1].gap = next_gap;
		vt_propagate(n, false);
	} else if (next && i + 1 < n->nr) {
		/* @next follows in this leaf: the leaf's last end stays; its gap fell. */
		n->e[i + 1].gap = next_gap;
		vt_gaps_changed(n, old_gap, n->e[i].gap);
	} else {
		vt_propagate(n, true);
	}
	if (next && i + 1 == n->nr)
		vt_set_gap(mm, vma->vm_end, next_gap);
	mm->map_count++;
	mm->mm_mt_seq++;
	mm->mm_mt_last = vma;
	mm->mm_mt_last_leaf = n;
	mm->mm_mt_last_i = i;
	mm->mm_mt_last_seq = mm->mm_mt_seq;
	vma->linked = true;
	vma->detached = false;
}

/* ---- Removal ---- */

/*
 * @n lost an entry: while it (or, after a merge, its parent) is under
 * VT_MIN, borrow from a sibling or merge with it; shrink the root.
 * Return: the node that holds @n's entries now (NULL: the tree is empty).
 */
static struct vma_tree_node *vt_rebalance(struct mm_struct *mm, struct vma_tree_node *n)
{
	struct vma_tree_node *keep = n;

	for (;;) {
		struct vma_tree_node *p = n->parent, *l, *r;
		unsigned int i, li;

		if (!p) {
			if (n->nr == 0) {	/* an empty leaf root */
				mm->mm_mt = NULL;
				mm->mm_mt_height = 0;
				vt_node_put(mm, n);
				return NULL;
			}
			if (!n->leaf && n->nr == 1) {
				mm->mm_mt = n->e[0].slot;
				mm->mm_mt->parent = NULL;
				mm->mm_mt_height--;
				vt_node_put(mm, n);
			}
			return keep;
		}
		if (n->nr >= VT_MIN)
			return keep;
		i = vt_index_in_parent(n);
		li = i + 1 < p->nr ? i : i - 1;
		l = p->e[li].slot;
		r = p->e[li + 1].slot;
		if (l->nr + r->nr <= VT_SLOTS) {
			vt_move(l, l->nr, r, 0, r->nr);
			l->nr += r->nr;
			if (keep == r)
				keep = l;
			vt_close(p, li + 1);
			vt_set_summary(p, li, l);
			vt_node_put(mm, r);
			n = p;
			continue;
		}
		/* Even the two out. */
		unsigned int want = (l->nr + r->nr) / 2;
		if (l->nr > want) {
			unsigned int k = l->nr - want;
			vt_shift(r, 0, k);
			vt_move(r, 0, l, want, k);
			l->nr = want;
		} else {
			unsigned int k = want - l->nr;
			vt_move(l, l->nr, r, 0, k);
			l->nr = want;
			vt_shift(r, k, 0);
		}
		vt_set_summary(p, li, l);
		vt_set_summary(p, li + 1, r);
		return keep;
	}
}

/* Take @vma, entry @i of leaf @n (NULL: not found, a bug reported), out of the tree. */
static void vt_remove_at(struct mm_struct *mm, struct vm_area_struct *vma, struct vma_tree_node *n,
			 unsigned int i)
{
	struct vm_area_struct *prev, *next;

	mm->map_count--;
	mm->mm_mt_seq++;
	vma->detached = true;
	if (!n)
		return;
	unsigned long prev_end, next_gap = 0;
	prev = vt_prev_end(n, i, &prev_end);
	/* @next's gap grows down to @prev's end; from its stored gap when that says where it ends. */
	struct vma_tree_node *nn = n;
	unsigned int ni = i;
	next = vt_step(&nn, &ni, 1) ? nn->e[ni].slot : NULL;
	if (next) {
		long g = gap_moved(nn->e[ni].gap, vma->vm_end, prev_end);
		next_gap = g >= 0 ? (unsigned long)g : vma_gap(next, prev);
	}
	unsigned long gone_gap = n->e[i].gap;
	vt_close(n, i);
	bool next_here = next && i < n->nr;
	if (next_here)
		n->e[i].gap = next_gap;
	/* After a borrow or a merge every entry on the way up is rewritten; else only what changes. */
	bool reshape = n->parent && n->nr < VT_MIN;
	if (next_here && !reshape)
		vt_gaps_changed(n, gone_gap, next_gap);	/* the leaf's last end stays */
	else if ((n = vt_rebalance(mm, n)) != NULL)
		vt_propagate(n, !reshape);
	if (next && !next_here)
		vt_set_gap(mm, vma->vm_end, next_gap);
}

void vma_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vma_tree_node *n;
	unsigned int i;

	if (!vma->linked || vma->detached)
		return;
	n = vt_locate(mm, vma, &i);
	vt_remove_at(mm, vma, n, i);
}

void vma_iter_remove(struct vma_iterator *vmi, struct vm_area_struct *vma)
{
	if (!vma->linked || vma->detached)
		return;
	/* The iterator's leaf, when nothing moved since it returned @vma: no descent. */
	if (vmi_current(vmi) && vmi->node->e[vmi->i].slot == vma)
		vt_remove_at(vmi->mm, vma, vmi->node, vmi->i);
	else
		vma_remove(vmi->mm, vma);
	/* The next step descends again from @vma's end (mm_mt_seq moved on). */
	vmi->node = NULL;
	vmi->walked = true;
	vmi->start = vma->vm_start;
	vmi->end = vma->vm_end;
}

void vma_adjust_tree(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vma_tree_node *n;
	unsigned int i;

	if (!vma->linked || vma->detached)
		return;
	n = vt_locate(mm, vma, &i);
	if (!n)
		return;
	struct vm_area_struct *next = vt_next_vma(n, i);
	n->end[i] = vma->vm_end;
	n->e[i].gap = vma_gap(vma, vt_prev_vma(n, i));
	/* @next's gap: at hand when it follows in this leaf. */
	bool next_here = next && i + 1 < n->nr;
	if (next_here)
		n->e[i + 1].gap = vma_gap(next, vma);
	vt_propagate(n, true);
	if (next && !next_here)
		vt_update_gap(mm, next, vma);
}

/* ---- The top-down search ---- */

struct gap_search {
	unsigned long len, low, high;
	unsigned long found;	/* gap end - len, or 0 */
};

/* The gap below @vma (after @prev) clipped to [low, high): does @len fit? */
static bool gap_fits(struct gap_search *s, const struct vm_area_struct *vma,
		     const struct vm_area_struct *prev)
{
	unsigned long end = vm_start_gap(vma);
	unsigned long start = prev ? vm_end_gap(prev) : s->low;

	if (end > s->high)
		end = s->high;
	if (start < s->low)
		start = s->low;
	if (end > start && end - start >= s->len) {
		s->found = end - s->len;
		return true;
	}
	return false;
}

/*
 * Right to left (highest first), skipping entries whose largest gap is too
 * small, or whose gaps all start at or above @high: those of entry i start
 * at or above entry i - 1's end.
 */
static bool search_topdown(struct gap_search *s, struct vma_tree_node *n)
{
	for (unsigned int i = n->nr; i-- > 0;) {
		if (n->e[i].gap < s->len || (i && n->end[i - 1] >= s->high))
			continue;
		if (n->leaf ? gap_fits(s, n->e[i].slot, vt_prev_vma(n, i)) : search_topdown(s, n->e[i].slot))
			return true;
	}
	return false;
}

unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len, unsigned long low_limit,
				    unsigned long high_limit)
{
	struct vm_area_struct *last = vt_last(mm);
	unsigned long end = mm->task_size < high_limit ? mm->task_size : high_limit;
	unsigned long start = last ? vm_end_gap(last) : low_limit;
	struct gap_search s = { len, low_limit, high_limit, 0 };

	/* The gap above the last VMA. */
	if (start < low_limit)
		start = low_limit;
	if (end > start && end - start >= len)
		return end - len;
	if (mm->mm_mt && search_topdown(&s, mm->mm_mt))
		return s.found;
	return (unsigned long)-ENOMEM;
}

/* ---- The checker ---- */

static unsigned long vt_count_nodes(const struct vma_tree_node *n)
{
	unsigned long count = 1;

	for (unsigned int i = 0; !n->leaf && i < n->nr; i++)
		count += vt_count_nodes(n->e[i].slot);
	return count;
}

unsigned long vma_tree_nodes(const struct mm_struct *mm)
{
	return mm->mm_mt ? vt_count_nodes(mm->mm_mt) : 0;
}

struct vt_walk {
	struct mm_struct *mm;
	int pid, count;
	struct vm_area_struct *prev;	/* the VMA of the leaf entry before */
};

/* Check the subtree of @n at @depth; its last end and largest gap in *@end, *@gap. */
static int vt_check_node(struct vt_walk *w, const struct vma_tree_node *n,
			 const struct vma_tree_node *parent, int depth, unsigned long *end,
			 unsigned long *gap)
{
	unsigned int min = parent ? VT_MIN : n->leaf ? 1 : 2;
	int pid = w->pid, r;

	if (n->parent != parent)
		return kmm_set_error(-EUCLEAN, "process %d: VMA tree node at depth %d has a wrong parent",
				     pid, depth);
	if (n->nr < min || n->nr > VT_SLOTS)
		return kmm_set_error(-EUCLEAN, "process %d: VMA tree node at depth %d holds %u entries",
				     pid, depth, n->nr);
	if (n->leaf != (depth == w->mm->mm_mt_height))
		return kmm_set_error(-EUCLEAN, "process %d: VMA tree leaf at depth %d, height %d",
				     pid, depth, w->mm->mm_mt_height);
	/* A leaf's VMAs first: sorted and disjoint after the VMA before the leaf (w->prev). */
	const struct vm_area_struct *before = w->prev;
	for (unsigned int i = 0; n->leaf && i < n->nr; i++) {
		struct vm_area_struct *vma = n->e[i].slot;
		if (!vma->linked || vma->detached || vma->vm_start >= vma->vm_end ||
		    (w->prev && w->prev->vm_end > vma->vm_start))
			return kmm_set_error(-EUCLEAN, "process %d: VMA 0x%lx badly linked", pid,
					     vma->vm_start);
		if (w->count++ == w->mm->map_count)
			return kmm_set_error(-EUCLEAN, "process %d: the VMA tree has more than "
					     "map_count %d VMAs", pid, w->mm->map_count);
		w->prev = vma;
	}
	for (unsigned int i = 0; i < n->nr; i++) {
		unsigned long e, g;
		if (n->leaf) {
			const struct vm_area_struct *vma = n->e[i].slot;
			e = vma->vm_end;
			g = vma_gap(vma, i ? n->e[i - 1].slot : before);
		} else if ((r = vt_check_node(w, n->e[i].slot, n, depth + 1, &e, &g)) != 0) {
			return r;
		}
		if (n->end[i] != e || n->e[i].gap != g)
			return kmm_set_error(-EUCLEAN, "process %d: VMA tree entry at depth %d ends 0x%lx "
					     "gap 0x%lx, want 0x%lx gap 0x%lx", pid, depth, n->end[i],
					     n->e[i].gap, e, g);
	}
	*end = n->end[n->nr - 1];
	*gap = vt_max_gap(n);
	return 0;
}

int vma_tree_check(struct mm_struct *mm, int pid)
{
	struct vt_walk w = { mm, pid, 0, NULL };
	unsigned long end, gap;
	int r;

	if (!mm->mm_mt) {
		if (mm->mm_mt_height)
			return kmm_set_error(-EUCLEAN, "process %d: VMA tree of height %d without a root",
					     pid, mm->mm_mt_height);
	} else if ((r = vt_check_node(&w, mm->mm_mt, NULL, 1, &end, &gap)) != 0) {
		return r;
	}
	if (w.count != mm->map_count)
		return kmm_set_error(-EUCLEAN, "process %d: map_count %d but %d VMAs", pid,
				     mm->map_count, w.count);
	return 0;
}
