// SPDX-License-Identifier: MIT
/*
 * mm/shrinker.c - shrinkers: callbacks that free cached objects when memory
 * is short, and shrink_slab() that asks them, for the reclaim layer.
 *
 * Linux counterpart: mm/shrinker.c (6.12), do_shrink_slab() and
 * shrink_slab(). Kept: the count/scan protocol (count_objects says how much
 * could go, scan_objects frees up to nr_to_scan and returns what it freed or
 * SHRINK_STOP), the pressure arithmetic (freeable >> priority, times 4/seeks,
 * capped at twice the freeable count), batches of shrinker->batch (default
 * 128), work deferred to the next call, slabs_scanned in /proc/vmstat.
 * Simplified: one deferred counter per shrinker (not per node or memcg);
 * shrinker_rwsem read-held across the callbacks instead of RCU + refcounts.
 *
 * Invariant: a shrinker is on at most one machine's list, once.
 *
 * Locking: shrinker_rwsem (rw): shrink_slab reads, (un)register writes.
 * Callbacks run with no slab or zone lock held, so they may kfree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm/include/slab.h"
#include "mm/include/vmstat.h"
#include "mm/slab.h"

#define SHRINK_BATCH 128

int kmm_register_shrinker(struct kmm_machine *m, struct shrinker *s, const char *name)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;

	if (!st)
		return kmm_set_error(-ENODEV, "register_shrinker: no machine with a slab layer");
	if (!s || !s->count_objects || !s->scan_objects)
		return kmm_set_error(-EINVAL, "register_shrinker(%s): count_objects and "
				     "scan_objects are required", name ? name : "?");
	sim_write_lock(&st->shrinker_rwsem);
	for (struct shrinker *p = st->shrinkers; p; p = p->next) {
		if (p == s) {
			sim_write_unlock(&st->shrinker_rwsem);
			return kmm_set_error(-EBUSY, "register_shrinker(%s): already registered",
					     s->name);
		}
	}
	s->machine = m;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "shrinker");
	s->nr_deferred = 0;
	s->next = st->shrinkers;
	st->shrinkers = s;
	sim_write_unlock(&st->shrinker_rwsem);
	return 0;
}

int register_shrinker(struct shrinker *s, const char *name)
{
	return kmm_register_shrinker(kmm_current(), s, name);
}

void unregister_shrinker(struct shrinker *s)
{
	struct slab_machine *st;

	if (!s || !s->machine || !(st = slab_state(s->machine)))
		return;
	sim_write_lock(&st->shrinker_rwsem);
	for (struct shrinker **pp = &st->shrinkers; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	sim_write_unlock(&st->shrinker_rwsem);
	s->next = NULL;
	s->machine = NULL;
}

static unsigned long do_shrink_slab(struct kmm_machine *m, struct shrink_control *sc,
				    struct shrinker *s, int priority)
{
	unsigned long freed = 0, scanned = 0;
	long batch = s->batch ? s->batch : SHRINK_BATCH;
	unsigned long freeable, delta, total_scan;
	long nr, next_deferred;

	freeable = s->count_objects(s, sc);
	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return freeable;
	nr = __atomic_exchange_n(&s->nr_deferred, 0, __ATOMIC_RELAXED);
	if (s->seeks) {
		delta = (freeable >> priority) * 4;
		delta /= (unsigned long)s->seeks;
	} else {
		delta = freeable / 2;
	}
	total_scan = ((unsigned long)nr >> priority) + delta;
	if (total_scan > 2 * freeable)
		total_scan = 2 * freeable;
	while (total_scan >= (unsigned long)batch || total_scan >= freeable) {
		unsigned long ret, nr_to_scan = KMM_MIN((unsigned long)batch, total_scan);

		sc->nr_to_scan = nr_to_scan;
		sc->nr_scanned = nr_to_scan;
		ret = s->scan_objects(s, sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		count_vm_events(m, SLABS_SCANNED, (long)sc->nr_scanned);
		total_scan -= KMM_MIN(total_scan, sc->nr_scanned);
		scanned += sc->nr_scanned;
		if (!sc->nr_scanned)
			break;
	}
	next_deferred = (long)nr + (long)delta - (long)scanned;
	if (next_deferred < 0)
		next_deferred = 0;
	if ((unsigned long)next_deferred > 2 * freeable)
		next_deferred = (long)(2 * freeable);
	__atomic_fetch_add(&s->nr_deferred, next_deferred, __ATOMIC_RELAXED);
	return freed;
}

unsigned long shrink_slab(struct kmm_machine *m, gfp_t gfp, int nid, int priority)
{
	struct slab_machine *st = slab_state(m);
	unsigned long freed = 0;

	if (!st)
		return 0;
	if (priority < 0)
		priority = 0;
	sim_read_lock(&st->shrinker_rwsem);
	for (struct shrinker *s = st->shrinkers; s; s = s->next) {
		struct shrink_control sc = {
			.gfp_mask = gfp,
			.nid = (s->flags & SHRINKER_NUMA_AWARE) ? nid : 0,
		};
		unsigned long ret = do_shrink_slab(m, &sc, s, priority);
		if (ret == SHRINK_EMPTY)
			ret = 0;
		freed += ret;
	}
	sim_read_unlock(&st->shrinker_rwsem);
	return freed;
}

void shrinker_shutdown_machine(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);

	sim_write_lock(&st->shrinker_rwsem);
	while (st->shrinkers) {
		struct shrinker *s = st->shrinkers;
		st->shrinkers = s->next;
		s->next = NULL;
		s->machine = NULL;
	}
	sim_write_unlock(&st->shrinker_rwsem);
}
