// SPDX-License-Identifier: MIT
/*
 * tests/cli_run.h - run the kmm binary from a test and capture what it
 * prints: kmm_run(argv, stdin_text, &out, &err) returns the exit status
 * (or 128+signal), with stdout and stderr as malloc()ed strings; slurp(path)
 * reads a host file the binary wrote.
 * Test code may use POSIX directly; the binary is $KMM_BINARY_DIR/kmm.
 */
#ifndef KMM_TESTS_CLI_RUN_H
#define KMM_TESTS_CLI_RUN_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *kmm_binary(void)
{
	static char path[4096];
	const char *dir = getenv("KMM_BINARY_DIR");

	snprintf(path, sizeof(path), "%s/kmm", dir ? dir : ".");
	return path;
}

static inline void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * The whole of the host file @path as a malloc()ed string ("" when it is
 * empty), or NULL when it cannot be opened.
 */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf, tmp[4096];
	size_t len = 0, n;

	if (!f)
		return NULL;
	buf = calloc(1, 1);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		append(&buf, &len, tmp, n);
	fclose(f);
	return buf;
}

/* argv[0] is ignored (the kmm binary is used); NULL-terminated. */
static inline int kmm_run(const char *const *argv, const char *input, char **out, char **err,
			  unsigned int timeout_s)
{
	int po[2], pe[2], pi[2];
	size_t ol = 0, el = 0;
	pid_t pid;
	int status;

	*out = calloc(1, 1);
	*err = calloc(1, 1);
	if (pipe(po) || pipe(pe) || pipe(pi))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]); close(pe[0]); close(pi[1]);
		close(po[1]); close(pe[1]); close(pi[0]);
		alarm(timeout_s ? timeout_s : 60);
		execv(kmm_binary(), (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(pi[0]);
	if (input) {
		size_t n = strlen(input);
		signal(SIGPIPE, SIG_IGN);
		while (n) {
			ssize_t w = write(pi[1], input, n);
			if (w <= 0)
				break;
			input += w;
			n -= (size_t)w;
		}
	}
	close(pi[1]);
	struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds) {
		char buf[4096];
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				append(out, &ol, buf, (size_t)n);
			else
				append(err, &el, buf, (size_t)n);
		}
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif /* KMM_TESTS_CLI_RUN_H */
