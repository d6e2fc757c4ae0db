// SPDX-License-Identifier: MIT
/*
 * tests/integration_process.c - processes after Linux's selftests
 * (tools/testing/selftests/mm: cow.c, mremap_test.c, map_fixed_noreplace.c,
 * stack guard gap tests): copy-on-write isolation both ways, after an
 * mprotect round trip and for zero-page-first pages; the fourth seed's
 * sharing/copy/reuse sequence; MAP_FIXED_NOREPLACE; mremap merging; stack
 * growth stopping at the guard gap; munmap splitting; SIGSEGV killing only
 * the offender; SIGBUS past a shared object's end; exec, brk, madvise, mlock,
 * pinning at fork, NX, highmem user pages, and accounting. Every test ends
 * with kmm_check (mapcounts, refcounts, rmap, RSS) and the leak check.
 */
#include "mm/include/vmstat.h"
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/process.h>
#include <kmm/trace.h>

#include "mm/include/mm.h"
#include "mm/internal.h"
#include "mm/slab.h"	/* the anon_vma cache's constructor (white-box) */

#define RW (KMM_PROT_READ | KMM_PROT_WRITE)
#define PRIV (KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS)

static const char *const arches[] = { "mem=256M arch=x86_64", "mem=1G arch=i386",
				      "mem=1G arch=i386-pae" };

static unsigned char peek(struct task_struct *t, uint64_t addr)
{
	unsigned char b = 0xee;

	expect_eq(kmm_access(t, addr, &b, 1, false), 0);
	return b;
}

static unsigned long pte_pfn_of(struct task_struct *t, uint64_t addr)
{
	pteval_t v = pgtable_get_pte(&t->mm->pgt, addr);

	return pte_present(v) ? pte_pfn_geo(t->mm->pgt.geo, v) : 0;
}

static bool pte_writable(struct task_struct *t, uint64_t addr)
{
	return pte_write(pgtable_get_pte(&t->mm->pgt, addr));
}

static void check(struct kmm_machine *m)
{
	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "kmm_check: %s", kmm_last_error());
}

TEST(spawn_layout_and_exit_returns_everything)
{
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		struct kmm_machine *m = boot(arches[a]);
		unsigned long free0 = nr_free(m);
		struct task_struct *t = kmm_spawn(m, "init");

		assert_true(t != NULL);
		struct mm_struct *mm = t->mm;
		/* text, data, bss+heap (merged as Linux merges brk with bss), stack, vdso */
		expect_true(mm->map_count >= 5);
		expect_true(find_vma(mm, mm->start_code)->vm_flags & VM_EXEC);
		expect_true(find_vma(mm, mm->start_stack)->vm_flags & VM_GROWSDOWN);
		expect_true(mm->brk > mm->start_brk);
		expect_eq(get_mm_rss(mm), 1);	/* the argv page at the top of the stack */
		/* text reads through the page cache: a major fault, file RSS */
		unsigned long maj = task_flt(t, true);
		peek(t, mm->start_code);
		expect_eq(task_flt(t, true), maj + 1);
		expect_eq(get_mm_counter(mm, MM_FILEPAGES), 1);
		check(m);
		expect_true(nr_free(m) < free0);
		kmm_exit(t, 0);
		expect_true(!kmm_task_alive(t));
		/* the zombie keeps its task_struct (and its slab) until it is reaped */
		expect_true(nr_free(m) < free0);
		expect_eq(kmm_task_release(t), 0);
		/* the program is a file (/bin/init): its pages stay cached, as in Linux */
		unsigned char vec[16];
		long cached = kmm_fincore(m, "/bin/init", vec, sizeof(vec));
		expect_true(cached >= 1);
		expect_eq(nr_free(m) + (unsigned long)cached, free0);
		expect_eq(kmm_proc_write(m, "/proc/sys/vm/drop_caches", "1"), 0);
		expect_eq(nr_free(m), free0);
		done(m);
	}
}

/* cow.c's basic test both ways: whoever writes first gets its own page. */
TEST(cow_isolation_both_ways_after_fork)
{
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		for (int child_first = 0; child_first < 2; child_first++) {
			struct kmm_machine *m = boot(arches[a]);
			struct task_struct *p = kmm_spawn(m, "parent"), *c;
			uint64_t x;

			assert_true(p != NULL);
			assert_eq(kmm_mmap(p, 0, 16 * PAGE_SIZE, RW, PRIV, &x), 0);
			assert_eq(kmm_fill(p, x, 0xaa, 16 * PAGE_SIZE), 0);
			c = kmm_fork(p, "child");
			assert_true(c != NULL);
			check(m);
			struct task_struct *w1 = child_first ? c : p, *w2 = child_first ? p : c;
			assert_eq(kmm_fill(w1, x, 0x11, 16 * PAGE_SIZE), 0);
			for (int i = 0; i < 16; i++) {
				expect_eq(peek(w1, x + i * PAGE_SIZE + 7), 0x11);
				expect_eq(peek(w2, x + i * PAGE_SIZE + 7), 0xaa);
			}
			assert_eq(kmm_fill(w2, x, 0x22, 16 * PAGE_SIZE), 0);
			expect_eq(peek(w1, x + 5), 0x11);
			expect_eq(peek(w2, x + 5), 0x22);
			check(m);
			kmm_exit(c, 0);
			check(m);
			kmm_exit(p, 0);
			done(m);
		}
	}
}

TEST(cow_isolation_after_mprotect_round_trip)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "parent"), *c;
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0xaa, 4 * PAGE_SIZE), 0);
	c = kmm_fork(p, "child");
	assert_true(c != NULL);
	/* read-only and back in both: the PTEs stay write-protected, COW must still happen */
	assert_eq(kmm_mprotect(p, x, 4 * PAGE_SIZE, KMM_PROT_READ), 0);
	assert_eq(kmm_mprotect(p, x, 4 * PAGE_SIZE, RW), 0);
	assert_eq(kmm_mprotect(c, x, 4 * PAGE_SIZE, KMM_PROT_READ), 0);
	assert_eq(kmm_mprotect(c, x, 4 * PAGE_SIZE, RW), 0);
	check(m);
	assert_eq(kmm_fill(c, x, 0xbb, PAGE_SIZE), 0);
	expect_eq(peek(p, x), 0xaa);
	expect_eq(peek(c, x), 0xbb);
	assert_eq(kmm_fill(p, x + PAGE_SIZE, 0xcc, PAGE_SIZE), 0);
	expect_eq(peek(c, x + PAGE_SIZE), 0xaa);
	expect_eq(peek(p, x + PAGE_SIZE), 0xcc);
	/* the mprotect'ed VMA merged back into one */
	expect_eq(find_vma(p->mm, x)->vm_end, x + 4 * PAGE_SIZE);
	check(m);
	kmm_exit(p, 0);
	kmm_exit(c, 0);
	done(m);
}

TEST(cow_isolation_for_zero_page_first)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "parent"), *c;
	uint64_t x;
	unsigned long zero = procs_of(m)->zero_pfn;

	assert_eq(kmm_mmap(p, 0, 2 * PAGE_SIZE, RW, PRIV, &x), 0);
	expect_eq(peek(p, x), 0);
	expect_eq(pte_pfn_of(p, x), zero);	/* the read mapped the shared zero page */
	expect_eq(get_mm_rss(p->mm), 1);	/* the zero page is not in RSS (argv page only) */
	c = kmm_fork(p, "child");
	assert_true(c != NULL);
	/* no anon_vma yet: fork copies no PTEs, the child refaults the zero page */
	expect_eq(pte_pfn_of(c, x), 0);
	expect_eq(peek(c, x), 0);
	expect_eq(pte_pfn_of(c, x), zero);
	assert_eq(kmm_fill(c, x, 0x77, 1), 0);
	expect_ne(pte_pfn_of(c, x), zero);
	expect_eq(peek(p, x), 0);
	assert_eq(kmm_fill(p, x, 0x55, 1), 0);
	expect_eq(peek(c, x), 0x77);
	expect_eq(peek(p, x), 0x55);
	check(m);
	kmm_exit(p, 0);
	kmm_exit(c, 0);
	done(m);
}

/* The fourth seed, points 14-16. */
TEST(seed4_share_copy_then_reuse)
{
	struct kmm_machine *m = boot("mem=1G arch=i386");
	struct kmm_procs *pr = procs_of(m);
	struct task_struct *p = kmm_spawn(m, "parent"), *c;
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0xaa, 4 * PAGE_SIZE), 0);
	unsigned long pfn = pte_pfn_of(p, x);
	struct page *page = kmm_pfn_to_page(m, pfn);
	/* user pages prefer highmem on i386 (GFP_HIGHUSER_MOVABLE) */
	expect_eq(page_zonenum(page), ZONE_HIGHMEM);
	c = kmm_fork(p, "child");
	assert_true(c != NULL);
	/* 14: same frames, read-only in both, counted twice */
	expect_eq(pte_pfn_of(c, x), pfn);
	expect_true(!pte_writable(p, x) && !pte_writable(c, x));
	expect_eq(page_mapcount(page), 2);
	expect_eq(page_ref_count(page), 2);
	unsigned long flt = task_flt(c, false);
	expect_eq(peek(c, x), 0xaa);	/* reading shares: no fault */
	expect_eq(task_flt(c, false), flt);
	/* 15: the child's first write faults and copies */
	unsigned long copies = atomic_load(&pr->cow_copies), reuses = atomic_load(&pr->cow_reuses);
	assert_eq(kmm_fill(c, x, 0xbb, 1), 0);
	expect_eq(task_flt(c, false), flt + 1);
	expect_eq(atomic_load(&pr->cow_copies), copies + 1);
	expect_ne(pte_pfn_of(c, x), pfn);
	expect_eq(page_mapcount(page), 1);
	expect_eq(page_ref_count(page), 1);
	/* 16: the parent's write reuses its page: only the PTE becomes writable */
	unsigned long reuse_ev = sum_vm_event(m, PGREUSE);
	assert_eq(kmm_fill(p, x, 0xcc, 1), 0);
	expect_eq(atomic_load(&pr->cow_copies), copies + 1);
	expect_eq(atomic_load(&pr->cow_reuses), reuses + 1);
	expect_eq(sum_vm_event(m, PGREUSE), reuse_ev + 1);
	expect_eq(pte_pfn_of(p, x), pfn);
	expect_true(pte_writable(p, x));
	/* 15 (read-only VMA): a child's write there is SIGSEGV */
	assert_eq(kmm_mprotect(c, x, PAGE_SIZE, KMM_PROT_READ), 0);
	expect_eq(kmm_fill(c, x, 1, 1), -EFAULT);
	expect_eq(kmm_task_exit_info(c).signal, KMM_SIGSEGV);
	expect_eq(kmm_task_exit_info(c).si_code, KMM_SEGV_ACCERR);
	expect_true(kmm_task_alive(p));
	check(m);
	kmm_exit(p, 0);
	done(m);
}

TEST(map_fixed_noreplace_eexist)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t x, y;

	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	int before = t->mm->map_count;
	expect_eq(kmm_mmap(t, x + PAGE_SIZE, PAGE_SIZE, RW, PRIV | KMM_MAP_FIXED_NOREPLACE, &y), -EEXIST);
	expect_eq(t->mm->map_count, before);
	/* right below it is fine, and merges */
	expect_eq(kmm_mmap(t, x - PAGE_SIZE, PAGE_SIZE, RW, PRIV | KMM_MAP_FIXED_NOREPLACE, &y), 0);
	expect_eq(y, x - PAGE_SIZE);
	expect_eq(t->mm->map_count, before);
	/* MAP_FIXED replaces */
	assert_eq(kmm_fill(t, x, 0x33, PAGE_SIZE), 0);
	expect_eq(kmm_mmap(t, x, PAGE_SIZE, RW, PRIV | KMM_MAP_FIXED, &y), 0);
	expect_eq(peek(t, x), 0);
	/* bad arguments leave state alone */
	expect_eq(kmm_mmap(t, x + 1, PAGE_SIZE, RW, PRIV | KMM_MAP_FIXED, &y), -EINVAL);
	expect_eq(kmm_mmap(t, 0, 0, RW, PRIV, &y), -EINVAL);
	expect_eq(kmm_mmap(t, 0, PAGE_SIZE, RW, KMM_MAP_ANONYMOUS, &y), -EINVAL);
	check(m);
	kmm_exit(t, 0);
	done(m);
}

/* mremap_test.c: growing into a hole merges with the mapping after it. */
TEST(mremap_grow_into_hole_merges)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t x, y;

	assert_eq(kmm_mmap(t, 0, 3 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(t, x, 0x42, 3 * PAGE_SIZE), 0);
	int before = t->mm->map_count;
	assert_eq(kmm_munmap(t, x + PAGE_SIZE, PAGE_SIZE), 0);
	expect_eq(t->mm->map_count, before + 1);
	assert_eq(kmm_mremap(t, x, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0, &y), 0);
	expect_eq(y, x);
	expect_eq(t->mm->map_count, before);
	struct vm_area_struct *v = find_vma(t->mm, x);
	expect_eq(v->vm_start, x);
	expect_eq(v->vm_end, x + 3 * PAGE_SIZE);
	expect_eq(peek(t, x), 0x42);
	expect_eq(peek(t, x + PAGE_SIZE), 0);
	expect_eq(peek(t, x + 2 * PAGE_SIZE), 0x42);
	/* no room and no MAYMOVE: ENOMEM; with MAYMOVE it moves, content and all */
	uint64_t z;
	assert_eq(kmm_mmap(t, x + 3 * PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ, PRIV | KMM_MAP_FIXED, &z), 0);
	expect_eq(kmm_mremap(t, x, 3 * PAGE_SIZE, 8 * PAGE_SIZE, 0, 0, &y), -ENOMEM);
	assert_eq(kmm_mremap(t, x, 3 * PAGE_SIZE, 8 * PAGE_SIZE, KMM_MREMAP_MAYMOVE, 0, &y), 0);
	expect_ne(y, x);
	expect_eq(peek(t, y), 0x42);
	expect_eq(peek(t, y + 2 * PAGE_SIZE), 0x42);
	expect_eq(kmm_access(t, x, &z, 1, false), -EFAULT);	/* the old place is gone */
	expect_eq(kmm_task_exit_info(t).si_code, KMM_SEGV_MAPERR);
	done(m);
}

TEST(stack_growth_stops_at_guard_gap)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "a");
	struct mm_struct *mm = t->mm;
	unsigned long gap = STACK_GUARD_GAP_PAGES * PAGE_SIZE;
	struct vm_area_struct *st = find_vma(mm, mm->start_stack);
	unsigned long s = st->vm_start;
	uint64_t below, y;

	/* a mapping ending 64 pages + gap below the stack */
	unsigned long end = s - 64 * PAGE_SIZE - gap;
	assert_eq(kmm_mmap(t, end - PAGE_SIZE, PAGE_SIZE, RW, PRIV | KMM_MAP_FIXED, &below), 0);
	/* growing 64 pages keeps exactly the gap: allowed */
	assert_eq(kmm_fill(t, s - 64 * PAGE_SIZE, 1, 1), 0);
	expect_eq(find_vma(mm, mm->start_stack)->vm_start, s - 64 * PAGE_SIZE);
	expect_eq(mm->stack_vm, (mm->task_size - (s - 64 * PAGE_SIZE)) >> PAGE_SHIFT);
	/* mmap may not place anything inside the gap either */
	expect_eq(kmm_mmap(t, end, PAGE_SIZE, RW, PRIV, &y), 0);
	expect_true(y + PAGE_SIZE <= end || y >= s);
	/* one page further would enter the gap: SIGSEGV (MAPERR), the stack stays */
	expect_eq(kmm_fill(t, s - 65 * PAGE_SIZE, 1, 1), -EFAULT);
	expect_eq(kmm_task_exit_info(t).signal, KMM_SIGSEGV);
	expect_eq(kmm_task_exit_info(t).si_code, KMM_SEGV_MAPERR);
	done(m);
}

TEST(partial_munmap_splits)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t x;

	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(t, x, 0x9, 4 * PAGE_SIZE), 0);
	int before = t->mm->map_count;
	unsigned long rss = get_mm_rss(t->mm);
	assert_eq(kmm_munmap(t, x + PAGE_SIZE, PAGE_SIZE), 0);
	expect_eq(t->mm->map_count, before + 1);
	expect_eq(get_mm_rss(t->mm), rss - 1);
	expect_eq(find_vma(t->mm, x)->vm_end, x + PAGE_SIZE);
	expect_eq(find_vma(t->mm, x + PAGE_SIZE)->vm_start, x + 2 * PAGE_SIZE);
	expect_eq(peek(t, x + 3 * PAGE_SIZE), 0x9);
	check(m);
	/* munmap of the tail: still two VMAs; unaligned start is EINVAL */
	expect_eq(kmm_munmap(t, x + 3 * PAGE_SIZE + 1, PAGE_SIZE), -EINVAL);
	assert_eq(kmm_munmap(t, x + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	expect_eq(t->mm->map_count, before + 1);
	unsigned char b;
	expect_eq(kmm_access(t, x + PAGE_SIZE, &b, 1, false), -EFAULT);
	expect_eq(kmm_task_exit_info(t).si_code, KMM_SEGV_MAPERR);
	done(m);
}

TEST(write_to_readonly_kills_only_that_process)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	unsigned long free0 = nr_free(m);
	struct task_struct *a = kmm_spawn(m, "a"), *b;
	uint64_t x;

	assert_eq(kmm_mmap(a, 0, 8 * PAGE_SIZE, KMM_PROT_READ, PRIV, &x), 0);
	b = kmm_fork(a, "b");
	assert_true(b != NULL);
	assert_eq(kmm_mmap(b, 0, 64 * PAGE_SIZE, RW, PRIV | KMM_MAP_POPULATE, NULL), 0);
	unsigned long free_b = nr_free(m);
	expect_eq(kmm_fill(b, x, 1, 1), -EFAULT);
	expect_true(!kmm_task_alive(b));
	expect_eq(kmm_task_exit_info(b).signal, KMM_SIGSEGV);
	expect_eq(kmm_task_exit_info(b).si_code, KMM_SEGV_ACCERR);
	expect_eq(kmm_task_exit_info(b).addr, x);
	expect_true(nr_free(m) > free_b + 64);	/* everything of b is back */
	expect_str_contains(t_dmesg(m), "b[2]: segfault at");
	expect_true(kmm_task_alive(a));
	expect_eq(peek(a, x), 0);
	expect_eq(kmm_mmap(b, 0, PAGE_SIZE, RW, PRIV, NULL), -ESRCH);
	check(m);
	kmm_exit(a, 0);
	reap_zombies(m);	/* a and b keep their task_structs until reaped */
	expect_eq(nr_free(m), free0);
	done(m);
}

TEST(sigbus_past_shared_object_end)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *a = kmm_spawn(m, "a"), *b;
	uint64_t x, y;

	assert_eq(kmm_mmap(a, 0, PAGE_SIZE, RW, KMM_MAP_SHARED | KMM_MAP_ANONYMOUS, &x), 0);
	assert_eq(kmm_fill(a, x, 0x61, PAGE_SIZE), 0);
	b = kmm_fork(a, "b");
	assert_true(b != NULL);
	/* shared memory: a's later write is seen by b, and the other way */
	assert_eq(kmm_fill(a, x + 1, 0x62, 1), 0);
	expect_eq(peek(b, x + 1), 0x62);
	assert_eq(kmm_fill(b, x + 2, 0x63, 1), 0);
	expect_eq(peek(a, x + 2), 0x63);
	expect_eq(get_mm_counter(a->mm, MM_SHMEMPAGES), 1);
	/* grow the mapping in place: the object does not grow, so its new page is SIGBUS */
	int r = kmm_mremap(b, x, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0, &y);
	if (r == 0) {
		expect_eq(kmm_fill(b, x + PAGE_SIZE, 1, 1), -EFAULT);
		expect_eq(kmm_task_exit_info(b).signal, KMM_SIGBUS);
	}
	check(m);
	kmm_exit(a, 0);
	if (kmm_task_alive(b))
		kmm_exit(b, 0);
	done(m);
}

TEST(exec_brk_madvise_mlock)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *t = kmm_spawn(m, "a");
	struct kmm_exec_image img = { .path = "/usr/bin/big", .text = 64 * PAGE_SIZE,
				      .data = 8 * PAGE_SIZE, .bss = 100, .heap = 0 };
	uint64_t x, nb;

	assert_eq(kmm_mmap(t, 0, 8 * PAGE_SIZE, RW, PRIV | KMM_MAP_POPULATE, &x), 0);
	assert_eq(kmm_exec(t, &img), 0);
	expect_eq(strcmp(t->comm, "big"), 0);
	expect_true(find_vma(t->mm, x) == NULL || find_vma(t->mm, x)->vm_start > x);
	expect_eq(t->mm->end_code - t->mm->start_code, 64 * PAGE_SIZE);
	/* data is a private file mapping: a write copies into an anonymous page */
	assert_eq(kmm_fill(t, t->mm->start_data, 0x10, 1), 0);
	expect_eq(get_mm_counter(t->mm, MM_ANONPAGES), 2);	/* argv page + the data copy */
	/* brk */
	uint64_t b0 = t->mm->brk;
	assert_eq(kmm_brk(t, b0 + 10 * PAGE_SIZE, &nb), 0);
	assert_eq(kmm_fill(t, b0, 0x20, 10 * PAGE_SIZE), 0);
	assert_eq(kmm_brk(t, b0 + PAGE_SIZE, &nb), 0);
	expect_eq(nb, b0 + PAGE_SIZE);
	expect_ne(kmm_brk(t, 0x1000, &nb), 0);	/* below start_brk: unchanged */
	expect_eq(nb, b0 + PAGE_SIZE);
	/* madvise DONTNEED: anonymous memory reads back as zeroes */
	assert_eq(kmm_mmap(t, 0, 4 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(t, x, 0x30, 4 * PAGE_SIZE), 0);
	unsigned long rss = get_mm_rss(t->mm);
	assert_eq(kmm_madvise(t, x, 2 * PAGE_SIZE, KMM_MADV_DONTNEED), 0);
	expect_eq(get_mm_rss(t->mm), rss - 2);
	expect_eq(peek(t, x), 0);
	expect_eq(peek(t, x + 2 * PAGE_SIZE), 0x30);
	/* MADV_FREE: clean, lazily freeable */
	assert_eq(kmm_madvise(t, x + 2 * PAGE_SIZE, 2 * PAGE_SIZE, KMM_MADV_FREE), 0);
	expect_true(!pte_dirty(pgtable_get_pte(&t->mm->pgt, x + 2 * PAGE_SIZE)));
	expect_true(sum_vm_event(m, PGLAZYFREE) >= 2);
	/* mlock populates and counts VmLck */
	uint64_t l;
	assert_eq(kmm_mmap(t, 0, 16 * PAGE_SIZE, RW, PRIV, &l), 0);
	rss = get_mm_rss(t->mm);
	int nvma = t->mm->map_count;
	assert_eq(kmm_mlock(t, l + 4 * PAGE_SIZE, 8 * PAGE_SIZE), 0);
	expect_eq(t->mm->map_count, nvma + 2);	/* split in three */
	expect_eq(t->mm->locked_vm, 8);
	expect_eq(get_mm_rss(t->mm), rss + 8);
	unsigned long mlocked = global_zone_page_state(m, NR_MLOCK);
	expect_eq(mlocked, 8);		/* meminfo's Mlocked */
	char *mi = t_proc(m, "/proc/meminfo");
	expect_str_contains(mi, "Mlocked:              32 kB");
	free(mi);
	expect_eq(kmm_madvise(t, l + 4 * PAGE_SIZE, PAGE_SIZE, KMM_MADV_DONTNEED), -EINVAL);
	assert_eq(kmm_munlock(t, l, 16 * PAGE_SIZE), 0);
	expect_eq(t->mm->locked_vm, 0);
	expect_eq(global_zone_page_state(m, NR_MLOCK), 0);
	expect_eq(t->mm->map_count, nvma);	/* merged back */
	/* MADV_DONTFORK: the child does not get the range */
	assert_eq(kmm_madvise(t, x, 4 * PAGE_SIZE, KMM_MADV_DONTFORK), 0);
	struct task_struct *c = kmm_fork(t, "c");
	assert_true(c != NULL);
	expect_eq(c->mm->total_vm, t->mm->total_vm - 4);
	unsigned char b;
	expect_eq(kmm_access(c, x, &b, 1, false), -EFAULT);
	check(m);
	kmm_exit(t, 0);
	done(m);
}

/* rss_stat events of MM_ANONPAGES: how many, and the last size they gave */
struct rss_seen {
	int anon_events;
	int64_t last_anon;
};

static int count_rss(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	struct rss_seen *s = arg;

	(void)m;
	if (ev->type == KMM_EV_RSS_STAT && ev->rss.member == MM_ANONPAGES) {
		s->anon_events++;
		s->last_anon = ev->rss.size;
	}
	return 0;
}

/*
 * 6.12's copy_pte_range() counts the child's pages in a local rss[] and adds
 * them once a PTE table (add_mm_rss_vec), so fork raises the child's
 * counters, and emits rss_stat, once a table, not once a page: 600 pages
 * over two or three tables are as many MM_ANONPAGES events (the image's own
 * pages add a few more), the last naming the child's whole count.
 */
TEST(fork_adds_the_childs_rss_once_per_page_table)
{
	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		struct kmm_machine *m = boot(arches[a]);
		struct task_struct *p = kmm_spawn(m, "p"), *c;
		struct rss_seen s = { 0 };
		struct kmm_trace_sub sub = { "t", KMM_EVBIT(KMM_EV_RSS_STAT), count_rss, &s };
		uint64_t x;

		assert_eq(kmm_mmap(p, 0, 600 * PAGE_SIZE, RW, PRIV, &x), 0);
		assert_eq(kmm_fill(p, x, 0x5a, 600 * PAGE_SIZE), 0);
		int id = kmm_trace_subscribe(m, &sub);
		assert_true(id >= 0);
		c = kmm_fork(p, "c");
		kmm_trace_unsubscribe(m, id);
		assert_true(c != NULL);
		expect_true(get_mm_counter(c->mm, MM_ANONPAGES) >= 600);
		expect_true(s.anon_events < 16);	/* 600 or more when counted per page */
		expect_eq(s.last_anon, get_mm_counter(c->mm, MM_ANONPAGES) * (int64_t)PAGE_SIZE);
		expect_eq(peek(c, x + 599 * PAGE_SIZE), 0x5a);
		check(m);
		kmm_exit(c, 0);
		kmm_exit(p, 0);
		done(m);
	}
}

TEST(pinned_pages_are_copied_at_fork)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "p"), *c;
	struct page *pages[2];
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 2 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0x44, 2 * PAGE_SIZE), 0);
	assert_eq(pin_user_pages_remote(p->mm, x, 1, KMM_FOLL_WRITE | KMM_FOLL_LONGTERM, pages), 1);
	expect_true(page_maybe_dma_pinned(pages[0]));
	check(m);
	c = kmm_fork(p, "c");
	assert_true(c != NULL);
	/* the pinned page was copied for the child, the other one shared */
	expect_ne(pte_pfn_of(c, x), pte_pfn_of(p, x));
	expect_true(pte_writable(p, x));
	expect_eq(pte_pfn_of(c, x + PAGE_SIZE), pte_pfn_of(p, x + PAGE_SIZE));
	expect_eq(peek(c, x), 0x44);
	assert_eq(kmm_fill(p, x, 0x45, 1), 0);	/* DMA-like write by the parent */
	expect_eq(peek(c, x), 0x44);
	check(m);
	/* get_user_pages takes plain references */
	assert_eq(get_user_pages_remote(c->mm, x + PAGE_SIZE, 1, 0, pages + 1), 1);
	check(m);
	kmm_put_user_page(pages[1]);
	kmm_exit(p, 0);		/* the pinned page outlives the mapping until unpinned */
	check(m);
	unpin_user_page(pages[0]);
	kmm_exit(c, 0);
	done(m);
}

TEST(nx_on_pae_and_x86_64_not_on_2level)
{
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		struct kmm_machine *m = boot(arches[a]);
		struct task_struct *t = kmm_spawn(m, "a");
		uint64_t x;
		unsigned char b[4];

		assert_eq(kmm_mmap(t, 0, PAGE_SIZE, RW, PRIV, &x), 0);
		assert_eq(kmm_fill(t, x, 0x90, PAGE_SIZE), 0);
		expect_eq(kmm_fetch(t, t->mm->start_code, b, 4), 0);	/* text is executable */
		int r = kmm_fetch(t, x, b, 4);
		if (a == 1) {
			expect_eq(r, 0);	/* 2-level i386 has no NX bit: readable means executable */
			kmm_exit(t, 0);
		} else {
			expect_eq(r, -EFAULT);
			expect_eq(kmm_task_exit_info(t).si_code, KMM_SEGV_ACCERR);
		}
		done(m);
	}
}

TEST(accounting_status_counters)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	unsigned long anon0 = global_node_page_state(m, NR_ANON_MAPPED);
	unsigned long pt0 = global_node_page_state(m, NR_PAGETABLE);
	struct task_struct *t = kmm_spawn(m, "a");
	uint64_t x;

	assert_eq(kmm_mmap(t, 0, 100 * PAGE_SIZE, RW, PRIV, &x), 0);
	unsigned long vm = t->mm->total_vm;
	assert_eq(kmm_fill(t, x, 1, 100 * PAGE_SIZE), 0);
	expect_eq(get_mm_counter(t->mm, MM_ANONPAGES), 101);
	expect_eq(global_node_page_state(m, NR_ANON_MAPPED), anon0 + 101);
	expect_eq(global_node_page_state(m, NR_PAGETABLE) - pt0, pgtable_nr_tables(&t->mm->pgt));
	expect_true(task_flt(t, false) >= 100);
	assert_eq(kmm_munmap(t, x, 100 * PAGE_SIZE), 0);
	update_hiwater(t->mm);
	expect_eq(t->mm->hiwater_rss, 101);
	expect_eq(t->mm->hiwater_vm, vm);
	expect_eq(t->mm->total_vm, vm - 100);
	expect_eq(global_node_page_state(m, NR_ANON_MAPPED), anon0 + 1);
	kmm_exit(t, 0);
	expect_eq(global_node_page_state(m, NR_PAGETABLE), pt0);
	expect_eq(global_node_page_state(m, NR_ANON_MAPPED), anon0);
	done(m);
}

/* ---- The reclaim contract: folio_referenced, try_to_unmap, the swapin hook ---- */

static struct page *fake_swap[8];

static int fake_swapin(struct kmm_machine *m, struct vm_area_struct *vma, uint64_t addr, void *ptep,
		       pteval_t entry, unsigned int flags)
{
	const struct pgtable_geometry *g = vma->vm_mm->pgt.geo;
	struct page *page = fake_swap[pte_swp_offset(g, entry)];

	if (!page)
		return -EIO;
	get_page(page);
	folio_add_anon_rmap_pte(page);
	add_mm_counter(vma->vm_mm, MM_ANONPAGES, 1);
	add_mm_counter(vma->vm_mm, MM_SWAPENTS, -1);
	pte_set(&vma->vm_mm->pgt, ptep, pfn_pte_geo(g, page_to_pfn_m(m, page), vma->vm_page_prot));
	return VM_FAULT_MAJOR;
}

/*
 * The process layer's side of reclaim on its own: the pressure layer's
 * swap hooks are taken out for the test (its swap map would refuse the
 * made-up entry, and its checker would report it), and a fake swapin
 * stands in for do_swap_page.
 */
TEST(reclaim_contract_unmap_and_swapin)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct kmm_procs *pr = procs_of(m);
	int (*saved_dup)(struct kmm_machine *, pteval_t) = pr->swap_dup;
	void (*saved_free)(struct kmm_machine *, pteval_t) = pr->swap_free;
	int (*saved_in)(struct kmm_machine *, struct vm_area_struct *, uint64_t, void *, pteval_t,
			unsigned int) = pr->swapin;
	struct task_struct *p = kmm_spawn(m, "p"), *c;
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	struct page *page;
	unsigned long flags;
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0x77, PAGE_SIZE), 0);
	c = kmm_fork(p, "c");
	assert_true(c != NULL);
	assert_eq(get_user_pages_remote(p->mm, x, 1, 0, &page), 1);	/* reclaim's own reference */
	expect_eq(page_mapcount(page), 2);
	expect_eq(folio_referenced(page, &flags), 1);	/* the parent wrote it; the child's PTE is old */
	expect_eq(folio_referenced(page, &flags), 0);	/* cleared */
	pr->swap_dup = NULL;
	pr->swap_free = NULL;
	expect_true(try_to_unmap(page, swp_entry_to_pte(g, 0, 3)));
	expect_eq(page_mapcount(page), 0);
	expect_eq(get_mm_counter(p->mm, MM_SWAPENTS), 1);
	expect_eq(get_mm_counter(c->mm, MM_SWAPENTS), 1);
	expect_eq(process_check(m), 0);	/* the process layer's own checker */
	/* no swapin hook: a fault on the entry is SIGBUS */
	unsigned char b;
	procs_of(m)->swapin = fake_swapin;
	fake_swap[3] = page;
	expect_eq(kmm_access(c, x, &b, 1, false), 0);
	expect_eq(b, 0x77);
	expect_eq(task_flt(c, true), 1);
	assert_eq(kmm_fill(c, x, 0x78, 1), 0);	/* shared with the swap "cache": copies */
	expect_eq(peek(p, x), 0x77);
	expect_eq(process_check(m), 0);
	kmm_put_user_page(page);
	kmm_exit(c, 0);
	kmm_exit(p, 0);
	pr->swapin = saved_in;
	pr->swap_dup = saved_dup;
	pr->swap_free = saved_free;
	done(m);
}

/*
 * hiwater_rss is lazy (mm/include/mm.h): faults leave it alone, whatever
 * lowers RSS raises it first, and readers take max(hiwater_rss, RSS). A COW
 * copy of an anonymous page replaces it in RSS (no transient page more in
 * the peak); reclaim's unmap lowers RSS and the peak stays.
 */
TEST(hiwater_rss_keeps_the_peak_through_cow_and_reclaim)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct kmm_procs *pr = procs_of(m);
	int (*saved_dup)(struct kmm_machine *, pteval_t) = pr->swap_dup;
	void (*saved_free)(struct kmm_machine *, pteval_t) = pr->swap_free;
	struct task_struct *p = kmm_spawn(m, "p"), *c;
	const struct pgtable_geometry *g = pgtable_geometry_of(m);
	struct page *page;
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 8 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0x11, 8 * PAGE_SIZE), 0);
	unsigned long peak_p = get_mm_rss(p->mm);
	expect_eq(get_mm_hiwater_rss(p->mm), peak_p);
	c = kmm_fork(p, "c");
	assert_true(c != NULL);
	unsigned long rss_c = get_mm_rss(c->mm);
	expect_eq(get_mm_hiwater_rss(c->mm), rss_c);
	assert_eq(kmm_fill(c, x, 0x22, 8 * PAGE_SIZE), 0);	/* eight COW copies */
	expect_eq(get_mm_rss(c->mm), rss_c);
	expect_eq(get_mm_hiwater_rss(c->mm), rss_c);
	kmm_exit(c, 0);
	/* reclaim takes one page of the parent's (now its alone) */
	assert_eq(get_user_pages_remote(p->mm, x, 1, 0, &page), 1);
	pr->swap_dup = NULL;
	pr->swap_free = NULL;
	expect_true(try_to_unmap(page, swp_entry_to_pte(g, 0, 5)));
	expect_eq(get_mm_rss(p->mm), peak_p - 1);
	expect_eq(get_mm_hiwater_rss(p->mm), peak_p);
	assert_eq(kmm_munmap(p, x, 8 * PAGE_SIZE), 0);	/* the swap entry goes too */
	expect_eq(get_mm_hiwater_rss(p->mm), peak_p);
	expect_eq(process_check(m), 0);
	kmm_put_user_page(page);
	kmm_exit(p, 0);
	expect_eq(p->last_hiwater_rss, peak_p);
	pr->swap_dup = saved_dup;
	pr->swap_free = saved_free;
	done(m);
}

/* ---- Out of memory: the failing allocation N, N = 0, 1, 2... (SQLite's loop) ---- */

struct hog {
	struct page **pages;
	unsigned long nr;
};

/* Take every free frame, then give back @spare of them. */
static void hog_all(struct kmm_machine *m, struct hog *h, unsigned long spare)
{
	unsigned long cap = m->max_pfn + 1;

	h->pages = calloc(cap, sizeof(*h->pages));
	h->nr = 0;
	while (h->nr < cap) {
		struct page *p = kmm_alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0, -1);
		if (!p)
			break;
		h->pages[h->nr++] = p;
	}
	while (spare-- && h->nr)
		__free_pages(h->pages[--h->nr], 0);
}

static void hog_free(struct hog *h)
{
	while (h->nr)
		__free_pages(h->pages[--h->nr], 0);
	free(h->pages);
}

TEST(fork_and_faults_under_memory_exhaustion)
{
	struct kmm_machine *m = boot("mem=128M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "p");
	uint64_t x;
	int failures = 0;

	assert_eq(kmm_mmap(p, 0, 64 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0x31, 64 * PAGE_SIZE), 0);
	if (m->oom || m->reclaim) {
		/* a pressure layer would reclaim or kill instead of failing; nothing to test here */
		kmm_exit(p, 0);
		done(m);
		return;
	}
	for (unsigned long spare = 0; spare < 64; spare++) {
		struct hog h;
		hog_all(m, &h, spare);
		unsigned long before = nr_free(m);
		struct task_struct *c = kmm_fork(p, "c");
		if (c) {
			hog_free(&h);
			expect_eq(peek(c, x + 5 * PAGE_SIZE), 0x31);
			kmm_exit(c, 0);
			break;
		}
		failures++;
		/* a failed fork leaves nothing behind: same free pages, invariants hold,
		   and the parent's PTEs are intact */
		expect_eq(nr_free(m), before);
		check(m);
		hog_free(&h);
		expect_eq(peek(p, x), 0x31);
		assert_eq(kmm_fill(p, x, 0x31, 1), 0);	/* still writable or reusable */
	}
	expect_true(failures > 0);
	/* a write fault with no memory at all kills the process (no OOM killer here) */
	struct hog h;
	uint64_t y;
	assert_eq(kmm_mmap(p, 0, PAGE_SIZE, RW, PRIV, &y), 0);
	hog_all(m, &h, 0);
	expect_eq(kmm_fill(p, y, 1, 1), -EFAULT);
	expect_eq(kmm_task_exit_info(p).signal, KMM_SIGKILL);
	hog_free(&h);
	done(m);
}

TEST(longterm_pin_migrates_out_of_zone_movable)
{
	struct kmm_machine *m = boot("mem=512M movablecore=256M arch=x86_64");
	struct task_struct *p = kmm_spawn(m, "p"), *c;
	struct page *pg;
	uint64_t x;

	assert_eq(kmm_mmap(p, 0, 3 * PAGE_SIZE, RW, PRIV, &x), 0);
	assert_eq(kmm_fill(p, x, 0x66, 3 * PAGE_SIZE), 0);
	c = kmm_fork(p, "c");		/* two mappings of each page */
	assert_true(c != NULL);
	unsigned long old = pte_pfn_of(p, x);
	expect_eq(page_zonenum(kmm_pfn_to_page(m, old)), ZONE_MOVABLE);
	/* a plain FOLL_PIN leaves the page where it is (after unsharing it for the pinner) */
	assert_eq(pin_user_pages_remote(p->mm, x + PAGE_SIZE, 1, 0, &pg), 1);
	expect_eq(page_zonenum(pg), ZONE_MOVABLE);
	unpin_user_page(pg);
	/* FOLL_LONGTERM: the pinner gets its own copy (unshare), then it moves out of
	   ZONE_MOVABLE; its PTE follows, the content too, the other process keeps its page */
	unsigned long mig = sum_vm_event(m, PGMIGRATE_SUCCESS);
	assert_eq(pin_user_pages_remote(c->mm, x, 1, KMM_FOLL_LONGTERM, &pg), 1);
	expect_ne(page_zonenum(pg), ZONE_MOVABLE);
	expect_eq(sum_vm_event(m, PGMIGRATE_SUCCESS), mig + 1);
	expect_eq(pte_pfn_of(c, x), page_to_pfn(pg));
	expect_eq(peek(c, x), 0x66);
	expect_eq(peek(p, x), 0x66);
	check(m);
	unpin_user_page(pg);
	/* a read-only page shared by both: one migration moves both PTEs */
	assert_eq(kmm_mprotect(p, x + 2 * PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ), 0);
	assert_eq(kmm_mprotect(c, x + 2 * PAGE_SIZE, PAGE_SIZE, KMM_PROT_READ), 0);
	expect_eq(pte_pfn_of(p, x + 2 * PAGE_SIZE), pte_pfn_of(c, x + 2 * PAGE_SIZE));
	assert_eq(pin_user_pages_remote(p->mm, x + 2 * PAGE_SIZE, 1, KMM_FOLL_LONGTERM, &pg), 1);
	expect_ne(page_zonenum(pg), ZONE_MOVABLE);
	expect_eq(pte_pfn_of(p, x + 2 * PAGE_SIZE), page_to_pfn(pg));
	expect_eq(pte_pfn_of(c, x + 2 * PAGE_SIZE), page_to_pfn(pg));
	expect_eq(page_mapcount(pg), 2);
	expect_eq(peek(c, x + 2 * PAGE_SIZE), 0x66);
	check(m);
	unpin_user_page(pg);
	kmm_exit(c, 0);
	kmm_exit(p, 0);
	done(m);
}

/*
 * anon_vma's cache is SLAB_TYPESAFE_BY_RCU with a constructor, as Linux's
 * anon_vma_init(): a freed anon_vma stays an anon_vma with a usable lock (a
 * walker holding a stale page->mapping may take it), and its empty slab goes
 * back to the buddy allocator only after the grace period.
 */
TEST(anon_vma_is_type_safe_by_rcu)
{
	struct kmm_machine *m = boot("mem=256M arch=x86_64");
	struct kmm_procs *procs = procs_of(m);
	char *flag = t_proc(m, "/sys/kernel/slab/anon_vma/destroy_by_rcu");

	expect_true(flag && !strcmp(flag, "1\n"));
	free(flag);
	expect_true(procs->anon_vma_cachep->ctor == anon_vma_ctor);
	unsigned long slab0 = global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);
	struct task_struct *p = kmm_spawn(m, "p");
	uint64_t x;

	assert_true(p != NULL);
	assert_eq(kmm_mmap(p, 0, PAGE_SIZE, RW, PRIV, &x), 0);
	expect_eq(kmm_access(p, x, "a", 1, true), 0);
	struct anon_vma *av = find_vma(p->mm, x)->anon_vma;
	assert_true(av != NULL);
	expect_ne(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), slab0);
	kmm_exit(p, 0);
	expect_eq(kmm_task_release(p), 0);
	/* Freed, still an anon_vma: no reference, no VMA, and its lock works. */
	expect_eq(atomic_load(&av->refcount), 0);
	expect_true(list_empty(&av->vmas));
	sim_write_lock(&av->lock);
	sim_write_unlock(&av->lock);
	/* Reuse keeps what the constructor made (the lock is not set up again). */
	struct anon_vma *again = anon_vma_alloc(m);
	assert_true(again != NULL);
	expect_true(again == av);
	sim_read_lock(&again->lock);
	sim_read_unlock(&again->lock);
	put_anon_vma(m, (get_anon_vma(again), again));
	/* The empty slab leaves the cache but waits for the grace period. */
	unsigned long before = global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B);
	kmem_cache_shrink(procs->anon_vma_cachep);
	expect_eq(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), before);
	kmm_synchronize_rcu(m);
	expect_eq(global_node_page_state(m, NR_SLAB_UNRECLAIMABLE_B), before - PAGE_SIZE);
	check(m);
	done(m);
}
