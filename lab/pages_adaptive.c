// SPDX-License-Identifier: MIT
/*
 * lab/pages_adaptive.c - the replacement policies that keep more than one
 * list: 2Q, ARC, and a model of Linux's active and inactive lists.
 *
 * Linux counterpart: the two-list model follows mm/swap.c's
 * folio_mark_accessed() and mm/vmscan.c's shrink_active_list() /
 * shrink_inactive_list() for page-cache pages, without the kernel's code.
 *
 * 2Q (Johnson and Shasha, VLDB 1994, the "full" version): a page seen once
 * sits in A1in (FIFO, Kin = frames/4); evicted from there, its number is
 * remembered in A1out (Kout = frames/2 numbers, no frame); a page referenced
 * again while remembered goes to Am (LRU). Frames are reclaimed from A1in
 * while it is over Kin, else from Am.
 *
 * ARC (Megiddo and Modha, FAST 2003): T1 (seen once recently) and T2 (seen
 * twice) share the c frames; B1 and B2 remember the numbers evicted from
 * each. A hit in B1 grows T1's target p, a hit in B2 shrinks it; REPLACE
 * evicts from T1 when it is over p, else from T2. As in the paper, with
 * integer division for the adaptation steps.
 *
 * Linux (two lists, page-cache pages): a faulted page goes to the head of
 * the inactive list with its referenced flag set (the access that brought
 * it in); a second access while it is inactive and referenced moves it to
 * the active list (two touches activate, so a page used once never
 * displaces the working set). A fault with every frame in use first
 * deactivates pages from the tail of the active list (referenced flag
 * cleared) while the active list is the longer, then evicts the tail of the
 * inactive list.
 */
#include <errno.h>
#include <stdlib.h>

#include "lab/pages_internal.h"
#include "lib/util.h"

/* ---- 2Q ---- */

enum { Q_NONE, Q_A1IN, Q_AM, Q_A1OUT };

int run_2q(struct sim *s)
{
	const struct kmm_refs *r = s->r;
	struct lists l;
	uint8_t *state = calloc(r->nr_pages, 1);
	uint32_t kin = KMM_MAX(1u, s->frames / 4), kout = KMM_MAX(1u, s->frames / 2);
	uint32_t n_in = 0, n_am = 0, n_out = 0;

	if (!state || lists_init(&l, r->nr_pages, 3)) {
		free(state);
		return -ENOMEM;
	}
	uint32_t a1in = lst_head(&l, 0), am = lst_head(&l, 1), a1out = lst_head(&l, 2);
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t pg = r->page[i];
		switch (state[pg]) {
		case Q_AM:
			s->res->hits++;
			lst_del(&l, pg);
			lst_add_front(&l, am, pg);
			break;
		case Q_A1IN:
			s->res->hits++;
			break;
		default:
			s->res->faults++;
			if (n_in + n_am == s->frames) {
				uint32_t y;
				if (n_in > kin || !n_am) {
					y = lst_back(&l, a1in);
					lst_del(&l, y);
					n_in--;
					sim_evict(s, y);
					state[y] = Q_A1OUT;
					lst_add_front(&l, a1out, y);
					if (++n_out > kout) {
						uint32_t z = lst_back(&l, a1out);
						lst_del(&l, z);
						state[z] = Q_NONE;
						n_out--;
					}
				} else {
					y = lst_back(&l, am);
					lst_del(&l, y);
					n_am--;
					sim_evict(s, y);
					state[y] = Q_NONE;
				}
			}
			if (state[pg] == Q_A1OUT) {
				lst_del(&l, pg);
				n_out--;
				lst_add_front(&l, am, pg);
				state[pg] = Q_AM;
				n_am++;
			} else {
				lst_add_front(&l, a1in, pg);
				state[pg] = Q_A1IN;
				n_in++;
			}
			break;
		}
		s->dirty[pg] |= r->write[i];
	}
	lists_free(&l);
	free(state);
	return 0;
}

/* ---- ARC ---- */

enum { A_NONE, A_T1, A_T2, A_B1, A_B2 };

struct arc {
	struct sim *s;
	struct lists l;
	uint8_t *state;
	uint32_t n[5];		/* by state */
	uint32_t p;		/* T1's target size */
};

static uint32_t arc_head(struct arc *a, int st)
{
	return lst_head(&a->l, (uint32_t)st);
}

static void arc_move(struct arc *a, uint32_t x, int to)
{
	if (a->state[x] != A_NONE) {
		lst_del(&a->l, x);
		a->n[a->state[x]]--;
	}
	a->state[x] = (uint8_t)to;
	if (to != A_NONE) {
		lst_add_front(&a->l, arc_head(a, to), x);
		a->n[to]++;
	}
}

/* Evict a page from T1 or T2 into its ghost list. */
static void arc_replace(struct arc *a, bool in_b2)
{
	uint32_t t1 = a->n[A_T1];
	int from = (t1 >= 1 && ((in_b2 && t1 == a->p) || t1 > a->p)) || !a->n[A_T2] ? A_T1 : A_T2;
	uint32_t y = lst_back(&a->l, arc_head(a, from));

	sim_evict(a->s, y);
	arc_move(a, y, from == A_T1 ? A_B1 : A_B2);
}

int run_arc(struct sim *s)
{
	const struct kmm_refs *r = s->r;
	uint32_t c = s->frames;
	struct arc a = { .s = s };

	a.state = calloc(r->nr_pages, 1);
	if (!a.state || lists_init(&a.l, r->nr_pages, 5)) {
		free(a.state);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t x = r->page[i];
		uint32_t *n = a.n;
		switch (a.state[x]) {
		case A_T1:
		case A_T2:
			s->res->hits++;
			arc_move(&a, x, A_T2);
			break;
		case A_B1:
			s->res->faults++;
			a.p = KMM_MIN(c, a.p + (n[A_B1] >= n[A_B2] ? 1 : n[A_B2] / n[A_B1]));
			arc_replace(&a, false);
			arc_move(&a, x, A_T2);
			break;
		case A_B2: {
			s->res->faults++;
			uint32_t d = n[A_B2] >= n[A_B1] ? 1 : n[A_B1] / n[A_B2];
			a.p = a.p > d ? a.p - d : 0;
			arc_replace(&a, true);
			arc_move(&a, x, A_T2);
			break;
		}
		default: {
			s->res->faults++;
			uint32_t l1 = n[A_T1] + n[A_B1], total = l1 + n[A_T2] + n[A_B2];
			if (l1 == c) {
				if (n[A_T1] < c) {
					arc_move(&a, lst_back(&a.l, arc_head(&a, A_B1)), A_NONE);
					arc_replace(&a, false);
				} else {
					uint32_t y = lst_back(&a.l, arc_head(&a, A_T1));
					sim_evict(s, y);
					arc_move(&a, y, A_NONE);
				}
			} else if (total >= c) {
				if (total == 2 * c)
					arc_move(&a, lst_back(&a.l, arc_head(&a, A_B2)), A_NONE);
				if (n[A_T1] + n[A_T2] == c)
					arc_replace(&a, false);
			}
			arc_move(&a, x, A_T1);
			break;
		}
		}
		s->dirty[x] |= r->write[i];
	}
	lists_free(&a.l);
	free(a.state);
	return 0;
}

/* ---- Linux's active and inactive lists ---- */

enum { L_NONE, L_INACTIVE, L_ACTIVE };

int run_linux(struct sim *s)
{
	const struct kmm_refs *r = s->r;
	struct lists l;
	uint8_t *state = calloc(r->nr_pages, 1), *referenced = calloc(r->nr_pages, 1);
	uint32_t n_in = 0, n_act = 0;

	if (!state || !referenced || lists_init(&l, r->nr_pages, 2)) {
		free(state);
		free(referenced);
		return -ENOMEM;
	}
	uint32_t inactive = lst_head(&l, 0), active = lst_head(&l, 1);
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t pg = r->page[i];
		if (state[pg] != L_NONE) {
			s->res->hits++;
			if (state[pg] == L_INACTIVE && referenced[pg]) {
				/* the second touch: activate */
				lst_del(&l, pg);
				lst_add_front(&l, active, pg);
				state[pg] = L_ACTIVE;
				referenced[pg] = 0;
				n_in--;
				n_act++;
			} else {
				referenced[pg] = 1;
			}
		} else {
			s->res->faults++;
			if (n_in + n_act == s->frames) {
				while (n_act > n_in) {
					uint32_t y = lst_back(&l, active);
					lst_del(&l, y);
					lst_add_front(&l, inactive, y);
					state[y] = L_INACTIVE;
					referenced[y] = 0;
					n_act--;
					n_in++;
				}
				uint32_t y = lst_back(&l, inactive);
				lst_del(&l, y);
				state[y] = L_NONE;
				n_in--;
				sim_evict(s, y);
			}
			lst_add_front(&l, inactive, pg);
			state[pg] = L_INACTIVE;
			referenced[pg] = 1;
			n_in++;
		}
		s->dirty[pg] |= r->write[i];
	}
	lists_free(&l);
	free(state);
	free(referenced);
	return 0;
}
