// SPDX-License-Identifier: MIT
/*
 * tests/integration_slab_debug.c - one test per debug report, after Linux's
 * lib/slub_kunit.c and KASAN's slab cases: a 1-byte overflow into the red
 * zone, a write after free, a double free, a free of a pointer inside an
 * object, a corrupted free pointer; and slab_debug= parsing at boot. Each
 * checks that dmesg names the cache, the object, the offset and the bytes.
 */
#include <stdlib.h>

#include "tests/slab_test.h"

static struct kmem_cache *mk(const char *name, unsigned int size, slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, flags, NULL);

	assert_true(s != NULL);
	return s;
}

TEST(boot_option_slab_debug_sets_cache_flags)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=FZPU,dentry*;Z");
	struct kmem_cache *d = mk("dentry_test", 192, 0);
	struct kmem_cache *o = mk("other", 192, 0);
	char *text = t_proc(m, "/sys/kernel/slab/dentry_test/poison");

	expect_true(text && !strcmp(text, "1\n"));
	free(text);
	text = t_proc(m, "/sys/kernel/slab/other/red_zone");
	expect_true(text && !strcmp(text, "1\n"));
	free(text);
	text = t_proc(m, "/sys/kernel/slab/other/poison");
	expect_true(text && !strcmp(text, "0\n"));
	free(text);
	/* Debug metadata grows the object: 192 + left/right red zones + free pointer + 2 tracks. */
	expect_true(d->size > 192 && o->size > 192);
	kmem_cache_destroy(d);
	kmem_cache_destroy(o);
	slab_done(m);
	expect_true(kmm_boot("mem=256M slab_debug=Q") == NULL);
	expect_str_contains(kmm_last_error(), "slab_debug");
}

/* slub_kunit test_clobber_redzone_free / KASAN kmalloc_oob_right: one byte past the end. */
TEST(one_byte_overflow_into_the_red_zone)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=FZ");
	struct kmem_cache *s = mk("TestSlub_RZ_free", 64, 0);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	p[64] = 0x12;
	kmem_cache_free(s, p);
	const char *log = t_dmesg(m);
	expect_str_contains(log, "BUG TestSlub_RZ_free (Not tainted): Right Redzone overwritten");
	expect_str_contains(log, "First byte 0x12 instead of 0xcc");
	expect_str_contains(log, "@offset=");
	expect_str_contains(log, "Object 0x");
	expect_str_contains(log, "Redzone  ");
	expect_str_contains(log, "FIX TestSlub_RZ_free: Restoring Right Redzone");
	/* Restored: the next round trip is clean. */
	unsigned long errors = (unsigned long)atomic_load(&s->errors);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p);
	expect_eq(atomic_load(&s->errors), errors);
	kmem_cache_destroy(s);

	/* kmalloc caches are debugged too: 16 bytes asked, the 17th written. */
	unsigned char *k = kmalloc(16, GFP_KERNEL);
	k[16] = 0x34;
	kfree(k);
	expect_str_contains(t_dmesg(m), "BUG kmalloc-16 (Tainted: B): Right Redzone overwritten");
	expect_str_contains(t_dmesg(m), "First byte 0x34 instead of 0xcc");
	slab_done(m);
}

/* slub_kunit test_kmalloc_redzone_access / KASAN kmalloc_oob_right: past the requested size. */
TEST(kmalloc_red_zone_past_the_requested_size)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=ZU");
	unsigned char *p = kmalloc(100, GFP_KERNEL);	/* a kmalloc-128 object */

	expect_eq(ksize(p), 100);			/* the rest is red zone */
	p[100] = 0x78;
	kfree(p);
	expect_str_contains(t_dmesg(m), "BUG kmalloc-128 (Not tainted): kmalloc Redzone overwritten");
	expect_str_contains(t_dmesg(m), "First byte 0x78 instead of 0xcc");
	/* krealloc in place moves the red zone: writing the new bytes is fine. */
	unsigned long errors = (unsigned long)atomic_load(&kmm_find_cache(m, "kmalloc-128")->errors);
	unsigned char *q = kmalloc(100, GFP_KERNEL);
	unsigned char *r = krealloc(q, 120, GFP_KERNEL);
	expect_true(r == q);
	memset(r, 1, 120);
	kfree(r);
	expect_eq(atomic_load(&kmm_find_cache(m, "kmalloc-128")->errors), errors);
	slab_done(m);
}

/*
 * A report about an object that was never freed prints no free track: the
 * tracks of a new slab start empty (with P the slab was first filled with
 * 0x5a, which the report printed as "Freed in 0x5a5a5a5a5a5a5a5a age=...").
 */
TEST(never_freed_object_has_no_free_track)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=FZPU");
	unsigned char *k = kmalloc(24, GFP_KERNEL);

	k[24] = 0x11;				/* past the requested size */
	kfree(k);
	const char *log = t_dmesg(m);
	expect_str_contains(log, "kmalloc Redzone overwritten");
	expect_str_contains(log, "Allocated in ");
	expect_true(strstr(log, "Freed in ") == NULL);
	expect_true(strstr(log, "5a5a5a5a") == NULL);
	slab_done(m);
}

/* The reports of one misuse on a machine booted from @cmdline, from "BUG" on. */
static char *bug_report(const char *cmdline, bool hardened)
{
	struct kmm_machine *m = slab_boot(cmdline);
	void *keep = kmalloc(16, GFP_KERNEL);
	void *a = kmalloc(16, GFP_KERNEL), *b = kmalloc(16, GFP_KERNEL);

	kfree(b);
	kfree(a);
	kfree(a);			/* double free: "Object already free" + dump */
	if (hardened)			/* and a stray write over a free pointer */
		memset((char *)a + kmm_find_cache(m, "kmalloc-16")->offset, 0x41, 8);
	void *x = kmalloc(16, GFP_KERNEL), *y = kmalloc(16, GFP_KERNEL);
	const char *log = t_dmesg(m);
	char *bug = strdup(strstr(log, "BUG ") ? strstr(log, "BUG ") : "(no report)");
	kfree(x);
	kfree(y);
	kfree(keep);
	slab_done(m);
	return bug;
}

/*
 * A report's hex dump shows the free pointers as simulated addresses: the
 * same bytes on two machines whose RAM sits at different host addresses
 * (before, the dump printed the host pointer's bytes).
 */
TEST(report_dump_has_no_host_address)
{
	const char *lines[] = { "mem=64M", "mem=64M slab_freelist_hardened=on" };

	for (int i = 0; i < 2; i++) {
		char *one = bug_report(lines[i], i == 1);
		char *two = bug_report(lines[i], i == 1);
		expect_str_contains(one, "Object already free");
		expect_str_contains(one, "Object   ");
		if (strcmp(one, two))
			kmm_test_fail(__FILE__, __LINE__, "%s: two reports differ:\n%s\n--\n%s",
				      lines[i], one, two);
		free(one);
		free(two);
	}
}

/* slub_kunit test_first_word / KASAN kmalloc_uaf: write after free, seen at the next alloc. */
TEST(write_after_free_is_caught_by_poison)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=FZPU");
	struct kmem_cache *s = mk("TestSlub_UAF", 64, 0);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	p[10] = 0x55;				/* use after free */
	unsigned char *q = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(q == p);			/* LIFO: the same object comes back */
	const char *log = t_dmesg(m);
	expect_str_contains(log, "BUG TestSlub_UAF (Not tainted): Poison overwritten");
	expect_str_contains(log, "First byte 0x55 instead of 0x6b");
	expect_str_contains(log, "Allocated in ");
	expect_str_contains(log, "Freed in ");
	expect_str_contains(log, "FIX TestSlub_UAF: Restoring Poison");
	/* A fresh object under P holds 0x6b ... 0xa5 until written. */
	expect_eq(q[0], 0x6b);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
	slab_done(m);
}

/* KASAN kmalloc_double_kzfree / slub_kunit: a double free with and without debugging. */
TEST(double_free_is_reported)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=F,TestSlub_DF");
	struct kmem_cache *s = mk("TestSlub_DF", 128, 0);
	struct kmem_cache *plain = mk("plain_DF", 128, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmem_cache_alloc(plain, GFP_KERNEL);

	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	expect_str_contains(t_dmesg(m), "BUG TestSlub_DF (Not tainted): Object already free");
	expect_str_contains(t_dmesg(m), "FIX TestSlub_DF: Object at 0x");
	kmem_cache_free(plain, q);
	kmem_cache_free(plain, q);
	expect_str_contains(t_dmesg(m), "BUG plain_DF (Tainted: B): Object already free");
	expect_eq(kmm_check(m), 0);
	kmem_cache_destroy(s);
	kmem_cache_destroy(plain);
	slab_done(m);
}

/* KASAN kfree_via_page / kmalloc_invalid_free: a pointer inside an object. */
TEST(free_of_an_interior_pointer_is_reported)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=F");
	char *p = kmalloc(100, GFP_KERNEL);

	kfree(p + 24);
	expect_str_contains(t_dmesg(m), "BUG kmalloc-128 (Not tainted): Invalid object pointer "
					  "(not an object start)");
	expect_str_contains(t_dmesg(m), "is 24 bytes into object");
	kfree(p + 3);
	expect_str_contains(t_dmesg(m), "is 3 bytes into object");
	kfree(p);
	expect_eq(kmm_check(m), 0);
	slab_done(m);
}

/* slub_kunit test_next_pointer: the free pointer of a free object overwritten. */
TEST(corrupted_free_pointer_is_reported_and_repaired)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=Z");
	struct kmem_cache *s = mk("TestSlub_next_ptr_free", 64, 0);
	unsigned char *a = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned char *b = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, b);
	kmem_cache_free(s, a);
	memset(a + s->offset, 0x9a, sizeof(void *));	/* a's free pointer */
	void *x = kmem_cache_alloc(s, GFP_KERNEL);
	void *y = kmem_cache_alloc(s, GFP_KERNEL);
	expect_true(x != NULL && y != NULL && x != y);
	const char *log = t_dmesg(m);
	expect_str_contains(log, "BUG TestSlub_next_ptr_free (Not tainted): Freepointer corrupt");
	expect_str_contains(log, "free pointer 0x9a9a9a9a9a9a9a9a is not an object of this slab");
	expect_str_contains(log, "FIX TestSlub_next_ptr_free: Rebuilt the freelist");
	expect_eq(kmm_check(m), 0);
	kmem_cache_free(s, x);
	kmem_cache_free(s, y);
	kmem_cache_destroy(s);
	slab_done(m);
}

TEST(destroy_report_lists_leaked_objects_with_their_call_sites)
{
	struct kmm_machine *m = slab_boot("mem=256M slab_debug=U");
	struct kmem_cache *s = mk("leak_site", 48, 0);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_destroy(s);
	const char *log = t_dmesg(m);
	expect_str_contains(log, "Objects remaining in leak_site on __kmem_cache_shutdown()");
	expect_str_contains(log, "Allocated in ");
	expect_str_contains(log, "kmem_cache_destroy leak_site: Slab cache still has objects when "
				 "called from ");
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	slab_done(m);
}
