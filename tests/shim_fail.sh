#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/shim_fail.sh - the malloc shim under failure: every Nth allocation
# from the machine or from the host failing (KMM_MALLOC_FAIL=N), and a
# machine too small for the program (KMM_MALLOC_MEM=64M). Required:
#   - shim/enomem.c (every size path, every entry point) sees NULL with
#     ENOMEM for every failed call, its blocks intact, and some failures;
#     by default and hardened;
#   - real programs end with their own out-of-memory message and status
#     (sort, python3, perl, sqlite3, a threaded and a C++ workload), never
#     killed by a signal - except their own abort() after saying they are
#     out of memory (the C++ runtime on an uncaught std::bad_alloc, Python's
#     "Fatal Python error: ... Out of memory" during start-up) - and never
#     with a kmm-malloc message.
# sqlite3 is run with -init /dev/null: looking up the home directory for
# ~/.sqliterc, glibc's getpwuid crashes when one of its own allocations fails
# (nss_database.c: an assertion, or a NULL dereference; seen with gdb).
# perl is run with N >= 101: when one of the first few allocations of its
# start-up fails, perl 5.36 crashes in its own Perl_croak_no_mem (seen with
# gdb: Perl_my_exit), before any script runs.
#
# usage: shim_fail.sh LIBKMM_MALLOC WORKLOAD_DIR
set -u
lib=$1
wl=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ran=0

# expect_ok NAME OUTPUT_REGEX ENV... -- CMD...: exit 0, output matching
expect_ok() {
	local name=$1 want=$2
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	ran=$((ran + 1))
	(env LD_PRELOAD="$lib" "${envs[@]}" timeout 300 "$@" >"$tmp/out" 2>"$tmp/err"; exit $?) \
		2>/dev/null
	local rc=$?
	if [ $rc -ne 0 ] || ! grep -Eq "$want" "$tmp/out"; then
		echo "FAIL $name (${envs[*]}): rc $rc"
		head -5 "$tmp/out" "$tmp/err" | sed 's/^/  | /'
		fail=1
		return
	fi
	echo "ok   $name (${envs[*]}): $(tail -1 "$tmp/out")"
}

# expect_no_crash NAME ENV... -- CMD...: any exit status; no signal but the
# program's own SIGABRT after an out-of-memory message; no kmm-malloc message
expect_no_crash() {
	local name=$1
	shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	ran=$((ran + 1))
	(env LD_PRELOAD="$lib" "${envs[@]}" timeout 300 "$@" >"$tmp/out" 2>"$tmp/err"; exit $?) \
		2>/dev/null
	local rc=$?
	if [ $rc -eq 124 ] || grep -q '^kmm-malloc: ' "$tmp/err" || { [ $rc -ge 128 ] &&
		! { [ $rc -eq 134 ] && grep -Eqi "bad_alloc|out of memory" "$tmp/err"; }; }; then
		echo "FAIL $name (${envs[*]}): killed, status $rc"
		grep -v '^ptr' "$tmp/err" | head -5 | sed 's/^/  | /'
		fail=1
		return
	fi
	echo "ok   $name (${envs[*]}): status $rc$(grep -m1 -iE 'memory|alloc' "$tmp/err" |
		sed 's/^/, "/; s/$/"/' | cut -c1-80)"
}

for hard in 0 1; do
	for n in 3 17 101 1009; do
		expect_ok enomem "[1-9][0-9]* failed with ENOMEM" KMM_MALLOC_HARDEN=$hard \
			KMM_MALLOC_FAIL=$n -- "$wl/enomem" 20000 256
	done
	expect_ok enomem-small-machine "[1-9][0-9]* failed with ENOMEM" KMM_MALLOC_HARDEN=$hard \
		KMM_MALLOC_MEM=64M -- "$wl/enomem" 20000 2048 4M
done

# An address-space limit (ulimit -v) of 8 GiB: the shim's machine (mem=4G)
# must still boot - it reserves ~6 GiB (RAM with the x86_64 PCI hole, its
# shadow, live map and struct pages), and no longer an unused 8 GiB vmalloc
# window on top, which sent such programs back to glibc.
ran=$((ran + 1))
(ulimit -v 8388608; env LD_PRELOAD="$lib" KMM_MALLOC_STATS=1 "$wl/enomem" 2000 64 \
	>"$tmp/out" 2>"$tmp/err")
if grep -q "cannot boot\|using glibc malloc" "$tmp/err" || ! grep -q "mallocs" "$tmp/err"; then
	echo "FAIL ulimit -v 8G: the shim did not serve"
	head -3 "$tmp/err" | sed 's/^/  | /'
	fail=1
else
	echo "ok   ulimit -v 8G: $(grep -m1 mallocs "$tmp/err")"
fi

seq 1 200000 | awk '{ print ($1 * 7919) % 200003 }' >"$tmp/sort.in"
# the interpreter itself, not a wrapper script (pyenv's shims are bash)
python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)
cat >"$tmp/alloc.py" <<'EOF'
d = [{"a": i, "b": str(i) * 3} for i in range(100000)]
print(len(d))
EOF
for n in 2 7 101 1009 10007; do
	expect_no_crash sort KMM_MALLOC_FAIL=$n -- sort "$tmp/sort.in"
	expect_no_crash python3 KMM_MALLOC_FAIL=$n PYTHONMALLOC=malloc -- "$python" "$tmp/alloc.py"
	[ $n -ge 101 ] &&
		expect_no_crash perl KMM_MALLOC_FAIL=$n -- perl -e \
			'my %h; $h{$_} = $_ x 5 for 1 .. 100000; print scalar(keys %h), "\n"'
	command -v sqlite3 >/dev/null &&
		expect_no_crash sqlite3 KMM_MALLOC_FAIL=$n -- sqlite3 -init /dev/null :memory: \
			"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 50000)
			 SELECT count(*), max(printf('%08d', i)) FROM c;"
	expect_no_crash mt_churn KMM_MALLOC_FAIL=$n -- "$wl/mt_churn" 4 20000 500
	expect_no_crash cxx_churn KMM_MALLOC_FAIL=$n -- "$wl/cxx_churn" 20000
done
echo "$ran runs, $([ $fail = 0 ] && echo "none failed" || echo "some failed")"
exit $fail
