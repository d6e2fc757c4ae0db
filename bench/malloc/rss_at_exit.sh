#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/malloc/rss_at_exit.sh N BUILD_DIR NAME PROG [ARGS...]
#
# Peak RSS (VmHWM) of PROG at its exit under glibc and under BUILD_DIR's
# libkmm-malloc.so, N interleaved pairs, read by rss_at_exit (nothing else
# preloaded), and where libc's code landed in each kmm run: the phase of its
# r-x mapping modulo 64 KiB and its resident KB (docs/malloc-measured.md,
# "Where libc lands"). Prints glibc's means by libc's resident text (under
# / over 1,000 KB), then one line: the means, their ratio, kmm's mean by
# libc's resident text, and the ratio of each class's means (kmm / glibc).
#
# KMM_BASE_LIB=OTHER.so: a third run in each round, under that library (an
# older build, copied with dd), and a second line for it, so that two builds
# of kmm are compared in the same rounds as glibc.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: rss_at_exit.sh N BUILD_DIR NAME PROG [ARGS...]" >&2; exit 2; }
n=$1 build=$2 name=$3
shift 3
probe=$build/bench/malloc/rss_at_exit
lib=$build/libkmm-malloc.so
[ -x "$probe" ] && [ -r "$lib" ] || { echo "rss_at_exit.sh: no $probe or $lib (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 "$n"); do
	"$probe" "$tmp/glibc.$i" "$@" >/dev/null
	"$probe" "$tmp/kmm.$i" env LD_PRELOAD="$lib" "$@" >/dev/null
	if [ -n "${KMM_BASE_LIB:-}" ]; then
		"$probe" "$tmp/base.$i" env LD_PRELOAD="$KMM_BASE_LIB" "$@" >/dev/null
	fi
done
python3 - "$tmp" "$name" <<'PY'
import glob, re, statistics, sys
d, name = sys.argv[1], sys.argv[2]

def parse(path):
    hwm, libc_kb, phase, in_libc = None, 0, None, False
    for line in open(path):
        if line.startswith('VmHWM:'):
            hwm = int(line.split()[1])
        m = re.match(r'^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$', line)
        if m:
            in_libc = m.group(2) == 'r-xp' and 'libc.so' in m.group(3)
            if in_libc:
                phase = '0x%x' % (int(m.group(1), 16) % 0x10000)
        elif in_libc and line.startswith('Rss:'):
            libc_kb = int(line.split()[1])
    return hwm, libc_kb, phase

g = [parse(f) for f in glob.glob(d + '/glibc.*')]
gm = statistics.mean(x[0] for x in g)
part = lambda v: '%d x %.0f' % (len(v), statistics.mean(v)) if v else '-'
glow = [x[0] for x in g if x[1] < 1000]
ghigh = [x[0] for x in g if x[1] >= 1000]
print('%-16s glibc by libc text: < 1000 KB %s, >= 1000 KB %s' % ('', part(glow), part(ghigh)))
for run, label in (('kmm', name), ('base', '  (KMM_BASE_LIB)')):
    k = [parse(f) for f in glob.glob(d + '/%s.*' % run)]
    if not k:
        continue
    km = statistics.mean(x[0] for x in k)
    low = [x[0] for x in k if x[1] < 1000]
    high = [x[0] for x in k if x[1] >= 1000]
    # The same class's means, kmm / glibc: where libc landed moves both (docs/malloc-measured.md).
    by_class = ' '.join('%.3f' % (statistics.mean(kv) / statistics.mean(gv)) if kv and gv else '-'
                        for kv, gv in ((low, glow), (high, ghigh)))
    print('%-16s glibc %6.0f KB  kmm %6.0f KB  ratio %.3f | kmm libc text at %s | kmm by libc text: '
          '< 1000 KB %s, >= 1000 KB %s | ratio by class %s' % (label, gm, km, km / gm,
          ','.join(sorted({x[2] for x in k if x[2]})), part(low), part(high), by_class))
PY
