// SPDX-License-Identifier: MIT
/*
 * lab/pages_internal.h - what the page-replacement files share. Private to lab/.
 *   lab/pages.c           the simulation state, lists; FIFO, LRU, OPT, Clock,
 *                         NRU, LFU, aging, WSClock
 *   lab/pages_adaptive.c  2Q, ARC, Linux's active/inactive lists
 */
#ifndef KMM_LAB_PAGES_INTERNAL_H
#define KMM_LAB_PAGES_INTERNAL_H

#include "include/kmm/lab.h"

struct sim {
	const struct kmm_refs *r;
	unsigned int frames;
	unsigned int tick;	/* references per tick */
	unsigned int tau;	/* WSClock window, ticks */
	struct kmm_pr_result *res;
	uint8_t *dirty;		/* page: written since loaded */
};

int sim_init(struct sim *s, const struct kmm_refs *r, unsigned int frames,
	     const struct kmm_pr_params *params, struct kmm_pr_result *res);
/** sim_evict() - count @page's eviction (and its writeback if dirty). */
void sim_evict(struct sim *s, uint32_t page);
void sim_done(struct sim *s);

/*
 * Circular doubly linked lists over page ids 0..nodes-1, with dummy heads
 * nodes, nodes+1, ...; a page is on at most one list at a time.
 */
struct lists {
	uint32_t *prev, *next;
	uint32_t nodes;
};

int lists_init(struct lists *l, uint32_t nodes, uint32_t heads);
void lists_free(struct lists *l);

static inline uint32_t lst_head(const struct lists *l, uint32_t i)
{
	return l->nodes + i;
}
static inline void lst_link(struct lists *l, uint32_t at, uint32_t x)
{
	uint32_t n = l->next[at];

	l->next[x] = n;
	l->prev[x] = at;
	l->prev[n] = x;
	l->next[at] = x;
}
static inline void lst_add_front(struct lists *l, uint32_t h, uint32_t x)
{
	lst_link(l, h, x);
}
static inline void lst_del(struct lists *l, uint32_t x)
{
	l->next[l->prev[x]] = l->next[x];
	l->prev[l->next[x]] = l->prev[x];
}
/* The oldest (back) node, or the head itself when empty. */
static inline uint32_t lst_back(const struct lists *l, uint32_t h)
{
	return l->prev[h];
}

/* lab/pages_adaptive.c */
int run_2q(struct sim *s);
int run_arc(struct sim *s);
int run_linux(struct sim *s);

#endif /* KMM_LAB_PAGES_INTERNAL_H */
