// SPDX-License-Identifier: MIT
/*
 * cli/report_snap.c - a machine's state as the report draws it, as JSON:
 * its zones and their buddy lists, the memory map (every pageblock, or
 * coarser bins on big machines, with the use of its frames), each
 * process's address space and page tables, the slab caches and the vmalloc
 * areas.
 *
 * Linux counterpart: none; the data of /proc/zoneinfo, /proc/buddyinfo,
 * /proc/pagetypeinfo, /proc/kpageflags, /proc/PID/maps, /proc/slabinfo and
 * /proc/vmallocinfo, read the way those files are (kmm_kpageflags(),
 * kmm_proc_read(), kmm_pagetable_for_each(), the slab views).
 *
 * The memory map: bins of BIN pages from pfn 0 to max_pfn, BIN a power of
 * two multiple of the pageblock such that there are at most MAP_MAX_BINS.
 * For each bin: the zone and migrate type most of its frames have, how many
 * frames have each use (enum page_use; the rest are holes), and the order of
 * the largest free block that starts in it. docs/report.md has the format.
 *
 * Locking: none of its own; the views it calls take what they need. The
 * runner calls it between commands, so no frame changes while it reads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>
#include <kmm/process.h>

#include "cli/report.h"
#include "cli/scenario.h"
#include "mm/include/machine.h"
#include "mm/include/mm.h"
#include "mm/include/slab.h"
#include "mm/include/vmstat.h"

/* At most this many bins in the memory map. */
#define MAP_MAX_BINS 4096
/* Page-table entries described per machine before the rest are left out. */
#define PT_MAX_ENTRIES 200000
/* Processes described per machine. */
#define MAX_PROCS 64

static const char *arch_name(const struct kmm_machine *m)
{
	switch (m->layout.pgtable_levels) {
	case 2:
		return "i386";
	case 3:
		return "i386-pae";
	default:
		return "x86_64";
	}
}

static void put_hex(struct strbuf *sb, uint64_t v)
{
	sb_printf(sb, "\"0x%" PRIx64 "\"", v);
}

/* ---- Zones ---- */

struct zone_list {
	const struct zone *z[MAX_NUMNODES * MAX_NR_ZONES];
	int n;
	signed char index[MAX_NUMNODES][MAX_NR_ZONES];	/* -1: not populated */
};

static void list_zones(struct kmm_machine *m, struct zone_list *zl)
{
	memset(zl->index, -1, sizeof(zl->index));
	zl->n = 0;
	for (int n = 0; n < m->nr_node_ids; n++)
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &m->node_data[n]->node_zones[t];
			if (!populated_zone(z))
				continue;
			zl->index[n][t] = (signed char)zl->n;
			zl->z[zl->n++] = z;
		}
}

/* ---- The memory map ---- */

struct map_scan {
	unsigned long bin, nbins;
	int64_t *zone, *mt, *maxorder;
	int64_t *use[NR_PAGE_USES];
	/* per zone: free blocks by migrate type and order (pagetypeinfo) */
	unsigned long mt_free[MAX_NUMNODES * MAX_NR_ZONES][MIGRATE_TYPES][NR_PAGE_ORDERS];
};

/* The index of the largest of @n counts (the first of equals), -1 when all are 0. */
static int majority(const unsigned long *count, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (count[i] && (best < 0 || count[i] > count[best]))
			best = i;
	return best;
}

/* Bin @b is complete: its zone and migrate type are those most of its frames have. */
static void close_bin(struct map_scan *ms, unsigned long b, unsigned long *zone_count, int nzones,
		      unsigned long *mt_count)
{
	ms->zone[b] = majority(zone_count, nzones);
	ms->mt[b] = majority(mt_count, MIGRATE_TYPES);
	memset(zone_count, 0, (size_t)nzones * sizeof(*zone_count));
	memset(mt_count, 0, MIGRATE_TYPES * sizeof(*mt_count));
}

static int scan_map(struct kmm_machine *m, const struct zone_list *zl, struct map_scan *ms)
{
	enum { CHUNK = 4096 };
	uint64_t *kpf = xcalloc(CHUNK, sizeof(*kpf));
	unsigned long zone_count[MAX_NUMNODES * MAX_NR_ZONES];
	unsigned long mt_count[MIGRATE_TYPES];
	unsigned long bin_pfn = 0, b = 0;

	memset(zone_count, 0, sizeof(zone_count));
	memset(mt_count, 0, sizeof(mt_count));
	for (unsigned long pfn = 0; pfn < m->max_pfn; pfn += CHUNK) {
		unsigned long nr = m->max_pfn - pfn < CHUNK ? m->max_pfn - pfn : CHUNK;
		if (kmm_kpageflags(m, pfn, nr, kpf)) {
			free(kpf);
			return -1;
		}
		for (unsigned long i = 0; i < nr; i++) {
			unsigned long p = pfn + i;
			uint64_t k = kpf[i];
			if (p - bin_pfn == ms->bin) {
				close_bin(ms, b++, zone_count, zl->n, mt_count);
				bin_pfn = p;
			}
			enum page_use u = page_use_of(k);
			if (u == USE_NONE)
				continue;
			int nid = (int)(k >> KPF_KMM_NODE_SHIFT) & 63;
			int zt = (int)(k >> KPF_KMM_ZONE_SHIFT) & 7;
			int mt = (int)(k >> KPF_KMM_MT_SHIFT) & 7;
			int zi = zt < MAX_NR_ZONES ? zl->index[nid][zt] : -1;
			ms->use[u][b]++;
			if (zi >= 0)
				zone_count[zi]++;
			if (mt < MIGRATE_TYPES)
				mt_count[mt]++;
			if (k & (1ULL << KPF_BUDDY)) {
				int o = (int)(k >> KPF_KMM_ORDER_SHIFT) & 15;
				if (o > ms->maxorder[b])
					ms->maxorder[b] = o;
				if (zi >= 0 && mt < MIGRATE_TYPES && o < NR_PAGE_ORDERS)
					ms->mt_free[zi][mt][o]++;
			}
		}
	}
	if (b < ms->nbins)
		close_bin(ms, b, zone_count, zl->n, mt_count);
	free(kpf);
	return 0;
}

static void put_map(struct kmm_machine *m, const struct zone_list *zl, struct strbuf *sb,
		    struct map_scan *ms)
{
	unsigned long bin = m->pageblock_nr_pages ? m->pageblock_nr_pages : 1;

	while ((m->max_pfn + bin - 1) / bin > MAP_MAX_BINS)
		bin *= 2;
	ms->bin = bin;
	ms->nbins = (m->max_pfn + bin - 1) / bin;
	ms->zone = xcalloc(ms->nbins, sizeof(int64_t));
	ms->mt = xcalloc(ms->nbins, sizeof(int64_t));
	ms->maxorder = xcalloc(ms->nbins, sizeof(int64_t));
	for (unsigned long i = 0; i < ms->nbins; i++)
		ms->maxorder[i] = -1;
	for (int u = 0; u < NR_PAGE_USES; u++)
		ms->use[u] = xcalloc(ms->nbins, sizeof(int64_t));
	int err = scan_map(m, zl, ms);
	sb_printf(sb, ",\"map\":{\"bin\":%lu,\"bins\":%lu", bin, ms->nbins);
	if (!err) {
		sb_puts(sb, ",\"zone\":");
		json_column(sb, ms->zone, ms->nbins);
		sb_puts(sb, ",\"mt\":");
		json_column(sb, ms->mt, ms->nbins);
		sb_puts(sb, ",\"maxorder\":");
		json_column(sb, ms->maxorder, ms->nbins);
		sb_puts(sb, ",\"use\":{");
		for (int u = 0; u < NR_PAGE_USES; u++) {
			sb_puts(sb, u ? "," : "");
			sb_json_str(sb, page_use_names[u]);
			sb_puts(sb, ":");
			json_column(sb, ms->use[u], ms->nbins);
		}
		sb_puts(sb, "}");
	}
	sb_puts(sb, "}");
	free(ms->zone);
	free(ms->mt);
	free(ms->maxorder);
	for (int u = 0; u < NR_PAGE_USES; u++)
		free(ms->use[u]);
}

static void put_zones(struct kmm_machine *m, const struct zone_list *zl, struct strbuf *sb,
		      const struct map_scan *ms)
{
	sb_puts(sb, ",\"zones\":[");
	for (int i = 0; i < zl->n; i++) {
		const struct zone *z = zl->z[i];
		sb_printf(sb, "%s{\"nid\":%d,\"type\":%d,\"name\":", i ? "," : "", z->node, z->type);
		sb_json_str(sb, zone_names[z->type]);
		sb_printf(sb, ",\"start\":%lu,\"end\":%lu,\"spanned\":%lu,\"present\":%lu,"
			  "\"managed\":%lu,\"free\":%lu,\"min\":%lu,\"low\":%lu,\"high\":%lu,"
			  "\"orders\":[", z->zone_start_pfn, zone_end_pfn(z), z->spanned_pages,
			  z->present_pages, zone_managed_pages(z), zone_page_state(z, NR_FREE_PAGES),
			  min_wmark_pages(z), low_wmark_pages(z), high_wmark_pages(z));
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			sb_printf(sb, "%s%lu", o ? "," : "",
				  __atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED));
		sb_puts(sb, "],\"by_type\":{");
		bool first = true;
		for (int t = 0; t < MIGRATE_TYPES; t++) {
			unsigned long any = 0;
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				any += ms->mt_free[i][t][o];
			if (!any)
				continue;
			sb_puts(sb, first ? "" : ",");
			first = false;
			sb_json_str(sb, migratetype_names[t]);
			sb_puts(sb, ":[");
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				sb_printf(sb, "%s%lu", o ? "," : "", ms->mt_free[i][t][o]);
			sb_puts(sb, "]");
		}
		sb_puts(sb, "}}");
	}
	sb_puts(sb, "]");
}

/* ---- Processes ---- */

struct pt_out {
	struct strbuf *sb;
	unsigned long n, *left;	/* entries written; the machine's allowance */
	bool truncated;
	uint64_t *tables;	/* every table, in first-seen order, and its level */
	int *levels;
	size_t ntables, cap;
	size_t last;		/* the table of the previous entry (entries come in runs) */
};

static int table_index(struct pt_out *po, uint64_t pa, int level)
{
	if (po->last < po->ntables && po->tables[po->last] == pa)
		return (int)po->last;
	for (size_t i = po->ntables; i-- > 0;)
		if (po->tables[i] == pa)
			return (int)(po->last = i);
	if (po->ntables == po->cap) {
		po->cap = po->cap ? 2 * po->cap : 16;
		po->tables = xrealloc(po->tables, po->cap * sizeof(*po->tables));
		po->levels = xrealloc(po->levels, po->cap * sizeof(*po->levels));
	}
	po->tables[po->ntables] = pa;
	po->levels[po->ntables] = level;
	return (int)(po->last = po->ntables++);
}

static int pt_entry(const struct kmm_pt_entry *e, void *arg)
{
	struct pt_out *po = arg;

	if (!*po->left) {
		po->truncated = true;
		return 1;
	}
	--*po->left;
	int t = table_index(po, e->table, e->level);
	sb_printf(po->sb, "%s[%d,%u,\"%" PRIx64 "\"]", po->n++ ? "," : "", t, e->index, e->value);
	return 0;
}

/*
 * The page tables: their shape, the tables ([address, level], the root
 * first) and the entries ([table, index, value]), at most *@left entries.
 */
static void put_pagetables(struct task_struct *t, struct strbuf *sb, unsigned long *left)
{
	struct kmm_pt_shape shape;
	struct strbuf entries;
	struct pt_out po = { .sb = &entries, .left = left };

	sb_init(&entries);
	sb_puts(&entries, "");
	int err = kmm_pagetable_for_each(t, &shape, pt_entry, &po);
	if (err >= 0) {
		sb_printf(sb, ",\"pt\":{\"levels\":%d,\"entry_size\":%d,\"root\":", shape.levels,
			  shape.entry_size);
		put_hex(sb, shape.root);
		sb_puts(sb, ",\"mask\":");
		put_hex(sb, shape.addr_mask);
		sb_puts(sb, ",\"real\":[");
		for (int l = 0; l < 5; l++)
			sb_printf(sb, "%s%d", l ? "," : "", shape.real[l]);
		sb_puts(sb, "],\"shift\":[");
		for (int l = 0; l < 5; l++)
			sb_printf(sb, "%s%d", l ? "," : "", shape.shift[l]);
		sb_puts(sb, "],\"bits\":[");
		for (int l = 0; l < 5; l++)
			sb_printf(sb, "%s%d", l ? "," : "", shape.bits[l]);
		sb_puts(sb, "],\"tables\":[");
		for (size_t i = 0; i < po.ntables; i++)
			sb_printf(sb, "%s[\"%" PRIx64 "\",%d]", i ? "," : "", po.tables[i],
				  po.levels[i]);
		sb_printf(sb, "],\"truncated\":%s,\"entries\":[", po.truncated ? "true" : "false");
		sb_puts(sb, entries.buf ? entries.buf : "");
		sb_puts(sb, "]}");
	}
	sb_free(&entries);
	free(po.tables);
	free(po.levels);
}

/* /proc/PID/maps, as [start, end, perms, name] rows. */
static void put_vmas(struct kmm_machine *m, int pid, struct strbuf *sb)
{
	char path[48], *text = NULL;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	sb_puts(sb, ",\"vmas\":[");
	if (kmm_proc_read(m, path, &text) == 0 && text) {
		int k = 0;
		for (char *line = text; *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			unsigned long long s, e;
			char perms[8] = "", name[256] = "";
			int off = 0;
			if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &s, &e, perms, &off) >= 3) {
				const char *p = line + off;
				while (*p == ' ')
					p++;
				snprintf(name, sizeof(name), "%s", p);
				sb_printf(sb, "%s[\"0x%llx\",\"0x%llx\",", k++ ? "," : "", s, e);
				sb_json_str(sb, perms);
				sb_puts(sb, ",");
				sb_json_str(sb, name);
				sb_puts(sb, "]");
			}
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	free(text);
	sb_puts(sb, "]");
}

struct task_list {
	struct task_struct *t[MAX_PROCS];
	int n;
};

static int collect_task(struct task_struct *t, void *arg)
{
	struct task_list *tl = arg;

	if (tl->n == MAX_PROCS)
		return 1;
	tl->t[tl->n++] = t;
	return 0;
}

/* One process: its numbers, VMAs and page tables (the tables within *@pt_left entries). */
static void put_task(struct kmm_machine *m, struct task_struct *t, bool first, struct strbuf *sb,
		     unsigned long *pt_left)
{
	struct task_mm_info mi;
	struct kmm_task_exit ex = kmm_task_exit_info(t);
	bool alive = kmm_task_alive(t);

	task_mm_info(t, &mi);
	sb_printf(sb, "%s{\"pid\":%d,\"ppid\":%d,\"comm\":", first ? "" : ",", kmm_task_pid(t),
		  t->parent ? kmm_task_pid(t->parent) : 0);
	sb_json_str(sb, kmm_task_comm(t));
	sb_printf(sb, ",\"alive\":%s,\"signal\":%d,\"exit_code\":%d", alive ? "true" : "false",
		  ex.signal, ex.code);
	if (alive) {
		sb_printf(sb, ",\"rss_anon\":%ld,\"rss_file\":%ld,\"rss_shmem\":%ld,\"swapents\":%ld,"
			  "\"total_vm\":%lu,\"nr_ptes\":%lu,\"min_flt\":%lu,\"maj_flt\":%lu",
			  mi.rss[MM_ANONPAGES], mi.rss[MM_FILEPAGES], mi.rss[MM_SHMEMPAGES],
			  mi.rss[MM_SWAPENTS], mi.total_vm, mi.nr_ptes, mi.min_flt, mi.maj_flt);
		put_vmas(m, kmm_task_pid(t), sb);
		put_pagetables(t, sb, pt_left);
	}
	sb_puts(sb, "}");
}

/* ---- Slab caches ---- */

struct slab_out {
	struct strbuf *sb;
	int n;
};

static int put_cache(struct kmem_cache *s, void *arg)
{
	struct slab_out *so = arg;
	struct kmem_cache_info info;
	struct slab_counts sc;

	kmem_cache_get_info(s, &info);
	slab_count(s, &sc);
	/*
	 * "cpu": the slabs the CPUs hold, each CPU's slab and its partial list,
	 * as /sys/kernel/slab/X/cpu_slabs counts them (Linux's SO_CPU); with
	 * full, partial (node) and empty they make up every slab.
	 */
	sb_puts(so->sb, so->n++ ? ",{\"name\":" : "{\"name\":");
	sb_json_str(so->sb, info.name);
	sb_printf(so->sb, ",\"object_size\":%u,\"size\":%u,\"objects\":%u,\"order\":%u,"
		  "\"slabs\":%lu,\"objs\":%lu,\"active\":%lu,\"full\":%lu,\"partial\":%lu,"
		  "\"empty\":%lu,\"cpu\":%lu,\"partial_free\":%lu,\"cpu_free\":%lu}",
		  info.object_size, info.size, info.objects, info.order, sc.nr_slabs, sc.nr_objs,
		  sc.active_objs, sc.nr_full, sc.nr_partial, sc.nr_empty, sc.nr_cpu + sc.nr_cpu_partial,
		  sc.partial_free,
		  sc.cpu_free);
	return 0;
}

/* ---- vmalloc ---- */

/* /proc/vmallocinfo as [start, end, size, caller, kind, pages] rows. */
static void put_vmalloc(struct kmm_machine *m, struct strbuf *sb)
{
	char *text = NULL;
	int k = 0;

	sb_puts(sb, ",\"vmalloc\":{\"start\":");
	put_hex(sb, m->layout.vmalloc_start);
	sb_puts(sb, ",\"end\":");
	put_hex(sb, m->layout.vmalloc_end);
	sb_puts(sb, ",\"areas\":[");
	if (kmm_proc_read(m, "/proc/vmallocinfo", &text) == 0 && text) {
		for (char *line = text; *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			unsigned long long s, e, size;
			char caller[128] = "";
			int off = 0;
			if (sscanf(line, "0x%llx-0x%llx %llu %127s%n", &s, &e, &size, caller, &off) == 4) {
				const char *kinds[] = { "vmalloc", "vmap", "ioremap", "user", "vpages",
							"unpurged", "vm_map_ram" };
				const char *kind = "other", *pages = strstr(line + off, "pages=");
				for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
					const char *w = strstr(line + off, kinds[i]);
					size_t l = strlen(kinds[i]);
					/* a lazily freed area and a vm_map_ram one name their kind where the caller goes */
					if ((w && (w[l] == ' ' || !w[l]) && w[-1] == ' ') || !strcmp(caller, kinds[i])) {
						kind = kinds[i];
						break;
					}
				}
				sb_printf(sb, "%s[\"0x%llx\",\"0x%llx\",%llu,", k++ ? "," : "", s, e, size);
				sb_json_str(sb, caller);
				sb_puts(sb, ",");
				sb_json_str(sb, kind);
				sb_printf(sb, ",%ld]", pages ? strtol(pages + 6, NULL, 10) : 0L);
			}
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	free(text);
	sb_puts(sb, "]}");
}

/* ---- The machine ---- */

void report_snapshot_json(struct kmm_machine *m, struct strbuf *sb)
{
	struct zone_list zl;
	struct map_scan *ms = xcalloc(1, sizeof(*ms));
	const struct kmm_layout *l = &m->layout;

	list_zones(m, &zl);
	sb_printf(sb, "\"serial\":%lu,\"cmdline\":", kmm_machine_serial(m));
	sb_json_str(sb, kmm_machine_cmdline(m));
	sb_printf(sb, ",\"arch\":\"%s\",\"page_size\":%lu,\"max_pfn\":%lu,\"pageblock\":%lu,"
		  "\"nodes\":%d,\"cpus\":%d,\"clock\":%" PRIu64 ",\"halted\":%s", arch_name(m),
		  PAGE_SIZE, m->max_pfn, m->pageblock_nr_pages, m->nr_node_ids, m->nr_cpus,
		  kmm_clock_ns(m), atomic_load(&m->halted) ? "true" : "false");
	sb_puts(sb, ",\"layout\":{\"page_offset\":");
	put_hex(sb, l->page_offset);
	sb_puts(sb, ",\"task_size\":");
	put_hex(sb, l->task_size);
	sb_puts(sb, ",\"high_memory\":");
	put_hex(sb, l->high_memory);
	sb_puts(sb, ",\"pkmap_base\":");
	put_hex(sb, l->pkmap_base);
	sb_puts(sb, ",\"fixaddr_start\":");
	put_hex(sb, l->fixaddr_start);
	sb_puts(sb, "}");
	put_map(m, &zl, sb, ms);
	put_zones(m, &zl, sb, ms);
	free(ms);

	sb_puts(sb, ",\"procs\":[");
	if (procs_of(m)) {
		/* listed first, described after: the views take the task list lock themselves */
		struct task_list *tl = xcalloc(1, sizeof(*tl));
		unsigned long pt_left = PT_MAX_ENTRIES;
		kmm_for_each_task(m, collect_task, tl);
		for (int i = 0; i < tl->n; i++)
			put_task(m, tl->t[i], !i, sb, &pt_left);
		free(tl);
	}
	sb_puts(sb, "],\"slab\":[");
	struct slab_out so = { .sb = sb };
	kmem_cache_for_each(m, put_cache, &so);
	sb_puts(sb, "]");
	put_vmalloc(m, sb);
}
