// SPDX-License-Identifier: MIT
/*
 * cli/verbs_page.c - the page allocator's verbs and values: alloc_pages,
 * free_pages, page, zones, and zone.NAME.FIELD in expressions.
 *
 * Linux counterpart: alloc_pages()/__free_pages() (mm/page_alloc.c) called
 * from a script, and the numbers /proc/zoneinfo and /proc/buddyinfo print
 * (mm/vmstat.c), read straight from struct zone.
 *
 * Invariant: a pageset is freed at most once, only on the machine that
 * allocated it (ps->gen == the ctx's generation), each block with the order
 * it was allocated with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/format.h"
#include "cli/scenario.h"
#include "lib/util.h"
#include "mm/include/machine.h"	/* drain_all_pages() (mm/include/mmzone.h) */
#include "mm/include/vmstat.h"

/* ---- Values ---- */

const char *pageset_unusable(struct kmm_ctx *ctx, const struct pageset *ps)
{
	if (ps && ps->nr && ps->gen != ctx_generation(ctx))
		return "it was allocated on a machine that a later boot replaced";
	return NULL;
}

static const char *page_zone_name(const struct page *p)
{
	return zone_names[page_zonenum(p)];
}

void value_format(const struct value *v, char *buf, size_t len)
{
	switch (v->kind) {
	case V_INT:
		snprintf(buf, len, "%lld", v->i);
		return;
	case V_STR:
		snprintf(buf, len, "%s", v->s ? v->s : "");
		return;
	case V_PAGES: {
		const struct pageset *ps = v->ps;
		if (!ps || !ps->nr) {
			snprintf(buf, len, "NULL");
			return;
		}
		unsigned long pfn = ps->pfn0;	/* never touch pages of a machine gone */
		if (ps->nr == 1)
			snprintf(buf, len, "pfn 0x%lx order %u %s%s", pfn, ps->order,
				 ps->zone0 ? ps->zone0 : "?", ps->freed ? " (freed)" : "");
		else
			snprintf(buf, len, "%lu blocks of order %u, first pfn 0x%lx%s", ps->nr,
				 ps->order, pfn, ps->freed ? " (freed)" : "");
		return;
	}
	default:
		snprintf(buf, len, "(nothing)");
	}
}

static const char *const fields[] = { "pfn", "phys", "order", "pages", "zone", "node", "count",
				      "freed" };

bool page_field_known(const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i], field))
			return true;
	return false;
}

int page_field(struct kmm_ctx *ctx, const struct pageset *ps, const char *field,
	       struct value *out, char *err, size_t errlen)
{
	const char *why = pageset_unusable(ctx, ps);

	if (!strcmp(field, "count")) {
		value_set_int(out, ps ? (long long)ps->nr : 0);
		return 0;
	}
	if (!strcmp(field, "freed")) {
		value_set_int(out, ps && ps->freed);
		return 0;
	}
	if (!strcmp(field, "order")) {
		value_set_int(out, ps ? ps->order : 0);
		return 0;
	}
	if (!strcmp(field, "pages")) {
		value_set_int(out, ps ? (long long)(ps->nr << ps->order) : 0);
		return 0;
	}
	if (!ps || !ps->nr) {
		snprintf(err, errlen, "the allocation failed (NULL): no .%s", field);
		return -1;
	}
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	const struct page *p = ps->pages[0];
	if (!strcmp(field, "pfn"))
		value_set_int(out, (long long)page_to_pfn(p));
	else if (!strcmp(field, "phys"))
		value_set_int(out, (long long)PFN_PHYS(page_to_pfn(p)));
	else if (!strcmp(field, "zone"))
		value_set_str(out, page_zone_name(p));
	else if (!strcmp(field, "node"))
		value_set_int(out, page_to_nid(p));
	else {
		snprintf(err, errlen, "unknown field");
		return -1;
	}
	return 0;
}

/* ---- alloc_pages ---- */

struct alloc_opts {
	long long order;
	gfp_t gfp;
	long long nid;
	long long count;	/* -1: max */
};

/* @ctx NULL: parse time (count=$name is checked at run time). */
static int alloc_parse(struct kmm_ctx *ctx, const struct args *a, struct alloc_opts *o, int *bad,
		       char *err, size_t errlen)
{
	o->order = 0;
	o->gfp = GFP_KERNEL;
	o->nid = -1;
	o->count = 1;
	for (int i = 0; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;

		*bad = i;
		if (a->argv[i].is_var || !arg_kv(&a->argv[i], &key, &kl, &val)) {
			snprintf(err, errlen, "alloc_pages takes key=value options: order=N gfp=FLAGS "
				 "node=N count=N|max");
			return -1;
		}
		if (kl == 5 && !strncmp(key, "order", 5)) {
			if (parse_long(val, &o->order) || o->order < 0 || o->order > MAX_PAGE_ORDER) {
				snprintf(err, errlen, "order must be 0..%d (MAX_PAGE_ORDER), not '%s'",
					 MAX_PAGE_ORDER, val);
				return -1;
			}
		} else if (kl == 3 && !strncmp(key, "gfp", 3)) {
			size_t at = 0;
			gfp_t g;
			if (kmm_gfp_parse(val, &g, &at)) {
				char word[64];
				size_t wl = strcspn(val + KMM_MIN(at, strlen(val)), "|");
				snprintf(word, sizeof(word), "%.*s", (int)KMM_MIN(wl, 60),
					 val + KMM_MIN(at, strlen(val)));
				char hint[96];
				gfp_flag_hint(word, hint, sizeof(hint));
				snprintf(err, errlen, "unknown GFP flag '%s'%s", word, hint[0] ? hint :
					 " (write e.g. GFP_KERNEL|__GFP_ZERO, GFP_ATOMIC, GFP_HIGHUSER, "
					 "GFP_DMA)");
				return -1;
			}
			o->gfp = g;
		} else if (kl == 4 && !strncmp(key, "node", 4)) {
			if (parse_long(val, &o->nid) || o->nid < 0 || o->nid >= MAX_NUMNODES) {
				snprintf(err, errlen, "node must be 0..%d, not '%s'", MAX_NUMNODES - 1,
					 val);
				return -1;
			}
		} else if (kl == 5 && !strncmp(key, "count", 5)) {
			if (val[0] == '$') {
				const struct value *v = ctx ? ctx_var(ctx, val + 1) : NULL;
				if (!ctx)
					continue;
				if (!v || v->kind != V_INT || v->i < 1 || v->i > 100000000) {
					snprintf(err, errlen, "count=%s must hold a number from 1 to "
						 "100000000", val);
					return -1;
				}
				o->count = v->i;
			} else if (!strcmp(val, "max")) {
				o->count = -1;
			} else if (parse_long(val, &o->count) || o->count < 1 ||
				   o->count > 100000000) {
				snprintf(err, errlen, "count must be 1..100000000 or max, not '%s'", val);
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown option '%.*s' (alloc_pages takes order= gfp= "
				 "node= count=)", (int)kl, key);
			return -1;
		}
	}
	return 0;
}

static int alloc_check(struct verb_check *vc, const struct args *a)
{
	struct alloc_opts o;
	char err[256];
	int bad = -1;

	if (alloc_parse(NULL, a, &o, &bad, err, sizeof(err)))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

/*
 * What the next min(1024, @left) blocks of @o may commit on the host (asked
 * before every 1024 blocks): their struct pages, rounded up to whole sections
 * (a deferred section is initialised at once on first use), their bytes when
 * zeroed, their slots in ps->pages. One block of order 10 projects one block.
 */
static uint64_t batch_bytes(unsigned long left, const struct alloc_opts *o)
{
	uint64_t n = left < 1024 ? left : 1024;
	uint64_t pages = n << o->order;

	return (pages / PAGES_PER_SECTION + 2) * PAGES_PER_SECTION * sizeof(struct page) +
	       n * sizeof(struct page *) + ((o->gfp & __GFP_ZERO) ? pages * PAGE_SIZE : 0);
}

static int alloc_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct alloc_opts o;
	char err[256];
	int bad;

	if (!m)
		return VERB_ERROR;
	if (alloc_parse(ctx, a, &o, &bad, err, sizeof(err)))
		return ctx_error(ctx, a, bad, "%s", err);
	if (o.nid >= m->nr_node_ids) {
		for (int i = 0; i < a->argc; i++)
			if (!strncmp(a->argv[i].text, "node=", 5))
				bad = i;
		return ctx_error(ctx, a, bad, "node %lld does not exist (this machine has %d "
				 "node%s; boot with numa=fake=N for more)", o.nid, m->nr_node_ids,
				 m->nr_node_ids == 1 ? "" : "s");
	}
	struct pageset *ps = ctx_new_pageset(ctx, a);
	unsigned long limit = o.count < 0 ? (m->max_pfn >> o.order) + 1 : (unsigned long)o.count;
	unsigned long cap = 0;

	ps->order = (unsigned int)o.order;
	ps->gfp = o.gfp;
	ps->nid = (int)o.nid;
	for (unsigned long i = 0; i < limit; i++) {
		if (!(i & 1023) && ctx_host_mem_check(ctx, a, batch_bytes(limit - i, &o)) != VERB_OK) {
			if (a->result) {
				struct value v = { .kind = V_PAGES, .ps = ps };
				ctx_set_var(ctx, a->result, &v);
			}
			return VERB_ERROR;
		}
		struct page *p = o.nid < 0 ? alloc_pages(o.gfp, (unsigned int)o.order)
			: alloc_pages_node((int)o.nid, o.gfp, (unsigned int)o.order);
		if (!p)
			break;
		if (ps->nr == cap) {
			cap = cap ? 2 * cap : 16;
			struct page **n = realloc(ps->pages, cap * sizeof(*n));
			if (!n) {
				__free_pages(p, (unsigned int)o.order);
				return ctx_error(ctx, a, -1, "out of host memory");
			}
			ps->pages = n;
		}
		if (!ps->nr) {
			ps->pfn0 = page_to_pfn(p);
			ps->zone0 = page_zone_name(p);
		}
		ps->pages[ps->nr++] = p;
	}
	if (ctx_interactive(ctx)) {
		char buf[160];
		struct value tmp = { .kind = V_PAGES, .ps = ps };
		value_format(&tmp, buf, sizeof(buf));
		ctx_printf(ctx, "%s%s%s%s\n", a->result ? "$" : "", a->result ? a->result : "",
			   a->result ? " = " : "", buf);
	}
	if (a->result) {
		struct value v = { .kind = V_PAGES, .ps = ps };
		ctx_set_var(ctx, a->result, &v);
	}
	return VERB_OK;
}

/* ---- free_pages ---- */

static int var_arg_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1)
		return verb_check_error(vc, a, a->argc ? 1 : -1, "%s takes one variable, e.g. %s $p",
					a->verb->name, a->verb->name);
	if (!a->argv[0].is_var || strchr(a->argv[0].text, '.'))
		return verb_check_error(vc, a, 0, "%s takes a variable set by alloc_pages, like $p",
					a->verb->name);
	return VERB_OK;
}

static struct pageset *var_pageset(struct kmm_ctx *ctx, const struct args *a, int *ret)
{
	const struct value *v = ctx_var(ctx, a->argv[0].text);

	*ret = VERB_OK;
	if (!v) {
		*ret = ctx_error(ctx, a, 0, "$%s is not set", a->argv[0].text);
		return NULL;
	}
	if (v->kind != V_PAGES) {
		*ret = ctx_error(ctx, a, 0, "$%s does not hold pages (it holds %s)", a->argv[0].text,
				 v->kind == V_INT ? "a number" : "text");
		return NULL;
	}
	const char *why = pageset_unusable(ctx, v->ps);
	if (why) {
		*ret = ctx_error(ctx, a, 0, "$%s: %s", a->argv[0].text, why);
		return NULL;
	}
	return v->ps;
}

static int free_pages_run(struct kmm_ctx *ctx, const struct args *a)
{
	int ret;
	struct pageset *ps = var_pageset(ctx, a, &ret);

	if (ret)
		return ret;
	if (!ps || !ps->nr)
		return VERB_OK;	/* free_pages(0, order) is a no-op in Linux too */
	if (ps->freed)
		return ctx_error(ctx, a, 0, "$%s was already freed (double free)", a->argv[0].text);
	for (unsigned long i = 0; i < ps->nr; i++)
		__free_pages(ps->pages[i], ps->order);
	ps->freed = true;
	if (ctx_interactive(ctx))
		ctx_printf(ctx, "freed %lu block%s of order %u\n", ps->nr, ps->nr == 1 ? "" : "s",
			   ps->order);
	return VERB_OK;
}

/* ---- page ---- */

static const struct out_field page_fields[] = {
	{ "block", "index of the block in the variable, from 0" },
	{ "pfn", "first page frame number of the block" },
	{ "order", "the block has 2^order pages" },
	{ "phys", "physical address (\"0x...\")" },
	{ "node", "NUMA node id" },
	{ "zone", "zone name" },
	{ "virt", "kernel virtual address (\"0x...\"), or null for HighMem not kmapped" },
	{ NULL, NULL },
};

static int page_check(struct verb_check *vc, const struct args *a)
{
	int n = format_tail(vc, a);

	if (n < 0)
		return VERB_ERROR;
	if (n == 2 && a->argc == 2)
		return VERB_OK;	/* page NAME ADDR: checked when it runs */
	if (n != 1 || !a->argv[0].is_var || strchr(a->argv[0].text, '.'))
		return verb_check_error(vc, a, n ? 0 : -1, "page takes a variable set by "
					"alloc_pages, like page $p [--format json|csv]");
	return VERB_OK;
}

static int page_run(struct kmm_ctx *ctx, const struct args *a)
{
	int ret;

	if (a->argc == 2)
		return pressure_page_run(ctx, a);
	struct pageset *ps = var_pageset(ctx, a, &ret);
	struct kmm_machine *m = ctx_machine_if_booted(ctx);
	enum out_format fmt = format_of(a);

	if (ret)
		return ret;
	if (fmt != FMT_TEXT) {
		struct records r;
		rec_begin(&r, ctx, fmt, page_fields);
		for (unsigned long i = 0; ps && i < ps->nr; i++) {
			const struct page *p = ps->pages[i];
			unsigned long pfn = page_to_pfn(p);
			rec_uint(&r, i);
			rec_uint(&r, pfn);
			rec_uint(&r, ps->order);
			rec_addr(&r, PFN_PHYS(pfn));
			rec_int(&r, page_to_nid(p));
			rec_str(&r, page_zone_name(p));
			if (m && !pfn_is_highmem(m, pfn))
				rec_addr(&r, m->layout.page_offset + PFN_PHYS(pfn));
			else
				rec_str(&r, NULL);
		}
		rec_end(&r);
		return VERB_OK;
	}
	if (!ps || !ps->nr) {
		ctx_printf(ctx, "$%s = NULL (the allocation failed)\n", a->argv[0].text);
		return VERB_OK;
	}
	char gfp[256];
	kmm_gfp_format(gfp, sizeof(gfp), ps->gfp);
	ctx_printf(ctx, "$%s: %lu block%s of order %u (%lu pages), gfp=%s%s\n", a->argv[0].text,
		   ps->nr, ps->nr == 1 ? "" : "s", ps->order, ps->nr << ps->order, gfp,
		   ps->freed ? ", freed" : "");
	for (unsigned long i = 0; i < ps->nr && i < 8; i++) {
		const struct page *p = ps->pages[i];
		unsigned long pfn = page_to_pfn(p);
		uint64_t phys = PFN_PHYS(pfn);
		ctx_printf(ctx, "  pfn 0x%08lx-0x%08lx  phys 0x%09llx  node %d  zone %-8s", pfn,
			   pfn + (1UL << ps->order) - 1, (unsigned long long)phys, page_to_nid(p),
			   page_zone_name(p));
		if (m && !pfn_is_highmem(m, pfn))
			ctx_printf(ctx, "  virt 0x%llx\n",
				   (unsigned long long)(m->layout.page_offset + phys));
		else
			ctx_printf(ctx, "  highmem: no kernel address until kmapped\n");
	}
	if (ps->nr > 8)
		ctx_printf(ctx, "  ... %lu more\n", ps->nr - 8);
	return VERB_OK;
}

/* ---- drain ---- */

/* drain_all_pages(): every CPU's per-CPU lists back to the buddy allocator. */
static int drain_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	unsigned long before;

	if (!m)
		return VERB_ERROR;
	before = kmm_nr_free_pages(m);
	drain_all_pages(m, NULL);
	ctx_printf(ctx, "drain: %lu pages back from the per-CPU lists to the buddy free lists\n",
		   kmm_nr_free_pages(m) - before);
	return VERB_OK;
}

/* ---- zones ---- */

static const struct out_field zones_fields[] = {
	{ "node", "NUMA node id" },
	{ "zone", "zone name: DMA, DMA32, Normal, HighMem or Movable" },
	{ "start_pfn", "first page frame number" },
	{ "end_pfn", "one past the last page frame number" },
	{ "present", "pages of RAM in the span" },
	{ "managed", "pages the buddy allocator owns (present minus what boot kept)" },
	{ "free", "free pages (NR_FREE_PAGES)" },
	{ "min", "min watermark, pages" },
	{ "low", "low watermark, pages" },
	{ "high", "high watermark, pages" },
	{ NULL, NULL },
};

static int zones_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	enum out_format fmt = format_of(a);
	struct records r;

	if (!m)
		return VERB_ERROR;
	if (fmt == FMT_TEXT)
		ctx_printf(ctx, "node zone     start_pfn    end_pfn       present   managed      free"
			   "      min      low     high\n");
	else
		rec_begin(&r, ctx, fmt, zones_fields);
	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &m->node_data[n]->node_zones[z];
			if (!populated_zone(zone))
				continue;
			if (fmt == FMT_TEXT) {
				ctx_printf(ctx, "%4d %-8s 0x%08lx 0x%08lx %9lu %9lu %9lu %8lu %8lu "
					   "%8lu\n", n, zone_names[z], zone->zone_start_pfn,
					   zone_end_pfn(zone), zone->present_pages,
					   zone_managed_pages(zone), zone_page_state(zone, NR_FREE_PAGES),
					   min_wmark_pages(zone), low_wmark_pages(zone),
					   high_wmark_pages(zone));
				continue;
			}
			rec_int(&r, n);
			rec_str(&r, zone_names[z]);
			rec_uint(&r, zone->zone_start_pfn);
			rec_uint(&r, zone_end_pfn(zone));
			rec_uint(&r, zone->present_pages);
			rec_uint(&r, zone_managed_pages(zone));
			rec_uint(&r, zone_page_state(zone, NR_FREE_PAGES));
			rec_uint(&r, min_wmark_pages(zone));
			rec_uint(&r, low_wmark_pages(zone));
			rec_uint(&r, high_wmark_pages(zone));
		}
	}
	if (fmt != FMT_TEXT)
		rec_end(&r);
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "alloc_pages", "alloc_pages [order=N] [gfp=FLAGS] [node=N] [count=N|$n|max] [-> $p]",
	  "allocate 2^order contiguous pages (NULL if the allocator says no)",
	  "  alloc_pages order=9 -> $p                  512 pages, GFP_KERNEL\n"
	  "  alloc_pages gfp=GFP_DMA -> $d              from ZONE_DMA only\n"
	  "  alloc_pages gfp=GFP_HIGHUSER -> $h         HighMem first, then lower zones\n"
	  "  alloc_pages gfp=GFP_ATOMIC|__GFP_ZERO -> $a  may dip below the min watermark\n"
	  "  alloc_pages count=max gfp=GFP_KERNEL|__GFP_NOWARN -> $all   until it fails\n"
	  "Defaults: order=0 gfp=GFP_KERNEL, any node, count=1. FLAGS are Linux's names\n"
	  "joined with '|' (GFP_KERNEL, GFP_ATOMIC, GFP_USER, GFP_HIGHUSER_MOVABLE, GFP_DMA,\n"
	  "GFP_DMA32, GFP_NOWAIT, __GFP_ZERO, __GFP_HIGH, __GFP_NOWARN, __GFP_MEMALLOC, ...)\n"
	  "or a number. A failed allocation gives NULL (test with expect $p == NULL) and,\n"
	  "unless __GFP_NOWARN, Linux's \"page allocation failure\" report in dmesg.\n"
	  "Fields: $p.pfn $p.phys $p.order $p.pages $p.zone $p.node $p.count $p.freed\n",
	  VERB_RESULT | VERB_ACK, alloc_check, alloc_run },
	{ "free_pages", "free_pages $p", "give back the blocks an alloc_pages returned",
	  "Frees every block in $p with the order it was allocated with. Freeing NULL does\n"
	  "nothing (as free_pages(0, order) in Linux); freeing twice is an error.\n"
	  "Blocks of order 0 to 3 go first to this CPU's per-CPU list (pcp), as in Linux,\n"
	  "not to the buddy free lists: /proc/buddyinfo does not show them merging back\n"
	  "until the list is drained (when it passes its high mark, or with `drain`).\n",
	  VERB_ACK, var_arg_check, free_pages_run },
	{ "page", "page $p [--format json|csv] | page NAME ADDR",
	  "describe the blocks in $p, or where a process's page is: LRU list or swap",
	  "page $p: each block's pfn, physical and virtual address and zone.\n"
	  "page NAME ADDR: the page at ADDR of process NAME - its pfn, which LRU list it is on\n"
	  "and its flags, or the swap area and slot it was written to.\n",
	  0, page_check, page_run },
	{ "drain", "drain", "return the per-CPU page lists to the buddy allocator (drain_all_pages)",
	  "Linux's drain_all_pages(): every CPU's pcp lists are freed into the buddy free\n"
	  "lists, where they merge with their free buddies. Prints how many pages moved.\n"
	  "  alloc_pages -> $p; free_pages $p; drain; cat /proc/buddyinfo\n",
	  VERB_ACK, format_only_check, drain_run },
	{ "zones", "zones [--format json|csv]",
	  "one line per populated zone: pfn range, pages, free, watermarks",
	  "Columns: node, zone, start_pfn, end_pfn (exclusive), present pages, managed pages\n"
	  "(present minus what boot reserved), free pages, and the min/low/high watermarks.\n",
	  0, format_only_check, zones_run },
};

/* ---- zone.NAME[@NODE].FIELD ---- */

static const char *const zone_fields[] = {
	"free", "min", "low", "high", "promo", "boost", "managed", "present", "spanned",
	"start_pfn", "end_pfn", "pcp", "lazy", "reserve",
};

struct zone_ref {
	int type;
	int nid;
	const char *field;
	int order;	/* field "orderN": free blocks of order N */
	int reserve;	/* field "reserve.ZONE": lowmem_reserve[] */
};

static int zone_type_by_name(const char *s, size_t n)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (strlen(zone_names[z]) == n && !strncmp(zone_names[z], s, n))
			return z;
	return -1;
}

static int zone_ref_parse(const char *name, struct zone_ref *r, char *err, size_t errlen)
{
	const char *p = name + 5;	/* after "zone." */
	size_t n = strcspn(p, ".@");

	memset(r, 0, sizeof(*r));
	r->order = -1;
	r->reserve = -1;
	r->type = zone_type_by_name(p, n);
	if (r->type < 0) {
		char typed[48], hint[96];
		snprintf(typed, sizeof(typed), "%.*s", (int)KMM_MIN(n, 40), p);
		snprintf(err, errlen, "unknown zone '%s' (%szones: DMA DMA32 Normal HighMem Movable)",
			 typed, word_hint(typed, "DMA DMA32 Normal HighMem Movable", hint,
					  sizeof(hint)));
		return -1;
	}
	p += n;
	if (*p == '@') {
		long long nid;
		char num[16];
		size_t k = strcspn(p + 1, ".");
		snprintf(num, sizeof(num), "%.*s", (int)KMM_MIN(k, 15), p + 1);
		if (parse_long(num, &nid) || nid < 0 || nid >= MAX_NUMNODES) {
			snprintf(err, errlen, "bad node in zone.NAME@NODE.FIELD");
			return -1;
		}
		r->nid = (int)nid;
		p += 1 + k;
	}
	if (*p != '.' || !p[1]) {
		snprintf(err, errlen, "write zone.NAME.FIELD, e.g. zone.Normal.free");
		return -1;
	}
	r->field = p + 1;
	if (!strncmp(r->field, "order", 5) && r->field[5]) {
		long long o;
		if (parse_long(r->field + 5, &o) || o < 0 || o > MAX_PAGE_ORDER) {
			snprintf(err, errlen, "orderN: N must be 0..%d", MAX_PAGE_ORDER);
			return -1;
		}
		r->order = (int)o;
		return 0;
	}
	if (!strncmp(r->field, "reserve.", 8)) {
		r->reserve = zone_type_by_name(r->field + 8, strlen(r->field + 8));
		if (r->reserve < 0) {
			snprintf(err, errlen, "reserve.ZONE: unknown zone '%s'", r->field + 8);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(zone_fields); i++)
		if (strcmp(zone_fields[i], "reserve") && !strcmp(zone_fields[i], r->field))
			return 0;
	static const char fields[] = "free min low high promo boost managed present spanned "
		"start_pfn end_pfn pcp lazy orderN reserve.ZONE";
	char hint[96];
	snprintf(err, errlen, "unknown zone field '%s' (%s%s)", r->field,
		 word_hint(r->field, fields, hint, sizeof(hint)), fields);
	return -1;
}

static int zone_term_check(const char *name, char *err, size_t errlen)
{
	struct zone_ref r;

	return zone_ref_parse(name, &r, err, errlen);
}

static int zone_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct zone_ref r;
	char err[256];

	if (!m)
		return VERB_ERROR;
	if (zone_ref_parse(name, &r, err, sizeof(err)))
		return ctx_value_error(ctx, "%s", err);
	if (r.nid >= m->nr_node_ids)
		return ctx_value_error(ctx, "node %d does not exist on this machine", r.nid);
	const struct zone *z = &m->node_data[r.nid]->node_zones[r.type];
	long long v = 0;

	if (r.order >= 0)
		v = (long long)z->free_area[r.order].nr_free;
	else if (r.reserve >= 0)
		v = z->lowmem_reserve[r.reserve];
	else if (!strcmp(r.field, "free"))
		v = (long long)zone_page_state(z, NR_FREE_PAGES);
	else if (!strcmp(r.field, "min"))
		v = (long long)min_wmark_pages(z);
	else if (!strcmp(r.field, "low"))
		v = (long long)low_wmark_pages(z);
	else if (!strcmp(r.field, "high"))
		v = (long long)high_wmark_pages(z);
	else if (!strcmp(r.field, "promo"))
		v = (long long)wmark_pages(z, WMARK_PROMO);
	else if (!strcmp(r.field, "boost"))
		v = (long long)z->watermark_boost;
	else if (!strcmp(r.field, "managed"))
		v = (long long)zone_managed_pages(z);
	else if (!strcmp(r.field, "present"))
		v = (long long)z->present_pages;
	else if (!strcmp(r.field, "spanned"))
		v = (long long)z->spanned_pages;
	else if (!strcmp(r.field, "start_pfn"))
		v = (long long)z->zone_start_pfn;
	else if (!strcmp(r.field, "end_pfn"))
		v = (long long)zone_end_pfn(z);
	else if (!strcmp(r.field, "lazy"))
		v = (long long)z->nr_lazy_free;
	else if (!strcmp(r.field, "pcp")) {
		if (z->per_cpu_pageset)
			for (int c = 0; c < m->nr_cpus; c++)
				if (cpu_populated(&m->percpu, c))	/* the others hold none */
					v += per_cpu_ptr(z->per_cpu_pageset, c)->count;
	}
	value_set_int(out, v);
	return VERB_OK;
}

static const struct term terms[] = {
	{ "zone.", "zone.NAME[@NODE].FIELD", "a zone's numbers (node 0 unless @NODE): free min "
	  "low high promo boost managed present spanned start_pfn end_pfn pcp lazy, orderN (free "
	  "blocks of order N, as buddyinfo), reserve.ZONE (lowmem_reserve)", zone_term_check,
	  zone_term_eval },
};

static const struct verb_format formats[] = {
	{ "zones", zones_fields },
	{ "page", page_fields },
	{ NULL, NULL },
};

const struct verb_table page_verbs = {
	.layer = "the page allocator",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.formats = formats,
	.intro =
		"The buddy allocator: alloc_pages takes 2^order contiguous frames with Linux's GFP "
		"flags and keeps them in a variable, page describes them, free_pages gives them back, "
		"zones prints each zone's size, free pages and watermarks. Its values read any zone's "
		"numbers, down to one column of /proc/buddyinfo.",
	.example =
		"boot mem=1G arch=i386\n"
		"alloc_pages order=3 gfp=GFP_HIGHUSER -> $p\n"
		"page $p\n"
		"expect $p.zone == \"HighMem\" && $p.pages == 8\n"
		"zones\n"
		"free_pages $p\n",
};
