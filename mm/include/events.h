// SPDX-License-Identifier: MIT
/*
 * mm/include/events.h - emitting onto a machine's event stream (the
 * library's side of include/kmm/trace.h).
 *
 * The rule for a fast path: test the machine's event mask once, with the
 * bits of every class the call could emit or consult, and go out of line
 * when any is set:
 *
 *	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC) | ...))
 *		return alloc_pages_traced(...);
 *
 * The traced variant brackets the operation (kmm_op_begin/kmm_op_end, so
 * that nested allocations are known to be nested), asks the decision point
 * (should_fail_alloc_page), does the work and emits the event. Slow paths
 * simply call the trace_*() helpers below, which test the mask themselves.
 *
 * Linux counterpart: include/linux/tracepoint.h (a static key per
 * tracepoint); here one per-machine mask word plays every key.
 */
#ifndef KMM_MM_EVENTS_H
#define KMM_MM_EVENTS_H

#include <kmm/trace.h>

#include "mm/include/machine.h"

/* The operation brackets and the decision points a traced allocator path consults. */
#define KMM_EVMASK_OPS		KMM_EVBIT(KMM_EV_OP_END)

/* Bits a page allocation consults: the event, the decision point, the bracket. */
#define KMM_EVMASK_PAGE_ALLOC	(KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC) |			\
				 KMM_EVBIT(KMM_EV_SHOULD_FAIL_ALLOC_PAGE) | KMM_EVMASK_OPS)
#define KMM_EVMASK_PAGE_FREE	(KMM_EVBIT(KMM_EV_MM_PAGE_FREE) | KMM_EVMASK_OPS)
#define KMM_EVMASK_KMALLOC	(KMM_EVBIT(KMM_EV_KMALLOC) |				\
				 KMM_EVBIT(KMM_EV_SHOULD_FAILSLAB) | KMM_EVMASK_OPS)
#define KMM_EVMASK_KFREE	(KMM_EVBIT(KMM_EV_KFREE) | KMM_EVMASK_OPS)
#define KMM_EVMASK_CACHE_ALLOC	(KMM_EVBIT(KMM_EV_KMEM_CACHE_ALLOC) |			\
				 KMM_EVBIT(KMM_EV_SHOULD_FAILSLAB) | KMM_EVMASK_OPS)
#define KMM_EVMASK_CACHE_FREE	(KMM_EVBIT(KMM_EV_KMEM_CACHE_FREE) | KMM_EVMASK_OPS)
/*
 * Any of these listened to, the slab's lock-free paths step aside
 * (m->obj_fast_serial, kmm_slab_fast_on()): kmalloc's, kfree's and a
 * cache's allocation and free.
 */
#define KMM_EVMASK_SLAB_FAST	(KMM_EVMASK_KMALLOC | KMM_EVMASK_KFREE |			\
				 KMM_EVMASK_CACHE_ALLOC | KMM_EVMASK_CACHE_FREE)
#define KMM_EVMASK_VMALLOC	(KMM_EVBIT(KMM_EV_ALLOC_VMAP_AREA) |			\
				 KMM_EVBIT(KMM_EV_SHOULD_FAIL_VMALLOC) | KMM_EVMASK_OPS)

/**
 * kmm_trace_on() - does anyone listen to a class in @bits on @m? The one
 * test a fast path pays.
 */
static inline __attribute__((always_inline)) bool kmm_trace_on(const struct kmm_machine *m,
							       uint64_t bits)
{
	return __builtin_expect((__atomic_load_n(&m->event_mask, __ATOMIC_RELAXED) & bits) != 0, 0);
}

/**
 * kmm_slab_fast_on() - may the slab's lock-free paths run on @m for this
 * thread: its cached CPU slot (kmm_cpu_cache) is one of @m's, and nobody
 * listens to a class in KMM_EVMASK_SLAB_FAST. One load and one compare
 * (m->obj_fast_serial) for the two questions.
 */
static inline __attribute__((always_inline)) bool kmm_slab_fast_on(const struct kmm_machine *m)
{
	return kmm_cpu_cache.serial == __atomic_load_n(&m->obj_fast_serial, __ATOMIC_RELAXED);
}

/* ---- mm/events.c ---- */

/** kmm_events_init() - give @m an empty stream and a stopped clock. Return: 0 or -ENOMEM. */
int kmm_events_init(struct kmm_machine *m);
/** kmm_events_shutdown() - free the stream (subscribers are dropped, not called). */
void kmm_events_shutdown(struct kmm_machine *m);

/**
 * kmm_emit() - put @ev (type and fields filled) on @m's stream: stamp it
 * with the clock, the CPU slot and the current pid, charge its cost, keep it
 * in the ring, call the subscribers that asked for its class.
 * Context: no zone, pcp or slab lock held. Return: for a decision point,
 * non-zero when a subscriber said fail; otherwise 0.
 */
int kmm_emit(struct kmm_machine *m, struct kmm_event *ev);

/**
 * kmm_clock_start() - start @m's virtual clock at 0 (boot, where Linux's
 * time_init starts timekeeping). Before this every stamp reads 0.
 */
void kmm_clock_start(struct kmm_machine *m);

/**
 * kmm_clock_advance_to() - let the virtual clock reach @t if it has not: a
 * wait. Two threads waiting for the same moment move the clock once, not
 * once each (the charge is a compare-and-swap on what is still missing).
 */
void kmm_clock_advance_to(struct kmm_machine *m, uint64_t t);
/** kmm_clock_charge_line() - printk: charge one console line (log_lock held). */
void kmm_clock_charge_line(struct kmm_machine *m);

/*
 * Outermost operations. kmm_op_begin()/kmm_op_end() bracket an operation
 * that other operations may run inside (kmalloc inside a fault, alloc_pages
 * inside kmalloc); only when the outermost one ends is KMM_EV_OP_END
 * emitted. The brackets are only kept while someone listens (they live in
 * the traced paths), so a subscriber sees depths from its subscription on.
 */
/* kmm_op_begin(), kmm_op_end(): include/kmm/trace.h */
/** kmm_op_depth() - how many brackets this thread is inside. */
int kmm_op_depth(void);

/**
 * kmm_trace_set_pid() - the process this thread acts for (0: none), stamped
 * on its events. Return: the previous one.
 */
int kmm_trace_set_pid(int pid);

/* ---- The tracepoints (each tests the mask itself) ---- */

static inline void trace_mm_page_alloc(struct kmm_machine *m, unsigned long pfn,
				       unsigned int order, gfp_t gfp, int migratetype)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC))) {
		struct kmm_event ev = { .type = KMM_EV_MM_PAGE_ALLOC };
		ev.page.pfn = pfn;
		ev.page.order = order;
		ev.page.gfp = gfp;
		ev.page.migratetype = migratetype;
		kmm_emit(m, &ev);
	}
}

static inline void trace_mm_page_free(struct kmm_machine *m, unsigned long pfn, unsigned int order)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_MM_PAGE_FREE))) {
		struct kmm_event ev = { .type = KMM_EV_MM_PAGE_FREE };
		ev.page.pfn = pfn;
		ev.page.order = order;
		ev.page.migratetype = -1;
		kmm_emit(m, &ev);
	}
}

static inline void trace_mm_page_alloc_zone_locked(struct kmm_machine *m, unsigned long pfn,
						   unsigned int order, int migratetype,
						   bool percpu_refill)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_MM_PAGE_ALLOC_ZONE_LOCKED))) {
		struct kmm_event ev = { .type = KMM_EV_MM_PAGE_ALLOC_ZONE_LOCKED };
		ev.page.pfn = pfn;
		ev.page.order = order;
		ev.page.migratetype = migratetype;
		ev.page.percpu_refill = percpu_refill;
		kmm_emit(m, &ev);
	}
}

/* kmalloc, kmem_cache_alloc (@type), with the cache's @name for the latter. */
static inline void trace_obj_alloc(struct kmm_machine *m, enum kmm_event_type type,
				   const char *name, uint64_t ptr, size_t bytes_req,
				   size_t bytes_alloc, gfp_t gfp, int node)
{
	if (kmm_trace_on(m, KMM_EVBIT(type))) {
		struct kmm_event ev = { .type = (uint16_t)type, .str = name };
		ev.obj.ptr = ptr;
		ev.obj.bytes_req = bytes_req;
		ev.obj.bytes_alloc = bytes_alloc;
		ev.obj.gfp = gfp;
		ev.obj.node = node;
		kmm_emit(m, &ev);
	}
}

/* kfree, kmem_cache_free (@type). */
static inline void trace_obj_free(struct kmm_machine *m, enum kmm_event_type type,
				  const char *name, uint64_t ptr)
{
	if (kmm_trace_on(m, KMM_EVBIT(type))) {
		struct kmm_event ev = { .type = (uint16_t)type, .str = name };
		ev.obj.ptr = ptr;
		ev.obj.node = -1;
		kmm_emit(m, &ev);
	}
}

static inline void trace_rss_stat(struct kmm_machine *m, int member, int64_t size_bytes)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_RSS_STAT))) {
		struct kmm_event ev = { .type = KMM_EV_RSS_STAT };
		ev.rss.member = member;
		ev.rss.size = size_bytes;
		kmm_emit(m, &ev);
	}
}

/* mm_vmscan_wakeup_kswapd, mm_vmscan_kswapd_wake (@type); kswapd_sleep takes only @nid. */
static inline void trace_mm_vmscan(struct kmm_machine *m, enum kmm_event_type type, int nid,
				   int zid, unsigned int order, gfp_t gfp)
{
	if (kmm_trace_on(m, KMM_EVBIT(type))) {
		struct kmm_event ev = { .type = (uint16_t)type };
		ev.vmscan.nid = nid;
		ev.vmscan.zid = zid;
		ev.vmscan.order = order;
		ev.vmscan.gfp = gfp;
		kmm_emit(m, &ev);
	}
}

static inline void trace_mm_vmscan_wakeup_kswapd(struct kmm_machine *m, int nid, int zid,
						 unsigned int order, gfp_t gfp)
{
	trace_mm_vmscan(m, KMM_EV_MM_VMSCAN_WAKEUP_KSWAPD, nid, zid, order, gfp);
}

static inline void trace_mm_vmscan_kswapd_wake(struct kmm_machine *m, int nid, int zid,
					       unsigned int order)
{
	trace_mm_vmscan(m, KMM_EV_MM_VMSCAN_KSWAPD_WAKE, nid, zid, order, 0);
}

static inline void trace_mm_vmscan_kswapd_sleep(struct kmm_machine *m, int nid)
{
	trace_mm_vmscan(m, KMM_EV_MM_VMSCAN_KSWAPD_SLEEP, nid, 0, 0, 0);
}

static inline void trace_mark_victim(struct kmm_machine *m, int pid)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_MARK_VICTIM))) {
		struct kmm_event ev = { .type = KMM_EV_MARK_VICTIM };
		ev.oom.victim_pid = pid;
		kmm_emit(m, &ev);
	}
}

/*
 * System calls: sys_enter opens a bracket and names the process, sys_exit
 * closes it. Always called in pairs. Each syscall costs virtual time whether
 * or not anyone listens, so sys_exit always goes out of line (a syscall is
 * no fast path).
 */
void trace_sys_enter(struct kmm_machine *m, int pid, enum kmm_sys nr, uint64_t a0, uint64_t a1,
		     uint64_t a2);
void trace_sys_exit(struct kmm_machine *m, enum kmm_sys nr, int64_t ret);

/* vmalloc's areas: charged to the clock whether or not anyone listens. */
void trace_alloc_vmap_area(struct kmm_machine *m, uint64_t addr, uint64_t size, uint64_t align,
			   uint64_t vstart, uint64_t vend, bool failed);
void trace_free_vmap_area_noflush(struct kmm_machine *m, uint64_t addr, uint64_t size);

/*
 * A user fault taken by the simulated CPU: the page_fault_user event.
 * Return: true when someone listens to operation ends; the caller then
 * brackets the whole user access (kmm_op_begin .. kmm_op_end), outside
 * its process-layer sections, so that the check runs with nothing held.
 */
static inline bool trace_page_fault_user(struct kmm_machine *m, uint64_t address,
					 unsigned int error_code)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_PAGE_FAULT_USER))) {
		struct kmm_event ev = { .type = KMM_EV_PAGE_FAULT_USER };
		ev.fault.address = address;
		ev.fault.error_code = error_code;
		kmm_emit(m, &ev);
	}
	return kmm_trace_on(m, KMM_EVMASK_OPS);
}

/* ---- Decision points (mm/fail_inject.c subscribes to them) ---- */

/**
 * should_fail_alloc_page() - does failure injection fail this page allocation?
 * Context: no zone or pcp lock held.
 */
static inline bool should_fail_alloc_page(struct kmm_machine *m, gfp_t gfp, unsigned int order)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_SHOULD_FAIL_ALLOC_PAGE))) {
		struct kmm_event ev = { .type = KMM_EV_SHOULD_FAIL_ALLOC_PAGE };
		ev.fail.order = order;
		ev.fail.gfp = gfp;
		ev.fail.size = 4096ull << order;
		return kmm_emit(m, &ev) != 0;
	}
	return false;
}

/** should_failslab() - does failure injection fail this object allocation? */
static inline bool should_failslab(struct kmm_machine *m, const char *cache, size_t size,
				   gfp_t gfp)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_SHOULD_FAILSLAB))) {
		struct kmm_event ev = { .type = KMM_EV_SHOULD_FAILSLAB, .str = cache };
		ev.fail.gfp = gfp;
		ev.fail.size = size;
		return kmm_emit(m, &ev) != 0;
	}
	return false;
}

/** should_fail_vmalloc() - does failure injection fail this vmalloc area? */
static inline bool should_fail_vmalloc(struct kmm_machine *m, size_t size, gfp_t gfp)
{
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_SHOULD_FAIL_VMALLOC))) {
		struct kmm_event ev = { .type = KMM_EV_SHOULD_FAIL_VMALLOC };
		ev.fail.gfp = gfp;
		ev.fail.size = size;
		return kmm_emit(m, &ev) != 0;
	}
	return false;
}

/*
 * mm/fail_inject.c and mm/debug_checks.c are entries of the subsystem table
 * (fail_inject_subsys before the layers that allocate, debug_checks_subsys
 * last): their boot options and init subscribe them to the stream.
 */

#endif /* KMM_MM_EVENTS_H */
