// SPDX-License-Identifier: MIT
/*
 * bench/malloc/rss_at_exit.c - a program's peak RSS with nothing preloaded
 * but the allocator: runs PROG under ptrace, stops it as it exits
 * (PTRACE_O_TRACEEXIT: its memory is still mapped then) and copies its
 * /proc/PID/status and /proc/PID/smaps to OUT. run.sh's own reader is a
 * preloaded library, mapped by the loader beside the allocator, and so moves
 * where libc lands (docs/malloc-measured.md, "Where libc lands").
 *
 * usage: rss_at_exit OUT PROG [ARGS...]   (exit status: PROG's; 1 if it
 * died of a signal; 2 bad usage; 127 PROG could not be run)
 * bench/malloc/rss_at_exit.sh runs it for glibc and kmm, interleaved.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* Append file @path to @out (nothing if it cannot be read). */
static void append(FILE *out, const char *path)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(path, "r");

	if (!in)
		return;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rss_at_exit OUT PROG [ARGS...]\n");
		return 2;
	}
	pid_t pid = fork();

	if (pid < 0) {
		perror("rss_at_exit: fork");
		return 2;
	}
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rss_at_exit: cannot run %s\n", argv[2]);
		_exit(127);
	}
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return 2;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (waitpid(pid, &st, 0) < 0)
			return 1;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 1;
		int sig = WSTOPSIG(st);

		if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXIT) {
			char path[64];
			FILE *out = fopen(argv[1], "w");

			if (!out) {
				perror(argv[1]);
			} else {
				snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
				append(out, path);
				snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
				append(out, path);
				fclose(out);
			}
			sig = 0;
		} else if (sig == SIGTRAP) {
			sig = 0;	/* the exec's stop */
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
}
