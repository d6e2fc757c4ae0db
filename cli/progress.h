// SPDX-License-Identifier: MIT
/*
 * cli/progress.h - a progress bar on standard error, for long runs: scenario
 * runs (cli/runner.c) and the allocator lab's replays (cli/lab.c).
 *
 * Linux counterpart: none. Callers draw it only when standard error is a
 * terminal, so that logs and pipes never see it; progress_clear() wipes it
 * before anything else is printed.
 *
 * Locking: none; one thread draws.
 */
#ifndef KMM_CLI_PROGRESS_H
#define KMM_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/**
 * progress_draw() - redraw the bar on @f: "[=====     ]  42%" when @total
 * is known (non-zero), else the count so far; @what names the unit
 * ("commands"), NULL for none.
 */
void progress_draw(FILE *f, uint64_t done, uint64_t total, const char *what);
/** progress_clear() - wipe the bar's line on @f. */
void progress_clear(FILE *f);

#endif /* KMM_CLI_PROGRESS_H */
