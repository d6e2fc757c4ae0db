// SPDX-License-Identifier: MIT
/*
 * mm/events.c - a machine's event stream: the event classes and their
 * costs, the subscribers, the ring, the operation brackets and the virtual
 * clock.
 *
 * Linux counterpart: kernel/tracepoint.c and the ftrace ring buffer
 * (kernel/trace/ring_buffer.c), much reduced: one mask word per machine
 * stands for every tracepoint's static key; subscribers are called
 * synchronously; the ring is one array of fixed-size entries under a
 * spinlock. The timekeeping of kernel/time/ is replaced by a clock that
 * counts work instead of measuring it.
 *
 * The clock. Every class has a fixed cost (event_costs[] below, and
 * docs/trace-format.md). Classes on allocator fast paths are not charged
 * when emitted - they may not be emitted at all when nobody listens - but
 * from the per-CPU vm event counters the allocator keeps anyway (PGALLOC_*,
 * PGFREE, PGFAULT: pages allocated, pages freed, faults). The other classes
 * (system calls, vmap areas, console lines) are charged into `charged_ns`
 * whenever they happen, listened to or not. So:
 *
 *	clock = charged_ns + sum(count[c] * cost[c]) - base	(after the start)
 *
 * where base is the counted part when boot started the clock. Nothing in
 * it depends on subscribers, threads or the host: the same scenario gives
 * the same stamps. kmm_clock_ns() never goes backwards (last_ns).
 *
 * Invariant: m->event_mask == the OR of every subscriber's mask and the
 * ring's, recomputed under es->lock whenever either changes.
 *
 * Locking: es->lock (a leaf, like log_lock) for the subscriber table's
 * writes and the ring; emission reads the table without it (each slot's
 * mask is published last, with release order). A subscriber is removed only
 * while no other thread emits (kmm_trace_unsubscribe's contract).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/events.h"
#include "mm/internal.h"

struct ring_entry {
	struct kmm_event ev;
	char str[48];		/* the first bytes of ev.str */
};

struct kmm_events {
	spinlock_t lock;
	struct kmm_trace_sub subs[KMM_TRACE_MAX_SUBS];	/* mask 0: a free slot */
	/* The ring, under lock. */
	struct ring_entry *ring;
	size_t ring_nr;			/* a power of two */
	uint64_t ring_mask;		/* classes it keeps; atomic (emission peeks without lock) */
	uint64_t ring_head;		/* events ever put in */
	/* The clock. */
	_Atomic uint64_t charged_ns;	/* explicit charges (atomic) */
	_Atomic uint64_t last_ns;	/* highest value handed out (atomic) */
	bool started;			/* written once at boot, before other threads */
	uint64_t base_ns;		/* counted part at the start */
};

/* ---- The classes ---- */

static const char *const event_names[KMM_EV_NR] = {
	[KMM_EV_MM_PAGE_ALLOC] = "mm_page_alloc",
	[KMM_EV_MM_PAGE_FREE] = "mm_page_free",
	[KMM_EV_MM_PAGE_ALLOC_ZONE_LOCKED] = "mm_page_alloc_zone_locked",
	[KMM_EV_KMALLOC] = "kmalloc",
	[KMM_EV_KFREE] = "kfree",
	[KMM_EV_KMEM_CACHE_ALLOC] = "kmem_cache_alloc",
	[KMM_EV_KMEM_CACHE_FREE] = "kmem_cache_free",
	[KMM_EV_PAGE_FAULT_USER] = "page_fault_user",
	[KMM_EV_RSS_STAT] = "rss_stat",
	[KMM_EV_MM_VMSCAN_WAKEUP_KSWAPD] = "mm_vmscan_wakeup_kswapd",
	[KMM_EV_MM_VMSCAN_KSWAPD_WAKE] = "mm_vmscan_kswapd_wake",
	[KMM_EV_MM_VMSCAN_KSWAPD_SLEEP] = "mm_vmscan_kswapd_sleep",
	[KMM_EV_ALLOC_VMAP_AREA] = "alloc_vmap_area",
	[KMM_EV_FREE_VMAP_AREA_NOFLUSH] = "free_vmap_area_noflush",
	[KMM_EV_SYS_ENTER] = "sys_enter",
	[KMM_EV_SYS_EXIT] = "sys_exit",
	[KMM_EV_MARK_VICTIM] = "mark_victim",
	[KMM_EV_CONSOLE] = "console",
	[KMM_EV_SHOULD_FAIL_ALLOC_PAGE] = "should_fail_alloc_page",
	[KMM_EV_SHOULD_FAILSLAB] = "should_failslab",
	[KMM_EV_SHOULD_FAIL_VMALLOC] = "should_fail_vmalloc",
	[KMM_EV_OP_END] = "op_end",
};

/*
 * Virtual nanoseconds per event (page classes: per page). Rough orders of
 * a small x86 machine: a page from the per-CPU lists in a few hundred ns, a
 * user fault in a microsecond, a line on a serial console in tens of
 * microseconds. Slab classes cost nothing of their own: their pages are
 * charged as pages.
 */
#define COST_PAGE_ALLOC		250
#define COST_PAGE_FREE		100
#define COST_FAULT		1000
#define COST_VMAP_ALLOC		1500
#define COST_VMAP_FREE		500
#define COST_SYSCALL		300
#define COST_CONSOLE_LINE	50000

static const uint64_t event_costs[KMM_EV_NR] = {
	[KMM_EV_MM_PAGE_ALLOC] = COST_PAGE_ALLOC,
	[KMM_EV_MM_PAGE_FREE] = COST_PAGE_FREE,
	[KMM_EV_PAGE_FAULT_USER] = COST_FAULT,
	[KMM_EV_ALLOC_VMAP_AREA] = COST_VMAP_ALLOC,
	[KMM_EV_FREE_VMAP_AREA_NOFLUSH] = COST_VMAP_FREE,
	[KMM_EV_SYS_EXIT] = COST_SYSCALL,
	[KMM_EV_CONSOLE] = COST_CONSOLE_LINE,
};

const char *kmm_event_name(int type)
{
	return type >= 0 && type < KMM_EV_NR ? event_names[type] : NULL;
}

int kmm_event_lookup(const char *name)
{
	for (int i = 0; i < KMM_EV_NR; i++)
		if (!strcmp(event_names[i], name))
			return i;
	return -ENOENT;
}

uint64_t kmm_event_cost(int type)
{
	return type >= 0 && type < KMM_EV_NR ? event_costs[type] : 0;
}

/* ---- Set-up ---- */

/* Subscribers every new machine starts with (kmm_trace_subscribe_all), under global_lock. */
static struct kmm_trace_sub global_subs[KMM_TRACE_MAX_GLOBAL];
static spinlock_t global_lock = SPINLOCK_INIT;

static void update_mask_locked(struct kmm_machine *m, struct kmm_events *es);

int kmm_events_init(struct kmm_machine *m)
{
	struct kmm_events *es = calloc(1, sizeof(*es));

	if (!es)
		return -ENOMEM;
	spin_lock_init(&es->lock);
	spin_lock(&global_lock);
	for (int i = 0; i < KMM_TRACE_MAX_GLOBAL; i++)
		es->subs[i] = global_subs[i];
	spin_unlock(&global_lock);
	m->events = es;
	update_mask_locked(m, es);
	return 0;
}

int kmm_trace_subscribe_all(const struct kmm_trace_sub *sub)
{
	int id = -ENOSPC;

	if (!sub || !sub->fn || !sub->mask || (sub->mask >> KMM_EV_NR))
		return kmm_set_error(-EINVAL, "trace: a subscriber needs a callback and a mask "
				     "of known events");
	spin_lock(&global_lock);
	for (int i = 0; i < KMM_TRACE_MAX_GLOBAL && id < 0; i++) {
		if (!global_subs[i].mask) {
			global_subs[i] = *sub;
			id = i;
		}
	}
	spin_unlock(&global_lock);
	if (id < 0)
		kmm_set_error(-ENOSPC, "trace: %d subscribers for every machine already",
			      KMM_TRACE_MAX_GLOBAL);
	return id;
}

void kmm_trace_unsubscribe_all(int id)
{
	if (id < 0 || id >= KMM_TRACE_MAX_GLOBAL)
		return;
	spin_lock(&global_lock);
	memset(&global_subs[id], 0, sizeof(global_subs[id]));
	spin_unlock(&global_lock);
}

unsigned long kmm_machine_serial(const struct kmm_machine *m)
{
	return m ? m->serial : 0;
}

const char *kmm_machine_cmdline(const struct kmm_machine *m)
{
	return m ? m->cmdline : "";
}

void kmm_events_shutdown(struct kmm_machine *m)
{
	struct kmm_events *es = m->events;

	if (!es)
		return;
	__atomic_store_n(&m->event_mask, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&m->obj_fast_serial, KMM_SERIAL_NONE, __ATOMIC_RELEASE);
	m->events = NULL;
	free(es->ring);
	free(es);
}

/* The OR of every mask; es->lock held. */
static void update_mask_locked(struct kmm_machine *m, struct kmm_events *es)
{
	uint64_t mask = es->ring ? es->ring_mask : 0;

	for (int i = 0; i < KMM_TRACE_MAX_SUBS; i++)
		mask |= es->subs[i].mask;
	__atomic_store_n(&m->event_mask, mask, __ATOMIC_RELEASE);
	__atomic_store_n(&m->obj_fast_serial,
			 mask & KMM_EVMASK_SLAB_FAST ? KMM_SERIAL_NONE : m->serial, __ATOMIC_RELEASE);
}

int kmm_trace_subscribe(struct kmm_machine *m, const struct kmm_trace_sub *sub)
{
	struct kmm_events *es = m ? m->events : NULL;
	int id = -ENOSPC;

	if (!es || !sub || !sub->fn || !sub->mask || (sub->mask >> KMM_EV_NR))
		return kmm_set_error(-EINVAL, "trace: a subscriber needs a machine, a callback "
				     "and a mask of known events");
	spin_lock(&es->lock);
	for (int i = KMM_TRACE_MAX_GLOBAL; i < KMM_TRACE_MAX_SUBS; i++) {
		struct kmm_trace_sub *s = &es->subs[i];

		if (__atomic_load_n(&s->mask, __ATOMIC_RELAXED))
			continue;
		s->name = sub->name;
		s->fn = sub->fn;
		s->arg = sub->arg;
		__atomic_store_n(&s->mask, sub->mask, __ATOMIC_RELEASE);
		id = i;
		break;
	}
	if (id >= 0)
		update_mask_locked(m, es);
	spin_unlock(&es->lock);
	if (id < 0)
		kmm_set_error(-ENOSPC, "trace: %d subscribers already", KMM_TRACE_MAX_SUBS);
	return id;
}

void kmm_trace_unsubscribe(struct kmm_machine *m, int id)
{
	struct kmm_events *es = m ? m->events : NULL;

	if (!es || id < 0 || id >= KMM_TRACE_MAX_SUBS)
		return;
	spin_lock(&es->lock);
	__atomic_store_n(&es->subs[id].mask, 0, __ATOMIC_RELEASE);
	update_mask_locked(m, es);
	es->subs[id].fn = NULL;
	es->subs[id].arg = NULL;
	es->subs[id].name = NULL;
	spin_unlock(&es->lock);
}

/* ---- The clock ---- */

/* The part of the clock charged from the allocator's own counters. */
static uint64_t counted_ns(struct kmm_machine *m)
{
	static const enum vm_event_item items[] = {
		PGALLOC_DMA, PGALLOC_DMA32, PGALLOC_NORMAL, PGALLOC_HIGH, PGALLOC_MOVABLE,
		PGFREE, PGFAULT,
	};
	unsigned long v[ARRAY_SIZE(items)];

	if (!m->cpus)
		return 0;
	sum_vm_events(m, items, ARRAY_SIZE(items), v);	/* one pass over the CPU slots */
	return (uint64_t)(v[0] + v[1] + v[2] + v[3] + v[4]) * COST_PAGE_ALLOC +
	       (uint64_t)v[5] * COST_PAGE_FREE + (uint64_t)v[6] * COST_FAULT;
}

void kmm_clock_start(struct kmm_machine *m)
{
	struct kmm_events *es = m->events;

	if (!es || es->started)
		return;
	es->base_ns = counted_ns(m);
	atomic_store(&es->charged_ns, 0);
	atomic_store(&es->last_ns, 0);
	es->started = true;
}

uint64_t kmm_clock_ns(struct kmm_machine *m)
{
	struct kmm_events *es = m ? m->events : NULL;

	if (!es || !es->started)
		return 0;
	uint64_t now = atomic_load_explicit(&es->charged_ns, memory_order_relaxed) +
		       counted_ns(m) - es->base_ns;
	uint64_t last = atomic_load_explicit(&es->last_ns, memory_order_relaxed);

	/* Counters summed racily by two threads could disagree: never go back. */
	while (now > last &&
	       !atomic_compare_exchange_weak_explicit(&es->last_ns, &last, now,
						      memory_order_relaxed, memory_order_relaxed))
		;
	return now > last ? now : last;
}

static void charge(struct kmm_machine *m, uint64_t ns)
{
	struct kmm_events *es = m->events;

	if (es && es->started && ns)
		atomic_fetch_add_explicit(&es->charged_ns, ns, memory_order_relaxed);
}

void kmm_clock_advance(struct kmm_machine *m, uint64_t ns)
{
	if (m)
		charge(m, ns);
}

void kmm_clock_advance_to(struct kmm_machine *m, uint64_t t)
{
	struct kmm_events *es = m ? m->events : NULL;
	uint64_t charged, now;

	if (!es || !es->started)
		return;
	charged = atomic_load_explicit(&es->charged_ns, memory_order_relaxed);
	for (;;) {
		now = charged + counted_ns(m) - es->base_ns;
		if (t <= now)
			return;
		if (atomic_compare_exchange_weak_explicit(&es->charged_ns, &charged,
							  charged + (t - now),
							  memory_order_relaxed,
							  memory_order_relaxed))
			return;
	}
}

void kmm_clock_charge_line(struct kmm_machine *m)
{
	charge(m, COST_CONSOLE_LINE);
}

/* ---- Operation brackets and the current process ---- */

static _Thread_local int op_depth;
static _Thread_local int trace_pid;

int kmm_op_depth(void)
{
	return op_depth;
}

void kmm_op_begin(struct kmm_machine *m)
{
	(void)m;
	op_depth++;
}

void kmm_op_end(struct kmm_machine *m)
{
	if (op_depth > 0)
		op_depth--;
	if (op_depth == 0 && m && kmm_trace_on(m, KMM_EVBIT(KMM_EV_OP_END))) {
		struct kmm_event ev = { .type = KMM_EV_OP_END };
		kmm_emit(m, &ev);
	}
}

int kmm_trace_set_pid(int pid)
{
	int old = trace_pid;

	trace_pid = pid;
	return old;
}

/* ---- Emission ---- */

static void ring_put_locked(struct kmm_events *es, const struct kmm_event *ev)
{
	struct ring_entry *e = &es->ring[es->ring_head & (es->ring_nr - 1)];

	e->ev = *ev;
	e->str[0] = 0;
	if (ev->str)
		snprintf(e->str, sizeof(e->str), "%s", ev->str);
	e->ev.str = NULL;
	es->ring_head++;
}

int kmm_emit(struct kmm_machine *m, struct kmm_event *ev)
{
	struct kmm_events *es = m->events;
	uint64_t bit = KMM_EVBIT(ev->type);
	int ret = 0;

	if (!es)
		return 0;
	if (!ev->time_ns)	/* console lines come stamped with their dmesg time */
		ev->time_ns = kmm_clock_ns(m);
	ev->cpu = (int16_t)(m->cpus && m->nr_cpus ? kmm_this_cpu(m) : 0);
	ev->pid = trace_pid;
	if (__atomic_load_n(&es->ring_mask, __ATOMIC_RELAXED) & bit) {
		spin_lock(&es->lock);
		if (es->ring && (es->ring_mask & bit))
			ring_put_locked(es, ev);
		spin_unlock(&es->lock);
	}
	for (int i = 0; i < KMM_TRACE_MAX_SUBS; i++) {
		struct kmm_trace_sub *s = &es->subs[i];

		if (__atomic_load_n(&s->mask, __ATOMIC_ACQUIRE) & bit)
			ret |= s->fn(m, ev, s->arg);
	}
	return ret;
}

/* ---- System calls ---- */

static const char *sys_name(enum kmm_sys nr)
{
	switch (nr) {
	case KMM_SYS_READ: return "read";
	case KMM_SYS_WRITE: return "write";
	case KMM_SYS_OPEN: return "open";
	case KMM_SYS_CLOSE: return "close";
	case KMM_SYS_LSEEK: return "lseek";
	case KMM_SYS_PREAD64: return "pread64";
	case KMM_SYS_PWRITE64: return "pwrite64";
	case KMM_SYS_MSYNC: return "msync";
	case KMM_SYS_MINCORE: return "mincore";
	case KMM_SYS_FSYNC: return "fsync";
	case KMM_SYS_FTRUNCATE: return "ftruncate";
	case KMM_SYS_UNLINK: return "unlink";
	case KMM_SYS_SYNC: return "sync";
	case KMM_SYS_FADVISE64: return "fadvise64";
	case KMM_SYS_MMAP: return "mmap";
	case KMM_SYS_MPROTECT: return "mprotect";
	case KMM_SYS_MUNMAP: return "munmap";
	case KMM_SYS_BRK: return "brk";
	case KMM_SYS_MREMAP: return "mremap";
	case KMM_SYS_MADVISE: return "madvise";
	case KMM_SYS_FORK: return "fork";
	case KMM_SYS_EXECVE: return "execve";
	case KMM_SYS_EXIT: return "exit";
	case KMM_SYS_WAIT4: return "wait4";
	case KMM_SYS_KILL: return "kill";
	case KMM_SYS_MLOCK: return "mlock";
	case KMM_SYS_MUNLOCK: return "munlock";
	case KMM_SYS_MLOCKALL: return "mlockall";
	case KMM_SYS_MUNLOCKALL: return "munlockall";
	case KMM_SYS_PRLIMIT64: return "prlimit64";
	case KMM_SYS_MLOCK2: return "mlock2";
	case KMM_SYS_SPAWN: return "spawn";
	}
	return "?";
}

void trace_sys_enter(struct kmm_machine *m, int pid, enum kmm_sys nr, uint64_t a0, uint64_t a1,
		     uint64_t a2)
{
	if (!kmm_trace_on(m, KMM_EVBIT(KMM_EV_SYS_ENTER) | KMM_EVBIT(KMM_EV_SYS_EXIT) |
			      KMM_EVMASK_OPS))
		return;
	kmm_trace_set_pid(pid);
	kmm_op_begin(m);
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_SYS_ENTER))) {
		struct kmm_event ev = { .type = KMM_EV_SYS_ENTER, .str = sys_name(nr) };
		ev.sys.nr = nr;
		ev.sys.args[0] = a0;
		ev.sys.args[1] = a1;
		ev.sys.args[2] = a2;
		kmm_emit(m, &ev);
	}
}

void trace_sys_exit(struct kmm_machine *m, enum kmm_sys nr, int64_t ret)
{
	charge(m, COST_SYSCALL);
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_SYS_EXIT))) {
		struct kmm_event ev = { .type = KMM_EV_SYS_EXIT, .str = sys_name(nr) };
		ev.sys.nr = nr;
		ev.sys.ret = ret;
		kmm_emit(m, &ev);
	}
	/* Close the bracket even if the mask changed since sys_enter opened it. */
	if (op_depth > 0) {
		kmm_op_end(m);
		if (op_depth == 0)
			kmm_trace_set_pid(0);
	}
}

/* ---- vmalloc areas (charged whether or not anyone listens) ---- */

void trace_alloc_vmap_area(struct kmm_machine *m, uint64_t addr, uint64_t size, uint64_t align,
			   uint64_t vstart, uint64_t vend, bool failed)
{
	if (!failed)
		charge(m, COST_VMAP_ALLOC);
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_ALLOC_VMAP_AREA))) {
		struct kmm_event ev = { .type = KMM_EV_ALLOC_VMAP_AREA };
		ev.vmap.addr = addr;
		ev.vmap.size = size;
		ev.vmap.align = align;
		ev.vmap.vstart = vstart;
		ev.vmap.vend = vend;
		ev.vmap.failed = failed;
		kmm_emit(m, &ev);
	}
}

void trace_free_vmap_area_noflush(struct kmm_machine *m, uint64_t addr, uint64_t size)
{
	charge(m, COST_VMAP_FREE);
	if (kmm_trace_on(m, KMM_EVBIT(KMM_EV_FREE_VMAP_AREA_NOFLUSH))) {
		struct kmm_event ev = { .type = KMM_EV_FREE_VMAP_AREA_NOFLUSH };
		ev.vmap.addr = addr;
		ev.vmap.size = size;
		kmm_emit(m, &ev);
	}
}

/* ---- The ring ---- */

int kmm_trace_ring_start(struct kmm_machine *m, uint64_t mask, size_t nr)
{
	struct kmm_events *es = m ? m->events : NULL;
	size_t n = 1;

	if (!es || !mask || (mask >> KMM_EV_NR) || !nr || nr > (1u << 20))
		return kmm_set_error(-EINVAL, "trace: the ring needs known events and 1..%u entries",
				     1u << 20);
	while (n < nr)
		n <<= 1;
	struct ring_entry *ring = calloc(n, sizeof(*ring));

	if (!ring)
		return kmm_set_error(-ENOMEM, "trace: no memory for %zu ring entries", n);
	spin_lock(&es->lock);
	struct ring_entry *old = es->ring;
	es->ring = ring;
	es->ring_nr = n;
	es->ring_head = 0;
	__atomic_store_n(&es->ring_mask, mask, __ATOMIC_RELAXED);
	update_mask_locked(m, es);
	spin_unlock(&es->lock);
	free(old);
	return 0;
}

void kmm_trace_ring_stop(struct kmm_machine *m)
{
	struct kmm_events *es = m ? m->events : NULL;

	if (!es)
		return;
	spin_lock(&es->lock);
	struct ring_entry *old = es->ring;
	es->ring = NULL;
	__atomic_store_n(&es->ring_mask, 0, __ATOMIC_RELAXED);
	es->ring_nr = 0;
	update_mask_locked(m, es);
	spin_unlock(&es->lock);
	free(old);
}

uint64_t kmm_trace_ring_read(struct kmm_machine *m,
			     void (*fn)(const struct kmm_event *ev, void *arg), void *arg)
{
	struct kmm_events *es = m ? m->events : NULL;
	struct ring_entry *copy;
	uint64_t head, first, lost;

	if (!es)
		return 0;
	/* Copy under the lock, call outside it: fn may print (printk emits). */
	spin_lock(&es->lock);
	if (!es->ring) {
		spin_unlock(&es->lock);
		return 0;
	}
	head = es->ring_head;
	first = head > es->ring_nr ? head - es->ring_nr : 0;
	lost = first;
	copy = malloc((size_t)(head - first) * sizeof(*copy) + 1);
	if (copy)
		for (uint64_t i = first; i < head; i++)
			copy[i - first] = es->ring[i & (es->ring_nr - 1)];
	spin_unlock(&es->lock);
	if (!copy)
		return lost;
	for (uint64_t i = 0; i < head - first; i++) {
		copy[i].ev.str = copy[i].str[0] ? copy[i].str : NULL;
		fn(&copy[i].ev, arg);
	}
	free(copy);
	return lost;
}

/* ---- The text form (docs/trace-format.md) ---- */

struct out {
	char *buf;
	size_t len, used;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->used < o->len ? o->len - o->used : 0;

	va_start(ap, fmt);
	int n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* A string value: bare when it is one plain word, else quoted with \ escapes. */
static void out_str(struct out *o, const char *key, const char *s)
{
	bool plain = s && *s;

	for (const char *p = s; plain && *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || (unsigned char)*p >= 0x7f)
			plain = false;
	if (plain) {
		outf(o, " %s=%s", key, s);
		return;
	}
	outf(o, " %s=\"", key);
	for (const char *p = s ? s : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			outf(o, "\\%c", c);
		else if (c == '\n')
			outf(o, "\\n");
		else if (c == '\t')
			outf(o, "\\t");
		else if (c < ' ' || c >= 0x7f)
			outf(o, "\\x%02x", c);
		else
			outf(o, "%c", c);
	}
	outf(o, "\"");
}

static void out_gfp(struct out *o, gfp_t gfp)
{
	char flags[256];

	kmm_gfp_format(flags, sizeof(flags), gfp);
	outf(o, " gfp_flags=%s", flags[0] ? flags : "0");
}

static const char *const rss_members[] = {
	"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES",
};

int kmm_trace_format(const struct kmm_event *ev, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	const char *name = kmm_event_name(ev->type);

	if (len)
		buf[0] = 0;
	outf(&o, "%llu.%09llu %d %d %s", (unsigned long long)(ev->time_ns / 1000000000ull),
	     (unsigned long long)(ev->time_ns % 1000000000ull), ev->cpu, ev->pid,
	     name ? name : "?");
	switch (ev->type) {
	case KMM_EV_MM_PAGE_ALLOC:
		outf(&o, " pfn=0x%llx order=%u", (unsigned long long)ev->page.pfn, ev->page.order);
		out_gfp(&o, ev->page.gfp);
		outf(&o, " migratetype=%d", ev->page.migratetype);
		break;
	case KMM_EV_MM_PAGE_FREE:
		outf(&o, " pfn=0x%llx order=%u", (unsigned long long)ev->page.pfn, ev->page.order);
		break;
	case KMM_EV_MM_PAGE_ALLOC_ZONE_LOCKED:
		outf(&o, " pfn=0x%llx order=%u migratetype=%d percpu_refill=%d",
		     (unsigned long long)ev->page.pfn, ev->page.order, ev->page.migratetype,
		     ev->page.percpu_refill);
		break;
	case KMM_EV_KMALLOC:
	case KMM_EV_KMEM_CACHE_ALLOC:
		if (ev->type == KMM_EV_KMEM_CACHE_ALLOC)
			out_str(&o, "name", ev->str);
		outf(&o, " ptr=0x%llx bytes_req=%llu bytes_alloc=%llu", (unsigned long long)ev->obj.ptr,
		     (unsigned long long)ev->obj.bytes_req, (unsigned long long)ev->obj.bytes_alloc);
		out_gfp(&o, ev->obj.gfp);
		outf(&o, " node=%d", ev->obj.node);
		break;
	case KMM_EV_KFREE:
		outf(&o, " ptr=0x%llx", (unsigned long long)ev->obj.ptr);
		break;
	case KMM_EV_KMEM_CACHE_FREE:
		outf(&o, " ptr=0x%llx", (unsigned long long)ev->obj.ptr);
		out_str(&o, "name", ev->str);
		break;
	case KMM_EV_PAGE_FAULT_USER:
		outf(&o, " address=0x%llx error_code=0x%x", (unsigned long long)ev->fault.address,
		     ev->fault.error_code);
		break;
	case KMM_EV_RSS_STAT:
		outf(&o, " type=%s size=%lldB",
		     ev->rss.member >= 0 && ev->rss.member < 4 ? rss_members[ev->rss.member] : "?",
		     (long long)ev->rss.size);
		break;
	case KMM_EV_MM_VMSCAN_WAKEUP_KSWAPD:
		outf(&o, " nid=%d zid=%d order=%u", ev->vmscan.nid, ev->vmscan.zid, ev->vmscan.order);
		out_gfp(&o, ev->vmscan.gfp);
		break;
	case KMM_EV_MM_VMSCAN_KSWAPD_WAKE:
		outf(&o, " nid=%d zid=%d order=%u", ev->vmscan.nid, ev->vmscan.zid, ev->vmscan.order);
		break;
	case KMM_EV_MM_VMSCAN_KSWAPD_SLEEP:
		outf(&o, " nid=%d", ev->vmscan.nid);
		break;
	case KMM_EV_ALLOC_VMAP_AREA:
		outf(&o, " va_start=0x%llx size=%llu align=%llu vstart=0x%llx vend=0x%llx failed=%d",
		     (unsigned long long)ev->vmap.addr, (unsigned long long)ev->vmap.size,
		     (unsigned long long)ev->vmap.align, (unsigned long long)ev->vmap.vstart,
		     (unsigned long long)ev->vmap.vend, ev->vmap.failed);
		break;
	case KMM_EV_FREE_VMAP_AREA_NOFLUSH:
		outf(&o, " va_start=0x%llx size=%llu", (unsigned long long)ev->vmap.addr,
		     (unsigned long long)ev->vmap.size);
		break;
	case KMM_EV_SYS_ENTER:
		outf(&o, " NR=%d", ev->sys.nr);
		out_str(&o, "name", ev->str);
		outf(&o, " args=0x%llx,0x%llx,0x%llx", (unsigned long long)ev->sys.args[0],
		     (unsigned long long)ev->sys.args[1], (unsigned long long)ev->sys.args[2]);
		break;
	case KMM_EV_SYS_EXIT:
		outf(&o, " NR=%d", ev->sys.nr);
		out_str(&o, "name", ev->str);
		outf(&o, " ret=%lld", (long long)ev->sys.ret);
		break;
	case KMM_EV_MARK_VICTIM:
		outf(&o, " victim=%d", ev->oom.victim_pid);
		break;
	case KMM_EV_CONSOLE:
		out_str(&o, "msg", ev->str);
		break;
	case KMM_EV_SHOULD_FAIL_ALLOC_PAGE:
	case KMM_EV_SHOULD_FAILSLAB:
	case KMM_EV_SHOULD_FAIL_VMALLOC:
		if (ev->str)
			out_str(&o, "name", ev->str);
		outf(&o, " order=%u size=%llu", ev->fail.order, (unsigned long long)ev->fail.size);
		out_gfp(&o, ev->fail.gfp);
		break;
	default:
		break;
	}
	return (int)o.used;
}
