// SPDX-License-Identifier: MIT
/*
 * tests/integration_events.c - the event stream (mm/events.c) through the
 * public API: the mask, the events and their fields, the ring, the trace
 * format, the virtual clock (costs, determinism, independence from
 * subscribers, the boot's start), and the rate limit that reads it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/slab.h>
#include <kmm/trace.h>
#include <kmm/vmalloc.h>

#include "mm/include/machine.h"
#include "mm/include/slab.h"
#include "tests/harness.h"

#define MAX_SEEN 256

struct seen {
	int n;
	struct kmm_event ev[MAX_SEEN];
	char str[MAX_SEEN][48];
};

static int collect(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	struct seen *s = arg;

	(void)m;
	if (s->n < MAX_SEEN) {
		s->ev[s->n] = *ev;
		snprintf(s->str[s->n], sizeof(s->str[0]), "%s", ev->str ? ev->str : "");
		s->n++;
	}
	return 0;
}

static int find(const struct seen *s, int type, int from)
{
	for (int i = from; i < s->n; i++)
		if (s->ev[i].type == type)
			return i;
	return -1;
}

TEST(nobody_listens_means_an_empty_mask)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	struct seen s = { 0 };
	struct kmm_trace_sub sub = { "t", KMM_EVBIT(KMM_EV_KMALLOC), collect, &s };
	/* a debug build's machines start with the debug checker listening to op_end */
	const uint64_t base = kmm_debug_checks_on(m) ? KMM_EVBIT(KMM_EV_OP_END) : 0;

	expect_eq(m->event_mask, base);
	int id = kmm_trace_subscribe(m, &sub);
	assert_true(id >= 0);
	expect_eq(m->event_mask, base | KMM_EVBIT(KMM_EV_KMALLOC));
	kmm_trace_unsubscribe(m, id);
	expect_eq(m->event_mask, base);
	/* Bad subscribers are refused and change nothing. */
	struct kmm_trace_sub none = { "t", 0, collect, &s }, nofn = { "t", 1, NULL, &s };
	expect_eq(kmm_trace_subscribe(m, &none), -EINVAL);
	expect_eq(kmm_trace_subscribe(m, &nofn), -EINVAL);
	expect_eq(m->event_mask, base);
	t_done(m);
}

TEST(page_and_object_events_carry_linux_fields)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	struct seen s = { 0 };
	struct kmm_trace_sub sub = { "t", KMM_EVMASK_TRACEPOINTS, collect, &s };
	int id = kmm_trace_subscribe(m, &sub);

	struct page *p = alloc_pages(GFP_KERNEL, 2);
	assert_true(p != NULL);
	int i = find(&s, KMM_EV_MM_PAGE_ALLOC, 0);
	assert_true(i >= 0);
	expect_eq(s.ev[i].page.pfn, page_to_pfn(p));
	expect_eq(s.ev[i].page.order, 2);
	expect_eq(s.ev[i].page.gfp, GFP_KERNEL);
	__free_pages(p, 2);
	i = find(&s, KMM_EV_MM_PAGE_FREE, 0);
	assert_true(i >= 0);
	expect_eq(s.ev[i].page.pfn, page_to_pfn(p));
	expect_eq(s.ev[i].page.order, 2);

	s.n = 0;
	void *k = kmalloc(100, GFP_KERNEL);
	assert_true(k != NULL);
	i = find(&s, KMM_EV_KMALLOC, 0);
	assert_true(i >= 0);
	expect_eq(s.ev[i].obj.bytes_req, 100);
	expect_eq(s.ev[i].obj.bytes_alloc, 128);
	/* the machine's kernel virtual address, never the host pointer */
	expect_eq(s.ev[i].obj.ptr, kmm_virt_addr(m, k));
	kfree(k);
	i = find(&s, KMM_EV_KFREE, 0);
	assert_true(i >= 0);
	expect_eq(s.ev[i].obj.ptr, kmm_virt_addr(m, k));

	s.n = 0;
	struct kmem_cache *c = kmem_cache_create("events-test", 40, 0, 0, NULL);
	assert_true(c != NULL);
	/* the cache's structure and its node are objects of the boot caches, as in Linux */
	i = find(&s, KMM_EV_KMEM_CACHE_ALLOC, 0);
	assert_true(i >= 0);
	expect_true(!strcmp(s.str[i], "kmem_cache"));
	i = find(&s, KMM_EV_KMEM_CACHE_ALLOC, i + 1);
	assert_true(i >= 0);
	expect_true(!strcmp(s.str[i], "kmem_cache_node"));
	s.n = 0;
	void *o = kmem_cache_alloc(c, GFP_KERNEL);
	i = find(&s, KMM_EV_KMEM_CACHE_ALLOC, 0);
	assert_true(i >= 0);
	expect_true(!strcmp(s.str[i], "events-test"));
	expect_eq(s.ev[i].obj.bytes_req, 40);
	kmem_cache_free(c, o);
	expect_true(find(&s, KMM_EV_KMEM_CACHE_FREE, 0) >= 0);
	kmem_cache_destroy(c);

	s.n = 0;
	void *v = vmalloc(3 * 4096);
	assert_true(v != NULL);
	i = find(&s, KMM_EV_ALLOC_VMAP_AREA, 0);
	assert_true(i >= 0);
	expect_eq(s.ev[i].vmap.size, 4 * 4096);	/* the guard page included */
	expect_eq(s.ev[i].vmap.addr, kmm_virt_addr(m, v));
	vfree(v);
	expect_true(find(&s, KMM_EV_FREE_VMAP_AREA_NOFLUSH, 0) >= 0);
	kmm_trace_unsubscribe(m, id);
	t_done(m);
}

TEST(a_failed_allocation_is_an_event_too)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	struct seen s = { 0 };
	struct kmm_trace_sub sub = { "t", KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC), collect, &s };
	int id = kmm_trace_subscribe(m, &sub);
	struct page *held[16];
	int n = 0;

	/* 64M has fewer than 16 free order-10 blocks: the last call fails and says so */
	while (n < 16 && (held[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	assert_true(n < 16);
	assert_eq(s.n, n + 1);
	expect_eq(s.ev[n].page.pfn, ~0ULL);	/* Linux prints -1 for a NULL page */
	expect_eq(s.ev[n].page.order, 10);
	for (int i = 0; i < n; i++)
		expect_eq(s.ev[i].page.pfn, page_to_pfn(held[i]));
	kmm_trace_unsubscribe(m, id);
	while (n)
		__free_pages(held[--n], 10);
	t_done(m);
}

/*
 * The slab's lock-free paths (the malloc shim's: kmem_cache_alloc_fast(),
 * kfree_fast()) step aside while anyone listens to the slab's object
 * events, so that a listener sees every allocation and free, and run again
 * once nobody does (m->obj_fast_serial follows the mask). Where slots
 * cannot run lock-free (no membarrier, ThreadSanitizer) they never run:
 * only the listened half is checked there.
 */
TEST(a_listener_turns_the_slab_lock_free_paths_off_and_back_on)
{
	struct kmm_machine *m = t_boot("mem=64M slab_sheaves=on debug_checks=off");
	struct kmem_cache *c = kmem_cache_create("t_fast", 64, 0, 0, NULL);
	struct seen s = { 0 };
	struct kmm_trace_sub on_alloc = { "t", KMM_EVBIT(KMM_EV_KMEM_CACHE_ALLOC), collect, &s };
	struct kmm_trace_sub on_free = { "t", KMM_EVBIT(KMM_EV_KFREE), collect, &s };
	const bool lockless = m->cpu_lockless;

	assert_true(c != NULL);
	void *a = kmem_cache_alloc(c, GFP_KERNEL), *b = kmem_cache_alloc(c, GFP_KERNEL);
	assert_true(a && b);
	if (lockless)
		expect_true(kfree_fast(m, a));	/* into this CPU's sheaf */
	else
		kmem_cache_free(c, a);

	int id = kmm_trace_subscribe(m, &on_alloc);
	assert_true(id >= 0);
	expect_true(kmem_cache_alloc_fast(c) == NULL);	/* a waits in the sheaf */
	kmm_trace_unsubscribe(m, id);
	id = kmm_trace_subscribe(m, &on_free);
	assert_true(id >= 0);
	expect_true(!kfree_fast(m, b));
	kmm_trace_unsubscribe(m, id);
	expect_eq(s.n, 0);	/* the fast paths emitted nothing, they did nothing */

	if (lockless) {
		expect_true(kmem_cache_alloc_fast(c) == a);	/* nobody listens: on again */
		expect_true(kfree_fast(m, b));
		expect_true(kmem_cache_alloc_fast(c) == b);
	} else {
		expect_true(kmem_cache_alloc_fast(c) == NULL);
		a = kmem_cache_alloc(c, GFP_KERNEL);
	}
	kmem_cache_free(c, a);
	kmem_cache_free(c, b);
	kmem_cache_destroy(c);
	t_done(m);
}

struct ring_read {
	int n;
	unsigned int orders[8];
};

static void ring_one(const struct kmm_event *ev, void *arg)
{
	struct ring_read *r = arg;

	if (r->n < 8)
		r->orders[r->n] = ev->page.order;
	r->n++;
}

TEST(the_ring_keeps_the_last_events)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	struct ring_read r = { 0 };
	const uint64_t base = kmm_debug_checks_on(m) ? KMM_EVBIT(KMM_EV_OP_END) : 0;

	expect_eq(kmm_trace_ring_start(m, 0, 4), -EINVAL);
	expect_eq(kmm_trace_ring_start(m, KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC), 0), -EINVAL);
	assert_eq(kmm_trace_ring_start(m, KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC), 3), 0);	/* -> 4 */
	expect_eq(m->event_mask, base | KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC));
	for (unsigned int i = 0; i < 6; i++)
		__free_pages(alloc_pages(GFP_KERNEL, i), i);
	/* six events, room for four: the first two are lost, the rest in order */
	expect_eq(kmm_trace_ring_read(m, ring_one, &r), 2);
	expect_eq(r.n, 4);
	for (int i = 0; i < 4; i++)
		expect_eq(r.orders[i], (unsigned int)i + 2);
	kmm_trace_ring_stop(m);
	expect_eq(m->event_mask, base);
	t_done(m);
}

TEST(the_trace_format_is_one_line_of_fields)
{
	struct kmm_event ev = { .time_ns = 1234567890ull, .type = KMM_EV_MM_PAGE_ALLOC,
				.cpu = 1, .pid = 7 };
	char buf[256];

	ev.page.pfn = 0x1234;
	ev.page.order = 3;
	ev.page.gfp = GFP_KERNEL | __GFP_ZERO;
	ev.page.migratetype = 0;
	kmm_trace_format(&ev, buf, sizeof(buf));
	expect_true(!strcmp(buf, "1.234567890 1 7 mm_page_alloc pfn=0x1234 order=3 "
			    "gfp_flags=GFP_KERNEL|__GFP_ZERO migratetype=0"));
	struct kmm_event con = { .type = KMM_EV_CONSOLE, .str = "a \"quoted\" line" };
	kmm_trace_format(&con, buf, sizeof(buf));
	expect_true(!strcmp(buf, "0.000000000 0 0 console msg=\"a \\\"quoted\\\" line\""));
	/* a short buffer gets a NUL-terminated prefix and the length it needed */
	int need = kmm_trace_format(&ev, buf, 10);
	expect_eq(strlen(buf), 9);
	expect_true(need > 60);
	/* names are Linux's and round-trip */
	for (int t = 0; t < KMM_EV_NR; t++)
		expect_eq(kmm_event_lookup(kmm_event_name(t)), t);
	expect_eq(kmm_event_lookup("mm_page_alloc"), KMM_EV_MM_PAGE_ALLOC);
	expect_eq(kmm_event_lookup("no_such_event"), -ENOENT);
}

/* ---- The clock ---- */

TEST(early_boot_lines_stay_at_zero_then_the_clock_moves)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	const char *log = t_dmesg(m);
	const char *early = strstr(log, "Kernel command line:");
	const char *late = strstr(log, "Freeing unused kernel image");

	assert_true(early && late);
	/* "[    0.000000] Kernel command line" as on Linux, before time_init */
	expect_true(!strncmp(early - 15, "[    0.000000] ", 15));
	expect_true(strncmp(late - 15, "[    0.000000] ", 15) != 0);
	/* stamps never go back */
	unsigned long prev = 0;
	for (const char *p = log; (p = strchr(p, '[')); p++) {
		unsigned long s, us;
		if (sscanf(p, "[%lu.%lu]", &s, &us) == 2) {
			expect_true(s * 1000000 + us >= prev);
			prev = s * 1000000 + us;
		}
	}
	t_done(m);
}

TEST(each_page_costs_its_fixed_time)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	uint64_t t0 = kmm_clock_ns(m);
	struct page *p = alloc_pages(GFP_KERNEL, 3);

	assert_true(p != NULL);
	uint64_t t1 = kmm_clock_ns(m);
	expect_eq(t1 - t0, 8 * kmm_event_cost(KMM_EV_MM_PAGE_ALLOC));
	__free_pages(p, 3);
	expect_eq(kmm_clock_ns(m) - t1, 8 * kmm_event_cost(KMM_EV_MM_PAGE_FREE));
	t1 = kmm_clock_ns(m);
	kmm_clock_advance(m, 5000);
	expect_eq(kmm_clock_ns(m) - t1, 5000);
	/* a printk line costs console time */
	t1 = kmm_clock_ns(m);
	kmm_printk(m, "one line\ntwo lines");
	expect_eq(kmm_clock_ns(m) - t1, 2 * kmm_event_cost(KMM_EV_CONSOLE));
	t_done(m);
}

static uint64_t workload(struct kmm_machine *m, bool listen)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct kmm_trace_sub sub = { "t", KMM_EVMASK_TRACEPOINTS, collect, s };
	int id = listen ? kmm_trace_subscribe(m, &sub) : -1;
	void *objs[64];

	for (int i = 0; i < 64; i++)
		objs[i] = kmalloc((size_t)(i * 37 % 3000) + 1, GFP_KERNEL);
	for (int i = 0; i < 64; i++)
		kfree(objs[i]);
	struct page *p = alloc_pages(GFP_HIGHUSER, 4);
	__free_pages(p, 4);
	void *v = vmalloc(40000);
	vfree(v);
	if (id >= 0)
		kmm_trace_unsubscribe(m, id);
	free(s);
	return kmm_clock_ns(m);
}

TEST(the_clock_does_not_depend_on_who_listens)
{
	struct kmm_machine *a = t_boot("mem=128M arch=i386");
	struct kmm_machine *b = t_boot("mem=128M arch=i386");

	kmm_use(a);
	uint64_t ta = workload(a, false);
	kmm_use(b);
	uint64_t tb = workload(b, true);
	expect_eq(ta, tb);
	/* and the logs, stamps included, are the same bytes */
	char *la = strdup(t_dmesg(a)), *lb = strdup(t_dmesg(b));
	expect_true(!strcmp(la, lb));
	free(la);
	free(lb);
	kmm_use(a);
	t_done(a);
	kmm_use(b);
	t_done(b);
}

static int count_reports(const char *log)
{
	int n = 0;

	for (const char *p = log; (p = strstr(p, "page allocation failure")); p++)
		n++;
	return n;
}

TEST(warn_alloc_is_rate_limited_by_the_virtual_clock)
{
	struct kmm_machine *m = t_boot("mem=64M arch=i386");
	struct page *held[64];
	int n = 0;

	while (n < 64 && (held[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 10)))
		n++;
	/* three failures at once: one report (Linux's 10 s ratelimit) */
	for (int i = 0; i < 3; i++)
		expect_true(alloc_pages(GFP_KERNEL, 10) == NULL);
	expect_eq(count_reports(t_dmesg(m)), 1);
	/* ten seconds later the next failure reports again, and says what it dropped */
	kmm_clock_advance(m, 10ull * 1000000000ull);
	expect_true(alloc_pages(GFP_KERNEL, 10) == NULL);
	expect_eq(count_reports(t_dmesg(m)), 2);
	expect_str_contains(t_dmesg(m), "warn_alloc: 2 callbacks suppressed");
	while (n)
		__free_pages(held[--n], 10);
	t_done(m);
}
