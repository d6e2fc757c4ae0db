// SPDX-License-Identifier: MIT
/*
 * mm/swapfile.c - swap areas: mkswap, swapon, swapoff, the swap map with a
 * count per slot, cluster allocation, priorities, /proc/swaps, and the
 * swap half of the layer's checker.
 *
 * Linux counterpart: mm/swapfile.c (6.12) and util-linux's mkswap.
 * Kept: the version-1 swap header (bootbits, version, last_page,
 * nr_badpages, uuid, label, "SWAPSPACE2" in the last ten bytes of page 0)
 * written by mkswap and checked by swapon with Linux's messages; slot 0 and
 * bad pages are SWAP_MAP_BAD and never handed out; swapon without a
 * priority gets -2, -3, ...; the highest priority with room is used first,
 * equal priorities in turn; slots are handed out from clusters of 256, a
 * CPU slot continuing in its own cluster and taking a free cluster before
 * a partly used one (6.12's order); a slot is in use while PTEs or shmem
 * indexes (mm/shmem.c) hold it or
 * its page is in the swap cache (SWAP_HAS_CACHE), and /proc/swaps' Used
 * counts both; swapoff stops new writes, reads everything back
 * (try_to_unuse, mm/swap_state.c; a page whose slot cannot be read gets the
 * poisoned PTE marker, as 6.12's unuse_pte does, and swapoff goes on), its
 * allocations calling the OOM killer like any others; it first fails with ENOMEM when the commit charge would
 * not fit without the area (vm.overcommit_memory=2), and on a machine with
 * no OOM killer when RAM cannot hold what it reads, leaving the area on.
 * Simplified: the map holds 16 bits per slot (15-bit count), so no
 * continuation pages are needed; per-cluster locks are one lock per area;
 * no discard; a file is one extent.
 * Added: the host file behind each area (arch/sim/swapdev.c), under the
 * machine's swap directory.
 *
 * Invariant: see mm/swap.h. Locking: pressure->swap_lock -> si->lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/kmm/swap.h"
#include "mm/include/filemap.h"
#include "mm/swap.h"

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

/* ---- The swap header (include/linux/swap.h union swap_header) ---- */

#define SWAP_MAGIC		"SWAPSPACE2"
#define SWAP_MAGIC_OLD		"SWAP-SPACE"
#define HDR_VERSION		1024	/* byte offsets in page 0, after 1 KiB of bootbits */
#define HDR_LAST_PAGE		1028
#define HDR_NR_BADPAGES		1032
#define HDR_UUID		1036
#define HDR_BADPAGES		1536
#define MAX_SWAP_BADPAGES	((PAGE_SIZE - 10 - HDR_BADPAGES) / 4)

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* ---- Paths ---- */

/* A simulated path: absolute, printable, no empty, "." or ".." component. */
static int check_swap_path(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	if (!len || path[0] != '/' || len >= 256)
		return kmm_set_error(-EINVAL, "swap: '%s' is not an absolute path of at most 255 "
				     "characters", path ? path : "");
	for (size_t i = 0; i < len; i++) {
		char c = path[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '.' || c == '_' || c == '-' || c == '+'))
			return kmm_set_error(-EINVAL, "swap: '%s': only letters, digits and / . _ - + "
					     "may name a swap file", path);
		if (c == '/' && (path[i + 1] == '/' || path[i + 1] == '\0' ||
				 (path[i + 1] == '.' && (path[i + 2] == '/' || path[i + 2] == '\0' ||
				  (path[i + 2] == '.' && (path[i + 3] == '/' || path[i + 3] == '\0'))))))
			return kmm_set_error(-EINVAL, "swap: '%s' has an empty, '.' or '..' component",
					     path);
	}
	return 0;
}

/*
 * The host file of @path: the swap directory (made on first use unless
 * swapdir= named one), then the path with '/' written %2F, so that every
 * simulated name is one file there.
 */
static int swap_host_path(struct kmm_machine *m, const char *path, char *out, size_t len)
{
	struct pressure *p = pressure_of(m);
	size_t pos;
	int err = check_swap_path(path);

	if (err)
		return err;
	char tried[sizeof(p->swapdir)];

	spin_lock(&p->swap_lock);
	if (!p->swapdir[0]) {
		err = sim_tmpdir_create(p->swapdir, sizeof(p->swapdir));
		if (err) {
			memcpy(tried, p->swapdir, sizeof(tried));
			p->swapdir[0] = '\0';
		} else {
			p->own_swapdir = true;
		}
	}
	spin_unlock(&p->swap_lock);
	if (err)
		return kmm_set_error(err, "swap: cannot make a swap directory in %s on the host "
				     "(TMPDIR): %s", tried, strerror(-err));
	pos = (size_t)snprintf(out, len, "%s/", p->swapdir);
	for (const char *s = path + 1; *s && pos + 4 < len; s++) {
		if (*s == '/') {
			memcpy(out + pos, "%2F", 3);
			pos += 3;
		} else {
			out[pos++] = *s;
		}
	}
	if (pos + 4 >= len)
		return kmm_set_error(-ENAMETOOLONG, "swap: host path for '%s' is too long", path);
	out[pos] = '\0';
	return 0;
}

/* The active area named @path, or NULL. Context: swap_lock held. */
static struct swap_info_struct *find_area_locked(struct pressure *p, const char *path)
{
	for (int t = 0; t < p->nr_swapfiles; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (si && !strcmp(si->path, path))
			return si;
	}
	return NULL;
}

/* ---- mkswap ---- */

/* A version-4-looking UUID derived from @path, so that a run prints the same bytes. */
static void path_uuid(const char *path, unsigned char uuid[16])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 16; i++) {
		for (const char *s = path; *s; s++)
			h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
		h ^= (uint64_t)i * 0x9e3779b97f4a7c15ull;
		uuid[i] = (unsigned char)(h >> 29);
	}
	uuid[6] = (unsigned char)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (unsigned char)((uuid[8] & 0x3f) | 0x80);
}

void mkswap_uuid(const char *path, char *buf, size_t len)
{
	unsigned char u[16];

	path_uuid(path, u);
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

long kmm_mkswap(struct kmm_machine *m, const char *path, uint64_t bytes)
{
	struct pressure *p = m ? pressure_of(m) : NULL;
	unsigned long pages = (unsigned long)(bytes >> PAGE_SHIFT);
	unsigned char hdr[PAGE_SIZE];
	char host[4096];
	struct sim_swapdev *dev;
	uint64_t size;
	int err;

	if (!p)
		return kmm_set_error(-ENODEV, "mkswap: the machine has no pressure layer");
	if ((err = check_swap_path(path)) != 0)
		return err;
	if (pages < 10)
		return kmm_set_error(-EINVAL, "mkswap: %s: swap area needs to be at least 40 KiB", path);
	if (pages - 1 > UINT32_MAX)
		return kmm_set_error(-EINVAL, "mkswap: %s: %lu pages exceed the header's 32-bit "
				     "last_page", path, pages);
	spin_lock(&p->swap_lock);
	bool busy = find_area_locked(p, path) != NULL;
	spin_unlock(&p->swap_lock);
	if (busy)
		return kmm_set_error(-EBUSY, "mkswap: %s: is in use as swap (swapoff it first)", path);
	if ((err = swap_host_path(m, path, host, sizeof(host))) != 0)
		return err;
	if ((err = sim_file_create(host, (uint64_t)pages << PAGE_SHIFT)) != 0)
		return kmm_set_error(err, "mkswap: %s: cannot create the host file (%s)", path,
				     strerror(-err));
	memset(hdr, 0, sizeof(hdr));
	put_le32(hdr + HDR_VERSION, 1);
	put_le32(hdr + HDR_LAST_PAGE, (uint32_t)(pages - 1));
	put_le32(hdr + HDR_NR_BADPAGES, 0);
	path_uuid(path, hdr + HDR_UUID);
	memcpy(hdr + PAGE_SIZE - 10, SWAP_MAGIC, 10);
	if ((err = sim_swapdev_open(host, &dev, &size)) != 0)
		return kmm_set_error(err, "mkswap: %s: cannot open the host file (%s)", path,
				     strerror(-err));
	err = sim_swapdev_write(dev, 0, hdr, PAGE_SIZE);
	sim_swapdev_close(dev);
	if (err)
		return kmm_set_error(err, "mkswap: %s: cannot write the header (%s)", path,
				     strerror(-err));
	return (long)(pages - 1);
}

/* ---- Clusters ---- */

static struct swap_cluster_info *cluster_of(struct swap_info_struct *si, unsigned long offset)
{
	return &si->cluster_info[offset / SWAPFILE_CLUSTER];
}

/* Put @ci on the list its count says. Context: si->lock held. */
static void cluster_relist(struct swap_info_struct *si, struct swap_cluster_info *ci)
{
	unsigned char want = ci->count == 0 ? CLUSTER_FREE :
			     ci->count == SWAPFILE_CLUSTER ? CLUSTER_FULL : CLUSTER_NONFULL;

	if (ci->list == want)
		return;
	ci->list = want;
	list_move_tail(&ci->node, want == CLUSTER_FREE ? &si->free_clusters :
				  want == CLUSTER_FULL ? &si->full_clusters : &si->nonfull_clusters);
}

/* A slot that was 0 is now used (or the reverse). Context: si->lock held. */
static void slot_taken(struct kmm_machine *m, struct swap_info_struct *si, unsigned long offset)
{
	struct swap_cluster_info *ci = cluster_of(si, offset);

	ci->count++;
	cluster_relist(si, ci);
	/* one writer (si->lock); /proc/swaps and the area choice read it under swap_lock only */
	__atomic_store_n(&si->inuse_pages, si->inuse_pages + 1, __ATOMIC_RELAXED);
	if (si->flags & SWP_WRITEOK)
		atomic_fetch_sub(&pressure_of(m)->nr_swap_pages, 1);
	/* swap_range_alloc(): the area's last free slot went: queue the reclaim work */
	if (si->inuse_pages == si->pages && (si->flags & SWP_WRITEOK) && vm_swap_full(m)) {
		si->reclaim_queued = true;
		atomic_store(&pressure_of(m)->reclaim_work_pending, true);
	}
}

static void slot_freed(struct kmm_machine *m, struct swap_info_struct *si, unsigned long offset)
{
	struct swap_cluster_info *ci = cluster_of(si, offset);

	si->swap_map[offset] = 0;
	si->swap_shadow[offset] = 0;
	ci->count--;
	cluster_relist(si, ci);
	__atomic_store_n(&si->inuse_pages, si->inuse_pages - 1, __ATOMIC_RELAXED);
	if (si->flags & SWP_WRITEOK)
		atomic_fetch_add(&pressure_of(m)->nr_swap_pages, 1);
}

/* The first free slot in @ci's cluster at or after @from, or 0. Context: si->lock held. */
static unsigned long scan_cluster(struct swap_info_struct *si, struct swap_cluster_info *ci,
				  unsigned long from)
{
	unsigned long base = (unsigned long)(ci - si->cluster_info) * SWAPFILE_CLUSTER;
	unsigned long end = KMM_MIN(base + SWAPFILE_CLUSTER, si->max);

	if (from < base)
		from = base;
	for (unsigned long off = from; off < end; off++)
		if (!si->swap_map[off])
			return off;
	return 0;
}

/*
 * scan_swap_map(): a slot for CPU slot @cpu: go on in the slot's current
 * cluster, else start a free cluster, else a partly used one.
 * Return: the offset (> 0), or 0 if the area is full. Context: si->lock held.
 */
static unsigned long scan_swap_map(struct kmm_machine *m, struct swap_info_struct *si, int cpu)
{
	unsigned long off = 0, next = si->cpu_next[cpu];
	struct swap_cluster_info *ci;

	if (!(si->flags & SWP_WRITEOK) || si->inuse_pages >= si->pages)
		return 0;
	if (next && next < si->max && cluster_of(si, next)->count < SWAPFILE_CLUSTER)
		off = scan_cluster(si, cluster_of(si, next), next);
	if (!off && !list_empty(&si->free_clusters)) {
		ci = list_first_entry(&si->free_clusters, struct swap_cluster_info, node);
		off = scan_cluster(si, ci, 0);
	}
	if (!off && !list_empty(&si->nonfull_clusters)) {
		ci = list_first_entry(&si->nonfull_clusters, struct swap_cluster_info, node);
		off = scan_cluster(si, ci, 0);
	}
	if (!off)
		return 0;
	si->swap_map[off] = SWAP_HAS_CACHE;
	slot_taken(m, si, off);
	ci = cluster_of(si, off);
	si->cpu_next[cpu] = (ci->count < SWAPFILE_CLUSTER && (off + 1) % SWAPFILE_CLUSTER &&
			     off + 1 < si->max) ? off + 1 : 0;
	return off;
}

static swp_entry_t get_swap_page_once(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);
	struct swap_info_struct *order[MAX_SWAPFILES];
	int n = 0, cpu = kmm_this_cpu(m);
	swp_entry_t entry = { 0 };

	if (!p || atomic_load(&p->nr_swap_pages) <= 0)
		return entry;
	spin_lock(&p->swap_lock);
	/* Areas that take writes, by priority; equal priorities in turn. */
	for (int t = 0; t < p->nr_swapfiles; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (!si || !(si->flags & SWP_WRITEOK) ||
		    __atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED) >= si->pages)
			continue;
		int i = n++;
		while (i > 0 && order[i - 1]->prio < si->prio) {
			order[i] = order[i - 1];
			i--;
		}
		order[i] = si;
	}
	for (int i = 0; i < n && !entry.val;) {
		int j = i;
		while (j < n && order[j]->prio == order[i]->prio)
			j++;
		int ties = j - i;
		for (int k = 0; k < ties && !entry.val; k++) {
			struct swap_info_struct *si = order[i + (int)((p->swap_rotate + (unsigned long)k) %
								 (unsigned long)ties)];
			spin_lock(&si->lock);
			unsigned long off = scan_swap_map(m, si, cpu);
			spin_unlock(&si->lock);
			if (off)
				entry = swp_entry((unsigned int)si->type, off);
		}
		if (entry.val && ties > 1)
			p->swap_rotate++;
		i = j;
	}
	spin_unlock(&p->swap_lock);
	return entry;
}

/*
 * One full cluster of area @t scanned for slots that only the swap cache
 * holds (SWAP_HAS_CACHE and no count: no PTE or shmem index names them),
 * their pages taken with a reference into @pages; the cluster goes to the
 * tail of full_clusters so that the next scan takes the next one.
 * Return: pages taken, or -1 when the area has no full cluster (or is gone).
 */
static int cache_only_slots(struct pressure *p, int t, struct page **pages)
{
	struct swap_info_struct *si;
	struct swap_cluster_info *ci;
	int n = -1;

	spin_lock(&p->swap_lock);
	si = t < p->nr_swapfiles ? p->swap_info[t] : NULL;
	if (si && (si->flags & SWP_WRITEOK)) {
		spin_lock(&si->lock);
		if (!list_empty(&si->full_clusters)) {
			ci = list_first_entry(&si->full_clusters, struct swap_cluster_info, node);
			list_move_tail(&ci->node, &si->full_clusters);
			unsigned long base = (unsigned long)(ci - si->cluster_info) * SWAPFILE_CLUSTER;
			unsigned long end = KMM_MIN(base + SWAPFILE_CLUSTER, si->max);
			unsigned int any = 0;
			n = 0;
			/* the counts alone first (a loop the compiler vectorises): most clusters have none */
			for (unsigned long off = base; off < end; off++)
				any |= si->swap_map[off] == SWAP_HAS_CACHE;
			for (unsigned long off = base; any && off < end; off++) {
				struct page *page = si->swap_cache[off];
				if (si->swap_map[off] == SWAP_HAS_CACHE && page) {
					get_page(page);
					pages[n++] = page;
				}
			}
		}
		spin_unlock(&si->lock);
	}
	spin_unlock(&p->swap_lock);
	return n;
}

/*
 * swap_reclaim_full_clusters() (Linux 6.12) for area @t: with swap more
 * than half full, a slot that only the swap cache holds (a page read back
 * and kept cached, or written out and not yet reclaimed) is taken back from
 * its page, which stays in RAM, dirty (folio_free_swap), so that the slot
 * can hold a page that exists only on swap. Without it, swap fills with
 * copies of pages that are also in RAM, and reclaim finds no slot while
 * half the slots hold nothing that is needed. @force: the reclaim work's
 * scan, inuse_pages / SWAPFILE_CLUSTER full clusters (6.12's count);
 * otherwise one full cluster, what an allocation pays. A page that is
 * locked or under writeback keeps its slot. Context: no swap lock held.
 * Return: slots freed.
 */
static unsigned long reclaim_area_full_clusters(struct kmm_machine *m, int t, bool force)
{
	struct pressure *p = pressure_of(m);
	struct page *pages[SWAPFILE_CLUSTER];
	unsigned long freed = 0;
	long to_scan = 1;
	int n;

	if (force) {
		struct swap_info_struct *si;
		spin_lock(&p->swap_lock);
		si = t < p->nr_swapfiles ? p->swap_info[t] : NULL;
		to_scan = si ? (long)(__atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED) /
				      SWAPFILE_CLUSTER) : 0;
		spin_unlock(&p->swap_lock);
	}
	for (; to_scan > 0 && (n = cache_only_slots(p, t, pages)) >= 0; to_scan--) {
		for (int i = 0; i < n; i++) {
			struct page *page = pages[i];
			if (trylock_page(page)) {
				freed += folio_free_swap(page);
				unlock_page(page);
			}
			put_user_page_ref(page);
		}
	}
	return freed;
}

/*
 * swap_reclaim_work(): the full scan of the areas that filled up. Linux
 * queues it (schedule_work) when an allocation takes an area's last free
 * slot with swap more than half full, and a kworker runs it; an allocation
 * that fails meanwhile scans no more than its one cluster. kmm has no
 * kworkers: the work runs once, at the start of the next allocation, with
 * no swap lock held (as the flusher runs inside the writer's call), so a
 * full swap costs one full scan each time an area fills, not one per
 * failed allocation.
 */
static void swap_reclaim_work(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	for (int t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si;
		bool queued = false;

		spin_lock(&p->swap_lock);
		si = t < p->nr_swapfiles ? p->swap_info[t] : NULL;
		if (si) {
			spin_lock(&si->lock);
			queued = si->reclaim_queued;
			si->reclaim_queued = false;
			spin_unlock(&si->lock);
		}
		spin_unlock(&p->swap_lock);
		if (queued)
			reclaim_area_full_clusters(m, t, true);
	}
}

swp_entry_t get_swap_page(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	if (!p || !total_swap_pages(m))
		return (swp_entry_t){ 0 };
	if (atomic_exchange(&p->reclaim_work_pending, false)) {
		swap_reclaim_work(m);
	} else if (vm_swap_full(m)) {
		/* the areas that exist (a later type has none; a swapon meanwhile is the next call's) */
		spin_lock(&p->swap_lock);
		int nr = p->nr_swapfiles;
		spin_unlock(&p->swap_lock);
		for (int t = 0; t < nr; t++)
			reclaim_area_full_clusters(m, t, false);
	}
	return get_swap_page_once(m);
}

/* ---- Slot counts ---- */

struct swap_info_struct *swap_info_get(struct kmm_machine *m, swp_entry_t entry)
{
	struct pressure *p = pressure_of(m);
	unsigned int type = swp_type(entry);
	unsigned long off = swp_offset(entry);
	struct swap_info_struct *si;

	if (!p || type >= MAX_SWAPFILES || !(si = swap_info_lockless(p, type))) {
		kmm_printk(m, "swap_info_get: Bad swap file entry %08lx", entry.val);
		return NULL;
	}
	if (!off || off >= si->max) {
		kmm_printk(m, "swap_info_get: Bad swap offset entry %08lx", entry.val);
		return NULL;
	}
	return si;
}

static int __swap_count(struct swap_info_struct *si, unsigned long offset)
{
	unsigned short v = si->swap_map[offset];

	return v == SWAP_MAP_BAD ? 0 : (int)SWAP_COUNT(v);
}

int swp_swapcount(struct kmm_machine *m, swp_entry_t entry)
{
	struct pressure *p = pressure_of(m);
	unsigned int type = swp_type(entry);
	unsigned long off = swp_offset(entry);
	struct swap_info_struct *si;
	int n;

	if (!p || type >= MAX_SWAPFILES || !(si = swap_info_lockless(p, type)) || !off ||
	    off >= si->max)
		return 0;
	spin_lock(&si->lock);
	n = __swap_count(si, off);
	spin_unlock(&si->lock);
	return n;
}

int swap_duplicate(struct kmm_machine *m, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(m, entry);
	unsigned long off = swp_offset(entry);
	int err = 0;

	if (!si)
		return -ENOENT;
	spin_lock(&si->lock);
	unsigned short v = si->swap_map[off];
	if (!v || v == SWAP_MAP_BAD)
		err = -ENOENT;
	else if (SWAP_COUNT(v) >= SWAP_MAP_MAX)
		err = -ENOMEM;
	else
		si->swap_map[off] = (unsigned short)(v + 1);
	spin_unlock(&si->lock);
	if (err == -ENOENT)
		kmm_printk(m, "swap_dup: Unused swap offset entry %08lx", entry.val);
	return err;
}

void swap_free(struct kmm_machine *m, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(m, entry);
	unsigned long off = swp_offset(entry);
	bool bad = false;

	if (!si)
		return;
	spin_lock(&si->lock);
	unsigned short v = si->swap_map[off];
	if (!SWAP_COUNT(v) || v == SWAP_MAP_BAD) {
		bad = true;
	} else {
		si->swap_map[off] = (unsigned short)(v - 1);
		if (!si->swap_map[off])
			slot_freed(m, si, off);
	}
	spin_unlock(&si->lock);
	if (bad)
		kmm_printk(m, "swap_free: Unused swap offset entry %08lx", entry.val);
}

void put_swap_folio(struct kmm_machine *m, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info_get(m, entry);
	unsigned long off = swp_offset(entry);

	if (!si)
		return;
	spin_lock(&si->lock);
	unsigned short v = si->swap_map[off];
	if (v & SWAP_HAS_CACHE) {
		si->swap_map[off] = (unsigned short)(v & ~SWAP_HAS_CACHE);
		if (!si->swap_map[off])
			slot_freed(m, si, off);
	}
	spin_unlock(&si->lock);
}

int swap_page_io(struct swap_info_struct *si, unsigned long offset, void *buf, bool write)
{
	uint64_t at = (uint64_t)offset << PAGE_SHIFT;

	__atomic_fetch_add(write ? &si->host_writes : &si->host_reads, 1, __ATOMIC_RELAXED);
	return write ? sim_swapdev_write(si->dev, at, buf, PAGE_SIZE)
		     : sim_swapdev_read(si->dev, at, buf, PAGE_SIZE);
}

int swap_pages_io(struct swap_info_struct *si, unsigned long offset, void *const *bufs,
		  unsigned int nr, bool write)
{
	__atomic_fetch_add(write ? &si->host_writes : &si->host_reads, 1, __ATOMIC_RELAXED);
	return sim_swapdev_rw_pages(si->dev, (uint64_t)offset << PAGE_SHIFT, bufs, nr, PAGE_SIZE,
				    write);
}

unsigned long total_swap_pages(struct kmm_machine *m)
{
	struct pressure *p = m ? pressure_of(m) : NULL;

	return p ? (unsigned long)atomic_load(&p->total_swap_pages) : 0;
}

long get_nr_swap_pages(struct kmm_machine *m)
{
	struct pressure *p = m ? pressure_of(m) : NULL;

	return p ? atomic_load(&p->nr_swap_pages) : 0;
}

bool vm_swap_full(struct kmm_machine *m)
{
	return get_nr_swap_pages(m) * 2 < (long)total_swap_pages(m);
}

/* ---- swapon ---- */

/* The largest offset a swap PTE of @m's arch can hold, plus one. */
static unsigned long max_swapfile_pages(const struct kmm_machine *m)
{
	if (m->opts.arch == KMM_ARCH_I386)
		return 1UL << 23;	/* offset in PTE bits 9..31 */
	return 1UL << 49;		/* offset in bits 9..57 */
}

static void free_area(struct swap_info_struct *si)
{
	if (!si)
		return;
	sim_swapdev_close(si->dev);
	free(si->swap_map);
	free(si->swap_cache);
	free(si->swap_shadow);
	free(si->cluster_info);
	free(si->cpu_next);
	free(si);
}

int kmm_swapon(struct kmm_machine *m, const char *path, int prio)
{
	struct pressure *p = m ? pressure_of(m) : NULL;
	unsigned char hdr[PAGE_SIZE];
	char host[4096];
	struct swap_info_struct *si;
	struct sim_swapdev *dev;
	uint64_t size;
	unsigned long maxpages, nr_bad, limit;
	int err, type;

	if (!p)
		return kmm_set_error(-ENODEV, "swapon: the machine has no pressure layer");
	if (prio != KMM_SWAP_PRIO_DEFAULT && (prio < 0 || prio > 32767))
		return kmm_set_error(-EINVAL, "swapon: priority %d is outside 0..32767", prio);
	if ((err = swap_host_path(m, path, host, sizeof(host))) != 0)
		return err;
	spin_lock(&p->swap_lock);
	bool busy = find_area_locked(p, path) != NULL;
	spin_unlock(&p->swap_lock);
	if (busy)
		return kmm_set_error(-EBUSY, "swapon: %s: swapon failed: Device or resource busy", path);
	if ((err = sim_swapdev_open(host, &dev, &size)) != 0)
		return kmm_set_error(err, "swapon: %s: %s", path,
				     err == -ENOENT ? "No such file or directory (run mkswap first)"
						    : strerror(-err));
	if (size < PAGE_SIZE || sim_swapdev_read(dev, 0, hdr, PAGE_SIZE)) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: Unable to find swap-space signature", path);
	}
	if (!memcmp(hdr + PAGE_SIZE - 10, SWAP_MAGIC_OLD, 10)) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: Unable to handle swap header version 0", path);
	}
	if (memcmp(hdr + PAGE_SIZE - 10, SWAP_MAGIC, 10)) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: Unable to find swap-space signature", path);
	}
	if (get_le32(hdr + HDR_VERSION) != 1) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: Unable to handle swap header version %u",
				     path, get_le32(hdr + HDR_VERSION));
	}
	maxpages = (unsigned long)get_le32(hdr + HDR_LAST_PAGE) + 1;
	nr_bad = get_le32(hdr + HDR_NR_BADPAGES);
	if (maxpages > (unsigned long)(size >> PAGE_SHIFT)) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: Swap area shorter than signature indicates",
				     path);
	}
	if (nr_bad > MAX_SWAP_BADPAGES) {
		sim_swapdev_close(dev);
		return kmm_set_error(-EINVAL, "swapon: %s: too many bad pages (%lu)", path, nr_bad);
	}
	limit = max_swapfile_pages(m);
	if (maxpages > limit) {
		kmm_printk(m, "Truncating oversized swap area, only using %luk out of %luk",
			   K(limit), K(maxpages));
		maxpages = limit;
	}

	si = calloc(1, sizeof(*si));
	if (si) {
		si->nr_clusters = (maxpages + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
		si->swap_map = calloc(si->nr_clusters * SWAPFILE_CLUSTER, sizeof(*si->swap_map));
		si->swap_cache = calloc(maxpages, sizeof(*si->swap_cache));
		si->swap_shadow = calloc(maxpages, sizeof(*si->swap_shadow));
		si->cluster_info = calloc(si->nr_clusters, sizeof(*si->cluster_info));
		si->cpu_next = calloc((size_t)m->nr_cpus, sizeof(*si->cpu_next));
	}
	if (!si || !si->swap_map || !si->swap_cache || !si->swap_shadow || !si->cluster_info || !si->cpu_next) {
		sim_swapdev_close(dev);
		free_area(si);
		return kmm_set_error(-ENOMEM, "swapon: %s: no host memory for the swap map", path);
	}
	si->dev = dev;
	spin_lock_init(&si->lock);
	si->max = maxpages;
	si->nr_cpus = (unsigned long)m->nr_cpus;
	snprintf(si->path, sizeof(si->path), "%s", path);
	snprintf(si->host_path, sizeof(si->host_path), "%s", host);
	INIT_LIST_HEAD(&si->free_clusters);
	INIT_LIST_HEAD(&si->nonfull_clusters);
	INIT_LIST_HEAD(&si->full_clusters);
	/* The header, bad pages and the tail past the file count as used slots. */
	si->swap_map[0] = SWAP_MAP_BAD;
	for (unsigned long i = 0; i < nr_bad; i++) {
		unsigned long bad = get_le32(hdr + HDR_BADPAGES + 4 * i);
		if (bad && bad < maxpages)
			si->swap_map[bad] = SWAP_MAP_BAD;
	}
	for (unsigned long off = maxpages; off < si->nr_clusters * SWAPFILE_CLUSTER; off++)
		si->swap_map[off] = SWAP_MAP_BAD;
	si->pages = 0;
	for (unsigned long c = 0; c < si->nr_clusters; c++) {
		struct swap_cluster_info *ci = &si->cluster_info[c];
		for (unsigned long off = c * SWAPFILE_CLUSTER; off < (c + 1) * SWAPFILE_CLUSTER; off++) {
			if (si->swap_map[off])
				ci->count++;
			else
				si->pages++;
		}
		ci->list = ci->count == 0 ? CLUSTER_FREE : ci->count == SWAPFILE_CLUSTER ? CLUSTER_FULL
											: CLUSTER_NONFULL;
		list_add_tail(&ci->node, ci->list == CLUSTER_FREE ? &si->free_clusters :
					 ci->list == CLUSTER_FULL ? &si->full_clusters
								  : &si->nonfull_clusters);
	}
	si->inuse_pages = 0;		/* BAD slots are neither usable nor in use */
	if (!si->pages) {
		free_area(si);
		return kmm_set_error(-EINVAL, "swapon: %s: Empty swap-file", path);
	}

	spin_lock(&p->swap_lock);
	for (type = 0; type < MAX_SWAPFILES && p->swap_info[type]; type++)
		;
	if (type == MAX_SWAPFILES || find_area_locked(p, path)) {
		bool dup = type < MAX_SWAPFILES;
		spin_unlock(&p->swap_lock);
		free_area(si);
		return dup ? kmm_set_error(-EBUSY, "swapon: %s: swapon failed: Device or resource busy",
					   path)
			   : kmm_set_error(-EPERM, "swapon: %s: at most %d swap areas", path,
					   MAX_SWAPFILES);
	}
	si->type = type;
	si->prio = prio == KMM_SWAP_PRIO_DEFAULT ? --p->least_priority : prio;
	si->flags = SWP_USED | SWP_WRITEOK;
	__atomic_store_n(&p->swap_info[type], si, __ATOMIC_RELEASE);	/* swap_info_lockless() */
	if (type >= p->nr_swapfiles)
		p->nr_swapfiles = type + 1;
	atomic_fetch_add(&p->nr_swap_pages, (long)si->pages);
	atomic_fetch_add(&p->total_swap_pages, (long)si->pages);
	spin_unlock(&p->swap_lock);
	kmm_printk(m, "Adding %luk swap on %s.  Priority:%d extents:1 across:%luk SS", K(si->pages),
		   si->path, si->prio, K(si->pages));
	return 0;
}

/* ---- swapoff ---- */

/*
 * Linux's security_vm_enough_memory_mm(current->mm, p->pages) before an area
 * goes: under vm.overcommit_memory=2 the commit charge must still fit once
 * the area's pages leave CommitLimit. The caller is the current task's mm,
 * or, for swapoff from the host (the CLI, the library), an mm with nothing
 * mapped (the swapoff(8) process's few pages). Called under swap_lock.
 */
static int swapoff_enough_memory(struct kmm_machine *m, long pages)
{
	struct kmm_procs *procs = procs_of(m);
	struct task_struct *t;
	struct mm_struct *mm, empty;
	int err;

	if (!procs || !procs->vm_enough_memory)
		return 0;
	t = current_task();
	mm = t ? get_task_mm(t) : NULL;
	if (mm) {
		err = procs->vm_enough_memory(mm, pages);
		mmput(mm);
		return err;
	}
	memset(&empty, 0, sizeof(empty));
	empty.m = m;
	return procs->vm_enough_memory(&empty, pages);
}

int kmm_swapoff(struct kmm_machine *m, const char *path)
{
	struct pressure *p = m ? pressure_of(m) : NULL;
	struct swap_info_struct *si;
	long free_slots;
	int err;

	if (!p)
		return kmm_set_error(-ENODEV, "swapoff: the machine has no pressure layer");
	if ((err = check_swap_path(path)) != 0)
		return err;
	spin_lock(&p->swap_lock);
	si = find_area_locked(p, path);
	if (!si || !(si->flags & SWP_WRITEOK)) {
		spin_unlock(&p->swap_lock);
		return kmm_set_error(-EINVAL, "swapoff: %s: Invalid argument (not an active swap area)",
				     path);
	}
	if (swapoff_enough_memory(m, (long)si->pages)) {
		spin_unlock(&p->swap_lock);
		return kmm_set_error(-ENOMEM, "swapoff: %s: Cannot allocate memory (the commit "
				     "charge would not fit without the area)", path);
	}
	spin_lock(&si->lock);
	free_slots = (long)(si->pages - si->inuse_pages);
	si->flags &= ~SWP_WRITEOK;	/* no new slots from here on */
	spin_unlock(&si->lock);
	atomic_fetch_sub(&p->nr_swap_pages, free_slots);
	atomic_fetch_sub(&p->total_swap_pages, (long)si->pages);
	spin_unlock(&p->swap_lock);

	err = try_to_unuse(m, si);

	spin_lock(&p->swap_lock);
	spin_lock(&si->lock);
	if (err) {
		/* reinsert_swap_info(): back in service, as it was */
		si->flags |= SWP_WRITEOK;
		free_slots = (long)(si->pages - si->inuse_pages);
		spin_unlock(&si->lock);
		atomic_fetch_add(&p->nr_swap_pages, free_slots);
		atomic_fetch_add(&p->total_swap_pages, (long)si->pages);
		spin_unlock(&p->swap_lock);
		/* the error try_to_unuse() met, by name (swapoff(8) prints strerror too) */
		return kmm_set_error(err, "swapoff: %s: %s (%lu pages still in swap)", path, strerror(-err),
				     __atomic_load_n(&si->inuse_pages, __ATOMIC_RELAXED));
	}
	spin_unlock(&si->lock);
	__atomic_store_n(&p->swap_info[si->type], NULL, __ATOMIC_RELEASE);
	while (p->nr_swapfiles > 0 && !p->swap_info[p->nr_swapfiles - 1])
		p->nr_swapfiles--;
	/* A freed default priority is given back, as Linux does for the lowest one. */
	if (si->prio < 0 && si->prio == p->least_priority)
		p->least_priority++;
	spin_unlock(&p->swap_lock);
	/*
	 * A grace period (Linux: swapoff's percpu_ref_kill and wait): a fault
	 * that found @si in swap_info[] before it went runs inside the process
	 * layer's section (procs_enter), and is done with it once every section
	 * that was open has ended. A caller inside such a section itself
	 * (procs_stop says -EDEADLK) cannot wait for the others: @si is then
	 * kept on p->retired, and the next swapoff that waits frees it (every
	 * section open when it was retired has ended by then), or shutdown.
	 */
	if (procs_of(m)) {
		struct swap_info_struct *retired;

		if (procs_stop(m) == -EDEADLK) {
			spin_lock(&p->swap_lock);
			si->retired_next = p->retired;
			p->retired = si;
			spin_unlock(&p->swap_lock);
			return 0;
		}
		spin_lock(&p->swap_lock);
		retired = p->retired;
		p->retired = NULL;
		spin_unlock(&p->swap_lock);
		procs_resume(m);
		while (retired) {
			struct swap_info_struct *next = retired->retired_next;
			free_area(retired);
			retired = next;
		}
	}
	free_area(si);
	return 0;
}

void swap_shutdown(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);

	for (int t = 0; t < MAX_SWAPFILES; t++) {
		free_area(p->swap_info[t]);
		p->swap_info[t] = NULL;
	}
	while (p->retired) {
		struct swap_info_struct *next = p->retired->retired_next;
		free_area(p->retired);
		p->retired = next;
	}
	p->nr_swapfiles = 0;
	if (p->own_swapdir)
		sim_tmpdir_remove(p->swapdir);
	p->swapdir[0] = '\0';
}

/* ---- /proc/swaps ---- */

int swap_show(struct kmm_machine *m, struct strbuf *sb)
{
	struct pressure *p = pressure_of(m);

	sb_puts(sb, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (!p)
		return 0;
	spin_lock(&p->swap_lock);
	for (int t = 0; t < p->nr_swapfiles; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (!si || !(si->flags & SWP_WRITEOK))
			continue;
		unsigned long bytes = K(si->pages), inuse = K(__atomic_load_n(&si->inuse_pages,
									    __ATOMIC_RELAXED));
		int len = (int)strlen(si->path);
		sb_printf(sb, "%s%*s%s\t%lu\t%s%lu\t%s%d\n", si->path, len < 40 ? 40 - len : 1, " ",
			  "file\t", bytes, bytes < 10000000 ? "\t" : "", inuse,
			  inuse < 10000000 ? "\t" : "", si->prio);
	}
	spin_unlock(&p->swap_lock);
	return 0;
}

/* ---- Checker ---- */

struct swap_pte_count {
	const struct pgtable_geometry *geo;
	unsigned short *counts[MAX_SWAPFILES];
	unsigned long max[MAX_SWAPFILES];
	int err;
};

static int count_swap_pte(void *arg, uint64_t va, void *slot, pteval_t v)
{
	struct swap_pte_count *c = arg;
	unsigned int type;
	unsigned long off;

	(void)slot;
	if (pte_present(v) || is_poisoned_pte(c->geo, v))
		return 0;	/* (a poisoned marker holds no slot) */
	type = pte_swp_type(c->geo, v);
	off = pte_swp_offset(c->geo, v);
	if (type >= MAX_SWAPFILES || !c->counts[type] || !off || off >= c->max[type]) {
		c->err = kmm_set_error(-EUCLEAN, "swap: the PTE at %#" PRIx64 " holds type %u offset "
				       "%lu, which no active area has", va, type, off);
		return 1;
	}
	c->counts[type][off]++;
	return 0;
}

/* A shmem file's index holding @e counts as one more holder of its slot (mm/shmem.c). */
static int count_shmem_entry(void *arg, struct kmm_file *f, unsigned long idx, swp_entry_t e)
{
	struct swap_pte_count *c = arg;
	unsigned int type = swp_type(e);
	unsigned long off = swp_offset(e);

	if (type >= MAX_SWAPFILES || !c->counts[type] || !off || off >= c->max[type])
		return c->err = kmm_set_error(-EUCLEAN, "swap: shmem file %s index %lu holds type %u "
					      "offset %lu, which no active area has", f->path, idx,
					      type, off);
	c->counts[type][off]++;
	return 0;
}

/* Every cluster of @si on the list its count says, once; counts match the map. */
static int check_clusters(struct swap_info_struct *si)
{
	struct list_head *heads[3] = { &si->free_clusters, &si->nonfull_clusters, &si->full_clusters };
	unsigned long seen = 0;

	for (unsigned long c = 0; c < si->nr_clusters; c++) {
		unsigned short used = 0;
		for (unsigned long off = c * SWAPFILE_CLUSTER; off < (c + 1) * SWAPFILE_CLUSTER; off++)
			used = (unsigned short)(used + (si->swap_map[off] != 0));
		if (used != si->cluster_info[c].count)
			return kmm_set_error(-EUCLEAN, "swap %s: cluster %lu counts %u used slots, the "
					     "map has %u", si->path, c, si->cluster_info[c].count, used);
	}
	for (int l = 0; l < 3; l++) {
		struct list_head *pos;
		list_for_each(pos, heads[l]) {
			struct swap_cluster_info *ci = list_entry(pos, struct swap_cluster_info, node);
			unsigned char want = ci->count == 0 ? CLUSTER_FREE :
					     ci->count == SWAPFILE_CLUSTER ? CLUSTER_FULL : CLUSTER_NONFULL;
			if (ci->list != l || want != l)
				return kmm_set_error(-EUCLEAN, "swap %s: cluster %ld with %u used slots "
						     "is on list %d", si->path,
						     (long)(ci - si->cluster_info), ci->count, l);
			if (++seen > si->nr_clusters)
				return kmm_set_error(-EUCLEAN, "swap %s: cluster lists loop", si->path);
		}
	}
	if (seen != si->nr_clusters)
		return kmm_set_error(-EUCLEAN, "swap %s: %lu of %lu clusters on the lists", si->path,
				     seen, si->nr_clusters);
	return 0;
}

/* One area against the PTE counts in @counts. Context: si->lock held. */
static int check_area(struct kmm_machine *m, struct swap_info_struct *si,
		      const unsigned short *counts, unsigned long *cached)
{
	unsigned long inuse = 0;

	for (unsigned long off = 0; off < si->max; off++) {
		unsigned short v = si->swap_map[off];
		struct page *page = si->swap_cache[off];
		swp_entry_t entry = swp_entry((unsigned int)si->type, off);

		if (v == SWAP_MAP_BAD) {
			if (counts[off] || page)
				return kmm_set_error(-EUCLEAN, "swap %s: bad slot %lu is used", si->path,
						     off);
			continue;
		}
		if (!off)
			return kmm_set_error(-EUCLEAN, "swap %s: the header slot is not SWAP_MAP_BAD",
					     si->path);
		if (SWAP_COUNT(v) != counts[off])
			return kmm_set_error(-EUCLEAN, "swap %s: slot %lu has count %u but %u PTEs "
					     "and shmem indexes hold it", si->path, off, SWAP_COUNT(v), counts[off]);
		if (si->swap_shadow[off] && (!SWAP_COUNT(v) || page))
			return kmm_set_error(-EUCLEAN, "swap %s: slot %lu keeps a shadow with count "
					     "%u and %s swap cache page", si->path, off, SWAP_COUNT(v),
					     page ? "a" : "no");
		if (!(v & SWAP_HAS_CACHE) != !page)
			return kmm_set_error(-EUCLEAN, "swap %s: slot %lu has SWAP_HAS_CACHE %d but "
					     "%s swap cache page", si->path, off, !!(v & SWAP_HAS_CACHE),
					     page ? "a" : "no");
		if (page && (!PageSwapCache(page) || page->private != entry.val ||
			     page_ref_count(page) < 1))
			return kmm_set_error(-EUCLEAN, "swap %s: the cache page of slot %lu (pfn %#lx) "
					     "has swapcache %d, entry %#lx, refcount %d", si->path,
					     off, page_to_pfn_m(m, page), PageSwapCache(page),
					     page->private, page_ref_count(page));
		inuse += v != 0;
		*cached += page != NULL;
	}
	if (inuse != si->inuse_pages)
		return kmm_set_error(-EUCLEAN, "swap %s: inuse_pages %lu, the map has %lu", si->path,
				     si->inuse_pages, inuse);
	return check_clusters(si);
}

int swapfile_check(struct kmm_machine *m)
{
	struct pressure *p = pressure_of(m);
	struct kmm_procs *procs = procs_of(m);
	struct swap_pte_count c = { 0 };
	unsigned long cached = 0;
	long free_slots = 0, total = 0;
	int err = 0;

	if (!p)
		return 0;
	if (procs)
		tasklist_lock(m);	/* the caller (pressure_check) has stopped the world */
	spin_lock(&p->swap_lock);
	for (int t = 0; t < p->nr_swapfiles && !err; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (!si)
			continue;
		c.max[t] = si->max;
		c.counts[t] = calloc(si->max, sizeof(unsigned short));
		if (!c.counts[t])
			err = kmm_set_error(-ENOMEM, "swap check: no memory");
	}
	if (procs && !err) {
		struct list_head *pos;
		list_for_each(pos, &procs->tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			struct mm_struct *mm = t->mm;
			if (!mm)
				continue;
			c.geo = mm->pgt.geo;
			struct vm_area_struct *vma;
			VMA_ITERATOR(vmi, mm, 0);
			for_each_vma(vmi, vma) {
				pgtable_for_each_leaf(&mm->pgt, vma->vm_start, vma->vm_end, true,
						      count_swap_pte, &c);
				if (c.err)
					break;
			}
			if (c.err)
				break;
		}
		err = c.err;
	}
	if (!err)
		err = shmem_for_each_swap_entry(m, count_shmem_entry, &c);
	for (int t = 0; t < p->nr_swapfiles && !err; t++) {
		struct swap_info_struct *si = p->swap_info[t];
		if (!si)
			continue;
		spin_lock(&si->lock);
		err = check_area(m, si, c.counts[t], &cached);
		if (si->flags & SWP_WRITEOK) {
			free_slots += (long)(si->pages - si->inuse_pages);
			total += (long)si->pages;
		}
		spin_unlock(&si->lock);
	}
	if (!err && free_slots != atomic_load(&p->nr_swap_pages))
		err = kmm_set_error(-EUCLEAN, "swap: nr_swap_pages is %ld, the areas have %ld free "
				    "slots", (long)atomic_load(&p->nr_swap_pages), free_slots);
	if (!err && total != atomic_load(&p->total_swap_pages))
		err = kmm_set_error(-EUCLEAN, "swap: total_swap_pages is %ld, the areas hold %ld",
				    (long)atomic_load(&p->total_swap_pages), total);
	if (!err && cached != global_node_page_state(m, NR_SWAPCACHE))
		err = kmm_set_error(-EUCLEAN, "swap: NR_SWAPCACHE is %lu, the swap cache holds %lu",
				    global_node_page_state(m, NR_SWAPCACHE), cached);
	spin_unlock(&p->swap_lock);
	if (procs)
		tasklist_unlock(m);
	for (int t = 0; t < MAX_SWAPFILES; t++)
		free(c.counts[t]);
	return err;
}
