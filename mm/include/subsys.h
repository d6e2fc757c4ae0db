// SPDX-License-Identifier: MIT
/*
 * mm/include/subsys.h - the subsystem table: how a layer plugs into a
 * machine. Each layer (the page allocator, boot, slab, vmalloc, highmem,
 * processes, and every later one) is one struct kmm_subsys, defined in the
 * layer's own file and listed once in kmm_subsystems[] (mm/subsys.c), in
 * boot order. The entry gives the layer's name, its boot options, init,
 * check, drain and shutdown, its sysctl rows and its /proc/meminfo
 * contribution; its per-machine state hangs in m->subsys[its id], read
 * through the layer's own typed accessor (slab_state(), procs_of(), ...).
 *
 * Linux counterpart: none as one structure. Linux spreads the same things
 * over initcalls (init), early_param/__setup (boot options),
 * register_sysctl_init() with struct ctl_table rows and proc_dointvec_minmax
 * (kernel/sysctl.c), and the fields fs/proc/meminfo.c reads from each
 * subsystem. kmm is a static library that must not rely on constructors (a
 * static link drops objects nobody references), so the list is one array.
 *
 * How to add a layer (docs/architecture.md says the same with an example):
 *   1. add SUBSYS_YOURS to enum subsys_id below, in boot order;
 *   2. in your file, define const struct kmm_subsys yours_subsys = {...};
 *   3. add [SUBSYS_YOURS] = &yours_subsys to kmm_subsystems[] in mm/subsys.c;
 *   4. keep your state in m->subsys[SUBSYS_YOURS] behind a typed accessor
 *      in your header: static inline struct yours *yours_state(m).
 *
 * Invariant: an entry is "up" on a machine (bit id of m->subsys_up) from its
 * successful init until its shutdown; the runners below call check, drain,
 * meminfo and sysctl rows only of entries that are up. Core entries (the
 * page allocator) are always up.
 *
 * Locking: the table is immutable. m->subsys[] and m->subsys_up change only
 * while the machine is being booted or shut down (one thread).
 */
#ifndef KMM_SUBSYS_H
#define KMM_SUBSYS_H

#include <stdbool.h>
#include <stddef.h>

struct kmm_machine;
struct strbuf;

/* The layers, in boot order (init runs in this order, drain and shutdown in reverse). */
enum subsys_id {
	SUBSYS_PAGE_ALLOC,	/* core: its state is the machine itself (mm/page_alloc_init.c) */
	SUBSYS_FAIL_INJECT,	/* fail_page_alloc=, failslab=: before the layers that allocate */
	SUBSYS_BOOT,		/* the boot checker (mm/mm_init.c) */
	SUBSYS_SLAB,		/* mm/slab_common.c */
	SUBSYS_VMALLOC,		/* mm/vmalloc.c */
	SUBSYS_HIGHMEM,		/* mm/highmem.c: PKMAP and kmap_local slots */
	SUBSYS_PROCESS,		/* mm/fork.c */
	SUBSYS_PRESSURE,	/* mm/pressure.c: LRU, reclaim, kswapd, swap */
	SUBSYS_OOM,		/* mm/oom_kill.c (+ mm/util.c): overcommit policy, OOM killer */
	SUBSYS_FILEMAP,		/* mm/filemap.c: the page cache, writeback, drop_caches */
	SUBSYS_FS,		/* fs/super.c: the filesystem on the host image, open files */
	SUBSYS_HOTPLUG,		/* mm/memory_hotplug.c: memory blocks, add_memory, online */
	SUBSYS_DEBUG_CHECKS,	/* mm/debug_checks.c: last, once every layer is up */
	NR_SUBSYS
};

/* ---- Sysctl rows (Linux's struct ctl_table) ---- */

struct ctl_table;
/**
 * proc_handler - read (@text NULL: print the value into @sb) or write (@text:
 * parse it, store it into @data, run the row's @changed hook) one sysctl
 * row. @data is the row's int (array) on this machine (subsys_find_sysctl()).
 * Context: takes m->sysctl_lock around reading and storing.
 * Return: 0, or -EINVAL with nothing changed.
 */
typedef int proc_handler(struct kmm_machine *m, const struct ctl_table *t, int *data,
			 const char *text, struct strbuf *sb);

struct ctl_table {
	const char *procname;	/* below /proc/sys/: "vm/min_free_kbytes" */
	size_t offset;		/* of the int (array) in the entry's state, or in struct
				 * kmm_machine for a core entry: offsetof(...) */
	int maxlen;		/* number of ints: 1, or the array's length */
	unsigned short mode;	/* 0644 */
	proc_handler *proc_handler;	/* proc_dointvec_minmax, or one built on its parts */
	int extra1, extra2;	/* the accepted range, inclusive */
	/* after a write, under m->sysctl_lock, with the new value stored (may be NULL) */
	void (*changed)(struct kmm_machine *m);
};

/* ---- proc/sysctl.c: the generic handler and its parts (Linux's kernel/sysctl.c) ---- */

/**
 * proc_dointvec_minmax() - a scalar int within [@t->extra1, @t->extra2]:
 * read prints "%d\n"; write takes one number as strtoul base 0 reads it
 * (42, 0x2a, 052, optional '-'), stores it and runs @t->changed.
 */
proc_handler proc_dointvec_minmax;
/**
 * proc_doulongvec_minmax() - a scalar unsigned long (@data points at one,
 * whatever its declared type) within [@t->extra1, ULONG_MAX] (extra2 unused):
 * read prints "%lu\n"; write takes one number as strtoul base 0 reads it, no
 * minus sign, stores it and runs @t->changed.
 */
proc_handler proc_doulongvec_minmax;
/*
 * proc_parse_ints() - parse @text as proc_dointvec does: up to @max
 * integers (decimal, 0x-hex, optional '-') separated by blanks, tabs or
 * newlines. Return: the count parsed (>= 1), or -EINVAL for no number,
 * junk, a value outside int, or more than @max values.
 */
int proc_parse_ints(const char *text, long *vals, int max);
/** proc_parse_int_range() - exactly one integer within [@min, @max]. Return: 0 or -EINVAL. */
int proc_parse_int_range(const char *text, long min, long max, int *out);

/* ---- /proc/meminfo contributions ---- */

/*
 * What /proc/meminfo needs from layers above the page allocator. Defaults
 * (everything 0, percpu from memblock) hold until an
 * entry's meminfo hook fills its part. All values in pages unless named _kb.
 */
struct meminfo_extra {
	unsigned long buffers;
	unsigned long swap_total, swap_free;
	unsigned long zswap, zswapped;
	unsigned long committed_as;
	unsigned long vmalloc_used;
	unsigned long percpu;
	unsigned long hardware_corrupted;
	unsigned long hugepages_total, hugepages_free, hugepages_rsvd, hugepages_surp;
	unsigned long hugetlb_kb;		/* all hugetlb sizes, kB */
};

/* ---- The entry ---- */

struct kmm_subsys {
	const char *name;		/* "slab"; names the layer in kmm_check's dmesg line */
	enum subsys_id id;		/* its index in kmm_subsystems[] and m->subsys[] */
	bool core;			/* always up; no init or shutdown of its own */
	/* registers the layer's boot options (kmm_register_boot_option); once per process */
	void (*boot_options)(void);
	/*
	 * Sets the layer up on @m after the page allocator (zonelists,
	 * watermarks, pcp lists), with @m current. Returns 0 or -errno with
	 * kmm_set_error() saying why, having undone its own work.
	 */
	int (*init)(struct kmm_machine *m);
	int (*check)(struct kmm_machine *m);		/* 0 if the invariants hold */
	/* gives cached memory (per-CPU caches, deferred frees) back to the buddy */
	void (*drain)(struct kmm_machine *m);
	void (*shutdown)(struct kmm_machine *m);	/* frees the layer's state */
	const struct ctl_table *sysctls;		/* rows, ended by { 0 }; may be NULL */
	void (*meminfo)(struct kmm_machine *m, struct meminfo_extra *x);
};

/* ---- mm/subsys.c: the table and its runners ---- */

extern const struct kmm_subsys *const kmm_subsystems[NR_SUBSYS];

/** subsys_up() - is entry @id up on @m? */
bool subsys_up(const struct kmm_machine *m, enum subsys_id id);
/** subsys_register_boot_options() - every entry's boot_options hook, once per process. */
void subsys_register_boot_options(void);
/**
 * subsys_init() - bring entry @id up on @m (a no-op when it is up already).
 * Return: 0, or its init's -errno with the error text set.
 */
int subsys_init(struct kmm_machine *m, enum subsys_id id);
/**
 * subsys_init_all() - bring every entry up, in table order; stops at the
 * first failure. Return: 0 or that -errno (the entries already up stay up:
 * the caller shuts them down).
 */
int subsys_init_all(struct kmm_machine *m);
/** subsys_shutdown_all() - shut down every entry that is up, in reverse order. */
void subsys_shutdown_all(struct kmm_machine *m);
/** subsys_meminfo() - every up entry's meminfo hook, in table order. */
void subsys_meminfo(struct kmm_machine *m, struct meminfo_extra *x);
/**
 * subsys_find_sysctl() - the row of an up entry whose procname is @name
 * ("vm/min_free_kbytes"), and its int(s) on @m in *@data.
 * Return: the row, or NULL.
 */
const struct ctl_table *subsys_find_sysctl(struct kmm_machine *m, const char *name, int **data);
/**
 * subsys_for_each_sysctl() - call @fn for every row of every up entry, in
 * table order. Return: 0, or the first nonzero value @fn returned.
 */
int subsys_for_each_sysctl(struct kmm_machine *m, int (*fn)(const struct ctl_table *t, void *arg),
			   void *arg);

#endif /* KMM_SUBSYS_H */
