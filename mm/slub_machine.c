// SPDX-License-Identifier: MIT
/*
 * mm/slub_machine.c - the slab layer of one machine: its state set up, the
 * grace periods of SLAB_TYPESAFE_BY_RCU slabs, and its teardown.
 *
 * Linux counterpart: the per-machine part of kmem_cache_init (mm/slub.c,
 * 6.12) and, for the RCU queue, the grace period that rcu_barrier() and
 * synchronize_rcu() wait for. Added: the teardown (a Linux kernel never
 * takes its slab layer down): the caches' structures go first, and the
 * slabs of the two boot caches, which hold those structures, last; their
 * full slabs on no list are found by their frames. Added, kmm only: the
 * shadow's granule and the free pointer's place (slab_shadow_granule=,
 * slab_freeptr=, slub_boot_options()).
 *
 * Split from mm/slub.c to keep it under STYLE.md's 1,500 lines.
 *
 * Locking: rcu_lock for the RCU queue; the teardown runs single-threaded
 * (the machine is going away) and takes the usual locks anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/boot_options.h"
#include "mm/slab.h"

/* ---- Grace periods (SLAB_TYPESAFE_BY_RCU) ---- */

void slab_rcu_barrier(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);
	struct list_head done;

	if (!st)
		return;
	INIT_LIST_HEAD(&done);
	spin_lock(&st->rcu_lock);
	list_splice_tail_init(&st->rcu_pending, &done);
	st->nr_rcu_pending = 0;
	st->rcu_seq++;
	spin_unlock(&st->rcu_lock);
	while (!list_empty(&done)) {
		struct slab *slab = list_first_entry(&done, struct slab, slab_list);
		list_del(&slab->slab_list);
		__free_slab(slab->slab_cache, slab);
	}
}

void kmm_synchronize_rcu(struct kmm_machine *m)
{
	slab_rcu_barrier(m);
}

void synchronize_rcu(void)
{
	struct kmm_machine *m = kmm_current();
	if (m)
		slab_rcu_barrier(m);
}

/* ---- Per-machine setup ---- */

int slub_init_machine(struct kmm_machine *m)
{
	struct slab_machine *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	spin_lock_init(&st->slab_mutex);
	spin_lock_init(&st->rng_lock);
	spin_lock_init(&st->kmalloc_lazy_lock);
	spin_lock_init(&st->rcu_lock);
	sim_rwlock_init(&st->shrinker_rwsem);
	INIT_LIST_HEAD(&st->caches);
	INIT_LIST_HEAD(&st->rcu_pending);
	for (int i = 0; i < KMM_SLAB_SHADOW_CODES; i++)
		st->shadow_coded[i] = &slab_no_cache;
	const char *granule = kmm_boot_option(m, "slab_shadow_granule");
	st->shadow_shift = granule && !strcmp(granule, "16") ? 4 : 3;
	st->shadow_mask = (1u << st->shadow_shift) - 1;
	const char *freeptr = kmm_boot_option(m, "slab_freeptr");
	st->freeptr_start = freeptr && !strcmp(freeptr, "start");
	st->shadow_len = (kmm_direct_map_bytes(m) >> st->shadow_shift) + 1;
	st->shadow = sim_reserve_sparse(st->shadow_len);
	if (!st->shadow) {
		free(st);
		return -ENOMEM;
	}
	st->shadow_bias = (uintptr_t)st->shadow - ((uintptr_t)kmm_direct_map_base(m) >> st->shadow_shift);
	/* Deterministic per command line: same boot, same freelist order. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = m->cmdline; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	st->rng = h | 1;
	m->subsys[SUBSYS_SLAB] = st;
	return 0;
}

static int validate_shadow_granule(const char *val, char *err, size_t len)
{
	if (val && (!strcmp(val, "8") || !strcmp(val, "16")))
		return 0;
	snprintf(err, len, "expected 8 or 16, not '%s'", val ? val : "");
	return -EINVAL;
}

static int validate_freeptr(const char *val, char *err, size_t len)
{
	if (val && (!strcmp(val, "middle") || !strcmp(val, "start")))
		return 0;
	snprintf(err, len, "expected middle or start, not '%s'", val ? val : "");
	return -EINVAL;
}

/*
 * slub_boot_options() - register slab_shadow_granule= (8, the default, or
 * 16): the bytes of the direct map one shadow byte covers. 16 halves the
 * shadow (1/16 of the slabs' RAM instead of 1/8) and makes every cache's
 * objects 16-byte aligned (calculate_sizes()): for a machine whose objects
 * are all of 16-byte granularity anyway, as the malloc shim's classes are.
 * A kernel-like machine keeps 8 (kmalloc-8's objects are 8 bytes apart).
 * And slab_freeptr= (middle, the default and Linux's, or start): where a
 * free object of a cache without a constructor, poisoning or RCU keeps its
 * free pointer (and a sheaf's object its link), calculate_sizes().
 */
void slub_boot_options(void)
{
	kmm_register_boot_option("slab_shadow_granule", validate_shadow_granule);
	kmm_register_boot_option("slab_freeptr", validate_freeptr);
}

uintptr_t kmm_slab_shadow_bias(struct kmm_machine *m)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;

	return st ? st->shadow_bias : 0;
}

unsigned int kmm_slab_shadow_shift(struct kmm_machine *m)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;

	return st ? st->shadow_shift : 3;
}

/* What detach_full_off() takes: @s's full slabs on no list, onto @doomed. */
struct detach_full {
	struct kmem_cache *s;
	struct list_head *doomed;
};

static int detach_full_off(struct slab *slab, void *arg)
{
	struct detach_full *d = arg;

	if (slab->slab_cache == d->s) {
		slab_set_list(slab, SLAB_LIST_NONE);
		list_add_tail(&slab->slab_list, d->doomed);
	}
	return 0;
}

/*
 * Take every slab of boot cache @s off its lists onto @doomed (they hold the
 * structures of every cache: freed last, by free_boot_slabs()); its full
 * slabs on no list are found by their frames.
 * Context: the machine is going away (single-threaded).
 */
static void detach_boot_slabs(struct kmem_cache *s, struct list_head *doomed)
{
	unsigned long full_off = 0;

	if (!s)
		return;
	flush_all(s);
	kmm_cpu_lock_all(s->machine);
	for (int nid = 0; nid < s->machine->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		spin_lock(&n->list_lock);
		full_off += slab_full_off(s, nid);
		list_splice_tail_init(&n->partial, doomed);
		list_splice_tail_init(&n->full, doomed);
		list_splice_tail_init(&n->empty, doomed);
		spin_unlock(&n->list_lock);
	}
	if (full_off) {
		struct detach_full d = { .s = s, .doomed = doomed };
		for_each_full_off_slab(s->machine, detach_full_off, &d);
	}
	kmm_cpu_unlock_all(s->machine);
}

/* Free the slabs detach_boot_slabs() took, as cache @copy (a copy: @s lived in one). */
static void free_boot_slabs(struct kmem_cache *copy, struct list_head *doomed)
{
	while (!list_empty(doomed)) {
		struct slab *slab = list_first_entry(doomed, struct slab, slab_list);
		list_del(&slab->slab_list);
		__free_slab(copy, slab);
	}
}

void slub_shutdown_machine(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);
	struct list_head doomed_caches, doomed_nodes;
	struct kmem_cache kmem_cache, kmem_cache_node;

	if (!st)
		return;
	shrinker_shutdown_machine(m);
	INIT_LIST_HEAD(&doomed_caches);
	INIT_LIST_HEAD(&doomed_nodes);
	detach_boot_slabs(st->kmem_cache, &doomed_caches);
	detach_boot_slabs(st->kmem_cache_node, &doomed_nodes);
	if (st->kmem_cache)
		kmem_cache = *st->kmem_cache;
	if (st->kmem_cache_node)
		kmem_cache_node = *st->kmem_cache_node;
	while (!list_empty(&st->caches)) {
		struct kmem_cache *s = list_first_entry(&st->caches, struct kmem_cache, list);
		list_del(&s->list);
		__kmem_cache_release(s);
		kmem_cache_free_struct(s, false);	/* their slabs go below */
	}
	if (st->kmem_cache)
		free_boot_slabs(&kmem_cache, &doomed_caches);
	if (st->kmem_cache_node)
		free_boot_slabs(&kmem_cache_node, &doomed_nodes);
	sim_release(st->shadow, st->shadow_len);
	sim_rwlock_destroy(&st->shrinker_rwsem);
	free(st);
	m->subsys[SUBSYS_SLAB] = NULL;
}
