#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/shim_small_windows.py LIBKMM_MALLOC_SO BENCH_DIR

What the small programs map of libkmm-malloc.so: the host maps a file's
pages in 64 KiB windows around each page touched, so a string or a function
in the wrong place costs every such process a window. The library's strings
that no small program reads lie in .rodata.cold, in a read-only segment
after the unwind tables, out of the first segment, which every process maps
whole (shim/cold_strings.py, cmake/shim.cmake). Checks:

  1. .rodata.cold exists, holds at least 8 KiB, starts on a 64 KiB boundary
     and lies in a PT_LOAD other than the first; the first PT_LOAD holds
     .rodata.hot and ends within 24 KiB, six pages (it held 60 KB with the
     strings; 31.9 KB, eight pages, while the strings and constants that
     only cold tables refer to stayed in it, before rss27); and the
     writable segment after the cold one starts on a page, so that its
     relocated part (RELRO, 9.5 KB) takes three pages, not four.
  2. Each small program (the ones shim/hot-symbols.txt was made from), run
     under the library and stopped at its exit by BENCH_DIR/rss_at_exit,
     has no page of that segment resident: had it read one string there,
     the host would have mapped the string's 64 KiB window. A string that
     a listed function reads but that the script sent to the cold section
     fails here (the first version of the script, which went by function
     names only, failed on start_cost: lib/vsprintf.c's callers share "%s").
  3. The contended lock's path (spin_lock_slow, sim_cpu_relax) ends in the
     code's first two windows, with what the small programs run: two threads
     of free_storm take it, callgrind (shim/hot_symbols.sh, whose check
     holds the rest of that code to two windows) never sees it, and listed
     with mt_churn's functions it mapped a third window of code, 64 KB, in
     5 of 6 runs of free_storm@2.

Exit status: 0 pass, 1 fail, 2 bad usage or a tool missing.
"""
import os
import re
import subprocess
import sys
import tempfile

PROGRAMS = [
    ['start_cost', '--child', '0'],
    ['thread_relay', '1', '20', '500', '200'],
    ['thread_relay', '2', '20', '500', '200'],
    ['free_storm', '1', '10', '2000'],
    ['free_storm', '2', '10', '2000'],
    ['small_churn', '100000', '2000', '1'],
    ['mt_churn', '2', '10000', '200'],
]


def sections(lib):
    out = subprocess.run(['readelf', '-SW', lib], capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.split('\n'):
        m = re.match(r'^\s+\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)', line)
        if m:
            res[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16))
    return res


def loads(lib):
    out = subprocess.run(['readelf', '-lW', lib], capture_output=True, text=True, check=True).stdout
    res = []
    for line in out.split('\n'):
        f = line.split()
        if f and f[0] == 'LOAD':
            res.append((int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[5], 16), 'E' in f[6:-1]))
    return res	# (offset, vaddr, filesz, memsz, executable)


def segment_of(segs, vaddr):
    for i, (off, va, fsz, msz, _) in enumerate(segs):
        if va <= vaddr < va + msz:
            return i
    return None


def resident_of(smaps, lib_name, offset):
    """Rss (KB) of the library's mapping at file offset @offset, or None."""
    cur, rss = None, None
    for line in smaps.split('\n'):
        m = re.match(r'^[0-9a-f]+-[0-9a-f]+ \S+ ([0-9a-f]+) \S+ \S+\s*(.*)$', line)
        if m:
            cur = int(m.group(1), 16) == offset and m.group(2).endswith(lib_name)
            continue
        if cur and line.startswith('Rss:'):
            rss = (rss or 0) + int(line.split()[1])
    return rss


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: shim_small_windows.py LIBKMM_MALLOC_SO BENCH_DIR\n')
        return 2
    lib, bench = os.path.abspath(argv[1]), argv[2]
    probe = os.path.join(bench, 'rss_at_exit')
    if not os.access(probe, os.X_OK):
        sys.stderr.write('no %s\n' % probe)
        return 2
    fails = 0
    secs, segs = sections(lib), loads(lib)
    cold, hot = secs.get('.rodata.cold'), secs.get('.rodata.hot')
    if not cold or not hot:
        print('FAIL layout: .rodata.hot %s, .rodata.cold %s (the linker script of shim/cold_strings.py '
              'was not used)' % ('present' if hot else 'missing', 'present' if cold else 'missing'))
        return 1
    cold_seg, hot_seg = segment_of(segs, cold[0]), segment_of(segs, hot[0])
    first_end = segs[0][1] + segs[0][3]
    print('.rodata.hot %d bytes, .rodata.cold %d bytes at 0x%x (segment %s); first segment ends at 0x%x'
          % (hot[2], cold[2], cold[0], cold_seg, first_end))
    if cold[2] < 8192 or cold[0] % 65536 or cold_seg in (None, 0) or hot_seg != 0 or first_end > 24 * 1024:
        print('FAIL layout: want the cold strings (>= 8 KiB) on a 64 KiB boundary outside the first '
              'segment, the hot ones in it, and the first segment within 24 KiB (six pages, every one '
              'resident in every process: shim/cold_strings.py says what it keeps there)')
        fails += 1
    after = segs[cold_seg + 1] if cold_seg is not None and cold_seg + 1 < len(segs) else None
    if not after or after[1] % 4096:
        print('FAIL layout: the segment after the cold strings starts at %s, not on a page'
              % (hex(after[1]) if after else 'nowhere'))
        fails += 1
    code = next((s for s in segs if s[4]), None)
    nm = subprocess.run(['nm', '-S', '--defined-only', lib], capture_output=True, text=True,
                        check=True).stdout
    ends = {}
    for line in nm.split('\n'):
        f = line.split()
        if len(f) == 4 and f[2] in 'tT':
            ends[f[3]] = int(f[0], 16) + int(f[1], 16)
    limit = code[1] // 65536 * 65536 + 2 * 65536 if code else 0
    for fn in ('spin_lock_slow', 'sim_cpu_relax'):
        if fn not in ends or ends[fn] > limit:
            print('FAIL %s ends at %s, past the code\'s first two windows (0x%x): list it at the end of '
                  'shim/hot-symbols.txt\'s second group' % (fn, hex(ends[fn]) if fn in ends else 'nowhere', limit))
            fails += 1
        else:
            print('ok   %s ends at 0x%x, in the code\'s first two windows' % (fn, ends[fn]))
    seg_off = segs[cold_seg][0] & ~0xfff if cold_seg else None
    lib_name = os.path.basename(lib)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'at_exit')
        for prog in PROGRAMS:
            env = dict(os.environ, LD_PRELOAD=lib)
            r = subprocess.run([probe, out, os.path.join(bench, prog[0])] + prog[1:], env=env,
                               stdout=subprocess.DEVNULL)
            name = ' '.join(prog)
            if r.returncode != 0:
                print('FAIL %s: exit status %d' % (name, r.returncode))
                fails += 1
                continue
            with open(out) as f:
                smaps = f.read()
            rss = resident_of(smaps, lib_name, seg_off) if seg_off is not None else None
            if rss is None:
                print('FAIL %s: no mapping of the cold segment (offset 0x%x) at exit' % (name, seg_off or 0))
                fails += 1
            elif rss:
                print('FAIL %s: %d KB of the cold strings\' segment resident (a listed function reads a '
                      'string of .rodata.cold)' % (name, rss))
                fails += 1
            else:
                print('ok   %s: cold segment 0 KB, first segment %d KB'
                      % (name, resident_of(smaps, lib_name, 0) or 0))
    print('shim_small_windows: %s' % ('FAIL' if fails else 'pass'))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
