// SPDX-License-Identifier: MIT
/*
 * cli/trace.c - the trace recorder behind `kmm trace record` and `kmm run
 * --trace FILE`, and `kmm trace report`.
 *
 * Linux counterpart: trace-cmd record / trace-cmd report (and perf's), over
 * a much simpler file: docs/trace-format.md, one text line per event.
 *
 * The recorder is a subscriber to every machine booted while it runs
 * (kmm_trace_subscribe_all), so a trace starts with each machine's boot. It
 * writes a "# machine N cmdline: ..." line before the first event of each
 * machine and one kmm_trace_format() line per event.
 *
 * Invariant: a trace file holds only what the format allows: the header,
 * machine lines and event lines, each ending in '\n'.
 *
 * Locking: rec_lock serialises writers (two machines on two threads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/trace.h>

#include "arch/sim/sim.h"
#include "cli/trace.h"

static struct {
	FILE *f;
	int sub;
	unsigned long last_serial;	/* machine of the last line written */
	unsigned long events;
	bool failed;			/* a write failed */
} rec = { .sub = -1 };
static spinlock_t rec_lock = SPINLOCK_INIT;

static int record_one(struct kmm_machine *m, const struct kmm_event *ev, void *arg)
{
	char line[1024];
	int n = kmm_trace_format(ev, line, sizeof(line));

	(void)arg;
	spin_lock(&rec_lock);
	if (rec.f) {
		unsigned long serial = kmm_machine_serial(m);

		if (serial != rec.last_serial) {
			if (fprintf(rec.f, "# machine %lu cmdline: %s\n", serial,
				    kmm_machine_cmdline(m)) < 0)
				rec.failed = true;
			rec.last_serial = serial;
		}
		/* A line longer than the buffer (a very long log line) is cut, never split. */
		if (n >= (int)sizeof(line))
			n = (int)sizeof(line) - 1;
		line[n] = '\n';
		if (fwrite(line, 1, (size_t)n + 1, rec.f) != (size_t)n + 1)
			rec.failed = true;
		rec.events++;
	}
	spin_unlock(&rec_lock);
	return 0;
}

int trace_record_start(const char *path, uint64_t mask, char *err, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	struct kmm_trace_sub sub = { "trace record", mask, record_one, NULL };

	rec.f = f;
	rec.last_serial = 0;
	rec.events = 0;
	rec.failed = fprintf(f, "# kmm-trace 1\n") < 0;
	rec.sub = kmm_trace_subscribe_all(&sub);
	if (rec.sub < 0) {
		snprintf(err, len, "%s", kmm_last_error());
		if (f != stdout)
			fclose(f);
		rec.f = NULL;
		return -1;
	}
	return 0;
}

int trace_record_stop(char *err, size_t len)
{
	bool failed;

	if (!rec.f)
		return 0;
	kmm_trace_unsubscribe_all(rec.sub);
	rec.sub = -1;
	spin_lock(&rec_lock);
	FILE *f = rec.f;
	rec.f = NULL;
	failed = rec.failed;
	spin_unlock(&rec_lock);
	if (f == stdout ? fflush(f) != 0 : fclose(f) != 0)
		failed = true;
	if (failed) {
		snprintf(err, len, "writing the trace failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t trace_parse_events(const char *list, char *err, size_t len)
{
	uint64_t mask = 0;
	char name[64];

	if (!strcmp(list, "all"))
		return KMM_EVMASK_TRACEPOINTS;
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		int type;

		if (!n || n >= sizeof(name)) {
			snprintf(err, len, "an empty or overlong event name in \"%s\"", list);
			return 0;
		}
		memcpy(name, p, n);
		name[n] = 0;
		type = kmm_event_lookup(name);
		if (type < 0 || !(KMM_EVBIT(type) & KMM_EVMASK_TRACEPOINTS)) {
			snprintf(err, len, "no event \"%s\" (`kmm help trace` lists them)", name);
			return 0;
		}
		mask |= KMM_EVBIT(type);
		p += n + (c ? 1 : 0);
	}
	if (!mask)
		snprintf(err, len, "no events named");
	return mask;
}

/* ---- trace report ---- */

struct machine_counts {
	unsigned long serial;
	char *cmdline;
	unsigned long count[KMM_EV_NR];
	unsigned long unknown;
	char last_time[32];
};

static void report_machine(FILE *out, const struct machine_counts *mc)
{
	unsigned long total = mc->unknown;

	for (int t = 0; t < KMM_EV_NR; t++)
		total += mc->count[t];
	fprintf(out, "machine %lu: %s\n", mc->serial, mc->cmdline ? mc->cmdline : "");
	fprintf(out, "  %lu events, the last at %s s\n", total, mc->last_time[0] ? mc->last_time : "0");
	for (int t = 0; t < KMM_EV_NR; t++)
		if (mc->count[t])
			fprintf(out, "  %-28s %10lu\n", kmm_event_name(t), mc->count[t]);
	if (mc->unknown)
		fprintf(out, "  %-28s %10lu\n", "(unknown events)", mc->unknown);
}

int trace_report(const char *path, FILE *out, char *err, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct machine_counts mc = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	bool have = false, header = false;
	int ret = 0;

	if (!f) {
		snprintf(err, len, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (lineno == 1) {
			if (strcmp(line, "# kmm-trace 1")) {
				snprintf(err, len, "%s:1: not a kmm trace (it starts with \"# kmm-trace 1\")",
					 path);
				ret = -1;
				break;
			}
			header = true;
			continue;
		}
		if (!strncmp(line, "# machine ", 10)) {
			if (have)
				report_machine(out, &mc);
			free(mc.cmdline);
			memset(&mc, 0, sizeof(mc));
			char *c = strstr(line, " cmdline: ");
			mc.serial = strtoul(line + 10, NULL, 10);
			mc.cmdline = strdup(c ? c + 10 : "");
			have = true;
			continue;
		}
		if (line[0] == '#' || !line[0])
			continue;
		char time[32], event[64];
		int cpu, pid;
		if (sscanf(line, "%31s %d %d %63s", time, &cpu, &pid, event) != 4) {
			snprintf(err, len, "%s:%ld: not an event line: %.60s", path, lineno, line);
			ret = -1;
			break;
		}
		if (!have) {
			snprintf(err, len, "%s:%ld: an event before any \"# machine\" line", path, lineno);
			ret = -1;
			break;
		}
		int t = kmm_event_lookup(event);
		if (t >= 0)
			mc.count[t]++;
		else
			mc.unknown++;
		snprintf(mc.last_time, sizeof(mc.last_time), "%s", time);
	}
	if (!ret && !header) {
		snprintf(err, len, "%s: empty, not a kmm trace", path);
		ret = -1;
	}
	if (!ret && have)
		report_machine(out, &mc);
	free(mc.cmdline);
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}
