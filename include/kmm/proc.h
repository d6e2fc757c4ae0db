// SPDX-License-Identifier: MIT
/*
 * include/kmm/proc.h - the public side of kmm's /proc and /sys views beyond
 * kmm_proc_read()/kmm_proc_write() (declared in kmm/kmm.h): listing the
 * files a machine serves, and the sysctl names the `sysctl` tool uses.
 *
 * A sysctl name is its /proc/sys path with '.' for '/': vm.min_free_kbytes is
 * /proc/sys/vm/min_free_kbytes, exactly as sysctl(8) maps them on Linux.
 */
#ifndef KMM_PROC_H
#define KMM_PROC_H

#include <stddef.h>
#include <stdint.h>

#include <kmm/kmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Called once per file by kmm_proc_list(): @path is the full path, @mode its
 * permission bits (0444, 0644, 0400, ...). Return 0 to go on; anything else
 * stops the walk and becomes kmm_proc_list()'s return value.
 */
typedef int (*kmm_proc_list_fn)(const char *path, unsigned int mode, void *arg);

/**
 * kmm_proc_list() - walk the files @m serves under the directory @dir.
 * @dir: "/proc", "/proc/sys/vm", "/proc/sys", "/sys/kernel/slab", ... ("" or
 *       "/" for everything). Files in subdirectories are included.
 * @fn: called for each file in byte order of the path (sysctl -a order).
 *
 * Return: 0 after the whole walk; -ENOENT if nothing lives under @dir;
 * -ENOMEM; or the first non-zero value @fn returned.
 */
int kmm_proc_list(struct kmm_machine *m, const char *dir, kmm_proc_list_fn fn, void *arg);

/**
 * kmm_proc_mode() - the permission bits of @path on @m.
 * Return: the mode (e.g. 0644), or -ENOENT if @m serves no such file.
 */
int kmm_proc_mode(struct kmm_machine *m, const char *path);

/**
 * kmm_sysctl_name_to_path() - "vm.min_free_kbytes" -> "/proc/sys/vm/min_free_kbytes".
 * A name already written with '/' ("vm/min_free_kbytes") is accepted too.
 *
 * Return: 0; -EINVAL if @name is empty or has an empty component, a blank,
 * or a leading/trailing separator; -ENAMETOOLONG if @size is too small.
 */
int kmm_sysctl_name_to_path(const char *name, char *buf, size_t size);

/**
 * kmm_sysctl_path_to_name() - "/proc/sys/vm/min_free_kbytes" -> "vm.min_free_kbytes".
 * Return: 0; -EINVAL if @path is not below /proc/sys/; -ENAMETOOLONG.
 */
int kmm_sysctl_path_to_name(const char *path, char *buf, size_t size);

/**
 * kmm_sysctl_read() - the text of sysctl @name (as the /proc/sys file holds
 * it, newline included) in a malloc()ed buffer the caller frees.
 * Return: 0, -EINVAL (bad name), -ENOENT (unknown sysctl), -ENOMEM.
 */
int kmm_sysctl_read(struct kmm_machine *m, const char *name, char **out);

/**
 * kmm_sysctl_write() - `sysctl name=value`: write @value to sysctl @name.
 * Return: 0; -EINVAL (bad name or value, state unchanged); -ENOENT;
 * -EACCES (read-only).
 */
int kmm_sysctl_write(struct kmm_machine *m, const char *name, const char *value);

/* ---- Page frames: what /proc/kpageflags holds ---- */

/*
 * The bits of a kpageflags word. 0..26 and 32..41 are Linux's, with its
 * numbers (include/uapi/linux/kernel-page-flags.h and fs/proc/page.c);
 * 42 and up are kmm's own (docs/report.md, "Page frames").
 */
enum {
	KPF_LOCKED = 0, KPF_ERROR = 1, KPF_REFERENCED = 2, KPF_UPTODATE = 3, KPF_DIRTY = 4,
	KPF_LRU = 5, KPF_ACTIVE = 6, KPF_SLAB = 7, KPF_WRITEBACK = 8, KPF_RECLAIM = 9,
	KPF_BUDDY = 10,			/* first page of a free block of the buddy allocator */
	KPF_MMAP = 11,			/* mapped into a process */
	KPF_ANON = 12, KPF_SWAPCACHE = 13, KPF_SWAPBACKED = 14,
	KPF_COMPOUND_HEAD = 15, KPF_COMPOUND_TAIL = 16, KPF_HUGE = 17, KPF_UNEVICTABLE = 18,
	KPF_HWPOISON = 19,
	KPF_NOPAGE = 20,		/* no struct page: a hole, or beyond the last RAM page */
	KPF_KSM = 21, KPF_THP = 22, KPF_OFFLINE = 23, KPF_ZERO_PAGE = 24, KPF_IDLE = 25,
	KPF_PGTABLE = 26,		/* a page-table page */
	KPF_RESERVED = 32, KPF_MLOCKED = 33, KPF_MAPPEDTODISK = 34, KPF_PRIVATE = 35,
	KPF_PRIVATE_2 = 36, KPF_OWNER_PRIVATE = 37, KPF_ARCH = 38, KPF_UNCACHED = 39,
	KPF_SOFTDIRTY = 40, KPF_ARCH_2 = 41,
	/* kmm: */
	KPF_KMM_NODE_SHIFT = 42,	/* 6 bits: the page's node */
	KPF_KMM_ZONE_SHIFT = 48,	/* 3 bits: its zone type, 0 DMA 1 DMA32 2 Normal 3 HighMem 4 Movable */
	KPF_KMM_MT_SHIFT = 51,		/* 3 bits: its pageblock's migrate type, 0 Unmovable 1 Movable
					 * 2 Reclaimable 3 HighAtomic 4 CMA 5 Isolate */
	KPF_KMM_ORDER_SHIFT = 54,	/* 4 bits: the order of the free block it belongs to */
	KPF_KMM_BUDDY_TAIL = 58,	/* free: in a free block, not its first page */
	KPF_KMM_PCP = 59,		/* free: held by a per-CPU list (Linux shows no flag) */
};

/**
 * kmm_kpageflags() - the kpageflags words of @nr page frames from @pfn,
 * what reading /proc/kpageflags at offset 8 * @pfn gives on Linux, plus
 * kmm's bits: for a free page its block's order (the first page has
 * KPF_BUDDY, the others KPF_KMM_BUDDY_TAIL, a per-CPU list's pages
 * KPF_KMM_PCP), for every page with a struct page its node, zone and
 * pageblock migrate type. A pfn without a struct page is KPF_NOPAGE alone.
 * Sections whose struct pages are not initialised yet are described
 * without initialising them.
 * Context: reads without locks, as Linux does: a page that changes state
 * during the call is reported in either state.
 * Return: 0 (@out[0..@nr) filled); -EINVAL without a machine or @out;
 * -ENOENT on a machine that is not booted.
 */
int kmm_kpageflags(struct kmm_machine *m, unsigned long pfn, unsigned long nr, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KMM_PROC_H */
