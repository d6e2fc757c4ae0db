// SPDX-License-Identifier: MIT
/*
 * lab/map.c - a hash map from 64-bit keys (addresses, page numbers; 0 is
 * reserved for empty slots) to 32-bit values (dense ids), for the trace and
 * reference readers: open addressing, linear probing, backward-shift
 * deletion, grown at 3/4 full by the caller (lab_map_need_grow()).
 *
 * Linux counterpart: none.
 */
#include <errno.h>
#include <stdlib.h>

#include "lab/trace_internal.h"

static size_t slot_of(const struct lab_map *m, uint64_t k)
{
	return (size_t)((k * 0x9E3779B97F4A7C15ULL) >> 20) & (m->cap - 1);
}

int lab_map_grow(struct lab_map *m)
{
	struct lab_map n = { .cap = m->cap ? m->cap * 2 : 1024 };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.val = malloc(n.cap * sizeof(*n.val));
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->key[i])
			continue;
		size_t j = slot_of(&n, m->key[i]);
		while (n.key[j])
			j = (j + 1) & (n.cap - 1);
		n.key[j] = m->key[i];
		n.val[j] = m->val[i];
		n.n++;
	}
	free(m->key);
	free(m->val);
	*m = n;
	return 0;
}

/* The slot holding @k, or the empty slot where it would go. */
size_t lab_map_find(const struct lab_map *m, uint64_t k)
{
	size_t i = slot_of(m, k);

	while (m->key[i] && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void lab_map_del(struct lab_map *m, size_t i)
{
	/* backward-shift deletion keeps every probe chain unbroken */
	size_t j = i;

	m->key[i] = 0;
	m->n--;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->key[j])
			return;
		size_t home = slot_of(m, m->key[j]);
		/* move j back to i if its home is not in (i, j] cyclically */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			m->key[j] = 0;
			i = j;
		}
	}
}

void lab_map_release(struct lab_map *m)
{
	free(m->key);
	free(m->val);
	*m = (struct lab_map){ 0 };
}
