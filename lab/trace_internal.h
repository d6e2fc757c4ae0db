// SPDX-License-Identifier: MIT
/*
 * lab/trace_internal.h - what the trace files share. Private to lab/.
 *   lab/trace.c       trace_push()
 *   lab/map.c         lab_map_*(): 64-bit key -> 32-bit value
 */
#ifndef KMM_LAB_TRACE_INTERNAL_H
#define KMM_LAB_TRACE_INTERNAL_H

#include "include/kmm/lab.h"

/** trace_push() - append an event. Return: 0 or -ENOMEM. */
int trace_push(struct kmm_lab_trace *t, enum kmm_lab_trace_op op, uint32_t id, uint64_t size,
	       unsigned int align_log);

/* A hash map; key 0 marks an empty slot. Zero-initialise to start empty. */
struct lab_map {
	uint64_t *key;
	uint32_t *val;
	size_t cap, n;		/* cap: 0 or a power of two */
};

/** lab_map_need_grow() - one more key would fill it past 3/4. */
static inline bool lab_map_need_grow(const struct lab_map *m)
{
	return (m->n + 1) * 4 > m->cap * 3;
}
/** lab_map_grow() - double the slots. Return: 0 or -ENOMEM. */
int lab_map_grow(struct lab_map *m);
/** lab_map_find() - the slot holding @k, or the empty slot for it (cap > 0). */
size_t lab_map_find(const struct lab_map *m, uint64_t k);
/** lab_map_del() - empty slot @i (which holds a key). */
void lab_map_del(struct lab_map *m, size_t i);
/** lab_map_release() - free the slots. */
void lab_map_release(struct lab_map *m);

#endif /* KMM_LAB_TRACE_INTERNAL_H */
