// SPDX-License-Identifier: MIT
/*
 * fs/open.c - the file system calls: open, close, read, write, pread,
 * pwrite, lseek, ftruncate, fsync, fadvise, mmap of an fd, unlink, sync;
 * the per-process file descriptors, closed when their process exits; tmpfs
 * names under /dev/shm.
 *
 * Linux counterpart: fs/open.c (do_sys_open, close_fd, do_sys_ftruncate),
 * fs/read_write.c (ksys_read, ksys_write, ksys_pread64, ksys_pwrite64,
 * vfs_llseek), fs/sync.c (vfs_fsync_range, ksys_sync), mm/fadvise.c
 * (generic_fadvise), mm/mmap.c (ksys_mmap_pgoff's file half), fs/namei.c
 * (do_unlinkat), fs/file.c (the fd table: lowest free descriptor first),
 * mm/shmem.c (tmpfs files are shmem objects in memory).
 * fadvise NOREUSE is recorded on the open file: in 6.12 its one effect is
 * that reclaim ignores the accessed bits of mappings made through that open
 * file (vma_has_recency), as it ignores MADV_SEQUENTIAL/RANDOM mappings'.
 * kmm's VMAs map the file, not an open file, so a mapping takes the mode
 * when it is made (VM_FILE_NOREUSE): fadvise NOREUSE or NORMAL after the
 * mmap() leaves that mapping as it was (Linux's reaches it, through the
 * struct file they share).
 * Simplified: one flat namespace, no directories, no permissions (every
 * process is root), no O_DIRECT, no file locks; the fd table lives in the
 * fs layer (by pid) rather than in the task (exit closes a process's files
 * through the process layer's exit_files hook); tmpfs has no size limit
 * and its pages are never swapped out (reclaim keeps them).
 *
 * Locking: fs->files_lock (the table, an open file's users) -> f->i_rwsem
 * (read(): read side; write(), ftruncate: write side) -> page locks ->
 * sb->lock. Every call runs inside procs_enter() with @t current.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kmmfs.h"
#include "include/kmm/trace.h"
#include "mm/include/events.h"

/* ---- Entering a call ---- */

struct call {
	struct kmm_machine *m;
	struct fs_state *fs;
	struct task_struct *prev;
	int token;
	int nr;		/* the system call on the event stream (enum kmm_sys), or -1 */
};

static int call_begin(struct call *c, struct task_struct *t, enum kmm_sys nr, uint64_t a0, uint64_t a1,
		      uint64_t a2)
{
	c->m = NULL;
	c->fs = NULL;
	c->token = 0;
	c->prev = NULL;
	c->nr = -1;
	if (!t || !kmm_task_alive(t))
		return kmm_set_error(-ESRCH, "no such process");
	c->m = t->machine;
	c->fs = fs_of(c->m);
	if (!c->fs)
		return kmm_set_error(-ENOSYS, "the machine has no filesystem layer");
	c->nr = (int)nr;
	trace_sys_enter(c->m, kmm_task_pid(t), nr, a0, a1, a2);
	c->token = procs_enter(c->m);
	c->prev = set_current_task(t);
	return 0;
}

static long call_end(struct call *c, long ret)
{
	task_leave(c->prev);
	procs_exit(c->m, c->token);
	if (c->nr >= 0)
		trace_sys_exit(c->m, (enum kmm_sys)c->nr, ret);
	return ret;
}

/* A call of the machine's own (no process): @nr -1 puts nothing on the event stream. */
static int machine_begin(struct call *c, struct kmm_machine *m, int nr, uint64_t a0)
{
	c->token = 0;
	c->prev = NULL;
	c->nr = -1;
	c->m = m;
	c->fs = m ? fs_of(m) : NULL;
	if (!c->fs)
		return kmm_set_error(-ENOSYS, "the machine has no filesystem layer");
	c->nr = nr;
	if (nr >= 0)
		trace_sys_enter(m, 0, (enum kmm_sys)nr, a0, 0, 0);
	c->token = procs_enter(m);
	c->prev = set_current_task(NULL);
	return 0;
}

/* ---- Names ---- */

static bool is_shm_path(const char *path)
{
	return !strncmp(path, "/dev/shm/", 9);
}

static int check_path(const char *path)
{
	if (!path || path[0] != '/' || !path[1] || path[strlen(path) - 1] == '/')
		return kmm_set_error(-EINVAL, "'%s' is not a file path (absolute, not a directory)",
				     path ? path : "(null)");
	if (strlen(path) >= KMMFS_NAME_LEN)
		return kmm_set_error(-ENAMETOOLONG, "'%s' is longer than %u bytes", path,
				     KMMFS_NAME_LEN - 1);
	if (is_shm_path(path) && !path[9])
		return kmm_set_error(-EINVAL, "'%s' names no file", path);
	return 0;
}

/* The tmpfs file @path with a reference, or NULL. Context: files_lock. */
static struct kmm_file *shm_find_locked(struct fs_state *fs, const char *path, int *slot)
{
	for (int i = 0; i < fs->nr_shm; i++)
		if (!strcmp(fs->shm[i].f->path, path)) {
			if (slot)
				*slot = i;
			return fs->shm[i].f;
		}
	return NULL;
}

/*
 * The file @path, with a reference: a tmpfs object or a kmmfs inode's
 * address space, created when @create. *@created says whether it was.
 */
static struct kmm_file *lookup_file(struct fs_state *fs, const char *path, bool create, bool excl,
				    int *err)
{
	struct kmm_file *f;

	*err = 0;
	if (is_shm_path(path)) {
		spin_lock(&fs->files_lock);
		f = shm_find_locked(fs, path, NULL);
		if (f)
			kmm_file_get(f);
		spin_unlock(&fs->files_lock);
		if (f && excl) {
			kmm_file_put(fs->m, f);
			*err = kmm_set_error(-EEXIST, "%s exists", path);
			return NULL;
		}
		if (f || !create) {
			if (!f)
				*err = kmm_set_error(-ENOENT, "%s: no such file", path);
			return f;
		}
		struct kmm_file *n = kmm_file_create(fs->m, path, 0, true);
		if (!n) {
			*err = kmm_set_error(-ENOMEM, "out of memory for %s", path);
			return NULL;
		}
		spin_lock(&fs->files_lock);
		if ((f = shm_find_locked(fs, path, NULL)) != NULL) {
			kmm_file_get(f);	/* created meanwhile: use that one */
			spin_unlock(&fs->files_lock);
			kmm_file_put(fs->m, n);
			return f;
		}
		if (fs->nr_shm == fs->cap_shm) {
			int cap = fs->cap_shm ? 2 * fs->cap_shm : 8;
			void *q = realloc(fs->shm, (size_t)cap * sizeof(*fs->shm));
			if (!q) {
				spin_unlock(&fs->files_lock);
				kmm_file_put(fs->m, n);
				*err = kmm_set_error(-ENOMEM, "out of memory for %s", path);
				return NULL;
			}
			fs->shm = q;
			fs->cap_shm = cap;
		}
		fs->shm[fs->nr_shm++].f = n;	/* the name's reference */
		kmm_file_get(n);		/* the caller's */
		spin_unlock(&fs->files_lock);
		return n;
	}

	struct kmmfs_sb *sb = kmmfs_get_sb(fs);
	struct kmmfs_inode *ino;
	if (!sb) {
		*err = -EIO;
		return NULL;
	}
	kmmfs_lock(sb);
	ino = kmmfs_lookup(sb, path);
	if (ino && excl) {
		kmmfs_unlock(sb);
		*err = kmm_set_error(-EEXIST, "%s exists", path);
		return NULL;
	}
	if (!ino && create && !(ino = kmmfs_create(sb, path))) {
		kmmfs_unlock(sb);
		*err = kmm_set_error(-ENOSPC, "no free inode for %s", path);
		return NULL;
	}
	kmmfs_unlock(sb);
	if (!ino) {
		*err = kmm_set_error(-ENOENT, "%s: no such file", path);
		return NULL;
	}
	if (!(f = kmmfs_iget(fs, ino)))
		*err = kmm_set_error(-ENOMEM, "out of memory for %s", path);
	return f;
}

/* ---- The fd table ---- */

/* fdget(): @fd of @pid with a use taken, or NULL. */
static struct open_file *fdget(struct fs_state *fs, int pid, int fd)
{
	struct open_file *of = NULL;

	spin_lock(&fs->files_lock);
	for (int i = 0; i < fs->nr_open; i++)
		if (fs->open[i]->pid == pid && fs->open[i]->fd == fd) {
			of = fs->open[i];
			of->users++;
			break;
		}
	spin_unlock(&fs->files_lock);
	if (!of)
		kmm_set_error(-EBADF, "process %d has no file descriptor %d", pid, fd);
	return of;
}

static void fdput(struct fs_state *fs, struct open_file *of)
{
	bool last;

	spin_lock(&fs->files_lock);
	last = --of->users == 0;
	spin_unlock(&fs->files_lock);
	if (last) {
		kmm_file_put(fs->m, of->f);
		free(of);
	}
}

/* Take @of out of the table (files_lock held); the caller drops the table's use. */
static void fd_remove_locked(struct fs_state *fs, int i)
{
	fs->open[i]->closed = true;
	fs->open[i] = fs->open[--fs->nr_open];
}

/*
 * open_exec(): the program file @path for exec, with a reference in *@out:
 * the kmmfs file of that name, or one installed now (kmmfs_install_image:
 * @size bytes of the generated image, on the disk, not in the cache), or an
 * existing tmpfs file (a /dev/shm path names no program to install).
 * Mounts kmmd0 on first use, as any file call does. Return: 0 or -errno.
 */
int fs_open_exec(struct kmm_machine *m, const char *path, uint64_t size, struct kmm_file **out)
{
	struct fs_state *fs = fs_of(m);
	struct kmmfs_sb *sb;
	struct kmmfs_inode *ino;
	int err;

	*out = NULL;
	if ((err = check_path(path)) != 0)
		return err;
	if (is_shm_path(path)) {
		*out = lookup_file(fs, path, false, false, &err);
		return *out ? 0 : err;
	}
	if (!(sb = kmmfs_get_sb(fs)))
		return -EIO;
	kmmfs_lock(sb);
	ino = kmmfs_lookup(sb, path);
	if (!ino)
		ino = kmmfs_install_image(sb, path, size, &err);
	kmmfs_unlock(sb);
	if (!ino)
		return err;
	if (!(*out = kmmfs_iget(fs, ino)))
		return kmm_set_error(-ENOMEM, "exec: out of memory for %s", path);
	return 0;
}

/*
 * exit_files(): @t has exited - close every descriptor it holds (the
 * process layer calls it from exit_mm, after the address space went; a
 * call of @t still running keeps its file until it ends, as fdget's use).
 */
void fs_exit_files(struct task_struct *t)
{
	struct fs_state *fs = fs_of(t->machine);
	int pid = kmm_task_pid(t);

	if (!fs)
		return;
	for (;;) {
		struct open_file *of = NULL;
		spin_lock(&fs->files_lock);
		for (int i = 0; i < fs->nr_open; i++)
			if (fs->open[i]->pid == pid) {
				of = fs->open[i];
				fd_remove_locked(fs, i);
				break;
			}
		spin_unlock(&fs->files_lock);
		if (!of)
			return;
		fdput(fs, of);
	}
}

int fs_close_all(struct fs_state *fs)
{
	int n = 0;

	for (;;) {
		struct open_file *of = NULL;
		spin_lock(&fs->files_lock);
		if (fs->nr_open) {
			of = fs->open[0];
			fd_remove_locked(fs, 0);
		}
		spin_unlock(&fs->files_lock);
		if (!of)
			break;
		fdput(fs, of);
		n++;
	}
	/* the tmpfs names go too: their objects die with their last mapping */
	spin_lock(&fs->files_lock);
	while (fs->nr_shm) {
		struct kmm_file *f = fs->shm[--fs->nr_shm].f;
		spin_unlock(&fs->files_lock);
		kmm_file_put(fs->m, f);
		spin_lock(&fs->files_lock);
	}
	spin_unlock(&fs->files_lock);
	return n;
}

/* The lowest descriptor from 3 that @pid has not open (files_lock held). */
static int lowest_free_fd_locked(struct fs_state *fs, int pid)
{
	int fd = 3;

	for (bool again = true; again;) {
		again = false;
		for (int i = 0; i < fs->nr_open; i++)
			if (fs->open[i]->pid == pid && fs->open[i]->fd == fd) {
				fd++;
				again = true;
			}
	}
	return fd;
}

/*
 * alloc_fd()'s bound: a descriptor is below @t's RLIMIT_NOFILE (its soft
 * limit, read now), else EMFILE. uint64_t: an unlimited NOFILE cannot be
 * set (fs.nr_open bounds the hard limit), so any descriptor is below it.
 */
static int fd_past_nofile(struct task_struct *t, int fd)
{
	uint64_t limit = task_rlimit(t, KMM_RLIMIT_NOFILE);

	if ((uint64_t)fd < limit)
		return 0;
	return kmm_set_error(-EMFILE, "open: process %d has descriptors 0 to %d open and RLIMIT_NOFILE is "
			     "%" PRIu64, kmm_task_pid(t), fd - 1, limit);
}

/* get_unused_fd_flags() before the file is looked up: EMFILE leaves the name alone. */
static int fd_available(struct fs_state *fs, struct task_struct *t)
{
	spin_lock(&fs->files_lock);
	int fd = lowest_free_fd_locked(fs, kmm_task_pid(t));
	spin_unlock(&fs->files_lock);
	return fd_past_nofile(t, fd);
}

/* fd_install(): the lowest free descriptor from 3 for @t. Return: it or -errno. */
static int fd_install(struct fs_state *fs, struct task_struct *t, struct kmm_file *f, int flags)
{
	struct open_file *of = calloc(1, sizeof(*of));
	int pid = kmm_task_pid(t), fd, err;

	if (!of)
		return kmm_set_error(-ENOMEM, "out of memory for a file descriptor");
	of->pid = pid;
	of->flags = flags;
	of->f = f;
	of->users = 1;
	file_ra_state_init(fs->m, &of->ra);
	spin_lock(&fs->files_lock);
	fd = lowest_free_fd_locked(fs, pid);
	if ((err = fd_past_nofile(t, fd)) != 0 ||
	    (fs->nr_open == fs->cap_open &&
	     !(fs->open = realloc(fs->open, (size_t)(fs->cap_open = fs->cap_open ? 2 * fs->cap_open : 16) *
				  sizeof(*fs->open))))) {
		spin_unlock(&fs->files_lock);
		free(of);
		return err ? err : kmm_set_error(-ENOMEM, "process %d: no memory for a file descriptor", pid);
	}
	of->fd = fd;
	fs->open[fs->nr_open++] = of;
	spin_unlock(&fs->files_lock);
	return fd;
}

/* ---- Size changes ---- */

/* do_truncate(): set @f's size (i_rwsem held for writing); kmmfs frees the blocks past it. */
static void do_truncate(struct fs_state *fs, struct kmm_file *f, uint64_t size)
{
	truncate_setsize(f, size);
	if (f->host && fs->sb) {
		kmmfs_lock(fs->sb);
		kmmfs_truncate_blocks(fs->sb, f->host, (uint32_t)DIV_ROUND_UP(size, KMMFS_BLOCK));
		kmmfs_unlock(fs->sb);
		kmmfs_set_size(fs, f);
	}
}

/* ---- The calls ---- */

int kmm_open(struct task_struct *t, const char *path, int flags)
{
	struct call c;
	struct kmm_file *f;
	int err, fd;
	const int known = KMM_O_ACCMODE | KMM_O_CREAT | KMM_O_EXCL | KMM_O_TRUNC | KMM_O_APPEND;

	if ((err = check_path(path)) != 0)
		return err;
	if ((flags & ~known) || (flags & KMM_O_ACCMODE) == KMM_O_ACCMODE)
		return kmm_set_error(-EINVAL, "open: flags 0%o are not supported", flags);
	if ((err = call_begin(&c, t, KMM_SYS_OPEN, 0, (uint64_t)flags, 0)) != 0)
		return err;
	if ((err = fd_available(c.fs, t)) != 0)
		return (int)call_end(&c, err);
	f = lookup_file(c.fs, path, flags & KMM_O_CREAT, (flags & (KMM_O_CREAT | KMM_O_EXCL)) ==
			(KMM_O_CREAT | KMM_O_EXCL), &err);
	if (!f)
		return (int)call_end(&c, err);
	if ((flags & KMM_O_TRUNC) && (flags & KMM_O_ACCMODE) != KMM_O_RDONLY) {
		sim_write_lock(&f->i_rwsem);
		do_truncate(c.fs, f, 0);
		sim_write_unlock(&f->i_rwsem);
	}
	fd = fd_install(c.fs, t, f, flags);
	if (fd < 0)
		kmm_file_put(c.m, f);
	return (int)call_end(&c, fd);
}

int kmm_close(struct task_struct *t, int fd)
{
	struct fs_state *fs = t ? fs_of(t->machine) : NULL;
	struct open_file *of = NULL;

	if (!fs)
		return kmm_set_error(-EBADF, "close: no file descriptor %d", fd);
	spin_lock(&fs->files_lock);
	for (int i = 0; i < fs->nr_open; i++)
		if (fs->open[i]->pid == kmm_task_pid(t) && fs->open[i]->fd == fd) {
			of = fs->open[i];
			fd_remove_locked(fs, i);
			break;
		}
	spin_unlock(&fs->files_lock);
	trace_sys_enter(t->machine, kmm_task_pid(t), KMM_SYS_CLOSE, (uint64_t)fd, 0, 0);
	if (!of) {
		trace_sys_exit(t->machine, KMM_SYS_CLOSE, -EBADF);
		return kmm_set_error(-EBADF, "close: process %d has no file descriptor %d", kmm_task_pid(t), fd);
	}
	fdput(fs, of);
	trace_sys_exit(t->machine, KMM_SYS_CLOSE, 0);
	return 0;
}

static bool readable(const struct open_file *of)
{
	return (of->flags & KMM_O_ACCMODE) != KMM_O_WRONLY;
}

static bool writable(const struct open_file *of)
{
	return (of->flags & KMM_O_ACCMODE) != KMM_O_RDONLY;
}

/*
 * rw_verify_area()'s bound: a range that ends past the largest loff_t is
 * EINVAL (@pos itself is not negative here: pread/pwrite refused that, and
 * lseek cannot set it). A count above SSIZE_MAX is too.
 */
static bool rw_range_ok(uint64_t pos, size_t len)
{
	return len <= (size_t)INT64_MAX && pos <= (uint64_t)INT64_MAX - len;
}

/* read/pread: @pos NULL means the file position (which moves). */
static long do_read(struct task_struct *t, int fd, void *buf, size_t len, const uint64_t *pos)
{
	struct call c;
	struct open_file *of;
	long n;
	int err;

	if ((err = call_begin(&c, t, pos ? KMM_SYS_PREAD64 : KMM_SYS_READ, (uint64_t)fd, len,
			      pos ? *pos : 0)) != 0)
		return err;
	if (pos && (int64_t)*pos < 0)	/* loff_t: ksys_pread64() refuses it before the fd */
		return call_end(&c, kmm_set_error(-EINVAL, "pread: offset %" PRId64 " is negative",
						  (int64_t)*pos));
	if (!(of = fdget(c.fs, kmm_task_pid(t), fd)))
		return call_end(&c, -EBADF);
	if (!readable(of)) {
		fdput(c.fs, of);
		return call_end(&c, kmm_set_error(-EBADF, "read: fd %d is not open for reading", fd));
	}
	if (!rw_range_ok(pos ? *pos : of->pos, len)) {
		fdput(c.fs, of);
		return call_end(&c, kmm_set_error(-EINVAL, "read: the range ends past the largest offset"));
	}
	sim_read_lock(&of->f->i_rwsem);
	n = (long)filemap_read(of->f, &of->ra, buf, len, pos ? *pos : of->pos);
	sim_read_unlock(&of->f->i_rwsem);
	if (n > 0 && !pos)
		of->pos += (uint64_t)n;
	fdput(c.fs, of);
	return call_end(&c, n);
}

/*
 * send_sig(SIGXFSZ): its default action ends the process (a core dump,
 * which RLIMIT_CORE 0 and kmm leave out). kmm's processes neither block,
 * ignore nor catch it, so it is delivered as the call returns: after the
 * locks are dropped, inside the call (@t current).
 */
static void send_sigxfsz(struct task_struct *t)
{
	kill_task(t, KMM_SIGXFSZ, 0, 0);
}

static long do_write(struct task_struct *t, int fd, const void *buf, size_t len, const uint64_t *pos)
{
	struct call c;
	struct open_file *of;
	uint64_t at;
	bool sigxfsz = false;
	long n;
	int err;

	if ((err = call_begin(&c, t, pos ? KMM_SYS_PWRITE64 : KMM_SYS_WRITE, (uint64_t)fd, len,
			      pos ? *pos : 0)) != 0)
		return err;
	if (pos && (int64_t)*pos < 0)	/* loff_t: ksys_pwrite64() refuses it before the fd */
		return call_end(&c, kmm_set_error(-EINVAL, "pwrite: offset %" PRId64 " is negative",
						  (int64_t)*pos));
	if (!(of = fdget(c.fs, kmm_task_pid(t), fd)))
		return call_end(&c, -EBADF);
	if (!writable(of)) {
		fdput(c.fs, of);
		return call_end(&c, kmm_set_error(-EBADF, "write: fd %d is not open for writing", fd));
	}
	if (!rw_range_ok(pos ? *pos : of->pos, len)) {
		fdput(c.fs, of);
		return call_end(&c, kmm_set_error(-EINVAL, "write: the range ends past the largest offset"));
	}
	sim_write_lock(&of->f->i_rwsem);
	at = pos ? *pos : (of->flags & KMM_O_APPEND) ? i_size_read(of->f) : of->pos;
	/*
	 * generic_write_checks_count(): nothing to write is 0 before any limit;
	 * generic_write_check_limits(): at or past RLIMIT_FSIZE EFBIG and
	 * SIGXFSZ, then at the largest size EFBIG; short of either, a short write
	 */
	uint64_t fsize = task_rlimit(t, KMM_RLIMIT_FSIZE);
	if (!len) {
		n = 0;
	} else if (fsize != KMM_RLIM_INFINITY && at >= fsize) {
		n = kmm_set_error(-EFBIG, "write: offset %" PRIu64 " is at or past RLIMIT_FSIZE %" PRIu64
				  ": SIGXFSZ kills the process", at, fsize);
		sigxfsz = true;
	} else if (at >= KMMFS_MAX_SIZE) {
		n = kmm_set_error(-EFBIG, "write: past the largest file size");
	} else {
		if (fsize != KMM_RLIM_INFINITY && len > fsize - at)
			len = (size_t)(fsize - at);
		if (len > KMMFS_MAX_SIZE - at)
			len = (size_t)(KMMFS_MAX_SIZE - at);
		n = (long)generic_perform_write(of->f, buf, len, at);
		if (n == -ENOSPC || n == -ENOMEM)
			kmm_set_error((int)n, "write: %s", n == -ENOSPC ? "no space left" : "out of memory");
	}
	sim_write_unlock(&of->f->i_rwsem);
	if (n > 0 && !pos)
		of->pos = at + (uint64_t)n;
	fdput(c.fs, of);
	if (sigxfsz)
		send_sigxfsz(t);
	return call_end(&c, n);
}

long kmm_read(struct task_struct *t, int fd, void *buf, size_t len)
{
	return do_read(t, fd, buf, len, NULL);
}

long kmm_write(struct task_struct *t, int fd, const void *buf, size_t len)
{
	return do_write(t, fd, buf, len, NULL);
}

long kmm_pread(struct task_struct *t, int fd, void *buf, size_t len, uint64_t off)
{
	return do_read(t, fd, buf, len, &off);
}

long kmm_pwrite(struct task_struct *t, int fd, const void *buf, size_t len, uint64_t off)
{
	return do_write(t, fd, buf, len, &off);
}

int64_t kmm_lseek(struct task_struct *t, int fd, int64_t off, int whence)
{
	struct fs_state *fs = t ? fs_of(t->machine) : NULL;
	struct open_file *of;
	int64_t base;

	if (!fs || !(of = fdget(fs, kmm_task_pid(t), fd)))
		return -EBADF;
	trace_sys_enter(t->machine, kmm_task_pid(t), KMM_SYS_LSEEK, (uint64_t)fd, (uint64_t)off,
			(uint64_t)whence);
	base = whence == KMM_SEEK_SET ? 0 : whence == KMM_SEEK_CUR ? (int64_t)of->pos
	       : whence == KMM_SEEK_END ? (int64_t)i_size_read(of->f) : -1;
	if (base < 0 || base + off < 0) {
		fdput(fs, of);
		trace_sys_exit(t->machine, KMM_SYS_LSEEK, -EINVAL);
		return kmm_set_error(-EINVAL, "lseek: bad whence %d or a negative position", whence);
	}
	of->pos = (uint64_t)(base + off);
	fdput(fs, of);
	trace_sys_exit(t->machine, KMM_SYS_LSEEK, base + off);
	return base + off;
}

int kmm_ftruncate(struct task_struct *t, int fd, uint64_t size)
{
	struct call c;
	struct open_file *of;
	int err;

	if ((err = call_begin(&c, t, KMM_SYS_FTRUNCATE, (uint64_t)fd, size, 0)) != 0)
		return err;
	if ((int64_t)size < 0)	/* loff_t: do_sys_ftruncate() refuses it before the fd */
		return (int)call_end(&c, kmm_set_error(-EINVAL, "ftruncate: length %" PRId64
						       " is negative", (int64_t)size));
	if (!(of = fdget(c.fs, kmm_task_pid(t), fd)))
		return (int)call_end(&c, -EBADF);
	if (!writable(of)) {
		fdput(c.fs, of);
		return (int)call_end(&c, kmm_set_error(-EINVAL, "ftruncate: fd %d is not open for writing", fd));
	}
	/*
	 * inode_newsize_ok(): growing the file past RLIMIT_FSIZE is EFBIG and
	 * SIGXFSZ, then past the largest size (s_maxbytes) EFBIG alone;
	 * shrinking is never limited
	 */
	uint64_t fsize = task_rlimit(t, KMM_RLIMIT_FSIZE);
	bool sigxfsz = false;
	sim_write_lock(&of->f->i_rwsem);
	if (fsize != KMM_RLIM_INFINITY && size > fsize && size > i_size_read(of->f)) {
		err = kmm_set_error(-EFBIG, "ftruncate: %" PRIu64 " is past RLIMIT_FSIZE %" PRIu64
				    ": SIGXFSZ kills the process", size, fsize);
		sigxfsz = true;
	} else if (size > KMMFS_MAX_SIZE) {
		err = kmm_set_error(-EFBIG, "ftruncate: %" PRIu64 " is past the largest file size", size);
	} else {
		do_truncate(c.fs, of->f, size);
	}
	sim_write_unlock(&of->f->i_rwsem);
	fdput(c.fs, of);
	if (sigxfsz)
		send_sigxfsz(t);
	return (int)call_end(&c, err);
}

/* vfs_fsync(): the file's data, then its size and the metadata, then the image. */
static int fsync_file(struct fs_state *fs, struct kmm_file *f)
{
	int err = filemap_write_and_wait_range(f, 0, ~0ULL);

	if (f->host && fs->sb) {
		int e2;
		kmmfs_set_size(fs, f);
		kmmfs_lock(fs->sb);
		e2 = kmmfs_write_meta(fs->sb);
		kmmfs_unlock(fs->sb);
		if (!err)
			err = e2;
	}
	return err;
}

int kmm_fsync(struct task_struct *t, int fd)
{
	struct call c;
	struct open_file *of;
	int err;

	if ((err = call_begin(&c, t, KMM_SYS_FSYNC, (uint64_t)fd, 0, 0)) != 0)
		return err;
	if (!(of = fdget(c.fs, kmm_task_pid(t), fd)))
		return (int)call_end(&c, -EBADF);
	err = fsync_file(c.fs, of->f);
	if (err)
		kmm_set_error(err, "fsync: a write to the image failed");
	fdput(c.fs, of);
	return (int)call_end(&c, err);
}

/*
 * generic_fadvise() (6.12): NORMAL resets the window to the disk's and
 * clears FMODE_RANDOM and FMODE_NOREUSE; RANDOM sets FMODE_RANDOM (reads get
 * no window); SEQUENTIAL doubles the window and clears FMODE_RANDOM;
 * NOREUSE sets FMODE_NOREUSE; WILLNEED reads the range in (first and last
 * partial pages included; force_page_cache_ra's bound); DONTNEED writes the
 * range's dirty pages (a failed write stays recorded for fsync, as Linux's
 * errseq keeps it), then drops its whole clean pages - a partial last
 * page stays unless the range ends at the end of the file. tmpfs has no
 * backing device (noop_backing_dev_info): every valid advice is ignored.
 */
int kmm_fadvise(struct task_struct *t, int fd, uint64_t off, uint64_t len, int advice)
{
	struct call c;
	struct open_file *of;
	struct kmm_file *f;
	uint64_t end;
	int err;

	if (advice < KMM_POSIX_FADV_NORMAL || advice > KMM_POSIX_FADV_NOREUSE)
		return kmm_set_error(-EINVAL, "fadvise: advice %d is not one of POSIX_FADV_*", advice);
	if ((err = call_begin(&c, t, KMM_SYS_FADVISE64, (uint64_t)fd, off, len)) != 0)
		return err;
	if (!(of = fdget(c.fs, kmm_task_pid(t), fd)))
		return (int)call_end(&c, -EBADF);
	f = of->f;
	if ((int64_t)len < 0) {		/* generic_fadvise(): a negative length */
		fdput(c.fs, of);
		return (int)call_end(&c, kmm_set_error(-EINVAL, "fadvise: length %" PRId64
						       " is negative", (int64_t)len));
	}
	end = off + len;
	if (!len || end < len || end > (uint64_t)INT64_MAX)
		end = (uint64_t)INT64_MAX;	/* LLONG_MAX: to the end of any file */
	else
		end--;
	if (f->shmem)
		goto out;
	switch (advice) {
	case KMM_POSIX_FADV_NORMAL:
		of->ra.ra_pages = (unsigned int)((unsigned long)filemap_read_ahead_kb(c.m) * 1024 / PAGE_SIZE);
		of->ra.random = false;
		of->ra.noreuse = false;
		break;
	case KMM_POSIX_FADV_RANDOM:
		of->ra.random = true;
		break;
	case KMM_POSIX_FADV_SEQUENTIAL:
		of->ra.ra_pages = 2 * (unsigned int)((unsigned long)filemap_read_ahead_kb(c.m) * 1024 / PAGE_SIZE);
		of->ra.random = false;
		break;
	case KMM_POSIX_FADV_NOREUSE:
		of->ra.noreuse = true;
		break;
	case KMM_POSIX_FADV_WILLNEED: {
		unsigned long first = (unsigned long)(off >> PAGE_SHIFT), last = (unsigned long)(end >> PAGE_SHIFT);
		unsigned long nr = last - first + 1;
		force_page_cache_ra(f, &of->ra, first, nr ? nr : ~0UL);
		break;
	}
	case KMM_POSIX_FADV_DONTNEED: {
		unsigned long first = (unsigned long)((off + PAGE_SIZE - 1) >> PAGE_SHIFT);
		unsigned long last = (unsigned long)(end >> PAGE_SHIFT);
		/* __filemap_fdatawrite_range(WB_SYNC_NONE): a write error stays for fsync to report */
		filemap_fdatawrite_range(f, off, end);
		/* the last page only when whole, or when the range ends with the file */
		if ((end & (PAGE_SIZE - 1)) != PAGE_SIZE - 1 && end != i_size_read(f) - 1) {
			if (last == 0)
				break;
			last--;
		}
		if (last >= first)
			invalidate_mapping_pages(f, first, last);
		break;
	}
	}
out:
	fdput(c.fs, of);
	return (int)call_end(&c, 0);
}

int kmm_mmap_fd(struct task_struct *t, int fd, uint64_t addr, uint64_t len, int prot, int flags,
		uint64_t off, uint64_t *out)
{
	struct fs_state *fs = t ? fs_of(t->machine) : NULL;
	struct open_file *of;
	long r;

	/* x86's sys_mmap: the offset first; then the fd (ksys_mmap_pgoff) */
	if (off & (PAGE_SIZE - 1))
		return kmm_set_error(-EINVAL, "mmap: offset %#llx is not page aligned", (unsigned long long)off);
	if (!fs || !(of = fdget(fs, kmm_task_pid(t), fd)))
		return -EBADF;
	/* the fd's mode: do_mmap() checks it where Linux's does (EACCES) */
	trace_sys_enter(t->machine, kmm_task_pid(t), KMM_SYS_MMAP, addr, len, (uint64_t)prot);
	r = vm_mmap_pgoff(t, of->f, (unsigned long)addr, (unsigned long)len, prot, flags,
			  (unsigned long)(off >> PAGE_SHIFT), (of->ra.noreuse ? VM_FILE_NOREUSE : 0) |
			  (writable(of) ? 0 : VM_MMAP_FD_RDONLY) | (readable(of) ? 0 : VM_MMAP_FD_WRONLY));
	trace_sys_exit(t->machine, KMM_SYS_MMAP, r);
	fdput(fs, of);
	if (r < 0)
		return (int)r;
	if (out)
		*out = (uint64_t)r;
	return 0;
}

int kmm_unlink(struct kmm_machine *m, const char *path)
{
	struct call c;
	struct kmm_file *f = NULL;
	int err, slot;

	if ((err = check_path(path)) != 0)
		return err;
	if ((err = machine_begin(&c, m, KMM_SYS_UNLINK, 0)) != 0)
		return err;
	if (is_shm_path(path)) {
		spin_lock(&c.fs->files_lock);
		if ((f = shm_find_locked(c.fs, path, &slot)) != NULL)
			c.fs->shm[slot] = c.fs->shm[--c.fs->nr_shm];
		spin_unlock(&c.fs->files_lock);
	} else {
		struct kmmfs_sb *sb = kmmfs_get_sb(c.fs);
		struct kmmfs_inode *ino;
		if (!sb)
			return (int)call_end(&c, -EIO);
		kmmfs_lock(sb);
		ino = kmmfs_lookup(sb, path);
		if (ino) {
			ino->nlink = 0;
			f = ino->mapping;	/* the inode's reference goes */
			if (!f) {
				/* not in memory: its blocks go now */
				kmmfs_truncate_blocks(sb, ino, 0);
				free(ino->blocks);
				ino->blocks = NULL;
				ino->cap = 0;
				ino->used = false;
				ino->name[0] = '\0';
			}
			kmmfs_write_meta(sb);
		}
		kmmfs_unlock(sb);
		if (!ino)
			return (int)call_end(&c, kmm_set_error(-ENOENT, "unlink: %s: no such file", path));
	}
	if (!f && is_shm_path(path))
		return (int)call_end(&c, kmm_set_error(-ENOENT, "unlink: %s: no such file", path));
	if (f)
		kmm_file_put(m, f);
	return (int)call_end(&c, 0);
}

static int sync_one(struct kmm_file *f, void *arg)
{
	struct fs_state *fs = arg;

	if (f->host && fs->sb)
		kmmfs_set_size(fs, f);
	return 0;
}

int kmm_sync(struct kmm_machine *m)
{
	struct call c;
	int err;

	if ((err = machine_begin(&c, m, KMM_SYS_SYNC, 0)) != 0)
		return err;
	err = sync_pagecache(m);
	if (c.fs->sb) {
		int e2;
		filemap_for_each_file(m, sync_one, c.fs);
		kmmfs_lock(c.fs->sb);
		e2 = kmmfs_write_meta(c.fs->sb);
		kmmfs_unlock(c.fs->sb);
		if (!err)
			err = e2;
	}
	return (int)call_end(&c, err);
}

/* The file @path with a reference, without creating or mounting more than needed. */
static struct kmm_file *get_file(struct call *c, const char *path, int *err)
{
	if ((*err = check_path(path)) != 0)
		return NULL;
	return lookup_file(c->fs, path, false, false, err);
}

int kmm_file_size(struct kmm_machine *m, const char *path, uint64_t *size)
{
	struct call c;
	struct kmm_file *f;
	int err;

	if ((err = machine_begin(&c, m, -1, 0)) != 0)
		return err;
	if ((f = get_file(&c, path, &err)) != NULL) {
		*size = i_size_read(f);
		kmm_file_put(m, f);
	}
	return (int)call_end(&c, err);
}

long kmm_fincore(struct kmm_machine *m, const char *path, unsigned char *vec, size_t n)
{
	struct call c;
	struct kmm_file *f;
	long r;
	int err;

	if ((err = machine_begin(&c, m, -1, 0)) != 0)
		return err;
	if (!(f = get_file(&c, path, &err)))
		return call_end(&c, err);
	r = (long)filemap_fincore(f, vec, n);
	kmm_file_put(m, f);
	return call_end(&c, r);
}

int kmm_fs_bmap(struct kmm_machine *m, const char *path, uint64_t index, uint64_t *image_offset)
{
	struct call c;
	struct kmm_file *f;
	int err;

	if ((err = machine_begin(&c, m, -1, 0)) != 0)
		return err;
	if (!(f = get_file(&c, path, &err)))
		return (int)call_end(&c, err);
	err = -ENXIO;
	if (f->host && c.fs->sb) {
		struct kmmfs_inode *ino = f->host;
		kmmfs_lock(c.fs->sb);
		if (index < ino->nblocks) {
			*image_offset = (uint64_t)ino->blocks[index] * KMMFS_BLOCK;
			err = 0;
		}
		kmmfs_unlock(c.fs->sb);
	}
	kmm_file_put(m, f);
	if (err)
		kmm_set_error(err, "bmap: page %llu of %s has no block", (unsigned long long)index, path);
	return (int)call_end(&c, err);
}

const char *kmm_fs_image(struct kmm_machine *m)
{
	struct fs_state *fs = m ? fs_of(m) : NULL;

	if (!fs || !kmmfs_get_sb(fs))
		return NULL;
	return fs->paths->image;	/* set before the mount published sb */
}

int kmm_mkfile(struct kmm_machine *m, const char *path, uint64_t size, int byte)
{
	/* On the heap: 64 KiB of thread-local storage cost every thread of every program. */
	enum { BUF_BYTES = 16 * KMMFS_BLOCK };
	unsigned char *buf;
	struct call c;
	struct kmm_file *f;
	int err;

	if ((err = check_path(path)) != 0)
		return err;
	if (size > KMMFS_MAX_SIZE)
		return kmm_set_error(-EFBIG, "mkfile: %llu bytes is past the largest file size",
				     (unsigned long long)size);
	if (!(buf = malloc(BUF_BYTES)))
		return kmm_set_error(-ENOMEM, "mkfile: out of host memory");
	if ((err = machine_begin(&c, m, -1, 0)) != 0) {
		free(buf);
		return err;
	}
	if (!(f = lookup_file(c.fs, path, true, false, &err))) {
		free(buf);
		return (int)call_end(&c, err);
	}
	sim_write_lock(&f->i_rwsem);
	do_truncate(c.fs, f, 0);
	for (uint64_t off = 0; off < size && !err;) {
		size_t n = (size_t)KMM_MIN((uint64_t)BUF_BYTES, size - off);
		for (size_t i = 0; i < n; i++) {
			uint64_t at = off + i;
			buf[i] = byte >= 0 ? (unsigned char)byte : (unsigned char)(at * 131 + at / 4096);
		}
		ssize_t w = generic_perform_write(f, buf, n, off);
		if (w < 0)
			err = kmm_set_error((int)w, "mkfile: %s after %llu bytes",
					    w == -ENOSPC ? "no space left" : "out of memory",
					    (unsigned long long)off);
		else
			off += (uint64_t)w;
	}
	sim_write_unlock(&f->i_rwsem);
	kmm_file_put(m, f);
	free(buf);
	return (int)call_end(&c, err);
}
