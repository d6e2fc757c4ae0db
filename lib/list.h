// SPDX-License-Identifier: MIT
/*
 * lib/list.h - circular doubly linked lists with a dummy head.
 *
 * The first seed's note 6: a dummy element makes a circular list easy to walk,
 * because the walk starts and stops at the head and never tests for NULL.
 * Deleted entries get poisoned links so a use after delete faults loudly.
 */
#ifndef KMM_LIB_LIST_H
#define KMM_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_POISON1 ((struct list_head *)0x100)
#define LIST_POISON2 ((struct list_head *)0x122)

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

/*
 * ->next is stored with a relaxed atomic store (WRITE_ONCE in Linux's
 * __list_add/__list_del): struct page's lru.next shares its word with
 * compound_head, which get_page() reads without the LRU lock; bit 0 of a
 * list pointer is never set, so such a reader sees "not a tail page" either
 * way, and the store is a plain move on x86.
 */
#define LIST_SET_NEXT(e, v) __atomic_store_n(&(e)->next, (v), __ATOMIC_RELAXED)

static inline void list_link_between(struct list_head *n, struct list_head *prev,
				     struct list_head *next)
{
	next->prev = n;
	LIST_SET_NEXT(n, next);
	n->prev = prev;
	LIST_SET_NEXT(prev, n);
}

/* list_add() - insert @n right after @head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	list_link_between(n, head, head->next);
}

/* list_add_tail() - insert @n right before @head (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	list_link_between(n, head->prev, head);
}

static inline void list_unlink(struct list_head *e)
{
	e->next->prev = e->prev;
	LIST_SET_NEXT(e->prev, e->next);
}

static inline void list_del(struct list_head *e)
{
	list_unlink(e);
	LIST_SET_NEXT(e, LIST_POISON1);
	e->prev = LIST_POISON2;
}

static inline void list_del_init(struct list_head *e)
{
	list_unlink(e);
	INIT_LIST_HEAD(e);
}

static inline void list_move(struct list_head *e, struct list_head *head)
{
	list_unlink(e);
	list_add(e, head);
}

static inline void list_move_tail(struct list_head *e, struct list_head *head)
{
	list_unlink(e);
	list_add_tail(e, head);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_singular(const struct list_head *h)
{
	return !list_empty(h) && h->next == h->prev;
}

/* list_splice_tail_init() - move every entry of @from to the tail of @to. */
static inline void list_splice_tail_init(struct list_head *from, struct list_head *to)
{
	if (list_empty(from))
		return;
	struct list_head *first = from->next, *last = from->prev;
	first->prev = to->prev;
	to->prev->next = first;
	last->next = to;
	to->prev = last;
	INIT_LIST_HEAD(from);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) list_entry((head)->prev, type, member)

#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
	for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)

static inline size_t list_count(const struct list_head *h)
{
	size_t n = 0;
	for (const struct list_head *p = h->next; p != h; p = p->next)
		n++;
	return n;
}

#endif /* KMM_LIB_LIST_H */
