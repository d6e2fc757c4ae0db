#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/seed_sweep.sh - run every randomised test over many seeds.
#
#   tests/seed_sweep.sh [BUILD_DIR] [FIRST_SEED] [COUNT]     (defaults: build 1 1000)
#
# A randomised test is a test program whose source calls kmm_test_seed() or
# kmm_test_rand() (tests/harness.h). Each is run through ctest (so it gets
# the environment its ctest entry sets) once per seed, KMM_SEED=FIRST ..
# FIRST+COUNT-1, at full size (not KMM_QUICK). A failing seed is printed as
# "FAIL name seed N" with the test's output; the script goes on and exits 1
# if any seed failed, 0 if none did. Not part of `make test` (it takes
# about COUNT x 2 s on two cores); run it after changing a randomised test
# or the code one exercises. A flaky test is a failing test.
set -uo pipefail
build=${1:-build}
first=${2:-1}
count=${3:-1000}
src=$(cd "$(dirname "$0")/.." && pwd)

names=()
for f in "$src"/tests/*_*.c; do
	grep -q -E 'kmm_test_(seed|rand)\(' "$f" || continue
	names+=("$(basename "$f" .c)")
done
if [ ${#names[@]} -eq 0 ]; then
	echo "seed_sweep: no randomised tests found under $src/tests" >&2
	exit 2
fi
regex="^($(IFS='|'; echo "${names[*]}"))\$"
echo "seed_sweep: ${#names[@]} randomised programs: ${names[*]}"
echo "seed_sweep: seeds $first..$((first + count - 1)) in $build"

failed=0
jobs=${JOBS:-2}
for ((seed = first; seed < first + count; seed++)); do
	log=$(cd "$build" && KMM_SEED=$seed ctest -R "$regex" -j "$jobs" --output-on-failure 2>&1)
	rc=$?
	ran=$(grep -c -E '^ *[0-9]+/[0-9]+ Test' <<<"$log")
	if [ "$rc" -ne 0 ] || [ "$ran" -ne ${#names[@]} ]; then
		failed=$((failed + 1))
		echo "FAIL seed $seed (ran $ran of ${#names[@]}):"
		grep -E 'FAIL|\*\*\*|expected|seed' <<<"$log" | head -40
	fi
	if (( (seed - first + 1) % 100 == 0 )); then
		echo "seed_sweep: $((seed - first + 1)) seeds done, $failed failed"
	fi
done
echo "seed_sweep: $count seeds x ${#names[@]} programs: $failed seed(s) failed"
[ "$failed" -eq 0 ]
