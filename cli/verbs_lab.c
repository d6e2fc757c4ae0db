// SPDX-License-Identifier: MIT
/*
 * cli/verbs_lab.c - the scenario verb `lab`: `kmm lab fit|pages|gen` from a
 * scenario, so that an example can run the allocator lab and check what it
 * prints (`expect output contains ...`).
 *
 * Linux counterpart: none.
 *
 * The verb runs the command's own code (cli/lab.c) with the same options,
 * except that it never measures time (a scenario prints the same bytes on
 * every run) and never runs programs (no `record`). Options are checked at
 * parse time, so a bad one stops the script before anything runs. Trace
 * files are read relative to the directory kmm runs in.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/lab.h"
#include "cli/verbs.h"

/* The verb's words as the command's argv (no variables: a trace is a file or text). */
static char **words_of(const struct args *a)
{
	char **argv = calloc((size_t)a->argc + 1, sizeof(*argv));

	if (!argv)
		return NULL;
	for (int i = 0; i < a->argc; i++)
		argv[i] = a->argv[i].text;
	return argv;
}

static int lab_check(struct verb_check *vc, const struct args *a)
{
	struct lab_opts o;
	char err[512];
	char **argv;

	for (int i = 0; i < a->argc; i++)
		if (a->argv[i].is_var)
			return verb_check_error(vc, a, i, "lab takes no $variables: name a trace file "
						"or write the references out");
	argv = words_of(a);
	if (!argv)
		return verb_check_error(vc, a, -1, "out of memory");
	int ret = lab_parse(a->argc, argv, &o, err, sizeof(err));
	free(argv);
	if (ret)
		return verb_check_error(vc, a, -1, "%s", err);
	if (o.cmd == LAB_RECORD)
		return verb_check_error(vc, a, 0, "lab record runs a program: use `kmm lab record` "
					"from the shell, then `lab fit FILE` here");
	if (o.timing)
		return verb_check_error(vc, a, -1, "--timing varies from run to run: it is for "
					"`kmm lab fit`, not scenarios");
	return 0;
}

static int lab_run(struct kmm_ctx *ctx, const struct args *a)
{
	struct lab_opts o;
	struct strbuf out, err;
	char msg[512];
	char **argv = words_of(a);
	int status;

	if (!argv)
		return ctx_error(ctx, a, -1, "out of memory");
	if (lab_parse(a->argc, argv, &o, msg, sizeof(msg))) {
		free(argv);
		return ctx_error(ctx, a, -1, "%s", msg);
	}
	sb_init(&out);
	sb_init(&err);
	struct lab_io io = { .out = &out, .err = &err, .scenario = true };
	status = lab_exec(&o, &io);
	free(argv);
	if (out.buf)
		ctx_write(ctx, out.buf, out.len);
	if (status && err.buf && err.len && err.buf[err.len - 1] == '\n')
		err.buf[--err.len] = 0;
	int ret = VERB_OK;
	if (status == 1)
		ret = ctx_expect_failed(ctx, a, "%s", err.buf ? err.buf : "a checker failed");
	else if (status)
		ret = ctx_error(ctx, a, -1, "%s", err.buf ? err.buf : "lab failed");
	sb_free(&out);
	sb_free(&err);
	return ret;
}

static const struct verb verbs[] = {
	{ "lab", "lab fit|pages|gen [OPTION...] ARG...",
	  "the allocator lab: pool allocators and page replacement on traces",
	  "Runs `kmm lab` (docs/lab.md) inside a scenario, with the same options:\n"
	  "  lab fit [--policy LIST] [--pool SIZE] [--meta inside|outside|both] [--map]\n"
	  "          [--steps] [--check] [--format table|csv|json] TRACE...\n"
	  "  lab pages [--policy LIST] [--frames N|A..B] [--format ...] REFS...\n"
	  "  lab gen SPEC\n"
	  "TRACE is a file (mtrace, .rep, kmm shim trace) or synthetic:SPEC; REFS a\n"
	  "reference string (\"1 2 3 1\") or a file (lackey output, page numbers).\n"
	  "No --timing and no record here: a scenario prints the same bytes every run.\n",
	  VERB_NO_MACHINE, lab_check, lab_run },
};

const struct verb_table lab_verbs = {
	.layer = "the allocator lab",
	.verbs = verbs,
	.nr_verbs = ARRAY_SIZE(verbs),
	.intro =
		"The allocator lab stands beside the machine (it boots none): classic pool "
		"allocators (first, next, best and worst fit, segregated fit, TLSF, buddy eager and "
		"lazy, a fixed-size pool) replaying allocation traces, and page-replacement policies "
		"(FIFO, LRU, OPT, Clock, NRU, LFU, aging, WSClock, 2Q, ARC, Linux's two lists) "
		"counting faults. `lab` runs kmm lab's subcommands; its output is the command's.",
	.example =
		"lab pages --policy fifo,lru,opt --frames 3..4 \"1 2 3 4 1 2 5 1 2 3 4 5\"\n"
		"expect output contains \"Belady's anomaly: fifo has 9 faults with 3 frames, 10 "
		"with 4\"\n",
};
