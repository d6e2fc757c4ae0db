// SPDX-License-Identifier: MIT
/*
 * mm/kswapd_thread.c - kswapd as a host thread (kswapd=thread): each node's
 * kswapd state set up at boot, its thread started and stopped, and the
 * thread's loop, which sleeps on the node's wait queue until wakeup_kswapd()
 * marks it woken and then runs one wake-up's work (kswapd_work(),
 * mm/vmscan.c). With kswapd=step (the default) no thread is started and the
 * scenario runner calls the same work (kmm_kswapd_run_pending()).
 *
 * Linux counterpart: mm/vmscan.c (kswapd_run, kswapd_stop, the kswapd()
 * thread's loop). Split out of mm/vmscan.c (STYLE: files stay under 1,500
 * lines); the reclaim itself stays there.
 *
 * Locking: k->wq's lock around the woken and stop flags' waits (sim_waitq);
 * k->stop and k->woken are atomic.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/swap.h"

struct kswapd_thread_arg {
	struct kmm_machine *m;
	struct kswapd *k;
};

static bool kswapd_has_work(void *arg)
{
	struct kswapd *k = arg;

	return atomic_load(&k->stop) || atomic_load(&k->woken);
}

static void *kswapd_thread(void *arg)
{
	struct kswapd_thread_arg *a = arg;
	struct kmm_machine *m = a->m;
	struct kswapd *k = a->k;

	free(a);
	kmm_use(m);
	for (;;) {
		sim_waitq_wait(&k->wq, kswapd_has_work, k);
		if (atomic_load(&k->stop))	/* read after the wait dropped the wq lock */
			break;
		kswapd_work(m, k);
	}
	return NULL;
}

static void set_stop(void *arg)
{
	atomic_store(&((struct kswapd *)arg)->stop, true);
}

int kswapd_init(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		struct kswapd *k = &p->node[nid].kswapd;

		if (!pgdat)
			continue;
		k->pgdat = pgdat;
		spin_lock_init(&k->lock);
		atomic_store(&k->woken, false);
		pgdat->kswapd_order = 0;
		pgdat->kswapd_highest_zoneidx = MAX_NR_ZONES;
		pgdat->kswapd_failures = 0;
		sim_waitq_init(&k->wq);
		if (p->kswapd_mode == KSWAPD_THREAD) {
			struct kswapd_thread_arg *a = malloc(sizeof(*a));
			if (!a)
				return -ENOMEM;
			a->m = m;
			a->k = k;
			if (sim_thread_start(&k->thread, kswapd_thread, a)) {
				free(a);
				return kmm_set_error(-EAGAIN, "kswapd%d: cannot start its host thread", nid);
			}
		}
	}
	return 0;
}

void kswapd_shutdown(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kswapd *k = &p->node[nid].kswapd;

		if (!k->pgdat)
			continue;
		if (k->thread) {
			sim_waitq_wake(&k->wq, set_stop, k);
			sim_thread_join(k->thread);
			k->thread = NULL;
		}
		sim_waitq_destroy(&k->wq);
		k->pgdat = NULL;
	}
}
