// SPDX-License-Identifier: MIT
/*
 * cli/verbs_vmalloc.c - scenario verbs of the vmalloc and highmem layer:
 * vmalloc, vfree, vmap, vunmap, kmap, kunmap, kmap_local, kunmap_local,
 * vwrite, vread.
 *
 * Linux counterpart: none (what a test module would do with vmalloc() and
 * kmap()). Results are simulated kernel virtual addresses (numbers), so
 * output does not depend on host addresses: `vmalloc 64K -> $v` prints and
 * keeps 0xf8800000-ish on i386. A caller name given with caller=NAME is what
 * /proc/vmallocinfo shows; without one the verb's file:line is used.
 *
 * Locking: none (the runner is single-threaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "include/kmm/vmalloc.h"
#include "mm/include/addr.h"

/* ---- Argument helpers ---- */

static bool key_is(const char *key, size_t keylen, const char *want)
{
	return keylen == strlen(want) && !strncmp(key, want, keylen);
}

/* A kernel virtual address: a number, or a variable holding one. */
static int arg_addr(struct kmm_ctx *ctx, const struct args *a, int i, uint64_t *out)
{
	const struct word *w = &a->argv[i];

	if (w->is_var) {
		const struct value *v = ctx_var(ctx, w->text);
		if (!v || v->kind != V_INT)
			return ctx_error(ctx, a, i, "$%s does not hold an address", w->text);
		*out = (uint64_t)v->i;
		return 0;
	}
	if (parse_addr(w->text, out))
		return ctx_error(ctx, a, i, "'%s' is not an address", w->text);
	return 0;
}

/* The pages of a pageset variable, every page of every block, in order. */
static int arg_pages(struct kmm_ctx *ctx, const struct args *a, int i, struct page ***out,
		     unsigned int *count)
{
	const struct word *w = &a->argv[i];
	const struct value *v = w->is_var ? ctx_var(ctx, w->text) : NULL;

	if (!v || v->kind != V_PAGES)
		return ctx_error(ctx, a, i, "expected pages from alloc_pages, e.g. $p");
	if (!v->ps || !v->ps->nr)
		return ctx_error(ctx, a, i, "$%s is NULL (the allocation failed)", w->text);
	if (v->ps->freed)
		return ctx_error(ctx, a, i, "$%s was freed", w->text);
	unsigned long per = 1UL << v->ps->order, n = v->ps->nr * per;
	struct page **pages = malloc(n * sizeof(*pages));
	if (!pages)
		return ctx_error(ctx, a, i, "out of host memory");
	for (unsigned long b = 0; b < v->ps->nr; b++)
		for (unsigned long k = 0; k < per; k++)
			pages[b * per + k] = v->ps->pages[b] + k;
	*out = pages;
	*count = (unsigned int)n;
	return 0;
}

static void set_result_addr(struct kmm_ctx *ctx, const struct args *a, uint64_t va)
{
	struct value v = { 0 };

	if (!a->result)
		return;
	value_set_int(&v, (long long)va);
	ctx_set_var(ctx, a->result, &v);
}

/* Any kernel virtual address: direct map, vmalloc, PKMAP, fixmap (mm/addr.c). */
static void *host_of(struct kmm_machine *m, uint64_t va)
{
	return kmm_kva_to_host(m, va);
}

/*
 * backed_at() - the host byte behind kernel address @va if a page is mapped
 * there now, else NULL. The direct map always is; an address of the kernel's
 * window (vmalloc, PKMAP, fixmap) only where the kernel's page tables hold a
 * present PTE (vmalloc_to_page() walks them): the window's host reservation
 * has no access elsewhere, so reading a guard page, a freed area or an
 * unused slot through host_of() alone would kill the process (review20 R1).
 */
static void *backed_at(struct kmm_machine *m, uint64_t va)
{
	void *p = host_of(m, va);

	if (!p || __pa_m(m, va) != (uint64_t)-1)
		return p;
	return vmalloc_to_page(p) ? p : NULL;
}

/* backed_range() - 0 if every byte of [@va, @va + @len) is backed, else the first that is not. */
static int backed_range(struct kmm_machine *m, uint64_t va, uint64_t len, uint64_t *bad)
{
	for (uint64_t i = 0; i < len; i++) {
		if (i && ((va + i) & (PAGE_SIZE - 1)))
			continue;	/* one test a page */
		if (va + i < va || !backed_at(m, va + i)) {
			*bad = va + i;
			return -1;
		}
	}
	return 0;
}

static const char *zone_of(struct page *p)
{
	return zone_names[page_zonenum(p)];
}

/* ---- vmalloc / vfree ---- */

static int vmalloc_check_args(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 1)
		return verb_check_error(vc, a, -1, "vmalloc needs a size, e.g. vmalloc 64K");
	uint64_t sz;
	if (!a->argv[0].is_var && kmm_parse_size(a->argv[0].text, &sz, NULL))
		return verb_check_error(vc, a, 0, "'%s' is not a size", a->argv[0].text);
	for (int i = 1; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;
		if (!strcmp(a->argv[i].text, "user") || !strcmp(a->argv[i].text, "zero") ||
		    !strcmp(a->argv[i].text, "32"))
			continue;
		if (!arg_kv(&a->argv[i], &key, &kl, &val) ||
		    !(key_is(key, kl, "caller") || key_is(key, kl, "node") ||
		      key_is(key, kl, "gfp") || key_is(key, kl, "align")))
			return verb_check_error(vc, a, i, "unknown argument '%s' (caller=NAME node=N "
						"gfp=FLAGS align=N user zero 32)", a->argv[i].text);
	}
	return 0;
}

static int vmalloc_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t size = 0, align = 0;
	long long nid = -1;
	gfp_t gfp = GFP_KERNEL;
	unsigned long flags = 0;
	char caller[64];

	if (!m)
		return VERB_ERROR;
	snprintf(caller, sizeof(caller), "%s:%d", a->file, a->line);
	if (kmm_parse_size(a->argv[0].text, &size, NULL))
		return ctx_error(ctx, a, 0, "'%s' is not a size", a->argv[0].text);
	for (int i = 1; i < a->argc; i++) {
		const char *key, *val;
		size_t kl;
		size_t bad;
		if (!strcmp(a->argv[i].text, "user"))
			flags |= VM_USERMAP, gfp |= __GFP_ZERO;
		else if (!strcmp(a->argv[i].text, "zero"))
			gfp |= __GFP_ZERO;
		else if (!strcmp(a->argv[i].text, "32"))
			gfp |= __GFP_DMA32;
		else if (arg_kv(&a->argv[i], &key, &kl, &val)) {
			if (key_is(key, kl, "caller"))
				snprintf(caller, sizeof(caller), "%s", val);
			else if (key_is(key, kl, "node") && parse_long(val, &nid))
				return ctx_error(ctx, a, i, "node=%s is not a number", val);
			else if (key_is(key, kl, "gfp") && kmm_gfp_parse(val, &gfp, &bad)) {
				char hint[96];
				return ctx_error(ctx, a, i, "gfp=%s: unknown flag at '%s'%s", val,
						 val + bad, gfp_flag_hint(val + bad, hint, sizeof(hint)));
			}
			else if (key_is(key, kl, "align") && kmm_parse_size(val, &align, NULL))
				return ctx_error(ctx, a, i, "align=%s is not a size", val);
		}
	}
	char *p = kmm_vmalloc_caller(m, (unsigned long)size, (unsigned long)align, gfp, (int)nid,
				     flags, caller);
	if (!p) {
		ctx_printf(ctx, "vmalloc %s: failed: %s\n", a->argv[0].text, kmm_last_error());
		set_result_addr(ctx, a, 0);
		return VERB_OK;
	}
	uint64_t va = kmm_host_to_kva(m, p);
	unsigned long n = (unsigned long)((size + PAGE_SIZE - 1) / PAGE_SIZE), high = 0;
	for (unsigned long i = 0; i < n; i++)
		if (page_zonenum(vmalloc_to_page(p + i * PAGE_SIZE)) == ZONE_HIGHMEM)
			high++;
	ctx_printf(ctx, "vmalloc %s: 0x%llx-0x%llx, %lu pages (%lu HighMem, %lu lowmem) + 1 guard page\n",
		   a->argv[0].text, (unsigned long long)va,
		   (unsigned long long)(va + n * PAGE_SIZE), n, high, n - high);
	set_result_addr(ctx, a, va);
	return VERB_OK;
}

static int one_addr_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1)
		return verb_check_error(vc, a, -1, "%s takes one address, e.g. %s $v", a->verb->name,
					a->verb->name);
	return 0;
}

static int vfree_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t va = 0;

	if (!m || arg_addr(ctx, a, 0, &va))
		return VERB_ERROR;
	void *p = kmm_kva_to_host(m, va);
	if (!p)
		return ctx_error(ctx, a, 0, "0x%llx is not a vmalloc address", (unsigned long long)va);
	kmm_set_error(0, "%s", "");
	if (!strcmp(a->verb->name, "vunmap"))
		vunmap(p);
	else
		vfree(p);
	if (*kmm_last_error())
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	return VERB_OK;
}

/* ---- vmap ---- */

static int vmap_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 1 || !a->argv[0].is_var)
		return verb_check_error(vc, a, -1, "vmap maps the pages of a variable: vmap $p");
	for (int i = 1; i < a->argc; i++)
		if (strncmp(a->argv[i].text, "caller=", 7))
			return verb_check_error(vc, a, i, "unknown argument '%s' (caller=NAME)",
						a->argv[i].text);
	return 0;
}

static int vmap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct page **pages;
	unsigned int n;
	char caller[64];

	if (!m || arg_pages(ctx, a, 0, &pages, &n))
		return VERB_ERROR;
	snprintf(caller, sizeof(caller), "%s:%d", a->file, a->line);
	if (a->argc > 1)
		snprintf(caller, sizeof(caller), "%s", a->argv[1].text + 7);
	char *p = kmm_vmap_caller(m, pages, n, VM_MAP, caller);
	free(pages);
	if (!p) {
		ctx_printf(ctx, "vmap: failed: %s\n", kmm_last_error());
		set_result_addr(ctx, a, 0);
		return VERB_OK;
	}
	uint64_t va = kmm_host_to_kva(m, p);
	ctx_printf(ctx, "vmap: %u page%s at 0x%llx-0x%llx\n", n, n == 1 ? "" : "s",
		   (unsigned long long)va,
		   (unsigned long long)(va + (uint64_t)n * PAGE_SIZE));
	set_result_addr(ctx, a, va);
	return VERB_OK;
}

/* ---- kmap ---- */

static int page_arg_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc != 1 || !a->argv[0].is_var)
		return verb_check_error(vc, a, -1, "%s takes one page variable, e.g. %s $p",
					a->verb->name, a->verb->name);
	return 0;
}

static int kmap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct page **pages;
	unsigned int n;

	if (!m || arg_pages(ctx, a, 0, &pages, &n))
		return VERB_ERROR;
	struct page *pg = pages[0];
	free(pages);
	bool local = !strcmp(a->verb->name, "kmap_local");
	void *before = page_address(pg);
	char *p = local ? kmap_local_page(pg) : kmap(pg);
	if (!p)
		return ctx_error(ctx, a, -1, "%s", kmm_last_error());
	uint64_t va = kmm_virt_addr(m, p);
	void *after = page_address(pg);
	ctx_printf(ctx, "%s: pfn 0x%lx (%s) at 0x%llx%s", a->verb->name, page_to_pfn_m(m, pg),
		   zone_of(pg), (unsigned long long)va,
		   before && before == (void *)p ? " (lowmem: its direct-map address)" : "");
	if (!before)
		ctx_printf(ctx, "; page_address() is now %s", after ? "that address" : "still NULL");
	ctx_printf(ctx, "\n");
	set_result_addr(ctx, a, va);
	return VERB_OK;
}

static int kunmap_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct page **pages;
	unsigned int n;

	if (!m || arg_pages(ctx, a, 0, &pages, &n))
		return VERB_ERROR;
	int err = kunmap(pages[0]);
	free(pages);
	if (err)
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	return VERB_OK;
}

static int kunmap_local_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t va = 0;

	if (!m || arg_addr(ctx, a, 0, &va))
		return VERB_ERROR;
	void *p = host_of(m, va);
	if (!p)
		return ctx_error(ctx, a, 0, "0x%llx is not a kernel address", (unsigned long long)va);
	if (kunmap_local(p))
		return ctx_error(ctx, a, 0, "%s", kmm_last_error());
	return VERB_OK;
}

/* ---- Reading and writing kernel memory ---- */

static int vwrite_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 2 || a->argc > 3)
		return verb_check_error(vc, a, -1, "usage: vwrite ADDR TEXT [offset=N]");
	return 0;
}

static int parse_offset(struct kmm_ctx *ctx, const struct args *a, int i, uint64_t *off)
{
	if (i >= a->argc)
		return 0;
	if (strncmp(a->argv[i].text, "offset=", 7) || kmm_parse_size(a->argv[i].text + 7, off, NULL))
		return ctx_error(ctx, a, i, "expected offset=N, got '%s'", a->argv[i].text);
	return 0;
}

static int vwrite_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t va, off = 0;

	if (!m || arg_addr(ctx, a, 0, &va) || parse_offset(ctx, a, 2, &off))
		return VERB_ERROR;
	const char *text = a->argv[1].text;
	size_t len = strlen(text);
	/* Page by page: each page of the range must be mapped right now. */
	uint64_t bad;
	if (backed_range(m, va + off, len, &bad))
		return ctx_error(ctx, a, 0, "0x%llx is not mapped", (unsigned long long)bad);
	for (size_t i = 0; i < len; i++) {
		char *p = host_of(m, va + off + i);
		*p = text[i];
	}
	return VERB_OK;
}

static int vread_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 2 || a->argc > 3)
		return verb_check_error(vc, a, -1, "usage: vread ADDR LEN [offset=N]");
	return 0;
}

static int vread_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t va, off = 0, len;

	if (!m || arg_addr(ctx, a, 0, &va) || parse_offset(ctx, a, 2, &off))
		return VERB_ERROR;
	if (kmm_parse_size(a->argv[1].text, &len, NULL) || len > 4096)
		return ctx_error(ctx, a, 1, "'%s' is not a length up to 4096", a->argv[1].text);
	/* Every page first, so a refused read prints nothing but the error. */
	uint64_t bad;
	if (backed_range(m, va + off, len, &bad))
		return ctx_error(ctx, a, 0, "0x%llx is not mapped", (unsigned long long)bad);
	ctx_printf(ctx, "0x%llx: \"", (unsigned long long)(va + off));
	for (uint64_t i = 0; i < len; i++) {
		const unsigned char *p = host_of(m, va + off + i);
		if (*p >= 32 && *p < 127 && *p != '"' && *p != '\\')
			ctx_printf(ctx, "%c", *p);
		else
			ctx_printf(ctx, "\\x%02x", *p);
	}
	ctx_printf(ctx, "\"\n");
	return VERB_OK;
}

static int addr_offset_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc < 1 || a->argc > 2)
		return verb_check_error(vc, a, -1, "usage: %s ADDR [offset=N]", a->verb->name);
	return 0;
}

static int vmalloc_to_pfn_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t va = 0, off = 0;

	if (!m || arg_addr(ctx, a, 0, &va) || parse_offset(ctx, a, 1, &off))
		return VERB_ERROR;
	va += off;
	void *p = kmm_kva_to_host(m, va);
	struct page *pg = p ? vmalloc_to_page(p) : NULL;
	if (!pg)
		return ctx_error(ctx, a, 0, "0x%llx: no page mapped there", (unsigned long long)va);
	ctx_printf(ctx, "0x%llx -> pfn 0x%lx (%s), phys 0x%llx\n", (unsigned long long)va,
		   page_to_pfn_m(m, pg), zone_of(pg),
		   (unsigned long long)(PFN_PHYS(page_to_pfn_m(m, pg)) + (va & (PAGE_SIZE - 1))));
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "vmalloc", "vmalloc SIZE [caller=NAME] [node=N] [gfp=FLAGS] [align=N] [user] [zero] [32] -> $v",
	  "allocate virtually contiguous kernel memory (vmalloc, vzalloc, vmalloc_user, vmalloc_32)",
	  "Pages come from anywhere (HighMem first on i386) and are mapped at one range of\n"
	  "the vmalloc space with a guard page after it. The result is the kernel virtual\n"
	  "address. caller=NAME is what /proc/vmallocinfo shows (default: file:line).\n",
	  VERB_RESULT | VERB_ACK, vmalloc_check_args, vmalloc_run },
	{ "vfree", "vfree $v", "free a vmalloc area (its address range is purged lazily)",
	  NULL, VERB_ACK, one_addr_check, vfree_run },
	{ "vmap", "vmap $p [caller=NAME] -> $v", "map the pages of $p contiguously in vmalloc space",
	  NULL, VERB_RESULT | VERB_ACK, vmap_check, vmap_run },
	{ "vunmap", "vunmap $v", "remove a vmap mapping (the pages stay allocated)",
	  NULL, VERB_ACK, one_addr_check, vfree_run },
	{ "kmap", "kmap $p -> $a", "map a (highmem) page in a PKMAP slot; page_address() then finds it",
	  NULL, VERB_RESULT | VERB_ACK, page_arg_check, kmap_run },
	{ "kunmap", "kunmap $p", "drop one kmap of the page", NULL, VERB_ACK, page_arg_check, kunmap_run },
	{ "kmap_local", "kmap_local $p -> $a", "map a page in this CPU's next fixmap slot (stack order)",
	  NULL, VERB_RESULT | VERB_ACK, page_arg_check, kmap_run },
	{ "kunmap_local", "kunmap_local $a", "undo the most recent kmap_local (out of order is an error)",
	  NULL, VERB_ACK, one_addr_check, kunmap_local_run },
	{ "vmalloc_to_pfn", "vmalloc_to_pfn ADDR [offset=N]",
	  "walk the kernel page table: the frame behind ADDR", NULL, 0, addr_offset_check,
	  vmalloc_to_pfn_run },
	{ "vwrite", "vwrite ADDR TEXT [offset=N]", "write text at a kernel virtual address",
	  NULL, VERB_ACK, vwrite_check, vwrite_run },
	{ "vread", "vread ADDR LEN [offset=N]", "print the bytes at a kernel virtual address",
	  NULL, 0, vread_check, vread_run },
};

const struct verb_table vmalloc_verbs = {
	.layer = "vmalloc and highmem",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Kernel virtual memory: vmalloc maps scattered frames contiguously (vfree unmaps "
		"them, lazily), vmap does the same for pages you hold, and on i386 kmap, kmap_local "
		"and their undos give a HighMem page a kernel address for a while. /proc/vmallocinfo "
		"lists the areas.",
	.example =
		"boot mem=1G arch=i386\n"
		"vmalloc 64K -> $v\n"
		"vmalloc_to_pfn $v\n"
		"alloc_pages gfp=GFP_HIGHUSER -> $p\n"
		"kmap $p -> $a\n"
		"kunmap $p\n"
		"vfree $v\n"
		"free_pages $p\n"
		"cat /proc/vmallocinfo\n",
};
