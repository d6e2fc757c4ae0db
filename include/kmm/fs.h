// SPDX-License-Identifier: MIT
/*
 * include/kmm/fs.h - files: the filesystem a machine keeps on a host image,
 * tmpfs under /dev/shm, and the file system calls of a simulated process.
 *
 * A machine mounts its filesystem (kmmfs, fs/kmmfs.h) on the first file
 * operation: the image is the host file named by the fsimage= boot option
 * (created when missing, mounted when it holds a kmmfs), or a fresh one in a
 * private temporary directory that shutdown removes; fssize= sizes a new
 * image (default 256M). File data goes through the page cache: reads fill
 * it (with readahead), writes and shared mappings dirty it, and writeback
 * (fsync, sync, the dirty limits, reclaim) puts the bytes into the image.
 * Paths are flat names of up to 63 bytes ("/data/big"); those under
 * /dev/shm/ are tmpfs files, in memory only.
 *
 * The calls take the flag values of Linux's uapi headers under KMM_ names and
 * return a non-negative result or a negative errno, with state unchanged on
 * error; kmm_last_error() then says what was wrong. File descriptors belong
 * to the process that opened them (from 3 up); a dead process's are closed
 * by the next file call (any process's, or kmm_unlink/kmm_sync/...).
 */
#ifndef KMM_FS_H
#define KMM_FS_H

#include <stddef.h>
#include <stdint.h>

struct kmm_machine;
struct task_struct;

#define KMM_O_RDONLY	00
#define KMM_O_WRONLY	01
#define KMM_O_RDWR	02
#define KMM_O_ACCMODE	03
#define KMM_O_CREAT	0100
#define KMM_O_EXCL	0200
#define KMM_O_TRUNC	01000
#define KMM_O_APPEND	02000

#define KMM_SEEK_SET	0
#define KMM_SEEK_CUR	1
#define KMM_SEEK_END	2

#define KMM_MS_ASYNC		1
#define KMM_MS_INVALIDATE	2
#define KMM_MS_SYNC		4

#define KMM_POSIX_FADV_NORMAL		0
#define KMM_POSIX_FADV_RANDOM		1
#define KMM_POSIX_FADV_SEQUENTIAL	2
#define KMM_POSIX_FADV_WILLNEED		3
#define KMM_POSIX_FADV_DONTNEED		4
#define KMM_POSIX_FADV_NOREUSE		5

/**
 * kmm_open() - open (or with KMM_O_CREAT create) @path for @t: the lowest
 * free descriptor, which must be below @t's RLIMIT_NOFILE (-EMFILE before the
 * name is looked up, created or truncated). Return: an fd, or -errno.
 */
int kmm_open(struct task_struct *t, const char *path, int flags);
/** kmm_close() - close @fd of @t. Return: 0 or -EBADF. */
int kmm_close(struct task_struct *t, int fd);
/**
 * kmm_read() / kmm_write() - at the file position, which moves. A write is
 * held to @t's RLIMIT_FSIZE (as kmm_pwrite and kmm_ftruncate): one that
 * would start at or past it fails with -EFBIG and SIGXFSZ ends @t (it
 * neither ignores nor catches the signal); one that starts below it is cut
 * short there. Return: bytes, or -errno.
 */
long kmm_read(struct task_struct *t, int fd, void *buf, size_t len);
long kmm_write(struct task_struct *t, int fd, const void *buf, size_t len);
/** kmm_pread() / kmm_pwrite() - at @off; the position stays. Return: bytes, or -errno. */
long kmm_pread(struct task_struct *t, int fd, void *buf, size_t len, uint64_t off);
long kmm_pwrite(struct task_struct *t, int fd, const void *buf, size_t len, uint64_t off);
/** kmm_lseek() - move the position (KMM_SEEK_*). Return: the new position, or -errno. */
int64_t kmm_lseek(struct task_struct *t, int fd, int64_t off, int whence);
/**
 * kmm_ftruncate() - set the file's size; mappings past the new end get
 * SIGBUS. Growing it past @t's RLIMIT_FSIZE is -EFBIG with SIGXFSZ, as a
 * write. Return: 0/-errno.
 */
int kmm_ftruncate(struct task_struct *t, int fd, uint64_t size);
/** kmm_fsync() - write the file's dirty pages and metadata to the image. Return: 0/-errno (-EIO once per write error). */
int kmm_fsync(struct task_struct *t, int fd);
/**
 * kmm_fadvise() - advice on [@off, @off + @len) of @fd (@len 0: to the end),
 * as Linux 6.12's generic_fadvise: KMM_POSIX_FADV_WILLNEED reads the range
 * into the page cache (at most 4 MiB or the window); DONTNEED writes its
 * dirty pages and drops its whole clean, unmapped pages; SEQUENTIAL doubles
 * this open file's readahead window; RANDOM turns it off (reads read just
 * what they ask); NOREUSE is recorded; NORMAL undoes the last three. Every
 * advice is a no-op on tmpfs. Return: 0, -EINVAL (unknown advice), -EBADF.
 */
int kmm_fadvise(struct task_struct *t, int fd, uint64_t off, uint64_t len, int advice);
/**
 * kmm_mmap_fd() - map @len bytes of @fd from @off (page aligned) into @t:
 * KMM_MAP_SHARED stores reach the file and every other mapper;
 * KMM_MAP_PRIVATE ones are copied on write. *@out gets the address.
 * Return: 0 or -errno (-EACCES: the fd's mode does not allow @prot).
 */
int kmm_mmap_fd(struct task_struct *t, int fd, uint64_t addr, uint64_t len, int prot, int flags,
		uint64_t off, uint64_t *out);
/**
 * kmm_mkfile() - create (or empty) @path and write @size bytes to it through
 * the page cache, as `dd` would: each byte @byte, or with @byte < 0 a
 * pattern of the offset (byte i is (i * 131 + i / 4096) & 0xff). The pages
 * stay dirty until writeback. Return: 0 or -errno (-ENOSPC: the image is full).
 */
int kmm_mkfile(struct kmm_machine *m, const char *path, uint64_t size, int byte);
/**
 * kmm_msync() - KMM_MS_SYNC: write the dirty pages of the shared file
 * mappings in [@addr, @addr + @len) of @t; KMM_MS_ASYNC does nothing (as
 * Linux). Return: 0, -EINVAL (flags, alignment), -ENOMEM (a hole in the
 * range), -EIO (a write failed).
 */
int kmm_msync(struct task_struct *t, uint64_t addr, uint64_t len, int flags);
/**
 * kmm_mincore() - @vec[i] is 1 when page i of [@addr, @addr + @len) of @t is
 * resident (mapped, or for a file mapping in the page cache), else 0.
 * Return: 0, -EINVAL (alignment), -ENOMEM (a hole in the range).
 */
int kmm_mincore(struct task_struct *t, uint64_t addr, uint64_t len, unsigned char *vec);
/** kmm_unlink() - remove @path; its data goes with its last open file or mapping. Return: 0/-ENOENT. */
int kmm_unlink(struct kmm_machine *m, const char *path);
/** kmm_sync() - write every dirty page and the metadata to the image (sync(2)). Return: 0/-errno. */
int kmm_sync(struct kmm_machine *m);
/** kmm_file_size() - the size of @path in bytes. Return: 0 or -ENOENT. */
int kmm_file_size(struct kmm_machine *m, const char *path, uint64_t *size);
/**
 * kmm_fincore() - which pages of @path are in the page cache: @vec[i] (for
 * i < @n) is 0 not cached, 1 cached, 3 cached and dirty.
 * Return: pages cached among the first @n, or -ENOENT.
 */
long kmm_fincore(struct kmm_machine *m, const char *path, unsigned char *vec, size_t n);
/**
 * kmm_fs_bmap() - where page @index of @path lies in the host image (Linux's
 * FIBMAP, in bytes). Return: 0, -ENOENT (no such file), -ENXIO (no block:
 * past the end, or a tmpfs file).
 */
int kmm_fs_bmap(struct kmm_machine *m, const char *path, uint64_t index, uint64_t *image_offset);
/**
 * kmm_writeback_run_pending() - the flusher's periodic run (Linux's
 * wb_workfn every vm.dirty_writeback_centisecs): first the writes whose
 * time has come on the virtual clock complete; then, when that much virtual
 * time (kmm_clock_advance, `sleep`) has passed since the last run, it
 * starts writing every file whose oldest dirty page is older than
 * vm.dirty_expire_centisecs. The scenario runner calls it after every
 * command. Return: pages whose write it started.
 */
long kmm_writeback_run_pending(struct kmm_machine *m);
/**
 * kmm_writeback_start() - wake the flusher for everything (Linux's
 * wakeup_flusher_threads): start writing dirty pages until the device's
 * queue is full (1024 pages in flight), waiting for none.
 * Return: pages whose write started, or -ENOENT (no page cache).
 */
long kmm_writeback_start(struct kmm_machine *m);
/**
 * kmm_writeback_wait() - wait for every write in flight: the virtual clock
 * moves on to the time the disk needs. Return: writes completed, or -ENOENT.
 */
long kmm_writeback_wait(struct kmm_machine *m);
/** kmm_fs_image() - the host path of the mounted image (mounting it). Return: the path, or NULL. */
const char *kmm_fs_image(struct kmm_machine *m);

#endif /* KMM_FS_H */
