// SPDX-License-Identifier: MIT
/*
 * cli/verbs_file.c - the page cache's verbs and values: mkfile, open, close,
 * pread, pwrite, ftruncate, fsync, fadvise, sync, unlink, fincore, and
 * pagecache.* in expressions. (mmap of a file is the mmap verb's file=
 * option, cli/verbs_proc.c.)
 *
 * Linux counterpart: the system calls of the same names, util-linux's
 * fincore(1), coreutils' sync(1); mkfile is dd if=... of=PATH without the
 * sync.
 *
 * Determinism: pread prints a checksum of the bytes (FNV-1a, 64 bits), never
 * a host address or time.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verbs.h"
#include "include/kmm/fs.h"
#include "include/kmm/process.h"
#include "mm/include/machine.h"
#include "mm/include/vmstat.h"

#define FILE_IO_MAX (256ULL << 20)	/* one pread/pwrite verb moves at most this much */

/* ---- Helpers ---- */

static int need(struct verb_check *vc, const struct args *a, int min, int max, const char *usage)
{
	if (a->argc < min || (max >= 0 && a->argc > max))
		return verb_check_error(vc, a, -1, "usage: %s", usage);
	return 0;
}

static int check_path_arg(struct verb_check *vc, const struct args *a, int i)
{
	const char *p = a->argv[i].text;

	if (a->argv[i].is_var || p[0] != '/' || strlen(p) > 63)
		return verb_check_error(vc, a, i, "%s takes an absolute file path of up to 63 bytes, "
					"like /data/big", a->verb->name);
	return 0;
}

static int check_size(struct verb_check *vc, const struct args *a, int i)
{
	uint64_t v;

	if (i < a->argc && !a->argv[i].is_var && kmm_parse_size(a->argv[i].text, &v, NULL))
		return verb_check_error(vc, a, i, "'%s' is not a size (e.g. 4K, 16M)", a->argv[i].text);
	return 0;
}

/* A file descriptor: a number that fits Linux's int fd (negative ones reach the call: EBADF). */
static bool bad_fd(const char *text, long long *v)
{
	return parse_long(text, v) || *v < INT_MIN || *v > INT_MAX;
}

static int check_fd(struct verb_check *vc, const struct args *a, int i)
{
	long long v;

	if (i < a->argc && !a->argv[i].is_var && bad_fd(a->argv[i].text, &v))
		return verb_check_error(vc, a, i, "'%s' is not a file descriptor (a number from %d to %d)",
					a->argv[i].text, INT_MIN, INT_MAX);
	return 0;
}

static int check_addr(struct verb_check *vc, const struct args *a, int i)
{
	uint64_t v;

	if (i < a->argc && !a->argv[i].is_var && parse_addr(a->argv[i].text, &v))
		return verb_check_error(vc, a, i, "'%s' is not an address (a number or $var)",
					a->argv[i].text);
	return 0;
}

static int check_byte(struct verb_check *vc, const struct args *a, int i)
{
	long long v;

	if (i < a->argc && (parse_long(a->argv[i].text, &v) || v < 0 || v > 255))
		return verb_check_error(vc, a, i, "'%s' is not a byte (0..255, e.g. 0x41)", a->argv[i].text);
	return 0;
}

static int task_arg(struct kmm_ctx *ctx, const struct args *a, int i, struct task_struct **out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	struct task_struct *t = NULL;

	if (!m)
		return VERB_ERROR;
	t = cli_find_task(m, a->argv[i].text);
	if (!t)
		return ctx_error(ctx, a, i, "no process named '%s' (spawn one first)", a->argv[i].text);
	if (!kmm_task_alive(t))
		return ctx_error(ctx, a, i, "process '%s' (pid %d) is dead", a->argv[i].text, kmm_task_pid(t));
	*out = t;
	return 0;
}

static int fd_arg(struct kmm_ctx *ctx, const struct args *a, int i, int *fd)
{
	const struct word *w = &a->argv[i];
	long long v;

	if (w->is_var) {
		const struct value *val = ctx_var(ctx, w->text);
		if (!val || val->kind != V_INT)
			return ctx_error(ctx, a, i, "$%s does not hold a number", w->text);
		if (val->i < INT_MIN || val->i > INT_MAX)
			return ctx_error(ctx, a, i, "$%s (%lld) is not a file descriptor (a number from %d to %d)",
					 w->text, (long long)val->i, INT_MIN, INT_MAX);
		*fd = (int)val->i;
		return 0;
	}
	if (bad_fd(w->text, &v))
		return ctx_error(ctx, a, i, "'%s' is not a file descriptor (a number from %d to %d)", w->text,
				 INT_MIN, INT_MAX);
	*fd = (int)v;
	return 0;
}

static void result(struct kmm_ctx *ctx, const struct args *a, long long v)
{
	struct value val = { 0 };

	if (!a->result)
		return;
	value_set_int(&val, v);
	ctx_set_var(ctx, a->result, &val);
}

/* A failed call: a value when captured (-1, with .errno), else the script stops. */
static int failed(struct kmm_ctx *ctx, const struct args *a, struct task_struct *t, const char *what,
		  long err)
{
	char name[64];

	snprintf(name, sizeof(name), "%s: %s", t ? kmm_task_comm(t) : "kmm", what);
	int r = ctx_syscall_failed(ctx, a, name, (int)err, -1);
	/* a write past RLIMIT_FSIZE: SIGXFSZ ended the process as the call returned */
	if (r == VERB_OK && t && !kmm_task_alive(t) && kmm_task_exit_info(t).signal == KMM_SIGXFSZ)
		ctx_printf(ctx, "%s[%d]: killed by SIGXFSZ; its memory is freed\n", kmm_task_comm(t),
			   kmm_task_pid(t));
	return r;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- mkfile, unlink, sync, fincore ---- */

static int mkfile_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 2, 3, "mkfile PATH SIZE [BYTE]") || check_path_arg(vc, a, 0) ||
	    check_size(vc, a, 1) || check_byte(vc, a, 2))
		return VERB_ERROR;
	return 0;
}

static int mkfile_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	uint64_t size;
	long long byte = -1;
	int err;

	if (!m || (err = arg_u64(ctx, a, 1, &size, true)))
		return VERB_ERROR;
	if (a->argc == 3)
		parse_long(a->argv[2].text, &byte);
	if ((err = kmm_mkfile(m, a->argv[0].text, size, (int)byte)) != 0)
		return failed(ctx, a, NULL, "mkfile", err);
	ctx_printf(ctx, "mkfile %s: %" PRIu64 " bytes\n", a->argv[0].text, size);
	return VERB_OK;
}

static int path_check(struct verb_check *vc, const struct args *a)
{
	char usage[64];

	snprintf(usage, sizeof(usage), "%s PATH", a->verb->name);
	if (need(vc, a, 1, 1, usage) || check_path_arg(vc, a, 0))
		return VERB_ERROR;
	return 0;
}

static int unlink_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	int err;

	if (!m)
		return VERB_ERROR;
	if ((err = kmm_unlink(m, a->argv[0].text)) != 0)
		return failed(ctx, a, NULL, "unlink", err);
	result(ctx, a, 0);
	return VERB_OK;
}

static int sync_check(struct verb_check *vc, const struct args *a)
{
	return need(vc, a, 0, 0, "sync");
}

static int sync_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	int err;

	if (!m)
		return VERB_ERROR;
	if ((err = kmm_sync(m)) != 0)
		return failed(ctx, a, NULL, "sync", err);
	return VERB_OK;
}

static int writeback_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 0, 1, "writeback [start|wait] -> $n"))
		return VERB_ERROR;
	if (a->argc == 1 && strcmp(a->argv[0].text, "start") && strcmp(a->argv[0].text, "wait"))
		return verb_check_error(vc, a, 0, "expected start or wait");
	return 0;
}

static int writeback_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	bool wait = a->argc == 1 && !strcmp(a->argv[0].text, "wait");
	long n;

	if (!m)
		return VERB_ERROR;
	n = wait ? kmm_writeback_wait(m) : kmm_writeback_start(m);
	if (n < 0)
		return failed(ctx, a, NULL, "writeback", (int)n);
	result(ctx, a, n);
	return VERB_OK;
}

static int fincore_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 1, 2, "fincore PATH [map]") || check_path_arg(vc, a, 0))
		return VERB_ERROR;
	if (a->argc == 2 && strcmp(a->argv[1].text, "map"))
		return verb_check_error(vc, a, 1, "expected 'map'");
	return 0;
}

/* size_to_human_string() of util-linux, as fincore prints RES and SIZE: 64K, 1.5M, 256M. */
static void human(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	int u = 0;
	uint64_t frac = 0;

	while (bytes >= 1024 && u < 6) {
		frac = bytes % 1024;
		bytes /= 1024;
		u++;
	}
	/* one decimal, rounded as util-linux does (frac in tenths) */
	unsigned d = (unsigned)((frac * 10 + 512) / 1024);
	if (d >= 10) {
		bytes++;
		d = 0;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else if (d)
		snprintf(buf, len, "%" PRIu64 ".%u%c", bytes, d, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", bytes, units[u]);
}

static int fincore_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct kmm_machine *m = ctx_machine(ctx);
	const char *path = a->argv[0].text;
	uint64_t size = 0;
	unsigned long pages;
	unsigned char *vec;
	char res[32], sz[32];
	long cached;
	int err;

	if (!m)
		return VERB_ERROR;
	if ((err = kmm_file_size(m, path, &size)) != 0)
		return failed(ctx, a, NULL, "fincore", err);
	pages = (unsigned long)DIV_ROUND_UP(size, 4096);
	if (!(vec = malloc(pages ? pages : 1)))
		return ctx_error(ctx, a, -1, "out of host memory");
	cached = kmm_fincore(m, path, vec, pages);
	if (cached < 0) {
		free(vec);
		return failed(ctx, a, NULL, "fincore", cached);
	}
	human((uint64_t)cached * 4096, res, sizeof(res));
	human(size, sz, sizeof(sz));
	ctx_printf(ctx, "  RES PAGES  SIZE FILE\n%5s %5ld %5s %s\n", res, cached, sz, path);
	if (a->argc == 2) {
		/* one character a page: '.' not cached, 'c' cached clean, 'D' dirty; 64 a line */
		for (unsigned long i = 0; i < pages; i++) {
			if (i % 64 == 0)
				ctx_printf(ctx, "%8lu ", i);
			ctx_printf(ctx, "%c", vec[i] == 3 ? 'D' : vec[i] ? 'c' : '.');
			if (i % 64 == 63 || i + 1 == pages)
				ctx_printf(ctx, "\n");
		}
	}
	free(vec);
	result(ctx, a, cached);
	return VERB_OK;
}

/* ---- open, close and the calls on a descriptor ---- */

static const char open_usage[] = "open NAME PATH [r|w|rw] [creat] [excl] [trunc] [append] -> $fd";

static int open_flags(const struct args *a, int *flags, int *bad)
{
	*flags = KMM_O_RDONLY;
	for (int i = 2; i < a->argc; i++) {
		const char *w = a->argv[i].text;
		if (!strcmp(w, "r"))
			*flags = (*flags & ~KMM_O_ACCMODE) | KMM_O_RDONLY;
		else if (!strcmp(w, "w"))
			*flags = (*flags & ~KMM_O_ACCMODE) | KMM_O_WRONLY;
		else if (!strcmp(w, "rw"))
			*flags = (*flags & ~KMM_O_ACCMODE) | KMM_O_RDWR;
		else if (!strcmp(w, "creat"))
			*flags |= KMM_O_CREAT;
		else if (!strcmp(w, "excl"))
			*flags |= KMM_O_EXCL;
		else if (!strcmp(w, "trunc"))
			*flags |= KMM_O_TRUNC;
		else if (!strcmp(w, "append"))
			*flags |= KMM_O_APPEND;
		else {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

static int open_check(struct verb_check *vc, const struct args *a)
{
	int flags, bad;

	if (need(vc, a, 2, 7, open_usage) || check_path_arg(vc, a, 1))
		return VERB_ERROR;
	if (open_flags(a, &flags, &bad))
		return verb_check_error(vc, a, bad, "unknown open flag '%s' (usage: %s)", a->argv[bad].text,
					open_usage);
	return 0;
}

static int open_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int flags, bad, fd, err = task_arg(ctx, a, 0, &t);

	if (err)
		return err;
	open_flags(a, &flags, &bad);
	fd = kmm_open(t, a->argv[1].text, flags);
	if (fd < 0)
		return failed(ctx, a, t, "open", fd);
	ctx_printf(ctx, "%s: open %s = %d\n", kmm_task_comm(t), a->argv[1].text, fd);
	result(ctx, a, fd);
	return VERB_OK;
}

static int fd_check(struct verb_check *vc, const struct args *a)
{
	char usage[64];

	snprintf(usage, sizeof(usage), "%s NAME FD", a->verb->name);
	if (need(vc, a, 2, 2, usage) || check_fd(vc, a, 1))
		return VERB_ERROR;
	return 0;
}

static int close_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int fd, err = task_arg(ctx, a, 0, &t);

	if (err || (err = fd_arg(ctx, a, 1, &fd)))
		return err;
	if ((err = kmm_close(t, fd)) != 0)
		return failed(ctx, a, t, "close", err);
	result(ctx, a, 0);
	return VERB_OK;
}

static int fsync_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	int fd, err = task_arg(ctx, a, 0, &t);

	if (err || (err = fd_arg(ctx, a, 1, &fd)))
		return err;
	if ((err = kmm_fsync(t, fd)) != 0)
		return failed(ctx, a, t, "fsync", err);
	result(ctx, a, 0);
	return VERB_OK;
}

static int pread_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 4, 4, "pread NAME FD SIZE OFFSET -> $n") || check_fd(vc, a, 1) ||
	    check_size(vc, a, 2) || check_size(vc, a, 3))
		return VERB_ERROR;
	return 0;
}

static int pwrite_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 4, 5, "pwrite NAME FD SIZE OFFSET [BYTE] -> $n") || check_fd(vc, a, 1) ||
	    check_size(vc, a, 2) || check_size(vc, a, 3) || check_byte(vc, a, 4))
		return VERB_ERROR;
	return 0;
}

/* Move SIZE bytes at OFFSET in chunks (no host buffer of SIZE). */
static int io_run(struct kmm_ctx *ctx, const struct args *a, bool write)
{
	static unsigned char buf[1 << 20];
	struct task_struct *t = NULL;
	uint64_t len, off, done = 0, sum = 0xcbf29ce484222325ull;
	long long byte = -1;
	int fd, err = task_arg(ctx, a, 0, &t);

	if (err || (err = fd_arg(ctx, a, 1, &fd)) || (err = arg_u64(ctx, a, 2, &len, true)) ||
	    (err = arg_u64(ctx, a, 3, &off, true)))
		return err;
	if (len > FILE_IO_MAX)
		return ctx_error(ctx, a, 2, "at most 256M per %s", a->verb->name);
	if (a->argc == 5)
		parse_long(a->argv[4].text, &byte);
	while (done < len) {
		size_t n = (size_t)KMM_MIN((uint64_t)sizeof(buf), len - done);
		long r;
		if (write) {
			for (size_t i = 0; i < n; i++) {
				uint64_t at = off + done + i;
				buf[i] = byte >= 0 ? (unsigned char)byte : (unsigned char)(at * 131 + at / 4096);
			}
			r = kmm_pwrite(t, fd, buf, n, off + done);
		} else {
			r = kmm_pread(t, fd, buf, n, off + done);
		}
		if (r < 0)
			return failed(ctx, a, t, a->verb->name, r);
		if (!write)
			sum = fnv1a(sum, buf, (size_t)r);
		done += (uint64_t)r;
		if ((size_t)r < n)
			break;	/* end of file */
	}
	ctx_printf(ctx, "%s: %s fd %d: %" PRIu64 " bytes at %" PRIu64, kmm_task_comm(t), a->verb->name, fd,
		   done, off);
	if (!write)
		ctx_printf(ctx, ", fnv1a %016" PRIx64, sum);
	ctx_printf(ctx, "\n");
	result(ctx, a, (long long)done);
	return VERB_OK;
}

static int pread_run(struct kmm_ctx *ctx, const struct args *a)
{
	return io_run(ctx, a, false);
}

static int pwrite_run(struct kmm_ctx *ctx, const struct args *a)
{
	return io_run(ctx, a, true);
}

static int ftruncate_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 3, 3, "ftruncate NAME FD SIZE") || check_fd(vc, a, 1) || check_size(vc, a, 2))
		return VERB_ERROR;
	return 0;
}

static int ftruncate_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t size;
	int fd, err = task_arg(ctx, a, 0, &t);

	if (err || (err = fd_arg(ctx, a, 1, &fd)) || (err = arg_u64(ctx, a, 2, &size, true)))
		return err;
	if ((err = kmm_ftruncate(t, fd, size)) != 0)
		return failed(ctx, a, t, "ftruncate", err);
	result(ctx, a, 0);
	return VERB_OK;
}

static int fadvise_advice(const char *s)
{
	static const struct { const char *name; int v; } adv[] = {
		{ "normal", KMM_POSIX_FADV_NORMAL }, { "random", KMM_POSIX_FADV_RANDOM },
		{ "sequential", KMM_POSIX_FADV_SEQUENTIAL }, { "willneed", KMM_POSIX_FADV_WILLNEED },
		{ "dontneed", KMM_POSIX_FADV_DONTNEED }, { "noreuse", KMM_POSIX_FADV_NOREUSE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(adv); i++)
		if (!strcmp(s, adv[i].name))
			return adv[i].v;
	return -1;
}

static int fadvise_check(struct verb_check *vc, const struct args *a)
{
	if (need(vc, a, 5, 5, "fadvise NAME FD OFFSET SIZE willneed|dontneed|sequential|random|noreuse|normal") ||
	    check_fd(vc, a, 1) || check_size(vc, a, 2) || check_size(vc, a, 3))
		return VERB_ERROR;
	if (fadvise_advice(a->argv[4].text) < 0)
		return verb_check_error(vc, a, 4, "unknown advice '%s' (willneed, dontneed, sequential, random, "
					"noreuse, normal)", a->argv[4].text);
	return 0;
}

static int fadvise_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t off, len;
	int fd, err = task_arg(ctx, a, 0, &t);

	if (err || (err = fd_arg(ctx, a, 1, &fd)) || (err = arg_u64(ctx, a, 2, &off, true)) ||
	    (err = arg_u64(ctx, a, 3, &len, true)))
		return err;
	err = kmm_fadvise(t, fd, off, len, fadvise_advice(a->argv[4].text));
	if (err)
		return failed(ctx, a, t, "fadvise", err);
	result(ctx, a, 0);
	return VERB_OK;
}

/* ---- msync, mincore ---- */

static int range_check3(struct verb_check *vc, const struct args *a, int max, const char *usage)
{
	if (need(vc, a, 3, max, usage) || check_addr(vc, a, 1) || check_size(vc, a, 2))
		return VERB_ERROR;
	return 0;
}

static int msync_check(struct verb_check *vc, const struct args *a)
{
	if (range_check3(vc, a, 4, "msync NAME ADDR SIZE [sync|async] -> $v"))
		return VERB_ERROR;
	if (a->argc == 4 && strcmp(a->argv[3].text, "sync") && strcmp(a->argv[3].text, "async"))
		return verb_check_error(vc, a, 3, "expected sync or async");
	return 0;
}

static int msync_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len;
	int err = task_arg(ctx, a, 0, &t);

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)) || (err = arg_u64(ctx, a, 2, &len, true)))
		return err;
	err = kmm_msync(t, addr, len, a->argc == 4 && !strcmp(a->argv[3].text, "async") ? KMM_MS_ASYNC
											   : KMM_MS_SYNC);
	if (err)
		return failed(ctx, a, t, "msync", err);
	result(ctx, a, 0);
	return VERB_OK;
}

static int mincore_check(struct verb_check *vc, const struct args *a)
{
	return range_check3(vc, a, 3, "mincore NAME ADDR SIZE -> $n");
}

static int mincore_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct task_struct *t = NULL;
	uint64_t addr, len, pages, n = 0;
	unsigned char *vec;
	int err = task_arg(ctx, a, 0, &t);

	if (err || (err = arg_u64(ctx, a, 1, &addr, false)) || (err = arg_u64(ctx, a, 2, &len, true)))
		return err;
	pages = len / 4096 + (len % 4096 != 0);	/* not (len + 4095) / 4096: it wraps near 2^64 */
	if (pages > (1u << 20))
		return ctx_error(ctx, a, 2, "at most 4G per mincore");
	if (!(vec = malloc(pages ? pages : 1)))
		return ctx_error(ctx, a, -1, "out of host memory");
	if ((err = kmm_mincore(t, addr, len, vec)) != 0) {
		free(vec);
		return failed(ctx, a, t, "mincore", err);
	}
	for (uint64_t i = 0; i < pages; i++) {
		if (i % 64 == 0)
			ctx_printf(ctx, "%s: 0x%" PRIx64 " ", kmm_task_comm(t), addr + i * 4096);
		ctx_printf(ctx, "%c", vec[i] ? '#' : '.');
		n += vec[i];
		if (i % 64 == 63 || i + 1 == pages)
			ctx_printf(ctx, "\n");
	}
	free(vec);
	result(ctx, a, (long long)n);
	return VERB_OK;
}

/* ---- After every command ---- */

void file_after_command(struct kmm_ctx *ctx)
{
	struct kmm_machine *m = ctx_machine_if_booted(ctx);

	if (m && !atomic_load(&m->halted))
		kmm_writeback_run_pending(m);	/* silent, as Linux's flusher */
}

/* ---- Values ---- */

static const char pagecache_fields[] = "cached dirty writeback shmem mapped";

static int pagecache_term_check(const char *name, char *err, size_t len)
{
	const char *f = name + strlen("pagecache.");
	char hint[64];

	for (const char *p = pagecache_fields; *p;) {
		size_t n = strcspn(p, " ");
		if (strlen(f) == n && !strncmp(f, p, n))
			return 0;
		p += n + (p[n] == ' ');
	}
	snprintf(err, len, "unknown field '%s' of pagecache. (%sknown: %s)", f,
		 word_hint(f, pagecache_fields, hint, sizeof(hint)), pagecache_fields);
	return -1;
}

static int pagecache_term_eval(struct kmm_ctx *ctx, const char *name, struct value *out)
{
	struct kmm_machine *m = ctx_machine(ctx);
	const char *f = name + strlen("pagecache.");
	long long v;

	if (!m)
		return VERB_ERROR;
	if (!strcmp(f, "cached"))
		v = (long long)global_node_page_state(m, NR_FILE_PAGES) -
		    (long long)global_node_page_state(m, NR_SWAPCACHE);
	else if (!strcmp(f, "dirty"))
		v = (long long)global_node_page_state(m, NR_FILE_DIRTY);
	else if (!strcmp(f, "writeback"))
		v = (long long)global_node_page_state(m, NR_WRITEBACK);
	else if (!strcmp(f, "shmem"))
		v = (long long)global_node_page_state(m, NR_SHMEM);
	else
		v = (long long)global_node_page_state(m, NR_FILE_MAPPED);
	value_set_int(out, v);
	return VERB_OK;
}

/* ---- The table ---- */

static const struct verb verbs[] = {
	{ "mkfile", "mkfile PATH SIZE [BYTE]", "create a file of SIZE bytes through the page cache",
	  "Writes SIZE bytes (each BYTE, or a pattern of the offset) as dd would; the pages stay\n"
	  "dirty until writeback (sync, fsync, the vm.dirty_* limits, reclaim). Paths under\n"
	  "/dev/shm/ are tmpfs files (memory only):\n  mkfile /data/big 64M\n  fincore /data/big\n",
	  VERB_ACK, mkfile_check, mkfile_run },
	{ "open", open_usage, "open (or create) a file for a process: its descriptor",
	  "  open A /data/big rw -> $fd\n  open A /data/new rw creat excl -> $n\n"
	  "A failed open captured in $v is -1 with $v.errno (\"ENOENT\", \"EEXIST\", ...).\n",
	  VERB_RESULT | VERB_ACK, open_check, open_run },
	{ "close", "close NAME FD -> $v", "close a descriptor", NULL, VERB_RESULT | VERB_ACK, fd_check,
	  close_run },
	{ "pread", "pread NAME FD SIZE OFFSET -> $n", "read through the page cache (with readahead)",
	  "Prints the bytes read and their FNV-1a checksum; $n is the count (short at the end\n"
	  "of the file):\n  pread A $fd 1M 0\n", VERB_RESULT | VERB_ACK, pread_check, pread_run },
	{ "pwrite", "pwrite NAME FD SIZE OFFSET [BYTE] -> $n",
	  "write through the page cache (the pages become dirty)",
	  "Each byte is BYTE, or the pattern mkfile uses:\n  pwrite A $fd 4K 0 0x41\n",
	  VERB_RESULT | VERB_ACK, pwrite_check, pwrite_run },
	{ "ftruncate", "ftruncate NAME FD SIZE -> $v", "set a file's size",
	  "Pages past the new end leave the cache and every mapping, private copies of them\n"
	  "(MAP_PRIVATE stores) too: an access there is SIGBUS.\n", VERB_RESULT | VERB_ACK,
	  ftruncate_check, ftruncate_run },
	{ "fsync", "fsync NAME FD -> $v", "write a file's dirty pages and metadata to the image",
	  NULL, VERB_RESULT | VERB_ACK, fd_check, fsync_run },
	{ "fadvise", "fadvise NAME FD OFFSET SIZE willneed|dontneed|sequential|random|noreuse|normal -> $v",
	  "posix_fadvise: read a range in, write and drop it, or set the fd's readahead", NULL, VERB_RESULT | VERB_ACK,
	  fadvise_check, fadvise_run },
	{ "msync", "msync NAME ADDR SIZE [sync|async] -> $v",
	  "write the dirty file pages a range of shared mappings holds (async: nothing to do)",
	  NULL, VERB_RESULT | VERB_ACK, msync_check, msync_run },
	{ "mincore", "mincore NAME ADDR SIZE -> $n",
	  "which pages of a range are resident: '#' yes, '.' no (a file mapping asks the page cache)",
	  NULL, VERB_RESULT, mincore_check, mincore_run },
	{ "sync", "sync", "write every dirty page and the metadata to the image", NULL, VERB_ACK,
	  sync_check, sync_run },
	{ "writeback", "writeback [start|wait] -> $n",
	  "start writing every dirty page, or wait for the writes in flight",
	  "A page's bytes reach the image when its write starts; it stays under writeback\n"
	  "(meminfo Writeback, nr_writeback) until the disk's time for it has passed on the\n"
	  "virtual clock (10 us a page, one write at a time, 1024 pages in flight at most).\n"
	  "start wakes the flusher for the dirty pages, as many as the queue takes ($n: writes\n"
	  "started); wait lets the time pass ($n: writes ended).\n"
	  "Writes also end after each command once their time has come, and whoever must\n"
	  "wait (fsync, sync, truncate, a writer over vm.dirty_ratio) waits:\n"
	  "  writeback\n  expect pagecache.writeback > 0\n  writeback wait\n",
	  VERB_RESULT | VERB_ACK, writeback_check, writeback_run },
	{ "unlink", "unlink PATH -> $v", "remove a file (its pages go with its last user)", NULL,
	  VERB_RESULT | VERB_ACK, path_check, unlink_run },
	{ "fincore", "fincore PATH [map] -> $n", "which pages of a file are in the page cache",
	  "As util-linux fincore: resident size, pages and file size. With map, one character\n"
	  "a page: '.' not cached, 'c' cached, 'D' dirty.\n", VERB_RESULT, fincore_check, fincore_run },
};

static const struct term terms[] = {
	{ "pagecache.", "pagecache.cached|dirty|writeback|shmem|mapped",
	  "page-cache pages (meminfo's Cached, Dirty, Writeback, Shmem, Mapped, in pages)",
	  pagecache_term_check, pagecache_term_eval },
};

const struct verb_table file_verbs = {
	.layer = "files and the page cache",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.terms = terms,
	.nr_terms = ARRAY_SIZE(terms),
	.intro =
		"Files: the machine keeps a small filesystem (kmmfs) on a host image file, mounted "
		"on first use (boot options fsimage= and fssize=), and tmpfs under /dev/shm. File "
		"data goes through the page cache: reads fill it (with readahead), writes and "
		"shared mappings dirty it, and writeback (fsync, sync, the vm.dirty_* limits, "
		"reclaim) puts it into the image. `mmap NAME SIZE ... file=PATH` maps a file; "
		"`sysctl vm.drop_caches=1` drops its clean pages.",
	.example =
		"boot mem=128M\n"
		"spawn A\n"
		"mkfile /data/big 1M\n"
		"expect pagecache.dirty == 256\n"
		"sync\n"
		"expect pagecache.dirty == 0\n"
		"sysctl vm.drop_caches=1\n"
		"open A /data/big rw -> $fd\n"
		"pread A $fd 64K 0\n"
		"fincore /data/big\n"
		"pwrite A $fd 4K 0 0x41\n"
		"mmap A 1M rw shared file=/data/big -> $m\n"
		"read A $m 4\n"
		"fsync A $fd\n"
		"unlink /data/big\n",
};
