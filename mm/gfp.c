// SPDX-License-Identifier: MIT
/*
 * mm/gfp.c - GFP masks: which zone and migrate type a request may use, and
 * the text form of a mask ("GFP_KERNEL|__GFP_ZERO") both ways.
 *
 * Linux counterpart: include/linux/gfp.h (gfp_zone, GFP_ZONE_TABLE,
 * gfp_migratetype), include/trace/events/mmflags.h (the name table behind
 * %pGg) and lib/vsprintf.c (format_flags), as of 6.12.
 *
 * gfp_zone() follows the semantics of Linux's GFP_ZONE_TABLE: the four zone
 * modifier bits pick the highest zone the request may use; a zone type the
 * machine does not configure folds to ZONE_NORMAL (no ZONE_DMA32 on i386, no
 * ZONE_HIGHMEM on x86_64), exactly as the table's OPT_ZONE_* entries do.
 * Combinations Linux marks GFP_ZONE_BAD (e.g. DMA|HIGHMEM) are a caller bug
 * there (VM_BUG_ON); kmm answers ZONE_NORMAL and the allocator refuses them.
 *
 * Invariant: kmm_gfp_format(kmm_gfp_parse(s)) names the same bits as s.
 * Locking: none (pure functions).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"

/* ---- Zones and migrate types ---- */

/**
 * gfp_zone_bad() - true for zone-modifier combinations Linux rejects.
 * @gfp: the mask.
 * Return: true for GFP_ZONE_BAD combinations (two or more of DMA, HIGHMEM,
 * DMA32 together).
 */
bool gfp_zone_bad(gfp_t gfp)
{
	unsigned int bits = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);

	return bits & (bits - 1);
}

/*
 * The highest zone a mask may allocate from, indexed by its four zone
 * modifier bits, before folding away zone types the machine lacks
 * (GFP_ZONE_TABLE with every OPT_ZONE present). 0, MOVABLE alone and the bad
 * combinations give ZONE_NORMAL. A table, as Linux's, so the allocation fast
 * path (page_alloc_slowpath.c) reads the same answer with one load.
 */
const unsigned char gfp_zone_table[GFP_ZONEMASK + 1] = {
	[0] = ZONE_NORMAL,
	[__GFP_DMA] = ZONE_DMA,
	[__GFP_HIGHMEM] = ZONE_HIGHMEM,
	[__GFP_DMA | __GFP_HIGHMEM] = ZONE_NORMAL,
	[__GFP_DMA32] = ZONE_DMA32,
	[__GFP_DMA | __GFP_DMA32] = ZONE_NORMAL,
	[__GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,
	[__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,
	[__GFP_MOVABLE] = ZONE_NORMAL,
	[__GFP_MOVABLE | __GFP_DMA] = ZONE_DMA,
	[__GFP_MOVABLE | __GFP_HIGHMEM] = ZONE_MOVABLE,
	[__GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM] = ZONE_NORMAL,
	[__GFP_MOVABLE | __GFP_DMA32] = ZONE_DMA32,
	[__GFP_MOVABLE | __GFP_DMA | __GFP_DMA32] = ZONE_NORMAL,
	[__GFP_MOVABLE | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,
	[__GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32] = ZONE_NORMAL,
};

static enum zone_type gfp_zone_raw(gfp_t gfp)
{
	return (enum zone_type)gfp_zone_table[gfp & GFP_ZONEMASK];
}

/**
 * gfp_zone_m() - the highest zone type @gfp may use on machine @m.
 * @m: the machine (its zone_types_mask says which zone types exist).
 * @gfp: the request.
 *
 * A zone type missing from the machine's configuration folds to ZONE_NORMAL,
 * as Linux's OPT_ZONE_DMA/HIGHMEM/DMA32 do; ZONE_MOVABLE is always a
 * configured type on Linux (it may simply be empty). With @m NULL every zone
 * type is assumed configured.
 *
 * Return: the zone type.
 */
enum zone_type gfp_zone_m(const struct kmm_machine *m, gfp_t gfp)
{
	enum zone_type z = gfp_zone_raw(gfp);

	if (m && m->zone_types_mask && z != ZONE_MOVABLE && !(m->zone_types_mask & (1u << z)))
		z = ZONE_NORMAL;
	return z;
}

/**
 * gfp_migratetype() - the migrate type of a request: MOVABLE for
 * __GFP_MOVABLE, RECLAIMABLE for __GFP_RECLAIMABLE, UNMOVABLE otherwise.
 * @gfp: the request.
 * Return: a pcp migrate type (below MIGRATE_PCPTYPES).
 */
int gfp_migratetype(gfp_t gfp)
{
	/* Both bits together is invalid in Linux; the shift gives RECLAIMABLE|MOVABLE = 3 there. */
	if ((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* ---- Names ---- */

struct gfp_name {
	gfp_t mask;
	const char *name;
};

/*
 * The order of include/trace/events/mmflags.h __def_gfpflag_names in 6.12:
 * composites with the most bits first, then the single bits. format_flags()
 * prints every entry whose whole mask is still set and removes its bits.
 */
static const struct gfp_name gfp_names[] = {
	{ GFP_TRANSHUGE, "GFP_TRANSHUGE" },
	{ GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT" },
	{ GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" },
	{ GFP_HIGHUSER, "GFP_HIGHUSER" },
	{ GFP_USER, "GFP_USER" },
	{ GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" },
	{ GFP_KERNEL, "GFP_KERNEL" },
	{ GFP_NOFS, "GFP_NOFS" },
	{ GFP_ATOMIC, "GFP_ATOMIC" },
	{ GFP_NOIO, "GFP_NOIO" },
	{ GFP_NOWAIT, "GFP_NOWAIT" },
	{ GFP_DMA, "GFP_DMA" },
	{ __GFP_HIGHMEM, "__GFP_HIGHMEM" },
	{ GFP_DMA32, "GFP_DMA32" },
	{ __GFP_HIGH, "__GFP_HIGH" },
	{ __GFP_IO, "__GFP_IO" },
	{ __GFP_FS, "__GFP_FS" },
	{ __GFP_NOWARN, "__GFP_NOWARN" },
	{ __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
	{ __GFP_NOFAIL, "__GFP_NOFAIL" },
	{ __GFP_NORETRY, "__GFP_NORETRY" },
	{ __GFP_COMP, "__GFP_COMP" },
	{ __GFP_ZERO, "__GFP_ZERO" },
	{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
	{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	{ __GFP_HARDWALL, "__GFP_HARDWALL" },
	{ __GFP_THISNODE, "__GFP_THISNODE" },
	{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
	{ __GFP_MOVABLE, "__GFP_MOVABLE" },
	{ __GFP_ACCOUNT, "__GFP_ACCOUNT" },
	{ __GFP_WRITE, "__GFP_WRITE" },
	{ __GFP_RECLAIM, "__GFP_RECLAIM" },
	{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
	{ __GFP_ZEROTAGS, "__GFP_ZEROTAGS" },
};

/* Extra spellings accepted by the parser only (never printed). */
static const struct gfp_name gfp_aliases[] = {
	{ __GFP_DMA, "__GFP_DMA" },
	{ __GFP_DMA32, "__GFP_DMA32" },
};

const char *kmm_gfp_flag_name(unsigned int i)
{
	if (i < ARRAY_SIZE(gfp_names))
		return gfp_names[i].name;
	i -= (unsigned int)ARRAY_SIZE(gfp_names);
	return i < ARRAY_SIZE(gfp_aliases) ? gfp_aliases[i].name : NULL;
}

int kmm_gfp_format(char *buf, size_t len, gfp_t gfp)
{
	unsigned long flags = gfp;
	char scratch[1];
	char *out = (buf && len) ? buf : scratch;
	size_t cap = (buf && len) ? len : 0, pos = 0;
	int n;

#define EMIT(...)                                                              \
	do {                                                                   \
		n = snprintf(pos < cap ? out + pos : scratch,                  \
			     pos < cap ? cap - pos : 0, __VA_ARGS__);          \
		if (n > 0)                                                     \
			pos += (size_t)n;                                      \
	} while (0)

	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && flags; i++) {
		unsigned long mask = gfp_names[i].mask;

		if (!mask || (flags & mask) != mask)
			continue;
		EMIT("%s", gfp_names[i].name);
		flags &= ~mask;
		if (flags)
			EMIT("|");
	}
	if (flags)
		EMIT("%#lx", flags);
#undef EMIT
	return (int)pos;
}

static bool lookup_name(const char *s, size_t n, gfp_t *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(gfp_names); i++) {
		if (strlen(gfp_names[i].name) == n && !strncmp(gfp_names[i].name, s, n)) {
			*out = gfp_names[i].mask;
			return true;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(gfp_aliases); i++) {
		if (strlen(gfp_aliases[i].name) == n && !strncmp(gfp_aliases[i].name, s, n)) {
			*out = gfp_aliases[i].mask;
			return true;
		}
	}
	return false;
}

int kmm_gfp_parse(const char *text, gfp_t *out, size_t *bad_at)
{
	gfp_t mask = 0;
	const char *s = text;

	if (!text) {
		if (bad_at)
			*bad_at = 0;
		return kmm_set_error(-EINVAL, "gfp: no mask given");
	}
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		const char *start = s;
		while (*s && *s != '|' && *s != ' ' && *s != '\t')
			s++;
		size_t n = (size_t)(s - start);
		gfp_t bits = 0;
		char word[64];

		if (n == 0 || n >= sizeof(word)) {
			if (bad_at)
				*bad_at = (size_t)(start - text);
			return kmm_set_error(-EINVAL, "gfp: %s at offset %zu in \"%s\"",
					     n ? "word too long" : "missing flag name",
					     (size_t)(start - text), text);
		}
		memcpy(word, start, n);
		word[n] = '\0';
		if (!lookup_name(start, n, &bits)) {
			unsigned long v;

			if (kmm_parse_ulong(word, &v) || v >> __GFP_BITS_SHIFT) {
				if (bad_at)
					*bad_at = (size_t)(start - text);
				return kmm_set_error(-EINVAL,
						     "gfp: unknown flag \"%s\" at offset %zu",
						     word, (size_t)(start - text));
			}
			bits = (gfp_t)v;
		}
		mask |= bits;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (*s != '|') {
			if (bad_at)
				*bad_at = (size_t)(s - text);
			return kmm_set_error(-EINVAL, "gfp: expected '|' at offset %zu",
					     (size_t)(s - text));
		}
		s++;
	}
	*out = mask;
	return 0;
}
