// SPDX-License-Identifier: MIT
/*
 * lib/strmap.h - a hash table from NUL-terminated names to values: open
 * addressing with linear probing, FNV-1a hashes, doubled when half full.
 * Names are copied in; entries are never removed (the table is freed whole).
 *
 * Linux counterpart: none (lib/hashtable.h is intrusive and fixed-size).
 * Cost: lookup and insertion O(1) expected, so n names cost O(n) - the
 * scenario language keeps its variables here, so that a script of n `let`
 * lines is linear in n.
 *
 * Locking: none; the caller serialises.
 */
#ifndef KMM_LIB_STRMAP_H
#define KMM_LIB_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	char *key;		/* NULL: empty */
	uint64_t hash;
	void *val;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, used;	/* cap: 0 or a power of two; used < cap / 2 */
};

#define STRMAP_INIT { NULL, 0, 0 }

/** strmap_get() - the value slot of @key, or NULL if @key is absent. */
void **strmap_get(const struct strmap *map, const char *key);
/**
 * strmap_put() - the value slot of @key, inserted (value NULL) if absent.
 * Return: the slot, or NULL when the host is out of memory (map unchanged).
 */
void **strmap_put(struct strmap *map, const char *key);
/** strmap_free() - free the table and its keys, calling @free_val (if set) on each value. */
void strmap_free(struct strmap *map, void (*free_val)(void *val));

#endif /* KMM_LIB_STRMAP_H */
