// SPDX-License-Identifier: MIT
/*
 * mm/slub_layout.c - a cache's layout: where the free pointer, the red zones
 * and the tracks go in an object, the object's size, the slab's order and
 * object count, and the per-node and per-CPU partial limits.
 *
 * Linux counterpart: mm/slub.c (6.12) calculate_sizes(), calculate_order(),
 * calc_slab_order(), set_min_partial(), set_cpu_partial(). Kept: the order
 * search (the smallest order between min_objects' and slab_max_order= that
 * wastes at most 1/16, 1/8, ... of the slab), the free pointer in the middle
 * of the object unless RCU, poison or a constructor need the object whole,
 * min_partial = ilog2(size) / 2 clamped to 5..10, 6.12's cpu_partial table.
 * Added: slab colouring (colour_off, colour) and the reciprocal and
 * division magic the object-index computations use.
 *
 * __kmem_cache_create() sets a new cache up with them: the layout, the
 * limits, the CPU and node structures, the hardening key and the shuffle.
 * On a cache nobody else sees yet. Locking: none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/slab.h"

static unsigned int get_order_size(unsigned long size)
{
	unsigned int order = 0;
	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)(PAGE_SIZE << order);
		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/*
 * Linux's calculate_order(): min objects 4 * (fls(nr_cpus) + 1), at most
 * @max_order (the machine's slab_max_order=, 3 unless its command line says
 * otherwise). A slab above @max_order only where one object needs it.
 */
static int calculate_order(unsigned int size, int nr_cpus, unsigned int max_order)
{
	unsigned int min_objects = 4 * (unsigned int)(fls_ul((unsigned long)nr_cpus) + 1);
	unsigned int max_objects = order_objects(max_order, size);
	unsigned int min_order, order;

	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order_size((unsigned long)min_objects * size);
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return (int)get_order_size((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;
	for (unsigned int fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, max_order, fraction);
		if (order <= max_order)
			return (int)order;
	}
	order = get_order_size(size);
	if (order <= MAX_PAGE_ORDER)
		return (int)order;
	return -ENOSYS;
}

int calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN_UP(s->object_size, (unsigned int)sizeof(void *));
	unsigned int granule = 1u << slab_state(s->machine)->shadow_shift;
	int order;

	/*
	 * Every object starts a shadow granule (its own byte): at least the
	 * granule's alignment (16 with slab_shadow_granule=16, as an
	 * ARCH_SLAB_MINALIGN of 16), so the size, the left red zone and the
	 * colour steps below are multiples of it too.
	 */
	if (s->align < granule)
		s->align = granule;

	/* Red zone after the object: at least one word when it ends on a word. */
	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || s->ctor) {
		/* The free pointer may not overlay the object: put it after. */
		s->offset = size;
		size += sizeof(void *);
	} else if (slab_state(s->machine)->freeptr_start) {
		/*
		 * slab_freeptr=start: the object's first word, in the line its
		 * user touches first (the malloc shim's machine). A free then
		 * writes its link there and an allocation reads it there, not
		 * in a middle line the program may never touch: small_churn's
		 * frees missed the L2 on that write 0.24 times each (cachegrind).
		 */
		s->offset = 0;
	} else {
		/* In the middle of the object, as Linux does (a small overflow misses it). */
		s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
	}
	if (flags & SLAB_STORE_USER) {
		size += 2 * sizeof(struct track);
		if (flags & SLAB_KMALLOC)
			size += sizeof(unsigned int);	/* orig_size */
	}
	s->red_left_pad = 0;
	if (flags & SLAB_RED_ZONE) {
		size += sizeof(void *);
		s->red_left_pad = ALIGN_UP((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	size = ALIGN_UP(size, s->align);
	s->size = size;
	s->reciprocal = (((unsigned __int128)1 << 64) + size - 1) / size;
	s->div_magic = UINT64_MAX / size + 1;

	order = calculate_order(size, s->machine->nr_cpus, s->machine->opts.slub_max_order);
	if (order < 0)
		return -E2BIG;
	s->order = (unsigned int)order;
	s->objects = order_objects(s->order, size);
	s->min_order = get_order_size(size);
	s->min_objects = order_objects(s->min_order, size);
	if (s->objects > MAX_OBJS_PER_PAGE || !s->objects)
		return -E2BIG;

	s->allocflags = 0;
	if (s->order)
		s->allocflags |= __GFP_COMP;
	if (flags & SLAB_CACHE_DMA)
		s->allocflags |= __GFP_DMA;
	if (flags & SLAB_CACHE_DMA32)
		s->allocflags |= __GFP_DMA32;
	if (flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;

	/* Colouring, as the classic SLAB: colour_off is a cache line, at least align. */
	s->colour_off = s->align > 64 ? s->align : 64;
	s->colour = (unsigned int)(((PAGE_SIZE << s->order) - (size_t)s->objects * s->size) /
				   s->colour_off);
	return 0;
}

void set_min_partial(struct kmem_cache *s)
{
	unsigned long min = (unsigned long)ilog2_ul(s->size) / 2;
	s->min_partial = KMM_CLAMP(min, 5UL, 10UL);
}

void kmem_cache_set_min_partial(struct kmem_cache *s, unsigned long min)
{
	s->min_partial = min;
}

void kmem_cache_keep_empty(struct kmem_cache *s)
{
	s->keep_empty = true;
}

/*
 * Linux 6.12's set_cpu_partial(): how many objects a CPU's partial list
 * aims at by object size (none for debug caches), and the slab limit
 * assuming half-full slabs (slub_set_cpu_partial).
 */
void set_cpu_partial(struct kmem_cache *s)
{
	unsigned int nr_objects;

	if (kmem_cache_debug(s))
		nr_objects = 0;
	else if (s->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (s->size >= 1024)
		nr_objects = 24;
	else if (s->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	s->cpu_partial = nr_objects;
	s->cpu_partial_slabs = (nr_objects * 2 + s->objects - 1) / s->objects;
}

/*
 * How many freed objects a CPU's sheaf of @s holds: two pages' worth, at
 * least 4 and at most SLAB_SHEAF_MAX (64 for objects up to 128 bytes, 32 of
 * 256, 16 of 512, 8 of 1 KiB, 4 of 2 KiB or more). A sheaf's objects stay
 * out of their slabs until it fills or is flushed: at 32 for every size, a
 * free-heavy CPU kept up to 256 KiB of kmalloc-8k and about 580 KiB over the
 * malloc shim's classes. Four pages' worth (with SLAB_SHEAF_MAX 64) took
 * small_churn 4.7 M instructions fewer of 441 M (callgrind) but raised the
 * two-thread workloads' peak RSS 2-8% (small_churn 1000000 20000 2: 8452 ->
 * 8640 KB); two pages' worth keeps the peak of the old 32 (session
 * 15). (glibc's tcache keeps 7 chunks per size, and none above
 * 1032 bytes.)
 */
static unsigned int sheaf_capacity_for(const struct kmem_cache *s)
{
	unsigned int n = (unsigned int)(2 * PAGE_SIZE / s->size);

	return n > SLAB_SHEAF_MAX ? SLAB_SHEAF_MAX : n < 4 ? 4 : n;
}

/*
 * A CPU's kmem_cache_cpu of a cache, set up when the CPU is populated
 * (pcpu_alloc()'s constructor): @sheaves is the cache's per-CPU sheaf
 * allocation, NULL without sheaves.
 */
static void init_cpu_slab(void *sheaves, void *ptr, int cpu)
{
	struct kmem_cache_cpu *c = ptr;

	INIT_LIST_HEAD(&c->partial);
	c->sheaf = sheaves ? per_cpu_ptr((void **)sheaves, cpu) : NULL;
}

/*
 * The CPUs' kmem_cache_cpu of @s and, with sheaves, their sheaves: two
 * allocations of the machine's per-CPU area (mm/include/percpu.h), each
 * CPU's copy in that CPU's unit. Linux's alloc_kmem_cache_cpus() is one
 * alloc_percpu() too. Every cache's kmem_cache_cpu for a CPU shares that
 * CPU's pages (their constructor runs on all of them when the CPU is
 * populated); the sheaves lie apart, so a sheaf's page is touched by its
 * first use only (each CPU's sheaf is its own piece: two CPUs' never share
 * a line). A CPU slot no thread takes never touches its unit: the malloc
 * shim's slots cost address space, not memory (at boot the arrays of
 * every cache used to be made and initialised for every slot, from the
 * host's heap: 64 bytes per slot per cache).
 */
static int alloc_cpu_slabs(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;
	void **sheaves = NULL;

	if (s->sheaf_capacity) {
		sheaves = pcpu_alloc(m, sizeof(void *) * sheaf_stride(s), NULL, NULL);
		if (!sheaves)
			return -ENOMEM;
	}
	s->cpu_slab = pcpu_alloc(m, sizeof(struct kmem_cache_cpu), init_cpu_slab, sheaves);
	if (!s->cpu_slab) {
		pcpu_free(m, sheaves);
		return -ENOMEM;
	}
	return 0;
}

/* free_cpu_slabs(): mm/slab.h */
void free_cpu_slabs(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;
	void **sheaves = s->sheaf_capacity ? sheaf_home(s, 0) : NULL;

	pcpu_free(m, s->cpu_slab);
	pcpu_free(m, sheaves);
	s->cpu_slab = NULL;
}

int __kmem_cache_create(struct kmem_cache *s)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	int err = calculate_sizes(s);

	if (err)
		return err;
	set_min_partial(s);
	s->shadow_shift = (unsigned char)st->shadow_shift;
	s->shadow_mask = (unsigned char)st->shadow_mask;
	s->shadow_bias = st->shadow_bias;
	s->shadow_alloc = SHADOW_ALLOCATED;	/* until kmem_cache_shadow_code() */
	/* Debug caches free one object at a time under list_lock: no sheaf for them. */
	s->sheaf_capacity = st->sheaves && !(s->flags & SLAB_DEBUG_FLAGS) ? sheaf_capacity_for(s) : 0;
	err = alloc_cpu_slabs(s);
	if (err)
		return err;
	set_cpu_partial(s);
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		memset(n, 0, sizeof(*n));
		spin_lock_init(&n->list_lock);
		INIT_LIST_HEAD(&n->partial);
		INIT_LIST_HEAD(&n->full);
		INIT_LIST_HEAD(&n->empty);
	}
	if (st->hardened) {
		s->random = slab_rng_next(st) | 1;
		s->swab_mask = ~0UL;
	}
	s->slowpath_flags = (s->flags & SLAB_DEBUG_FLAGS) | (st->hardened ? SLAB_FAST_HARDENED : 0);
	if (st->randomize && s->objects > 1) {
		s->random_seq = malloc(sizeof(unsigned int) * s->objects);
		if (!s->random_seq) {
			free_cpu_slabs(s);
			return -ENOMEM;
		}
		for (unsigned int i = 0; i < s->objects; i++)
			s->random_seq[i] = i;
		for (unsigned int i = s->objects - 1; i > 0; i--) {
			unsigned int j = (unsigned int)(slab_rng_next(st) % (i + 1));
			unsigned int t = s->random_seq[i];
			s->random_seq[i] = s->random_seq[j];
			s->random_seq[j] = t;
		}
	}
	/*
	 * A cache with sheaves whose fast paths run (no slowpath_flags) takes a
	 * shadow code while one is free: kmem_cache_free() and kfree() then
	 * know an object of it from its shadow byte, without its struct page
	 * (mm/slub_free.c). Not a boot cache (bootstrap() moves its structure,
	 * and st->shadow_coded[] would keep the old one); -ENOSPC leaves @s
	 * plain, as before codes.
	 */
	if (s->sheaf_capacity && !s->slowpath_flags && !s->host_struct)
		(void)kmem_cache_shadow_code(s);
	return 0;
}
