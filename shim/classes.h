// SPDX-License-Identifier: MIT
/*
 * shim/classes.h - the malloc shim's size classes of the default mode
 * (shim/classes.c): class_cache(class_index(size)) is the cache that serves
 * a request of 1 .. 8 KiB.
 */
#ifndef KMM_SHIM_CLASSES_H
#define KMM_SHIM_CLASSES_H

#include <stdbool.h>
#include <stddef.h>

struct kmm_machine;
struct kmem_cache;

#define CLASS_SLOTS 1025	/* class_index(8192) + 1 */

#define CLASS_MAX 24	/* kmalloc's 13 classes and the shim's 11 */

/*
 * Filled by shim_setup_classes(); immutable once the shim is up: the
 * classes' caches from the smallest up, and by class_index() the number of
 * the slot's class among them (class_cache()): 1 KB of bytes and 192 of
 * pointers, where a pointer a slot took 8 KB.
 */
extern struct kmem_cache *class_caches[CLASS_MAX] __attribute__((visibility("hidden")));
extern unsigned char class_num[CLASS_SLOTS] __attribute__((visibility("hidden")));
/*
 * The usable bytes of a live block whose shadow byte says shadow code c
 * (KMM_SLAB_SHADOW_CODE_BASE + c, mm/include/slab.h): class_code_size[c],
 * for the caches shim_setup_classes() coded; 0 for any other code. So
 * realloc sizes a small block from the one byte free() reads too, not
 * from its struct page and ksize(). Immutable once the shim is up.
 */
#define CLASS_CODES 64	/* KMM_SLAB_SHADOW_CODES */
extern unsigned short class_code_size[CLASS_CODES] __attribute__((visibility("hidden")));

/*
 * One slot per 8-byte step up to 8 KiB (every class is a multiple of 8):
 * malloc's index is an add and a shift, no branch. 1 KiB of bytes (each
 * table by slot), of which a program touches the lines of the sizes it asks
 * for; 128-byte steps above 1 KiB (185 slots) cost malloc a compare, a
 * branch and a jump (callgrind, small_churn 2000000 100000: 3 instructions
 * per malloc).
 */
static inline size_t class_index(size_t size)
{
	return (size + 7) >> 3;
}

/* The cache of slot @slot (class_index()): valid once shim_setup_classes() succeeded. */
static inline struct kmem_cache *class_cache(size_t slot)
{
	return class_caches[class_num[slot]];
}

/**
 * shim_setup_classes() - fill class_num[] and class_caches[]: each slot's smallest cache that
 * holds the slot's largest size, among kmalloc's and the shim's own (made
 * here), each keeping SHIM_MIN_PARTIAL empty slabs per node.
 * Context: boot, in_kmm set. Return: true if every cache exists.
 */
bool shim_setup_classes(struct kmm_machine *m);

/**
 * shim_classes_aligned() - is every class cache's every block aligned as
 * malloc promises (16 bytes, 8 for the 8-byte class)? So in the default
 * layout (kmem_cache_obj_align()); only then may malloc return the
 * lock-free path's block untested.
 * Context: after shim_setup_classes() succeeded. Return: true if so.
 */
bool shim_classes_aligned(void);

#endif /* KMM_SHIM_CLASSES_H */
