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
#include <unistd.h>

#include <kmm/trace.h>

#include "cli/expr.h"
#include "cli/lab.h"
#include "cli/manual.h"
#include "cli/report.h"
#include "cli/scenario.h"
#include "cli/trace.h"
#include "lib/util.h"

#ifndef KMM_VERSION
#define KMM_VERSION "0.1.0"	/* the build passes PROJECT_VERSION */
#endif

static const struct kmm_command *find_command(const char *name);

/* `kmm NAME --help`, from the command table. */
static int usage(const char *name)
{
	command_usage(stdout, find_command(name));
	return KMM_EXIT_OK;
}

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
	bool echo, parse_only, quiet, help;
	const char *trace_file;		/* --trace FILE */
	const char *trace_events;	/* --trace-events LIST */
	const char *report_file;	/* --report FILE */
	long report_points;		/* --report-points N (0: the default, -1: all) */
	const char *file;
	int nlines;
	const char **lines;
};

static int parse_run_args(int argc, char **argv, struct run_args *ra, const char *cmd)
{
	memset(ra, 0, sizeof(*ra));
	ra->lines = calloc((size_t)argc + 1, sizeof(char *));
	if (!ra->lines)
		return KMM_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			ra->help = true;
			return usage(strcmp(cmd, "trace record") ? cmd : "trace");
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
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			ra->quiet = true;
		} else if (!strcmp(a, "--trace") || !strcmp(a, "--trace-events")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kmm %s: %s needs %s\n", cmd, a,
					a[7] ? "a list of events" : "a file");
				return KMM_EXIT_USAGE;
			}
			*(a[7] ? &ra->trace_events : &ra->trace_file) = argv[++i];
		} else if (!strcmp(a, "--report") || !strncmp(a, "--report=", 9)) {
			if (!a[8] && i + 1 >= argc) {
				fprintf(stderr, "kmm %s: --report needs a file, e.g. --report run.html\n",
					cmd);
				return KMM_EXIT_USAGE;
			}
			ra->report_file = a[8] ? a + 9 : argv[++i];
			if (!*ra->report_file) {
				fprintf(stderr, "kmm %s: --report needs a file name\n", cmd);
				return KMM_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--report-points") || !strncmp(a, "--report-points=", 16)) {
			const char *v = a[15] ? a + 16 : i + 1 < argc ? argv[++i] : NULL;
			long long n;
			if (!v || parse_long(v, &n) || n < 0 || n > 100000000) {
				fprintf(stderr, "kmm %s: --report-points wants a number of points, 0 for "
					"all (got '%s')\n", cmd, v ? v : "");
				return KMM_EXIT_USAGE;
			}
			ra->report_points = n ? (long)n : -1;
		} else if (!strncmp(a, "--trace=", 8)) {
			ra->trace_file = a + 8;
		} else if (!strncmp(a, "--trace-events=", 15)) {
			ra->trace_events = a + 15;
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

/*
 * kmm run, kmm check and kmm trace record (@cmd: "run", "check" or "trace
 * record"). Messages name the command and the options the user typed:
 * `kmm trace record -o FILE -E LIST` is `--trace FILE --trace-events LIST`.
 */
static int run_scenario(int argc, char **argv, const char *cmd)
{
	bool check = !strcmp(cmd, "check"), record = !strcmp(cmd, "trace record");
	const char *trace_opt = record ? "-o" : "--trace";
	const char *events_opt = record ? "-E" : "--trace-events";
	struct run_args ra;
	struct script_source src[2];
	int nsrc = 0, ret;
	char *file_text = NULL, *lines_text = NULL;
	size_t len;

	ret = parse_run_args(argc, argv, &ra, cmd);
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
	uint64_t trace_mask = KMM_EVMASK_TRACEPOINTS;

	if (ra.trace_events && !ra.trace_file) {
		fprintf(stderr, "kmm %s: %s needs %s FILE\n", cmd, events_opt, trace_opt);
		ret = KMM_EXIT_USAGE;
	} else if (ra.trace_events && !(trace_mask = trace_parse_events(ra.trace_events, err,
									    sizeof(err)))) {
		fprintf(stderr, "kmm %s: %s: %s\n", cmd, events_opt, err);
		ret = KMM_EXIT_USAGE;
	} else if (ra.trace_file && trace_record_start(ra.trace_file, trace_mask, err,
							sizeof(err))) {
		fprintf(stderr, "kmm %s: %s: %s\n", cmd, trace_opt, err);
		ret = KMM_EXIT_USAGE;
	}
	if (ret) {
		script_free(s);
		free(file_text);
		free(lines_text);
		free(ra.lines);
		return ret;
	}
	struct ctx_opts opts = { .out = stdout, .err = stderr, .echo = ra.echo,
				 .quiet = ra.quiet, .host_files = true,
				 .check_each_boot = check,
				 .record = ra.report_file || script_uses_verb(s, "report"),
				 .report_points = ra.report_points,
				 .progress = isatty(STDERR_FILENO) };
	struct kmm_ctx *ctx = ctx_create(&opts);
	int r = script_run(ctx, s);
	int status;

	/* the report, whatever the outcome: a run that failed is worth seeing too */
	if (ra.report_file && report_write(ctx_report(ctx), ctx_machine_if_booted(ctx),
					   ra.report_file, ra.file ? ra.file : "-e", err,
					   sizeof(err))) {
		fflush(stdout);
		fprintf(stderr, "kmm %s: --report: %s\n", cmd, err);
		if (r != VERB_ERROR)
			r = VERB_ERROR;
	}

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
	/* After ctx_destroy: every machine recorded has shut down. */
	if (ra.trace_file && trace_record_stop(err, sizeof(err))) {
		fprintf(stderr, "kmm %s: %s %s: %s\n", cmd, trace_opt, ra.trace_file, err);
		status = KMM_EXIT_USAGE;
	}
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
	bool quiet = false;

	if (!cats)
		return KMM_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			free(cats);
			return usage("boot");
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
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
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
	if (!quiet) {
		char *log = kmm_dmesg_dup(m);
		fputs(log ? log : "", stdout);
		free(log);
	}
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
	const char *report = NULL;
	size_t o = 0;
	int nopts = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage("shell");
		if (!strcmp(argv[i], "--report") || !strncmp(argv[i], "--report=", 9)) {
			report = argv[i][8] ? argv[i] + 9 : i + 1 < argc ? argv[++i] : NULL;
			if (!report || !*report) {
				fprintf(stderr, "kmm shell: --report needs a file, e.g. --report "
					"session.html\n");
				return KMM_EXIT_USAGE;
			}
			continue;
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
		nopts++;
	}
	return kmm_shell(nopts ? cmdline : NULL, report);
}

static const struct kmm_command *const *all_commands(size_t *n);

static int help_cmd(int argc, char **argv)
{
	struct ctx_opts opts = { .out = stdout, .err = stderr, .pager = isatty(STDOUT_FILENO) };
	char line[256];
	struct script_source src;
	char err[512];

	if (argc > 1) {
		fprintf(stderr, "usage: kmm help [COMMAND|TOPIC] | kmm help --man\n");
		return KMM_EXIT_USAGE;
	}
	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
		return usage("help");
	if (argc == 1 && !strcmp(argv[0], "--man")) {
		size_t n;
		const struct kmm_command *const *cmds = all_commands(&n);
		manual_write(stdout, cmds, n, KMM_VERSION);
		return fflush(stdout) ? KMM_EXIT_USAGE : KMM_EXIT_OK;
	}
	snprintf(line, sizeof(line), "help");
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
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
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

static int run_cmd(int argc, char **argv)
{
	return run_scenario(argc, argv, "run");
}

static int check_cmd(int argc, char **argv)
{
	return run_scenario(argc, argv, "check");
}

/* ---- trace ---- */

/* kmm trace record [-o FILE] [-E EVENTS] [RUN OPTIONS] [FILE.kmm] [-e LINE]... */
static int trace_record(int argc, char **argv)
{
	const char *out = "kmm.trace", *events = NULL;
	char **args = calloc((size_t)argc + 5, sizeof(char *));
	int n = 0, ret;

	if (!args)
		return KMM_EXIT_USAGE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			free(args);
			return usage("trace");
		}
		if (!strcmp(a, "-o") || !strcmp(a, "-E")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kmm trace record: %s needs %s\n", a,
					a[1] == 'o' ? "a file" : "a list of events");
				free(args);
				return KMM_EXIT_USAGE;
			}
			*(a[1] == 'o' ? &out : &events) = argv[++i];
			continue;
		}
		args[n++] = argv[i];
	}
	/* The same run as `kmm run --trace OUT [--trace-events EVENTS] ARGS...`. */
	memmove(args + (events ? 4 : 2), args, (size_t)n * sizeof(char *));
	args[0] = "--trace";
	args[1] = (char *)out;
	if (events) {
		args[2] = "--trace-events";
		args[3] = (char *)events;
	}
	n += events ? 4 : 2;
	ret = run_scenario(n, args, "trace record");
	free(args);
	return ret;
}

static int trace_cmd(int argc, char **argv)
{
	char err[512];

	if (!argc || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		if (!argc)
			fprintf(stderr, "kmm trace: record or report? (see kmm trace --help)\n");
		return argc ? usage("trace") : KMM_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "record"))
		return trace_record(argc - 1, argv + 1);
	if (!strcmp(argv[0], "report")) {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return usage("trace");
		if (argc != 2) {
			fprintf(stderr, "kmm trace report: one trace file, e.g. kmm trace report "
				"kmm.trace\n");
			return KMM_EXIT_USAGE;
		}
		if (trace_report(argv[1], stdout, err, sizeof(err))) {
			fflush(stdout);
			fprintf(stderr, "kmm trace report: %s\n", err);
			return KMM_EXIT_USAGE;
		}
		return KMM_EXIT_OK;
	}
	fprintf(stderr, "kmm trace: unknown subcommand '%s' (record or report)\n", argv[0]);
	return KMM_EXIT_USAGE;
}

/* ---- The command table: `kmm --help`, `kmm NAME --help` and the manual ---- */

static const struct kmm_option_doc boot_options[] = {
	{ "--cat", "PATH", "After the boot log, print this /proc or /sys file (repeatable)." },
	{ "-q, --quiet", NULL, "Do not print the boot log: only the --cat files." },
	{ "-h, --help", NULL, "Print this help." },
};

static const struct kmm_option_doc run_options[] = {
	{ "-e, --expression", "LINE", "A line of script (repeatable, run after FILE in the order "
	  "given; reported as -e:N, N counting the -e options)." },
	{ "-x, --echo", NULL, "Print each top-level command as \"$ command\" before its output." },
	{ "-n, --parse-only", NULL, "Parse only: report the first error, run nothing." },
	{ "-q, --quiet", NULL, "Print only what the scenario prints on purpose (print, echo, "
	  "cat, free, zones, ps, ...): the lines that merely acknowledge an action (\"A: pid 1\", "
	  "\"kmalloc 100 (kmalloc-128): 0x...\", sysctl NAME=VALUE's echo) are dropped, unless "
	  "piped or redirected, and so are kswapd's reports and a kernel panic's lines (dmesg "
	  "keeps them; a panic gets one line on standard error). A process killed by a fault "
	  "of its own access (touch, write, read: SIGSEGV, SIGBUS) is always reported. "
	  "Errors still go to standard error." },
	{ "--trace", "FILE", "Write every event of every machine the script boots to FILE "
	  "(- for standard output), in the format of docs/trace-format.md." },
	{ "--trace-events", "LIST", "Only these events in the trace: names separated by "
	  "commas (mm_page_alloc,kmalloc,...), or all (the default)." },
	{ "--report", "FILE", "At the end of the run (also after an error), write the HTML "
	  "report to FILE: every machine's memory map, buddy lists, processes, slab caches and "
	  "vmalloc area, and a timeline of the counters sampled after every command "
	  "(docs/report.md)." },
	{ "--report-points", "N", "Keep at most N points of the timeline per machine (default "
	  "4096; 0: one per command, however many): past N, neighbouring points merge in pairs." },
	{ "-h, --help", NULL, "Print this help." },
};

static const struct kmm_option_doc trace_options[] = {
	{ "-o", "FILE", "record: the trace file (default kmm.trace; - for standard output)." },
	{ "-E", "LIST", "record: only these events, names separated by commas, or all." },
	{ "-h, --help", NULL, "Print this help." },
};

static const struct kmm_option_doc help_options[] = {
	{ "--man", NULL, "Print the manual page (roff) generated from kmm's tables; "
	  "`make man` writes it to docs/kmm.1." },
};

static const struct kmm_command boot_command = {
	"boot", "[-q] [OPTION...] [--cat PATH]...",
	"boot, print dmesg (and the files), exit",
	"Boot a machine from a kernel command line (OPTIONs such as mem=1G arch=i386; see "
	"BOOT OPTIONS below), print its boot log (dmesg), then print each /proc or /sys "
	"file given with --cat, and exit.",
	boot_options, ARRAY_SIZE(boot_options),
	"kmm boot mem=1G arch=i386\n"
	"kmm boot mem=512M arch=i386 --cat /proc/zoneinfo --cat /proc/buddyinfo\n",
	"0 booted; 2 an unknown or malformed option (nothing is booted) or an unknown file.",
	boot_cmd, true,
};

static const struct kmm_command run_command = {
	"run", "[-x] [-n] [-q] [--report FILE] [FILE.kmm | -] [-e LINE]...",
	"run a scenario (from FILE, -e lines, or stdin)",
	"Run a scenario: the lines of FILE (or standard input, with - or when neither FILE nor "
	"-e is given) and of each -e LINE, in the order given. The whole script is parsed "
	"first; a bad line is reported as file:line:col: message and nothing runs. A script "
	"that needs a machine before any `boot` gets the default machine, "
	KMM_DEFAULT_CMDLINE ". `kmm help` lists the commands of the language.",
	run_options, ARRAY_SIZE(run_options),
	"kmm run examples/tour.kmm\n"
	"kmm run --report tour.html examples/tour.kmm\n"
	"kmm run -e 'boot mem=512M arch=i386' -e 'free -m'\n"
	"kmm run -e 'cat /proc/vmstat | grep pgalloc'\n",
	"0 success; 1 an expect failed; 2 bad usage, a bad line, or a run-time error (which "
	"stops the script at that line).",
	run_cmd, false,
};

static const struct kmm_command check_command = {
	"check", "[-x] [-q] FILE.kmm [-e LINE]...",
	"run a scenario, then every invariant checker",
	"Run a scenario like `kmm run`, then run every layer's invariant checker (kmm_check) "
	"on the machine, and on each machine before a `boot` replaces it, and report. Also "
	"says how many blocks the script still holds.",
	run_options, ARRAY_SIZE(run_options),
	"kmm check examples/cow.kmm\n",
	"0 all invariants hold and every expect passed; 1 a checker found a violation or an "
	"expect failed; 2 bad usage or bad input.",
	check_cmd, false,
};

static const struct kmm_command trace_command = {
	"trace", "record [-o FILE] [-E EVENTS] [FILE.kmm] [-e LINE]... | report FILE",
	"record a scenario's events (Linux's tracepoint names) to a file, or summarise one",
	"record runs a scenario as `kmm run` does and writes every event of every machine it "
	"boots - pages, objects, faults, system calls, log lines, under Linux's tracepoint "
	"names, stamped with the virtual clock - to FILE, one line each (docs/trace-format.md; "
	"the allocator lab and the HTML report read it). The run's own output and exit status "
	"are those of `kmm run`. The same run writes the same trace, byte for byte.\n\n"
	"report prints, for each machine of a trace, how many events of each kind it holds.",
	trace_options, ARRAY_SIZE(trace_options),
	"kmm trace record -o cow.trace examples/cow.kmm\n"
	"kmm trace record -E mm_page_alloc,mm_page_free -e 'alloc_pages order=3'\n"
	"kmm trace report cow.trace\n",
	"record: those of kmm run; report: 0, or 2 when the file is not a kmm trace.",
	trace_cmd, false,
};

static const struct kmm_option_doc shell_options[] = {
	{ "--report", "FILE", "When the shell ends, write the HTML report of the session to "
	  "FILE (the `report` command writes one at any time)." },
	{ "-h, --help", NULL, "Print this help." },
};

static const struct kmm_command shell_command = {
	"shell", "[--report FILE] [OPTION...]",
	"the scenario language typed live",
	"The scenario language typed live, one line at a time, on a machine booted from the "
	"given boot options (or, at the first command that needs one, the default machine "
	KMM_DEFAULT_CMDLINE "). On a terminal: a prompt, line editing and history (when "
	"built with libedit or readline; see THE SHELL). `help` lists the commands, `help "
	"COMMAND` explains one; leave with exit, quit or end of input (Ctrl-D).",
	shell_options, ARRAY_SIZE(shell_options),
	"kmm shell mem=1G arch=i386\n",
	"the N of `exit N` (0 by default); 2 when the boot options are bad.",
	shell_cmd, true,
};

static const struct kmm_command help_command = {
	"help", "[COMMAND | TOPIC | --man]",
	"the scenario language's commands and topics",
	"List the commands of the scenario language, one line each, or explain one (`kmm help "
	"alloc_pages`). Topics: values (what expect, let and print can read), syntax (the "
	"language), shell (the shell's keys), environment, status (exit statuses).",
	help_options, ARRAY_SIZE(help_options),
	"kmm help\nkmm help alloc_pages\nkmm help values\n",
	"0; 2 for a name that is neither a command nor a topic.",
	help_cmd, false,
};

static const struct kmm_option_doc lab_options[] = {
	{ "--policy", "LIST", "fit, pages: the policies to compare, comma-separated, or all "
	  "(the default). fit: first-fit first-fit-lifo next-fit best-fit worst-fit segregated "
	  "tlsf buddy buddy-lazy fixed; pages: fifo lru opt clock nru lfu aging wsclock 2q arc "
	  "linux." },
	{ "--format", "table|csv|json", "fit, pages: a table (the default), CSV with a header "
	  "line, or one JSON object." },
	{ "--pool", "SIZE", "fit: the pool's bytes, at most 2G (default: a pool whose blocks get "
	  "the power of two at or above 4 times the trace's peak live bytes, at least 64K)." },
	{ "--align", "N", "fit: the granule, a power of two (default 16)." },
	{ "--meta", "inside|outside|both", "fit: keep the pool's metadata in the pool (the "
	  "default), in a separate area, or compare both." },
	{ "--object", "SIZE", "fit: the fixed pool's object size (default: the trace's largest "
	  "request)." },
	{ "--max-order", "N", "fit: the buddy systems' largest block, 2^N granules." },
	{ "--map[=COLS]", NULL, "fit: draw the fragmentation map over time (default 64 columns)." },
	{ "--samples", "N", "fit: fragmentation samples over the run (default 16)." },
	{ "--steps", NULL, "fit: after every event, draw the pool's blocks (traces of at most "
	  "5000 events)." },
	{ "--check", NULL, "fit: run the pool's invariant checker after every event (status 1 "
	  "if one fails)." },
	{ "--timing", NULL, "fit: also measure events per second and the slowest event; these "
	  "columns vary from run to run, all others are deterministic." },
	{ "--trace-format", "auto|mtrace|rep|kmm|events|events-pages", "fit: the trace's format "
	  "(default: guessed from its first line). events: a kmm machine's trace (kmm trace "
	  "record), its kmalloc and kmem_cache objects; events-pages: its page blocks." },
	{ "--frames", "N|A..B", "pages: the frame counts (default 1..8)." },
	{ "--page-size", "SIZE", "pages: bytes per page for lackey traces (default 4096)." },
	{ "--instructions", NULL, "pages: count a lackey trace's instruction fetches too." },
	{ "--tick", "N", "pages: references per clock tick for NRU, aging and WSClock "
	  "(default 1)." },
	{ "--tau", "N", "pages: WSClock's working-set window in ticks (default 4 times the "
	  "frames)." },
	{ "-o, --output", "FILE", "gen, record: the trace file (record's default: PROGRAM.trace; "
	  "gen's: standard output)." },
	{ "-h, --help", NULL, "Print this help; kmm lab SUBCOMMAND --help prints that one's." },
};

static int lab_cmd(int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
		return usage("lab");
	return lab_main(argc, argv);
}

static const struct kmm_command lab_command = {
	"lab", "fit|pages|gen|record [OPTION...] ARG...",
	"the allocator lab: pool allocators, page replacement, traces",
	"The allocator lab (docs/lab.md) stands beside the machine: classic pool allocators "
	"and page-replacement policies, run on traces.\n"
	"kmm lab fit TRACE... replays allocation traces (glibc mtrace logs, CS:APP .rep "
	"files, kmm's own malloc-shim traces, a kmm machine's kmalloc objects or pages from "
	"kmm trace record, or synthetic:SPEC) through pool allocators and "
	"compares peak footprint, utilisation, internal and external fragmentation, failed "
	"requests and list nodes examined per call.\n"
	"kmm lab pages REFS... counts page faults of replacement policies over a range of "
	"frame counts, on a reference string (\"7 0 1 2 0 3\") or a file (valgrind lackey "
	"output, a kmm trace's page faults from kmm trace record, page numbers), and reports "
	"Belady's anomaly where one more frame gives more faults.\n"
	"kmm lab gen SPEC writes a seeded synthetic trace (seed=N,allocs=N,size=DIST,"
	"life=DIST,realloc=PCT) as a .rep file. kmm lab record -- PROGRAM ARGS runs a program "
	"under libkmm-malloc.so with KMM_MALLOC_TRACE set and saves its trace.\n"
	"A progress bar is drawn on standard error when it is a terminal (fit: traces of 2^20 "
	"events or more; pages: more than 2^22 references replayed in all). The scenario verb "
	"`lab` runs the same subcommands (but not record, and without --timing).",
	lab_options, ARRAY_SIZE(lab_options),
	"kmm lab pages --policy fifo,lru,opt --frames 3..4 \"1 2 3 4 1 2 5 1 2 3 4 5\"\n"
	"kmm lab fit --policy first-fit,best-fit,tlsf --map synthetic:seed=1,allocs=20000\n"
	"kmm lab record -o sort.trace -- sort /etc/services\n",
	"0 success; 1 --check found a violated invariant; 2 bad usage or bad input (an "
	"unknown option, an unreadable or malformed trace, named as file:line).",
	lab_cmd, false,
};

/*
 * Every kmm command, in `kmm --help` order. A new command (kmm lab, kmm
 * trace) is one row here: its name, synopsis, texts, options and main;
 * `--help`, dispatch and the manual follow from the row.
 */
static const struct kmm_command *const commands[] = {
	&boot_command,
	&run_command,
	&shell_command,
	&check_command,
	&trace_command,
	&lab_command,
	&help_command,
};

static const struct kmm_command *const *all_commands(size_t *n)
{
	*n = ARRAY_SIZE(commands);
	return commands;
}

static const struct kmm_command *find_command(const char *name)
{
	return command_find(commands, ARRAY_SIZE(commands), name);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		commands_usage(stderr, commands, ARRAY_SIZE(commands));
		return KMM_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		commands_usage(stdout, commands, ARRAY_SIZE(commands));
		return KMM_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("kmm %s (line editing: %s)\n", KMM_VERSION, kmm_line_editing());
		return KMM_EXIT_OK;
	}
	const struct kmm_command *cmd = find_command(name);
	if (cmd)
		return cmd->main(argc - 2, argv + 2);

	struct kmm_nearest near;
	kmm_nearest_init(&near, 3);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		kmm_nearest_try(&near, name, commands[i]->name);
	fprintf(stderr, "kmm: unknown command '%s'", name);
	if (near.best)
		fprintf(stderr, " (did you mean '%s'?)", near.best);
	fprintf(stderr, "; commands:");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(stderr, " %s", commands[i]->name);
	fprintf(stderr, " (see kmm --help)\n");
	return KMM_EXIT_USAGE;
}
