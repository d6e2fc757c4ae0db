// SPDX-License-Identifier: MIT
/*
 * tests/stress_slab_list_byte.c - a slab's list byte, written while another
 * CPU swaps the slab's freelist and counters, keeps what was written.
 *
 * place_slab_locked() and list_remove_locked() (mm/slub_cache.c) write a
 * slab's list byte (slab_set_list(), mm/slab.h) holding n->list_lock but
 * not the slab lock, while a free on another CPU may push an object on the
 * slab with one slab_cmpxchg() of the pair (freelist, counters) the byte is
 * part of. That swap must either fail (the byte changed under it: it reads
 * the pair again and retries) or come before the write: never write back
 * the byte it read over the one written meanwhile. A lost write leaves a
 * slab linked on a node list with the byte of no list, which
 * list_remove_locked() then leaves linked there when the slab moves to a
 * CPU: two lists sharing a slab, and stress_slab_owned's hang (a CPU
 * partial list that never returns to its head; sessions 21 and 22).
 *
 * The hardware's lock cmpxchg16b is atomic against every store. The
 * ThreadSanitizer runtimes are not: they swap 16 bytes as a load and a
 * store under a lock of their own, and a plain byte store between the two
 * was lost (65,450 of 20,000,000 in a loop like this one under gcc 12's
 * libtsan). So this test matters under `make test-tsan` (label tsan),
 * where slab_set_list() swaps the pair itself; it fails there with the
 * byte store. One thread swaps the pair as a remote free does (freelist
 * and inuse change, the byte it read is written back); the other writes
 * the byte and reads it back. Only the second writes a new byte, so any
 * other byte read back is a lost write. The writer stops 1,023 times until
 * a swap has gone through with its latest byte in the pair, so the threads
 * run side by side however the host schedules them (against the byte store
 * under TSan, 6 runs of 6 lost writes this way; 1 of 3 without the stops,
 * on the 2-CPU box at load 5). Deterministic in what it asserts. Without a
 * 16-byte swap (the locked fallback, mm/slab.h) the free writes the pair
 * under the slab lock, and the same must hold.
 */
#include <stdatomic.h>

#include "tests/slab_test.h"

static struct slab pair_slab __attribute__((aligned(64)));
static atomic_int stop, started;
/* How many times the writer waits for a swap with its byte in the pair. */
#define CHECKPOINTS 1024

/* The write after which the writer waits for the k-th time (0 < k <
 * CHECKPOINTS): near k * step, odd for odd k, so both list values wait. */
static unsigned long checkpoint(unsigned long k, unsigned long step)
{
	unsigned long i = k * step;

	return i + ((i ^ k) & 1);
}
static char objs[2][64];

/* What the swapping thread did: its swaps, and how often the byte it read
 * differed from the one it read before (the writer's writes, seen from the
 * other thread: the evidence that the two threads ran at the same time). */
struct swaps {
	atomic_ulong done, byte_changes;
};

/* A remote free's swaps, until told to stop. */
static void *swapper(void *arg)
{
	struct swaps *sw = arg;
	enum slab_list_id last = slab_list_id(&pair_slab);

	atomic_store(&started, 1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
#if SLAB_CMPXCHG_DOUBLE
		void *fl = __atomic_load_n(&pair_slab.freelist, __ATOMIC_RELAXED);
		unsigned long cnt = __atomic_load_n(&pair_slab.counters, __ATOMIC_RELAXED);
		struct slab new;

		new.counters = cnt;
		if (slab_list_id(&new) != last) {
			last = slab_list_id(&new);
			atomic_fetch_add_explicit(&sw->byte_changes, 1, memory_order_relaxed);
		}
		new.inuse = (unsigned short)(new.inuse > 1 ? new.inuse - 1 : new.objects);
		if (slab_cmpxchg(&pair_slab, fl, cnt, fl == objs[0] ? objs[1] : objs[0], new.counters))
			atomic_fetch_add_explicit(&sw->done, 1, memory_order_release);
#else
		/* The locked fallback: a remote free writes the pair under the slab lock. */
		slab_lock(&pair_slab);
		void *fl = READ_ONCE(pair_slab.freelist);
		unsigned short inuse = READ_ONCE(pair_slab.inuse);
		if (slab_list_id(&pair_slab) != last) {
			last = slab_list_id(&pair_slab);
			atomic_fetch_add_explicit(&sw->byte_changes, 1, memory_order_relaxed);
		}
		WRITE_ONCE(pair_slab.freelist, fl == objs[0] ? objs[1] : objs[0]);
		WRITE_ONCE(pair_slab.inuse, (unsigned short)(inuse > 1 ? inuse - 1 : pair_slab.objects));
		slab_unlock(&pair_slab);
		atomic_fetch_add_explicit(&sw->done, 1, memory_order_release);
#endif
	}
	return NULL;
}

TEST(a_list_byte_written_during_remote_frees_is_never_lost)
{
	unsigned long writes = kmm_test_quick() ? 2000000 : 8000000, lost = 0, met = 0;
	unsigned long step = writes / CHECKPOINTS, k = 1, cp = checkpoint(1, step);
	struct swaps sw = { 0, 0 };
	sim_thread *t;

	pair_slab.freelist = objs[0];
	pair_slab.objects = 60000;
	pair_slab.inuse = 60000;
	slab_set_list(&pair_slab, SLAB_LIST_NONE);
	assert_eq(sim_thread_start(&t, swapper, &sw), 0);
	while (!atomic_load(&started))
		sim_cpu_relax();
	for (unsigned long i = 0; i < writes; i++) {
		enum slab_list_id id = (i & 1) ? SLAB_LIST_PARTIAL : SLAB_LIST_EMPTY;

		slab_set_list(&pair_slab, id);
		/* A swap that loaded the pair before the write stores it back about now. */
		for (int k = 0; k < 16; k++)
			if (slab_list_id(&pair_slab) != id) {
				lost++;
				break;
			}
		/*
		 * At each checkpoint, wait until a swap goes through with
		 * this byte in the pair: the two threads then certainly ran
		 * during the writes, however the host schedules them
		 * (review22: a test whose threads never met would pass with
		 * nothing tested), and each wait starts them together again.
		 */
		if (i == cp) {
			unsigned long before = atomic_load_explicit(&sw.done, memory_order_acquire);

			for (unsigned long w = 0; w < 10000000; w++) {
				if (atomic_load_explicit(&sw.done, memory_order_acquire) != before) {
					met++;
					break;
				}
				sim_yield();
			}
			cp = ++k < CHECKPOINTS ? checkpoint(k, step) : writes;
		}
	}
	atomic_store(&stop, 1);
	sim_thread_join(t);
	printf("%lu list byte writes, %lu lost; %lu swaps beside them, which saw the byte change "
	       "%lu times; %lu of %d checkpoints met by a swap\n", writes, lost,
	       atomic_load(&sw.done), atomic_load(&sw.byte_changes), met, CHECKPOINTS - 1);
	expect_eq(lost, 0);
	/* Every checkpoint saw a swap; so the swapper read both list values. */
	expect_eq(met, CHECKPOINTS - 1);
	expect_true(atomic_load(&sw.byte_changes) >= 2);
	/* The swaps' own writes were kept: the byte and the other fields are intact. */
	expect_eq(pair_slab.objects, 60000);
	expect_eq(slab_list_id(&pair_slab), (writes - 1) & 1 ? SLAB_LIST_PARTIAL : SLAB_LIST_EMPTY);
	expect_true(pair_slab.freelist == objs[0] || pair_slab.freelist == objs[1]);
}
