// SPDX-License-Identifier: MIT
/*
 * lib/strmap.c - the name-to-value hash table of lib/strmap.h.
 *
 * Invariant: a key is reached by probing from hash & (cap - 1) before any
 * empty slot (linear probing, no removals), and used < cap / 2, so a probe
 * always ends.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/strmap.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static struct strmap_slot *find(const struct strmap *map, const char *key, uint64_t h)
{
	size_t mask = map->cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &map->slots[i];
		if (!s->key || (s->hash == h && !strcmp(s->key, key)))
			return s;
	}
}

void **strmap_get(const struct strmap *map, const char *key)
{
	if (!map->cap)
		return NULL;
	struct strmap_slot *s = find(map, key, name_hash(key));
	return s->key ? &s->val : NULL;
}

static int grow(struct strmap *map)
{
	size_t cap = map->cap ? map->cap * 2 : 16;
	struct strmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < map->cap; i++) {
		struct strmap_slot *o = &map->slots[i];
		if (!o->key)
			continue;
		size_t j = (size_t)o->hash & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *o;
	}
	free(map->slots);
	map->slots = slots;
	map->cap = cap;
	return 0;
}

void **strmap_put(struct strmap *map, const char *key)
{
	uint64_t h = name_hash(key);

	if (map->cap) {
		struct strmap_slot *s = find(map, key, h);
		if (s->key)
			return &s->val;
	}
	if ((map->used + 1) * 2 > map->cap && grow(map))
		return NULL;
	char *copy = strdup(key);
	if (!copy)
		return NULL;
	struct strmap_slot *s = find(map, key, h);
	s->key = copy;
	s->hash = h;
	s->val = NULL;
	map->used++;
	return &s->val;
}

void strmap_free(struct strmap *map, void (*free_val)(void *val))
{
	for (size_t i = 0; i < map->cap; i++) {
		if (!map->slots[i].key)
			continue;
		if (free_val)
			free_val(map->slots[i].val);
		free(map->slots[i].key);
	}
	free(map->slots);
	map->slots = NULL;
	map->cap = map->used = 0;
}
