// SPDX-License-Identifier: MIT
/*
 * arch/sim/swapdev.c - host files for swap areas (pread/pwrite), the
 * temporary swap directory, and a mutex+condvar wait queue for kswapd.
 *
 * Linux counterpart: none; this is the disk and the scheduler's wait queue.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "arch/sim/swapdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct sim_swapdev {
	int fd;
};

int sim_tmpdir_create(char *dir, size_t len)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	int err = -ENAMETOOLONG;

	if ((size_t)snprintf(dir, len, "%s/kmm-swap-XXXXXX", base) < len)
		err = mkdtemp(dir) ? 0 : -errno;
	if (err)
		snprintf(dir, len, "%s", base);
	return err;
}

void sim_tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

bool sim_dir_exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int sim_file_create(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int sim_swapdev_open(const char *path, struct sim_swapdev **out, uint64_t *bytes)
{
	struct stat st;
	struct sim_swapdev *d;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return err;
	}
	d = malloc(sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	*bytes = (uint64_t)st.st_size;
	*out = d;
	return 0;
}

void sim_swapdev_close(struct sim_swapdev *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d);
}

/* pread/pwrite all of @len bytes, retrying short transfers and EINTR. */
static int swapdev_io(struct sim_swapdev *d, uint64_t off, char *p, size_t len, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(d->fd, p, len, (off_t)off) : pread(d->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int sim_swapdev_read(struct sim_swapdev *d, uint64_t off, void *buf, size_t len)
{
	return swapdev_io(d, off, buf, len, false);
}

int sim_swapdev_write(struct sim_swapdev *d, uint64_t off, const void *buf, size_t len)
{
	return swapdev_io(d, off, (char *)buf, len, true);
}

int sim_swapdev_rw_pages(struct sim_swapdev *d, uint64_t off, void *const *bufs, unsigned int nr,
			 size_t len, bool write)
{
	struct iovec iov[64];
	unsigned int i = 0;

	while (i < nr) {
		unsigned int n = nr - i < 64 ? nr - i : 64;
		for (unsigned int k = 0; k < n; k++)
			iov[k] = (struct iovec){ .iov_base = bufs[i + k], .iov_len = len };
		ssize_t got = write ? pwritev(d->fd, iov, (int)n, (off_t)off)
				    : preadv(d->fd, iov, (int)n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		/* whole buffers done; a part of one is finished by swapdev_io() */
		size_t whole = (size_t)got / len, part = (size_t)got % len;
		i += (unsigned int)whole;
		off += (uint64_t)whole * len;
		if (part) {
			int err = swapdev_io(d, off + part, (char *)bufs[i] + part, len - part, write);
			if (err)
				return err;
			i++;
			off += len;
		}
	}
	return 0;
}

int sim_swapdev_sync(struct sim_swapdev *d)
{
	return fsync(d->fd) ? -errno : 0;
}

/* ---- Wait queue ---- */

struct waitq_impl {
	pthread_mutex_t lock;
	pthread_cond_t cond;
};
_Static_assert(sizeof(struct waitq_impl) <= sizeof(struct sim_waitq), "waitq too big");

static struct waitq_impl *wq(struct sim_waitq *q)
{
	return (struct waitq_impl *)(void *)q->opaque;
}

void sim_waitq_init(struct sim_waitq *q)
{
	pthread_mutex_init(&wq(q)->lock, NULL);
	pthread_cond_init(&wq(q)->cond, NULL);
}

void sim_waitq_destroy(struct sim_waitq *q)
{
	pthread_cond_destroy(&wq(q)->cond);
	pthread_mutex_destroy(&wq(q)->lock);
}

void sim_waitq_wait(struct sim_waitq *q, bool (*cond)(void *arg), void *arg)
{
	pthread_mutex_lock(&wq(q)->lock);
	while (!cond(arg))
		pthread_cond_wait(&wq(q)->cond, &wq(q)->lock);
	pthread_mutex_unlock(&wq(q)->lock);
}

void sim_waitq_wake(struct sim_waitq *q, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&wq(q)->lock);
	if (fn)
		fn(arg);
	pthread_cond_broadcast(&wq(q)->cond);
	pthread_mutex_unlock(&wq(q)->lock);
}
