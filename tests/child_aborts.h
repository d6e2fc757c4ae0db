// SPDX-License-Identifier: MIT
/*
 * tests/child_aborts.h - run a misuse in a child process and read what it
 * said: the shim's tests of reports that end in abort() (a double free, a
 * freed pointer passed to realloc) cannot make the misuse in the test's own
 * process.
 */
#ifndef KMM_TESTS_CHILD_ABORTS_H
#define KMM_TESTS_CHILD_ABORTS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * child_aborts() - run @fn in a forked child whose stderr goes to a pipe;
 * copy up to @len - 1 bytes of it into @err (NUL-terminated). Return: true
 * if the child died of SIGABRT (false also when the pipe could not be made).
 */
static inline bool child_aborts(void (*fn)(void), char *err, size_t len)
{
	int fds[2];

	if (pipe(fds) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while (got + 1 < len && (n = read(fds[0], err + got, len - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

#endif /* KMM_TESTS_CHILD_ABORTS_H */
