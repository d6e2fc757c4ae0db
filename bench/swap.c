// SPDX-License-Identifier: MIT
/*
 * bench/swap.c - swap and reclaim speed, each next to its peer in the same
 * run:
 *
 *   swap-out   kmm: a process writes a region three times the machine's RAM
 *              once; the figure is the bytes that went to swap (pswpout) per
 *              second of that pass / dd: `dd if=/dev/zero bs=1M` of the same
 *              number of bytes into a file in the same directory (the same
 *              filesystem as the swap file)
 *   swap-in    kmm: the process reads the region back in order (faults,
 *              readahead); bytes read from swap (pswpin) per second / dd:
 *              reading that file back to /dev/null
 *   scan rate  kmm_reclaim() on a full machine: pages scanned per second of
 *              reclaim (pgscan_direct), and pages reclaimed per second
 *   kswapd     kswapd runs on a machine kept below its low watermark: host
 *              nanoseconds per page reclaimed (kswapd's own clock)
 *
 * The disk is the limit for swap: the ratio kmm/dd is kmm's time over dd's
 * for the same bytes (dd's MB/s over kmm's; lower is better, as every ratio
 * of make bench: 1.0 means the swap path gets all of the host's write or
 * read speed; both go through the host's page cache, neither syncs); the
 * closing summary gets the same figures. Medians of REPS runs.
 * The two sides do unlike work: dd only copies. kmm's swap-out pass also
 * faults in every page of the region (demand-zero), writes it, and reclaim
 * scans, unmaps (rmap walk, TLB shootdown) and writes it; the pages that
 * stay in RAM (a third of the region) cost their faults and are not
 * counted. Its swap-in pass faults and maps each page read, and RAM being
 * full, reclaim writes out as many pages as are read (pswpout during the
 * pass = pswpin, measured at mem=64M and 128M): the pass moves twice the
 * bytes it is credited with. kmm/dd is the whole swap path's cost against
 * a copy, not the swap I/O's alone.
 * Environment: KMM_BENCH_REPS (default 5), KMM_BENCH_MEM (the machine's
 * mem=, default 128M); TMPDIR picks the filesystem. One thread by nature:
 * one process swapping against one disk (N machines swapping at once would
 * measure the host's disk queue); -t N is checked (make bench passes it)
 * and does not apply.
 *
 * usage: swap [-t N]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmm/kmm.h>
#include <kmm/process.h>
#include <kmm/swap.h>

#include "bench/bench.h"
#include "mm/swap.h"

#define MAX_REPS 32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned long event(struct kmm_machine *m, enum vm_event_item e)
{
	return sum_vm_event(m, e);
}

/* Run a shell command; return its wall time in seconds (negative on failure). */
static double timed_system(const char *cmd)
{
	uint64_t t0 = now_ns();
	int rc = system(cmd);

	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc))
		return -1;
	return (double)(now_ns() - t0) / 1e9;
}

struct swap_run {
	double out_mbs, in_mbs;		/* kmm swap-out / swap-in, MB/s */
	double dd_out_mbs, dd_in_mbs;	/* dd to / from the same directory, MB/s */
};

static int swap_round(const char *mem, struct swap_run *r)
{
	char cmdline[128], cmd[8192];
	struct kmm_machine *m;
	struct task_struct *t;
	uint64_t a, t0;
	unsigned long ram_pages, npages, out0, in0;
	const char *dir;

	snprintf(cmdline, sizeof(cmdline), "mem=%s arch=x86_64", mem);
	m = kmm_boot(cmdline);
	if (!m) {
		fprintf(stderr, "swap bench: kmm_boot(\"%s\"): %s\n", cmdline, kmm_last_error());
		return -1;
	}
	kmm_use(m);
	ram_pages = kmm_nr_free_pages(m);
	npages = 3 * ram_pages;
	if (kmm_mkswap(m, "/swapfile", (uint64_t)(npages + npages / 4) * 4096) < 0 ||
	    kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT))
		goto fail;
	dir = pressure_of(m)->swapdir;
	t = kmm_spawn(m, "bench");
	if (!t || kmm_mmap(t, 0, npages * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			   KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &a))
		goto fail;

	out0 = event(m, PSWPOUT);
	t0 = now_ns();
	if (kmm_fill(t, a, 0x5a, npages * 4096))
		goto fail;
	double secs = (double)(now_ns() - t0) / 1e9;
	unsigned long out = event(m, PSWPOUT) - out0;
	r->out_mbs = (double)out * 4096 / 1e6 / secs;

	in0 = event(m, PSWPIN);
	t0 = now_ns();
	for (unsigned long i = 0; i < npages; i++) {
		unsigned char b;
		if (kmm_access(t, a + i * 4096, &b, 1, false))
			goto fail;
	}
	secs = (double)(now_ns() - t0) / 1e9;
	unsigned long in = event(m, PSWPIN) - in0;
	r->in_mbs = (double)in * 4096 / 1e6 / secs;

	/* dd: the same bytes, the same directory */
	unsigned long mb = (out * 4096 + (1 << 20) - 1) >> 20;
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of='%s/dd.bench' bs=1M count=%lu status=none",
		 dir, mb);
	secs = timed_system(cmd);
	r->dd_out_mbs = secs > 0 ? (double)mb * 1048576 / 1e6 / secs : 0;
	mb = (in * 4096 + (1 << 20) - 1) >> 20;
	snprintf(cmd, sizeof(cmd), "dd if='%s/dd.bench' of=/dev/null bs=1M count=%lu status=none",
		 dir, mb);
	secs = timed_system(cmd);
	r->dd_in_mbs = secs > 0 ? (double)mb * 1048576 / 1e6 / secs : 0;
	snprintf(cmd, sizeof(cmd), "%s/dd.bench", dir);
	unlink(cmd);
	kmm_exit(t, 0);
	kmm_shutdown(m);
	return 0;
fail:
	fprintf(stderr, "swap bench: %s\n", kmm_last_error());
	kmm_shutdown(m);
	return -1;
}

/*
 * Boot mem=@mem with a swap area of four times its free memory and a process
 * with an anonymous mapping of twice that (*@npages pages at *@a), unwritten.
 * Return: the machine (its process in *@t), or NULL with the error printed.
 */
static struct kmm_machine *boot_with_mapping(const char *mem, struct task_struct **t, uint64_t *a,
					     unsigned long *npages)
{
	char cmdline[128];
	struct kmm_machine *m;

	snprintf(cmdline, sizeof(cmdline), "mem=%s arch=x86_64", mem);
	m = kmm_boot(cmdline);
	if (!m) {
		fprintf(stderr, "swap bench: kmm_boot(\"%s\"): %s\n", cmdline, kmm_last_error());
		return NULL;
	}
	kmm_use(m);
	*npages = kmm_nr_free_pages(m) * 2;
	if (kmm_mkswap(m, "/swapfile", (uint64_t)*npages * 2 * 4096) < 0 ||
	    kmm_swapon(m, "/swapfile", KMM_SWAP_PRIO_DEFAULT))
		goto fail;
	*t = kmm_spawn(m, "bench");
	if (!*t || kmm_mmap(*t, 0, *npages * 4096, KMM_PROT_READ | KMM_PROT_WRITE,
			    KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, a))
		goto fail;
	return m;
fail:
	fprintf(stderr, "bench setup: %s\n", kmm_last_error());
	kmm_shutdown(m);
	return NULL;
}

/* Reclaim on a machine whose memory is all in a process: scan and reclaim rates. */
static int scan_round(const char *mem, double *scan_rate, double *reclaim_rate)
{
	struct kmm_machine *m;
	struct task_struct *t;
	unsigned long npages;
	uint64_t a, t0;

	m = boot_with_mapping(mem, &t, &a, &npages);
	if (!m)
		return -1;
	if (kmm_fill(t, a, 0x33, npages * 4096))
		goto fail;
	unsigned long scan0 = event(m, PGSCAN_DIRECT), steal0 = event(m, PGSTEAL_DIRECT);
	t0 = now_ns();
	kmm_reclaim(m, npages / 4);
	double secs = (double)(now_ns() - t0) / 1e9;
	*scan_rate = (double)(event(m, PGSCAN_DIRECT) - scan0) / secs;
	*reclaim_rate = (double)(event(m, PGSTEAL_DIRECT) - steal0) / secs;
	kmm_exit(t, 0);
	kmm_shutdown(m);
	return 0;
fail:
	fprintf(stderr, "scan bench: %s\n", kmm_last_error());
	kmm_shutdown(m);
	return -1;
}

/* kswapd's cost: run it after pushing the node below its low watermark, many times. */
static int kswapd_round(const char *mem, double *ns_per_page)
{
	struct kmm_machine *m;
	struct task_struct *t;
	unsigned long npages;
	uint64_t a;

	m = boot_with_mapping(mem, &t, &a, &npages);
	if (!m)
		return -1;
	/* Write in steps; after each, the woken kswapd runs (as after a scenario command). */
	for (unsigned long i = 0; i < npages; i += 256) {
		unsigned long n = npages - i < 256 ? npages - i : 256;
		if (kmm_fill(t, a + i * 4096, 0x44, n * 4096))
			goto fail;
		kmm_kswapd_run_pending(m);
	}
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	unsigned long reclaimed = k->reclaimed;
	*ns_per_page = reclaimed ? (double)k->ns / (double)reclaimed : 0;
	kmm_exit(t, 0);
	kmm_shutdown(m);
	if (!reclaimed)
		fprintf(stderr, "kswapd bench: kswapd reclaimed nothing on mem=%s (KMM_BENCH_MEM too "
			"small for its watermarks?)\n", mem);
	return reclaimed ? 0 : -1;
fail:
	fprintf(stderr, "kswapd bench: %s\n", kmm_last_error());
	kmm_shutdown(m);
	return -1;
}

int main(int argc, char **argv)
{
	bench_one_thread(argc, argv, "swap [-t N] (one thread by nature: -t does not apply)");
	const char *e = getenv("KMM_BENCH_REPS");
	const char *mem = getenv("KMM_BENCH_MEM");
	int reps = e ? atoi(e) : 5;
	double out[MAX_REPS], in[MAX_REPS], ddo[MAX_REPS], ddi[MAX_REPS], scan[MAX_REPS],
		steal[MAX_REPS], ks[MAX_REPS];

	if (reps < 1 || reps > MAX_REPS)
		reps = 5;
	if (!mem || !*mem)
		mem = "128M";
	for (int i = 0; i < reps; i++) {
		struct swap_run r;
		if (swap_round(mem, &r) || scan_round(mem, &scan[i], &steal[i]) ||
		    kswapd_round(mem, &ks[i]))
			return 1;
		out[i] = r.out_mbs;
		in[i] = r.in_mbs;
		ddo[i] = r.dd_out_mbs;
		ddi[i] = r.dd_in_mbs;
	}
	double mo = median(out, reps), mi = median(in, reps), mdo = median(ddo, reps),
	       mdi = median(ddi, reps);
	double rout = bench_time_ratio(mo, mdo), rin = bench_time_ratio(mi, mdi);
	char rs[2][16];
	printf("swap bench: mem=%s, medians of %d runs (TMPDIR=%s); kmm/dd: time for the same bytes\n"
	       "(lower is better); one thread by nature (-t N does not apply)\n", mem, reps,
	       getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	printf("%-28s %10s %10s %8s\n", "", "kmm", "dd", "kmm/dd");
	printf("%-28s %7.0f MB/s %7.0f MB/s %8s\n", "swap-out (write)", mo, mdo,
	       bench_fmt_ratio(rs[0], sizeof(rs[0]), rout));
	printf("%-28s %7.0f MB/s %7.0f MB/s %8s\n", "swap-in (read)", mi, mdi,
	       bench_fmt_ratio(rs[1], sizeof(rs[1]), rin));
	if (mo > 0 && mi > 0) {
		bench_summary("swap", "swap-out (write)", 1, "dd", rout);
		bench_summary("swap", "swap-in (read)", 1, "dd", rin);
	}
	printf("%-28s %10.0f pages/s\n", "reclaim scan rate", median(scan, reps));
	printf("%-28s %10.0f pages/s\n", "reclaim (pages freed)", median(steal, reps));
	printf("%-28s %10.0f ns/page\n", "kswapd cost per reclaimed", median(ks, reps));
	return 0;
}
