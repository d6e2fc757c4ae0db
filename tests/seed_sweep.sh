#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/seed_sweep.sh - run every randomised test over many seeds.
#
#   tests/seed_sweep.sh [BUILD_DIR] [FIRST_SEED] [COUNT]     (defaults: build 1 1000)
#
# A randomised test is a test program whose source calls kmm_test_seed() or
# kmm_test_rand() (tests/harness.h). Each is run through ctest (so it gets
# the environment its ctest entry sets) once per seed, KMM_SEED=FIRST ..
# FIRST+COUNT-1, at full size (not KMM_QUICK). PAR=N runs N seeds at once
# (default 1). A failing seed is printed as "FAIL seed N" with the failing
# lines; the script goes on and exits 1 if any seed failed, 0 if none did.
# SEED_LOG=FILE appends every seed's line (ok or FAIL) to FILE, after a
# "# seeds A..B, commit C (BUILD_DIR's source tree), started DATE" header, so
# one log can collect several runs and says which seeds ran on which tree.
# ONLY=REGEX runs only the randomised programs whose whole name matches
# (e.g. ONLY=stress_shmem, or ONLY='stress_.*'); the header names them.
# Not part of `make test` (about 40 s of CPU per seed: docs/testing.md); run it after
# changing a randomised test or the code one exercises. A flaky test is a
# failing test.
set -uo pipefail
if [ "${1:-}" = "--one" ]; then
	# one seed: --one BUILD REGEX NPROGRAMS SEED
	build=$2 regex=$3 nprog=$4 seed=$5
	log=$(cd "$build" && KMM_SEED=$seed ctest -R "$regex" -j 1 --output-on-failure 2>&1)
	rc=$?
	ran=$(grep -c -E '^ *[0-9]+/[0-9]+ Test' <<<"$log")
	if [ "$rc" -ne 0 ] || [ "$ran" -ne "$nprog" ]; then
		echo "FAIL seed $seed (ran $ran of $nprog):"
		grep -E 'FAIL|\*\*\*|expected|seed' <<<"$log" | head -40
		exit 1
	fi
	echo "ok seed $seed"
	exit 0
fi
build=$(cd "${1:-build}" && pwd)
first=${2:-1}
count=${3:-1000}
src=$(cd "$(dirname "$0")/.." && pwd)

names=()
for f in "$src"/tests/*_*.c; do
	grep -q -E 'kmm_test_(seed|rand)\(' "$f" || continue
	n=$(basename "$f" .c)
	[ -z "${ONLY:-}" ] || grep -q -E "^(${ONLY})\$" <<<"$n" || continue
	names+=("$n")
done
if [ ${#names[@]} -eq 0 ]; then
	echo "seed_sweep: no randomised tests found under $src/tests" >&2
	exit 2
fi
regex="^($(IFS='|'; echo "${names[*]}"))\$"
echo "seed_sweep: ${#names[@]} randomised programs: ${names[*]}"
echo "seed_sweep: seeds $first..$((first + count - 1)) in $build, ${PAR:-1} at a time"

# the commit the build was made from (its CMake source directory)
tree=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)
commit=$(git -C "${tree:-$src}" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "${tree:-$src}" diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
echo "seed_sweep: build of $commit"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
if [ -n "${SEED_LOG:-}" ]; then
	echo "# seeds $first..$((first + count - 1)), ${#names[@]} programs${ONLY:+ (${names[*]})}, commit $commit" \
		"($build), started $(date -u '+%F %T') UTC" >> "$SEED_LOG"
fi
# each seed's line as it finishes: "ok seed N" quietly, failures in full
seq "$first" $((first + count - 1)) |
	xargs -P "${PAR:-1}" -I{} bash "$0" --one "$build" "$regex" ${#names[@]} {} |
	tee "$results" ${SEED_LOG:+-a "$SEED_LOG"} | grep --line-buffered -v '^ok seed'
failed=$(grep -c '^FAIL seed' "$results")
passed=$(grep -c '^ok seed' "$results")
echo "seed_sweep: $count seeds x ${#names[@]} programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq "$count" ]
