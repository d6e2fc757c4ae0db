// SPDX-License-Identifier: MIT
/*
 * shim/trace.c - KMM_MALLOC_TRACE=FILE: libkmm-malloc.so records the
 * program's allocations for the allocator lab (`kmm lab fit FILE`). The
 * format and the order of records: shim/trace.h.
 *
 * Linux counterpart: none (glibc's mtrace(3) is the idea).
 *
 * Records are formatted by hand into a 64 KiB buffer under trace_lock and
 * written with write(2): nothing here calls malloc. The buffer is written
 * out when full and at exit (a destructor, which runs after the program's
 * atexit handlers); after that each record is written at once, so frees
 * made by later destructors are kept too.
 *
 * Locking: trace_lock guards the buffer and the file descriptor; it is the
 * innermost lock (taken inside or outside the shim's slot sections, takes
 * none). A forked child stops tracing (its parent owns the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "shim/harden.h"
#include "shim/trace.h"

bool shim_trace_on;

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;		/* trace_lock */
static char buf[65536];			/* trace_lock */
static size_t used;			/* trace_lock */
static bool unbuffered;			/* trace_lock: after the exit flush */
static __thread const void *realloc_freed;	/* the next free of this is realloc's */

static void flush_locked(void)
{
	size_t off = 0;

	while (off < used && trace_fd >= 0) {
		ssize_t n = write(trace_fd, buf + off, used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the disk is full or gone: stop rather than lose records silently */
			static const char msg[] = "kmm-malloc: KMM_MALLOC_TRACE: write failed; "
						  "tracing stops\n";
			if (write(2, msg, sizeof(msg) - 1) < 0)
				break;
			close(trace_fd);
			trace_fd = -1;
			shim_trace_on = false;
			break;
		}
		off += (size_t)n;
	}
	used = 0;
}

static char *put_hex(char *p, uintptr_t v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_dec(char *p, size_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Append one record: @op, then up to three numbers (hex, hex, dec, dec by @kinds). */
static void record(char op, int n, const uintptr_t *v, const char *kinds)
{
	char line[96], *p = line;

	*p++ = op;
	for (int i = 0; i < n; i++) {
		*p++ = ' ';
		p = kinds[i] == 'x' ? put_hex(p, v[i]) : put_dec(p, v[i]);
	}
	*p++ = '\n';
	pthread_mutex_lock(&trace_lock);
	if (trace_fd >= 0) {
		if (used + (size_t)(p - line) > sizeof(buf))
			flush_locked();
		memcpy(buf + used, line, (size_t)(p - line));
		used += (size_t)(p - line);
		if (unbuffered)
			flush_locked();
	}
	pthread_mutex_unlock(&trace_lock);
}

void shim_trace_alloc(const void *p, size_t size, size_t align)
{
	uintptr_t v[3] = { (uintptr_t)p, size, align };

	if (p)
		record(align ? 'm' : 'a', align ? 3 : 2, v, "xdd");
}

void shim_trace_free(const void *p)
{
	uintptr_t v[1] = { (uintptr_t)p };

	if (p == realloc_freed) {
		realloc_freed = NULL;	/* realloc's own free of the old block */
		return;
	}
	record('f', 1, v, "x");
}

void shim_trace_realloc(const void *old, const void *p, size_t size)
{
	uintptr_t v[3] = { (uintptr_t)old, (uintptr_t)p, size };

	if (!p)
		return;
	if (p != old)
		realloc_freed = old;
	record('r', 3, v, "xxd");
}

static void stop_in_child(void)
{
	/* the parent owns the file; the child's copy of the buffer is the parent's */
	pthread_mutex_init(&trace_lock, NULL);
	shim_trace_on = false;
	if (trace_fd >= 0)
		close(trace_fd);
	trace_fd = -1;
	used = 0;
}

/* @path with each %p replaced by the process id, into @out. Return: 0, or -1 if too long. */
static int expand(const char *path, char *out, size_t len)
{
	char pid[24], *end = put_dec(pid, (size_t)getpid());
	size_t o = 0;

	*end = 0;
	for (const char *p = path; *p; p++) {
		const char *s = p[0] == '%' && p[1] == 'p' ? pid : NULL;
		size_t n = s ? strlen(s) : 1;
		if (o + n >= len)
			return -1;
		memcpy(out + o, s ? s : p, n);
		o += n;
		p += s ? 1 : 0;
	}
	out[o] = 0;
	return 0;
}

__attribute__((constructor)) static void trace_start(void)
{
	const char *path = getenv("KMM_MALLOC_TRACE"), *only = getenv("KMM_MALLOC_TRACE_PID");
	static const char header[] = "# kmm malloc trace 1\n";
	char name[4096];

	if (!path || !*path)
		return;
	if (only && *only) {	/* not strtol(): "abc" read as pid 0 traced nothing, unnamed */
		unsigned long pid;
		if (kmm_parse_ulong(only, &pid) || !pid || pid > INT_MAX) {
			shim_warn("KMM_MALLOC_TRACE_PID=\"", only, "\" is not a process id; not tracing");
			return;
		}
		if (pid != (unsigned long)getpid())
			return;
	}
	if (expand(path, name, sizeof(name))) {
		shim_warn("KMM_MALLOC_TRACE: \"", path, "\" names too long a file; not tracing");
		return;
	}
	if ((trace_fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		shim_warn("KMM_MALLOC_TRACE: cannot open \"", name, "\"; not tracing");
		return;
	}
	memcpy(buf, header, sizeof(header) - 1);
	used = sizeof(header) - 1;
	pthread_atfork(NULL, NULL, stop_in_child);
	shim_trace_on = true;
	shim_trace_began();
}

__attribute__((destructor)) static void trace_stop(void)
{
	pthread_mutex_lock(&trace_lock);
	flush_locked();
	unbuffered = true;
	pthread_mutex_unlock(&trace_lock);
}
