#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/summary.sh - the closing table of `make bench`: every ratio the
# benchmarks wrote to the summary file (bench/bench.h's bench_summary()),
# one line each, kmm / peer of time per operation: below 1.00 kmm is
# faster, above it slower. Sorted by benchmark, workload and thread count.
#
# usage: bench/summary.sh SUMMARY_FILE
set -eu
file=$1
if [ ! -s "$file" ]; then
	echo "bench summary: no ratios were recorded" >&2
	exit 1
fi
echo
echo "== summary: kmm / peer, time per operation (lower is better; < 1.00: kmm leads)"
printf '%-12s %-40s %7s %-10s %8s  %s\n' bench workload threads peer kmm/peer ""
sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3n "$file" | while IFS="$(printf '\t')" read -r b w t p r; do
	mark=$(awk -v r="$r" 'BEGIN { print (r <= 1.0) ? "lead" : "trail" }')
	printf '%-12s %-40s %7s %-10s %8s  %s\n' "$b" "$w" "$t" "$p" "$r" "$mark"
done
