// SPDX-License-Identifier: MIT
/*
 * cli/shell.c - `kmm shell`: the scenario language typed live.
 *
 * Linux counterpart: none (an interactive prompt on the machine).
 *
 * On a terminal the shell prints a prompt, and when built with a line-editing
 * library (libedit preferred: BSD-licensed like kmm's MIT; GNU readline
 * otherwise; see cmake/cli.cmake) it offers line editing, history recall with
 * the arrow keys, and Tab completion of command names and of the booted
 * machine's /proc and /sys paths. Without one, or when input
 * is not a terminal, it reads plain lines. A line that opens a `repeat N {`
 * or a quote is continued on the next lines under a "...> " prompt.
 *
 * Each input is parsed whole before it runs, like a script; a mistake prints
 * "<stdin>:LINE:COL: message" (with a caret under the column on a terminal)
 * and the shell goes on. Variables and the machine persist across lines.
 *
 * Invariant: nothing runs from a line that failed to parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(KMM_HAVE_LIBEDIT)
#include <editline/readline.h>
#elif defined(KMM_HAVE_READLINE)
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include <kmm/proc.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "lib/util.h"

#define PROMPT "kmm> "
#define PROMPT_MORE "...> "

/* The shell's runner, so that completion can list the machine's files. */
static struct kmm_ctx *shell_ctx;

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

#if defined(KMM_HAVE_LIBEDIT) || defined(KMM_HAVE_READLINE)
/* Completion of the first word from the verb table. */
static char *verb_generator(const char *text, int state)
{
	static size_t ti, vi;
	size_t nt, len = strlen(text);
	const struct verb_table *const *t = verb_tables(&nt);

	if (!state)
		ti = vi = 0;
	for (; ti < nt; ti++, vi = 0) {
		while (vi < t[ti]->nr_verbs) {
			const char *name = t[ti]->verbs[vi++].name;
			if (!strncmp(name, text, len))
				return strdup(name);
		}
	}
	return NULL;
}

struct path_matches {
	const char *prefix;
	char **v;
	size_t n;
};

static int collect_path(const char *path, unsigned int mode, void *arg)
{
	struct path_matches *pm = arg;
	char **v;

	(void)mode;
	if (strncmp(path, pm->prefix, strlen(pm->prefix)))
		return 0;
	v = realloc(pm->v, (pm->n + 1) * sizeof(*v));
	if (!v)
		return 0;
	pm->v = v;
	pm->v[pm->n] = strdup(path);
	if (pm->v[pm->n])
		pm->n++;
	return 0;
}

/* Completion of /proc and /sys paths from the booted machine (never boots one). */
static char *path_generator(const char *text, int state)
{
	static struct path_matches pm;
	static size_t next;

	if (!state) {
		for (size_t i = next; i < pm.n; i++)
			free(pm.v[i]);
		free(pm.v);
		memset(&pm, 0, sizeof(pm));
		next = 0;
		struct kmm_machine *m = shell_ctx ? ctx_machine_if_booted(shell_ctx) : NULL;
		if (m) {
			pm.prefix = text;
			kmm_proc_list(m, "/", collect_path, &pm);
		}
	}
	return next < pm.n ? pm.v[next++] : NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;	/* no host file names */
	if (start == 0)
		return rl_completion_matches(text, verb_generator);
	if (text[0] == '/')
		return rl_completion_matches(text, path_generator);
	return NULL;
}
#endif

/*
 * Read one line without its newline into a malloc()ed string; NULL at end of
 * input. @prompt is shown only on a terminal.
 */
static char *read_line(bool tty, const char *prompt)
{
#if defined(KMM_HAVE_LIBEDIT) || defined(KMM_HAVE_READLINE)
	if (tty) {
		char *l = readline(prompt);
		if (l && *l)
			add_history(l);
		return l;
	}
#endif
	struct strbuf sb;
	int c;

	if (tty) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	sb_init(&sb);
	sb_puts(&sb, "");
	while ((c = getchar()) != EOF && c != '\n')
		sb_printf(&sb, "%c", c);
	if (c == EOF && sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

int kmm_shell(const char *cmdline)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	struct ctx_opts opts = { .out = stdout, .err = stderr, .interactive = tty,
				 .host_files = true };
	struct kmm_ctx *ctx = ctx_create(&opts);
	int line_no = 1, status = KMM_EXIT_OK;
	struct strbuf pending;

	shell_ctx = ctx;
#if defined(KMM_HAVE_LIBEDIT) || defined(KMM_HAVE_READLINE)
	rl_attempted_completion_function = complete;
#endif
	if (cmdline) {
		/* boot through the language so errors read the same */
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
		if (r != VERB_OK) {
			shell_ctx = NULL;
			ctx_destroy(ctx);
			return KMM_EXIT_USAGE;
		}
	}
	if (tty)
		printf("kmm shell on %s. Type `help` for the commands, `exit` to leave.\n",
		       cmdline ? cmdline : "the default machine (" KMM_DEFAULT_CMDLINE
		       ", booted at the first command that needs it)");
	sb_init(&pending);
	int first_line = line_no;
	for (;;) {
		char *line = read_line(tty, pending.len ? PROMPT_MORE : PROMPT);
		if (!line) {
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
		sb_free(&pending);
		sb_init(&pending);
		int r = script_run(ctx, s);
		script_free(s);
		fflush(stdout);
		if (r == VERB_EXIT) {
			status = ctx_exit_code(ctx);
			break;
		}
	}
	sb_free(&pending);
	shell_ctx = NULL;
	ctx_destroy(ctx);
	return status;
}
