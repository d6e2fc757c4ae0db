// SPDX-License-Identifier: MIT
/*
 * tests/integration_kswapd.c - kswapd: it is woken exactly when an
 * allocation finds every eligible zone at or below its low watermark (the
 * fast path's check), reclaims until a zone is above its high watermark and
 * then sleeps (a short nap of 100 virtual ms first, whose early end counts
 * kswapd_low_wmark_hit_quickly), is not woken again between low and high, resets a watermark
 * boost, gives a hopeless node up after MAX_RECLAIM_RETRIES runs, and with
 * kswapd=thread reclaims on its own host thread while a process keeps
 * writing (every byte checked).
 */
#include "tests/swap_test.h"

#include <errno.h>
#include <time.h>

#include <kmm/proc.h>

/* What the fast path would say: does every zone of the zonelist fail its low mark? */
static bool all_zones_at_or_below_low(struct kmm_machine *m, gfp_t gfp)
{
	enum zone_type highest = gfp_zone_m(m, gfp);
	struct zonelist *zl = &m->node_data[0]->node_zonelists[ZONELIST_FALLBACK];

	for (int i = 0; zl->zones[i]; i++) {
		struct zone *z = zl->zones[i];
		if (z->type > highest || !managed_zone(z))
			continue;
		long free = (long)zone_page_state(z, NR_FREE_PAGES) - (long)z->nr_free_highatomic;
		if (free > (long)low_wmark_pages(z) + z->lowmem_reserve[highest])
			return false;
	}
	return true;
}

static bool node_balanced(struct kmm_machine *m, enum zone_type highest)
{
	pg_data_t *pgdat = m->node_data[0];

	for (int z = 0; z <= (int)highest; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		if (managed_zone(zone) &&
		    zone_page_state(zone, NR_FREE_PAGES) > high_wmark_pages(zone) +
							   (unsigned long)zone->lowmem_reserve[highest])
			return true;
	}
	return false;
}

TEST(kswapd_wakes_exactly_below_low_and_sleeps_above_high)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 128UL << 20);
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	struct task_struct *t = kmm_spawn(m, "t");
	const gfp_t gfp = GFP_HIGHUSER_MOVABLE;
	struct page *held[8192];
	unsigned long nheld = 0;
	int wakes = 0;
	uint64_t a;

	/* No watermark boosts: a boosted zone wakes kswapd from rmqueue (the next test). */
	assert_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "0"), 0);
	/* Reclaimable memory for kswapd: a process's anonymous pages (swap is on). */
	a = map_filled(t, 5000, 1);
	kmm_kswapd_run_pending(m);	/* whatever the writes woke */
	/* Now take pages one at a time; kswapd must wake on the first allocation
	 * that finds every zone at or below low, and on no earlier one. */
	while (wakes < 2 && nheld < ARRAY_SIZE(held)) {
		bool expect_wake = all_zones_at_or_below_low(m, gfp);
		struct page *p = kmm_alloc_pages(m, gfp, 0, -1);
		assert_true(p != NULL);
		held[nheld++] = p;
		bool woken = atomic_load(&k->woken);
		if (woken != expect_wake) {
			kmm_test_fail(__FILE__, __LINE__, "allocation %lu: kswapd woken %d, every zone "
				      "at or below low %d", nheld, woken, expect_wake);
			break;
		}
		if (!woken)
			continue;
		wakes++;
		/*
		 * Allocations go on before kswapd runs (it is asynchronous in Linux
		 * too), until no zone is above its high mark with the per-CPU lists
		 * drained (a pcp flush can lift a zone back over high).
		 */
		for (int i = 0; i < 64 && node_balanced(m, k->wake.highest_zoneidx); i++) {
			for (int j = 0; j < 64 && nheld < ARRAY_SIZE(held); j++) {
				held[nheld] = kmm_alloc_pages(m, gfp, 0, -1);
				assert_true(held[nheld] != NULL);
				nheld++;
			}
			drain_all_pages(m, NULL);
		}
		assert_true(!node_balanced(m, k->wake.highest_zoneidx));
		assert_true(atomic_load(&k->woken));
		unsigned long runs = k->runs;
		expect_eq(kmm_kswapd_run_pending(m), 1);
		expect_eq(k->runs, runs + 1);
		expect_true(!atomic_load(&k->woken));
		/* It stopped because a zone is above high (plus protection): balanced. */
		expect_true(node_balanced(m, k->last.highest_zoneidx));
		expect_true(k->last.balanced);
		expect_true(k->last.nr_reclaimed > 0);
		/* A second run finds nothing to do: it stopped at high, not beyond a need. */
		unsigned long before = k->reclaimed;
		expect_eq(kmm_kswapd_run(m, 0), 0);
		expect_eq(k->reclaimed, before);
		expect_eq(k->last.passes, 0);
	}
	expect_eq(wakes, 2);
	expect_true(vm_event(m, PGSTEAL_KSWAPD) > 0);
	expect_true(vm_event(m, PAGEOUTRUN) >= 2);
	while (nheld)
		__free_pages(held[--nheld], 0);
	CHECK(m);
	expect_true(verify_range(t, a, 0, 5000, 1));
	kmm_exit(t, 0);
	done(m);
}

/*
 * kswapd's short sleep (kswapd_try_to_sleep's HZ/10) on the virtual clock:
 * a balanced kswapd naps for 100 ms; woken again within them it counts
 * kswapd_low_wmark_hit_quickly (it went to sleep too early); after them a
 * still balanced node lets it sleep for good (nothing counted), a node
 * below high counts kswapd_high_wmark_hit_quickly and kswapd runs again.
 */
static struct page *nap_held[16384];

static unsigned long alloc_until(struct kmm_machine *m, unsigned long nheld, bool (*stop)(struct kmm_machine *))
{
	while (!stop(m) && nheld < ARRAY_SIZE(nap_held)) {
		nap_held[nheld] = kmm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1);
		assert_true(nap_held[nheld] != NULL);
		nheld++;
	}
	assert_true(stop(m));
	return nheld;
}

static bool kswapd_woken(struct kmm_machine *m)
{
	return atomic_load(&pressure_of(m)->node[0].kswapd.woken);
}

static bool below_high(struct kmm_machine *m)
{
	drain_all_pages(m, NULL);	/* a pcp flush can lift a zone back over high */
	return !node_balanced(m, pressure_of(m)->node[0].kswapd.last.highest_zoneidx);
}

TEST(kswapd_short_sleep_counts_premature_wakes_on_the_virtual_clock)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 128UL << 20);
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t nap = 100000000ull;	/* HZ/10 */
	unsigned long nheld = 0, low0, high0;

	assert_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "0"), 0);
	uint64_t a = map_filled(t, 5000, 1);
	kmm_kswapd_run_pending(m);
	nheld = alloc_until(m, nheld, kswapd_woken);
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_true(k->napping);	/* balanced: the short sleep began */

	/* Woken within the 100 ms (the allocations cost far less virtual time). */
	low0 = vm_event(m, KSWAPD_LOW_WMARK_HIT_QUICKLY);
	nheld = alloc_until(m, nheld, kswapd_woken);
	expect_true(k->woke_from_nap);
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_eq(vm_event(m, KSWAPD_LOW_WMARK_HIT_QUICKLY), low0 + 1);

	/* Woken after the 100 ms: it had slept for good, nothing counted. */
	kmm_clock_advance(m, 2 * nap);
	nheld = alloc_until(m, nheld, kswapd_woken);
	expect_true(!k->woke_from_nap);
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_eq(vm_event(m, KSWAPD_LOW_WMARK_HIT_QUICKLY), low0 + 1);

	/* The nap ends with the node still balanced: sleep, no run, no count. */
	high0 = vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
	kmm_clock_advance(m, 2 * nap);
	expect_eq(kmm_kswapd_run_pending(m), 0);
	expect_true(!k->napping);
	expect_eq(vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY), high0);

	/* The nap ends with the node below high (but never below low): run again. */
	expect_true(kmm_kswapd_run(m, 0) >= 0);
	expect_true(k->napping);
	nheld = alloc_until(m, nheld, below_high);
	expect_true(!kswapd_woken(m));
	expect_eq(kmm_kswapd_run_pending(m), 0);	/* still in the nap */
	kmm_clock_advance(m, 2 * nap);
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_eq(vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY), high0 + 1);
	expect_true(k->last.balanced);

	while (nheld)
		__free_pages(nap_held[--nheld], 0);
	CHECK(m);
	expect_true(verify_range(t, a, 0, 5000, 1));
	kmm_exit(t, 0);
	done(m);
}

TEST(kswapd_reclaims_a_watermark_boost_and_resets_it)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 64UL << 20);
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	struct task_struct *t = kmm_spawn(m, "t");
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];

	map_filled(t, 3000, 2);
	kmm_kswapd_run_pending(m);
	/* What a fragmenting fallback does (boost_watermark): raise the marks, flag the zone. */
	unsigned long boost = 256;
	spin_lock(&z->lock);
	__atomic_store_n(&z->watermark_boost, boost, __ATOMIC_RELAXED);
	spin_unlock(&z->lock);
	__atomic_fetch_or(&z->flags, 1UL << ZONE_BOOSTED_WATERMARK, __ATOMIC_RELAXED);
	struct page *p = kmm_alloc_pages(m, GFP_KERNEL, 0, -1);	/* rmqueue wakes kswapd */
	assert_true(p != NULL);
	expect_true(atomic_load(&k->woken));
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_true(k->last.boost_reset);
	expect_eq(k->last.boosted, boost);
	expect_eq(__atomic_load_n(&z->watermark_boost, __ATOMIC_RELAXED), 0);
	__free_pages(p, 0);
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}

TEST(a_node_with_nothing_to_reclaim_is_given_up)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64", 0);	/* no swap */
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	struct page *held[16384];
	unsigned long nheld = 0;

	assert_eq(kmm_sysctl_write(m, "vm.watermark_boost_factor", "0"), 0);
	/* Kernel pages only: nothing kswapd can take. */
	while (!atomic_load(&k->woken) && nheld < ARRAY_SIZE(held))
		held[nheld++] = kmm_alloc_pages(m, GFP_KERNEL, 0, -1);
	assert_true(atomic_load(&k->woken));
	expect_eq(kmm_kswapd_run_pending(m), 1);
	expect_eq(k->last.nr_reclaimed, 0);
	expect_true(!k->last.balanced);
	expect_eq(m->node_data[0]->kswapd_failures, MAX_RECLAIM_RETRIES);
	expect_eq(vm_event(m, KSWAPD_HIGH_WMARK_HIT_QUICKLY), MAX_RECLAIM_RETRIES - 1);
	char *zi = t_proc(m, "/proc/zoneinfo");
	expect_str_contains(zi, "node_unreclaimable:  1");
	free(zi);
	/* Hopeless: a further allocation does not wake it. */
	held[nheld++] = kmm_alloc_pages(m, GFP_KERNEL, 0, -1);
	expect_true(!atomic_load(&k->woken));
	while (nheld)
		if (held[--nheld])
			__free_pages(held[nheld], 0);
	done(m);
}

TEST(kswapd_on_a_host_thread_reclaims_while_a_process_writes)
{
	struct kmm_machine *m = boot_swap("mem=64M arch=x86_64 kswapd=thread maxcpus=2", 256UL << 20);
	struct kswapd *k = &pressure_of(m)->node[0].kswapd;
	struct task_struct *t = kmm_spawn(m, "t");
	const uint64_t n = 20000;	/* more than twice the RAM */
	uint64_t a;

	assert_true(k->thread != NULL);
	a = map_filled(t, n, 3);
	/*
	 * kswapd ran by itself on its thread (the step API is not used here):
	 * wait for its first stolen page with no time limit - a kswapd that
	 * never reclaims hangs the test, and ctest's TIMEOUT reports it.
	 */
	while (!vm_event(m, PGSTEAL_KSWAPD)) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	expect_eq(kmm_kswapd_run_pending(m), 0);	/* nothing is left for the step API */
	expect_true(verify_range(t, a, 0, n, 3));
	CHECK(m);
	kmm_exit(t, 0);
	done(m);
}
