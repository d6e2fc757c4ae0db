// SPDX-License-Identifier: MIT
/*
 * arch/sim/sim.h - the simulated hardware: RAM backing, locks, threads, clock.
 *
 * This folder is the only code in kmm that calls mmap, memfd, threads or the
 * host clock. Everything above it sees RAM as a host address range and locks
 * as spinlock_t.
 *
 * RAM: one memory file (memfd) as large as the machine's highest physical
 * address, sparse, so a page of it costs host memory only once touched. The
 * lowmem direct map is one MAP_SHARED mapping of the file's start; vmalloc and
 * kmap later map single frames of the same file elsewhere (sim_map_frames), so
 * the same bytes appear at both addresses.
 */
#ifndef KMM_ARCH_SIM_H
#define KMM_ARCH_SIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Locks ---- */

/*
 * A test-and-test-and-set lock that yields the CPU after spinning a while.
 * Debug builds (KMM_DEBUG_VM: -DKMM_DEBUG_CHECKS=ON or the Debug build
 * type) also record the holder, so that lockdep_assert_held()
 * (mm/include/mmdebug.h) checks that this thread holds the lock, and an
 * unlock by a thread that does not hold it stops the run.
 */
typedef struct {
	atomic_int locked;
#ifdef KMM_DEBUG_VM
	atomic_uintptr_t owner;		/* the holder's sim_lock_self(); 0 when free */
#endif
} spinlock_t;

#define SPINLOCK_INIT { 0 }

#ifdef KMM_DEBUG_VM
/* One byte per thread whose address names the thread while it lives. */
extern _Thread_local char sim_lock_token;
static inline uintptr_t sim_lock_self(void)
{
	return (uintptr_t)&sim_lock_token;
}
void sim_lock_bad_unlock(spinlock_t *l) __attribute__((noreturn, cold));
#define SIM_LOCK_OWNER_SET(l)                                                            \
	atomic_store_explicit(&(l)->owner, sim_lock_self(), memory_order_relaxed)
#define SIM_LOCK_OWNER_CLEAR(l)                                                          \
	do {                                                                             \
		if (atomic_load_explicit(&(l)->owner, memory_order_relaxed) != sim_lock_self()) \
			sim_lock_bad_unlock(l);                                          \
		atomic_store_explicit(&(l)->owner, 0, memory_order_relaxed);             \
	} while (0)
#else
#define SIM_LOCK_OWNER_SET(l) ((void)0)
#define SIM_LOCK_OWNER_CLEAR(l) ((void)0)
#endif

/*
 * Debug builds (-DKMM_DEBUG_CHECKS=ON) count the spinlocks each thread holds,
 * so that the debug checker (mm/debug_checks.c) can tell an operation that
 * ended with a lock still held - one that would deadlock kmm_check - from
 * one that ended cleanly. Release builds count nothing.
 */
#ifdef KMM_DEBUG_CHECKS
extern _Thread_local int sim_locks_held;
#define SIM_LOCK_HELD(delta) ((void)(sim_locks_held += (delta)))
#else
#define SIM_LOCK_HELD(delta) ((void)0)
#endif

void spin_lock_slow(spinlock_t *l);
static inline void spin_lock_init(spinlock_t *l)
{
	atomic_store_explicit(&l->locked, 0, memory_order_relaxed);
#ifdef KMM_DEBUG_VM
	atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
}
static inline void spin_lock(spinlock_t *l)
{
	SIM_LOCK_HELD(1);
	if (__builtin_expect(atomic_exchange_explicit(&l->locked, 1, memory_order_acquire), 0))
		spin_lock_slow(l);
	SIM_LOCK_OWNER_SET(l);
}
static inline bool spin_trylock(spinlock_t *l)
{
	bool got = !atomic_load_explicit(&l->locked, memory_order_relaxed) &&
		   !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);

	if (got) {
		SIM_LOCK_HELD(1);
		SIM_LOCK_OWNER_SET(l);
	}
	return got;
}
static inline void spin_unlock(spinlock_t *l)
{
	SIM_LOCK_OWNER_CLEAR(l);
	SIM_LOCK_HELD(-1);
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}
static inline bool spin_is_locked(spinlock_t *l)
{
	return atomic_load_explicit(&l->locked, memory_order_relaxed);
}
/*
 * spin_is_held_by_current() - does this thread hold @l? Exact in debug
 * builds; release builds know no holder and answer spin_is_locked().
 */
static inline bool spin_is_held_by_current(spinlock_t *l)
{
#ifdef KMM_DEBUG_VM
	return spin_is_locked(l) &&
	       atomic_load_explicit(&l->owner, memory_order_relaxed) == sim_lock_self();
#else
	return spin_is_locked(l);
#endif
}

/* A reader/writer lock (mmap_lock, anon_vma, i_mmap, shrinkers); wraps pthread_rwlock. */
struct sim_rwlock {
	_Alignas(8) unsigned char opaque[64];
};
void sim_rwlock_init(struct sim_rwlock *l);
/* A waiting writer holds new readers back (mmap_lock); a reader must not nest. */
void sim_rwlock_init_writer_first(struct sim_rwlock *l);
void sim_rwlock_destroy(struct sim_rwlock *l);
void sim_read_lock(struct sim_rwlock *l);
/* Return: true if the read lock was taken (the OOM reaper's mmap_read_trylock). */
bool sim_read_trylock(struct sim_rwlock *l);
void sim_read_unlock(struct sim_rwlock *l);
void sim_write_lock(struct sim_rwlock *l);
void sim_write_unlock(struct sim_rwlock *l);

/* ---- RAM ---- */

struct sim_ram {
	int fd;			/* the memory file, -1 for anonymous RAM */
	uint64_t size;		/* bytes of physical address space backed */
	void *direct;		/* host address of physical 0 in the direct map */
	uint64_t direct_len;	/* bytes of the direct map */
	bool huge;		/* the direct map on transparent huge pages (anonymous RAM only) */
};

/**
 * sim_ram_create() - back @size bytes of physical memory, direct-map the first
 * @direct_len bytes.
 * @anonymous: use plain anonymous memory (no remapping possible later).
 * @huge: with @anonymous, ask the host for transparent huge pages over the
 * direct map (MADV_HUGEPAGE, sim_reserve_huge()), as Linux's direct map sits
 * on 2 MiB and 1 GiB pages: fewer TLB misses for kernel data spread over
 * RAM, at the price of RSS counted in 2 MiB steps. A library boot's property
 * (ram=huge); the malloc shim keeps 4 KiB pages (its RSS is measured).
 * Return: 0 or -ENOMEM / -errno from the host.
 */
int sim_ram_create(struct sim_ram *r, uint64_t size, uint64_t direct_len, bool anonymous,
		   bool huge);
void sim_ram_destroy(struct sim_ram *r);

/**
 * sim_map_frames() - map the physical frames @pfns[0..n) contiguously at the
 * host address @at (which must lie in a range from sim_reserve), shared with
 * the memory file. @populate: the host fills its page table for them now
 * (MAP_POPULATE, or MADV_POPULATE_READ over several runs of frames: one call
 * instead of a fault per page at first touch; a frame the memory file never
 * held is allocated then). Return: 0 or -errno.
 */
int sim_map_frames(struct sim_ram *r, void *at, const unsigned long *pfns, size_t n, bool populate);
/** sim_unmap_frames() - turn [at, at+n pages) back into an inaccessible reservation. */
int sim_unmap_frames(void *at, size_t n);

/**
 * sim_reserve() - reserve @bytes of host address space, readable and writable,
 * committed only when touched (MAP_NORESERVE). @access false: PROT_NONE.
 * Return: the address or NULL.
 */
void *sim_reserve(size_t bytes, bool access);
/**
 * sim_reserve_sparse() - sim_reserve(@bytes, true) for memory that kmm
 * touches page by page and measures by what is resident (RAM, the memmap,
 * the slab shadow): the host is asked not to back it with transparent huge
 * pages (MADV_NOHUGEPAGE), so that one write makes one page resident whatever
 * the host's THP setting. Return: the address or NULL.
 */
void *sim_reserve_sparse(size_t bytes);
/**
 * sim_reserve_huge() - sim_reserve(@bytes, true) that the host may back with
 * transparent huge pages (MADV_HUGEPAGE; advice only, a host without THP or
 * with THP "never" gives 4 KiB pages). Return: the address or NULL.
 */
void *sim_reserve_huge(size_t bytes);
void sim_release(void *addr, size_t bytes);
/** sim_protect() - make [addr, addr+bytes) accessible or not (mprotect). Return: 0 or -errno. */
int sim_protect(void *addr, size_t bytes, bool access);
/**
 * sim_resize() - grow or shrink the host mapping [addr, addr+old) to @bytes,
 * keeping its pages and protection; it may move (mremap, MREMAP_MAYMOVE).
 * Return: the new address, or NULL (the old mapping is then unchanged).
 */
void *sim_resize(void *addr, size_t old, size_t bytes);
/**
 * sim_move() - move the pages of the host mapping [@from, @from + @bytes)
 * to @to (page-aligned, @bytes there replaced), leaving @from mapped and
 * empty (reads as zero): mremap with MREMAP_FIXED | MREMAP_DONTUNMAP. No
 * page is copied or faulted. Return: 0, or -errno (nothing moved: a host
 * without MREMAP_DONTUNMAP, or a range that is not one private mapping).
 */
int sim_move(void *from, void *to, size_t bytes);
/**
 * sim_move_all() - move the pages of [@from, @from + @bytes), one private
 * host mapping or several side by side, to @to (page-aligned, @bytes there
 * replaced), leaving nothing mapped at @from: mremap with MREMAP_FIXED and
 * no resize. No page is copied or faulted. A host before Linux 6.17 moves
 * one mapping a call: with several it refuses (-EFAULT), having unmapped
 * @to's range first. Return: 0, or -errno (a host failing part-way, out of
 * memory or of mappings, leaves the mappings it moved moved).
 */
int sim_move_all(void *from, void *to, size_t bytes);
/** sim_mapped() - whether the host page holding @addr is mapped at all (mincore). */
bool sim_mapped(const void *addr);
/**
 * sim_discard() - give the host pages of [addr, addr+bytes) back (they read
 * as zero). Return: 0, or -errno when the host refused (an mlock()ed range:
 * MADV_DONTNEED fails with EINVAL and the bytes stay).
 */
int sim_discard(void *addr, size_t bytes);
/**
 * sim_resident() - how many bytes of the page-aligned range [addr, addr+bytes)
 * the host holds in memory (mincore). Return: that count; 0 where the host
 * cannot say (a range not mapped).
 */
size_t sim_resident(const void *addr, size_t bytes);

/** sim_host_rss_kb() - the host process's current resident set, in KiB. */
unsigned long sim_host_rss_kb(void);
/** sim_host_peak_rss_kb() - the host process's peak resident set, in KiB. */
unsigned long sim_host_peak_rss_kb(void);

/* ---- Clock ---- */

/** sim_now_ns() - monotonic host time in nanoseconds (benchmarks only). */
uint64_t sim_now_ns(void);

/* ---- Threads ---- */

typedef struct sim_thread sim_thread;
/** sim_thread_start() - run fn(arg) on a new host thread. Return: 0 or -errno. */
int sim_thread_start(sim_thread **t, void *(*fn)(void *), void *arg);
void *sim_thread_join(sim_thread *t);
void sim_cpu_relax(void);
void sim_yield(void);
/**
 * sim_on_thread_exit() - run @fn(@arg) when the calling thread exits (after
 * its other thread-local destructors may have run: @fn must cope with being
 * followed by more calls into kmm, which register again). Return: 0/-ENOMEM.
 */
int sim_on_thread_exit(void (*fn)(void *), void *arg);

/*
 * A process-wide memory barrier (membarrier(2), PRIVATE_EXPEDITED): every
 * thread of the process passes a full barrier before it returns.
 * sim_membarrier_available() registers the process on first use; false
 * when the host cannot (then sim_membarrier() must not be called).
 */
bool sim_membarrier_available(void);
void sim_membarrier(void);
/* How many sim_membarrier() calls this process has made (tests count them). */
unsigned long sim_membarrier_count(void);

/* ---- The host's environment and a fatal stop ---- */

/** sim_getenv() - the host environment variable @name, or NULL. */
const char *sim_getenv(const char *name);
/**
 * sim_online_cpus() - the host's online CPUs, as sysconf(_SC_NPROCESSORS_ONLN)
 * counts them (/sys/devices/system/cpu/online, else this thread's affinity
 * mask), read without the C library's sysconf, whose number parsing and
 * tables would cost every process under the malloc shim ~190 KB of resident
 * C library pages at boot.
 * Context: any; no allocation.
 * Return: >= 1.
 */
int sim_online_cpus(void);
/**
 * sim_bug() - a kmm invariant is broken and the run asked to stop on it
 * (Linux's BUG()): print "kmm BUG: @msg" on the host's stderr and abort.
 */
void sim_bug(const char *msg) __attribute__((noreturn));

#endif /* KMM_ARCH_SIM_H */
