// SPDX-License-Identifier: MIT
/*
 * include/kmm/trace.h - the event stream of a machine, its virtual clock,
 * failure injection and the debug checker: the public API.
 *
 * Every event worth watching - a page allocated or freed, an object, a
 * fault, a system call, a kswapd wake-up, a line of the kernel log - goes
 * onto one per-machine stream under the name of Linux's tracepoint
 * (mm_page_alloc, kmalloc, page_fault_user, sys_exit, ...). Subscribers ask
 * for the events they want by mask and are called synchronously, on the
 * thread that caused the event. A bounded ring keeps the last events for
 * whoever wants to read them back later (`trace show`).
 *
 * When nobody listens, an allocator fast path pays one test of the
 * machine's event mask.
 *
 * The virtual clock: each event class has a fixed cost in nanoseconds
 * (kmm_event_cost()). The clock is the sum of the costs of everything that
 * happened since it started, plus the time the caller let pass with
 * kmm_clock_advance() (`sleep` in a scenario). It does not depend on who
 * listens, so two runs of the same scenario print the same dmesg stamps.
 *
 * Linux counterpart: include/trace/events/kmem.h, vmscan.h, exceptions.h,
 * raw_syscalls.h, printk.h (the names and fields); lib/fault-inject.c (the
 * fault_attr knobs).
 */
#ifndef KMM_TRACE_H
#define KMM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kmm/kmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Event classes. Names are Linux's tracepoints (subsystem in the comment);
 * the last ones are decision points and brackets, not tracepoints.
 */
enum kmm_event_type {
	KMM_EV_MM_PAGE_ALLOC,		/* kmem:mm_page_alloc */
	KMM_EV_MM_PAGE_FREE,		/* kmem:mm_page_free */
	KMM_EV_MM_PAGE_ALLOC_ZONE_LOCKED, /* kmem:mm_page_alloc_zone_locked */
	KMM_EV_KMALLOC,			/* kmem:kmalloc */
	KMM_EV_KFREE,			/* kmem:kfree */
	KMM_EV_KMEM_CACHE_ALLOC,	/* kmem:kmem_cache_alloc */
	KMM_EV_KMEM_CACHE_FREE,		/* kmem:kmem_cache_free */
	KMM_EV_PAGE_FAULT_USER,		/* exceptions:page_fault_user */
	KMM_EV_RSS_STAT,		/* kmem:rss_stat */
	KMM_EV_MM_VMSCAN_WAKEUP_KSWAPD,	/* vmscan:mm_vmscan_wakeup_kswapd */
	KMM_EV_MM_VMSCAN_KSWAPD_WAKE,	/* vmscan:mm_vmscan_kswapd_wake */
	KMM_EV_MM_VMSCAN_KSWAPD_SLEEP,	/* vmscan:mm_vmscan_kswapd_sleep */
	KMM_EV_ALLOC_VMAP_AREA,		/* vmalloc:alloc_vmap_area */
	KMM_EV_FREE_VMAP_AREA_NOFLUSH,	/* vmalloc:free_vmap_area_noflush */
	KMM_EV_SYS_ENTER,		/* raw_syscalls:sys_enter */
	KMM_EV_SYS_EXIT,		/* raw_syscalls:sys_exit */
	KMM_EV_MARK_VICTIM,		/* oom:mark_victim */
	KMM_EV_CONSOLE,			/* printk:console */
	/* Decision points: a subscriber returning non-zero makes the allocation fail. */
	KMM_EV_SHOULD_FAIL_ALLOC_PAGE,	/* should_fail_alloc_page() */
	KMM_EV_SHOULD_FAILSLAB,		/* should_failslab() */
	KMM_EV_SHOULD_FAIL_VMALLOC,	/* kmm: vmalloc's area allocation */
	/* The end of an outermost operation (the debug checker's cue); not recorded. */
	KMM_EV_OP_END,
	KMM_EV_NR
};

#define KMM_EVBIT(type)		(1ull << (type))
/* Every tracepoint (the classes a recorder wants). */
#define KMM_EVMASK_TRACEPOINTS	(KMM_EVBIT(KMM_EV_SHOULD_FAIL_ALLOC_PAGE) - 1)

/* System calls named by sys_enter/sys_exit (Linux's x86_64 numbers). */
enum kmm_sys {
	KMM_SYS_READ = 0,
	KMM_SYS_WRITE = 1,
	KMM_SYS_OPEN = 2,
	KMM_SYS_CLOSE = 3,
	KMM_SYS_LSEEK = 8,
	KMM_SYS_MMAP = 9,
	KMM_SYS_MPROTECT = 10,
	KMM_SYS_MUNMAP = 11,
	KMM_SYS_BRK = 12,
	KMM_SYS_PREAD64 = 17,
	KMM_SYS_PWRITE64 = 18,
	KMM_SYS_MREMAP = 25,
	KMM_SYS_MSYNC = 26,
	KMM_SYS_MINCORE = 27,
	KMM_SYS_MADVISE = 28,
	KMM_SYS_FORK = 57,
	KMM_SYS_EXECVE = 59,
	KMM_SYS_EXIT = 60,
	KMM_SYS_WAIT4 = 61,		/* kmm_task_release: the parent reaps */
	KMM_SYS_KILL = 62,
	KMM_SYS_FSYNC = 74,
	KMM_SYS_FTRUNCATE = 77,
	KMM_SYS_UNLINK = 87,
	KMM_SYS_MLOCK = 149,
	KMM_SYS_MUNLOCK = 150,
	KMM_SYS_MLOCKALL = 151,
	KMM_SYS_MUNLOCKALL = 152,
	KMM_SYS_SYNC = 162,
	KMM_SYS_FADVISE64 = 221,
	KMM_SYS_PRLIMIT64 = 302,
	KMM_SYS_MLOCK2 = 325,
	KMM_SYS_SPAWN = 1000,		/* kmm: a new process from nothing (fork+exec) */
};

/*
 * One event. Which union member is filled depends on the type; addresses
 * are the machine's (pfn, kernel or user virtual), never host pointers.
 * `str` (a cache name, a syscall name, a log line) is valid only while the
 * subscriber runs; the ring keeps a copy of its first bytes.
 */
struct kmm_event {
	uint64_t time_ns;		/* the virtual clock when it happened */
	uint16_t type;			/* enum kmm_event_type */
	int16_t cpu;			/* the CPU slot */
	int32_t pid;			/* the process it acted for; 0: the kernel */
	const char *str;
	union {
		struct {		/* mm_page_alloc, mm_page_free, ..._zone_locked */
			uint64_t pfn;
			unsigned int order;
			gfp_t gfp;		/* 0 for frees */
			int migratetype;	/* -1 when unknown */
			int percpu_refill;	/* zone_locked: taken to refill a pcp list */
		} page;
		struct {		/* kmalloc, kfree, kmem_cache_alloc, kmem_cache_free */
			uint64_t ptr;		/* kernel virtual address; 0: failed */
			uint64_t bytes_req, bytes_alloc;
			gfp_t gfp;
			int node;		/* -1: any */
		} obj;			/* str: the cache's name (kmem_cache_*) */
		struct {		/* page_fault_user */
			uint64_t address;
			unsigned int error_code;	/* x86: bit 0 present, 1 write, 2 user, 4 fetch */
		} fault;
		struct {		/* rss_stat */
			int member;		/* MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES */
			int64_t size;		/* bytes after the change */
		} rss;
		struct {		/* mm_vmscan_* */
			int nid, zid;
			unsigned int order;
			gfp_t gfp;
		} vmscan;
		struct {		/* alloc_vmap_area, free_vmap_area_noflush */
			uint64_t addr, size, align, vstart, vend;
			int failed;
		} vmap;
		struct {		/* sys_enter, sys_exit: str is the call's name */
			int nr;			/* enum kmm_sys */
			int64_t ret;		/* sys_exit */
			uint64_t args[3];	/* sys_enter */
		} sys;
		struct {		/* mark_victim */
			int victim_pid;
		} oom;
		struct {		/* should_fail_alloc_page, should_failslab, ..._vmalloc */
			unsigned int order;	/* pages: order; slab and vmalloc: 0 */
			gfp_t gfp;
			uint64_t size;		/* bytes asked (slab, vmalloc) */
		} fail;
	};
};

/**
 * kmm_event_fn - a subscriber's callback.
 * Context: the thread that caused the event, with no zone, pcp or slab lock
 * held (the process lock may be held). It must not allocate from @m.
 * Return: for decision points (KMM_EV_SHOULD_FAIL_*), non-zero fails the
 * allocation; otherwise ignored.
 */
typedef int (*kmm_event_fn)(struct kmm_machine *m, const struct kmm_event *ev, void *arg);

struct kmm_trace_sub {
	const char *name;		/* for error messages and `trace` */
	uint64_t mask;			/* KMM_EVBIT()s of the classes wanted */
	kmm_event_fn fn;
	void *arg;
};

#define KMM_TRACE_MAX_SUBS 12	/* per machine, the KMM_TRACE_MAX_GLOBAL included */
#define KMM_TRACE_MAX_GLOBAL 4

/**
 * kmm_trace_subscribe() - add a subscriber to @m's stream.
 * Context: no other thread emitting on @m is required for adding; see
 * kmm_trace_unsubscribe() for removing.
 * Return: an id (>= 0) for kmm_trace_unsubscribe(), -EINVAL (no callback or
 * empty mask), -ENOSPC (KMM_TRACE_MAX_SUBS already).
 */
int kmm_trace_subscribe(struct kmm_machine *m, const struct kmm_trace_sub *sub);

/**
 * kmm_trace_unsubscribe() - remove subscriber @id; its callback is not called
 * again once this returns.
 * Context: no other thread may be emitting on @m (a callback already running
 * elsewhere would still use its arg).
 */
void kmm_trace_unsubscribe(struct kmm_machine *m, int id);

/**
 * kmm_trace_subscribe_all() - subscribe @sub to every machine booted from now
 * on, from its first event (the boot's own). Machines already running are
 * not affected. The callback tells machines apart by kmm_machine_serial().
 * Return: an id for kmm_trace_unsubscribe_all(), -EINVAL, -ENOSPC.
 */
int kmm_trace_subscribe_all(const struct kmm_trace_sub *sub);

/**
 * kmm_trace_unsubscribe_all() - machines booted from now on no longer get
 * subscriber @id; those that have it keep it until they shut down.
 */
void kmm_trace_unsubscribe_all(int id);

/** kmm_machine_serial() - a number unique to @m for the life of the process. */
unsigned long kmm_machine_serial(const struct kmm_machine *m);

/** kmm_machine_cmdline() - the command line @m was booted from. */
const char *kmm_machine_cmdline(const struct kmm_machine *m);

/** kmm_event_name() - Linux's name of an event class ("mm_page_alloc"), or NULL. */
const char *kmm_event_name(int type);

/** kmm_event_lookup() - the class named @name, or -ENOENT. */
int kmm_event_lookup(const char *name);

/**
 * kmm_event_cost() - the virtual nanoseconds one event of class @type costs
 * (for page classes: per page). docs/trace-format.md lists them.
 */
uint64_t kmm_event_cost(int type);

/**
 * kmm_trace_format() - one event as a line of the trace format
 * (docs/trace-format.md), without the newline, into @buf.
 * Return: the length it needed (as snprintf).
 */
int kmm_trace_format(const struct kmm_event *ev, char *buf, size_t len);

/* ---- Operations ---- */

/**
 * kmm_op_begin() / kmm_op_end() - bracket what the caller considers one
 * operation on @m: subscribers to KMM_EV_OP_END (the debug checker) hear of
 * the end of the outermost bracket only. The allocators and system calls
 * bracket themselves; a caller that takes a lock of its own around kmm
 * calls, or does several calls as one step (the scenario runner: one
 * statement), brackets them. kmm_op_end(NULL) only closes the bracket.
 * Context: per thread; pairs must nest.
 */
void kmm_op_begin(struct kmm_machine *m);
void kmm_op_end(struct kmm_machine *m);

/* ---- The ring ---- */

/**
 * kmm_trace_ring_start() - keep the last @nr events of the classes in @mask
 * (nr rounded up to a power of two, at most 1 << 20). Restarting empties it.
 * Return: 0, -EINVAL, -ENOMEM.
 */
int kmm_trace_ring_start(struct kmm_machine *m, uint64_t mask, size_t nr);

/** kmm_trace_ring_stop() - stop recording into the ring and free it. */
void kmm_trace_ring_stop(struct kmm_machine *m);

/**
 * kmm_trace_ring_read() - call @fn on every event in the ring, oldest first.
 * Return: the number of events lost to overwriting since the start.
 */
uint64_t kmm_trace_ring_read(struct kmm_machine *m,
			     void (*fn)(const struct kmm_event *ev, void *arg), void *arg);

/* ---- The virtual clock ---- */

/** kmm_clock_ns() - @m's virtual clock: 0 until boot starts it, then monotonic. */
uint64_t kmm_clock_ns(struct kmm_machine *m);

/** kmm_clock_advance() - let @ns of virtual time pass (`sleep`). */
void kmm_clock_advance(struct kmm_machine *m, uint64_t ns);

/* ---- Failure injection (Linux's fault_attr) ---- */

enum kmm_fail_target {
	KMM_FAIL_PAGE_ALLOC,	/* fail_page_alloc: should_fail_alloc_page() */
	KMM_FAIL_SLAB,		/* failslab: should_failslab() */
	KMM_FAIL_VMALLOC,	/* fail_vmalloc (kmm): the area allocation of vmalloc/vmap */
	KMM_FAIL_NR
};

/*
 * What to fail, as Linux's fault_attr: a call is a candidate when it passes
 * the filters; every interval-th candidate is failed with probability
 * percent, after space bytes have passed, at most times times (-1: no
 * limit). "Fail the Nth allocation": interval=N, probability=100, times=1.
 * "Fail with probability p": interval=1, probability=p, times=-1, seed.
 */
struct kmm_fault_attr {
	unsigned long interval;		/* >= 1 */
	unsigned int probability;	/* percent, 0..100 */
	long space;			/* bytes to let through first */
	long times;			/* failures left; -1: unlimited */
	uint64_t seed;			/* of the probability draws */
	unsigned int min_order;		/* fail_page_alloc: only orders >= this */
	bool ignore_gfp_reclaim;	/* leave allocations that may reclaim alone */
	bool ignore_gfp_highmem;	/* fail_page_alloc: leave __GFP_HIGHMEM alone */
	bool verbose;			/* log each failure to dmesg */
};

/**
 * kmm_fail_inject() - start failing allocations of @target on @m as @attr
 * says (NULL: stop). The counting starts afresh.
 * Return: 0, -EINVAL (bad target or attr), -ENOSPC (no subscriber slot).
 */
int kmm_fail_inject(struct kmm_machine *m, enum kmm_fail_target target,
		    const struct kmm_fault_attr *attr);

/**
 * kmm_fail_parse() - parse Linux's boot-option form
 * "<interval>,<probability>,<space>,<times>[,<seed>]" into @attr (the
 * filters off). Return: 0 or -EINVAL with kmm_last_error() set.
 */
int kmm_fail_parse(const char *text, struct kmm_fault_attr *attr);

/** kmm_fail_count() - failures injected into @target since kmm_fail_inject(). */
unsigned long kmm_fail_count(struct kmm_machine *m, enum kmm_fail_target target);

/* ---- The debug checker ---- */

/**
 * kmm_debug_checks() - run kmm_check() after every outermost operation on
 * @m (on: true) or stop (false). A violation is logged to dmesg, counted,
 * and the first one kept for kmm_debug_checks_failed().
 * Return: 0, -ENOSPC.
 */
int kmm_debug_checks(struct kmm_machine *m, bool on);

/** kmm_debug_checks_on() - is the debug checker subscribed on @m? */
bool kmm_debug_checks_on(struct kmm_machine *m);

/**
 * kmm_debug_checks_failed() - violations found by the debug checker on @m
 * (0: none, or it is off); the first one's text into @buf when non-NULL.
 */
unsigned long kmm_debug_checks_failed(struct kmm_machine *m, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* KMM_TRACE_H */
