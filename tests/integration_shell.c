// SPDX-License-Identifier: MIT
/*
 * tests/integration_shell.c - `kmm shell` tried as a new user would, under a
 * pseudo-terminal: a command, `help`, a mistake (with its caret and message,
 * and the shell carries on), a multi-line repeat block, history recall with
 * the up arrow and Tab completion of a /proc path (when the build has line
 * editing), a result printed by
 * alloc_pages, and leaving with `exit` and with Ctrl-D. Runs the real binary
 * ($KMM_BINARY_DIR/kmm) on a pty from forkpty(); test code may use POSIX.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tests/cli_run.h"
#include "tests/harness.h"

struct session {
	pid_t pid;
	int fd;
	char *buf;	/* everything the terminal showed */
	size_t len, seen;	/* seen: where the next wait_for starts looking */
};

/* Every session gets this HOME, so the history file is the test's own. */
static char test_home[] = "/tmp/kmm-shell-home-XXXXXX";

__attribute__((constructor)) static void make_home(void)
{
	if (!mkdtemp(test_home))
		test_home[0] = '\0';
}

__attribute__((destructor)) static void remove_home(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/.kmm_history", test_home);
	unlink(path);
	rmdir(test_home);
}

static bool start(struct session *s, const char *const *argv)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 200 };

	memset(s, 0, sizeof(*s));
	s->buf = calloc(1, 1);
	s->pid = forkpty(&s->fd, NULL, NULL, &ws);
	if (s->pid < 0)
		return false;
	if (s->pid == 0) {
		setenv("TERM", "xterm", 1);
		setenv("HOME", test_home, 1);
		setenv("PAGER", "cat", 1);
		unsetenv("INPUTRC");
		setenv("INPUTRC", "/dev/null", 1);
		alarm(600);
		execv(kmm_binary(), (char *const *)argv);
		_exit(127);
	}
	return true;
}

/* Read until @text appears after what earlier waits consumed. */
static bool wait_for(struct session *s, const char *text)
{
	for (int rounds = 0; rounds < 1200; rounds++) {	/* up to 2 minutes on a loaded machine */
		char *hit = strstr(s->buf + s->seen, text);
		if (hit) {
			s->seen = (size_t)(hit - s->buf) + strlen(text);
			return true;
		}
		struct pollfd p = { s->fd, POLLIN, 0 };
		int r = poll(&p, 1, 100);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		char tmp[4096];
		ssize_t n = read(s->fd, tmp, sizeof(tmp));
		if (n <= 0)
			break;	/* EIO: the child closed the terminal */
		append(&s->buf, &s->len, tmp, (size_t)n);
	}
	kmm_test_fail(__FILE__, __LINE__, "terminal never showed \"%s\"; it showed:\n%s", text,
		      s->buf + s->seen);
	return false;
}

static void type(struct session *s, const char *keys)
{
	size_t n = strlen(keys);

	while (n) {
		ssize_t w = write(s->fd, keys, n);
		if (w <= 0)
			return;
		keys += w;
		n -= (size_t)w;
	}
}

/* Drain output for up to @ms milliseconds; true once the child has exited. */
static bool exited_within(struct session *s, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		char tmp[4096];
		if (poll(&p, 1, 50) > 0) {
			ssize_t n = read(s->fd, tmp, sizeof(tmp));
			if (n > 0)
				append(&s->buf, &s->len, tmp, (size_t)n);
		}
		siginfo_t info = { 0 };
		if (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == s->pid)
			return true;
	}
	return false;
}

static int finish(struct session *s)
{
	int status = -1;

	/* drain until the child closes the pty, then reap it */
	for (int i = 0; i < 1200; i++) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		char tmp[4096];
		if (poll(&p, 1, 100) > 0) {
			ssize_t n = read(s->fd, tmp, sizeof(tmp));
			if (n <= 0)
				break;
			append(&s->buf, &s->len, tmp, (size_t)n);
		} else if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
	}
	/* the terminal closed (EIO): give the child time to be reaped */
	for (int i = 0; s->pid > 0 && i < 1200; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			s->pid = 0;
		else
			usleep(100 * 1000);
	}
	if (s->pid > 0) {
		/* still running after two minutes: it is hung, not slow */
		kmm_test_fail(__FILE__, __LINE__, "the shell did not exit; it showed:\n%s",
			      s->buf + s->seen);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
	}
	close(s->fd);
	free(s->buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool has_line_editing(void)
{
	char *out, *err;
	int rc = kmm_run((const char *const[]){ "kmm", "--version", NULL }, NULL, &out, &err, 300);
	bool yes = rc == 0 && !strstr(out, "line editing: none");

	free(out);
	free(err);
	return yes;
}

TEST(a_new_user_session)
{
	struct session s;

	assert_true(start(&s, (const char *const[]){ "kmm", "shell", "mem=64M", "arch=i386", NULL }));
	expect_true(wait_for(&s, "Type `help` for the commands"));
	expect_true(wait_for(&s, "kmm> "));

	/* a command */
	type(&s, "cat /proc/buddyinfo\r");
	expect_true(wait_for(&s, "Node 0, zone   Normal"));
	expect_true(wait_for(&s, "kmm> "));

	/* help */
	type(&s, "help\r");
	expect_true(wait_for(&s, "alloc_pages   allocate 2^order contiguous pages"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "help free\r");
	expect_true(wait_for(&s, "usage: free"));
	expect_true(wait_for(&s, "kmm> "));

	/* a mistake: caret under the column, file:line:col message, and the shell goes on */
	type(&s, "alloc_pages order=12\r");
	expect_true(wait_for(&s, "                 ^"));
	expect_true(wait_for(&s, "<stdin>:4:13: order must be 0..10 (MAX_PAGE_ORDER), not '12'"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "fre -m\r");
	expect_true(wait_for(&s, "did you mean 'free'?"));
	expect_true(wait_for(&s, "kmm> "));

	/* results are printed in the shell; variables persist across lines */
	type(&s, "alloc_pages order=3 -> $p\r");
	expect_true(wait_for(&s, "$p = pfn 0x"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "print $p.pages\r");
	expect_true(wait_for(&s, "8\r\n"));
	expect_true(wait_for(&s, "kmm> "));

	/* a block typed over several lines */
	type(&s, "repeat 2 {\r");
	expect_true(wait_for(&s, "...> "));
	type(&s, "print \"round\"\r");
	expect_true(wait_for(&s, "...> "));
	type(&s, "}\r");
	expect_true(wait_for(&s, "round\r\nround\r\n"));
	expect_true(wait_for(&s, "kmm> "));

	/* history: the up arrow brings back the last line */
	type(&s, "print 6 * 7\r");
	expect_true(wait_for(&s, "42\r\n"));
	expect_true(wait_for(&s, "kmm> "));
	if (has_line_editing()) {
		type(&s, "\x1b[A\r");
		expect_true(wait_for(&s, "42\r\n"));
		expect_true(wait_for(&s, "kmm> "));
		/* Tab completes the machine's /proc paths */
		type(&s, "cat /proc/zonei\t\r");
		expect_true(wait_for(&s, "pages free"));
		expect_true(wait_for(&s, "kmm> "));
	} else {
		printf("(no line editing in this build: history recall not tried)\n");
	}

	type(&s, "free_pages $p\r");
	expect_true(wait_for(&s, "freed 1 block of order 3"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
}

TEST(ctrl_d_leaves_and_exit_status)
{
	struct session s;

	assert_true(start(&s, (const char *const[]){ "kmm", "shell", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	/*
	 * A ^D typed while the terminal is still in canonical mode (readline
	 * prints the prompt, then switches modes) is an EOF marker the mode
	 * switch can drop; a user would press it again, and so do we.
	 */
	for (int tries = 0; tries < 20 && !exited_within(&s, tries ? 1000 : 0); tries++)
		type(&s, "\x04");
	expect_eq(finish(&s), 0);

	assert_true(start(&s, (const char *const[]){ "kmm", "shell", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "quit 3\r");
	expect_eq(finish(&s), 3);

	/* a bad boot option: message, exit status 2, no prompt */
	assert_true(start(&s, (const char *const[]){ "kmm", "shell", "mem=12Q", NULL }));
	expect_true(wait_for(&s, "boot failed"));
	expect_eq(finish(&s), 2);
}

TEST(piped_input_has_no_prompt)
{
	char *out, *err;
	int rc = kmm_run((const char *const[]){ "kmm", "shell", NULL },
			 "print 1 + 1\nbogus\nprint 3\n", &out, &err, 300);

	expect_eq(rc, 0);
	expect_eq(strcmp(out, "2\n3\n"), 0);
	expect_eq(strcmp(err, "<stdin>:2:1: unknown command 'bogus' (`help` lists the commands)\n"), 0);
	free(out);
	free(err);
}

/* ---- Ctrl-C, history, completion, carets, $_, boot, pager (issue 13) ---- */

TEST(ctrl_c_cancels_the_line_and_the_running_command_and_keeps_the_machine)
{
	struct session s;

	assert_true(start(&s, (const char *const[]){ "kmm", "shell", "mem=64M", "arch=i386", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "alloc_pages order=2 -> $held\r");
	expect_true(wait_for(&s, "$held = pfn 0x"));
	expect_true(wait_for(&s, "kmm> "));

	/* at the prompt: the half-typed line is dropped, the shell stays */
	type(&s, "print 1 +");
	usleep(200 * 1000);
	type(&s, "\x03");
	expect_true(wait_for(&s, "^C"));
	expect_true(wait_for(&s, "kmm> "));
	/* and an open block too */
	type(&s, "repeat 3 {\r");
	expect_true(wait_for(&s, "...> "));
	type(&s, "\x03");
	expect_true(wait_for(&s, "kmm> "));

	/* a command that would run for minutes: stopped at its next step */
	/*
	 * ^C only once the line runs: sent earlier, the terminal would flush the
	 * unread line. $spin is set first, so it exists wherever the ^C lands.
	 */
	type(&s, "let $spin = 1; print \"spin-started\"; repeat 100000000 { let $spin = 1 }\r");
	expect_true(wait_for(&s, "spin-started\r\n"));
	type(&s, "\x03");
	expect_true(wait_for(&s, "interrupted (Ctrl-C) before this command; the machine and the "
			      "variables are kept"));
	expect_true(wait_for(&s, "kmm> "));

	/* same machine, same variables */
	type(&s, "print $held.pages $held.freed $spin\r");
	expect_true(wait_for(&s, "4 0 1\r\n"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "free_pages $held\r");
	expect_true(wait_for(&s, "freed 1 block of order 2"));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
}

TEST(history_is_kept_across_two_sessions_in_home)
{
	struct session s;
	char path[256];

	if (!has_line_editing()) {
		printf("(no line editing in this build: no history)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/.kmm_history", test_home);
	unlink(path);
	assert_true(start(&s, (const char *const[]){ "kmm", "shell", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "print 6 * 7 + 1000\r");
	expect_true(wait_for(&s, "1042\r\n"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
	FILE *f = fopen(path, "r");
	char line[256] = "";
	bool found = false;
	assert_true(f != NULL);
	/* readline writes lines as typed; libedit writes a blank as \040 */
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, "print 6 * 7 + 1000\n") ||
			 !strcmp(line, "print\\0406\\040*\\0407\\040+\\0401000\n");
	fclose(f);
	expect_true(found);

	/* a new session: up, up brings back the line before the last session's `exit` */
	assert_true(start(&s, (const char *const[]){ "kmm", "shell", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "\x1b[A");
	expect_true(wait_for(&s, "exit"));
	type(&s, "\x1b[A\r");
	expect_true(wait_for(&s, "1042\r\n"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
}

TEST(tab_completes_options_gfp_flags_and_variables)
{
	struct session s;

	if (!has_line_editing()) {
		printf("(no line editing in this build: no completion)\n");
		return;
	}
	assert_true(start(&s, (const char *const[]){ "kmm", "shell", "mem=1G", "arch=i386", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	/*
	 * An option of the verb, from its synopsis (or<Tab> -> order=), then a
	 * GFP flag (GFP_HIGHU<Tab> -> GFP_HIGHUSER, the part it shares with
	 * GFP_HIGHUSER_MOVABLE). Checked by what ran, not by how the library
	 * redraws the line.
	 */
	type(&s, "alloc_pages or\t");
	usleep(300 * 1000);
	type(&s, "3 gfp=GFP_HIGHU\t");
	usleep(300 * 1000);
	type(&s, " -> $completed\r");
	expect_true(wait_for(&s, "$completed = pfn 0x"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "page $completed\r");
	expect_true(wait_for(&s, "1 block of order 3 (8 pages), gfp=GFP_HIGHUSER\r\n"));
	expect_true(wait_for(&s, "zone HighMem"));
	expect_true(wait_for(&s, "kmm> "));
	/* a $variable: $comp<Tab> -> $completed */
	type(&s, "free_pages $comp\t\r");
	expect_true(wait_for(&s, "freed 1 block of order 3"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
}

TEST(run_time_errors_get_a_caret_and_uncaptured_results_go_to_underscore)
{
	struct session s;

	assert_true(start(&s, (const char *const[]){ "kmm", "shell", "mem=64M", "arch=i386", NULL }));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "alloc_pages order=1\r");
	expect_true(wait_for(&s, "$_ = pfn 0x"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "free_pages $_\r");
	expect_true(wait_for(&s, "freed 1 block of order 1"));
	expect_true(wait_for(&s, "kmm> "));
	/* freeing twice is a run-time error: message, the line, a caret under $_ */
	type(&s, "free_pages $_\r");
	expect_true(wait_for(&s, "<stdin>:3:12: "));
	expect_true(wait_for(&s, "\r\n  free_pages $_\r\n             ^\r\n"));
	expect_true(wait_for(&s, "kmm> "));
	/* boot without options says what it does, and keeps the command line */
	type(&s, "boot\r");
	expect_true(wait_for(&s, "rebooting with the current command line: mem=64M arch=i386"));
	expect_true(wait_for(&s, "kmm> "));
	type(&s, "print /proc/meminfo:MemTotal < 70000\r");
	expect_true(wait_for(&s, "1\r\n"));
	type(&s, "exit\r");
	expect_eq(finish(&s), 0);
}

/*
 * A boot line that fails - a bad option, or a machine the kernel cannot boot
 * in - leaves the machine in use, its command line and the variables that
 * point into it as they were (review16 R6: the old machine was shut down
 * first, and the shell went on with a fresh default one).
 */
TEST(a_bad_boot_line_keeps_the_machine_and_its_variables)
{
	char *out, *err;
	int rc = kmm_run((const char *const[]){ "kmm", "shell", "mem=64M", NULL },
			 "alloc_pages order=3 -> $p\nlet $x = 7\nboot mem=abc\n"
			 "reboot mem=55M nr_cpus=64\nexpect $p.freed == 0\nfree_pages $p\n"
			 "expect $p.freed == 1\nprint $x\ncat /proc/cmdline\nboot mem=128M\n"
			 "cat /proc/cmdline\n", &out, &err, 300);

	expect_eq(rc, 0);
	expect_eq(strcmp(out, "7\nmem=64M\nmem=128M\n"), 0);
	expect_eq(strcmp(err, "<stdin>:3:6: boot failed: mem=abc: bad size; the machine in use "
			 "is kept (mem=64M)\n<stdin>:4:8: boot failed: boot: no room for the "
			 "per-CPU areas in 55M of RAM (mem=55M); the machine in use is kept "
			 "(mem=64M)\n"), 0);
	if (strcmp(err, "") && !strstr(err, "kept"))
		fprintf(stderr, "stderr: %s\n", err);
	free(out);
	free(err);
}
