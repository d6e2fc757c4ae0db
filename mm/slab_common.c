// SPDX-License-Identifier: MIT
/*
 * mm/slab_common.c - what every slab allocator shares: creating and
 * destroying caches, the kmalloc size classes and the kmalloc family, and
 * the layer's init.
 *
 * Linux counterpart: mm/slab_common.c (6.12). Kept: the kmalloc classes
 * 8..8192 with 96 and 192 (size_index[] for sizes up to 192, fls above),
 * kmalloc-rcl-* for __GFP_RECLAIMABLE and dma-kmalloc-* for GFP_DMA, large
 * requests straight to the page allocator as compound pages (accounted as
 * unreclaimable slab, as 6.x does), calculate_alignment(), the caches list
 * newest first (the /proc/slabinfo order). Simplified: no cache merging, no
 * memcg (kmalloc-cg-*) or random kmalloc caches; names must be unique.
 *
 * Boot options (slab_debug=, slab_freelist_hardened=, slab_freelist_random=,
 * slab_sheaves=, kmalloc_caches=): mm/slab_options.c reads them.
 *
 * SLAB_PANIC: Linux panics when such a cache cannot be created. kmm never
 * stops the host: it logs "Kernel panic - not syncing: ..." and the end
 * marker to dmesg, marks the machine panicked (slab_state(m)->panicked) and
 * returns NULL like any failed creation.
 *
 * Locking: slab_mutex (a spinlock in kmm) around the caches list; allocation
 * and freeing take only mm/slub.c's locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/include/boot_options.h"
#include "mm/include/slab.h"
#include "mm/include/vmstat.h"
#include "mm/slab.h"

#define KMALLOC_LARGE_MAGIC 0x6b6d616c6c6f6321UL	/* "kmalloc!" in the head's memcg_data */

/* ---- Cache creation ---- */

/**
 * calculate_alignment() - Linux's rule: SLAB_HWCACHE_ALIGN starts at the
 * cache line and halves while the object fits twice; then at least the
 * requested and the arch alignment (8), rounded to a word.
 */
unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = 64;
		while (size <= ralign / 2)
			ralign /= 2;
		align = align > ralign ? align : ralign;
	}
	if (align < 8)
		align = 8;
	return ALIGN_UP(align, (unsigned int)sizeof(void *));
}

#define CACHE_NAME_SIZE sizeof(((struct kmem_cache *)0)->name)	/* 63 characters and the NUL */
#define SLAB_FLAGS_ALLOWED (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			    SLAB_KMALLOC | SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | \
			    SLAB_CACHE_DMA32 | SLAB_STORE_USER | SLAB_RECLAIM_ACCOUNT | \
			    SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | SLAB_TRACE | SLAB_NO_MERGE | \
			    SLAB_ACCOUNT)

struct kmem_cache *kmm_find_cache(struct kmm_machine *m, const char *name)
{
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *found = NULL;
	struct list_head *pos;

	if (!st || !name)
		return NULL;
	spin_lock(&st->slab_mutex);
	list_for_each(pos, &st->caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);
		if (!strcmp(s->name, name)) {
			found = s;
			break;
		}
	}
	spin_unlock(&st->slab_mutex);
	return found;
}

/* ---- struct kmem_cache and struct kmem_cache_node as slab objects ---- */

/* Linux's kmem_cache object: the structure up to its node pointers, one a node. */
static size_t cache_struct_size(const struct kmm_machine *m)
{
	return offsetof(struct kmem_cache, node) + sizeof(struct kmem_cache_node *) *
	       (size_t)m->nr_node_ids;
}

/* Linux's node_state(nid, N_NORMAL_MEMORY): memory in a zone up to ZONE_NORMAL. */
static bool node_has_normal_memory(struct kmm_machine *m, int nid)
{
	pg_data_t *pgdat = NODE_DATA_M(m, nid);

	for (int z = 0; z <= ZONE_NORMAL; z++)
		if (managed_zone(&pgdat->node_zones[z]))
			return true;
	return false;
}

/*
 * A struct kmem_cache_node for node @nid, from that node; for a node without
 * normal memory, from any (Linux gives such a node none; kmm's slab keeps
 * one for every node).
 */
static struct kmem_cache_node *node_struct_alloc(struct slab_machine *st, int nid)
{
	struct kmm_machine *m = st->kmem_cache_node->machine;

	if (!node_has_normal_memory(m, nid))
		return kmem_cache_alloc(st->kmem_cache_node, GFP_KERNEL);
	return kmem_cache_alloc_node(st->kmem_cache_node, GFP_KERNEL, nid);
}

/*
 * A zeroed struct kmem_cache with a struct kmem_cache_node for every node:
 * objects of the kmem_cache and kmem_cache_node caches (kmem_cache_zalloc,
 * kmem_cache_alloc_node on that node), as Linux's kmem_cache_create does;
 * from the host heap while those two caches are being made (kmem_cache_init,
 * until bootstrap() moves them into slab objects).
 */
static struct kmem_cache *alloc_cache_struct(struct kmm_machine *m, const char *name, int *errp)
{
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s;

	if (st->kmem_cache)
		s = kmem_cache_zalloc(st->kmem_cache, GFP_KERNEL);
	else if ((s = calloc(1, cache_struct_size(m))) != NULL)
		s->host_struct = true;
	if (!s) {
		*errp = kmm_set_error(-ENOMEM, "kmem_cache_create(%s): out of memory", name);
		return NULL;
	}
	s->machine = m;
	s->host_nodes = !st->kmem_cache_node;
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		if (st->kmem_cache_node)
			s->node[nid] = node_struct_alloc(st, nid);
		else
			s->node[nid] = aligned_alloc(64, sizeof(struct kmem_cache_node));
		if (!s->node[nid]) {
			kmem_cache_free_struct(s, true);
			*errp = kmm_set_error(-ENOMEM, "kmem_cache_create(%s): out of memory for "
					      "node %d", name, nid);
			return NULL;
		}
	}
	return s;
}

void kmem_cache_free_struct(struct kmem_cache *s, bool into_slab)
{
	struct slab_machine *st = slab_state(s->machine);

	for (int nid = 0; nid < s->machine->nr_node_ids; nid++) {
		if (!s->node[nid])
			continue;
		if (s->host_nodes)
			free(s->node[nid]);
		else if (into_slab)
			kmem_cache_free(st->kmem_cache_node, s->node[nid]);
	}
	if (s->host_struct)
		free(s);
	else if (into_slab)
		kmem_cache_free(st->kmem_cache, s);
}

/* What bootstrap_full_off() renames: @boot's full slabs on no list become @s's. */
struct bootstrap_full {
	struct kmem_cache *s, *boot;
};

static int bootstrap_full_off(struct slab *slab, void *arg)
{
	struct bootstrap_full *b = arg;

	if (slab->slab_cache == b->boot)
		slab->slab_cache = b->s;
	return 0;
}

/*
 * Every slab of @s (node lists, CPU slabs, CPU partial lists, full on no
 * list) names @s as its cache instead of @boot. Linux assumes a boot cache
 * has no full slab here; kmm finds any by their frames.
 */
static void bootstrap_slabs(struct kmem_cache *s, struct kmem_cache *boot)
{
	struct kmm_machine *m = s->machine;
	struct list_head *pos;
	unsigned long full_off = 0;

	kmm_cpu_lock_all(m);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct list_head *lists[3] = { &n->partial, &n->full, &n->empty };
		spin_lock(&n->list_lock);
		full_off += slab_full_off(s, nid);
		for (int l = 0; l < 3; l++)
			list_for_each(pos, lists[l])
				list_entry(pos, struct slab, slab_list)->slab_cache = s;
		spin_unlock(&n->list_lock);
	}
	if (full_off) {
		struct bootstrap_full b = { .s = s, .boot = boot };
		for_each_full_off_slab(m, bootstrap_full_off, &b);
	}
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero */
		if (c->slab)
			c->slab->slab_cache = s;
		list_for_each(pos, &c->partial)
			list_entry(pos, struct slab, slab_list)->slab_cache = s;
	}
	kmm_cpu_unlock_all(m);
}

/* A list head copied from @from to @to: its entries' links point at @to now. */
static void list_head_moved(struct list_head *to, struct list_head *from)
{
	if (to->next == from) {
		INIT_LIST_HEAD(to);	/* it was empty */
		return;
	}
	to->next->prev = to;
	to->prev->next = to;
}

/*
 * bootstrap() of Linux's kmem_cache_init: move boot cache @boot, made on
 * the host heap, into an object of the kmem_cache cache (and its nodes into
 * objects of kmem_cache_node), point its slabs at the new structure, and
 * put it on the list of caches (as the newest). Return: the new structure;
 * NULL, with @boot left as it was, when there is no memory.
 * Context: boot, single-threaded.
 */
static struct kmem_cache *bootstrap(struct kmem_cache *boot)
{
	struct kmm_machine *m = boot->machine;
	struct slab_machine *st = slab_state(m);
	struct kmem_cache_node *nodes[MAX_NUMNODES] = { 0 };
	struct kmem_cache *s = kmem_cache_zalloc(st->kmem_cache, GFP_KERNEL);

	if (!s)
		return NULL;
	for (int nid = 0; boot->host_nodes && nid < m->nr_node_ids; nid++) {
		nodes[nid] = node_struct_alloc(st, nid);
		if (!nodes[nid]) {
			while (nid--)
				kmem_cache_free(st->kmem_cache_node, nodes[nid]);
			kmem_cache_free(st->kmem_cache, s);
			return NULL;
		}
	}
	/* Copied after the allocations above, which the copies then include. */
	memcpy(s, boot, cache_struct_size(m));
	s->host_struct = false;
	for (int nid = 0; boot->host_nodes && nid < m->nr_node_ids; nid++) {
		memcpy(nodes[nid], boot->node[nid], sizeof(*nodes[nid]));
		list_head_moved(&nodes[nid]->partial, &boot->node[nid]->partial);
		list_head_moved(&nodes[nid]->full, &boot->node[nid]->full);
		list_head_moved(&nodes[nid]->empty, &boot->node[nid]->empty);
		free(boot->node[nid]);
		s->node[nid] = nodes[nid];
	}
	s->host_nodes = false;
	bootstrap_slabs(s, boot);
	spin_lock(&st->slab_mutex);
	list_del(&boot->list);
	list_add(&s->list, &st->caches);
	spin_unlock(&st->slab_mutex);
	free(boot);
	return s;
}

/*
 * The sizes of the two boot caches: Linux's (the kernel build's, kconfig
 * objsize) or kmm's structure, whichever is larger (docs/fidelity.md).
 */
static unsigned int boot_cache_size(const struct kmm_machine *m, bool node)
{
	unsigned int linux_size = 0;
	size_t size = node ? sizeof(struct kmem_cache_node) : cache_struct_size(m);

	if (m->kconfig)
		linux_size = node ? m->kconfig->objsize.kmem_cache_node : m->kconfig->objsize.kmem_cache;
	return linux_size > size ? linux_size : (unsigned int)size;
}

/*
 * Why create_cache() refuses @name: the first of its checks that fails, or
 * @err from the layout, or else the name is taken. Out of line and cold, so
 * that a creation that succeeds never reads these messages: in the malloc
 * shim they stay out of the first segment every process maps whole
 * (shim/cold_strings.py). Return: the negative errno, message set.
 */
static __attribute__((noinline, cold)) int create_refused(struct kmm_machine *m, const char *name,
							  unsigned int size, unsigned int align,
							  slab_flags_t flags, int err)
{
	if (!slab_state(m))
		return kmm_set_error(-ENODEV, "kmem_cache_create: the slab layer is not initialised");
	if (!name || !*name || strlen(name) >= CACHE_NAME_SIZE)
		return kmm_set_error(-EINVAL, "kmem_cache_create: a name of 1..63 characters is "
				     "required");
	if (size == 0 || size > KMALLOC_MAX_SIZE)
		return kmm_set_error(-EINVAL, "kmem_cache_create(%s): size %u is not in 1..%lu",
				     name, size, KMALLOC_MAX_SIZE);
	if (align & (align - 1))
		return kmm_set_error(-EINVAL, "kmem_cache_create(%s): align %u is not a power "
				     "of two", name, align);
	if (flags & ~SLAB_FLAGS_ALLOWED)
		return kmm_set_error(-EINVAL, "kmem_cache_create(%s): unknown flags %#x", name,
				     flags & ~SLAB_FLAGS_ALLOWED);
	if (err)
		return kmm_set_error(err, "kmem_cache_create(%s): size %u cannot be laid out "
				     "(error %d)", name, size, err);
	return kmm_set_error(-EEXIST, "kmem_cache_create(%s): a cache of that name exists", name);
}

static struct kmem_cache *create_cache(struct kmm_machine *m, const char *name, unsigned int size,
				       unsigned int align, slab_flags_t flags,
				       void (*ctor)(void *), int *errp)
{
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s;
	int err;

	if (!st || !name || !*name || strlen(name) >= CACHE_NAME_SIZE || size == 0 ||
	    size > KMALLOC_MAX_SIZE || (align & (align - 1)) || (flags & ~SLAB_FLAGS_ALLOWED) ||
	    kmm_find_cache(m, name)) {
		*errp = create_refused(m, name, size, align, flags, 0);
		return NULL;
	}
	s = alloc_cache_struct(m, name, errp);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = flags | slab_debug_flags_for(m, name);
	s->align = calculate_alignment(flags, align, size);
	s->ctor = ctor;
	s->refcount = 1;
	err = __kmem_cache_create(s);
	if (err) {
		kmem_cache_free_struct(s, true);
		*errp = create_refused(m, name, size, align, flags, err);
		return NULL;
	}
	spin_lock(&st->slab_mutex);
	list_add(&s->list, &st->caches);
	spin_unlock(&st->slab_mutex);
	*errp = 0;
	return s;
}

/* SLAB_PANIC's failure (the top of this file): cold, as create_refused(). */
static __attribute__((noinline, cold)) void create_panic(struct kmm_machine *m, const char *name,
							 int err)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "kmem_cache_create: Failed to create slab '%s'. Error %d",
		 name ? name : "(null)", err);
	kmm_printk(m, "Kernel panic - not syncing: %s", msg);
	kmm_printk(m, "---[ end Kernel panic - not syncing: %s ]---", msg);
	if (slab_state(m))
		slab_state(m)->panicked = true;
}

struct kmem_cache *kmm_kmem_cache_create(struct kmm_machine *m, const char *name,
					 unsigned int size, unsigned int align,
					 slab_flags_t flags, void (*ctor)(void *))
{
	int err = -EINVAL;
	struct kmem_cache *s = NULL;

	if (m) {
		kmm_op_begin(m);	/* one operation for the stream's subscribers */
		s = create_cache(m, name, size, align, flags, ctor, &err);
		kmm_op_end(m);
	}

	if (!m)
		kmm_set_error(-EINVAL, "kmem_cache_create: no machine");
	if (!s && m && (flags & SLAB_PANIC))
		create_panic(m, name, err);
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return kmm_kmem_cache_create(kmm_current(), name, size, align, flags, ctor);
}

static void cache_destroy(struct kmem_cache *s);

void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	/* One operation for the stream's subscribers: slab_mutex is taken inside. */
	kmm_op_begin(s->machine);
	struct kmm_machine *m = s->machine;
	cache_destroy(s);
	kmm_op_end(m);
}

static void cache_destroy(struct kmem_cache *s)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	struct kmm_machine *m;
	struct slab_machine *st;

	if (!s)
		return;
	m = s->machine;
	st = slab_state(m);
	if (s->flags & SLAB_KMALLOC) {
		kmm_set_error(-EPERM, "kmem_cache_destroy(%s): kmalloc caches live as long as "
			      "the machine", s->name);
		return;
	}
	if (__kmem_cache_shutdown(s, caller)) {
		kmm_set_error(-EBUSY, "kmem_cache_destroy(%s): objects are still allocated",
			      s->name);
		return;
	}
	spin_lock(&st->slab_mutex);
	list_del(&s->list);
	spin_unlock(&st->slab_mutex);
	__kmem_cache_release(s);
	kmem_cache_free_struct(s, true);
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	kmm_op_begin(s->machine);
	int ret = __kmem_cache_shrink(s);
	kmm_op_end(s->machine);
	return ret;
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->object_size;
}

/**
 * kmem_cache_obj_align() - the largest power of two (up to a page) that
 * divides the address of every object @s can hand out: slabs start on a
 * page, objects s->size apart, after the colour (a multiple of colour_off)
 * and the left red zone.
 *
 * A slab of the fallback order (s->min_order, when s->order could not be
 * had) is coloured by its own leftover, which can leave room for colours
 * where s->colour, the count at s->order, is 0 (2728-byte objects: 32 bytes
 * left at order 3, 1368 at order 0). Leaving colour_off out is still right
 * then: s->colour 0 means the leftover at s->order is below colour_off, and
 * were a power of two above colour_off a factor of s->size, that leftover
 * (a difference of two of its multiples) would be 0, so s->size would
 * divide the slab - a power of two, which leaves nothing at any order.
 * Either s->size brings no factor above colour_off, or no slab is coloured.
 */
unsigned long kmem_cache_obj_align(const struct kmem_cache *s)
{
	unsigned long bits = PAGE_SIZE | s->size | s->red_left_pad | (s->colour ? s->colour_off : 0);

	return bits & -bits;
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s->name;
}

void *kmalloc_orig_size(struct kmm_machine *m, size_t want, size_t orig_size, gfp_t gfp,
			unsigned long caller)
{
	if (!want || want > KMALLOC_MAX_CACHE_SIZE || orig_size > want || !slab_state(m)) {
		kmm_set_error(-EINVAL, "kmalloc_orig_size: %zu bytes recorded in a %zu-byte class",
			      orig_size, want);
		return NULL;
	}
	return slab_alloc_node(kmalloc_slab(m, want, gfp), gfp, NUMA_NO_NODE, caller, orig_size);
}

/* ---- Views (mm/include/slab.h) ---- */

void kmem_cache_get_info(const struct kmem_cache *s, struct kmem_cache_info *info)
{
	*info = (struct kmem_cache_info){
		.name = s->name,
		.object_size = s->object_size,
		.size = s->size,
		.align = s->align,
		.objects = s->objects,
		.order = s->order,
		.min_partial = s->min_partial,
		.cpu_partial = s->cpu_partial,
		.flags = s->flags,
	};
}

int kmem_cache_for_each(struct kmm_machine *m, int (*fn)(struct kmem_cache *s, void *arg),
			void *arg)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;
	struct list_head *pos;
	int ret = 0;

	if (!st)
		return -ENOENT;
	spin_lock(&st->slab_mutex);
	list_for_each(pos, &st->caches) {
		ret = fn(list_entry(pos, struct kmem_cache, list), arg);
		if (ret)
			break;
	}
	spin_unlock(&st->slab_mutex);
	return ret;
}

struct kmem_cache *virt_to_cache_m(struct kmm_machine *m, const void *obj)
{
	struct slab *slab = virt_to_slab_m(m, obj);

	return slab ? slab->slab_cache : NULL;
}

void dump_unreclaimable_slab(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);
	struct list_head *pos;

	if (!st)
		return;
	/* A cache being created may be what ran out of memory: never wait for it. */
	if (!spin_trylock(&st->slab_mutex)) {
		kmm_printk(m, "excessive unreclaimable slab but cannot dump stats");
		return;
	}
	kmm_printk(m, "Unreclaimable slab info:");
	kmm_printk(m, "Name                      Used          Total");
	list_for_each(pos, &st->caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);
		struct slab_counts sc;

		if (s->flags & SLAB_RECLAIM_ACCOUNT)
			continue;
		slab_count(s, &sc);
		if (sc.nr_objs > 0)
			kmm_printk(m, "%-17s %10luKB %10luKB", s->name, sc.active_objs * s->size / 1024,
				   sc.nr_objs * s->size / 1024);
	}
	spin_unlock(&st->slab_mutex);
}

bool slab_is_available_m(const struct kmm_machine *m)
{
	return m && m->subsys[SUBSYS_SLAB];
}

atomic_int *slab_taint_flag(struct kmm_machine *m)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;

	return st ? &st->tainted : NULL;
}

void kmm_slab_drain(struct kmm_machine *m)
{
	struct slab_machine *st = m ? slab_state(m) : NULL;
	struct list_head *pos;

	if (!st)
		return;
	kmm_op_begin(m);	/* slabs are freed under slab_mutex: no check in between */
	spin_lock(&st->slab_mutex);
	list_for_each(pos, &st->caches)
		__kmem_cache_shrink(list_entry(pos, struct kmem_cache, list));
	spin_unlock(&st->slab_mutex);
	kmm_op_end(m);
	slab_rcu_barrier(m);
	/* The freed slab pages may sit on CPU slots' pcp lists: give them to the buddy. */
	drain_all_pages(m, NULL);
}

/* ---- Object allocation entry points ---- */

/* kmem_cache_alloc(), kmem_cache_free() and friends live in mm/slub.c (inlined fast paths). */

/* kmem_cache_alloc_bulk() while someone listens: should_failslab() once for the batch. */
static __attribute__((noinline)) int alloc_bulk_traced(struct kmem_cache *s, gfp_t gfp, size_t nr,
						       void **p, unsigned long caller)
{
	int got = 0;

	kmm_op_begin(s->machine);
	if (should_failslab(s->machine, s->name, s->object_size * nr, gfp))
		kmm_set_error(-ENOMEM, "kmem_cache_alloc_bulk(%s): failed by failslab", s->name);
	else
		got = (int)slab_alloc_bulk(s, gfp, nr, p, caller);
	kmm_op_end(s->machine);
	return got;
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p)
{
	if (kmm_trace_on(s->machine, KMM_EVBIT(KMM_EV_SHOULD_FAILSLAB) | KMM_EVMASK_OPS))
		return alloc_bulk_traced(s, gfp, nr, p, (unsigned long)__builtin_return_address(0));
	return (int)slab_alloc_bulk(s, gfp, nr, p, (unsigned long)__builtin_return_address(0));
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	if (kmm_trace_on(s->machine, KMM_EVMASK_OPS)) {
		kmm_op_begin(s->machine);
		slab_free_bulk(s, nr, p, (unsigned long)__builtin_return_address(0));
		kmm_op_end(s->machine);
		return;
	}
	slab_free_bulk(s, nr, p, (unsigned long)__builtin_return_address(0));
}

/* ---- kmalloc ---- */

/* Sizes 1..192 in steps of 8 to a kmalloc index (Linux's size_index[]). */
static const unsigned char size_index[24] = {
	3, 4, 5, 5, 6, 6, 6, 6,	/* 8, 16, 32, 32, 64 x4 */
	1, 1, 1, 1, 7, 7, 7, 7,	/* 96 x4, 128 x4 */
	2, 2, 2, 2, 2, 2, 2, 2,	/* 192 x8 */
};

static inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return (unsigned int)fls_ul(size - 1);
}

static inline unsigned int kmalloc_size_of_index(unsigned int i)
{
	return i == 1 ? 96 : i == 2 ? 192 : 1u << i;
}

/*
 * No kmalloc-8 cache: with slab_shadow_granule=16 every object is 16-byte
 * aligned, Linux's ARCH_KMALLOC_MINALIGN 16 (KMALLOC_MIN_SIZE 16), and
 * Linux then makes no kmalloc-8 either: setup_kmalloc_cache_index_table()
 * sends sizes 1..8 to kmalloc-16. kmm keeps size_index[] and points index
 * KMALLOC_SHIFT_LOW's slot at the kmalloc-16 cache instead.
 */
static inline bool kmalloc_no_8(const struct slab_machine *st)
{
	return st->shadow_shift == 4;
}

static inline enum kmalloc_cache_type kmalloc_type(gfp_t gfp)
{
	if (likely(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE))))
		return KMALLOC_NORMAL;
	if (gfp & __GFP_DMA)
		return KMALLOC_DMA;
	return KMALLOC_RECLAIM;
}

static int new_kmalloc_cache(struct kmm_machine *m, unsigned int idx, enum kmalloc_cache_type t);

/*
 * A kmalloc of type @t (not normal) whose cache of index @i is missing:
 * with kmalloc_caches=lazy, make it now (the first such kmalloc; later ones
 * find it published); else, or if it cannot be made, the normal cache, as
 * when the machine has no such type (no ZONE_DMA).
 * Context: any kmalloc context; takes kmalloc_lazy_lock, then slab_mutex.
 */
static __attribute__((noinline)) struct kmem_cache *
kmalloc_slab_missing(struct kmm_machine *m, unsigned int i, enum kmalloc_cache_type t)
{
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s = NULL;

	if (st->kmalloc_lazy && (t != KMALLOC_DMA || (m->zone_types_mask & (1u << ZONE_DMA)))) {
		/* kmalloc_no_8(): index KMALLOC_SHIFT_LOW is the kmalloc-16 cache of its type. */
		unsigned int make = i == KMALLOC_SHIFT_LOW && kmalloc_no_8(st) ? i + 1 : i;

		spin_lock(&st->kmalloc_lazy_lock);
		s = __atomic_load_n(&st->kmalloc_caches[t][i], __ATOMIC_ACQUIRE);
		if (!s && (st->kmalloc_caches[t][make] || new_kmalloc_cache(m, make, t) == 0)) {
			s = st->kmalloc_caches[t][make];
			__atomic_store_n(&st->kmalloc_caches[t][i], s, __ATOMIC_RELEASE);
		}
		spin_unlock(&st->kmalloc_lazy_lock);
	}
	return s ? s : st->kmalloc_caches[KMALLOC_NORMAL][i];
}

/* The kmalloc cache for @size (1..KMALLOC_MAX_CACHE_SIZE); inline for kmalloc's fast path. */
static inline struct kmem_cache *__kmalloc_slab(struct kmm_machine *m, size_t size, gfp_t gfp)
{
	struct slab_machine *st = slab_state(m);
	unsigned int i = kmalloc_index(size);

	if (likely(kmalloc_type(gfp) == KMALLOC_NORMAL))
		return st->kmalloc_caches[KMALLOC_NORMAL][i];
	/* Acquire: a lazy cache is published by kmalloc_slab_missing() while others read. */
	struct kmem_cache *s = __atomic_load_n(&st->kmalloc_caches[kmalloc_type(gfp)][i],
					       __ATOMIC_ACQUIRE);
	return s ? s : kmalloc_slab_missing(m, i, kmalloc_type(gfp));
}

struct kmem_cache *kmalloc_slab(struct kmm_machine *m, size_t size, gfp_t gfp)
{
	return __kmalloc_slab(m, size, gfp);
}

static unsigned int order_for(size_t size)
{
	unsigned int order = 0;
	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static void *kmalloc_large(struct kmm_machine *m, size_t size, gfp_t gfp, int node)
{
	unsigned int order = order_for(size);
	struct page *page;

	if (size > KMALLOC_MAX_SIZE) {
		kmm_set_error(-EINVAL, "kmalloc: %zu bytes is more than KMALLOC_MAX_SIZE (%lu)",
			      size, KMALLOC_MAX_SIZE);
		return NULL;
	}
	page = kmm_alloc_pages(m, (gfp & ~(__GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)) |
				  __GFP_COMP, order, node);
	if (!page) {
		kmm_set_error(-ENOMEM, "kmalloc: no order-%u block for %zu bytes", order, size);
		return NULL;
	}
	page->memcg_data = KMALLOC_LARGE_MAGIC;
	mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_SLAB_UNRECLAIMABLE_B,
			    (long)(PAGE_SIZE << order));
	return page_address(page);
}

/*
 * kmalloc() while someone listens (mm/events.c): one bracketed operation;
 * should_failslab() for the slab sizes (large ones ask fail_page_alloc
 * through alloc_pages, as in Linux), then the kmalloc event, also when it
 * failed (ptr 0). Size 0 has no event, as in Linux.
 */
static __attribute__((noinline)) void *kmalloc_traced(struct kmm_machine *m, size_t size,
						      gfp_t gfp, int node, unsigned long caller)
{
	void *p = NULL;
	size_t bytes_alloc = 0;

	if (!size)
		return ZERO_SIZE_PTR;
	kmm_op_begin(m);
	if (size <= KMALLOC_MAX_CACHE_SIZE) {
		struct kmem_cache *s = __kmalloc_slab(m, size, gfp);

		bytes_alloc = s->size;
		if (should_failslab(m, s->name, s->object_size, gfp))
			kmm_set_error(-ENOMEM, "kmalloc(%zu): failed by failslab", size);
		else
			p = slab_alloc_node(s, gfp, node, caller, size);
	} else {
		bytes_alloc = PAGE_SIZE << order_for(size);
		p = kmalloc_large(m, size, gfp, node);
	}
	trace_obj_alloc(m, KMM_EV_KMALLOC, NULL, kaddr(m, p), size, p ? bytes_alloc : 0, gfp, node);
	kmm_op_end(m);
	return p;
}

void *kmm_kmalloc(struct kmm_machine *m, size_t size, gfp_t gfp, int node)
{
	if (!m || !slab_state(m)) {
		kmm_set_error(-ENODEV, "kmalloc: no current machine with a slab layer");
		return NULL;
	}
	if (kmm_trace_on(m, KMM_EVMASK_KMALLOC))
		return kmalloc_traced(m, size, gfp, node, (unsigned long)__builtin_return_address(0));
	if (unlikely(size > KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_large(m, size, gfp, node);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	return slab_alloc_node(kmalloc_slab(m, size, gfp), gfp, node,
			       (unsigned long)__builtin_return_address(0), size);
}

/* kmalloc's rare cases: no machine, zero bytes, more than the largest cache. */
static __attribute__((noinline)) void *do_kmalloc_other(struct kmm_machine *m, size_t size,
							gfp_t gfp, int node)
{
	if (!m || !slab_state(m)) {
		kmm_set_error(-ENODEV, "kmalloc: no current machine with a slab layer");
		return NULL;
	}
	if (!size)
		return ZERO_SIZE_PTR;
	if (kmm_trace_on(m, KMM_EVMASK_KMALLOC))
		return kmalloc_traced(m, size, gfp, node, (unsigned long)__builtin_return_address(0));
	return kmalloc_large(m, size, gfp, node);
}

static inline __attribute__((always_inline)) void *do_kmalloc(size_t size, gfp_t gfp, int node,
							      unsigned long caller)
{
	struct kmm_machine *m = kmm_current();

	/* size - 1 wraps for 0, so one compare sends 0 and large sizes out of line. */
	if (unlikely(!m || !slab_state(m) || size - 1 >= KMALLOC_MAX_CACHE_SIZE))
		return do_kmalloc_other(m, size, gfp, node);
	if (kmm_trace_on(m, KMM_EVMASK_KMALLOC))
		return kmalloc_traced(m, size, gfp, node, caller);
	return slab_alloc_node(__kmalloc_slab(m, size, gfp), gfp, node, caller, size);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return do_kmalloc(size, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0));
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return do_kmalloc(size, gfp | __GFP_ZERO, NUMA_NO_NODE,
			  (unsigned long)__builtin_return_address(0));
}

void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return do_kmalloc(size, gfp, node, (unsigned long)__builtin_return_address(0));
}

void *kzalloc_node(size_t size, gfp_t gfp, int node)
{
	return do_kmalloc(size, gfp | __GFP_ZERO, node, (unsigned long)__builtin_return_address(0));
}

void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		kmm_set_error(-EOVERFLOW, "kmalloc_array: %zu x %zu overflows", n, size);
		return NULL;
	}
	return do_kmalloc(bytes, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0));
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		kmm_set_error(-EOVERFLOW, "kcalloc: %zu x %zu overflows", n, size);
		return NULL;
	}
	return do_kmalloc(bytes, gfp | __GFP_ZERO, NUMA_NO_NODE,
			  (unsigned long)__builtin_return_address(0));
}

/*
 * What @p is: a slab object (*slabp set), a large kmalloc (*pagep set), or
 * neither (both NULL). *mp is the machine it belongs to (NULL if none).
 */
static void classify(const void *p, struct kmm_machine **mp, struct slab **slabp,
		     struct page **pagep)
{
	struct kmm_machine *m = kmm_machine_of_host(p);
	struct page *page = m ? virt_to_page_m(m, p) : NULL;

	*mp = m;

	*slabp = NULL;
	*pagep = NULL;
	if (!page)
		return;
	if (!PageSlab(page))	/* a slab head is never asked for compound_head (mm/slub.c) */
		page = compound_head(page);
	if (PageSlab(page))
		*slabp = page_slab(page);
	else
		*pagep = page;
}

static void free_large_kmalloc(struct kmm_machine *m, struct page *page, const void *p)
{
	unsigned int order = compound_order(page);

	if (page->memcg_data != KMALLOC_LARGE_MAGIC || p != page_address(page)) {
		kmm_printk(m, "kfree: 0x%lx is not a kmalloc'ed pointer (page pfn 0x%lx); not freed",
			   (unsigned long)kmm_host_to_kva(m, p),
			   page_to_pfn_m(m, page));
		kmm_set_error(-EINVAL, "kfree: 0x%lx is not a kmalloc'ed pointer",
			      (unsigned long)kmm_host_to_kva(m, p));
		return;
	}
	page->memcg_data = 0;
	mod_node_page_state(NODE_DATA_M(m, page_to_nid(page)), NR_SLAB_UNRECLAIMABLE_B,
			    -(long)(PAGE_SIZE << order));
	__free_pages(page, order);
}

/* kfree of an object classify() has placed. */
static void kfree_classified(struct kmm_machine *m, const void *p, struct slab *slab,
			     struct page *page, unsigned long caller)
{
	if (likely(slab)) {
		slab_free(slab->slab_cache, slab, (void *)p, caller);
		return;
	}
	if (page) {
		free_large_kmalloc(m, page, p);
		return;
	}
	kmm_set_error(-EINVAL, "kfree: the pointer belongs to no machine");
}

/*
 * kfree() while someone listens on the object's machine: the event first
 * (as Linux), one bracketed operation.
 */
static __attribute__((noinline)) void kfree_traced(const void *p, unsigned long caller)
{
	struct kmm_machine *m;
	struct slab *slab;
	struct page *page;

	classify(p, &m, &slab, &page);
	if (!m) {
		kfree_classified(m, p, slab, page, caller);
		return;
	}
	kmm_op_begin(m);
	trace_obj_free(m, KMM_EV_KFREE, NULL, kaddr(m, p));
	kfree_classified(m, p, slab, page, caller);
	kmm_op_end(m);
}

/* kfree of anything but a slab object of the current machine: other machines, large kmalloc. */
static __attribute__((noinline)) void do_kfree_other(const void *p, unsigned long caller)
{
	struct kmm_machine *m;
	struct slab *slab;
	struct page *page;

	classify(p, &m, &slab, &page);
	if (m && kmm_trace_on(m, KMM_EVMASK_KFREE)) {
		kfree_traced(p, caller);
		return;
	}
	kfree_classified(m, p, slab, page, caller);
}

/* The common case inline: a slab object in the current machine's direct map. */
static inline __attribute__((always_inline)) void do_kfree(const void *p, unsigned long caller)
{
	struct kmm_machine *m = kmm_current();
	struct slab *slab;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (likely(m && (slab = virt_to_slab_fast(m, p)) != NULL)) {
		if (kmm_trace_on(m, KMM_EVMASK_KFREE)) {
			kfree_traced(p, caller);
			return;
		}
		slab_free(slab->slab_cache, slab, (void *)p, caller);
		return;
	}
	do_kfree_other(p, caller);
}

void kfree(const void *p)
{
	do_kfree(p, (unsigned long)__builtin_return_address(0));
}

/**
 * kmm_kfree_verdict() - would kfree(@p), or kmem_cache_free(@cache, @p) when
 * @cache is not NULL, free a live object of @m? Asked by callers that must
 * refuse a bad free before it happens (the kmm command), where the kernel
 * would report it after the fact.
 * @why: receives the reason when the answer is no ("" otherwise).
 * Context: any; reads the shadow and page flags without locks, so the answer
 * holds only while no other thread frees @p.
 * Return: 0 (a live object, or NULL / ZERO_SIZE_PTR, whose free does nothing
 * with kfree), -EALREADY (an object start that is free: a double free) or
 * -EINVAL (not an object of @m, or of @cache).
 */
int kmm_kfree_verdict(struct kmm_machine *m, struct kmem_cache *cache, const void *p,
		      char *why, size_t len)
{
	snprintf(why, len, "%s", "");
	if (ZERO_OR_NULL_PTR(p)) {
		if (!cache)
			return 0;
		snprintf(why, len, "%s is not an object", p ? "ZERO_SIZE_PTR" : "NULL");
		return -EINVAL;
	}
	if (!slab_state(m) || !virt_addr_valid_m(m, p)) {
		snprintf(why, len, "not in the direct map");
		return -EINVAL;
	}
	/* The direct map spans holes and maxmem='s unplugged memory: no memmap there. */
	if (!pfn_valid_m(m, (unsigned long)(kmm_host_to_phys(m, p) >> PAGE_SHIFT))) {
		snprintf(why, len, "not backed by memory (a hole, or memory not plugged in)");
		return -EINVAL;
	}
	struct slab *slab = virt_to_slab_m(m, p);
	if (slab) {
		struct kmem_cache *s = slab->slab_cache;
		char *first = slab_first_obj(s, slab);
		if (cache && s != cache) {
			snprintf(why, len, "an object of %s, not of %s", s->name, cache->name);
			return -EINVAL;
		}
		if ((const char *)p < first ||
		    (const char *)p >= first + (size_t)slab->objects * s->size ||
		    (size_t)((const char *)p - first) % s->size) {
			snprintf(why, len, "not the start of an object of %s", s->name);
			return -EINVAL;
		}
		if (!shadow_live_in(s, shadow_get(slab_state(m), m, p))) {
			snprintf(why, len, "a free object of %s (freed already, or never allocated)",
				 s->name);
			return -EALREADY;
		}
		return 0;
	}
	struct page *page = compound_head(virt_to_page(p));
	if (!cache && page->memcg_data == KMALLOC_LARGE_MAGIC && p == page_address(page) &&
	    page_ref_count(page) > 0 && !PageBuddy(page))
		return 0;
	snprintf(why, len, "%s", cache ? "not an object of a cache"
		 : "not a live kmalloc'ed object (freed already, or never allocated)");
	return -EINVAL;
}

size_t ksize(const void *p)
{
	struct kmm_machine *m;
	struct slab *slab;
	struct page *page;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	classify(p, &m, &slab, &page);
	if (slab)
		return slab_usable_size(slab->slab_cache, (void *)p);
	if (page && page->memcg_data == KMALLOC_LARGE_MAGIC)
		return PAGE_SIZE << compound_order(page);
	return 0;
}

void kfree_sensitive(const void *p)
{
	size_t n = ksize(p);

	if (n)
		memset((void *)p, 0, n);
	do_kfree(p, (unsigned long)__builtin_return_address(0));
}

void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	size_t ks;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return do_kmalloc(new_size, gfp, NUMA_NO_NODE, caller);
	if (!new_size) {
		do_kfree(p, caller);
		return ZERO_SIZE_PTR;
	}
	ks = ksize(p);
	struct slab *rs = NULL;
	struct page *rp;
	struct kmm_machine *rm;
	classify(p, &rm, &rs, &rp);
	if (rs && new_size <= rs->slab_cache->object_size && new_size <= KMALLOC_MAX_CACHE_SIZE) {
		/* In place: the object is big enough (its kmalloc red zone moves). */
		if ((gfp & __GFP_ZERO) && new_size > ks)
			memset((char *)p + ks, 0, new_size - ks);
		else if (gfp & __GFP_ZERO)
			memset((char *)p + new_size, 0, ks - new_size);
		slab_kmalloc_resize(rs->slab_cache, (void *)p, new_size);
		return (void *)p;
	}
	if (!rs && new_size <= ks) {
		if (gfp & __GFP_ZERO)
			memset((char *)p + new_size, 0, ks - new_size);
		return (void *)p;
	}
	struct kmm_machine *m, *saved = NULL;
	struct slab *slab;
	struct page *page;
	classify(p, &m, &slab, &page);
	if (m && m != kmm_current())
		saved = kmm_use(m);
	n = do_kmalloc(new_size, gfp, NUMA_NO_NODE, caller);
	if (saved)
		kmm_use(saved);
	if (!n)
		return NULL;
	memcpy(n, p, ks);
	if (gfp & __GFP_ZERO)
		memset((char *)n + ks, 0, new_size - ks);
	do_kfree(p, caller);
	return n;
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = do_kmalloc(len, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0));

	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}

char *kstrdup(const char *s, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = do_kmalloc(len, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0));
	if (p)
		memcpy(p, s, len);
	return p;
}

char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = do_kmalloc(len + 1, gfp, NUMA_NO_NODE, (unsigned long)__builtin_return_address(0));
	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

/* ---- Layer init ---- */

static const char *const kmalloc_prefix[NR_KMALLOC_TYPES] = {
	[KMALLOC_NORMAL] = "kmalloc-",
	[KMALLOC_RECLAIM] = "kmalloc-rcl-",
	[KMALLOC_DMA] = "dma-kmalloc-",
};

static int new_kmalloc_cache(struct kmm_machine *m, unsigned int idx, enum kmalloc_cache_type t)
{
	static const slab_flags_t type_flags[NR_KMALLOC_TYPES] = {
		[KMALLOC_NORMAL] = 0,
		[KMALLOC_RECLAIM] = SLAB_RECLAIM_ACCOUNT,
		[KMALLOC_DMA] = SLAB_CACHE_DMA,
	};
	unsigned int size = kmalloc_size_of_index(idx);
	char name[40];
	int err;

	if (size >= 1024)
		snprintf(name, sizeof(name), "%s%uk", kmalloc_prefix[t], size / 1024);
	else
		snprintf(name, sizeof(name), "%s%u", kmalloc_prefix[t], size);
	/* Power-of-two kmalloc objects are aligned to their size (Linux guarantees it). */
	unsigned int align = (size & (size - 1)) ? 0 : size;
	if (align > PAGE_SIZE)
		align = PAGE_SIZE;
	struct kmem_cache *s = create_cache(m, name, size, align,
					    SLAB_KMALLOC | SLAB_NO_MERGE | type_flags[t], NULL,
					    &err);
	if (!s)
		return err;
	/* Release: kmalloc_slab_missing() publishes lazy caches to running readers. */
	__atomic_store_n(&slab_state(m)->kmalloc_caches[t][idx], s, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The caches of the slab layer's own structures, made as Linux 6.12's
 * kmem_cache_init makes them: kmem_cache_node first (its structure and node
 * on the host heap, as Linux's static boot_kmem_cache_node), then kmem_cache
 * (its node already an object of kmem_cache_node), then bootstrap() moves
 * each into objects of kmem_cache - kmem_cache first - so that slabinfo
 * lists kmem_cache_node above kmem_cache, as Linux does.
 */
static int create_boot_caches(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);
	struct kmem_cache *s;
	int err;

	s = create_cache(m, "kmem_cache_node", boot_cache_size(m, true), 64, SLAB_HWCACHE_ALIGN,
			 NULL, &err);
	if (!s)
		return err;
	st->kmem_cache_node = s;
	s = create_cache(m, "kmem_cache", boot_cache_size(m, false), 0, SLAB_HWCACHE_ALIGN, NULL,
			 &err);
	if (!s)
		return err;
	st->kmem_cache = s;
	if (!(s = bootstrap(st->kmem_cache)))
		return kmm_set_error(-ENOMEM, "slab: no memory for the kmem_cache cache");
	st->kmem_cache = s;
	if (!(s = bootstrap(st->kmem_cache_node)))
		return kmm_set_error(-ENOMEM, "slab: no memory for the kmem_cache_node cache");
	st->kmem_cache_node = s;
	return 0;
}

/**
 * kmem_cache_init() - set up @m's slab layer: boot options (slab_debug=,
 * slab_freelist_hardened=, slab_freelist_random=), the kmem_cache and
 * kmem_cache_node caches, and the kmalloc caches.
 * The init of the slab entry of the subsystem table. Idempotent.
 * Context: boot, single-threaded, after the page allocator is up.
 * Return: 0, -EINVAL (bad option, message set) or -ENOMEM.
 */
int kmem_cache_init(struct kmm_machine *m)
{
	int err;

	if (slab_state(m))
		return 0;
	err = slub_init_machine(m);
	if (err)
		return kmm_set_error(err, "slab: out of host memory");
	err = parse_slab_options(m);
	if (err)
		goto out_free;
	if ((err = create_boot_caches(m)) != 0)
		goto out_free;
	for (int t = 0; t < NR_KMALLOC_TYPES; t++) {
		if (t == KMALLOC_DMA && !(m->zone_types_mask & (1u << ZONE_DMA)))
			continue;
		if (t != KMALLOC_NORMAL && slab_state(m)->kmalloc_lazy)
			continue;	/* made on first use (kmalloc_slab_missing) */
		bool no_8 = kmalloc_no_8(slab_state(m));

		for (unsigned int i = KMALLOC_SHIFT_LOW + no_8; i <= KMALLOC_SHIFT_HIGH; i++) {
			if ((err = new_kmalloc_cache(m, i, (enum kmalloc_cache_type)t)) != 0)
				goto out_free;
			if (no_8 && i == KMALLOC_SHIFT_LOW + 1)
				slab_state(m)->kmalloc_caches[t][KMALLOC_SHIFT_LOW] =
					slab_state(m)->kmalloc_caches[t][i];
			if (i == 6 && (err = new_kmalloc_cache(m, 1, (enum kmalloc_cache_type)t)))
				goto out_free;
			if (i == 7 && (err = new_kmalloc_cache(m, 2, (enum kmalloc_cache_type)t)))
				goto out_free;
		}
	}
	return 0;
out_free:
	slub_shutdown_machine(m);
	return err;
}

/* The slab layer's entry of the subsystem table; its state is slab_state(m). */
const struct kmm_subsys slab_subsys = {
	.name = "slab",
	.id = SUBSYS_SLAB,
	.boot_options = slab_boot_options,
	.init = kmem_cache_init,
	.check = slub_check,
	.drain = kmm_slab_drain,
	.shutdown = slub_shutdown_machine,
};
