// SPDX-License-Identifier: MIT
/*
 * tests/stress_boot.c - seeded random command lines: every boot either
 * succeeds with all invariants holding (kmm_check, the "Memory:" line adding
 * up, present pages = physpages, memblock reservations inside RAM), or fails
 * with a message that names an option and leaves no machine behind.
 * KMM_QUICK=1 runs fewer boots; the seed is printed on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mm/include/memblock.h"
#include "mm/internal.h"
#include "tests/boot_test.h"

static void random_cmdline(uint64_t *rng, char *buf, size_t len)
{
	static const char *const arch[] = { "x86_64", "i386", "i386-pae" };
	static const char *const mem[] = { "40M", "64M", "100M", "256M", "512M", "896M", "1G",
					   "1000M", "3G", "3500M", "4G", "5G", "8G", "12Q" };
	size_t n = 0;

	n += (size_t)snprintf(buf + n, len - n, "arch=%s mem=%s", arch[t_rnd(rng, 3)],
			      mem[t_rnd(rng, ARRAY_SIZE(mem))]);
	if (!t_rnd(rng, 3))
		n += (size_t)snprintf(buf + n, len - n, " nr_cpus=%d", (int)t_rnd(rng, 70));
	if (!t_rnd(rng, 3))
		n += (size_t)snprintf(buf + n, len - n, " maxcpus=%d", (int)t_rnd(rng, 70));
	if (!t_rnd(rng, 6))
		n += (size_t)snprintf(buf + n, len - n, " board=%s", mem[t_rnd(rng, ARRAY_SIZE(mem))]);
	if (!t_rnd(rng, 6))
		n += (size_t)snprintf(buf + n, len - n, " firmware=%s",
				      t_rnd(rng, 2) ? "seabios" : "seabios-kvm");
	if (!t_rnd(rng, 8))
		n += (size_t)snprintf(buf + n, len - n, " initrd=%dK", (int)t_rnd(rng, 4096));
	if (!t_rnd(rng, 4))
		n += (size_t)snprintf(buf + n, len - n, " numa=fake=%d", (int)t_rnd(rng, 6));
	if (!t_rnd(rng, 4))
		n += (size_t)snprintf(buf + n, len - n, " movablecore=%d%s",
				      (int)t_rnd(rng, 110), t_rnd(rng, 2) ? "%" : "M");
	if (!t_rnd(rng, 5))
		n += (size_t)snprintf(buf + n, len - n, " kernelcore=%dM", (int)t_rnd(rng, 4096));
	if (!t_rnd(rng, 5))
		n += (size_t)snprintf(buf + n, len - n, " vmalloc=%dM", (int)t_rnd(rng, 1024));
	if (!t_rnd(rng, 5))
		n += (size_t)snprintf(buf + n, len - n, " highmem=%dM", (int)t_rnd(rng, 2048));
	if (!t_rnd(rng, 4))
		n += (size_t)snprintf(buf + n, len - n, " memmap=%dM$%dM", 1 + (int)t_rnd(rng, 64),
				      (int)t_rnd(rng, 4096));
	if (!t_rnd(rng, 6))
		n += (size_t)snprintf(buf + n, len - n, " buddy=%s", t_rnd(rng, 2) ? "lazy" : "eager");
	if (!t_rnd(rng, 8))
		n += (size_t)snprintf(buf + n, len - n, " deferred_struct_pages=off");
	if (!t_rnd(rng, 20))
		snprintf(buf + n, len - n, " bogus=%d", (int)t_rnd(rng, 9));
}

static void check_machine(struct kmm_machine *m, const char *cmd)
{
	const char *p = strstr(t_dmesg(m), "Memory: ");
	unsigned long avail, total, code, rw, ro, init, bss, resv;
	unsigned long init_pages = (unsigned long)(m->kimage.init >> PAGE_SHIFT);
	unsigned long ram = (unsigned long)atomic_load(&m->totalram_pages);
	unsigned long present = 0, initrd_kb = 0;
	const char *fi = strstr(t_dmesg(m), "Freeing initrd memory: ");

	if (kmm_check(m))
		kmm_test_fail(__FILE__, __LINE__, "%s: kmm_check: %s", cmd, kmm_last_error());
	assert_true(p != NULL);
	assert_eq(sscanf(p, "Memory: %luK/%luK available (%luK kernel code, %luK rwdata, "
			    "%luK rodata, %luK init, %luK bss, %luK reserved",
			 &avail, &total, &code, &rw, &ro, &init, &bss, &resv), 8);
	/* .init and the initrd were still reserved when the line was printed. */
	if (fi)
		assert_eq(sscanf(fi, "Freeing initrd memory: %luK", &initrd_kb), 1);
	init_pages += initrd_kb / 4;
	expect_eq(total, m->physpages * 4);
	expect_eq(resv, (m->physpages - (ram - init_pages)) * 4);
	expect_eq(resv / 4, reserved_ram_pages(m) + init_pages);
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			present += m->node_data[nid]->node_zones[z].present_pages;
	expect_eq(present, m->physpages);
	expect_true(m->max_low_pfn <= m->max_pfn);
	if (!kmm_arch_is_32(m))
		expect_eq(m->max_low_pfn, m->max_pfn);
}

TEST(random_command_lines)
{
	uint64_t rng = kmm_test_seed() | 1;
	int steps = kmm_test_quick() ? 40 : 200, booted = 0, refused = 0;

	for (int i = 0; i < steps; i++) {
		char cmd[256];
		int before = kmm_test_machines_alive();
		struct kmm_machine *m;

		random_cmdline(&rng, cmd, sizeof(cmd));
		m = kmm_boot(cmd);
		if (!m) {
			const char *err = kmm_last_error();

			refused++;
			/* The message names an option: "name=value: why" or "unknown ...". */
			if (!err[0] || (!strstr(err, "=") && !strstr(err, "unknown")))
				kmm_test_fail(__FILE__, __LINE__, "%s: unhelpful error \"%s\"", cmd,
					      err);
			expect_eq(kmm_test_machines_alive(), before);
			continue;
		}
		booted++;
		check_machine(m, cmd);
		kmm_shutdown(m);
		expect_eq(kmm_test_machines_alive(), before);
	}
	/* The mix must exercise both outcomes. */
	expect_true(booted > steps / 4);
	expect_true(refused > 0);
}
