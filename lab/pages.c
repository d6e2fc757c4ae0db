// SPDX-License-Identifier: MIT
/*
 * lab/pages.c - page-replacement policies over a reference string: FIFO,
 * LRU, OPT (Belady), Clock (second chance), NRU, LFU, aging and WSClock.
 * 2Q, ARC and Linux's two lists are in lab/pages_adaptive.c.
 *
 * Linux counterpart: none here (mm/vmscan.c's two lists are modelled in
 * lab/pages_adaptive.c).
 *
 * Sources: Belady, "A study of replacement algorithms for a virtual-storage
 * computer" (1966) for OPT and, with Nelson and Shedler (1969), the anomaly;
 * Tanenbaum, Modern Operating Systems, 3.4, for Clock, NRU, aging and
 * WSClock; Silberschatz, Operating System Concepts, 9.4, for the textbook
 * counts the tests check.
 *
 * Time is counted in references. "A tick" (NRU, aging, WSClock) is
 * params.tick references: at each tick NRU clears the R bits and aging
 * shifts them into its counters. Ties are broken deterministically (lowest
 * frame, or the page loaded first), so every run gives the same counts.
 *
 * A fault on a full set of frames evicts one page; evicting a page written
 * since it was loaded counts a writeback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/pages_internal.h"
#include "lib/util.h"

static const char *const names[KMM_PR_NR_POLICIES] = {
	[KMM_PR_FIFO] = "fifo", [KMM_PR_LRU] = "lru", [KMM_PR_OPT] = "opt",
	[KMM_PR_CLOCK] = "clock", [KMM_PR_NRU] = "nru", [KMM_PR_LFU] = "lfu",
	[KMM_PR_AGING] = "aging", [KMM_PR_WSCLOCK] = "wsclock", [KMM_PR_2Q] = "2q",
	[KMM_PR_ARC] = "arc", [KMM_PR_LINUX] = "linux",
};

const char *kmm_pr_policy_name(enum kmm_pr_policy p)
{
	return (unsigned int)p < KMM_PR_NR_POLICIES ? names[p] : NULL;
}

int kmm_pr_policy_parse(const char *name)
{
	for (int i = 0; i < KMM_PR_NR_POLICIES; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

bool kmm_pr_stack_policy(enum kmm_pr_policy p)
{
	/* the resident set with n frames is always within the set with n + 1 */
	return p == KMM_PR_LRU || p == KMM_PR_OPT;
}

/* ---- Shared pieces ---- */

int sim_init(struct sim *s, const struct kmm_refs *r, unsigned int frames,
	     const struct kmm_pr_params *params, struct kmm_pr_result *res)
{
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->r = r;
	s->frames = frames;
	s->res = res;
	s->tick = params && params->tick ? params->tick : 1;
	s->tau = params && params->tau ? params->tau : 4 * frames;
	s->dirty = calloc(r->nr_pages + 1, 1);
	return s->dirty ? 0 : -ENOMEM;
}

void sim_evict(struct sim *s, uint32_t page)
{
	s->res->evictions++;
	if (s->dirty[page]) {
		s->res->writebacks++;
		s->dirty[page] = 0;
	}
}

void sim_done(struct sim *s)
{
	free(s->dirty);
}

int lists_init(struct lists *l, uint32_t nodes, uint32_t heads)
{
	uint32_t n = nodes + heads;

	l->nodes = nodes;
	l->prev = malloc(n * sizeof(*l->prev));
	l->next = malloc(n * sizeof(*l->next));
	if (!l->prev || !l->next) {
		lists_free(l);
		return -ENOMEM;
	}
	for (uint32_t h = nodes; h < n; h++)
		l->prev[h] = l->next[h] = h;
	return 0;
}

void lists_free(struct lists *l)
{
	free(l->prev);
	free(l->next);
	l->prev = l->next = NULL;
}

/* ---- FIFO and LRU: one list, front = newest ---- */

static int run_list(struct sim *s, bool lru)
{
	const struct kmm_refs *r = s->r;
	struct lists l;
	uint8_t *in = calloc(r->nr_pages, 1);
	uint32_t used = 0, h;

	if (!in || lists_init(&l, r->nr_pages, 1)) {
		free(in);
		return -ENOMEM;
	}
	h = lst_head(&l, 0);
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t pg = r->page[i];
		if (in[pg]) {
			s->res->hits++;
			if (lru) {
				lst_del(&l, pg);
				lst_add_front(&l, h, pg);
			}
		} else {
			s->res->faults++;
			if (used == s->frames) {
				uint32_t victim = lst_back(&l, h);
				lst_del(&l, victim);
				in[victim] = 0;
				sim_evict(s, victim);
			} else {
				used++;
			}
			in[pg] = 1;
			lst_add_front(&l, h, pg);
		}
		s->dirty[pg] |= r->write[i];
	}
	lists_free(&l);
	free(in);
	return 0;
}

/* ---- OPT: evict the page whose next use is farthest (a max-heap) ---- */

struct opt_heap {
	uint32_t *page;		/* heap of resident pages */
	uint32_t *pos;		/* page -> heap index, or UINT32_MAX */
	uint64_t *key;		/* page -> its next use (UINT64_MAX: never) */
	uint32_t n;
};

static bool opt_above(const struct opt_heap *h, uint32_t a, uint32_t b)
{
	return h->key[a] != h->key[b] ? h->key[a] > h->key[b] : a < b;
}

static void opt_place(struct opt_heap *h, uint32_t i, uint32_t pg)
{
	h->page[i] = pg;
	h->pos[pg] = i;
}

static void opt_sift(struct opt_heap *h, uint32_t i)
{
	uint32_t pg = h->page[i];

	while (i && opt_above(h, pg, h->page[(i - 1) / 2])) {
		opt_place(h, i, h->page[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && opt_above(h, h->page[c + 1], h->page[c]))
			c++;
		if (!opt_above(h, h->page[c], pg))
			break;
		opt_place(h, i, h->page[c]);
		i = c;
	}
	opt_place(h, i, pg);
}

static int run_opt(struct sim *s)
{
	const struct kmm_refs *r = s->r;
	struct opt_heap h = { 0 };
	uint64_t *next = malloc(r->nr * sizeof(*next));
	uint64_t *last = malloc(r->nr_pages * sizeof(*last));
	int ret = -ENOMEM;

	h.page = malloc((s->frames + 1) * sizeof(*h.page));
	h.pos = malloc(r->nr_pages * sizeof(*h.pos));
	h.key = malloc(r->nr_pages * sizeof(*h.key));
	if (!next || !last || !h.page || !h.pos || !h.key)
		goto out;
	for (uint32_t p = 0; p < r->nr_pages; p++) {
		last[p] = UINT64_MAX;
		h.pos[p] = UINT32_MAX;
	}
	for (size_t i = r->nr; i-- > 0;) {
		next[i] = last[r->page[i]];
		last[r->page[i]] = i;
	}
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t pg = r->page[i];
		if (h.pos[pg] != UINT32_MAX) {
			s->res->hits++;
			h.key[pg] = next[i];
			opt_sift(&h, h.pos[pg]);
		} else {
			s->res->faults++;
			h.key[pg] = next[i];
			if (h.n == s->frames) {
				uint32_t victim = h.page[0];
				h.pos[victim] = UINT32_MAX;
				sim_evict(s, victim);
				opt_place(&h, 0, pg);
				opt_sift(&h, 0);
			} else {
				opt_place(&h, h.n++, pg);
				opt_sift(&h, h.n - 1);
			}
		}
		s->dirty[pg] |= r->write[i];
	}
	ret = 0;
out:
	free(next);
	free(last);
	free(h.page);
	free(h.pos);
	free(h.key);
	return ret;
}

/* ---- Frame-array policies: Clock, NRU, LFU, aging, WSClock ---- */

struct frames {
	uint32_t *page;		/* frame -> page */
	uint32_t *where;	/* page -> frame, or UINT32_MAX */
	uint8_t *ref;		/* frame: R bit */
	uint64_t *aux;		/* frame: counter, load time or last use */
	uint64_t *aux2;
	uint32_t used;
};

static int frames_init(struct frames *f, const struct sim *s)
{
	uint32_t n = s->frames;

	memset(f, 0, sizeof(*f));
	f->page = calloc(n, sizeof(*f->page));
	f->ref = calloc(n, 1);
	f->aux = calloc(n, sizeof(*f->aux));
	f->aux2 = calloc(n, sizeof(*f->aux2));
	f->where = malloc(s->r->nr_pages * sizeof(*f->where));
	if (!f->page || !f->ref || !f->aux || !f->aux2 || !f->where)
		return -ENOMEM;
	for (uint32_t p = 0; p < s->r->nr_pages; p++)
		f->where[p] = UINT32_MAX;
	return 0;
}

static void frames_free(struct frames *f)
{
	free(f->page);
	free(f->ref);
	free(f->aux);
	free(f->aux2);
	free(f->where);
}

/* Put @pg in frame @fr, evicting what is there if the frames are all used. */
static void frames_load(struct sim *s, struct frames *f, uint32_t fr, uint32_t pg)
{
	if (fr < f->used) {
		f->where[f->page[fr]] = UINT32_MAX;
		sim_evict(s, f->page[fr]);
	} else {
		f->used++;
	}
	f->page[fr] = pg;
	f->where[pg] = fr;
}

static int run_frames(struct sim *s, enum kmm_pr_policy pol)
{
	const struct kmm_refs *r = s->r;
	struct frames f;
	uint32_t hand = 0, n = s->frames;
	int ret = frames_init(&f, s);

	if (ret) {
		frames_free(&f);
		return ret;
	}
	for (size_t i = 0; i < r->nr; i++) {
		uint32_t pg = r->page[i], fr = f.where[pg];
		uint64_t now = i / s->tick;

		/* a new tick: NRU forgets R bits; aging shifts them in */
		if (i && i % s->tick == 0 && (pol == KMM_PR_NRU || pol == KMM_PR_AGING)) {
			for (uint32_t k = 0; k < f.used; k++) {
				if (pol == KMM_PR_AGING)
					f.aux[k] = (f.aux[k] >> 1) | ((uint64_t)f.ref[k] << 7);
				f.ref[k] = 0;
			}
		}
		if (fr != UINT32_MAX) {
			s->res->hits++;
			f.ref[fr] = 1;
			if (pol == KMM_PR_LFU)
				f.aux[fr]++;
			if (pol == KMM_PR_WSCLOCK)
				f.aux[fr] = now;
			s->dirty[pg] |= r->write[i];
			continue;
		}
		s->res->faults++;
		if (f.used < n) {
			fr = f.used;
		} else if (pol == KMM_PR_CLOCK) {
			while (f.ref[hand]) {
				f.ref[hand] = 0;
				hand = (hand + 1) % n;
			}
			fr = hand;
			hand = (hand + 1) % n;
		} else if (pol == KMM_PR_NRU) {
			/* lowest class 2R + M; the lowest frame within it */
			uint32_t best = 4;
			for (uint32_t k = 0; k < n && best; k++) {
				uint32_t cls = 2u * f.ref[k] + s->dirty[f.page[k]];
				if (cls < best) {
					best = cls;
					fr = k;
				}
			}
		} else if (pol == KMM_PR_LFU) {
			/* fewest uses since loaded; ties: loaded first */
			fr = 0;
			for (uint32_t k = 1; k < n; k++)
				if (f.aux[k] < f.aux[fr] || (f.aux[k] == f.aux[fr] && f.aux2[k] < f.aux2[fr]))
					fr = k;
		} else if (pol == KMM_PR_AGING) {
			/* smallest counter; this tick's R bit breaks ties, then the lowest frame */
			fr = 0;
			for (uint32_t k = 1; k < n; k++)
				if (2 * f.aux[k] + f.ref[k] < 2 * f.aux[fr] + f.ref[fr])
					fr = k;
		} else {	/* WSClock */
			uint32_t fallback = UINT32_MAX;
			fr = UINT32_MAX;
			for (uint32_t step = 0; step < 2 * n && fr == UINT32_MAX; step++) {
				uint32_t k = hand;
				hand = (hand + 1) % n;
				if (f.ref[k]) {
					f.ref[k] = 0;
					f.aux[k] = now;
				} else if (now - f.aux[k] > s->tau) {
					if (s->dirty[f.page[k]]) {
						/* schedule the write; it completes at once here */
						s->dirty[f.page[k]] = 0;
						s->res->writebacks++;
					} else {
						fr = k;
					}
				} else if (fallback == UINT32_MAX && !s->dirty[f.page[k]]) {
					fallback = k;
				}
			}
			if (fr == UINT32_MAX)
				fr = fallback != UINT32_MAX ? fallback : hand;
		}
		frames_load(s, &f, fr, pg);
		f.ref[fr] = 1;
		f.aux[fr] = pol == KMM_PR_WSCLOCK ? now : pol == KMM_PR_LFU ? 1 : 0;
		f.aux2[fr] = i;
		s->dirty[pg] |= r->write[i];
	}
	frames_free(&f);
	return 0;
}

int kmm_pr_run(enum kmm_pr_policy policy, const struct kmm_refs *r, unsigned int frames,
	       const struct kmm_pr_params *params, struct kmm_pr_result *res)
{
	struct sim s;
	int ret;

	if (!frames || (unsigned int)policy >= KMM_PR_NR_POLICIES)
		return -EINVAL;
	ret = sim_init(&s, r, frames, params, res);
	if (ret)
		return ret;
	switch (policy) {
	case KMM_PR_FIFO:
		ret = run_list(&s, false);
		break;
	case KMM_PR_LRU:
		ret = run_list(&s, true);
		break;
	case KMM_PR_OPT:
		ret = run_opt(&s);
		break;
	case KMM_PR_2Q:
		ret = run_2q(&s);
		break;
	case KMM_PR_ARC:
		ret = run_arc(&s);
		break;
	case KMM_PR_LINUX:
		ret = run_linux(&s);
		break;
	default:
		ret = run_frames(&s, policy);
		break;
	}
	sim_done(&s);
	return ret;
}

unsigned int kmm_pr_belady(const uint64_t *faults, unsigned int n, unsigned int *at,
			   unsigned int max)
{
	unsigned int found = 0;

	for (unsigned int i = 0; i + 1 < n; i++) {
		if (faults[i + 1] <= faults[i])
			continue;
		if (found < max)
			at[found] = i;
		found++;
	}
	return found;
}
