// SPDX-License-Identifier: MIT
/*
 * cli/lab.h - `kmm lab`: the allocator lab's command, shared by the kmm
 * binary (`kmm lab fit|pages|gen|record ...`) and the scenario verb `lab`
 * (cli/verbs_lab.c), which runs the same code with the same options.
 *
 * Linux counterpart: none.
 *
 * Grouped by the file that defines each function:
 *   cli/lab.c         option parsing, help, `gen`, output helpers, dispatch
 *   cli/lab_fit.c     `fit`: replay traces through pool allocators
 *   cli/lab_pages.c   `pages`: page-replacement policies over frame counts
 *   cli/lab_record.c  `record`: run a program under the malloc shim
 */
#ifndef KMM_CLI_LAB_H
#define KMM_CLI_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include <kmm/lab.h>

#include "lib/util.h"

enum lab_cmd { LAB_FIT, LAB_PAGES, LAB_GEN, LAB_RECORD };
enum lab_format { LAB_TABLE, LAB_CSV, LAB_JSON };

#define LAB_MAX_POLICIES 32

struct lab_opts {
	enum lab_cmd cmd;
	enum lab_format format;
	bool help;
	bool timing;		/* fit: events/s and the slowest event (not deterministic) */
	bool check;		/* fit: the checker after every event */
	bool steps;		/* fit: the pool after every event */
	bool map;		/* fit: the fragmentation map */
	unsigned int map_width, samples;
	int npolicies;
	int policies[LAB_MAX_POLICIES];
	uint64_t pool_size;	/* 0: automatic */
	uint64_t align, object;
	unsigned int max_order;
	int meta;		/* 0 inside, 1 outside, 2 both */
	enum kmm_lab_trace_format trace_format;
	unsigned int frames_lo, frames_hi;
	unsigned int page_shift;
	bool instructions;
	unsigned int tick, tau;
	const char *output;	/* gen, record: -o FILE */
	int nargs;		/* traces, strings, or the program and its arguments */
	char **args;
};

/* Where a run writes: text for stdout and messages for stderr. */
struct lab_io {
	struct strbuf *out;
	struct strbuf *err;
	bool progress;		/* a progress bar on stderr (a terminal, not a scenario) */
	bool scenario;		/* run by the `lab` verb: no timing, no programs */
	bool drawn;		/* a bar is on the terminal now (lab_progress_done() wipes it) */
};

/**
 * lab_parse() - parse `SUBCOMMAND [OPTION...] [ARG...]` (@argv[0] is the
 * subcommand). Reads no file.
 * Return: 0, or -1 with the reason in @err.
 */
int lab_parse(int argc, char **argv, struct lab_opts *o, char *err, size_t errlen);

/**
 * lab_exec() - run parsed options. Output and messages go to @io.
 * Return: an exit status: 0, 1 (a checker found a violation), 2 (bad input).
 */
int lab_exec(const struct lab_opts *o, struct lab_io *io);

/** lab_main() - `kmm lab ARGS...` from the kmm binary. Return: the exit status. */
int lab_main(int argc, char **argv);

/* ---- cli/lab.c: helpers for the subcommands ---- */

/** lab_size() - "512 B", "4.0 KiB", "1.2 MiB" into @buf. */
const char *lab_size(char *buf, size_t len, uint64_t bytes);
/** lab_progress() - the progress callback: @arg is the struct lab_io. */
void lab_progress(void *arg, uint64_t done, uint64_t total);
/** lab_progress_done() - clear the bar. */
void lab_progress_done(struct lab_io *io);

/* ---- cli/lab_fit.c, cli/lab_pages.c, cli/lab_record.c ---- */

int lab_fit(const struct lab_opts *o, struct lab_io *io);
int lab_pages(const struct lab_opts *o, struct lab_io *io);
int lab_record(const struct lab_opts *o, struct lab_io *io);

#endif /* KMM_CLI_LAB_H */
