// SPDX-License-Identifier: MIT
/*
 * tests/unit_boot_cmdline.c - the boot command line: every option parsed,
 * every bad option refused with a message naming it and no machine left
 * behind, and the registry of options owned by later layers.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "mm/include/boot_options.h"
#include "mm/internal.h"

TEST(defaults)
{
	struct kmm_boot_opts o;

	assert_eq(kmm_parse_cmdline("", &o), 0);
	expect_eq(o.mem, 1ULL << 30);
	expect_eq(o.arch, KMM_ARCH_X86_64);
	expect_eq(o.maxcpus, 2);
	expect_eq(o.numa_fake, 0);
	expect_eq(o.kernelcore_percent, -1);
	expect_eq(o.movablecore_percent, -1);
	expect_eq(o.buddy_lazy, false);
	expect_eq(o.nr_memmap, 0);
	expect_eq(o.nr_mmio, 0);
	expect_eq(o.extra[0], 0);
	assert_eq(kmm_parse_cmdline(NULL, &o), 0);
	expect_eq(o.mem, 1ULL << 30);
}

TEST(every_option)
{
	struct kmm_boot_opts o;

	assert_eq(kmm_parse_cmdline("mem=512M arch=i386-pae nr_cpus=4 maxcpus=3 kernelcore=25% "
				    "movablecore=64M vmalloc=256M highmem=128M "
				    "memmap=4M$0x20000000,1M#0x30000000 buddy=lazy "
				    "mmio=virtio-net@0xfebf0000+0x1000 mmio=gpu@0xe0000000+16M",
				    &o), 0);
	expect_eq(o.mem, 512ULL << 20);
	expect_eq(o.arch, KMM_ARCH_I386_PAE);
	expect_eq(o.nr_cpus, 4);
	expect_eq(o.maxcpus, 3);
	expect_eq(o.mem_limit, 0);
	expect_eq(o.firmware, KMM_FIRMWARE_QEMU);
	expect_true(o.kconfig != NULL && !strcmp(o.kconfig->name, "defconfig"));
	expect_eq(o.kernelcore_percent, 25);
	expect_eq(o.movablecore, 64ULL << 20);
	expect_eq(o.movablecore_percent, -1);
	expect_eq(o.vmalloc_size, 256ULL << 20);
	expect_eq(o.highmem_size, 128ULL << 20);
	assert_eq(o.nr_memmap, 2);
	expect_eq(o.memmap[0].start, 0x20000000);
	expect_eq(o.memmap[0].size, 4ULL << 20);
	expect_eq(o.memmap[0].type, E820_TYPE_RESERVED);
	expect_eq(o.memmap[1].start, 0x30000000);
	expect_eq(o.memmap[1].type, E820_TYPE_ACPI);
	expect_eq(o.buddy_lazy, true);
	assert_eq(o.nr_mmio, 2);
	expect_true(!strcmp(o.mmio[0].name, "virtio-net"));
	expect_eq(o.mmio[0].start, 0xfebf0000);
	expect_eq(o.mmio[0].size, 0x1000);
	expect_eq(o.mmio[1].size, 16ULL << 20);

	assert_eq(kmm_parse_cmdline("numa=fake=4 mem=4G arch=x86_64 buddy=eager", &o), 0);
	expect_eq(o.numa_fake, 4);
	expect_eq(o.mem, 4ULL << 30);
	expect_eq(o.buddy_lazy, false);
	/* The last occurrence of a scalar option wins, as in Linux. */
	assert_eq(kmm_parse_cmdline("mem=2G mem=3G", &o), 0);
	expect_eq(o.mem, 3ULL << 30);

	/*
	 * board= is the RAM the board has; with it, mem= is Linux's cap on the
	 * physical address; mem= alone stays the board's size. maxcpus= brings
	 * fewer CPUs online; the possible ones (nr_cpus=, default 2) stay.
	 */
	assert_eq(kmm_parse_cmdline("mem=1G board=2G config=debian firmware=seabios maxcpus=1 "
				    "transparent_hugepage=never init_on_alloc=0 initrd=1008K", &o), 0);
	expect_eq(o.mem, 2ULL << 30);
	expect_eq(o.mem_limit, 1ULL << 30);
	expect_true(!strcmp(o.kconfig->name, "debian") && o.kconfig->thp);
	expect_eq(o.firmware, KMM_FIRMWARE_SEABIOS);
	expect_eq(o.nr_cpus, 2);
	expect_eq(o.maxcpus, 1);
	expect_eq(o.thp, KMM_THP_NEVER);
	expect_eq(o.init_on_alloc, 0);
	expect_eq(o.initrd_size, 1008ULL << 10);
	assert_eq(kmm_parse_cmdline("board=3G", &o), 0);
	expect_eq(o.mem, 3ULL << 30);
	expect_eq(o.mem_limit, 0);
	assert_eq(kmm_parse_cmdline("maxcpus=0", &o), 0);	/* Linux: SMP off, the boot CPU only */
	expect_eq(o.maxcpus, 1);
	expect_eq(o.nr_cpus, 2);
	assert_eq(kmm_parse_cmdline("maxcpus=65 nr_cpus=8", &o), 0);
	expect_eq(o.maxcpus, 8);
}

/* Each bad command line: NULL, an error naming the option, nothing left alive. */
static void expect_refused(const char *cmdline, const char *message)
{
	int before = kmm_test_machines_alive();

	t_boot_refused(cmdline, message);
	expect_eq(kmm_test_machines_alive(), before);
}

TEST(bad_options_name_the_option)
{
	expect_refused("foo=1", "unknown boot option 'foo=1'");
	expect_refused("mem=1G quiet", "unknown boot option 'quiet'");
	expect_refused("mem=12Q", "mem=12Q: bad size");
	expect_refused("mem=", "mem=: needs a value");
	expect_refused("mem", "mem: needs a value");
	expect_refused("mem=16M", "mem=16M: too small");
	expect_refused("mem=16M arch=i386", "mem=16M: too small: arch=i386 needs at least");
	expect_refused("mem=8T", "mem=8T:");
	expect_refused("arch=i386 mem=65G", "mem=65G:");
	expect_refused("arch=arm64", "arch=arm64: unknown arch");
	expect_refused("maxcpus=two", "maxcpus=two:");
	expect_refused("nr_cpus=0", "nr_cpus=0:");
	expect_refused("nr_cpus=65", "nr_cpus=65:");
	expect_refused("arch=i386 nr_cpus=16", "nr_cpus=16: config=defconfig is built with NR_CPUS=8");
	expect_refused("config=debian arch=i386", "config=debian: no such build for arch=i386");
	expect_refused("config=allyes", "config=allyes: no such build");
	expect_refused("firmware=uefi", "firmware=uefi: unknown firmware");
	expect_refused("transparent_hugepage=never", "config=defconfig has no transparent hugepages");
	expect_refused("config=debian transparent_hugepage=sometimes", "transparent_hugepage=sometimes:");
	expect_refused("init_on_alloc=2", "init_on_alloc=2: expected 0 or 1");
	expect_refused("initrd=0", "initrd=0: bad size");
	expect_refused("board=16M", "board=16M: too small");
	expect_refused("board=2G mem=8M", "mem=8M: too small");
	expect_refused("numa=on", "numa=on:");
	expect_refused("numa=fake=0", "numa=fake=0:");
	expect_refused("numa=fake=65", "numa=fake=65:");
	expect_refused("numa=fake=2 arch=i386", "numa=fake=2: arch=i386 config=defconfig has no NUMA");
	expect_refused("mem=64M numa=fake=4", "numa=fake=4: each node needs at least 32M");
	expect_refused("kernelcore=101%", "kernelcore=101%: percentage above 100");
	expect_refused("movablecore=lots", "movablecore=lots: bad size");
	expect_refused("vmalloc=256M", "vmalloc=256M: only for arch=i386");
	expect_refused("arch=i386 ram=anon", "ram=anon: anonymous RAM cannot be kmapped");
	expect_refused("arch=x86_64 highmem=1G", "highmem=1G: only for arch=i386");
	expect_refused("arch=i386 vmalloc=980M", "vmalloc=980M: leaves");
	expect_refused("memmap=1M", "memmap=1M: expected nn$ss");
	expect_refused("memmap=1M$zz", "memmap=1M$zz: bad start address");
	expect_refused("memmap=1M$0x1000000", "overlaps the kernel image");
	expect_refused("buddy=maybe", "buddy=maybe: expected buddy=eager or buddy=lazy");
	expect_refused("mmio=dev", "mmio=dev: expected NAME@START+SIZE");
	expect_refused("mmio=dev@0xfe000000", "mmio=dev@0xfe000000: bad start address");
	expect_refused("mmio=d/v@0xfe000000+4K", "mmio=d/v@0xfe000000+4K: expected NAME@START+SIZE");
	expect_refused("mmio=dev@0x100000+0x1000", "mmio=dev@0x100000+0x1000: overlaps RAM");
	expect_refused("mem=5G mmio=dev@0x100000000+4K", "overlaps RAM");
	expect_refused("mmio=a@0xfe000000+8K mmio=b@0xfe001000+4K", "overlaps mmio window 'a'");
	expect_refused("deferred_struct_pages=maybe", "deferred_struct_pages=maybe:");
}

TEST(good_edge_values_boot)
{
	struct kmm_machine *m;

	/* mmio in the PCI hole, memmap carving RAM, numa nodes of 32M. */
	m = t_boot("mem=2G mmio=dev@0xfebf0000+0x1000 memmap=64M$0x40000000 nr_cpus=64");
	expect_eq(m->opts.nr_mmio, 1);
	expect_eq(m->nr_cpus, 64);
	expect_eq(m->nr_cpu_ids, 64);
	expect_str_contains(t_dmesg(m), "user-defined physical RAM map:");
	expect_str_contains(t_dmesg(m),
			    "user: [mem 0x0000000040000000-0x0000000043ffffff] reserved");
	t_done(m);
	m = t_boot("mem=160M numa=fake=4");
	expect_eq(m->nr_node_ids, 4);
	t_done(m);
	/*
	 * 128M less the 98 absent low pages leaves each of 4 nodes under 32M:
	 * Linux's split_nodes_interleave() gives up and boots one node.
	 */
	m = t_boot("mem=128M numa=fake=4");
	expect_eq(m->nr_node_ids, 1);
	expect_str_contains(t_dmesg(m), "Not enough memory for each node.  NUMA emulation disabled.\n");
	t_done(m);
	/* maxcpus=1: one CPU online, both per-CPU areas, the SMP-locks pages kept. */
	m = t_boot("mem=1G maxcpus=1");
	expect_eq(m->nr_cpus, 1);
	expect_eq(m->nr_cpu_ids, 2);
	expect_str_contains(t_dmesg(m), "nr_cpumask_bits:2 nr_cpu_ids:2 nr_node_ids:1\n");
	expect_true(strstr(t_dmesg(m), "Freeing SMP alternatives memory") == NULL);
	t_done(m);
}

/* ---- Options owned by later layers ---- */

static int validate_number(const char *val, char *err, size_t len)
{
	if (!val || !*val || strspn(val, "0123456789") != strlen(val)) {
		snprintf(err, len, "expected a number");
		return -EINVAL;
	}
	return 0;
}

static int validate_other(const char *val, char *err, size_t len)
{
	(void)val, (void)err, (void)len;
	return 0;
}

TEST(registered_options)
{
	struct kmm_machine *m;

	assert_eq(kmm_register_boot_option("kmmtest_number", validate_number), 0);
	assert_eq(kmm_register_boot_option("kmmtest_flag", NULL), 0);
	/* Again with the same validator: fine; with another, or a built-in name: taken. */
	expect_eq(kmm_register_boot_option("kmmtest_number", validate_number), 0);
	expect_eq(kmm_register_boot_option("kmmtest_number", validate_other), -EEXIST);
	expect_eq(kmm_register_boot_option("mem", validate_other), -EEXIST);
	expect_eq(kmm_register_boot_option("a=b", NULL), -EINVAL);

	m = t_boot("mem=256M kmmtest_number=5 kmmtest_flag kmmtest_number=7");
	expect_true(kmm_boot_option(m, "kmmtest_number") != NULL);
	expect_true(!strcmp(kmm_boot_option(m, "kmmtest_number"), "7"));	/* last wins */
	expect_true(!strcmp(kmm_boot_option(m, "kmmtest_flag"), ""));
	expect_true(kmm_boot_option(m, "kmmtest_absent") == NULL);
	expect_true(kmm_boot_option(m, "kmmtest") == NULL);	/* no prefix matches */
	t_done(m);

	expect_refused("kmmtest_number=x", "kmmtest_number=x: expected a number");
	expect_refused("kmmtest_numberx=1", "unknown boot option 'kmmtest_numberx=1'");
}
