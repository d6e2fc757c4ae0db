// SPDX-License-Identifier: MIT
/*
 * arch/sim/sim.c - host services: memory file, mappings, locks, threads, clock.
 *
 * Linux counterpart: none; this is the hardware. Every mmap, memfd, pthread
 * and clock call of kmm lives here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "arch/sim/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(struct sim_rwlock), "rwlock too big");

#ifdef KMM_DEBUG_CHECKS
_Thread_local int sim_locks_held;
#endif
#ifdef KMM_DEBUG_VM
_Thread_local char sim_lock_token;

void sim_lock_bad_unlock(spinlock_t *l)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "spin_unlock of a lock this thread does not hold (%s)",
		 atomic_load_explicit(&l->owner, memory_order_relaxed) ? "another thread does"
								     : "nobody does");
	sim_bug(msg);
}
#endif

void spin_lock_slow(spinlock_t *l)
{
	unsigned int spins = 0;

	for (;;) {
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			if (++spins < 128)
				sim_cpu_relax();
			else
				sched_yield();
		}
		if (!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
			return;
	}
}

_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(((struct sim_rwlock *)0)->opaque),
	       "struct sim_rwlock holds a pthread_rwlock_t");

/*
 * The static initialisers (POSIX: the same as pthread_rwlock_init() with
 * default attributes; glibc's writer-first one, the same as the attribute
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP): a copy of constant bytes,
 * where pthread_rwlock_init() reads the C library's default attributes from
 * a page of its own that every process under the malloc shim would fault in.
 */
void sim_rwlock_init(struct sim_rwlock *l)
{
	static const pthread_rwlock_t init = PTHREAD_RWLOCK_INITIALIZER;

	memcpy(l->opaque, &init, sizeof(init));
}
void sim_rwlock_init_writer_first(struct sim_rwlock *l)
{
	static const pthread_rwlock_t init = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

	memcpy(l->opaque, &init, sizeof(init));
}
void sim_rwlock_destroy(struct sim_rwlock *l)
{
	pthread_rwlock_destroy((pthread_rwlock_t *)(void *)l->opaque);
}
void sim_read_lock(struct sim_rwlock *l)
{
	pthread_rwlock_rdlock((pthread_rwlock_t *)(void *)l->opaque);
}
bool sim_read_trylock(struct sim_rwlock *l)
{
	return pthread_rwlock_tryrdlock((pthread_rwlock_t *)(void *)l->opaque) == 0;
}
void sim_read_unlock(struct sim_rwlock *l)
{
	pthread_rwlock_unlock((pthread_rwlock_t *)(void *)l->opaque);
}
void sim_write_lock(struct sim_rwlock *l)
{
	pthread_rwlock_wrlock((pthread_rwlock_t *)(void *)l->opaque);
}
void sim_write_unlock(struct sim_rwlock *l)
{
	pthread_rwlock_unlock((pthread_rwlock_t *)(void *)l->opaque);
}

int sim_ram_create(struct sim_ram *r, uint64_t size, uint64_t direct_len, bool anonymous,
		   bool huge)
{
	r->fd = -1;
	r->size = size;
	r->direct = NULL;
	r->direct_len = direct_len;
	r->huge = anonymous && huge;
	if (anonymous) {
		size_t len = direct_len ? direct_len : 4096;

		r->direct = r->huge ? sim_reserve_huge(len) : sim_reserve_sparse(len);
		return r->direct ? 0 : -ENOMEM;
	}
	r->fd = memfd_create("kmm-ram", MFD_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ftruncate(r->fd, (off_t)size) < 0)
		goto out_close;
	if (direct_len) {
		void *p = mmap(NULL, direct_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_NORESERVE, r->fd, 0);
		if (p == MAP_FAILED)
			goto out_close;
		(void)madvise(p, direct_len, MADV_NOHUGEPAGE);	/* as sim_reserve_sparse() */
		r->direct = p;
	}
	return 0;
out_close:;
	int err = -errno;
	close(r->fd);
	r->fd = -1;
	return err;
}

void sim_ram_destroy(struct sim_ram *r)
{
	if (r->direct)
		munmap(r->direct, r->direct_len ? r->direct_len : 4096);
	if (r->fd >= 0)
		close(r->fd);
	r->direct = NULL;
	r->fd = -1;
}

int sim_map_frames(struct sim_ram *r, void *at, const unsigned long *pfns, size_t n, bool populate)
{
	long psz = 4096;
	size_t i = 0, runs = 1;

	if (r->fd < 0)
		return -EOPNOTSUPP;
	for (size_t j = 1; j < n; j++)
		runs += pfns[j] != pfns[j - 1] + 1;
	while (i < n) {
		/*
		 * Map runs of consecutive frames with one call. One run is
		 * populated by the mmap itself; several by one madvise after the
		 * last (MAP_POPULATE on each would cost a call's worth more than
		 * the fault it saves; a host without MADV_POPULATE_READ, older
		 * than 5.14, refuses it and faults the pages in at first touch).
		 */
		size_t run = 1;
		while (i + run < n && pfns[i + run] == pfns[i] + run)
			run++;
		void *p = mmap((char *)at + i * (size_t)psz, run * (size_t)psz,
			       PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED | (populate && runs == 1 ? MAP_POPULATE : 0),
			       r->fd, (off_t)(pfns[i] * (unsigned long)psz));
		if (p == MAP_FAILED)
			return -errno;
		i += run;
	}
	if (populate && runs > 1)
		(void)madvise(at, n * (size_t)psz, MADV_POPULATE_READ);
	return 0;
}

int sim_unmap_frames(void *at, size_t n)
{
	void *p = mmap(at, n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? -errno : 0;
}

void *sim_reserve(size_t bytes, bool access)
{
	void *p = mmap(NULL, bytes, access ? PROT_READ | PROT_WRITE : PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *sim_reserve_sparse(size_t bytes)
{
	void *p = sim_reserve(bytes, true);

	if (p)	/* advice only: a host without THP refuses it, and nothing changes */
		(void)madvise(p, bytes, MADV_NOHUGEPAGE);
	return p;
}

void *sim_reserve_huge(size_t bytes)
{
	void *p = sim_reserve(bytes, true);

	if (p)	/* advice only, as above */
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

int sim_protect(void *addr, size_t bytes, bool access)
{
	return mprotect(addr, bytes, access ? PROT_READ | PROT_WRITE : PROT_NONE) ? -errno : 0;
}

void *sim_resize(void *addr, size_t old, size_t bytes)
{
	void *p = mremap(addr, old, bytes, MREMAP_MAYMOVE);

	return p == MAP_FAILED ? NULL : p;
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4	/* Linux 5.7 */
#endif

int sim_move(void *from, void *to, size_t bytes)
{
	void *p = mremap(from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);

	return p == MAP_FAILED ? -errno : 0;
}

int sim_move_all(void *from, void *to, size_t bytes)
{
	void *p = mremap(from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, to);

	return p == MAP_FAILED ? -errno : 0;
}

bool sim_mapped(const void *addr)
{
	unsigned char vec;
	uintptr_t page = (uintptr_t)addr & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);

	return mincore((void *)page, 1, &vec) == 0 || errno != ENOMEM;
}

void sim_release(void *addr, size_t bytes)
{
	if (addr)
		munmap(addr, bytes);
}

int sim_discard(void *addr, size_t bytes)
{
	return madvise(addr, bytes, MADV_DONTNEED) ? -errno : 0;
}

size_t sim_resident(const void *addr, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	unsigned char vec[4096];

	/*
	 * A window of 4,096 pages (16 MiB) per call: no allocation, whatever
	 * the range. (256 pages until session 16: the malloc shim's density
	 * check of each freed huge block took 2,715 calls in big_reuse 1 1000.)
	 */
	for (size_t off = 0; off < bytes; off += sizeof(vec) * page) {
		size_t len = bytes - off < sizeof(vec) * page ? bytes - off : sizeof(vec) * page;

		if (mincore((char *)addr + off, len, vec))
			return 0;
		for (size_t i = 0; i < (len + page - 1) / page; i++)
			n += vec[i] & 1;
	}
	return n * page;
}

unsigned long sim_host_rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
}

unsigned long sim_host_peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (unsigned long)ru.ru_maxrss;
}

uint64_t sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct sim_thread {
	pthread_t tid;
};

int sim_thread_start(sim_thread **t, void *(*fn)(void *), void *arg)
{
	sim_thread *th = malloc(sizeof(*th));

	if (!th)
		return -ENOMEM;
	int err = pthread_create(&th->tid, NULL, fn, arg);
	if (err) {
		free(th);
		return -err;
	}
	*t = th;
	return 0;
}

void *sim_thread_join(sim_thread *t)
{
	void *ret = NULL;

	pthread_join(t->tid, &ret);
	free(t);
	return ret;
}

void sim_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

void sim_yield(void)
{
	sched_yield();
}

const char *sim_getenv(const char *name)
{
	return getenv(name);
}

/* The number of CPUs a cpu list such as "0-3,8,10-11\n" names; 0 if it is not one. */
static int count_cpu_list(const char *s)
{
	int n = 0;

	while (*s >= '0' && *s <= '9') {
		long lo = 0, hi;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((lo = lo * 10 + (*s - '0')) > 1 << 20)
				return 0;
		hi = lo;
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				return 0;
			for (hi = 0; *s >= '0' && *s <= '9'; s++)
				if ((hi = hi * 10 + (*s - '0')) > 1 << 20)
					return 0;
			if (hi < lo)
				return 0;
		}
		n += (int)(hi - lo + 1);
		if (*s == ',')
			s++;
	}
	return *s == '\n' || *s == '\0' ? n : 0;
}

int sim_online_cpus(void)
{
	char buf[1024];
	int fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC), n = 0;

	if (fd >= 0) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len > 0) {
			buf[len] = '\0';
			n = count_cpu_list(buf);
		}
	}
	if (n <= 0) {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			for (int c = 0; c < CPU_SETSIZE; c++)
				n += CPU_ISSET(c, &set) ? 1 : 0;
	}
	return n > 0 ? n : 1;
}

void sim_bug(const char *msg)
{
	fprintf(stderr, "kmm BUG: %s\n", msg);
	fflush(stderr);
	abort();
}

/* ---- Process-wide memory barrier ---- */

static int membarrier_state;	/* 0 unknown, 1 usable, -1 not available */
static pthread_mutex_t membarrier_mutex = PTHREAD_MUTEX_INITIALIZER;

bool sim_membarrier_available(void)
{
	int s = __atomic_load_n(&membarrier_state, __ATOMIC_ACQUIRE);

	if (s)
		return s > 0;
	pthread_mutex_lock(&membarrier_mutex);
	if (!membarrier_state) {
		long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		bool ok = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			  syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
		__atomic_store_n(&membarrier_state, ok ? 1 : -1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&membarrier_mutex);
	return membarrier_state > 0;
}

static unsigned long membarrier_calls;

void sim_membarrier(void)
{
	__atomic_fetch_add(&membarrier_calls, 1, __ATOMIC_RELAXED);
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		abort();	/* registered by sim_membarrier_available(): cannot fail */
}

unsigned long sim_membarrier_count(void)
{
	return __atomic_load_n(&membarrier_calls, __ATOMIC_RELAXED);
}

/* ---- Thread exit ---- */

struct exit_hook {
	void (*fn)(void *);
	void *arg;
	struct exit_hook *next;
};
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static __thread struct exit_hook *exit_hooks;
/*
 * A thread's first hook needs no malloc: in the malloc shim every thread
 * registers one (its CPU slot's), and a malloc there would be glibc's (the
 * shim serves kmm's own calls from glibc), setting up glibc's per-thread
 * cache and arena for one small block, whose free at exit the shim then
 * has to recognise as glibc's.
 */
static __thread struct exit_hook first_hook;
static __thread bool first_hook_used;

/* Runs at thread exit; a hook that registers again is run on the next pass. */
static void run_exit_hooks(void *arg)
{
	(void)arg;
	while (exit_hooks) {
		struct exit_hook *h = exit_hooks, hook = *h;

		exit_hooks = h->next;
		if (h == &first_hook)
			first_hook_used = false;
		else
			free(h);
		hook.fn(hook.arg);
	}
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, run_exit_hooks);
}

int sim_on_thread_exit(void (*fn)(void *), void *arg)
{
	struct exit_hook *h = &first_hook;

	if (first_hook_used)
		h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (h == &first_hook)
		first_hook_used = true;
	pthread_once(&exit_once, make_exit_key);
	h->fn = fn;
	h->arg = arg;
	h->next = exit_hooks;
	exit_hooks = h;
	pthread_setspecific(exit_key, h);	/* non-NULL: the destructor runs */
	return 0;
}
