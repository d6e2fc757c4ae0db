// SPDX-License-Identifier: MIT
/*
 * cli/free.c - free(1) as procps-ng 4.0.2 prints it (Debian 12), computed
 * from the machine's /proc/meminfo text, exactly as the real tool reads the
 * real file.
 *
 * Linux counterpart: procps-ng src/free.c and library/meminfo.c (behaviour
 * only; written anew here). Checked against procps-ng 4.0.2's `free` on a
 * Debian 12 host, whose numbers satisfy:
 *   used       = MemTotal - MemAvailable   (MemTotal - MemFree if that is < 0;
 *                MemAvailable is taken as MemFree when it is 0 or > MemTotal)
 *   buff/cache = Buffers + Cached + SReclaimable
 *   shared     = Shmem
 * (earlier procps-ng releases, 3.3.x among them, printed used = total -
 * free - buffers - cache instead; kmm follows the 4.0.2 binary.)
 *
 * Layout: the header "               total        used        free      shared
 * buff/cache   available"; each row a label padded to 9 columns, then "%11s"
 * and " %11s" per value. Units: kibibytes by default; -b bytes; -k, -m, -g
 * (and --tebi, --pebi) divide bytes by powers of 1024 with truncation; --kilo,
 * --mega, --giga (or --si with a unit) by powers of 1000; -h picks the unit
 * that fits: "%lldB" if at most 4 characters, else per unit "%.1f%ci" then
 * "%ld%ci" if at most 5 characters ("%.1f%c"/"%ld%c", 4 characters, with
 * --si), the value divided as a double and rounded through a float.
 *
 * Invariant: none (pure formatting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "lib/util.h"

#define FREE_HUMAN	0x01
#define FREE_LOHI	0x02
#define FREE_WIDE	0x04
#define FREE_TOTAL	0x08
#define FREE_SI		0x10
#define FREE_COMMITTED	0x20

struct free_opts {
	int exponent;	/* 0 kB as is, 1 bytes, 2 kilo/kibi, 3 mega/mebi, ... */
	int flags;
};

static int set_unit(struct free_opts *o, int *unit_set, int exp, bool si, char *err, size_t errlen)
{
	if (*unit_set) {
		snprintf(err, errlen, "free: Multiple unit options don't make sense.");
		return -1;
	}
	*unit_set = 1;
	o->exponent = exp;
	if (si)
		o->flags |= FREE_SI;
	return 0;
}

static int parse_opts(int argc, const char *const *argv, struct free_opts *o, int *bad,
		      char *err, size_t errlen)
{
	static const struct { const char *name; int exp; bool si; int flag; } longs[] = {
		{ "--bytes", 1, false, 0 }, { "--kilo", 2, true, 0 }, { "--mega", 3, true, 0 },
		{ "--giga", 4, true, 0 }, { "--tera", 5, true, 0 }, { "--peta", 6, true, 0 },
		{ "--kibi", 2, false, 0 }, { "--mebi", 3, false, 0 }, { "--gibi", 4, false, 0 },
		{ "--tebi", 5, false, 0 }, { "--pebi", 6, false, 0 },
		{ "--human", 0, false, FREE_HUMAN }, { "--si", 0, false, FREE_SI },
		{ "--lohi", 0, false, FREE_LOHI }, { "--total", 0, false, FREE_TOTAL },
		{ "--committed", 0, false, FREE_COMMITTED }, { "--wide", 0, false, FREE_WIDE },
	};
	int unit_set = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		*bad = i;
		if (a[0] == '-' && a[1] == '-') {
			size_t j;
			for (j = 0; j < ARRAY_SIZE(longs); j++)
				if (!strcmp(a, longs[j].name))
					break;
			if (j == ARRAY_SIZE(longs)) {
				snprintf(err, errlen, "free: unrecognized option '%s' (kmm's free has "
					 "-b -k -m -g -h -l -t -v -w and the long forms)", a);
				return -1;
			}
			if (longs[j].exp) {
				if (set_unit(o, &unit_set, longs[j].exp, longs[j].si, err, errlen))
					return -1;
			} else {
				o->flags |= longs[j].flag;
			}
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			snprintf(err, errlen, "free takes only options (-b -k -m -g -h -l -t -v -w), "
				 "not '%s'", a);
			return -1;
		}
		for (const char *f = a + 1; *f; f++) {
			int exp = 0;
			switch (*f) {
			case 'b': exp = 1; break;
			case 'k': exp = 2; break;
			case 'm': exp = 3; break;
			case 'g': exp = 4; break;
			case 'h': o->flags |= FREE_HUMAN; break;
			case 'l': o->flags |= FREE_LOHI; break;
			case 't': o->flags |= FREE_TOTAL; break;
			case 'v': o->flags |= FREE_COMMITTED; break;
			case 'w': o->flags |= FREE_WIDE; break;
			default:
				snprintf(err, errlen, "free: invalid option -- '%c' (kmm's free has "
					 "-b -k -m -g -h -l -t -v -w)", *f);
				return -1;
			}
			if (exp && set_unit(o, &unit_set, exp, false, err, errlen))
				return -1;
		}
	}
	return 0;
}

int free_check_args(int argc, const char *const *argv, int *bad, char *err, size_t errlen)
{
	struct free_opts o;

	return parse_opts(argc, argv, &o, bad, err, errlen);
}

static double power(unsigned int base, unsigned int expo)
{
	return expo == 0 ? 1 : base * power(base, expo - 1);
}

/* procps-ng's scale_size(): @size in kB. */
static void scale_size(char *buf, size_t len, unsigned long size, const struct free_opts *o)
{
	static const char up[] = { 'B', 'K', 'M', 'G', 'T', 'P', 0 };
	float base = (o->flags & FREE_SI) ? 1000.0f : 1024.0f;
	long long bytes = (long long)size * 1024LL;

	if (!(o->flags & FREE_HUMAN)) {
		/* the 4.0.2 binary: --si alone means --kilo */
		int exponent = !o->exponent && (o->flags & FREE_SI) ? 2 : o->exponent;
		switch (exponent) {
		case 0:
			snprintf(buf, len, "%ld", (long)size);
			return;
		case 1:
			snprintf(buf, len, "%lld", bytes);
			return;
		default:
			snprintf(buf, len, "%ld", (long)(bytes / power((unsigned)base,
								     (unsigned)exponent - 1)));
			return;
		}
	}
	if (snprintf(buf, len, "%lld%c", bytes, up[0]) <= 4)
		return;
	for (int i = 1; up[i]; i++) {
		if (o->flags & FREE_SI) {
			if (snprintf(buf, len, "%.1f%c", (float)(bytes / power((unsigned)base,
						(unsigned)i)), up[i]) <= 4)
				return;
			if (snprintf(buf, len, "%ld%c", (long)(bytes / power((unsigned)base,
						(unsigned)i)), up[i]) <= 4)
				return;
		} else {
			if (snprintf(buf, len, "%.1f%ci", (float)(bytes / power((unsigned)base,
						(unsigned)i)), up[i]) <= 5)
				return;
			if (snprintf(buf, len, "%ld%ci", (long)(bytes / power((unsigned)base,
						(unsigned)i)), up[i]) <= 5)
				return;
		}
	}
}

/* The value of meminfo field @name in kB (0 if absent, as procps treats it). */
static unsigned long field(const char *meminfo, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = meminfo; p && *p;) {
		if (!strncmp(p, name, n) && p[n] == ':')
			return strtoul(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static void col(struct strbuf *sb, const char *label)
{
	sb_printf(sb, "%-9s", label);
}

static void val(struct strbuf *sb, const char *fmt, unsigned long kb, const struct free_opts *o)
{
	char buf[64];

	scale_size(buf, sizeof(buf), kb, o);
	sb_printf(sb, fmt, buf);
}

int free_format(const char *meminfo, int argc, const char *const *argv, char **out, char *err,
		size_t errlen)
{
	struct free_opts o;
	struct strbuf sb;
	int bad;

	if (parse_opts(argc, argv, &o, &bad, err, errlen))
		return -1;
	unsigned long total = field(meminfo, "MemTotal");
	unsigned long mfree = field(meminfo, "MemFree");
	unsigned long avail = field(meminfo, "MemAvailable");
	unsigned long buffers = field(meminfo, "Buffers");
	unsigned long cached = field(meminfo, "Cached");
	unsigned long srecl = field(meminfo, "SReclaimable");
	unsigned long shmem = field(meminfo, "Shmem");
	unsigned long stotal = field(meminfo, "SwapTotal");
	unsigned long sfree = field(meminfo, "SwapFree");
	unsigned long htotal = field(meminfo, "HighTotal");
	unsigned long hfree = field(meminfo, "HighFree");
	unsigned long ltotal = field(meminfo, "LowTotal");
	unsigned long lfree = field(meminfo, "LowFree");
	unsigned long climit = field(meminfo, "CommitLimit");
	unsigned long committed = field(meminfo, "Committed_AS");

	if (!avail || avail > total)
		avail = mfree;
	long used = (long)total - (long)avail;
	if (used < 0)
		used = (long)total - (long)mfree;
	unsigned long cache_all = cached + srecl;
	unsigned long hused = hfree < htotal ? htotal - hfree : 0;
	if (!ltotal) {
		ltotal = total;
		lfree = mfree;
	}
	unsigned long lused = lfree < ltotal ? ltotal - lfree : 0;
	unsigned long sused = sfree < stotal ? stotal - sfree : 0;

	sb_init(&sb);
	if (o.flags & FREE_WIDE)
		sb_puts(&sb, "               total        used        free      shared     buffers"
			"       cache   available\n");
	else
		sb_puts(&sb, "               total        used        free      shared  buff/cache"
			"   available\n");
	col(&sb, "Mem:");
	val(&sb, "%11s", total, &o);
	val(&sb, " %11s", (unsigned long)used, &o);
	val(&sb, " %11s", mfree, &o);
	val(&sb, " %11s", shmem, &o);
	if (o.flags & FREE_WIDE) {
		val(&sb, " %11s", buffers, &o);
		val(&sb, " %11s", cache_all, &o);
	} else {
		val(&sb, " %11s", buffers + cache_all, &o);
	}
	val(&sb, " %11s", avail, &o);
	sb_puts(&sb, "\n");
	if (o.flags & FREE_LOHI) {
		col(&sb, "Low:");
		val(&sb, "%11s", ltotal, &o);
		val(&sb, " %11s", lused, &o);
		val(&sb, " %11s", lfree, &o);
		sb_puts(&sb, "\n");
		col(&sb, "High:");
		val(&sb, "%11s", htotal, &o);
		val(&sb, " %11s", hused, &o);
		val(&sb, " %11s", hfree, &o);
		sb_puts(&sb, "\n");
	}
	col(&sb, "Swap:");
	val(&sb, "%11s", stotal, &o);
	val(&sb, " %11s", sused, &o);
	val(&sb, " %11s", sfree, &o);
	sb_puts(&sb, "\n");
	if (o.flags & FREE_TOTAL) {
		col(&sb, "Total:");
		val(&sb, "%11s", total + stotal, &o);
		val(&sb, " %11s", (unsigned long)used + sused, &o);
		val(&sb, " %11s", mfree + sfree, &o);
		sb_puts(&sb, "\n");
	}
	if (o.flags & FREE_COMMITTED) {
		col(&sb, "Comm:");
		val(&sb, "%11s", climit, &o);
		val(&sb, " %11s", committed, &o);
		val(&sb, " %11s", climit - committed, &o);
		sb_puts(&sb, "\n");
	}
	*out = sb_detach(&sb);
	if (!*out) {
		snprintf(err, errlen, "free: out of memory");
		return -1;
	}
	return 0;
}
