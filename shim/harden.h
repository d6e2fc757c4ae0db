// SPDX-License-Identifier: MIT
/*
 * shim/harden.h - the malloc shim's hardened mode (KMM_MALLOC_HARDEN=1) and
 * its failure injection (KMM_MALLOC_FAIL=N), as hooks that shim/malloc.c
 * calls at a few points: where a block is placed, checked, freed and
 * reported. With the mode off every hook is one predictable branch.
 *
 * What the mode adds (docs/malloc.md, "Hardened mode"):
 *   - exact red zones around every block: canary bytes before it and from
 *     the requested size to the block's end, and a header holding the
 *     size (at the object's or page block's start), checked at free and realloc (malloc(24); p[24] = 0
 *     and p[-1] = 0 are caught);
 *   - a guard page after every page-sized and huge block, the block placed
 *     right against it: inaccessible (with a fault reporter naming the
 *     block) for huge blocks and page blocks from 256 KiB, a canary page
 *     checked at free below that;
 *   - a quarantine: freed blocks are held back, poisoned (small blocks) or
 *     made inaccessible (page blocks), and checked when they leave it, before
 *     the slot can be handed out again: a write after free is reported;
 *   - freed huge blocks keep their address reserved (up to a budget), so a
 *     stale pointer never aliases a new block;
 *   - the slab freelist hardened (slab_freelist_hardened=on): a corrupted free
 *     pointer is found at its first use.
 *
 * Locking: the quarantine of CPU slot c is protected by the shim's section of
 * slot c (the caller is inside it); the huge quarantine by huge_lock (shim/malloc.c).
 */
#ifndef KMM_SHIM_HARDEN_H
#define KMM_SHIM_HARDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kmm_machine;

extern bool harden_on;			/* KMM_MALLOC_HARDEN; immutable once the shim is up */
extern unsigned long harden_fail_every;	/* KMM_MALLOC_FAIL; 0: no injected failures */

/* Bytes a page or huge block needs beyond its size: the header and the red zones. */
#define HARDEN_PAGE_EXTRA 48

/**
 * harden_setup() - read KMM_MALLOC_HARDEN, KMM_MALLOC_QUARANTINE and
 * KMM_MALLOC_FAIL. Context: boot, before the machine exists (in_kmm set).
 * Return: boot options the mode needs ("" when off).
 */
const char *harden_setup(void);
/** harden_start() - the machine is up: remember its RAM, install the fault reporter. */
void harden_start(struct kmm_machine *m, uintptr_t ram_start, uintptr_t ram_end);

/**
 * shim_put() - append @s to @buf (@n bytes used of @cap, one kept for a NUL
 * the caller need not write); shim_put_num() appends @v in decimal or, with
 * @hex, as 0x and hex digits. No allocation, no stdio: the heap may be broken.
 */
void shim_put(char *buf, size_t *n, size_t cap, const char *s);
void shim_put_num(char *buf, size_t *n, size_t cap, uint64_t v, bool hex);

/**
 * shim_report() - "kmm-malloc: CALL(): WHAT P (N bytes): byte +OFF is 0xXX"
 * on stderr (write(2) only: the heap may be broken), then abort. @size
 * (size_t)-1, @off < 0 and @byte > 0xff leave out their parts. In the
 * hardened mode the line ends with [KMM_MALLOC_HARDEN].
 */
_Noreturn void shim_report(const char *call, const char *what, const void *p, size_t size,
			   long off, unsigned int byte);
/* shim_warn() - "kmm-malloc: A B C" on standard error (write(2) only). */
void shim_warn(const char *a, const char *b, const char *c);
/**
 * shim_env_flag() - environment variable @name as an on/off word (Linux's
 * kstrtobool: 1/0, y/n, t/f, on/off). Unset or empty is off; any other value
 * is named on standard error and taken as off.
 */
bool shim_env_flag(const char *name);
/*
 * shim_env_size() - environment variable @name as a size (1M, 64K, 4096) into
 * @bytes. Return: true if set and a size. Any other value is named on standard
 * error with the default @keep that stays.
 */
bool shim_env_size(const char *name, const char *keep, uint64_t *bytes);
/*
 * shim_report_slab_bug() - "kmm-malloc: CALL(P): the slab allocator reported
 * corruption", then the last BUG report of @log (the machine's dmesg; NULL:
 * none), and abort.
 */
_Noreturn void shim_report_slab_bug(const char *call, const void *p, const char *log);

/** harden_note_huge() - a huge block's mapping: the fault reporter watches its range. */
void harden_note_huge(const void *base, size_t len);
/**
 * shim_huge_fault() - (shim/malloc.c) the huge block whose mapping holds
 * @addr: its pointer, size and whether it was freed. Return: false if none
 * (or the table is busy). Context: a signal handler; takes huge_lock by trylock.
 */
bool shim_huge_fault(uintptr_t addr, uintptr_t *key, size_t *size, bool *freed);

/** harden_fail_now() - whether this host or machine allocation is to fail (KMM_MALLOC_FAIL). */
bool harden_fail_now(void);

/* ---- Red zones ---- */

/** harden_small_want() - bytes to ask kmalloc for a block of @size at @align: header and red zone. */
size_t harden_small_want(size_t size, size_t align);
/**
 * harden_small_place() - lay out a block of @size at @align in kmalloc object
 * @obj of @usable bytes: header, red zones. Return: the block's address.
 */
void *harden_small_place(void *obj, size_t usable, size_t size, size_t align);
/**
 * harden_small_size() - check the red zones of live small block @p, in an
 * object of @usable bytes; abort naming @call and @p if either was written.
 * Return: the size asked for, and the kmalloc object in *@obj (if @obj).
 */
size_t harden_small_size(const char *call, const void *p, size_t usable, void **obj);

/**
 * harden_pages_bytes() - how many bytes a page or huge block needs for @size
 * at @align: the red zone and a guard page after it.
 */
size_t harden_pages_bytes(size_t size, size_t align);
/**
 * harden_pages_place() - put a block of @size (aligned @align) at the end of
 * [@start, @start + @bytes), before a guard page made inaccessible.
 * Return: the block's address.
 */
void *harden_pages_place(void *start, size_t bytes, size_t size, size_t align);
/** harden_pages_size() - check a page/huge block's red zone (abort if written). Return: its size. */
size_t harden_pages_size(const char *call, const void *p, const void *start, size_t bytes);
/** harden_pages_unguard() - make the guard page of [@start, @start + @bytes) accessible again. */
void harden_pages_unguard(void *start, size_t bytes);

/* ---- Quarantine ---- */

/**
 * harden_quarantine_small() - hold freed small block @user (kmalloc object
 * @p of @usable bytes) of slot @cpu back,
 * poisoned (the ring holds about KMM_MALLOC_QUARANTINE bytes, at most 1024
 * blocks). Return: a block to free now (the oldest held one, its poison
 * checked; or @p itself when it is not held), or NULL. Context: inside slot @cpu's section.
 */
void *harden_quarantine_small(int cpu, void *user, void *p, size_t usable);
/**
 * harden_quarantine_pages() - hold freed page block @user ([@start,
 * @start+@bytes)) of slot @cpu back, inaccessible or poisoned. Return: the start of a block to free now
 * (made accessible again), or NULL. Context: inside slot @cpu's section.
 */
void *harden_quarantine_pages(int cpu, void *user, void *start, size_t bytes);
/**
 * harden_quarantine_huge() - keep the address range of freed huge block
 * [@base, @base+@len) reserved but empty, releasing the oldest ranges held
 * beyond the budget. Return: true if held; false if the caller releases it.
 * Context: huge_lock held.
 */
bool harden_quarantine_huge(void *base, size_t len);

#endif /* KMM_SHIM_HARDEN_H */
