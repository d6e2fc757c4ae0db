// SPDX-License-Identifier: MIT
/*
 * lab/trace.c - allocation traces: the container, a summary of what a trace
 * asks of an allocator, the CS:APP .rep writer, and a seeded synthetic
 * generator (size and lifetime distributions).
 *
 * Linux counterpart: none.
 *
 * The generator works in "allocation time": block i is allocated at step i
 * with a size drawn from the size distribution and a death step i + L drawn
 * from the lifetime distribution; before each allocation, every block whose
 * death has come is freed (a min-heap on death steps), and some blocks are
 * resized once, half way through their lives. The same parameters give the
 * same trace on every host (own PRNG, integer arithmetic only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/lab.h"
#include "lab/trace_internal.h"
#include "lib/util.h"

void kmm_lab_trace_init(struct kmm_lab_trace *t)
{
	memset(t, 0, sizeof(*t));
}

void kmm_lab_trace_free(struct kmm_lab_trace *t)
{
	free(t->ev);
	kmm_lab_trace_init(t);
}

int trace_push(struct kmm_lab_trace *t, enum kmm_lab_trace_op op, uint32_t id, uint64_t size,
	       unsigned int align_log)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct kmm_lab_trace_event *ev = realloc(t->ev, cap * sizeof(*ev));
		if (!ev)
			return -ENOMEM;
		t->ev = ev;
		t->cap = cap;
	}
	t->ev[t->nr++] = (struct kmm_lab_trace_event){ .op = (uint8_t)op,
						   .align_log = (uint8_t)align_log,
						   .id = id, .size = size };
	return 0;
}

void kmm_lab_trace_summarize(const struct kmm_lab_trace *t, struct kmm_lab_trace_summary *s)
{
	uint64_t *size = calloc(t->nr_ids ? t->nr_ids : 1, sizeof(*size));
	uint64_t live = 0, blocks = 0;

	memset(s, 0, sizeof(*s));
	if (!size)
		return;
	for (size_t i = 0; i < t->nr; i++) {
		const struct kmm_lab_trace_event *e = &t->ev[i];
		switch (e->op) {
		case KMM_LAB_TRACE_ALLOC:
		case KMM_LAB_TRACE_MEMALIGN:
			e->op == KMM_LAB_TRACE_ALLOC ? s->allocs++ : s->memaligns++;
			live += e->size;
			blocks++;
			size[e->id] = e->size;
			break;
		case KMM_LAB_TRACE_REALLOC:
			s->reallocs++;
			live += e->size - size[e->id];
			size[e->id] = e->size;
			break;
		case KMM_LAB_TRACE_FREE:
			s->frees++;
			live -= size[e->id];
			blocks--;
			break;
		}
		if (e->op != KMM_LAB_TRACE_FREE) {
			s->total_bytes += e->size;
			s->max_size = KMM_MAX(s->max_size, e->size);
		}
		s->peak_live = KMM_MAX(s->peak_live, live);
		s->peak_blocks = KMM_MAX(s->peak_blocks, blocks);
	}
	free(size);
}

int kmm_lab_trace_write_rep(const struct kmm_lab_trace *t, FILE *f)
{
	struct kmm_lab_trace_summary s;

	kmm_lab_trace_summarize(t, &s);
	fprintf(f, "%llu\n%u\n%zu\n1\n", (unsigned long long)(t->heap_hint ? t->heap_hint
									 : s.peak_live),
		t->nr_ids, t->nr);
	for (size_t i = 0; i < t->nr; i++) {
		const struct kmm_lab_trace_event *e = &t->ev[i];
		if (e->op == KMM_LAB_TRACE_FREE)
			fprintf(f, "f %u\n", e->id);
		else
			fprintf(f, "%c %u %llu\n", e->op == KMM_LAB_TRACE_REALLOC ? 'r' : 'a', e->id,
				(unsigned long long)e->size);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- The synthetic generator ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* -log2(r / 2^64) in 32.32 fixed point, for r >= 1: integer arithmetic only. */
static uint64_t neg_log2_q32(uint64_t r)
{
	int msb = 63 - __builtin_clzll(r);
	uint64_t m = msb >= 32 ? r >> (msb - 32) : r << (32 - msb);	/* [1, 2) in Q32 */
	uint64_t frac = 0;

	/* the bits of log2(m), one per squaring */
	for (int i = 1; i <= 32; i++) {
		m = (uint64_t)(((unsigned __int128)m * m) >> 32);
		if (m >= 2ull << 32) {
			m >>= 1;
			frac |= 1ull << (32 - i);
		}
	}
	return ((uint64_t)(64 - msb) << 32) - frac;
}

/*
 * A whole number >= 1 with mean @mean: 1 + floor(E * (mean - 1/2)), E an
 * exponential variate (-ln U) computed in fixed point, so every host draws
 * the same numbers.
 */
static uint64_t geometric(uint64_t *s, uint64_t mean)
{
	const uint64_t ln2_q32 = 0xB17217F8u;	/* ln 2 in Q32 */
	uint64_t r = rnd(s) | 1;

	if (mean <= 1)
		return 1;
	unsigned __int128 e = ((unsigned __int128)neg_log2_q32(r) * ln2_q32) >> 32;
	return 1 + (uint64_t)((e * (2 * mean - 1)) >> 33);
}

enum dist_kind { D_UNIFORM, D_EXP, D_POW2, D_MIX, D_LIFO, D_FOREVER };

struct dist {
	enum dist_kind kind;
	uint64_t a, b;
};

static int parse_dist(const char *spec, bool life, struct dist *d, char *err, size_t errlen)
{
	char *end;

	memset(d, 0, sizeof(*d));
	if (!life && !strcmp(spec, "mix")) {
		d->kind = D_MIX;
		return 0;
	}
	if (life && !strcmp(spec, "lifo")) {
		d->kind = D_LIFO;
		return 0;
	}
	if (life && !strcmp(spec, "forever")) {
		d->kind = D_FOREVER;
		return 0;
	}
	if (!strncmp(spec, "exp:", 4)) {
		d->kind = D_EXP;
		d->a = strtoull(spec + 4, &end, 10);
		if (end != spec + 4 && !*end && d->a)
			return 0;
	} else if (!strncmp(spec, "uniform:", 8) || (!life && !strncmp(spec, "pow2:", 5))) {
		const char *p = strchr(spec, ':') + 1;
		d->kind = spec[0] == 'u' ? D_UNIFORM : D_POW2;
		if (life) {
			d->a = 1;
			d->b = strtoull(p, &end, 10);
			if (end != p && !*end && d->b)
				return 0;
		} else {
			d->a = strtoull(p, &end, 10);
			if (end != p && *end == '-') {
				const char *q = end + 1;
				d->b = strtoull(q, &end, 10);
				if (end != q && !*end && d->a <= d->b && d->b)
					return 0;
			}
		}
	}
	snprintf(err, errlen, life ? "lifetime '%s': want exp:MEAN, uniform:MAX, lifo or forever"
				   : "size '%s': want uniform:MIN-MAX, exp:MEAN, pow2:MIN-MAX or mix",
		 spec);
	return -EINVAL;
}

static uint64_t draw_size(uint64_t *s, const struct dist *d)
{
	uint64_t r;

	switch (d->kind) {
	case D_UNIFORM:
		return d->a + rnd(s) % (d->b - d->a + 1);
	case D_EXP:
		return geometric(s, d->a);
	case D_POW2: {
		int lo = ilog2_ul((unsigned long)(d->a ? d->a : 1));
		int hi = ilog2_ul((unsigned long)d->b);
		return 1ull << (lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1)));
	}
	case D_MIX:
		/* the shape of most programs: many small, some medium, a few large */
		r = rnd(s) % 100;
		if (r < 80)
			return 8 + rnd(s) % 121;		/* 8 .. 128 */
		if (r < 97)
			return 129 + rnd(s) % 3968;		/* .. 4 KiB */
		return 4097 + rnd(s) % 61440;			/* .. 64 KiB */
	default:
		return 1;
	}
}

struct pending {
	uint64_t when;
	uint32_t id;
	uint32_t resize;	/* 1: a resize, 0: the free */
};

/* A binary min-heap on `when` (ties: lower id first, so the order is fixed). */
struct heap {
	struct pending *v;
	size_t n, cap;
};

static bool before(const struct pending *a, const struct pending *b)
{
	return a->when != b->when ? a->when < b->when : a->id != b->id ? a->id < b->id
								       : a->resize > b->resize;
}

static int heap_push(struct heap *h, struct pending x)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct pending *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	while (i && before(&x, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
	return 0;
}

static struct pending heap_pop(struct heap *h)
{
	struct pending top = h->v[0], last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

static int emit_due(struct kmm_lab_trace *t, struct heap *h, uint64_t now, uint64_t *s,
		    const struct dist *sz)
{
	while (h->n && h->v[0].when <= now) {
		struct pending p = heap_pop(h);
		int ret = p.resize ? trace_push(t, KMM_LAB_TRACE_REALLOC, p.id, draw_size(s, sz), 0)
				   : trace_push(t, KMM_LAB_TRACE_FREE, p.id, 0, 0);
		if (ret)
			return ret;
	}
	return 0;
}

int kmm_lab_trace_synthetic(struct kmm_lab_trace *t, const struct kmm_synth *sy, char *err,
			    size_t errlen)
{
	struct dist sz, life;
	struct heap h = { 0 };
	uint64_t s = sy->seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	uint32_t *stack = NULL;
	size_t depth = 0;
	int ret;

	kmm_lab_trace_init(t);
	ret = parse_dist(sy->size ? sy->size : "mix", false, &sz, err, errlen);
	if (!ret)
		ret = parse_dist(sy->life ? sy->life : "exp:1000", true, &life, err, errlen);
	if (ret)
		return ret;
	if (sy->allocs > UINT32_MAX || sy->realloc_pct > 100) {
		snprintf(err, errlen, "synthetic: allocs=%llu realloc=%u: allocs at most %u, realloc "
			 "at most 100 (%%)", (unsigned long long)sy->allocs, sy->realloc_pct, UINT32_MAX);
		return -EINVAL;
	}
	snprintf(t->format, sizeof(t->format), "synthetic");
	if (life.kind == D_LIFO && !(stack = malloc((sy->allocs + 1) * sizeof(*stack))))
		goto nomem;
	for (uint64_t i = 0; i < sy->allocs; i++) {
		uint32_t id = t->nr_ids++;
		if (life.kind == D_LIFO) {
			/* a stack: before each push, pop as long as a coin says so */
			while (depth && (rnd(&s) & 1))
				if (trace_push(t, KMM_LAB_TRACE_FREE, stack[--depth], 0, 0))
					goto nomem;
		} else if (emit_due(t, &h, i, &s, &sz)) {
			goto nomem;
		}
		if (trace_push(t, KMM_LAB_TRACE_ALLOC, id, draw_size(&s, &sz), 0))
			goto nomem;
		if (life.kind == D_LIFO) {
			stack[depth++] = id;
			continue;
		}
		if (life.kind == D_FOREVER)
			continue;
		uint64_t len = life.kind == D_EXP ? geometric(&s, life.a) : 1 + rnd(&s) % life.b;
		if (rnd(&s) % 100 < sy->realloc_pct && len >= 2 &&
		    heap_push(&h, (struct pending){ i + len / 2, id, 1 }))
			goto nomem;
		if (heap_push(&h, (struct pending){ i + len, id, 0 }))
			goto nomem;
	}
	while (depth)
		if (trace_push(t, KMM_LAB_TRACE_FREE, stack[--depth], 0, 0))
			goto nomem;
	if (emit_due(t, &h, UINT64_MAX, &s, &sz))
		goto nomem;
	free(h.v);
	free(stack);
	return 0;
nomem:
	free(h.v);
	free(stack);
	kmm_lab_trace_free(t);
	snprintf(err, errlen, "out of memory generating the trace");
	return -ENOMEM;
}

int kmm_synth_parse(struct kmm_synth *s, char *spec, char *err, size_t errlen)
{
	char *tok, *save = NULL;

	*s = (struct kmm_synth){ .seed = 1, .allocs = 100000, .size = "mix", .life = "exp:1000" };
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		if (!eq)
			goto bad;
		*eq = 0;
		const char *key = tok, *val = eq + 1;
		if (!strcmp(key, "size")) {
			s->size = val;
		} else if (!strcmp(key, "life")) {
			s->life = val;
		} else if (!strcmp(key, "seed") || !strcmp(key, "allocs") || !strcmp(key, "realloc")) {
			/* not a sign: strtoull() takes "-5" as 2^64 - 5 */
			unsigned long long v = *val == '-' || *val == '+' ? 0 : strtoull(val, &end, 0);
			if (*val == '-' || *val == '+' || end == val || *end)
				goto bad_value;
			if (key[0] == 's') {
				s->seed = v;
			} else if (key[0] == 'a') {
				if (v > UINT32_MAX) {
					snprintf(err, errlen, "synthetic: allocs=%s: at most %u", val,
						 UINT32_MAX);
					return -EINVAL;
				}
				s->allocs = v;
			} else {
				if (v > 100) {
					snprintf(err, errlen, "synthetic: realloc=%s: a percentage, 0 to "
						 "100", val);
					return -EINVAL;
				}
				s->realloc_pct = (unsigned int)v;
			}
		} else {
			*eq = '=';
			goto bad;
		}
		continue;
bad_value:
		snprintf(err, errlen, "synthetic: %s=%s is not a number", key, val);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "synthetic: '%s': want seed=N, allocs=N, size=DIST, life=DIST, "
		 "realloc=PCT", tok);
	return -EINVAL;
}
