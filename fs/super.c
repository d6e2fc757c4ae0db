// SPDX-License-Identifier: MIT
/*
 * fs/super.c - kmmfs: mounting the image, the FAT and the inode table, block
 * allocation, the page cache's address_space_operations, metadata sync,
 * and the layer's entry ("fs") with its boot options and checker.
 *
 * Linux counterpart: none as one file. The roles are fs/super.c (mount,
 * unmount), a disk filesystem's inode and block allocation (fs/fat's FAT
 * chains are the nearest kin), its address_space_operations (read_folio,
 * writepage), fs/inode.c (iget, the last iput of an unlinked inode freeing
 * its blocks). The format is kmm's own (fs/kmmfs.h); the image is a host
 * file, so every byte written back is on a real disk.
 *
 * Invariant (fs_check): the FAT's chains and the in-memory block arrays
 * agree for every used inode; no block is on two chains; free_blocks counts
 * the zero entries of the data area; a named inode's name is unique. (A
 * file may be longer than its blocks: the pages past them read as zeros,
 * as a sparse tail left by ftruncate does.)
 *
 * Locking: fs/kmmfs.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kmmfs.h"
#include "include/kmm/vmalloc.h"
#include "mm/include/boot_options.h"
#include "mm/include/subsys.h"
#include "mm/include/vmstat.h"
#include "lib/util.h"

/* ---- Blocks ---- */

static uint64_t block_off(uint32_t block)
{
	return (uint64_t)block * KMMFS_BLOCK;
}

static void fat_set(struct kmmfs_sb *sb, uint32_t block, uint32_t val)
{
	sb->fat[block] = val;
	sb->fat_dirty[block / (KMMFS_BLOCK / 4)] = 1;
}

static void itable_dirty(struct kmmfs_sb *sb, uint32_t ino)
{
	sb->itable_dirty[ino / (KMMFS_BLOCK / KMMFS_INODE_SIZE)] = 1;
}

/* A free data block, taken (marked the end of a chain). Return: it, or 0 (full). */
static uint32_t alloc_block(struct kmmfs_sb *sb)
{
	uint32_t n = sb->ds.nblocks, start = sb->hint < sb->ds.data_start ? sb->ds.data_start : sb->hint;

	if (!sb->free_blocks)
		return 0;
	for (uint32_t i = 0; i < n - sb->ds.data_start; i++) {
		uint32_t b = start + i;
		if (b >= n)
			b = sb->ds.data_start + (b - n);
		if (!sb->fat[b]) {
			fat_set(sb, b, KMMFS_EOC);
			sb->free_blocks--;
			sb->hint = b + 1;
			return b;
		}
	}
	return 0;
}

static int grow_block_array(struct kmmfs_inode *ino, uint32_t want)
{
	if (want <= ino->cap)
		return 0;
	uint32_t cap = ino->cap ? ino->cap : 16;
	while (cap < want)
		cap *= 2;
	uint32_t *b = realloc(ino->blocks, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	ino->blocks = b;
	ino->cap = cap;
	return 0;
}

/*
 * Extend @ino's chain to @want blocks; the new ones before the last are
 * zeroed on disk (a gap reads as zeros). Return: 0 or -ENOSPC/-ENOMEM/-EIO.
 */
static int extend_chain(struct kmmfs_sb *sb, struct kmmfs_inode *ino, uint32_t want)
{
	/* Not const: .rodata is mapped whole by every malloc shim process (tests/shim_rodata.py). */
	static char zeros[KMMFS_BLOCK];
	int err;

	if (want <= ino->nblocks)
		return 0;
	if ((err = grow_block_array(ino, want)) != 0)
		return err;
	if (want - ino->nblocks > sb->free_blocks)
		return -ENOSPC;
	while (ino->nblocks < want) {
		uint32_t b = alloc_block(sb);
		if (!b)
			return -ENOSPC;
		if (ino->nblocks)
			fat_set(sb, ino->blocks[ino->nblocks - 1], b);
		ino->blocks[ino->nblocks++] = b;
		if (ino->nblocks < want && (err = sim_swapdev_write(sb->dev, block_off(b), zeros, KMMFS_BLOCK)))
			return err;
	}
	itable_dirty(sb, ino->ino);
	return 0;
}

void kmmfs_truncate_blocks(struct kmmfs_sb *sb, struct kmmfs_inode *ino, uint32_t from)
{
	if (from >= ino->nblocks)
		return;
	for (uint32_t i = from; i < ino->nblocks; i++) {
		fat_set(sb, ino->blocks[i], 0);
		sb->free_blocks++;
	}
	ino->nblocks = from;
	if (from)
		fat_set(sb, ino->blocks[from - 1], KMMFS_EOC);
	itable_dirty(sb, ino->ino);
}

/* ---- Inodes ---- */

struct kmmfs_inode *kmmfs_lookup(struct kmmfs_sb *sb, const char *path)
{
	for (uint32_t i = 0; i < sb->ds.ninodes; i++) {
		struct kmmfs_inode *ino = &sb->inodes[i];
		if (ino->used && ino->nlink && !strcmp(ino->name, path))
			return ino;
	}
	return NULL;
}

struct kmmfs_inode *kmmfs_create(struct kmmfs_sb *sb, const char *path)
{
	for (uint32_t i = 0; i < sb->ds.ninodes; i++) {
		struct kmmfs_inode *ino = &sb->inodes[i];
		if (ino->used)
			continue;
		ino->used = true;
		ino->nlink = 1;
		ino->disk_size = 0;
		ino->nblocks = 0;
		snprintf(ino->name, sizeof(ino->name), "%s", path);
		itable_dirty(sb, i);
		return ino;
	}
	return NULL;
}

/* Free an inode's blocks and slot (its last reference went, and it is unlinked). */
static void evict_inode(struct kmmfs_sb *sb, struct kmmfs_inode *ino)
{
	kmmfs_truncate_blocks(sb, ino, 0);
	free(ino->blocks);
	ino->blocks = NULL;
	ino->cap = 0;
	ino->used = false;
	ino->disk_size = 0;
	ino->name[0] = '\0';
	ino->mapping = NULL;
	itable_dirty(sb, ino->ino);
}

/* Install a generated program image (fs/kmmfs.h). */
struct kmmfs_inode *kmmfs_install_image(struct kmmfs_sb *sb, const char *path, uint64_t size, int *err)
{
	uint32_t want = (uint32_t)DIV_ROUND_UP(size, KMMFS_BLOCK);
	uint64_t seed = image_seed(path);
	struct kmmfs_inode *ino;
	char buf[KMMFS_BLOCK];

	if (size > (uint64_t)sb->free_blocks * KMMFS_BLOCK) {
		*err = kmm_set_error(-ENOSPC, "exec: no space on kmmd0 to install %s (%llu bytes, %llu free)",
				     path, (unsigned long long)size,
				     (unsigned long long)sb->free_blocks * KMMFS_BLOCK);
		return NULL;
	}
	if (!(ino = kmmfs_create(sb, path))) {
		*err = kmm_set_error(-ENOSPC, "exec: no free inode on kmmd0 to install %s", path);
		return NULL;
	}
	if ((*err = grow_block_array(ino, want)) != 0) {
		kmm_set_error(*err, "exec: out of memory installing %s", path);
		goto out_evict;
	}
	while (ino->nblocks < want) {
		uint32_t b = alloc_block(sb), idx = ino->nblocks;
		if (!b) {
			*err = kmm_set_error(-ENOSPC, "exec: no space on kmmd0 to install %s", path);
			goto out_evict;
		}
		if (idx)
			fat_set(sb, ino->blocks[idx - 1], b);
		ino->blocks[ino->nblocks++] = b;
		image_pattern(seed, idx, buf);
		if ((uint64_t)(idx + 1) * KMMFS_BLOCK > size)	/* past the end reads as zeros */
			memset(buf + size % KMMFS_BLOCK, 0, KMMFS_BLOCK - size % KMMFS_BLOCK);
		if ((*err = sim_swapdev_write(sb->dev, block_off(b), buf, KMMFS_BLOCK)) != 0) {
			kmm_set_error(*err, "exec: cannot write %s to kmmd0", path);
			goto out_evict;
		}
		sb->writes++;
	}
	ino->disk_size = size;
	itable_dirty(sb, ino->ino);
	return ino;
out_evict:
	evict_inode(sb, ino);
	return NULL;
}

/* ---- The page cache's operations ---- */

static int kmmfs_read_folio(struct kmm_file *f, struct page *page)
{
	struct fs_state *fs = fs_of(f->m);
	struct kmmfs_inode *ino = f->host;
	char buf[KMMFS_BLOCK];
	int err = 0;

	kmmfs_lock(fs->sb);
	if (page->index < ino->nblocks) {
		err = sim_swapdev_read(fs->sb->dev, block_off(ino->blocks[page->index]), buf, KMMFS_BLOCK);
		fs->sb->reads++;
		fs->sb->read_calls++;
	} else {
		memset(buf, 0, sizeof(buf));
	}
	kmmfs_unlock(fs->sb);
	if (!err)
		memcpy_to_page(page, 0, buf, KMMFS_BLOCK);
	return err;
}

/*
 * Readahead's batch into @dst (a page's worth each): each run of blocks that
 * follow one another on the disk is one host read (a preadv into the run's
 * buffers); pages past the file's blocks read as zeros.
 */
static int kmmfs_read_ahead(struct kmm_file *f, unsigned long index, unsigned int nr, void *const *dst)
{
	struct fs_state *fs = fs_of(f->m);
	struct kmmfs_inode *ino = f->host;
	int err = 0;

	kmmfs_lock(fs->sb);
	for (unsigned int i = 0, run; i < nr && !err; i += run) {
		unsigned long idx = index + i;

		if (idx >= ino->nblocks) {
			for (unsigned int k = i; k < nr; k++)
				memset(dst[k], 0, KMMFS_BLOCK);
			break;
		}
		for (run = 1; i + run < nr && idx + run < ino->nblocks &&
			      ino->blocks[idx + run] == ino->blocks[idx + run - 1] + 1; run++)
			;
		err = sim_swapdev_rw_pages(fs->sb->dev, block_off(ino->blocks[idx]), dst + i, run, KMMFS_BLOCK,
					   false);
		fs->sb->reads += run;
		fs->sb->read_calls++;
	}
	kmmfs_unlock(fs->sb);
	return err;
}

static int kmmfs_writepage(struct kmm_file *f, struct page *page)
{
	struct fs_state *fs = fs_of(f->m);
	struct kmmfs_sb *sb = fs->sb;
	struct kmmfs_inode *ino = f->host;
	uint64_t size = i_size_read(f);
	char buf[KMMFS_BLOCK];
	int err;

	if ((uint64_t)page->index << PAGE_SHIFT >= size)
		return 0;	/* wholly past the end (a racing truncate): nothing to keep */
	memcpy_from_page(buf, page, 0, KMMFS_BLOCK);
	if (size - ((uint64_t)page->index << PAGE_SHIFT) < KMMFS_BLOCK) {
		/* the last page: what a mapping stored past the end is not file data
		   (block_write_full_page zeroes it too) */
		size_t keep = (size_t)(size - ((uint64_t)page->index << PAGE_SHIFT));
		memset(buf + keep, 0, KMMFS_BLOCK - keep);
	}
	kmmfs_lock(sb);
	err = extend_chain(sb, ino, (uint32_t)page->index + 1);
	if (!err) {
		err = sim_swapdev_write(sb->dev, block_off(ino->blocks[page->index]), buf, KMMFS_BLOCK);
		sb->writes++;
	}
	if (!err && ino->disk_size != size) {
		ino->disk_size = size;
		itable_dirty(sb, ino->ino);
	}
	kmmfs_unlock(sb);
	return err;
}

static void kmmfs_release(struct kmm_file *f)
{
	struct fs_state *fs = fs_of(f->m);
	struct kmmfs_inode *ino = f->host;

	if (!fs || !fs->sb || !ino)
		return;
	kmmfs_lock(fs->sb);
	ino->mapping = NULL;
	if (!ino->nlink)
		evict_inode(fs->sb, ino);
	kmmfs_unlock(fs->sb);
}

static const struct address_space_operations kmmfs_aops = {
	.read_folio = kmmfs_read_folio,
	.read_ahead = kmmfs_read_ahead,
	.writepage = kmmfs_writepage,
	.release = kmmfs_release,
};

struct kmm_file *kmmfs_iget(struct fs_state *fs, struct kmmfs_inode *ino)
{
	struct kmmfs_sb *sb = fs->sb;
	struct kmm_file *f;

	kmmfs_lock(sb);
	f = ino->mapping;
	if (f)
		kmm_file_get(f);
	kmmfs_unlock(sb);
	if (f)
		return f;
	/* not in memory: a new address space, its size from the inode (the inode holds one reference) */
	f = kmm_file_create(fs->m, ino->name, ino->disk_size, false);
	if (!f)
		return NULL;
	f->host = ino;
	f->ino = ino->ino + 12;		/* inode numbers as a small ext4 hands them out */
	/* the file is on the page cache's list already: filemap_find_image() may look */
	__atomic_store_n(&f->a_ops, &kmmfs_aops, __ATOMIC_RELEASE);
	kmmfs_lock(sb);
	if (ino->mapping) {
		/* another thread got there first */
		struct kmm_file *theirs = ino->mapping;
		kmm_file_get(theirs);
		kmmfs_unlock(sb);
		f->a_ops = NULL;
		f->host = NULL;
		kmm_file_put(fs->m, f);
		return theirs;
	}
	ino->mapping = f;
	kmm_file_get(f);		/* the caller's; the creation reference is the inode's */
	kmmfs_unlock(sb);
	return f;
}

void kmmfs_set_size(struct fs_state *fs, struct kmm_file *f)
{
	struct kmmfs_inode *ino = f->host;
	uint64_t size = i_size_read(f);

	kmmfs_lock(fs->sb);
	if (ino && ino->disk_size != size) {
		ino->disk_size = size;
		itable_dirty(fs->sb, ino->ino);
	}
	kmmfs_unlock(fs->sb);
}

/* ---- Metadata on disk ---- */

static void inode_to_disk(const struct kmmfs_inode *ino, struct kmmfs_disk_inode *d)
{
	memset(d, 0, sizeof(*d));
	if (!ino->used)
		return;
	d->mode = 1;
	d->nlink = ino->nlink;
	d->size = ino->disk_size;
	d->first_block = ino->nblocks ? ino->blocks[0] : 0;
	d->nblocks = ino->nblocks;
	memcpy(d->name, ino->name, sizeof(d->name));
}

int kmmfs_write_meta(struct kmmfs_sb *sb)
{
	const uint32_t per_fat = KMMFS_BLOCK / 4, per_it = KMMFS_BLOCK / KMMFS_INODE_SIZE;
	int err = 0;

	for (uint32_t i = 0; i < sb->ds.fat_blocks && !err; i++) {
		if (!sb->fat_dirty[i])
			continue;
		char buf[KMMFS_BLOCK] = { 0 };
		uint32_t first = i * per_fat, n = KMM_MIN(per_fat, sb->ds.nblocks - first);
		memcpy(buf, sb->fat + first, n * 4);
		err = sim_swapdev_write(sb->dev, block_off(sb->ds.fat_start + i), buf, KMMFS_BLOCK);
		if (!err)
			sb->fat_dirty[i] = 0;
	}
	for (uint32_t i = 0; i < sb->ds.itable_blocks && !err; i++) {
		if (!sb->itable_dirty[i])
			continue;
		struct kmmfs_disk_inode d[KMMFS_BLOCK / KMMFS_INODE_SIZE];
		for (uint32_t j = 0; j < per_it; j++) {
			uint32_t n = i * per_it + j;
			if (n < sb->ds.ninodes)
				inode_to_disk(&sb->inodes[n], &d[j]);
			else
				memset(&d[j], 0, sizeof(d[j]));
		}
		err = sim_swapdev_write(sb->dev, block_off(sb->ds.itable_start + i), d, KMMFS_BLOCK);
		if (!err)
			sb->itable_dirty[i] = 0;
	}
	if (!err)
		err = sim_swapdev_sync(sb->dev);
	return err;
}

/* ---- Mount ---- */

static void kmmfs_put_super(struct kmmfs_sb *sb)
{
	if (!sb)
		return;
	if (sb->inodes)
		for (uint32_t i = 0; i < sb->ds.ninodes; i++)
			free(sb->inodes[i].blocks);
	free(sb->inodes);
	free(sb->fat);
	free(sb->fat_dirty);
	free(sb->itable_dirty);
	if (sb->dev)
		sim_swapdev_close(sb->dev);
	sim_rwlock_destroy(&sb->lock);
	free(sb);
}

/* mkfs: lay out a fresh filesystem of @bytes in memory (everything dirty). */
static int sb_format(struct kmmfs_sb *sb, uint64_t bytes)
{
	struct kmmfs_disk_super *ds = &sb->ds;

	memcpy(ds->magic, KMMFS_MAGIC, 8);
	ds->block_size = KMMFS_BLOCK;
	ds->nblocks = (uint32_t)(bytes / KMMFS_BLOCK);
	ds->ninodes = KMM_MAX(64u, KMM_MIN(4096u, ds->nblocks / 64));
	ds->fat_start = 1;
	ds->fat_blocks = (uint32_t)DIV_ROUND_UP(ds->nblocks, KMMFS_BLOCK / 4);
	ds->itable_start = ds->fat_start + ds->fat_blocks;
	ds->itable_blocks = (uint32_t)DIV_ROUND_UP(ds->ninodes, KMMFS_BLOCK / KMMFS_INODE_SIZE);
	ds->data_start = ds->itable_start + ds->itable_blocks;
	return 0;
}

static int sb_alloc_tables(struct kmmfs_sb *sb)
{
	sb->fat = calloc(sb->ds.nblocks, sizeof(*sb->fat));
	sb->inodes = calloc(sb->ds.ninodes, sizeof(*sb->inodes));
	sb->fat_dirty = calloc(sb->ds.fat_blocks, 1);
	sb->itable_dirty = calloc(sb->ds.itable_blocks, 1);
	if (!sb->fat || !sb->inodes || !sb->fat_dirty || !sb->itable_dirty)
		return -ENOMEM;
	for (uint32_t i = 0; i < sb->ds.ninodes; i++)
		sb->inodes[i].ino = i;
	return 0;
}

static bool super_valid(const struct kmmfs_disk_super *ds, uint64_t bytes)
{
	return !memcmp(ds->magic, KMMFS_MAGIC, 8) && ds->block_size == KMMFS_BLOCK &&
	       ds->nblocks >= 16 && (uint64_t)ds->nblocks * KMMFS_BLOCK <= bytes && ds->fat_start == 1 &&
	       ds->fat_blocks == DIV_ROUND_UP(ds->nblocks, KMMFS_BLOCK / 4) &&
	       ds->itable_start == ds->fat_start + ds->fat_blocks && ds->ninodes &&
	       ds->itable_blocks == DIV_ROUND_UP(ds->ninodes, KMMFS_BLOCK / KMMFS_INODE_SIZE) &&
	       ds->data_start == ds->itable_start + ds->itable_blocks && ds->data_start < ds->nblocks;
}

/* Read the FAT and inode table of a valid image; rebuild each inode's block array. */
static int sb_read(struct kmmfs_sb *sb)
{
	int err = sb_alloc_tables(sb);

	for (uint32_t i = 0; i < sb->ds.fat_blocks && !err; i++) {
		char buf[KMMFS_BLOCK];
		uint32_t first = i * (KMMFS_BLOCK / 4), n = KMM_MIN(KMMFS_BLOCK / 4, sb->ds.nblocks - first);
		err = sim_swapdev_read(sb->dev, block_off(sb->ds.fat_start + i), buf, KMMFS_BLOCK);
		if (!err)
			memcpy(sb->fat + first, buf, n * 4);
	}
	for (uint32_t i = 0; i < sb->ds.itable_blocks && !err; i++) {
		struct kmmfs_disk_inode d[KMMFS_BLOCK / KMMFS_INODE_SIZE];
		err = sim_swapdev_read(sb->dev, block_off(sb->ds.itable_start + i), d, KMMFS_BLOCK);
		for (uint32_t j = 0; !err && j < KMMFS_BLOCK / KMMFS_INODE_SIZE; j++) {
			uint32_t n = i * (KMMFS_BLOCK / KMMFS_INODE_SIZE) + j;
			struct kmmfs_inode *ino;
			if (n >= sb->ds.ninodes || d[j].mode != 1)
				continue;
			ino = &sb->inodes[n];
			ino->used = true;
			ino->nlink = d[j].nlink;
			ino->disk_size = d[j].size;
			memcpy(ino->name, d[j].name, sizeof(ino->name));
			ino->name[sizeof(ino->name) - 1] = '\0';
			if ((err = grow_block_array(ino, d[j].nblocks)) != 0)
				break;
			for (uint32_t b = d[j].first_block; ino->nblocks < d[j].nblocks; b = sb->fat[b]) {
				if (b < sb->ds.data_start || b >= sb->ds.nblocks) {
					err = -EUCLEAN;
					break;
				}
				ino->blocks[ino->nblocks++] = b;
			}
			if (!ino->nlink)
				evict_inode(sb, ino);	/* an orphan of an unclean unmount */
		}
	}
	if (err)
		return err;
	for (uint32_t b = 0; b < sb->ds.data_start; b++)
		sb->fat[b] = KMMFS_META;
	sb->free_blocks = 0;
	for (uint32_t b = sb->ds.data_start; b < sb->ds.nblocks; b++)
		sb->free_blocks += !sb->fat[b];
	sb->hint = sb->ds.data_start;
	return 0;
}

struct kmmfs_sb *kmmfs_get_sb(struct fs_state *fs)
{
	struct kmmfs_sb *sb;
	uint64_t bytes = 0;
	bool fresh = false;
	int err;

	if ((sb = __atomic_load_n(&fs->sb, __ATOMIC_ACQUIRE)) != NULL)
		return sb;
	/* the first file call mounts: one thread does it, the others wait and use it */
	sim_write_lock(&fs->mount_lock);
	if ((sb = fs->sb) != NULL) {
		sim_write_unlock(&fs->mount_lock);
		return sb;
	}
	if (!fs->paths && !(fs->paths = calloc(1, sizeof(*fs->paths)))) {
		sim_write_unlock(&fs->mount_lock);
		kmm_set_error(-ENOMEM, "kmmfs: out of memory for the image's path");
		return NULL;
	}
	if (!(sb = calloc(1, sizeof(*sb)))) {
		sim_write_unlock(&fs->mount_lock);
		kmm_set_error(-ENOMEM, "kmmfs: out of memory for the superblock");
		return NULL;
	}
	sim_rwlock_init(&sb->lock);
	if (!fs->paths->image[0]) {
		err = sim_tmpdir_create(fs->paths->dir, sizeof(fs->paths->dir));
		if (err) {
			kmm_set_error(err, "kmmfs: cannot create a directory for the image in %s "
				      "on the host (TMPDIR): %s", fs->paths->dir, strerror(-err));
			fs->paths->dir[0] = '\0';
			goto fail;
		}
		snprintf(fs->paths->image, sizeof(fs->paths->image), "%s/kmmfs.img", fs->paths->dir);
		fs->own_image = true;
	}
	err = sim_swapdev_open(fs->paths->image, &sb->dev, &bytes);
	if (!err && bytes >= KMMFS_BLOCK) {
		err = sim_swapdev_read(sb->dev, 0, &sb->ds, sizeof(sb->ds));
		if (!err && !super_valid(&sb->ds, bytes)) {
			kmm_set_error(-EINVAL, "kmmfs: %s holds no kmmfs filesystem", fs->paths->image);
			goto fail;
		}
		if (!err)
			err = sb_read(sb);
		if (err) {
			kmm_set_error(err, "kmmfs: cannot read the filesystem on %s", fs->paths->image);
			goto fail;
		}
	} else if (err == -ENOENT || (!err && bytes == 0)) {
		if (sb->dev)
			sim_swapdev_close(sb->dev);
		sb->dev = NULL;
		if ((err = sim_file_create(fs->paths->image, fs->size)) != 0 ||
		    (err = sim_swapdev_open(fs->paths->image, &sb->dev, &bytes)) != 0) {
			kmm_set_error(err, "kmmfs: cannot create the image %s", fs->paths->image);
			goto fail;
		}
		sb_format(sb, fs->size);
		if ((err = sb_alloc_tables(sb)) != 0) {
			kmm_set_error(err, "kmmfs: out of memory for the tables");
			goto fail;
		}
		for (uint32_t b = 0; b < sb->ds.data_start; b++)
			sb->fat[b] = KMMFS_META;
		sb->free_blocks = sb->ds.nblocks - sb->ds.data_start;
		sb->hint = sb->ds.data_start;
		memset(sb->fat_dirty, 1, sb->ds.fat_blocks);
		memset(sb->itable_dirty, 1, sb->ds.itable_blocks);
		if ((err = sim_swapdev_write(sb->dev, 0, &sb->ds, sizeof(sb->ds))) != 0 ||
		    (err = kmmfs_write_meta(sb)) != 0) {
			kmm_set_error(err, "kmmfs: cannot write the new filesystem");
			goto fail;
		}
		fresh = true;
	} else {
		kmm_set_error(err ? err : -EINVAL, "kmmfs: cannot open the image %s", fs->paths->image);
		goto fail;
	}
	kmm_printk(fs->m, "kmmfs (kmmd0): %s filesystem, %u blocks of 4096, %u inodes, %u blocks free",
		   fresh ? "new" : "mounted", sb->ds.nblocks, sb->ds.ninodes, sb->free_blocks);
	__atomic_store_n(&fs->sb, sb, __ATOMIC_RELEASE);
	sim_write_unlock(&fs->mount_lock);
	return sb;
fail:
	kmmfs_put_super(sb);
	sim_write_unlock(&fs->mount_lock);
	return NULL;
}

/* ---- The checker ---- */

static int fs_check(struct kmm_machine *m)
{
	struct fs_state *fs = fs_of(m);
	struct kmmfs_sb *sb = fs ? fs->sb : NULL;
	unsigned char *seen;
	uint32_t free_blocks = 0;
	int err = 0;

	if (!sb)
		return 0;
	if (!(seen = calloc(sb->ds.nblocks, 1)))
		return 0;	/* no memory to check with: not a failure of the filesystem */
	kmmfs_lock(sb);
	for (uint32_t i = 0; i < sb->ds.ninodes && !err; i++) {
		struct kmmfs_inode *ino = &sb->inodes[i];
		if (!ino->used)
			continue;
		for (uint32_t k = 0; k < ino->nblocks && !err; k++) {
			uint32_t b = ino->blocks[k];
			uint32_t want = k + 1 < ino->nblocks ? ino->blocks[k + 1] : KMMFS_EOC;
			if (b < sb->ds.data_start || b >= sb->ds.nblocks || seen[b])
				err = kmm_set_error(-EUCLEAN, "kmmfs: block %u of %s is bad or on two files",
						    k, ino->name);
			else if (sb->fat[b] != want)
				err = kmm_set_error(-EUCLEAN, "kmmfs: FAT entry of block %u (page %u of %s) is %#x, "
						    "its chain says %#x", b, k, ino->name, sb->fat[b], want);
			else
				seen[b] = 1;
		}
		for (uint32_t j = i + 1; !err && ino->nlink && j < sb->ds.ninodes; j++)
			if (sb->inodes[j].used && sb->inodes[j].nlink && !strcmp(sb->inodes[j].name, ino->name))
				err = kmm_set_error(-EUCLEAN, "kmmfs: two inodes named %s", ino->name);
	}
	for (uint32_t b = sb->ds.data_start; !err && b < sb->ds.nblocks; b++) {
		if (!sb->fat[b])
			free_blocks++;
		else if (!seen[b])
			err = kmm_set_error(-EUCLEAN, "kmmfs: block %u is taken (FAT %#x) but on no file", b,
					    sb->fat[b]);
	}
	if (!err && free_blocks != sb->free_blocks)
		err = kmm_set_error(-EUCLEAN, "kmmfs: %u free blocks counted, free_blocks says %u",
				    free_blocks, sb->free_blocks);
	kmmfs_unlock(sb);
	free(seen);
	return err;
}

/* ---- The entry ---- */

static int validate_fsimage(const char *val, char *err, size_t len)
{
	if (val[0] == '/' && strlen(val) < 4000)
		return 0;
	snprintf(err, len, "fsimage= takes an absolute host path");
	return -1;
}

static int validate_fssize(const char *val, char *err, size_t len)
{
	uint64_t v;

	if (!kmm_parse_size(val, &v, NULL) && v >= KMMFS_MIN_SIZE && v <= KMMFS_MAX_SIZE)
		return 0;
	snprintf(err, len, "fssize= takes a size from 1M to 64G");
	return -1;
}

static void fs_boot_options(void)
{
	kmm_register_boot_option("fsimage", validate_fsimage);
	kmm_register_boot_option("fssize", validate_fssize);
}

static int fs_init(struct kmm_machine *m)
{
	struct fs_state *fs = calloc(1, sizeof(*fs));
	const char *image = kmm_boot_option(m, "fsimage"), *size = kmm_boot_option(m, "fssize");

	if (!fs)
		return kmm_set_error(-ENOMEM, "fs: out of memory for its state");
	fs->m = m;
	spin_lock_init(&fs->files_lock);
	sim_rwlock_init(&fs->mount_lock);
	fs->size = KMMFS_DEFAULT_SIZE;
	if (size)
		kmm_parse_size(size, &fs->size, NULL);
	fs->size = fs->size / KMMFS_BLOCK * KMMFS_BLOCK;
	if (image) {
		if (!(fs->paths = calloc(1, sizeof(*fs->paths)))) {
			free(fs);
			return kmm_set_error(-ENOMEM, "fs: out of memory for its state");
		}
		snprintf(fs->paths->image, sizeof(fs->paths->image), "%s", image);
	}
	m->subsys[SUBSYS_FS] = fs;
	if (procs_of(m)) {
		procs_of(m)->exit_files = fs_exit_files;	/* no task runs yet */
		procs_of(m)->open_exec = fs_open_exec;
	}
	return 0;
}

/* Unmount: close every file, write everything back, free the in-memory inodes. */
static void fs_shutdown(struct kmm_machine *m)
{
	struct fs_state *fs = fs_of(m);
	struct kmmfs_sb *sb;

	if (!fs)
		return;
	if (procs_of(m)) {
		procs_of(m)->exit_files = NULL;	/* the process layer shuts down after us */
		procs_of(m)->open_exec = NULL;
	}
	fs_close_all(fs);
	sb = fs->sb;
	if (sb) {
		sync_pagecache(m);
		/* drop the inodes' references; files still mapped by live processes lose
		   their backing store (the process layer's shutdown, next, unmaps them) */
		for (uint32_t i = 0; i < sb->ds.ninodes; i++) {
			struct kmmfs_inode *ino = &sb->inodes[i];
			struct kmm_file *f;
			kmmfs_lock(sb);
			f = ino->mapping;
			ino->mapping = NULL;
			kmmfs_unlock(sb);
			if (!f)
				continue;
			if (ino->nlink) {
				kmmfs_set_size(fs, f);
				f->host = NULL;
				f->a_ops = NULL;
				f->shmem = false;
				kmm_file_put(m, f);
			} else {
				f->host = NULL;
				f->a_ops = NULL;
			}
		}
		kmmfs_lock(sb);
		for (uint32_t i = 0; i < sb->ds.ninodes; i++)
			if (sb->inodes[i].used && !sb->inodes[i].nlink)
				evict_inode(sb, &sb->inodes[i]);
		kmmfs_write_meta(sb);
		kmmfs_unlock(sb);
		kmmfs_put_super(sb);
		fs->sb = NULL;
	}
	if (fs->own_image) {
		sim_tmpdir_remove(fs->paths->dir);
	}
	free(fs->paths);
	free(fs->open);
	free(fs->shm);
	sim_rwlock_destroy(&fs->mount_lock);
	m->subsys[SUBSYS_FS] = NULL;
	free(fs);
}

const struct kmm_subsys fs_subsys = {
	.name = "fs",
	.id = SUBSYS_FS,
	.boot_options = fs_boot_options,
	.init = fs_init,
	.check = fs_check,
	.shutdown = fs_shutdown,
};
