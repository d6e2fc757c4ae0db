// SPDX-License-Identifier: MIT
/*
 * bench/pagecache.c - reading a file through kmm's page cache, next to the
 * host reading the same bytes from a host file in the same run:
 *
 *   seq cold   kmm: drop_caches, then pread the whole file in 1 MiB calls
 *              (readahead grows to 32 pages; every page comes from the host
 *              image) / host: posix_fadvise(DONTNEED) on a host copy, then
 *              pread it in 1 MiB calls (the host's own readahead)
 *   seq warm   the same again, everything cached (kmm: its page cache;
 *              host: the host's page cache)
 *   rand warm  4 KiB preads at random page offsets, cached
 *   rand cold  the same after drop_caches (kmm: no readahead window opens
 *              for random reads, so each miss reads one page)
 *   4K seq     4 KiB preads in order, cold: readahead's windows grow to
 *              32 pages
 *   4K back    4 KiB preads from the end to the start, cold: no window
 *              ever opens (each read is a miss of one page), so the two
 *              rows together show what readahead is worth
 *   mmap seq   a shared read-only mapping of the file, cold, loaded one byte
 *              per page in order: kmm's faults read around and ahead and
 *              map 16 cached pages at a time (fault-around) / the host's
 *              mapping of its copy, the same loads
 *   mmap rand  the same with MADV_RANDOM on both sides and kmm's
 *              fault_around_bytes at 4096: one fault and one read per page;
 *              the two rows show what fault-around and mmap readahead are
 *              worth. Both print kmm's major and minor faults of the last run.
 *
 * Figures are MiB/s, medians of REPS runs, and the ratio kmm/host of time
 * per MiB (host MiB/s over kmm's: lower is better, as every ratio of make
 * bench; each goes to the closing summary). "Cold" on
 * the host means out of the host's page cache only as far as fadvise can
 * make it (a file just written may still be in the disk's cache).
 * Environment: KMM_BENCH_REPS (default 5), KMM_BENCH_FILE_MB (default 64).
 * One thread by nature: one process of one machine reading one file, so
 * that readahead and fault-around are what the rows compare; -t N is
 * checked (make bench passes it) and does not apply.
 *
 * usage: pagecache [-t N]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kmm/fs.h>
#include <kmm/kmm.h>
#include <kmm/proc.h>
#include <kmm/process.h>

#include "bench/bench.h"

#define MAX_REPS 32
#define CHUNK (1 << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* MiB/s of reading @bytes in @chunk-sized calls (random page offsets when @random). */
static __attribute__((noinline)) double kmm_pass(struct task_struct *t, int fd, uint64_t bytes, size_t chunk, int random, char *buf)
{
	uint64_t start = now_ns(), pages = bytes / 4096;

	for (uint64_t done = 0; done < bytes; done += chunk) {
		uint64_t off = random ? (next_rand() % pages) * 4096 : done;
		if (kmm_pread(t, fd, buf, chunk, off) != (long)chunk) {
			fprintf(stderr, "kmm_pread failed: %s\n", kmm_last_error());
			exit(1);
		}
	}
	return (double)bytes / (1 << 20) / ((double)(now_ns() - start) / 1e9);
}

static double host_pass(int fd, uint64_t bytes, size_t chunk, int random, char *buf)
{
	uint64_t start = now_ns(), pages = bytes / 4096;

	for (uint64_t done = 0; done < bytes; done += chunk) {
		uint64_t off = random ? (next_rand() % pages) * 4096 : done;
		if (pread(fd, buf, chunk, (off_t)off) != (ssize_t)chunk) {
			perror("pread");
			exit(1);
		}
	}
	return (double)bytes / (1 << 20) / ((double)(now_ns() - start) / 1e9);
}

static volatile unsigned bench_sink;	/* keeps the host's loads */

/* A /proc/vmstat counter of @m (the bench's process is the machine's only one). */
static unsigned long vmstat_counter(struct kmm_machine *m, const char *name)
{
	char *text = NULL, key[64], *p;
	unsigned long v = 0;

	snprintf(key, sizeof(key), "\n%s ", name);
	if (kmm_proc_read(m, "/proc/vmstat", &text) == 0 && (p = strstr(text, key)) != NULL)
		v = strtoul(p + strlen(key), NULL, 10);
	free(text);
	return v;
}

/* MiB/s of loading one byte per page of a cold mapping of @bytes (kmm), with advice @advice. */
static __attribute__((noinline)) double kmm_map_pass(struct kmm_machine *m, struct task_struct *t, int fd, uint64_t bytes, int advice,
			   unsigned long *maj, unsigned long *min)
{
	uint64_t addr = 0, start;
	unsigned long maj0 = vmstat_counter(m, "pgmajfault"), all0 = vmstat_counter(m, "pgfault");
	double mibs;

	if (kmm_mmap_fd(t, fd, 0, bytes, KMM_PROT_READ, KMM_MAP_SHARED, 0, &addr) ||
	    kmm_madvise(t, addr, bytes, advice)) {
		fprintf(stderr, "mmap: %s\n", kmm_last_error());
		exit(1);
	}
	start = now_ns();
	if (kmm_touch(t, addr, bytes, false)) {
		fprintf(stderr, "touch: %s\n", kmm_last_error());
		exit(1);
	}
	mibs = (double)bytes / (1 << 20) / ((double)(now_ns() - start) / 1e9);
	*maj = vmstat_counter(m, "pgmajfault") - maj0;
	*min = vmstat_counter(m, "pgfault") - all0 - *maj;
	kmm_munmap(t, addr, bytes);
	return mibs;
}

static double host_map_pass(int fd, uint64_t bytes, int advice)
{
	volatile const char *p = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	uint64_t start;
	unsigned sum = 0;

	if (p == MAP_FAILED || madvise((void *)p, bytes, advice)) {
		perror("mmap");
		exit(1);
	}
	start = now_ns();
	for (uint64_t off = 0; off < bytes; off += 4096)
		sum += (unsigned char)p[off];
	double mibs = (double)bytes / (1 << 20) / ((double)(now_ns() - start) / 1e9);
	munmap((void *)p, bytes);
	bench_sink = sum;
	return mibs;
}

int main(int argc, char **argv)
{
	bench_one_thread(argc, argv, "pagecache [-t N] (one thread by nature: -t does not apply)");
	const char *r = getenv("KMM_BENCH_REPS"), *mb = getenv("KMM_BENCH_FILE_MB");
	int reps = r ? atoi(r) : 5;
	uint64_t bytes = (uint64_t)(mb ? atoi(mb) : 64) << 20;
	static char buf[CHUNK];
	char host_path[] = "/tmp/kmm-bench-pagecache-XXXXXX";
	double v[8][2][MAX_REPS];
	unsigned long faults[2][2] = { { 0, 0 }, { 0, 0 } };
	static const char *const names[8] = { "seq cold", "seq warm", "rand warm", "rand cold",
					      "4K seq cold", "4K backwards cold (no ra)",
					      "mmap seq cold", "mmap rand cold (no fa/ra)" };

	if (reps < 1 || reps > MAX_REPS)
		reps = 5;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "mem=%llum", (unsigned long long)(bytes >> 20) * 3 + 128);
	struct kmm_machine *m = kmm_boot(cmd);
	if (!m) {
		fprintf(stderr, "boot: %s\n", kmm_last_error());
		return 1;
	}
	struct task_struct *t = kmm_spawn(m, "bench");
	if (kmm_mkfile(m, "/bench", bytes, -1) || kmm_sync(m)) {
		fprintf(stderr, "mkfile: %s\n", kmm_last_error());
		return 1;
	}
	int fd = kmm_open(t, "/bench", KMM_O_RDONLY);
	/* the host's copy: the same bytes in a host file */
	int hfd = mkstemp(host_path);
	for (uint64_t done = 0; done < bytes; done += CHUNK) {
		if (kmm_pread(t, fd, buf, CHUNK, done) != CHUNK || write(hfd, buf, CHUNK) != CHUNK) {
			perror("host copy");
			return 1;
		}
	}
	fsync(hfd);
	/* kmm's "disk" is its image: cold for kmm means out of the host's cache too */
	int ifd = open(kmm_fs_image(m), O_RDONLY);
	for (int i = 0; i < reps; i++) {
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		v[0][0][i] = kmm_pass(t, fd, bytes, CHUNK, 0, buf);
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		v[0][1][i] = host_pass(hfd, bytes, CHUNK, 0, buf);
		v[1][0][i] = kmm_pass(t, fd, bytes, CHUNK, 0, buf);
		v[1][1][i] = host_pass(hfd, bytes, CHUNK, 0, buf);
		v[2][0][i] = kmm_pass(t, fd, bytes / 4, 4096, 1, buf);
		v[2][1][i] = host_pass(hfd, bytes / 4, 4096, 1, buf);
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		v[3][0][i] = kmm_pass(t, fd, bytes / 4, 4096, 1, buf);
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		v[3][1][i] = host_pass(hfd, bytes / 4, 4096, 1, buf);
		/* readahead on and off (a fresh descriptor per pass: a fresh window) */
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		int f2 = kmm_open(t, "/bench", KMM_O_RDONLY);
		v[4][0][i] = kmm_pass(t, f2, bytes / 4, 4096, 0, buf);
		kmm_close(t, f2);
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		v[4][1][i] = host_pass(hfd, bytes / 4, 4096, 0, buf);
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		f2 = kmm_open(t, "/bench", KMM_O_RDONLY);
		uint64_t start = now_ns();
		for (uint64_t off = bytes / 4; off >= 4096; off -= 4096)
			kmm_pread(t, f2, buf, 4096, off - 4096);
		v[5][0][i] = (double)(bytes / 4) / (1 << 20) / ((double)(now_ns() - start) / 1e9);
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		start = now_ns();
		for (uint64_t off = bytes / 4; off >= 4096; off -= 4096)
			if (pread(hfd, buf, 4096, (off_t)(off - 4096)) != 4096)
				return 1;
		v[5][1][i] = (double)(bytes / 4) / (1 << 20) / ((double)(now_ns() - start) / 1e9);
		kmm_close(t, f2);
		/* faults on a mapping: fault-around and mmap readahead on, then off */
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		v[6][0][i] = kmm_map_pass(m, t, fd, bytes / 4, KMM_MADV_NORMAL, &faults[0][0], &faults[0][1]);
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		v[6][1][i] = host_map_pass(hfd, bytes / 4, MADV_NORMAL);
		kmm_sysctl_write(m, "vm.drop_caches", "1");
		posix_fadvise(ifd, 0, 0, POSIX_FADV_DONTNEED);
		kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", "4096");
		v[7][0][i] = kmm_map_pass(m, t, fd, bytes / 4, KMM_MADV_RANDOM, &faults[1][0], &faults[1][1]);
		kmm_proc_write(m, "/sys/kernel/debug/fault_around_bytes", "65536");
		posix_fadvise(hfd, 0, 0, POSIX_FADV_DONTNEED);
		v[7][1][i] = host_map_pass(hfd, bytes / 4, MADV_RANDOM);
	}
	printf("bench/pagecache: %llu MiB file, %d runs, MiB/s (median); kmm/host: time per MiB\n"
	       "(lower is better); one thread by nature (-t N does not apply)\n",
	       (unsigned long long)(bytes >> 20), reps);
	printf("%-28s %10s %10s %8s\n", "", "kmm", "host", "kmm/host");
	for (int k = 0; k < 8; k++) {
		double a = median(v[k][0], reps), b = median(v[k][1], reps);
		double ratio = bench_time_ratio(a, b);
		char rs[16];
		printf("%-28s %10.0f %10.0f %8s\n", names[k], a, b, bench_fmt_ratio(rs, sizeof(rs), ratio));
		bench_summary("pagecache", names[k], 1, "host", ratio);
	}
	printf("kmm faults of the last mmap passes (%llu pages): seq %lu major %lu minor; "
	       "rand %lu major %lu minor\n", (unsigned long long)(bytes / 4 / 4096), faults[0][0], faults[0][1],
	       faults[1][0], faults[1][1]);
	kmm_close(t, fd);
	kmm_unlink(m, "/bench");
	close(hfd);
	close(ifd);
	unlink(host_path);
	kmm_shutdown(m);
	return 0;
}
