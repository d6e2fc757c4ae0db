#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/report_term.py - the terminal pictures, against kmm's /proc files.

After tests/report_known.kmm (8 order-10 blocks held in HighMem, a process):

  `buddyinfo --bars width=W` and `--pages`:
  - one block per populated zone, in /proc/buddyinfo's order, headed by the
    zone's free pages (/proc/zoneinfo's "pages free");
  - each order's count is /proc/buddyinfo's (times 2^order with --pages);
  - each bar is as long as its count against the zone's largest, in eighths
    of a cell: the largest fills W cells, a zero count draws nothing, any
    other count at least one eighth, and the length e (eighths) satisfies
    (e - 1) / 8W < count / largest <= e / 8W.

  `map width=W`:
  - one line per populated zone (/proc/zoneinfo), W cells between the rails;
  - "N% of X MiB in use": X the zone's spanned pages (this machine's zones
    have struct pages throughout), N the share not free (pages free and the
    per-CPU lists' counts of /proc/zoneinfo), rounded;
  - the cells wholly inside the held blocks (their pfns printed by `page $p`)
    are full (█).

Usage: tests/report_term.py KMM SOURCE_DIR   (exit 0 pass, 1 fail)
"""
import os
import re
import subprocess
import sys

FAILS = []
WIDTHS = "▏▎▍▌▋▊▉█"
HEIGHTS = "▁▂▃▄▅▆▇█"


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def kmm_out(kmm, *args):
    return subprocess.run([kmm] + list(args), check=True, capture_output=True, text=True).stdout


def zoneinfo(text):
    """Per zone with present pages: name, start_pfn, spanned, free, pcp (the lists' counts)."""
    zones, cur = [], None
    for line in text.splitlines():
        mz = re.match(r"Node (\d+), zone\s+(\S+)", line)
        if mz:
            cur = {"name": mz.group(2), "pcp": 0}
            zones.append(cur)
            continue
        if cur is None:
            continue
        kv = line.replace(":", " ").split()
        if len(kv) == 3 and kv[:2] == ["pages", "free"]:
            cur["free"] = int(kv[2])
        elif len(kv) == 2 and kv[0] in ("spanned", "present", "start_pfn"):
            cur[kv[0]] = int(kv[1])
        elif len(kv) == 2 and kv[0] == "count":
            cur["pcp"] += int(kv[1])
    return [z for z in zones if z.get("present")]


def bar_eighths(bar):
    """The length of a bar in eighths of a cell, or None if it holds other characters."""
    e = 0
    for ch in bar:
        if ch not in WIDTHS:
            return None
        e += WIDTHS.index(ch) + 1
    return e


def check_bars(text, buddy, zones, width, pages):
    blocks = re.split(r"(?m)^(?=Node \d+, zone)", text.strip())
    blocks = [b for b in blocks if b.strip()]
    check([re.match(r"Node \d+, zone\s+(\S+):", b).group(1) for b in blocks] == [z["name"] for z in zones],
          "bars: one block per populated zone, in order")
    for blk, z in zip(blocks, zones):
        head, *rows = blk.splitlines()
        m = re.search(r": (\d+) pages free, (free blocks|free pages) per order$", head)
        check(m and int(m.group(1)) == z["free"], "bars %s: heading says %s pages free, zoneinfo %d"
              % (z["name"], m and m.group(1), z["free"]))
        want = [c << o if pages else c for o, c in enumerate(buddy[z["name"]])]
        largest = max(want)
        check(len(rows) == len(want), "bars %s: one row per order" % z["name"])
        for o, (row, w) in enumerate(zip(rows, want)):
            r = re.match(r"  order +(\d+) +\d+ [KMG]iB (.*?) +(\d+)$", row)
            if not check(r, "bars %s: row %r reads as 'order N SIZE BAR COUNT'" % (z["name"], row)):
                continue
            bar = r.group(2).rstrip()
            e = bar_eighths(bar)
            check(int(r.group(1)) == o and int(r.group(3)) == w,
                  "bars %s order %d: count %s, /proc/buddyinfo makes %d" % (z["name"], o, r.group(3), w))
            if not check(e is not None, "bars %s order %d: the bar %r is block characters" % (z["name"], o, bar)):
                continue
            if w == 0:
                check(e == 0, "bars %s order %d: no bar for 0" % (z["name"], o))
            elif w == largest:
                check(e == 8 * width, "bars %s order %d: the largest fills %d cells (%d eighths)"
                      % (z["name"], o, width, e))
            else:
                check(e >= 1 and (e - 1) * largest < w * 8 * width <= e * largest,
                      "bars %s order %d: %d eighths for %d of %d" % (z["name"], o, e, w, largest))


def main(argv):
    kmm, src = argv[1], argv[2]
    script = os.path.join(src, "tests", "report_known.kmm")
    width = 20
    marker = "=== %s"
    out = kmm_out(kmm, "run", "-q", script,
                  "-e", "print '%s'" % (marker % "bars"), "-e", "buddyinfo --bars width=%d" % width,
                  "-e", "print '%s'" % (marker % "pages"), "-e", "buddyinfo --bars --pages width=%d" % width,
                  "-e", "print '%s'" % (marker % "map"), "-e", "map width=32",
                  "-e", "print '%s'" % (marker % "buddyinfo"), "-e", "cat /proc/buddyinfo",
                  "-e", "print '%s'" % (marker % "zoneinfo"), "-e", "cat /proc/zoneinfo")
    parts = dict(re.findall(r"(?ms)^=== (\w+)\n(.*?)(?=^=== |\Z)", out))
    check(set(parts) == {"bars", "pages", "map", "buddyinfo", "zoneinfo"}, "the outputs: %s" % sorted(parts))
    zones = zoneinfo(parts.get("zoneinfo", ""))
    check([z["name"] for z in zones] == ["DMA", "Normal", "HighMem"], "zoneinfo read: %s" % zones)
    buddy = {m.group(1): [int(x) for x in m.group(2).split()]
             for m in re.finditer(r"^Node \d+, zone\s+(\S+)\s+([\d ]+)$", parts.get("buddyinfo", ""), re.M)}
    check_bars(parts.get("bars", ""), buddy, zones, width, False)
    check_bars(parts.get("pages", ""), buddy, zones, width, True)

    # the map
    lines = parts.get("map", "").rstrip("\n").splitlines()
    check(len(lines) == len(zones) + 1 and lines[-1].startswith("a cell is 1/32 of its zone"),
          "map: a line per zone and the legend: %r" % lines)
    held = [int(x, 16) for x in re.findall(r"pfn 0x([0-9a-f]+)-0x[0-9a-f]+\s+phys", out)]
    check(len(held) == 8, "the scenario printed its 8 blocks")
    for line, z in zip(lines, zones):
        m = re.match(r"(\S+) +▕(.*)▏ +(\d+)% of (\d+) (MiB|KiB|GiB) in use$", line)
        if not check(m and m.group(1) == z["name"], "map: %r is zone %s's line" % (line, z["name"])):
            continue
        cells = m.group(2)
        check(len(cells) == 32 and all(c in HEIGHTS or c in " ·" for c in cells),
              "map %s: 32 cells of heights: %r" % (z["name"], cells))
        total = z["spanned"]
        used = total - z["free"] - z["pcp"]
        pct = (used * 100 + total // 2) // total
        check(int(m.group(3)) == pct, "map %s: %s%% in use, zoneinfo makes %d%% (%d of %d)"
              % (z["name"], m.group(3), pct, used, total))
        mib = total * 4 // 1024
        check(m.group(5) == "MiB" and int(m.group(4)) == mib, "map %s: %s %s, zoneinfo's span is %d MiB"
              % (z["name"], m.group(4), m.group(5), mib))
        if z["name"] != "HighMem" or len(cells) != 32:
            continue
        lo, hi = min(held) - z["start_pfn"], max(held) + 1024 - z["start_pfn"]
        inside = [c for c in range(32) if c * total // 32 >= lo and -(-(c + 1) * total // 32) <= hi]
        check(len(inside) >= 5 and all(cells[c] == "█" for c in inside),
              "map HighMem: the cells %s inside the held blocks are full: %r" % (inside, cells))
    if FAILS:
        print("report_term: %d check(s) failed" % len(FAILS))
        return 1
    print("report_term: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
