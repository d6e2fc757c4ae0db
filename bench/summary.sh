#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/summary.sh - the closing table of `make bench`: every ratio the
# benchmarks wrote to the summary file (bench/bench.h's bench_summary(),
# bench/malloc/run.sh), one line each, all one way: kmm / peer of time per
# operation, or of memory where the workload names it (peak RSS, footprint).
# Below 1.00 kmm leads, above it kmm trails. Ratios are printed with two
# decimals, or two significant digits below 0.01. A ratio field that is not
# a number ("failed:WHO") marks a pair that was not compared because WHO's
# run failed. Sorted by benchmark, workload and thread count.
#
# usage: bench/summary.sh SUMMARY_FILE
set -eu
file=$1
if [ ! -s "$file" ]; then
	echo "bench summary: no ratios were recorded" >&2
	exit 1
fi
echo
echo "== summary: kmm / peer of time per operation (or of memory: peak RSS, footprint); lower is better, < 1.00: kmm leads"
printf '%-12s %-44s %7s %-10s %8s  %s\n' bench workload threads peer kmm/peer ""
sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3n -k4,4 "$file" | awk -F '\t' '
{
	b = $1; w = $2; t = $3; p = $4; r = $5;
	if (w ~ /@T /) at = 1;
	if (r ~ /^failed:/) {
		failed++;
		printf "%-12s %-44s %7s %-10s %8s  not compared: %s'"'"'s run failed\n", b, w, t, p, "-", substr(r, 8);
		next;
	}
	r += 0;
	s = (r > 0 && r < 0.01) ? sprintf("%.2g", r) : sprintf("%.2f", r);
	mark = (s + 0 < 1) ? "lead" : (s + 0 > 1) ? "trail" : "even";
	printf "%-12s %-44s %7s %-10s %8s  %s\n", b, w, t, p, s, mark;
	if (mark == "lead") lead++; else if (mark == "trail") trail++; else even++;
}
END {
	printf "%d ratios: kmm leads in %d, trails in %d, even in %d", lead + trail + even, lead + 0,
		trail + 0, even + 0;
	printf failed ? "; %d not compared (a run failed)\n" : "\n", failed;
	if (at)
		print "NAME@T: bench/malloc/run.sh'"'"'s threaded shape of NAME, on the thread count of its row";
}'
