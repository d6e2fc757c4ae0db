// SPDX-License-Identifier: MIT
/*
 * cli/shell.c - `kmm shell`: the scenario language typed live.
 *
 * Linux counterpart: none (an interactive prompt on the machine).
 *
 * On a terminal the shell prints a prompt, and when built with a line-editing
 * library (libedit preferred: BSD-licensed like kmm's MIT; GNU readline
 * otherwise; see cmake/cli.cmake) it offers line editing, history recall
 * with the arrow keys, kept in $HOME/.kmm_history across sessions, and Tab
 * completion (cli/shell_complete.c). Without one, or when input is not a
 * terminal, it reads plain lines. A line that opens a `repeat N {` or a
 * quote is continued on the next lines under a "...> " prompt.
 *
 * Ctrl-C (SIGINT) never ends the shell on a terminal: typed at the prompt
 * it drops the line (and an open block); while a command runs, the runner
 * stops at its next step (opts.interrupt) with a message, and the machine
 * and the variables stay as they were.
 *
 * Each input is parsed whole before it runs, like a script; a mistake prints
 * "<stdin>:LINE:COL: message" (with a caret under the column on a terminal)
 * and the shell goes on. A run-time error shows the line and a caret too.
 * Variables and the machine persist across lines.
 *
 * Invariant: nothing runs from a line that failed to parse.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "cli/expr.h"
#include "cli/report.h"
#include "cli/scenario.h"
#include "cli/shell.h"
#include "lib/util.h"

#define PROMPT "kmm> "
#define PROMPT_MORE "...> "
#define HISTORY_LINES 1000

/* The shell's runner, so that completion can list the machine's files. */
struct kmm_ctx *shell_ctx;

/* Set by SIGINT (Ctrl-C) on a terminal; read by the line reader and the runner. */
static volatile sig_atomic_t sigint_flag;

static void on_sigint(int sig)
{
	(void)sig;
	sigint_flag = 1;
}

const char *kmm_line_editing(void)
{
#if defined(KMM_HAVE_LIBEDIT)
	return "libedit";
#elif defined(KMM_HAVE_READLINE)
	return "readline";
#else
	return "none";
#endif
}

/* ---- History: $HOME/.kmm_history ---- */

#if KMM_SHELL_EDITING
static char history_file[4096];

static void history_open(void)
{
	const char *home = getenv("HOME");

	stifle_history(HISTORY_LINES);
	if (!home || !*home)
		return;
	snprintf(history_file, sizeof(history_file), "%s/.kmm_history", home);
	read_history(history_file);	/* none yet is fine */
}

/* Keep @line, in memory and on disk at once (a killed shell loses nothing). */
static void history_keep(const char *line)
{
	add_history(line);
	if (history_file[0])
		write_history(history_file);
}
#endif

/* ---- Reading a line ---- */

enum read_status { READ_LINE, READ_EOF, READ_CANCELLED };

#if KMM_SHELL_EDITING
static char *cb_line;
static bool cb_done;

static void cb_got_line(char *line)
{
	rl_callback_handler_remove();
	cb_line = line;
	cb_done = true;
}

/*
 * Readline's callback interface, so that Ctrl-C is a flag seen between
 * keys rather than a jump out of the library: wait for input with select(),
 * feed readline one character at a time, and on SIGINT drop the line.
 */
static enum read_status read_line_editing(const char *prompt, char **out)
{
	cb_line = NULL;
	cb_done = false;
	rl_callback_handler_install(prompt, cb_got_line);
	while (!cb_done) {
		fd_set fds;

		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		if (sigint_flag) {
			sigint_flag = 0;
#if defined(KMM_HAVE_READLINE)
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_cleanup_after_signal();
#endif
			rl_callback_handler_remove();
			fputs("^C\n", stdout);
			fflush(stdout);
			return READ_CANCELLED;
		}
		int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rl_callback_handler_remove();
			return READ_EOF;
		}
		rl_callback_read_char();
	}
	*out = cb_line;
	if (!cb_line)
		return READ_EOF;
	if (*cb_line)
		history_keep(cb_line);
	return READ_LINE;
}
#endif

/*
 * Read one line without its newline into a malloc()ed *@out. @prompt is
 * shown only on a terminal.
 */
static enum read_status read_line(bool tty, const char *prompt, char **out)
{
	struct strbuf sb;
	int c;

	sigint_flag = 0;	/* a Ctrl-C from before this prompt is spent */
#if KMM_SHELL_EDITING
	if (tty)
		return read_line_editing(prompt, out);
#endif
	if (tty) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	sb_init(&sb);
	sb_puts(&sb, "");
	for (;;) {
		c = getchar();
		if (c == EOF && ferror(stdin) && errno == EINTR) {
			clearerr(stdin);
			if (!sigint_flag)
				continue;
			sigint_flag = 0;
			sb_free(&sb);
			fputs("\n", stdout);	/* the terminal echoed ^C */
			return READ_CANCELLED;
		}
		if (c == EOF || c == '\n')
			break;
		sb_printf(&sb, "%c", c);
	}
	if (c == EOF && sb.len == 0) {
		sb_free(&sb);
		return READ_EOF;
	}
	*out = sb_detach(&sb);
	return READ_LINE;
}

/* ---- The loop ---- */

/* Boot the machine of `kmm shell OPTION...` through the language, so errors read the same. */
static int boot_first(struct kmm_ctx *ctx, const char *cmdline)
{
	struct strbuf sb;
	char err[512];

	sb_init(&sb);
	sb_printf(&sb, "boot %s", cmdline);
	struct script_source src = { "kmm shell", sb.buf ? sb.buf : "", sb.len, 1 };
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
	int r = s ? script_run(ctx, s) : VERB_ERROR;
	if (!s)
		fprintf(stderr, "%s\n", err);
	script_free(s);
	sb_free(&sb);
	return r;
}

int kmm_shell(const char *cmdline, const char *report)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	/* always recording: `report FILE` may be typed at any time */
	struct ctx_opts opts = { .out = stdout, .err = stderr, .interactive = tty,
				 .host_files = true, .carets = tty, .pager = tty,
				 .interrupt = tty ? &sigint_flag : NULL, .record = true };
	struct kmm_ctx *ctx = ctx_create(&opts);
	int line_no = 1, status = KMM_EXIT_OK;
	struct strbuf pending;
	struct sigaction sa = { .sa_handler = on_sigint }, old_sa;

	shell_ctx = ctx;
	if (tty) {
		/* no SA_RESTART: a blocked read returns EINTR and sees the flag */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_sa);
	}
#if KMM_SHELL_EDITING
	shell_complete_setup();
	history_open();
#endif
	if (cmdline && boot_first(ctx, cmdline) != VERB_OK) {
		shell_ctx = NULL;
		ctx_destroy(ctx);
		if (tty)
			sigaction(SIGINT, &old_sa, NULL);
		return KMM_EXIT_USAGE;
	}
	if (tty)
		printf("kmm shell on %s. Type `help` for the commands, `exit` to leave.\n",
		       cmdline ? cmdline : "the default machine (" KMM_DEFAULT_CMDLINE
		       ", booted at the first command that needs it)");
	sb_init(&pending);
	int first_line = line_no;
	for (;;) {
		char *line = NULL;
		enum read_status rs = read_line(tty, pending.len ? PROMPT_MORE : PROMPT, &line);

		if (rs == READ_CANCELLED) {
			/* Ctrl-C at the prompt: the line, and any open block, are dropped */
			sb_free(&pending);
			sb_init(&pending);
			continue;
		}
		if (rs == READ_EOF) {
			if (tty)
				putchar('\n');
			if (pending.len) {
				fprintf(stderr, "<stdin>:%d: end of input inside an open block or quote\n",
					first_line);
				status = KMM_EXIT_USAGE;
			}
			break;
		}
		if (!pending.len)
			first_line = line_no;
		sb_printf(&pending, "%s\n", line);
		line_no++;
		free(line);
		if (pending.failed) {
			fprintf(stderr, "kmm shell: out of memory\n");
			status = KMM_EXIT_USAGE;
			break;
		}

		char err[512];
		bool incomplete = false;
		struct script_source src = { "<stdin>", pending.buf, pending.len, first_line };
		struct script *s = script_parse_ctx(ctx, &src, 1, err, sizeof(err), &incomplete);
		if (!s && incomplete)
			continue;	/* read the rest of the block */
		if (!s) {
			fflush(stdout);
			/* a caret under the column, for a one-line input on a terminal */
			int l, c;
			if (tty && line_no - first_line == 1 &&
			    sscanf(err + strlen("<stdin>:"), "%d:%d", &l, &c) == 2 && c > 0 && c < 200)
				fprintf(stderr, "%*s^\n", (int)strlen(PROMPT) + c - 1, "");
			fprintf(stderr, "%s\n", err);
			sb_free(&pending);
			sb_init(&pending);
			continue;
		}
		ctx_set_source(ctx, "<stdin>", first_line, pending.buf);
		int r = script_run(ctx, s);
		ctx_set_source(ctx, NULL, 0, NULL);
		script_free(s);
		sb_free(&pending);
		sb_init(&pending);
		fflush(stdout);
		if (r == VERB_EXIT) {
			status = ctx_exit_code(ctx);
			break;
		}
	}
	sb_free(&pending);
	if (report) {
		char err[512];
		if (report_write(ctx_report(ctx), ctx_machine_if_booted(ctx), report, "kmm shell",
				 err, sizeof(err))) {
			fprintf(stderr, "kmm shell: --report: %s\n", err);
			if (status == KMM_EXIT_OK)
				status = KMM_EXIT_USAGE;
		} else if (tty) {
			printf("kmm shell: the report is in %s\n", report);
		}
	}
	shell_ctx = NULL;
	ctx_destroy(ctx);
	if (tty)
		sigaction(SIGINT, &old_sa, NULL);
	return status;
}
