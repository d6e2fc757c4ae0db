// SPDX-License-Identifier: MIT
/*
 * include/kmm/mmu.h - the software MMU's TLB as the inline accessors of
 * <kmm/process.h> see it.
 *
 * Each host thread has its own TLB per machine (per MMU): direct-mapped,
 * KMM_TLB_ENTRIES entries tagged with (virtual page, address-space id, the
 * address space's flush generation at fill). Only the owning thread fills
 * and reads an entry; a flush on any thread stores ~0 into the vpn of the
 * entries it invalidates (atomically) or bumps the address space's
 * generation, so the owner sees either the old translation or none, as a
 * CPU sees a stale translation until the shootdown lands. kmm_tlb_this is
 * the TLB of the MMU the thread used last: the inline hit path is a
 * thread-local load, an index and three compares (four for a store), with
 * no call and no lock. Two tricks keep it short, both from QEMU's softmmu:
 * the tag compared is the page of the access's LAST byte, so an access that
 * crosses into the next page misses without a bounds test of its own (the
 * entry at its first page's index never holds the next page); and an entry
 * keeps the host address of its frame minus the page's virtual address, so
 * the host address of a hit is one add.
 *
 * The layout is part of the ABI of the inline accessors; the fields after
 * the entries are kmm's own. KMM_MMU_ABI numbers the entry's layout and
 * meaning, which code compiled against this header reads inline: the
 * library refuses a handle to code built for another (kmm_as_of(),
 * <kmm/process.h>).
 */
#ifndef KMM_MMU_H
#define KMM_MMU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The inline TLB ABI. 1: an entry held its frame's host address and was
 * tagged with the page of the access's first byte (headers without this
 * macro); 2: it holds host address minus the page's virtual address (an
 * addend) and is tagged with the page of the last byte. Change it with any
 * change to what the inline path reads.
 */
#define KMM_MMU_ABI 2u

#define KMM_TLB_BITS 10
#define KMM_TLB_ENTRIES (1u << KMM_TLB_BITS)

/* What an entry grants (x86: a read, a write of a dirty writable page, a fetch of a non-NX page). */
#define KMM_ACCESS_READ 1u
#define KMM_ACCESS_WRITE 2u
#define KMM_ACCESS_FETCH 4u

struct kmm_tlb_entry {
	uint64_t vpn;		/* virtual page number; ~0 when invalid (atomic) */
	uint32_t asid;		/* address-space id */
	uint32_t gen;		/* the address space's flush generation at fill */
	uintptr_t addend;	/* host address of the frame - (vpn << 12): a hit's host address is va + addend */
	unsigned int perm;	/* KMM_ACCESS_* bits this entry grants; READ always (x86: present is readable) */
};

struct kmm_tlb {
	struct kmm_tlb_entry e[KMM_TLB_ENTRIES];
	const void *mmu;	/* the MMU it caches translations of; NULL once detached */
	/* kmm's own, below: statistics of the out-of-line path, and two lists */
	unsigned long hits, misses, walks, faults, flushes;
	unsigned int busy;	/* 1 while a kmm_access copy is in flight (atomic): a shootdown waits */
	struct kmm_tlb *mmu_next;	/* the MMU's TLBs, under its lock */
	struct kmm_tlb *thread_next;	/* the owning thread's TLBs */
};

/*
 * The TLB this thread used last: never NULL (an empty TLB that nothing
 * fills until the thread's first access). Address-space ids are unique
 * across every machine of the process, so an entry of another MMU's TLB
 * never matches.
 */
extern __thread struct kmm_tlb *kmm_tlb_this __attribute__((tls_model("initial-exec")));

/*
 * An address space as the inline accessors name it (kmm_as_of() fills it):
 * valid while the process runs the same image; after kmm_exec() or its exit
 * take a new one.
 */
struct kmm_as {
	uint32_t asid;
	const uint32_t *gen;	/* the address space's flush generation (atomic) */
	struct task_struct *task;
};

/*
 * KMM_TLB_HIT() - run @hit with `unsigned char *_h` the host address of
 * @size bytes at @va of @as when this thread's TLB holds a translation of
 * their page granting @access (the accessors of <kmm/process.h> are built on
 * it; a statement, so the compiler needs no NULL test of the address). No
 * call, no lock. Bytes that cross a page never hit: the tag compared is the
 * page of the last byte, and the entry indexed by the first byte's page
 * never holds the next page (consecutive pages have different indexes).
 * Every entry grants a read, so a load tests no permission bit.
 */
#define KMM_TLB_HIT(as, va, size, access, hit)                                                \
	do {                                                                                   \
		uint64_t _va = (va);                                                           \
		const struct kmm_tlb_entry *_e =                                               \
			&kmm_tlb_this->e[(_va >> 12) & (KMM_TLB_ENTRIES - 1)];                 \
		if (__builtin_expect(__atomic_load_n(&_e->vpn, __ATOMIC_ACQUIRE) ==            \
					     (_va + (size) - 1) >> 12 &&                       \
				     _e->asid == (as)->asid &&                                 \
				     _e->gen == __atomic_load_n((as)->gen, __ATOMIC_RELAXED) &&  \
				     ((access) == KMM_ACCESS_READ ||                           \
				      (_e->perm & (access)) == (access)), 1)) {                \
			unsigned char *_h = (unsigned char *)(uintptr_t)(_va + _e->addend);     \
			hit;                                                                   \
		}                                                                              \
	} while (0)

/**
 * kmm_tlb_lookup() - the host address of @size bytes at @va of @as if this
 * thread's TLB holds a translation granting @access, else NULL (the bytes
 * may also cross a page: NULL). No call, no lock. @size is 1 to 4096.
 */
static inline unsigned char *kmm_tlb_lookup(const struct kmm_as *as, uint64_t va, unsigned int size,
					    unsigned int access)
{
	KMM_TLB_HIT(as, va, size, access, { return _h; });
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* KMM_MMU_H */
