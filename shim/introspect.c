// SPDX-License-Identifier: MIT
/*
 * shim/introspect.c - what libkmm-malloc.so does besides allocating: the
 * look at its machine that shim/shim.h offers (kmm_malloc_*()), the
 * statistics and the check it runs at the program's exit
 * (KMM_MALLOC_STATS, KMM_MALLOC_CHECK), and the fork handlers that take
 * its locks around fork(). None of it runs on malloc's or free's path;
 * the state it reads is shim/malloc.c's (shim/core.h), whose header
 * comment has the invariants and the lock order the fork handlers follow.
 *
 * Linux counterpart: none (glibc's malloc_stats(), mallinfo() and its
 * atfork handlers play these parts for its malloc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmm/trace.h>

#include "mm/include/machine.h"
#include "shim/core.h"
#include "shim/harden.h"
#include "shim/huge_cache.h"
#include "shim/huge_table.h"
#include "shim/shim.h"
#include "shim/trim.h"

/* ---- Introspection (shim/shim.h) ---- */

struct kmm_machine *kmm_malloc_machine(void)
{
	return shim_ready() ? shim_m : NULL;
}

unsigned long kmm_malloc_injected(void)
{
	unsigned long n = 0;

	if (atomic_load(&shim_state) != SHIM_UP)
		return 0;
	for (int t = 0; t < KMM_FAIL_NR; t++)
		n += kmm_fail_count(shim_m, (enum kmm_fail_target)t);
	return n;
}

int kmm_malloc_check(void)
{
	if (!shim_ready())
		return -ENODEV;
	shim_enter_slot();
	int err = kmm_check(shim_m);
	shim_leave_slot();
	return err ? err : huge_cache_check();	/* and the heap of freed huge ranges */
}

void kmm_malloc_set_grow_hook(bool (*hook)(size_t bytes))
{
	__atomic_store_n(&grow_hook, hook, __ATOMIC_RELEASE);
}

const char *kmm_malloc_cmdline(void)
{
	return shim_ready() ? boot_cmdline : "";
}

bool kmm_malloc_owns(const void *p)
{
	struct huge_entry e;

	if (!shim_ready())
		return false;
	return in_ram(p) || huge_lookup((uintptr_t)p, &e);
}

size_t kmm_malloc_live_map_resident(void)
{
	return shim_ready() ? sim_resident(live_map, live_map_bytes) : 0;
}

void kmm_malloc_get_stats(struct kmm_malloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->current_bytes = atomic_load(&stat_cur);
	st->peak_bytes = atomic_load(&stat_peak);
	st->mallocs = atomic_load(&stat_mallocs);
	st->frees = atomic_load(&stat_frees);
	st->huge_mappings = atomic_load(&stat_huge);
	st->trims = atomic_load(&stat_trims);
	st->trimmed_pages = atomic_load(&stat_trimmed_pages);
	st->kmalloc = use_kmalloc;
}

/* ---- Statistics and checks at exit ---- */

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/**
 * kmm_malloc_print_stats() - write the statistics to @fd: bytes in use now and
 * at the peak, calls, trims, then /proc/slabinfo of the machine.
 */
void kmm_malloc_print_stats(int fd)
{
	char buf[512];
	struct kmm_malloc_stats st;

	if (atomic_load(&shim_state) != SHIM_UP)
		return;
	kmm_malloc_get_stats(&st);
	in_kmm++;
	int n = snprintf(buf, sizeof(buf),
			 "kmm-malloc: machine \"%s\"\n"
			 "kmm-malloc: current %ld bytes, peak %ld bytes\n"
			 "kmm-malloc: %lu mallocs, %lu frees, %lu huge mappings, "
			 "%lu trims discarded %lu free pages\n",
			 boot_cmdline, st.current_bytes, st.peak_bytes, st.mallocs, st.frees,
			 st.huge_mappings, st.trims, st.trimmed_pages);
	write_all(fd, buf, (size_t)KMM_MIN(n, (int)sizeof(buf) - 1));
	in_kmm--;
	char *text = NULL;
	/* Rendering takes the slab locks: inside kmm, so inside the slot's section. */
	shim_enter_slot();
	int err = kmm_proc_read(shim_m, "/proc/slabinfo", &text);
	shim_leave_slot();
	in_kmm++;
	if (err == 0 && text) {
		write_all(fd, text, strlen(text));
		free(text);
	} else {
		const char *msg = "kmm-malloc: /proc/slabinfo not available\n";
		write_all(fd, msg, strlen(msg));
	}
	in_kmm--;
}

void shim_atexit(void)
{
	if (atomic_load(&shim_state) != SHIM_UP)
		return;
	if (stats_enabled) {
		/* open(2) appends as fopen("a") would, and allocates nothing */
		int fd = strcmp(stats_dest, "1") != 0
				 ? open(stats_dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)
				 : -1;
		if (fd < 0 && strcmp(stats_dest, "1") != 0)	/* say why it comes here */
			shim_warn("KMM_MALLOC_STATS: cannot open \"", stats_dest, "\"; to standard error");
		kmm_malloc_print_stats(fd >= 0 ? fd : STDERR_FILENO);
		if (fd >= 0)
			close(fd);
	}
	if (check_at_exit) {
		/* Stop every other thread at the door, as fork() does, while checking. */
		fork_prepare();
		in_kmm++;
		int err = kmm_check(shim_m);
		in_kmm--;
		fork_parent();
		if (err) {
			shim_warn("kmm_check failed at exit: ", kmm_last_error(), NULL);
			abort();
		}
	}
}

/* ---- fork ---- */

void fork_prepare(void)
{
	spin_lock(&grow_lock);
	if (shim_m)
		kmm_cpu_fork_prepare(shim_m);	/* waits for every slot's section in progress */
	spin_lock(&trim_lock);
	spin_lock(&huge_lock);
}

void fork_parent(void)
{
	spin_unlock(&huge_lock);
	spin_unlock(&trim_lock);
	if (shim_m)
		kmm_cpu_fork_parent(shim_m);
	spin_unlock(&grow_lock);
}

void fork_child(void)
{
	spin_unlock(&huge_lock);
	spin_unlock(&trim_lock);
	if (shim_m)
		kmm_cpu_fork_child(shim_m);
	spin_unlock(&grow_lock);
}
