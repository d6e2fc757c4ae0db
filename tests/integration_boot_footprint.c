// SPDX-License-Identifier: MIT
/*
 * tests/integration_boot_footprint.c - what a boot leaves resident in the
 * process that boots: the malloc shim boots a machine in every process, on
 * the program's own stack, and every page a boot touches stays in that
 * process's RSS (docs/malloc-measured.md, session 20).
 *
 * Covers: the machine struct of the shim's boot touches two pages (four of
 * six while memblock's arrays were fixed at 256 regions each), with the
 * reserved_chunks[] after it (4 KB of host heap before); the
 * pressure layer's state (struct pressure, 40 KiB of zero pages from the
 * host) of a one-node machine without swapdir= touches one page
 * (two while node 0's kswapd and lruvec lay in two arrays), and two with
 * swapdir=; the command-line parser touches at most one
 * page of its caller's stack (three while its 5 KB of words and line copy
 * lay there, two while its options did); e820__update_table() still sorts,
 * merges and leaves the rest of the table zero, its scratch off the stack
 * (it no longer zeroes a whole 3 KB table on the stack nor calls qsort(),
 * whose buffer lay deeper; nor keeps 4.6 KB of tables in its frame); the
 * shim's boot, on a thread of its own, reaches at most 8 KiB below its
 * caller and touches at most two pages of that thread's stack (four, then
 * three before). A page figure is the most over eight starting depths; a
 * depth is bytes below the call on a painted stack. Stack figures are not
 * measured under ASan or TSan (their frames are not the program's).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/include/asm/e820.h"
#include "mm/include/boot_options.h"
#include "mm/include/memory_hotplug.h"
#include "mm/internal.h"
#include "mm/swap.h"
#include "tests/harness.h"
#include "tests/shim_line.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STACK_FIGURES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STACK_FIGURES 0
#endif
#endif
#ifndef STACK_FIGURES
#define STACK_FIGURES 1
#endif

/*
 * The malloc shim's boot line (shim/boot_line.h, as shim/malloc.c boots it in
 * the default mode: 4G at most, grown from 128M; 16 CPUs on a host of up to 4).
 * Written once, before a measured call: snprintf()'s frame is not the boot's.
 */
static const char *shim_line(void)
{
	static char line[512];

	return line[0] ? line : t_shim_line(line, sizeof(line), 16, NULL);
}

/* Resident pages of [p, p + len) (whole pages). */
static long resident_pages(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1);
	size_t n = ((uintptr_t)p + len - a + PAGE_SIZE - 1) / PAGE_SIZE;
	unsigned char *v = malloc(n);
	long r = 0;

	assert_true(v != NULL);
	assert_eq(mincore((void *)a, n * PAGE_SIZE, v), 0);
	for (size_t i = 0; i < n; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* The zones of @zl, in order, and how many there are. */
static int zonelist_len(const struct zonelist *zl)
{
	int n = 0;

	while (zl->zones[n])
		n++;
	return n;
}

/*
 * A node's host block (pg_data_t and its boot zonelists) is sized by the
 * nodes the machine has: it was 16,080 B on every machine, 6,160 of it two
 * lists with room for 64 nodes' zones, and the shim's boot writes all of it
 * (calloc from glibc's heap). A machine of four nodes still lists them all.
 */
TEST(a_nodes_zonelists_have_room_for_the_machines_nodes_only)
{
	struct kmm_machine *m = kmm_boot(shim_line());

	assert_true(m != NULL);
	pg_data_t *pgdat = m->node_data[0];
	size_t block = malloc_usable_size(pgdat);
	printf("  one node: pg_data_t %zu B, its host block %zu B\n", sizeof(*pgdat), block);
	expect_true(block <= sizeof(*pgdat) + zonelist_set_bytes(1) + 32);
#ifndef KMM_DEBUG_VM
	/*
	 * The shim's builds. A debug build's spinlocks (KMM_DEBUG_VM, as CI's
	 * ASan build) carry their holder: pg_data_t is 10,112 B there, 9,984 B
	 * here at 96c6100.
	 */
	expect_true(block <= 10 * 1024);
#endif
	int fb = zonelist_len(node_zonelist(pgdat, ZONELIST_FALLBACK));
	expect_true(fb >= 2 && fb <= MAX_NR_ZONES);
	expect_eq(zonelist_len(node_zonelist(pgdat, ZONELIST_NOFALLBACK)), fb);
	kmm_shutdown(m);

	m = kmm_boot("mem=4G numa=fake=4");
	assert_true(m != NULL);
	int all = 0;
	for (int nid = 0; nid < 4; nid++)
		all += zonelist_len(node_zonelist(m->node_data[nid], ZONELIST_NOFALLBACK));
	for (int nid = 0; nid < 4; nid++) {
		const struct zonelist *zl = node_zonelist(m->node_data[nid], ZONELIST_FALLBACK);

		expect_eq(zonelist_len(zl), all);
		expect_eq(zl->zones[0]->node, nid);	/* local first */
	}
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);
}

TEST(pressure_state_of_a_one_node_machine_touches_one_page)
{
	struct kmm_machine *m = kmm_boot(shim_line());

	assert_true(m != NULL);
	struct pressure *p = pressure_of(m);
	assert_true(p != NULL);
	long pages = resident_pages(p, sizeof(*p));
	printf("  struct pressure: %zu bytes, %ld pages resident\n", sizeof(*p), pages);
	/* The fields every machine writes, then node 0's kswapd and lruvec. */
	expect_eq(pages, 1);
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);

	/* swapdir= writes the name, in a page of its own at the end. */
	char line[576];
	snprintf(line, sizeof(line), "%s swapdir=/tmp", shim_line());
	m = kmm_boot(line);
	assert_true(m != NULL);
	p = pressure_of(m);
	expect_eq(strcmp(p->swapdir, "/tmp"), 0);
	expect_eq(resident_pages(p, sizeof(*p)), 2);
	kmm_shutdown(m);
}

/*
 * The machine struct (zero pages from the host, mm/machine.c) of the shim's
 * boot: the fields every boot writes and the used heads of memblock's two
 * arrays, of the e820 table and of reserved_chunks[] (after the struct)
 * share two pages; the rest of reserved_chunks[] (the hotplug area's blocks)
 * stays untouched. Four of six while memblock's fixed arrays of 256
 * regions put the heads of memory and reserved 8 KB apart and the table sat
 * in the middle; three while a rebuild of the table cleared all of it.
 */
TEST(the_shim_machines_struct_touches_two_pages)
{
	struct kmm_machine *m = kmm_boot(shim_line());

	assert_true(m != NULL);
	long pages = resident_pages(m, sizeof(*m));
	/* reserved_chunks follows, its boot blocks' entries in the struct's second page. */
	size_t rc_bytes = m->nr_sections ? (size_t)memory_hotplug_max_sections(m) *
					  (PAGES_PER_SECTION >> MAX_PAGE_ORDER) * sizeof(uint16_t) : 0;
	long with_rc = resident_pages(m, sizeof(*m) + rc_bytes);
	printf("  struct kmm_machine: %zu bytes, %ld pages resident; with reserved_chunks (%zu bytes "
	       "after it) %ld; memblock %d + %d regions\n", sizeof(*m), pages, rc_bytes, with_rc,
	       m->memblock.memory.cnt, m->memblock.reserved.cnt);
	expect_eq(pages, 2);
	expect_true((void *)m->reserved_chunks == (void *)(m + 1));
	expect_eq(with_rc, 2);
	expect_true(m->memblock.reserved.regions == m->memblock.init_reserved);
	expect_eq(kmm_check(m), 0);
	kmm_shutdown(m);
}

/* ---- Stack pages: each call runs on a fresh thread whose stack this test maps ---- */

#define TEST_STACK (1UL << 20)

struct on_stack {
	void (*fn)(void *arg);
	void *arg;
	size_t skip;		/* bytes of stack the thread leaves unused above the call */
	uintptr_t call_sp;	/* the stack pointer at the call, about */
};

static void *trampoline(void *arg)
{
	struct on_stack *c = arg;
	/* A frame of @skip bytes, never written: the call starts that much deeper. */
	volatile char *gap = __builtin_alloca(c->skip + 1);

	gap[c->skip] = 0;
	c->call_sp = (uintptr_t)gap;
	if (c->fn)
		c->fn(c->arg);
	return NULL;
}

/* Pages of a fresh 1 MiB stack (mapped here, untouched) a thread left resident. */
static long thread_stack_pages(void (*fn)(void *arg), void *arg, size_t skip)
{
	void *stack = mmap(NULL, TEST_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct on_stack c = { fn, arg, skip, 0 };
	pthread_attr_t attr;
	pthread_t t;

	assert_true(stack != MAP_FAILED);
	assert_eq(pthread_attr_init(&attr), 0);
	assert_eq(pthread_attr_setstack(&attr, stack, TEST_STACK), 0);
	assert_eq(pthread_create(&t, &attr, trampoline, &c), 0);
	assert_eq(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	long pages = resident_pages(stack, TEST_STACK);
	munmap(stack, TEST_STACK);
	return pages;
}

#define PAINT 0xa5

/*
 * The bytes of stack below its caller @fn(@arg) writes: run on a fresh
 * stack painted with PAINT, the lowest byte that differs, measured from the
 * call. Unlike a page count, it does not depend on where the call starts.
 */
static size_t stack_depth_of(void (*fn)(void *arg), void *arg)
{
	unsigned char *stack = mmap(NULL, TEST_STACK, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct on_stack c = { fn, arg, 0, 0 };
	pthread_attr_t attr;
	pthread_t t;
	size_t low = 0;

	assert_true(stack != MAP_FAILED);
	memset(stack, PAINT, TEST_STACK);
	assert_eq(pthread_attr_init(&attr), 0);
	assert_eq(pthread_attr_setstack(&attr, stack, TEST_STACK), 0);
	assert_eq(pthread_create(&t, &attr, trampoline, &c), 0);
	assert_eq(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	while (low < TEST_STACK && stack[low] == PAINT)
		low++;
	assert_true((uintptr_t)stack + low <= c.call_sp);
	size_t depth = c.call_sp - ((uintptr_t)stack + low);
	munmap(stack, TEST_STACK);
	return depth;
}

/*
 * The stack pages @fn(@arg) touches, over and above a thread that calls
 * nothing: the most over eight starting depths a page apart in 512-byte
 * steps, so that where a frame falls against a page boundary does not
 * decide the figure.
 */
static long stack_pages_of(void (*fn)(void *arg), void *arg)
{
	long most = 0;

	for (size_t skip = 0; skip < PAGE_SIZE; skip += 512) {
		long d = thread_stack_pages(fn, arg, skip) - thread_stack_pages(NULL, NULL, skip);
		most = d > most ? d : most;
	}
	return most;
}

static void parse_shim_line(void *arg)
{
	struct kmm_boot_opts *o = arg;

	assert_eq(kmm_parse_cmdline(shim_line(), o), 0);
}

static void rebuild_e820(void *arg)
{
	assert_eq(e820__update_table(arg), 0);
}

static struct kmm_machine *booted[2 * PAGE_SIZE / 512];
static int nr_booted;

static void boot_shim_line(void *arg)
{
	(void)arg;
	booted[nr_booted++] = kmm_boot(shim_line());
}

TEST(the_parser_touches_at_most_one_page_of_its_callers_stack)
{
	if (!STACK_FIGURES) {
		printf("  (not measured under a sanitizer)\n");
		return;
	}
	struct kmm_boot_opts o;

	/* One parse first, off the measured stacks: the loader binds its first libc calls there. */
	parse_shim_line(&o);
	long pages = stack_pages_of(parse_shim_line, &o);
	size_t depth = stack_depth_of(parse_shim_line, &o);

	printf("  kmm_parse_cmdline: %ld stack pages, %zu bytes deep\n", pages, depth);
	/* 3 with its 5 KB of words and line on the stack, 2 with its options there */
	expect_true(pages <= 1);
	expect_eq(o.nr_cpus, 16);
	expect_true(o.ram_anon);
}

TEST(e820_rebuild_sorts_merges_and_clears_the_rest)
{
	/* Twenty overlapping ranges given backwards, every third reserved (it wins). */
	struct e820_table *t = calloc(1, sizeof(*t));
	assert_true(t != NULL);
	for (int i = 0; i < 20; i++)
		assert_eq(__e820__range_add(t, (uint64_t)(19 - i) << 24, 3ULL << 23,
					    i % 3 ? E820_TYPE_RAM : E820_TYPE_RESERVED), 0);
	long pages = 0;
	size_t depth = 0;
	struct e820_table *again = malloc(sizeof(*again));
	assert_true(again != NULL);
	memcpy(again, t, sizeof(*t));
	if (STACK_FIGURES) {
		pages = stack_pages_of(rebuild_e820, t);
		depth = stack_depth_of(rebuild_e820, again);
	} else {
		rebuild_e820(t);	/* under a sanitizer: the rebuild, unmeasured */
	}
	free(again);
	printf("  e820__update_table: %d entries, %ld stack pages, %zu bytes deep\n", t->nr_entries,
	       pages, depth);
	/* Its two scratch tables (4.6 KB; 5,208 B deep when they were its frame) are off the stack. */
	if (STACK_FIGURES)
		expect_true(depth <= 1024);
	uint64_t covered = 0;
	for (int i = 0; i < t->nr_entries; i++) {
		const struct e820_entry *e = &t->entries[i];

		expect_true(e->size > 0);
		covered += e->size;
		if (i) {
			const struct e820_entry *p = &t->entries[i - 1];
			expect_true(p->addr + p->size <= e->addr);
			/* equal neighbours that touch are one entry */
			expect_true(!(p->addr + p->size == e->addr && p->type == e->type));
		}
	}
	/* [0, 19 << 24 + 12 MiB) covered once; reserved where any reserved range was. */
	expect_eq(covered, (19ULL << 24) + (3ULL << 23));
	expect_eq(t->entries[0].type, E820_TYPE_RAM);	/* [0, 16M): range 19, RAM */
	for (int i = t->nr_entries; i < E820_MAX_ENTRIES; i++)
		if (!expect_true(t->entries[i].addr == 0 && t->entries[i].size == 0 &&
				 t->entries[i].type == 0))
			break;
	/* A second rebuild leaves it as it is. */
	struct e820_table *u = malloc(sizeof(*u));
	assert_true(u != NULL);
	memcpy(u, t, sizeof(*u));
	assert_eq(e820__update_table(u), 0);
	expect_eq(memcmp(u, t, sizeof(*u)), 0);
	free(u);
	free(t);
}

TEST(a_boot_touches_at_most_8_kb_of_its_callers_stack)
{
	if (!STACK_FIGURES) {
		printf("  (not measured under a sanitizer)\n");
		return;
	}
	/*
	 * One boot first, off the measured stacks: the loader binds the boot's
	 * first calls into libc there (its register save area is the host CPU's
	 * size, not the boot's), whichever test ran before this one.
	 */
	struct kmm_machine *warm = kmm_boot(shim_line());
	assert_true(warm != NULL);
	kmm_shutdown(warm);
	long pages = stack_pages_of(boot_shim_line, NULL);
	size_t depth = stack_depth_of(boot_shim_line, NULL);

	printf("  the shim's boot: %ld stack pages, %zu bytes deep\n", pages, depth);
	/*
	 * What it protects: a malloc-once program's stack, where the shim boots.
	 * 8 KiB below the call is at most two new pages wherever the call starts
	 * (4 pages with the parser's words on the stack, the e820 table zeroed
	 * whole and qsort(); 3 with the options in the parser's and kmm_boot()'s
	 * frames; 6,584 B deep with e820__update_table()'s tables and
	 * setup_nodes()'s fake-node blocks in the frames the boot's calls ran
	 * below; 4,304 B without, RelWithDebInfo, gcc 12). A frame with a page
	 * of buffer in it fails here; a compiler's few hundred bytes do not.
	 */
	expect_true(depth <= 8192);
	expect_true(pages <= 2);
	for (int i = 0; i < nr_booted; i++) {
		assert_true(booted[i] != NULL);
		expect_eq(kmm_check(booted[i]), 0);
		kmm_shutdown(booted[i]);
	}
	nr_booted = 0;
}
