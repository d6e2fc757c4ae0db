// SPDX-License-Identifier: MIT
/*
 * init/kconfig.c - the kernel builds a machine can run (config=): their
 * options and the figures that move memory numbers.
 *
 * Linux counterpart: none as code; a kernel is one build, chosen when it is
 * compiled. kmm keeps a few builds side by side so that a machine can be the
 * very kernel reference/real-linux/ captured:
 *   i386 defconfig, i386-pae defconfig: Linux 6.12.118 built from Debian's
 *     linux-source-6.12 with i386_defconfig (HIGHMEM4G, FLATMEM, NR_CPUS 8),
 *     and its HIGHMEM64G (PAE) twin;
 *   x86_64 debian: Debian's 6.12.118 amd64 kernel (NR_CPUS 8192, NUMA with
 *     NODES_SHIFT 10, ZONE_DEVICE, THP "always", INIT_ON_ALLOC, KFENCE off
 *     by default, zswap, KSM, no CMA);
 *   x86_64 defconfig: kmm's x86_64 machine as it was before config= existed -
 *     x86_64_defconfig's NR_CPUS 64 and NODES_SHIFT 6, no THP, CMA or
 *     ZONE_DEVICE; its image and per-CPU sizes are estimates, not measured.
 *
 * Where the measured figures come from (the captures' own lines):
 *   the image's sections: /proc/iomem ("Kernel code" is [_text, _etext), and
 *     so on) and the "Memory:" line (text, rwdata, rodata, init, bss in KiB);
 *   where .init and the SMP-locks pages sit: between _edata and __bss_start,
 *     .init first, .smp_locks just below .bss (vmlinux.lds.S), sized by
 *     "Freeing unused kernel image (initmem)" and "Freeing SMP alternatives";
 *   x86_64's rodata/data gap and unused .bss..decrypted: their "Freeing" lines
 *     (.bss..decrypted is the 2 MiB-aligned end of .bss, BSS_DECRYPTED in
 *     vmlinux.lds.S: its unused part runs up to __bss_stop, 0x3c00000);
 *   the per-CPU first chunk: "percpu: Embedded N pages/cpu sS rR dD";
 *   sizeof(pg_data_t): "NODE_DATA(0) allocated [mem A-B]" (B - A + 1);
 *   the kernel's own objects' sizes: /proc/slabinfo's <objsize> column;
 *   reserve_end, the end of what memblock keeps for the image (its brk area:
 *     the early page tables): the one figure no line prints. It is what makes
 *     the zones' managed pages of one capture come out right, and then every
 *     other capture of the same build must agree (tests/integration_real_linux.c
 *     holds each profile to all of its captures).
 *
 * Locking: none; the table is immutable.
 */
#include <stddef.h>
#include <string.h>

#include "mm/include/kconfig.h"

#define K(x) ((uint64_t)(x) << 10)

static const struct kmm_kconfig kconfigs[] = {
	{
		.name = "defconfig", .arch = KMM_ARCH_I386, .measured = true,
		.about = "Linux 6.12.118, i386_defconfig (HIGHMEM4G, FLATMEM, NR_CPUS 8)",
		.nr_cpus = 8,
		.image = {
			.text = 0x1000000, .stext = 0x1000000, .etext = 0x144485b,
			.rodata = 0x1445000, .rodata_end = 0x1579000,
			.sdata = 0x1579000, .edata = 0x1673b00,
			.init = 0x1681000, .init_end = 0x1725000,
			.smp_locks = 0x1725000, .smp_locks_end = 0x1729000,
			.bss = 0x1729000, .bss_end = 0x179c000,
			.reserve_end = 0x17a8000,
		},
		.text_kb = 4370, .rwdata_kb = 1002, .rodata_kb = 1232, .init_kb = 656, .bss_kb = 460,
		.percpu_static = 79276, .percpu_reserved = 0, .percpu_dynamic = 31316,
		.objsize = { .task_struct = 2624, .mm_struct = 768, .vm_area_struct = 72,
			     .anon_vma = 52, .kmem_cache = 128, .kmem_cache_node = 32 },
	},
	{
		.name = "defconfig", .arch = KMM_ARCH_I386_PAE, .measured = true,
		.about = "Linux 6.12.118, i386_defconfig with HIGHMEM64G (PAE), NR_CPUS 8",
		.nr_cpus = 8,
		.image = {
			.text = 0x1000000, .stext = 0x1000000, .etext = 0x145647b,
			.rodata = 0x1457000, .rodata_end = 0x158c000,
			.sdata = 0x158c000, .edata = 0x1687ee0,
			.init = 0x1696000, .init_end = 0x173d000,
			.smp_locks = 0x173d000, .smp_locks_end = 0x1742000,
			.bss = 0x1742000, .bss_end = 0x17b5000,
			.reserve_end = 0x17c7000,
		},
		.text_kb = 4441, .rwdata_kb = 1007, .rodata_kb = 1236, .init_kb = 668, .bss_kb = 460,
		.percpu_static = 79276, .percpu_reserved = 0, .percpu_dynamic = 31316,
		.objsize = { .task_struct = 2688, .mm_struct = 768, .vm_area_struct = 72,
			     .anon_vma = 52, .kmem_cache = 128, .kmem_cache_node = 32 },
	},
	{
		.name = "debian", .arch = KMM_ARCH_X86_64, .measured = true,
		.about = "Debian's Linux 6.12.118 amd64 kernel (NR_CPUS 8192, NUMA, ZONE_DEVICE, THP)",
		.nr_cpus = 8192, .nodes_shift = 10,
		.numa = true, .numa_balancing = true, .thp = true, .thp_always = true,
		.zone_device = true, .zswap = true, .memory_failure = true, .memory_isolation = true,
		.ksm = true, .balloon = true, .unaccepted_memory = true, .init_on_alloc = true,
		.deferred_struct_pages = true, .hpet_timer = true,
		.image = {
			.text = 0x1000000, .stext = 0x1000000, .etext = 0x2000000,
			.rodata = 0x2000000, .rodata_end = 0x2b72000,
			.gap = 0x2b72000, .gap_end = 0x2c00000,
			.sdata = 0x2c00000, .edata = 0x2e70fc0,
			.decrypted = 0x3c00000 - K(2028), .decrypted_end = 0x3c00000,
			.init = 0x3303000, .init_end = 0x372c000,
			.smp_locks = 0x372c000, .smp_locks_end = 0x3736000,
			.bss = 0x3736000, .bss_end = 0x3c00000,
			.reserve_end = 0x3c11000,
		},
		.text_kb = 16384, .rwdata_kb = 2499, .rodata_kb = 11720, .init_kb = 4260,
		.bss_kb = 4904,
		.percpu_static = 233472, .percpu_reserved = 8192, .percpu_dynamic = 28672,
		.node_data_size = 0x2a980,
		.section_alloc_pages = 4, .early_alloc_pages = 12,
		.objsize = { .task_struct = 6208, .mm_struct = 1408, .vm_area_struct = 176,
			     .anon_vma = 96, .kmem_cache = 256, .kmem_cache_node = 64 },
	},
	{
		.name = "defconfig", .arch = KMM_ARCH_X86_64, .measured = false,
		.about = "x86_64_defconfig-like (NR_CPUS 64, NUMA, no THP, CMA or ZONE_DEVICE); "
			 "image and per-CPU sizes estimated",
		.nr_cpus = 64, .nodes_shift = 6,
		.numa = true, .numa_balancing = true, .zswap = true, .memory_failure = true,
		.memory_isolation = true, .ksm = true, .balloon = true, .unaccepted_memory = true,
		.hpet_timer = true,
		.image = {
			.text = 0x1000000, .stext = 0x1000000, .etext = 0x1000000 + K(16384),
			.rodata = 0x1000000 + K(16384), .rodata_end = 0x1000000 + K(21864),
			.sdata = 0x1000000 + K(21864), .edata = 0x1000000 + K(24712),
			.init = 0x1000000 + K(24712), .init_end = 0x1000000 + K(27624),
			.bss = 0x1000000 + K(27624), .bss_end = 0x1000000 + K(31140),
			.reserve_end = 0x1000000 + K(31140),
		},
		.text_kb = 16384, .rwdata_kb = 2848, .rodata_kb = 5480, .init_kb = 2912, .bss_kb = 3516,
		.percpu_static = 225280, .percpu_reserved = 8192, .percpu_dynamic = 28672,
		.node_data_size = 0x2b000,
		/* estimated: the debian build's (no capture of this one) */
		.objsize = { .task_struct = 6208, .mm_struct = 1408, .vm_area_struct = 176,
			     .anon_vma = 96, .kmem_cache = 256, .kmem_cache_node = 64 },
	},
};

const struct kmm_kconfig *kmm_kconfig_find(const char *name, enum kmm_arch arch)
{
	if (!name)
		name = "defconfig";
	for (size_t i = 0; i < sizeof(kconfigs) / sizeof(kconfigs[0]); i++)
		if (kconfigs[i].arch == arch && !strcmp(kconfigs[i].name, name))
			return &kconfigs[i];
	return NULL;
}

const char *kmm_kconfig_names(void)
{
	return "defconfig, debian";
}
