// SPDX-License-Identifier: MIT
/*
 * mm/slub_debug.c - the slab allocator's debugging half: slab_debug=FZPU
 * reports, red zone and poison checks, call-site tracks, a debug cache's
 * allocation checks, bad-free reports, freelist repair, the per-cache counts
 * and picture, and the invariant checker.
 *
 * Linux counterpart: the CONFIG_SLUB_DEBUG parts of mm/slub.c (6.12)
 * (slab_bug, object_err, print_trailer, check_bytes_and_report,
 * check_object, slab_pad_check, set_track) and mm/slub.c's validate code.
 * Kept: Linux's report format and byte values. Added: the freelist rebuild
 * from the shadow (Linux only stops following a corrupt chain) and the
 * drawing of full/partial/empty slabs and per-CPU contents, and the proof
 * that every full slab on no list is accounted for (a walk of the frames:
 * Linux loses sight of such slabs, kmm counts them).
 *
 * Split from mm/slub.c to keep both under STYLE.md's 1,500 lines; the
 * helpers both halves use live in mm/slab.h's private section.
 *
 * Invariant: see mm/slab.h; slub_check() verifies it.
 *
 * Locking: reports run under whatever lock the caller holds (c->lock,
 * n->list_lock or the slab lock) and take only log_lock. slab_count(),
 * slab_draw() and slub_check() take c->lock -> n->list_lock -> slab_lock in
 * the allocator's order; where they read every CPU's slab they hold all the
 * slots at once (kmm_cpu_lock_all: one process-wide barrier, not one per CPU).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/slab.h"

/* ---- Reports (Linux's slab_bug / object_err / slab_fix formats) ---- */

static const char *taint_str(struct slab_machine *st)
{
	return atomic_load(&st->tainted) ? "Tainted: B" : "Not tainted";
}

void slab_bug(struct kmem_cache *s, const char *fmt, ...)
{
	struct kmm_machine *m = s->machine;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_printk(m, "=============================================================================");
	kmm_printk(m, "BUG %s (%s): %s", s->name, taint_str(slab_state(m)), msg);
	kmm_printk(m, "-----------------------------------------------------------------------------");
	kmm_printk(m, " ");
	atomic_store(&slab_state(m)->tainted, 1);
	atomic_fetch_add(&s->errors, 1);
}

void slab_fix(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_printk(s->machine, "FIX %s: %s", s->name, msg);
}

/* A call site as "symbol+0xoff" or "module+0xoff" (stable across runs). */
void format_caller(unsigned long addr, char *buf, size_t len)
{
	Dl_info info;

	if (!addr) {
		snprintf(buf, len, "0x0");
		return;
	}
	if (dladdr((void *)addr, &info)) {
		if (info.dli_sname && info.dli_saddr) {
			snprintf(buf, len, "%s+0x%lx", info.dli_sname,
				 addr - (unsigned long)info.dli_saddr);
			return;
		}
		if (info.dli_fname) {
			const char *base = strrchr(info.dli_fname, '/');
			snprintf(buf, len, "%s+0x%lx", base ? base + 1 : info.dli_fname,
				 addr - (unsigned long)info.dli_fbase);
			return;
		}
	}
	snprintf(buf, len, "0x%lx", addr);
}
void set_track(struct kmem_cache *s, void *obj, enum track_item i, unsigned long addr)
{
	struct kmm_machine *m = s->machine;
	struct track *t = get_track(s, obj, i);

	t->addr = addr;
	t->cpu = kmm_this_cpu(m);
	t->pid = 0;
	t->when = (unsigned long)(kmm_clock_ns(m) / 1000000);
}

/* A new object has no history: empty tracks, which reports leave out. */
void init_tracking(struct kmem_cache *s, void *obj)
{
	if (!(s->flags & SLAB_STORE_USER))
		return;
	memset(get_track(s, obj, TRACK_ALLOC), 0, sizeof(struct track));
	memset(get_track(s, obj, TRACK_FREE), 0, sizeof(struct track));
}

static void print_track(struct kmem_cache *s, const char *what, struct track *t)
{
	char sym[160];
	unsigned long now = (unsigned long)(kmm_clock_ns(s->machine) / 1000000);

	if (!t->addr)
		return;
	format_caller(t->addr, sym, sizeof(sym));
	kmm_printk(s->machine, "%s in %s age=%lu cpu=%d pid=%d", what, sym, now - t->when, t->cpu,
		   t->pid);
}

/*
 * What a report shows for a free pointer: the simulated kernel address of a
 * pointer into RAM (or 0), never a host address; anything else (a pointer
 * corrupted by a stray write) as the value itself.
 */
static unsigned long shown_ptr(struct kmm_machine *m, const void *p)
{
	if (!p)
		return 0;
	return virt_addr_valid_m(m, p) ? kaddr(m, p) : (unsigned long)(uintptr_t)p;
}

/*
 * The free pointer stored at @slot as the simulated machine holds it: a
 * pointer into RAM (or NULL) as its simulated address; anything else (a stray
 * write) decoded against the slot's simulated address, so that it reads the
 * same on every run. @word: the stored word, encoded the same way.
 */
static unsigned long shown_fp(struct kmem_cache *s, const unsigned char *slot, unsigned long *word)
{
	struct kmm_machine *m = s->machine;
	unsigned long stored, mix = __builtin_bswap64(kaddr(m, slot)) & s->swab_mask;

	memcpy(&stored, slot, sizeof(stored));
	void *fp = freeptr_decode(s, stored, (unsigned long)slot);
	if (!fp || virt_addr_valid_m(m, fp)) {
		unsigned long sim = shown_ptr(m, fp);
		if (word)
			*word = sim ^ s->random ^ mix;
		return sim;
	}
	if (word)
		*word = stored;
	return stored ^ s->random ^ mix;
}

/*
 * Hex dump of [p, p+len) of @slab. The free-pointer slots in the range hold
 * host addresses; they are shown as shown_slot_word() has them.
 */
static void print_section(struct kmem_cache *s, struct slab *slab, const char *text,
			  const unsigned char *p, unsigned int len)
{
	const unsigned char *first = (const unsigned char *)slab_first_obj(s, slab);
	const unsigned char *fp0 = first + s->offset;

	for (unsigned int i = 0; i < len; i += 16) {
		char hex[16 * 3 + 1], ascii[17];
		unsigned char row[16];
		unsigned int n = len - i < 16 ? len - i : 16, h = 0;
		const unsigned char *a = p + i;

		memcpy(row, a, n);
		/* Objects whose free-pointer slot overlaps this row. */
		long lo = ((long)(a - fp0) - 7) / (long)s->size - 1;
		long hi = ((long)(a + n - fp0)) / (long)s->size + 1;
		for (long k = lo < 0 ? 0 : lo; k <= hi && k < (long)slab->objects; k++) {
			const unsigned char *slot = fp0 + (size_t)k * s->size;
			if (slot + sizeof(unsigned long) <= a || slot >= a + n)
				continue;
			unsigned long w;
			shown_fp(s, slot, &w);
			for (unsigned int b = 0; b < sizeof(w); b++) {
				const unsigned char *q = slot + b;
				if (q >= a && q < a + n)
					row[q - a] = (unsigned char)(w >> (8 * b));
			}
		}
		for (unsigned int j = 0; j < n; j++) {
			h += (unsigned int)snprintf(hex + h, sizeof(hex) - h, "%s%02x", j ? " " : "",
						    row[j]);
			ascii[j] = (row[j] >= 0x20 && row[j] < 0x7f) ? (char)row[j] : '.';
		}
		ascii[n] = 0;
		kmm_printk(s->machine, "%s%016lx: %-47s  %s", text, kaddr(s->machine, a), hex,
			   ascii);
	}
}

void print_slab_info(struct kmem_cache *s, const struct slab *slab)
{
	struct kmm_machine *m = s->machine;
	kmm_printk(m, "Slab 0x%016lx objects=%u used=%u fp=0x%016lx flags=0x%lx(slab%s)",
		   kaddr(m, slab_addr_m(m, slab)), slab->objects, slab->inuse,
		   shown_ptr(m, READ_ONCE(slab->freelist)), slab->flags & PG_FLAGS_MASK,
		   PageHead(slab_page(slab)) ? "|head" : "");
}

void print_trailer(struct kmem_cache *s, struct slab *slab, unsigned char *p)
{
	struct kmm_machine *m = s->machine;
	unsigned char *addr = (unsigned char *)slab_addr_m(m, slab);

	if (s->flags & SLAB_STORE_USER) {
		print_track(s, "Allocated", get_track(s, p, TRACK_ALLOC));
		print_track(s, "Freed", get_track(s, p, TRACK_FREE));
	}
	print_slab_info(s, slab);
	kmm_printk(m, "Object 0x%016lx @offset=%lu fp=0x%016lx", kaddr(m, p),
		   (unsigned long)(p - addr),
		   (s->offset >= s->inuse || (s->flags & SLAB_POISON)) ?
			   shown_fp(s, p + s->offset, NULL) : 0UL);
	kmm_printk(m, " ");
	if (s->flags & SLAB_RED_ZONE)
		print_section(s, slab, "Redzone  ", p - s->red_left_pad, s->red_left_pad);
	else if (p >= addr + 16)
		print_section(s, slab, "Bytes b4 ", p - 16, 16);
	print_section(s, slab, "Object   ", p, s->object_size < PAGE_SIZE ? s->object_size : PAGE_SIZE);
	if (s->flags & SLAB_RED_ZONE)
		print_section(s, slab, "Redzone  ", p + s->object_size, s->inuse - s->object_size);
	unsigned int off = meta_end(s), end = s->size - s->red_left_pad;
	if (off < end)
		print_section(s, slab, "Padding  ", p + off, end - off);
}

void object_err(struct kmem_cache *s, struct slab *slab, void *obj, const char *reason)
{
	slab_bug(s, "%s", reason);
	print_trailer(s, slab, obj);
}

/* Check that [start, start+bytes) holds @value; report and restore if not. */
static bool check_bytes_and_report(struct kmem_cache *s, struct slab *slab, unsigned char *obj,
				   const char *what, unsigned char *start, unsigned char value,
				   unsigned int bytes)
{
	struct kmm_machine *m = s->machine;
	unsigned char *fault = NULL, *end;

	for (unsigned int i = 0; i < bytes; i++) {
		if (start[i] != value) {
			fault = start + i;
			break;
		}
	}
	if (!fault)
		return true;
	end = start + bytes;
	while (end > fault && end[-1] == value)
		end--;
	slab_bug(s, "%s overwritten", what);
	kmm_printk(m, "0x%016lx-0x%016lx @offset=%lu. First byte 0x%x instead of 0x%x",
		   kaddr(m, fault), kaddr(m, end - 1),
		   (unsigned long)(fault - (unsigned char *)slab_addr_m(m, slab)), fault[0], value);
	print_trailer(s, slab, obj);
	slab_fix(s, "Restoring %s 0x%016lx-0x%016lx=0x%x", what, kaddr(m, fault), kaddr(m, end - 1),
		 value);
	memset(fault, value, (size_t)(end - fault));
	return false;
}

/* ---- Debug: object initialisation and checks (slab_debug=ZP) ---- */

void init_object(struct kmem_cache *s, void *object, unsigned char val)
{
	unsigned char *p = object;
	unsigned int poison_size = s->object_size;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		/* kmalloc: the bytes past the requested size are red zone too. */
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE)
			poison_size = get_orig_size(s, object);
	}
	if (object_poison(s) && poison_size) {
		memset(p, POISON_FREE, poison_size - 1);
		p[poison_size - 1] = POISON_END;
	}
	if (s->flags & SLAB_RED_ZONE)
		memset(p + poison_size, val, s->inuse - poison_size);
}

bool check_object(struct kmem_cache *s, struct slab *slab, void *object, unsigned char val)
{
	unsigned char *p = object;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes_and_report(s, slab, p, "Left Redzone", p - s->red_left_pad, val,
					     s->red_left_pad);
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE) {
			unsigned int orig = get_orig_size(s, object);
			if (orig < s->object_size)
				ok &= check_bytes_and_report(s, slab, p, "kmalloc Redzone", p + orig,
							     val, s->object_size - orig);
		}
		ok &= check_bytes_and_report(s, slab, p, "Right Redzone", p + s->object_size, val,
					     s->inuse - s->object_size);
	} else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
		ok &= check_bytes_and_report(s, slab, p, "Alignment padding", p + s->object_size,
					     POISON_INUSE, s->inuse - s->object_size);
	}
	if (s->flags & SLAB_POISON) {
		if (val != SLUB_RED_ACTIVE && object_poison(s)) {
			ok &= check_bytes_and_report(s, slab, p, "Poison", p, POISON_FREE,
						     s->object_size - 1);
			ok &= check_bytes_and_report(s, slab, p, "End Poison",
						     p + s->object_size - 1, POISON_END, 1);
		}
		unsigned int off = meta_end(s), end = s->size - s->red_left_pad;
		if (off < end)
			ok &= check_bytes_and_report(s, slab, p, "Object padding", p + off,
						     POISON_INUSE, end - off);
	}
	return ok;
}

/* Bytes after the last object (and before the first, the colour) hold 0x5a. */
void slab_pad_check(struct kmem_cache *s, struct slab *slab)
{
	struct kmm_machine *m = s->machine;
	unsigned char *start = (unsigned char *)slab_addr_m(m, slab);
	size_t length = PAGE_SIZE << slab_order(slab);
	unsigned char *tail = (unsigned char *)slab_first_obj(s, slab) - s->red_left_pad +
			      (size_t)slab->objects * s->size;

	if (!(s->flags & SLAB_POISON))
		return;
	for (unsigned char *p = tail; p < start + length; p++) {
		if (*p != POISON_INUSE) {
			slab_bug(s, "Padding overwritten. 0x%016lx-0x%016lx @offset=%lu",
				 kaddr(m, p), kaddr(m, start + length - 1),
				 (unsigned long)(p - start));
			print_slab_info(s, slab);
			memset(p, POISON_INUSE, (size_t)(start + length - p));
			slab_fix(s, "Restoring slab padding");
			return;
		}
	}
}


/* ---- Debug caches' allocations, and frees that fail the shadow test ---- */

/* slab_debug=FZPU on an object just allocated from @slab (list_lock held). */
void alloc_debug_processing(struct kmem_cache *s, struct slab *slab, void *obj,
				   unsigned long caller, size_t orig_size)
{
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		check_object(s, slab, obj, SLUB_RED_INACTIVE);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, obj, TRACK_ALLOC, caller);
	if (s->flags & SLAB_TRACE)
		kmm_printk(s->machine, "TRACE %s alloc 0x%016lx inuse=%d fp=0x%016lx", s->name,
			   kaddr(s->machine, obj), slab->inuse, kaddr(s->machine, READ_ONCE(slab->freelist)));
	if (slub_debug_orig_size(s))
		*orig_size_slot(s, obj) = (unsigned int)orig_size;
	init_object(s, obj, SLUB_RED_ACTIVE);
}

/* Why @obj cannot be freed into @slab of @s, reported as Linux would. */
static void report_bad_free(struct kmem_cache *s, struct slab *slab, void *obj, const char *why)
{
	struct kmm_machine *m = s->machine;

	if (!strcmp(why, "Object already free")) {
		object_err(s, slab, obj, why);
	} else {
		slab_bug(s, "%s 0x%016lx", why, kaddr(m, obj));
		unsigned int idx = obj_to_index(s, slab, obj);
		char *start = index_to_obj(s, slab, idx < slab->objects ? idx : 0);
		kmm_printk(m, "Object 0x%016lx @offset=%lu is %lu bytes into object 0x%016lx of size %u",
			   kaddr(m, obj), (unsigned long)((char *)obj - slab_addr_m(m, slab)),
			   (unsigned long)((char *)obj - start), kaddr(m, start), s->object_size);
		print_slab_info(s, slab);
	}
	slab_fix(s, "Object at 0x%016lx not freed", kaddr(m, obj));
}

/*
 * Is @obj a currently allocated object start of @slab? One shadow byte says
 * yes for valid frees; only a failing free pays for the index arithmetic
 * that tells a double free from an interior pointer.
 */
bool free_check(struct kmem_cache *s, struct slab *slab, void *obj)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);

	if (likely(!shadow_misaligned(s, obj) && shadow_live_in(s, shadow_get(st, m, obj))))
		return true;
	char *first = slab_first_obj(s, slab);
	if ((char *)obj < first || (char *)obj >= first + (size_t)slab->objects * s->size)
		report_bad_free(s, slab, obj, "Invalid object pointer");
	else if ((unsigned long)obj_to_index(s, slab, obj) * s->size !=
		 (unsigned long)((char *)obj - first))
		report_bad_free(s, slab, obj, "Invalid object pointer (not an object start)");
	else
		report_bad_free(s, slab, obj, "Object already free");
	return false;
}

/* Cold, out of line: the free paths of mm/slub.c call it on a failed claim. */
__attribute__((noinline, cold)) void slab_free_bad(struct kmem_cache *s, struct slab *slab, void *obj)
{
	slab_lock(slab);
	free_check(s, slab, obj);
	slab_unlock(slab);
}

/* Cold, out of line: kmem_cache_free()'s fast path calls it on a bad pointer. */
__attribute__((noinline, cold)) void cache_free_bad(struct kmem_cache *s, void *obj, struct slab *slab)
{
	struct kmm_machine *m = s->machine;

	if (!slab) {
		kmm_printk(m, "kmem_cache_free: Object 0x%lx is not a Slab page! (cache %s)",
			   (unsigned long)kmm_host_to_kva(m, obj),
			   s->name);
		kmm_set_error(-EINVAL, "kmem_cache_free(%s): 0x%lx is not a slab object", s->name,
			      (unsigned long)kmm_host_to_kva(m, obj));
		return;
	}
	kmm_printk(m, "cache_from_obj: Wrong slab cache. %s but object is from %s", s->name,
		   slab->slab_cache->name);
	kmm_set_error(-EINVAL, "kmem_cache_free(%s): the object is from %s", s->name,
		      slab->slab_cache->name);
}

/* ---- Freelist corruption: rebuild from the shadow ---- */

/*
 * A free pointer decoded to something that is not an object of this slab:
 * report it (Linux's "Freepointer corrupt") and rebuild the slab's free
 * chain from the shadow bytes, so no corrupt pointer is ever followed and no
 * object is lost. The chain takes every object start not allocated: never
 * allocated since the slab was made (0), given back from a sheaf (FLUSHED)
 * and, in a cache without sheaves, freed (FREE); in a cache with sheaves a
 * FREE object sits in a CPU's sheaf, counted in use, and stays there (on
 * the chain too, it would be handed out twice). Caller holds the slab lock
 * (and c->lock for a cpu slab).
 * Return: the number of free objects now on slab->freelist.
 */
unsigned int freelist_repair(struct kmem_cache *s, struct slab *slab, void *obj, void *bad)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	void *head = NULL;
	unsigned int nfree = 0;

	slab_bug(s, "Freepointer corrupt");
	kmm_printk(m, "Object 0x%016lx @offset=%lu: free pointer 0x%016lx is not an object of this slab",
		   kaddr(m, obj), (unsigned long)((char *)obj - slab_addr_m(m, slab)),
		   shown_fp(s, (unsigned char *)obj + s->offset, NULL));
	(void)bad;
	print_trailer(s, slab, obj);
	for (unsigned int i = slab->objects; i-- > 0;) {
		void *p = index_to_obj(s, slab, i);
		unsigned char v = shadow_get(st, m, p);
		if (shadow_live_in(s, v) || (v == SHADOW_FREE && s->sheaf_capacity))
			continue;
		set_freepointer(s, p, head);
		head = p;
		nfree++;
	}
	WRITE_ONCE(slab->freelist, head);
	slab_set_fresh(slab, slab->objects);	/* its untouched objects (shadow 0) are on it now */
	slab_fix(s, "Rebuilt the freelist of slab 0x%016lx from the shadow (%u free objects)",
		 kaddr(m, slab_addr_m(m, slab)), nfree);
	return nfree;
}

/*
 * An object left a CPU's sheaf with its link (the free pointer word, see
 * sheaf_link()) overwritten: written after it was freed. Nothing of the
 * allocator's is lost (the sheaf itself holds the object), so the report is
 * all there is to do.
 */
void sheaf_bad_link(struct kmem_cache *s, void *obj)
{
	struct kmm_machine *m = s->machine;

	slab_bug(s, "Freepointer corrupt");
	kmm_printk(m, "Object 0x%016lx: the free pointer of a freed object in a CPU's sheaf was "
		   "overwritten (written after free)", kaddr(m, obj));
	slab_fix(s, "Object 0x%016lx left the sheaf as it is", kaddr(m, obj));
}

/*
 * A CPU's sheaf held an object whose shadow byte no longer says FREE (@v):
 * two frees of it raced on two CPUs and both pushed it (mm/slab.h), and the
 * other copy has since been handed out (@v allocated) or given back to its
 * slab (FLUSHED). Caught as it leaves this sheaf, handed out or given back;
 * the caller drops this copy: nothing was counted for it.
 */
__attribute__((noinline, cold)) void sheaf_double_free(struct kmem_cache *s, void *obj,
						       unsigned char v)
{
	struct kmm_machine *m = s->machine;

	slab_bug(s, "double free detected 0x%016lx", kaddr(m, obj));
	kmm_printk(m, "Object 0x%016lx was freed twice at once on two CPUs: a second copy left a "
		   "CPU's sheaf after the first was %s", kaddr(m, obj),
		   kmm_slab_shadow_live(v) ? "handed out again" :
		   v == SHADOW_FLUSHED ? "given back to its slab" : "gone");
	slab_fix(s, "Dropped the second copy of object 0x%016lx", kaddr(m, obj));
}

/* List the objects still allocated in @slab (Linux's list_slab_objects). */
void list_slab_objects(struct kmem_cache *s, struct slab *slab)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	char *addr = slab_addr_m(m, slab);

	slab_bug(s, "Objects remaining in %s on __kmem_cache_shutdown()", s->name);
	print_slab_info(s, slab);
	for (unsigned int i = 0; i < slab->objects; i++) {
		char *p = index_to_obj(s, slab, i);
		if (!shadow_live_in(s, shadow_get(st, m, p)))
			continue;
		kmm_printk(m, "Object 0x%016lx @offset=%lu", kaddr(m, p), (unsigned long)(p - addr));
		if (s->flags & SLAB_STORE_USER)
			print_track(s, "Allocated", get_track(s, p, TRACK_ALLOC));
	}
}


/* ---- Counting and drawing ---- */

/* ---- Full slabs on no list ---- */

unsigned long slab_full_off(struct kmem_cache *s, int nid)
{
	struct kmm_machine *m = s->machine;
	struct kmem_cache_node *n = get_node(s, nid);
	unsigned long on_cpus = 0;

	lockdep_assert_held(&n->list_lock);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero */
		struct list_head *pos;

		if (c->slab && slab_nid(c->slab) == nid)
			on_cpus++;
		list_for_each(pos, &c->partial)
			if (slab_nid(list_entry(pos, struct slab, slab_list)) == nid)
				on_cpus++;
	}
	return n->nr_slabs - n->nr_partial - n->nr_full - on_cpus;
}

int for_each_full_off_slab(struct kmm_machine *m, int (*fn)(struct slab *slab, void *arg),
			   void *arg)
{
	unsigned long pfn = 0;

	while (pfn < m->max_low_pfn) {
		/* a chunk at a time: a block may have reserved chunks left untouched */
		unsigned long stop = KMM_MIN(m->max_low_pfn, ALIGN_DOWN(pfn, MEMMAP_CHUNK_PAGES) +
							     MEMMAP_CHUNK_PAGES);

		/* A chunk whose struct pages are not initialised holds no slab. */
		if (m->section_state && pfn_init_state(m, pfn) != SECTION_ONLINE) {
			pfn = stop;
			continue;
		}
		for (; pfn < stop; pfn++) {
			struct page *page = pfn_to_page_m(m, pfn);
			int ret;

			/* acquire: a slab new_slab() is building meanwhile is seen whole */
			if (!page_has_type_acquire(page, PGTY_slab) ||
			    slab_list_id(page_slab(page)) != SLAB_LIST_FULL_OFF)
				continue;
			if ((ret = fn(page_slab(page), arg)) != 0)
				return ret;
		}
	}
	return 0;
}

/* ---- Counting and drawing ---- */

void slab_count(struct kmem_cache *s, struct slab_counts *out)
{
	struct kmm_machine *m = s->machine;

	memset(out, 0, sizeof(*out));
	/*
	 * Every slot at once (one process-wide barrier, not one per CPU), held
	 * across the nodes too: the full slabs on no list are what the node's
	 * lists and the CPUs do not hold (slab_full_off()).
	 */
	kmm_cpu_lock_all(m);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero */
		struct list_head *pos;
		if (c->slab) {
			out->nr_cpu++;
			out->cpu_free += c->nr_free;
			slab_lock(c->slab);
			out->cpu_free += c->slab->objects - c->slab->inuse;
			slab_unlock(c->slab);
		}
		list_for_each(pos, &c->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);
			out->nr_cpu_partial++;
			out->cpu_free += slab->objects - __atomic_load_n(&slab->inuse, __ATOMIC_RELAXED);
		}
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct list_head *pos;
		spin_lock(&n->list_lock);
		out->nr_slabs += n->nr_slabs;
		out->nr_objs += n->total_objects;
		out->nr_partial += n->nr_partial - n->nr_empty;
		out->nr_empty += n->nr_empty;
		out->nr_full += n->nr_full + slab_full_off(s, nid);
		list_for_each(pos, &n->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);
			out->partial_free += slab->objects - READ_ONCE(slab->inuse);
		}
		list_for_each(pos, &n->empty)
			out->partial_free += list_entry(pos, struct slab, slab_list)->objects;
		spin_unlock(&n->list_lock);
	}
	kmm_cpu_unlock_all(m);
	/* Linux's slabinfo: active = objects - free objects on the partial lists. */
	out->active_objs = out->nr_objs - out->partial_free;
}

void slab_cpu_partial_slabs(struct kmem_cache *s, unsigned int *per_cpu, int n)
{
	struct kmm_machine *m = s->machine;

	kmm_cpu_lock_all(m);
	for (int cpu = 0; cpu < n; cpu++)
		per_cpu[cpu] = cpu < m->nr_cpus && cpu_populated(&m->percpu, cpu) ?
			       per_cpu_ptr(s->cpu_slab, cpu)->nr_partial : 0;
	kmm_cpu_unlock_all(m);
}

void slab_node_counts(struct kmem_cache *s, enum slab_node_stat what, unsigned long *nodes)
{
	struct kmm_machine *m = s->machine;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		nodes[nid] = 0;
	if (what == SO_CPU) {
		/*
		 * Linux's show_slab_objects(SO_CPU): a CPU's slab, and with it
		 * the slabs of its partial list, counted at the node of the
		 * list's first slab; a CPU without a cpu slab is skipped.
		 */
		kmm_cpu_lock_all(m);
		for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
			struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
			if (!cpu_populated(&m->percpu, cpu))
				continue;	/* never set up: all zero */

			if (!c->slab)
				continue;
			nodes[slab_nid(c->slab)]++;
			if (c->nr_partial)
				nodes[slab_nid(list_first_entry(&c->partial, struct slab,
								slab_list))] += c->nr_partial;
		}
		kmm_cpu_unlock_all(m);
		return;
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct list_head *pos;
		unsigned long free = 0, inuse = 0;

		spin_lock(&n->list_lock);
		list_for_each(pos, &n->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);
			unsigned int u = __atomic_load_n(&slab->inuse, __ATOMIC_RELAXED);

			free += slab->objects - u;
			inuse += u;
		}
		list_for_each(pos, &n->empty)
			free += list_entry(pos, struct slab, slab_list)->objects;
		switch (what) {
		case SO_PARTIAL: nodes[nid] = n->nr_partial; break;
		case SO_SLABS: nodes[nid] = n->nr_slabs; break;
		case SO_OBJECTS: nodes[nid] = n->total_objects - free; break;
		case SO_TOTAL: nodes[nid] = n->total_objects; break;
		case SO_OBJECTS_PARTIAL: nodes[nid] = inuse; break;
		case SO_CPU: break;
		}
		spin_unlock(&n->list_lock);
	}
}

/* Slabs drawn per list; the rest are counted. */
#define SLAB_DRAW_LINES 16

static void draw_slab(struct kmem_cache *s, struct strbuf *sb, struct slab *slab,
		      unsigned int inuse)
{
	struct kmm_machine *m = s->machine;
	char bar[41];
	unsigned int w = slab->objects < 40 ? slab->objects : 40;
	unsigned int filled = (unsigned int)(((unsigned long)inuse * w + slab->objects - 1) /
					     slab->objects);

	for (unsigned int i = 0; i < w; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[w] = 0;
	sb_printf(sb, "    slab pfn 0x%lx order %u colour %4u [%s] %u/%u\n", slab_pfn(m, slab),
		  slab_order(slab), slab->colour, bar, inuse, slab->objects);
}

/* What draw_full_off() draws: @s's full slabs on no list of node @nid. */
struct draw_full {
	struct kmem_cache *s;
	struct strbuf *sb;
	int nid;
	unsigned long lines, nr;
};

static int draw_full_off(struct slab *slab, void *arg)
{
	struct draw_full *d = arg;

	if (slab->slab_cache != d->s || slab_nid(slab) != d->nid)
		return 0;
	if (d->lines++ == SLAB_DRAW_LINES) {
		sb_printf(d->sb, "    ... %lu more\n", d->nr - SLAB_DRAW_LINES);
		return 1;
	}
	draw_slab(d->s, d->sb, slab, slab->inuse);
	return 0;
}

void slab_draw(struct kmem_cache *s, struct strbuf *sb)
{
	struct kmm_machine *m = s->machine;
	const int max_lines = SLAB_DRAW_LINES;

	sb_printf(sb, "%s: object_size %u, size %u, align %u, %u objects per slab of order %u, "
		  "%u colour%s (step %u), min_partial %lu\n",
		  s->name, s->object_size, s->size, s->align, s->objects, s->order,
		  s->colour > 1 ? s->colour : 1, s->colour > 1 ? "s" : "", s->colour_off,
		  s->min_partial);
	/* Every slot held throughout: full slabs on no list change state only in a slot's section. */
	kmm_cpu_lock_all(m);
	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		struct list_head *pos;
		if (!cpu_populated(&m->percpu, cpu)) {
			sb_printf(sb, "  cpu%d: no cpu slab\n", cpu);	/* never set up: all zero */
			continue;
		}
		if (c->slab) {
			slab_lock(c->slab);
			unsigned int remote = c->slab->objects - c->slab->inuse;
			slab_unlock(c->slab);
			sb_printf(sb, "  cpu%d: slab pfn 0x%lx, %u free on the cpu freelist, "
				  "%u freed by other cpus\n",
				  cpu, slab_pfn(m, c->slab), c->nr_free, remote);
			draw_slab(s, sb, c->slab, c->slab->objects - c->nr_free - remote);
		} else {
			sb_printf(sb, "  cpu%d: no cpu slab\n", cpu);
		}
		/* Shown only when there are any: the picture stays as it was without. */
		if (c->nr_partial)
			sb_printf(sb, "   cpu%d partial: %u\n", cpu, c->nr_partial);
		list_for_each(pos, &c->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);
			slab_lock(slab);
			unsigned int inuse = slab->inuse;
			slab_unlock(slab);
			draw_slab(s, sb, slab, inuse);
		}
	}
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct { const char *name; struct list_head *head; unsigned long nr; } lists[3];

		spin_lock(&n->list_lock);
		unsigned long full_off = slab_full_off(s, nid);
		lists[0].name = "full"; lists[0].head = &n->full; lists[0].nr = n->nr_full + full_off;
		lists[1].name = "partial"; lists[1].head = &n->partial;
		lists[1].nr = n->nr_partial - n->nr_empty;
		lists[2].name = "empty"; lists[2].head = &n->empty; lists[2].nr = n->nr_empty;
		sb_printf(sb, "  node %d: %lu slabs, %lu objects\n", nid, n->nr_slabs,
			  n->total_objects);
		for (int l = 0; l < 3; l++) {
			struct list_head *pos;
			int lines = 0;
			sb_printf(sb, "   %s: %lu\n", lists[l].name, lists[l].nr);
			if (l == 0 && full_off) {
				/* on no list: found by their frames, in pfn order */
				struct draw_full d = { .s = s, .sb = sb, .nid = nid, .nr = full_off };
				for_each_full_off_slab(m, draw_full_off, &d);
			}
			list_for_each(pos, lists[l].head) {
				struct slab *slab = list_entry(pos, struct slab, slab_list);
				if (lines++ == max_lines) {
					sb_printf(sb, "    ... %lu more\n", lists[l].nr - max_lines);
					break;
				}
				slab_lock(slab);
				unsigned int inuse = slab->inuse;
				slab_unlock(slab);
				draw_slab(s, sb, slab, inuse);
			}
		}
		spin_unlock(&n->list_lock);
	}
	kmm_cpu_unlock_all(m);
}

/* ---- The checker ---- */

static int check_fail(struct kmem_cache *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check_fail(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_printk(s->machine, "slab check: %s: %s", s->name, msg);
	return kmm_set_error(-EUCLEAN, "slab check: %s: %s", s->name, msg);
}

/*
 * Walk a free chain of @slab: every pointer an object start of the slab,
 * shadow FREE, no cycle. Marks visited objects in @seen. Return: count or -1.
 */
static long walk_chain(struct kmem_cache *s, struct slab *slab, void *p, unsigned char *seen)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	long n = 0;

	while (p) {
		if (!fp_valid(s, slab, p))
			return -1;
		unsigned int idx = obj_to_index(s, slab, p);
		if (seen[idx] || shadow_live_in(s, shadow_get(st, m, p)))
			return -1;
		seen[idx] = 1;
		if (++n > slab->objects)
			return -1;
		p = get_freepointer(s, p);
	}
	return n;
}

static int __check_slab(struct kmem_cache *s, struct slab *slab, void *cpu_freelist,
			unsigned int cpu_nr_free, enum slab_list_id where);

/*
 * The objects in the CPUs' sheaves of the cache being checked, sorted (set
 * by check_cache() for its __check_slab() calls): free objects, on no
 * freelist, counted in their slab's inuse.
 */
static _Thread_local struct {
	void **v;
	size_t nr;
} sheaved;

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static bool in_sheaf(const void *obj)
{
	size_t lo = 0, hi = sheaved.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sheaved.v[mid] == obj)
			return true;
		if ((uintptr_t)sheaved.v[mid] < (uintptr_t)obj)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Every CPU's sheaf of @s and every sheaf in its barns into @v
 * (sorted): each entry an object start of a slab of @s whose shadow says
 * FREE, none twice, no sheaf over capacity, no barn over its room, and
 * s->barns_used the number of barns that hold sheaves.
 * Run for every cache, also one without sheaves (capacity 0: any entry is
 * wrong, and the allocation paths, which test sheaf_nr, would hand it out;
 * @v may then be NULL, as nothing is stored before that test fails).
 * Context: every slot held. Return: 0 or check_fail()'s error.
 */
static int collect_sheaves(struct kmem_cache *s, void **v, size_t *nr)
{
	struct kmm_machine *m = s->machine;
	struct slab_machine *st = slab_state(m);
	void **home = sheaf_home(s, 0);
	size_t n = 0;

	for (int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero (not read: no page mapped) */
		if (c->sheaf_nr > s->sheaf_capacity)
			return check_fail(s, "cpu%d sheaf holds %u objects, capacity %u", cpu,
					  c->sheaf_nr, s->sheaf_capacity);
		if (c->sheaf != (home ? per_cpu_ptr(home, cpu) : NULL))
			return check_fail(s, "cpu%d sheaf is not its part of the cache's sheaf "
					  "block", cpu);
		for (unsigned int i = 0; i < c->sheaf_nr; i++) {
			void *obj = c->sheaf[i];
			struct slab *slab = virt_addr_valid_m(m, obj) ? virt_to_slab_m(m, obj) : NULL;
			if (!slab || slab->slab_cache != s || !fp_valid(s, slab, obj))
				return check_fail(s, "cpu%d sheaf entry %u is not an object of "
						  "this cache", cpu, i);
			if (shadow_get(st, m, obj) != SHADOW_FREE)
				return check_fail(s, "cpu%d sheaf entry %u: shadow says it is not "
						  "free", cpu, i);
			v[n++] = obj;
		}
	}
	/* Each CPU's barn (kmem_cache_keep_sheaves()): the same of each entry. */
	unsigned int barns = 0;
	for (int cpu = 0; s->keep_sheaves && cpu < m->nr_cpus; cpu++) {
		if (!cpu_populated(&m->percpu, cpu))
			continue;
		struct sheaf_barn *b = cpu_barn(s, per_cpu_ptr(s->cpu_slab, cpu));
		barns += b->nr != 0;
		unsigned int unit = barn_unit(s), k = barn_chains(s);
		void *top[BARN_CHAINS], *sheaf[SLAB_SHEAF_MAX];
		if (b->nr > s->barn_max || !b->nr != !b->top[0])
			return check_fail(s, "cpu%d barn holds %lu sheaves, room for %u", cpu,
					  b->nr, s->barn_max);
		memcpy(top, b->top, sizeof(top));
		/*
		 * Sheaf by sheaf, top down, as barn_take() takes them (struct
		 * sheaf_barn): each link tested before it is followed.
		 */
		for (size_t i = 0; i < (size_t)b->nr * unit; i++) {
			unsigned int p = unit - 1 - (unsigned int)(i % unit);
			if (p >= unit - k)
				sheaf[p] = top[unit - 1 - p];
			void *obj = sheaf[p];
			struct slab *slab = virt_addr_valid_m(m, obj) ? virt_to_slab_m(m, obj) : NULL;
			if (!slab || slab->slab_cache != s || !fp_valid(s, slab, obj))
				return check_fail(s, "cpu%d barn entry %zu is not an object of "
						  "this cache", cpu, i);
			if (shadow_get(st, m, obj) != SHADOW_FREE)
				return check_fail(s, "cpu%d barn entry %zu: shadow says it is not "
						  "free", cpu, i);
			v[n++] = obj;
			if (p >= k)
				sheaf[p - k] = barn_next(s, obj, s->random != 0);
			else
				top[k - 1 - p] = barn_next(s, obj, s->random != 0);
		}
		for (unsigned int i = 0; b->nr && i < k; i++)
			if (top[i])
				return check_fail(s, "cpu%d barn's chain goes on after its %lu sheaves",
						  cpu, b->nr);
	}
	if (barns != __atomic_load_n(&s->barns_used, __ATOMIC_RELAXED))
		return check_fail(s, "%u CPU barns hold sheaves, barns_used says %u", barns,
				  __atomic_load_n(&s->barns_used, __ATOMIC_RELAXED));
	if (n)	/* @v may be NULL when there is nothing to sort */
		qsort(v, n, sizeof(*v), cmp_ptr);
	for (size_t i = 1; i < n; i++)
		if (v[i] == v[i - 1])
			return check_fail(s, "an object is in the sheaves twice");
	*nr = n;
	return 0;
}

/* Remote frees change a slab under its slab lock alone: hold it while checking. */
static int check_slab(struct kmem_cache *s, struct slab *slab, void *cpu_freelist,
		      unsigned int cpu_nr_free, enum slab_list_id where)
{
	slab_lock(slab);
	int err = __check_slab(s, slab, cpu_freelist, cpu_nr_free, where);
	slab_unlock(slab);
	return err;
}

static int __check_slab(struct kmem_cache *s, struct slab *slab, void *cpu_freelist,
			unsigned int cpu_nr_free, enum slab_list_id where)
{
	unsigned char seen[MAX_OBJS_PER_PAGE + 1];
	struct page *page = slab_page(slab);
	long a, b = 0;

	if (!PageSlab(page) || slab->slab_cache != s)
		return check_fail(s, "slab pfn 0x%lx is not a slab of this cache",
				  slab_pfn(s->machine, slab));
	if (slab_list_id(slab) != where)
		return check_fail(s, "slab pfn 0x%lx says list %d, found on %d",
				  slab_pfn(s->machine, slab), slab_list_id(slab), where);
	if (slab->inuse > slab->objects)
		return check_fail(s, "slab pfn 0x%lx inuse %u > objects %u",
				  slab_pfn(s->machine, slab), slab->inuse, slab->objects);
	memset(seen, 0, slab->objects);
	a = walk_chain(s, slab, READ_ONCE(slab->freelist), seen);
	if (a < 0)
		return check_fail(s, "slab pfn 0x%lx: bad freelist", slab_pfn(s->machine, slab));
	unsigned int fresh = slab_fresh(slab);
	if (fresh > slab->objects || (fresh < slab->objects && where != SLAB_LIST_CPU))
		return check_fail(s, "slab pfn 0x%lx: untouched from object %u of %u, on list %d",
				  slab_pfn(s->machine, slab), fresh, slab->objects, where);
	if (where == SLAB_LIST_CPU) {
		b = walk_chain(s, slab, cpu_freelist, seen);
		/* The untouched objects (slab_fresh()): on no chain, never handed out, counted in nr_free. */
		for (unsigned int i = fresh; b >= 0 && i < slab->objects; i++, b++) {
			if (seen[i] || shadow_get(slab_state(s->machine), s->machine,
						  index_to_obj(s, slab, i)) != 0)
				return check_fail(s, "slab pfn 0x%lx: untouched object %u is on a "
						  "freelist or was handed out",
						  slab_pfn(s->machine, slab), i);
			seen[i] = 1;
		}
		if (b < 0 || (unsigned long)b != cpu_nr_free)
			return check_fail(s, "slab pfn 0x%lx: cpu freelist has %ld objects, "
					  "nr_free says %u", slab_pfn(s->machine, slab), b,
					  cpu_nr_free);
		if (!slab_frozen(slab))
			return check_fail(s, "cpu slab pfn 0x%lx not frozen",
					  slab_pfn(s->machine, slab));
	} else if (slab_frozen(slab)) {
		return check_fail(s, "slab pfn 0x%lx frozen but on a node list",
				  slab_pfn(s->machine, slab));
	}
	if ((unsigned long)(slab->objects - slab->inuse) != (unsigned long)a)
		return check_fail(s, "slab pfn 0x%lx: objects %u - inuse %u != %ld free",
				  slab_pfn(s->machine, slab), slab->objects, slab->inuse, a);
	/* Every object not on a chain is allocated, and the other way round. */
	struct slab_machine *st = slab_state(s->machine);
	for (unsigned int i = 0; i < slab->objects; i++) {
		void *p = index_to_obj(s, slab, i);
		bool alloc = shadow_live_in(s, shadow_get(st, s->machine, p));
		bool held = sheaved.nr && !alloc && in_sheaf(p);
		if (held && seen[i])
			return check_fail(s, "slab pfn 0x%lx object %u is in a sheaf and on a "
					  "freelist", slab_pfn(s->machine, slab), i);
		if (alloc == (bool)(seen[i] || held))
			return check_fail(s, "slab pfn 0x%lx object %u: shadow says %s",
					  slab_pfn(s->machine, slab), i,
					  alloc ? "allocated but it is on a freelist" :
						  "free but it is on no freelist");
	}
	switch (where) {
	case SLAB_LIST_FULL_OFF:
		if (kmem_cache_debug(s))
			return check_fail(s, "slab pfn 0x%lx of a debug cache is full on no list",
					  slab_pfn(s->machine, slab));
		/* fall through */
	case SLAB_LIST_FULL:
		if (slab->inuse != slab->objects)
			return check_fail(s, "full slab pfn 0x%lx has %u/%u in use",
					  slab_pfn(s->machine, slab), slab->inuse, slab->objects);
		break;
	case SLAB_LIST_PARTIAL:
		if (slab->inuse == 0 || slab->inuse == slab->objects)
			return check_fail(s, "partial slab pfn 0x%lx has %u/%u in use",
					  slab_pfn(s->machine, slab), slab->inuse, slab->objects);
		break;
	case SLAB_LIST_CPU_PARTIAL:
		if (slab->inuse == slab->objects)
			return check_fail(s, "cpu partial slab pfn 0x%lx is full",
					  slab_pfn(s->machine, slab));
		break;
	case SLAB_LIST_EMPTY:
		if (slab->inuse != 0)
			return check_fail(s, "empty slab pfn 0x%lx has %u in use",
					  slab_pfn(s->machine, slab), slab->inuse);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Check @s: its CPU slabs and partial lists, its node lists, and @full_off
 * (@nr_full_off slabs: those of @s the frame walk found full on no list);
 * every slab counted once in nr_slabs and total_objects.
 * Context: every slot held (slub_check()).
 */
static int check_cache(struct kmem_cache *s, struct slab **full_off, size_t nr_full_off)
{
	struct kmm_machine *m = s->machine;
	unsigned long cpu_slabs[MAX_NUMNODES] = { 0 }, cpu_objs[MAX_NUMNODES] = { 0 };
	unsigned long off[MAX_NUMNODES] = { 0 };
	int err = 0;

	void **held = NULL;

	if (s->sheaf_capacity) {
		/* Each CPU's sheaf and barn (at most SHEAF_BARN_OBJECTS objects). */
		held = malloc(sizeof(*held) * (size_t)m->nr_cpus *
			      (s->sheaf_capacity + (size_t)s->barn_max * barn_unit(s)));
		if (!held)
			return kmm_set_error(-ENOMEM, "slab check: %s: no memory", s->name);
	}
	kmm_cpu_lock_all(m);
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		spin_lock(&get_node(s, nid)->list_lock);
	sheaved.v = held;
	sheaved.nr = 0;
	err = collect_sheaves(s, held, &sheaved.nr);
	for (size_t i = 0; i < nr_full_off && !err; i++) {
		int nid = slab_nid(full_off[i]);

		off[nid]++;
		cpu_slabs[nid]++;	/* off the node lists, as CPU slabs are */
		cpu_objs[nid] += full_off[i]->objects;
		err = check_slab(s, full_off[i], NULL, 0, SLAB_LIST_FULL_OFF);
	}

	for (int cpu = 0; cpu < m->nr_cpus && !err; cpu++) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		if (!cpu_populated(&m->percpu, cpu))
			continue;	/* never set up: all zero */
		struct list_head *pos;
		unsigned int nr = 0;
		list_for_each(pos, &c->partial) {
			struct slab *slab = list_entry(pos, struct slab, slab_list);
			int nid = slab_nid(slab);
			/* Bounded: a slab linked in twice makes a loop the walk would never leave. */
			if (++nr > s->cpu_partial_slabs) {
				err = check_fail(s, "cpu%d's partial list holds more than cpu_partial_slabs "
						 "%u slabs (it counts %u): a slab on it twice, or a loop; "
						 "slab %u of it: pfn %lu, list %d, frozen %d", cpu,
						 s->cpu_partial_slabs, c->nr_partial, nr,
						 slab_pfn(m, slab), (int)slab_list_id(slab),
						 (int)slab_frozen(slab));
				break;
			}
			cpu_slabs[nid]++;
			cpu_objs[nid] += slab->objects;
			if ((err = check_slab(s, slab, NULL, 0, SLAB_LIST_CPU_PARTIAL)) != 0)
				break;
		}
		if (!err && nr != c->nr_partial)
			err = check_fail(s, "cpu%d counts %u partial slabs, its list holds %u", cpu,
					 c->nr_partial, nr);
		if (err)
			break;
		if (!c->slab) {
			if (c->freelist || c->nr_free)
				err = check_fail(s, "cpu%d has a freelist but no slab", cpu);
			continue;
		}
		if (kmem_cache_debug(s))
			err = check_fail(s, "debug cache has a cpu slab on cpu%d", cpu);
		int nid = slab_nid(c->slab);
		cpu_slabs[nid]++;
		cpu_objs[nid] += c->slab->objects;
		if (!err)
			err = check_slab(s, c->slab, c->freelist, c->nr_free, SLAB_LIST_CPU);
	}
	for (int nid = 0; nid < m->nr_node_ids && !err; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct { struct list_head *head; enum slab_list_id id; unsigned long nr; } l[3] = {
			{ &n->partial, SLAB_LIST_PARTIAL, 0 },
			{ &n->full, SLAB_LIST_FULL, 0 },
			{ &n->empty, SLAB_LIST_EMPTY, 0 },
		};
		unsigned long objs = cpu_objs[nid], empty_pages = 0;
		for (int i = 0; i < 3 && !err; i++) {
			struct list_head *pos;
			list_for_each(pos, l[i].head) {
				struct slab *slab = list_entry(pos, struct slab, slab_list);
				/* Bounded: a loop in the list would keep the walk in it for ever. */
				if (l[0].nr + l[1].nr + l[2].nr >= n->nr_slabs) {
					err = check_fail(s, "node %d's lists hold more slabs than its %lu "
							 "(a slab on them twice, or a loop)", nid,
							 n->nr_slabs);
					break;
				}
				if (slab_nid(slab) != nid) {
					err = check_fail(s, "slab on node %d's list is on node %d",
							 nid, slab_nid(slab));
					break;
				}
				l[i].nr++;
				objs += slab->objects;
				if (l[i].id == SLAB_LIST_EMPTY)
					empty_pages += 1UL << slab_order(slab);
				if ((err = check_slab(s, slab, NULL, 0, l[i].id)) != 0)
					break;
			}
		}
		if (err)
			break;
		if (l[0].nr + l[2].nr != n->nr_partial || l[1].nr != n->nr_full ||
		    l[2].nr != n->nr_empty)
			err = check_fail(s, "node %d counts partial %lu full %lu empty %lu, lists "
					 "hold %lu, %lu, %lu", nid, n->nr_partial - n->nr_empty,
					 n->nr_full, n->nr_empty, l[0].nr, l[1].nr, l[2].nr);
		else if (l[0].nr + l[1].nr + l[2].nr + cpu_slabs[nid] != n->nr_slabs)
			err = check_fail(s, "node %d has %lu slabs, found %lu (of them %lu full on "
					 "no list; the counts leave %lu)", nid, n->nr_slabs,
					 l[0].nr + l[1].nr + l[2].nr + cpu_slabs[nid], off[nid],
					 slab_full_off(s, nid));
		else if (objs != n->total_objects)
			err = check_fail(s, "node %d has %lu objects, found %lu", nid,
					 n->total_objects, objs);
		else if (!s->keep_empty && l[2].nr > s->min_partial && n->nr_partial > s->min_partial)
			err = check_fail(s, "node %d keeps %lu empty slabs, min_partial %lu", nid,
					 l[2].nr, s->min_partial);
		else if (s->keep_empty &&
			 empty_pages > __atomic_load_n(&slab_state(m)->empty_kept, __ATOMIC_RELAXED))
			/* each kept slab's pages are counted before it is placed (list_lock held) */
			err = check_fail(s, "node %d keeps %lu pages of empty slabs, the machine "
					 "counts %lu", nid, empty_pages,
					 __atomic_load_n(&slab_state(m)->empty_kept, __ATOMIC_RELAXED));
	}

	sheaved.v = NULL;
	sheaved.nr = 0;
	for (int nid = m->nr_node_ids; nid-- > 0;)
		spin_unlock(&get_node(s, nid)->list_lock);
	kmm_cpu_unlock_all(m);
	free(held);
	return err;
}

/* The full slabs on no list of every cache, as the frame walk found them. */
struct full_off_found {
	struct slab **v;
	size_t nr, cap;
};

static int collect_full_off(struct slab *slab, void *arg)
{
	struct full_off_found *f = arg;

	if (f->nr == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 256;
		struct slab **v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->nr++] = slab;
	return 0;
}

/* By cache, then by pfn (the walk's order, kept by a stable tie-break). */
static int cmp_full_off(const void *a, const void *b)
{
	const struct slab *x = *(struct slab *const *)a, *y = *(struct slab *const *)b;
	uintptr_t cx = (uintptr_t)x->slab_cache, cy = (uintptr_t)y->slab_cache;

	if (cx != cy)
		return cx < cy ? -1 : 1;
	return (uintptr_t)x < (uintptr_t)y ? -1 : (uintptr_t)x > (uintptr_t)y;
}

/**
 * slub_check() - the slab layer's invariant checker (see mm/slab.h).
 * Full slabs on no list are found by one walk of the machine's lowmem
 * frames (every PGTY_slab head marked so), then each is checked with its
 * cache and counted in its node's nr_slabs and total_objects; one whose
 * cache is not on the machine's list fails the check.
 * Context: takes every cache's CPU and node locks in order; safe while
 * other threads allocate and free.
 */
int slub_check(struct kmm_machine *m)
{
	struct slab_machine *st = slab_state(m);
	struct full_off_found f = { 0 };
	struct list_head *pos;
	size_t matched = 0;
	int err = 0;

	if (!st)
		return 0;
	spin_lock(&st->slab_mutex);
	/* held across the caches: check_cache() nests, one barrier for them all */
	kmm_cpu_lock_all(m);
	/* Every slot held: no slab enters or leaves SLAB_LIST_FULL_OFF meanwhile. */
	if (for_each_full_off_slab(m, collect_full_off, &f)) {
		err = kmm_set_error(-ENOMEM, "slab check: no host memory for the frame walk");
		goto out;
	}
	if (f.nr)
		qsort(f.v, f.nr, sizeof(*f.v), cmp_full_off);
	list_for_each(pos, &st->caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);
		size_t lo = 0, hi = f.nr, end;

		/* the first of @s's slabs in the sorted walk, then the last */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if ((uintptr_t)f.v[mid]->slab_cache < (uintptr_t)s)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (end = lo; end < f.nr && f.v[end]->slab_cache == s; end++)
			;
		matched += end - lo;
		if ((err = check_cache(s, f.v + lo, end - lo)) != 0)
			break;
	}
	if (!err && matched != f.nr) {
		for (size_t i = 0; i < f.nr; i++) {
			bool known = false;
			list_for_each(pos, &st->caches)
				known |= list_entry(pos, struct kmem_cache, list) == f.v[i]->slab_cache;
			if (!known) {
				kmm_printk(m, "slab check: slab pfn 0x%lx is full on no list, of no "
					   "cache of the machine", page_to_pfn_m(m, slab_page(f.v[i])));
				err = kmm_set_error(-EUCLEAN, "slab check: slab pfn 0x%lx is full "
						    "on no list, of no cache of the machine",
						    page_to_pfn_m(m, slab_page(f.v[i])));
				break;
			}
		}
	}
out:
	kmm_cpu_unlock_all(m);
	spin_unlock(&st->slab_mutex);
	free(f.v);
	return err;
}

/**
 * slab_usable_size() - bytes of @obj the caller may use: the requested size
 * when the kmalloc red zone guards the rest, else the object size.
 */
size_t slab_usable_size(struct kmem_cache *s, void *obj)
{
	return get_orig_size(s, obj);
}

/**
 * slab_kmalloc_resize() - krealloc in place: move the kmalloc red zone to
 * @new_size (<= object_size). A no-op unless the cache keeps orig_size.
 */
void slab_kmalloc_resize(struct kmem_cache *s, void *obj, size_t new_size)
{
	if (!slub_debug_orig_size(s) || !(s->flags & SLAB_RED_ZONE))
		return;
	*orig_size_slot(s, obj) = (unsigned int)new_size;
	memset((char *)obj + new_size, SLUB_RED_ACTIVE, s->object_size - new_size);
}
