// SPDX-License-Identifier: MIT
/*
 * tests/integration_kmalloc.c - kmalloc and the slab views on booted
 * machines, through the public API: /proc/slabinfo after boot lists the
 * kmalloc caches as Linux names and orders them, /proc/meminfo's Slab,
 * SReclaimable and SUnreclaim follow slab pages, /sys/kernel/slab/ files,
 * i386 lowmem-only slabs, two machines side by side.
 */
#include <errno.h>
#include <stdlib.h>

#include "tests/proc_test.h"
#include "tests/slab_test.h"

TEST(slabinfo_after_boot_lists_kmalloc_caches_newest_first)
{
	struct kmm_machine *m = slab_boot("mem=512M");
	char *text = t_proc(m, "/proc/slabinfo");

	assert_true(text != NULL);
	expect_true(!strncmp(text, "slabinfo - version: 2.1\n", 24));
	/*
	 * Newest first: the process layer's caches (created later in boot, in
	 * Linux's order mm_struct, anon_vma, task_struct, vm_area_struct), then
	 * the kmalloc caches, created normal, rcl, dma: dma-kmalloc-8k is their
	 * newest, kmalloc-8 the oldest.
	 */
	const char *first = strchr(strchr(text, '\n') + 1, '\n') + 1;
	expect_true(!strncmp(first, "vm_area_struct ", 15));
	const char *vma = strstr(text, "\nvm_area_struct "), *task = strstr(text, "\ntask_struct ");
	const char *av = strstr(text, "\nanon_vma "), *mms = strstr(text, "\nmm_struct ");
	const char *dma8k = strstr(text, "\ndma-kmalloc-8k ");
	expect_true(vma && task && av && mms && dma8k);
	expect_true(vma < task && task < av && av < mms && mms < dma8k);
	expect_true(!strncmp(strchr(mms + 1, '\n') + 1, "dma-kmalloc-8k ", 15));
	/* The oldest: the boot caches, kmem_cache_node above kmem_cache (Linux's bootstrap order) */
	const char *kcn = strstr(text, "\nkmem_cache_node "), *kc = strstr(text, "\nkmem_cache ");
	expect_true(kcn && kc && kcn < kc && !strchr(kc + 1, '\n')[1]);
	const char *k96 = strstr(text, "\nkmalloc-96 "), *k64 = strstr(text, "\nkmalloc-64 ");
	const char *k128 = strstr(text, "\nkmalloc-128 ");
	expect_true(k96 && k64 && k128 && k128 < k96 && k96 < k64);
	expect_str_contains(text, "kmalloc-rcl-192 ");
	char row[160];
	snprintf(row, sizeof(row), "\n%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata "
		 "%6d %6d %6d\n", "dma-kmalloc-8", 0, 0, 8, 512, 1, 0, 0, 0, 0, 0, 0);
	expect_str_contains(text, row);
	free(text);
	slab_done(m);
}

TEST(meminfo_slab_fields_follow_slab_pages)
{
	struct kmm_machine *m = slab_boot("mem=512M");
	unsigned long srecl = meminfo_kb(m, "SReclaimable:"), sunrecl = meminfo_kb(m, "SUnreclaim:");
	struct kmem_cache *s = kmem_cache_create("unreclaimable-1k", 1024, 0, 0, NULL);
	void *r[100], *u[100];

	for (int i = 0; i < 100; i++) {
		r[i] = kmalloc(1024, GFP_KERNEL | __GFP_RECLAIMABLE);	/* kmalloc-rcl-1k: order 2 */
		u[i] = kmem_cache_alloc(s, GFP_KERNEL);
	}
	/* 100 objects, 16 per order-2 slab: 7 slabs = 112 KiB each way. */
	expect_eq(meminfo_kb(m, "SReclaimable:"), srecl + 7 * 16);
	expect_eq(meminfo_kb(m, "SUnreclaim:"), sunrecl + 7 * 16);
	expect_eq(meminfo_kb(m, "Slab:"), meminfo_kb(m, "SReclaimable:") +
						 meminfo_kb(m, "SUnreclaim:"));
	void *big = kmalloc(100000, GFP_KERNEL);	/* order 5, counted as unreclaimable slab */
	expect_eq(meminfo_kb(m, "SUnreclaim:"), sunrecl + 7 * 16 + 128);
	kfree(big);
	for (int i = 0; i < 100; i++) {
		kfree(r[i]);
		kmem_cache_free(s, u[i]);
	}
	kmem_cache_destroy(s);
	kmm_slab_drain(m);
	expect_eq(meminfo_kb(m, "SReclaimable:"), srecl);
	expect_eq(meminfo_kb(m, "SUnreclaim:"), sunrecl);
	slab_done(m);
}

TEST(sysfs_slab_files)
{
	struct kmm_machine *m = slab_boot("mem=512M");
	struct kmem_cache *s = kmem_cache_create("inode_like", 600, 0,
						 SLAB_HWCACHE_ALIGN | SLAB_RECLAIM_ACCOUNT, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	char *t;

	assert_true(s && p);
	t = t_proc(m, "/sys/kernel/slab/inode_like/object_size");
	expect_true(t && !strcmp(t, "600\n"));
	free(t);
	t = t_proc(m, "/sys/kernel/slab/inode_like/slab_size");
	expect_true(t && !strcmp(t, "640\n"));	/* HWCACHE_ALIGN: 64-byte lines */
	free(t);
	t = t_proc(m, "/sys/kernel/slab/inode_like/reclaim_account");
	expect_true(t && !strcmp(t, "1\n"));
	free(t);
	t = t_proc(m, "/sys/kernel/slab/inode_like/order");
	expect_true(t && !strcmp(t, "1\n"));	/* 640 B: 12 objects need 7680 B -> order 1 */
	free(t);
	t = t_proc(m, "/sys/kernel/slab/inode_like/objs_per_slab");
	expect_true(t && !strcmp(t, "12\n"));
	free(t);
	t = t_proc(m, "/sys/kernel/slab/inode_like/cpu_slabs");
	expect_true(t && !strcmp(t, "1 N0=1\n"));
	free(t);
	char *out = NULL;
	expect_eq(kmm_proc_read(m, "/sys/kernel/slab/inode_like/nonsense", &out), -ENOENT);
	expect_eq(kmm_proc_read(m, "/sys/kernel/slab/no_such_cache/order", &out), -ENOENT);
	expect_eq(kmm_proc_write(m, "/sys/kernel/slab/inode_like/shrink", "1"), 0);
	expect_eq(kmm_proc_write(m, "/sys/kernel/slab/inode_like/order", "2"), -EACCES);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	slab_done(m);
}

TEST(i386_slabs_come_from_lowmem_and_two_machines_coexist)
{
	struct kmm_machine *a = slab_boot("mem=1G arch=i386");
	struct kmm_machine *b = slab_boot("mem=256M");
	void *pa[64], *pb[64];

	for (int i = 0; i < 64; i++) {
		kmm_use(a);
		pa[i] = kmalloc(2048, GFP_KERNEL | __GFP_HIGHMEM);	/* HIGHMEM is ignored */
		kmm_use(b);
		pb[i] = kmalloc(2048, GFP_KERNEL);
		assert_true(pa[i] && pb[i]);
		expect_true(page_to_pfn(virt_to_page(pa[i])) < 229376);	/* below 896 MiB */
	}
	/* kfree finds each object's machine from the pointer, whatever kmm_use says. */
	kmm_use(b);
	for (int i = 0; i < 64; i++)
		kfree(pa[i]);
	kmm_use(a);
	for (int i = 0; i < 64; i++)
		kfree(pb[i]);
	slab_done(a);
	slab_done(b);
}

TEST(alloc_node_on_a_two_node_machine)
{
	struct kmm_machine *m = slab_boot("mem=512M numa=fake=2");
	struct kmem_cache *s = kmem_cache_create("numa", 512, 0, 0, NULL);
	void *p[40];

	assert_true(s != NULL);
	for (int i = 0; i < 40; i++) {
		p[i] = kmem_cache_alloc_node(s, GFP_KERNEL, i & 1);
		assert_true(p[i] != NULL);
		expect_eq(page_to_nid(compound_head(virt_to_page(p[i]))), i & 1);
	}
	char *t = t_proc(m, "/sys/kernel/slab/numa/slabs");
	expect_true(t && !strcmp(t, "4 N0=2 N1=2\n"));	/* 20 objects per node, 16 per slab */
	free(t);
	t = t_proc(m, "/sys/kernel/slab/numa/partial");
	expect_true(t && !strcmp(t, "2 N0=1 N1=1\n"));
	free(t);
	expect_eq(kmm_check(m), 0);
	for (int i = 0; i < 40; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	slab_done(m);
}
