// SPDX-License-Identifier: MIT
/*
 * cli/verbs_machine.c - the machine as a Linux prompt shows it: boot,
 * reboot, dmesg, cat, ls, sysctl, free, layout.
 *
 * Linux counterpart: the kernel command line (boot), dmesg(1), cat(1) on
 * /proc and /sys, sysctl(8) and free(1) of procps-ng 4.0.2 (cli/free.c).
 *
 * Invariant: these verbs read the machine only through the public API
 * (kmm_proc_read and friends), except `layout`, which prints the kernel
 * virtual address layout kept in struct kmm_machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "cli/scenario.h"
#include "cli/verbs.h"
#include "lib/util.h"
#include "mm/include/machine.h"

/* ---- boot / reboot ---- */

static void join_words(const struct args *a, int from, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = from; i < a->argc && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > from ? " " : "", a->argv[i].text);
}

static int boot_check(struct verb_check *vc, const struct args *a)
{
	size_t total = 0;

	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i].is_var)
			return verb_check_error(vc, a, i, "boot options are written out, not $variables");
		total += strlen(a->argv[i].text) + 1;
	}
	if (total >= 1000)
		return verb_check_error(vc, a, -1, "command line too long (at most 1000 characters)");
	return VERB_OK;
}

static void boot_summary(struct kmm_ctx *ctx, struct kmm_machine *m)
{
	unsigned long managed = 0;

	ctx_printf(ctx, "booted: %s\n", ctx_cmdline(ctx)[0] ? ctx_cmdline(ctx) : "(defaults)");
	for (int n = 0; n < m->nr_node_ids; n++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &m->node_data[n]->node_zones[z];
			if (!populated_zone(zone))
				continue;
			managed += zone_managed_pages(zone);
			ctx_printf(ctx, "  node %d zone %-8s pfn 0x%08lx-0x%08lx  %8lu pages\n", n,
				   zone_names[z], zone->zone_start_pfn, zone_end_pfn(zone),
				   zone->present_pages);
		}
	}
	ctx_printf(ctx, "  %lu pages managed by the buddy allocator; `dmesg` shows the boot log\n",
		   managed);
}

static int boot_run(struct kmm_ctx *ctx, const struct args *a)
{
	char cmdline[1024];

	join_words(a, 0, cmdline, sizeof(cmdline));
	if (!a->argc) {
		/* say what a bare boot does: it keeps the command line in use */
		if (ctx_machine_if_booted(ctx)) {
			snprintf(cmdline, sizeof(cmdline), "%s", ctx_cmdline(ctx));
			ctx_printf(ctx, "boot: no options given: rebooting with the current command "
				   "line: %s\n", cmdline[0] ? cmdline : "(the kernel's defaults)");
		} else {
			ctx_printf(ctx, "boot: no options given and no machine yet: booting the "
				   "kernel's defaults (mem=1G arch=x86_64)\n");
		}
	}
	if (ctx_boot(ctx, a, cmdline) != VERB_OK)
		return VERB_ERROR;
	if (ctx_interactive(ctx))
		boot_summary(ctx, ctx_machine(ctx));
	return VERB_OK;
}

static int reboot_run(struct kmm_ctx *ctx, const struct args *a)
{
	char cmdline[1024];

	if (a->argc)
		join_words(a, 0, cmdline, sizeof(cmdline));
	else
		snprintf(cmdline, sizeof(cmdline), "%s", ctx_cmdline(ctx));
	if (!a->argc && !ctx_machine_if_booted(ctx))
		snprintf(cmdline, sizeof(cmdline), "%s", KMM_DEFAULT_CMDLINE);
	if (ctx_boot(ctx, a, cmdline) != VERB_OK)
		return VERB_ERROR;
	if (ctx_interactive(ctx))
		boot_summary(ctx, ctx_machine(ctx));
	return VERB_OK;
}

/* ---- dmesg ---- */

static int no_args_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc)
		return verb_check_error(vc, a, 0, "%s takes no arguments (filter with `| grep`)",
					a->verb->name);
	return VERB_OK;
}

static int dmesg_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	char *log = kmm_dmesg_dup(m);
	if (!log)
		return ctx_error(ctx, a, -1, "out of host memory");
	ctx_printf(ctx, "%s", log);
	free(log);
	return VERB_OK;
}

/* ---- cat / ls ---- */

static bool proc_path_ok(const char *p)
{
	return !strncmp(p, "/proc/", 6) || !strncmp(p, "/sys/", 5) || !strcmp(p, "/proc") ||
	       !strcmp(p, "/sys");
}

static int cat_check(struct verb_check *vc, const struct args *a)
{
	if (!a->argc)
		return verb_check_error(vc, a, -1, "cat needs a file, e.g. cat /proc/buddyinfo");
	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i].is_var)
			return verb_check_error(vc, a, i, "cat reads files: write the path out");
		if (!proc_path_ok(a->argv[i].text))
			return verb_check_error(vc, a, i, "cat: %s: only /proc/... and /sys/... exist "
						"on the machine", a->argv[i].text);
	}
	return VERB_OK;
}

static int stop_at_first(const char *path, unsigned int mode, void *arg)
{
	return 1;
}

static bool is_directory(struct kmm_machine *m, const char *path)
{
	char dir[512];
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
	return kmm_proc_list(m, dir, stop_at_first, NULL) == 1;
}

static int cat_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	for (int i = 0; i < a->argc; i++) {
		char *text = NULL;
		int err = kmm_proc_read(m, a->argv[i].text, &text);
		if (err == -ENOENT && is_directory(m, a->argv[i].text))
			return ctx_error(ctx, a, i, "cat: %s: Is a directory (try ls %s)",
					 a->argv[i].text, a->argv[i].text);
		if (err)
			return ctx_error(ctx, a, i, "cat: %s: %s", a->argv[i].text,
					 err == -ENOENT ? "No such file or directory" :
					 err == -EACCES ? "Permission denied" : strerror(-err));
		ctx_printf(ctx, "%s", text);
		free(text);
	}
	return VERB_OK;
}

struct ls_state {
	struct kmm_ctx *ctx;
	size_t prefix;
	char last[256];
};

static int ls_one(const char *path, unsigned int mode, void *arg)
{
	struct ls_state *st = arg;
	const char *rest = path + st->prefix;
	size_t n;

	while (*rest == '/')
		rest++;
	n = strcspn(rest, "/");
	if (!n)
		return 0;
	if (strlen(st->last) == n && !strncmp(st->last, rest, n))
		return 0;
	snprintf(st->last, sizeof(st->last), "%.*s", (int)n, rest);
	ctx_printf(st->ctx, "%s%s\n", st->last, rest[n] == '/' ? "/" : "");
	return 0;
}

static int ls_check(struct verb_check *vc, const struct args *a)
{
	if (a->argc > 1)
		return verb_check_error(vc, a, 1, "ls takes one directory");
	if (a->argc && (a->argv[0].is_var || !proc_path_ok(a->argv[0].text)))
		return verb_check_error(vc, a, 0, "ls lists /proc/... or /sys/... directories");
	return VERB_OK;
}

static int ls_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	char dir[256];

	if (!m)
		return VERB_ERROR;
	snprintf(dir, sizeof(dir), "%s", a->argc ? a->argv[0].text : "/proc");
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	struct ls_state st = { .ctx = ctx, .prefix = n };
	int err = kmm_proc_list(m, dir, ls_one, &st);
	if (err)
		return ctx_error(ctx, a, 0, "ls: cannot access '%s': %s", dir,
				 err == -ENOENT ? "No such file or directory" : strerror(-err));
	return VERB_OK;
}

/* ---- sysctl ---- */

struct sysctl_opts {
	bool all, names_only, values_only, write;
	int first;	/* first NAME argument */
};

static int sysctl_parse(const struct args *a, struct sysctl_opts *o, int *bad, char *err,
			size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->first = a->argc;
	for (int i = 0; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		*bad = i;
		if (w->is_var) {
			snprintf(err, errlen, "sysctl: write the name out");
			return -1;
		}
		if (w->text[0] != '-') {
			o->first = i;
			break;
		}
		for (const char *f = w->text + 1; *f; f++) {
			switch (*f) {
			case 'a': case 'A': case 'X': o->all = true; break;
			case 'n': o->values_only = true; break;
			case 'N': o->names_only = true; break;
			case 'w': o->write = true; break;
			case 'q': break;
			default:
				snprintf(err, errlen, "sysctl: unknown option -%c (kmm's sysctl has "
					 "-a -n -N -w)", *f);
				return -1;
			}
		}
		if (!w->text[1]) {
			snprintf(err, errlen, "sysctl: bad option '-'");
			return -1;
		}
	}
	for (int i = o->first; i < a->argc; i++) {
		const struct word *w = &a->argv[i];
		char path[256];
		*bad = i;
		if (w->is_var || w->text[0] == '-') {
			snprintf(err, errlen, "sysctl: options go before the names");
			return -1;
		}
		const char *eq = strchr(w->text, '=');
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - w->text) :
							    strlen(w->text)), w->text);
		if (kmm_sysctl_name_to_path(name, path, sizeof(path))) {
			snprintf(err, errlen, "sysctl: '%.100s' is not a sysctl name (like "
				 "vm.min_free_kbytes)", name);
			return -1;
		}
		if (o->write && !eq) {
			snprintf(err, errlen, "sysctl -w: '%s' must be in the form NAME=VALUE", w->text);
			return -1;
		}
		if (eq && !eq[1]) {
			snprintf(err, errlen, "sysctl: '%s' has no value after '='", w->text);
			return -1;
		}
	}
	*bad = -1;
	if (!o->all && o->first == a->argc) {
		snprintf(err, errlen, "sysctl needs a NAME, NAME=VALUE or -a");
		return -1;
	}
	return 0;
}

static int sysctl_check(struct verb_check *vc, const struct args *a)
{
	struct sysctl_opts o;
	char err[256];
	int bad = -1;

	if (sysctl_parse(a, &o, &bad, err, sizeof(err)))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

static void sysctl_print(struct kmm_ctx *ctx, const struct sysctl_opts *o, const char *name,
			 const char *value)
{
	size_t n = strlen(value);

	while (n && value[n - 1] == '\n')
		n--;
	if (o->names_only)
		ctx_printf(ctx, "%s\n", name);
	else if (o->values_only)
		ctx_printf(ctx, "%.*s\n", (int)n, value);
	else
		ctx_printf(ctx, "%s = %.*s\n", name, (int)n, value);
}

struct sysctl_all {
	struct kmm_ctx *ctx;
	const struct sysctl_opts *o;
	struct kmm_machine *m;
};

static int sysctl_all_one(const char *path, unsigned int mode, void *arg)
{
	struct sysctl_all *st = arg;
	char name[256], *text = NULL;

	if (!(mode & 0444) || kmm_sysctl_path_to_name(path, name, sizeof(name)))
		return 0;
	if (kmm_proc_read(st->m, path, &text))
		return 0;
	sysctl_print(st->ctx, st->o, name, text);
	free(text);
	return 0;
}

static int sysctl_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct sysctl_opts o;
	char err[256];
	int bad;

	if (!m)
		return VERB_ERROR;
	if (sysctl_parse(a, &o, &bad, err, sizeof(err)))
		return ctx_error(ctx, a, bad, "%s", err);
	if (o.all && o.first == a->argc) {
		struct sysctl_all st = { ctx, &o, m };
		kmm_proc_list(m, "/proc/sys", sysctl_all_one, &st);
		return VERB_OK;
	}
	/* only settings: their echo acknowledges them (what sysctl -q drops) */
	bool reads = false;
	for (int i = o.first; i < a->argc; i++)
		reads |= !strchr(a->argv[i].text, '=');
	if (!reads)
		ctx_output_is_ack(ctx);
	for (int i = o.first; i < a->argc; i++) {
		const char *arg = a->argv[i].text;
		const char *eq = strchr(arg, '=');
		char name[256], path[300], *text = NULL;

		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - arg) : strlen(arg)),
			 arg);
		kmm_sysctl_name_to_path(name, path, sizeof(path));
		/* sysctl(8) prints names with dots whichever way they were written */
		kmm_sysctl_path_to_name(path, name, sizeof(name));
		if (eq) {
			kmm_set_error(0, "%s", "");
			int e = kmm_sysctl_write(m, name, eq + 1);
			if (e == -ENOENT)
				return ctx_error(ctx, a, i, "sysctl: cannot stat %s: No such file or "
						 "directory", path);
			if (e == -EACCES)
				return ctx_error(ctx, a, i, "sysctl: permission denied on key \"%s\"",
						 name);
			if (e) {
				const char *why = kmm_last_error();
				if (why && !strncmp(why, "sysctl:", 7))
					return ctx_error(ctx, a, i, "%s", why);
				return ctx_error(ctx, a, i, "sysctl: setting key \"%s\": Invalid argument"
						 "%s%s", name, why && *why ? ": " : "", why ? why : "");
			}
			sysctl_print(ctx, &o, name, eq + 1);
			continue;
		}
		int e = kmm_sysctl_read(m, name, &text);
		if (e == -ENOENT)
			return ctx_error(ctx, a, i, "sysctl: cannot stat %s: No such file or directory",
					 path);
		if (e)
			return ctx_error(ctx, a, i, "sysctl: reading key \"%s\": %s", name,
					 strerror(-e));
		sysctl_print(ctx, &o, name, text);
		free(text);
	}
	return VERB_OK;
}

/* ---- free ---- */

static int free_check(struct verb_check *vc, const struct args *a)
{
	const char *argv[64];
	char err[256];
	int bad = -1;

	if (a->argc > 64)
		return verb_check_error(vc, a, 64, "too many options");
	for (int i = 0; i < a->argc; i++) {
		if (a->argv[i].is_var)
			return verb_check_error(vc, a, i, "free takes only options");
		argv[i] = a->argv[i].text;
	}
	if (free_check_args(a->argc, argv, &bad, err, sizeof(err)))
		return verb_check_error(vc, a, bad, "%s", err);
	return VERB_OK;
}

static int free_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	const char *argv[64];
	char *meminfo = NULL, *out = NULL, err[256];

	if (!m)
		return VERB_ERROR;
	for (int i = 0; i < a->argc && i < 64; i++)
		argv[i] = a->argv[i].text;
	int e = kmm_proc_read(m, "/proc/meminfo", &meminfo);
	if (e)
		return ctx_error(ctx, a, -1, "free: cannot read /proc/meminfo: %s", strerror(-e));
	if (free_format(meminfo, KMM_MIN(a->argc, 64), argv, &out, err, sizeof(err))) {
		free(meminfo);
		return ctx_error(ctx, a, -1, "%s", err);
	}
	ctx_printf(ctx, "%s", out);
	free(out);
	free(meminfo);
	return VERB_OK;
}

/* ---- layout ---- */

static void layout_line(struct kmm_ctx *ctx, bool wide, const char *name, uint64_t start,
			uint64_t end)
{
	uint64_t size = end - start;
	const char *unit = "kB";
	uint64_t n = size >> 10;

	if (size >= (1ULL << 40)) {
		unit = "TB";
		n = size >> 40;
	} else if (size >= 16 * SZ_1M) {
		unit = "MB";
		n = size >> 20;
	}
	if (wide)
		ctx_printf(ctx, "    %-10s: 0x%016llx - 0x%016llx   (%5llu %s)\n", name,
			   (unsigned long long)start, (unsigned long long)end, (unsigned long long)n,
			   unit);
	else
		ctx_printf(ctx, "    %-10s: 0x%08llx - 0x%08llx   (%4llu %s)\n", name,
			   (unsigned long long)start, (unsigned long long)end, (unsigned long long)n,
			   unit);
}

static int layout_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);

	if (!m)
		return VERB_ERROR;
	const struct kmm_layout *l = &m->layout;
	bool wide = !kmm_arch_is_32(m);
	uint64_t lowmem = PFN_PHYS(m->max_low_pfn);

	ctx_printf(ctx, "virtual kernel memory layout (%s, PAGE_OFFSET 0x%llx):\n",
		   m->opts.arch == KMM_ARCH_I386 ? "i386, 3G/1G split" :
		   m->opts.arch == KMM_ARCH_I386_PAE ? "i386 PAE, 3G/1G split" : "x86_64, 4-level",
		   (unsigned long long)l->page_offset);
	if (l->fixaddr_top > l->fixaddr_start)
		layout_line(ctx, wide, "fixmap", l->fixaddr_start, l->fixaddr_top);
	if (l->pkmap_base && l->last_pkmap)
		layout_line(ctx, wide, "pkmap", l->pkmap_base,
			    l->pkmap_base + (uint64_t)l->last_pkmap * PAGE_SIZE);
	/* x86_64 keeps VMALLOC_END inclusive (0x...ffff) */
	layout_line(ctx, wide, "vmalloc", l->vmalloc_start,
		    l->vmalloc_end + ((l->vmalloc_end & 0xfff) == 0xfff));
	layout_line(ctx, wide, wide ? "direct map" : "lowmem", l->page_offset,
		    l->page_offset + lowmem);
	if (wide) {
		ctx_printf(ctx, "the direct mapping covers all of physical memory, 0x0-0x%llx "
			   "(%llu MB); 64-bit has no highmem\n", (unsigned long long)lowmem,
			   (unsigned long long)(lowmem >> 20));
		return VERB_OK;
	}
	ctx_printf(ctx, "lowmem (the direct mapping) covers physical 0x0-0x%llx: %llu MB; "
		   "highmem %llu MB\n", (unsigned long long)lowmem,
		   (unsigned long long)(lowmem >> 20),
		   (unsigned long long)(m->max_pfn > m->max_low_pfn ?
					PFN_PHYS(m->max_pfn - m->max_low_pfn) >> 20 : 0));
	return VERB_OK;
}

static const struct verb verbs[] = {
	{ "boot", "boot [OPTION...]", "boot a machine from a kernel command line (replaces the current one)",
	  "  boot mem=512M arch=i386 nr_cpus=1\n"
	  "Options: mem= board= arch=i386|i386-pae|x86_64 config= firmware= nr_cpus= maxcpus=\n"
	  "numa=fake=N kernelcore=\n"
	  "movablecore= vmalloc= highmem= memmap=nn$ss buddy=eager|lazy (see `kmm boot --help`).\n"
	  "With no options: reboot with the command line in use (and say so), or, before\n"
	  "any machine, the kernel's defaults (mem=1G arch=x86_64), as `kmm boot` does; a\n"
	  "script that never boots gets " KMM_DEFAULT_CMDLINE " instead. Variables holding\n"
	  "pages of the old machine can no longer be used.\n",
	  VERB_NO_MACHINE | VERB_ACK, boot_check, boot_run },
	{ "reboot", "reboot [OPTION...]", "boot again, with the same command line or a new one",
	  NULL, VERB_NO_MACHINE, boot_check, reboot_run },
	{ "dmesg", "dmesg", "print the kernel log", NULL, 0, no_args_check, dmesg_run },
	{ "cat", "cat FILE...", "print /proc and /sys files",
	  "  cat /proc/buddyinfo\n  cat /proc/zoneinfo | grep -E 'zone|free'\n", 0, cat_check,
	  cat_run },
	{ "ls", "ls [DIR]", "list the files in a /proc or /sys directory", NULL, 0, ls_check, ls_run },
	{ "sysctl", "sysctl [-n] [-N] NAME... | sysctl [-w] NAME=VALUE... | sysctl -a",
	  "read or set kernel parameters (vm.min_free_kbytes, ...)",
	  "  sysctl vm.min_free_kbytes\n  sysctl -w vm.min_free_kbytes=4096\n  sysctl -a\n"
	  "Prints `name = value` as sysctl(8) does; -n values only, -N names only.\n",
	  0, sysctl_check, sysctl_run },
	{ "free", "free [-b|-k|-m|-g|-h] [--si] [-l] [-t] [-v] [-w]",
	  "memory in use and free, as procps-ng 4.0.2's free prints it",
	  "Computed from /proc/meminfo as procps-ng 4.0.2 does: used = MemTotal - MemAvailable,\n"
	  "buff/cache = Buffers + Cached + SReclaimable. -l adds the Low/High rows (i386).\n",
	  0, free_check, free_run },
	{ "layout", "layout", "the kernel's virtual address layout: lowmem, vmalloc, pkmap, fixmap",
	  "Prints the ranges in the style of Linux 2.6-4.x i386 boot logs and the size of\n"
	  "the direct mapping (lowmem).\n", 0, no_args_check, layout_run },
};

const struct verb_table machine_verbs = {
	.layer = "the machine",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"Booting and looking around, as at a Linux prompt: boot and reboot from a kernel "
		"command line, dmesg, cat and ls for the /proc and /sys files, sysctl to read and set "
		"the vm.* knobs (echo VALUE > /proc/sys/vm/NAME does the same), free as procps prints "
		"it, and the kernel's virtual address layout.",
	.example =
		"boot mem=256M arch=i386\n"
		"dmesg | grep -E 'LOWMEM|HIGHMEM'\n"
		"sysctl vm.min_free_kbytes\n"
		"echo 4096 > /proc/sys/vm/min_free_kbytes\n"
		"free -m\n"
		"ls /proc/sys/vm | head -n 3\n",
};
