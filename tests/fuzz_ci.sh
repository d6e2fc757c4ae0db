#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz_ci.sh - the fuzzers for a fixed time, as CI runs them (`make
# fuzz`): fuzz_scenario (the parser's contract) and fuzz_run (parse and run
# with the runner's limits), each SECONDS seconds from a fixed seed, on a
# copy of fuzz/corpus/ plus four generated 1 MB scripts (a 500,000-term
# expression, `let` lines, one line of `repeat` blocks, a mix of commands),
# with inputs allowed up to 1 MB. Fails if libFuzzer reports a crash, a leak, a timeout (30 s per
# input) or out-of-memory (2 GB). The corpus copy is thrown away; inputs
# worth keeping are added to fuzz/corpus/ by hand.
# usage: fuzz_ci.sh FUZZ_BUILD_DIR [SECONDS]
set -u
build=$1
secs=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in fuzz_scenario fuzz_run; do
	if [ ! -x "$build/fuzz/$f" ]; then
		echo "fuzz_ci: $build/fuzz/$f not built (needs clang with -fsanitize=fuzzer)" >&2
		exit 2
	fi
done
mkdir -p "$tmp/corpus"
cp "$src"/fuzz/corpus/* "$tmp/corpus/"
python3 - "$tmp/corpus" <<'PY'
import sys, random
d = sys.argv[1]
mb = 1 << 20
with open(d + "/big-expr", "w") as f:
    f.write("let $x = 1" + "+1" * ((mb - 12) // 2) + "\nexpect $x > 0\n")
with open(d + "/big-lets", "w") as f:
    n, i = 0, 0
    while n < mb - 40:
        l = "let $v%d = %d * 2 + 1\n" % (i, i)
        f.write(l); n += len(l); i += 1
with open(d + "/big-repeats", "w") as f:
    u = "repeat 1 { let $a = 1 }; "
    f.write(u * ((mb - 2) // len(u)) + "\n")
lines = ["boot mem=64M", "alloc_pages order=1 -> $p", "free_pages $p", "kmalloc 100 -> $o",
         "kfree $o", "cat /proc/buddyinfo | grep Normal", "# a comment",
         "repeat 2 { let $a = 1 + 2 }", "expect zone.DMA.free >= 0", "print \"x\" 1"]
random.seed(1)
with open(d + "/big-mixed", "w") as f:
    n = 0
    while n < mb - 60:
        l = random.choice(lines) + "\n"
        f.write(l); n += len(l)
PY
fail=0
for f in fuzz_scenario fuzz_run; do
	echo "== $f: $secs s, seed 1, inputs up to 1 MB"
	"$build/fuzz/$f" -seed=1 -max_total_time="$secs" -max_len=1048576 -timeout=30 \
		-rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 "$tmp/corpus" \
		>"$tmp/$f.log" 2>&1
	rc=$?
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$tmp/$f.log"
	if [ $rc -ne 0 ]; then
		echo "FAIL $f: libFuzzer exited with $rc"
		grep -E "ERROR|SUMMARY|Test unit written|timeout|out-of-memory" "$tmp/$f.log" | head -10
		fail=1
	fi
done
exit $fail
