// SPDX-License-Identifier: MIT
/*
 * lab/trace_read.c - readers for the allocation traces people already have:
 * glibc's mtrace(3) log, the CS:APP malloc lab's .rep files, and the trace
 * kmm's malloc shim records (KMM_MALLOC_TRACE, shim/trace.c).
 *
 * Linux counterpart: none.
 *
 * Formats (one record a line):
 *   mtrace   = Start / = End
 *            @ CALLER + 0xADDR 0xSIZE      malloc, calloc, memalign
 *            @ CALLER - 0xADDR             free
 *            @ CALLER < 0xOLD              realloc: the old block ...
 *            @ CALLER > 0xNEW 0xSIZE       ... and the new one
 *            @ CALLER ! 0xADDR 0xSIZE      a realloc that failed (ignored)
 *            (the "@ CALLER" part is optional)
 *   rep      four numbers (suggested heap size, ids, operations, weight),
 *            then "a ID SIZE", "r ID SIZE", "f ID"
 *   kmm      # kmm malloc trace 1
 *            a ADDR SIZE / m ADDR SIZE ALIGN / r OLD NEW SIZE / f ADDR
 *            (ADDR in hex; r with OLD 0 is an allocation)
 *   events   a kmm machine's event stream (`kmm trace record`,
 *            docs/trace-format.md): TIME CPU PID EVENT KEY=VALUE...; the
 *            kernel's objects (kmalloc ptr= bytes_req=, kfree ptr=,
 *            kmem_cache_alloc ptr= bytes_req=, kmem_cache_free ptr=), or
 *            with events-pages its page blocks (mm_page_alloc pfn= order=,
 *            mm_page_free pfn=: 4096 << order bytes). A "# machine N" line
 *            starts another machine: the blocks still live are freed there.
 *
 * Addresses become ids through a hash map; a trace's ids are dense and each
 * names one allocation (a realloc keeps its block's id). A free of an address
 * the trace never allocated (memory from before the trace began) is dropped
 * and counted, as is an allocation at an address still live (its free was
 * not recorded).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lab/trace_internal.h"
#include "lib/util.h"

/* ---- Reader state ---- */

struct reader {
	struct kmm_lab_trace *t;
	struct lab_map map;
	const char *name;
	long line;
	char *err;
	size_t errlen;
};

static int rd_err(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_err(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "%s:%ld: ", r->name, r->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int nomem(struct reader *r)
{
	snprintf(r->err, r->errlen, "%s: out of memory", r->name);
	return -ENOMEM;
}

/* A new block at @addr: a fresh id. */
static int rd_alloc(struct reader *r, uint64_t addr, uint64_t size, unsigned int align_log)
{
	if (!addr)
		return 0;	/* a failed allocation */
	if (lab_map_need_grow(&r->map) && lab_map_grow(&r->map))
		return nomem(r);
	size_t i = lab_map_find(&r->map, addr);
	if (r->map.key[i]) {
		/* the old block's free was not recorded: it ends here */
		r->t->dropped++;
		if (trace_push(r->t, KMM_LAB_TRACE_FREE, r->map.val[i], 0, 0))
			return nomem(r);
	} else {
		r->map.key[i] = addr;
		r->map.n++;
	}
	uint32_t id = r->t->nr_ids++;
	r->map.val[i] = id;
	if (trace_push(r->t, align_log ? KMM_LAB_TRACE_MEMALIGN : KMM_LAB_TRACE_ALLOC, id, size,
		       align_log))
		return nomem(r);
	return 0;
}

static int rd_free(struct reader *r, uint64_t addr)
{
	if (!addr)
		return 0;
	if (!r->map.cap) {
		r->t->dropped++;
		return 0;
	}
	size_t i = lab_map_find(&r->map, addr);
	if (!r->map.key[i]) {
		r->t->dropped++;	/* allocated before the trace began */
		return 0;
	}
	uint32_t id = r->map.val[i];
	lab_map_del(&r->map, i);
	return trace_push(r->t, KMM_LAB_TRACE_FREE, id, 0, 0) ? nomem(r) : 0;
}

static int rd_realloc(struct reader *r, uint64_t old, uint64_t addr, uint64_t size)
{
	size_t i;

	if (!old || !r->map.cap || !r->map.key[i = lab_map_find(&r->map, old)]) {
		if (old)
			r->t->dropped++;
		return rd_alloc(r, addr, size, 0);
	}
	if (!addr)
		return 0;	/* failed: the old block stays */
	uint32_t id = r->map.val[i];
	lab_map_del(&r->map, i);
	if (lab_map_need_grow(&r->map) && lab_map_grow(&r->map))
		return nomem(r);
	size_t j = lab_map_find(&r->map, addr);
	if (r->map.key[j]) {
		r->t->dropped++;
		if (trace_push(r->t, KMM_LAB_TRACE_FREE, r->map.val[j], 0, 0))
			return nomem(r);
		r->map.n--;
	}
	r->map.key[j] = addr;
	r->map.val[j] = id;
	r->map.n++;
	return trace_push(r->t, KMM_LAB_TRACE_REALLOC, id, size, 0) ? nomem(r) : 0;
}

/* A whole-token number (decimal, or hex with 0x; "(nil)" is 0). */
static int num(struct reader *r, const char *tok, uint64_t *out, const char *what)
{
	char *end;

	if (!tok)
		return rd_err(r, "missing %s", what);
	if (!strcmp(tok, "(nil)")) {
		*out = 0;
		return 0;
	}
	errno = 0;
	*out = strtoull(tok, &end, 0);
	if (end == tok || *end || errno || tok[0] == '-')
		return rd_err(r, "'%s' is not a %s", tok, what);
	return 0;
}

/* Hex without the 0x is what the kmm shim writes for addresses. */
static int hexnum(struct reader *r, const char *tok, uint64_t *out)
{
	char *end;

	if (!tok)
		return rd_err(r, "missing address");
	errno = 0;
	*out = strtoull(tok, &end, 16);
	if (end == tok || *end || errno)
		return rd_err(r, "'%s' is not an address", tok);
	return 0;
}

/* ---- The formats ---- */

static int mtrace_line(struct reader *r, char *line, uint64_t *pending_old, bool *pending)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
	uint64_t a, s;

	if (!tok || tok[0] == '=')
		return 0;
	if (!strcmp(tok, "@")) {
		if (!strtok_r(NULL, " \t\r\n", &save))
			return rd_err(r, "'@' without a caller");
		tok = strtok_r(NULL, " \t\r\n", &save);
		if (!tok)
			return rd_err(r, "a caller without a record");
	}
	char *x = strtok_r(NULL, " \t\r\n", &save), *y = strtok_r(NULL, " \t\r\n", &save);
	if (!strcmp(tok, "+")) {
		if (num(r, x, &a, "address") || num(r, y, &s, "size"))
			return -EINVAL;
		return rd_alloc(r, a, s, 0);
	}
	if (!strcmp(tok, "-"))
		return num(r, x, &a, "address") ? -EINVAL : rd_free(r, a);
	if (!strcmp(tok, "<")) {
		if (num(r, x, pending_old, "address"))
			return -EINVAL;
		*pending = true;
		return 0;
	}
	if (!strcmp(tok, ">")) {
		if (num(r, x, &a, "address") || num(r, y, &s, "size"))
			return -EINVAL;
		bool had = *pending;
		*pending = false;
		return had ? rd_realloc(r, *pending_old, a, s) : rd_alloc(r, a, s, 0);
	}
	if (!strcmp(tok, "!"))
		return 0;
	return rd_err(r, "'%s': not an mtrace record (+ - < > !)", tok);
}

static int kmm_line(struct reader *r, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
	char *x = strtok_r(NULL, " \t\r\n", &save), *y = strtok_r(NULL, " \t\r\n", &save);
	char *z = strtok_r(NULL, " \t\r\n", &save);
	uint64_t a = 0, b = 0, s = 0;

	if (!tok || tok[0] == '#')
		return 0;
	if (!strcmp(tok, "a"))
		return hexnum(r, x, &a) || num(r, y, &s, "size") ? -EINVAL : rd_alloc(r, a, s, 0);
	if (!strcmp(tok, "m")) {
		if (hexnum(r, x, &a) || num(r, y, &s, "size") || num(r, z, &b, "alignment"))
			return -EINVAL;
		if (!b || (b & (b - 1)))
			return rd_err(r, "alignment %llu is not a power of two", (unsigned long long)b);
		return rd_alloc(r, a, s, (unsigned int)__builtin_ctzll(b));
	}
	if (!strcmp(tok, "r"))
		return hexnum(r, x, &a) || hexnum(r, y, &b) || num(r, z, &s, "size")
			       ? -EINVAL : rd_realloc(r, a, b, s);
	if (!strcmp(tok, "f"))
		return hexnum(r, x, &a) ? -EINVAL : rd_free(r, a);
	return rd_err(r, "'%s': not a kmm trace record (a m r f)", tok);
}

struct rep_state {
	uint64_t header[4];
	int nheader;
	int64_t *dense;		/* rep id -> trace id, -1 when not live */
	uint64_t nids, ops;
};

static int rep_line(struct reader *r, char *line, struct rep_state *st)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
	uint64_t id, size;

	while (tok && st->nheader < 4) {
		if (num(r, tok, &st->header[st->nheader], "header number"))
			return -EINVAL;
		if (++st->nheader == 4) {
			st->nids = st->header[1];
			r->t->heap_hint = st->header[0];
			if (st->nids > (1u << 28))
				return rd_err(r, "%llu ids: too many", (unsigned long long)st->nids);
			st->dense = malloc((st->nids + 1) * sizeof(*st->dense));
			if (!st->dense)
				return nomem(r);
			for (uint64_t i = 0; i <= st->nids; i++)
				st->dense[i] = -1;
		}
		tok = strtok_r(NULL, " \t\r\n", &save);
	}
	if (!tok)
		return 0;
	if (strlen(tok) != 1 || !strchr("arf", tok[0]))
		return rd_err(r, "'%s': not a .rep operation (a r f)", tok);
	char op = tok[0];
	if (num(r, strtok_r(NULL, " \t\r\n", &save), &id, "block id"))
		return -EINVAL;
	if (id >= st->nids)
		return rd_err(r, "block id %llu: the header says ids are below %llu",
			      (unsigned long long)id, (unsigned long long)st->nids);
	st->ops++;
	if (op == 'f') {
		if (st->dense[id] < 0)
			return rd_err(r, "f %llu: block %llu is not allocated", (unsigned long long)id,
				      (unsigned long long)id);
		if (trace_push(r->t, KMM_LAB_TRACE_FREE, (uint32_t)st->dense[id], 0, 0))
			return nomem(r);
		st->dense[id] = -1;
		return 0;
	}
	if (num(r, strtok_r(NULL, " \t\r\n", &save), &size, "size"))
		return -EINVAL;
	if (op == 'a' && st->dense[id] >= 0)
		return rd_err(r, "a %llu: block %llu is already allocated", (unsigned long long)id,
			      (unsigned long long)id);
	if (st->dense[id] >= 0)
		return trace_push(r->t, KMM_LAB_TRACE_REALLOC, (uint32_t)st->dense[id], size, 0)
			       ? nomem(r) : 0;
	st->dense[id] = r->t->nr_ids++;
	return trace_push(r->t, KMM_LAB_TRACE_ALLOC, (uint32_t)st->dense[id], size, 0) ? nomem(r) : 0;
}

/* The value of KEY= among the words after the four fixed fields, or NULL. */
static char *event_value(char **words, int n, const char *key)
{
	size_t len = strlen(key);

	for (int i = 4; i < n; i++)
		if (!strncmp(words[i], key, len) && words[i][len] == '=')
			return words[i] + len + 1;
	return NULL;
}

/* Free every block still live (a machine's end). */
static int end_machine(struct reader *r)
{
	for (size_t i = 0; i < r->map.cap; i++)
		if (r->map.key[i] && trace_push(r->t, KMM_LAB_TRACE_FREE, r->map.val[i], 0, 0))
			return nomem(r);
	lab_map_release(&r->map);
	return 0;
}

static int events_line(struct reader *r, char *line, bool pages)
{
	char *save = NULL, *words[16];
	int n = 0;
	uint64_t a, s;

	if (line[0] == '#')
		return strncmp(line, "# machine ", 10) ? 0 : end_machine(r);
	for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 16;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = w;
	if (!n)
		return 0;
	if (n < 4)
		return rd_err(r, "an event line has time, cpu, pid and event first");
	const char *ev = words[3];
	/* page keys: the pfn with the top bit set, apart from kernel addresses */
	if (pages && (!strcmp(ev, "mm_page_alloc") || !strcmp(ev, "mm_page_free"))) {
		char *pfn = event_value(words, n, "pfn"), *order = event_value(words, n, "order");
		if (num(r, pfn, &a, "pfn") || num(r, order, &s, "order"))
			return -EINVAL;
		if (a == UINT64_MAX || s > 40)
			return 0;	/* a failed allocation */
		a |= 1ull << 63;
		return ev[8] == 'a' ? rd_alloc(r, a, 4096ull << s, 0) : rd_free(r, a);
	}
	if (pages)
		return 0;
	if (!strcmp(ev, "kmalloc") || !strcmp(ev, "kmem_cache_alloc")) {
		if (num(r, event_value(words, n, "ptr"), &a, "ptr") ||
		    num(r, event_value(words, n, "bytes_req"), &s, "bytes_req"))
			return -EINVAL;
		return rd_alloc(r, a, s, 0);
	}
	if (!strcmp(ev, "kfree") || !strcmp(ev, "kmem_cache_free"))
		return num(r, event_value(words, n, "ptr"), &a, "ptr") ? -EINVAL : rd_free(r, a);
	return 0;
}

/* Guess the format from the first line that has something on it. */
static enum kmm_lab_trace_format guess(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	if (!strncmp(line, "# kmm malloc trace", 18))
		return KMM_LAB_TRACE_KMM;
	if (!strncmp(line, "# kmm-trace", 11))
		return KMM_LAB_TRACE_EVENTS;
	if (line[0] == '=' || line[0] == '@' || ((line[0] == '+' || line[0] == '-') && line[1] == ' '))
		return KMM_LAB_TRACE_MTRACE;
	if (isdigit((unsigned char)line[0]))
		return KMM_LAB_TRACE_REP;
	return KMM_LAB_TRACE_AUTO;
}

int kmm_lab_trace_read(struct kmm_lab_trace *t, FILE *f, const char *name,
		       enum kmm_lab_trace_format fmt, char *err, size_t errlen)
{
	struct reader r = { .t = t, .name = name, .err = err, .errlen = errlen };
	struct rep_state rep = { 0 };
	uint64_t pending_old = 0;
	bool pending = false;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;

	kmm_lab_trace_init(t);
	while (getline(&line, &cap, f) >= 0) {
		r.line++;
		if (fmt == KMM_LAB_TRACE_AUTO) {
			const char *p = line;
			while (isspace((unsigned char)*p))
				p++;
			if (!*p)
				continue;
			fmt = guess(line);
			if (fmt == KMM_LAB_TRACE_AUTO) {
				ret = rd_err(&r, "not an allocation trace I know (mtrace, .rep, kmm, "
					     "kmm-trace)");
				break;
			}
		}
		ret = fmt == KMM_LAB_TRACE_MTRACE ? mtrace_line(&r, line, &pending_old, &pending)
		      : fmt == KMM_LAB_TRACE_KMM  ? kmm_line(&r, line)
		      : fmt == KMM_LAB_TRACE_EVENTS ? events_line(&r, line, false)
		      : fmt == KMM_LAB_TRACE_EVENTS_PAGES ? events_line(&r, line, true)
					      : rep_line(&r, line, &rep);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		snprintf(err, errlen, "%s: cannot read it: %s", name, strerror(errno));
		ret = -EIO;
	}
	if (!ret && fmt == KMM_LAB_TRACE_REP && rep.nheader < 4)
		ret = rd_err(&r, "a .rep file starts with four numbers");
	if (!ret && fmt == KMM_LAB_TRACE_AUTO)
		ret = rd_err(&r, "empty trace");
	free(line);
	free(rep.dense);
	lab_map_release(&r.map);
	if (ret) {
		kmm_lab_trace_free(t);
		return ret;
	}
	snprintf(t->format, sizeof(t->format), "%s",
		 fmt == KMM_LAB_TRACE_MTRACE ? "mtrace" : fmt == KMM_LAB_TRACE_KMM ? "kmm"
		 : fmt == KMM_LAB_TRACE_EVENTS ? "events"
		 : fmt == KMM_LAB_TRACE_EVENTS_PAGES ? "events-pages" : "rep");
	return 0;
}
