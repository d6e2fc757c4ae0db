// SPDX-License-Identifier: MIT
/*
 * mm/subsys.c - the subsystem table and everything that walks it: boot
 * options, init in boot order, kmm_check, kmm_drain, shutdown in reverse
 * order, the /proc/meminfo contributions and the sysctl rows.
 *
 * Linux counterpart: init/main.c's do_initcalls() (init in order),
 * kernel/sysctl.c's table walk (fs/proc/proc_sysctl.c), fs/proc/meminfo.c's
 * reads of each subsystem. Added: one checker, one drain and one shutdown
 * per layer, run over the whole machine by kmm_check(), kmm_drain() and
 * kmm_shutdown().
 *
 * Invariant: bit id of m->subsys_up is set exactly while entry id is up
 * (after its init returned 0, until its shutdown ran); core entries count
 * as up always. Entries are indexed by their id, in boot order.
 *
 * Locking: the table is immutable. The boot options are registered once per
 * process (boot_options_state, an atomic once-flag). m->subsys_up changes
 * only at boot and shutdown, on one thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm/include/slab.h"
#include "mm/include/subsys.h"
#include "mm/internal.h"

/*
 * The layers, indexed by enum subsys_id (mm/include/subsys.h), in boot
 * order. ONE line per layer; the entry itself lives in the layer's file.
 */
const struct kmm_subsys *const kmm_subsystems[NR_SUBSYS] = {
	[SUBSYS_PAGE_ALLOC] = &page_alloc_subsys,
	[SUBSYS_FAIL_INJECT] = &fail_inject_subsys,
	[SUBSYS_BOOT] = &boot_subsys,
	[SUBSYS_SLAB] = &slab_subsys,
	[SUBSYS_VMALLOC] = &vmalloc_subsys,
	[SUBSYS_HIGHMEM] = &highmem_subsys,
	[SUBSYS_PROCESS] = &process_subsys,
	[SUBSYS_PRESSURE] = &pressure_subsys,
	[SUBSYS_OOM] = &oom_subsys,
	[SUBSYS_FILEMAP] = &filemap_subsys,
	[SUBSYS_FS] = &fs_subsys,
	[SUBSYS_HOTPLUG] = &memory_hotplug_subsys,
	[SUBSYS_DEBUG_CHECKS] = &debug_checks_subsys,
};

bool subsys_up(const struct kmm_machine *m, enum subsys_id id)
{
	return kmm_subsystems[id]->core || (m->subsys_up & (1UL << id));
}

static int boot_options_state;	/* 0 not yet, 1 in progress, 2 done */

void subsys_register_boot_options(void)
{
	int expect = 0;

	if (__atomic_load_n(&boot_options_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&boot_options_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		for (int id = 0; id < NR_SUBSYS; id++)
			if (kmm_subsystems[id]->boot_options)
				kmm_subsystems[id]->boot_options();
		__atomic_store_n(&boot_options_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&boot_options_state, __ATOMIC_ACQUIRE) != 2)
		sim_yield();
}

int subsys_init(struct kmm_machine *m, enum subsys_id id)
{
	const struct kmm_subsys *s = kmm_subsystems[id];
	int err = 0;

	if (subsys_up(m, id))
		return 0;
	if (s->init) {
		kmm_set_error(0, "%s", "");
		err = s->init(m);
		if (err && !kmm_last_error()[0]) {
			kmm_set_error(err, "%s: initialisation failed (%d)", s->name, err);
		} else if (err) {
			/* name the layer whose init failed ("process: alloc_pages: ...") */
			char why[400];

			snprintf(why, sizeof(why), "%s", kmm_last_error());
			if (strncmp(why, s->name, strlen(s->name)))
				kmm_set_error(err, "%s: %s", s->name, why);
		}
	}
	if (!err)
		m->subsys_up |= 1UL << id;
	return err;
}

int subsys_init_all(struct kmm_machine *m)
{
	for (int id = 0; id < NR_SUBSYS; id++) {
		int err = subsys_init(m, (enum subsys_id)id);

		if (err)
			return err;
	}
	return 0;
}

void subsys_shutdown_all(struct kmm_machine *m)
{
	for (int id = NR_SUBSYS - 1; id >= 0; id--) {
		const struct kmm_subsys *s = kmm_subsystems[id];

		if (s->core || !(m->subsys_up & (1UL << id)))
			continue;
		if (s->shutdown)
			s->shutdown(m);
		m->subsys_up &= ~(1UL << id);
	}
}

/**
 * kmm_drain() - every up entry's drain, in reverse boot order: caches go
 * back layer by layer, the page allocator's per-CPU lists last.
 * @m: the machine. Context: takes each layer's locks in turn.
 */
void kmm_drain(struct kmm_machine *m)
{
	kmm_op_begin(m);	/* one operation for the stream: layers free pages under their locks */
	for (int id = NR_SUBSYS - 1; id >= 0; id--)
		if (subsys_up(m, (enum subsys_id)id) && kmm_subsystems[id]->drain)
			kmm_subsystems[id]->drain(m);
	kmm_op_end(m);
}

/**
 * kmm_check() - every up entry's checker, in boot order, stopping at the
 * first failure. The page allocator's comes first and reports itself; a
 * later layer's failure is also named in dmesg ("kmm_check: slab layer: ...").
 * @m: the machine. Context: takes each layer's locks in turn.
 * Return: 0, or the failing checker's -EUCLEAN with kmm_last_error() set.
 */
int kmm_check(struct kmm_machine *m)
{
	for (int id = 0; id < NR_SUBSYS; id++) {
		const struct kmm_subsys *s = kmm_subsystems[id];
		int err;

		if (!subsys_up(m, (enum subsys_id)id) || !s->check || !(err = s->check(m)))
			continue;
		/* the contract: every violation is in dmesg too */
		if (!s->core)
			kmm_printk(m, "kmm_check: %s layer: %s", s->name, kmm_last_error());
		return err;
	}
	return 0;
}

void subsys_meminfo(struct kmm_machine *m, struct meminfo_extra *x)
{
	for (int id = 0; id < NR_SUBSYS; id++)
		if (subsys_up(m, (enum subsys_id)id) && kmm_subsystems[id]->meminfo)
			kmm_subsystems[id]->meminfo(m, x);
}

/* The int(s) row @t of entry @s describes on @m: in its state, or in the machine. */
static int *sysctl_data(struct kmm_machine *m, const struct kmm_subsys *s,
			const struct ctl_table *t)
{
	char *base = s->core ? (char *)m : (char *)m->subsys[s->id];

	return base ? (int *)(base + t->offset) : NULL;
}

const struct ctl_table *subsys_find_sysctl(struct kmm_machine *m, const char *name, int **data)
{
	for (int id = 0; id < NR_SUBSYS; id++) {
		const struct kmm_subsys *s = kmm_subsystems[id];

		if (!s->sysctls || !subsys_up(m, (enum subsys_id)id))
			continue;
		for (const struct ctl_table *t = s->sysctls; t->procname; t++) {
			if (strcmp(t->procname, name))
				continue;
			*data = sysctl_data(m, s, t);
			return *data ? t : NULL;
		}
	}
	return NULL;
}

int subsys_for_each_sysctl(struct kmm_machine *m, int (*fn)(const struct ctl_table *t, void *arg),
			   void *arg)
{
	for (int id = 0; id < NR_SUBSYS; id++) {
		const struct kmm_subsys *s = kmm_subsystems[id];

		if (!s->sysctls || !subsys_up(m, (enum subsys_id)id))
			continue;
		for (const struct ctl_table *t = s->sysctls; t->procname; t++) {
			int err = sysctl_data(m, s, t) ? fn(t, arg) : 0;

			if (err)
				return err;
		}
	}
	return 0;
}
