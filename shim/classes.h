// SPDX-License-Identifier: MIT
/*
 * shim/classes.h - the malloc shim's size classes of the default mode
 * (shim/classes.c): class_cache[class_index(size)] is the cache that serves
 * a request of 1 .. 8 KiB.
 */
#ifndef KMM_SHIM_CLASSES_H
#define KMM_SHIM_CLASSES_H

#include <stdbool.h>
#include <stddef.h>

struct kmm_machine;
struct kmem_cache;

#define CLASS_SLOTS 185		/* class_index(8192) + 1 */

/* Filled by shim_setup_classes(); immutable once the shim is up. */
extern struct kmem_cache *class_cache[CLASS_SLOTS] __attribute__((visibility("hidden")));

/* 8-byte steps up to 1 KiB, 128-byte steps up to 8 KiB: every class is a multiple of its step. */
static inline unsigned int class_index(size_t size)
{
	return size <= 1024 ? (unsigned int)((size + 7) >> 3) : (unsigned int)(120 + ((size + 127) >> 7));
}

/**
 * shim_setup_classes() - fill class_cache[]: each slot's smallest cache that
 * holds the slot's largest size, among kmalloc's and the shim's own (made
 * here), each keeping SHIM_MIN_PARTIAL empty slabs per node.
 * Context: boot, in_kmm set. Return: true if every cache exists.
 */
bool shim_setup_classes(struct kmm_machine *m);

#endif /* KMM_SHIM_CLASSES_H */
