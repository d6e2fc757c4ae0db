// SPDX-License-Identifier: MIT
/*
 * lab/replay.c - replay an allocation trace through a pool allocator and
 * measure it: footprint, utilisation, internal and external fragmentation,
 * failed requests, a fragmentation map over time, the costliest event in
 * list nodes examined, and (when asked) events per second and the slowest
 * single event in nanoseconds.
 *
 * Linux counterpart: none.
 *
 * Up to three passes over the trace, each on a freshly initialised pool:
 *   1. metrics: every event, bookkeeping after each, samples along the way;
 *   2. rate (timing): the bare loop, timed as a whole: events per second of
 *      the replaying thread's CPU time (what one core does, however busy the
 *      host);
 *   3. worst (timing): each event timed alone (the TSC on x86-64, scaled to
 *      nanoseconds by the pass's own wall time; clock_gettime elsewhere).
 * Pass 1 is deterministic; 2 and 3 measure this host now (interrupts and
 * other work included: the worst event is an upper bound, the examined-node
 * count of pass 1 is the deterministic measure).
 *
 * The lab is a host-side tool beside the machine: besides stdio it reads
 * the host's clock here, and nowhere else.
 *
 * A replay never touches payload bytes: with metadata outside, the region is
 * never written at all (and, allocated with aligned_alloc, mostly never
 * committed by the host).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "include/kmm/lab.h"
#include "lab/pool_internal.h"
#include "lib/util.h"

#define NIL32 0xffffffffu

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time: a rate that other processes on the host do not dilute. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return now_ns();
#endif
}

struct replay {
	const struct kmm_lab_trace *t;
	const struct kmm_replay_config *cfg;
	struct kmm_replay_result *r;
	struct kmm_pool pool;
	void *region, *meta;
	size_t size, meta_size;
	uint32_t *slot;		/* id -> payload offset, NIL32 if none */
	uint64_t *req;		/* id -> requested bytes (pass 1) */
	uint64_t done, total;	/* progress */
	char *err;
	size_t errlen;
};

static int fresh_pool(struct replay *rp)
{
	int ret = kmm_pool_init(&rp->pool, &rp->cfg->pool, rp->region, rp->size, rp->meta,
				rp->meta_size);

	if (ret)
		snprintf(rp->err, rp->errlen, "%s", kmm_pool_error(&rp->pool));
	for (uint32_t i = 0; i < rp->t->nr_ids; i++)
		rp->slot[i] = NIL32;
	return ret;
}

static void progress(struct replay *rp, uint64_t i)
{
	if (rp->cfg->progress && !(i & 0xffff))
		rp->cfg->progress(rp->cfg->progress_arg, rp->done + i, rp->total);
}

/* ---- Samples ---- */

struct sampler {
	struct kmm_replay_sample *s;
	unsigned int width;
	double cell;		/* bytes per map cell */
	double *used;		/* width cells: used bytes */
};

static void add_used(struct sampler *sm, size_t off, size_t len)
{
	if (!sm->width)
		return;
	double a = (double)off, b = (double)(off + len);
	unsigned int c = (unsigned int)(a / sm->cell);

	while (c < sm->width && a < b) {
		double end = (c + 1) * sm->cell, part = (b < end ? b : end) - a;
		sm->used[c] += part;
		a += part;
		c++;
	}
}

static int sample_extent(void *arg, const struct kmm_pool_extent *e)
{
	struct sampler *sm = arg;

	if (e->used) {
		sm->s->used += e->len;
		add_used(sm, e->off, e->len);
	} else {
		sm->s->free += e->len;
		sm->s->largest_free = KMM_MAX(sm->s->largest_free, e->len);
	}
	return 0;
}

static int take_sample(struct replay *rp, uint64_t event, uint64_t live, double *cells)
{
	struct kmm_replay_result *r = rp->r;
	struct kmm_replay_sample *s = &r->samples[r->nr_samples];
	struct sampler sm = { .s = s, .width = rp->cfg->map_width, .used = cells };
	struct kmm_pool_stats st;

	memset(s, 0, sizeof(*s));
	s->event = event;
	s->live = live;
	kmm_pool_get_stats(&rp->pool, &st);
	if (sm.width) {
		sm.cell = (double)rp->size / sm.width;
		memset(cells, 0, sm.width * sizeof(*cells));
		/* the control block, when it is in the region, is not free memory */
		if (!(rp->cfg->pool.flags & KMM_POOL_META_OUTSIDE))
			add_used(&sm, 0, st.meta_bytes);
	}
	if (kmm_pool_walk(&rp->pool, sample_extent, &sm))
		return -EUCLEAN;
	s->external = s->free ? 1.0 - (double)s->largest_free / (double)s->free : 0.0;
	if (sm.width) {
		s->map = malloc(sm.width + 1);
		if (!s->map)
			return -ENOMEM;
		for (unsigned int c = 0; c < sm.width; c++) {
			double f = cells[c] / sm.cell;
			s->map[c] = f <= 0.0 ? '.' : f < 0.5 ? ':' : f < 0.999999 ? '+' : '#';
		}
		s->map[sm.width] = 0;
	}
	r->nr_samples++;
	return 0;
}

/* ---- Pass 1: metrics ---- */

static int metrics_pass(struct replay *rp)
{
	const struct kmm_lab_trace *t = rp->t;
	struct kmm_replay_result *r = rp->r;
	struct kmm_pool *p = &rp->pool;
	uint64_t live = 0, peak_used = 0, max_steps = 0;
	unsigned int ns = rp->cfg->samples, k = 0;
	double *cells = NULL;
	int ret = fresh_pool(rp);

	if (ret)
		return ret;
	const struct pool_ops *ops = p->ops;
	struct pool_ctl *c = pool_ctl(p);
	if (rp->cfg->map_width && !(cells = calloc(rp->cfg->map_width, sizeof(*cells))))
		return -ENOMEM;
	for (size_t i = 0; i < t->nr; i++) {
		const struct kmm_lab_trace_event *e = &t->ev[i];
		uint32_t *slot = &rp->slot[e->id];
		size_t off = KMM_POOL_NOFF;

		switch (e->op) {
		case KMM_LAB_TRACE_ALLOC:
		case KMM_LAB_TRACE_MEMALIGN:
			r->allocs++;
			off = e->op == KMM_LAB_TRACE_ALLOC
				      ? ops->alloc(p, e->size)
				      : kmm_pool_aligned_alloc_off(p, (size_t)1 << e->align_log, e->size);
			if (off == KMM_POOL_NOFF) {
				r->failed++;
				break;
			}
			*slot = (uint32_t)off;
			rp->req[e->id] = e->size;
			live += e->size;
			break;
		case KMM_LAB_TRACE_FREE:
			r->frees++;
			if (*slot == NIL32) {
				r->skipped++;
				break;
			}
			ops->free(p, *slot);
			live -= rp->req[e->id];
			off = *slot;
			*slot = NIL32;
			break;
		case KMM_LAB_TRACE_REALLOC:
			r->reallocs++;
			if (*slot == NIL32) {
				r->skipped++;
				off = ops->alloc(p, e->size);
				if (off == KMM_POOL_NOFF) {
					r->failed++;
					break;
				}
				rp->req[e->id] = 0;
			} else if (!ops->resize(p, *slot, e->size)) {
				off = *slot;
			} else {
				off = ops->alloc(p, e->size);
				if (off == KMM_POOL_NOFF) {
					r->failed++;
					break;
				}
				ops->free(p, *slot);
			}
			*slot = (uint32_t)off;
			live += e->size - rp->req[e->id];
			rp->req[e->id] = e->size;
			break;
		}
		if (rp->cfg->on_event)
			rp->cfg->on_event(rp->cfg->event_arg, p, i, off);
		if (off != KMM_POOL_NOFF && e->op != KMM_LAB_TRACE_FREE) {
			uint64_t end = off + ops->usable(p, off);
			r->peak_footprint = KMM_MAX(r->peak_footprint, end);
		}
		if (live > r->peak_live) {
			r->peak_live = live;
			peak_used = c->live_bytes;
		}
		if (c->max_steps > max_steps) {
			max_steps = c->max_steps;
			r->max_steps_event = i;
		}
		if (rp->cfg->check && kmm_pool_check(p)) {
			snprintf(rp->err, rp->errlen, "event %zu (id %u): %s", i, e->id,
				 kmm_pool_error(p));
			free(cells);
			return -EUCLEAN;
		}
		if (ns && k < ns && (uint64_t)(i + 1) * ns >= (uint64_t)(k + 1) * t->nr) {
			ret = take_sample(rp, i + 1, live, cells);
			if (ret) {
				snprintf(rp->err, rp->errlen, "event %zu: %s", i,
					 ret == -ENOMEM ? "out of memory" : "the pool's blocks do not walk");
				free(cells);
				return ret;
			}
			k++;
		}
		progress(rp, i);
	}
	free(cells);
	rp->done += t->nr;
	r->utilisation = r->peak_footprint ? (double)r->peak_live / (double)r->peak_footprint : 0;
	r->internal = peak_used ? 1.0 - (double)r->peak_live / (double)peak_used : 0;
	for (unsigned int j = 0; j < r->nr_samples; j++) {
		r->external_mean += r->samples[j].external / r->nr_samples;
		r->external_max = KMM_MAX(r->external_max, r->samples[j].external);
	}
	r->splits = c->splits;
	r->merges = c->merges;
	r->steps = c->steps;
	r->max_steps = c->max_steps;
	return 0;
}

/* ---- Passes 2 and 3: time ---- */

/* One event with no bookkeeping beyond the id table. */
static inline void bare_event(struct kmm_pool *p, const struct pool_ops *ops, uint32_t *slots,
			      const struct kmm_lab_trace_event *e)
{
	uint32_t *slot = &slots[e->id];
	size_t off;

	switch (e->op) {
	case KMM_LAB_TRACE_ALLOC:
		*slot = (uint32_t)ops->alloc(p, e->size);
		break;
	case KMM_LAB_TRACE_MEMALIGN:
		*slot = (uint32_t)kmm_pool_aligned_alloc_off(p, (size_t)1 << e->align_log, e->size);
		break;
	case KMM_LAB_TRACE_FREE:
		if (*slot != NIL32)
			ops->free(p, *slot);
		break;
	case KMM_LAB_TRACE_REALLOC:
		if (*slot == NIL32) {
			*slot = (uint32_t)ops->alloc(p, e->size);
		} else if (ops->resize(p, *slot, e->size)) {
			off = ops->alloc(p, e->size);
			if (off != KMM_POOL_NOFF) {
				ops->free(p, *slot);
				*slot = (uint32_t)off;
			}
		}
		break;
	}
}

static int rate_pass(struct replay *rp)
{
	const struct kmm_lab_trace *t = rp->t;
	int ret = fresh_pool(rp);

	if (ret)
		return ret;
	struct kmm_pool *p = &rp->pool;
	const struct pool_ops *ops = p->ops;
	uint64_t t0 = cpu_ns();
	for (size_t i = 0; i < t->nr; i++) {
		bare_event(p, ops, rp->slot, &t->ev[i]);
		progress(rp, i);
	}
	uint64_t t1 = cpu_ns();
	rp->done += t->nr;
	rp->r->seconds = (double)(t1 - t0) / 1e9;
	rp->r->events_per_sec = t1 > t0 ? (double)t->nr * 1e9 / (double)(t1 - t0) : 0;
	return 0;
}

static int worst_pass(struct replay *rp)
{
	const struct kmm_lab_trace *t = rp->t;
	int ret = fresh_pool(rp);

	if (ret)
		return ret;
	struct kmm_pool *p = &rp->pool;
	const struct pool_ops *ops = p->ops;
	uint64_t worst = 0, worst_i = 0, n0 = now_ns(), k0 = ticks();
	for (size_t i = 0; i < t->nr; i++) {
		uint64_t a = ticks();
		bare_event(p, ops, rp->slot, &t->ev[i]);
		uint64_t d = ticks() - a;
		if (d > worst) {
			worst = d;
			worst_i = i;
		}
		progress(rp, i);
	}
	uint64_t n1 = now_ns(), k1 = ticks();
	rp->done += t->nr;
	rp->r->worst_ns = k1 > k0 ? (double)worst * (double)(n1 - n0) / (double)(k1 - k0) : 0;
	rp->r->worst_event = worst_i;
	return 0;
}

/* ---- The call ---- */

int kmm_replay(const struct kmm_lab_trace *t, const struct kmm_replay_config *cfg,
	       struct kmm_replay_result *r, char *err, size_t errlen)
{
	struct replay rp = { .t = t, .cfg = cfg, .r = r, .err = err, .errlen = errlen };
	struct kmm_lab_trace_summary sum;
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	kmm_lab_trace_summarize(t, &sum);
	rp.size = cfg->pool_size;
	if (!rp.size) {
		/* an arena of the power of two at or above 4 x peak live, at least 64 KiB */
		uint64_t want = KMM_MAX(4 * sum.peak_live, (uint64_t)64 << 10);
		size_t arena = want > KMM_POOL_MAX_SIZE / 2 ? KMM_POOL_MAX_SIZE / 2
							    : (size_t)1 << fls_ul((unsigned long)want - 1);
		rp.size = kmm_pool_region_size(&cfg->pool, arena);
		if (!rp.size) {
			struct kmm_pool tmp;
			kmm_pool_init(&tmp, &cfg->pool, NULL, 0, NULL, 0);
			snprintf(err, errlen, "%s", kmm_pool_error(&tmp));
			return -EINVAL;
		}
	}
	if (rp.size > KMM_POOL_MAX_SIZE) {
		snprintf(err, errlen, "pool of %zu bytes: at most 2 GiB", rp.size);
		return -EINVAL;
	}
	r->policy = cfg->pool.policy;
	r->outside = cfg->pool.flags & KMM_POOL_META_OUTSIDE;
	r->pool_size = rp.size;
	r->events = t->nr;
	rp.region = aligned_alloc(4096, ALIGN_UP(rp.size, 4096u));
	rp.slot = malloc((t->nr_ids + 1) * sizeof(*rp.slot));
	rp.req = calloc(t->nr_ids + 1, sizeof(*rp.req));
	if (cfg->samples)
		r->samples = calloc(cfg->samples, sizeof(*r->samples));
	if (!rp.region || !rp.slot || !rp.req || (cfg->samples && !r->samples)) {
		snprintf(err, errlen, "out of memory for a %zu-byte pool", rp.size);
		goto out;
	}
	if (r->outside) {
		rp.meta_size = kmm_pool_meta_size(&cfg->pool, rp.size);
		if (!rp.meta_size) {
			ret = fresh_pool(&rp);	/* says why */
			goto out;
		}
		rp.meta = aligned_alloc(64, ALIGN_UP(rp.meta_size, 64u));
		if (!rp.meta) {
			snprintf(err, errlen, "out of memory for %zu bytes of metadata", rp.meta_size);
			goto out;
		}
	}
	rp.total = t->nr * (cfg->rate_only ? 1 : cfg->timing ? 3 : 1);
	if (cfg->rate_only) {
		ret = rate_pass(&rp);
		goto out;
	}
	ret = metrics_pass(&rp);
	if (!ret) {
		struct kmm_pool_stats st;
		kmm_pool_get_stats(&rp.pool, &st);
		r->meta_bytes = st.meta_bytes;
		r->granule = st.granule;
	}
	if (!ret && cfg->timing)
		ret = rate_pass(&rp);
	if (!ret && cfg->timing)
		ret = worst_pass(&rp);
	if (!ret && cfg->progress)
		cfg->progress(cfg->progress_arg, rp.total, rp.total);
out:
	free(rp.region);
	free(rp.meta);
	free(rp.slot);
	free(rp.req);
	if (ret)
		kmm_replay_result_free(r);
	return ret;
}

void kmm_replay_result_free(struct kmm_replay_result *r)
{
	for (unsigned int i = 0; i < r->nr_samples; i++)
		free(r->samples[i].map);
	free(r->samples);
	r->samples = NULL;
	r->nr_samples = 0;
}
