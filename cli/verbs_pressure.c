// SPDX-License-Identifier: MIT
/*
 * cli/verbs_pressure.c - the pressure layer's verbs and values: mkswap,
 * swapon, swapoff, kswapd, lru, the `page NAME ADDR` form of page, the
 * report kswapd prints after a command that woke it, and swap.* / lru.* /
 * kswapd.* in expressions.
 *
 * Linux counterpart: util-linux's mkswap, swapon and swapoff; the rest has
 * none (Linux shows its LRU lists only as counters, and kswapd runs
 * unseen); the pictures are what a learner draws on paper.
 *
 * Determinism: kswapd runs (kswapd=step) after the command that woke it
 * and on the kswapd verb, and its report names pages, counts and
 * watermarks only - never a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "include/kmm/process.h"
#include "include/kmm/swap.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmstat.h"

/* ---- Helpers ---- */

static int arg_path(struct verb_check *vc, const struct args *a, int i)
{
	const char *p = a->argv[i].text;

	if (a->argv[i].is_var || p[0] != '/')
		return verb_check_error(vc, a, i, "%s takes an absolute path like /swapfile",
					a->verb->name);
	return VERB_OK;
}

static void print_size_human(struct kmm_ctx *ctx, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	uint64_t scale = 1;

	while (u < 4 && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	/* one decimal, rounded; a whole number prints without it (util-linux) */
	uint64_t tenths = (bytes * 10 + scale / 2) / scale;
	if (tenths % 10)
		ctx_printf(ctx, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10, units[u]);
	else
		ctx_printf(ctx, "%" PRIu64 " %s", tenths / 10, units[u]);
}

/* ---- mkswap, swapon, swapoff ---- */

static int mkswap_check(struct verb_check *vc, const struct args *a)
{
	uint64_t size;

	if (a->argc != 2)
		return verb_check_error(vc, a, a->argc > 2 ? 2 : -1, "mkswap takes PATH SIZE, e.g. "
					"mkswap /swapfile 256M");
	if (arg_path(vc, a, 0))
		return VERB_ERROR;
	if (!a->argv[1].is_var && kmm_parse_size(a->argv[1].text, &size, NULL))
		return verb_check_error(vc, a, 1, "'%s' is not a size (e.g. 64M)", a->argv[1].text);
	return VERB_OK;
}

static int mkswap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t size;
	long pages;

	if (!m)
		return VERB_ERROR;
	if (arg_u64(ctx, a, 1, &size, true))
		return VERB_ERROR;
	pages = kmm_mkswap(m, a->argv[0].text, size);
	if (pages < 0)
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	ctx_printf(ctx, "Setting up swapspace version 1, size = ");
	print_size_human(ctx, (uint64_t)pages << PAGE_SHIFT);
	ctx_printf(ctx, " (%" PRIu64 " bytes)\nno label, UUID=", (uint64_t)pages << PAGE_SHIFT);
	/* the UUID mkswap wrote into the header: read back from the host file */
	char uuid[40];
	mkswap_uuid(a->argv[0].text, uuid, sizeof(uuid));
	ctx_printf(ctx, "%s\n", uuid);
	return VERB_OK;
}

static int swapon_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc == 0)
		return VERB_OK;
	if (a->argc == 1 && !strcmp(a->argv[0].text, "-s"))
		return VERB_OK;
	if (a->argc > 2)
		return verb_check_error(vc, a, 2, "swapon takes PATH [prio=N]");
	if (arg_path(vc, a, 0))
		return VERB_ERROR;
	if (a->argc == 2) {
		const char *key, *val;
		size_t kl;
		long long prio;
		if (!arg_kv(&a->argv[1], &key, &kl, &val) || kl != 4 || strncmp(key, "prio", 4))
			return verb_check_error(vc, a, 1, "swapon takes prio=N (0..32767), not '%s'",
						a->argv[1].text);
		if (val[0] != '$' && (parse_long(val, &prio) || prio < 0 || prio > 32767))
			return verb_check_error(vc, a, 1, "prio must be 0..32767, not '%s'", val);
	}
	return VERB_OK;
}

static int show_swaps(struct kmm_ctx *ctx, struct kmm_machine *m)
{
	char *text = NULL;

	if (kmm_proc_read(m, "/proc/swaps", &text))
		return VERB_ERROR;
	ctx_printf(ctx, "%s", text);
	free(text);
	return VERB_OK;
}

static int swapon_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	int prio = KMM_SWAP_PRIO_DEFAULT;

	if (!m)
		return VERB_ERROR;
	if (a->argc == 0 || !strcmp(a->argv[0].text, "-s"))
		return show_swaps(ctx, m);
	if (a->argc == 2) {
		const char *key, *val;
		size_t kl;
		long long v;
		arg_kv(&a->argv[1], &key, &kl, &val);
		if (val[0] == '$') {
			const struct value *x = ctx_var(ctx, val + 1);
			if (!x || x->kind != V_INT)
				return ctx_error(ctx, a, 1, "%s does not hold a number", val);
			v = x->i;
		} else {
			parse_long(val, &v);
		}
		if (v < 0 || v > 32767)
			return ctx_error(ctx, a, 1, "prio must be 0..32767, not %lld", v);
		prio = (int)v;
	}
	if (kmm_swapon(m, a->argv[0].text, prio))
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	return VERB_OK;
}

static int swapoff_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1)
		return verb_check_error(vc, a, a->argc ? 1 : -1, "swapoff takes PATH or -a");
	if (!strcmp(a->argv[0].text, "-a"))
		return VERB_OK;
	return arg_path(vc, a, 0);
}

static int swapoff_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char path[256];

	if (!m || !pressure_up(m))
		return m ? ctx_error(ctx, a, -1, "this machine has no swap") : VERB_ERROR;
	if (strcmp(a->argv[0].text, "-a")) {
		if (kmm_swapoff(m, a->argv[0].text))
			return ctx_error(ctx, a, 0, "%s", kmm_last_error());
		return VERB_OK;
	}
	while (swap_first_active_area(m, path, sizeof(path)))
		if (kmm_swapoff(m, path))
			return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	return VERB_OK;
}

/* ---- kswapd ---- */

static void print_report(struct kmm_ctx *ctx, struct kmm_machine *m, int nid,
			 const struct kswapd_report *r)
{
	pg_data_t *pgdat = m->node_data[nid];

	if (r->waker_zone)
		ctx_printf(ctx, "kswapd%d: woken by an order-%d allocation: %s free %lu <= low %lu%s\n",
			   nid, r->order, r->waker_zone, r->waker_free, r->waker_low,
			   r->waker_boosted ? " (boosted)" : "");
	else
		ctx_printf(ctx, "kswapd%d: run by hand for zones up to %s\n", nid,
			   zone_names[r->highest_zoneidx]);
	ctx_printf(ctx, "kswapd%d: scanned %lu, reclaimed %lu pages in %d pass%s", nid, r->nr_scanned,
		   r->nr_reclaimed, r->passes, r->passes == 1 ? "" : "es");
	if (r->rounds > 1)
		ctx_printf(ctx, " over %d runs", r->rounds);
	if (r->passes)
		ctx_printf(ctx, " (priority %d..%d)", DEF_PRIORITY, r->end_priority);
	if (r->boost_reset)
		ctx_printf(ctx, "; watermark boost of %lu pages reset", r->boosted);
	ctx_printf(ctx, "\n");
	for (int z = 0; z <= (int)r->highest_zoneidx; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		if (!managed_zone(zone))
			continue;
		unsigned long free = zone_page_state(zone, NR_FREE_PAGES);
		unsigned long reserve = (unsigned long)zone->lowmem_reserve[r->highest_zoneidx];
		ctx_printf(ctx, "kswapd%d:   %-8s free %lu %s high %lu", nid, zone->name, free,
			   free > high_wmark_pages(zone) + reserve ? ">" : "<=", high_wmark_pages(zone));
		if (reserve)
			ctx_printf(ctx, " + protection %lu", reserve);
		ctx_printf(ctx, "\n");
	}
	if (r->balanced)
		ctx_printf(ctx, "kswapd%d: balanced, sleeping\n", nid);
	else if (r->hopeless)
		ctx_printf(ctx, "kswapd%d: nothing left to reclaim after %d runs: node unreclaimable, "
			   "left to direct reclaim\n", nid, r->kswapd_failures);
	else
		ctx_printf(ctx, "kswapd%d: not balanced (%d fruitless run%s), sleeping until woken\n", nid,
			   r->kswapd_failures, r->kswapd_failures == 1 ? "" : "s");
}

static void print_new_reports(struct kmm_ctx *ctx, struct kmm_machine *m)
{
	struct kswapd_report r;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (kswapd_take_report(m, nid, &r))
			print_report(ctx, m, nid, &r);
}

void pressure_after_command(struct kmm_ctx *ctx)
{
	struct kmm_machine *m = ctx_machine_if_booted(ctx);

	if (!m || !pressure_up(m) || atomic_load(&m->halted) || !kmm_kswapd_run_pending(m))
		return;
	print_new_reports(ctx, m);
}

static int node_arg(struct kmm_ctx *ctx, const struct args *a, struct kmm_machine *m, int *nid)
{
	*nid = 0;
	if (!a->argc)
		return 0;
	const char *key, *val;
	size_t kl;
	long long v;
	if (!arg_kv(&a->argv[0], &key, &kl, &val) || kl != 4 || strncmp(key, "node", 4) ||
	    parse_long(val, &v))
		return ctx_error(ctx, a, 0, "%s takes node=N", a->verb->name);
	if (v < 0 || v >= m->nr_node_ids || !m->node_data[v])
		return ctx_error(ctx, a, 0, "no node %lld (this machine has %d)", v, m->nr_node_ids);
	*nid = (int)v;
	return 0;
}

static int node_check(struct verb_check *vc, const struct args *a)
{
	const char *key, *val;
	size_t kl;
	long long v;

	if (a->argc > 1)
		return verb_check_error(vc, a, 1, "%s takes at most node=N", a->verb->name);
	if (a->argc == 1 && (!arg_kv(&a->argv[0], &key, &kl, &val) || kl != 4 ||
			     strncmp(key, "node", 4) || parse_long(val, &v) || v < 0))
		return verb_check_error(vc, a, 0, "%s takes node=N, not '%s'", a->verb->name,
					a->argv[0].text);
	return VERB_OK;
}

/* The machine and node=N of kswapd and lru. Return: the machine, or NULL (error reported). */
static struct kmm_machine *node_verb_machine(struct kmm_ctx *ctx, const struct args *a, int *nid)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return NULL;
	if (!pressure_up(m)) {
		ctx_error(ctx, a, -1, "this machine has no pressure layer");
		return NULL;
	}
	return node_arg(ctx, a, m, nid) ? NULL : m;
}

static int kswapd_run_verb(struct kmm_ctx *ctx, const struct args *a)
{
	int nid;
	struct kmm_machine *m = node_verb_machine(ctx, a, &nid);

	if (!m)
		return VERB_ERROR;
	if (kswapd_thread_mode(m))
		return ctx_error(ctx, a, -1, "kswapd runs on its own host thread (kswapd=thread)");
	if (kmm_kswapd_run(m, nid) < 0)
		return ctx_error(ctx, a, -1, "%s", kmm_last_error());
	print_new_reports(ctx, m);
	return VERB_OK;
}

/* ---- lru: the lists drawn ---- */

struct owner_ctx {
	struct kmm_machine *m;
	struct mm_struct *mm;
	unsigned long addr;
};

static bool first_mapping(struct page *page, struct vm_area_struct *vma, unsigned long addr,
			  void *ptep, void *arg)
{
	struct owner_ctx *o = arg;

	o->mm = vma->vm_mm;
	o->addr = addr;
	return false;
}

struct mm_task {
	struct mm_struct *mm;
	struct task_struct *t;
};

static int match_mm(struct task_struct *t, void *arg)
{
	struct mm_task *x = arg;

	if (t->mm == x->mm) {
		x->t = t;
		return 1;
	}
	return 0;
}

/* Who holds @page: "A 0x7f0000001000", "/bin/A page 3", "/swapfile slot 5", or "-". */
static void describe_owner(struct kmm_machine *m, struct page *page, char *buf, size_t len)
{
	struct owner_ctx o = { m, NULL, 0 };

	if (page_mapcount(page) > 0)
		rmap_walk(page, first_mapping, &o);
	if (o.mm) {
		struct mm_task x = { o.mm, NULL };
		kmm_for_each_task(m, match_mm, &x);
		snprintf(buf, len, "%s 0x%lx%s", x.t ? kmm_task_comm(x.t) : "?", o.addr,
			 page_mapcount(page) > 1 ? " (+shared)" : "");
	} else if (PageSwapCache(page)) {
		swp_entry_t e = page_swap_entry(page);
		char path[256];
		swap_entry_path(m, e, path, sizeof(path));
		snprintf(buf, len, "swap cache %s slot %lu", path, swp_offset(e));
	} else if (!PageAnon(page) && page->mapping) {
		struct kmm_file *f = page->mapping;
		snprintf(buf, len, "%s page %lu", f->path, page->index);
	} else {
		snprintf(buf, len, "-");
	}
}

#define LRU_SHOW 6	/* pages drawn from each end of a list */

static int lru_run(struct kmm_ctx *ctx, const struct args *a)
{
	int nid;
	struct kmm_machine *m = node_verb_machine(ctx, a, &nid);

	if (!m)
		return VERB_ERROR;
	lru_add_drain_all(m);
	int token = procs_enter(m);	/* rmap walks below (describe_owner) */
	ctx_printf(ctx, "node %d LRU lists: new pages enter at the head, reclaim takes from the "
		   "tail\n", nid);
	ctx_printf(ctx, "(flags: R referenced, D dirty, S in swap cache, W workingset, L mlocked)\n");
	for (int lru = 0; lru < NR_LRU_LISTS; lru++) {
		struct page *head[LRU_SHOW], *tail[LRU_SHOW];
		unsigned long nh, nt;
		unsigned long n = lru_list_peek(m, nid, (enum lru_list)lru, head, &nh, tail, &nt,
						LRU_SHOW);

		ctx_printf(ctx, "%-14s %6lu page%s\n", lru_list_names[lru], n, n == 1 ? "" : "s");
		for (unsigned long i = 0; i < nh + nt; i++) {
			struct page *page = i < nh ? head[i] : tail[nt - 1 - (i - nh)];
			char owner[320], fl[8];
			if (i == nh && n > nh + nt)
				ctx_printf(ctx, "    ... %lu more ...\n", n - nh - nt);
			describe_owner(m, page, owner, sizeof(owner));
			lru_page_flags(page, fl);
			ctx_printf(ctx, "  %s pfn 0x%05lx %-8s %-4s %s\n",
				   i == 0 ? "head" : i == nh + nt - 1 ? "tail" : "    ",
				   page_to_pfn(page), zone_names[page_zonenum(page)], fl, owner);
		}
	}
	procs_exit(m, token);
	return VERB_OK;
}

/* ---- page NAME ADDR (called by the page verb in cli/verbs_page.c) ---- */

int pressure_page_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct task_struct *t;
	struct page_view v;
	uint64_t addr;

	if (!m)
		return VERB_ERROR;
	t = cli_find_task(m, a->argv[0].text);
	if (!t)
		return ctx_error(ctx, a, 0, "no process named '%s'", a->argv[0].text);
	if (!kmm_task_alive(t))
		return ctx_error(ctx, a, 0, "process '%s' is dead", a->argv[0].text);
	if (arg_u64(ctx, a, 1, &addr, false))
		return VERB_ERROR;
	if (page_view_of(t, (unsigned long)addr, &v))
		return ctx_error(ctx, a, 0, "process '%s' has no memory", a->argv[0].text);
	ctx_printf(ctx, "%s 0x%lx: ", kmm_task_comm(t), v.va);
	switch (v.where) {
	case PAGE_WHERE_UNMAPPED:
		ctx_printf(ctx, "not mapped\n");
		break;
	case PAGE_WHERE_NONE:
		ctx_printf(ctx, "no page yet (the first touch faults one in)\n");
		break;
	case PAGE_WHERE_SWAPPED:
		ctx_printf(ctx, "swapped out: %s slot %lu (type %u), held by %d PTE%s; ", v.swap_path,
			   v.swap_slot, v.swap_type, v.swap_count, v.swap_count == 1 ? "" : "s");
		if (v.in_swap_cache)
			ctx_printf(ctx, "its page is still in the swap cache (pfn 0x%05lx, %s list)\n",
				   v.pfn, v.lru >= 0 ? lru_list_names[v.lru] : "no");
		else
			ctx_printf(ctx, "the next touch reads it back (a major fault)\n");
		break;
	case PAGE_WHERE_POISONED:
		ctx_printf(ctx, "poisoned: swapoff could not read it back; the next touch is SIGBUS\n");
		break;
	case PAGE_WHERE_ZERO:
		ctx_printf(ctx, "the shared zero page (never on an LRU list)\n");
		break;
	case PAGE_WHERE_PRESENT:
		ctx_printf(ctx, "pfn 0x%05lx %s, ", v.pfn, v.zone);
		if (v.lru >= 0)
			ctx_printf(ctx, "on the %s list", lru_list_names[v.lru]);
		else if (v.lru == -2)
			ctx_printf(ctx, "in a per-CPU LRU add batch (not on a list yet)");
		else
			ctx_printf(ctx, "on no LRU list");
		ctx_printf(ctx, ", flags %s, PTE %s%s, mapcount %d", v.flags, v.young ? "young" : "old",
			   v.dirty ? " dirty" : "", v.mapcount);
		if (v.has_swap)
			ctx_printf(ctx, ", swap copy in %s slot %lu", v.swap_path, v.swap_slot);
		ctx_printf(ctx, "\n");
		break;
	}
	return VERB_OK;
}

/* ---- Values ---- */

static int pressure_term_check(const char *name, char *err, size_t errlen)
{
	static const char *const names[] = {
		"swap.total", "swap.free", "swap.used", "swap.cached",
		"lru.inactive_anon", "lru.active_anon", "lru.inactive_file", "lru.active_file",
		"lru.unevictable", "kswapd.runs", "kswapd.reclaimed", "kswapd.woken",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return 0;
	snprintf(err, errlen, "unknown value '%s' (swap.total|free|used|cached, lru.LIST, "
		 "kswapd.runs|reclaimed|woken)", name);
	return -1;
}

static int pressure_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	long long v = 0;

	if (!m)
		return VERB_ERROR;
	if (!pressure_up(m))
		return ctx_value_error(ctx, "%s: this machine has no pressure layer", name);
	if (!strncmp(name, "swap.", 5)) {
		const char *f = name + 5;
		long total = (long)total_swap_pages(m), free = get_nr_swap_pages(m);
		v = !strcmp(f, "total") ? total : !strcmp(f, "free") ? free :
		    !strcmp(f, "used") ? total - free : (long)global_node_page_state(m, NR_SWAPCACHE);
	} else if (!strncmp(name, "lru.", 4)) {
		lru_add_drain_all(m);
		for (int l = 0; l < NR_LRU_LISTS; l++)
			if (!strcmp(name + 4, lru_list_names[l]))
				v = (long long)global_node_page_state(m, (enum node_stat_item)(NR_LRU_BASE + l));
	} else {
		const char *f = name + 7;
		struct kswapd_totals k;
		kswapd_totals(m, &k);
		v = (long long)(!strcmp(f, "runs") ? k.runs : !strcmp(f, "reclaimed") ? k.reclaimed
										: k.woken);
	}
	value_set_int(out, v);
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "mkswap", "mkswap PATH SIZE", "make a swap file of SIZE with a swap header",
	  "PATH is the name the machine shows (/proc/swaps, dmesg); the file itself lives in the\n"
	  "machine's swap directory on the host (swapdir= boot option, else a temporary one).\n"
	  "One page holds the header (\"SWAPSPACE2\"), so 256M gives 65535 usable pages.\n",
	  VERB_ACK, mkswap_check, mkswap_run },
	{ "swapon", "swapon [PATH [prio=N]] | swapon -s", "start swapping to PATH; alone, list the areas",
	  "Without prio= the areas get -2, -3, ... in order; the highest priority with room is\n"
	  "used first, equal priorities in turn. `swapon` alone prints /proc/swaps.\n",
	  0, swapon_check, swapon_run },
	{ "swapoff", "swapoff PATH | swapoff -a", "read every page of PATH back into RAM and stop",
	  "Its reads allocate as faults do: with RAM full the OOM killer may kill a process\n"
	  "(the one whose pages fill the area, as in Linux). Fails with ENOMEM (the area\n"
	  "stays on) when under vm.overcommit_memory=2 the commit charge would not fit\n"
	  "without the area; a failure names its error. A page whose slot cannot be read\n"
	  "gets a poisoned marker and swapoff goes on: its process gets SIGBUS only if it\n"
	  "touches that page.\n",
	  0, swapoff_check, swapoff_run },
	{ "kswapd", "kswapd [node=N]", "run a node's kswapd now and report what it did",
	  "A kswapd also runs by itself after any command whose allocations woke it (an\n"
	  "allocation that found every eligible zone at or below its low watermark); it\n"
	  "reclaims until a zone is above its high watermark and prints a report.\n",
	  0, node_check, kswapd_run_verb },
	{ "lru", "lru [node=N]", "draw a node's LRU lists: counts, and the pages at each end",
	  "Each page shows its pfn, zone, flags (R referenced, D dirty, S swap cache,\n"
	  "W workingset, L mlocked) and who holds it (process and address, file page, or\n"
	  "swap slot). Per-CPU add batches are drained first.\n",
	  0, node_check, lru_run },
};

static const struct term terms[] = {
	{ "swap.", "swap.total|free|used|cached", "swap pages: usable, free, in use, in the swap cache",
	  pressure_term_check, pressure_term_eval },
	{ "lru.", "lru.LIST", "pages on an LRU list, all nodes (inactive_anon, active_anon, "
	  "inactive_file, active_file, unevictable)", pressure_term_check, pressure_term_eval },
	{ "kswapd.", "kswapd.runs|reclaimed|woken", "kswapd runs and pages reclaimed so far, "
	  "and whether one is woken now", pressure_term_check, pressure_term_eval },
};

const struct verb_table pressure_verbs = {
	.layer = "memory pressure",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.intro =
		"Memory pressure: mkswap, swapon and swapoff manage swap areas (host files), "
		"kswapd runs a node's reclaim daemon (it also runs by itself after a command that "
		"woke it, and says what it did), lru draws the LRU lists, and `page NAME ADDR` "
		"tells where one page of a process is: on which list, or out in swap.",
	.example =
		"boot mem=64M arch=x86_64\n"
		"mkswap /swapfile 64M\n"
		"swapon /swapfile\n"
		"spawn A\n"
		"mmap A 40M rw private anon -> $a\n"
		"write A $a 40M 0x5a\n"
		"expect swap.used > 0\n"
		"page A $a\n"
		"read A $a 4\n"
		"lru\n"
		"munmap A $a 20M\n"
		"swapoff /swapfile\n"
		"expect swap.total == 0\n",
};
