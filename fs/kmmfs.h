// SPDX-License-Identifier: MIT
/*
 * fs/kmmfs.h - kmmfs, the small filesystem a kmm machine keeps its files on,
 * and the open-file table; private to fs/.
 *
 * The disk is a host file (the image), read and written in 4 KiB blocks
 * through arch/sim/swapdev.c:
 *
 *   block 0                   the superblock (struct kmmfs_disk_super)
 *   blocks 1 .. F             the FAT: one le32 per block of the disk;
 *                             0 free, KMMFS_EOC the last block of a file,
 *                             KMMFS_META a metadata block, else the next
 *                             block of the same file
 *   blocks F+1 .. F+I         the inode table: 128-byte inodes
 *   the rest                  data blocks
 *
 * A file's blocks form one chain from its inode's first block, in file
 * order and without holes (a write past the end allocates the gap and
 * writes zeros there), so page i of a file is the i-th block of its chain.
 * The namespace is flat: an inode holds the whole path ("/data/big"); no
 * directories are created or listed. Paths under /dev/shm/ are tmpfs
 * files (mm/shmem.c's kind: in memory only).
 *
 * In memory: the FAT and the inode table are read at mount and kept; each
 * inode's chain is also kept as an array (page index -> block). Metadata
 * reaches the image on sync, fsync and unmount (the FAT and inode-table
 * blocks changed since).
 *
 * Locking: sb->lock (a mutex) guards the FAT, the inode table, the block
 * arrays and the image's I/O; it is never held across a page allocation
 * (reclaim may call writepage, which takes it). fs->files_lock guards the
 * open-file table and the tmpfs names; it is taken before sb->lock.
 * fs->mount_lock serialises mounting (kmmfs_get_sb: two threads' first
 * spawn or open mount kmmd0 once); nothing else is held when it is taken.
 */
#ifndef KMM_FS_KMMFS_H
#define KMM_FS_KMMFS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/sim/swapdev.h"
#include "include/kmm/fs.h"
#include "mm/include/filemap.h"

#define KMMFS_MAGIC		"KMMFS\0\0\1"
#define KMMFS_BLOCK		4096u
#define KMMFS_INODE_SIZE	128u
#define KMMFS_NAME_LEN		64u		/* with the NUL: kmm_file.path's size */
#define KMMFS_EOC		0xffffffffu
#define KMMFS_META		0xfffffffeu
#define KMMFS_DEFAULT_SIZE	(256ULL << 20)
#define KMMFS_MIN_SIZE		(1ULL << 20)
#define KMMFS_MAX_SIZE		(64ULL << 30)

struct kmmfs_disk_super {
	char magic[8];
	uint32_t block_size, nblocks, ninodes;
	uint32_t fat_start, fat_blocks, itable_start, itable_blocks, data_start;
};

struct kmmfs_disk_inode {
	uint32_t mode;			/* 0 free, 1 a regular file */
	uint32_t nlink;
	uint64_t size;
	uint32_t first_block;		/* 0: no blocks */
	uint32_t nblocks;
	char name[KMMFS_NAME_LEN];
	char pad[KMMFS_INODE_SIZE - 24 - KMMFS_NAME_LEN];
};
_Static_assert(sizeof(struct kmmfs_disk_inode) == KMMFS_INODE_SIZE, "kmmfs inode size");

struct kmmfs_inode {
	uint32_t ino;			/* slot in the table */
	bool used;			/* the slot holds a file (named or orphaned) */
	uint32_t nlink;			/* 1 while named, 0 once unlinked */
	uint64_t disk_size;		/* the size the image holds (updated at writeback/sync) */
	uint32_t *blocks;		/* [nblocks]: page index -> disk block */
	uint32_t nblocks, cap;
	char name[KMMFS_NAME_LEN];
	struct kmm_file *mapping;	/* the address space while the inode is in memory */
};

struct kmmfs_sb {
	struct sim_swapdev *dev;
	struct sim_rwlock lock;			/* see the header: taken for writing only */
	struct kmmfs_disk_super ds;
	uint32_t *fat;				/* [nblocks] */
	uint32_t free_blocks, hint;
	struct kmmfs_inode *inodes;		/* [ninodes] */
	unsigned char *fat_dirty, *itable_dirty;	/* per metadata block */
	unsigned long reads, writes;		/* data blocks */
	unsigned long read_calls;		/* host reads of data blocks (readahead: one a run) */
};

struct open_file {
	int pid, fd;
	int users;				/* fdget() holders + 1 while open (files_lock) */
	bool closed;
	int flags;				/* KMM_O_* */
	uint64_t pos;
	struct kmm_file *f;			/* a reference */
	struct file_ra_state ra;
};

struct shm_name {
	struct kmm_file *f;			/* a reference, until unlinked */
};

/* The image's host paths: 7 KB that a machine which never mounts kmmfs (the malloc shim's) does not hold. */
struct fs_paths {
	char image[4096];			/* the image's host path */
	char dir[3072];				/* our own temporary directory, or "" */
};

struct fs_state {
	struct kmm_machine *m;
	spinlock_t files_lock;			/* @open, @nr_open, @shm; before sb->lock */
	struct open_file **open;
	int nr_open, cap_open;
	struct shm_name *shm;
	int nr_shm, cap_shm;
	struct sim_rwlock mount_lock;		/* serialises mounting (taken for writing) */
	struct kmmfs_sb *sb;			/* NULL until the first file operation mounts it;
						   published with release under mount_lock */
	struct fs_paths *paths;			/* NULL until fsimage= or the first mount (under
						   mount_lock, before @sb is published) */
	uint64_t size;				/* fssize= */
	bool own_image;				/* ours to remove at shutdown */
	bool mounted_once;
};

static inline struct fs_state *fs_of(const struct kmm_machine *m)
{
	return m->subsys[SUBSYS_FS];
}

/* fs/super.c */
/** kmmfs_get_sb() - the mounted filesystem, mounting it on first use. Return: sb or NULL (error set). */
struct kmmfs_sb *kmmfs_get_sb(struct fs_state *fs);
/** kmmfs_lookup() - the inode named @path (sb->lock held), or NULL. */
struct kmmfs_inode *kmmfs_lookup(struct kmmfs_sb *sb, const char *path);
/** kmmfs_create() - a new empty inode named @path (sb->lock held). Return: it, or NULL (-ENOSPC). */
struct kmmfs_inode *kmmfs_create(struct kmmfs_sb *sb, const char *path);
/**
 * kmmfs_install_image() - a new file @path of @size bytes holding the
 * generated program image (image_pattern of image_seed(@path)), its blocks
 * written straight to the disk, as if installed before boot (nothing enters
 * the page cache). Context: sb->lock held. Return: the inode, or NULL with
 * *@err (-ENOSPC: no inode or block; -ENOMEM; -EIO) and the error text set.
 */
struct kmmfs_inode *kmmfs_install_image(struct kmmfs_sb *sb, const char *path, uint64_t size, int *err);
/** kmmfs_iget() - @ino's address space with a reference (sb->lock NOT held: may allocate). */
struct kmm_file *kmmfs_iget(struct fs_state *fs, struct kmmfs_inode *ino);
/** kmmfs_truncate_blocks() - free @ino's blocks from page @from on (sb->lock held). */
void kmmfs_truncate_blocks(struct kmmfs_sb *sb, struct kmmfs_inode *ino, uint32_t from);
/** kmmfs_write_meta() - write the changed FAT and inode blocks, then fsync the image. Return: 0/-errno. */
int kmmfs_write_meta(struct kmmfs_sb *sb);
/** kmmfs_set_size() - record @f's size in its inode (sb->lock taken). */
void kmmfs_set_size(struct fs_state *fs, struct kmm_file *f);

static inline void kmmfs_lock(struct kmmfs_sb *sb)
{
	sim_write_lock(&sb->lock);
}
static inline void kmmfs_unlock(struct kmmfs_sb *sb)
{
	sim_write_unlock(&sb->lock);
}

/* fs/open.c */
/** fs_close_all() - close every open file (unmount). Return: files closed. */
int fs_close_all(struct fs_state *fs);
/** fs_exit_files() - the process layer's exit_files hook: close every descriptor of @t (exited). */
void fs_exit_files(struct task_struct *t);
/** fs_open_exec() - the process layer's open_exec hook (mm/include/mm.h): the program file @path. */
int fs_open_exec(struct kmm_machine *m, const char *path, uint64_t size, struct kmm_file **out);

#endif /* KMM_FS_KMMFS_H */
