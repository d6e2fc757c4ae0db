#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/malloc/run.sh - allocation-heavy workloads under glibc, kmm-malloc and,
# when installed (bench/malloc/install-peers.sh), jemalloc, mimalloc, tcmalloc.
#
# Every repetition runs every workload under every allocator, interleaved, so
# drift in the machine's load hits all allocators alike. Printed: the median
# wall time and the mean peak RSS under glibc, and each other allocator's as
# ratios to glibc's (below 1.00 is faster / smaller). A run whose output
# differs from glibc's is reported: the workloads are deterministic. The last
# row is each allocator's geometric mean of those ratios over the workloads
# that every allocator ran correctly (mimalloc 2.0 aborts in cxx_churn, whose
# failing operator new forms it does not serve as glibc does: left out).
#
# The threaded workloads (mt_churn, thread_relay, free_storm, small_churn on
# T threads, big_reuse, realloc_grow) run at 1, 2, 4 ... -t N threads
# (NAME@T), each thread doing a fixed amount of work, and the table shows
# kmm's speedup over its own one-thread run. With $KMM_BENCH_SUMMARY set (make bench), every ratio goes
# to that file for the closing summary (bench/summary.sh) as kmm / peer (this
# table's ratios are each allocator / glibc; the summary's are kmm / each
# peer, glibc among them), the threaded shapes named NAME@T; a pair where
# either run failed is marked there as not compared.
#
# usage: bench/malloc/run.sh [-n REPS] [-t N] [-b BUILD_DIR] [-q] [-H] [-P] [-R] [-F] [-w REGEX] [-r FILE]
#   -n  repetitions (default 5); -q quick inputs (a tenth of the work: for a
#       smoke run, never for figures: a small input's peak RSS is mostly the
#       allocator's fixed start cost, so its ratios say little)
#   -t  the largest thread count (default: the online CPUs)
#   -H  also kmm in its hardened mode (kmm-hard: KMM_MALLOC_HARDEN=1) and with
#       the slab allocator's debugging (kmm-debug: KMM_MALLOC_DEBUG=1)
#   -P  no peers: glibc and kmm only
#   -R  address randomisation off (setarch -R): see "Peak RSS" below
#   -F  every run under SCHED_FIFO (chrt -f 1), ahead of the machine's other
#       work: on a shared, loaded machine a threaded workload's threads then
#       run at once, as on a quiet one (without it, at a load of 4-6 on two
#       CPUs, they seldom overlapped: small_churn@2's wall ratio read 0.85
#       where the threads running at once gave 1.24, session 24). Needs the
#       right to use real-time priority (root, or RLIMIT_RTPRIO); a workload
#       that never blocks holds its CPUs for its whole run
#   -w  only the workloads whose name (NAME@T for the threaded ones) matches
#       the extended REGEX, e.g. -w '^(free_storm|mt_churn)@'
#   -r  also write every run's figures to FILE, one line each: workload
#       allocator microseconds peak-KB ok how %M-KB (how: hwm or %M, which
#       of the two peak-KB is; %M-KB: /usr/bin/time's figure beside it)
# Peak RSS is the whole process's: the program, its libraries and the
# allocator's own state, so a small program's ratio carries the allocator's
# fixed start cost (docs/malloc.md). It is VmHWM read from /proc/self/status
# as the program exits (a small library this script compiles and preloads
# beside the allocator; the largest of the processes the command ran), and
# the figure is the MEAN of the REPS runs, with address randomisation on, as
# programs run. Where a library lands modulo 64 KiB decides how many of its
# pages the host maps around each fault (fault-around: 64 KiB windows), so
# one program's peak takes a few values ~300 KB apart from run to run (libc's
# code: docs/malloc-measured.md, session 18); the mean over runs is what a
# process pays on average, where a median picks one of those values. For
# figures to act on, use more runs (-n 16). -R turns randomisation off: every
# run then maps the same pages, repeatable to the KB and right for comparing
# two builds of kmm, but glibc's libc lands elsewhere than libc beside the
# preloaded kmm, a fixed lottery that charged kmm ~290 KB on thread_relay@1
# (session 18): not a figure for kmm against glibc. Wall time is the median.
# /usr/bin/time's %M (wait4's maximum RSS) comes from the kernel's approximate
# per-CPU RSS counters on recent kernels and reads up to ~160 KB low, in
# steps: it stands in only where the reader could not be built or the program
# did not exit through exit() (the "how" column).
set -u
reps=5
build=""
quick=0
hard=0
peers=1
only=""
raw=""
fixed=0
fifo=0
maxt=$(nproc 2>/dev/null || echo 1)
while getopts "n:t:b:qHPRFw:r:" opt; do
	case $opt in
	n) reps=$OPTARG ;;
	t) maxt=$OPTARG ;;
	b) build=$OPTARG ;;
	q) quick=1 ;;
	H) hard=1 ;;
	P) peers=0 ;;
	R) fixed=1 ;;
	F) fifo=1 ;;
	w) only=$OPTARG ;;
	r) raw=$OPTARG ;;
	*) echo "usage: $0 [-n REPS] [-t N] [-b BUILD_DIR] [-q] [-H] [-P] [-R] [-F] [-w REGEX] [-r FILE]" >&2; exit 2 ;;
	esac
done
case $maxt in ''|*[!0-9]*|0) echo "run.sh: -t wants a thread count of 1 or more" >&2; exit 2 ;; esac
case $reps in ''|*[!0-9]*|0) echo "run.sh: -n wants a repetition count of 1 or more" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "$build" ]; then
	for d in "$src"/build "$src"/build-*; do
		[ -f "$d/libkmm-malloc.so" ] && build=$d && break
	done
fi
kmm=$build/libkmm-malloc.so
wl=$build/bench/malloc
if [ ! -f "$kmm" ] || [ ! -x "$wl/small_churn" ]; then
	echo "run.sh: build libkmm-malloc.so and the workloads first (cmake --build BUILD)" >&2
	exit 2
fi
libdir=/usr/lib/x86_64-linux-gnu
names=(glibc kmm)
libs=("" "$kmm")
envs=("" "")
if [ $hard = 1 ]; then
	names+=(kmm-hard kmm-debug)
	libs+=("$kmm" "$kmm")
	envs+=(KMM_MALLOC_HARDEN=1 KMM_MALLOC_DEBUG=1)
fi
for peer in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
	if [ $peers = 1 ] && [ -f "$libdir/${peer#*:}" ]; then
		names+=("${peer%%:*}")
		libs+=("$libdir/${peer#*:}")
		envs+=("")
	fi
done

tmp=$(mktemp -d /tmp/kmm-malloc-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$raw" ] && ! : >"$raw"; then
	echo "run.sh: -r '$raw': cannot write it" >&2
	exit 2
fi

# ---- how peak RSS is read ----
# The reader: at the program's exit, VmHWM of /proc/self/status appended to
# $KMM_BENCH_HWM_FILE as "kB\n", with open/read/write only (no malloc, no
# stdio: it must not add to what it measures).
cat >"$tmp/hwm.c" <<'CEOF'
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((destructor)) static void bench_hwm_at_exit(void)
{
	const char *out = getenv("KMM_BENCH_HWM_FILE");
	char buf[8192], num[24];
	ssize_t n, got = 0;
	int fd;

	if (!out || (fd = open("/proc/self/status", O_RDONLY)) < 0)
		return;
	while (got < (ssize_t)sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	char *p = strstr(buf, "\nVmHWM:");
	if (!p)
		return;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = 0;
	while (p[len] >= '0' && p[len] <= '9' && len < sizeof(num) - 2)
		num[len] = p[len], len++;
	num[len++] = '\n';
	if ((fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0600)) >= 0) {
		if (write(fd, num, len) != (ssize_t)len)
			len = 0;
		close(fd);
	}
}
CEOF
hwm=""
if ${CC:-cc} -O2 -shared -fPIC -o "$tmp/hwm.so" "$tmp/hwm.c" 2>"$tmp/hwm.err"; then
	hwm=$tmp/hwm.so
else
	echo "run.sh: could not build the VmHWM reader (${CC:-cc}); peak RSS is /usr/bin/time's %M" >&2
fi
norand=()
if [ $fixed = 1 ]; then
	if setarch "$(uname -m)" -R true 2>/dev/null; then
		norand=(setarch "$(uname -m)" -R)
	else
		echo "run.sh: setarch -R does not run here; address randomisation stays on" >&2
	fi
fi
rt=()
if [ $fifo = 1 ]; then
	if ! chrt -f 1 true 2>/dev/null; then
		echo "run.sh: -F: chrt -f 1 does not run here (no right to real-time priority)" >&2
		exit 2
	fi
	rt=(chrt -f 1)
fi
scale=1
[ $quick = 1 ] && scale=10

# ---- inputs ----
awk -v n=$((1000000 / scale)) 'BEGIN { srand(42); for (i = 0; i < n; i++) {
	w = ""; l = 3 + int(rand() * 20);
	for (j = 0; j < l; j++) w = w sprintf("%c", 97 + int(rand() * 26));
	printf "%s %d\n", w, int(rand() * 1000000) } }' >"$tmp/sort.in"
python=$(/usr/bin/python3 -c 'import sys; print(sys.executable)' 2>/dev/null ||
	python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
cat >"$tmp/alloc.py" <<PYEOF
import json
n = $((300000 / scale))
d = {("k%d" % i): [i, str(i) * (i % 7), {"x": i * 0.5}] for i in range(n)}
for i in range(0, n, 3):
    del d["k%d" % i]
blob = json.dumps(sorted(d.items())[: n // 3])
print(len(d), len(json.loads(blob)), sum(len(str(v)) for v in d.values()))
PYEOF
cat >"$tmp/hash.pl" <<PLEOF
my %h; my \$n = $((500000 / scale));
for my \$i (1 .. \$n) { \$h{"key\$i"} = [\$i, "v" x (\$i % 50)]; }
delete \$h{"key\$_"} for grep { \$_ % 3 == 0 } 1 .. \$n;
my @k = sort keys %h; print scalar(@k), " \$k[0] \$k[-1]\n";
PLEOF
have_sqlite=0
if command -v sqlite3 >/dev/null; then
	have_sqlite=1
	sqlite3 "$tmp/b.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < $((300000 / scale)))
INSERT INTO t SELECT i, printf('n%08d', (i*7919) % 300000), i % 101 FROM c;"
fi

workloads=(small_churn mixed_sizes cxx_churn sort python3 perl)
cmd_small_churn=("$wl/small_churn" $((4000000 / scale)) 100000)
cmd_mixed_sizes=("$wl/mixed_sizes" $((100000 / scale)) 1000)
cmd_cxx_churn=("$wl/cxx_churn" $((800000 / scale)))
cmd_sort=(sort "$tmp/sort.in")
cmd_python3=(env PYTHONMALLOC=malloc "$python" "$tmp/alloc.py")
cmd_perl=(perl "$tmp/hash.pl")
cmd_sqlite3=(sqlite3 "$tmp/b.db" "CREATE TEMP TABLE u AS SELECT * FROM t; CREATE INDEX temp.ui ON u(name); SELECT grp, count(*), max(name) FROM u GROUP BY grp ORDER BY 3 LIMIT 3;")
[ $have_sqlite = 1 ] && workloads+=(sqlite3)
[ -z "$python" ] && workloads=("${workloads[@]/python3/}")
# The threaded shapes, each thread a fixed amount of work, at 1, 2, 4 ... maxt threads.
counts=()
for ((t = 1; t < maxt; t *= 2)); do counts+=($t); done
counts+=($maxt)
for t in "${counts[@]}"; do
	workloads+=("mt_churn@$t" "thread_relay@$t" "free_storm@$t" "small_churn@$t" "big_reuse@$t" "realloc_grow@$t")
	declare -a "cmd_mt_churn_$t=(\"\$wl/mt_churn\" $t $((100000 / scale)) 2000)"
	declare -a "cmd_thread_relay_$t=(\"\$wl/thread_relay\" $t $((100 / scale)) 2000 1000)"
	declare -a "cmd_free_storm_$t=(\"\$wl/free_storm\" $t $((100 / scale)) 10000)"
	declare -a "cmd_small_churn_$t=(\"\$wl/small_churn\" $((1000000 / scale)) 20000 $t)"
	declare -a "cmd_big_reuse_$t=(\"\$wl/big_reuse\" $t $((1000 / scale)))"
	declare -a "cmd_realloc_grow_$t=(\"\$wl/realloc_grow\" $t $((30 / scale)))"
done

if [ -n "$only" ]; then
	kept=()
	for w in "${workloads[@]}"; do
		[ -n "$w" ] && [[ $w =~ $only ]] && kept+=("$w")
	done
	workloads=("${kept[@]}")
	[ ${#workloads[@]} = 0 ] && { echo "run.sh: no workload matches -w '$only'" >&2; exit 2; }
fi
echo "kmm-malloc benchmark: $reps interleaved repetitions; allocators: ${names[*]}"
echo "host: $(nproc) CPUs, $(uname -r); kmm: $kmm"
inputs="full inputs"
[ $quick = 1 ] && inputs="quick inputs (-q: a tenth of the work, a smoke run)"
echo "wall time: medians of $reps runs${rt:+ under SCHED_FIFO (chrt -f 1)}; peak RSS: means of $reps runs ($([ -n "$hwm" ] &&
	echo "VmHWM at exit" || echo "%M of /usr/bin/time"), $([ ${#norand[@]} -gt 0 ] &&
	echo "setarch -R: address randomisation off" || echo "address randomisation on")); $inputs"
: >"$tmp/results"
for ((r = 1; r <= reps; r++)); do
	for w in "${workloads[@]}"; do
		[ -z "$w" ] && continue
		declare -n cmd="cmd_${w/@/_}"
		for i in "${!names[@]}"; do
			n=${names[$i]}
			preload="${libs[$i]}${hwm:+${libs[$i]:+ }$hwm}"
			: >"$tmp/hwm"
			t0=$(date +%s%N)
			"${rt[@]}" /usr/bin/time -f '%M' -o "$tmp/rss" "${norand[@]}" env ${preload:+LD_PRELOAD="$preload"} \
				${hwm:+KMM_BENCH_HWM_FILE="$tmp/hwm"} ${envs[$i]} \
				"${cmd[@]}" >"$tmp/out.$w.$n" 2>"$tmp/err.$w.$n"
			rc=$?
			t1=$(date +%s%N)
			# the largest VmHWM of the processes that exited through exit(), else %M
			maxrss=$(tail -1 "$tmp/rss")
			rss=$(sort -n "$tmp/hwm" | tail -1)
			how=hwm
			[ -z "$rss" ] && rss=$maxrss && how=%M
			ok=1
			[ $rc -ne 0 ] && ok=0
			[ "$n" != glibc ] && ! cmp -s "$tmp/out.$w.glibc" "$tmp/out.$w.$n" && ok=0
			if [ $ok = 0 ]; then
				echo "  ! $w under $n: exit $rc or output differs from glibc" >&2
				head -3 "$tmp/err.$w.$n" >&2
			fi
			echo "$w $n $(((t1 - t0) / 1000)) $rss $ok" >>"$tmp/results"
			[ -n "$raw" ] && echo "$w $n $(((t1 - t0) / 1000)) $rss $ok $how $maxrss" >>"$raw"
		done
		unset -n cmd
	done
	echo "  repetition $r of $reps done" >&2
done

# ---- medians (time), means (peak RSS) and ratios ----
awk -v names="${names[*]}" -v wls="${workloads[*]}" -v summary="${KMM_BENCH_SUMMARY:-}" '
function median(key,   n, i, j, t, a) {
	n = split(vals[key], a, " ");
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
}
# peak RSS: the mean of the runs (the header says why)
function mean(key,   n, i, sum, a) {
	n = split(vals[key], a, " ");
	for (i = 1; i <= n; i++) sum += a[i];
	return n ? sum / n : 0;
}
{ vals[$1 " " $2 " t"] = vals[$1 " " $2 " t"] " " $3; vals[$1 " " $2 " m"] = vals[$1 " " $2 " m"] " " $4;
  if (!$5) bad[$1 " " $2] = 1 }
END {
	nn = split(names, nm, " "); nw = split(wls, wl, " ");
	printf "\n%-16s %9s %9s %8s", "workload", "glibc s", "glibc MiB", "kmm xT";
	for (i = 2; i <= nn; i++) printf " %19s", nm[i] " time/RSS";
	printf "\n";
	for (w = 1; w <= nw; w++) {
		gt = median(wl[w] " glibc t"); gm = mean(wl[w] " glibc m");
		# threaded shapes: kmm speedup over its one-thread run (same work per thread)
		sp = "-"; threads = 1; base = wl[w];
		if (split(wl[w], parts, "@") == 2) {
			base = parts[1]; threads = parts[2];
			t1 = median(base "@1 kmm t"); tt = median(wl[w] " kmm t");
			if (t1 > 0 && tt > 0) sp = sprintf("%.2fx", t1 * threads / tt);
		}
		printf "%-16s %9.3f %9.1f %8s", wl[w], gt / 1e6, gm / 1024, sp;
		for (i = 2; i <= nn; i++) {
			t = median(wl[w] " " nm[i] " t"); m = mean(wl[w] " " nm[i] " m");
			printf " %9.2f/%-8.2f%s", t / gt, m / gm, (wl[w] " " nm[i]) in bad ? "!" : " ";
		}
		printf "\n";
		# the geomean row: only workloads every allocator ran correctly
		allok = 1;
		for (i = 1; i <= nn; i++) if ((wl[w] " " nm[i]) in bad) allok = 0;
		if (allok && gt > 0 && gm > 0) {
			ng++;
			for (i = 2; i <= nn; i++) {
				gmt[i] += log(median(wl[w] " " nm[i] " t") / gt);
				gmm[i] += log(mean(wl[w] " " nm[i] " m") / gm);
			}
		} else {
			skipped = skipped " " wl[w];
		}
		# The summary: kmm / peer, time and peak RSS. A threaded shape is
		# named NAME@T with its thread count beside it, so that small_churn
		# (the single-thread input) and small_churn@T at 1 thread are two
		# rows a reader can tell apart. A pair where kmm or the peer failed
		# (or printed what glibc did not) gets "failed:WHO", not a ratio.
		if (summary != "") {
			sname = (wl[w] ~ /@/) ? base "@T" : base;
			kt = median(wl[w] " kmm t"); km = mean(wl[w] " kmm m");
			for (i = 1; i <= nn; i++) {
				if (nm[i] == "kmm" || nm[i] ~ /^kmm-/) continue;
				pt = median(wl[w] " " nm[i] " t"); pm = mean(wl[w] " " nm[i] " m");
				if ((wl[w] " kmm") in bad) {
					rt = rm = "failed:kmm";
				} else if ((wl[w] " " nm[i]) in bad) {
					rt = rm = "failed:" nm[i];
				} else if (pt > 0 && pm > 0) {
					rt = sprintf("%.17g", kt / pt); rm = sprintf("%.17g", km / pm);
				} else {
					continue;
				}
				printf "malloc\t%s time\t%d\t%s\t%s\n", sname, threads, nm[i], rt >> summary;
				printf "malloc\t%s peak RSS\t%d\t%s\t%s\n", sname, threads, nm[i], rm >> summary;
			}
		}
	}
	if (ng > 0) {
		printf "%-16s %9s %9s %8s", "geomean", "", "", "";
		for (i = 2; i <= nn; i++)
			printf " %9.2f/%-8.2f ", exp(gmt[i] / ng), exp(gmm[i] / ng);
		printf "\n";
		printf "geomean: of the %d workloads above that every allocator ran correctly", ng;
		if (skipped != "")
			printf " (left out:%s)", skipped;
		printf "\n";
	}
	printf "\nratios: median(allocator) / median(glibc) of time, mean / mean of peak RSS;\n";
	printf "\"!\" marks a failed or differing run;\n";
	printf "kmm xT: kmm'"'"'s speedup over its own one-thread run of the same shape (NAME@T: T threads)\n";
}' "$tmp/results"
