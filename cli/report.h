// SPDX-License-Identifier: MIT
/*
 * cli/report.h - the HTML report of a scenario: the recorder that samples
 * the machine after every command, the snapshot of a machine's state, the
 * writer of the self-contained HTML file, and the terminal pictures.
 *
 * Linux counterpart: none (what a person would assemble from /proc, vmstat
 * and a plotting tool). docs/report.md is the user's side.
 *
 * How the parts fit: the runner (cli/runner.c) calls report_sample() after
 * every command it runs and report_machine_end() before a boot replaces a
 * machine; `kmm run --report`, `kmm shell --report` and the `report` verb
 * call report_write(). Files:
 *   cli/report_sample.c  the recorder: counters per command, in columns
 *   cli/report_snap.c    a machine's state as JSON (memory map, zones,
 *                        processes, page tables, slab caches, vmalloc)
 *   cli/report_html.c    the HTML file: the template around the JSON
 *   cli/report_term.c    pictures in a terminal (`map`, `buddyinfo --bars`)
 *   cli/report/          the page's HTML, CSS and JavaScript, compiled in
 *   cli/verbs_report.c   the verbs
 *
 * Invariant: every series of a machine has one value per stored point; a
 * point stands for `stride` consecutive commands (1 until the machine has
 * more commands than the report keeps points; then pairs of points merge
 * and the stride doubles), the last of which it was sampled after.
 *
 * Locking: none; a recorder belongs to one runner (one thread).
 */
#ifndef KMM_CLI_REPORT_H
#define KMM_CLI_REPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

struct kmm_machine;
struct report;

/** The points a report keeps per machine unless told otherwise (--report-points). */
#define REPORT_DEFAULT_POINTS 4096
/** The most machines a report describes (later ones are counted, not drawn). */
#define REPORT_MAX_MACHINES 16

/** report_new() - a recorder keeping at most @max_points points per machine (0: no limit). */
struct report *report_new(size_t max_points);
void report_free(struct report *r);

/*
 * struct report_tick - the recorder's state for the machine being recorded
 * and the commands since its last stored point: the first member of struct
 * report, public only so that report_sample() can be inline. Between stored
 * points a command costs a few loads and stores (and one per populated zone
 * for the free-page minimum, unless the command could not touch the
 * machine); report_sample_slow() does the rest.
 */
struct report_tick_zone {
	const atomic_long *free;	/* the zone's NR_FREE_PAGES counter */
	long dip;			/* its lowest value since the last stored point (LONG_MAX: none) */
};

struct stmt;

struct report_tick {
	struct kmm_machine *m;	/* the machine recorded now; NULL: none (the slow path starts one) */
	int64_t ncommands;	/* commands sampled, all machines, but the pending ones */
	int64_t pending;	/* commands since the last stored point */
	int64_t stride;		/* commands a point stands for */
	const struct stmt *key;	/* the last command (NULL: interned already), for its hover text */
	bool touched;		/* a command since the last full read may have changed the machine */
	int nzones;
	struct report_tick_zone *zones;	/* the machine's populated zones */
};

/* The point is due (or @m is not the machine recorded): store it, or start @m's timeline. */
void report_sample_slow(struct report *r, struct kmm_machine *m, bool host_only);

/**
 * report_sample() - sample @m after a command: its virtual clock, free
 * pages and watermarks per zone, free blocks per order, slab, page tables,
 * LRU, swap and event counters, each process's RSS. Once points stand for
 * several commands (see the invariant above), only the last of each stride
 * is sampled in full, the others for the zones' lowest free pages.
 * @st: the statement run (cli/scenario_tree.h), kept for the point's hover
 *      text; its address is the key under which its text is stored once,
 *      however many times a loop runs it (forgotten by report_script_end()).
 * @host_only: the command cannot have touched a machine (a `let` of
 *      literals and variables): nothing is read after it, and a point it
 *      ends repeats the values read last (see docs/report.md, "Cost").
 */
static inline void report_sample(struct report *r, struct kmm_machine *m, const struct stmt *st,
				 bool host_only)
{
	struct report_tick *t = (struct report_tick *)r;	/* struct report's first member */

	t->key = st;
	if (unlikely(t->m != m) || ++t->pending >= t->stride) {
		report_sample_slow(r, m, host_only);
		return;
	}
	if (!host_only)
		t->touched = true;
	else if (t->pending != 1)
		return;	/* its free pages are the previous command's, of this point */
	struct report_tick_zone *z = t->zones, *end = z + t->nzones;	/* (loaded once) */
	for (; z < end; z++) {
		long f = atomic_load_explicit(z->free, memory_order_relaxed);
		if (f < z->dip)
			z->dip = f;
	}
}
/** report_script_end() - the statements keyed so far may be freed (the shell frees each line). */
void report_script_end(struct report *r);
/**
 * report_machine_end() - @m is about to shut down: keep a snapshot of its
 * state for the report (machines past REPORT_MAX_MACHINES are only counted).
 */
void report_machine_end(struct report *r, struct kmm_machine *m);

/**
 * report_write() - write the report to @path: every machine recorded, the
 * current one (@m, may be NULL) with its live state.
 * @title: shown at the top (the script's name).
 * Return: 0, or -1 with @err saying why (the file is not left half-written
 * under its name: it is written to PATH.tmp and renamed).
 */
int report_write(struct report *r, struct kmm_machine *m, const char *path, const char *title,
		 char *err, size_t errlen);

/* ---- cli/report_sample.c: the timeline as JSON ---- */

/**
 * report_timeline_json() - append the timeline of the recorded machine
 * @serial ("timeline":{...}) to @sb; nothing if it has none.
 */
void report_timeline_json(struct report *r, unsigned long serial, struct strbuf *sb);
/** report_commands_json() - append the commands table ("commands":[...]) to @sb. */
void report_commands_json(struct report *r, struct strbuf *sb);
/**
 * report_machines_json() - append "machines":[...] (each recorded machine's
 * snapshot and timeline, in boot order; @m, the live one, described now)
 * and the counts of machines left out and commands run.
 */
void report_machines_json(struct report *r, struct kmm_machine *m, struct strbuf *sb);
/**
 * json_column() - append @v[0..@n) as the page's compact column string:
 * differences from the previous value (the first from 0) in base 36,
 * comma-separated, a run of equal differences written once as D*COUNT.
 */
void json_column(struct strbuf *sb, const int64_t *v, size_t n);

/* ---- cli/report_snap.c: a machine's state as JSON ---- */

/**
 * report_snapshot_json() - append the JSON object describing @m now (its
 * zones, memory map, buddy lists, processes with their address spaces and
 * page tables, slab caches, vmalloc areas), without the timeline, to @sb.
 * Context: nothing else may run on @m meanwhile (the runner's thread).
 */
void report_snapshot_json(struct kmm_machine *m, struct strbuf *sb);


/* ---- cli/report_term.c: pictures in the terminal ---- */

/*
 * The use of a page frame, as the map colours it (from its kpageflags word,
 * include/kmm/proc.h). Order matters: it is the legend's.
 */
enum page_use {
	USE_FREE,	/* on the buddy allocator's free lists */
	USE_PCP,	/* free, held by a per-CPU list */
	USE_SLAB,
	USE_PGTABLE,
	USE_ANON,
	USE_FILE,
	USE_KERNEL,	/* allocated otherwise: alloc_pages, vmalloc, kernel data */
	USE_RESERVED,	/* never given to the allocator (kernel image, mem_map, holes) */
	NR_PAGE_USES,
	USE_NONE = NR_PAGE_USES,	/* no struct page */
};
extern const char *const page_use_names[NR_PAGE_USES];

/** page_use_of() - the use of a frame with kpageflags word @kpf. */
enum page_use page_use_of(uint64_t kpf);

/**
 * report_map_text() - `map`: one line per populated zone, @width cells,
 * each cell's height the share of its pages in use, then a legend line.
 * Return: 0, or -1 if @m's frames cannot be read.
 */
int report_map_text(struct kmm_machine *m, int width, struct strbuf *sb);
/**
 * report_buddy_bars() - `buddyinfo --bars`: per populated zone, one bar per
 * order, as long as its free blocks (or, with @pages, free pages) against
 * the zone's largest, in eighths of a cell.
 */
void report_buddy_bars(struct kmm_machine *m, int width, bool pages, struct strbuf *sb);

#endif /* KMM_CLI_REPORT_H */
