// SPDX-License-Identifier: MIT
/*
 * mm/debug.c - what a failed VM_BUG_ON says: the page dump and the stop.
 *
 * Linux counterpart: mm/debug.c (dump_page, __dump_page) and the BUG()
 * report of arch/x86 ("kernel BUG at mm/page_alloc.c:1234!"). Kept: the
 * line's wording, a page dump with pfn, refcount, mapcount, mapping, index,
 * flags and type. Simplified: no stack trace, no page owner. Added: the
 * report goes to the host's stderr as well as the machine's dmesg, and the
 * host process stops (abort) where Linux's kernel would oops.
 *
 * The assertions themselves are macros in mm/include/mmdebug.h, compiled
 * only into debug builds (KMM_DEBUG_VM).
 *
 * Locking: none; reads the page racily, as Linux's dump_page does.
 */
#include <stdio.h>

#include "mm/include/addr.h"
#include "mm/include/mmdebug.h"
#include "mm/internal.h"

static const char *page_type_name(unsigned int type)
{
	switch (type) {
	case PGTY_buddy: return "buddy";
	case PGTY_offline: return "offline";
	case PGTY_table: return "table";
	case PGTY_guard: return "guard";
	case PGTY_hugetlb: return "hugetlb";
	case PGTY_slab: return "slab";
	case PGTY_zsmalloc: return "zsmalloc";
	case PGTY_unaccepted: return "unaccepted";
	}
	return "?";
}

void dump_page(const struct page *page, const char *reason)
{
	struct kmm_machine *m = page ? kmm_page_machine(page) : NULL;
	char line[256];

	if (!m) {
		snprintf(line, sizeof(line), "page:%s is no machine's struct page",
			 page ? "(not in a vmemmap)" : "NULL");
	} else {
		unsigned int type = __atomic_load_n(&page->page_type, __ATOMIC_RELAXED) >> 24;
		/* The type shares its word with _mapcount: a small negative count is no type. */
		bool typed = type >= PGTY_buddy && type <= PGTY_unaccepted;

		snprintf(line, sizeof(line),
			 "page: refcount:%d mapcount:%d mapping:%s index:%#lx pfn:%#lx "
			 "flags:%#lx%s%s", page_ref_count(page), typed ? 0 : page_mapcount(page),
			 page->mapping ? "set" : "0", page->index, page_to_pfn_m(m, page),
			 page->flags & PG_FLAGS_MASK, typed ? " type:" : "",
			 typed ? page_type_name(type) : "");
	}
	fprintf(stderr, "%s\n", line);
	if (reason)
		fprintf(stderr, "page dumped because: %s\n", reason);
	if (m) {
		kmm_printk(m, "%s", line);
		if (reason)
			kmm_printk(m, "page dumped because: %s", reason);
	}
}

void vm_bug(const char *file, int line, const char *what, const struct page *page)
{
	struct kmm_machine *m = kmm_current();
	char msg[512];

	if (page)
		dump_page(page, what);
	snprintf(msg, sizeof(msg), "kernel BUG at %s:%d! %s", file, line, what);
	if (m)
		kmm_printk(m, "%s", msg);
	sim_bug(msg);
}
