// SPDX-License-Identifier: MIT
/*
 * cli/main.c - the kmm command: boot, run, shell, check, help.
 *
 * Linux counterpart: none (the user's side of a Linux machine).
 *
 * Exit status: 0 success; 1 an `expect` failed or a checker found a
 * violation; 2 bad usage or bad input (a malformed script, an unknown boot
 * option, a run-time error such as freeing a block twice). docs/kmm.1 is
 * the manual.
 *
 * Invariant: a script is parsed whole before it runs; on a parse error
 * nothing is booted and nothing is printed on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/expr.h"
#include "cli/scenario.h"
#include "lib/util.h"

#define KMM_VERSION "0.1"

static const char usage_text[] =
	"usage: kmm COMMAND [ARGS]\n"
	"\n"
	"kmm is the Linux memory manager rebuilt as a library and a machine you boot\n"
	"from a kernel command line. Commands:\n"
	"  kmm boot CMDLINE... [--cat PATH]...   boot, print dmesg (and the files), exit\n"
	"  kmm run [-x] [-n] [FILE.kmm] [-e LINE]...\n"
	"                                        run a scenario (from FILE, -e lines, or stdin)\n"
	"  kmm shell [CMDLINE...]                the scenario language typed live\n"
	"  kmm check [-x] FILE.kmm               run a scenario, then every invariant checker\n"
	"  kmm help [COMMAND|values|syntax]      the scenario language's commands\n"
	"  kmm --version                         version and line-editing library\n"
	"\n"
	"Each command takes --help. Exit status: 0 success, 1 an expect failed,\n"
	"2 bad usage or bad input. See kmm(1) (docs/kmm.1).\n";

static const char boot_usage[] =
	"usage: kmm boot [OPTION...] [--cat PATH]...\n"
	"\n"
	"Boot a machine from a kernel command line, print its boot log (dmesg), then\n"
	"print each /proc or /sys file given with --cat, and exit.\n"
	"\n"
	"Options (as on a Linux kernel command line):\n"
	"  mem=SIZE             RAM (K, M, G, T suffixes)\n"
	"  arch=ARCH            i386 (3G/1G split, highmem), i386-pae, x86_64 (default)\n"
	"  maxcpus=N            CPU slots\n"
	"  numa=fake=N          split memory into N nodes\n"
	"  kernelcore=SIZE      memory for non-movable allocations (the rest is ZONE_MOVABLE)\n"
	"  movablecore=SIZE     memory for ZONE_MOVABLE\n"
	"  vmalloc=SIZE         i386: the vmalloc area (moves the end of lowmem)\n"
	"  highmem=SIZE         i386: force this much highmem\n"
	"  memmap=SIZE$START    reserve a hole\n"
	"  buddy=eager|lazy     merge buddies at free time, or only when a larger block is needed\n"
	"\n"
	"Examples:\n"
	"  kmm boot mem=1G arch=i386\n"
	"  kmm boot mem=512M arch=i386 --cat /proc/zoneinfo --cat /proc/buddyinfo\n"
	"\n"
	"Exit status: 0 booted; 2 an unknown or malformed option (nothing is booted).\n";

static const char run_usage[] =
	"usage: kmm run [-x] [-n] [FILE.kmm | -] [-e LINE]...\n"
	"\n"
	"Run a scenario: the lines of FILE (or standard input, with - or when neither\n"
	"FILE nor -e is given) and of each -e LINE, in the order given. The whole\n"
	"script is parsed first; a bad line is reported as file:line:col: message\n"
	"and nothing runs. A script that needs a machine before any `boot` gets the\n"
	"default machine: " KMM_DEFAULT_CMDLINE ".\n"
	"\n"
	"  -e LINE     a line of script (repeatable; reported as -e:N)\n"
	"  -x          print each top-level command as \"$ command\" before its output\n"
	"  -n          parse only: report errors, run nothing\n"
	"\n"
	"Examples:\n"
	"  kmm run examples/tour.kmm\n"
	"  kmm run -e 'boot mem=512M arch=i386' -e 'free -m'\n"
	"  kmm run -e 'cat /proc/vmstat | grep pgalloc'\n"
	"\n"
	"`kmm help` lists the commands of the language.\n"
	"Exit status: 0 success; 1 an expect failed; 2 bad usage, a bad line, or a\n"
	"run-time error (which stops the script at that line).\n";

static const char check_usage[] =
	"usage: kmm check [-x] FILE.kmm [-e LINE]...\n"
	"\n"
	"Run a scenario like `kmm run`, then run every layer's invariant checker\n"
	"(kmm_check) on the machine, and on each machine before a `boot` replaces\n"
	"it, and report. Also says how many blocks the script still holds.\n"
	"\n"
	"Exit status: 0 all invariants hold and every expect passed; 1 a checker\n"
	"found a violation or an expect failed; 2 bad usage or bad input.\n";

static const char shell_usage[] =
	"usage: kmm shell [OPTION...]\n"
	"\n"
	"The scenario language typed live, one line at a time, on a machine booted\n"
	"from the given options (or, at the first command that needs one, the default\n"
	"machine " KMM_DEFAULT_CMDLINE "). On a terminal: a prompt, line editing and\n"
	"history (when built with libedit or readline). `help` lists the commands,\n"
	"`help COMMAND` explains one; leave with exit, quit or end of input (Ctrl-D).\n";

/* ---- Reading files ---- */

static char *read_stream(FILE *f, size_t *len)
{
	struct strbuf sb;
	char buf[4096];
	size_t n;

	sb_init(&sb);
	sb_puts(&sb, "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		/* %.*s would stop at a NUL: copy bytes as they are */
		size_t old = sb.len;
		sb_printf(&sb, "%*s", (int)n, "");
		if (sb.failed)
			break;
		memcpy(sb.buf + old, buf, n);
	}
	*len = sb.len;
	if (ferror(f) || sb.failed) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *text;

	if (!f)
		return NULL;
	text = read_stream(f, len);
	if (f != stdin)
		fclose(f);
	return text;
}

/* ---- run / check ---- */

struct run_args {
	bool echo, parse_only, help;
	const char *file;
	int nlines;
	const char **lines;
};

static int parse_run_args(int argc, char **argv, struct run_args *ra, const char *cmd,
			  const char *usage)
{
	memset(ra, 0, sizeof(*ra));
	ra->lines = calloc((size_t)argc + 1, sizeof(char *));
	if (!ra->lines)
		return KMM_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			ra->help = true;
			return KMM_EXIT_OK;
		}
		if (!strcmp(a, "-e") || !strcmp(a, "--expression")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kmm %s: -e needs a line of script\n", cmd);
				return KMM_EXIT_USAGE;
			}
			ra->lines[ra->nlines++] = argv[++i];
		} else if (!strncmp(a, "-e", 2) && a[2]) {
			ra->lines[ra->nlines++] = a + 2;
		} else if (!strcmp(a, "-x") || !strcmp(a, "--echo")) {
			ra->echo = true;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--parse-only")) {
			ra->parse_only = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "kmm %s: unknown option '%s' (see kmm %s --help)\n", cmd, a, cmd);
			return KMM_EXIT_USAGE;
		} else if (ra->file) {
			fprintf(stderr, "kmm %s: one scenario file at a time ('%s' and '%s')\n", cmd,
				ra->file, a);
			return KMM_EXIT_USAGE;
		} else {
			ra->file = a;
		}
	}
	return KMM_EXIT_OK;
}

static int run_scenario(int argc, char **argv, bool check)
{
	const char *cmd = check ? "check" : "run";
	struct run_args ra;
	struct script_source src[2];
	int nsrc = 0, ret;
	char *file_text = NULL, *lines_text = NULL;
	size_t len;

	ret = parse_run_args(argc, argv, &ra, cmd, check ? check_usage : run_usage);
	if (ret || ra.help) {
		free(ra.lines);
		return ret;
	}
	if (check && !ra.file && !ra.nlines) {
		fprintf(stderr, "kmm check: which scenario? usage: kmm check FILE.kmm\n");
		free(ra.lines);
		return KMM_EXIT_USAGE;
	}
	if (ra.file || !ra.nlines) {
		const char *path = ra.file ? ra.file : "-";
		file_text = read_file(path, &len);
		if (!file_text) {
			fprintf(stderr, "kmm %s: cannot read %s: %s\n", cmd, path, strerror(errno));
			free(ra.lines);
			return KMM_EXIT_USAGE;
		}
		src[nsrc++] = (struct script_source){
			.name = strcmp(path, "-") ? path : "<stdin>", .text = file_text, .len = len,
			.first_line = 1,
		};
	}
	if (ra.nlines) {
		/* -e lines form one source "-e"; line N is the Nth -e */
		struct strbuf sb;
		sb_init(&sb);
		for (int i = 0; i < ra.nlines; i++) {
			if (strchr(ra.lines[i], '\n')) {
				fprintf(stderr, "kmm %s: -e takes one line (no newlines); use ';'\n", cmd);
				sb_free(&sb);
				free(file_text);
				free(ra.lines);
				return KMM_EXIT_USAGE;
			}
			sb_printf(&sb, "%s\n", ra.lines[i]);
		}
		lines_text = sb_detach(&sb);
		if (!lines_text) {
			free(file_text);
			free(ra.lines);
			return KMM_EXIT_USAGE;
		}
		src[nsrc++] = (struct script_source){
			.name = "-e", .text = lines_text, .len = strlen(lines_text), .first_line = 1,
		};
	}
	char err[512];
	struct script *s = script_parse(src, nsrc, err, sizeof(err), NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		free(file_text);
		free(lines_text);
		free(ra.lines);
		return KMM_EXIT_USAGE;
	}
	if (ra.parse_only) {
		script_free(s);
		free(file_text);
		free(lines_text);
		free(ra.lines);
		return KMM_EXIT_OK;
	}
	struct ctx_opts opts = { .out = stdout, .err = stderr, .echo = ra.echo,
				 .check_each_boot = check };
	struct kmm_ctx *ctx = ctx_create(&opts);
	int r = script_run(ctx, s);
	int status;

	if (r == VERB_ERROR)
		status = KMM_EXIT_USAGE;
	else if (r == VERB_EXIT)
		status = ctx_exit_code(ctx);
	else
		status = ctx_expect_failures(ctx) ? KMM_EXIT_EXPECT : KMM_EXIT_OK;
	if (check && r != VERB_ERROR) {
		if (ctx_check(ctx, true) != KMM_EXIT_OK && status == KMM_EXIT_OK)
			status = KMM_EXIT_EXPECT;
		if (ctx_expect_failures(ctx))
			printf("kmm check: %d expect%s failed\n", ctx_expect_failures(ctx),
			       ctx_expect_failures(ctx) == 1 ? "" : "s");
	}
	if (ctx_destroy(ctx) != KMM_EXIT_OK && status == KMM_EXIT_OK)
		status = KMM_EXIT_EXPECT;
	script_free(s);
	free(file_text);
	free(lines_text);
	free(ra.lines);
	fflush(stdout);
	return status;
}

/* ---- boot ---- */

static int boot_cmd(int argc, char **argv)
{
	char cmdline[1024] = "";
	size_t o = 0;
	const char **cats = calloc((size_t)argc + 1, sizeof(char *));
	int ncats = 0, status = KMM_EXIT_OK;

	if (!cats)
		return KMM_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(boot_usage, stdout);
			free(cats);
			return KMM_EXIT_OK;
		}
		if (!strcmp(a, "--cat")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kmm boot: --cat needs a path, e.g. --cat /proc/zoneinfo\n");
				free(cats);
				return KMM_EXIT_USAGE;
			}
			cats[ncats++] = argv[++i];
			continue;
		}
		if (!strncmp(a, "--cat=", 6)) {
			cats[ncats++] = a + 6;
			continue;
		}
		if (a[0] == '-') {
			fprintf(stderr, "kmm boot: unknown option '%s' (boot options look like mem=1G; "
				"see kmm boot --help)\n", a);
			free(cats);
			return KMM_EXIT_USAGE;
		}
		if (o + strlen(a) + 2 > sizeof(cmdline)) {
			fprintf(stderr, "kmm boot: command line too long\n");
			free(cats);
			return KMM_EXIT_USAGE;
		}
		o += (size_t)snprintf(cmdline + o, sizeof(cmdline) - o, "%s%s", o ? " " : "", a);
	}
	struct kmm_machine *m = kmm_boot(cmdline);
	if (!m) {
		fprintf(stderr, "kmm boot: %s\n", kmm_last_error());
		free(cats);
		return KMM_EXIT_USAGE;
	}
	kmm_use(m);
	char *log = kmm_dmesg_dup(m);
	fputs(log ? log : "", stdout);
	free(log);
	for (int i = 0; i < ncats; i++) {
		char *text = NULL;
		int err = kmm_proc_read(m, cats[i], &text);
		if (err) {
			fflush(stdout);
			fprintf(stderr, "kmm boot: --cat %s: %s\n", cats[i],
				err == -ENOENT ? "No such file or directory" : strerror(-err));
			status = KMM_EXIT_USAGE;
			break;
		}
		fputs(text, stdout);
		free(text);
	}
	kmm_use(NULL);
	kmm_shutdown(m);
	free(cats);
	return status;
}

/* ---- shell, help ---- */

static int shell_cmd(int argc, char **argv)
{
	char cmdline[1024] = "";
	size_t o = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(shell_usage, stdout);
			return KMM_EXIT_OK;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "kmm shell: unknown option '%s' (see kmm shell --help)\n",
				argv[i]);
			return KMM_EXIT_USAGE;
		}
		if (o + strlen(argv[i]) + 2 > sizeof(cmdline)) {
			fprintf(stderr, "kmm shell: command line too long\n");
			return KMM_EXIT_USAGE;
		}
		o += (size_t)snprintf(cmdline + o, sizeof(cmdline) - o, "%s%s", o ? " " : "", argv[i]);
	}
	return kmm_shell(argc ? cmdline : NULL);
}

static int help_cmd(int argc, char **argv)
{
	struct ctx_opts opts = { .out = stdout, .err = stderr };
	char line[256];
	struct script_source src;
	char err[512];

	if (argc > 1) {
		fprintf(stderr, "usage: kmm help [COMMAND|values|syntax]\n");
		return KMM_EXIT_USAGE;
	}
	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		fputs(usage_text, stdout);
		return KMM_EXIT_OK;
	}
	snprintf(line, sizeof(line), "help %s", argc ? "\"\"" : "");
	if (argc) {
		/* quote the name so that any text reaches help as one word */
		struct strbuf sb;
		sb_init(&sb);
		sb_puts(&sb, "help '");
		for (const char *p = argv[0]; *p; p++) {
			if (*p == '\'' || *p == '\n')
				continue;
			sb_printf(&sb, "%c", *p);
		}
		sb_puts(&sb, "'");
		snprintf(line, sizeof(line), "%s", sb.buf ? sb.buf : "help");
		sb_free(&sb);
	}
	src = (struct script_source){ .name = "kmm help", .text = line, .len = strlen(line),
				      .first_line = 1 };
	struct script *s = script_parse(src.name ? &src : NULL, 1, err, sizeof(err), NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return KMM_EXIT_USAGE;
	}
	struct kmm_ctx *ctx = ctx_create(&opts);
	int r = script_run(ctx, s);
	ctx_destroy(ctx);
	script_free(s);
	return r == VERB_OK ? KMM_EXIT_OK : KMM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return KMM_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return KMM_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("kmm %s (line editing: %s)\n", KMM_VERSION, kmm_line_editing());
		return KMM_EXIT_OK;
	}
	if (!strcmp(cmd, "boot"))
		return boot_cmd(argc - 2, argv + 2);
	if (!strcmp(cmd, "run"))
		return run_scenario(argc - 2, argv + 2, false);
	if (!strcmp(cmd, "check"))
		return run_scenario(argc - 2, argv + 2, true);
	if (!strcmp(cmd, "shell"))
		return shell_cmd(argc - 2, argv + 2);
	if (!strcmp(cmd, "help"))
		return help_cmd(argc - 2, argv + 2);
	fprintf(stderr, "kmm: unknown command '%s' (commands: boot run shell check help; "
		"see kmm --help)\n", cmd);
	return KMM_EXIT_USAGE;
}
