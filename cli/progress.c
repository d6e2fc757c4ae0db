// SPDX-License-Identifier: MIT
/*
 * cli/progress.c - the progress bar on standard error (cli/progress.h).
 *
 * Linux counterpart: none. One line, redrawn in place with a carriage
 * return: 40 cells of '=' and the percentage, or the count when the total
 * is not known; cleared with blanks.
 *
 * Locking: none; one thread draws.
 */
#include "cli/progress.h"

#define PROGRESS_WIDTH 40
#define PROGRESS_LINE 72	/* the longest line drawn: what progress_clear() blanks */

void progress_draw(FILE *f, uint64_t done, uint64_t total, const char *what)
{
	if (total) {
		if (done > total)
			done = total;
		int fill = (int)(done * PROGRESS_WIDTH / total);
		fprintf(f, "\r[%.*s%*s] %3d%%", fill, "========================================",
			PROGRESS_WIDTH - fill, "", (int)(done * 100 / total));
		if (what)
			fprintf(f, " %llu/%llu %s", (unsigned long long)done,
				(unsigned long long)total, what);
	} else {
		fprintf(f, "\r[%*s] %llu %s", PROGRESS_WIDTH, "", (unsigned long long)done,
			what ? what : "");
	}
	fflush(f);
}

void progress_clear(FILE *f)
{
	fprintf(f, "\r%*s\r", PROGRESS_LINE, "");
	fflush(f);
}
