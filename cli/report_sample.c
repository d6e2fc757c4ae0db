// SPDX-License-Identifier: MIT
/*
 * cli/report_sample.c - the report's recorder: after every command of a
 * scenario, the counters of the machine it ran on, kept in columns.
 *
 * Linux counterpart: none; what `vmstat 1` or sar would log, but per
 * command and on the virtual clock. What is sampled: the clock, each
 * populated zone's free pages, watermarks and free blocks per order; slab,
 * page-table, anonymous, file, shmem and vmalloc pages; the LRU lists; the
 * event counters of faults, swap, reclaim (kswapd and direct), allocation
 * stalls and OOM kills (zero until their layers count them); and each
 * process's RSS and swap entries.
 *
 * Cost: a sample reads a few hundred counters, no page and no lock but the
 * process layer's own (task_mm_info). When a machine has seen more commands
 * than the report keeps points, neighbouring points merge in pairs (the
 * later one's values, the lower of the two free-page minima), and from then
 * on only one command in `stride` is sampled in full; the others update the
 * zones' minima of free pages only (report_sample(), inline in report.h),
 * so that a dip below a watermark between two stored points still shows.
 * bench/report.c measures what it costs.
 *
 * Invariant (see cli/report.h): all columns of a machine have n values,
 * stored row by row (a sample writes one stretch of memory); a column
 * created after the first point (a process spawned later) is back-filled
 * with -1, "did not exist".
 *
 * Locking: none; one runner thread owns the recorder.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>
#include <kmm/trace.h>

#include "cli/report.h"
#include "cli/scenario.h"
#include "cli/scenario_tree.h"
#include "lib/strmap.h"
#include "mm/include/machine.h"
#include "mm/include/mm.h"
#include "mm/include/swap.h"
#include "mm/include/vmalloc.h"
#include "mm/include/vmstat.h"

/*
 * Loops over a fixed, small number of counters, unrolled: a sample reads
 * them after every stride, and relaxed atomic loads keep the compiler from
 * unrolling them by itself.
 */
#if defined(__clang__)
#define UNROLLED _Pragma("clang loop unroll(full)")
#else
#define UNROLLED _Pragma("GCC unroll 16")
#endif

/* Per-process columns kept before the rest are summed into "procs.other". */
#define MAX_PROC_COLS 24

/* A machine's first columns, in this order (cmd, no and first are a point's own). */
enum { C_CLOCK, C_CMD, C_NO, C_FIRST, NR_POINT_COLS };

/*
 * A point: the commands it stands for, and the full row of values it shows.
 * A point after which nothing ran on the machine since the last read (a
 * repeat: see store_point()) has no row of its own: it shows the row of the
 * point before it, each zone's lowest free pages being its free pages.
 */
struct point {
	int64_t cmd;		/* its last command's index in the commands table */
	int64_t no, first;	/* the number of its last and first command in the run */
	uint32_t row;		/* its row in rec_machine.rows */
	bool repeat;
};

/* How a column merges two neighbouring points. */
enum col_kind {
	COL_LAST,	/* the later point's value (levels and counters) */
	COL_MIN,	/* the lower of the two (free-page minima) */
	COL_FIRST,	/* the earlier point's value (the first command of the point) */
};

struct column {
	char name[40];
	enum col_kind kind;
};

/* A zone's columns are consecutive, in this order, from its `free` column. */
enum { ZC_FREE, ZC_FREEMIN, ZC_MIN, ZC_LOW, ZC_HIGH, ZC_ORDER0, NR_ZONE_COLS = ZC_ORDER0 + NR_PAGE_ORDERS };
#define MAX_ZONE_COLS (MAX_NUMNODES * MAX_NR_ZONES)	/* the most populated zones a machine has */

struct zone_cols {
	const struct zone *z;
	int free;		/* its first column (ZC_FREE) */
};

struct proc_col {
	int pid;
	int rss, swap;
};

struct rec_machine {
	unsigned long serial;
	char *cmdline;
	struct kmm_machine *m;	/* while it runs; NULL once it ended */
	size_t n, cap;		/* points stored, and room for */
	struct point *pts;
	size_t nrows, rows_cap;	/* rows handed out so far, and room for */
	int64_t *rows;		/* rows_cap rows of width values: row j's column c at [j * width + c] */
	uint32_t *free_rows;	/* rows no point shows since a merge (reused first), nfree of them */
	size_t nfree;
	uint32_t last_row;	/* the row of the last point read in full (a repeat shows it) */
	uint32_t fill_row;	/* the row being filled by a read */
	int width;		/* values per row: room for that many columns */
	int64_t stride;		/* commands per point */
	int64_t last_cmd;	/* the last command's index in the commands table */
	struct column *cols;
	int ncols, cols_cap;
	struct zone_cols *zones;
	struct report_tick_zone *tick_zones;	/* the same zones' counters, for report_sample() */
	int nzones;
	struct proc_col procs[MAX_PROC_COLS];
	int nprocs;
	int c_slab, c_pgtable, c_anon, c_file, c_shmem, c_vmalloc;
	int c_lru[5], c_swap, c_other_rss, c_ev_base;
	bool threads;		/* kswapd runs on its own thread: the machine changes between commands */
	char *snapshot;		/* JSON, taken when the machine ended */
};

struct rec_cmd {
	char *file;
	int line;
	char *text;
};

struct report {
	struct report_tick tick;	/* first: report_sample() casts (cli/report.h) */
	size_t max_points;	/* 0: none */
	struct rec_machine *machines[REPORT_MAX_MACHINES];
	int nmachines;
	unsigned long dropped;	/* machines past the limit */
	unsigned long skipped_serial;	/* the machine being ignored, if any */
	struct rec_machine *cur;	/* the machine of tick.m */
	struct rec_cmd *cmds;
	size_t ncmds, cmds_cap;
	struct strmap cmd_index;	/* "file\nline\ntext" -> index + 1 */
	/* statement address -> command index, reset by report_script_end() */
	const void **key_ptr;
	int64_t *key_idx;
	size_t key_cap, key_used;
	const void *last_key;	/* the statement looked up last (a loop repeats it), and its index */
	int64_t last_idx;
};

/*
 * The vm events sampled, as "ev.NAME" columns in this order: one counter
 * each, except "allocstall", the sum of ALLOCSTALL_DMA..MOVABLE (five).
 */
static const char *const event_names[] = {
	"pgfault", "pgmajfault", "pswpin", "pswpout", "pgscan_kswapd", "pgscan_direct",
	"pgsteal_kswapd", "pgsteal_direct", "kswapd_runs", "allocstall", "oom_kill",
};
#define EV_ALLOCSTALL 9		/* the column, and its first counter in event_items[] */

/* The counters behind event_names[], in its order (the stalls' five spelt out). */
#define NR_EVENT_ITEMS 15
static const enum vm_event_item event_items[NR_EVENT_ITEMS] = {
	PGFAULT, PGMAJFAULT, PSWPIN, PSWPOUT, PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT, PAGEOUTRUN, ALLOCSTALL_DMA, ALLOCSTALL_DMA32, ALLOCSTALL_NORMAL,
	ALLOCSTALL_HIGH, ALLOCSTALL_MOVABLE, OOM_KILL,
};
_Static_assert(ARRAY_SIZE(event_names) == EV_ALLOCSTALL + 2 &&
	       ALLOCSTALL_MOVABLE - ALLOCSTALL_DMA == 4, "one stall column sums five counters");

/* The node counters sampled: slab (2, bytes), page tables, anon, file, shmem, the 5 LRU lists. */
#define NR_NODE_ITEMS 11
static const enum node_stat_item node_items[NR_NODE_ITEMS] = {
	NR_SLAB_RECLAIMABLE_B, NR_SLAB_UNRECLAIMABLE_B, NR_PAGETABLE, NR_ANON_MAPPED,
	NR_FILE_PAGES, NR_SHMEM,
	NR_ACTIVE_ANON, NR_INACTIVE_ANON, NR_ACTIVE_FILE, NR_INACTIVE_FILE, NR_UNEVICTABLE,
};
static const char *const lru_names[5] = {
	"lru.active_anon", "lru.inactive_anon", "lru.active_file", "lru.inactive_file",
	"lru.unevictable",
};

/* ---- Columns ---- */

/*
 * Points are stored row by row (one sample writes one stretch of memory);
 * a row has room for `width` columns, and a column past it widens every row.
 */
static int add_col(struct rec_machine *rm, const char *name, enum col_kind kind)
{
	if (rm->ncols == rm->cols_cap) {
		rm->cols_cap = rm->cols_cap ? 2 * rm->cols_cap : 64;
		rm->cols = xrealloc(rm->cols, (size_t)rm->cols_cap * sizeof(*rm->cols));
	}
	if (rm->ncols == rm->width) {
		int width = rm->width ? rm->width + 16 : 80;
		if (rm->rows_cap) {
			/* the rows handed out, the one being filled among them (a sample adds a process's columns) */
			int64_t *rows = xcalloc(rm->rows_cap, (size_t)width * sizeof(int64_t));
			for (size_t i = 0; i < rm->nrows; i++)
				memcpy(rows + i * (size_t)width, rm->rows + i * (size_t)rm->width,
				       (size_t)rm->ncols * sizeof(int64_t));
			free(rm->rows);
			rm->rows = rows;
		}
		rm->width = width;
	}
	struct column *c = &rm->cols[rm->ncols];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = kind;
	for (size_t i = 0; i < rm->nrows; i++)
		rm->rows[i * (size_t)rm->width + (size_t)rm->ncols] = -1;	/* did not exist */
	return rm->ncols++;
}

static inline int64_t *row(const struct rec_machine *rm, size_t i)
{
	return rm->rows + i * (size_t)rm->width;
}

/* Room for more points (@rows: for more full rows), up to the report's limit. */
static void grow(struct report *r, struct rec_machine *rm, bool rows)
{
	size_t *capp = rows ? &rm->rows_cap : &rm->cap;
	size_t cap = *capp ? 2 * *capp : 256;

	if (r->max_points && cap > r->max_points)
		cap = r->max_points;
	if (rows) {
		rm->rows = xrealloc(rm->rows, cap * (size_t)rm->width * sizeof(int64_t));
		rm->free_rows = xrealloc(rm->free_rows, cap * sizeof(*rm->free_rows));
	} else {
		rm->pts = xrealloc(rm->pts, cap * sizeof(*rm->pts));
	}
	*capp = cap;
}

/* A row no point shows any more: the next read may fill it. */
static inline void release_row(struct rec_machine *rm, uint32_t row)
{
	rm->free_rows[rm->nfree++] = row;
}

/*
 * Merge neighbouring points in pairs: half as many, each for twice the
 * commands. A merged point takes the later point's values, the earlier
 * one's first command and the lower of the two free-page minima: two
 * repeats merge into a repeat, a full point and a repeat after it into the
 * full point with the repeat's command. Rows stay where they are (a merged
 * point shows the row of the point whose values it takes, its minima
 * lowered in place); the rows no point shows any more are reused by later
 * reads. A repeat shows the row of the last full point before it, which
 * every merge keeps.
 */
static void halve(struct rec_machine *rm)
{
	size_t out = 0;

	for (size_t i = 0; i < rm->n; i += 2) {
		const struct point a = rm->pts[i];
		if (i + 1 == rm->n) {	/* a last point alone stays as it is */
			rm->pts[out++] = a;
			break;
		}
		struct point o = rm->pts[i + 1];
		o.first = a.first;
		if (!o.repeat) {
			/* a's lowest free pages (a repeat's are its free pages) may be lower */
			const int64_t *ar = row(rm, a.row);
			int64_t *orow = row(rm, o.row);
			int amin = a.repeat ? ZC_FREE : ZC_FREEMIN;
			for (int z = 0; z < rm->nzones; z++) {
				int f = rm->zones[z].free;
				if (ar[f + amin] < orow[f + ZC_FREEMIN])
					orow[f + ZC_FREEMIN] = ar[f + amin];
			}
			if (!a.repeat)
				release_row(rm, a.row);
		} else if (!a.repeat) {	/* b repeats a's row: a's values, its minimum the lower already */
			o.repeat = false;
			o.row = a.row;
		}			/* else a repeat still, of the same row */
		rm->pts[out++] = o;
	}
	rm->n = out;
	rm->stride *= 2;
}

/* Point the tick at @rm (NULL: no machine is recorded). */
static void tick_set(struct report *r, struct rec_machine *rm)
{
	struct report_tick *t = &r->tick;

	r->cur = rm;
	t->m = rm ? rm->m : NULL;
	t->ncommands += t->pending;
	t->pending = 0;
	t->touched = true;	/* nothing read yet */
	t->stride = rm ? rm->stride : 1;
	t->nzones = rm ? rm->nzones : 0;
	t->zones = rm ? rm->tick_zones : NULL;
	for (int i = 0; i < t->nzones; i++)
		t->zones[i].dip = LONG_MAX;
}

/* ---- Machines ---- */

static struct rec_machine *machine_start(struct report *r, struct kmm_machine *m)
{
	struct rec_machine *rm = xcalloc(1, sizeof(*rm));
	char name[40];

	rm->serial = kmm_machine_serial(m);
	rm->cmdline = xstrndup(kmm_machine_cmdline(m), strlen(kmm_machine_cmdline(m)));
	rm->m = m;
	rm->stride = 1;
	rm->threads = kswapd_thread_mode(m);
	add_col(rm, "clock", COL_LAST);	/* C_CLOCK, C_CMD, C_NO, C_FIRST */
	add_col(rm, "cmd", COL_LAST);
	add_col(rm, "no", COL_LAST);
	add_col(rm, "first", COL_FIRST);
	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &m->node_data[n]->node_zones[t];
			if (!populated_zone(z))
				continue;
			rm->zones = xrealloc(rm->zones, (size_t)(rm->nzones + 1) * sizeof(*rm->zones));
			struct zone_cols *zc = &rm->zones[rm->nzones];
			int i = rm->nzones++;
			zc->z = z;
			snprintf(name, sizeof(name), "z%d.free", i);
			zc->free = add_col(rm, name, COL_LAST);
			snprintf(name, sizeof(name), "z%d.freemin", i);
			add_col(rm, name, COL_MIN);
			snprintf(name, sizeof(name), "z%d.min", i);
			add_col(rm, name, COL_LAST);
			snprintf(name, sizeof(name), "z%d.low", i);
			add_col(rm, name, COL_LAST);
			snprintf(name, sizeof(name), "z%d.high", i);
			add_col(rm, name, COL_LAST);
			for (int o = 0; o < NR_PAGE_ORDERS; o++) {
				snprintf(name, sizeof(name), "z%d.o%d", i, o);
				add_col(rm, name, COL_LAST);
			}
		}
	}
	rm->c_slab = add_col(rm, "slab", COL_LAST);
	rm->c_pgtable = add_col(rm, "pgtable", COL_LAST);
	rm->c_anon = add_col(rm, "anon", COL_LAST);
	rm->c_file = add_col(rm, "file", COL_LAST);
	rm->c_shmem = add_col(rm, "shmem", COL_LAST);
	rm->c_vmalloc = add_col(rm, "vmalloc", COL_LAST);
	for (int i = 0; i < 5; i++)
		rm->c_lru[i] = add_col(rm, lru_names[i], COL_LAST);
	rm->c_swap = add_col(rm, "swap", COL_LAST);
	for (size_t i = 0; i < ARRAY_SIZE(event_names); i++) {
		snprintf(name, sizeof(name), "ev.%s", event_names[i]);
		int c = add_col(rm, name, COL_LAST);
		if (!i)
			rm->c_ev_base = c;
	}
	rm->c_other_rss = -1;
	rm->tick_zones = xcalloc((size_t)rm->nzones + 1, sizeof(*rm->tick_zones));
	for (int i = 0; i < rm->nzones; i++)
		rm->tick_zones[i].free = &((struct zone *)rm->zones[i].z)->vm_stat[NR_FREE_PAGES];
	r->machines[r->nmachines++] = rm;
	return rm;
}

/* The row being filled: one pointer, so that stores need not reload rm's fields. */
#define set(rm, col, v) (cur_row[(col)] = (int64_t)(v))

struct proc_sample {
	struct rec_machine *rm;
	int64_t other;
	bool any_other;
};

static int sample_task(struct task_struct *t, void *arg)
{
	struct proc_sample *ps = arg;
	struct rec_machine *rm = ps->rm;
	int64_t *cur_row;
	struct task_mm_info mi;
	int pid = kmm_task_pid(t);
	int i;

	if (!kmm_task_alive(t))
		return 0;
	task_mm_info(t, &mi);
	int64_t rss = mi.rss[MM_FILEPAGES] + mi.rss[MM_ANONPAGES] + mi.rss[MM_SHMEMPAGES];
	for (i = 0; i < rm->nprocs && rm->procs[i].pid != pid; i++)
		;
	if (i == rm->nprocs) {
		if (rm->nprocs == MAX_PROC_COLS) {
			ps->other += rss;
			ps->any_other = true;
			return 0;
		}
		char name[40];
		rm->procs[i].pid = pid;
		snprintf(name, sizeof(name), "p%d.rss", pid);
		rm->procs[i].rss = add_col(rm, name, COL_LAST);
		snprintf(name, sizeof(name), "p%d.swap", pid);
		rm->procs[i].swap = add_col(rm, name, COL_LAST);
		rm->nprocs++;
	}
	cur_row = row(rm, rm->fill_row);	/* after add_col, which may move the rows */
	set(rm, rm->procs[i].rss, rss);
	set(rm, rm->procs[i].swap, mi.rss[MM_SWAPENTS]);
	return 0;
}

/* ---- Commands ---- */

static int64_t intern_cmd(struct report *r, const char *file, int line, const char *text)
{
	struct strbuf key;

	sb_init(&key);
	sb_printf(&key, "%s\n%d\n%s", file ? file : "", line, text ? text : "");
	void **slot = strmap_put(&r->cmd_index, key.buf ? key.buf : "");
	sb_free(&key);
	if (!slot)
		return 0;
	if (*slot)
		return (int64_t)(uintptr_t)*slot - 1;
	if (r->ncmds == r->cmds_cap) {
		r->cmds_cap = r->cmds_cap ? 2 * r->cmds_cap : 64;
		r->cmds = xrealloc(r->cmds, r->cmds_cap * sizeof(*r->cmds));
	}
	struct rec_cmd *c = &r->cmds[r->ncmds];
	c->file = xstrndup(file ? file : "", strlen(file ? file : ""));
	c->line = line;
	c->text = xstrndup(text ? text : "", strlen(text ? text : ""));
	*slot = (void *)(uintptr_t)(r->ncmds + 1);
	return (int64_t)r->ncmds++;
}

static size_t key_hash(const void *key, size_t cap)
{
	uintptr_t k = (uintptr_t)key;

	k ^= k >> 17;
	k *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(k >> 20) & (cap - 1);
}

/* The command index of statement @key, interned on first sight. */
static int64_t cmd_of(struct report *r, const struct stmt *key)
{
	if (key == r->last_key)
		return r->last_idx;
	if (r->key_used * 2 >= r->key_cap) {
		size_t old = r->key_cap;
		const void **kp = r->key_ptr;
		int64_t *ki = r->key_idx;
		r->key_cap = old ? 2 * old : 256;
		r->key_ptr = xcalloc(r->key_cap, sizeof(*r->key_ptr));
		r->key_idx = xcalloc(r->key_cap, sizeof(*r->key_idx));
		for (size_t i = 0; i < old; i++) {
			if (!kp[i])
				continue;
			size_t h = key_hash(kp[i], r->key_cap);
			while (r->key_ptr[h])
				h = (h + 1) & (r->key_cap - 1);
			r->key_ptr[h] = kp[i];
			r->key_idx[h] = ki[i];
		}
		free(kp);
		free(ki);
	}
	size_t h = key_hash(key, r->key_cap);
	while (r->key_ptr[h] && r->key_ptr[h] != key)
		h = (h + 1) & (r->key_cap - 1);
	if (!r->key_ptr[h]) {
		r->key_ptr[h] = key;
		r->key_idx[h] = intern_cmd(r, key->file, key->line, key->text);
		r->key_used++;
	}
	r->last_key = key;
	r->last_idx = r->key_idx[h];
	return r->key_idx[h];
}

/*
 * Store a point after which nothing ran on the machine since the last point
 * was read (rm->n > 0): it repeats that point's values (see struct point).
 */
static inline void store_repeat(struct report *r, struct rec_machine *rm)
{
	struct report_tick *t = &r->tick;
	struct point *p = &rm->pts[rm->n];

	if (t->key) {	/* (a loop runs the same statement: the last one looked up) */
		rm->last_cmd = t->key == r->last_key ? r->last_idx : cmd_of(r, t->key);
		t->key = NULL;
	}
	p->cmd = rm->last_cmd;
	p->no = t->ncommands + t->pending;
	p->first = t->ncommands + 1;
	p->repeat = true;
	p->row = rm->last_row;
	for (int i = 0; i < rm->nzones; i++)	/* (its minimum is its free pages) */
		t->zones[i].dip = LONG_MAX;
	rm->n++;
	t->ncommands += t->pending;
	t->pending = 0;
}

/*
 * Store one point: the machine's counters now, after the pending commands.
 * When the points are all used, they merge in pairs and the stride doubles;
 * the pending commands then belong to a point of the new stride, stored
 * when it is complete (so that every point but the last stands for exactly
 * `stride` commands), unless @partial: the run ended, or a report is being
 * written, within a stride.
 */
static void store_point(struct report *r, struct rec_machine *rm, bool partial)
{
	struct report_tick *t = &r->tick;
	struct kmm_machine *m = rm->m;

	if (rm->n == rm->cap) {
		if (!r->max_points || rm->cap < r->max_points) {
			grow(r, rm, false);
		} else {
			halve(rm);
			t->stride = rm->stride;
			if (t->pending < t->stride && !partial) {
				/* the command goes on into a longer point: its free pages count there */
				for (int i = 0; i < t->nzones; i++) {
					long f = atomic_load_explicit(t->zones[i].free, memory_order_relaxed);
					if (f < t->zones[i].dip)
						t->zones[i].dip = f;
				}
				return;
			}
		}
	}
	if (!t->touched && rm->n && !rm->threads) {
		store_repeat(r, rm);
		return;
	}
	if (t->key) {	/* the command's text is interned once per point, not per command */
		rm->last_cmd = t->key == r->last_key ? r->last_idx : cmd_of(r, t->key);
		t->key = NULL;
	}
	struct point *p = &rm->pts[rm->n];
	p->cmd = rm->last_cmd;
	p->no = t->ncommands + t->pending;	/* the last command sampled is this machine's */
	p->first = t->ncommands + 1;
	p->repeat = false;
	if (rm->nfree) {
		p->row = rm->free_rows[--rm->nfree];
	} else {
		if (rm->nrows == rm->rows_cap)
			grow(r, rm, true);
		p->row = (uint32_t)rm->nrows++;
	}
	rm->fill_row = p->row;
	int64_t *cur_row = row(rm, p->row);
	cur_row[C_CLOCK] = (int64_t)kmm_clock_ns(m);
	for (int i = 0; i < rm->nzones; i++) {
		const struct zone *z = rm->zones[i].z;
		int64_t *v = cur_row + rm->zones[i].free;
		int64_t free = (int64_t)zone_page_state(z, NR_FREE_PAGES);
		long dip = t->zones[i].dip < 0 ? 0 : t->zones[i].dip;
		t->zones[i].dip = LONG_MAX;
		v[ZC_FREE] = free;
		v[ZC_FREEMIN] = dip < free ? dip : free;
		v[ZC_MIN] = (int64_t)min_wmark_pages(z);
		v[ZC_LOW] = (int64_t)low_wmark_pages(z);
		v[ZC_HIGH] = (int64_t)high_wmark_pages(z);
		v += ZC_ORDER0;
		UNROLLED
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			v[o] = (int64_t)__atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED);
	}
	/* the node counters, summed over the nodes */
	unsigned long ns[NR_NODE_ITEMS];
	UNROLLED
	for (int i = 0; i < NR_NODE_ITEMS; i++)
		ns[i] = node_page_state(m->node_data[0], node_items[i]);
	for (int nid = 1; nid < m->nr_node_ids; nid++)
		for (int i = 0; i < NR_NODE_ITEMS; i++)
			ns[i] += node_page_state(m->node_data[nid], node_items[i]);
	set(rm, rm->c_slab, (int64_t)((ns[0] + ns[1]) >> PAGE_SHIFT));
	set(rm, rm->c_pgtable, (int64_t)ns[2]);
	set(rm, rm->c_anon, (int64_t)ns[3]);
	set(rm, rm->c_file, (int64_t)ns[4]);
	set(rm, rm->c_shmem, (int64_t)ns[5]);
	set(rm, rm->c_vmalloc, (int64_t)vmalloc_nr_pages(m));
	UNROLLED
	for (int i = 0; i < 5; i++)
		set(rm, rm->c_lru[i], (int64_t)ns[6 + i]);
	/*
	 * The event counters summed over the CPU slots, as sum_vm_events()
	 * does, but with the items known here: a sample reads them often.
	 */
	unsigned long ev[NR_EVENT_ITEMS] = { 0 };
	const unsigned long *e = m->nr_cpus > 0 ? m->vm_events->event : NULL;
	if (e) {		/* the first CPU slot's counters, then the others added */
		UNROLLED
		for (int i = 0; i < NR_EVENT_ITEMS; i++)
			ev[i] = __atomic_load_n(&e[event_items[i]], __ATOMIC_RELAXED);
	}
	for (int c = 1; c < m->nr_cpus; c++) {
		if (!cpu_populated(&m->percpu, c))
			continue;	/* a slot never handed out counted nothing */
		e = per_cpu_ptr(m->vm_events, c)->event;
		UNROLLED
		for (int i = 0; i < NR_EVENT_ITEMS; i++)
			ev[i] += __atomic_load_n(&e[event_items[i]], __ATOMIC_RELAXED);
	}
	int64_t *evc = cur_row + rm->c_ev_base;
	UNROLLED
	for (int i = 0; i < EV_ALLOCSTALL; i++)	/* one counter each, then the stalls' five */
		evc[i] = (int64_t)ev[i];
	evc[EV_ALLOCSTALL] = (int64_t)(ev[EV_ALLOCSTALL] + ev[EV_ALLOCSTALL + 1] +
				       ev[EV_ALLOCSTALL + 2] + ev[EV_ALLOCSTALL + 3] +
				       ev[EV_ALLOCSTALL + 4]);
	evc[EV_ALLOCSTALL + 1] = (int64_t)ev[EV_ALLOCSTALL + 5];
	/* processes: -1 for the ones gone, then each live one's values */
	for (int i = 0; i < rm->nprocs; i++) {
		set(rm, rm->procs[i].rss, -1);
		set(rm, rm->procs[i].swap, -1);
	}
	struct proc_sample ps = { .rm = rm };
	struct kmm_procs *procs = procs_of(m);
	if (procs && !list_empty(&procs->tasks))	/* (read racily: a hint to skip the walk) */
		kmm_for_each_task(m, sample_task, &ps);
	int64_t swap = 0;
	if (ps.any_other && rm->c_other_rss < 0)
		rm->c_other_rss = add_col(rm, "procs.other", COL_LAST);
	cur_row = row(rm, p->row);	/* add_col() may have moved the rows */
	for (int i = 0; i < rm->nprocs; i++) {
		int64_t v = cur_row[rm->procs[i].swap];
		swap += v > 0 ? v : 0;
	}
	if (rm->c_other_rss >= 0)
		set(rm, rm->c_other_rss, ps.other);
	set(rm, rm->c_swap, swap);
	rm->last_row = p->row;
	rm->n++;
	t->ncommands += t->pending;
	t->pending = 0;
	t->touched = false;
}

/* ---- The recorder's API ---- */

struct report *report_new(size_t max_points)
{
	struct report *r = xcalloc(1, sizeof(*r));

	/* an even number, so that merging pairs always halves */
	r->max_points = max_points ? (max_points < 4 ? 4 : max_points & ~(size_t)1) : 0;
	tick_set(r, NULL);
	return r;
}

static void machine_free(struct rec_machine *rm)
{
	free(rm->rows);
	free(rm->free_rows);
	free(rm->pts);
	free(rm->cols);
	free(rm->zones);
	free(rm->tick_zones);
	free(rm->cmdline);
	free(rm->snapshot);
	free(rm);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nmachines; i++)
		machine_free(r->machines[i]);
	for (size_t i = 0; i < r->ncmds; i++) {
		free(r->cmds[i].file);
		free(r->cmds[i].text);
	}
	free(r->cmds);
	strmap_free(&r->cmd_index, NULL);
	free(r->key_ptr);
	free(r->key_idx);
	free(r);
}

void report_script_end(struct report *r)
{
	if (!r)
		return;
	/* the last command's statement is about to be freed: keep its text now */
	if (r->cur && r->tick.key) {
		r->cur->last_cmd = cmd_of(r, r->tick.key);
		r->tick.key = NULL;
	}
	if (!r->key_used)
		return;
	memset(r->key_ptr, 0, r->key_cap * sizeof(*r->key_ptr));
	r->key_used = 0;
	r->last_key = NULL;
}

void report_sample_slow(struct report *r, struct kmm_machine *m, bool host_only)
{
	struct report_tick *t = &r->tick;
	struct rec_machine *rm = r->cur;

	if (t->m != m) {
		/* the runner ends every machine (report_machine_end) before another can take its address */
		unsigned long serial = kmm_machine_serial(m);
		if (serial == r->skipped_serial) {
			t->ncommands++;	/* counted, not drawn */
			return;
		}
		if (rm)
			rm->m = NULL;	/* ended without report_machine_end() */
		if (r->nmachines == REPORT_MAX_MACHINES) {
			tick_set(r, NULL);
			t->ncommands++;
			r->dropped++;
			r->skipped_serial = serial;
			return;
		}
		rm = machine_start(r, m);
		tick_set(r, rm);
		t->pending = 1;
		if (t->pending < t->stride)
			return;
	}
	if (!host_only)
		t->touched = true;
	else if (!t->touched && rm->n && rm->n < rm->cap && !rm->threads) {
		store_repeat(r, rm);	/* (the common case of a long loop: no call) */
		return;
	}
	store_point(r, rm, false);
}

/* Store the commands sampled since the last point (the machine ends within a stride). */
static void flush_pending(struct report *r, struct rec_machine *rm)
{
	if (rm && rm->m && rm == r->cur && r->tick.pending)
		store_point(r, rm, true);
}

void report_machine_end(struct report *r, struct kmm_machine *m)
{
	struct rec_machine *rm = r->cur;

	if (!rm || rm->m != m)
		return;
	flush_pending(r, rm);
	struct strbuf sb;
	sb_init(&sb);
	report_snapshot_json(m, &sb);
	rm->snapshot = sb_detach(&sb);
	rm->m = NULL;
	tick_set(r, NULL);
}

/* ---- JSON ---- */

/*
 * A column as a string: the differences between neighbours (the first from
 * 0), in base 36, comma-separated, a run of equal differences written once
 * as "D*COUNT" (COUNT in base 36 too). A counter that never moves costs a
 * few bytes whatever the number of points (docs/report.md, "The data").
 *
 * Writing is one pass per column over its values (in a machine's rows, a
 * column is every width-th value): the run being counted stays in
 * registers, and a value that continues it costs a load, a compare and an
 * increment. Values are read through offsets (@off[i]: where value i is,
 * from @base), so that a timeline's points, whose rows are not in order
 * after merges, and a plain array are read alike.
 */

/* Append "D" or "D*COUNT" (after a comma unless it is the string's first item). */
static void put_run(struct strbuf *sb, uint64_t d, size_t count, bool first)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char buf[48];
	int i = sizeof(buf) - 1;
	uint64_t u = (int64_t)d < 0 ? (uint64_t)0 - d : d;	/* (modulo 2^64: no overflow) */

	buf[i] = 0;
	if (count > 1) {
		for (size_t c = count; c; c /= 36)
			buf[--i] = digits[c % 36];
		buf[--i] = '*';
	}
	do {
		buf[--i] = digits[u % 36];
		u /= 36;
	} while (u);
	if ((int64_t)d < 0)
		buf[--i] = '-';
	if (!first)
		buf[--i] = ',';
	size_t n = sizeof(buf) - 1 - (size_t)i;
	if (sb->len + n + 1 <= sb->cap) {	/* (room already: no call) */
		memcpy(sb->buf + sb->len, buf + i, n + 1);
		sb->len += n;
	} else {
		sb_puts(sb, buf + i);
	}
}

/*
 * Append the column string of @n values, value i at @base[@off[i]] and
 * repeated @cnt[i] times (@cnt NULL: once each).
 */
static void put_column(struct strbuf *sb, const int64_t *base, const size_t *off,
		       const uint32_t *cnt, size_t n)
{
	uint64_t prev = 0, d = 0;	/* the last value; the difference of the run */
	size_t run = 0;			/* how many times d repeats so far */
	bool first = true;

	sb_puts(sb, "\"");
	if (!cnt) {
		for (size_t i = 0, start; i < n; first = false) {
			uint64_t w = (uint64_t)base[off[i]];
			start = i;
			d = w - prev;
			prev = w;
			if (!d) {	/* the commonest run: a value that does not move */
				for (i++; i < n && (uint64_t)base[off[i]] == prev; i++)
					;
			} else {	/* the run goes on while the difference is d */
				for (i++; i < n; i++) {
					w = (uint64_t)base[off[i]];
					if (w - prev != d)
						break;
					prev = w;
				}
			}
			put_run(sb, d, i - start, first);
		}
		sb_puts(sb, "\"");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t w = (uint64_t)base[off[i]];
		if (run && w - prev == d) {
			run++;
		} else {
			if (run) {
				put_run(sb, d, run, first);
				first = false;
			}
			d = w - prev;
			run = 1;
		}
		prev = w;
		if (cnt[i] > 1) {	/* then cnt - 1 differences of 0 */
			if (d) {
				put_run(sb, d, run, first);
				first = false;
				d = 0;
				run = 0;
			}
			run += cnt[i] - 1;
		}
	}
	if (run)
		put_run(sb, d, run, first);
	sb_puts(sb, "\"");
}

void json_column(struct strbuf *sb, const int64_t *v, size_t n)
{
	size_t *off = xrealloc(NULL, (n + 1) * sizeof(*off));

	for (size_t i = 0; i < n; i++)
		off[i] = i;
	put_column(sb, v, off, NULL, n);
	free(off);
}

static struct rec_machine *find_machine(struct report *r, unsigned long serial)
{
	for (int i = 0; i < r->nmachines; i++)
		if (r->machines[i]->serial == serial)
			return r->machines[i];
	return NULL;
}

void report_timeline_json(struct report *r, unsigned long serial, struct strbuf *sb)
{
	struct rec_machine *rm = find_machine(r, serial);

	if (!rm)
		return;
	/*
	 * A report written within a stride shows the pending commands as a
	 * last point, taken back afterwards: the run goes on filling it.
	 */
	struct report_tick saved = r->tick;
	uint32_t saved_last_row = rm->last_row;
	long *dips = NULL;
	bool temp = rm->m && rm == r->cur && r->tick.pending;
	if (temp) {
		dips = xcalloc((size_t)saved.nzones + 1, sizeof(*dips));
		for (int i = 0; i < saved.nzones; i++)
			dips[i] = saved.zones[i].dip;
		store_point(r, rm, true);
	}
	sb_printf(sb, "\"timeline\":{\"points\":%zu,\"stride\":%lld,\"zones\":%d,\"cols\":{",
		  rm->n, (long long)rm->stride, rm->nzones);
	/*
	 * Where each point's values are: its row, one segment for a run of
	 * repeats of one row (they show the same values). A repeat's lowest
	 * free pages are its free pages: for the zones' minimum columns, its
	 * offset points one column back (ZC_FREE).
	 */
	_Static_assert(ZC_FREEMIN == ZC_FREE + 1, "a repeat's minimum is the column before");
	size_t nseg = 0, n = rm->n;
	/* (every entry used is written: no need to clear them) */
	size_t *off = xrealloc(NULL, (3 * n + 1) * sizeof(*off));	/* off, offmin, the points' */
	size_t *offmin = off + n, *pvoff = off + 2 * n;
	uint32_t *cnt = xrealloc(NULL, (n + 1) * sizeof(*cnt));
	int64_t *pv = xrealloc(NULL, (3 * n + 1) * sizeof(*pv));	/* cmd, no, first of each point */
	bool repeats = false;
	for (size_t i = 0, k; i < n; i += k) {
		const struct point *p = &rm->pts[i];
		for (k = 1; p->repeat && i + k < n && p[k].repeat && p[k].row == p->row; k++)
			;
		off[nseg] = (size_t)p->row * (size_t)rm->width;
		offmin[nseg] = off[nseg] - (p->repeat ? 1 : 0);
		cnt[nseg++] = (uint32_t)k;
		repeats |= k > 1;
	}
	for (size_t i = 0; i < n; i++) {
		pv[3 * i] = rm->pts[i].cmd;
		pv[3 * i + 1] = rm->pts[i].no;
		pv[3 * i + 2] = rm->pts[i].first;
		pvoff[i] = 3 * i;
	}
	int zone = 0;
	for (int c = 0; c < rm->ncols; c++) {
		if (c)
			sb_puts(sb, ",");
		sb_json_str(sb, rm->cols[c].name);
		sb_puts(sb, ":");
		if (c >= C_CMD && c <= C_FIRST) {
			put_column(sb, pv + (c - C_CMD), pvoff, NULL, n);
			continue;
		}
		bool is_min = zone < rm->nzones && c == rm->zones[zone].free + ZC_FREEMIN;
		if (is_min)
			zone++;
		put_column(sb, rm->rows + c, is_min ? offmin : off, repeats ? cnt : NULL, nseg);
	}
	free(off);
	free(cnt);
	free(pv);
	sb_puts(sb, "}}");
	if (temp) {
		const struct point *p = &rm->pts[--rm->n];
		if (!p->repeat) {
			release_row(rm, p->row);
			rm->last_row = saved_last_row;
		}
		saved.key = r->tick.key;	/* interned now, if it was not */
		saved.stride = r->tick.stride;	/* the points may have merged */
		r->tick = saved;
		for (int i = 0; i < saved.nzones; i++)
			saved.zones[i].dip = dips[i];
		free(dips);
	}
}

void report_commands_json(struct report *r, struct strbuf *sb)
{
	sb_printf(sb, "\"commands\":[");
	for (size_t i = 0; i < r->ncmds; i++) {
		sb_puts(sb, i ? ",[" : "[");
		sb_json_str(sb, r->cmds[i].file);
		sb_printf(sb, ",%d,", r->cmds[i].line);
		sb_json_str(sb, r->cmds[i].text);
		sb_puts(sb, "]");
	}
	sb_puts(sb, "]");
}

/* ---- Writing the report ---- */

void report_machines_json(struct report *r, struct kmm_machine *m, struct strbuf *sb)
{
	bool live_seen = false;
	int k = 0;

	sb_puts(sb, "\"machines\":[");
	for (int i = 0; i < r->nmachines; i++) {
		struct rec_machine *rm = r->machines[i];
		if (k++)
			sb_puts(sb, ",");
		sb_puts(sb, "{");
		if (rm->snapshot) {
			sb_puts(sb, rm->snapshot);
		} else if (rm->m && rm->m == m) {
			report_snapshot_json(m, sb);
			live_seen = true;
		} else {
			sb_printf(sb, "\"serial\":%lu,\"cmdline\":", rm->serial);
			sb_json_str(sb, rm->cmdline);
			sb_puts(sb, ",\"gone\":true");
		}
		sb_puts(sb, ",");
		report_timeline_json(r, rm->serial, sb);
		sb_puts(sb, "}");
	}
	if (m && !live_seen && kmm_machine_serial(m) != r->skipped_serial) {
		/* booted, but no command ran on it yet: its state without a timeline */
		if (k++)
			sb_puts(sb, ",");
		sb_puts(sb, "{");
		report_snapshot_json(m, sb);
		sb_puts(sb, "}");
	}
	sb_printf(sb, "],\"machines_dropped\":%lu,\"commands_run\":%lld", r->dropped,
		  (long long)(r->tick.ncommands + r->tick.pending));
}
