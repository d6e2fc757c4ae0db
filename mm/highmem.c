// SPDX-License-Identifier: MIT
/*
 * mm/highmem.c - temporary and permanent kernel mappings of highmem pages:
 * kmap (PKMAP slots), kmap_local_page and kmap_atomic (per-CPU fixmap slots),
 * page_address(), and the page-bytes helpers built on kmap_local_page()
 * (clear_highpage, copy_highpage, clear_user_highpage, copy_user_highpage,
 * memcpy_from_page, memcpy_to_page).
 *
 * These are the only way kernel code reaches a page's bytes: a lowmem page
 * through its direct-map address, a highmem page through a slot mapped for
 * the purpose. The MMU's own window onto RAM (arch/sim/mmu.c) is the
 * simulated hardware's, for the loads and stores of simulated processes.
 *
 * Linux counterpart: mm/highmem.c (6.12). Kept: LAST_PKMAP slots with
 * Linux's pkmap_count[] meaning (0 free; 1 mapped but unused, waiting for the
 * next flush; n > 1 in use by n - 1 kmap()s); the slot search that starts
 * after the last slot used and, on wrapping, flushes every unused slot at
 * once (flush_all_zero_pkmaps, one TLB flush); page_address() of a kmapped
 * page through a hash from page to slot; kmap_local slots as a per-CPU stack
 * of KM_MAX_IDX fixmap entries at __fix_to_virt(FIX_KMAP_BEGIN + idx).
 * Simplified: FIX_KMAP_BEGIN is fixmap index 1 (just above FIX_HOLE); the
 * kmap_local stack belongs to the CPU slot, not to the task (kmm's threads
 * keep their slot). Added: unmapping a kmap_local out of order, or kunmap()
 * of a page that is not kmapped, is reported as an error (Linux WARNs) and
 * changes nothing.
 *
 * Every mapping is real: the frame of the memory file is mapped at the
 * slot's host address (kernel_map_pages), so kmap(page) and the page's other
 * mappings show the same bytes.
 *
 * On x86_64 there is no highmem: every function here reduces to
 * page_address(), as in Linux.
 *
 * Invariant (kmap_check): a slot with pkmap_count > 0 holds a page that is
 * PG_highmem_mapped and found by the hash at that slot; no page is in two
 * slots; each CPU's stack depth is within [0, KM_MAX_IDX].
 *
 * Locking: ks->lock (Linux's kmap_lock) for the PKMAP slots and the hash; a
 * CPU's kmap_local stack is only touched by the thread owning that CPU slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/vmalloc.h"
#include "mm/include/addr.h"
#include "mm/include/highmem.h"
#include "mm/include/mmdebug.h"
#include "mm/include/pgtable.h"
#include "mm/internal.h"

#define KM_MAX_IDX 16		/* kmap_local slots per CPU (no CONFIG_DEBUG_KMAP_LOCAL) */
#define FIX_KMAP_BEGIN 1	/* fixmap index of the first kmap_local slot */
#define KMAP_WAIT_NS (10ull * 1000000000ull)	/* give up waiting for a slot after 10 s */

struct kmap_ctrl {
	int idx;				/* depth of the stack */
	int atomic;				/* of which kmap_atomic */
	struct page *pages[KM_MAX_IDX];
	/*
	 * The frame each slot's host address still shows after kunmap_local,
	 * plus one (0: none, so that a CPU's zero piece needs no constructor
	 * and lies with the per-CPU area's plain pieces, not in the page every
	 * populated CPU slot touches: mm/include/percpu.h). Release builds
	 * leave the host mapping in place when a slot is unmapped - its PTE is
	 * cleared, as Linux's - so the next kmap_local of the slot is one host
	 * call instead of two; debug builds unmap it, so a use after
	 * kunmap_local faults on the host.
	 */
	unsigned long host_frame[KM_MAX_IDX];
};

#ifdef KMM_DEBUG_VM
#define KEEP_HOST_MAPPING false
#else
#define KEEP_HOST_MAPPING true
#endif

struct kmap_state {
	spinlock_t lock;		/* kmap_lock: everything up to cpu */
	int last_pkmap;			/* immutable */
	uint64_t pkmap_base;		/* immutable */
	int *pkmap_count;
	struct page **pkmap_page;
	int last_pkmap_nr;
	unsigned int hash_size;		/* power of two, immutable */
	int *hash_head, *hash_next;	/* page -> slot chains, -1 terminated */
	unsigned long nr_flushes;
	int nr_waiting;
	struct kmap_ctrl *cpu;		/* per-CPU (per_cpu_ptr()), each owned by its CPU slot */
};

static struct kmap_state *kstate(struct kmm_machine *m)
{
	return m ? m->subsys[SUBSYS_HIGHMEM] : NULL;
}

static bool page_is_highmem(struct kmm_machine *m, const struct page *page)
{
	return page_is_highmem_m(m, page);
}

static uint64_t pkmap_addr(const struct kmap_state *ks, int slot)
{
	return ks->pkmap_base + (uint64_t)slot * PAGE_SIZE;
}

static uint64_t fix_kmap_addr(struct kmm_machine *m, int cpu, int idx)
{
	return m->layout.fixaddr_top - (uint64_t)(FIX_KMAP_BEGIN + cpu * KM_MAX_IDX + idx) * PAGE_SIZE;
}

/* ---- The page -> slot hash ---- */

static unsigned int hash_of(const struct kmap_state *ks, const struct page *page)
{
	uintptr_t x = (uintptr_t)page / sizeof(struct page);

	return (unsigned int)((x * 0x9E3779B97F4A7C15ull) >> 40) & (ks->hash_size - 1);
}

static int hash_find(const struct kmap_state *ks, const struct page *page)
{
	for (int s = ks->hash_head[hash_of(ks, page)]; s >= 0; s = ks->hash_next[s])
		if (ks->pkmap_page[s] == page)
			return s;
	return -1;
}

static void hash_add(struct kmap_state *ks, int slot)
{
	unsigned int h = hash_of(ks, ks->pkmap_page[slot]);

	ks->hash_next[slot] = ks->hash_head[h];
	ks->hash_head[h] = slot;
}

static void hash_del(struct kmap_state *ks, int slot)
{
	int *link = &ks->hash_head[hash_of(ks, ks->pkmap_page[slot])];

	while (*link != slot)
		link = &ks->hash_next[*link];
	*link = ks->hash_next[slot];
	ks->hash_next[slot] = -1;
}

/* ---- kmap ---- */

/* Unmap every slot nobody uses any more (count 1), with one flush. Caller holds ks->lock. */
static void flush_all_zero_pkmaps(struct kmm_machine *m, struct kmap_state *ks)
{
	bool flushed = false;

	lockdep_assert_held(&ks->lock);
	for (int i = 0; i < ks->last_pkmap; i++) {
		if (ks->pkmap_count[i] != 1)
			continue;
		struct page *page = ks->pkmap_page[i];

		ks->pkmap_count[i] = 0;
		kernel_unmap_pages(m, pkmap_addr(ks, i), 1);
		hash_del(ks, i);
		page_flag_clear(page, PG_highmem_mapped);
		ks->pkmap_page[i] = NULL;
		flushed = true;
	}
	if (flushed)
		ks->nr_flushes++;	/* flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP)) */
}

/* A free slot for @page, mapped; -1 if every slot is in use. Caller holds ks->lock. */
static int map_new_virtual(struct kmm_machine *m, struct kmap_state *ks, struct page *page)
{
	int count = ks->last_pkmap;

	lockdep_assert_held(&ks->lock);
	for (;;) {
		ks->last_pkmap_nr = (ks->last_pkmap_nr + 1) & (ks->last_pkmap - 1);
		if (!ks->last_pkmap_nr) {
			flush_all_zero_pkmaps(m, ks);
			count = ks->last_pkmap;
		}
		if (!ks->pkmap_count[ks->last_pkmap_nr])
			break;
		if (--count == 0)
			return -1;
	}
	int slot = ks->last_pkmap_nr;
	unsigned long pfn = page_to_pfn_m(m, page);

	if (kernel_map_pages(m, pkmap_addr(ks, slot), &pfn, 1, PAGE_KERNEL))
		return -2;
	ks->pkmap_page[slot] = page;
	ks->pkmap_count[slot] = 1;
	hash_add(ks, slot);
	page_flag_set(page, PG_highmem_mapped);
	return slot;
}

static void *__kmap(struct page *page);

/*
 * kmap() and kmap_local_page() as one operation each for the stream's
 * subscribers (mm/events.c): on its first use the kernel page table is
 * built, under ks->lock, and nothing may check the machine in between.
 */
void *kmap(struct page *page)
{
	struct kmm_machine *m = page_machine(page);

	if (!kmm_trace_on(m, KMM_EVMASK_OPS))
		return __kmap(page);
	kmm_op_begin(m);
	void *p = __kmap(page);
	kmm_op_end(m);
	return p;
}

static void *__kmap(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct kmap_state *ks = kstate(m);

	if (!page_is_highmem(m, page))
		return lowmem_page_address_m(m, page);
	if (!ks || !ks->last_pkmap) {
		kmm_set_error(-ENODEV, "kmap: this machine has no PKMAP area");
		return NULL;
	}
	uint64_t waited_since = 0;

	(void)kmm_this_cpu(m);	/* count this thread among the machine's CPUs (see below) */
	spin_lock(&ks->lock);
	for (;;) {
		int slot = hash_find(ks, page);

		if (slot < 0)
			slot = map_new_virtual(m, ks, page);
		if (slot >= 0) {
			ks->pkmap_count[slot]++;
			/* Set again: the page may have been freed (flags cleared) since. */
			page_flag_set(page, PG_highmem_mapped);
			spin_unlock(&ks->lock);
			return kernel_va_to_host(m, pkmap_addr(ks, slot));
		}
		if (slot == -2) {
			spin_unlock(&ks->lock);
			return NULL;	/* kernel_map_pages set the message */
		}
		/*
		 * Every slot is in use. Linux sleeps on pkmap_map_wait until a
		 * kunmap() frees one. With one thread nobody can, so say so.
		 */
		bool alone = kmm_cpu_threads(m) <= 1;
		if (!waited_since)
			waited_since = sim_now_ns();
		if (alone || sim_now_ns() - waited_since > KMAP_WAIT_NS) {
			spin_unlock(&ks->lock);
			kmm_set_error(-EBUSY, "kmap: all LAST_PKMAP=%d slots are in use%s; kunmap() "
				      "a page first", ks->last_pkmap,
				      alone ? " and no other thread can free one" : " (waited 10 s)");
			return NULL;
		}
		ks->nr_waiting++;
		spin_unlock(&ks->lock);
		sim_yield();
		spin_lock(&ks->lock);
		ks->nr_waiting--;
	}
}

int kmap_nr_waiting(struct kmm_machine *m)
{
	struct kmap_state *ks = kstate(m);
	int n;

	if (!ks)
		return 0;
	spin_lock(&ks->lock);
	n = ks->nr_waiting;
	spin_unlock(&ks->lock);
	return n;
}

int kunmap(struct page *page)
{
	struct kmm_machine *m = page_machine(page);
	struct kmap_state *ks = kstate(m);

	if (!page_is_highmem(m, page))
		return 0;
	if (!ks)
		return kmm_set_error(-ENODEV, "kunmap: this machine has no PKMAP area");
	spin_lock(&ks->lock);
	int slot = hash_find(ks, page);
	if (slot < 0 || ks->pkmap_count[slot] < 2) {
		spin_unlock(&ks->lock);
		kmm_printk(m, "WARNING: kunmap() of pfn %#lx, which is not kmapped",
			   page_to_pfn_m(m, page));
		return kmm_set_error(-EINVAL, "kunmap: page (pfn %#lx) is not kmapped",
				     page_to_pfn_m(m, page));
	}
	/* Down to 1: unused; the slot stays mapped until the next flush. */
	ks->pkmap_count[slot]--;
	spin_unlock(&ks->lock);
	return 0;
}

/* page_address() of a highmem page: its PKMAP address while kmap()ped. */
static void *page_address_in_pkmap(struct kmm_machine *m, const struct page *page)
{
	struct kmap_state *ks = kstate(m);
	void *host = NULL;

	if (!ks || !page_flag_test(page, PG_highmem_mapped))
		return NULL;
	spin_lock(&ks->lock);
	int slot = hash_find(ks, page);
	if (slot >= 0 && ks->pkmap_count[slot] > 0)
		host = kernel_va_to_host(m, pkmap_addr(ks, slot));
	spin_unlock(&ks->lock);
	return host;
}

/**
 * page_address() - host pointer to the bytes of @page: the direct-map address
 * of a lowmem page; for highmem, the PKMAP address while the page is kmap()ped
 * (found through the page -> slot hash), otherwise NULL, as Linux's.
 */
void *page_address(const struct page *page)
{
	struct kmm_machine *m;

	if (!page)
		return NULL;
	m = kmm_page_machine(page);
	if (!m)
		return NULL;
	if (!pfn_is_highmem(m, page_to_pfn_m(m, page)))
		return lowmem_page_address_m(m, page);
	return page_address_in_pkmap(m, page);
}

/* ---- kmap_local / kmap_atomic ---- */

/* A highmem page into this CPU's next fixmap slot. */
static void *kmap_local_high(struct kmm_machine *m, struct page *page, bool atomic)
{
	struct kmap_state *ks = kstate(m);

	if (!ks) {
		kmm_set_error(-ENODEV, "kmap_local: this machine has no fixmap slots");
		return NULL;
	}
	int cpu = kmm_this_cpu(m);
	struct kmap_ctrl *c = per_cpu_ptr(ks->cpu, cpu);

	if (c->idx >= KM_MAX_IDX) {
		kmm_set_error(-EBUSY, "%s: all KM_MAX_IDX=%d slots of CPU %d are in use (nested "
			      "too deep)", atomic ? "kmap_atomic" : "kmap_local_page", KM_MAX_IDX, cpu);
		return NULL;
	}
	uint64_t va = fix_kmap_addr(m, cpu, c->idx);
	unsigned long pfn = page_to_pfn_m(m, page);

	if (kernel_map_fixmap(m, va, pfn, c->host_frame[c->idx] == pfn + 1)) {
		c->host_frame[c->idx] = 0;
		return NULL;
	}
	c->host_frame[c->idx] = pfn + 1;
	c->pages[c->idx++] = page;
	c->atomic += atomic;
	return kernel_va_to_host(m, va);
}

static int kunmap_local_common(const void *addr, bool atomic)
{
	const char *who = atomic ? "kunmap_atomic" : "kunmap_local";
	struct kmm_machine *m = kmm_current();

	if (!addr)
		return kmm_set_error(-EINVAL, "%s(NULL)", who);
	if (likely(m && virt_addr_valid_m(m, addr)))
		return 0;	/* a lowmem page's direct-map address: nothing was mapped */
	m = kmm_machine_of_kernel_window(addr);
	struct kmap_state *ks = kstate(m);

	if (!m || !ks || !kmm_arch_is_32(m))
		return 0;	/* a lowmem (direct map) address: nothing was mapped */
	int cpu = kmm_this_cpu(m);
	struct kmap_ctrl *c = per_cpu_ptr(ks->cpu, cpu);
	uint64_t va = kernel_host_to_va(m, addr) & ~(uint64_t)(PAGE_SIZE - 1);

	if (!c->idx) {
		kmm_printk(m, "WARNING: %s(%#llx) with no kmap_local mapping on CPU %d", who,
			   (unsigned long long)va, cpu);
		return kmm_set_error(-EINVAL, "%s: %#llx: nothing is kmap_local-mapped on CPU %d",
				     who, (unsigned long long)va, cpu);
	}
	uint64_t top = fix_kmap_addr(m, cpu, c->idx - 1);
	if (va != top) {
		kmm_printk(m, "WARNING: %s(%#llx) out of order: the most recent mapping on CPU %d "
			   "is %#llx", who, (unsigned long long)va, cpu, (unsigned long long)top);
		return kmm_set_error(-EINVAL, "%s: %#llx is not the most recent kmap_local mapping "
				     "of CPU %d (that is %#llx): unmap in the reverse order of mapping",
				     who, (unsigned long long)va, cpu, (unsigned long long)top);
	}
	kernel_unmap_fixmap(m, va, KEEP_HOST_MAPPING);	/* one TLB entry flushed */
	if (!KEEP_HOST_MAPPING)
		c->host_frame[c->idx - 1] = 0;
	c->pages[--c->idx] = NULL;
	if (atomic && c->atomic)
		c->atomic--;
	return 0;
}

/* A highmem page's kmap_local as one operation for the stream's subscribers (mm/events.c). */
static void *kmap_local_bracketed(struct kmm_machine *m, struct page *page, bool atomic)
{
	if (!kmm_trace_on(m, KMM_EVMASK_OPS))
		return kmap_local_high(m, page, atomic);
	kmm_op_begin(m);
	void *p = kmap_local_high(m, page, atomic);
	kmm_op_end(m);
	return p;
}

void *kmap_local_page(struct page *page)
{
	struct kmm_machine *m = page_machine(page);

	if (likely(!page_is_highmem(m, page)))
		return lowmem_page_address_m(m, page);
	return kmap_local_bracketed(m, page, false);
}

int kunmap_local(const void *addr)
{
	return kunmap_local_common(addr, false);
}

void *kmap_atomic(struct page *page)
{
	struct kmm_machine *m = page_machine(page);

	if (!page_is_highmem(m, page))
		return lowmem_page_address_m(m, page);
	return kmap_local_bracketed(m, page, true);
}

int kunmap_atomic(const void *addr)
{
	return kunmap_local_common(addr, true);
}

int kmap_local_depth(struct kmm_machine *m)
{
	struct kmap_state *ks = kstate(m);

	return ks ? per_cpu_ptr(ks->cpu, kmm_this_cpu(m))->idx : 0;
}

/* ---- Page bytes through kmap_local_page() ---- */

/*
 * A page's bytes for a helper below, or NULL with a dmesg line when a
 * highmem page cannot be mapped (no highmem layer, or this CPU's kmap_local
 * stack is full): the helper then leaves the page as it is.
 */
static void *map_for(struct page *page, const char *who)
{
	void *p = kmap_local_page(page);

	if (unlikely(!p)) {
		struct kmm_machine *m = page_machine(page);

		kmm_printk(m, "%s: cannot map pfn %#lx: %s", who, page_to_pfn_m(m, page),
			   kmm_last_error());
	}
	return p;
}

/*
 * Undo map_for(@page) = @p. A lowmem page was not mapped (its direct-map
 * address): nothing to undo, and kunmap_local() is not asked to find that
 * out - which, on a thread that never called kmm_use(), means looking for
 * the address in every machine's window (the page cache's copy to and from
 * user buffers runs here for every page).
 */
static inline __attribute__((always_inline)) void unmap_for(struct page *page, void *p)
{
	if (unlikely(page_is_highmem(page_machine(page), page)))
		kunmap_local(p);
}

/**
 * clear_highpage() - zero @page through kmap_local_page() (the page
 * allocator's __GFP_ZERO path, and every other zeroing of a whole page).
 */
void clear_highpage(struct page *page)
{
	void *p = map_for(page, "clear_highpage");

	if (p) {
		memset(p, 0, PAGE_SIZE);
		unmap_for(page, p);
	}
}

void copy_highpage(struct page *to, struct page *from)
{
	char *src = map_for(from, "copy_highpage");

	if (!src)
		return;
	char *dst = map_for(to, "copy_highpage");
	if (dst) {
		memcpy(dst, src, PAGE_SIZE);
		unmap_for(to, dst);
	}
	unmap_for(from, src);
}

void memcpy_from_page(char *to, struct page *page, size_t offset, size_t len)
{
	char *p = map_for(page, "memcpy_from_page");

	if (!p)
		return;
	memcpy(to, p + offset, len);
	unmap_for(page, p);
}

void memcpy_to_page(struct page *page, size_t offset, const char *from, size_t len)
{
	char *p = map_for(page, "memcpy_to_page");

	if (!p)
		return;
	memcpy(p + offset, from, len);
	unmap_for(page, p);
}

/* ---- Checker, drain, init, shutdown ---- */

/*
 * No PKMAP slot in use and every kmap_local stack empty? With @flush, the
 * unused slots (count 1) are unmapped first, as the next flush would.
 */
static bool kmaps_idle(struct kmm_machine *m, bool flush)
{
	struct kmap_state *ks = kstate(m);
	bool idle = true;

	if (!ks)
		return true;
	spin_lock(&ks->lock);
	if (flush && ks->last_pkmap)
		flush_all_zero_pkmaps(m, ks);
	for (int i = 0; i < ks->last_pkmap; i++)
		if (ks->pkmap_count[i])
			idle = false;
	for (int c = 0; c < m->nr_cpus; c++)
		if (cpu_populated(&m->percpu, c) && per_cpu_ptr(ks->cpu, c)->idx)
			idle = false;	/* (a slot never handed out has mapped nothing) */
	spin_unlock(&ks->lock);
	return idle;
}

bool kmap_idle(struct kmm_machine *m)
{
	return kmaps_idle(m, false);
}

bool kmap_drain(struct kmm_machine *m)
{
	return kmaps_idle(m, true);
}

int kmap_check(struct kmm_machine *m)
{
	struct kmap_state *ks = kstate(m);
	int err = 0;

	if (!ks)
		return 0;
	spin_lock(&ks->lock);
	for (int i = 0; i < ks->last_pkmap && !err; i++) {
		struct page *p = ks->pkmap_page[i];

		if (ks->pkmap_count[i] < 0)
			err = kmm_set_error(-EUCLEAN, "kmap: pkmap_count[%d] = %d", i, ks->pkmap_count[i]);
		else if (!ks->pkmap_count[i] && p)
			err = kmm_set_error(-EUCLEAN, "kmap: free slot %d still holds a page", i);
		else if (ks->pkmap_count[i] && !p)
			err = kmm_set_error(-EUCLEAN, "kmap: slot %d counted %d but holds no page", i,
					    ks->pkmap_count[i]);
		else if (p && hash_find(ks, p) != i)
			err = kmm_set_error(-EUCLEAN, "kmap: slot %d's page (pfn %#lx) is not hashed "
					    "to it", i, page_to_pfn_m(m, p));
		/*
		 * A slot at count 1 is unused and only waits for the next flush;
		 * its page may have been freed meanwhile, as in Linux. In use
		 * (count > 1), the page must be live and flagged.
		 */
		else if (ks->pkmap_count[i] > 1 && !page_flag_test(p, PG_highmem_mapped))
			err = kmm_set_error(-EUCLEAN, "kmap: slot %d's page (pfn %#lx) is kmapped but "
					    "not PG_highmem_mapped", i, page_to_pfn_m(m, p));
		else if (ks->pkmap_count[i] > 1 && page_ref_count(p) <= 0)
			err = kmm_set_error(-EUCLEAN, "kmap: slot %d maps pfn %#lx, which has no "
					    "reference", i, page_to_pfn_m(m, p));
	}
	for (int c = 0; c < m->nr_cpus && !err; c++) {
		const struct kmap_ctrl *kc = per_cpu_ptr(ks->cpu, c);

		if (!cpu_populated(&m->percpu, c))
			continue;	/* never handed out: never set up */
		if (kc->idx < 0 || kc->idx > KM_MAX_IDX)
			err = kmm_set_error(-EUCLEAN, "kmap_local: CPU %d stack depth %d", c, kc->idx);
	}
	spin_unlock(&ks->lock);
	if (err)
		kmm_printk(m, "kmap check: %s", kmm_last_error());
	return err;
}

static void kmap_shutdown(struct kmm_machine *m)
{
	struct kmap_state *ks = kstate(m);

	if (!ks)
		return;
	free(ks->pkmap_count);
	free(ks->pkmap_page);
	free(ks->hash_head);
	free(ks->hash_next);
	pcpu_free(m, ks->cpu);
	free(ks);
	m->subsys[SUBSYS_HIGHMEM] = NULL;
}

static int kmap_init(struct kmm_machine *m)
{
	struct kmap_state *ks = calloc(1, sizeof(*ks));

	if (!ks)
		return -ENOMEM;
	spin_lock_init(&ks->lock);
	/* All zero is an empty stack: no constructor (struct kmap_ctrl). */
	ks->cpu = pcpu_alloc(m, sizeof(*ks->cpu), NULL, NULL);
	m->subsys[SUBSYS_HIGHMEM] = ks;
	if (!ks->cpu)
		goto out_nomem;
	if (!kmm_arch_is_32(m) || m->layout.last_pkmap <= 0)
		return 0;
	ks->last_pkmap = m->layout.last_pkmap;
	if (ks->last_pkmap & (ks->last_pkmap - 1)) {
		kmap_shutdown(m);
		return kmm_set_error(-EINVAL, "kmap_init: LAST_PKMAP %d is not a power of two",
				     m->layout.last_pkmap);
	}
	ks->pkmap_base = m->layout.pkmap_base;
	ks->hash_size = (unsigned int)ks->last_pkmap;
	ks->pkmap_count = calloc((size_t)ks->last_pkmap, sizeof(int));
	ks->pkmap_page = calloc((size_t)ks->last_pkmap, sizeof(struct page *));
	ks->hash_head = malloc(ks->hash_size * sizeof(int));
	ks->hash_next = malloc((size_t)ks->last_pkmap * sizeof(int));
	if (!ks->pkmap_count || !ks->pkmap_page || !ks->hash_head || !ks->hash_next)
		goto out_nomem;
	memset(ks->hash_head, 0xff, ks->hash_size * sizeof(int));
	memset(ks->hash_next, 0xff, (size_t)ks->last_pkmap * sizeof(int));
	if (!kernel_va_to_host(m, ks->pkmap_base) ||
	    !kernel_va_to_host(m, fix_kmap_addr(m, m->nr_cpus - 1, KM_MAX_IDX - 1))) {
		kmap_shutdown(m);
		return kmm_set_error(-EINVAL, "kmap_init: PKMAP %#llx or the fixmap kmap slots lie "
				     "outside the kernel window", (unsigned long long)m->layout.pkmap_base);
	}
	if (fix_kmap_addr(m, m->nr_cpus - 1, KM_MAX_IDX - 1) < m->layout.fixaddr_start)
		kmm_printk(m, "kmap: %d CPUs x %d kmap_local slots reach below FIXADDR_START %#llx",
			   m->nr_cpus, KM_MAX_IDX, (unsigned long long)m->layout.fixaddr_start);
	return 0;
out_nomem:
	kmap_shutdown(m);
	return -ENOMEM;
}

/* ---- The highmem entry of the subsystem table ---- */

/*
 * The PKMAP and fixmap kmap slots, after the vmalloc layer's window exists.
 * (6.12's x86 mem_init() prints no "virtual kernel memory layout:" block;
 * the CLI's layout verb draws that picture.)
 */
static int highmem_init(struct kmm_machine *m)
{
	return kmap_init(m);
}

static void highmem_drain(struct kmm_machine *m)
{
	kmap_drain(m);
}

/* Its state is kstate(m): m->subsys[SUBSYS_HIGHMEM]. */
const struct kmm_subsys highmem_subsys = {
	.name = "highmem",
	.id = SUBSYS_HIGHMEM,
	.init = highmem_init,
	.check = kmap_check,
	.drain = highmem_drain,
	.shutdown = kmap_shutdown,
};
