#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/fault_vma_pairs.sh N FAULT [FAULT...]
#
# The VMA tree's per-call cost of two (or more) builds side by side:
# `FAULT vma K` (bench/fault.c: K one-page VMAs mapped, then unmapped, in
# shuffled orders; thread CPU ns per call) for K = 1000, 10000 and 100000,
# N rounds, each round running every FAULT once per K in turn (interleaved,
# so that the machine's load falls on all alike). Prints, per FAULT and K,
# the medians of map and unmap and their ratio to the same FAULT's K = 1000
# row (flat: 1.00). E.g. with main's build copied aside first:
#   cp build-release/bench/fault /tmp/fault.main   (then rebuild)
#   bench/fault_vma_pairs.sh 7 /tmp/fault.main build-release/bench/fault
# ORDER=down (or up; default random) passes the order to `fault vma K ORDER`.
# A FAULT may be written RAM:PATH to run it with KMM_BENCH_VMA_RAM=RAM (memfd,
# anon or huge: the vma rows' RAM backing; a build from before ram=huge
# ignores it), e.g. anon:build-release/bench/fault huge:build-release/bench/fault
# times the huge pages alone.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: fault_vma_pairs.sh N FAULT [FAULT...]" >&2; exit 2; }
n=$1
shift
order=${ORDER:-random}
for f in "$@"; do
	[ -x "${f#*:}" ] || { echo "fault_vma_pairs.sh: ${f#*:} is not an executable bench/fault" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ks="1000 10000 100000"
for _ in $(seq 1 "$n"); do
	for k in $ks; do
		b=0
		for f in "$@"; do
			# "vma K: map M ns/call, unmap U ns/call (thread CPU)"
			ram=; [ "${f#*:}" = "$f" ] || ram=${f%%:*}
			KMM_BENCH_VMA_RAM=$ram "${f#*:}" vma "$k" "$order" | awk -v o="$tmp/$b.$k" '{ print $4 > o ".map"; print $7 > o ".unmap" }'
			b=$((b + 1))
		done
	done
done
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "fault_vma_pairs: thread CPU ns per call, order $order, medians of $n interleaved rounds; (x): over the same build's K=1000"
b=0
for f in "$@"; do
	echo "$f"
	for k in $ks; do
		m=$(median "$tmp/$b.$k.map") u=$(median "$tmp/$b.$k.unmap")
		m1=$(median "$tmp/$b.1000.map") u1=$(median "$tmp/$b.1000.unmap")
		awk -v k="$k" -v m="$m" -v u="$u" -v m1="$m1" -v u1="$u1" \
			'BEGIN { printf "  K=%-6s map %7.1f (%.2f)  unmap %7.1f (%.2f)\n", k, m, m / m1, u, u / u1 }'
	done
	b=$((b + 1))
done
