// SPDX-License-Identifier: MIT
/*
 * cli/lab_pages.c - `kmm lab pages`: page faults of each replacement policy
 * (lab/pages.c) for each frame count in a range, as a table (frame counts
 * down, policies across), CSV or JSON, and Belady's anomaly wherever one
 * more frame gave more faults.
 *
 * Linux counterpart: none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/lab.h"

/* A file if one of that name exists, else a reference string. */
static int load_refs(const struct lab_opts *o, const char *arg, struct kmm_refs *r,
		     struct lab_io *io, bool *is_file)
{
	char err[512];
	int ret;

	*is_file = !strcmp(arg, "-") || access(arg, F_OK) == 0;
	if (!*is_file) {
		ret = kmm_refs_parse(r, arg, err, sizeof(err));
		if (ret)
			sb_printf(io->err, "kmm lab pages: %s (nor is it a file)\n", err);
		return ret;
	}
	FILE *f = strcmp(arg, "-") ? fopen(arg, "r") : stdin;
	if (!f) {
		sb_printf(io->err, "kmm lab pages: cannot read %s: %s\n", arg, strerror(errno));
		return -ENOENT;
	}
	ret = kmm_refs_read(r, f, strcmp(arg, "-") ? arg : "<stdin>", o->page_shift,
			    o->instructions, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret)
		sb_printf(io->err, "kmm lab pages: %s\n", err);
	return ret;
}

int lab_pages(const struct lab_opts *o, struct lab_io *io)
{
	struct kmm_pr_params params = { .tick = o->tick, .tau = o->tau };
	unsigned int nf = o->frames_hi - o->frames_lo + 1;
	struct strbuf *out = io->out;
	int status = 0;

	if (o->format == LAB_JSON)
		sb_printf(out, "{\"references\": [");
	else if (o->format == LAB_CSV)
		sb_printf(out, "refs,policy,frames,faults,hits,evictions,writebacks\n");
	for (int a = 0; a < o->nargs; a++) {
		struct kmm_refs r;
		bool is_file;
		const char *arg = o->args[a];
		char name[80];

		if (load_refs(o, arg, &r, io, &is_file)) {
			status = 2;
			continue;
		}
		if (is_file)
			snprintf(name, sizeof(name), "%s", arg);
		else
			snprintf(name, sizeof(name), "\"%.60s%s\"", arg, strlen(arg) > 60 ? "..." : "");
		struct kmm_pr_result *res = calloc((size_t)nf * (size_t)o->npolicies, sizeof(*res));
		uint64_t *faults = calloc(nf, sizeof(*faults));
		if (!res || !faults) {
			free(res);
			free(faults);
			kmm_refs_free(&r);
			return 2;
		}
		uint64_t done = 0, total = (uint64_t)nf * (uint64_t)o->npolicies * r.nr;
		for (int p = 0; p < o->npolicies; p++)
			for (unsigned int f = 0; f < nf; f++) {
				if (kmm_pr_run((enum kmm_pr_policy)o->policies[p], &r, o->frames_lo + f,
					       &params, &res[p * nf + f])) {
					sb_printf(io->err, "kmm lab pages: out of memory\n");
					status = 2;
				}
				done += r.nr;
				if (total > (1u << 22))
					lab_progress(io, done, total);
			}
		lab_progress_done(io);

		if (o->format == LAB_TABLE) {
			sb_printf(out, "%s%s: %s, %zu references to %u pages", a ? "\n" : "", name,
				  r.format, r.nr, r.nr_pages);
			sb_printf(out, "\npage faults\n%6s", "frames");
			for (int p = 0; p < o->npolicies; p++)
				sb_printf(out, " %8s", kmm_pr_policy_name((enum kmm_pr_policy)o->policies[p]));
			sb_printf(out, "\n");
			for (unsigned int f = 0; f < nf; f++) {
				sb_printf(out, "%6u", o->frames_lo + f);
				for (int p = 0; p < o->npolicies; p++)
					sb_printf(out, " %8llu", (unsigned long long)res[p * nf + f].faults);
				sb_printf(out, "\n");
			}
		} else if (o->format == LAB_CSV) {
			for (int p = 0; p < o->npolicies; p++)
				for (unsigned int f = 0; f < nf; f++) {
					const struct kmm_pr_result *x = &res[p * nf + f];
					sb_printf(out, "%s,%s,%u,%llu,%llu,%llu,%llu\n",
						  is_file ? arg : "string",
						  kmm_pr_policy_name((enum kmm_pr_policy)o->policies[p]),
						  o->frames_lo + f, (unsigned long long)x->faults,
						  (unsigned long long)x->hits, (unsigned long long)x->evictions,
						  (unsigned long long)x->writebacks);
				}
		} else {
			sb_printf(out, "%s\n  {\"refs\": ", a ? "," : "");
			sb_json_str(out, arg);
			sb_printf(out, ", \"format\": \"%s\", \"references\": %zu, \"pages\": %u,\n"
				  "   \"results\": [", r.format, r.nr, r.nr_pages);
			for (int p = 0; p < o->npolicies; p++)
				for (unsigned int f = 0; f < nf; f++) {
					const struct kmm_pr_result *x = &res[p * nf + f];
					sb_printf(out, "%s\n    {\"policy\": \"%s\", \"frames\": %u, "
						  "\"faults\": %llu, \"hits\": %llu, \"evictions\": %llu, "
						  "\"writebacks\": %llu}", p || f ? "," : "",
						  kmm_pr_policy_name((enum kmm_pr_policy)o->policies[p]),
						  o->frames_lo + f, (unsigned long long)x->faults,
						  (unsigned long long)x->hits, (unsigned long long)x->evictions,
						  (unsigned long long)x->writebacks);
				}
			sb_printf(out, "\n   ],\n   \"anomalies\": [");
		}

		/* Belady's anomaly */
		bool any = false;
		for (int p = 0; p < o->npolicies; p++) {
			unsigned int at[8], n;
			for (unsigned int f = 0; f < nf; f++)
				faults[f] = res[p * nf + f].faults;
			n = kmm_pr_belady(faults, nf, at, 8);
			for (unsigned int k = 0; k < n && k < 8; k++) {
				unsigned int fr = o->frames_lo + at[k];
				const char *pol = kmm_pr_policy_name((enum kmm_pr_policy)o->policies[p]);
				if (o->format == LAB_TABLE)
					sb_printf(out, "Belady's anomaly: %s has %llu faults with %u frames, "
						  "%llu with %u\n", pol, (unsigned long long)faults[at[k]],
						  fr, (unsigned long long)faults[at[k] + 1], fr + 1);
				else if (o->format == LAB_JSON)
					sb_printf(out, "%s{\"policy\": \"%s\", \"frames\": %u, \"faults\": "
						  "%llu, \"faults_with_one_more\": %llu}", any ? ", " : "", pol,
						  fr, (unsigned long long)faults[at[k]],
						  (unsigned long long)faults[at[k] + 1]);
				any = true;
			}
			if (n > 8 && o->format == LAB_TABLE)
				sb_printf(out, "Belady's anomaly: %s, %u more\n",
					  kmm_pr_policy_name((enum kmm_pr_policy)o->policies[p]), n - 8);
		}
		if (o->format == LAB_TABLE && !any && nf > 1)
			sb_printf(out, "no Belady's anomaly: more frames never gave more faults\n");
		if (o->format == LAB_JSON)
			sb_printf(out, "]}");
		free(res);
		free(faults);
		kmm_refs_free(&r);
	}
	if (o->format == LAB_JSON)
		sb_printf(out, "\n]}\n");
	return status;
}
