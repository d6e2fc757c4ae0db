// SPDX-License-Identifier: MIT
/*
 * mm/include/mm_types.h - struct page and the page flags.
 *
 * Linux counterpart: include/linux/mm_types.h, page-flags.h (6.12).
 *
 * struct page is 64 bytes, as on x86-64 Linux: a flags word, a five-word union
 * whose meaning depends on who owns the page, the _mapcount/page_type word,
 * the reference count, and one spare word (Linux's memcg_data).
 *
 *   flags:  bits 0..PG_NR-1 are PG_* flags; above them the zone type
 *           (3 bits), the node (6 bits) and the machine slot (8 bits), so
 *           page_zone() and page_machine() need nothing but the page.
 *   union:  free in buddy  -> buddy_list, private = order
 *           on a pcp list   -> pcp_list, private = order
 *           tail of compound-> compound_head = head | 1 (first word)
 *           first tail      -> also compound_order
 *           slab            -> overlaid by struct slab (mm/slab.h)
 *   page_type: UINT_MAX when untyped; (PGTY_x << 24) when typed (buddy...).
 *
 * Synchronization: flags bits use atomic or owner-exclusive access; a free
 * page's fields belong to zone->lock (buddy) or the pcp lock (pcp list).
 */
#ifndef KMM_MM_TYPES_H
#define KMM_MM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"
#include "mm/include/mmdebug.h"

enum pageflags {
	PG_locked,
	PG_writeback,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_waiters,
	PG_active,
	PG_workingset,
	PG_owner_priv_1,
	PG_owner_2,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_mlocked,
	PG_highmem_mapped,	/* kmm: a highmem page currently kmapped */
	PG_lazy_free,		/* kmm: buddy=lazy: free but not yet coalesced */
	PG_lru_batch,		/* kmm: in a per-CPU LRU add batch (mm/swap.c) */
	PG_reported,		/* free block's head, its memory taken by page reporting */
	__NR_PAGEFLAGS
};

#define PG_FLAGS_BITS 24
#define PG_ZONE_SHIFT PG_FLAGS_BITS
#define PG_ZONE_BITS 3
#define PG_NODE_SHIFT (PG_ZONE_SHIFT + PG_ZONE_BITS)
#define PG_NODE_BITS 6
#define PG_MACHINE_SHIFT (PG_NODE_SHIFT + PG_NODE_BITS)
#define PG_MACHINE_BITS 8
#define PG_FLAGS_MASK ((1UL << PG_FLAGS_BITS) - 1)
_Static_assert(__NR_PAGEFLAGS <= PG_FLAGS_BITS, "the page flags overflow into the zone bits");

/* Page types, stored in the top byte of page_type (v6.12 values). */
enum pagetype {
	PGTY_buddy = 0xf0,
	PGTY_offline = 0xf1,
	PGTY_table = 0xf2,
	PGTY_guard = 0xf3,
	PGTY_hugetlb = 0xf4,
	PGTY_slab = 0xf5,
	PGTY_zsmalloc = 0xf6,
	PGTY_unaccepted = 0xf7,
	PGTY_mapcount_underflow = 0xff
};

struct page {
	unsigned long flags;
	union {
		struct {
			union {
				struct list_head lru;
				struct list_head buddy_list;
				struct list_head pcp_list;
			};
			void *mapping;
			unsigned long index;
			unsigned long private;
		};
		struct {			/* tail pages of a compound page */
			unsigned long compound_head;	/* head address | 1 */
			unsigned char compound_order;	/* first tail only */
			unsigned char compound_pad[7];
			unsigned long compound_word[3];
		};
		struct {			/* a page-table frame (PGTY_table): Linux's ptdesc */
			unsigned long pt_list[2];	/* lru: the deferred free of an unlinked table */
			void *pt_mapping;		/* ->mapping: NULL, never a lock word */
			spinlock_t ptl;			/* a PTE table's split lock (ptdesc->ptl), over ->index */
		};
		unsigned long union_words[5];	/* owners that overlay their own struct */
	};
	union {
		atomic_int _mapcount;
		unsigned int page_type;
	};
	atomic_int _refcount;
	unsigned long memcg_data;	/* spare; free for later layers */
};

_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");

/* ---- Flag access ---- */

static inline bool page_flag_test(const struct page *p, int bit)
{
	return (__atomic_load_n(&p->flags, __ATOMIC_RELAXED) >> bit) & 1;
}
static inline void page_flag_set(struct page *p, int bit)
{
	__atomic_fetch_or(&p->flags, 1UL << bit, __ATOMIC_RELAXED);
}
static inline void page_flag_clear(struct page *p, int bit)
{
	__atomic_fetch_and(&p->flags, ~(1UL << bit), __ATOMIC_RELAXED);
}
/* Non-atomic versions for pages the caller owns exclusively. */
static inline void __page_flag_set(struct page *p, int bit) { p->flags |= 1UL << bit; }
static inline void __page_flag_clear(struct page *p, int bit) { p->flags &= ~(1UL << bit); }

#define PageReserved(p)	page_flag_test((p), PG_reserved)
#define PageHead(p)	page_flag_test((p), PG_head)
#define PageLRU(p)	page_flag_test((p), PG_lru)
#define PageDirty(p)	page_flag_test((p), PG_dirty)
#define SetPageReserved(p) page_flag_set((p), PG_reserved)
#define ClearPageReserved(p) page_flag_clear((p), PG_reserved)
/*
 * PageReported: set on the head of a free buddy block once a free page
 * reporting device took its memory (mm/page_reporting.c); cleared when the
 * block leaves its free list (allocation, split, merge). Only a free
 * block's head carries it; page_alloc_check() proves so. Linux 6.12 keeps
 * it in PG_uptodate's bit (free pages are never uptodate); kmm gives it a
 * bit of its own so that the checker can tell a stale mark on any page.
 */
#define PageReported(p)	page_flag_test((p), PG_reported)

static inline bool PageTail(const struct page *p)
{
	return p->compound_head & 1;
}
static inline struct page *compound_head(const struct page *p)
{
	unsigned long h = __atomic_load_n(&p->compound_head, __ATOMIC_RELAXED);
	return (h & 1) ? (struct page *)(h - 1) : (struct page *)p;
}
static inline unsigned int compound_order(const struct page *head)
{
	return PageHead(head) ? head[1].compound_order : 0;
}

/* ---- Page types ---- */

/*
 * The type word shares its bytes with _mapcount and is read without the
 * owner's lock (buddy merging looks at a neighbour, the checker at every
 * frame): relaxed atomic loads and stores, which cost what plain ones do.
 */
static inline bool page_has_type(const struct page *p, enum pagetype t)
{
	return (__atomic_load_n(&p->page_type, __ATOMIC_RELAXED) >> 24) == (unsigned int)t;
}
static inline void __page_set_type(struct page *p, enum pagetype t)
{
	__atomic_store_n(&p->page_type, (unsigned int)t << 24, __ATOMIC_RELAXED);
}
static inline void __page_clear_type(struct page *p)
{
	__atomic_store_n(&p->page_type, ~0u, __ATOMIC_RELAXED);
}
/*
 * A slab is published with release (new_slab()), and a walker of every
 * frame that goes on to read a slab's fields tests the type with acquire,
 * so that it sees the page as new_slab() left it, not as the page allocator
 * was still writing it (prep_new_page()).
 */
static inline bool page_has_type_acquire(const struct page *p, enum pagetype t)
{
	return (__atomic_load_n(&p->page_type, __ATOMIC_ACQUIRE) >> 24) == (unsigned int)t;
}
static inline void __page_set_type_release(struct page *p, enum pagetype t)
{
	__atomic_store_n(&p->page_type, (unsigned int)t << 24, __ATOMIC_RELEASE);
}
#define PageBuddy(p) page_has_type((p), PGTY_buddy)
#define PageSlab(p)  page_has_type((p), PGTY_slab)
#define PageTable(p) page_has_type((p), PGTY_table)

/* ---- Counts ---- */

static inline int page_ref_count(const struct page *p)
{
	return atomic_load_explicit(&((struct page *)p)->_refcount, memory_order_relaxed);
}
static inline void set_page_count(struct page *p, int v)
{
	atomic_store_explicit(&p->_refcount, v, memory_order_relaxed);
}
/* page_ref_inc() - one more reference on @p itself (Linux: include/linux/page_ref.h). */
static inline void page_ref_inc(struct page *p)
{
	atomic_fetch_add_explicit(&p->_refcount, 1, memory_order_relaxed);
}
/*
 * get_page() - one more reference, for a caller that holds one already or
 * holds the lock of a structure that holds one (a PTE under the page-table
 * lock, a page-cache or swap-cache slot under its lock): the count is
 * above 0 and cannot reach 0 meanwhile. Anyone else: get_page_unless_zero().
 * Linux's takes the folio of a tail page; every page kmm takes references
 * on is order 0 or a head (user pages, page-cache and swap-cache pages: no
 * THP), so @p's own count is the one, and the compound_head word - which
 * shares its bytes with the lru links reclaim rewrites while it holds a
 * page isolated - is not read (debug builds check it).
 */
static inline void get_page(struct page *p)
{
	VM_BUG_ON(PageTail(p));
	page_ref_inc(p);
}
/*
 * get_page_unless_zero() - a speculative reference: take one unless the
 * count is 0, which means the page's last reference is gone and its freer
 * is taking it apart (Linux: folio_try_get() / page_ref_add_unless()).
 * For a page found where nothing pins a reference for the caller - on an
 * LRU list under lru_lock, whose freer takes it off only after the count
 * reached 0. Acquire on success: what the caller reads next of the page is
 * no older than the count it raised. Every drop of such a page's count must
 * be an atomic decrement (put_page_testzero()), never a plain store; see
 * __free_pages(). Return: true when a reference was taken.
 */
static inline bool get_page_unless_zero(struct page *p)
{
	int c = atomic_load_explicit(&p->_refcount, memory_order_relaxed);

	do {
		if (c <= 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&p->_refcount, &c, c + 1,
							memory_order_acquire,
							memory_order_relaxed));
	return true;
}
/* put_page_testzero() - drop a reference; true when it was the last one. */
static inline bool put_page_testzero(struct page *p)
{
	return atomic_fetch_sub_explicit(&p->_refcount, 1, memory_order_acq_rel) == 1;
}
static inline int page_mapcount(const struct page *p)
{
	return atomic_load_explicit(&((struct page *)p)->_mapcount, memory_order_relaxed) + 1;
}

/* ---- Ids packed in flags ---- */

static inline unsigned int page_zonenum(const struct page *p)
{
	return (READ_ONCE(p->flags) >> PG_ZONE_SHIFT) & ((1u << PG_ZONE_BITS) - 1);
}
static inline int page_to_nid(const struct page *p)
{
	return (int)((READ_ONCE(p->flags) >> PG_NODE_SHIFT) & ((1u << PG_NODE_BITS) - 1));
}
static inline unsigned int page_machine_slot(const struct page *p)
{
	return (READ_ONCE(p->flags) >> PG_MACHINE_SHIFT) & ((1u << PG_MACHINE_BITS) - 1);
}
static inline void set_page_links(struct page *p, unsigned int zone, int nid, unsigned int slot)
{
	p->flags = (p->flags & PG_FLAGS_MASK) | ((unsigned long)zone << PG_ZONE_SHIFT) |
		   ((unsigned long)nid << PG_NODE_SHIFT) | ((unsigned long)slot << PG_MACHINE_SHIFT);
}

#endif /* KMM_MM_TYPES_H */
