// SPDX-License-Identifier: MIT
/*
 * arch/sim/mmu.c - the software MMU: hardware page walk, per-thread TLBs, flushes.
 *
 * Linux counterpart: none (this is the CPU); the flush policy mirrors
 * arch/x86/mm/tlb.c (flush_tlb_mm_range with tlb_single_page_flush_ceiling).
 *
 * Invariant: a TLB entry grants SIM_ACCESS_WRITE only if, when it was filled,
 * the leaf PTE was present, writable and dirty; any change that removes a
 * permission or a mapping is followed by a flush of that page or context,
 * which reaches every TLB attached to the MMU.
 *
 * Locking: see arch/sim/mmu.h. Attaching and detaching also take
 * tlb_registry_lock (an MMU may be destroyed while a thread that used it
 * lives on; the thread frees its TLBs at exit).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "arch/sim/mmu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* What kmm_tlb_this points at before a thread's first access: no entry is valid. */
static struct kmm_tlb empty_tlb = { .e = { [0 ... KMM_TLB_ENTRIES - 1] = { .vpn = ~0ULL } } };
__thread struct kmm_tlb *kmm_tlb_this __attribute__((tls_model("initial-exec"))) = &empty_tlb;

int sim_tlb_asymmetric;
static pthread_once_t asymmetric_once = PTHREAD_ONCE_INIT;

/* The bracket's way (arch/sim/mmu.h), decided before the first MMU exists. */
static void choose_bracket(void)
{
	if (!sim_membarrier_available() || sim_getenv("KMM_CPU_LOCKED"))
		return;
#ifdef SIM_TLB_TSAN
	if (!sim_getenv("KMM_TSAN_ASYMMETRIC"))
		return;		/* TSan: the locked way unless asked (arch/sim/mmu.h) */
#endif
	__atomic_store_n(&sim_tlb_asymmetric, 1, __ATOMIC_RELAXED);
}

/* This thread's TLBs (attached or detached), freed when it exits. */
static __thread struct kmm_tlb *thread_tlbs;
static spinlock_t tlb_registry_lock = SPINLOCK_INIT;
static pthread_key_t tlb_key;
static pthread_once_t tlb_key_once = PTHREAD_ONCE_INIT;

static void tlb_reset(struct kmm_tlb *tlb, struct sim_mmu *mmu)
{
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++)
		__atomic_store_n(&tlb->e[i].vpn, ~0ULL, __ATOMIC_RELAXED);
	tlb->hits = tlb->misses = tlb->walks = tlb->faults = tlb->flushes = 0;
	tlb->mmu = mmu;
}

/* Put @tlb on @mmu's list. Context: tlb_registry_lock. */
static void tlb_link(struct sim_mmu *mmu, struct kmm_tlb *tlb)
{
	spin_lock(&mmu->tlbs_lock);
	tlb_reset(tlb, mmu);
	tlb->mmu_next = mmu->tlbs;
	mmu->tlbs = tlb;
	spin_unlock(&mmu->tlbs_lock);
}

/* Take @tlb off its MMU's list, if it still has one. Context: tlb_registry_lock. */
static void tlb_unlink(struct kmm_tlb *tlb)
{
	struct sim_mmu *mmu = (struct sim_mmu *)tlb->mmu;

	if (!mmu)
		return;
	spin_lock(&mmu->tlbs_lock);
	for (struct kmm_tlb **pp = &mmu->tlbs; *pp; pp = &(*pp)->mmu_next) {
		if (*pp == tlb) {
			*pp = tlb->mmu_next;
			break;
		}
	}
	tlb->mmu = NULL;
	spin_unlock(&mmu->tlbs_lock);
}

static void tlb_thread_exit(void *arg)
{
	(void)arg;
	spin_lock(&tlb_registry_lock);
	while (thread_tlbs) {
		struct kmm_tlb *tlb = thread_tlbs;
		thread_tlbs = tlb->thread_next;
		tlb_unlink(tlb);
		free(tlb);
	}
	kmm_tlb_this = &empty_tlb;
	spin_unlock(&tlb_registry_lock);
}

static void tlb_key_create(void)
{
	pthread_key_create(&tlb_key, tlb_thread_exit);
}

static struct kmm_tlb *tlb_alloc(void)
{
	struct kmm_tlb *tlb = aligned_alloc(64, (sizeof(struct kmm_tlb) + 63) & ~(size_t)63);

	if (tlb)
		memset(tlb, 0, sizeof(*tlb));
	return tlb;
}

struct kmm_tlb *sim_mmu_tlb(struct sim_mmu *mmu)
{
	struct kmm_tlb *tlb, *spare = NULL;

	for (tlb = thread_tlbs; tlb; tlb = tlb->thread_next) {
		if (tlb->mmu == mmu)
			return kmm_tlb_this = tlb;
		if (!tlb->mmu)
			spare = tlb;
	}
	pthread_once(&tlb_key_once, tlb_key_create);
	if (!spare) {
		spare = tlb_alloc();
		if (!spare)
			return NULL;
		spare->thread_next = thread_tlbs;
		thread_tlbs = spare;
		pthread_setspecific(tlb_key, spare);	/* any non-NULL value runs the destructor */
	}
	spin_lock(&tlb_registry_lock);
	tlb_link(mmu, spare);
	spin_unlock(&tlb_registry_lock);
	return kmm_tlb_this = spare;
}

struct kmm_tlb *sim_tlb_attach(struct sim_mmu *mmu)
{
	struct kmm_tlb *tlb = tlb_alloc();

	if (!tlb)
		return NULL;
	spin_lock(&tlb_registry_lock);
	tlb_link(mmu, tlb);
	spin_unlock(&tlb_registry_lock);
	return tlb;
}

void sim_tlb_detach(struct kmm_tlb *tlb)
{
	if (!tlb)
		return;
	spin_lock(&tlb_registry_lock);
	tlb_unlink(tlb);
	spin_unlock(&tlb_registry_lock);
	free(tlb);
}

struct sim_mmu *sim_mmu_create(struct sim_ram *ram)
{
	struct sim_mmu *mmu = calloc(1, sizeof(*mmu));

	if (!mmu)
		return NULL;
	pthread_once(&asymmetric_once, choose_bracket);
	spin_lock_init(&mmu->tlbs_lock);
	if (ram->fd >= 0) {
		void *p = mmap(NULL, ram->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			       ram->fd, 0);
		if (p == MAP_FAILED)
			goto out_free;
		mmu->window = p;
		mmu->window_len = ram->size;
		mmu->own_window = true;
	} else {
		mmu->window = ram->direct;
		mmu->window_len = ram->direct_len;
	}
	return mmu;
out_free:
	free(mmu);
	return NULL;
}

void sim_mmu_destroy(struct sim_mmu *mmu)
{
	if (!mmu)
		return;
	/* Orphan the TLBs still attached: their threads free them at exit. */
	spin_lock(&tlb_registry_lock);
	while (mmu->tlbs)
		tlb_unlink(mmu->tlbs);
	spin_unlock(&tlb_registry_lock);
	if (mmu->own_window)
		munmap(mmu->window, mmu->window_len);
	free(mmu);
}

static inline pteval_t read_entry(const struct sim_mmu *mmu, const struct pgtable_geometry *g,
				  uint64_t pa)
{
	if (g->entry_size == 4)
		return __atomic_load_n((uint32_t *)sim_phys(mmu, pa), __ATOMIC_SEQ_CST);
	return __atomic_load_n((uint64_t *)sim_phys(mmu, pa), __ATOMIC_SEQ_CST);
}

/* Set the accessed/dirty @bits in the leaf at @pa if it still holds *@e (as x86 does, atomically). */
static bool set_entry_bits(const struct sim_mmu *mmu, const struct pgtable_geometry *g, uint64_t pa,
			   pteval_t *e, pteval_t bits)
{
	if (g->entry_size == 4) {
		uint32_t old = (uint32_t)*e;
		if (!__atomic_compare_exchange_n((uint32_t *)sim_phys(mmu, pa), &old, old | (uint32_t)bits,
						 false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return false;
	} else {
		uint64_t old = *e;
		if (!__atomic_compare_exchange_n((uint64_t *)sim_phys(mmu, pa), &old, old | bits, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return false;
	}
	*e |= bits;
	return true;
}

/*
 * The x86-64 walk (geo_4level: PGD, PUD, PMD and PTE at shifts 39, 30, 21
 * and 12, 9 bits and 8 bytes an entry, every level with U/S and R/W): the
 * general loop's checks level by level - present, then @need (U/S, and R/W
 * for a write), then NX for a fetch - without its geometry lookups.
 * @table: in, the root's physical address; out, the frame's.
 * Return: -1 with *@slot_pa and *@e the leaf's; else the walk faults, and
 * the value is the error-code bits to add (0: not present; X86_PF_PROT).
 */
static inline int walk_4level(const struct sim_mmu *mmu, pteval_t pfn_mask, uint64_t va,
			      pteval_t need, bool fetch, uint64_t *table, uint64_t *slot_pa, pteval_t *e)
{
	static const int shifts[4] = { 39, 30, 21, 12 };
	uint64_t t = *table;

	for (int i = 0; i < 4; i++) {
		uint64_t pa = t + ((va >> shifts[i]) & 511) * 8;
		pteval_t v = __atomic_load_n((uint64_t *)sim_phys(mmu, pa), __ATOMIC_SEQ_CST);

		if (!(v & _PAGE_PRESENT))
			return 0;
		if ((v & need) != need || (fetch && (v & _PAGE_NX)))
			return X86_PF_PROT;
		t = v & pfn_mask;
		*slot_pa = pa;
		*e = v;
	}
	*table = t;
	return -1;
}

/*
 * The walk reads the context's generation first and checks the leaf again
 * after publishing the entry: a flush that changed the leaf while this walk
 * ran either bumped the generation after the read (the entry is born stale)
 * or finds the entry published (and invalidates it), or this check sees the
 * new leaf and walks again. So no entry outlives the flush of its leaf.
 */
void *sim_mmu_walk(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, struct kmm_tlb *tlb, uint64_t va,
		   unsigned int access, unsigned int *fault_code)
{
	const struct pgtable_geometry *g = ctx->geo;
	unsigned int code = X86_PF_USER;

	tlb->misses++;
	if (access & SIM_ACCESS_WRITE)
		code |= X86_PF_WRITE;
	if (access & SIM_ACCESS_FETCH)
		code |= X86_PF_INSTR;
	if (g->levels == 4 ? (va >> 47) != 0 : va >= g->va_limit)
		goto fault;
again:
	tlb->walks++;
	uint32_t gen = __atomic_load_n(&ctx->gen, __ATOMIC_SEQ_CST);
	uint64_t table = ctx->cr3, slot_pa = 0;
	pteval_t e = 0;
	if (g->levels == 4) {
		pteval_t need = _PAGE_USER | ((access & SIM_ACCESS_WRITE) ? _PAGE_RW : 0);
		int r = walk_4level(mmu, g->pfn_mask, va, need, (access & SIM_ACCESS_FETCH) != 0, &table,
				    &slot_pa, &e);
		if (r >= 0) {
			code |= (unsigned int)r;
			goto fault;
		}
		goto leaf;
	}
	for (int level = PGT_PGD; level < PGT_NR_LEVELS; level++) {
		if (!g->real[level])
			continue;
		unsigned long idx = (unsigned long)((va >> g->shift[level]) &
						    ((1ULL << g->bits[level]) - 1));
		slot_pa = table + idx * (uint64_t)g->entry_size;
		e = read_entry(mmu, g, slot_pa);
		if (!(e & _PAGE_PRESENT))
			goto fault;
		/* PAE PDPTEs carry no U/S or R/W bits */
		bool pdpte = level == PGT_PGD && g->levels == 3;
		if (!pdpte && !(e & _PAGE_USER)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		if (!pdpte && (access & SIM_ACCESS_WRITE) && !(e & _PAGE_RW)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		if ((access & SIM_ACCESS_FETCH) && g->has_nx && (e & _PAGE_NX)) {
			code |= X86_PF_PROT;
			goto fault;
		}
		table = e & g->pfn_mask;
	}
leaf:;	/* (a label before a declaration needs a statement in C11) */
	/* table now holds the frame's physical address; e the leaf. */
	pteval_t set = _PAGE_ACCESSED;
	if (access & SIM_ACCESS_WRITE)
		set |= _PAGE_DIRTY;
	if ((e & set) != set && !set_entry_bits(mmu, g, slot_pa, &e, set))
		goto again;	/* the leaf changed under the walk */
	if (table >= mmu->window_len) {
		code |= X86_PF_RSVD;	/* a frame outside RAM: treat as a bad entry */
		goto fault;
	}
	unsigned char *host = sim_phys(mmu, table);
	uint64_t vpn = va >> 12;
	struct kmm_tlb_entry *te = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];
	unsigned int perm = SIM_ACCESS_READ;
	if ((e & (_PAGE_RW | _PAGE_DIRTY)) == (_PAGE_RW | _PAGE_DIRTY))
		perm |= SIM_ACCESS_WRITE;
	if (!g->has_nx || !(e & _PAGE_NX))
		perm |= SIM_ACCESS_FETCH;
	__atomic_store_n(&te->vpn, ~0ULL, __ATOMIC_RELAXED);
	te->asid = ctx->asid;
	te->gen = gen;
	te->addend = (uintptr_t)host - (uintptr_t)(vpn << 12);	/* va + addend: host + (va & 0xfff) */
	te->perm = perm;
	__atomic_store_n(&te->vpn, vpn, __ATOMIC_SEQ_CST);
	if (read_entry(mmu, g, slot_pa) != e) {
		__atomic_store_n(&te->vpn, ~0ULL, __ATOMIC_RELAXED);
		goto again;
	}
	return host + (va & 0xfff);
fault:
	tlb->faults++;
	*fault_code = code;
	return NULL;
}

void sim_mmu_flush_range(struct sim_mmu *mmu, struct sim_mmu_ctx *ctx, uint64_t start, uint64_t end)
{
	uint64_t first = start >> 12, last = (end + 0xfff) >> 12;

	if (last - first > SIM_TLB_FLUSH_CEILING || last - first >= SIM_TLB_ENTRIES) {
		sim_mmu_flush_ctx(ctx);
		return;
	}
	/*
	 * The leaves changed before this: a full barrier orders those stores
	 * before the scan (see the walk). A locked read-modify-write is one on
	 * x86, and ThreadSanitizer models it (it does not model fences).
	 */
	__atomic_fetch_add(&mmu->range_flushes, 1, __ATOMIC_SEQ_CST);
	spin_lock(&mmu->tlbs_lock);
	for (struct kmm_tlb *tlb = mmu->tlbs; tlb; tlb = tlb->mmu_next) {
		for (uint64_t vpn = first; vpn < last; vpn++) {
			struct kmm_tlb_entry *te = &tlb->e[vpn & (SIM_TLB_ENTRIES - 1)];
			if (__atomic_load_n(&te->vpn, __ATOMIC_RELAXED) == vpn)
				__atomic_store_n(&te->vpn, ~0ULL, __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&tlb->flushes, 1, __ATOMIC_RELAXED);
	}
	spin_unlock(&mmu->tlbs_lock);
}

void sim_mmu_shootdown_wait(struct sim_mmu *mmu)
{
	struct kmm_tlb *self = kmm_tlb_this, *tlb;

	__atomic_fetch_add(&mmu->shootdowns, 1, __ATOMIC_RELAXED);
	spin_lock(&mmu->tlbs_lock);
	/* The caller is inside no bracket: with no other TLB there is nothing to wait for. */
	for (tlb = mmu->tlbs; tlb && tlb == self; tlb = tlb->mmu_next)
		;
	if (!tlb)
		goto out;
	/*
	 * The flush's stores before the reads of busy (the Dekker pair with
	 * sim_tlb_access_begin, arch/sim/mmu.h): membarrier when brackets open
	 * with a plain store, else a locked read-modify-write, a full barrier
	 * that ThreadSanitizer also models.
	 */
	if (__atomic_load_n(&sim_tlb_asymmetric, __ATOMIC_RELAXED))
		sim_membarrier();
	else
		__atomic_fetch_add(&mmu->range_flushes, 0, __ATOMIC_SEQ_CST);
	for (tlb = mmu->tlbs; tlb; tlb = tlb->mmu_next) {
		unsigned int spins = 0;
		if (tlb == self)
			continue;
		if (__atomic_load_n(&tlb->busy, __ATOMIC_ACQUIRE))
			__atomic_fetch_add(&mmu->busy_waits, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&tlb->busy, __ATOMIC_ACQUIRE)) {
			if (++spins < 64)
				sim_cpu_relax();
			else
				sim_yield();
		}
	}
out:
	spin_unlock(&mmu->tlbs_lock);
}
