// SPDX-License-Identifier: MIT
/*
 * cli/verbs_slab.c - scenario verbs of the slab layer: kmem_cache_create,
 * kmem_cache_alloc, kmem_cache_free, kmem_cache_shrink, kmem_cache_destroy,
 * kmalloc, kfree, slabinfo; and the value terms slab.<cache>.<field>.
 *
 * Linux counterpart: none (what a test module does with the slab API).
 * Objects are named by their simulated kernel virtual addresses (numbers),
 * so output never depends on host addresses. `kmem_cache_alloc c count=N ->
 * $objs` keeps the N addresses in $objs as text; kmem_cache_free and kfree
 * accept such a list, a single address, or several arguments.
 *
 * Locking: none (the runner is single-threaded).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "cli/verbs.h"
#include "mm/include/addr.h"
#include "mm/include/slab.h"

static bool key_is(const char *key, size_t keylen, const char *want)
{
	return keylen == strlen(want) && !strncmp(key, want, keylen);
}

static const struct { const char *name; slab_flags_t flag; } flag_names[] = {
	{ "SLAB_HWCACHE_ALIGN", SLAB_HWCACHE_ALIGN },
	{ "SLAB_RECLAIM_ACCOUNT", SLAB_RECLAIM_ACCOUNT },
	{ "SLAB_CACHE_DMA", SLAB_CACHE_DMA },
	{ "SLAB_CACHE_DMA32", SLAB_CACHE_DMA32 },
	{ "SLAB_POISON", SLAB_POISON },
	{ "SLAB_RED_ZONE", SLAB_RED_ZONE },
	{ "SLAB_STORE_USER", SLAB_STORE_USER },
	{ "SLAB_CONSISTENCY_CHECKS", SLAB_CONSISTENCY_CHECKS },
	{ "SLAB_PANIC", SLAB_PANIC },
	{ "SLAB_TYPESAFE_BY_RCU", SLAB_TYPESAFE_BY_RCU },
	{ "SLAB_ACCOUNT", SLAB_ACCOUNT },
};

/* "SLAB_A|SLAB_B" to flags. Return: 0, or -1 with *bad at the unknown word. */
static int parse_slab_flags(const char *s, slab_flags_t *out, const char **bad)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, "|");
		bool found = false;
		for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
			if (strlen(flag_names[i].name) == n && !strncmp(flag_names[i].name, s, n)) {
				*out |= flag_names[i].flag;
				found = true;
			}
		}
		if (!found) {
			*bad = s;
			return -1;
		}
		s += n + (s[n] == '|');
	}
	return 0;
}

static struct kmem_cache *cache_arg(struct kmm_ctx *ctx, const struct args *a, int i,
				    struct kmm_machine *m)
{
	struct kmem_cache *s = kmm_find_cache(m, a->argv[i].text);

	if (!s)
		ctx_error(ctx, a, i, "no cache named '%s' (see slabinfo)", a->argv[i].text);
	return s;
}

/* An object's simulated address; ZERO_SIZE_PTR is 16, as in Linux. */
static uint64_t kva_of(struct kmm_machine *m, const void *p)
{
	if (p == ZERO_SIZE_PTR)
		return (uint64_t)(uintptr_t)ZERO_SIZE_PTR;
	return kmm_host_to_kva(m, p);
}

static void *host_of_kva(struct kmm_machine *m, uint64_t va)
{
	if (va == (uint64_t)(uintptr_t)ZERO_SIZE_PTR)
		return ZERO_SIZE_PTR;
	return kmm_phys_to_host(m, __pa_m(m, va));	/* NULL outside the direct map */
}

/* Options shared by the allocating verbs: count=N gfp=FLAGS node=N. */
static int alloc_opts(struct kmm_ctx *ctx, const struct args *a, int from, long long *count,
		      gfp_t *gfp, long long *node)
{
	for (int i = from; i < a->argc; i++) {
		const char *key, *val;
		size_t kl, bad;
		if (!arg_kv(&a->argv[i], &key, &kl, &val))
			return ctx_error(ctx, a, i, "unknown argument '%s' (count=N gfp=FLAGS node=N)",
					 a->argv[i].text);
		if (key_is(key, kl, "count")) {
			if (parse_long(val, count) || *count < 1 || *count > 1000000)
				return ctx_error(ctx, a, i, "count=%s is not in 1..1000000", val);
		} else if (key_is(key, kl, "gfp")) {
			if (kmm_gfp_parse(val, gfp, &bad)) {
				char hint[96];
				return ctx_error(ctx, a, i, "gfp=%s: unknown flag at '%s'%s", val,
						 val + bad, gfp_flag_hint(val + bad, hint, sizeof(hint)));
			}
		} else if (key_is(key, kl, "node")) {
			if (parse_long(val, node))
				return ctx_error(ctx, a, i, "node=%s is not a number", val);
		} else {
			return ctx_error(ctx, a, i, "unknown argument '%s' (count=N gfp=FLAGS node=N)",
					 a->argv[i].text);
		}
	}
	return 0;
}

static int alloc_opts_check(struct verb_check *vc, const struct args *a, int from)
{
	for (int i = from; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;
		if (!arg_kv(&a->argv[i], &key, &kl, &val) ||
		    !(key_is(key, kl, "count") || key_is(key, kl, "gfp") || key_is(key, kl, "node")))
			return verb_check_error(vc, a, i, "unknown argument '%s' (count=N gfp=FLAGS "
						"node=N)", a->argv[i].text);
	}
	return 0;
}

/* Store the addresses: one as a number, several as a text list. */
static void set_result_objs(struct kmm_ctx *ctx, const struct args *a, struct kmm_machine *m,
			    void **objs, long long n)
{
	struct value v = { 0 };

	if (!a->result)
		return;
	if (n == 1) {
		value_set_int(&v, objs[0] ? (long long)kva_of(m, objs[0]) : 0);
	} else {
		struct strbuf sb;
		sb_init(&sb);
		for (long long i = 0; i < n; i++)
			if (objs[i])
				sb_printf(&sb, "%s0x%llx", sb.len ? " " : "",
					  (unsigned long long)kva_of(m, objs[i]));
		value_set_str(&v, sb.buf ? sb.buf : "");
		sb_free(&sb);
	}
	ctx_set_var(ctx, a->result, &v);
}

/* Collect object addresses from arguments @from.. (numbers, $vars, lists). */
static int collect_objs(struct kmm_ctx *ctx, const struct args *a, int from, struct kmm_machine *m,
			void ***out, size_t *n)
{
	size_t cap = 16, k = 0;
	void **objs = malloc(cap * sizeof(*objs));

	if (!objs)
		return ctx_error(ctx, a, -1, "out of host memory");
	for (int i = from; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		char buf[32];
		const char *text = w->text;
		if (w->is_var) {
			const struct value *v = ctx_var(ctx, w->text);
			if (!v || (v->kind != V_INT && v->kind != V_STR)) {
				free(objs);
				return ctx_error(ctx, a, i, "$%s holds no object address", w->text);
			}
			if (v->kind == V_INT) {
				snprintf(buf, sizeof(buf), "%lld", v->i);
				text = buf;
			} else {
				text = v->s;
			}
		}
		while (*text) {
			char word[40], *end;
			size_t len = strcspn(text, " ");
			unsigned long long x = 0;
			if (len < sizeof(word)) {
				memcpy(word, text, len);
				word[len] = 0;
				x = strtoull(word, &end, 0);
			}
			if (len >= sizeof(word) || !len || *end) {
				free(objs);
				return ctx_error(ctx, a, i, "'%.*s' is not an address", (int)len, text);
			}
			void *p = x ? host_of_kva(m, (uint64_t)x) : NULL;
			if (x && !p) {
				free(objs);
				return ctx_error(ctx, a, i, "0x%llx is not a direct-map address", x);
			}
			if (k == cap) {
				void *np = realloc(objs, (cap *= 2) * sizeof(*objs));
				if (!np) {
					free(objs);
					return ctx_error(ctx, a, i, "out of host memory");
				}
				objs = np;
			}
			objs[k++] = p;
			text += len;
			while (*text == ' ')
				text++;
		}
	}
	*out = objs;
	*n = k;
	return 0;
}

/* ---- kmem_cache_create ---- */

static int create_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 2)
		return verb_check_error(vc, a, -1, "kmem_cache_create needs a name and a size, "
					"e.g. kmem_cache_create dentry 192");
	uint64_t sz;
	if (!a->argv[1].is_var && kmm_parse_size(a->argv[1].text, &sz, NULL))
		return verb_check_error(vc, a, 1, "'%s' is not a size", a->argv[1].text);
	for (int i = 2; i < a->argc; i++) {
		const char *key, *val, *bad;
		size_t kl;
		slab_flags_t f;
		if (!arg_kv(&a->argv[i], &key, &kl, &val) ||
		    !(key_is(key, kl, "align") || key_is(key, kl, "flags")))
			return verb_check_error(vc, a, i, "unknown argument '%s' (align=N "
						"flags=SLAB_X|SLAB_Y)", a->argv[i].text);
		if (key_is(key, kl, "flags") && parse_slab_flags(val, &f, &bad))
			return verb_check_error(vc, a, i, "unknown flag '%s'", bad);
	}
	return 0;
}

static int create_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t size = 0, align = 0;
	slab_flags_t flags = 0;

	if (!m)
		return VERB_ERROR;
	if (kmm_parse_size(a->argv[1].text, &size, NULL) || size > 0xffffffffu)
		return ctx_error(ctx, a, 1, "'%s' is not a size", a->argv[1].text);
	for (int i = 2; i < a->argc; i++) {
		const char *key, *val, *bad;
		size_t kl;
		arg_kv(&a->argv[i], &key, &kl, &val);
		if (key_is(key, kl, "align") && kmm_parse_size(val, &align, NULL))
			return ctx_error(ctx, a, i, "align=%s is not a size", val);
		if (key_is(key, kl, "flags") && parse_slab_flags(val, &flags, &bad))
			return ctx_error(ctx, a, i, "unknown flag '%s'", bad);
	}
	struct kmem_cache *s = kmm_kmem_cache_create(m, a->argv[0].text, (unsigned int)size,
						     (unsigned int)align, flags, NULL);
	if (!s)
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	struct kmem_cache_info info;

	kmem_cache_get_info(s, &info);
	ctx_printf(ctx, "kmem_cache_create %s: object_size %u, size %u, align %u, %u objects per "
		   "slab of order %u, min_partial %lu\n", info.name, info.object_size, info.size,
		   info.align, info.objects, info.order, info.min_partial);
	return VERB_OK;
}

/* ---- kmem_cache_alloc / kmalloc ---- */

static int cache_alloc_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 1)
		return verb_check_error(vc, a, -1, "kmem_cache_alloc needs a cache name");
	return alloc_opts_check(vc, a, 1);
}

static void report_allocs(struct kmm_ctx *ctx, struct kmm_machine *m, const char *what,
			  void **objs, long long n, long long got)
{
	if (got && objs[0] == ZERO_SIZE_PTR)
		ctx_printf(ctx, "%s: ZERO_SIZE_PTR (0x10)%s\n", what, n > 1 ? ", each time" : "");
	else if (n == 1 && got == 1)
		ctx_printf(ctx, "%s: 0x%llx\n", what, (unsigned long long)kva_of(m, objs[0]));
	else if (got == n)
		ctx_printf(ctx, "%s: %lld objects, 0x%llx .. 0x%llx\n", what, n,
			   (unsigned long long)kva_of(m, objs[0]),
			   (unsigned long long)kva_of(m, objs[n - 1]));
	else
		ctx_printf(ctx, "%s: %lld of %lld objects, then failed: %s\n", what, got, n,
			   kmm_last_error());
}

/*
 * Before every 1024 objects of @size bytes, with @left of the command's
 * objects still to allocate: what the next min(1024, @left) objects will
 * commit, their bytes (the slab pages are written when objects are set up)
 * and their struct pages. One `kmalloc 4M` projects 4 MiB, not 4 GiB.
 * Return: nonzero when the host memory limit stops the command.
 */
static int host_mem_guard(struct kmm_ctx *ctx, const struct args *a, uint64_t size,
			  long long left)
{
	uint64_t per = size + sizeof(void *) + (size >> PAGE_SHIFT) * sizeof(struct page) +
		       sizeof(struct page);
	uint64_t n = left < 1024 ? (uint64_t)left : 1024;

	return ctx_host_mem_check(ctx, a, per * n) != VERB_OK;
}

static int cache_alloc_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	long long count = 1, node = NUMA_NO_NODE;
	gfp_t gfp = GFP_KERNEL;
	struct kmem_cache *s;

	if (!m || !(s = cache_arg(ctx, a, 0, m)) || alloc_opts(ctx, a, 1, &count, &gfp, &node))
		return VERB_ERROR;
	void **objs = calloc((size_t)count, sizeof(*objs));
	long long got = 0;
	if (!objs)
		return ctx_error(ctx, a, -1, "out of host memory");
	for (; got < count; got++) {
		if (!(got & 1023) && host_mem_guard(ctx, a, kmem_cache_size(s), count - got)) {
			set_result_objs(ctx, a, m, objs, got ? got : 1);
			free(objs);
			return VERB_ERROR;
		}
		objs[got] = kmem_cache_alloc_node(s, gfp, (int)node);
		if (!objs[got])
			break;
	}
	char what[96];
	snprintf(what, sizeof(what), "kmem_cache_alloc %s", kmem_cache_name(s));
	report_allocs(ctx, m, what, objs, count, got);
	set_result_objs(ctx, a, m, objs, got ? got : 1);
	free(objs);
	return VERB_OK;
}

static int kmalloc_check(struct verb_check *vc, const struct args *a)
{
	uint64_t sz;

	if (a->argc < 1)
		return verb_check_error(vc, a, -1, "kmalloc needs a size, e.g. kmalloc 100");
	if (!a->argv[0].is_var && kmm_parse_size(a->argv[0].text, &sz, NULL))
		return verb_check_error(vc, a, 0, "'%s' is not a size", a->argv[0].text);
	return alloc_opts_check(vc, a, 1);
}

static int kmalloc_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	long long count = 1, node = NUMA_NO_NODE;
	gfp_t gfp = GFP_KERNEL;
	uint64_t size;

	if (!m || alloc_opts(ctx, a, 1, &count, &gfp, &node))
		return VERB_ERROR;
	if (kmm_parse_size(a->argv[0].text, &size, NULL))
		return ctx_error(ctx, a, 0, "'%s' is not a size", a->argv[0].text);
	void **objs = calloc((size_t)count, sizeof(*objs));
	long long got = 0;
	if (!objs)
		return ctx_error(ctx, a, -1, "out of host memory");
	/* Linux: kmalloc(0) returns ZERO_SIZE_PTR, which kfree ignores. */
	for (; got < count; got++) {
		if (!(got & 1023) && host_mem_guard(ctx, a, size, count - got)) {
			set_result_objs(ctx, a, m, objs, got ? got : 1);
			free(objs);
			return VERB_ERROR;
		}
		objs[got] = kmm_kmalloc(m, (size_t)size, gfp, (int)node);
		if (!objs[got])
			break;
	}
	char what[96];
	const char *from = "the page allocator";
	if (got && size) {
		struct kmem_cache *cache = virt_to_cache_m(m, objs[0]);
		if (cache)
			from = kmem_cache_name(cache);
	}
	if (size)
		snprintf(what, sizeof(what), "kmalloc %s (%s)", a->argv[0].text, from);
	else
		snprintf(what, sizeof(what), "kmalloc %s", a->argv[0].text);
	report_allocs(ctx, m, what, objs, count, got);
	set_result_objs(ctx, a, m, objs, got ? got : 1);
	free(objs);
	return VERB_OK;
}

/* ---- kmem_cache_free / kfree ---- */

static int cmp_ptr(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)*(void *const *)x, b = (uintptr_t)*(void *const *)y;

	return a < b ? -1 : a > b;
}

/*
 * A free the kernel would report as a bug (twice, a pointer that is no live
 * object, an object of another cache, the same object twice in one list) is
 * a run-time error of the scenario: refused before anything is freed, so the
 * machine is left as it was. Return: 0, or VERB_ERROR after the message.
 */
static int refuse_bad_frees(struct kmm_ctx *ctx, const struct args *a, int from,
			    struct kmm_machine *m, struct kmem_cache *s, void **objs, size_t n)
{
	const char *verb = s ? "kmem_cache_free" : "kfree";
	char why[160];

	for (size_t i = 0; i < n; i++) {
		int err = kmm_kfree_verdict(m, s, objs[i], why, sizeof(why));
		if (err)
			return ctx_error(ctx, a, a->argc > from ? from : -1, "%s: 0x%llx is %s%s; "
					 "nothing freed", verb,
					 (unsigned long long)kva_of(m, objs[i]), why,
					 err == -EALREADY ? " - a double free" : "");
	}
	if (n > 1) {
		void **sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return ctx_error(ctx, a, -1, "out of host memory");
		memcpy(sorted, objs, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_ptr);
		for (size_t i = 1; i < n; i++) {
			if (sorted[i] == sorted[i - 1] && !ZERO_OR_NULL_PTR(sorted[i])) {
				unsigned long long va = kva_of(m, sorted[i]);
				free(sorted);
				return ctx_error(ctx, a, a->argc > from ? from : -1, "%s: 0x%llx is "
						 "listed twice - a double free; nothing freed", verb,
						 va);
			}
		}
		free(sorted);
	}
	return 0;
}

static int cache_free_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 2)
		return verb_check_error(vc, a, -1, "kmem_cache_free needs a cache and objects, "
					"e.g. kmem_cache_free dentry $d");
	return 0;
}

static int cache_free_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct kmem_cache *s;
	void **objs;
	size_t n;

	if (!m || !(s = cache_arg(ctx, a, 0, m)) || collect_objs(ctx, a, 1, m, &objs, &n))
		return VERB_ERROR;
	if (refuse_bad_frees(ctx, a, 1, m, s, objs, n)) {
		free(objs);
		return VERB_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	ctx_printf(ctx, "kmem_cache_free %s: %zu object%s\n", kmem_cache_name(s), n,
		   n == 1 ? "" : "s");
	free(objs);
	return VERB_OK;
}

static int kfree_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 1)
		return verb_check_error(vc, a, -1, "kfree needs objects, e.g. kfree $p");
	return 0;
}

static int kfree_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	void **objs;
	size_t n;

	if (!m || collect_objs(ctx, a, 0, m, &objs, &n))
		return VERB_ERROR;
	if (refuse_bad_frees(ctx, a, 0, m, NULL, objs, n)) {
		free(objs);
		return VERB_ERROR;
	}
	struct kmm_machine *old = kmm_use(m);
	for (size_t i = 0; i < n; i++)
		kfree(objs[i]);
	kmm_use(old);
	ctx_printf(ctx, "kfree: %zu object%s\n", n, n == 1 ? "" : "s");
	free(objs);
	return VERB_OK;
}

/* ---- kmem_cache_shrink / kmem_cache_destroy / slabinfo ---- */

static int one_cache_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1)
		return verb_check_error(vc, a, -1, "%s takes one cache name", a->verb->name);
	return 0;
}

static int shrink_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct kmem_cache *s;

	if (!m || !(s = cache_arg(ctx, a, 0, m)))
		return VERB_ERROR;
	struct slab_counts before, after;
	struct kmem_cache_info info;

	kmem_cache_get_info(s, &info);
	slab_count(s, &before);
	kmem_cache_shrink(s);
	slab_count(s, &after);
	ctx_printf(ctx, "kmem_cache_shrink %s: %lu slabs (%lu pages) back to the buddy allocator\n",
		   info.name, before.nr_slabs - after.nr_slabs,
		   (before.nr_slabs - after.nr_slabs) << info.order);
	return VERB_OK;
}

static int destroy_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct kmem_cache *s;

	if (!m || !(s = cache_arg(ctx, a, 0, m)))
		return VERB_ERROR;
	kmm_set_error(0, "%s", "");
	kmem_cache_destroy(s);
	if (kmm_find_cache(m, a->argv[0].text))
		ctx_printf(ctx, "kmem_cache_destroy %s: not destroyed: %s (see dmesg)\n",
			   a->argv[0].text, kmm_last_error());
	else
		ctx_printf(ctx, "kmem_cache_destroy %s: done\n", a->argv[0].text);
	return VERB_OK;
}

static const struct out_field slabinfo_fields[] = {
	{ "name", "cache name" },
	{ "active_objs", "objects in use" },
	{ "num_objs", "objects in the cache's slabs" },
	{ "objsize", "object size with its metadata, bytes" },
	{ "objperslab", "objects per slab" },
	{ "pagesperslab", "pages per slab" },
	{ "active_slabs", "slabs with an object in use" },
	{ "num_slabs", "slabs" },
	{ NULL, NULL },
};

static int slabinfo_check(struct verb_check *vc, const struct args *a)
{
	int n = format_tail(vc, a);

	if (n < 0)
		return VERB_ERROR;
	if (n > 1)
		return verb_check_error(vc, a, 1, "slabinfo takes at most one cache name");
	return 0;
}

/* /proc/slabinfo's rows (all, or @only's) as records. */
static void slabinfo_records(struct kmm_ctx *ctx, enum out_format fmt, const char *text,
			     const char *only)
{
	struct records r;

	rec_begin(&r, ctx, fmt, slabinfo_fields);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		char name[64];
		unsigned long v[8];

		if (line[0] != '#' && strncmp(line, "slabinfo", 8) &&
		    sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : slabdata %lu %lu",
			   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[5],
			   &v[6]) == 11 && (!only || !strcmp(name, only))) {
			rec_str(&r, name);
			for (int i = 0; i < 5; i++)
				rec_uint(&r, v[i]);
			rec_uint(&r, v[5]);
			rec_uint(&r, v[6]);
		}
		line = nl ? nl + 1 : NULL;
	}
	rec_end(&r);
}

static int slabinfo_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	enum out_format fmt = format_of(a);
	bool one = a->argc && strncmp(a->argv[0].text, "--format", 8);
	char *text = NULL;
	char path[128];

	if (!m)
		return VERB_ERROR;
	if (one && !cache_arg(ctx, a, 0, m))
		return VERB_ERROR;
	if (!one || fmt != FMT_TEXT) {
		if (kmm_proc_read(m, "/proc/slabinfo", &text))
			return ctx_error(ctx, a, -1, "%s", kmm_last_error());
	} else {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/kmm_picture", a->argv[0].text);
		if (kmm_proc_read(m, path, &text))
			return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	}
	if (fmt != FMT_TEXT)
		slabinfo_records(ctx, fmt, text, one ? a->argv[0].text : NULL);
	else
		ctx_printf(ctx, "%s", text);
	free(text);
	return VERB_OK;
}

static const struct verb slab_verb_list[] = {
	{ "kmem_cache_create", "kmem_cache_create NAME SIZE [align=N] [flags=SLAB_X|SLAB_Y]",
	  "create an object cache", "Flags: SLAB_HWCACHE_ALIGN SLAB_RECLAIM_ACCOUNT SLAB_CACHE_DMA "
	  "SLAB_POISON SLAB_RED_ZONE SLAB_STORE_USER SLAB_PANIC SLAB_TYPESAFE_BY_RCU ...",
	  VERB_ACK, create_check, create_run },
	{ "kmem_cache_alloc", "kmem_cache_alloc NAME [count=N] [gfp=FLAGS] [node=N] -> $o",
	  "allocate objects from a cache", "With count=N, $o holds the N addresses as a list.",
	  VERB_RESULT | VERB_ACK, cache_alloc_check, cache_alloc_run },
	{ "kmem_cache_free", "kmem_cache_free NAME $o|ADDR ...", "free objects to their cache", NULL,
	  VERB_ACK, cache_free_check, cache_free_run },
	{ "kmem_cache_shrink", "kmem_cache_shrink NAME",
	  "flush per-CPU slabs and free every empty slab", NULL, VERB_ACK, one_cache_check, shrink_run },
	{ "kmem_cache_destroy", "kmem_cache_destroy NAME",
	  "destroy a cache (reports objects still allocated)", NULL, VERB_ACK, one_cache_check,
	  destroy_run },
	{ "kmalloc", "kmalloc SIZE [count=N] [gfp=FLAGS] [node=N] -> $p",
	  "allocate from the kmalloc caches (or the page allocator above 8K)", NULL, VERB_RESULT | VERB_ACK,
	  kmalloc_check, kmalloc_run },
	{ "kfree", "kfree $p|ADDR ...", "free kmalloc'ed objects",
	  "kfree 0 and kfree of ZERO_SIZE_PTR (16, what kmalloc 0 returns) do nothing.\n"
	  "Freeing an object twice, or an address that is no live object, is a run-time\n"
	  "error: nothing is freed and the scenario stops (status 2).", VERB_ACK, kfree_check,
	  kfree_run },
	{ "slabinfo", "slabinfo [CACHE] [--format json|csv]",
	  "print /proc/slabinfo, or draw one cache: CPU slots, full, partial, empty slabs", NULL, 0,
	  slabinfo_check, slabinfo_run },
};

/* slab.<cache>.<field>: slabs full partial empty cpu_slabs cpu_partial objects active_objs */
static int slab_term_split(const char *name, char *cache, size_t len, const char **field)
{
	const char *rest = name + strlen("slab.");
	const char *dot = strrchr(rest, '.');

	if (!dot || dot == rest || (size_t)(dot - rest) >= len)
		return -1;
	memcpy(cache, rest, (size_t)(dot - rest));
	cache[dot - rest] = 0;
	*field = dot + 1;
	return 0;
}

static const char *const slab_fields[] = { "slabs", "full", "partial", "empty", "cpu_slabs",
					   "cpu_partial", "objects", "active_objs" };

static int slab_term_check(const char *name, char *err, size_t errlen)
{
	char cache[64];
	const char *field;

	if (slab_term_split(name, cache, sizeof(cache), &field)) {
		snprintf(err, errlen, "expected slab.CACHE.FIELD, e.g. slab.kmalloc-64.partial");
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(slab_fields); i++)
		if (!strcmp(field, slab_fields[i]))
			return 0;
	static const char fields[] =
		"slabs full partial empty cpu_slabs cpu_partial objects active_objs";
	char hint[96];
	snprintf(err, errlen, "unknown field '%s' (%s%s)", field,
		 word_hint(field, fields, hint, sizeof(hint)), fields);
	return -1;
}

static int slab_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char cache[64];
	const char *field;
	struct slab_counts sc;

	if (!m || slab_term_split(name, cache, sizeof(cache), &field))
		return VERB_ERROR;
	struct kmem_cache *s = kmm_find_cache(m, cache);
	if (!s)
		return ctx_value_error(ctx, "no cache named '%s'", cache);
	slab_count(s, &sc);
	long long v = !strcmp(field, "slabs") ? (long long)sc.nr_slabs :
		      !strcmp(field, "full") ? (long long)sc.nr_full :
		      !strcmp(field, "partial") ? (long long)sc.nr_partial :
		      !strcmp(field, "empty") ? (long long)sc.nr_empty :
		      !strcmp(field, "cpu_slabs") ? (long long)sc.nr_cpu :
		      !strcmp(field, "cpu_partial") ? (long long)sc.nr_cpu_partial :
		      !strcmp(field, "objects") ? (long long)sc.nr_objs : (long long)sc.active_objs;
	value_set_int(out, v);
	return 0;
}

static const struct term slab_terms[] = {
	{ "slab.", "slab.CACHE.FIELD",
	  "a cache's slabs, full, partial (on the node lists), empty, cpu_slabs, cpu_partial "
	  "(slabs on the CPUs' partial lists), objects or active_objs",
	  slab_term_check, slab_term_eval },
};

static const struct verb_format formats[] = {
	{ "slabinfo", slabinfo_fields },
	{ NULL, NULL },
};

const struct verb_table slab_verbs = {
	.layer = "slab",
	.verbs = slab_verb_list,
	.nr_verbs = ARRAY_SIZE(slab_verb_list),
	.terms = slab_terms,
	.nr_terms = ARRAY_SIZE(slab_terms),
	.formats = formats,
	.intro =
		"Object caches: kmem_cache_create makes a cache of equal objects carved from slabs of "
		"pages, kmem_cache_alloc and kmem_cache_free take and return objects, kmalloc and "
		"kfree use the kmalloc-N caches, and slabinfo draws a cache's CPU slabs and node "
		"lists (/proc/slabinfo has the totals). Boot with slab_debug= for red zones and "
		"poisoning.",
	.example =
		"kmem_cache_create dentry 192 flags=SLAB_HWCACHE_ALIGN\n"
		"kmem_cache_alloc dentry count=10 -> $objs\n"
		"slabinfo dentry\n"
		"kmem_cache_free dentry $objs\n"
		"kmem_cache_destroy dentry\n"
		"kmalloc 100 -> $k\n"
		"kfree $k\n",
};
