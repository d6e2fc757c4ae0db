// SPDX-License-Identifier: MIT
/*
 * cli/lab_fit.c - `kmm lab fit`: replay allocation traces through pool
 * allocators (lab/replay.c) and print the comparison as a table, CSV or
 * JSON; with --map the fragmentation map over time, with --steps the pool
 * after every event (the first seed's first-fit/best-fit story, drawn).
 *
 * Linux counterpart: none.
 *
 * Everything printed is deterministic except the --timing columns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lab.h"

#define STEPS_MAX_EVENTS 5000

static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- Loading a trace ---- */

static int load_trace(const struct lab_opts *o, const char *arg, struct kmm_lab_trace *t,
		      struct lab_io *io)
{
	char err[512];
	int ret;

	if (!strncmp(arg, "synthetic:", 10)) {
		struct kmm_synth s;
		char *spec = strdup(arg + 10);
		if (!spec)
			return -ENOMEM;
		ret = kmm_synth_parse(&s, spec, err, sizeof(err));
		if (!ret)
			ret = kmm_lab_trace_synthetic(t, &s, err, sizeof(err));
		free(spec);
	} else {
		FILE *f = strcmp(arg, "-") ? fopen(arg, "r") : stdin;
		if (!f) {
			sb_printf(io->err, "kmm lab fit: cannot read %s: %s\n", arg, strerror(errno));
			return -ENOENT;
		}
		ret = kmm_lab_trace_read(t, f, strcmp(arg, "-") ? arg : "<stdin>", o->trace_format, err,
				     sizeof(err));
		if (f != stdin)
			fclose(f);
	}
	if (ret)
		sb_printf(io->err, "kmm lab fit: %s\n", err);
	return ret;
}

/* ---- --steps: the pool after every event ---- */

struct steps {
	struct lab_io *io;
	const struct kmm_lab_trace *t;
	uint32_t *off;		/* id -> payload offset + 1, 0 if none */
	unsigned int width;
	size_t region;
	size_t meta;		/* control block bytes at the region's start (inside) */
	char *row;
};

struct cell_fill {
	struct steps *st;
	double cell;
};

static int fill_extent(void *arg, const struct kmm_pool_extent *e)
{
	struct cell_fill *cf = arg;
	struct steps *st = cf->st;
	char c = '.';

	if (e->used) {
		c = '?';
		for (uint32_t id = 0; id < st->t->nr_ids; id++)
			if (st->off[id] == e->payload + 1) {
				c = letters[id % (sizeof(letters) - 1)];
				break;
			}
	}
	/* a cell shows the block that covers its middle */
	for (unsigned int k = 0; k < st->width; k++) {
		double mid = (k + 0.5) * cf->cell;
		if (mid >= (double)e->off && mid < (double)(e->off + e->len))
			st->row[k] = c;
	}
	return 0;
}

static void on_step(void *arg, struct kmm_pool *pool, size_t i, size_t off)
{
	struct steps *st = arg;
	const struct kmm_lab_trace_event *e = &st->t->ev[i];
	static const char *const opname[] = { "alloc", "free", "realloc", "memalign" };
	struct cell_fill cf = { .st = st, .cell = (double)st->region / st->width };
	char what[64], res[24];

	if (e->op == KMM_LAB_TRACE_FREE)
		st->off[e->id] = 0;
	else if (off != KMM_POOL_NOFF)
		st->off[e->id] = (uint32_t)off + 1;
	memset(st->row, ' ', st->width);
	for (unsigned int k = 0; k < st->width; k++)
		if ((k + 0.5) * cf.cell < (double)st->meta)
			st->row[k] = '=';
	kmm_pool_walk(pool, fill_extent, &cf);
	st->row[st->width] = 0;
	if (e->op == KMM_LAB_TRACE_FREE)
		snprintf(what, sizeof(what), "%s %c", opname[e->op], letters[e->id % 52]);
	else
		snprintf(what, sizeof(what), "%s %c %llu", opname[e->op], letters[e->id % 52],
			 (unsigned long long)e->size);
	if (off == KMM_POOL_NOFF)
		snprintf(res, sizeof(res), e->op == KMM_LAB_TRACE_FREE ? "skipped" : "FAILED");
	else
		snprintf(res, sizeof(res), "0x%zx", off);
	struct kmm_pool_stats ps;
	kmm_pool_get_stats(pool, &ps);
	sb_printf(st->io->out, "%5zu  %-18s %-9s |%s| %3llu %3llu %3llu\n", i + 1, what, res, st->row,
		  (unsigned long long)ps.free_blocks, (unsigned long long)ps.splits,
		  (unsigned long long)ps.merges);
}

/* ---- One replay ---- */

struct run {
	int policy;
	bool outside;
	int status;		/* 0, or the replay's error */
	struct kmm_replay_result r;
};

static int replay_one(const struct lab_opts *o, const struct kmm_lab_trace *t,
		      const struct kmm_lab_trace_summary *sum, const char *name, struct run *run,
		      struct lab_io *io)
{
	struct kmm_replay_config c = {
		.pool = { .policy = (enum kmm_pool_policy)run->policy,
			  .flags = run->outside ? KMM_POOL_META_OUTSIDE : 0,
			  .align = o->align, .max_order = o->max_order },
		.pool_size = o->pool_size,
		.samples = o->samples ? o->samples : 0,
		.map_width = o->map ? o->map_width : 0,
		.timing = o->timing && !io->scenario,
		.check = o->check,
		/* a bar only for replays long enough to wait for */
		.progress = io->progress && t->nr >= (1u << 20) ? lab_progress : NULL,
		.progress_arg = io,
	};
	char err[512];
	struct steps st = { 0 };

	if (run->policy == KMM_POOL_FIXED)
		c.pool.object_size = o->object ? o->object : KMM_MAX(sum->max_size, (uint64_t)1);
	if (o->map && !c.samples)
		c.samples = 16;
	if (o->steps) {
		size_t size = o->pool_size;
		if (!size)
			size = KMM_MIN(ALIGN_UP(4 * sum->peak_live + (64u << 10), 4096u),
				       (uint64_t)KMM_POOL_MAX_SIZE);
		st = (struct steps){ .io = io, .t = t, .width = o->map_width, .region = size };
		st.off = calloc(t->nr_ids + 1, sizeof(*st.off));
		st.row = malloc(o->map_width + 1);
		if (!st.off || !st.row) {
			free(st.off);
			free(st.row);
			return -ENOMEM;
		}
		if (!run->outside) {
			/* the control block's size: what a fresh pool reports */
			struct kmm_pool p;
			void *region = aligned_alloc(4096, ALIGN_UP(size, 4096u));
			if (region && !kmm_pool_init(&p, &c.pool, region, size, NULL, 0)) {
				struct kmm_pool_stats s;
				kmm_pool_get_stats(&p, &s);
				st.meta = s.meta_bytes;
			}
			free(region);
		}
		c.on_event = on_step;
		c.event_arg = &st;
		sb_printf(io->out, "%s, %s, metadata %s: pool %zu bytes, one column = %.0f bytes "
			  "('=' control block, '.' free, a letter: the block of that id);\n"
			  "after each event: free blocks, splits and merges so far\n",
			  name, kmm_pool_policy_name(c.pool.policy), run->outside ? "outside" : "inside",
			  size, (double)size / o->map_width);
	}
	run->status = kmm_replay(t, &c, &run->r, err, sizeof(err));
	lab_progress_done(io);
	free(st.off);
	free(st.row);
	if (run->status) {
		sb_printf(io->err, "kmm lab fit: %s, %s: %s\n", name,
			  kmm_pool_policy_name(c.pool.policy), err);
		return run->status;
	}
	return 0;
}

/* ---- Output ---- */

static const char *pct(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.1f%%", 100 * v);
	return buf;
}

static void table(const struct lab_opts *o, const char *name, const struct kmm_lab_trace *t,
		  const struct kmm_lab_trace_summary *s, struct run *runs, int nruns, struct lab_io *io)
{
	struct strbuf *out = io->out;
	char a[32], b[32], c[32], d[32];
	bool timing = o->timing && !io->scenario;
	size_t pool = 0, granule = 16;

	for (int i = 0; i < nruns; i++)
		if (!runs[i].status) {
			pool = runs[i].r.pool_size;
			granule = runs[i].r.granule;
			break;
		}
	sb_printf(out, "trace %s: %s, %zu events (%llu allocs, %llu frees, %llu reallocs",
		  name, t->format, t->nr, (unsigned long long)s->allocs,
		  (unsigned long long)s->frees, (unsigned long long)s->reallocs);
	if (s->memaligns)
		sb_printf(out, ", %llu memaligns", (unsigned long long)s->memaligns);
	sb_printf(out, ")");
	if (t->dropped)
		sb_printf(out, ", %llu records dropped", (unsigned long long)t->dropped);
	sb_printf(out, "\npeak live %s in %llu blocks, largest request %s; pool %s, granule %zu\n",
		  lab_size(a, sizeof(a), s->peak_live), (unsigned long long)s->peak_blocks,
		  lab_size(b, sizeof(b), s->max_size), lab_size(c, sizeof(c), pool), granule);
	sb_printf(out, "\n%-15s %-7s %10s %6s %8s %8s %7s %8s %8s %8s %9s", "policy", "meta",
		  "footprint", "util", "int.frag", "ext.frag", "failed", "splits", "merges",
		  "steps/op", "max steps");
	if (timing)
		sb_printf(out, " %7s %10s", "Mev/s", "worst");
	sb_printf(out, "\n");
	for (int i = 0; i < nruns; i++) {
		const struct kmm_replay_result *r = &runs[i].r;
		sb_printf(out, "%-15s %-7s ", kmm_pool_policy_name((enum kmm_pool_policy)runs[i].policy),
			  runs[i].outside ? "outside" : "inside");
		if (runs[i].status) {
			sb_printf(out, "(%s)\n", strerror(-runs[i].status));
			continue;
		}
		sb_printf(out, "%10s %6s %8s %8s %7llu %8llu %8llu %8.2f %9llu",
			  lab_size(a, sizeof(a), r->peak_footprint), pct(b, sizeof(b), r->utilisation),
			  pct(c, sizeof(c), r->internal), pct(d, sizeof(d), r->external_mean),
			  (unsigned long long)r->failed, (unsigned long long)r->splits,
			  (unsigned long long)r->merges,
			  r->events ? (double)r->steps / (double)r->events : 0.0,
			  (unsigned long long)r->max_steps);
		if (timing) {
			if (r->worst_ns >= 1e6)
				snprintf(a, sizeof(a), "%.1f ms", r->worst_ns / 1e6);
			else if (r->worst_ns >= 1e3)
				snprintf(a, sizeof(a), "%.1f us", r->worst_ns / 1e3);
			else
				snprintf(a, sizeof(a), "%.0f ns", r->worst_ns);
			sb_printf(out, " %7.2f %10s", r->events_per_sec / 1e6, a);
		}
		sb_printf(out, "\n");
	}
	if (!o->map || o->steps)
		return;
	for (int i = 0; i < nruns; i++) {
		const struct kmm_replay_result *r = &runs[i].r;
		if (runs[i].status || !r->nr_samples)
			continue;
		sb_printf(out, "\nfragmentation map, %s (metadata %s): %u samples; the pool in %u "
			  "cells of %s: '.' free, ':' under half used, '+' half or more, '#' full\n",
			  kmm_pool_policy_name(r->policy), r->outside ? "outside" : "inside",
			  r->nr_samples, o->map_width,
			  lab_size(a, sizeof(a), r->pool_size / o->map_width));
		sb_printf(out, "%10s %10s %9s  map\n", "event", "live", "ext.frag");
		for (unsigned int k = 0; k < r->nr_samples; k++) {
			const struct kmm_replay_sample *sm = &r->samples[k];
			sb_printf(out, "%10llu %10s %9s  |%s|\n", (unsigned long long)sm->event,
				  lab_size(a, sizeof(a), sm->live), pct(b, sizeof(b), sm->external),
				  sm->map ? sm->map : "");
		}
	}
}

static void csv(const struct lab_opts *o, const char *name, struct run *runs, int nruns,
		struct lab_io *io, bool header)
{
	struct strbuf *out = io->out;
	bool timing = o->timing && !io->scenario;

	if (o->map) {
		if (header)
			sb_printf(out, "trace,policy,meta,sample,event,live,used,free,largest_free,"
				  "external,map\n");
		for (int i = 0; i < nruns; i++)
			for (unsigned int k = 0; !runs[i].status && k < runs[i].r.nr_samples; k++) {
				const struct kmm_replay_sample *s = &runs[i].r.samples[k];
				sb_printf(out, "%s,%s,%s,%u,%llu,%llu,%llu,%llu,%llu,%.6f,%s\n", name,
					  kmm_pool_policy_name(runs[i].r.policy),
					  runs[i].outside ? "outside" : "inside", k,
					  (unsigned long long)s->event, (unsigned long long)s->live,
					  (unsigned long long)s->used, (unsigned long long)s->free,
					  (unsigned long long)s->largest_free, s->external,
					  s->map ? s->map : "");
			}
		return;
	}
	if (header) {
		sb_printf(out, "trace,policy,meta,pool,granule,meta_bytes,events,allocs,frees,"
			  "reallocs,failed,skipped,peak_live,peak_footprint,utilisation,internal,"
			  "external_mean,external_max,splits,merges,steps,max_steps,max_steps_event");
		sb_printf(out, timing ? ",events_per_sec,worst_ns,worst_event\n" : "\n");
	}
	for (int i = 0; i < nruns; i++) {
		const struct kmm_replay_result *r = &runs[i].r;
		if (runs[i].status)
			continue;
		sb_printf(out, "%s,%s,%s,%zu,%zu,%zu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.6f,"
			  "%.6f,%.6f,%.6f,%llu,%llu,%llu,%llu,%llu", name,
			  kmm_pool_policy_name(r->policy), r->outside ? "outside" : "inside",
			  r->pool_size, r->granule, r->meta_bytes, (unsigned long long)r->events,
			  (unsigned long long)r->allocs, (unsigned long long)r->frees,
			  (unsigned long long)r->reallocs, (unsigned long long)r->failed,
			  (unsigned long long)r->skipped, (unsigned long long)r->peak_live,
			  (unsigned long long)r->peak_footprint, r->utilisation, r->internal,
			  r->external_mean, r->external_max, (unsigned long long)r->splits,
			  (unsigned long long)r->merges, (unsigned long long)r->steps,
			  (unsigned long long)r->max_steps, (unsigned long long)r->max_steps_event);
		if (timing)
			sb_printf(out, ",%.0f,%.0f,%llu", r->events_per_sec, r->worst_ns,
				  (unsigned long long)r->worst_event);
		sb_printf(out, "\n");
	}
}

static void json(const struct lab_opts *o, const char *name, const struct kmm_lab_trace *t,
		 const struct kmm_lab_trace_summary *s, struct run *runs, int nruns, struct lab_io *io,
		 bool first)
{
	struct strbuf *out = io->out;
	bool timing = o->timing && !io->scenario;

	sb_printf(out, "%s\n  {\"trace\": ", first ? "" : ",");
	sb_json_str(out, name);
	sb_printf(out, ", \"format\": \"%s\", \"events\": %zu, \"dropped\": %llu, \"allocs\": %llu, "
		  "\"frees\": %llu, \"reallocs\": %llu, \"memaligns\": %llu, \"peak_live\": %llu, "
		  "\"peak_blocks\": %llu, \"max_size\": %llu,\n   \"results\": [",
		  t->format, t->nr, (unsigned long long)t->dropped, (unsigned long long)s->allocs,
		  (unsigned long long)s->frees, (unsigned long long)s->reallocs,
		  (unsigned long long)s->memaligns, (unsigned long long)s->peak_live,
		  (unsigned long long)s->peak_blocks, (unsigned long long)s->max_size);
	bool any = false;
	for (int i = 0; i < nruns; i++) {
		const struct kmm_replay_result *r = &runs[i].r;
		if (runs[i].status)
			continue;
		sb_printf(out, "%s\n    {\"policy\": \"%s\", \"meta\": \"%s\", \"pool\": %zu, "
			  "\"granule\": %zu, \"meta_bytes\": %zu, \"failed\": %llu, \"skipped\": %llu, "
			  "\"peak_live\": %llu, \"peak_footprint\": %llu, \"utilisation\": %.6f, "
			  "\"internal\": %.6f, \"external_mean\": %.6f, \"external_max\": %.6f, "
			  "\"splits\": %llu, \"merges\": %llu, \"steps\": %llu, \"max_steps\": %llu, "
			  "\"max_steps_event\": %llu", any ? "," : "",
			  kmm_pool_policy_name(r->policy), r->outside ? "outside" : "inside",
			  r->pool_size, r->granule, r->meta_bytes, (unsigned long long)r->failed,
			  (unsigned long long)r->skipped, (unsigned long long)r->peak_live,
			  (unsigned long long)r->peak_footprint, r->utilisation, r->internal,
			  r->external_mean, r->external_max, (unsigned long long)r->splits,
			  (unsigned long long)r->merges, (unsigned long long)r->steps,
			  (unsigned long long)r->max_steps, (unsigned long long)r->max_steps_event);
		any = true;
		if (timing)
			sb_printf(out, ", \"events_per_sec\": %.0f, \"worst_ns\": %.0f, "
				  "\"worst_event\": %llu", r->events_per_sec, r->worst_ns,
				  (unsigned long long)r->worst_event);
		if (r->nr_samples) {
			sb_printf(out, ",\n     \"samples\": [");
			for (unsigned int k = 0; k < r->nr_samples; k++) {
				const struct kmm_replay_sample *sm = &r->samples[k];
				sb_printf(out, "%s{\"event\": %llu, \"live\": %llu, \"used\": %llu, "
					  "\"free\": %llu, \"largest_free\": %llu, \"external\": %.6f%s",
					  k ? ", " : "", (unsigned long long)sm->event,
					  (unsigned long long)sm->live, (unsigned long long)sm->used,
					  (unsigned long long)sm->free,
					  (unsigned long long)sm->largest_free, sm->external,
					  sm->map ? ", \"map\": " : "");
				if (sm->map)
					sb_json_str(out, sm->map);
				sb_printf(out, "}");
			}
			sb_printf(out, "]");
		}
		sb_printf(out, "}");
	}
	sb_printf(out, "\n   ]}");
}

/* ---- The subcommand ---- */

int lab_fit(const struct lab_opts *o, struct lab_io *io)
{
	int status = 0;
	int nmeta = o->meta == 2 ? 2 : 1;

	if (o->format == LAB_JSON)
		sb_printf(io->out, "{\"traces\": [");
	for (int a = 0; a < o->nargs; a++) {
		const char *name = o->args[a];
		struct kmm_lab_trace t;
		struct kmm_lab_trace_summary s;
		struct run *runs;
		int nruns = 0;

		if (load_trace(o, name, &t, io)) {
			status = 2;
			continue;
		}
		if (o->steps && t.nr > STEPS_MAX_EVENTS) {
			sb_printf(io->err, "kmm lab fit: %s has %zu events; --steps draws at most %d\n",
				  name, t.nr, STEPS_MAX_EVENTS);
			kmm_lab_trace_free(&t);
			status = 2;
			continue;
		}
		kmm_lab_trace_summarize(&t, &s);
		runs = calloc((size_t)o->npolicies * 2, sizeof(*runs));
		if (!runs) {
			kmm_lab_trace_free(&t);
			return 2;
		}
		for (int i = 0; i < o->npolicies; i++) {
			for (int m = 0; m < nmeta; m++) {
				struct run *run = &runs[nruns++];
				run->policy = o->policies[i];
				run->outside = o->meta == 1 || m == 1;
				if (replay_one(o, &t, &s, name, run, io)) {
					if (run->status == -EUCLEAN && status < 1)
						status = 1;
					else if (run->status != -EUCLEAN)
						status = 2;
				}
				if (o->steps)
					sb_printf(io->out, "\n");
			}
		}
		if (o->format == LAB_TABLE)
			table(o, name, &t, &s, runs, nruns, io);
		else if (o->format == LAB_CSV)
			csv(o, name, runs, nruns, io, a == 0);
		else
			json(o, name, &t, &s, runs, nruns, io, a == 0);
		if (o->format == LAB_TABLE && a + 1 < o->nargs)
			sb_printf(io->out, "\n");
		for (int i = 0; i < nruns; i++)
			kmm_replay_result_free(&runs[i].r);
		free(runs);
		kmm_lab_trace_free(&t);
	}
	if (o->format == LAB_JSON)
		sb_printf(io->out, "\n]}\n");
	return status;
}
