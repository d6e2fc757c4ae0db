// SPDX-License-Identifier: MIT
/*
 * tests/integration_rlimit_enforce.c - the three limits whose check sits
 * outside the memory code, as Linux 6.12 holds them: RLIMIT_NPROC at fork
 * (kernel/fork.c copy_process, kernel/ucount.c), RLIMIT_NOFILE at open
 * (fs/file.c alloc_fd, before do_filp_open), RLIMIT_FSIZE at write and
 * truncate (mm/filemap.c generic_write_check_limits, fs/attr.c
 * inode_newsize_ok: EFBIG and SIGXFSZ).
 *
 * Each expected result was checked on the host (Linux 6.18, whose rules here
 * are 6.12's; linux21's report has the probes): as uid 4321 without
 * capabilities and RLIMIT_NPROC 3, two forks pass and the third is EAGAIN;
 * with 1, none; two unreaped zombies still count, one reaped frees a slot;
 * root forks past a limit of 1 even without CAP_SYS_ADMIN and
 * CAP_SYS_RESOURCE; a user with CAP_SYS_ADMIN forks past it. With
 * RLIMIT_NOFILE 5, fds 3 and 4 open and the next open is EMFILE, even for a
 * name that does not exist (not ENOENT), without creating an O_CREAT name or
 * truncating an O_TRUNC file; closing fd 3 makes it the next. With
 * RLIMIT_FSIZE 10000 a 20000-byte write at 0 writes 10000, one byte at 10000
 * is EFBIG, a write of 0 bytes at 20000 is 0, ftruncate to 10000 passes and
 * to 10001 is EFBIG; with 100, shrinking to 5000 passes, growing to 6000 is
 * EFBIG, 10 bytes at 50 are written, 200 at 50 only 50, an O_APPEND write at
 * the end (5000) is EFBIG; a process with SIGXFSZ's default action dies by
 * it (signal 25, no core).
 */
#include "tests/harness.h"
#include "tests/process_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/fs.h>
#include <kmm/process.h>

#include "mm/include/mm.h"
#include "mm/internal.h"

#define INF KMM_RLIM_INFINITY

static void set_limit(struct task_struct *t, int res, uint64_t soft, uint64_t hard)
{
	struct kmm_rlimit lim = { soft, hard };

	assert_eq(kmm_prlimit(t, res, &lim, NULL), 0);
}

static struct task_struct *user_task(struct kmm_machine *m, const char *comm, unsigned int uid)
{
	struct task_struct *t = kmm_spawn(m, comm);

	assert_true(t != NULL);
	assert_eq(kmm_task_setuid(t, uid), 0);
	return t;
}

/* A fork that must fail with EAGAIN for RLIMIT_NPROC, leaving the user's count as it was. */
static void expect_fork_refused(struct kmm_machine *m, struct task_struct *p, unsigned int uid)
{
	long before = user_nproc(m, uid);

	expect_true(kmm_fork(p, "no") == NULL);
	expect_eq(kmm_last_errno(), -EAGAIN);
	expect_str_contains(kmm_last_error(), "RLIMIT_NPROC");
	expect_eq(user_nproc(m, uid), before);
	expect_true(kmm_task_by_comm(m, "no") == NULL);
}

TEST(nproc_holds_a_users_forks_zombies_included)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *u = user_task(m, "u", 1000), *c1, *c2, *c3;

	set_limit(u, KMM_RLIMIT_NPROC, 3, 100);	/* the soft limit is the one that holds */
	expect_eq(user_nproc(m, 1000), 1);
	assert_true((c1 = kmm_fork(u, "c1")) != NULL);
	assert_true((c2 = kmm_fork(u, "c2")) != NULL);
	expect_eq(user_nproc(m, 1000), 3);
	expect_fork_refused(m, u, 1000);
	expect_fork_refused(m, c1, 1000);	/* the children share the user and the limit */
	pt_check(m);

	/* a zombie counts until it is reaped */
	kmm_exit(c1, 0);
	expect_fork_refused(m, u, 1000);
	assert_eq(kmm_task_release(c1), 0);
	assert_true((c3 = kmm_fork(u, "c3")) != NULL);
	/* the refused forks took no pid */
	expect_eq(kmm_task_pid(c3), kmm_task_pid(c2) + 1);

	/* another user's tasks are not this one's */
	struct task_struct *v = user_task(m, "v", 1001);
	set_limit(v, KMM_RLIMIT_NPROC, 2, 2);
	struct task_struct *v1 = kmm_fork(v, "v1");
	assert_true(v1 != NULL);
	expect_fork_refused(m, v, 1001);
	expect_eq(user_nproc(m, 1000), 3);

	/* raised again, the next fork passes */
	set_limit(u, KMM_RLIMIT_NPROC, 4, 100);
	struct task_struct *c4 = kmm_fork(u, "c4");
	expect_true(c4 != NULL);
	expect_fork_refused(m, u, 1000);

	struct task_struct *all[] = { u, c2, c3, c4, v, v1 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			kmm_exit(all[i], 0);
	done(m);
}

TEST(nproc_spares_root_and_the_two_capabilities)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *r = kmm_spawn(m, "r"), *c[4] = { 0 };

	/* root (INIT_USER) is never refused, with its capabilities or without */
	assert_true(r != NULL);
	set_limit(r, KMM_RLIMIT_NPROC, 1, 1);
	assert_eq(kmm_task_set_capability(r, KMM_CAP_SYS_RESOURCE, false), 0);
	__atomic_store_n(&r->cap_effective, __atomic_load_n(&r->cap_effective, __ATOMIC_RELAXED) &
			 ~(1ull << CAP_SYS_ADMIN), __ATOMIC_RELAXED);
	expect_true((c[0] = kmm_fork(r, "r1")) != NULL);
	expect_true((c[1] = kmm_fork(r, "r2")) != NULL);

	/* a user holding CAP_SYS_RESOURCE, then one holding CAP_SYS_ADMIN */
	struct task_struct *u = user_task(m, "u", 1000);
	set_limit(u, KMM_RLIMIT_NPROC, 1, 1);
	expect_fork_refused(m, u, 1000);
	assert_eq(kmm_task_set_capability(u, KMM_CAP_SYS_RESOURCE, true), 0);
	expect_true((c[2] = kmm_fork(u, "u1")) != NULL);
	assert_eq(kmm_task_set_capability(u, KMM_CAP_SYS_RESOURCE, false), 0);
	expect_fork_refused(m, u, 1000);
	__atomic_store_n(&u->cap_effective, 1ull << CAP_SYS_ADMIN, __ATOMIC_RELAXED);
	expect_true((c[3] = kmm_fork(u, "u2")) != NULL);

	kmm_exit(r, 0);
	kmm_exit(u, 0);
	for (int i = 0; i < 4; i++)
		if (c[i])
			kmm_exit(c[i], 0);
	done(m);
}

TEST(nofile_is_emfile_before_the_name_is_touched)
{
	struct kmm_machine *m = boot("mem=64M");
	struct task_struct *a = kmm_spawn(m, "a");
	uint64_t size;
	char buf[100];

	assert_true(a != NULL);
	int w = kmm_open(a, "/f", KMM_O_RDWR | KMM_O_CREAT);
	assert_eq(w, 3);
	memset(buf, 'x', sizeof(buf));
	assert_eq(kmm_pwrite(a, w, buf, sizeof(buf), 0), (long)sizeof(buf));
	set_limit(a, KMM_RLIMIT_NOFILE, 5, 5);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), 4);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), -EMFILE);
	expect_str_contains(kmm_last_error(), "RLIMIT_NOFILE is 5");
	/* the descriptor comes first: no ENOENT, nothing created, nothing truncated */
	expect_eq(kmm_open(a, "/none", KMM_O_RDONLY), -EMFILE);
	expect_eq(kmm_open(a, "/new", KMM_O_RDWR | KMM_O_CREAT | KMM_O_EXCL), -EMFILE);
	expect_eq(kmm_file_size(m, "/new", &size), -ENOENT);
	expect_eq(kmm_open(a, "/f", KMM_O_RDWR | KMM_O_TRUNC), -EMFILE);
	assert_eq(kmm_file_size(m, "/f", &size), 0);
	expect_eq(size, sizeof(buf));

	/* a freed descriptor below the limit is the next; a raised limit gives more */
	assert_eq(kmm_close(a, 3), 0);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), 3);
	set_limit(a, KMM_RLIMIT_NOFILE, 6, 6);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), 5);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), -EMFILE);
	/* past 1024 when the limit allows it */
	set_limit(a, KMM_RLIMIT_NOFILE, 1100, 4096);
	int fd = 0;
	for (int i = 6; i < 1100; i++)
		if ((fd = kmm_open(a, "/f", KMM_O_RDONLY)) != i)
			break;
	expect_eq(fd, 1099);
	expect_eq(kmm_open(a, "/f", KMM_O_RDONLY), -EMFILE);
	kmm_exit(a, 0);
	assert_eq(kmm_unlink(m, "/f"), 0);
	done(m);
}

/* A file of @size bytes of 'x', open read-write in a new process with RLIMIT_FSIZE @limit. */
static struct task_struct *fsize_task(struct kmm_machine *m, const char *comm, uint64_t size,
				      uint64_t limit, int flags, int *fd)
{
	static char buf[20000];
	struct task_struct *t = kmm_spawn(m, comm);

	assert_true(t != NULL);
	memset(buf, 'x', sizeof(buf));
	*fd = kmm_open(t, "/f", KMM_O_RDWR | KMM_O_CREAT | KMM_O_TRUNC | flags);
	assert_true(*fd >= 3);
	if (size)
		assert_eq(kmm_pwrite(t, *fd, buf, size, 0), (long)size);
	set_limit(t, KMM_RLIMIT_FSIZE, limit, INF);
	return t;
}

static uint64_t file_size(struct kmm_machine *m)
{
	uint64_t size = 0;

	assert_eq(kmm_file_size(m, "/f", &size), 0);
	return size;
}

/* @t died of SIGXFSZ (the default action: no core, nothing else printed). */
static void expect_sigxfsz(struct task_struct *t)
{
	expect_true(!kmm_task_alive(t));
	expect_eq(kmm_task_exit_info(t).signal, KMM_SIGXFSZ);
}

TEST(fsize_cuts_writes_short_and_refuses_past_it_with_sigxfsz)
{
	struct kmm_machine *m = boot("mem=64M");
	static char buf[20000];
	int fd;

	memset(buf, 'y', sizeof(buf));
	/* below the limit a write is cut short at it; nothing to write is 0 anywhere */
	struct task_struct *a = fsize_task(m, "a", 0, 10000, 0, &fd);
	expect_eq(kmm_pwrite(a, fd, buf, 20000, 0), 10000);
	expect_eq(file_size(m), 10000);
	expect_eq(kmm_pwrite(a, fd, buf, 0, 20000), 0);
	expect_eq(kmm_ftruncate(a, fd, 10000), 0);
	set_limit(a, KMM_RLIMIT_FSIZE, 100, INF);
	expect_eq(kmm_ftruncate(a, fd, 5000), 0);	/* shrinking is never limited */
	expect_eq(kmm_pwrite(a, fd, buf, 10, 50), 10);
	expect_eq(kmm_pwrite(a, fd, buf, 200, 50), 50);
	expect_eq(kmm_lseek(a, fd, 90, KMM_SEEK_SET), 90);
	expect_eq(kmm_write(a, fd, buf, 20), 10);	/* write as pwrite, from the position */
	expect_true(kmm_task_alive(a));
	expect_eq(file_size(m), 5000);

	/* at the limit: EFBIG, the file as it was, and SIGXFSZ ends the process */
	expect_eq(kmm_pwrite(a, fd, buf, 1, 100), -EFBIG);
	expect_str_contains(kmm_last_error(), "RLIMIT_FSIZE 100");
	expect_sigxfsz(a);
	expect_eq(file_size(m), 5000);

	/* ftruncate growing past it */
	struct task_struct *b = fsize_task(m, "b", 5000, 100, 0, &fd);
	expect_eq(kmm_ftruncate(b, fd, 6000), -EFBIG);
	expect_sigxfsz(b);
	expect_eq(file_size(m), 5000);

	/* to exactly the limit is allowed, one byte more is not */
	struct task_struct *c = fsize_task(m, "c", 5000, 10000, 0, &fd);
	expect_eq(kmm_ftruncate(c, fd, 10000), 0);
	expect_true(kmm_task_alive(c));
	expect_eq(kmm_ftruncate(c, fd, 10001), -EFBIG);
	expect_sigxfsz(c);
	expect_eq(file_size(m), 10000);

	/* an O_APPEND write starts at the end, past the limit */
	struct task_struct *d = fsize_task(m, "d", 5000, 100, KMM_O_APPEND, &fd);
	expect_eq(kmm_write(d, fd, buf, 1), -EFBIG);
	expect_sigxfsz(d);
	expect_eq(file_size(m), 5000);

	/* the largest file size is still EFBIG alone, with an unlimited RLIMIT_FSIZE */
	struct task_struct *e = fsize_task(m, "e", 0, INF, 0, &fd);
	expect_eq(kmm_pwrite(e, fd, buf, 1, 64ull << 30), -EFBIG);
	expect_eq(kmm_ftruncate(e, fd, (64ull << 30) + 1), -EFBIG);
	expect_true(kmm_task_alive(e));
	kmm_exit(e, 0);
	assert_eq(kmm_unlink(m, "/f"), 0);
	done(m);
}
