// SPDX-License-Identifier: MIT
/*
 * shim/malloc.c - libkmm-malloc.so: the C allocation API on a kmm machine.
 *
 * glibc's malloc is the middle man between a program and the kernel; this file
 * puts kmm's own allocator stack in that place. A machine is booted lazily on
 * the first call (plain anonymous memory, since this machine never remaps;
 * 128M of RAM, grown by memory hotplug a 128M block at a time as it runs
 * short, up to KMM_MALLOC_MEM, default 4G), and every request goes to the
 * layer Linux would use for a kernel object of that size:
 *
 *   size <= 8 KiB (KMALLOC_MAX_CACHE_SIZE)  kmalloc's size classes and, in the
 *                                          default mode, the shim's own between them
 *   size <= 4 MiB (KMALLOC_MAX_SIZE)        compound pages, alloc_pages(__GFP_COMP)
 *   larger                                  a direct host mapping (sim_reserve),
 *                                          shim/huge.c
 *
 * Linux counterpart: none (glibc's malloc/malloc.c is the API being replaced);
 * the size split mirrors kmalloc()/kmalloc_large() and the kernel's vmalloc
 * for big buffers.
 *
 * Whose pointer is it? A pointer inside the machine's RAM (the direct map) is
 * ours; one registered in the huge-mapping table is ours; anything else was
 * handed out by glibc (before the preload took effect, or to kmm itself while
 * it was running, see below) and goes back to glibc's __libc_* functions.
 *
 * Re-entrancy: libkmm itself calls malloc (the machine struct, dmesg, /proc
 * text). A thread-local flag (in_kmm) is set whenever this file calls into
 * kmm; a nested call made with it set is served by glibc (__libc_malloc and
 * friends), so kmm never re-enters itself and never deadlocks on its locks.
 *
 * Invariant: two bits per granule of RAM in live_map (8 bytes; a page in
 * the default mode, where only page blocks, which start on a page, keep
 * bits there: 1/16384 of their RAM instead of 1/32). LIVE is set if and only
 * if that address is the start of a block this file returned and has not
 * freed; FREED is set if it was such a start and was freed since (until the
 * address is handed out again). free() flips both atomically before the
 * block goes back to kmm, so a second free finds LIVE clear and FREED set
 * (a double free), and a pointer no malloc returned finds both clear (an
 * invalid free); either aborts naming the pointer. Huge blocks live in their
 * own table, which keeps freed addresses too, so the same holds for them.
 * kmalloc blocks in the default mode (not hardened, no slab_debug) keep no
 * bits: the slab's own shadow byte of the block's start says the same
 * (allocated: KMM_SLAB_SHADOW_ALLOCATED or the class's code; freed:
 * _FREED or _FLUSHED; else never handed out; see mm/include/slab.h), so
 * malloc and free of a small block execute no locked instruction, this
 * file's or the slab's: the slab's free claims that byte with a load and a
 * store (shadow_owned_live(), shadow_owned_free(), mm/slab.h). A second free finds it freed
 * and aborts naming the pointer; a second free racing the first on another
 * CPU may pass the load too, and then the object sits in two CPUs' sheaves:
 * the slab reports "double free detected" naming it when the second copy
 * leaves its sheaf (handed out, or given back to its slab), and the shim
 * aborts with that report (slab_verdict()), as SLUB's freelist hardening
 * catches a double free late, not at once.
 *
 * Locking: every call that enters kmm is inside its CPU slot's section
 * (kmm_cpu_enter() on the guard of kmm_this_cpu(), mm/include/cpu_slot.h: a
 * plain store for a thread alone on its slot, the slot's lock when threads
 * share it); huge_lock guards the huge-mapping table and the cache of freed
 * huge mappings (shim/huge.c, shim/huge_cache.c); trim_lock serialises
 * trims (shim/trim.c); grow_lock serialises growth by memory hotplug, which
 * runs outside any slot's section and takes kmm's locks (hp->lock,
 * zone->lock ...). Order: grow_lock -> slot
 * section -> trim_lock -> kmm's own locks; huge_lock is held with no other,
 * except by fork_prepare (shim/introspect.c), which takes it last. fork()
 * takes grow_lock, every slot (kmm_cpu_lock_all(), which waits for sections
 * in progress), trim_lock and huge_lock first (pthread_atfork), so the child finds no kmm
 * lock held by a thread that does not exist in it (a thread holds kmm's own
 * locks only inside kmm, that is, only inside its slot's section).
 *
 * Degraded modes, so that the shim never takes a program down for want of a
 * layer: without the slab layer (kmalloc unresolved, or slab_is_available_m() false) small sizes
 * take order-0 pages; a kernel without ram=anon gets memory-file RAM (trims
 * then free nothing); a machine that cannot boot leaves everything to glibc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm/include/addr.h"
#include "mm/include/events.h"
#include "mm/include/machine.h"
#include "mm/include/memory_hotplug.h"
#include "mm/include/page_reporting.h"
#include "mm/slab_fast.h"	/* the fast paths malloc() and free() inline; mm/include/slab.h */
#include "shim/blocks.h"
#include "shim/boot_line.h"
#include "shim/classes.h"
#include "shim/core.h"
#include "shim/harden.h"
#include "shim/huge.h"
#include "shim/huge_cache.h"
#include "shim/huge_table.h"
#include "shim/shim.h"
#include "shim/trace.h"
#include "shim/trim.h"

/* ---- kmm's allocators (glibc's, for foreign pointers and nested calls: shim/core.h) ---- */

/*
 * The slab allocator's kmalloc family. Declared weak so that the shim builds
 * and runs (routing small sizes through order-0 pages) on a tree whose slab
 * layer has not landed yet.
 */
extern void *kmalloc(size_t size, gfp_t gfp) __attribute__((weak));
extern void kfree(const void *obj) __attribute__((weak));
extern size_t ksize(const void *obj) __attribute__((weak));

#define SHIM_GFP	(GFP_KERNEL | __GFP_NOWARN)
#define SHIM_BOOT_MEM	(256ULL << 20)	/* a bound above this boots 128M and grows */

/* ---- State ---- */

/* enum shim_state is shim/core.h's, with what shim/introspect.c shares of this state. */
_Atomic int shim_state;
static spinlock_t boot_lock = SPINLOCK_INIT;
struct kmm_machine *shim_m;			/* immutable once SHIM_UP */
static unsigned long shim_serial;		/* shim_m->serial, immutable once SHIM_UP */
uintptr_t ram_start, ram_end;			/* the direct map, immutable once SHIM_UP */
uint64_t *live_map;				/* see the invariant above; atomic bit pairs */
static unsigned int live_shift = 3;		/* its granule's log2 (3 or PAGE_SHIFT); immutable once SHIM_UP */
/* kmm_slab_shadow_bias() in the default mode, else 0 (live_map for every block); immutable once SHIM_UP */
uintptr_t slab_shadow_bias;
/*
 * The default mode with nothing extra on (no hardening, slab_debug, failure
 * injection or byte statistics). Immutable once SHIM_UP.
 */
static bool fast_small;
/*
 * ... with the shim's classes, all aligned, and no trace being written
 * (shim_trace_began()): calloc, realloc and malloc_slow() try the slab's
 * lock-free paths, with one test of the three (malloc()'s test is
 * class_code[], free()'s the gate of free_map: class_codes_set()).
 */
bool lockfree_on;
/* free()'s view of shim_m (mm/slab_fast.h), filled with the classes; immutable once SHIM_UP but its gate. */
static struct slab_fast_map free_map;
/*
 * malloc()'s view of the classes: by class_index(), the shadow code of the
 * slot's cache (kmem_cache_alloc_mapped() through free_map), or 0, which
 * sends malloc() the slow way: before the shim is up, once a trace began,
 * and for a cache without a code or with slowpath_flags. One byte read with
 * acquire is malloc()'s test of lockfree_on, the cache's flags and its
 * pointer (class_codes_set()).
 */
static unsigned char class_code[CLASS_SLOTS];
size_t live_map_bytes;
bool use_kmalloc;				/* immutable once SHIM_UP */
bool anon_ram;				/* ram=anon: a discarded page reads as zero; immutable once SHIM_UP */
/*
 * calloc of a page block of this order or more (128 KiB, glibc's default
 * mmap threshold) discards the block instead of zeroing it: the pages read
 * as zero and the untouched ones stay uncommitted, as with glibc's calloc
 * of a fresh mapping.
 */
#define ZERO_DISCARD_ORDER 5
static bool debug_mode;				/* KMM_MALLOC_DEBUG */
bool stats_enabled;				/* KMM_MALLOC_STATS */
const char *stats_dest;
bool check_at_exit;				/* KMM_MALLOC_CHECK */
char boot_cmdline[512];
size_t (*glibc_usable_size)(void *);
static atomic_int *slab_tainted;		/* the slab layer's "a BUG was reported" */

/* in_kmm (shim/core.h) is set while this file calls into kmm (see the top); in kmm_cpu_cache: one TLS address with its serial. */
static __thread int tls_cpu __attribute__((tls_model("initial-exec"))) = -1;
/* This thread's slot guard on shim_m, and the token of the section it is in. */
static __thread struct kmm_cpu_guard *tls_guard __attribute__((tls_model("initial-exec")));
static __thread int tls_token __attribute__((tls_model("initial-exec")));
/* This thread registered after its exit hook ran: kmm_leave() gives the slot back. */
static __thread bool tls_exiting __attribute__((tls_model("initial-exec")));

struct shim_slot {
	unsigned long frees;		/* relaxed atomic; drives the trim check */
} __attribute__((aligned(64)));
static struct shim_slot slots[KMM_MAX_CPUS];

/*
 * The weight of a small free that kfree() does (free_slow()), in the frees
 * slot_free_counted() counts: most are the free that finds its CPU's sheaf
 * full, which gives the older half back to the slabs (at most
 * SLAB_SHEAF_MAX / 2 = 32 objects), the only moment small frees can leave
 * RAM free for a trim. The lock-free path's frees (into a sheaf) are not
 * counted one by one: they free no RAM, and the count cost 9 of free()'s
 * instructions (callgrind, small_churn).
 */
#define SLOW_FREE_WEIGHT 32

/*
 * Count a small free of weight @w on slot @s: relaxed atomics, no locked
 * instruction (a count lost to a thread sharing the slot only delays a
 * check). Return: true when the count passes a multiple of 65536 (time to
 * trim_check(): about every 65536th small free, every 64 KiB of page
 * blocks freed, ram_free()).
 */
static inline bool slot_free_counted(struct shim_slot *s, unsigned long w)
{
	unsigned long old = __atomic_load_n(&s->frees, __ATOMIC_RELAXED), n = old + w;

	__atomic_store_n(&s->frees, n, __ATOMIC_RELAXED);
	return (old ^ n) >> 16 != 0;
}

/* Statistics (only when stats_enabled); usable bytes. */
atomic_long stat_cur, stat_peak;
atomic_ulong stat_mallocs, stat_frees, stat_huge;

/* Growing the machine (returning RAM to the host: shim/trim.c). */
spinlock_t grow_lock = SPINLOCK_INIT;
/* Growths done (written under grow_lock, read without: see shim_grow()). */
static unsigned long grow_gen;
/* Tests: asked by a thread that ran short, before it grows (kmm_malloc_set_grow_hook()). */
bool (*grow_hook)(size_t bytes);

static bool use_classes;


/* ---- Reporting ---- */

/*
 * Abort the program, naming the call and the pointer, as glibc does with
 * "free(): invalid pointer". Only write(2) and abort(): the heap may be broken.
 */
_Noreturn void report_bad_pointer(const char *call, const char *what, const void *ptr)
{
	shim_report(call, what, ptr, (size_t)-1, -1, 0x100);
}

#define warn shim_warn

/*
 * The slab layer found corruption (a red zone or poison overwritten, a freelist
 * pointer broken) and reported it to dmesg: show the report and abort.
 */
static _Noreturn __attribute__((noinline)) void report_slab_bug(const char *call, const void *p)
{
	in_kmm++;	/* the copy comes from glibc: kmm's heap is suspect */
	const char *log = kmm_dmesg_dup(shim_m);
	in_kmm--;
	shim_report_slab_bug(call, p, log);
}

static inline void slab_verdict(const char *call, const void *p)
{
	if (unlikely(atomic_load_explicit(slab_tainted, memory_order_relaxed)))
		report_slab_bug(call, p);
}

/* ---- The live map ---- */

#define LIVE_BIT 1ULL
#define FREED_BIT 2ULL

/* The word of @a's bit pair, and the pair's LIVE bit in *@bit (FREED is the next). */
static inline uint64_t *live_word(uintptr_t a, uint64_t *bit)
{
	uintptr_t granule = (a - ram_start) >> live_shift;
	*bit = LIVE_BIT << ((granule & 31) * 2);
	return &live_map[granule >> 5];
}

/* Mark @p allocated (LIVE set, FREED cleared); a second hand-out of a live address is a kmm bug. */
static inline void live_set(const void *p)
{
	uint64_t bit, *w = live_word((uintptr_t)p, &bit);
	uint64_t freed = __atomic_load_n(w, __ATOMIC_RELAXED) & (bit << 1);

	/* Only the owner of @p changes its pair: the load and the flip agree. */
	if (unlikely(__atomic_fetch_xor(w, bit | freed, __ATOMIC_RELAXED) & bit))
		report_bad_pointer("malloc", "kmm handed out a live block twice:", p);
}

enum live_state { BLOCK_LIVE, BLOCK_FREED, BLOCK_NEVER };

/*
 * Free @p's pair: LIVE cleared, FREED set. Return: what @p was. Only
 * BLOCK_LIVE leaves a consistent pair; the others are followed by an abort.
 */
static inline enum live_state live_clear(const void *p)
{
	uint64_t bit, *w = live_word((uintptr_t)p, &bit);

	if ((uintptr_t)p & ((1UL << live_shift) - 1))
		return BLOCK_NEVER;
	uint64_t old = __atomic_fetch_xor(w, bit | (bit << 1), __ATOMIC_RELAXED);
	return (old & bit) ? BLOCK_LIVE : (old & (bit << 1)) ? BLOCK_FREED : BLOCK_NEVER;
}

static inline bool live_test(const void *p)
{
	uint64_t bit, *w = live_word((uintptr_t)p, &bit);

	if ((uintptr_t)p & ((1UL << live_shift) - 1))
		return false;
	return __atomic_load_n(w, __ATOMIC_RELAXED) & bit;
}

static inline bool freed_test(const void *p)
{
	uint64_t bit, *w = live_word((uintptr_t)p, &bit);

	return !((uintptr_t)p & ((1UL << live_shift) - 1)) &&
	       (__atomic_load_n(w, __ATOMIC_RELAXED) & (bit << 1));
}

/* ---- Boot ---- */

static atomic_int no_taint;
static int shim_exit_registered;
/*
 * Fill class_code[] (@on: the lock-free path is on) or empty it; release
 * stores. Off also closes free()'s gate, which slab_fast_map_fill() opened
 * (free_map.granules = 0, mm/slab_fast.h), for good.
 */
static void class_codes_set(bool on)
{
	if (!on)
		__atomic_store_n(&free_map.granules, 0, __ATOMIC_RELEASE);
	for (unsigned int slot = 1; slot < CLASS_SLOTS; slot++) {
		struct kmem_cache *s = on ? class_cache(slot) : NULL;
		unsigned char v = s ? cache_shadow_alloc(s) : 0;
		if (!s || free_map.cache_of[v] != s || s->slowpath_flags ||
		    free_map.shadow_shift != SLAB_MAPPED_SHADOW_SHIFT)
			v = 0;
		__atomic_store_n(&class_code[slot], v, __ATOMIC_RELEASE);
	}
}

/*
 * Boot the machine. Called with boot_lock held and in_kmm set, so every
 * allocation kmm makes while booting comes from glibc.
 */
static void shim_boot_locked(void)
{
	const char *mem = getenv("KMM_MALLOC_MEM");
	const char *extra = getenv("KMM_MALLOC_CMDLINE");
	const char *dbg = getenv("KMM_MALLOC_DEBUG");
	int cpus = KMM_MAX(sim_online_cpus() * 4, 16);	/* docs/malloc.md "maxcpus"; no sysconf (arch/sim) */

	/* Needed whichever way the boot goes: glibc's pointers stay glibc's. */
	glibc_usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	const char *cpus_env = getenv("KMM_MALLOC_CPUS");
	unsigned long n;
	char why[64];
	cpus = KMM_CLAMP(cpus, 1, KMM_MAX_CPUS);
	if (cpus_env && *cpus_env && !kmm_parse_ulong(cpus_env, &n) && n && n <= KMM_MAX_CPUS) {
		cpus = (int)n;
	} else if (cpus_env && *cpus_env) {	/* not atoi(): it read "abc" as 0, "4x" as 4 */
		snprintf(why, sizeof(why), "\" is not a number from 1 to %d; keeping %d", KMM_MAX_CPUS, cpus);
		warn("KMM_MALLOC_CPUS=\"", cpus_env, why);
	}
	if (!mem || !*mem)
		mem = SHIM_MEM_DEFAULT;
	if (strchr(mem, ' ') || strchr(mem, '\t') || strchr(mem, '\n')) {
		warn("KMM_MALLOC_MEM must be a size such as 4G, not \"", mem, "\"; using glibc malloc");
		atomic_store(&shim_state, SHIM_GLIBC);
		return;
	}
	debug_mode = dbg && *dbg && strcmp(dbg, "0") != 0;
	stats_dest = getenv("KMM_MALLOC_STATS");
	stats_enabled = stats_dest && *stats_dest && strcmp(stats_dest, "0") != 0;
	check_at_exit = shim_env_flag("KMM_MALLOC_CHECK");
	uint64_t bytes;
	if (shim_env_size("KMM_MALLOC_TRIM", "64M", &bytes))
		trim_threshold_pages = (unsigned long)(bytes >> PAGE_SHIFT);
	if (shim_env_size("KMM_MALLOC_HUGE_CACHE", "64M", &bytes))
		huge_cache_set_limit((size_t)bytes);
	/* Debug run: "1" means Linux's full set FZPU; other values are slab_debug flags. */
	const char *hard = harden_setup();
	/*
	 * The options every shim machine boots with are shim/boot_line.h's. The
	 * default mode's slab_freeptr=start: a free block's link in the line its
	 * user touches.
	 */
	char tail[256];
	snprintf(tail, sizeof(tail), "%s%s%s%s%s%s",
		 *hard || debug_mode ? "" : SHIM_BOOT_TAIL_DEFAULT, debug_mode ? " slab_debug=" : "",
		 debug_mode ? (strcmp(dbg, "1") == 0 ? "FZPU" : dbg) : "", hard, extra ? " " : "",
		 extra ? extra : "");
	/*
	 * Boot small and grow (mm/memory_hotplug.c): KMM_MALLOC_MEM is the most
	 * the machine reaches, plugged in 128M at a time as malloc runs short
	 * (shim_grow), the first block too: the first growth onlines Normal
	 * while other threads allocate, which the zonelists' publication makes
	 * safe. A program that allocates little so pays for no block's struct
	 * pages (128 KB of its start RSS, docs/malloc.md). Where the host
	 * refuses the hotplug area's address space (ulimit -v): all of it at
	 * once, as before.
	 */
	struct kmm_machine *m = NULL;
	bool grow = !kmm_parse_size(mem, &bytes, NULL) && bytes > SHIM_BOOT_MEM;
	if (grow) {
		shim_boot_line(boot_cmdline, sizeof(boot_cmdline), mem, true, cpus, tail);
		m = kmm_boot(boot_cmdline);
	}
	if (!m) {
		shim_boot_line(boot_cmdline, sizeof(boot_cmdline), mem, false, cpus, tail);
		m = kmm_boot(boot_cmdline);
	}
	if (!m && strstr(kmm_last_error(), "ram=anon")) {
		/* A kernel without ram=anon: memory-file RAM (trims then return less). */
		char *opt = strstr(boot_cmdline, " ram=anon");
		memmove(opt, opt + 9, strlen(opt + 9) + 1);
		m = kmm_boot(boot_cmdline);
	}
	if (!m) {
		warn("cannot boot \"", boot_cmdline, "\"; using glibc malloc");
		warn("  ", kmm_last_error(), NULL);
		atomic_store(&shim_state, SHIM_GLIBC);
		return;
	}
	ram_start = (uintptr_t)kmm_direct_map_base(m);
	ram_end = ram_start + kmm_direct_map_bytes(m);
	live_map_bytes = ALIGN_UP(kmm_direct_map_bytes(m) / 32 + 8, PAGE_SIZE);
	live_map = sim_reserve(live_map_bytes, true);
	if (!live_map) {
		kmm_shutdown(m);
		warn("no host memory for the live map; using glibc malloc", NULL, NULL);
		atomic_store(&shim_state, SHIM_GLIBC);
		return;
	}
	anon_ram = m->opts.ram_anon;
	use_kmalloc = kmalloc && kfree && ksize && slab_is_available_m(m);
	trim_shadow_bias = kmm_slab_shadow_bias(m);	/* 0 without a slab layer */
	trim_shadow_shift = kmm_slab_shadow_shift(m);	/* 4: slab_shadow_granule=16 */
	if (use_kmalloc && !harden_on && !debug_mode)
		slab_shadow_bias = trim_shadow_bias;
	live_shift = slab_shadow_bias ? PAGE_SHIFT : 3;	/* the invariant above */
	if (use_kmalloc && !harden_on && !debug_mode)
		use_classes = shim_setup_classes(m);
	if (use_classes)
		slab_fast_map_fill(&free_map, m);
	fast_small = slab_shadow_bias && !harden_fail_every && !stats_enabled;
	harden_start(m, ram_start, ram_end);
	slab_tainted = slab_is_available_m(m) ? slab_taint_flag(m) : &no_taint;
	shim_m = m;
	shim_serial = m->serial;
	atomic_store(&free_low_mark, kmm_nr_free_pages(m));
	if (!shim_exit_registered) {
		shim_exit_registered = 1;
		atexit(shim_atexit);
		pthread_atfork(fork_prepare, fork_parent, fork_child);
	}
	atomic_store_explicit(&shim_state, SHIM_UP, memory_order_release);
	/*
	 * malloc() and free() ask no serial (kmem_cache_alloc_mapped_sole(),
	 * kfree_fast_mapped_sole()): this thread's slot cache names @m (not a
	 * machine a failed boot freed), and no listener of @m's slab events
	 * booted with it (failslab=, a ring: obj_fast_serial says none).
	 */
	kmm_this_cpu(m);
	__atomic_store_n(&lockfree_on,
			 fast_small && use_classes && shim_classes_aligned() && !shim_trace_on &&
			 __atomic_load_n(&m->obj_fast_serial, __ATOMIC_ACQUIRE) == m->serial,
			 __ATOMIC_RELEASE);
	class_codes_set(lockfree_on);
}

void shim_trace_began(void)
{
	__atomic_store_n(&lockfree_on, false, __ATOMIC_RELEASE);
	class_codes_set(false);
}

/* Return: true when kmm serves this call, false when glibc must. */
__attribute__((noinline)) bool shim_boot(void)
{
	int s = atomic_load_explicit(&shim_state, memory_order_acquire);

	if (s == SHIM_UP)
		return true;
	if (s == SHIM_GLIBC)
		return false;
	spin_lock(&boot_lock);
	if (atomic_load(&shim_state) == SHIM_DOWN) {
		atomic_store(&shim_state, SHIM_BOOTING);
		in_kmm++;
		shim_boot_locked();
		in_kmm--;
	}
	spin_unlock(&boot_lock);
	return atomic_load_explicit(&shim_state, memory_order_acquire) == SHIM_UP;
}

/* ---- Entering kmm ---- */

static __attribute__((noinline)) int first_entry(void)
{
	in_kmm++;
	kmm_use(shim_m);
	tls_cpu = kmm_this_cpu(shim_m);
	tls_guard = &shim_m->cpus[tls_cpu].guard;
	tls_exiting = kmm_cpu_thread_exiting();
	in_kmm--;
	return tls_cpu;
}

/*
 * This thread shares its slot and a slot is free (a thread that registered
 * while every slot was taken, or the one it joined): move there, outside any
 * section, so that neither runs in locked mode longer than it must.
 */
static __attribute__((noinline, cold)) int move_off_shared_slot(void)
{
	in_kmm++;
	tls_cpu = kmm_cpu_move(shim_m);
	tls_guard = &shim_m->cpus[tls_cpu].guard;
	in_kmm--;
	return tls_cpu;
}

/*
 * The end of a call made after this thread's exit hook ran (a thread-exit
 * destructor that mallocs or frees): the call registered the thread again,
 * which re-queued the hook, but glibc runs it only if a destructor round is
 * left. In the last round nothing would give the slot back, and the slot
 * would count a user for good (shared, never lock-free again: review9-shim
 * #2). So each such call gives it back at its end; the next registers anew.
 */
static __attribute__((noinline, cold)) void leave_exiting_thread(void)
{
	tls_exiting = false;
	kmm_cpu_release_thread();
}

/*
 * kmm_enter() on a machine with a listener on the slab's events: one
 * operation begun for the stream's subscribers (the debug checker runs at
 * its end), and the lock-free paths shut for good, as a trace shuts them
 * (shim_trace_began()): malloc() and free() ask no serial (the _sole
 * paths, mm/slab_fast.h), so no listener may appear with their gates open.
 * None can in this library (its listeners subscribe at boot, which leaves
 * the gates shut: shim_boot_locked()); this keeps one that did from
 * missing more than what the fast paths did before the first long-way call.
 */
static __attribute__((noinline, cold)) void slab_listened(void)
{
	if (kmm_trace_on(shim_m, KMM_EVMASK_OPS))
		kmm_op_begin(shim_m);
	if (__atomic_load_n(&free_map.granules, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&shim_m->obj_fast_serial, __ATOMIC_ACQUIRE) != shim_serial)
		shim_trace_began();
}

static inline __attribute__((always_inline)) struct shim_slot *kmm_enter(void)
{
	int cpu = tls_cpu;

	/*
	 * A thread new to the shim registers. So does one whose slot kmm's exit
	 * hook has given back (mm/cpu_slot.c: it zeroes kmm_cpu_cache, not
	 * tls_cpu): a thread-exit destructor that runs after the hook and
	 * mallocs or frees must not enter that slot, which another thread may
	 * own by now, nor register again inside the section of its stale one.
	 */
	if (unlikely(cpu < 0 || kmm_cpu_cache.serial != shim_serial))
		cpu = first_entry();
	else if (unlikely(kmm_cpu_shared(tls_guard)) &&
		 atomic_load_explicit(&shim_m->cpu_free, memory_order_relaxed))
		cpu = move_off_shared_slot();
	struct shim_slot *s = &slots[cpu];
	/* A listener on the slab's events (the OPS bracket's among them): slab_listened(). */
	if (unlikely(kmm_trace_on(shim_m, KMM_EVMASK_SLAB_FAST)))
		slab_listened();
	/*
	 * The slot's own guard (mm/include/cpu_slot.h): a thread alone on its
	 * slot enters with a plain store, and the allocators' sections nest in
	 * this one for nothing.
	 */
	tls_token = kmm_cpu_enter(tls_guard);
	in_kmm++;
	return s;
}

static inline __attribute__((always_inline)) void kmm_leave(struct shim_slot *s)
{
	(void)s;
	kmm_cpu_exit(tls_guard, tls_token);
	if (unlikely(tls_exiting))
		leave_exiting_thread();
	/* The check at the operation's end runs outside the slot's section, with in_kmm set. */
	if (unlikely(kmm_trace_on(shim_m, KMM_EVMASK_OPS)))
		kmm_op_end(shim_m);
	in_kmm--;
}

/* shim/introspect.c's way in: kmm_enter() and kmm_leave() out of line (its calls are rare). */
void shim_enter_slot(void)
{
	(void)kmm_enter();
}

void shim_leave_slot(void)
{
	kmm_leave(NULL);
}

/* ---- The allocator core ---- */

static void hardened_ram_free(void *p, const char *call, struct page *head);

static unsigned int size_order(size_t bytes)
{
	if (bytes <= PAGE_SIZE)
		return 0;
	return (unsigned int)fls_ul((bytes - 1) >> PAGE_SHIFT);
}

/*
 * What the slab's shadow says of @p (in RAM) whose block head is @head:
 * BLOCK_LIVE, BLOCK_FREED or BLOCK_NEVER; or -1 when live_map keeps @p's
 * state (hardened or debug mode, or not a slab page).
 */
static inline int slab_block_state(const void *p, struct page *head)
{
	if (!slab_shadow_bias || !PageSlab(head))
		return -1;
	if ((uintptr_t)p & ((1u << trim_shadow_shift) - 1))
		return BLOCK_NEVER;
	unsigned char sh = __atomic_load_n(
		(unsigned char *)(slab_shadow_bias + ((uintptr_t)p >> trim_shadow_shift)), __ATOMIC_RELAXED);
	return kmm_slab_shadow_live(sh) ? BLOCK_LIVE
	       : kmm_slab_shadow_freed(sh) ? BLOCK_FREED : BLOCK_NEVER;
}

/* Is @p (in RAM) a live block's start? */
bool block_live(const void *p)
{
	int st = slab_block_state(p, ram_head(p));

	return st >= 0 ? st == BLOCK_LIVE : live_test(p);
}

/* Was @p (in RAM) a block's start, freed since? */
bool block_freed(const void *p)
{
	int st = slab_block_state(p, ram_head(p));

	return st >= 0 ? st == BLOCK_FREED : freed_test(p);
}

/* Size of the usable block starting at live pointer @p inside RAM. */
size_t ram_usable(const void *p)
{
	struct page *head = ram_head(p);

	if (PageSlab(head)) {
		in_kmm++;
		size_t n = ksize(p);
		if (unlikely(harden_on))
			n = harden_small_size("malloc_usable_size", p, n, NULL);
		in_kmm--;
		return n;
	}
	uintptr_t start = (uintptr_t)lowmem_page_address_m(shim_m, head);
	size_t bytes = block_pages(head) << PAGE_SHIFT;
	if (unlikely(harden_on))
		return harden_pages_size("malloc_usable_size", p, (void *)start, bytes);
	return bytes - ((uintptr_t)p - start);
}

/*
 * A kmalloc object of the class for @want bytes that records @size as its
 * requested size: with slab_debug=U and Z the red zone starts right after
 * the bytes asked for, not at the end of the (rounded-up) class.
 */
static void *kmalloc_exact(size_t want, size_t size)
{
	if (use_classes && want <= SMALL_MAX)
		return kmem_cache_alloc(class_cache(class_index(want)), SHIM_GFP);
	if (likely(want == size) || !debug_mode)
		return kmalloc(want, SHIM_GFP);
	return kmalloc_orig_size(shim_m, want, size, SHIM_GFP,
				 (unsigned long)__builtin_return_address(0));
}

/* grow_gen before an allocation that may run short: shim_grow()'s @seen. */
static inline unsigned long grow_seen(void)
{
	return __atomic_load_n(&grow_gen, __ATOMIC_ACQUIRE);
}

/*
 * malloc ran short: plug in more RAM (at least @bytes), outside any slot's
 * section, under grow_lock (fork waits for a growth in progress). @seen is
 * grow_gen as it was before the allocation that failed: threads that run
 * short together all come here, and only the first grows; the others find
 * grow_gen moved on and try again in what it plugged in (each growth is a
 * 128M block: two for one shortage cost the bound a block and made MemTotal
 * depend on timing, review9-shim #3).
 * Return: true if there is more now (or may be: another thread grew).
 */
static __attribute__((noinline, cold)) bool shim_grow(size_t bytes, unsigned long seen)
{
	bool (*hook)(size_t) = __atomic_load_n(&grow_hook, __ATOMIC_ACQUIRE);
	int err = 0;

	if (hook && !hook(bytes))
		return false;
	spin_lock(&grow_lock);
	if (__atomic_load_n(&grow_gen, __ATOMIC_RELAXED) == seen) {
		in_kmm++;
		err = memory_hotplug_grow(shim_m, bytes);
		in_kmm--;
		if (!err)
			__atomic_store_n(&grow_gen, seen + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&grow_lock);
	return !err;
}

/*
 * The one allocation path. @align is a power of two; 16 is what malloc
 * promises (alignof(max_align_t)). Return: the block or NULL (errno ENOMEM).
 */
void *kmm_alloc(size_t size, size_t align, bool zero)
{
	void *p = NULL;

	if (!size)
		size = 1;
again:;
	unsigned long seen = grow_seen();
	if (unlikely(harden_fail_every) && harden_fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * kmalloc: classes of 16 bytes and up are 16-aligned, and a 2^k class is
	 * 2^k-aligned, so an alignment up to a page is a class of that size.
	 */
	if (use_kmalloc && align <= PAGE_SIZE && size <= SMALL_MAX) {
		size_t want = size;
		if (unlikely(harden_on))	/* header and red zones */
			want = harden_small_want(size, align);
		/*
		 * Red zones shift the 96 and 192 classes off 16-byte alignment;
		 * the power-of-two classes stay naturally aligned, so a debug
		 * run uses only those.
		 */
		if (align > 16 || unlikely(debug_mode))
			want = 1UL << fls_ul(KMM_MAX(want, align > 16 ? align : 1) - 1);
		if (want <= SMALL_MAX) {
			size_t need = (align == 16 && want <= 8) ? 8 : align;
			struct shim_slot *s = kmm_enter();
			void *obj = kmalloc_exact(want, size);
			p = obj;
			if (unlikely(harden_on) && obj)
				p = harden_small_place(obj, ksize(obj), size, align);
			/*
			 * calloc zeroes the bytes asked for itself: with slab_debug=U
			 * the rest of the object is a red zone (kmalloc's orig_size).
			 */
			if (p && zero)
				memset(p, 0, size);
			if (unlikely(p && ((uintptr_t)p & (need - 1)))) {
				/* A debug layout broke natural alignment: use pages. */
				kfree(obj);
				p = NULL;
				kmm_leave(s);
				goto pages;
			}
			kmm_leave(s);
			slab_verdict("malloc", p);
			if (!p && shim_grow(want, seen))
				goto again;
			if (!p) {
				errno = ENOMEM;
				return NULL;
			}
			/* kmalloc up to KMALLOC_MAX_CACHE_SIZE is always a slab object: its shadow says live. */
			if (unlikely(!slab_shadow_bias))
				live_set(p);
			goto out;
		}
	}
pages:;
	size_t slack = align > PAGE_SIZE ? align - PAGE_SIZE : 0;
	size_t bytes = unlikely(harden_on) ? harden_pages_bytes(size, align) : size + slack;
	if (size <= PAGES_MAX && bytes <= PAGES_MAX) {
		unsigned int order = size_order(bytes);
		/*
		 * An exact block starts at the pointer (block_pages() reads its
		 * first page): an alignment above a page takes a compound block
		 * with room to align inside it.
		 */
		bool exact = !unlikely(harden_on) && align <= PAGE_SIZE;
		size_t span = PAGE_SIZE << order;	/* the whole block: shim/blocks.h says why */
		struct shim_slot *s = kmm_enter();
		bool discard = zero && order >= ZERO_DISCARD_ORDER && anon_ram;
		struct page *pg = exact ? alloc_pages_whole(shim_m, SHIM_GFP, order) :
			alloc_pages(SHIM_GFP | __GFP_COMP | (zero && !discard ? __GFP_ZERO : 0), order);
		kmm_leave(s);
		if (!pg && shim_grow(bytes, seen))
			goto again;
		if (!pg) {
			errno = ENOMEM;
			return NULL;
		}
		trim_note_alloc(1UL << order);	/* what the trim spares follows these */
		uintptr_t a = (uintptr_t)lowmem_page_address_m(shim_m, pg);
		/*
		 * An mlock()ed range refuses the discard and keeps its bytes: clear
		 * them. An exact block is asked for without __GFP_ZERO and cleared
		 * here.
		 */
		if (discard ? sim_discard((void *)a, span) != 0 : zero && exact)
			memset((void *)a, 0, span);
		else if (exact && !zero && anon_ram)	/* its end, left by a bigger block */
			block_discard_top(a, span, size);
		pg->index = (span >> PAGE_SHIFT) | BLOCK_WHOLE;	/* block_pages() of a whole block */
		if (unlikely(harden_on)) {
			p = harden_pages_place((void *)a, span, size, align);
		} else {
			p = (void *)ALIGN_UP(a, align);
			pg->private = size | ASKED_TAG;	/* what realloc must carry (block_bytes_asked()) */
		}
		live_set(p);
		goto out;
	}
	p = huge_alloc(size, align, zero);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	if (stats_enabled)
		atomic_fetch_add(&stat_huge, 1);
out:
	if (stats_enabled) {
		in_kmm++;
		stat_add((long)kmm_usable(p));
		in_kmm--;
	}
	return p;
}

/* @p (in RAM, 8-aligned) is not a live block: say which misuse, and abort. */
static _Noreturn __attribute__((noinline)) void bad_ram_free(void *p, const char *call,
							     enum live_state was)
{
	if ((uintptr_t)p & 7)
		report_bad_pointer(call, "invalid pointer (not a block start)", p);
	if (was == BLOCK_FREED)
		report_bad_pointer(call, "double free", p);
	report_bad_pointer(call, "invalid pointer (never returned by malloc)", p);
}

/* Free @p, known to be inside RAM. @call names the API for the report. */
static void ram_free(void *p, const char *call)
{
	struct page *head = ram_head(p);
	int st = slab_block_state(p, head);
	enum live_state was = st >= 0 ? (enum live_state)st : live_clear(p);

	if (unlikely(was != BLOCK_LIVE))
		bad_ram_free(p, call, was);
	if (stats_enabled)
		stat_add(-(long)ram_usable(p));
	if (unlikely(harden_on)) {
		hardened_ram_free(p, call, head);
		return;
	}
	struct shim_slot *s = kmm_enter();
	if (PageSlab(head)) {
		kfree(p);
		if (unlikely(slot_free_counted(s, SLOW_FREE_WEIGHT)))
			trim_check(shim_m);
		kmm_leave(s);
		slab_verdict(call, p);
		return;
	}
	unsigned long nr = block_pages(head);
	block_free(head);
	/* once per 64 KiB of blocks freed on the slot (trim_check(): ~97 instructions) */
	if (slot_free_counted(s, nr << PAGE_SHIFT))
		trim_check(shim_m);
	kmm_leave(s);
}

/*
 * Hardened: check the red zone, then hold the block in quarantine; what
 * leaves the quarantine goes back to kmm.
 */
static __attribute__((noinline)) void hardened_ram_free(void *p, const char *call,
							struct page *head)
{
	if (PageSlab(head)) {
		void *obj;
		in_kmm++;
		size_t usable = ksize(p);
		in_kmm--;
		harden_small_size(call, p, usable, &obj);
		struct shim_slot *s = kmm_enter();
		void *q = harden_quarantine_small(tls_cpu, p, obj, usable);
		if (q)
			kfree(q);
		kmm_leave(s);
		slab_verdict(call, p);
		return;
	}
	unsigned int order = compound_order(head);
	void *start = lowmem_page_address_m(shim_m, head);
	harden_pages_size(call, p, start, PAGE_SIZE << order);
	harden_pages_unguard(start, PAGE_SIZE << order);
	struct shim_slot *s = kmm_enter();
	void *q = harden_quarantine_pages(tls_cpu, p, start, PAGE_SIZE << order);
	if (q) {
		struct page *qh = compound_head(ram_page(q));
		__free_pages(qh, compound_order(qh));
	}
	trim_check(shim_m);
	kmm_leave(s);
}

/*
 * realloc of live page block @p (in RAM, not hardened) to @size bytes
 * (SMALL_MAX < @size <= PAGES_MAX) without moving it: an exact block grows
 * into the free pages right after it (extend_pages_exact()) or gives its
 * end back (shrink_pages_exact()), as glibc grows a chunk into the top of
 * its heap and mremap() a mapping into the addresses after it. A compound
 * block (hardened) or a slab object stays where it is.
 * Return: true if @p now holds @size bytes (and the block's record says so).
 */
bool ram_resize(void *p, size_t size)
{
	struct page *head = ram_head(p);

	if (PageSlab(head) || PageHead(head))
		return false;
	void *start = lowmem_page_address_m(shim_m, head);
	unsigned long nr = block_pages(head);
	unsigned long want = ALIGN_UP((uintptr_t)p - (uintptr_t)start + size, PAGE_SIZE) >> PAGE_SHIFT;
	int err = 0;

	if (want != nr) {
		struct shim_slot *s = kmm_enter();
		block_make_exact(head);	/* a whole block is split first: pages come and go singly */
		if (want > nr) {
			err = extend_pages_exact(start, nr << PAGE_SHIFT, want << PAGE_SHIFT);
		} else {
			shrink_pages_exact(start, nr << PAGE_SHIFT, want << PAGE_SHIFT);
			trim_check(shim_m);
		}
		kmm_leave(s);
		if (err)
			return false;
		head->index = want;
	}
	if (head->private & ASKED_TAG)	/* no record (malloc_usable_size() asked): none now either */
		head->private = size | ASKED_TAG;
	return true;
}

size_t kmm_usable(const void *p)
{
	if (in_ram(p))
		return block_live(p) ? ram_usable(p) : 0;
	struct huge_entry e;
	if (huge_lookup((uintptr_t)p, &e))
		return e.usable;
	return 0;
}

/* ---- The C API: malloc and free (the rest of it: shim/realloc.c) ---- */

static __attribute__((noinline)) void *malloc_slow(size_t size)
{
	if (unlikely(in_kmm) || unlikely(!shim_ready()))
		return __libc_malloc(size);
	/*
	 * malloc()'s lock-free path found this CPU's sheaf and cpu freelist
	 * empty: a sheaf from the barn the same lock-free way, before
	 * kmm_alloc()'s long way to it (kmem_cache_alloc_barn()).
	 */
	if (__atomic_load_n(&lockfree_on, __ATOMIC_ACQUIRE) && size - 1 < SMALL_MAX) {
		void *p = kmem_cache_alloc_barn(class_cache(class_index(size)));
		if (p)
			return p;
	}
	void *p = kmm_alloc(size, 16, false);
	SHIM_TRACE(shim_trace_alloc(p, size, 0));
	return p;
}

/*
 * malloc and free of a small block try the slab's lock-free paths first,
 * inline (kmem_cache_alloc_mapped(), kfree_fast_mapped(), mm/slab_fast.h:
 * this CPU's sheaf or cpu slab; out of line they cost 24 M more instructions
 * of small_churn's 461 M), from outside any kmm section: no in_kmm, no section
 * token, no second entry of the slot by the slab (a section entered here made
 * the slab's own fast path step aside for its nested path). They touch nothing
 * that could call malloc; whatever they cannot finish takes the long way.
 * malloc() reads its class's code with acquire (class_code[]: 0 until the
 * shim is up), free() free_map's gate (its granules): each is set
 * (release) once the shim is up, and neither asks the machine's serial
 * (mm/slab_fast.h's _sole paths: slab_listened() says why they may not):
 * 4 instructions fewer in each (small_churn 1000000 100000: malloc 47.9 ->
 * 44.3 a call, free 43.4 -> 39.8; cachegrind, Release). With in_kmm clear
 * this thread is in no section of its slot (the sections the shim enters
 * without in_kmm are lock-free paths that call nothing that allocates;
 * keep them so), so malloc() enters its slot without a look at the depth
 * (kmem_cache_alloc_mapped_sole(): 44.3 -> 40.7 a call with the sheaf's
 * count stored first). free() keeps that look: kmm's own frees inside a
 * section (a bug that free_slow() reports) are refused by it.
 */
void *malloc(size_t size)
{
	size_t k = size - 1;	/* class_index(size) is 1 + k / 8: the add is in the address */

	if (likely(k < SMALL_MAX && !in_kmm)) {
		unsigned long v = __atomic_load_n(&class_code[1 + (k >> 3)], __ATOMIC_ACQUIRE);
		if (likely(v)) {
			void *p = kmem_cache_alloc_mapped_sole(&free_map, v);
			if (likely(p))
				return p;
		}
	}
	return malloc_slow(size);
}

static __attribute__((noinline)) void free_slow(void *p);

/*
 * free() asks kfree_fast() (through free_map: kfree_fast_mapped_sole()) without
 * testing in_ram() or tls_cpu first: its own range test refuses a pointer
 * outside the RAM, NULL included, and a thread with no slot finds the
 * closed guard in kmm_cpu_cache (kmm_cpu_guard_closed), which refuses it.
 * The range is also the gate (free_map.granules: class_codes_set(), shut
 * while anyone listens to the slab's events: slab_listened()), so no
 * serial and no lockfree_on test; nor in_kmm: kmm's frees inside a slot section find it
 * entered (kmm_cpu_enter_owned() refuses) and free_slow() judges them as
 * before; outside one kmm frees only glibc's pointers, out of range.
 * It hands back the pointer it did not free (NULL: done), so that no
 * register is kept across its one call (half a full sheaf to the barn).
 * Nothing is counted here for the trim check (slot_free_counted(): the
 * slow frees are, for the frees they stand for). 43 -> 29 -> 16
 * instructions in free() itself (callgrind, small_churn).
 */
void free(void *p)
{
	p = kfree_fast_mapped_sole(&free_map, p);
	if (likely(!p))
		return;
	free_slow(p);
}

static __attribute__((noinline)) void free_slow(void *p)
{
	if (!p)
		return;
	if (!in_kmm)
		SHIM_TRACE(shim_trace_free(p));
	if (likely(ram_start) && in_ram(p)) {
		if (unlikely(in_kmm))
			report_bad_pointer("free", "kmm freed a block of the program:", p);
		ram_free(p, "free");
		return;
	}
	/*
	 * Not booted yet (a program that frees before its first malloc, e.g. a
	 * stack address): boot, so that the pointer is judged as it would be
	 * later, not handed to glibc unseen.
	 */
	if (unlikely(in_kmm) || !shim_ready()) {
		__libc_free(p);
		return;
	}
	size_t bytes = huge_free(p, "free");
	if (stats_enabled && bytes)
		stat_add(-(long)bytes);
}

int malloc_trim(size_t pad)
{
	if (in_kmm || atomic_load(&shim_state) != SHIM_UP)
		return 0;
	struct shim_slot *s = kmm_enter();
	unsigned long pages = shim_trim_locked(shim_m, 0, 0, true);
	kmm_leave(s);
	size_t cached = huge_cache_trim();	/* always, whatever the pages gave */
	cached += huge_trim_tails();		/* and the live huge blocks' spare tails */
	return pages > 0 || cached > 0;
}
