#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run_twice.sh - every example
# runs twice and must print the same bytes (stdout, stderr, exit status; the
# second run also writes its --report HTML, which must not change what it
# prints, and a third run's HTML must be the same bytes as the second's):
# kmm promises byte-identical runs and never a host address. The two runs
# differ in what could leak in: host addresses (ASLR places kmm's memory
# differently each run),
# and glibc fills fresh and freed heap bytes with different patterns
# (MALLOC_PERTURB_), so an uninitialised byte in any output shows too.
# usage: run_twice.sh KMM SOURCE_DIR
set -u
kmm=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
cd "$src" || exit 2
for f in examples/*.kmm; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	MALLOC_PERTURB_=0 "$kmm" run "$f" >"$tmp/out1" 2>"$tmp/err1"
	rc1=$?
	MALLOC_PERTURB_=165 "$kmm" run --report "$tmp/report.html" "$f" >"$tmp/out2" 2>"$tmp/err2"
	rc2=$?
	mv "$tmp/report.html" "$tmp/report2.html" 2>/dev/null
	# the HTML report too: a third run, written to the same path
	MALLOC_PERTURB_=0 "$kmm" run --report "$tmp/report.html" "$f" >/dev/null 2>&1
	if ! cmp -s "$tmp/report.html" "$tmp/report2.html"; then
		echo "FAIL $f: the --report HTML differs between two runs (or was not written)"
		cmp "$tmp/report.html" "$tmp/report2.html" 2>&1 | head -2
		fail=1
	fi
	rm -f "$tmp/report.html" "$tmp/report2.html"
	if [ "$rc1" != "$rc2" ]; then
		echo "FAIL $f: exit status $rc1, then $rc2"
		fail=1
	fi
	for s in out err; do
		if ! cmp -s "$tmp/${s}1" "$tmp/${s}2"; then
			echo "FAIL $f: std$s differs between two runs:"
			diff "$tmp/${s}1" "$tmp/${s}2" | head -20
			fail=1
		fi
	done
done
if [ "$n" -lt 10 ]; then
	echo "FAIL: only $n scenarios found under $src"
	fail=1
fi
[ "$fail" = 0 ] && echo "ok: $n scenarios, each run twice, identical"
exit $fail
