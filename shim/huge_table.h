// SPDX-License-Identifier: MIT
/*
 * shim/huge_table.h - the malloc shim's table of huge blocks (above 4 MiB,
 * each its own host mapping): live blocks by their user pointer, and freed
 * ones kept to name a second free.
 *
 * Locking: every function takes huge_lock (held with no other lock, except
 * by fork's handlers in shim/malloc.c, which take it last).
 */
#ifndef KMM_SHIM_HUGE_TABLE_H
#define KMM_SHIM_HUGE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sim/sim.h"

struct huge_entry {
	uintptr_t key;		/* the user pointer; 0 empty */
	void *base;		/* the mapping (while live) */
	size_t len;		/* bytes mapped */
	size_t usable;		/* bytes the user may use from key */
	bool freed;		/* freed: the key is kept to name a second free */
};

extern spinlock_t huge_lock;
/* Bytes mapped for the live huge blocks (huge_lock): the cache's bound follows it. */
extern size_t huge_live_bytes;

/** huge_insert() - record live block @key (mapping @base/@len, @usable bytes). Return: false without host memory for the table. */
bool huge_insert(uintptr_t key, void *base, size_t len, size_t usable);
/**
 * huge_remove() - mark @key freed. Return: true and the entry in @out; or
 * false, with *@was_freed telling a second free from a pointer the table
 * never had.
 */
bool huge_remove(uintptr_t key, struct huge_entry *out, bool *was_freed);
/** huge_lookup() - Return: whether @key is a live huge block (then its entry is in @out). */
bool huge_lookup(uintptr_t key, struct huge_entry *out);
/**
 * huge_containing() - the huge block (live, or freed with its range kept)
 * whose mapping holds @addr. Scans the table: for the rare paths only.
 * Return: whether there is one (then its entry in @out).
 */
bool huge_containing(uintptr_t addr, struct huge_entry *out);
/**
 * huge_trim_tails() - discard the spare tail of each live block's mapping,
 * past its guard page (malloc_trim). Return: the bytes discarded.
 */
size_t huge_trim_tails(void);
/** huge_was_freed() - Return: whether @key is a huge block freed since (its key kept). */
bool huge_was_freed(uintptr_t key);

#endif /* KMM_SHIM_HUGE_TABLE_H */
