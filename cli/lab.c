// SPDX-License-Identifier: MIT
/*
 * cli/lab.c - `kmm lab`: options, help, `gen`, output helpers and dispatch
 * for the allocator lab (docs/lab.md).
 *
 * Linux counterpart: none.
 *
 * Invariant: lab_parse() reads no file and changes nothing, so the scenario
 * verb can check a line at parse time with it; a bad option is reported as
 * "kmm lab SUBCOMMAND: ..." and exit status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/lab.h"
#include "cli/progress.h"

static const char lab_usage[] =
	"usage: kmm lab fit|pages|gen|record [OPTION...] ARG...\n"
	"\n"
	"The allocator lab: classic pool allocators and page-replacement policies\n"
	"on real programs' traces (docs/lab.md).\n"
	"  kmm lab fit [OPTION...] TRACE...      replay allocation traces through pool\n"
	"                                        allocators; footprint, fragmentation\n"
	"  kmm lab pages [OPTION...] REFS...     page faults per replacement policy and\n"
	"                                        frame count; Belady's anomaly\n"
	"  kmm lab gen [-o FILE] SPEC            write a synthetic trace (.rep format)\n"
	"  kmm lab record [-o FILE] -- PROGRAM [ARG...]\n"
	"                                        run a program under kmm's malloc shim and\n"
	"                                        save its allocation trace\n"
	"Each takes --help. Exit status: 0 success, 1 a checker found a violation,\n"
	"2 bad usage or bad input.\n";

static const char fit_usage[] =
	"usage: kmm lab fit [OPTION...] TRACE...\n"
	"\n"
	"Replay each allocation trace through each pool allocator and compare.\n"
	"TRACE is a file (glibc mtrace log, CS:APP .rep, kmm shim trace, a kmm\n"
	"machine's trace from kmm trace record; guessed from its first line), - for\n"
	"standard input, or synthetic:SPEC with SPEC like\n"
	"seed=1,allocs=100000,size=mix,life=exp:1000,realloc=5.\n"
	"\n"
	"  --policy LIST      comma-separated: first-fit first-fit-lifo next-fit best-fit\n"
	"                     worst-fit segregated tlsf buddy buddy-lazy fixed, or all\n"
	"                     (default: all)\n"
	"  --pool SIZE        pool bytes (default: an arena of the power of two at or\n"
	"                     above 4 x the trace's peak live bytes, at least 64K)\n"
	"  --align N          granule, a power of two (default 16)\n"
	"  --meta inside|outside|both   where the pool's metadata lives (default inside)\n"
	"  --object SIZE      fixed: the object size (default: the largest request)\n"
	"  --max-order N      buddy: largest block 2^N granules\n"
	"  --map[=COLS]       the fragmentation map over time (default 64 columns)\n"
	"  --samples N        fragmentation samples (default 16; map rows)\n"
	"  --steps            after every event, the pool's blocks (small traces)\n"
	"  --check            run the pool's checker after every event\n"
	"  --timing           also measure events/s and the slowest event (these vary\n"
	"                     from run to run; everything else is deterministic)\n"
	"  --format table|csv|json\n"
	"  --trace-format auto|mtrace|rep|kmm|events|events-pages\n"
	"                     events: a kmm trace (kmm trace record)'s kmalloc and\n"
	"                     kmem_cache objects; events-pages: its page blocks\n";

static const char pages_usage[] =
	"usage: kmm lab pages [OPTION...] REFS...\n"
	"\n"
	"Count page faults of replacement policies over a range of frame counts, and\n"
	"find Belady's anomaly (more frames, more faults). REFS is a reference string\n"
	"(\"7 0 1 2 0 3\", a 'w' suffix marks a write), or a file: valgrind\n"
	"--tool=lackey --trace-mem=yes output, a kmm machine's trace (kmm trace record:\n"
	"its processes' page faults, in order), or page numbers.\n"
	"\n"
	"  --policy LIST      comma-separated: fifo lru opt clock nru lfu aging wsclock\n"
	"                     2q arc linux, or all (default: all)\n"
	"  --frames N|A..B    frame counts (default 1..8)\n"
	"  --page-size SIZE   lackey: bytes per page (default 4096)\n"
	"  --instructions     lackey: count instruction fetches too\n"
	"  --tick N           NRU, aging, WSClock: references per clock tick (default 1)\n"
	"  --tau N            WSClock: working-set window in ticks (default 4 x frames)\n"
	"  --format table|csv|json\n";

static const char gen_usage[] =
	"usage: kmm lab gen [-o FILE] SPEC\n"
	"\n"
	"Write a seeded synthetic allocation trace as a CS:APP .rep file. SPEC:\n"
	"comma-separated seed=N allocs=N size=DIST life=DIST realloc=PCT with\n"
	"  size: uniform:MIN-MAX exp:MEAN pow2:MIN-MAX mix (default mix)\n"
	"  life: exp:MEAN uniform:MAX lifo forever (default exp:1000)\n"
	"The same SPEC gives the same trace on every host.\n";

static const char record_usage[] =
	"usage: kmm lab record [-o FILE] -- PROGRAM [ARG...]\n"
	"\n"
	"Run PROGRAM with kmm's malloc (LD_PRELOAD=libkmm-malloc.so) and\n"
	"KMM_MALLOC_TRACE=FILE, saving every malloc, free, realloc and memalign it\n"
	"makes (default FILE: PROGRAM.trace). Replay it with kmm lab fit FILE.\n"
	"The shim library is looked for next to the kmm binary, or named by\n"
	"KMM_MALLOC_LIB.\n";

/* ---- Output helpers ---- */

const char *lab_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

void lab_progress(void *arg, uint64_t done, uint64_t total)
{
	struct lab_io *io = arg;

	if (io->progress) {
		progress_draw(stderr, total ? done : 1, total ? total : 1, NULL);
		io->drawn = true;
	}
}

void lab_progress_done(struct lab_io *io)
{
	if (io->drawn)	/* a short replay drew nothing: nothing to wipe */
		progress_clear(stderr);
	io->drawn = false;
}

/* ---- Options ---- */

static int fail(char *err, size_t errlen, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "kmm lab%s%s: ", cmd ? " " : "", cmd ? cmd : "");

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long v;

	if (kmm_parse_ulong(s, &v) || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_policies(struct lab_opts *o, const char *cmd, const char *list, char *err,
			  size_t errlen)
{
	char buf[512];
	char *save = NULL;
	bool fit = o->cmd == LAB_FIT;
	int n = fit ? KMM_POOL_NR_POLICIES : KMM_PR_NR_POLICIES;

	snprintf(buf, sizeof(buf), "%s", list);
	o->npolicies = 0;
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (!strcmp(p, "all")) {
			for (int i = 0; i < n && o->npolicies < LAB_MAX_POLICIES; i++)
				o->policies[o->npolicies++] = i;
			continue;
		}
		int pol = fit ? kmm_pool_policy_parse(p) : kmm_pr_policy_parse(p);
		if (pol < 0) {
			struct strbuf sb;
			sb_init(&sb);
			for (int i = 0; i < n; i++)
				sb_printf(&sb, " %s", fit ? kmm_pool_policy_name((enum kmm_pool_policy)i)
							  : kmm_pr_policy_name((enum kmm_pr_policy)i));
			fail(err, errlen, cmd, "unknown policy '%s' (one of:%s, all)", p,
			     sb.buf ? sb.buf : "");
			sb_free(&sb);
			return -1;
		}
		if (o->npolicies == LAB_MAX_POLICIES)
			return fail(err, errlen, cmd, "at most %d policies", LAB_MAX_POLICIES);
		o->policies[o->npolicies++] = pol;
	}
	if (!o->npolicies)
		return fail(err, errlen, cmd, "--policy needs a name");
	return 0;
}

/* "N" or "A..B" */
static int parse_frames(struct lab_opts *o, const char *s)
{
	const char *dots = strstr(s, "..");
	uint64_t a, b;
	char buf[64];

	if (!dots)
		return parse_uint(s, 1u << 24, &a) || !a ? -1 : (o->frames_lo = o->frames_hi =
								    (unsigned int)a, 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)(dots - s), s);
	if (parse_uint(buf, 1u << 24, &a) || parse_uint(dots + 2, 1u << 24, &b) || !a || b < a ||
	    b - a > 4096)
		return -1;
	o->frames_lo = (unsigned int)a;
	o->frames_hi = (unsigned int)b;
	return 0;
}

int lab_parse(int argc, char **argv, struct lab_opts *o, char *err, size_t errlen)
{
	const char *cmd;

	*o = (struct lab_opts){ .format = LAB_TABLE, .frames_lo = 1, .frames_hi = 8,
				.page_shift = 12, .map_width = 64, .samples = 16 };
	if (argc < 1)
		return fail(err, errlen, NULL, "which experiment? fit, pages, gen or record "
			    "(see kmm lab --help)");
	cmd = argv[0];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		o->help = true;
		o->cmd = LAB_FIT;
		o->nargs = -1;
		return 0;
	}
	if (!strcmp(cmd, "fit"))
		o->cmd = LAB_FIT;
	else if (!strcmp(cmd, "pages"))
		o->cmd = LAB_PAGES;
	else if (!strcmp(cmd, "gen"))
		o->cmd = LAB_GEN;
	else if (!strcmp(cmd, "record"))
		o->cmd = LAB_RECORD;
	else
		return fail(err, errlen, NULL, "unknown experiment '%s' (fit, pages, gen, record)",
			    cmd);
	o->args = argv + argc;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL, name[64];
		if (!strcmp(a, "--")) {
			o->args = argv + i + 1;
			o->nargs = argc - i - 1;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (o->cmd == LAB_RECORD)
				return fail(err, errlen, cmd, "put -- before the program: kmm lab record "
					    "-- %s", a);
			/* positional arguments end the options */
			o->args = argv + i;
			o->nargs = argc - i;
			break;
		}
		snprintf(name, sizeof(name), "%s", a);
		char *eq = strchr(name, '=');
		if (eq) {
			*eq = 0;
			val = a + (eq - name) + 1;
		}
		/* flags */
		if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
			o->help = true;
			return 0;
		}
		bool fit = o->cmd == LAB_FIT, pages = o->cmd == LAB_PAGES;
		if (fit && !strcmp(name, "--map")) {
			o->map = true;
			uint64_t w;
			if (val && (parse_uint(val, 1000, &w) || w < 8))
				return fail(err, errlen, cmd, "--map=%s: columns from 8 to 1000", val);
			if (val)
				o->map_width = (unsigned int)w;
			continue;
		}
		if ((fit && (!strcmp(name, "--timing") || !strcmp(name, "--check") ||
			     !strcmp(name, "--steps"))) ||
		    (pages && !strcmp(name, "--instructions"))) {
			if (val)
				return fail(err, errlen, cmd, "%s takes no value", name);
			if (!strcmp(name, "--timing"))
				o->timing = true;
			else if (!strcmp(name, "--check"))
				o->check = true;
			else if (!strcmp(name, "--steps"))
				o->steps = true;
			else
				o->instructions = true;
			continue;
		}
		/* options with a value */
		static const char *const with_value[] = {
			"--policy", "--format", "--pool", "--align", "--meta", "--object",
			"--max-order", "--samples", "--trace-format", "--frames", "--page-size",
			"--tick", "--tau", "-o", "--output",
		};
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(with_value); k++)
			known |= !strcmp(name, with_value[k]);
		if (!known)
			return fail(err, errlen, cmd, "unknown option '%s' (see kmm lab %s --help)", a,
				    cmd);
		if (!val) {
			if (i + 1 >= argc)
				return fail(err, errlen, cmd, "%s needs a value", name);
			val = argv[++i];
		}
		uint64_t v;
		if (!strcmp(name, "--policy") && (fit || pages)) {
			if (parse_policies(o, cmd, val, err, errlen))
				return -1;
		} else if (!strcmp(name, "--format") && (fit || pages)) {
			if (!strcmp(val, "table") || !strcmp(val, "text"))
				o->format = LAB_TABLE;
			else if (!strcmp(val, "csv"))
				o->format = LAB_CSV;
			else if (!strcmp(val, "json"))
				o->format = LAB_JSON;
			else
				return fail(err, errlen, cmd, "--format %s: table (or text), csv or json",
					    val);
		} else if (!strcmp(name, "--pool") && fit) {
			if (kmm_parse_size(val, &o->pool_size, NULL) || !o->pool_size ||
			    o->pool_size > KMM_POOL_MAX_SIZE)
				return fail(err, errlen, cmd, "--pool %s: a size up to 2G", val);
		} else if (!strcmp(name, "--align") && fit) {
			if (kmm_parse_size(val, &o->align, NULL) || !o->align ||
			    (o->align & (o->align - 1)) || o->align > (1u << 20))
				return fail(err, errlen, cmd, "--align %s: a power of two up to 1M", val);
		} else if (!strcmp(name, "--object") && fit) {
			if (kmm_parse_size(val, &o->object, NULL) || !o->object ||
			    o->object > KMM_POOL_MAX_SIZE)
				return fail(err, errlen, cmd, "--object %s: a size up to 2G", val);
		} else if (!strcmp(name, "--meta") && fit) {
			if (!strcmp(val, "inside"))
				o->meta = 0;
			else if (!strcmp(val, "outside"))
				o->meta = 1;
			else if (!strcmp(val, "both"))
				o->meta = 2;
			else
				return fail(err, errlen, cmd, "--meta %s: inside, outside or both", val);
		} else if (!strcmp(name, "--max-order") && fit) {
			if (parse_uint(val, 31, &v))
				return fail(err, errlen, cmd, "--max-order %s: 0 to 31", val);
			o->max_order = (unsigned int)v;
		} else if (!strcmp(name, "--samples") && fit) {
			/* 0 samples would print ext.frag 0.0% as if measured */
			if (parse_uint(val, 10000, &v) || !v)
				return fail(err, errlen, cmd, "--samples %s: 1 to 10000", val);
			o->samples = (unsigned int)v;
		} else if (!strcmp(name, "--trace-format") && fit) {
			static const char *const f[] = { "auto", "mtrace", "rep", "kmm", "events",
							 "events-pages" };
			int k = -1;
			for (int j = 0; j < 6; j++)
				if (!strcmp(val, f[j]))
					k = j;
			if (k < 0)
				return fail(err, errlen, cmd, "--trace-format %s: auto, mtrace, rep, kmm, "
					    "events or events-pages", val);
			o->trace_format = (enum kmm_lab_trace_format)k;
		} else if (!strcmp(name, "--frames") && pages) {
			if (parse_frames(o, val))
				return fail(err, errlen, cmd, "--frames %s: N or A..B (1 <= A <= B, at "
					    "most 4097 counts)", val);
		} else if (!strcmp(name, "--page-size") && pages) {
			if (kmm_parse_size(val, &v, NULL) || !v || (v & (v - 1)) || v > (1ull << 40))
				return fail(err, errlen, cmd, "--page-size %s: a power of two", val);
			o->page_shift = (unsigned int)__builtin_ctzll(v);
		} else if ((!strcmp(name, "--tick") || !strcmp(name, "--tau")) && pages) {
			if (parse_uint(val, 1u << 30, &v) || !v)
				return fail(err, errlen, cmd, "%s %s: a number from 1", name, val);
			if (!strcmp(name, "--tick"))
				o->tick = (unsigned int)v;
			else
				o->tau = (unsigned int)v;
		} else if ((!strcmp(name, "-o") || !strcmp(name, "--output")) &&
			   (o->cmd == LAB_GEN || o->cmd == LAB_RECORD)) {
			o->output = val;
		} else {
			return fail(err, errlen, cmd, "%s is not an option of kmm lab %s", name, cmd);
		}
	}
	if (o->cmd == LAB_FIT && !o->npolicies)
		parse_policies(o, cmd, "all", err, errlen);
	if (o->cmd == LAB_PAGES && !o->npolicies)
		parse_policies(o, cmd, "all", err, errlen);
	if (!o->nargs)
		return fail(err, errlen, cmd, o->cmd == LAB_FIT ? "which trace? (a file, -, or "
			    "synthetic:SPEC)" : o->cmd == LAB_PAGES ? "which references? (a string "
			    "like \"1 2 3 1\", or a file)" : o->cmd == LAB_GEN ? "which trace? (a "
			    "SPEC like seed=1,allocs=1000)" : "which program? (kmm lab record -- "
			    "PROGRAM ARGS)");
	if (o->cmd == LAB_GEN && o->nargs != 1)
		return fail(err, errlen, cmd, "one SPEC at a time");
	if (o->steps && !o->map)
		o->map = true;
	return 0;
}

/* ---- gen ---- */

static int lab_gen(const struct lab_opts *o, struct lab_io *io)
{
	struct kmm_synth s;
	struct kmm_lab_trace t;
	char err[256], *spec = strdup(o->args[0]);
	int status = 0;

	if (!spec)
		return 2;
	if (kmm_synth_parse(&s, spec, err, sizeof(err)) ||
	    kmm_lab_trace_synthetic(&t, &s, err, sizeof(err))) {
		sb_printf(io->err, "kmm lab gen: %s\n", err);
		free(spec);
		return 2;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem || kmm_lab_trace_write_rep(&t, mem)) {
		sb_printf(io->err, "kmm lab gen: out of memory\n");
		status = 2;
	}
	if (mem)
		fclose(mem);
	if (!status && o->output) {
		FILE *f = fopen(o->output, "w");
		if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
			sb_printf(io->err, "kmm lab gen: cannot write %s: %s\n", o->output,
				  strerror(errno));
			status = 2;
		}
	} else if (!status) {
		sb_puts(io->out, text);
	}
	free(text);
	free(spec);
	kmm_lab_trace_free(&t);
	return status;
}

/* ---- Dispatch ---- */

int lab_exec(const struct lab_opts *o, struct lab_io *io)
{
	if (o->help) {
		sb_puts(io->out, o->nargs < 0 ? lab_usage : o->cmd == LAB_FIT ? fit_usage
			: o->cmd == LAB_PAGES ? pages_usage : o->cmd == LAB_GEN ? gen_usage
			: record_usage);
		return 0;
	}
	switch (o->cmd) {
	case LAB_FIT:
		return lab_fit(o, io);
	case LAB_PAGES:
		return lab_pages(o, io);
	case LAB_GEN:
		return lab_gen(o, io);
	case LAB_RECORD:
		if (io->scenario) {
			sb_printf(io->err, "kmm lab record: runs programs, so not from a scenario\n");
			return 2;
		}
		return lab_record(o, io);
	}
	return 2;
}

int lab_main(int argc, char **argv)
{
	struct lab_opts o;
	struct strbuf out, err;
	char msg[512];
	int status;

	if (lab_parse(argc, argv, &o, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 2;
	}
	sb_init(&out);
	sb_init(&err);
	sb_puts(&out, "");
	sb_puts(&err, "");
	struct lab_io io = { .out = &out, .err = &err, .progress = isatty(STDERR_FILENO) };
	status = lab_exec(&o, &io);
	if (out.buf)
		fputs(out.buf, stdout);
	fflush(stdout);
	if (err.buf)
		fputs(err.buf, stderr);
	sb_free(&out);
	sb_free(&err);
	return status;
}
