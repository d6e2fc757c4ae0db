// SPDX-License-Identifier: MIT
/*
 * cli/report_html.c - write the report: one self-contained HTML file, the
 * page's template (cli/report/report.html with its CSS and JavaScript,
 * compiled into the kmm command at build time) around the data as JSON.
 *
 * Linux counterpart: none. The file fetches nothing: no external script,
 * style, font or image, so it opens from disk in any browser, offline. The
 * same run writes the same bytes (no date, no host address, no host path
 * beyond what the script's own name says).
 *
 * The template has three markers, each replaced once: <!--KMM_CSS--> by the
 * style sheet, <!--KMM_DATA--> by the JSON (inside a <script
 * type="application/json">, every '<' escaped, see sb_json_str()) and
 * <!--KMM_JS--> by the script. docs/report.md describes the data.
 *
 * Locking: none; the runner's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"

/* cmake/report.cmake generates these from cli/report/ (NUL-terminated). */
extern const char report_template_html[];
extern const char report_template_css[];
extern const char report_template_js[];

#ifndef KMM_VERSION
#define KMM_VERSION "0.1.0"
#endif

/* Append @tpl to @sb with each marker replaced by its text. */
static int fill_template(struct strbuf *sb, const char *tpl, const char *const marks[],
			 const char *const texts[], int n)
{
	const char *p = tpl;

	for (int i = 0; i < n; i++) {
		const char *at = strstr(p, marks[i]);
		if (!at)
			return -1;
		sb_printf(sb, "%.*s", (int)(at - p), p);
		sb_puts(sb, texts[i]);
		p = at + strlen(marks[i]);
	}
	sb_puts(sb, p);
	return 0;
}

int report_write(struct report *r, struct kmm_machine *m, const char *path, const char *title,
		 char *err, size_t errlen)
{
	struct strbuf data, page;
	char tmp[4096];
	int ret = -1;

	sb_init(&data);
	sb_printf(&data, "{\"format\":1,\"generator\":\"kmm %s\",\"title\":", KMM_VERSION);
	sb_json_str(&data, title && *title ? title : "kmm");
	sb_puts(&data, ",");
	report_commands_json(r, &data);
	sb_puts(&data, ",");
	report_machines_json(r, m, &data);
	sb_puts(&data, "}");

	static const char *const marks[] = { "<!--KMM_CSS-->", "<!--KMM_DATA-->", "<!--KMM_JS-->" };
	const char *texts[] = { report_template_css, data.buf ? data.buf : "{}", report_template_js };
	sb_init(&page);
	if (fill_template(&page, report_template_html, marks, texts, 3)) {
		snprintf(err, errlen, "the report's template has lost a marker (a build problem)");
		goto out;
	}
	if (data.failed || page.failed) {
		snprintf(err, errlen, "out of memory writing the report");
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(page.buf, 1, page.len, f) != page.len || ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		remove(tmp);
		goto out;
	}
	if (fclose(f) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		remove(tmp);
		goto out;
	}
	ret = 0;
out:
	sb_free(&data);
	sb_free(&page);
	return ret;
}
