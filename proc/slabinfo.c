// SPDX-License-Identifier: MIT
/*
 * proc/slabinfo.c - /proc/slabinfo and /sys/kernel/slab/<cache>/<attr>.
 *
 * Linux counterpart: mm/slab_common.c slabinfo_show() (version 2.1, SLUB:
 * tunables 0, active_slabs == num_slabs, sharedavail 0, active objects =
 * objects - free objects on the node partial lists) and mm/slub.c's sysfs
 * attributes (object_size, slab_size, objs_per_slab, order, partial,
 * cpu_slabs, objects, slabs, ..., the debug switches). Added: kmm_picture, the
 * per-cache drawing of CPU slots and full/partial/empty slabs.
 *
 * Data only from the slab layer's views (mm/include/slab.h): this file
 * never sees struct kmem_cache's fields or takes a slab lock.
 *
 * Locking: none here; kmem_cache_for_each() holds slab_mutex around its
 * callback, slab_count() and slab_node_counts() take the CPU and node locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/machine.h"
#include "mm/include/slab.h"
#include "proc/proc.h"

static int slabinfo_line(struct kmem_cache *s, void *arg)
{
	struct strbuf *sb = arg;
	struct kmem_cache_info info;
	struct slab_counts sc;

	kmem_cache_get_info(s, &info);
	slab_count(s, &sc);
	sb_printf(sb, "%-17s %6lu %6lu %6u %4u %4d", info.name, sc.active_objs, sc.nr_objs,
		  info.size, info.objects, 1 << info.order);
	sb_printf(sb, " : tunables %4u %4u %4u", 0u, 0u, 0u);
	sb_printf(sb, " : slabdata %6lu %6lu %6lu\n", sc.nr_slabs, sc.nr_slabs, 0UL);
	return 0;
}

int slabinfo_show(struct kmm_machine *m, struct strbuf *sb)
{
	if (!slab_is_available_m(m))
		return -ENOENT;
	sb_puts(sb, "slabinfo - version: 2.1\n");
	sb_puts(sb, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		    "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		    "<active_slabs> <num_slabs> <sharedavail>\n");
	return kmem_cache_for_each(m, slabinfo_line, sb);
}

/* ---- /sys/kernel/slab/<cache>/<attr> ---- */

/* Linux's show_slab_objects(): the total, then " N<node>=<n>" per node with any. */
static void show_slab_objects(struct kmm_machine *m, struct kmem_cache *s,
			      enum slab_node_stat what, struct strbuf *sb)
{
	unsigned long nodes[MAX_NUMNODES], total = 0;

	slab_node_counts(s, what, nodes);
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		total += nodes[nid];
	sb_printf(sb, "%lu", total);
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (nodes[nid])
			sb_printf(sb, " N%d=%lu", nid, nodes[nid]);
	sb_puts(sb, "\n");
}

/*
 * Linux's slabs_cpu_partial_show(): "objects(slabs)" over every CPU, then
 * " C<cpu>=objects(slabs)" for each CPU with any, objects reckoned as in
 * slub_set_cpu_partial() (half-full slabs).
 */
static void show_slabs_cpu_partial(struct kmm_machine *m, struct kmem_cache *s,
				   const struct kmem_cache_info *info, struct strbuf *sb)
{
	unsigned int per[KMM_MAX_CPUS], total = 0;

	slab_cpu_partial_slabs(s, per, KMM_MAX_CPUS);
	for (int cpu = 0; cpu < KMM_MAX_CPUS; cpu++)
		total += per[cpu];
	sb_printf(sb, "%u(%u)", total * info->objects / 2, total);
	for (int cpu = 0; cpu < m->nr_cpus && cpu < KMM_MAX_CPUS; cpu++)
		if (per[cpu])
			sb_printf(sb, " C%d=%u(%u)", cpu, per[cpu] * info->objects / 2, per[cpu]);
	sb_puts(sb, "\n");
}

struct slab_attr {
	const char *name;
	int kind;		/* 0: unsigned from a field, 1: flag, 2: objects, 3: special */
	unsigned long arg;
	unsigned short mode;
};

static const struct slab_attr slab_attrs[] = {
	{ "aliases", 3, 0, 0444 },
	{ "align", 0, 1, 0444 },
	{ "cache_dma", 1, SLAB_CACHE_DMA, 0444 },
	{ "cpu_partial", 3, 1, 0444 },
	{ "cpu_slabs", 2, SO_CPU, 0444 },
	{ "destroy_by_rcu", 1, SLAB_TYPESAFE_BY_RCU, 0444 },
	{ "hwcache_align", 1, SLAB_HWCACHE_ALIGN, 0444 },
	{ "kmm_picture", 3, 2, 0444 },
	{ "min_partial", 0, 2, 0444 },
	{ "object_size", 0, 3, 0444 },
	{ "objects", 2, SO_OBJECTS, 0444 },
	{ "objects_partial", 2, SO_OBJECTS_PARTIAL, 0444 },
	{ "objs_per_slab", 0, 4, 0444 },
	{ "order", 0, 5, 0444 },
	{ "partial", 2, SO_PARTIAL, 0444 },
	{ "poison", 1, SLAB_POISON, 0444 },
	{ "reclaim_account", 1, SLAB_RECLAIM_ACCOUNT, 0444 },
	{ "red_zone", 1, SLAB_RED_ZONE, 0444 },
	{ "sanity_checks", 1, SLAB_CONSISTENCY_CHECKS, 0444 },
	{ "shrink", 3, 3, 0200 },
	{ "slab_size", 0, 6, 0444 },
	{ "slabs", 2, SO_SLABS, 0444 },
	{ "slabs_cpu_partial", 3, 4, 0444 },
	{ "store_user", 1, SLAB_STORE_USER, 0444 },
	{ "total_objects", 2, SO_TOTAL, 0444 },
	{ "trace", 1, SLAB_TRACE, 0444 },
	{ "validate", 3, 5, 0200 },
};

/* Split "<cache>/<attr>" into the cache and the attribute. */
static int lookup(struct kmm_machine *m, const char *rest, struct kmem_cache **sp,
		  const struct slab_attr **ap)
{
	const char *slash = strchr(rest, '/');
	char name[64];

	if (!slab_is_available_m(m) || !slash || (size_t)(slash - rest) >= sizeof(name))
		return -ENOENT;
	memcpy(name, rest, (size_t)(slash - rest));
	name[slash - rest] = 0;
	*sp = kmm_find_cache(m, name);
	if (!*sp)
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(slab_attrs); i++) {
		if (!strcmp(slab_attrs[i].name, slash + 1)) {
			*ap = &slab_attrs[i];
			return 0;
		}
	}
	return -ENOENT;
}

int slab_sysfs_show(struct kmm_machine *m, const char *rest, struct strbuf *sb)
{
	struct kmem_cache *s;
	const struct slab_attr *a;
	struct kmem_cache_info info;
	int err = lookup(m, rest, &s, &a);

	if (err)
		return err;
	kmem_cache_get_info(s, &info);
	switch (a->kind) {
	case 0: {
		unsigned long v = 0;
		switch (a->arg) {
		case 1: v = info.align; break;
		case 2: v = info.min_partial; break;
		case 3: v = info.object_size; break;
		case 4: v = info.objects; break;
		case 5: v = info.order; break;
		case 6: v = info.size; break;
		}
		sb_printf(sb, "%lu\n", v);
		break;
	}
	case 1:
		sb_printf(sb, "%d\n", (info.flags & (slab_flags_t)a->arg) ? 1 : 0);
		break;
	case 2:
		show_slab_objects(m, s, (enum slab_node_stat)a->arg, sb);
		break;
	default:
		switch (a->arg) {
		case 0: sb_puts(sb, "0\n"); break;		/* aliases: kmm never merges */
		case 1: sb_printf(sb, "%u\n", info.cpu_partial); break;
		case 2: slab_draw(s, sb); break;
		case 4: show_slabs_cpu_partial(m, s, &info, sb); break;
		default: sb_puts(sb, ""); break;		/* write-only files read empty */
		}
	}
	return 0;
}

int slab_sysfs_write(struct kmm_machine *m, const char *rest, const char *text)
{
	struct kmem_cache *s;
	const struct slab_attr *a;
	int err = lookup(m, rest, &s, &a);

	if (err)
		return err;
	if (!(a->mode & 0200))
		return -EACCES;
	if (strcmp(text, "1") && strcmp(text, "1\n"))
		return -EINVAL;
	if (a->arg == 3)
		kmem_cache_shrink(s);
	else
		return slub_check(m);
	return 0;
}

int slab_sysfs_mode(struct kmm_machine *m, const char *rest)
{
	struct kmem_cache *s;
	const struct slab_attr *a;
	int err = lookup(m, rest, &s, &a);

	return err ? err : a->mode;
}

struct cache_names {
	char (*names)[64];
	size_t n, cap;
};

static int copy_name(struct kmem_cache *s, void *arg)
{
	struct cache_names *c = arg;
	struct kmem_cache_info info;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->names, ncap * sizeof(*c->names));

		if (!p)
			return -ENOMEM;
		c->names = p;
		c->cap = ncap;
	}
	kmem_cache_get_info(s, &info);
	snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", info.name);
	return 0;
}

int slab_sysfs_list(struct kmm_machine *m, kmm_proc_list_fn fn, void *arg)
{
	struct cache_names c = { NULL, 0, 0 };
	int err;

	if (!slab_is_available_m(m))
		return 0;
	/* Copy the names first: the callback may read files (and take locks). */
	err = kmem_cache_for_each(m, copy_name, &c);
	for (size_t i = 0; i < c.n && !err; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(slab_attrs) && !err; j++) {
			char path[160];
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", c.names[i],
				 slab_attrs[j].name);
			err = fn(path, slab_attrs[j].mode, arg);
		}
	}
	free(c.names);
	return err;
}
