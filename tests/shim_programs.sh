#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/shim_programs.sh - real programs under LD_PRELOAD=libkmm-malloc.so.
#
# Each program runs twice on the same generated input, once with glibc's
# malloc and once with kmm's; stdout and the exit status must be identical.
# The kmm run also asks for the exit statistics (KMM_MALLOC_STATS, to a file)
# and the invariant check at exit (KMM_MALLOC_CHECK=1): the statistics prove
# that kmm, not a glibc fallback, served the program, and the check proves
# the machine was consistent after it.
#
# usage: shim_programs.sh LIBKMM_MALLOC_SO WORKLOAD_DIR
# KMM_QUICK=1 makes the inputs smaller. sqlite3 is skipped when not installed.
set -u
lib=${1:?usage: shim_programs.sh LIB WORKLOAD_DIR}
workdir=${2:?usage: shim_programs.sh LIB WORKLOAD_DIR}
tmp=$(mktemp -d /tmp/kmm-shim-programs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
quick=${KMM_QUICK:-0}
scale=1
[ "$quick" = 1 ] && scale=4
failed=0
ran=0

# Python: the real interpreter, not a pyenv wrapper script.
python=""
for p in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
	if [ -n "$p" ] && [ -x "$p" ]; then
		python=$(
			"$p" -c 'import sys; print(sys.executable)' 2>/dev/null
		) && break
	fi
done

# run_cmp NAME CMD...: compare CMD's stdout and status with and without kmm.
run_cmp() {
	local name=$1
	shift
	"$@" >"$tmp/$name.ref" 2>"$tmp/$name.referr"
	local rc_ref=$?
	local t0=$SECONDS
	LD_PRELOAD=$lib KMM_MALLOC_CHECK=1 KMM_MALLOC_STATS="$tmp/$name.stats" \
		"$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local rc=$? secs=$((SECONDS - t0))
	ran=$((ran + 1))
	if [ $rc -ne $rc_ref ]; then
		echo "FAIL $name: exit status $rc under kmm, $rc_ref under glibc"
		sed 's/^/  | /' "$tmp/$name.err" | head -20
		failed=$((failed + 1))
		return
	fi
	if ! cmp -s "$tmp/$name.ref" "$tmp/$name.out"; then
		echo "FAIL $name: output differs"
		diff "$tmp/$name.ref" "$tmp/$name.out" | head -10 | sed 's/^/  | /'
		failed=$((failed + 1))
		return
	fi
	if ! grep -q '^kmm-malloc: current' "$tmp/$name.stats" 2>/dev/null ||
		! grep -q '^slabinfo - version: 2.1' "$tmp/$name.stats"; then
		echo "FAIL $name: no kmm-malloc statistics at exit (kmm did not serve it)"
		sed 's/^/  | /' "$tmp/$name.err" | head -20
		failed=$((failed + 1))
		return
	fi
	local mallocs
	mallocs=$(sed -n 's/^kmm-malloc: \([0-9]*\) mallocs.*/\1/p' "$tmp/$name.stats" | tail -1)
	local peak
	peak=$(sed -n 's/.*peak \([0-9]*\) bytes.*/\1/p' "$tmp/$name.stats" | tail -1)
	echo "ok   $name: $(wc -c <"$tmp/$name.out") bytes of identical output, rc $rc," \
		"$mallocs mallocs served by kmm, peak $peak bytes (${secs}s)"
}

# --- sort on a large generated file ---
lines=$((400000 / scale))
awk -v n=$lines 'BEGIN { srand(42); for (i = 0; i < n; i++) {
	w = ""; l = 3 + int(rand() * 20);
	for (j = 0; j < l; j++) w = w sprintf("%c", 97 + int(rand() * 26));
	printf "%s %d %.3f\n", w, int(rand() * 1000000), rand() * 1000 } }' >"$tmp/sort.in"
run_cmp sort sort "$tmp/sort.in"
run_cmp sort_numeric sort -k2,2n -k1,1 "$tmp/sort.in"

# --- python3, PYTHONMALLOC=malloc, allocation-heavy ---
if [ -n "$python" ]; then
	cat >"$tmp/alloc.py" <<EOF
import hashlib, json, random
random.seed(7)
n = $((200000 / scale))
d = {}
for i in range(n):
    d["k%d" % i] = [i, str(i) * (i % 7), {"x": i * 0.5}]
for i in range(0, n, 3):
    del d["k%d" % i]
lst = sorted(d.items(), key=lambda kv: (len(kv[1][1]), kv[0]))
blob = json.dumps(lst[: n // 4])
back = json.loads(blob)
strs = ["".join(random.choice("abcdefgh") for _ in range(random.randint(1, 60))) for _ in range(n // 2)]
strs.sort()
big = [bytearray(random.randint(1, 300000)) for _ in range(200)]
h = hashlib.sha256()
h.update(blob.encode())
h.update("".join(strs[::97]).encode())
print(len(d), len(back), len(strs), sum(len(b) for b in big))
print(h.hexdigest())
EOF
	PYTHONMALLOC=malloc run_cmp python3 "$python" "$tmp/alloc.py"
else
	echo "skip python3: not installed"
fi

# --- perl, hash-heavy ---
if command -v perl >/dev/null; then
	cat >"$tmp/hash.pl" <<EOF
use strict; use warnings;
my %h; my \$n = $((300000 / scale));
srand(11);
for my \$i (1 .. \$n) { \$h{"key\$i" . ("x" x (\$i % 13))} = [\$i, "v" x (\$i % 50)]; }
for my \$i (grep { \$_ % 4 == 0 } 1 .. \$n) { delete \$h{"key\$i" . ("x" x (\$i % 13))}; }
my %inv; while (my (\$k, \$v) = each %h) { push @{ \$inv{length \$v->[1]} }, \$k; }
my \$sum = 0; \$sum += \$_->[0] for values %h;
my @keys = sort keys %h;
print scalar(keys %h), " ", scalar(keys %inv), " \$sum \$keys[0] \$keys[-1]\n";
my \$s = join(",", map { scalar @{ \$inv{\$_} } } sort { \$a <=> \$b } keys %inv); print "\$s\n";
EOF
	run_cmp perl perl "$tmp/hash.pl"
else
	echo "skip perl: not installed"
fi

# --- a multi-threaded program (bench/malloc/mt_churn.c) ---
if [ -x "$workdir/mt_churn" ]; then
	run_cmp mt_churn "$workdir/mt_churn" 4 $((200000 / scale)) 2000
	run_cmp mt_churn_many "$workdir/mt_churn" 16 $((20000 / scale)) 500
else
	echo "FAIL mt_churn: $workdir/mt_churn not built"
	failed=$((failed + 1))
fi

# --- the threaded shapes of bench/malloc: threads that come and go and hand
# their objects on, a storm of frees across threads, threads each churning
# small objects, big blocks reused, big blocks grown by realloc ---
for w in thread_relay free_storm small_churn big_reuse realloc_grow; do
	if [ ! -x "$workdir/$w" ]; then
		echo "FAIL $w: $workdir/$w not built"
		failed=$((failed + 1))
	fi
done
[ -x "$workdir/thread_relay" ] && run_cmp thread_relay "$workdir/thread_relay" 4 $((40 / scale)) 500 200
[ -x "$workdir/free_storm" ] && run_cmp free_storm "$workdir/free_storm" 4 $((40 / scale)) 2000
[ -x "$workdir/small_churn" ] && run_cmp small_churn_threads "$workdir/small_churn" $((200000 / scale)) 5000 4
[ -x "$workdir/big_reuse" ] && run_cmp big_reuse "$workdir/big_reuse" 2 $((200 / scale))
[ -x "$workdir/realloc_grow" ] && run_cmp realloc_grow "$workdir/realloc_grow" 2 $((8 / scale))

# --- a C++ program (bench/malloc/cxx_churn.cc): containers, aligned new ---
if [ -x "$workdir/cxx_churn" ]; then
	run_cmp cxx_churn "$workdir/cxx_churn" $((200000 / scale))
else
	echo "FAIL cxx_churn: $workdir/cxx_churn not built"
	failed=$((failed + 1))
fi

# --- sqlite3 on a generated database ---
if command -v sqlite3 >/dev/null; then
	rows=$((200000 / scale))
	# The database is generated once (under glibc); both runs query it and
	# build temporary tables and indexes, leaving the file as it was.
	sqlite3 "$tmp/test.db" <<EOF
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $rows)
INSERT INTO t SELECT i, printf('name-%08d-%x', (i * 7919) % $rows, i), i % 97,
                      (i * 31 % 1000) / 7.0 FROM c;
EOF
	cat >"$tmp/db.sql" <<EOF
CREATE TEMP TABLE u AS SELECT * FROM t;
CREATE INDEX temp.u_name ON u(name);
CREATE INDEX temp.u_grp ON u(grp, val);
SELECT grp, count(*), printf('%.3f', sum(val)), min(name), max(name) FROM u GROUP BY grp ORDER BY grp LIMIT 20;
SELECT count(DISTINCT name), printf('%.3f', avg(val)) FROM u;
SELECT name FROM u ORDER BY name DESC LIMIT 5;
SELECT a.grp, count(*) FROM u a JOIN u b ON b.id = a.id - 1 AND a.grp = b.grp + 1 GROUP BY a.grp ORDER BY 2 DESC, 1 LIMIT 5;
SELECT group_concat(name, ';') FROM (SELECT name FROM u WHERE grp = 3 ORDER BY val, name LIMIT 50);
EOF
	run_cmp sqlite3 sqlite3 "$tmp/test.db" ".read $tmp/db.sql"
	rm -f "$tmp/test.db"
else
	echo "skip sqlite3: not installed"
fi

# --- a hardened run (KMM_MALLOC_DEBUG=1: slab_debug=FZPU) prints the same ---
if [ -x "$workdir/mt_churn" ]; then
	t0=$SECONDS
	"$workdir/mt_churn" 4 $((20000 / scale)) 500 >"$tmp/hard.ref" 2>&1
	LD_PRELOAD=$lib KMM_MALLOC_DEBUG=1 KMM_MALLOC_CHECK=1 \
		"$workdir/mt_churn" 4 $((20000 / scale)) 500 >"$tmp/hard.out" 2>&1
	rc=$?
	ran=$((ran + 1))
	if [ $rc -ne 0 ] || ! cmp -s "$tmp/hard.ref" "$tmp/hard.out"; then
		echo "FAIL mt_churn hardened: rc $rc or output differs"
		head -20 "$tmp/hard.out" | sed 's/^/  | /'
		failed=$((failed + 1))
	else
		echo "ok   mt_churn hardened (slab_debug=FZPU): identical output ($((SECONDS - t0))s)"
	fi
fi

# --- another shadow granule (KMM_MALLOC_CMDLINE=slab_shadow_granule=8): malloc's
# lock-free path builds in the 16-byte granule the shim boots with
# (SLAB_MAPPED_SHADOW_SHIFT, mm/slab_fast.h), so its table of codes stays
# empty and malloc takes kmalloc's way: the same output, a consistent machine ---
if [ -x "$workdir/small_churn" ]; then
	t0=$SECONDS
	"$workdir/small_churn" $((200000 / scale)) 5000 2 >"$tmp/granule.ref" 2>&1
	LD_PRELOAD=$lib KMM_MALLOC_CMDLINE=slab_shadow_granule=8 KMM_MALLOC_CHECK=1 \
		"$workdir/small_churn" $((200000 / scale)) 5000 2 >"$tmp/granule.out" 2>&1
	rc=$?
	ran=$((ran + 1))
	if [ $rc -ne 0 ] || ! cmp -s "$tmp/granule.ref" "$tmp/granule.out"; then
		echo "FAIL small_churn with slab_shadow_granule=8: rc $rc or output differs"
		head -5 "$tmp/granule.out" | sed 's/^/  | /'
		failed=$((failed + 1))
	else
		echo "ok   small_churn with slab_shadow_granule=8: identical output ($((SECONDS - t0))s)"
	fi
fi

# --- a bad KMM_MALLOC_MEM: one clear line, and the program still runs (on glibc) ---
(LD_PRELOAD=$lib KMM_MALLOC_MEM=12X sort "$tmp/sort.in" >"$tmp/badmem.out" 2>"$tmp/badmem.err"; exit $?) 2>/dev/null
rc=$?
ran=$((ran + 1))
if [ $rc -eq 0 ] && cmp -s "$tmp/sort.ref" "$tmp/badmem.out" &&
	grep -q 'kmm-malloc: cannot boot "mem=12X' "$tmp/badmem.err" &&
	grep -q 'mem=12X: bad size' "$tmp/badmem.err"; then
	echo "ok   KMM_MALLOC_MEM=12X: $(head -1 "$tmp/badmem.err"), output unchanged"
else
	echo "FAIL KMM_MALLOC_MEM=12X: rc $rc"
	sed 's/^/  | /' "$tmp/badmem.err" | head -5
	failed=$((failed + 1))
fi

# --- a trace that begins after the shim booted: libstdc++'s constructor
# mallocs before the shim's own constructor starts the trace when the shim is
# preloaded first (the loader runs the later one's constructor first). From
# the trace's start on, every malloc is recorded, as in a trace that begins
# with the shim (libstdc++ first): malloc's lock-free path, which records
# nothing, is off for good (shim_trace_began() empties its class table),
# and so is free's (it closes free_map's gate): every free is recorded too.
# The two traces differ by the one malloc before the late trace began (the
# proof that it began late); the blocks of 8 KiB and less and the frees are
# the same. ---
if [ -x "$workdir/mt_churn" ]; then
	t0=$SECONDS
	LD_PRELOAD="libstdc++.so.6 $lib" KMM_MALLOC_TRACE="$tmp/trace.boot" \
		"$workdir/mt_churn" 1 200 50 >/dev/null 2>"$tmp/trace.booterr"
	rc_boot=$?
	LD_PRELOAD="$lib libstdc++.so.6" KMM_MALLOC_TRACE="$tmp/trace.late" \
		"$workdir/mt_churn" 1 200 50 >/dev/null 2>"$tmp/trace.lateerr"
	rc=$?
	ran=$((ran + 1))
	all_boot=$(grep -c '^a ' "$tmp/trace.boot")
	all_late=$(grep -c '^a ' "$tmp/trace.late")
	small_boot=$(awk '$1 == "a" && $3 <= 8192' "$tmp/trace.boot" | wc -l)
	small_late=$(awk '$1 == "a" && $3 <= 8192' "$tmp/trace.late" | wc -l)
	frees_boot=$(grep -c '^f ' "$tmp/trace.boot")
	frees_late=$(grep -c '^f ' "$tmp/trace.late")
	if [ $rc_boot -eq 0 ] && [ $rc -eq 0 ] && [ ! -s "$tmp/trace.booterr" ] &&
		[ ! -s "$tmp/trace.lateerr" ] && [ "$all_late" -lt "$all_boot" ] &&
		[ "$small_boot" -gt 100 ] && [ "$small_late" -eq "$small_boot" ] &&
		[ "$frees_boot" -gt 100 ] && [ "$frees_late" -eq "$frees_boot" ]; then
		echo "ok   a trace begun after the shim booted: $small_late small blocks and $frees_late frees recorded, as from boot ($((SECONDS - t0))s)"
	else
		echo "FAIL a trace begun after the shim booted: rc $rc_boot/$rc, allocations $all_boot/$all_late, small $small_boot/$small_late, frees $frees_boot/$frees_late (from boot/late)"
		cat "$tmp/trace.booterr" "$tmp/trace.lateerr" | head -5 | sed 's/^/  | /'
		failed=$((failed + 1))
	fi
fi

# Misuse (double and invalid frees, overflows, writes after free) has its own
# suite: tests/shim_misuse.sh (ctest integration_shim_misuse).

echo "$ran programs run, $failed failed"
[ $failed -eq 0 ]
