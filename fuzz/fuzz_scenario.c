// SPDX-License-Identifier: MIT
/*
 * fuzz/fuzz_scenario.c - libFuzzer target for the scenario parser.
 *
 * Linux counterpart: none. Feeds arbitrary bytes to script_parse() as one
 * script and checks the parser's contract: it returns a tree, or NULL with
 * exactly one message of the form "fuzz.kmm:LINE:COL: text" (LINE >= 1,
 * COL >= 1, no newline), and never crashes, hangs or leaks (ASan/LSan under
 * clang's -fsanitize=fuzzer,address). Nothing is run: a parsed script could
 * boot machines of any size. tests/fuzz_cli_corpus.c runs the committed
 * corpus through the real kmm binary as well.
 *
 * Built as a libFuzzer target by cmake/fuzz.cmake when the compiler is
 * clang and supports -fsanitize=fuzzer; fuzz/replay.c drives the same
 * function over fuzz/corpus/ in every build (ctest fuzz_scenario_replay).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script_source src = { "fuzz.kmm", (const char *)data, size, 1 };
	char err[512];
	struct script *s;

	if (size > 1 << 20)	/* inputs up to 1 MB: the parser is linear */
		return 0;
	err[0] = 'x';
	s = script_parse(&src, 1, err, sizeof(err), NULL);
	if (s) {
		script_free(s);
		return 0;
	}
	int line = 0, col = 0, n = 0;
	if (sscanf(err, "fuzz.kmm:%d:%d: %n", &line, &col, &n) != 2 || n == 0 || line < 1 ||
	    col < 1 || !err[n] || strchr(err, '\n')) {
		fprintf(stderr, "fuzz_scenario: malformed parse error: \"%s\"\n", err);
		abort();
	}
	return 0;
}
