// SPDX-License-Identifier: MIT
/*
 * fuzz/fuzz_run.c - libFuzzer target that parses AND runs a scenario.
 *
 * Linux counterpart: none. Where fuzz_scenario.c checks the parser's
 * contract only, this one runs what parses, on real machines, with the
 * runner's limits set low (100,000 steps, 256 MiB of host memory beyond
 * what the fuzzer itself holds), so that `repeat` and `alloc_pages
 * count=max` stay bounded: a run must end (any status), never crash, hang
 * or leak. The scenario's output goes to /dev/null. Inputs up to 1 MB.
 *
 * Built by cmake/fuzz.cmake with clang's -fsanitize=fuzzer,address, beside
 * fuzz_scenario; `make fuzz` runs both for a fixed time (tests/fuzz_ci.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/sim/sim.h"
#include "cli/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct script_source src = { "fuzz.kmm", (const char *)data, size, 1 };
	char err[512];

	if (size > 1 << 20)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct script *s = script_parse(&src, 1, err, sizeof(err), NULL);
	if (!s)
		return 0;
	struct ctx_opts opts = {
		.out = sink, .err = sink, .step_limit = 100000,
		.host_mem_limit = (long long)(sim_host_rss_kb() << 10) + (256LL << 20),
	};
	struct kmm_ctx *ctx = ctx_create(&opts);
	script_run(ctx, s);
	ctx_destroy(ctx);
	script_free(s);
	return 0;
}
