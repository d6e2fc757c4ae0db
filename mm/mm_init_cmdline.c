// SPDX-License-Identifier: MIT
/*
 * mm/mm_init_cmdline.c - the boot command line: parsing and checking every
 * option of kmm_boot(), and the registry of options owned by later layers.
 *
 * Linux counterpart: init/main.c (parse_early_param, unknown parameters),
 * lib/cmdline.c (memparse), the early_param handlers of mem=, memmap=,
 * vmalloc=, highmem=, kernelcore=, movablecore=, numa=fake= and maxcpus=.
 * Kept: K/M/G/T sizes, "N%" for kernelcore/movablecore, memmap=nn$ss and
 * nn#ss lists separated by commas, the last occurrence of a scalar option
 * winning. Changed: mem= is the RAM the simulated board has (Linux's mem=
 * only limits what the kernel uses), and anything unknown or malformed is an
 * error naming the option, so that nothing is booted from a typo.
 *
 * Invariant: kmm_parse_cmdline() fills the caller's options only when the
 * whole line is valid; on error they are unchanged and kmm_last_error()
 * names the offending option.
 *
 * Locking: parsing uses only its arguments and the thread's error buffer;
 * the later layers' option table is appended under boot_option_lock and
 * read lock-free (a reader sees a prefix of it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/include/asm/layout.h"
#include "lib/kstrtox.h"
#include "mm/include/boot_options.h"
#include "mm/include/kconfig.h"
#include "mm/internal.h"

#define X86_64_MAX_MEM (4ULL << 40)			/* what kmm accepts on x86_64 */
#define I386_MAX_MEM (64ULL << 30)			/* PAE's 36 physical bits */

/* ==================================================================== */
/* ---- Boot options owned by later layers ---- */

struct boot_option {
	char name[32];
	kmm_boot_option_validate_fn validate;
};

#define MAX_BOOT_OPTIONS 64
static struct boot_option boot_options[MAX_BOOT_OPTIONS];
static int nr_boot_options;
static spinlock_t boot_option_lock = SPINLOCK_INIT;

static const char *const builtin_options[] = {
	"mem", "arch", "maxcpus", "numa", "kernelcore", "movablecore", "vmalloc",
	"highmem", "memmap", "buddy", "mmio", "ram", "deferred_struct_pages",
	"board", "config", "firmware", "nr_cpus", "transparent_hugepage", "init_on_alloc",
	"initrd", "slab_max_order", "slub_max_order",
};

/*
 * strcmp() == 0, the first bytes compared in line: a boot registers some 30
 * options, each checked against every name before it (~550 comparisons in
 * every process under the malloc shim), and most differ there.
 */
static inline bool same_name(const char *a, const char *b)
{
	return a[0] == b[0] && !strcmp(a, b);
}

int kmm_register_boot_option(const char *name, kmm_boot_option_validate_fn validate)
{
	int err = 0;

	if (!name || !*name || strlen(name) >= sizeof(boot_options[0].name) || strchr(name, '='))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(builtin_options); i++)
		if (same_name(name, builtin_options[i]))
			return -EEXIST;
	spin_lock(&boot_option_lock);
	for (int i = 0; i < nr_boot_options; i++) {
		if (same_name(boot_options[i].name, name)) {
			err = boot_options[i].validate == validate ? 0 : -EEXIST;
			goto out;
		}
	}
	if (nr_boot_options == MAX_BOOT_OPTIONS) {
		err = -ENOSPC;
		goto out;
	}
	strcpy(boot_options[nr_boot_options].name, name);
	boot_options[nr_boot_options].validate = validate;
	__atomic_store_n(&nr_boot_options, nr_boot_options + 1, __ATOMIC_RELEASE);
out:
	spin_unlock(&boot_option_lock);
	return err;
}

/* Entries are only ever appended, so a lock-free reader sees a prefix. */
static const struct boot_option *find_boot_option(const char *name, size_t len)
{
	int n = __atomic_load_n(&nr_boot_options, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (strlen(boot_options[i].name) == len && !memcmp(boot_options[i].name, name, len))
			return &boot_options[i];
	return NULL;
}

const char *kmm_boot_option_name(int i)
{
	int n = __atomic_load_n(&nr_boot_options, __ATOMIC_ACQUIRE);

	if (i < 0)
		return NULL;
	if ((size_t)i < ARRAY_SIZE(builtin_options))
		return builtin_options[i];
	i -= (int)ARRAY_SIZE(builtin_options);
	return i < n ? boot_options[i].name : NULL;
}

const char *kmm_boot_option(struct kmm_machine *m, const char *name)
{
	const char *found = NULL;
	size_t len = strlen(name);

	for (const char *e = m->opts.extra; *e; e += strlen(e) + 1) {
		if (strncmp(e, name, len))
			continue;
		if (e[len] == '\0')
			found = e + len;
		else if (e[len] == '=')
			found = e + len + 1;
	}
	return found;
}

/* ==================================================================== */
/* ---- The command line ---- */

/*
 * Options (all of Linux's meaning unless said otherwise; docs/boot-options.md):
 *   board=SIZE        (kmm) the RAM the simulated board has (K/M/G/T suffixes)
 *   mem=SIZE          with board=: Linux's mem=, RAM above this physical
 *                     address is not used ("e820: remove", "user-defined
 *                     physical RAM map"); alone: the board's RAM, as kmm has
 *                     always read it. Default 1G.
 *   arch=i386|i386-pae|x86_64                    default x86_64
 *   config=defconfig|debian  the kernel build (mm/include/kconfig.h)
 *   firmware=qemu|seabios|seabios-kvm  the e820 map's firmware reservations
 *   nr_cpus=N         possible CPUs (nr_cpu_ids), 1..KMM_MAX_CPUS, default 2
 *   maxcpus=N         CPUs brought online at boot (0: the boot CPU only); the
 *                     others stay possible: per-CPU areas, no CPU slot
 *   numa=fake=N       split RAM into N nodes as numa_emulation does
 *   kernelcore=SIZE|N%   movablecore=SIZE|N%     ZONE_MOVABLE
 *   vmalloc=SIZE      i386: the vmalloc reserve (Linux adds 8M of guard)
 *   highmem=SIZE      i386: force the size of highmem
 *   memmap=nn$ss[,..] reserved hole of nn bytes at ss (memmap=nn#ss: ACPI data)
 *   transparent_hugepage=always|madvise|never  (THP configs)
 *   init_on_alloc=0|1 zero every page and object as it is allocated
 *   slab_max_order=N  (or its older name slub_max_order=N) the largest order
 *                     calculate_order() picks for a slab, default 3
 *                     (PAGE_ALLOC_COSTLY_ORDER); an N above MAX_PAGE_ORDER is
 *                     MAX_PAGE_ORDER, as Linux's setup_slub_max_order() clamps it
 *   initrd=SIZE       (kmm) the boot loader loaded an initramfs of SIZE bytes
 *   buddy=eager|lazy  lazy: postpone buddy merging until a larger block is wanted
 *   mmio=NAME@START+SIZE  a simulated device's register window (repeatable):
 *                     shown in /proc/iomem under NAME, a target for ioremap;
 *                     must not overlap RAM or another mmio= window.
 *                     e.g. mmio=virtio-net@0xfebf0000+0x1000
 *   deferred_struct_pages=on|off  (kmm) off: initialise every struct page at
 *                     boot and hand every section over page by page, as a
 *                     kernel without CONFIG_DEFERRED_STRUCT_PAGE_INIT does
 *                     (for comparisons; the free lists come out the same)
 *   ram=memfd|anon    how the host backs RAM: a memory file (default; vmalloc and
 *                     kmap can map its frames twice) or plain anonymous memory
 *                     (no remapping; the host takes discarded pages back, and
 *                     fork() copies it privately) - the malloc shim's choice.
 * The on/off options read their value with kstrtobool() (lib/kstrtox.h), as
 * Linux does: 1/0, y/n, t/f and on/off, by their first letters.
 * Options registered by later layers (kmm_register_boot_option) are checked
 * by their validator and kept in opts->extra.
 */

/* What the command line said, before the options that depend on each other are resolved. */
struct raw_opts {
	uint64_t mem, board;		/* 0 = not given */
	const char *config;		/* NULL = the arch's default */
	char config_buf[32];
	int nr_cpus, maxcpus;		/* -1 = not given */
};

static void opts_defaults(struct kmm_boot_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mem = 1ULL << 30;
	o->arch = KMM_ARCH_X86_64;
	o->firmware = KMM_FIRMWARE_QEMU;
	o->nr_cpus = 2;
	o->maxcpus = 2;
	o->init_on_alloc = -1;
	o->slub_max_order = PAGE_ALLOC_COSTLY_ORDER;
	o->kernelcore_percent = -1;
	o->movablecore_percent = -1;
}

static int opt_error(const char *tok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int opt_error(const char *tok, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	kmm_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kmm_set_error(-EINVAL, "%s: %s", tok, why);
}

/* White space as isspace() knows it in the C locale: " \t\n\v\f\r". */
static bool cmdline_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * strtok_r() on cmdline_space(): the next word of *@cursor, NUL-terminated
 * in place, or NULL at the end. Written out because every boot (the malloc
 * shim's, in every process) would otherwise fault in the C library's
 * strspn/strcspn for it.
 */
static char *next_word(char **cursor)
{
	char *p = *cursor, *word;

	while (cmdline_space(*p))
		p++;
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	word = p;
	while (*p && !cmdline_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*cursor = p;
	return word;
}

/*
 * No option's name or value has a control byte: refuse a word with one,
 * showing it escaped (a message that printed it raw would hide it).
 */
static int refuse_control_bytes(const char *tok)
{
	char shown[160];
	size_t n = 0, at = SIZE_MAX;

	for (size_t i = 0; tok[i] && n + 5 < sizeof(shown); i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c < 0x20 || c == 0x7f) {
			if (at == SIZE_MAX)
				at = i;
			n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\x%02x", c);
		} else {
			shown[n++] = (char)c;
		}
	}
	shown[n] = '\0';
	if (at == SIZE_MAX)
		return 0;
	return kmm_set_error(-EINVAL, "boot option '%s': a control character (byte %zu)", shown,
			     at + 1);
}

/* The smallest machine kmm boots: the image plus 8 MiB, in whole MiB. */
static uint64_t min_mem_of(const struct kmm_kconfig *c)
{
	return ALIGN_UP(c->image.reserve_end + (8ULL << 20), 1ULL << 20);
}

static void format_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes && !(bytes & ((1ULL << 30) - 1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes && !(bytes & ((1ULL << 20) - 1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes >> 10));
}

/* "SIZE" or "N%" (kernelcore=, movablecore=). */
static int parse_core(const char *tok, const char *val, uint64_t *bytes, int *percent)
{
	const char *end;
	uint64_t v;

	if (kmm_parse_size(val, &v, &end))
		return opt_error(tok, "bad size");
	if (*end == '%' && !end[1]) {
		if (v > 100)
			return opt_error(tok, "percentage above 100");
		*percent = (int)v;
		*bytes = 0;
		return 0;
	}
	if (*end)
		return opt_error(tok, "bad size");
	*bytes = v;
	*percent = -1;
	return 0;
}

static int parse_memmap(const char *tok, const char *val, struct kmm_boot_opts *o)
{
	char buf[256];
	char *save = NULL;

	if (strlen(val) >= sizeof(buf))
		return opt_error(tok, "too long");
	strcpy(buf, val);
	for (char *one = strtok_r(buf, ",", &save); one; one = strtok_r(NULL, ",", &save)) {
		uint64_t size, start;
		const char *p;
		enum e820_type type;

		if (kmm_parse_size(one, &size, &p) || !size)
			return opt_error(tok, "bad size");
		if (*p == '$')
			type = E820_TYPE_RESERVED;
		else if (*p == '#')
			type = E820_TYPE_ACPI;
		else
			return opt_error(tok, "expected nn$ss (reserved) or nn#ss (ACPI data)");
		if (kmm_parse_size(p + 1, &start, NULL))
			return opt_error(tok, "bad start address");
		if (start + size < start)
			return opt_error(tok, "range wraps around");
		if (o->nr_memmap == KMM_MAX_MEMMAP)
			return opt_error(tok, "too many memmap= ranges (at most %d)", KMM_MAX_MEMMAP);
		o->memmap[o->nr_memmap].start = start;
		o->memmap[o->nr_memmap].size = size;
		o->memmap[o->nr_memmap].type = type;
		o->nr_memmap++;
	}
	return 0;
}

static bool valid_mmio_name(const char *s, size_t len)
{
	if (!len || len >= sizeof(((struct kmm_mmio *)0)->name))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

static int parse_mmio(const char *tok, const char *val, struct kmm_boot_opts *o)
{
	const char *at = strchr(val, '@'), *plus;
	uint64_t start, size;
	struct kmm_mmio *io;

	if (!at || !valid_mmio_name(val, (size_t)(at - val)))
		return opt_error(tok, "expected NAME@START+SIZE, NAME of letters, digits, _-.:");
	if (kmm_parse_size(at + 1, &start, &plus) || *plus != '+')
		return opt_error(tok, "bad start address (expected NAME@START+SIZE)");
	if (kmm_parse_size(plus + 1, &size, NULL) || !size)
		return opt_error(tok, "bad size (expected NAME@START+SIZE)");
	if (start + size < start || start + size > (1ULL << 52))
		return opt_error(tok, "range beyond the physical address space");
	if (o->nr_mmio == KMM_MAX_MMIO)
		return opt_error(tok, "too many mmio= windows (at most %d)", KMM_MAX_MMIO);
	for (int i = 0; i < o->nr_mmio; i++)
		if (o->mmio[i].start < start + size && start < o->mmio[i].start + o->mmio[i].size)
			return opt_error(tok, "overlaps mmio window '%s'", o->mmio[i].name);
	io = &o->mmio[o->nr_mmio++];
	io->start = start;
	io->size = size;
	memcpy(io->name, val, (size_t)(at - val));
	io->name[at - val] = '\0';
	return 0;
}

static int append_extra(const char *tok, struct kmm_boot_opts *o)
{
	size_t used = 0, len = strlen(tok);

	while (o->extra[used])
		used += strlen(o->extra + used) + 1;
	if (used + len + 2 > sizeof(o->extra))
		return opt_error(tok, "too many options for later layers (%zu bytes at most)",
				 sizeof(o->extra) - 1);
	memcpy(o->extra + used, tok, len + 1);
	o->extra[used + len + 1] = '\0';
	return 0;
}

struct seen_opts {
	int n;
	struct {
		char key[32];
		char tok[96];
	} opt[32];
};

/* The last raw token given for built-in option @key, or NULL. */
static const char *seen_token(const struct seen_opts *seen, const char *key)
{
	const char *tok = NULL;

	for (int i = 0; i < seen->n; i++)
		if (same_name(seen->opt[i].key, key))
			tok = seen->opt[i].tok;
	return tok;
}

static int parse_one(const char *tok, struct kmm_boot_opts *o, struct raw_opts *raw,
		     struct seen_opts *seen)
{
	const char *eq = strchr(tok, '=');
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
	const char *val = eq ? eq + 1 : NULL;
	char key[32];
	unsigned long n;

	if (klen >= sizeof(key))
		goto unknown;
	memcpy(key, tok, klen);
	key[klen] = '\0';

	for (size_t i = 0; i < ARRAY_SIZE(builtin_options); i++) {
		if (!same_name(key, builtin_options[i]))
			continue;
		if (!val || !*val)
			return opt_error(tok, "needs a value");
		if (seen->n < (int)ARRAY_SIZE(seen->opt)) {
			snprintf(seen->opt[seen->n].key, sizeof(seen->opt[0].key), "%s", key);
			snprintf(seen->opt[seen->n].tok, sizeof(seen->opt[0].tok), "%s", tok);
			seen->n++;
		}
		goto builtin;
	}
	{
		const struct boot_option *bo = find_boot_option(tok, klen);
		char why[160] = "";

		if (!bo)
			goto unknown;
		if (bo->validate && bo->validate(val, why, sizeof(why)))
			return opt_error(tok, "%s", why[0] ? why : "invalid value");
		return append_extra(tok, o);
	}

builtin:
	if (!strcmp(key, "mem") || !strcmp(key, "board")) {
		uint64_t v;

		if (kmm_parse_size(val, &v, NULL))
			return opt_error(tok, "bad size");
		v = ALIGN_DOWN(v, (uint64_t)PAGE_SIZE);
		if (!v)
			return opt_error(tok, "must be at least one page");
		*(key[0] == 'm' ? &raw->mem : &raw->board) = v;
	} else if (!strcmp(key, "config")) {
		if (strlen(val) >= sizeof(raw->config_buf))
			return opt_error(tok, "unknown config (%s)", kmm_kconfig_names());
		strcpy(raw->config_buf, val);
		raw->config = raw->config_buf;
	} else if (!strcmp(key, "firmware")) {
		if (!strcmp(val, "qemu"))
			o->firmware = KMM_FIRMWARE_QEMU;
		else if (!strcmp(val, "seabios"))
			o->firmware = KMM_FIRMWARE_SEABIOS;
		else if (!strcmp(val, "seabios-kvm"))
			o->firmware = KMM_FIRMWARE_SEABIOS_KVM;
		else
			return opt_error(tok, "unknown firmware (qemu, seabios or seabios-kvm)");
	} else if (!strcmp(key, "nr_cpus")) {
		if (kmm_parse_ulong(val, &n) || n < 1 || n > KMM_MAX_CPUS)
			return opt_error(tok, "must be a number from 1 to %d", KMM_MAX_CPUS);
		raw->nr_cpus = (int)n;
	} else if (!strcmp(key, "transparent_hugepage")) {
		if (!strcmp(val, "always"))
			o->thp = KMM_THP_ALWAYS;
		else if (!strcmp(val, "madvise"))
			o->thp = KMM_THP_MADVISE;
		else if (!strcmp(val, "never"))
			o->thp = KMM_THP_NEVER;
		else
			return opt_error(tok, "expected always, madvise or never");
	} else if (!strcmp(key, "init_on_alloc")) {
		bool on;

		if (kstrtobool(val, &on))
			return opt_error(tok, "expected 0 or 1 (or " KSTRTOBOOL_WORDS ")");
		o->init_on_alloc = on;
	} else if (!strcmp(key, "slab_max_order") || !strcmp(key, "slub_max_order")) {
		/* Linux's setup_slub_max_order(): a larger order is MAX_PAGE_ORDER. */
		if (kmm_parse_ulong(val, &n))
			return opt_error(tok, "must be a slab order, a whole number 0 or more (above %d"
					 " it is taken as %d, as Linux does)", MAX_PAGE_ORDER, MAX_PAGE_ORDER);
		o->slub_max_order = (unsigned int)KMM_MIN(n, (unsigned long)MAX_PAGE_ORDER);
	} else if (!strcmp(key, "initrd")) {
		if (kmm_parse_size(val, &o->initrd_size, NULL) || !o->initrd_size)
			return opt_error(tok, "bad size (initrd=SIZE: the initramfs the boot loader loaded)");
	} else if (!strcmp(key, "arch")) {
		if (!strcmp(val, "x86_64"))
			o->arch = KMM_ARCH_X86_64;
		else if (!strcmp(val, "i386"))
			o->arch = KMM_ARCH_I386;
		else if (!strcmp(val, "i386-pae"))
			o->arch = KMM_ARCH_I386_PAE;
		else
			return opt_error(tok, "unknown arch (i386, i386-pae or x86_64)");
	} else if (!strcmp(key, "maxcpus")) {
		if (kmm_parse_ulong(val, &n) || n > 65536)
			return opt_error(tok, "must be a number from 0 to 65536 (0: only the boot CPU)");
		raw->maxcpus = (int)n;
	} else if (!strcmp(key, "numa")) {
		if (strncmp(val, "fake=", 5))
			return opt_error(tok, "only numa=fake=N is supported");
		if (kmm_parse_ulong(val + 5, &n) || n < 1 || n > MAX_NUMNODES)
			return opt_error(tok, "N must be a number from 1 to %d", MAX_NUMNODES);
		o->numa_fake = (int)n;
	} else if (!strcmp(key, "kernelcore")) {
		return parse_core(tok, val, &o->kernelcore, &o->kernelcore_percent);
	} else if (!strcmp(key, "movablecore")) {
		return parse_core(tok, val, &o->movablecore, &o->movablecore_percent);
	} else if (!strcmp(key, "vmalloc")) {
		if (kmm_parse_size(val, &o->vmalloc_size, NULL) || !o->vmalloc_size)
			return opt_error(tok, "bad size");
	} else if (!strcmp(key, "highmem")) {
		if (kmm_parse_size(val, &o->highmem_size, NULL))
			return opt_error(tok, "bad size");
	} else if (!strcmp(key, "memmap")) {
		return parse_memmap(tok, val, o);
	} else if (!strcmp(key, "buddy")) {
		if (!strcmp(val, "eager"))
			o->buddy_lazy = false;
		else if (!strcmp(val, "lazy"))
			o->buddy_lazy = true;
		else
			return opt_error(tok, "expected buddy=eager or buddy=lazy");
	} else if (!strcmp(key, "mmio")) {
		return parse_mmio(tok, val, o);
	} else if (!strcmp(key, "deferred_struct_pages")) {
		bool on;

		if (kstrtobool(val, &on))
			return opt_error(tok, "expected deferred_struct_pages=on or off (or "
					 KSTRTOBOOL_WORDS ")");
		o->eager_memmap = !on;
	} else if (!strcmp(key, "ram")) {
		o->ram_huge = !strcmp(val, "huge");
		if (!strcmp(val, "memfd"))
			o->ram_anon = false;
		else if (!strcmp(val, "anon") || o->ram_huge)
			o->ram_anon = true;
		else
			return opt_error(tok, "expected ram=memfd, ram=anon or ram=huge");
	}
	return 0;

unknown:
	return kmm_set_error(-EINVAL, "unknown boot option '%s'", tok);
}

/* RAM ranges of the firmware map for @mem bytes (see arch/x86/kernel/e820.c). */
static bool overlaps_board_ram(uint64_t mem, uint64_t start, uint64_t end)
{
	uint64_t low = KMM_MIN(mem, 3ULL << 30);

	if (start < 0xa0000)
		return true;
	if (start < low && end > 0x100000)
		return true;
	return mem > low && end > SZ_4G && start < SZ_4G + (mem - low);
}

/*
 * Resolve the options that depend on each other once the whole line is read
 * (arch= may come last): the board and Linux's mem=, the build, the CPUs.
 */
static int resolve_opts(struct kmm_boot_opts *o, const struct raw_opts *raw,
			const struct seen_opts *seen)
{
	const char *t;

	if (raw->board) {
		o->mem = raw->board;
		o->mem_limit = raw->mem;
	} else if (raw->mem) {
		o->mem = raw->mem;	/* mem= alone: the board's RAM, as kmm always read it */
	}
	o->kconfig = kmm_kconfig_find(raw->config, o->arch);
	if (!o->kconfig)
		return kmm_set_error(-EINVAL, "config=%s: no such build for arch=%s (%s: %s)",
				     raw->config, kmm_arch_name(o->arch), kmm_arch_name(o->arch),
				     o->arch == KMM_ARCH_X86_64 ? "defconfig, debian" : "defconfig");
	if (raw->nr_cpus > 0)
		o->nr_cpus = raw->nr_cpus;
	if (o->nr_cpus > o->kconfig->nr_cpus) {
		t = seen_token(seen, "nr_cpus");
		return opt_error(t ? t : "nr_cpus", "config=%s is built with NR_CPUS=%d",
				 o->kconfig->name, o->kconfig->nr_cpus);
	}
	/* maxcpus=: at most that many online; 0 keeps only the boot CPU (no SMP). */
	o->maxcpus = raw->maxcpus < 0 ? o->nr_cpus : KMM_MAX(1, KMM_MIN(raw->maxcpus, o->nr_cpus));
	if (o->thp != KMM_THP_DEFAULT && !o->kconfig->thp) {
		t = seen_token(seen, "transparent_hugepage");
		return opt_error(t ? t : "transparent_hugepage",
				 "config=%s has no transparent hugepages (CONFIG_TRANSPARENT_HUGEPAGE)",
				 o->kconfig->name);
	}
	return 0;
}

/* Checks that need the whole command line, once resolve_opts() ran. */
static int check_opts(const struct kmm_boot_opts *o, const struct seen_opts *seen)
{
	char tok[64], sz[32];
	bool is32 = o->arch != KMM_ARCH_X86_64;
	const struct kmm_image_layout *img = &o->kconfig->image;
	uint64_t min = min_mem_of(o->kconfig);
	const char *t;

	format_size(sz, sizeof(sz), o->mem);
	snprintf(tok, sizeof(tok), "mem=%s", sz);
	if ((t = seen_token(seen, "board")) || (t = seen_token(seen, "mem")))
		snprintf(tok, sizeof(tok), "%s", t);
	if (o->mem < min) {
		format_size(sz, sizeof(sz), min);
		return opt_error(tok, "too small: arch=%s needs at least %s", kmm_arch_name(o->arch), sz);
	}
	if (!is32 && o->mem > X86_64_MAX_MEM)
		return opt_error(tok, "kmm's x86_64 machines have at most 4T of RAM");
	if (is32 && o->mem > I386_MAX_MEM)
		return opt_error(tok, "i386 addresses at most 64G (36 physical bits with PAE)");
	if (o->mem_limit && o->mem_limit < min) {
		format_size(sz, sizeof(sz), min);
		t = seen_token(seen, "mem");
		return opt_error(t ? t : "mem", "too small: the kernel image and arch=%s need "
				 "RAM up to %s", kmm_arch_name(o->arch), sz);
	}
	if (!is32 && ((t = seen_token(seen, "vmalloc")) || (t = seen_token(seen, "highmem"))))
		return opt_error(t, "only for arch=i386 or arch=i386-pae");
	/* Highmem frames are reached only by mapping the memory file (kmap). */
	if (is32 && o->ram_anon && (t = seen_token(seen, "ram")))
		return opt_error(t, "anonymous RAM cannot be kmapped: i386 needs ram=memfd");
	if (o->numa_fake > 1 && !o->kconfig->numa)
		return kmm_set_error(-EINVAL, "numa=fake=%d: arch=%s config=%s has no NUMA "
				     "(NUMA emulation needs arch=x86_64)", o->numa_fake,
				     kmm_arch_name(o->arch), o->kconfig->name);
	if (o->numa_fake > 1 && (uint64_t)o->numa_fake * FAKE_NODE_MIN_SIZE >
				       (o->mem_limit ? KMM_MIN(o->mem, o->mem_limit) : o->mem))
		return kmm_set_error(-EINVAL, "numa=fake=%d: each node needs at least 32M of RAM",
				     o->numa_fake);
	if (o->initrd_size > (64ULL << 20))
		return kmm_set_error(-EINVAL, "initrd=%lluK: kmm's boot loader takes at most 64M",
				     (unsigned long long)(o->initrd_size >> 10));
	for (int i = 0; i < o->nr_memmap; i++) {
		uint64_t s = o->memmap[i].start, e = s + o->memmap[i].size;

		if (s < img->reserve_end && e > img->text)
			return kmm_set_error(-EINVAL,
				"memmap=%#llx%c%#llx: overlaps the kernel image at [mem %#llx-%#llx]",
				(unsigned long long)o->memmap[i].size,
				o->memmap[i].type == E820_TYPE_ACPI ? '#' : '$',
				(unsigned long long)s, (unsigned long long)img->text,
				(unsigned long long)img->reserve_end - 1);
	}
	for (int i = 0; i < o->nr_mmio; i++) {
		const struct kmm_mmio *io = &o->mmio[i];

		if (overlaps_board_ram(o->mem, io->start, io->start + io->size))
			return kmm_set_error(-EINVAL, "mmio=%s@%#llx+%#llx: overlaps RAM", io->name,
					     (unsigned long long)io->start,
					     (unsigned long long)io->size);
	}
	return 0;
}

/*
 * mixed_blocks=free|reserved (kmm only; mm/mm_init.c reads it): a builtin
 * kept in opts->extra as the later layers' options are, because only
 * memblock_free_all() and free_reserved_area() ask for it.
 */
static int validate_mixed_blocks(const char *val, char *err, size_t len)
{
	if (val && (!strcmp(val, "free") || !strcmp(val, "reserved")))
		return 0;
	snprintf(err, len, "expected mixed_blocks=free or mixed_blocks=reserved");
	return -EINVAL;
}

int kmm_parse_cmdline(const char *cmdline, struct kmm_boot_opts *opts)
{
	struct raw_opts raw = { .nr_cpus = -1, .maxcpus = -1 };
	/*
	 * The words seen, the line's copy and the options being built (7 KB)
	 * come from the heap, not the stack: a boot runs once, and the stack
	 * pages it touched stay in the process (the malloc shim boots on its
	 * program's stack, which then kept ~8 KB more than a glibc process's;
	 * docs/malloc-measured.md). The options were 1.8 KB of this frame, at
	 * the boot's deepest point: the loader resolves the parser's first
	 * calls into libc below it (rss24).
	 */
	struct {
		struct seen_opts seen;	/* the first @n entries only are written */
		struct kmm_boot_opts o;
		char buf[1024];
	} *w;
	char *save = NULL;
	int err;

	subsys_register_boot_options();	/* the later layers' options are known */
	kmm_register_boot_option("mixed_blocks", validate_mixed_blocks);	/* once: then 0 */
	if (!cmdline)
		cmdline = "";
	if (strlen(cmdline) >= sizeof(w->buf))
		return kmm_set_error(-EINVAL, "command line too long (%zu bytes, at most %zu)",
				     strlen(cmdline), sizeof(w->buf) - 1);
	w = malloc(sizeof(*w));
	if (!w)
		return kmm_set_error(-ENOMEM, "boot: out of host memory for the command line");
	struct kmm_boot_opts *o = &w->o;

	opts_defaults(o);
	w->seen.n = 0;
	strcpy(w->buf, cmdline);
	save = w->buf;
	/* Words are separated by white space as isspace() knows it (Linux's next_arg). */
	for (char *tok = next_word(&save); tok; tok = next_word(&save)) {
		err = refuse_control_bytes(tok);
		if (err)
			goto out_free;
		err = parse_one(tok, o, &raw, &w->seen);
		if (err)
			goto out_free;
	}
	err = resolve_opts(o, &raw, &w->seen);
	if (!err)
		err = check_opts(o, &w->seen);
	if (!err)
		*opts = *o;
out_free:
	free(w);
	return err;
}

