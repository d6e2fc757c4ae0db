// SPDX-License-Identifier: MIT
/*
 * proc/swaps.c - /proc/swaps.
 *
 * Linux counterpart: mm/swapfile.c's swap_show (the text itself is made by
 * mm/swapfile.c, which owns the areas). The pressure layer's sysctl rows
 * (vm.swappiness, vm.page-cluster) and its meminfo lines are in its
 * subsystem entry (mm/pressure.c).
 *
 * Locking: swap_show reads the areas under the pressure layer's swap_lock.
 */
#include <errno.h>

#include "mm/include/swap.h"
#include "proc/proc.h"

int swaps_show(struct kmm_machine *m, struct strbuf *sb)
{
	if (!pressure_up(m))
		return -ENOENT;
	return swap_show(m, sb);
}
