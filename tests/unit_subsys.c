// SPDX-License-Identifier: MIT
/*
 * tests/unit_subsys.c - the subsystem table (mm/subsys.c): every entry in
 * its slot, every layer up after boot and down after shutdown, each
 * checker reached by kmm_check, the sysctl rows served under /proc/sys with
 * the generic handler's range checks, and the meminfo hooks.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "include/kmm/proc.h"
#include "include/kmm/vmalloc.h"
#include "mm/include/subsys.h"
#include "mm/internal.h"
#include "mm/slab.h"

TEST(every_entry_sits_in_its_slot_with_a_unique_name)
{
	for (int id = 0; id < NR_SUBSYS; id++) {
		const struct kmm_subsys *s = kmm_subsystems[id];

		assert_true(s != NULL);
		expect_eq((int)s->id, id);
		assert_true(s->name && s->name[0]);
		for (int j = 0; j < id; j++)
			expect_true(strcmp(kmm_subsystems[j]->name, s->name) != 0);
		/* Only the page allocator is core; it has neither init nor shutdown. */
		expect_eq(s->core, id == SUBSYS_PAGE_ALLOC);
		if (s->core)
			expect_true(!s->init && !s->shutdown);
		/* A layer that sets state up must be able to take it down. */
		if (s->init)
			expect_true(s->shutdown != NULL);
		expect_true(s->check != NULL);
	}
}

TEST(boot_brings_every_entry_up_and_shutdown_takes_them_down)
{
	struct kmm_machine *m = t_boot("mem=256M");

	for (int id = 0; id < NR_SUBSYS; id++)
		expect_true(subsys_up(m, (enum subsys_id)id));
	expect_true(slab_state(m) != NULL);
	expect_true(m->subsys[SUBSYS_VMALLOC] != NULL);
	expect_true(m->subsys[SUBSYS_HIGHMEM] != NULL);
	expect_true(m->subsys[SUBSYS_PROCESS] != NULL);
	expect_eq(kmm_check(m), 0);

	subsys_shutdown_all(m);
	for (int id = 0; id < NR_SUBSYS; id++)
		expect_eq(subsys_up(m, (enum subsys_id)id), id == SUBSYS_PAGE_ALLOC);
	for (int id = 0; id < NR_SUBSYS; id++)
		expect_true(m->subsys[id] == NULL);
	/* Only the core is left: its checker still holds. */
	expect_eq(kmm_check(m), 0);
	/*
	 * Up again: every page the layers took at boot came back at shutdown,
	 * so the free count is the one after boot (t_done's leak check), and
	 * kmm_shutdown() then takes everything down once more.
	 */
	assert_eq(subsys_init_all(m), 0);
	for (int id = 0; id < NR_SUBSYS; id++)
		expect_true(subsys_up(m, (enum subsys_id)id));
	t_done(m);
}

TEST(subsys_init_brings_one_entry_back)
{
	struct kmm_machine *m = t_boot("mem=256M");

	subsys_shutdown_all(m);
	assert_eq(subsys_init(m, SUBSYS_SLAB), 0);
	expect_true(subsys_up(m, SUBSYS_SLAB));
	expect_true(!subsys_up(m, SUBSYS_VMALLOC));
	expect_eq(subsys_init(m, SUBSYS_SLAB), 0);	/* up already: no-op */
	expect_eq(kmm_check(m), 0);
	assert_eq(subsys_init_all(m), 0);
	t_done(m);
}

/* A checker that fails is reported by kmm_check, naming its layer in dmesg. */
TEST(kmm_check_names_the_layer_that_fails)
{
	struct kmm_machine *m = t_boot("mem=256M");
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s = kmm_find_cache(m, "kmalloc-64");

	assert_true(st != NULL && s != NULL);
	/* Break a slab counter behind the allocator's back, then restore it. */
	void *p = kmalloc(64, GFP_KERNEL);
	assert_true(p != NULL);
	struct slab *slab = virt_to_slab_m(m, p);
	assert_true(slab != NULL);
	slab->inuse++;
	expect_eq(kmm_check(m), -EUCLEAN);
	expect_str_contains(t_dmesg(m), "kmm_check: slab layer: ");
	slab->inuse--;
	expect_eq(kmm_check(m), 0);
	kfree(p);
	t_done(m);
}

struct row_seen {
	struct kmm_machine *m;
	int rows;
};

static int check_row(const struct ctl_table *t, void *arg)
{
	struct row_seen *r = arg;
	char path[256], *text = NULL;

	r->rows++;
	expect_true(t->proc_handler != NULL);
	snprintf(path, sizeof(path), "/proc/sys/%s", t->procname);
	expect_eq(kmm_proc_mode(r->m, path), (int)t->mode);
	if (t->mode == 0200) {
		/* write-only (vm.drop_caches): reading is refused, even for root, as in Linux */
		expect_eq(kmm_proc_read(r->m, path, &text), -EACCES);
	} else {
		expect_eq(t->mode, 0644);
		expect_eq(kmm_proc_read(r->m, path, &text), 0);
	}
	free(text);
	return 0;
}

static int count_sys(const char *path, unsigned int mode, void *arg)
{
	(void)path;
	(void)mode;
	(*(int *)arg)++;
	return 0;
}

TEST(sysctl_rows_are_the_files_of_proc_sys)
{
	struct kmm_machine *m = t_boot("mem=256M");
	struct row_seen r = { m, 0 };
	int files = 0;

	expect_eq(subsys_for_each_sysctl(m, check_row, &r), 0);
	/* the page allocator's five vm.* rows, the pressure layer's two, the oom entry's eight,
	   the page cache's seven (vm.dirty_*, vm.drop_caches) */
	expect_eq(r.rows, 5 + 2 + 8 + 7);
	expect_eq(kmm_proc_list(m, "/proc/sys", count_sys, &files), 0);
	expect_eq(files, r.rows);
	t_done(m);
}

TEST(proc_dointvec_minmax_refuses_out_of_range_and_changes_nothing)
{
	struct kmm_machine *m = t_boot("mem=256M");
	static const char *const bad[] = { "0", "3001", "-1", "abc", "1 2", "", "4294967306" };
	int before = m->watermark_scale_factor;
	unsigned long low = low_wmark_pages(&m->node_data[0]->node_zones[ZONE_DMA32]);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", bad[i]), -EINVAL);
		expect_eq(m->watermark_scale_factor, before);
	}
	expect_eq(low_wmark_pages(&m->node_data[0]->node_zones[ZONE_DMA32]), low);
	/* In range: stored, and the row's changed hook recomputed the watermarks. */
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "0x3e8"), 0);
	expect_eq(m->watermark_scale_factor, 1000);
	expect_true(low_wmark_pages(&m->node_data[0]->node_zones[ZONE_DMA32]) > low);
	/* The ends of the range are accepted. */
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "3000"), 0);
	expect_eq(kmm_sysctl_write(m, "vm.watermark_scale_factor", "1"), 0);
	expect_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "-1"), -EINVAL);
	expect_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "2147483647"), 0);
	expect_eq(m->watermark_boost_factor, INT_MAX);
	/* min_free_kbytes also becomes the user's value. */
	expect_eq(kmm_sysctl_write(m, "vm.min_free_kbytes", "4096"), 0);
	expect_eq(m->user_min_free_kbytes, 4096);
	t_done(m);
}

TEST(meminfo_hooks_of_up_entries_fill_their_fields)
{
	struct kmm_machine *m = t_boot("mem=256M");
	struct meminfo_extra x = { 0 };

	void *v = vmalloc(1 << 20);
	assert_true(v != NULL);
	subsys_meminfo(m, &x);
	expect_true(x.vmalloc_used >= (1 << 20) / PAGE_SIZE);
	vfree(v);

	/* Without the vmalloc entry up, its hook is not asked. */
	x = (struct meminfo_extra){ 0 };
	m->subsys_up &= ~(1UL << SUBSYS_VMALLOC);
	subsys_meminfo(m, &x);
	expect_eq(x.vmalloc_used, 0);
	m->subsys_up |= 1UL << SUBSYS_VMALLOC;
	t_done(m);
}
