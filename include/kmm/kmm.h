// SPDX-License-Identifier: MIT
/*
 * include/kmm/kmm.h - the public API of libkmm.
 *
 * A machine is booted from a kernel command line and is a value: several may
 * live side by side. Each thread has a current machine (kmm_use) so that the
 * kernel-style calls (alloc_pages, kmalloc, ...) read as they do in Linux.
 * Functions handed a struct page find its machine from the page itself.
 *
 * Errors: functions returning int return 0 or a negative errno; functions
 * returning pointers return NULL on failure. kmm_last_error() holds a human
 * readable message for the most recent failure on this thread.
 */
#ifndef KMM_KMM_H
#define KMM_KMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kmm_machine;
struct page;

typedef unsigned int gfp_t;

/* ---- The machine ---- */

/**
 * kmm_boot() - boot a machine from a kernel command line.
 * @cmdline: options separated by blanks, e.g. "mem=1G arch=i386".
 *
 * Return: the machine, or NULL if and only if an option is unknown or
 * malformed or the host refused memory; then kmm_last_error() names the
 * offending option and nothing is left allocated.
 */
struct kmm_machine *kmm_boot(const char *cmdline);

/** kmm_shutdown() - free a machine and everything it holds. NULL is a no-op. */
void kmm_shutdown(struct kmm_machine *m);

/** kmm_use() - make @m this thread's current machine. Return: the previous one. */
struct kmm_machine *kmm_use(struct kmm_machine *m);

/** kmm_current() - this thread's current machine, or NULL. */
struct kmm_machine *kmm_current(void);

/** kmm_last_error() - message of the last failure on this thread ("" if none). */
const char *kmm_last_error(void);
/**
 * kmm_last_errno() - the negative errno that came with kmm_last_error()'s
 * text (0 if none): how a call that returns a pointer, such as kmm_fork(),
 * says which failure it was.
 */
int kmm_last_errno(void);

/**
 * kmm_check() - run every layer's invariant checker over @m.
 *
 * Return: 0 if all invariants hold; -EUCLEAN otherwise, with the first
 * violation described by kmm_last_error() and logged to dmesg.
 */
int kmm_check(struct kmm_machine *m);

/**
 * kmm_proc_read() - render a /proc or /sys file of @m.
 * @path: e.g. "/proc/buddyinfo", "/proc/sys/vm/min_free_kbytes".
 * @out: receives a malloc()ed NUL-terminated buffer the caller frees.
 *
 * Return: 0, -ENOENT for an unknown path, -ENOMEM.
 */
int kmm_proc_read(struct kmm_machine *m, const char *path, char **out);

/**
 * kmm_proc_write() - write @text to a writable /proc or /sys file (sysctls).
 *
 * Return: 0; -ENOENT unknown path; -EACCES read-only file; -EINVAL bad value
 * (state unchanged).
 */
int kmm_proc_write(struct kmm_machine *m, const char *path, const char *text);

/**
 * kmm_dmesg() - copy the kernel log of @m into @buf, as snprintf() does.
 * @buf: receives at most @size - 1 bytes of the log and a NUL (nothing if @size is 0).
 *
 * The copy is taken under the log's lock, so another thread's kmm_printk()
 * never changes or frees what the caller reads.
 * Context: any thread; takes log_lock.
 * Return: the length of the whole log (>= @size: @buf holds only its start).
 */
size_t kmm_dmesg(struct kmm_machine *m, char *buf, size_t size);

/**
 * kmm_dmesg_dup() - a snapshot of the kernel log of @m that the caller owns.
 * Context: any thread; takes log_lock.
 * Return: a malloc()ed NUL-terminated copy the caller frees, or NULL with no host memory.
 */
char *kmm_dmesg_dup(struct kmm_machine *m);

/** kmm_printk() - append a line to @m's kernel log (printf format, "\n" added if missing). */
void kmm_printk(struct kmm_machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * kmm_drain() - return every cached page to the buddy allocator: each layer's
 * caches (slab per-CPU slabs, lazily freed areas...), then the per-CPU page
 * lists. Afterwards kmm_nr_free_pages() counts all memory nobody holds.
 */
void kmm_drain(struct kmm_machine *m);

/** kmm_nr_free_pages() - free pages in the buddy allocator of @m (all zones). */
unsigned long kmm_nr_free_pages(struct kmm_machine *m);

/* ---- Memory hotplug (mm/memory_hotplug.c; docs/architecture.md) ---- */

/* How hot-added memory is onlined: Linux's MMOP_* and memhp_default_state= words. */
enum kmm_mhp_online_type {
	KMM_MHP_DEFAULT = -1,		/* as auto_online_blocks says (memhp_default_state=) */
	KMM_MHP_OFFLINE = 0,		/* "offline": added, not onlined */
	KMM_MHP_ONLINE = 1,		/* "online": the zone the range lies in, else Normal */
	KMM_MHP_ONLINE_KERNEL = 2,	/* "online_kernel": ZONE_NORMAL */
	KMM_MHP_ONLINE_MOVABLE = 3,	/* "online_movable": ZONE_MOVABLE */
};

/**
 * kmm_memory_hotplug_add() - plug @bytes more RAM into @m's board (add_memory()):
 * at the next free address of the hotplug area a machine booted with
 * maxmem=SIZE has (x86_64 only), as memory blocks of 128 MiB, onlined as
 * @online_type says. Memory blocks appear in /sys/devices/system/memory/.
 * @bytes: a multiple of 128 MiB. @start: receives the range's physical address (may be NULL).
 * Context: any thread; serialised with other adds and onlines of @m; allocates
 * each block's vmemmap (2 MiB) from the memory @m already has.
 * Return: 0 when the blocks were added, with *@start set - also when onlining
 * one failed (say, a zone that may not grow there): that block and the ones
 * after it stay added and offline, as Linux's add_memory() leaves them, and
 * can be onlined later (kmm_memory_block_online(), memoryN/state). The
 * malloc shim's growth onlines every block that is added and offline, for
 * whatever reason (this case, or @online_type KMM_MHP_OFFLINE), before it
 * adds more, passing over those it cannot online; while the highest added
 * block is one of those (the default zone may not grow there), the shim adds
 * no more and its growth fails until that block is onlined into another zone;
 * -ENOSPC no hotplug area or not that much left of it; -EINVAL bad size or
 * type; -EOPNOTSUPP 32-bit machine; -ENOMEM no 2 MiB block for a vmemmap;
 * -EEXIST another thread added at the same address first. On error
 * kmm_last_error() says why and nothing was added.
 */
int kmm_memory_hotplug_add(struct kmm_machine *m, uint64_t bytes, int online_type,
			   uint64_t *start);

/**
 * kmm_memory_block_online() - online memory block @block (memory<block> in
 * sysfs; its physical address is @block * 128 MiB) as @online_type
 * (KMM_MHP_ONLINE, _KERNEL or _MOVABLE), as writing the type to its state file does.
 * Return: 0; -EINVAL no such offline block, or its zone may not take it.
 */
int kmm_memory_block_online(struct kmm_machine *m, unsigned long block, int online_type);

/* ---- Page allocator (Linux names; they act on the current machine) ---- */

struct page *alloc_pages(gfp_t gfp, unsigned int order);
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
struct page *kmm_alloc_pages(struct kmm_machine *m, gfp_t gfp, unsigned int order, int nid);
#define alloc_page(gfp) alloc_pages(gfp, 0)
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
#define __get_free_page(gfp) __get_free_pages((gfp), 0)
unsigned long get_zeroed_page(gfp_t gfp);
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)
/**
 * alloc_pages_bulk() - fill the NULL slots of @page_array[0 .. @nr_pages)
 * with order-0 pages (Linux 6.14's name; alloc_pages_bulk_array() is 6.12's):
 * taken together from this CPU's page list, with one watermark check.
 * Return: the populated slots (those already populated count); fewer than
 * @nr_pages when memory ran short, 0 with kmm_last_error() on bad arguments.
 */
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array);
unsigned long alloc_pages_bulk_array(gfp_t gfp, unsigned long nr_pages, struct page **page_array);
unsigned long kmm_alloc_pages_bulk(struct kmm_machine *m, gfp_t gfp, int nid, unsigned long nr,
				   struct page **array);
/** release_pages() - drop one reference on each of @pages[0 .. @nr) (order 0), freeing the last. */
void release_pages(struct page **pages, int nr);
void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr) free_pages((addr), 0)
void split_page(struct page *page, unsigned int order);
/*
 * Exact-size blocks (mm/page_alloc.c): PAGE_ALIGN(size) bytes of contiguous
 * lowmem as order-0 pages, the power-of-two block's unused end freed at once.
 * extend_pages_exact() grows one in place when the pages after it are free
 * in the buddy (0, or -ENOMEM with nothing changed); shrink_pages_exact()
 * gives back its end.
 */
void *alloc_pages_exact(size_t size, gfp_t gfp);
void free_pages_exact(void *virt, size_t size);
int extend_pages_exact(void *virt, size_t size, size_t new_size);
void shrink_pages_exact(void *virt, size_t size, size_t new_size);
void *page_address(const struct page *page);
unsigned long page_to_pfn(const struct page *page);
struct page *kmm_pfn_to_page(struct kmm_machine *m, unsigned long pfn);
struct page *virt_to_page(const void *addr);

#ifdef __cplusplus
}
#endif

#include <kmm/gfp.h>

#endif /* KMM_KMM_H */
