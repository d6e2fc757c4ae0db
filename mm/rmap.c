// SPDX-License-Identifier: MIT
/*
 * mm/rmap.c - the reverse map (page -> the PTEs that map it), mapcounts, the
 * mapped-page counters, and the process layer's invariant checker.
 *
 * Linux counterpart: mm/rmap.c (anon_vma, folio_add_new_anon_rmap,
 * folio_add_anon_rmap_ptes, folio_add_file_rmap_ptes, folio_remove_rmap_ptes,
 * rmap_walk_anon, rmap_walk_file).
 * Simplified but honest: one anon_vma per fork family, holding every VMA of
 * the family (Linux 2.6.0-2.6.33's design; 2.6.34 added anon_vma_chain to
 * keep the lists short after many forks). A page's ->mapping points at it
 * with PAGE_MAPPING_ANON set and ->index is the page's linear index, so the
 * walk computes the address in each VMA and checks the PTE there. File pages
 * are found through file->i_mmap.
 *
 * Lock order (written in the order a walker takes them):
 *   procs->srcu (read side: the walker is inside procs_enter())
 *     anon_vma->lock or file->i_mmap_lock (read: the list of VMAs)
 *       the PTE table's lock (of each mapping, to change its entry)
 *         zone->lock (freeing pages)
 *
 * Invariant: page_mapcount(page) == number of present PTEs mapping it ==
 * the number of mappings rmap_walk() visits. Checked by process_check().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"
#include "mm/include/mmdebug.h"
#include "mm/internal.h"

/* ---- anon_vma ---- */

/*
 * The anon_vma cache's constructor (Linux's anon_vma_ctor): run once when
 * its slab is made, never on reuse, so the lock outlives each free.
 */
void anon_vma_ctor(void *data)
{
	struct anon_vma *av = data;

	sim_rwlock_init(&av->lock);
	atomic_init(&av->refcount, 0);
	INIT_LIST_HEAD(&av->vmas);
}

/*
 * From the anon_vma cache (process_init). Not zeroed: the constructor's lock
 * must survive, and a freed anon_vma was left as the constructor made it (no
 * reference, no VMA).
 */
struct anon_vma *anon_vma_alloc(struct kmm_machine *m)
{
	struct anon_vma *av = kmem_cache_alloc(procs_of(m)->anon_vma_cachep, GFP_KERNEL);

	if (av)
		VM_BUG_ON(atomic_load(&av->refcount) != 0 || !list_empty(&av->vmas));
	return av;
}

void get_anon_vma(struct anon_vma *av)
{
	atomic_fetch_add_explicit(&av->refcount, 1, memory_order_relaxed);
}

/* Back to its cache, lock kept: a walker may still take it (see anon_vma_ctor). */
static void anon_vma_free(struct kmm_machine *m, struct anon_vma *av)
{
	kmem_cache_free(procs_of(m)->anon_vma_cachep, av);
}

void put_anon_vma(struct kmm_machine *m, struct anon_vma *av)
{
	if (av && atomic_fetch_sub_explicit(&av->refcount, 1, memory_order_acq_rel) == 1)
		anon_vma_free(m, av);
}

void anon_vma_link(struct vm_area_struct *vma, struct anon_vma *av)
{
	get_anon_vma(av);
	sim_write_lock(&av->lock);
	list_add_tail(&vma->anon_vma_node, &av->vmas);
	sim_write_unlock(&av->lock);
	__atomic_store_n(&vma->anon_vma, av, __ATOMIC_RELEASE);
}

void anon_vma_unlink(struct vm_area_struct *vma)
{
	struct anon_vma *av = vma->anon_vma;

	if (!av)
		return;
	sim_write_lock(&av->lock);
	list_del_init(&vma->anon_vma_node);
	sim_write_unlock(&av->lock);
	vma->anon_vma = NULL;
	put_anon_vma(vma->vm_mm->m, av);
}

/*
 * The VMA's anon_vma before its first anonymous page. Faults of one VMA may
 * race here holding only its read lock: the set-up is done once, under the
 * mm's page_table_lock (as Linux's __anon_vma_prepare).
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (__atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE))
		return 0;
	struct anon_vma *av = anon_vma_alloc(mm->m);
	bool used = false;
	if (!av)
		return -ENOMEM;
	sim_write_lock(&av->lock);		/* anon_vma lock before mm->page_table_lock */
	spin_lock(&mm->page_table_lock);
	if (!__atomic_load_n(&vma->anon_vma, __ATOMIC_RELAXED)) {
		get_anon_vma(av);
		list_add_tail(&vma->anon_vma_node, &av->vmas);
		__atomic_store_n(&vma->anon_vma, av, __ATOMIC_RELEASE);
		used = true;
	}
	spin_unlock(&mm->page_table_lock);
	sim_write_unlock(&av->lock);
	if (!used)
		anon_vma_free(mm->m, av);
	return 0;
}

static inline pg_data_t *page_pgdat(const struct page *page)
{
	return NODE_DATA_M(page_machine(page), page_to_nid(page));
}

/* ---- Adding and removing mappings ---- */

/* folio_add_new_anon_rmap(): a fresh anonymous page, mapped once. */
void folio_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, unsigned long addr)
{
	page->mapping = (void *)((unsigned long)vma->anon_vma | PAGE_MAPPING_ANON);
	page->index = linear_page_index(vma, addr);
	/* both flags in one locked write (Linux: __folio_set_swapbacked, __folio_mark_uptodate) */
	__atomic_fetch_or(&page->flags, (1UL << PG_swapbacked) | (1UL << PG_uptodate),
			  __ATOMIC_RELAXED);
	atomic_store_explicit(&page->_mapcount, 0, memory_order_relaxed);
	mod_node_page_state(page_pgdat(page), NR_ANON_MAPPED, 1);
}

/* One more PTE of an existing anonymous page (fork). */
void folio_add_anon_rmap_pte(struct page *page)
{
	if (atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed) == -1)
		mod_node_page_state(page_pgdat(page), NR_ANON_MAPPED, 1);
}

void folio_count_first_map(struct page *page, bool anon)
{
	mod_node_page_state(page_pgdat(page), anon ? NR_ANON_MAPPED : NR_FILE_MAPPED, 1);
}

void folio_add_file_rmap_pte(struct page *page)
{
	if (atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed) == -1)
		mod_node_page_state(page_pgdat(page), NR_FILE_MAPPED, 1);
}

void folio_remove_rmap_pte(struct page *page)
{
	int old = atomic_fetch_sub_explicit(&page->_mapcount, 1, memory_order_relaxed);

	VM_BUG_ON_PAGE(old < 0, page);	/* no PTE mapped it */
	if (old == 0)
		mod_node_page_state(page_pgdat(page), PageAnon(page) ? NR_ANON_MAPPED : NR_FILE_MAPPED,
				    -1);
}

/* ---- Walking ---- */

int rmap_walk(struct page *page,
	      bool (*fn)(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			 void *ptep, void *arg),
	      void *arg)
{
	struct kmm_machine *m = page_machine(page);
	unsigned long pfn = page_to_pfn_m(m, page);
	struct list_head *head, *pos;
	struct sim_rwlock *lock;
	int found = 0;
	bool anon;

	/* An unmapped page's ->mapping may name an anon_vma that died with its
	   last VMA (pages hold no reference on it): nothing to walk. One that
	   dies under a walk stays an anon_vma (SLAB_TYPESAFE_BY_RCU): its lock
	   is valid and no VMA on its list maps this pfn. Nor is ->mapping read
	   before the test: an unmapped page cache page may be leaving its file
	   meanwhile (a DONTNEED, which takes the page lock reclaim does not). */
	if (page_mapcount(page) <= 0)
		return 0;
	/* (once, and atomic: a munlock walks a page it found through an entry
	   read without the page-table lock, which truncation may be taking out
	   of its file meanwhile - a file the walker's own VMA keeps) */
	void *mapping = __atomic_load_n(&page->mapping, __ATOMIC_RELAXED);
	anon = ((unsigned long)mapping & PAGE_MAPPING_ANON) != 0;
	if (anon) {
		struct anon_vma *av = (void *)((unsigned long)mapping & ~PAGE_MAPPING_ANON);
		if (!av)
			return 0;
		head = &av->vmas;
		lock = &av->lock;
	} else {
		struct kmm_file *f = mapping;
		if (!f)
			return 0;
		head = &f->i_mmap;
		lock = &f->i_mmap_lock;
	}
	sim_read_lock(lock);
	list_for_each(pos, head) {
		struct vm_area_struct *vma = anon ? list_entry(pos, struct vm_area_struct, anon_vma_node)
						  : list_entry(pos, struct vm_area_struct, shared_node);
		if (page->index < vma->vm_pgoff || page->index - vma->vm_pgoff >= vma_pages(vma))
			continue;
		unsigned long addr = vma->vm_start + ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
		void *slot = pgtable_walk(&vma->vm_mm->pgt, addr, false, NULL);
		if (!slot)
			continue;
		pteval_t pte = pte_get(&vma->vm_mm->pgt, slot);
		if (!pte_present(pte) || pte_special(pte) || pte_pfn_geo(vma->vm_mm->pgt.geo, pte) != pfn)
			continue;
		found++;
		if (fn && !fn(page, vma, addr, slot, arg))
			break;
	}
	sim_read_unlock(lock);
	return found;
}

void *rmap_lock_pte(struct page *page, struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	void *slot;

	spinlock_t *ptl;

	slot = pte_offset_map_lock(mm, addr, &ptl);
	if (slot) {
		pteval_t pte = pte_get(&mm->pgt, slot);
		if (pte_present(pte) && !pte_special(pte) &&
		    pte_pfn_geo(mm->pgt.geo, pte) == page_to_pfn_m(mm->m, page))
			return slot;
		pte_unmap_unlock(ptl);
	}
	return NULL;
}

/* ---- For reclaim: referenced bits and unmapping ---- */

struct referenced_ctx {
	int young;
	unsigned long vm_flags;
};

/*
 * vma_has_recency(): do the accessed bits of @vma's PTEs say anything about
 * reuse? Not for a mapping advised sequential or random (MADV_SEQUENTIAL,
 * MADV_RANDOM), nor for one made through a file opened with fadvise NOREUSE.
 */
static bool vma_has_recency(const struct vm_area_struct *vma)
{
	return !(vm_flags_read_once(vma) & (VM_SEQ_READ | VM_RAND_READ | VM_FILE_NOREUSE));
}

static bool referenced_one(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			   void *ptep, void *arg)
{
	struct referenced_ctx *c = arg;

	/* invalid_folio_referenced_vma(): a mapping with no recency is not asked */
	if (!vma_has_recency(vma))
		return true;
	if (!(ptep = rmap_lock_pte(page, vma, addr)))
		return true;
	if (pte_clear_bits(&vma->vm_mm->pgt, ptep, _PAGE_ACCESSED) & _PAGE_ACCESSED) {
		c->young++;
		flush_tlb_range(vma, addr, addr + PAGE_SIZE);	/* the next access sets it again */
	}
	spin_unlock(pte_lockptr(vma->vm_mm, ptep));
	c->vm_flags |= vm_flags_read_once(vma);
	return true;
}

int folio_referenced(struct page *page, unsigned long *vm_flags)
{
	struct kmm_machine *m = page_machine(page);
	struct referenced_ctx c = { 0, 0 };
	int token;

	/* an unmapped page has no PTE to look at: no walk (Linux returns at once too) */
	if (page_mapcount(page) <= 0) {
		if (vm_flags)
			*vm_flags = 0;
		return 0;
	}
	token = procs_enter(m);
	rmap_walk(page, referenced_one, &c);
	procs_exit(m, token);
	if (vm_flags)
		*vm_flags = c.vm_flags;
	return c.young;
}

struct unmap_ctx {
	pteval_t swp;
	bool refused;
	bool ignore_mlock;	/* truncation: locked or not (TTU_IGNORE_MLOCK) */
};

static bool check_unmappable(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			     void *ptep, void *arg)
{
	struct unmap_ctx *c = arg;

	if (vm_flags_read_once(vma) & VM_LOCKED)
		c->refused = true;
	return !c->refused;
}

static bool unmap_one(struct page *page, struct vm_area_struct *vma, unsigned long addr,
		      void *ptep, void *arg)
{
	struct unmap_ctx *c = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct kmm_procs *p = procs_of(mm->m);
	bool anon = PageAnon(page);

	if (!(ptep = rmap_lock_pte(page, vma, addr)))
		return true;
	/*
	 * try_to_unmap_one() looks at VM_LOCKED again under the page-table
	 * lock: an mlock since check_unmappable() read it has locked this
	 * entry's page (mlock_pte(), under this lock), and the entry stays.
	 */
	if (!c->ignore_mlock && (vm_flags_read_once(vma) & VM_LOCKED)) {
		spin_unlock(pte_lockptr(mm, ptep));
		c->refused = true;
		return false;
	}
	/* try_to_unmap_one(): each swap entry written holds a slot reference */
	if (c->swp && p->swap_dup && p->swap_dup(mm->m, c->swp)) {
		spin_unlock(pte_lockptr(mm, ptep));
		return true;	/* the count is full: this mapping stays */
	}
	pteval_t old = pte_xchg(&mm->pgt, ptep, c->swp);

	flush_tlb_range(vma, addr, addr + PAGE_SIZE);
	/*
	 * A lazy-free (MADV_FREE) page written since reclaim looked at its
	 * PTEs: discarding it would drop the store. The entry goes back as it
	 * was (no fault could fill it meanwhile: the page-table lock is held),
	 * the page is swap-backed again and the unmap is refused, as Linux's
	 * try_to_unmap_one() does.
	 */
	if (anon && !c->swp && pte_dirty(old) && !page_flag_test(page, PG_swapbacked)) {
		pte_set(&mm->pgt, ptep, old);
		page_flag_set(page, PG_swapbacked);
		c->refused = true;
		spin_unlock(pte_lockptr(mm, ptep));
		return false;
	}
	/* folio_mark_dirty(), as try_to_unmap_one(): a file page's DIRTY tag too */
	if (pte_dirty(old) && !folio_mark_dirty(page))
		page_flag_set(page, PG_dirty);		/* anonymous (or dirty already) */
	add_mm_counter(mm, anon ? MM_ANONPAGES :
		       page_flag_test(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES, -1);
	if (c->swp)
		add_mm_counter(mm, MM_SWAPENTS, 1);
	folio_remove_rmap_pte(page);
	atomic_fetch_sub_explicit(&page->_refcount, 1, memory_order_acq_rel);
	spin_unlock(pte_lockptr(mm, ptep));
	return true;
}

bool try_to_unmap(struct page *page, pteval_t swp_pte)
{
	struct kmm_machine *m = page_machine(page);
	struct unmap_ctx c = { swp_pte, false, false };
	int token = procs_enter(m);

	/*
	 * The first walk refuses a page with a VM_LOCKED mapping before any
	 * of its PTEs is changed. A page mapped once needs no such walk:
	 * unmap_one() tests VM_LOCKED under the page-table lock before it
	 * changes the one entry (most pages reclaim meets: one walk, not two).
	 */
	if (page_maybe_dma_pinned(page))
		c.refused = true;
	else if (page_mapcount(page) > 1)
		rmap_walk(page, check_unmappable, &c);
	if (!c.refused)
		rmap_walk(page, unmap_one, &c);
	bool ok = !c.refused && page_mapcount(page) == 0;
	procs_exit(m, token);
	return ok;
}

void unmap_mapping_folio(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct unmap_ctx c = { 0, false, true };
	int token = procs_enter(m);

	rmap_walk(page, unmap_one, &c);		/* locked or not */
	munlock_page(page);			/* its locked mappings are gone */
	procs_exit(m, token);
}

/* ---- The checker ---- */

struct pfn_count {
	unsigned long pfn;	/* 0 = empty slot (pfn 0 is never a user page) */
	int count;
};

struct check_ctx {
	struct kmm_machine *m;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct pfn_count *tab;
	size_t cap, used;
	long rss[NR_MM_COUNTERS];
	unsigned long leaves;
	unsigned long committed;
	int err;
};

static int tab_add(struct check_ctx *c, unsigned long pfn)
{
	if ((c->used + 1) * 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 1024;
		struct pfn_count *n = calloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->tab[i].pfn)
				continue;
			size_t h = (c->tab[i].pfn * 0x9e3779b97f4a7c15ull) & (ncap - 1);
			while (n[h].pfn)
				h = (h + 1) & (ncap - 1);
			n[h] = c->tab[i];
		}
		free(c->tab);
		c->tab = n;
		c->cap = ncap;
	}
	size_t h = (pfn * 0x9e3779b97f4a7c15ull) & (c->cap - 1);
	while (c->tab[h].pfn && c->tab[h].pfn != pfn)
		h = (h + 1) & (c->cap - 1);
	if (!c->tab[h].pfn) {
		c->tab[h].pfn = pfn;
		c->used++;
	}
	c->tab[h].count++;
	return 0;
}

static int check_leaf(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct check_ctx *c = arg;
	struct vm_area_struct *vma = c->vma;

	c->leaves++;
	if (!pte_present(v)) {
		if (!is_poisoned_pte(vma->vm_mm->pgt.geo, v))
			c->rss[MM_SWAPENTS]++;	/* (a poisoned marker counts nowhere) */
		return 0;
	}
	struct page *page = vm_normal_page(vma, (unsigned long)va, v);
	if (!page) {
		if (pte_pfn_geo(vma->vm_mm->pgt.geo, v) != procs_of(c->m)->zero_pfn) {
			c->err = kmm_set_error(-EUCLEAN, "process: special PTE at 0x%" PRIx64 " is not the zero page", va);
			return 1;
		}
		return 0;
	}
	unsigned long pfn = pte_pfn_geo(vma->vm_mm->pgt.geo, v);
	if (pfn >= c->m->max_pfn || PageBuddy(page) || PageTable(page) || PageSlab(page)) {
		c->err = kmm_set_error(-EUCLEAN, "process: PTE at 0x%" PRIx64 " maps pfn 0x%lx which is not a user page",
				       va, pfn);
		return 1;
	}
	if ((vma->vm_flags & VM_SHARED) == 0 && pte_write(v) && page_ref_count(page) > 1 &&
	    PageAnon(page) && page_mapcount(page) > 1) {
		c->err = kmm_set_error(-EUCLEAN, "process: writable private PTE at 0x%" PRIx64 " maps a shared page (pfn 0x%lx, mapcount %d)",
				       va, pfn, page_mapcount(page));
		return 1;
	}
	c->rss[PageAnon(page) ? MM_ANONPAGES :
	       page_flag_test(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES]++;
	if (tab_add(c, pfn)) {
		c->err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int count_leaf_any(void *arg, uint64_t va, void *slot, pteval_t v)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static int check_mm(struct check_ctx *c, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	unsigned long total = 0, prev_end = 0, committed = 0;

	struct vm_area_struct *vma;
	int i = 0, err;

	memset(c->rss, 0, sizeof(c->rss));
	c->leaves = 0;
	c->mm = mm;
	if ((err = vma_tree_check(mm, t->pid)) != 0)
		return err;
	VMA_ITERATOR(vmi, mm, 0);
	for_each_vma(vmi, vma) {
		if (vma->vm_start >= vma->vm_end || (vma->vm_start & ~PAGE_MASK) ||
		    (vma->vm_end & ~PAGE_MASK) || vma->vm_start < prev_end || vma->vm_end > mm->task_size)
			return kmm_set_error(-EUCLEAN, "process %d: VMA %d [0x%lx, 0x%lx) misplaced", t->pid, i,
					     vma->vm_start, vma->vm_end);
		if (vma->vm_mm != mm)
			return kmm_set_error(-EUCLEAN, "process %d: VMA 0x%lx belongs to another mm", t->pid,
					     vma->vm_start);
		total += vma_pages(vma);
		if (vma->vm_flags & VM_ACCOUNT)
			committed += vma_pages(vma);
		prev_end = vma->vm_end;
		i++;
		c->vma = vma;
		pgtable_for_each_leaf(&mm->pgt, vma->vm_start, vma->vm_end, true, check_leaf, c);
		if (c->err)
			return c->err;
	}
	unsigned long all = 0;
	pgtable_for_each_leaf(&mm->pgt, 0, 0, true, count_leaf_any, &all);
	if (all != c->leaves)
		return kmm_set_error(-EUCLEAN, "process %d: %lu PTEs outside any VMA", t->pid, all - c->leaves);
	if (total != mm->total_vm)
		return kmm_set_error(-EUCLEAN, "process %d: total_vm %lu but VMAs hold %lu pages", t->pid,
				     mm->total_vm, total);
	if (committed != mm->committed_vm)
		return kmm_set_error(-EUCLEAN, "process %d: committed_vm %lu but VM_ACCOUNT VMAs hold %lu pages",
				     t->pid, mm->committed_vm, committed);
	c->committed += committed;
	for (int k = 0; k < NR_MM_COUNTERS; k++)
		if (c->rss[k] != get_mm_counter(mm, k))
			return kmm_set_error(-EUCLEAN, "process %d: rss counter %d is %ld, page tables say %ld",
					     t->pid, k, get_mm_counter(mm, k), c->rss[k]);
	unsigned long tables = pgtable_count_tables(&mm->pgt);
	if (tables != pgtable_nr_tables(&mm->pgt))
		return kmm_set_error(-EUCLEAN, "process %d: pgtables_bytes says %lu tables, the walk finds %lu",
				     t->pid, pgtable_nr_tables(&mm->pgt), tables);
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* The shmem objects mapped by live mms carry exactly procs->shmem_committed. */
static int check_shmem_charges(struct kmm_machine *m, long want)
{
	struct kmm_procs *p = procs_of(m);
	struct list_head *pos;
	struct kmm_file **files = NULL;
	size_t n = 0, cap = 0;
	long sum = 0;
	int err = 0;

	list_for_each(pos, &p->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		struct vm_area_struct *vma;
		if (!t->mm)
			continue;
		VMA_ITERATOR(vmi, t->mm, 0);
		for_each_vma(vmi, vma) {
			struct kmm_file *f = vma->vm_file;
			if (!f || !f->shmem)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				void *q = realloc(files, cap * sizeof(*files));
				if (!q) {
					free(files);
					return -ENOMEM;
				}
				files = q;
			}
			files[n++] = f;
		}
	}
	if (n > 1)
		qsort(files, n, sizeof(*files), cmp_ptr);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || files[i] != files[i - 1])
			sum += (long)files[i]->committed;
	if (sum != want)
		err = kmm_set_error(-EUCLEAN, "process: shmem objects hold %ld committed pages, "
				    "shmem_committed says %ld", sum, want);
	free(files);
	return err;
}

int process_check(struct kmm_machine *m)
{
	struct kmm_procs *p = procs_of(m);
	struct check_ctx c = { .m = m };
	struct list_head *pos;
	int err = 0;
	unsigned long anon_mapped = 0, file_mapped = 0, mlocked = 0;

	if (!p)
		return 0;
	/* The world stops: no process-layer operation runs during the check. */
	bool stopped = procs_stop(m) == 0;
	char why[160];
	if (task_index_check(m, why, sizeof(why))) {
		err = kmm_set_error(-EUCLEAN, "process: %s", why);
		goto out;
	}
	list_for_each(pos, &p->tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (!t->mm)
			continue;
		if ((err = check_mm(&c, t)) != 0)
			goto out;
	}
	long shmem = atomic_load(&p->shmem_committed);
	if ((long)c.committed + shmem != atomic_load(&p->committed_pages)) {
		err = kmm_set_error(-EUCLEAN, "process: committed pages %ld, VMAs hold %lu and shmem objects %ld",
				    (long)atomic_load(&p->committed_pages), c.committed, shmem);
		goto out;
	}
	if ((err = check_shmem_charges(m, shmem)) != 0)
		goto out;
	for (size_t i = 0; i < c.cap; i++) {
		if (!c.tab[i].pfn)
			continue;
		struct page *page = pfn_to_page_m(m, c.tab[i].pfn);
		int maps = c.tab[i].count;
		if (page_mapcount(page) != maps) {
			err = kmm_set_error(-EUCLEAN, "process: pfn 0x%lx has mapcount %d but %d PTEs map it",
					    c.tab[i].pfn, page_mapcount(page), maps);
			goto out;
		}
		int expect = maps + page_pin_count(m, page);
		if (!PageAnon(page) && page->mapping)
			expect += 1;	/* the page cache's reference */
		expect += PageSwapCache(page);	/* the swap cache's */
		expect += page_flag_test(page, PG_writeback);	/* the write in flight's (mm/page-writeback.c) */
		if (page_ref_count(page) != expect) {
			err = kmm_set_error(-EUCLEAN, "process: pfn 0x%lx has refcount %d, expected %d (%d mappings)",
					    c.tab[i].pfn, page_ref_count(page), expect, maps);
			goto out;
		}
		int walked = rmap_walk(page, NULL, NULL);
		if (walked != maps) {
			err = kmm_set_error(-EUCLEAN, "process: rmap finds %d mappings of pfn 0x%lx, page tables %d",
					    walked, c.tab[i].pfn, maps);
			goto out;
		}
		if (page_flag_test(page, PG_mlocked) != page_mapped_locked(page)) {
			err = kmm_set_error(-EUCLEAN, "process: pfn 0x%lx has PG_mlocked %d but %s locked mapping",
					    c.tab[i].pfn, page_flag_test(page, PG_mlocked),
					    page_mapped_locked(page) ? "a" : "no");
			goto out;
		}
		mlocked += page_flag_test(page, PG_mlocked);
		if (PageAnon(page))
			anon_mapped++;
		else
			file_mapped++;
	}
	if (anon_mapped != global_node_page_state(m, NR_ANON_MAPPED)) {
		err = kmm_set_error(-EUCLEAN, "process: NR_ANON_MAPPED is %lu, mapped anonymous pages %lu",
				    global_node_page_state(m, NR_ANON_MAPPED), anon_mapped);
		goto out;
	}
	if (file_mapped != global_node_page_state(m, NR_FILE_MAPPED)) {
		err = kmm_set_error(-EUCLEAN, "process: NR_FILE_MAPPED is %lu, mapped file pages %lu",
				    global_node_page_state(m, NR_FILE_MAPPED), file_mapped);
		goto out;
	}
	if (mlocked != global_zone_page_state(m, NR_MLOCK))
		err = kmm_set_error(-EUCLEAN, "process: NR_MLOCK is %lu, mlocked mapped pages %lu",
				    global_zone_page_state(m, NR_MLOCK), mlocked);
out:
	if (stopped)
		procs_resume(m);
	free(c.tab);
	if (err)
		kmm_printk(m, "kmm_check: %s", kmm_last_error());
	return err;
}
