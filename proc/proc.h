// SPDX-License-Identifier: MIT
/*
 * proc/proc.h - private header of the proc layer, sectioned by the file that
 * defines each function, so it reads as a map of /proc.
 *
 * A view is a show function that renders live machine state into a strbuf
 * (never cached text) and, for writable files, a write function that
 * validates the whole input before it changes anything. Views are listed in
 * the static table in proc/proc.c; a later layer adds one line there and
 * declares its functions in the section for its file below.
 *
 * Show functions return 0, -ENOENT (the file does not exist on this machine,
 * e.g. its layer is not booted) or -ENOMEM. Write functions return 0 or a
 * negative errno, with the state unchanged on error.
 */
#ifndef KMM_PROC_PROC_H
#define KMM_PROC_PROC_H

#include "include/kmm/proc.h"
#include "mm/include/machine.h"

/* One fixed file: /proc/buddyinfo, /proc/sys/vm/min_free_kbytes, ... */
struct proc_entry {
	const char *path;
	int (*show)(struct kmm_machine *m, struct strbuf *sb);
	int (*write)(struct kmm_machine *m, const char *text);	/* NULL: read-only */
	unsigned short mode;					/* 0444, 0644, 0400 */
};

/*
 * A family of files below @prefix whose names depend on state
 * (/proc/<pid>/maps, /sys/kernel/slab/<cache>/<attr>). @rest is the path
 * after the prefix. show/write return -ENOENT for a name they do not know;
 * list reports every existing file through kmm_proc_list_fn (paths in any
 * order; the dispatcher sorts). write and list may be NULL.
 */
struct proc_prefix {
	const char *prefix;
	int (*show)(struct kmm_machine *m, const char *rest, struct strbuf *sb);
	int (*write)(struct kmm_machine *m, const char *rest, const char *text);
	int (*mode)(struct kmm_machine *m, const char *rest);	/* NULL: 0444 if show finds it */
	int (*list)(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);
};

/* ---- proc/proc.c: the dispatcher ---- */

/** proc_machine() - @m, or this thread's current machine when @m is NULL. */
struct kmm_machine *proc_machine(struct kmm_machine *m);

/* ---- proc/vmstat.c: mm/vmstat.c's files and the counter names ---- */

/*
 * buddyinfo_show() / pagetypeinfo_show() / zoneinfo_show() / vmstat_show()
 * - append the file's text for @m to @sb.
 * Context: takes each zone's zone->lock in turn while printing it; never
 * sleeps; safe against concurrent allocation on other threads.
 * Return: 0 (a strbuf allocation failure shows as @sb->failed).
 */
int buddyinfo_show(struct kmm_machine *m, struct strbuf *sb);
int pagetypeinfo_show(struct kmm_machine *m, struct strbuf *sb);
int zoneinfo_show(struct kmm_machine *m, struct strbuf *sb);
int vmstat_show(struct kmm_machine *m, struct strbuf *sb);

/* Linux's names of the counters, indexed by the enums of vm_event_item.h. */
extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_stat_names[NR_VM_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

/**
 * node_page_state_pages() / global_node_page_state_pages() - a node counter
 * in pages: the byte-counted items (NR_SLAB_*_B) are divided by PAGE_SIZE.
 */
unsigned long node_page_state_pages(const pg_data_t *pgdat, enum node_stat_item item);
unsigned long global_node_page_state_pages(struct kmm_machine *m, enum node_stat_item item);
/** hpage_pmd_nr() - pages in a PMD-sized huge page: 512, or 1024 on non-PAE i386. */
unsigned long hpage_pmd_nr(const struct kmm_machine *m);
/** memblock_reserved_by() - bytes of @m's boot reservations whose owner is @owner. */
unsigned long memblock_reserved_by(const struct kmm_machine *m, const char *owner);

/* ---- proc/meminfo.c: /proc/meminfo ---- */

/* (struct meminfo_extra, what the layers contribute, is in mm/include/subsys.h.) */
/** meminfo_show() - /proc/meminfo of @m. Context: lock-free reads. Return: 0. */
int meminfo_show(struct kmm_machine *m, struct strbuf *sb);
/** meminfo_collect() - defaults, then every up subsystem's meminfo hook. */
void meminfo_collect(struct kmm_machine *m, struct meminfo_extra *x);
/** si_mem_available() - MemAvailable in pages, as Linux's mm/show_mem.c computes it. */
unsigned long si_mem_available_m(struct kmm_machine *m);
/** hugepage_kb() - Hugepagesize: 2048 kB, or 4096 kB on non-PAE i386. */
unsigned long hugepage_kb(const struct kmm_machine *m);

/* ---- proc/iomem.c: /proc/iomem, /proc/cmdline ---- */

/** iomem_show() - /proc/iomem: the resource tree of @m's boot data. Return: 0 or -ENOMEM. */
int iomem_show(struct kmm_machine *m, struct strbuf *sb);
/** cmdline_show() - /proc/cmdline: the command line @m booted with. Return: 0. */
int cmdline_show(struct kmm_machine *m, struct strbuf *sb);

/* ---- proc/node.c: /sys/devices/system/node/ (online, nodeN/meminfo, ...) ---- */

/** node_sysfs_show() - @rest below /sys/devices/system/node/. Return: 0 or -ENOENT. */
int node_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb);
/** node_sysfs_list() - report every node file of @m to @fn. Return: 0 or @fn's value. */
int node_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);

/* ---- proc/sysctl.c: /proc/sys/, the files of the subsystems' sysctl rows ---- */

/*
 * (proc_dointvec_minmax(), proc_parse_ints() and proc_parse_int_range() are
 * declared in mm/include/subsys.h: the layers' rows use them.)
 */
/**
 * proc_sys_find() - the sysctl row behind @path ("/proc/sys/vm/x") on @m,
 * and its int(s) in *@data. Return: the row, or NULL (no such file).
 */
const struct ctl_table *proc_sys_find(struct kmm_machine *m, const char *path, int **data);
/** proc_sys_list() - report every sysctl file of @m to @fn. Return: 0 or @fn's value. */
int proc_sys_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);

/* ---- proc/oom.c: /proc/<pid>/oom_score, oom_score_adj, oom_adj ---- */

struct task_struct;
/** oom_pid_file() - is @file one of oom_score, oom_score_adj, oom_adj? */
bool oom_pid_file(const char *file);
/** oom_pid_show() - /proc/<pid>/@file of @t. Context: inside procs_enter(). Return: 0/-ENOENT. */
int oom_pid_show(struct task_struct *t, const char *file, struct strbuf *sb);
/** oom_pid_write() - write oom_score_adj or oom_adj of @t. Return: 0, -EINVAL (message set), -ENOENT. */
int oom_pid_write(struct kmm_machine *m, struct task_struct *t, const char *file, const char *text);


/* ---- proc/vmallocinfo.c: /proc/vmallocinfo ---- */

int vmallocinfo_show(struct kmm_machine *m, struct strbuf *sb);

/* ---- proc/swaps.c: /proc/swaps ---- */

/** swaps_show() - /proc/swaps of @m. Return: 0, or -ENOENT without the pressure layer. */
int swaps_show(struct kmm_machine *m, struct strbuf *sb);

/* ---- proc/block.c: /sys/block/kmmd0/queue/read_ahead_kb, /sys/kernel/debug/fault_around_bytes ---- */

/** read_ahead_kb_show() - the readahead window's largest size in KiB. Return: 0, or -ENOENT without the page cache. */
int read_ahead_kb_show(struct kmm_machine *m, struct strbuf *sb);
/** read_ahead_kb_write() - set it (0..65536). Return: 0, -EINVAL (nothing changed), -ENOENT. */
int read_ahead_kb_write(struct kmm_machine *m, const char *text);
/** fault_around_bytes_show() - /sys/kernel/debug/fault_around_bytes. Return: 0, or -ENOENT without the page cache. */
int fault_around_bytes_show(struct kmm_machine *m, struct strbuf *sb);
/**
 * fault_around_bytes_write() - set it: an unsigned number of bytes, at most
 * one page table's span. Return: 0, -EINVAL (nothing changed), -ENOENT.
 */
int fault_around_bytes_write(struct kmm_machine *m, const char *text);

/* ---- proc/slabinfo.c: /proc/slabinfo, /sys/kernel/slab/<cache>/<attr> ---- */

int slabinfo_show(struct kmm_machine *m, struct strbuf *sb);
int slab_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb);
int slab_sysfs_write(struct kmm_machine *m, const char *rest, const char *text);
int slab_sysfs_mode(struct kmm_machine *m, const char *rest);
int slab_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);

/* ---- proc/pid.c: /proc/<pid>/{maps,smaps,status,statm,pagemap,oom_score_adj,comm} ---- */

int pid_show(struct kmm_machine *m, const char *rest, struct strbuf *sb);
int pid_write(struct kmm_machine *m, const char *rest, const char *text);
int pid_mode(struct kmm_machine *m, const char *rest);
int pid_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);

#endif /* KMM_PROC_PROC_H */
