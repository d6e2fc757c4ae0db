// SPDX-License-Identifier: MIT
/*
 * cli/shell_complete.c - Tab completion in `kmm shell`.
 *
 * Linux counterpart: none (bash's programmable completion, in miniature).
 *
 * Words break at blanks only, so a word is completed whole:
 *   first word of a command (or after '|', ';', '{')  the verbs of the tables
 *   $na            the variables the shell holds ($p, $_, ...)
 *   /proc/zon      the booted machine's /proc and /sys files (never boots one)
 *   gfp=GFP_KER    GFP flag names, also after a '|' (gfp=GFP_KERNEL|__GFP_Z)
 *   or             the options of the command being typed, read from its
 *                  synopsis: order=, gfp=, count=, private, --format, ...
 * Nothing here is a second list to keep up to date: verbs and options come
 * from the verb tables, flags from kmm_gfp_flag_name(), variables and files
 * from the running shell.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/proc.h>

#include "cli/scenario.h"
#include "cli/shell.h"
#include "lib/util.h"

#if KMM_SHELL_EDITING

/* The candidates of the completion in progress, handed out by next_match(). */
static char **cands;
static size_t ncands, next_cand;

static void cands_reset(void)
{
	for (size_t i = next_cand; i < ncands; i++)
		free(cands[i]);
	free(cands);
	cands = NULL;
	ncands = next_cand = 0;
}

/* Add @prefix + @name if it starts with @text and is not there yet. */
static void cand_add(const char *text, const char *prefix, const char *name, size_t name_len)
{
	size_t pl = strlen(prefix), tl = strlen(text);
	char *c = malloc(pl + name_len + 1);
	char **v;

	if (!c)
		return;
	memcpy(c, prefix, pl);
	memcpy(c + pl, name, name_len);
	c[pl + name_len] = '\0';
	if (strncmp(c, text, tl)) {
		free(c);
		return;
	}
	for (size_t i = 0; i < ncands; i++) {
		if (!strcmp(cands[i], c)) {
			free(c);
			return;
		}
	}
	v = realloc(cands, (ncands + 1) * sizeof(*v));
	if (!v) {
		free(c);
		return;
	}
	cands = v;
	cands[ncands++] = c;
}

static char *next_match(const char *text, int state)
{
	(void)text;
	(void)state;
	return next_cand < ncands ? cands[next_cand++] : NULL;
}

static void add_verbs(const char *text)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->nr_verbs; j++)
			if (!(t[i]->verbs[j].flags & VERB_FILTER) || text[0])
				cand_add(text, "", t[i]->verbs[j].name, strlen(t[i]->verbs[j].name));
}

static void add_var(const char *name, void *arg)
{
	cand_add(arg, "$", name, strlen(name));
}

static int add_path(const char *path, unsigned int mode, void *arg)
{
	(void)mode;
	cand_add(arg, "", path, strlen(path));
	return 0;
}

/* gfp=A|B|C: complete the flag after the last '=' or '|'. */
static void add_gfp_flags(const char *text)
{
	const char *last = strrchr(text, '|');
	const char *eq = strchr(text, '=');
	size_t keep = (size_t)((last && last > eq ? last : eq) - text) + 1;
	char prefix[256];
	const char *name;

	snprintf(prefix, sizeof(prefix), "%.*s", (int)KMM_MIN(keep, sizeof(prefix) - 1), text);
	for (unsigned int i = 0; (name = kmm_gfp_flag_name(i)); i++)
		cand_add(text, prefix, name, strlen(name));
}

/*
 * The options a verb's synopsis shows: key= words, -flags and lower-case
 * literal words ("alloc_pages [order=N] [gfp=FLAGS] ..." gives order= gfp=;
 * "mmap NAME SIZE [PROT] [private|shared] [anon] ..." gives private shared anon).
 */
static void add_options(const char *text, const struct verb *v)
{
	const char *p = v->synopsis;

	while (*p) {
		size_t n = strcspn(p, " []{}|");
		if (!n) {
			p++;
			continue;
		}
		const char *eq = memchr(p, '=', n);
		bool literal = true;

		for (size_t i = 0; i < n; i++)
			if (!(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) ||
			      p[i] == '_' || p[i] == '-'))
				literal = false;
		if (eq && eq > p && islower((unsigned char)p[0]))
			cand_add(text, "", p, (size_t)(eq - p) + 1);
		else if ((literal || p[0] == '-') && n > 1 &&
			 !(strlen(v->name) == n && !strncmp(p, v->name, n)))
			cand_add(text, "", p, n);
		p += n;
	}
}

/* The verb of the command the cursor is in: the first word after '|', ';', '{' or the start. */
static const struct verb *current_verb(int start)
{
	const char *line = rl_line_buffer;
	int from = 0;
	char name[64];

	for (int i = 0; i < start; i++)
		if (line[i] == '|' || line[i] == ';' || line[i] == '{')
			from = i + 1;
	while (from < start && (line[from] == ' ' || line[from] == '\t'))
		from++;
	size_t n = strcspn(line + from, " \t");
	if (!n || n >= sizeof(name))
		return NULL;
	memcpy(name, line + from, n);
	name[n] = '\0';
	return verb_find(name);
}

static bool at_command_start(int start)
{
	for (int i = start - 1; i >= 0; i--) {
		char c = rl_line_buffer[i];
		if (c == ' ' || c == '\t')
			continue;
		return c == '|' || c == ';' || c == '{';
	}
	return true;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;	/* never host file names */
	rl_completion_append_character = ' ';
	cands_reset();
	if (at_command_start(start)) {
		add_verbs(text);
	} else if (text[0] == '$') {
		if (shell_ctx)
			ctx_for_each_var(shell_ctx, add_var, (void *)text);
	} else if (text[0] == '/') {
		struct kmm_machine *m = shell_ctx ? ctx_machine_if_booted(shell_ctx) : NULL;
		if (m)
			kmm_proc_list(m, "/", add_path, (void *)text);
	} else if (!strncmp(text, "gfp=", 4)) {
		add_gfp_flags(text);
		rl_completion_append_character = '\0';	/* a '|' may follow */
	} else {
		const struct verb *v = current_verb(start);
		if (v)
			add_options(text, v);
		if (ncands == 1 && cands[0][strlen(cands[0]) - 1] == '=')
			rl_completion_append_character = '\0';
	}
	if (!ncands)
		return NULL;
	return rl_completion_matches(text, next_match);
}

void shell_complete_setup(void)
{
	static char breaks[] = " \t\n";

	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = breaks;
	rl_basic_word_break_characters = breaks;	/* libedit reads this one */
#if defined(KMM_HAVE_READLINE)
	rl_catch_signals = 0;	/* the shell handles SIGINT itself (cli/shell.c) */
#endif
}

#endif /* KMM_SHELL_EDITING */
