// SPDX-License-Identifier: MIT
/*
 * tests/unit_vma_tree.c - the VMA tree (mm/vma.c): after every random mmap
 * (fixed or placed), munmap and mprotect, the tree is whole and every
 * cached subtree gap current (vma_tree_check), find_vma and
 * find_vma_intersection agree with a linear scan, and the O(log n) top-down search returns exactly the
 * address the linear search kmm used before the tree (every gap from the
 * top, clipped to [mmap_min_addr, mmap_base)) returns; the VMA iterator
 * walks both ways and survives the tree changing under it. KMM_SEED replays.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>

#include "mm/include/mm.h"

#define MIN_ADDR 0x10000UL

/* Every VMA of @mm in address order (for_each_vma), in an array the caller frees; *@nr of them. */
static struct vm_area_struct **all_vmas(struct mm_struct *mm, size_t *nr)
{
	struct vm_area_struct **a = calloc((size_t)mm->map_count + 1, sizeof(*a)), *v;
	size_t n = 0;
	VMA_ITERATOR(vmi, mm, 0);

	assert_true(a != NULL);
	for_each_vma(vmi, v) {
		assert_true(n < (size_t)mm->map_count);
		a[n++] = v;
	}
	*nr = n;
	return a;
}

/* The pre-tree algorithm, over the VMAs in order. */
static unsigned long linear_topdown(struct mm_struct *mm, unsigned long len)
{
	unsigned long high = mm->mmap_base, found = (unsigned long)-ENOMEM;
	size_t nr;
	struct vm_area_struct **a = all_vmas(mm, &nr);

	for (size_t k = nr + 1; k-- > 0;) {
		/* gap below a[k] (k == nr: above the last VMA) */
		struct vm_area_struct *v = k < nr ? a[k] : NULL, *prev = k ? a[k - 1] : NULL;
		unsigned long gap_end = v ? vm_start_gap(v) : mm->task_size;
		unsigned long gap_start = prev ? prev->vm_end : MIN_ADDR;
		if (gap_end > high)
			gap_end = high;
		if (gap_start < MIN_ADDR)
			gap_start = MIN_ADDR;
		if (gap_end > gap_start && gap_end - gap_start >= len) {
			found = gap_end - len;
			break;
		}
	}
	free(a);
	return found;
}

static struct vm_area_struct *linear_find(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *v;
	VMA_ITERATOR(vmi, mm, 0);

	for_each_vma(vmi, v)
		if (v->vm_end > addr)
			return v;
	return NULL;
}

/* The first VMA that overlaps [@start, @end), by a scan. */
static struct vm_area_struct *linear_intersection(struct mm_struct *mm, unsigned long start,
						  unsigned long end)
{
	struct vm_area_struct *v = linear_find(mm, start);

	return v && v->vm_start < end ? v : NULL;
}

TEST(random_maps_keep_tree_and_gaps_in_step)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "tree");
	uint64_t s = kmm_test_seed();
	int steps = kmm_test_quick() ? 1500 : 6000;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	unsigned long base = mm->mmap_base - (64UL << 20);
	for (int i = 0; i < steps; i++) {
		unsigned long pages = 1 + kmm_test_rand(&s) % 8;
		unsigned long len = pages << PAGE_SHIFT;
		uint64_t out = 0;
		switch (kmm_test_rand(&s) % 4) {
		case 0: {	/* placed: the search chooses */
			unsigned long want = linear_topdown(mm, len);
			assert_eq(get_unmapped_area(mm, 0, len, 0), want);
			assert_eq(kmm_mmap(t, 0, len, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &out), 0);
			assert_eq(out, want);
			break;
		}
		case 1: {	/* fixed, inside a 64 MiB window below mmap_base */
			unsigned long at = base + ((kmm_test_rand(&s) % 16384) << PAGE_SHIFT);
			int prot = kmm_test_rand(&s) % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
			assert_eq(kmm_mmap(t, at, len, prot, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED, &out), 0);
			break;
		}
		case 2: {	/* unmap a random range of the window */
			unsigned long at = base + ((kmm_test_rand(&s) % 16384) << PAGE_SHIFT);
			assert_eq(kmm_munmap(t, at, len * 4), 0);
			break;
		}
		case 3: {	/* find_vma and find_vma_intersection against a scan */
			unsigned long at = base + ((kmm_test_rand(&s) % 20000) << PAGE_SHIFT);
			assert_true(find_vma(mm, at) == linear_find(mm, at));
			assert_true(find_vma_intersection(mm, at, at + len) == linear_intersection(mm, at, at + len));
			break;
		}
		}
		if (i % 64 == 0 || kmm_test_quick()) {
			int err = vma_tree_check(mm, t->pid);
			if (err)
				kmm_test_fail(__FILE__, __LINE__, "step %d: %s", i, kmm_last_error());
			assert_eq(err, 0);
		}
	}
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

TEST(hundred_thousand_vmas_map_and_unmap)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "many");
	const unsigned long n = kmm_test_quick() ? 20000 : 100000;
	uint64_t first = 0, out = 0;

	assert_true(t != NULL);
	/* Alternate protections so that neighbours never merge. */
	for (unsigned long i = 0; i < n; i++) {
		int prot = i % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
		assert_eq(kmm_mmap(t, 0, PAGE_SIZE, prot, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &out), 0);
		if (!i)
			first = out;
	}
	assert_true(t->mm->map_count >= (int)n);
	assert_eq(vma_tree_check(t->mm, t->pid), 0);
	/* Every other one goes: the holes are one page, too small for two. */
	for (unsigned long i = 0; i < n; i += 2)
		assert_eq(kmm_munmap(t, first - i * PAGE_SIZE, PAGE_SIZE), 0);
	assert_eq(vma_tree_check(t->mm, t->pid), 0);
	assert_eq(get_unmapped_area(t->mm, 0, 2 * PAGE_SIZE, 0), linear_topdown(t->mm, 2 * PAGE_SIZE));
	assert_eq(get_unmapped_area(t->mm, 0, PAGE_SIZE, 0), linear_topdown(t->mm, PAGE_SIZE));
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* Break the tree one way: the checker must name it; mended, it passes again. */
static void expect_broken(struct mm_struct *mm, int pid, const char *what, const char *words)
{
	int err = vma_tree_check(mm, pid);

	if (err != -EUCLEAN || !strstr(kmm_last_error(), words))
		kmm_test_fail(__FILE__, __LINE__, "%s: check %d '%s', want -EUCLEAN naming '%s'", what,
			      err, kmm_last_error(), words);
}

TEST(checker_sees_each_kind_of_broken_tree)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "broken");
	uint64_t out = 0;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	/*
	 * Enough VMAs, never merged, for three levels; then every other one
	 * unmapped, so that the leaves (13 of 16 full after the top-down
	 * mapping's edge splits) have room for the underfull case below.
	 */
	uint64_t low = 0;
	for (int i = 0; i < 1200; i++) {
		int prot = i % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
		assert_eq(kmm_mmap(t, 0, PAGE_SIZE, prot, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &out), 0);
		low = out;
	}
	for (int i = 0; i < 1200; i += 2)
		assert_eq(kmm_munmap(t, low + (uint64_t)i * PAGE_SIZE, PAGE_SIZE), 0);
	assert_true(mm->mm_mt_height >= 3);
	assert_eq(vma_tree_check(mm, t->pid), 0);

	struct vma_tree_node *root = mm->mm_mt, *inner = root->e[1].slot, *leaf = inner->e[1].slot;
	while (!leaf->leaf) {		/* the leaves' parent under the root's second entry */
		inner = leaf;
		leaf = inner->e[1].slot;
	}
	assert_true(!inner->leaf && leaf->leaf);

	leaf->e[2].gap += PAGE_SIZE;	/* a stale gap */
	expect_broken(mm, t->pid, "leaf gap", "gap");
	leaf->e[2].gap -= PAGE_SIZE;
	leaf->end[0] -= PAGE_SIZE;	/* a stale end */
	expect_broken(mm, t->pid, "leaf end", "ends");
	leaf->end[0] += PAGE_SIZE;
	root->e[0].gap += 1;		/* an inner entry that is not its child's largest gap */
	expect_broken(mm, t->pid, "inner gap", "gap");
	root->e[0].gap -= 1;
	inner->end[0] += PAGE_SIZE;	/* an inner end that is not its child's last */
	expect_broken(mm, t->pid, "inner end", "ends");
	inner->end[0] -= PAGE_SIZE;

	void *s = leaf->e[1].slot;	/* two VMAs out of order */
	leaf->e[1].slot = leaf->e[2].slot;
	leaf->e[2].slot = s;
	expect_broken(mm, t->pid, "order", "badly linked");
	leaf->e[2].slot = leaf->e[1].slot;
	leaf->e[1].slot = s;

	leaf->parent = root;		/* a wrong parent link */
	expect_broken(mm, t->pid, "parent", "parent");
	leaf->parent = inner;
	mm->mm_mt_height++;		/* leaves not at the tree's height */
	expect_broken(mm, t->pid, "height", "depth");
	mm->mm_mt_height--;

	/* A node under the minimum: its entries moved to its left sibling. */
	struct vma_tree_node *left = inner->e[0].slot;
	unsigned int k = leaf->nr - (VMA_TREE_MIN - 1), ln = left->nr;
	assert_true(ln + k <= VMA_TREE_SLOTS);
	for (unsigned int i = 0; i < k; i++) {
		left->end[ln + i] = leaf->end[i];
		left->e[ln + i].gap = leaf->e[i].gap;
		left->e[ln + i].slot = leaf->e[i].slot;
	}
	left->nr = ln + k;
	memmove(leaf->end, leaf->end + k, (leaf->nr - k) * sizeof(leaf->end[0]));
	memmove(leaf->e, leaf->e + k, (leaf->nr - k) * sizeof(leaf->e[0]));
	leaf->nr -= k;
	unsigned long e0 = inner->end[0], g0 = inner->e[0].gap;
	inner->end[0] = left->end[left->nr - 1];
	for (unsigned int i = 0; i < left->nr; i++)
		if (left->e[i].gap > inner->e[0].gap)
			inner->e[0].gap = left->e[i].gap;
	expect_broken(mm, t->pid, "underfull", "holds");
	/* Put them back. */
	memmove(leaf->end + k, leaf->end, leaf->nr * sizeof(leaf->end[0]));
	memmove(leaf->e + k, leaf->e, leaf->nr * sizeof(leaf->e[0]));
	for (unsigned int i = 0; i < k; i++) {
		leaf->end[i] = left->end[ln + i];
		leaf->e[i].gap = left->e[ln + i].gap;
		leaf->e[i].slot = left->e[ln + i].slot;
	}
	leaf->nr += k;
	left->nr = ln;
	inner->end[0] = e0;
	inner->e[0].gap = g0;

	mm->map_count++;
	expect_broken(mm, t->pid, "map_count", "map_count");
	mm->map_count -= 2;
	expect_broken(mm, t->pid, "map_count under", "more than map_count");
	mm->map_count++;
	assert_eq(vma_tree_check(mm, t->pid), 0);
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/*
 * Every way the tree changes shape, checked after each call: leaves and
 * inner nodes split as 3000 VMAs go in (in order, then shuffled), and
 * borrow, merge and give up levels as they go out (shuffled, then in order),
 * down to the empty tree.
 */
TEST(every_split_borrow_and_merge_keeps_the_tree_whole)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "shapes");
	const unsigned long n = kmm_test_quick() ? 1500 : 3000;
	unsigned long *order = malloc(n * sizeof(*order)), *at = malloc(n * sizeof(*at));
	uint64_t s = kmm_test_seed(), out = 0;

	assert_true(t != NULL && order != NULL && at != NULL);
	struct mm_struct *mm = t->mm;
	/* 1 to 32 pages apart, at random: no two merge, and a node's largest gap is seldom twice in it */
	at[0] = mm->mmap_base - ((34 * n + 64) << PAGE_SHIFT);
	for (unsigned long i = 1; i < n; i++)
		at[i] = at[i - 1] + ((2 + kmm_test_rand(&s) % 32) << PAGE_SHIFT);
	int start_count = mm->map_count;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned long i = 0; i < n; i++)
			order[i] = i;
		if (pass == 1)
			for (unsigned long i = n - 1; i > 0; i--) {
				unsigned long j = kmm_test_rand(&s) % (i + 1), x = order[i];
				order[i] = order[j];
				order[j] = x;
			}
		for (unsigned long i = 0; i < n; i++) {
			assert_eq(kmm_mmap(t, at[order[i]], PAGE_SIZE, KMM_PROT_READ,
					   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED, &out), 0);
			if (vma_tree_check(mm, t->pid))
				kmm_test_fail(__FILE__, __LINE__, "pass %d, map %lu: %s", pass, i, kmm_last_error());
		}
		assert_true(mm->mm_mt_height >= 3);
		for (unsigned long i = 0; i < n; i++) {
			/* pass 0 goes out shuffled, pass 1 in order */
			unsigned long k = pass == 0 ? order[(i * 7919) % n] : i;
			assert_eq(kmm_munmap(t, at[k], PAGE_SIZE), 0);
			if (vma_tree_check(mm, t->pid))
				kmm_test_fail(__FILE__, __LINE__, "pass %d, unmap %lu: %s", pass, i, kmm_last_error());
		}
		assert_eq(mm->map_count, start_count);
	}
	free(order);
	free(at);
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* No node for the tree (the host's allocation fails): the call fails with -ENOMEM and changes nothing. */
static void expect_enomem(struct kmm_machine *m, struct task_struct *t, int err, int map_count)
{
	if (err != -ENOMEM || t->mm->map_count != map_count)
		kmm_test_fail(__FILE__, __LINE__, "err %d, map_count %d (want -ENOMEM, %d)", err,
			      t->mm->map_count, map_count);
	assert_eq(vma_tree_check(t->mm, t->pid), 0);
	assert_eq(kmm_check(m), 0);
}

TEST(no_node_from_the_host_fails_split_mmap_mremap_and_fork_cleanly)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "nonode");
	uint64_t a = 0, out = 0;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &a), 0);
	int count = mm->map_count;
	uint64_t to = a - 64 * PAGE_SIZE;

	/* The spare nodes given back first, so that the next call must ask the host. */
	vma_tree_destroy(mm);
	vma_tree_fail_nth = 1;
	expect_enomem(m, t, kmm_mprotect(t, a + PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ), count);
	vma_tree_destroy(mm);
	vma_tree_fail_nth = 1;
	expect_enomem(m, t, kmm_mmap(t, 0, PAGE_SIZE, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS,
				     &out), count);
	vma_tree_destroy(mm);
	vma_tree_fail_nth = 1;
	expect_enomem(m, t, kmm_mremap(t, a, 4 * PAGE_SIZE, 4 * PAGE_SIZE,
				       KMM_MREMAP_MAYMOVE | KMM_MREMAP_FIXED, to, &out), count);
	vma_tree_fail_nth = 1;		/* the child's first node */
	assert_true(kmm_fork(t, "child") == NULL);
	assert_eq(kmm_check(m), 0);
	assert_eq(vma_tree_fail_nth, 0);

	/* With nodes, each works. */
	assert_eq(kmm_mprotect(t, a + PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ), 0);
	assert_eq(kmm_mmap(t, 0, PAGE_SIZE, KMM_PROT_READ, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &out), 0);
	assert_eq(kmm_mremap(t, a, PAGE_SIZE, PAGE_SIZE, KMM_MREMAP_MAYMOVE | KMM_MREMAP_FIXED, to, &out), 0);
	struct task_struct *c = kmm_fork(t, "child");
	assert_true(c != NULL);
	assert_eq(vma_tree_check(c->mm, c->pid), 0);
	assert_eq(kmm_check(m), 0);
	kmm_exit(c, 0);
	kmm_task_release(c);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* Map @n one-page VMAs that never merge (protections alternate); their starts, lowest first. */
static unsigned long *map_unmerged(struct task_struct *t, unsigned long n)
{
	unsigned long *at = malloc(n * sizeof(*at));
	uint64_t out = 0;

	assert_true(at != NULL);
	for (unsigned long i = 0; i < n; i++) {
		int prot = i % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
		assert_eq(kmm_mmap(t, 0, PAGE_SIZE, prot, KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &out), 0);
		at[n - 1 - i] = out;	/* top-down: each below the last */
	}
	return at;
}

/*
 * The VMA iterator (mm.h) over a three-level tree: forward and backward it
 * gives the VMAs in order, a new one starts where find_vma() and
 * find_vma_prev() say, for_each_vma_range() stops at its end, and a walk
 * that unmaps VMAs as it goes (forward, as munmap's loop; backward, as
 * exit's) still visits each VMA once, in order: every removal reshapes the
 * leaves under it, and the walk must notice and descend again.
 */
TEST(the_iterator_walks_both_ways_while_the_tree_changes)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "walk");
	const unsigned long n = 900;
	struct vm_area_struct *v;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	unsigned long *at = map_unmerged(t, n);
	assert_true(mm->mm_mt_height >= 3);
	size_t nr;
	struct vm_area_struct **all = all_vmas(mm, &nr);
	assert_eq(nr, (size_t)mm->map_count);
	for (size_t k = 0; k < nr; k++) {
		assert_true(find_vma(mm, k ? all[k - 1]->vm_end : 0) == all[k]);
		struct vm_area_struct *prev = NULL;
		assert_true(find_vma_prev(mm, all[k]->vm_start, &prev) == all[k]);
		assert_true(prev == (k ? all[k - 1] : NULL));
	}
	/* Backward from the top, and forward again from the middle of the walk. */
	VMA_ITERATOR(back, mm, ~0UL);
	for (size_t k = nr; k-- > 0;)
		assert_true(vma_prev(&back) == all[k]);
	assert_true(vma_prev(&back) == NULL);
	VMA_ITERATOR(mid, mm, all[nr / 2]->vm_start + 1);
	assert_true(vma_next(&mid) == all[nr / 2]);
	assert_true(vma_prev(&mid) == all[nr / 2 - 1]);
	assert_true(vma_next(&mid) == all[nr / 2]);
	assert_true(vma_next(&mid) == all[nr / 2 + 1]);
	VMA_ITERATOR(below, mm, all[nr / 2]->vm_start + 1);
	assert_true(vma_prev(&below) == all[nr / 2 - 1]);
	/* A range: the VMAs starting below its end only. */
	size_t seen = 0;
	VMA_ITERATOR(range, mm, at[10]);
	for_each_vma_range(range, v, at[20])
		assert_true(v == find_vma(mm, at[10 + seen++]));
	assert_eq(seen, 10);
	free(all);

	/*
	 * Forward, each fourth of the window's VMAs grown over the one after it
	 * (a MAP_FIXED mapping like it replaces that one, and they merge): the
	 * walk goes on after the grown VMA, never returning it twice.
	 */
	unsigned long last_start = 0;
	int merged = 0;
	size_t k = 0;
	VMA_ITERATOR(grow, mm, 0);
	for_each_vma(grow, v) {
		assert_true(v->vm_start > last_start);
		last_start = v->vm_start;
		struct vm_area_struct *next = find_vma(mm, v->vm_end);
		if (v->vm_start >= at[0] && k++ % 4 == 0 && next && next->vm_start == v->vm_end &&
		    next->vm_start <= at[n - 1]) {
			int prot = v->vm_flags & VM_WRITE ? KMM_PROT_READ | KMM_PROT_WRITE : KMM_PROT_READ;
			unsigned long end = v->vm_end;
			uint64_t out = 0;
			assert_eq(kmm_mmap(t, next->vm_start, PAGE_SIZE, prot,
					   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED, &out), 0);
			assert_true(v->vm_end > end);	/* over the next, and the one after it: alike too */
			merged++;
		}
	}
	assert_true(merged > 10);
	assert_eq(vma_tree_check(mm, t->pid), 0);

	/* Forward, every third of the window's VMAs unmapped as the walk reaches it. */
	all = all_vmas(mm, &nr);
	k = 0;
	VMA_ITERATOR(fwd, mm, 0);
	for_each_vma(fwd, v) {
		assert_true(k < nr && v == all[k]);
		if (v->vm_start >= at[0] && v->vm_start <= at[n - 1] && k % 3 == 0)
			assert_eq(kmm_munmap(t, v->vm_start, PAGE_SIZE), 0);
		k++;
	}
	assert_eq(k, nr);
	assert_eq(vma_tree_check(mm, t->pid), 0);
	free(all);

	/* Backward, every other one of the window's left unmapped. */
	all = all_vmas(mm, &nr);
	k = nr;
	VMA_ITERATOR(rev, mm, ~0UL);
	while ((v = vma_prev(&rev)) != NULL) {
		assert_true(k > 0 && v == all[k - 1]);
		if (v->vm_start >= at[0] && v->vm_start <= at[n - 1] && k % 2 == 0)
			assert_eq(kmm_munmap(t, v->vm_start, PAGE_SIZE), 0);
		k--;
	}
	assert_eq(k, 0);
	assert_eq(vma_tree_check(mm, t->pid), 0);
	free(all);

	assert_eq(vma_tree_check(mm, t->pid), 0);
	free(at);
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/*
 * @n one-page VMAs two pages apart (none merge) mapped at fixed addresses
 * in @order (0: highest first, each below the last, as top-down mmap places
 * them; 1: lowest first; 2: shuffled): the tree's nodes then. Unmapped again.
 */
static unsigned long nodes_after(struct task_struct *t, unsigned long n, int order)
{
	const unsigned long base = 0x200000000UL;	/* below everything the task has */
	unsigned long *o = malloc(n * sizeof(*o)), nodes;
	uint64_t s = 0x9e3779b97f4a7c15ull, out = 0;

	assert_true(o != NULL);
	for (unsigned long i = 0; i < n; i++)
		o[i] = order == 0 ? n - 1 - i : i;
	for (unsigned long i = n - 1; order == 2 && i > 0; i--) {
		unsigned long j = kmm_test_rand(&s) % (i + 1), x = o[i];
		o[i] = o[j];
		o[j] = x;
	}
	for (unsigned long i = 0; i < n; i++)
		assert_eq(kmm_mmap(t, base + 2 * o[i] * PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ,
				   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED_NOREPLACE, &out), 0);
	assert_eq(vma_tree_check(t->mm, t->pid), 0);
	nodes = vma_tree_nodes(t->mm);
	assert_eq(kmm_munmap(t, base, 2 * n * PAGE_SIZE), 0);
	free(o);
	return nodes;
}

/*
 * Insertions in address order, either way, cut a full node at the new
 * entry instead of in halves, so the nodes they leave are nearly full: 13
 * of 16 entries a leaf (about n / 12 nodes in all, inner ones counted),
 * where halves leave 8 to 9 (n / 7). A shuffled order keeps the halves
 * (about 70% full).
 */
TEST(in_order_insertions_fill_the_nodes)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "fill");
	const unsigned long n = 4000;

	assert_true(t != NULL);
	unsigned long down = nodes_after(t, n, 0), up = nodes_after(t, n, 1), shuffled = nodes_after(t, n, 2);
	printf("nodes for %lu VMAs: top-down %lu, bottom-up %lu, shuffled %lu\n", n, down, up, shuffled);
	assert_true(down <= n / 10);
	assert_true(up <= n / 10);
	assert_true(shuffled <= n / 7);
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/* The pages of [@base, @base + @pages pages) mapped now, by a walk over the VMAs, in @got. */
static void walk_pages(struct mm_struct *mm, unsigned long base, unsigned long pages, unsigned char *got)
{
	struct vm_area_struct *v;
	VMA_ITERATOR(vmi, mm, base);

	memset(got, 0, pages);
	for_each_vma_range(vmi, v, base + (pages << PAGE_SHIFT))
		for (unsigned long a = v->vm_start < base ? base : v->vm_start; a < v->vm_end; a += PAGE_SIZE)
			if (a < base + (pages << PAGE_SHIFT))
				got[(a - base) >> PAGE_SHIFT] = 1;
}

/*
 * munmap's one descent (do_munmap's vma_find hands its leaf to
 * vma_iter_remove) and MAP_FIXED_NOREPLACE without the replace step: random
 * MAP_FIXED_NOREPLACE maps (refused with -EEXIST, nothing changed, when they
 * overlap), MAP_FIXED maps, munmaps of exactly one VMA and of ranges that
 * split VMAs at both ends and take several, against a model of which pages
 * are mapped; after every step the tree is whole, the walk gives the model's
 * pages, no two VMAs that touch alike are left unmerged, and find_vma agrees
 * with a scan around the range that changed.
 */
TEST(munmap_and_noreplace_keep_find_vma_and_scan_in_step)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "steps");
	uint64_t s = kmm_test_seed();
	const unsigned long pages = 4096;
	int steps = kmm_test_quick() ? 1500 : 5000;
	unsigned char *model = calloc(pages, 1), *got = malloc(pages);

	assert_true(t != NULL && model != NULL && got != NULL);
	struct mm_struct *mm = t->mm;
	unsigned long base = mm->mmap_base - (64UL << 20);
	for (int i = 0; i < steps; i++) {
		unsigned long p = kmm_test_rand(&s) % pages, len = 1 + kmm_test_rand(&s) % 8, at;
		int op = (int)(kmm_test_rand(&s) % 4), err;
		uint64_t out = 0;
		if (op == 3)		/* a range of up to 32 pages: splits at both ends, several VMAs */
			len = 1 + kmm_test_rand(&s) % 32;
		if (p + len > pages)
			len = pages - p;
		at = base + (p << PAGE_SHIFT);
		/* Protections by the start page's parity: neighbours merge only sometimes. */
		int prot = p % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
		bool busy = false;
		for (unsigned long k = p; k < p + len; k++)
			busy |= model[k];
		switch (op) {
		case 0:		/* MAP_FIXED_NOREPLACE: -EEXIST and no change over a mapped page */
			err = kmm_mmap(t, at, len << PAGE_SHIFT, prot,
				       KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED_NOREPLACE, &out);
			assert_eq(err, busy ? -EEXIST : 0);
			if (!busy)
				memset(model + p, 1, len);
			break;
		case 1:		/* MAP_FIXED: replaces what is there */
			assert_eq(kmm_mmap(t, at, len << PAGE_SHIFT, prot,
					   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED, &out), 0);
			memset(model + p, 1, len);
			break;
		case 2: {	/* exactly the VMA at or above the page, clipped to the window */
			struct vm_area_struct *v = find_vma(mm, at);
			if (!v || v->vm_start >= base + (pages << PAGE_SHIFT))
				break;
			unsigned long a = v->vm_start < base ? base : v->vm_start;
			unsigned long e = v->vm_end > base + (pages << PAGE_SHIFT) ? base + (pages << PAGE_SHIFT) : v->vm_end;
			assert_eq(kmm_munmap(t, a, e - a), 0);
			p = (a - base) >> PAGE_SHIFT;
			len = (e - a) >> PAGE_SHIFT;
			at = a;
			memset(model + p, 0, len);
			break;
		}
		case 3:		/* a range */
			assert_eq(kmm_munmap(t, at, len << PAGE_SHIFT), 0);
			memset(model + p, 0, len);
			break;
		}
		err = vma_tree_check(mm, t->pid);
		if (err)
			kmm_test_fail(__FILE__, __LINE__, "step %d (op %d): %s", i, op, kmm_last_error());
		walk_pages(mm, base, pages, got);
		/*
		 * The maps merge what touches them alike (vma_try_merge, from
		 * vma_touching()), and nothing else makes two such neighbours: no
		 * two VMAs of the window touch with the same flags.
		 */
		struct vm_area_struct *v, *before = NULL;
		VMA_ITERATOR(vmi, mm, base);
		for_each_vma_range(vmi, v, base + (pages << PAGE_SHIFT)) {
			if (before && before->vm_end == v->vm_start && before->vm_flags == v->vm_flags)
				kmm_test_fail(__FILE__, __LINE__, "step %d (op %d): VMAs at pages %ld and "
					      "%ld touch alike, unmerged", i, op,
					      (long)(before->vm_start - base) / (long)PAGE_SIZE,
					      (long)(v->vm_start - base) / (long)PAGE_SIZE);
			before = v;
		}
		if (memcmp(got, model, pages))
			kmm_test_fail(__FILE__, __LINE__, "step %d (op %d at page %lu, %lu pages): the walk "
				      "differs from the model", i, op, p, len);
		/* find_vma around the range: below it, its ends, above it. */
		const unsigned long probe[] = { at - PAGE_SIZE, at, at + (len << PAGE_SHIFT) - 1,
						at + (len << PAGE_SHIFT), at + ((len + 1) << PAGE_SHIFT) };
		for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++)
			if (find_vma(mm, probe[k]) != linear_find(mm, probe[k]))
				kmm_test_fail(__FILE__, __LINE__, "step %d (op %d): find_vma(page %ld) differs "
					      "from the scan", i, op, (long)(probe[k] - base) / (long)PAGE_SIZE);
	}
	free(model);
	free(got);
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}

/*
 * vma_iter_insert() takes the place vma_iter_intersection() kept only while
 * it holds: with nothing between (do_mmap's MAP_FIXED_NOREPLACE), after a
 * mapping or an unmapping beside it (the leaf reshaped, split or merged
 * away), and for another start. Each time the VMA must land where find_vma()
 * finds it, in a whole tree.
 */
TEST(vma_iter_insert_takes_the_kept_place_only_while_it_holds)
{
	struct kmm_machine *m = boot("mem=256M");
	struct task_struct *t = kmm_spawn(m, "kept");
	uint64_t s = kmm_test_seed(), out = 0;
	const unsigned long slots = 1200;	/* pages 2k mapped, 2k + 1 holes: three levels */
	int steps = kmm_test_quick() ? 300 : 1500;

	assert_true(t != NULL);
	struct mm_struct *mm = t->mm;
	unsigned long base = mm->mmap_base - (64UL << 20);
	for (unsigned long k = 0; k < slots; k++) {
		int prot = k % 2 ? KMM_PROT_READ : KMM_PROT_READ | KMM_PROT_WRITE;
		assert_eq(kmm_mmap(t, base + 2 * k * PAGE_SIZE, PAGE_SIZE, prot,
				   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_FIXED_NOREPLACE, &out), 0);
	}
	for (int i = 0; i < steps; i++) {
		unsigned long k = 1 + kmm_test_rand(&s) % (slots - 2);
		unsigned long at = base + (2 * k + 1) * PAGE_SIZE, near = at;
		int change = (int)(kmm_test_rand(&s) % 4);
		VMA_ITERATOR(vmi, mm, 0);

		if (find_vma_intersection(mm, at, at + PAGE_SIZE))
			continue;	/* filled by an earlier step's change */
		assert_true(vma_iter_intersection(&vmi, at, at + PAGE_SIZE) == NULL);
		switch (change) {
		case 1:		/* map a hole a few slots away (same leaf or the next) */
			near = at + (2 * (kmm_test_rand(&s) % 8) - 7) * 2 * PAGE_SIZE;
			(void)kmm_mmap(t, near, PAGE_SIZE, KMM_PROT_READ, KMM_MAP_PRIVATE |
				       KMM_MAP_ANONYMOUS | KMM_MAP_FIXED_NOREPLACE, &out);
			break;
		case 2:		/* unmap a mapped page a few slots away (a leaf may merge) */
			near = at - PAGE_SIZE + (2 * (kmm_test_rand(&s) % 8) - 7) * 2 * PAGE_SIZE;
			assert_eq(kmm_munmap(t, near, PAGE_SIZE), 0);
			break;
		case 3:		/* the place kept, but the VMA starts elsewhere */
			at += 2 * PAGE_SIZE;
			if (find_vma_intersection(mm, at, at + PAGE_SIZE))
				continue;
			break;
		}
		struct vm_area_struct *v = vm_area_alloc(mm);
		assert_true(v != NULL);
		v->vm_start = at;
		v->vm_end = at + PAGE_SIZE;
		v->vm_flags = VM_READ | VM_MAYREAD;
		assert_eq(vma_iter_insert(&vmi, v), 0);
		assert_true(vmi.node == NULL);
		if (find_vma(mm, at) != v || linear_find(mm, at) != v)
			kmm_test_fail(__FILE__, __LINE__, "step %d (change %d): the VMA at slot %lu is "
				      "not where find_vma and the scan look", i, change, k);
		int err = vma_tree_check(mm, t->pid);
		if (err)
			kmm_test_fail(__FILE__, __LINE__, "step %d (change %d): %s", i, change,
				      kmm_last_error());
		vma_remove(mm, v);
		vm_area_free(v);
	}
	assert_eq(kmm_check(m), 0);
	kmm_exit(t, 0);
	kmm_task_release(t);
	done(m);
}
