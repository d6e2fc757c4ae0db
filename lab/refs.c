// SPDX-License-Identifier: MIT
/*
 * lab/refs.c - reference strings for the page-replacement policies: typed
 * ones ("7 0 1 2 0w 3"), files of page numbers, and memory-access traces
 * from `valgrind --tool=lackey --trace-mem=yes`.
 *
 * Linux counterpart: none.
 *
 * lackey prints one access a line: "I  04016cbc,3" (instruction fetch),
 * " L 7ff000a48,8" (load), " S ..." (store), " M ..." (modify: a load and a
 * store of one place; one reference that writes), and "==PID==" lines of its
 * own. An access that straddles a page boundary references both pages.
 *
 * A kmm machine's trace (`kmm trace record`, docs/trace-format.md) gives
 * the faults its simulated MMU took: "TIME CPU PID page_fault_user
 * address=0x... error_code=0x..." (bit 1 of the error code: a write). The
 * MMU records an access only when it faults - the TLB and the page tables
 * serve the rest - so the string is each process's pages in the order they
 * faulted: first touches, and touches again after an unmap or reclaim. A
 * page is named by machine, process and page number, so two processes'
 * pages at the same address are two pages.
 * Page numbers are renamed densely (0, 1, 2, ... in order of first use) so
 * that the policies index arrays; `number` keeps the real ones.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab/trace_internal.h"
#include "lib/util.h"

void kmm_refs_init(struct kmm_refs *r)
{
	memset(r, 0, sizeof(*r));
}

void kmm_refs_free(struct kmm_refs *r)
{
	free(r->page);
	free(r->write);
	free(r->number);
	kmm_refs_init(r);
}

struct refs_builder {
	struct kmm_refs *r;
	struct lab_map map;	/* page number + 1 -> dense id */
	size_t number_cap;
};

static int add_ref(struct refs_builder *b, uint64_t page, bool write)
{
	struct kmm_refs *r = b->r;

	if (lab_map_need_grow(&b->map) && lab_map_grow(&b->map))
		return -ENOMEM;
	size_t i = lab_map_find(&b->map, page + 1);
	if (!b->map.key[i]) {
		if (r->nr_pages == UINT32_MAX)
			return -ENOMEM;
		if (r->nr_pages == b->number_cap) {
			size_t cap = b->number_cap ? 2 * b->number_cap : 1024;
			uint64_t *n = realloc(r->number, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			r->number = n;
			b->number_cap = cap;
		}
		b->map.key[i] = page + 1;
		b->map.val[i] = r->nr_pages;
		b->map.n++;
		r->number[r->nr_pages++] = page;
	}
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;
		uint32_t *p = realloc(r->page, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->page = p;
		uint8_t *w = realloc(r->write, cap);
		if (!w)
			return -ENOMEM;
		r->write = w;
		r->cap = cap;
	}
	r->page[r->nr] = b->map.val[i];
	r->write[r->nr++] = write;
	return 0;
}

/* One word of a reference string: a page number, 'w' for a write. */
static int parse_word(const char *w, size_t len, uint64_t *page, bool *write)
{
	uint64_t v = 0;
	size_t i = 0;

	if (!len || !isdigit((unsigned char)w[0]))
		return -EINVAL;
	for (; i < len && isdigit((unsigned char)w[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	*write = false;
	if (i < len && (w[i] == 'w' || w[i] == 'W')) {
		*write = true;
		i++;
	}
	if (i != len || v == UINT64_MAX)
		return -EINVAL;
	*page = v;
	return 0;
}

static int parse_words(struct refs_builder *b, const char *text, char *err, size_t errlen,
		       const char *where)
{
	const char *p = text;

	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (!*p)
			return 0;
		const char *w = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		uint64_t page;
		bool write;
		if (parse_word(w, (size_t)(p - w), &page, &write)) {
			snprintf(err, errlen, "%s'%.*s' is not a page number (a number, 'w' after it "
				 "for a write)", where, (int)KMM_MIN(p - w, 40), w);
			return -EINVAL;
		}
		if (add_ref(b, page, write)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
}

int kmm_refs_parse(struct kmm_refs *r, const char *text, char *err, size_t errlen)
{
	struct refs_builder b = { .r = r };
	int ret;

	kmm_refs_init(r);
	ret = parse_words(&b, text, err, errlen, "");
	lab_map_release(&b.map);
	if (!ret && !r->nr) {
		snprintf(err, errlen, "an empty reference string");
		ret = -EINVAL;
	}
	if (ret)
		kmm_refs_free(r);
	else
		snprintf(r->format, sizeof(r->format), "string");
	return ret;
}

/* A lackey line; returns 1 if it was one (0: not lackey, -errno: error). */
static int lackey_line(struct refs_builder *b, const char *line, unsigned int shift,
		       bool instructions)
{
	const char *p = line;
	char kind;
	char *end;

	while (*p == ' ')
		p++;
	kind = *p;
	if (!strchr("ILSM", kind) || !kind || (p[1] != ' '))
		return 0;
	p++;
	while (*p == ' ')
		p++;
	errno = 0;
	uint64_t addr = strtoull(p, &end, 16);
	if (end == p || *end != ',' || errno)
		return 0;
	uint64_t size = strtoull(end + 1, &end, 10);
	if (!size)
		size = 1;
	if (kind == 'I' && !instructions)
		return 1;
	bool write = kind == 'S' || kind == 'M';
	uint64_t first = addr >> shift, last = (addr + size - 1) >> shift;
	for (uint64_t pg = first; pg <= last; pg++)
		if (add_ref(b, pg, write))
			return -ENOMEM;
	return 1;
}

/* A kmm trace line; returns 1 if it was a fault (0: another event, -errno: error). */
static int fault_line(struct refs_builder *b, char *line, unsigned int shift, uint64_t machine)
{
	char *save = NULL, *w[8];
	int n = 0;

	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	if (n < 6 || strcmp(w[3], "page_fault_user") || strncmp(w[4], "address=", 8) ||
	    strncmp(w[5], "error_code=", 11))
		return 0;
	uint64_t addr = strtoull(w[4] + 8, NULL, 16), code = strtoull(w[5] + 11, NULL, 16);
	uint64_t pid = strtoull(w[2], NULL, 10);
	uint64_t page = (machine & 0xff) << 56 | (pid & 0xffff) << 40 |
			((addr >> shift) & ((1ull << 40) - 1));
	return add_ref(b, page, code & 2) ? -ENOMEM : 1;
}

int kmm_refs_read(struct kmm_refs *r, FILE *f, const char *name, unsigned int page_shift,
		  bool instructions, char *err, size_t errlen)
{
	struct refs_builder b = { .r = r };
	char *line = NULL, where[256];
	size_t cap = 0;
	long lineno = 0;
	int ret = 0, kind = 0;	/* 0 unknown, 1 lackey, 2 numbers, 3 a kmm trace */
	uint64_t machine = 0;

	kmm_refs_init(r);
	if (page_shift > 40) {
		snprintf(err, errlen, "page shift %u: at most 40", page_shift);
		return -EINVAL;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		const char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!kind && !strncmp(p, "# kmm-trace", 11))
			kind = 3;
		if (kind == 3) {
			if (!strncmp(p, "# machine ", 10))
				machine++;
			if (*p != '#' && (ret = fault_line(&b, line, page_shift, machine)) < 0)
				break;
			ret = 0;
			continue;
		}
		if (!*p || !strncmp(p, "==", 2) || *p == '#')
			continue;
		if (kind != 2) {
			ret = lackey_line(&b, line, page_shift, instructions);
			if (ret == 1) {
				kind = 1;
				ret = 0;
				continue;
			}
			if (ret)
				break;
			if (kind == 1) {
				snprintf(err, errlen, "%s:%ld: not a lackey record (I/L/S/M ADDR,SIZE)",
					 name, lineno);
				ret = -EINVAL;
				break;
			}
		}
		kind = 2;
		snprintf(where, sizeof(where), "%s:%ld: ", name, lineno);
		ret = parse_words(&b, line, err, errlen, where);
		if (ret)
			break;
	}
	free(line);
	lab_map_release(&b.map);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (!ret && !r->nr) {
		snprintf(err, errlen, kind == 3 ? "%s: no page_fault_user events in it (record them "
			 "with kmm trace record)" : "%s: no references in it", name);
		ret = -EINVAL;
	}
	if (ret) {
		kmm_refs_free(r);
		return ret;
	}
	snprintf(r->format, sizeof(r->format), "%s", kind == 1 ? "lackey" : kind == 3 ? "kmm faults"
									       : "numbers");
	return 0;
}
