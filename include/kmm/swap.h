// SPDX-License-Identifier: MIT
/*
 * include/kmm/swap.h - swap areas, reclaim and kswapd of a kmm machine.
 *
 * A swap area is a host file: mkswap creates it (with Linux's swap header,
 * "SWAPSPACE2"), swapon reads the header and starts using it, swapoff
 * brings every page back into RAM and stops. @path is the name the machine
 * shows (/proc/swaps, dmesg), absolute ("/swapfile"); the host file lives in
 * the machine's swap directory: a private temporary directory removed at
 * shutdown, or the directory given by the swapdir= boot option (files there
 * are kept, so a later boot can swapon them again).
 *
 * kswapd: with kswapd=step (the default) a woken kswapd runs when
 * kmm_kswapd_run_pending() is called - the scenario runner calls it after
 * every command, so runs happen at defined points and print the same bytes
 * each time. With kswapd=thread each node's kswapd is a host thread that
 * runs as soon as it is woken, as in Linux.
 */
#ifndef KMM_PUBLIC_SWAP_H
#define KMM_PUBLIC_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmm_machine;

#define KMM_SWAP_PRIO_DEFAULT (-1)	/* swapon without a priority: -2, -3, ... */

/**
 * kmm_mkswap() - create the swap file @path of @bytes bytes (whole pages;
 * at least 10) with a version-1 swap header.
 * Return: the usable pages (one page is the header), or -errno: -EINVAL
 * (bad path or size), -EBUSY (the area is in use), or the host's error.
 */
long kmm_mkswap(struct kmm_machine *m, const char *path, uint64_t bytes);
/**
 * kmm_swapon() - start swapping to @path with priority @prio (0..32767, or
 * KMM_SWAP_PRIO_DEFAULT). Return: 0, -ENOENT (no such file), -EINVAL (no
 * swap signature), -EBUSY (already active), -EPERM (too many areas).
 */
int kmm_swapon(struct kmm_machine *m, const char *path, int prio);
/**
 * kmm_swapoff() - read every page of @path back into RAM and stop using it.
 * Its reads allocate like faults: with RAM full the OOM killer may kill a
 * process (the one whose pages fill the area, as in Linux). Return: 0,
 * -EINVAL (not an active area), -ENOMEM (under vm.overcommit_memory=2 the
 * commit charge would not fit without the area, or RAM cannot hold it on a
 * machine with no OOM killer; the area stays active, as Linux leaves it).
 */
int kmm_swapoff(struct kmm_machine *m, const char *path);

/**
 * kmm_kswapd_run_pending() - run every kswapd that was woken since its last
 * run (kswapd=step). Return: the number of kswapds that ran.
 */
int kmm_kswapd_run_pending(struct kmm_machine *m);
/**
 * kmm_kswapd_run() - run node @nid's kswapd now, woken or not, as if an
 * order-0 allocation had woken it for every zone. Return: pages reclaimed,
 * or -EINVAL for a bad node.
 */
long kmm_kswapd_run(struct kmm_machine *m, int nid);
/**
 * kmm_reclaim() - reclaim @nr_pages pages from every node now, as writing
 * to memory.reclaim does: reclaim passes (DEF_PRIORITY down to 0 each) until
 * that many are freed or MAX_RECLAIM_RETRIES passes in a row free nothing.
 * Return: pages reclaimed (may pass @nr_pages by up to a batch).
 */
unsigned long kmm_reclaim(struct kmm_machine *m, unsigned long nr_pages);

#ifdef __cplusplus
}
#endif

#endif /* KMM_PUBLIC_SWAP_H */
