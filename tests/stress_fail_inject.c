// SPDX-License-Identifier: MIT
/*
 * tests/stress_fail_inject.c - the failure-injection loop (SQLite's
 * out-of-memory loop, on Linux's fault injection): boot, a fork of a
 * process with mappings, mmap, a fault, vmalloc, kmem_cache_create (with its
 * first object), each run with its 1st, 2nd, ... Nth allocation failed in
 * turn (fail_page_alloc, failslab, and fail_vmalloc for vmalloc) until it
 * runs to the end without one.
 *
 * Each round boots a fresh machine with the debug checker on (every layer's
 * checker after every operation), injects "fail the Nth" (interval N,
 * probability 100, times 1), runs the operation, and then demands:
 *  - a failed operation returned an error (NULL or -errno) with a message
 *    in kmm_last_error() - and the failure was the injected one;
 *  - after the test undoes whatever the operation built, kmm_check holds,
 *    the debug checker found nothing, and every page is free again (the
 *    leak check); under ASan, no host memory leaks either.
 * The shim's first malloc under injection: tests/shim_fail_inject.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/process.h>
#include <kmm/slab.h>
#include <kmm/trace.h>
#include <kmm/vmalloc.h>

#include "tests/harness.h"

#define MAX_ROUNDS 2000

struct fi_ctx {
	struct task_struct *a, *child;
	uint64_t addr;
	void *v, *obj;
	struct kmem_cache *cache;
};

struct fi_op {
	const char *name;
	const char *cmdline;
	int (*setup)(struct kmm_machine *m, struct fi_ctx *c);	/* may be NULL */
	int (*run)(struct kmm_machine *m, struct fi_ctx *c);	/* 0, or -errno / -1 */
	void (*undo)(struct kmm_machine *m, struct fi_ctx *c);
	const char *log_on_inject;	/* in dmesg whenever a failure was injected (or NULL) */
	unsigned long times;		/* failures in a row from the nth allocation (0: one) */
};

static void task_gone(struct task_struct *t)
{
	if (!t)
		return;
	kmm_exit(t, 0);
	expect_eq(kmm_task_release(t), 0);
}

/* ---- The operations ---- */

/* A process with mappings: anon private (partly written), a populated one, a gap. */
static int setup_process(struct kmm_machine *m, struct fi_ctx *c)
{
	uint64_t a, b;

	c->a = kmm_spawn(m, "parent");
	if (!c->a)
		return -1;
	if (kmm_mmap(c->a, 0, 256 * 1024, KMM_PROT_READ | KMM_PROT_WRITE,
		     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &a) ||
	    kmm_fill(c->a, a, 0x5a, 64 * 1024) ||
	    kmm_mmap(c->a, 0, 32 * 1024, KMM_PROT_READ | KMM_PROT_WRITE,
		     KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_POPULATE, &b))
		return -1;
	c->addr = a;
	return 0;
}

static void undo_process(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	task_gone(c->child);
	task_gone(c->a);
}

static int run_fork(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	c->child = kmm_fork(c->a, "child");
	if (!c->child)
		return -1;
	/* the child really has the parent's bytes */
	unsigned char b = 0;
	if (kmm_access(c->child, c->addr + 4096, &b, 1, false) == 0)
		expect_eq(b, 0x5a);
	return 0;
}

static int setup_spawn(struct kmm_machine *m, struct fi_ctx *c)
{
	c->a = kmm_spawn(m, "A");
	return c->a ? 0 : -1;
}

static int run_mmap(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	return kmm_mmap(c->a, 0, 64 * 1024, KMM_PROT_READ | KMM_PROT_WRITE,
			KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS | KMM_MAP_POPULATE, &c->addr);
}

static int setup_fault(struct kmm_machine *m, struct fi_ctx *c)
{
	if (setup_spawn(m, c))
		return -1;
	/* far from the image's mappings: the fault needs new page tables too */
	return kmm_mmap(c->a, 0, 4 * 1024 * 1024, KMM_PROT_READ | KMM_PROT_WRITE,
			KMM_MAP_PRIVATE | KMM_MAP_ANONYMOUS, &c->addr);
}

static int run_fault(struct kmm_machine *m, struct fi_ctx *c)
{
	unsigned char b = 0xab;

	(void)m;
	return kmm_access(c->a, c->addr + 2 * 1024 * 1024 + 5, &b, 1, true);
}

static int run_vmalloc(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	c->v = vmalloc(5 * 4096 + 100);
	return c->v ? 0 : -1;
}

static void undo_vmalloc(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	vfree(c->v);
}

static int run_cache_create(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	c->cache = kmem_cache_create("fail_inject_test", 200, 0, 0, NULL);
	if (!c->cache)
		return -1;
	c->obj = kmem_cache_alloc(c->cache, GFP_KERNEL);
	return c->obj ? 0 : -1;
}

static void undo_cache_create(struct kmm_machine *m, struct fi_ctx *c)
{
	(void)m;
	if (c->obj)
		kmem_cache_free(c->cache, c->obj);
	kmem_cache_destroy(c->cache);
}

static const char *const target_names[KMM_FAIL_NR] = {
	"fail_page_alloc", "failslab", "fail_vmalloc",
};

/* ---- The loop ---- */

/*
 * Run @op with its 1st, 2nd, ... allocation of @target failed, each in a
 * fresh machine; *@rounds gets how many allocations it made (how many rounds
 * injected a failure). Return: how many rounds failed the operation.
 */
static int loop(const struct fi_op *op, enum kmm_fail_target target, int *rounds)
{
	int failed = 0, n;

	for (n = 1; n <= MAX_ROUNDS; n++) {
		struct kmm_machine *m = kmm_boot(op->cmdline);
		struct fi_ctx c = { 0 };
		unsigned long times = op->times ? op->times : 1;
		struct kmm_fault_attr attr = { .interval = (unsigned long)n, .probability = 100,
					       .times = times, .verbose = true };
		char why[256];

		assert_true(m != NULL);
		kmm_use(m);
		assert_eq(kmm_debug_checks(m, true), 0);
		unsigned long base = t_nr_free_drained(m);
		if (op->setup)
			assert_eq(op->setup(m, &c), 0);
		assert_eq(kmm_fail_inject(m, target, &attr), 0);
		int r = op->run(m, &c);
		unsigned long injected = kmm_fail_count(m, target);
		snprintf(why, sizeof(why), "%s", kmm_last_error());
		assert_eq(kmm_fail_inject(m, target, NULL), 0);
		if (injected && op->log_on_inject)
			expect_str_contains(t_dmesg(m), op->log_on_inject);
		if (r) {
			failed++;
			/* the failure is the one injected, and it says what failed */
			if (!expect_true(injected >= 1 && injected <= times) ||
			    !expect_true(why[0] != 0))
				fprintf(stderr, "%s with %s at %d: r=%d injected=%lu \"%s\"\n", op->name,
					target_names[target], n, r, injected, why);
			expect_str_contains(t_dmesg(m), "FAULT_INJECTION: forcing a failure.");
		}
		op->undo(m, &c);
		if (kmm_check(m))
			kmm_test_fail(__FILE__, __LINE__, "%s with %s, round %d: kmm_check: %s",
				      op->name, target_names[target], n, kmm_last_error());
		if (kmm_debug_checks_failed(m, why, sizeof(why)))
			kmm_test_fail(__FILE__, __LINE__, "%s with %s, round %d: debug checker: %s",
				      op->name, target_names[target], n, why);
		unsigned long now = t_nr_free_drained(m);
		if (now != base)
			kmm_test_fail(__FILE__, __LINE__, "%s with %s, round %d: leak: %lu free pages "
				      "before, %lu after", op->name, target_names[target], n, base, now);
		kmm_use(NULL);
		kmm_shutdown(m);
		if (!r && !injected)
			break;	/* the operation ran to its end: fewer than n allocations */
	}
	assert_true(n <= MAX_ROUNDS);
	printf("     %-24s %-16s %3d allocations, each failed %s: %d clean failures\n",
	       op->name, target_names[target], n - 1,
	       op->times > 1 ? "with the next in a row" : "once", failed);
	if (rounds)
		*rounds = n - 1;
	return failed;
}

/* i386 (2-level tables, user pages in HighMem on 1G) and x86_64 (4-level tables). */
static const char *const cmdlines[] = {
	"mem=64M arch=i386 maxcpus=1",
	"mem=1G arch=i386 maxcpus=2",
	"mem=128M maxcpus=2",
};
#define CMDLINE "mem=64M arch=i386 maxcpus=1"
#define for_each_cmdline(c) for (size_t _i = 0; _i < 3 && ((c) = cmdlines[_i]); _i++)

/*
 * What each operation allocates from kmm is whatever it needs; the figures
 * printed are the record. Where kmm keeps metadata in host memory (VMAs,
 * vm_structs, cache descriptors), failslab finds no candidate: those rounds
 * are 0 and the operation simply succeeds.
 */
TEST(fork_of_a_process_with_mappings)
{
	const char *cmd;
	int rounds;

	for_each_cmdline(cmd) {
		const struct fi_op op = { "fork", cmd, setup_process, run_fork, undo_process, NULL, 0 };

		printf("     %s\n", cmd);
		/* every page-table page of the child fails the fork cleanly */
		expect_eq(loop(&op, KMM_FAIL_PAGE_ALLOC, &rounds), rounds);
		expect_true(rounds > 0);
		loop(&op, KMM_FAIL_SLAB, NULL);
	}
}

TEST(mmap)
{
	const char *cmd;
	int rounds;

	for_each_cmdline(cmd) {
		const struct fi_op op = { "mmap MAP_POPULATE", cmd, setup_spawn, run_mmap,
					  undo_process, NULL, 0 };

		printf("     %s\n", cmd);
		/* As Linux: mmap succeeds; MAP_POPULATE's failures are left for later faults. */
		expect_eq(loop(&op, KMM_FAIL_PAGE_ALLOC, &rounds), 0);
		expect_true(rounds >= 16);
		loop(&op, KMM_FAIL_SLAB, NULL);
	}
}

TEST(a_fault)
{
	const char *cmd;
	int rounds;

	for_each_cmdline(cmd) {
		const struct fi_op op = { "write fault", cmd, setup_fault, run_fault, undo_process,
					  "Huh VM_FAULT_OOM leaked out to the #PF handler. Retrying PF", 0 };

		printf("     %s\n", cmd);
		/*
		 * The page table and the page. As in Linux 6.12, a fault that runs
		 * out of memory is retried ("Huh VM_FAULT_OOM leaked out to the #PF
		 * handler. Retrying PF"), and the retry, with nothing failed any
		 * more, succeeds: what is demanded is no crash, no leak, checkers
		 * holding, and the warning in dmesg.
		 */
		expect_eq(loop(&op, KMM_FAIL_PAGE_ALLOC, &rounds), 0);
		expect_true(rounds >= 2);
		loop(&op, KMM_FAIL_SLAB, NULL);
	}
}

TEST(vmalloc)
{
	const char *cmd;
	int rounds;

	for_each_cmdline(cmd) {
		const struct fi_op op = { "vmalloc", cmd, NULL, run_vmalloc, undo_vmalloc, NULL, 0 };

		printf("     %s\n", cmd);
		/* six pages, then the kernel's own tables on first use */
		expect_eq(loop(&op, KMM_FAIL_PAGE_ALLOC, &rounds), rounds);
		expect_true(rounds >= 6);
		loop(&op, KMM_FAIL_SLAB, NULL);
		expect_eq(loop(&op, KMM_FAIL_VMALLOC, &rounds), 1);
		expect_eq(rounds, 1);
	}
}

TEST(kmem_cache_create_and_its_first_object)
{
	const char *cmd;
	int rounds;

	for_each_cmdline(cmd) {
		const struct fi_op op = { "kmem_cache_create", cmd, NULL, run_cache_create,
					  undo_cache_create, NULL, 0 };
		const struct fi_op op2 = { "... failed twice", cmd, NULL, run_cache_create,
					   undo_cache_create, NULL, 2 };

		printf("     %s\n", cmd);
		/*
		 * As Linux's allocate_slab(): the slab's first try for a page may
		 * fail (it is __GFP_NORETRY), and the second, at the minimum order
		 * with the caller's own flags, is made even when that is the same
		 * order; so one failed page allocation is absorbed and the object
		 * is still allocated, two in a row fail it cleanly.
		 */
		expect_eq(loop(&op, KMM_FAIL_PAGE_ALLOC, &rounds), 0);
		expect_true(rounds >= 1);
		expect_eq(loop(&op2, KMM_FAIL_PAGE_ALLOC, &rounds), rounds);
		expect_true(rounds >= 1);
		expect_eq(loop(&op, KMM_FAIL_SLAB, &rounds), rounds);
		expect_true(rounds >= 1);
	}
}

/* Boot: the boot options fail_page_alloc= and failslab= act from its start. */
static int boot_loop(const char *cmd, const char *option)
{
	int failed = 0, n;

	for (n = 1; n <= MAX_ROUNDS; n++) {
		char cmdline[160];

		snprintf(cmdline, sizeof(cmdline), "%s %s=%d,100,0,1", cmd, option, n);
		struct kmm_machine *m = kmm_boot(cmdline);
		if (!m) {
			failed++;
			/* a clear error: names the failure, not an empty string */
			expect_true(kmm_last_error()[0] != 0);
			continue;
		}
		enum kmm_fail_target t = strcmp(option, "failslab") ? KMM_FAIL_PAGE_ALLOC
								       : KMM_FAIL_SLAB;
		unsigned long injected = kmm_fail_count(m, t);
		kmm_use(m);
		if (kmm_check(m))
			kmm_test_fail(__FILE__, __LINE__, "boot with %s: kmm_check: %s", cmdline,
				      kmm_last_error());
		kmm_use(NULL);
		kmm_shutdown(m);
		if (!injected)
			break;
	}
	assert_true(n <= MAX_ROUNDS);
	printf("     %-24s %-16s %3d allocations, each failed once: %d boots refused\n", "boot",
	       option, n - 1, failed);
	return failed;
}

TEST(boot)
{
	const char *cmd;

	for_each_cmdline(cmd) {
		printf("     %s\n", cmd);
		/* the zero page of the process layer; slab and vmalloc allocate lazily */
		expect_true(boot_loop(cmd, "fail_page_alloc") > 0);
		boot_loop(cmd, "failslab");
	}
}

/* "fail with probability p, seeded": the same seed fails the same calls. */
TEST(probability_is_repeatable_by_seed)
{
	unsigned long counts[2][2];

	for (int run = 0; run < 2; run++) {
		for (int s = 0; s < 2; s++) {
			struct kmm_machine *m = t_boot(CMDLINE);
			struct kmm_fault_attr attr = { .interval = 1, .probability = 30,
						       .times = -1, .seed = (uint64_t)s + 1 };
			void *objs[200];

			assert_eq(kmm_fail_inject(m, KMM_FAIL_SLAB, &attr), 0);
			unsigned long got = 0;
			for (int i = 0; i < 200; i++)
				got += (objs[i] = kmalloc(64, GFP_KERNEL)) != NULL;
			counts[run][s] = kmm_fail_count(m, KMM_FAIL_SLAB);
			expect_eq(got + counts[run][s], 200);
			kmm_fail_inject(m, KMM_FAIL_SLAB, NULL);
			for (int i = 0; i < 200; i++)
				kfree(objs[i]);
			t_done(m);
		}
	}
	expect_eq(counts[0][0], counts[1][0]);
	expect_eq(counts[0][1], counts[1][1]);
	/* about 30%, and two seeds draw differently */
	expect_true(counts[0][0] > 30 && counts[0][0] < 90);
	expect_ne(counts[0][0], counts[0][1]);
}

TEST(the_knobs_follow_linux)
{
	struct kmm_machine *m = t_boot(CMDLINE);
	struct kmm_fault_attr attr;

	/* Linux's form, and a clear error for a bad one */
	assert_eq(kmm_fail_parse("3,100,0,2", &attr), 0);
	expect_eq(attr.interval, 3);
	expect_eq(attr.probability, 100);
	expect_eq(attr.times, 2);
	expect_eq(kmm_fail_parse("0,100,0,1", &attr), -EINVAL);
	expect_eq(kmm_fail_parse("1,101,0,1", &attr), -EINVAL);
	expect_eq(kmm_fail_parse("1,100", &attr), -EINVAL);
	expect_eq(kmm_fail_parse("1,100,0,1,7,9", &attr), -EINVAL);
	expect_str_contains(kmm_last_error(), "<interval>,<probability>,<space>,<times>");
	/* every 3rd call, twice */
	assert_eq(kmm_fail_parse("3,100,0,2", &attr), 0);
	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), 0);
	struct page *p[9];
	int nulls = 0;
	for (int i = 0; i < 9; i++) {
		p[i] = alloc_pages(GFP_KERNEL, 0);
		nulls += !p[i];
		expect_eq(p[i] == NULL, i == 2 || i == 5);
	}
	expect_eq(nulls, 2);
	expect_eq(kmm_fail_count(m, KMM_FAIL_PAGE_ALLOC), 2);
	/* __GFP_NOFAIL is never failed; min_order filters small orders */
	attr = (struct kmm_fault_attr){ .interval = 1, .probability = 100, .times = -1,
					.min_order = 1 };
	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), 0);
	struct page *q = alloc_pages(GFP_KERNEL, 0), *r = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 1);
	expect_true(q != NULL && r != NULL);
	expect_true(alloc_pages(GFP_KERNEL, 1) == NULL);
	expect_str_contains(kmm_last_error(), "fail_page_alloc");
	/* space: the first bytes go through */
	attr = (struct kmm_fault_attr){ .interval = 1, .probability = 100, .times = -1,
					.space = 3 * 4096 };
	assert_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), 0);
	struct page *s1 = alloc_pages(GFP_KERNEL, 0), *s2 = alloc_pages(GFP_KERNEL, 0);
	expect_true(s1 && s2);
	expect_true(alloc_pages(GFP_KERNEL, 0) == NULL);
	kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, NULL);
	__free_pages(s1, 0);
	__free_pages(s2, 0);
	__free_pages(q, 0);
	__free_pages(r, 1);
	for (int i = 0; i < 9; i++)
		__free_pages(p[i], 0);
	/* bad attributes change nothing */
	attr = (struct kmm_fault_attr){ .interval = 0, .probability = 100, .times = 1 };
	expect_eq(kmm_fail_inject(m, KMM_FAIL_PAGE_ALLOC, &attr), -EINVAL);
	struct page *after = alloc_pages(GFP_KERNEL, 0);
	expect_true(after != NULL);
	__free_pages(after, 0);
	t_done(m);
}
