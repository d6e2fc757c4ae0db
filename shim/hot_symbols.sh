#!/bin/bash
# SPDX-License-Identifier: MIT
# shim/hot_symbols.sh BUILD_DIR > shim/hot-symbols.txt
# shim/hot_symbols.sh --check LIST BUILD_DIR
#
# The functions of libkmm-malloc.so that a program runs: the boot, and the
# malloc/free paths of one and of two threads (callgrind of five small
# programs). cmake/shim.cmake hands the list to lld (--symbol-ordering-file),
# which puts them side by side at the start of the library's code, so that a
# process maps few 64 KiB windows of it (docs/malloc-measured.md, "Start cost").
# A stale list costs only resident pages, never correctness: regenerate it
# when the boot or the hot paths change much (integration_shim_hot_symbols,
# tests/shim_hot_symbols.sh, fails when a listed name is no longer a function
# of the library). callgrind names a recursive call's inner levels foo'2,
# foo'3: they are foo, listed once.
#
# --check LIST (integration_shim_hot_symbols_run, and `make release` on the
# Release library): runs the same programs against BUILD_DIR's library and
# fails, naming them, when a function the one-malloc program runs is not in
# LIST's first group (a third window of code in every process: b00e0f2,
# session 17), or one the others run is not in LIST at all. What runs, not
# where the linker happened to put it: a missing function can land in a
# window that is mapped anyway in one build and past it in another (the
# Release library's layout differs from RelWithDebInfo's). LIST may hold
# more than runs (names another build or compiler runs; the two kept by hand).
# Exit status 77 (ctest: skipped) without valgrind.
set -euo pipefail
check=""
if [ "${1:-}" = --check ]; then
	check=${2:?usage: hot_symbols.sh --check LIST BUILD_DIR}
	[ -r "$check" ] || { echo "hot_symbols.sh: --check '$check': no such list" >&2; exit 2; }
	shift 2
	command -v valgrind >/dev/null || { echo "SKIP: hot_symbols.sh --check needs valgrind"; exit 77; }
fi
build=${1:?usage: hot_symbols.sh BUILD_DIR}
lib=$build/libkmm-malloc.so
wl=$build/bench/malloc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v valgrind >/dev/null || { echo "hot_symbols.sh: needs valgrind" >&2; exit 1; }
printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { void *p = malloc(64); printf("%%d\\n", p != NULL); free(p); return 0; }\n' > "$tmp/one.c"
${CC:-cc} -O2 -o "$tmp/one" "$tmp/one.c"
run() { LD_PRELOAD=$lib valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "${@:2}" >/dev/null 2>&1; }
run one "$tmp/one"
run small "$wl/small_churn" 20000 5000
run mt "$wl/mt_churn" 2 1000 200
# Threads that come and go (each one's slot handed back, the per-CPU page
# lists drained and tuned) and frees in batches: left off the list, their
# few functions cost such programs a fourth window (64 KB of peak RSS).
run relay "$wl/thread_relay" 1 20 2000 1000
run storm "$wl/free_storm" 1 20 10000
# The library's functions a callgrind run @1 went through, one a line, sorted.
names() {
	callgrind_annotate --threshold=100 "$tmp/cg.$1" | grep -F "$(basename "$lib")]" |
		sed -E "s/^ *[0-9,]+ +\([^)]*\) +//; s/ \[.*//; s/.*://; s/'[0-9]+\$//" |
		grep -v '^0x' | sort -u || true
}
# What the one-malloc program runs goes first: lld lays the functions out in
# the list's order, so a small program's code fills the first windows only
# (~100 KB: two windows, where the whole list's 130 KB took three).
# Then what the small programs on one thread run besides, then what two
# threads of mt_churn run besides (its realloc, big blocks and contended
# paths): the small programs' code so ends in the second window (~115 KB of
# code at -O3 with the boot small, cmake/shim.cmake), and mt_churn, which
# maps a third window anyway, finds the rest after it.
names one > "$tmp/first"
cat <(names small) <(names relay) <(names storm) | sort -u | comm -23 - "$tmp/first" > "$tmp/small"
names mt | sort -u | comm -23 - <(sort -u "$tmp/first" "$tmp/small") > "$tmp/mt"
sort -u "$tmp/small" "$tmp/mt" > "$tmp/then"
[ -s "$tmp/first" ] || { echo "hot_symbols.sh: callgrind saw no function of $lib run" >&2; exit 1; }
if [ -n "$check" ]; then
	# The list's first group: its names up to the "# Then" comment.
	awk '/^# Then/ { exit } !/^#/ && NF { print $1 }' "$check" | sort -u > "$tmp/listed_first"
	awk '!/^#/ && NF { print $1 }' "$check" | sort -u > "$tmp/listed"
	comm -23 "$tmp/first" "$tmp/listed_first" > "$tmp/late"
	comm -23 "$tmp/then" "$tmp/listed" > "$tmp/unlisted"
	status=0
	if [ -s "$tmp/late" ]; then
		echo "FAIL: $(wc -l < "$tmp/late") function(s) of $(basename "$lib") that a program" \
			"that mallocs once runs are not in the first group of $check:"
		sed 's/^/  /' "$tmp/late"
		status=1
	fi
	if [ -s "$tmp/unlisted" ]; then
		echo "FAIL: $(wc -l < "$tmp/unlisted") function(s) of $(basename "$lib") that" \
			"small_churn, mt_churn, thread_relay or free_storm run are not in $check:"
		sed 's/^/  /' "$tmp/unlisted"
		status=1
	fi
	# KMM_HOT_WINDOWS=N (cmake/shim_hot_symbols.cmake, where lld lays the list
	# out): what the one-malloc program and the small programs on one thread
	# run must end in the code's first N windows of 64 KiB (a window more is
	# 64 KB of every such program's peak RSS). Names a function in more than
	# one file count by their last copy (lld puts every copy in the list's place).
	if [ -n "${KMM_HOT_WINDOWS:-}" ]; then
		code=$(readelf -lW "$lib" | awk '$1 == "LOAD" && $8 == "E" { print $3; exit }')
		limit=$(( (code / 65536 + KMM_HOT_WINDOWS) * 65536 ))
		sort -u "$tmp/first" "$tmp/small" > "$tmp/small_all"
		${NM:-nm} -S --defined-only "$lib" | awk 'NF == 4 && $3 ~ /^[tT]$/ { print $4, $1, $2 }' |
			sort -k1,1 | join - "$tmp/small_all" |
			while read -r name addr size; do echo "$name $((16#$addr + 16#$size))"; done |
			sort -k1,1 -k2,2n | awk '{ end[$1] = $2 } END { for (n in end) print n, end[n] }' |
			sort -k2,2n > "$tmp/ends"
		last=$(tail -n 1 "$tmp/ends" | awk '{ print $2 }')
		awk -v limit="$limit" '$2 > limit { printf "  %s (ends at %#x)\n", $1, $2 }' "$tmp/ends" > "$tmp/past"
		if [ -s "$tmp/past" ]; then
			echo "FAIL: $(wc -l < "$tmp/past") function(s) that small_churn, thread_relay," \
				"free_storm or the one-malloc program run end past the code's first" \
				"$KMM_HOT_WINDOWS windows of 64 KiB (at $(printf '%#x' "$limit")): one more" \
				"window of code, 64 KB of every such program's peak RSS. The code they run" \
				"must shrink (cmake/shim.cmake's KMM_BOOT_SOURCES) or the list be made again:"
			cat "$tmp/past"
			status=1
		else
			echo "ok: what the small programs run ends at $(printf '%#x' "$last"), $((limit - last))" \
				"bytes before the end of the code's window $KMM_HOT_WINDOWS of 64 KiB"
		fi
	fi
	if [ $status = 0 ]; then
		echo "ok: the $(wc -l < "$tmp/first") functions of $lib a program that mallocs" \
			"once runs are in the list's first group, the $(wc -l < "$tmp/then") more the" \
			"others run in the list"
	else
		echo "regenerate: shim/hot_symbols.sh BUILD_DIR > $check (a RelWithDebInfo build;" \
			"then put back sim_cpu_relax and spin_lock_slow at the end of the second group:" \
			"free_storm@2's contended lock runs them, callgrind's serialised threads never)"
	fi
	exit $status
fi
echo "# Functions of libkmm-malloc.so every program runs (laid out side by side by lld):"
echo "# generated by shim/hot_symbols.sh (boot, malloc/free on one and two threads)."
echo "# First what a program that mallocs once runs:"
cat "$tmp/first"
echo "# Then what small_churn, thread_relay and free_storm run besides:"
cat "$tmp/small"
echo "# Then what mt_churn (two threads) runs besides:"
cat "$tmp/mt"
