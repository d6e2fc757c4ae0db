// SPDX-License-Identifier: MIT
/*
 * mm/include/memory_hotplug.h - memory blocks and memory hotplug
 * (mm/memory_hotplug.c), for the page allocator's boot code, /proc and the
 * CLI.
 *
 * Linux counterpart: include/linux/memory_hotplug.h, include/linux/memory.h.
 */
#ifndef KMM_MEMORY_HOTPLUG_H
#define KMM_MEMORY_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

#include "include/kmm/kmm.h"
#include "include/kmm/proc.h"
#include "mm/include/machine.h"

struct kmm_machine;
struct strbuf;

/* memory_block_size_bytes(): one section, 128 MiB, on every kmm machine. */
#define MEMORY_BLOCK_SIZE	(PAGES_PER_SECTION << PAGE_SHIFT)

/* Linux's MMOP_* online types (enum in include/linux/memory_hotplug.h). */
enum {
	MMOP_OFFLINE = KMM_MHP_OFFLINE,
	MMOP_ONLINE = KMM_MHP_ONLINE,
	MMOP_ONLINE_KERNEL = KMM_MHP_ONLINE_KERNEL,
	MMOP_ONLINE_MOVABLE = KMM_MHP_ONLINE_MOVABLE,
};

/** mhp_online_type_from_str() - "offline", "online", ... to MMOP_*; -EINVAL otherwise. */
int mhp_online_type_from_str(const char *str);

/**
 * memory_hotplug_area() - the board's hotplug area [*@start, *@end) (bytes;
 * empty without maxmem=), from the command line and the boot RAM. Usable
 * from setup_arch() on, before the layer's state exists; once it exists,
 * the area it fixed at boot (plugs move max_pfn, not the area).
 */
void memory_hotplug_area(const struct kmm_machine *m, uint64_t *start, uint64_t *end);

/**
 * memory_hotplug_max_sections() - sections the struct page array and the
 * section maps must cover: the boot RAM's, or up to the hotplug area's end.
 */
unsigned long memory_hotplug_max_sections(const struct kmm_machine *m);

/**
 * add_memory() - hot-add [@start, @start + @size) to node @nid and make its
 * memory blocks, onlined as @online_type says (MMOP_OFFLINE: left offline).
 * Context: may allocate pages (the vmemmaps, which may reclaim) before it
 * takes the machine's mem_hotplug_lock; nothing that sleeps runs under it.
 * Return: 0 when the range was added - also when onlining a block failed:
 * that block and the ones after it stay added and offline, as Linux's do -
 * or -errno with kmm_last_error() set and nothing changed (-EEXIST: another
 * adder took @start first).
 */
int add_memory(struct kmm_machine *m, int nid, uint64_t start, uint64_t size, int online_type);

/**
 * memory_block_online() - online memory block @block_id as @online_type.
 * Return: 0, -EINVAL (no such block, already online, zone not allowed),
 * -ENOMEM; message set, nothing changed.
 */
int memory_block_online(struct kmm_machine *m, unsigned long block_id, int online_type);

/**
 * memory_hotplug_grow() - the shim's growth hook: more online memory, up to
 * @bytes (rounded up to blocks). Blocks added and offline, for whatever
 * reason (an onlining that failed, or an add with MMOP_OFFLINE), are onlined
 * first, as MMOP_ONLINE, as many as @bytes asks or there are; one that cannot
 * be onlined so is passed over and stays offline. Only when none was onlined
 * are the next blocks of the area added and onlined - unless the highest
 * added block is one that could not be: a new block above it would go to the
 * same zone and fail the same way (Normal may not grow over a Movable block),
 * so the call fails without adding, and so does every later call until that
 * block is onlined into another zone (memoryN/state, memory_block_online()).
 * Return: 0 (more memory is online, or another thread just added some),
 * -ENOSPC (the area is used up), or why onlining failed (-ENOMEM, -EINVAL:
 * the blocks stay offline for the next call).
 */
int memory_hotplug_grow(struct kmm_machine *m, uint64_t bytes);

/* ---- proc/memory.c's view: /sys/devices/system/memory/ ---- */

/** memory_sysfs_show() - @rest below /sys/devices/system/memory/. Return: 0 or -ENOENT. */
int memory_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb);
/** memory_sysfs_write() - state, online, auto_online_blocks. Return: 0, -ENOENT, -EINVAL... */
int memory_sysfs_write(struct kmm_machine *m, const char *rest, const char *text);
/** memory_sysfs_mode() - 0644 for the writable files, 0444 others, -ENOENT. */
int memory_sysfs_mode(struct kmm_machine *m, const char *rest);
/** memory_sysfs_list() - report every file of the directory to @fn. Return: 0 or @fn's value. */
int memory_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg);

/**
 * memory_hotplug_ranges() - the hot-added ranges, as register_memory_resource()
 * put them in the resource tree ("System RAM"). Up to @max into @r.
 * Return: how many there are.
 */
int memory_hotplug_ranges(struct kmm_machine *m, uint64_t (*r)[2], int max);

/**
 * mem_hotplug_lock_held() - is @m's hotplug lock taken (by anyone)? For
 * assertions and tests: nothing that may sleep or reclaim runs under it.
 */
bool mem_hotplug_lock_held(struct kmm_machine *m);

#endif /* KMM_MEMORY_HOTPLUG_H */
