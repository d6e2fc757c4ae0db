// SPDX-License-Identifier: MIT
/*
 * mm/include/boot_options.h - the boot command line as parsed options, and
 * the registry of options owned by later layers (mm/mm_init_cmdline.c).
 *
 * Linux counterpart: include/linux/init.h (early_param, __setup) and the
 * variables the early_param handlers set. kmm keeps the parsed options in a
 * value (struct kmm_boot_opts, one per machine) instead of globals.
 *
 * Locking: a machine's options are immutable after boot; the registry is
 * appended under boot_option_lock and read lock-free.
 */
#ifndef KMM_BOOT_OPTIONS_H
#define KMM_BOOT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/include/asm/e820.h"
#include "arch/x86/include/asm/layout.h"

struct kmm_machine;

/* MMIO ranges declared at boot (ioremap targets, /proc/iomem). */
struct kmm_mmio {
	uint64_t start, size;
	char name[32];
};

#define KMM_MAX_MEMMAP 16
#define KMM_MAX_MMIO 16
enum kmm_firmware {
	KMM_FIRMWARE_QEMU,		/* firmware=qemu: QEMU's own table, no firmware reservations */
	KMM_FIRMWARE_SEABIOS,		/* firmware=seabios: SeaBIOS under TCG (the captures') */
	KMM_FIRMWARE_SEABIOS_KVM,	/* firmware=seabios-kvm: SeaBIOS under KVM */
};

enum kmm_thp_mode { KMM_THP_DEFAULT, KMM_THP_ALWAYS, KMM_THP_MADVISE, KMM_THP_NEVER };

struct kmm_kconfig;

struct kmm_boot_opts {
	uint64_t mem;			/* the board's RAM in bytes: board=, or mem= alone (default 1G) */
	uint64_t mem_limit;		/* Linux's mem=: RAM above this address is dropped; 0 = none */
	enum kmm_arch arch;		/* arch= */
	const struct kmm_kconfig *kconfig;	/* config= (mm/include/kconfig.h) */
	enum kmm_firmware firmware;	/* firmware= */
	int nr_cpus;			/* nr_cpus=: possible CPUs, nr_cpu_ids (default 2) */
	int maxcpus;			/* maxcpus=: CPUs brought online, at most nr_cpus (default all) */
	enum kmm_thp_mode thp;		/* transparent_hugepage= */
	int init_on_alloc;		/* init_on_alloc=0|1; -1 = the config's default */
	unsigned int slub_max_order;	/* slab_max_order= (slub_max_order=): calculate_order()'s cap, default 3 */
	uint64_t initrd_size;		/* initrd=: an initramfs of this many bytes; 0 = none */
	int numa_fake;			/* numa=fake=N (0: one node) */
	uint64_t kernelcore, movablecore;	/* bytes; 0 = unset */
	int kernelcore_percent, movablecore_percent;	/* N% forms, -1 = unset */
	uint64_t vmalloc_size;		/* vmalloc= (i386), 0 = default */
	uint64_t highmem_size;		/* highmem= (i386), 0 = unset */
	int nr_memmap;
	struct {
		uint64_t start, size;
		enum e820_type type;	/* E820_TYPE_RESERVED ($) or E820_TYPE_ACPI (#) */
	} memmap[KMM_MAX_MEMMAP];	/* memmap=nn$ss */
	bool buddy_lazy;		/* buddy=lazy */
	bool ram_anon;			/* ram=anon: anonymous RAM, never remapped (malloc shim) */
	bool ram_huge;			/* ram=huge: ram=anon on transparent huge pages (library boots) */
	bool eager_memmap;		/* deferred_struct_pages=off: initialise every struct page at boot */
	int nr_mmio;
	struct kmm_mmio mmio[KMM_MAX_MMIO];
	char extra[512];		/* options owned by later layers: "a=b\0c\0\0" (kmm_boot_option) */
};

/* ---- mm/mm_init_cmdline.c ---- */

/** kmm_parse_cmdline() - fill @opts from @cmdline. Return: 0 or -EINVAL (message set). */
int kmm_parse_cmdline(const char *cmdline, struct kmm_boot_opts *opts);

/**
 * kmm_register_boot_option() - let a later layer own a boot option.
 * @name: the option's name, without '=' ("slab_debug", "slab_freelist_random").
 * @validate: checks the value (NULL when the option has no '='); returns 0,
 *	or -EINVAL after writing a short reason into @err (@len bytes). NULL
 *	accepts anything.
 *
 * Layers call this from the boot_options hook of their subsystem entry
 * (mm/include/subsys.h; static-library objects are only linked when
 * referenced, so there are no constructors); kmm_parse_cmdline() runs those
 * hooks once per process before it parses the first command line. Registering the same name with
 * the same function again is a no-op.
 * Context: any thread. Return: 0, -EEXIST (name taken by another validator
 * or a built-in option), -ENOSPC (table full).
 */
typedef int (*kmm_boot_option_validate_fn)(const char *val, char *err, size_t len);
int kmm_register_boot_option(const char *name, kmm_boot_option_validate_fn validate);
/**
 * kmm_boot_option() - the value a registered option had on @m's command line.
 * Return: the text after '=' ("" for a bare "name"), the last occurrence
 * winning; NULL if the option was not given. Valid as long as @m.
 */
const char *kmm_boot_option(struct kmm_machine *m, const char *name);
/**
 * kmm_boot_option_name() - the @i-th option kmm knows, for the checks that
 * keep the manual complete: the built-in ones first, then the registered
 * ones (every layer's, once a command line has been parsed).
 * Context: any thread. Return: the name without '=', or NULL past the last.
 */
const char *kmm_boot_option_name(int i);

#endif /* KMM_BOOT_OPTIONS_H */
