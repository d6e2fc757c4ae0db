// SPDX-License-Identifier: MIT
/*
 * cli/verbs_report.c - pictures: `report FILE.html` writes the HTML report
 * of the run so far, `map` draws each zone's memory as a bar, `buddyinfo`
 * prints /proc/buddyinfo or, with --bars, draws it.
 *
 * Linux counterpart: none (cat /proc/buddyinfo, page-types -l, a plotting
 * tool). The drawing is in cli/report_term.c, the report in
 * cli/report_*.c; docs/report.md describes both.
 *
 * Locking: none (the runner is single-threaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "cli/scenario.h"
#include "cli/verbs.h"
#include "lib/util.h"

/* A width=N option within @lo..@hi at argument @i; 0 if @i is not one. */
static int width_arg(const struct word *w, long long *width, long long lo, long long hi)
{
	const char *key, *val;
	size_t klen;

	if (!arg_kv(w, &key, &klen, &val) || klen != 5 || strncmp(key, "width", 5))
		return 0;
	if (parse_long(val, width) || *width < lo || *width > hi)
		return -1;
	return 1;
}

/* ---- report ---- */

static int report_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1)
		return verb_check_error(vc, a, a->argc ? 1 : -1, "usage: report FILE.html");
	if (!a->argv[0].is_var && !a->argv[0].text[0])
		return verb_check_error(vc, a, 0, "report wants a file name");
	return 0;
}

static int report_run(struct kmm_ctx *ctx, const struct args *a)
{
	const char *path = a->argv[0].text;
	struct report *r = ctx_report(ctx), *tmp = NULL;
	char err[512];

	if (a->argv[0].is_var) {
		const struct value *v = ctx_var(ctx, path);
		if (!v || v->kind != V_STR)
			return ctx_error(ctx, a, 0, "$%s does not hold a file name", path);
		path = v->s;
	}
	if (!ctx_host_files(ctx))
		return ctx_error(ctx, a, 0, "%s: writing host files is not allowed here", path);
	if (!r)		/* nothing recorded: the machine as it is, without a timeline */
		r = tmp = report_new(REPORT_DEFAULT_POINTS);
	int ret = report_write(r, ctx_machine_if_booted(ctx), path, a->file, err, sizeof(err));
	report_free(tmp);
	if (ret)
		return ctx_error(ctx, a, 0, "report: %s", err);
	ctx_printf(ctx, "report: wrote %s%s\n", path, tmp ? " (the machine now; no history was "
		   "recorded: kmm run --report FILE or a script with `report` records one)" : "");
	return VERB_OK;
}

/* ---- map ---- */

static int map_check(struct verb_check *vc, const struct args *a)
{
	long long w;

	for (int i = 0; i < a->argc; i++)
		if (width_arg(&a->argv[i], &w, 8, 512) <= 0)
			return verb_check_error(vc, a, i, "map takes width=N (8..512 cells)");
	return 0;
}

static int map_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	long long width = 64;
	struct strbuf sb;

	if (!m)
		return VERB_ERROR;
	for (int i = 0; i < a->argc; i++)
		width_arg(&a->argv[i], &width, 8, 512);
	sb_init(&sb);
	sb_puts(&sb, "");
	if (report_map_text(m, (int)width, &sb)) {
		sb_free(&sb);
		return ctx_error(ctx, a, -1, "map: the machine's page frames cannot be read");
	}
	ctx_write(ctx, sb.buf, sb.len);
	sb_free(&sb);
	return VERB_OK;
}

/* ---- buddyinfo ---- */

static int buddyinfo_check(struct verb_check *vc, const struct args *a)
{
	long long w;
	bool bars = false;

	for (int i = 0; i < a->argc; i++) {
		const char *s = a->argv[i].text;
		if (!a->argv[i].is_var && !strcmp(s, "--bars"))
			bars = true;
		else if (!a->argv[i].is_var && !strcmp(s, "--pages"))
			continue;
		else if (width_arg(&a->argv[i], &w, 8, 256) <= 0)
			return verb_check_error(vc, a, i, "buddyinfo takes --bars, --pages and "
						"width=N (8..256)");
	}
	if (a->argc && !bars)
		return verb_check_error(vc, a, 0, "--pages and width= go with --bars");
	return 0;
}

static int buddyinfo_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	bool bars = false, pages = false;
	long long width = 40;

	if (!m)
		return VERB_ERROR;
	for (int i = 0; i < a->argc; i++) {
		if (!strcmp(a->argv[i].text, "--bars"))
			bars = true;
		else if (!strcmp(a->argv[i].text, "--pages"))
			pages = true;
		else
			width_arg(&a->argv[i], &width, 8, 256);
	}
	if (!bars) {
		char *text = NULL;
		if (kmm_proc_read(m, "/proc/buddyinfo", &text))
			return ctx_error(ctx, a, -1, "/proc/buddyinfo: %s", kmm_last_error());
		ctx_printf(ctx, "%s", text);
		free(text);
		return VERB_OK;
	}
	struct strbuf sb;
	sb_init(&sb);
	sb_puts(&sb, "");
	report_buddy_bars(m, (int)width, pages, &sb);
	ctx_write(ctx, sb.buf, sb.len);
	sb_free(&sb);
	return VERB_OK;
}

/* ---- The table ---- */

static const struct verb verbs[] = {
	{ "report", "report FILE.html",
	  "write the HTML report of the run so far: memory map, buddy lists, timeline, processes",
	  "One self-contained HTML file (nothing fetched from the network; it opens from disk\n"
	  "in any browser): each machine's physical memory map, pageblock by pageblock,\n"
	  "coloured by zone, migrate type, use or free order; buddyinfo per zone and per\n"
	  "order over time; a timeline of every command (free pages against the watermarks,\n"
	  "slab and page tables, RSS per process, faults, LRU, swap, kswapd and OOM events);\n"
	  "each process's address space and a page-table walk for any address; the slab\n"
	  "caches and the vmalloc area. `kmm run --report FILE` writes one at the end of a\n"
	  "run; docs/report.md tells how to read it.\n",
	  VERB_ACK | VERB_NO_MACHINE, report_check, report_run },
	{ "map", "map [width=N]",
	  "each zone's memory as a bar of N cells (64): how much of each part is in use",
	  "One line per populated zone, its span of physical memory cut into N equal cells;\n"
	  "a cell's height (▁ to █) is the share of its page frames in use (allocated,\n"
	  "slab, page tables, reserved...), blank when all are free, · where there is no RAM.\n",
	  0, map_check, map_run },
	{ "buddyinfo", "buddyinfo [--bars [--pages] [width=N]]",
	  "/proc/buddyinfo, or with --bars each zone's free blocks per order as bars",
	  "--bars draws one bar per order, as long as the number of free blocks of that\n"
	  "order against the zone's largest count (with --pages: free pages, so that one\n"
	  "order-10 block weighs 1024 order-0 ones), in eighths of a cell, N cells wide (40).\n",
	  0, buddyinfo_check, buddyinfo_run },
};

const struct verb_table report_verbs = {
	.layer = "pictures",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Pictures of the machine. In the terminal, map draws each zone along its "
		"physical addresses and buddyinfo --bars the free lists; report writes one HTML "
		"file with the memory map, the buddy lists, a timeline of every command run so "
		"far (kmm run --report FILE writes it at the end of a run, kmm shell --report "
		"FILE when the shell ends), the processes' address spaces and page tables, the "
		"slab caches and the vmalloc area (docs/report.md).",
	.example =
		"boot mem=256M arch=i386\n"
		"alloc_pages order=4 count=100 -> $p\n"
		"map width=32\n"
		"buddyinfo --bars width=20\n"
		"report /tmp/kmm-pictures.html\n",
};
