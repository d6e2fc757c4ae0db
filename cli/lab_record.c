// SPDX-License-Identifier: MIT
/*
 * cli/lab_record.c - `kmm lab record -- PROGRAM ARGS`: run a program with
 * kmm's malloc shim preloaded and KMM_MALLOC_TRACE set, so that every
 * allocation it makes is written to a trace that `kmm lab fit` replays.
 *
 * Linux counterpart: none.
 *
 * The shim library is KMM_MALLOC_LIB if set, else libkmm-malloc.so next to
 * the kmm binary (the build directory), else ../lib/ from it (an install).
 * The program's own output goes where kmm's does; its exit status is
 * reported, and a program that dies of a signal is an error. Only the
 * program's process is traced (KMM_MALLOC_TRACE_PID, shim/trace.h): if it
 * execs another program (a wrapper script), the trace is that program's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/lab.h"

static int find_shim(char *path, size_t len)
{
	const char *env = getenv("KMM_MALLOC_LIB");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return access(path, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	if ((size_t)snprintf(path, len, "%s/libkmm-malloc.so", exe) < len && !access(path, R_OK))
		return 0;
	if ((size_t)snprintf(path, len, "%s/../lib/libkmm-malloc.so", exe) < len &&
	    !access(path, R_OK))
		return 0;
	return -ENOENT;
}

int lab_record(const struct lab_opts *o, struct lab_io *io)
{
	char shim[PATH_MAX], out[PATH_MAX], part[PATH_MAX + 32];
	const char *prog = o->args[0], *base = strrchr(prog, '/');
	int status;

	if (find_shim(shim, sizeof(shim))) {
		sb_printf(io->err, "kmm lab record: cannot find libkmm-malloc.so (next to kmm, or set "
			  "KMM_MALLOC_LIB)\n");
		return 2;
	}
	if (o->output)
		snprintf(out, sizeof(out), "%s", o->output);
	else
		snprintf(out, sizeof(out), "%s.trace", base ? base + 1 : prog);
	/*
	 * The shim puts its process id in place of a %p in KMM_MALLOC_TRACE, so
	 * the part file below would not be where the rename looks for it: lab
	 * record writes one process's trace and takes a name without '%'.
	 */
	if (strchr(out, '%')) {
		sb_printf(io->err, "kmm lab record: %s: a trace name with '%%' is not taken (lab "
			  "record writes one process's trace; %%p is for KMM_MALLOC_TRACE)\n", out);
		return 2;
	}
	/*
	 * The shim appends to a fresh file beside @out, which becomes @out only
	 * when the program ran: a program that could not run, or that wrote no
	 * trace, leaves no file behind and an older @out as it was. Fail early
	 * if we cannot write there.
	 */
	if ((size_t)snprintf(part, sizeof(part), "%s.%ld.part", out, (long)getpid()) >=
	    sizeof(part)) {
		sb_printf(io->err, "kmm lab record: %s: name too long\n", out);
		return 2;
	}
	FILE *f = fopen(part, "w");
	if (!f || (!access(out, F_OK) && access(out, W_OK))) {
		sb_printf(io->err, "kmm lab record: cannot write %s: %s\n", out, strerror(errno));
		if (f) {
			fclose(f);
			unlink(part);
		}
		return 2;
	}
	fclose(f);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		sb_printf(io->err, "kmm lab record: fork: %s\n", strerror(errno));
		unlink(part);
		return 2;
	}
	if (pid == 0) {
		const char *pre = getenv("LD_PRELOAD");
		char preload[2 * PATH_MAX + 2];
		if (pre && *pre)
			snprintf(preload, sizeof(preload), "%s:%s", shim, pre);
		else
			snprintf(preload, sizeof(preload), "%s", shim);
		char pid[24];
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv("LD_PRELOAD", preload, 1);
		setenv("KMM_MALLOC_TRACE", part, 1);
		/* this process and what it execs, not the processes it starts */
		setenv("KMM_MALLOC_TRACE_PID", pid, 1);
		execvp(prog, o->args);
		fprintf(stderr, "kmm lab record: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			sb_printf(io->err, "kmm lab record: waitpid: %s\n", strerror(errno));
			unlink(part);
			return 2;
		}
	struct stat st;
	bool empty = stat(part, &st) || st.st_size == 0;
	if (!WIFSIGNALED(status) && (WEXITSTATUS(status) == 127 || empty)) {
		unlink(part);
		if (WEXITSTATUS(status) == 127)
			sb_printf(io->err, "kmm lab record: %s did not run\n", prog);
		else
			sb_printf(io->err, "kmm lab record: %s wrote no trace to %s (was the shim "
				  "loaded? a static or setuid program ignores LD_PRELOAD)\n", prog,
				  out);
		return 2;
	}
	if (rename(part, out)) {
		sb_printf(io->err, "kmm lab record: cannot write %s: %s\n", out, strerror(errno));
		unlink(part);
		return 2;
	}
	if (WIFSIGNALED(status)) {
		sb_printf(io->err, "kmm lab record: %s died of signal %d; %s may be incomplete\n",
			  prog, WTERMSIG(status), out);
		return 2;
	}
	sb_printf(io->err, "kmm lab record: %s exited with status %d; trace in %s (%lld bytes)\n",
		  prog, WEXITSTATUS(status), out, (long long)st.st_size);
	return 0;
}
