// SPDX-License-Identifier: MIT
/*
 * tests/integration_kmap.c - kmap, kmap_local_page, kmap_atomic on i386
 * highmem, and their reduction to page_address() on x86_64.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "mm/include/highmem.h"
#include "tests/vmalloc_test.h"

#define PAGE 4096UL
#define LAST_PKMAP 1024

static struct page *highpage(void)
{
	struct page *p = alloc_page(GFP_HIGHUSER);

	if (p && page_address(p)) {
		/* Not highmem after all (the zone fell back): not useful here. */
		__free_page(p);
		return NULL;
	}
	return p;
}

static void kmap_done(struct kmm_machine *m)
{
	vdone(m);
}

TEST(page_address_follows_kmap)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	struct page *p = highpage();

	assert_true(p != NULL);
	expect_true(page_address(p) == NULL);	/* highmem: no address until kmapped */
	char *a = kmap(p);
	assert_true(a != NULL);
	expect_true(page_address(p) == a);
	expect_true(kmm_virt_addr(m, a) >= 0xff000000ull);	/* the PKMAP range, near the top */
	char *b = kmap(p);				/* a second kmap shares the slot */
	expect_true(a == b);
	a[0] = 'x';
	expect_eq(kunmap(p), 0);
	expect_eq(kunmap(p), 0);
	expect_eq(kunmap(p), -EINVAL);		/* one too many */
	expect_str_contains(kmm_last_error(), "not kmapped");
	assert_eq(kmm_check(m), 0);
	/* The bytes stay in the frame: another mapping sees them. */
	char *l = kmap_local_page(p);
	expect_eq(l[0], 'x');
	kunmap_local(l);
	__free_page(p);
	kmap_done(m);
}

static void exhaust(const char *cmdline, int last_pkmap)
{
	struct kmm_machine *m = vboot(cmdline);
	char msg[64];
	struct page **pg = calloc(last_pkmap + 1, sizeof(*pg));

	for (int i = 0; i <= last_pkmap; i++)
		assert_true((pg[i] = highpage()) != NULL);
	for (int i = 0; i < last_pkmap; i++) {
		char *a = kmap(pg[i]);
		assert_true(a != NULL);
		a[0] = (char)i;
	}
	assert_eq(kmm_check(m), 0);
	/* Slot LAST_PKMAP + 1: nobody else can free one, so this is an error. */
	expect_true(kmap(pg[last_pkmap]) == NULL);
	snprintf(msg, sizeof(msg), "all LAST_PKMAP=%d slots are in use", last_pkmap);
	expect_str_contains(kmm_last_error(), msg);
	assert_eq(kmm_check(m), 0);
	/* Free one: the next kmap flushes the unused slot and takes it. */
	kunmap(pg[7]);
	char *a = kmap(pg[last_pkmap]);
	expect_true(a != NULL);
	expect_true(page_address(pg[7]) == NULL);	/* its mapping was flushed */
	expect_true(page_address(pg[last_pkmap]) == a);
	kunmap(pg[last_pkmap]);
	for (int i = 0; i < last_pkmap; i++)
		if (i != 7)
			kunmap(pg[i]);
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i <= last_pkmap; i++)
		__free_page(pg[i]);
	free(pg);
	kmap_done(m);
}

TEST(kmap_slot_exhaustion_single_threaded)
{
	exhaust("mem=1G arch=i386", 1024);
}

TEST(kmap_slot_exhaustion_pae)
{
	exhaust("mem=2G arch=i386-pae", 512);	/* one PAE PTE page: 512 slots */
}

struct waiter {
	struct kmm_machine *m;
	struct page *page;
	char *got;
	atomic_bool done;	/* kmap() returned */
};

static void *kmap_thread(void *arg)
{
	struct waiter *w = arg;

	kmm_use(w->m);
	w->got = kmap(w->page);	/* waits until the main thread kunmaps */
	atomic_store(&w->done, true);
	if (w->got)
		kunmap(w->page);
	return NULL;
}

TEST(kmap_waits_for_a_slot_with_threads)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386 maxcpus=2");
	struct page **pg = calloc(LAST_PKMAP + 1, sizeof(*pg));
	struct waiter w = { .m = m };
	bool waited;
	pthread_t t;

	for (int i = 0; i <= LAST_PKMAP; i++)
		assert_true((pg[i] = highpage()) != NULL);
	(void)kmap_local_depth(m);	/* this thread takes its CPU slot */
	for (int i = 0; i < LAST_PKMAP; i++)
		assert_true(kmap(pg[i]) != NULL);
	w.page = pg[LAST_PKMAP];
	assert_eq(pthread_create(&t, NULL, kmap_thread, &w), 0);
	/* it finds every slot busy and waits; only then is one freed */
	while (!(waited = kmap_nr_waiting(m) > 0) && !atomic_load(&w.done))
		sched_yield();
	kunmap(pg[0]);
	pthread_join(t, NULL);
	expect_true(waited);
	expect_true(w.got != NULL);
	for (int i = 1; i < LAST_PKMAP; i++)
		kunmap(pg[i]);
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i <= LAST_PKMAP; i++)
		__free_page(pg[i]);
	free(pg);
	kmap_done(m);
}

TEST(kmap_local_stack_discipline)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	struct page *a = highpage(), *b = highpage();

	assert_true(a && b);
	char *pa = kmap_local_page(a);
	char *pb = kmap_local_page(b);
	assert_true(pa && pb);
	expect_true(pa != pb);
	expect_eq(kmap_local_depth(m), 2);
	/* Out of order: refused, nothing changes. */
	expect_eq(kunmap_local(pa), -EINVAL);
	expect_str_contains(kmm_last_error(), "not the most recent kmap_local mapping");
	expect_eq(kmap_local_depth(m), 2);
	pb[1] = 'b';
	expect_eq(kunmap_local(pb), 0);
	expect_eq(kunmap_local(pa), 0);
	expect_eq(kmap_local_depth(m), 0);
	expect_eq(kunmap_local(pa), -EINVAL);	/* nothing left to unmap */
	expect_str_contains(kmm_last_error(), "nothing is kmap_local-mapped");
	/* Local mappings do not give the page an address. */
	expect_true(page_address(b) == NULL);
	assert_eq(kmm_check(m), 0);
	__free_page(a);
	__free_page(b);
	kmap_done(m);
}

TEST(kmap_atomic_nesting)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	struct page *p[17];
	char *a[17];

	for (int i = 0; i < 17; i++)
		assert_true((p[i] = highpage()) != NULL);
	for (int i = 0; i < 16; i++) {
		a[i] = kmap_atomic(p[i]);
		assert_true(a[i] != NULL);
		a[i][0] = (char)('A' + i);
	}
	/* KM_MAX_IDX = 16 per CPU: the 17th nests too deep. */
	expect_true(kmap_atomic(p[16]) == NULL);
	expect_str_contains(kmm_last_error(), "KM_MAX_IDX=16");
	expect_eq(kunmap_atomic(a[3]), -EINVAL);
	expect_eq(kmap_local_depth(m), 16);
	for (int i = 15; i >= 0; i--)
		expect_eq(kunmap_atomic(a[i]), 0);
	expect_eq(kmap_local_depth(m), 0);
	/* The bytes are in the frames. */
	char buf[1];
	for (int i = 0; i < 16; i++) {
		memcpy_from_page(buf, p[i], 0, 1);
		expect_eq(buf[0], (char)('A' + i));
	}
	assert_eq(kmm_check(m), 0);
	for (int i = 0; i < 17; i++)
		__free_page(p[i]);
	kmap_done(m);
}

TEST(clear_and_copy_highpage)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	struct page *a = highpage(), *b = highpage();

	assert_true(a && b);
	memcpy_to_page(a, 4000, "hello", 5);
	copy_highpage(b, a);
	char buf[6] = { 0 };
	memcpy_from_page(buf, b, 4000, 5);
	expect_true(memcmp(buf, "hello", 5) == 0);
	clear_highpage(b);
	memcpy_from_page(buf, b, 4000, 5);
	expect_eq(buf[0], 0);
	expect_eq(kmap_local_depth(m), 0);
	__free_page(a);
	__free_page(b);
	kmap_done(m);
}

TEST(x86_64_reduces_to_page_address)
{
	struct kmm_machine *m = vboot("mem=256M");
	struct page *p = alloc_page(GFP_HIGHUSER);

	assert_true(p != NULL);
	expect_true(kmap(p) == page_address(p));
	expect_true(kmap_local_page(p) == page_address(p));
	expect_eq(kunmap_local(page_address(p)), 0);
	expect_eq(kunmap(p), 0);
	expect_eq(kmap_local_depth(m), 0);
	__free_page(p);
	kmap_done(m);
}

TEST(i386_boot_prints_no_layout_banner)
{
	struct kmm_machine *m = vboot("mem=1G arch=i386");
	const char *d = t_dmesg(m);

	/* 6.12's x86 mem_init() has no "virtual kernel memory layout:" printk. */
	expect_true(strstr(d, "virtual kernel memory layout") == NULL);
	expect_true(strstr(d, "    pkmap   : 0x") == NULL);
	kmap_done(m);
}
