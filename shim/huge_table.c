// SPDX-License-Identifier: MIT
/*
 * shim/huge_table.c - the malloc shim's table of huge blocks
 * (shim/huge_table.h), moved unchanged out of shim/malloc.c.
 *
 * Linux counterpart: none (the kernel's vmalloc keeps its areas in a tree;
 * here an open-addressing hash on the block's user pointer).
 *
 * Invariant: a key is in the table at most once; huge_used counts the
 * entries (live and freed), huge_live the live ones, and the table is at
 * most half full. Freed entries keep their key (and range) so that a second
 * free, or a fault in a freed block, is named.
 *
 * Locking: huge_lock guards everything here (shim_huge_fault() only tries it).
 */
#include "mm/include/machine.h"
#include "shim/harden.h"
#include "shim/huge_table.h"

spinlock_t huge_lock = SPINLOCK_INIT;	/* shim/huge_cache.h, shim/huge_table.h */
static struct huge_entry *huge_tab;		/* huge_lock */
static size_t huge_cap, huge_used, huge_live;	/* huge_lock; used counts freed entries too */
/* bytes mapped for live blocks: written under huge_lock, read relaxed by trim.c */
size_t huge_live_bytes;
/*
 * Freed keys are kept until the table would double for them: then, by
 * default, they are dropped beyond this many (a later free of one is still
 * refused, as a pointer glibc does not know either); hardened, never.
 */
#define HUGE_FREED_KEEP 65536

static size_t huge_hash(uintptr_t key, size_t cap)
{
	return (size_t)((key >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1);
}

static struct huge_entry *huge_find_locked(uintptr_t key)
{
	if (!huge_cap)
		return NULL;
	for (size_t i = huge_hash(key, huge_cap);; i = (i + 1) & (huge_cap - 1)) {
		if (huge_tab[i].key == key)
			return &huge_tab[i];
		if (huge_tab[i].key == 0)
			return NULL;
	}
}

static bool huge_grow_locked(void)
{
	size_t freed = huge_used - huge_live;
	bool drop = !harden_on && freed > HUGE_FREED_KEEP;
	size_t keep = drop ? huge_live : huge_used;
	size_t cap = huge_cap ? huge_cap : 512;

	while ((keep + 1) * 2 > cap)
		cap *= 2;
	struct huge_entry *tab = sim_reserve(cap * sizeof(*tab), true);
	if (!tab)
		return false;
	for (size_t i = 0; i < huge_cap; i++) {
		if (!huge_tab[i].key || (drop && huge_tab[i].freed))
			continue;
		size_t j = huge_hash(huge_tab[i].key, cap);
		while (tab[j].key)
			j = (j + 1) & (cap - 1);
		tab[j] = huge_tab[i];
	}
	if (huge_tab)
		sim_release(huge_tab, huge_cap * sizeof(*tab));
	huge_tab = tab;
	huge_cap = cap;
	huge_used = keep;
	return true;
}

bool huge_insert(uintptr_t key, void *base, size_t len, size_t usable)
{
	bool ok = true;

	spin_lock(&huge_lock);
	struct huge_entry *e = huge_find_locked(key);
	if (!e && (huge_used + 1) * 2 > huge_cap)
		ok = huge_grow_locked();
	if (ok) {
		if (!e) {
			size_t i = huge_hash(key, huge_cap);
			while (huge_tab[i].key)
				i = (i + 1) & (huge_cap - 1);
			e = &huge_tab[i];
			huge_used++;
		}
		*e = (struct huge_entry){ key, base, len, usable, false };
		huge_live++;
		__atomic_fetch_add(&huge_live_bytes, len, __ATOMIC_RELAXED);
	}
	spin_unlock(&huge_lock);
	return ok;
}

/*
 * Mark @key freed. Return: true and the entry in @out; or false, with
 * *@was_freed telling a second free from a pointer the table never had.
 */
bool huge_remove(uintptr_t key, struct huge_entry *out, bool *was_freed)
{
	bool found = false;

	*was_freed = false;
	spin_lock(&huge_lock);
	struct huge_entry *e = huge_find_locked(key);
	if (e && !e->freed) {
		*out = *e;
		e->freed = true;
		huge_live--;
		__atomic_fetch_sub(&huge_live_bytes, e->len, __ATOMIC_RELAXED);
		found = true;
	} else if (e) {
		*was_freed = true;
	}
	spin_unlock(&huge_lock);
	return found;
}

/* Return: whether @key is a live huge block (then its entry is in @out). */
bool huge_lookup(uintptr_t key, struct huge_entry *out)
{
	spin_lock(&huge_lock);
	struct huge_entry *e = huge_find_locked(key);
	bool live = e && !e->freed;
	if (live)
		*out = *e;
	spin_unlock(&huge_lock);
	return live;
}

/*
 * The huge block (live, or freed with its range kept) whose mapping holds
 * @addr: a live one first, since a live block may lie where freed ones
 * were (shim/huge_cache.c carves freed ranges for new blocks). Return:
 * whether there is one (then its entry in @out). Scans the table: for the
 * rare paths only (a pointer nobody knows, a fault report).
 * Context: huge_lock held.
 */
static bool huge_containing_locked(uintptr_t addr, struct huge_entry *out)
{
	struct huge_entry *found = NULL;

	for (size_t i = 0; i < huge_cap; i++) {
		struct huge_entry *e = &huge_tab[i];
		if (e->key && addr - (uintptr_t)e->base < e->len && (!found || found->freed)) {
			found = e;
			if (!e->freed)
				break;
		}
	}
	if (found)
		*out = *found;
	return found != NULL;
}

bool huge_containing(uintptr_t addr, struct huge_entry *out)
{
	spin_lock(&huge_lock);
	bool found = huge_containing_locked(addr, out);
	spin_unlock(&huge_lock);
	return found;
}

bool shim_huge_fault(uintptr_t addr, uintptr_t *key, size_t *size, bool *freed)
{
	struct huge_entry e;
	bool found;

	if (!spin_trylock(&huge_lock))
		return false;
	found = huge_containing_locked(addr, &e);
	spin_unlock(&huge_lock);
	if (found) {
		*key = e.key;
		*size = e.usable;
		*freed = e.freed;
	}
	return found;
}

/*
 * malloc_trim(): give back the spare tail of every live block whose mapping
 * is longer than the block and its guard page (a cached mapping reused
 * whole, shim/huge_cache.c). The tail lies past the guard page, where the
 * program cannot reach; the host call runs under huge_lock, so that the
 * block cannot be freed and its mapping handed to a larger block meanwhile
 * (rare: malloc_trim only).
 */
size_t huge_trim_tails(void)
{
	size_t bytes = 0;

	if (harden_on)		/* no cache: every mapping is the block's own */
		return 0;
	spin_lock(&huge_lock);
	for (size_t i = 0; i < huge_cap; i++) {
		struct huge_entry *e = &huge_tab[i];
		size_t used = e->usable + PAGE_SIZE;
		if (!e->key || e->freed || e->key != (uintptr_t)e->base || e->len <= used)
			continue;
		if (!sim_discard((char *)e->base + used, e->len - used))
			bytes += e->len - used;
	}
	spin_unlock(&huge_lock);
	return bytes;
}

bool huge_was_freed(uintptr_t key)
{
	spin_lock(&huge_lock);
	struct huge_entry *e = huge_find_locked(key);
	bool freed = e && e->freed;
	spin_unlock(&huge_lock);
	return freed;
}
