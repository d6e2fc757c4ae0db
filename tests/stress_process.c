// SPDX-License-Identifier: MIT
/*
 * tests/stress_process.c - a seeded random walk over several processes:
 * spawn, mmap, munmap, mprotect, mremap, madvise, mlock, fork, exit, kill, touch
 * (reads and writes, which may fault, copy on write, or kill). kmm_check
 * runs after every step in KMM_DEBUG_CHECKS builds, every 8th otherwise
 * (mapcounts equal present PTEs, refcounts exact, the reverse map finds
 * every PTE, RSS, page-table, commit-charge and mlock counters agree); each
 * process also owns an 8-page "diary" region whose contents are checked
 * against a shadow copy, so COW isolation is verified on every read. At the
 * end every process exits and every frame must be back in the buddy
 * allocator. KMM_QUICK=1 takes fewer steps; KMM_SEED replays a run.
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>

#include <kmm/process.h>

#include "mm/include/filemap.h"
#include "mm/include/mm.h"

#define MAX_TASKS 6
#define DIARY_PAGES 8

struct slot {
	struct task_struct *t;
	uint64_t diary;
	unsigned char shadow[DIARY_PAGES];
};

static void reap(struct slot *sl)
{
	if (sl->t && !kmm_task_alive(sl->t)) {
		kmm_task_release(sl->t);
		sl->t = NULL;
	}
}

static int spawn_slot(struct kmm_machine *m, struct slot *sl, int i)
{
	char name[16];

	snprintf(name, sizeof(name), "p%d", i);
	sl->t = kmm_spawn(m, name);
	if (!sl->t)
		return -ENOMEM;
	if (kmm_mmap(sl->t, 0, DIARY_PAGES * PAGE_SIZE, KMM_PROT_READ | KMM_PROT_WRITE,
		     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &sl->diary))
		return -ENOMEM;
	memset(sl->shadow, 0, sizeof(sl->shadow));
	return 0;
}

/* A random VMA of @t other than its diary and the stack/text (keeps it runnable). */
static struct vm_area_struct *pick_vma(struct slot *sl, uint64_t *s)
{
	struct mm_struct *mm = sl->t->mm;

	for (int tries = 0; tries < 8; tries++) {
		uint64_t n = t_rnd(s, (uint64_t)mm->map_count);
		VMA_ITERATOR(vmi, mm, 0);
		struct vm_area_struct *v = vma_next(&vmi);
		while (n--)
			v = vma_next(&vmi);
		if (v->vm_end > sl->diary && v->vm_start < sl->diary + DIARY_PAGES * PAGE_SIZE)
			continue;
		if (v->vm_flags & (VM_GROWSDOWN | VM_EXEC))
			continue;
		return v;
	}
	return NULL;
}

static void run(const char *cmdline, unsigned long steps)
{
	struct kmm_machine *m = boot(cmdline);
	struct slot slots[MAX_TASKS] = { 0 };
	uint64_t s = kmm_test_seed() ^ 0x5eed;
	static const int prots[] = { KMM_PROT_READ, KMM_PROT_READ | KMM_PROT_WRITE, KMM_PROT_NONE,
				     KMM_PROT_READ | KMM_PROT_WRITE | KMM_PROT_EXEC };

	for (unsigned long step = 0; step < steps; step++) {
		int i = (int)t_rnd(&s, MAX_TASKS);
		struct slot *sl = &slots[i];
		reap(sl);
		if (!sl->t) {
			assert_eq(spawn_slot(m, sl, i), 0);
			continue;
		}
		struct task_struct *t = sl->t;
		uint64_t x;
		switch (t_rnd(&s, 17)) {
		case 0: {	/* mmap */
			uint64_t len = (1 + t_rnd(&s, 16)) * PAGE_SIZE;
			int flags = KMM_MAP_ANONYMOUS | (t_rnd(&s, 5) ? KMM_MAP_PRIVATE : KMM_MAP_SHARED);
			if (!t_rnd(&s, 6))
				flags |= KMM_MAP_POPULATE;
			if (!t_rnd(&s, 10))
				flags |= KMM_MAP_LOCKED;
			kmm_mmap(t, 0, len, prots[t_rnd(&s, 4)], flags, &x);
			break;
		}
		case 1: {	/* munmap part of a VMA */
			struct vm_area_struct *v = pick_vma(sl, &s);
			if (!v)
				break;
			uint64_t n = vma_pages(v), off = t_rnd(&s, n), len = 1 + t_rnd(&s, n - off);
			expect_eq(kmm_munmap(t, v->vm_start + off * PAGE_SIZE, len * PAGE_SIZE), 0);
			break;
		}
		case 2: {	/* mprotect part of a VMA */
			struct vm_area_struct *v = pick_vma(sl, &s);
			if (!v)
				break;
			uint64_t n = vma_pages(v), off = t_rnd(&s, n), len = 1 + t_rnd(&s, n - off);
			expect_eq(kmm_mprotect(t, v->vm_start + off * PAGE_SIZE, len * PAGE_SIZE,
					       prots[t_rnd(&s, 4)]), 0);
			break;
		}
		case 3: {	/* mremap a whole VMA */
			struct vm_area_struct *v = pick_vma(sl, &s);
			if (!v)
				break;
			uint64_t n = vma_pages(v);
			kmm_mremap(t, v->vm_start, n * PAGE_SIZE, (1 + t_rnd(&s, 2 * n)) * PAGE_SIZE,
				   KMM_MREMAP_MAYMOVE, 0, &x);
			break;
		}
		case 4: {	/* madvise */
			struct vm_area_struct *v = pick_vma(sl, &s);
			static const int adv[] = { KMM_MADV_DONTNEED, KMM_MADV_FREE, KMM_MADV_DONTFORK,
						   KMM_MADV_DOFORK, KMM_MADV_WILLNEED };
			if (v)
				kmm_madvise(t, v->vm_start, vma_pages(v) * PAGE_SIZE, adv[t_rnd(&s, 5)]);
			break;
		}
		case 5:
		case 6: {	/* fork into a random slot, ending what ran there */
			int j = (int)t_rnd(&s, MAX_TASKS);
			if (j == i)
				break;
			if (slots[j].t && kmm_task_alive(slots[j].t))
				kmm_exit(slots[j].t, 0);
			reap(&slots[j]);
			char name[16];
			snprintf(name, sizeof(name), "c%d", j);
			slots[j].t = kmm_fork(t, name);
			assert_true(slots[j].t != NULL);
			slots[j].diary = sl->diary;
			memcpy(slots[j].shadow, sl->shadow, sizeof(sl->shadow));
			break;
		}
		case 7:		/* exit or kill */
			if (t_rnd(&s, 2))
				kmm_exit(t, 0);
			else
				kmm_kill(t, KMM_SIGKILL);
			reap(sl);
			break;
		case 8:
		case 9:
		case 10: {	/* diary write */
			int pg = (int)t_rnd(&s, DIARY_PAGES);
			unsigned char b = (unsigned char)(1 + t_rnd(&s, 255));
			assert_eq(kmm_fill(t, sl->diary + (uint64_t)pg * PAGE_SIZE + t_rnd(&s, PAGE_SIZE), b, 1), 0);
			/* the write hit one byte; fill the whole page so one byte describes it */
			assert_eq(kmm_fill(t, sl->diary + (uint64_t)pg * PAGE_SIZE, b, PAGE_SIZE), 0);
			sl->shadow[pg] = b;
			break;
		}
		case 11: {	/* diary read: COW isolation */
			int pg = (int)t_rnd(&s, DIARY_PAGES);
			unsigned char b = 0xff;
			assert_eq(kmm_access(t, sl->diary + (uint64_t)pg * PAGE_SIZE + t_rnd(&s, PAGE_SIZE), &b, 1,
					     false), 0);
			if (!expect_eq(b, sl->shadow[pg]))
				kmm_test_abort();
			break;
		}
		case 15:
		case 16: {	/* mlock or munlock part of a VMA */
			struct vm_area_struct *v = pick_vma(sl, &s);
			if (!v)
				break;
			uint64_t n = vma_pages(v), off = t_rnd(&s, n), len = 1 + t_rnd(&s, n - off);
			/*
			 * mlock faults the range in and says ENOMEM where it cannot
			 * (Linux's __mm_populate, __mlock_posix_error_return): a
			 * PROT_NONE VMA (gup refuses it), or a mapping grown by mremap
			 * past the end of its file (or of its shared anonymous object),
			 * whose pages there a fault cannot make (SIGBUS).
			 */
			bool past_end = v->vm_file && v->vm_pgoff + off + len >
							      DIV_ROUND_UP(i_size_read(v->vm_file), PAGE_SIZE);
			bool fails = !(v->vm_flags & (VM_IO | VM_PFNMAP)) && (!vma_is_accessible(v) || past_end);
			if (t_rnd(&s, 2))
				expect_eq(kmm_mlock(t, v->vm_start + off * PAGE_SIZE, len * PAGE_SIZE),
					  fails ? -ENOMEM : 0);
			else
				expect_eq(kmm_munlock(t, v->vm_start + off * PAGE_SIZE, len * PAGE_SIZE), 0);
			break;
		}
		default: {	/* touch a random VMA: may fault, copy, or kill */
			struct vm_area_struct *v = pick_vma(sl, &s);
			if (!v)
				break;
			uint64_t a = v->vm_start + t_rnd(&s, vma_pages(v)) * PAGE_SIZE;
			kmm_touch(t, a, 1, t_rnd(&s, 2));
			reap(sl);
			break;
		}
		}
#ifdef KMM_DEBUG_CHECKS
		bool every = true;
#else
		bool every = (step % 8) == 0;
#endif
		if (every && kmm_check(m)) {
			kmm_test_fail(__FILE__, __LINE__, "step %lu: %s", step, kmm_last_error());
			kmm_test_abort();
		}
	}
	/* the walk did exercise copy-on-write */
	if (getenv("KMM_VERBOSE"))
		printf("cow copies %lu reuses %lu\n", atomic_load(&procs_of(m)->cow_copies), atomic_load(&procs_of(m)->cow_reuses));
	expect_true(atomic_load(&procs_of(m)->cow_copies) > 0);
	if (!kmm_test_quick())
		expect_true(atomic_load(&procs_of(m)->cow_reuses) > 0);
	for (int i = 0; i < MAX_TASKS; i++) {
		if (slots[i].t && kmm_task_alive(slots[i].t))
			kmm_exit(slots[i].t, 0);
		reap(&slots[i]);
	}
	done(m);
}

TEST(random_processes_x86_64)
{
	run("mem=256M arch=x86_64", kmm_test_quick() ? 1000 : 5000);
}

TEST(random_processes_i386_highmem)
{
	run("mem=1G arch=i386", kmm_test_quick() ? 1000 : 5000);
}

TEST(random_processes_pae)
{
	run("mem=1G arch=i386-pae", kmm_test_quick() ? 1000 : 3000);
}
