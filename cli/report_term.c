// SPDX-License-Identifier: MIT
/*
 * cli/report_term.c - pictures for the terminal: `map`, one bar per zone
 * along its physical addresses, and `buddyinfo --bars`, each zone's free
 * blocks per order as a histogram, both in Unicode block characters.
 *
 * Linux counterpart: none (/proc/buddyinfo and /proc/kpageflags are the
 * numbers behind them). The use of a frame (enum page_use) is decided here
 * once, for these pictures and for the HTML report's memory map.
 *
 * Locking: none of its own; kmm_kpageflags() reads without locks and the
 * free-block counts are read as the zone.NAME.orderN value reads them, so
 * the runner calls these between commands, when nothing else runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "cli/report.h"
#include "cli/scenario.h"
#include "mm/include/machine.h"
#include "mm/include/vmstat.h"

const char *const page_use_names[NR_PAGE_USES] = {
	[USE_FREE] = "free",
	[USE_PCP] = "pcp",
	[USE_SLAB] = "slab",
	[USE_PGTABLE] = "pagetable",
	[USE_ANON] = "anon",
	[USE_FILE] = "file",
	[USE_KERNEL] = "kernel",
	[USE_RESERVED] = "reserved",
};

enum page_use page_use_of(uint64_t k)
{
#define HAS(b) (k & (1ULL << (b)))
	if (HAS(KPF_NOPAGE))
		return USE_NONE;
	if (HAS(KPF_BUDDY) || HAS(KPF_KMM_BUDDY_TAIL))
		return USE_FREE;
	if (HAS(KPF_KMM_PCP))
		return USE_PCP;
	if (HAS(KPF_SLAB))
		return USE_SLAB;
	if (HAS(KPF_PGTABLE))
		return USE_PGTABLE;
	if (HAS(KPF_RESERVED))
		return USE_RESERVED;
	if (HAS(KPF_ANON))
		return USE_ANON;
	if (HAS(KPF_MMAP) || (HAS(KPF_LRU) && !HAS(KPF_SWAPBACKED)))
		return USE_FILE;
	return USE_KERNEL;
#undef HAS
}

/* Eight heights of a cell, from 1/8 to full, and eight widths of a bar's end. */
static const char *const heights[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
static const char *const widths[8] = { "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█" };

/* @pages as "4 KiB", "2 MiB", "1 GiB" (rounded down) into @buf. */
static const char *size_str(unsigned long pages, char *buf, size_t len)
{
	unsigned long kib = pages * (PAGE_SIZE >> 10);

	if (kib >= (1UL << 20) && !(kib & ((1UL << 20) - 1)))
		snprintf(buf, len, "%lu GiB", kib >> 20);
	else if (kib >= 1024)
		snprintf(buf, len, "%lu MiB", kib >> 10);
	else
		snprintf(buf, len, "%lu KiB", kib);
	return buf;
}

int report_map_text(struct kmm_machine *m, int width, struct strbuf *sb)
{
	enum { CHUNK = 4096 };
	uint64_t *kpf = xcalloc(CHUNK, sizeof(*kpf));
	unsigned long *used = xcalloc((size_t)width, sizeof(*used));
	unsigned long *pages = xcalloc((size_t)width, sizeof(*pages));
	unsigned long cell_pages = 0;
	char size[24];
	int ret = 0;

	for (int n = 0; n < m->nr_node_ids && !ret; n++) {
		for (int t = 0; t < MAX_NR_ZONES && !ret; t++) {
			const struct zone *z = &m->node_data[n]->node_zones[t];
			if (!populated_zone(z))
				continue;
			unsigned long start = z->zone_start_pfn, span = z->spanned_pages;
			unsigned long in_use = 0, total = 0;
			memset(used, 0, (size_t)width * sizeof(*used));
			memset(pages, 0, (size_t)width * sizeof(*pages));
			for (unsigned long off = 0; off < span && !ret; off += CHUNK) {
				unsigned long nr = span - off < CHUNK ? span - off : CHUNK;
				if (kmm_kpageflags(m, start + off, nr, kpf)) {
					ret = -1;
					break;
				}
				for (unsigned long i = 0; i < nr; i++) {
					uint64_t k = kpf[i];
					enum page_use u = page_use_of(k);
					if (u == USE_NONE ||
					    (int)((k >> KPF_KMM_NODE_SHIFT) & 63) != n ||
					    (int)((k >> KPF_KMM_ZONE_SHIFT) & 7) != t)
						continue;	/* a hole, or another zone's frame */
					/* cell of frame off+i: the span cut into width equal parts */
					int c = (int)((off + i) * (unsigned long)width / span);
					pages[c]++;
					total++;
					if (u != USE_FREE && u != USE_PCP) {
						used[c]++;
						in_use++;
					}
				}
			}
			if (ret)
				break;
			sb_printf(sb, "%-8s ", zone_names[t]);
			if (m->nr_node_ids > 1)
				sb_printf(sb, "(node %d) ", n);
			sb_puts(sb, "▕");
			for (int c = 0; c < width; c++) {
				if (!pages[c])
					sb_puts(sb, "·");
				else if (!used[c])
					sb_puts(sb, " ");
				else	/* any use shows: at least one eighth */
					sb_puts(sb, heights[(used[c] * 8 + pages[c] - 1) / pages[c] - 1]);
			}
			sb_printf(sb, "▏ %3lu%% of %s in use\n",
				  total ? (in_use * 100 + total / 2) / total : 0,
				  size_str(total, size, sizeof(size)));
			if (span / (unsigned long)width > cell_pages)
				cell_pages = span / (unsigned long)width;
		}
	}
	if (!ret) {
		sb_printf(sb, "a cell is 1/%d of its zone (up to %s); its height is the share of "
			  "its frames in use, blank all free, · no RAM\n", width,
			  size_str(cell_pages ? cell_pages : 1, size, sizeof(size)));
	}
	free(kpf);
	free(used);
	free(pages);
	return ret;
}

void report_buddy_bars(struct kmm_machine *m, int width, bool by_pages, struct strbuf *sb)
{
	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &m->node_data[n]->node_zones[t];
			unsigned long v[NR_PAGE_ORDERS], max = 0;
			char size[24];

			if (!populated_zone(z))
				continue;
			for (int o = 0; o < NR_PAGE_ORDERS; o++) {
				v[o] = __atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED);
				if (by_pages)
					v[o] <<= o;
				if (v[o] > max)
					max = v[o];
			}
			sb_printf(sb, "Node %d, zone %8s: %lu pages free, %s per order\n", n,
				  zone_names[t], zone_page_state(z, NR_FREE_PAGES),
				  by_pages ? "free pages" : "free blocks");
			for (int o = 0; o < NR_PAGE_ORDERS; o++) {
				sb_printf(sb, "  order %2d %7s ", o, size_str(1UL << o, size, sizeof(size)));
				/* length in eighths of a cell, at least one for a non-zero count */
				unsigned long eighths = max ? (v[o] * (unsigned long)width * 8 + max - 1) / max
							    : 0;
				for (unsigned long e = eighths; e >= 8; e -= 8)
					sb_puts(sb, widths[7]);
				if (eighths % 8)
					sb_puts(sb, widths[eighths % 8 - 1]);
				sb_printf(sb, "%*s %lu\n", (int)(width - (int)((eighths + 7) / 8)), "", v[o]);
			}
		}
	}
}
