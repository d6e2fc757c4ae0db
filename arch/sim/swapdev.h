// SPDX-License-Identifier: MIT
/*
 * arch/sim/swapdev.h - the simulated disk behind swap areas: host files,
 * read and written with real I/O, and a wait queue for kswapd's host thread.
 *
 * A swap area of a kmm machine is a host file. Its simulated path
 * ("/swapfile") is what /proc/swaps and dmesg show; the host file is that
 * path below the machine's swap directory (a private temporary directory
 * unless the swapdir= boot option names one). Only this file does host file
 * I/O in kmm.
 */
#ifndef KMM_ARCH_SIM_SWAPDEV_H
#define KMM_ARCH_SIM_SWAPDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Files ---- */

struct sim_swapdev;	/* an open host file */

/**
 * sim_tmpdir_create() - a fresh private directory under $TMPDIR (or /tmp),
 * named kmm-swap-XXXXXX, its path written to @dir (@len bytes). On failure
 * @dir holds the directory it tried to make one in, for the caller's message.
 * Return: 0 or -errno.
 */
int sim_tmpdir_create(char *dir, size_t len);
/** sim_tmpdir_remove() - remove @dir and the regular files in it (not below). */
void sim_tmpdir_remove(const char *dir);
/** sim_dir_exists() - is @dir an existing directory? */
bool sim_dir_exists(const char *dir);
/**
 * sim_file_create() - create (or truncate) the host file @path with
 * @bytes bytes (sparse: blocks are allocated as they are written).
 * Return: 0 or -errno.
 */
int sim_file_create(const char *path, uint64_t bytes);
/**
 * sim_swapdev_open() - open @path for reading and writing; *@bytes gets its size.
 * Return: 0 or -errno (*@out untouched).
 */
int sim_swapdev_open(const char *path, struct sim_swapdev **out, uint64_t *bytes);
void sim_swapdev_close(struct sim_swapdev *d);
/**
 * sim_swapdev_read() / sim_swapdev_write() - @len bytes at byte offset @off,
 * all of them (short transfers are retried). Return: 0 or -errno (-EIO for
 * a file that ends early).
 */
int sim_swapdev_read(struct sim_swapdev *d, uint64_t off, void *buf, size_t len);
int sim_swapdev_write(struct sim_swapdev *d, uint64_t off, const void *buf, size_t len);
/**
 * sim_swapdev_rw_pages() - @nr buffers of @len bytes each, @bufs[i] at byte
 * offset @off + i * @len, read or written (@write) in one host call
 * (preadv/pwritev; a short transfer is continued). Return: 0 or -errno.
 */
int sim_swapdev_rw_pages(struct sim_swapdev *d, uint64_t off, void *const *bufs, unsigned int nr,
			 size_t len, bool write);
/** sim_swapdev_sync() - the host's fsync of the file (the filesystem image's sync). Return: 0/-errno. */
int sim_swapdev_sync(struct sim_swapdev *d);

/* ---- A wait queue (kswapd_wait) ---- */

struct sim_waitq {
	_Alignas(8) unsigned char opaque[160];	/* a mutex and a condition variable */
};
void sim_waitq_init(struct sim_waitq *q);
void sim_waitq_destroy(struct sim_waitq *q);
/**
 * sim_waitq_wait() - sleep until @cond(@arg) is true; @cond is evaluated
 * with the queue's mutex held, so a waker that changes the state under
 * sim_waitq_wake() is never missed.
 */
void sim_waitq_wait(struct sim_waitq *q, bool (*cond)(void *arg), void *arg);
/** sim_waitq_wake() - run @fn(@arg) (may be NULL) under the mutex, then wake every waiter. */
void sim_waitq_wake(struct sim_waitq *q, void (*fn)(void *arg), void *arg);

#endif /* KMM_ARCH_SIM_SWAPDEV_H */
