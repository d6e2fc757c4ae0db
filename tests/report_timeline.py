#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/report_timeline.py - the report's timeline over long runs and events.

tests/report_data.py checks a short run, one point per command. This checks
what the recorder does when a run has more commands than the report keeps
points, and the counters that later layers feed:

  - merged points: the same script recorded with one point per command
    (--report-points 0) and with at most 8 points: the 8 points stand for
    `stride` commands each (a power of two), and each point's clock, command,
    number, free pages, buddy counts and counters are those of the last
    command it stands for, its `first` the first command, and its lowest free
    pages the minimum over all its commands (a dip inside a stride shows);
  - two machines in one run: each its own timeline, the commands numbered
    across the run;
  - commands that cannot touch the machine (`let` of literals and
    variables: the recorder reads nothing after them and repeats the last
    values read) have the values a full read gives: the same script with
    each such `let` replaced by one that reads a field ($p.errno, read in
    full) records the same timeline, with one point per command and with
    merged points, and a `let` between two allocations still shows the
    first one's free pages;
  - many processes: 30 processes spawned one after another (their columns
    widen the rows while a point is being read, and past 24 they are summed
    into procs.other): every point keeps its clock and free pages (the
    widening lost the values read before it: a clock and free pages of 0);
  - events: the OOM kills of examples/overcommit_always.kmm are on the
    timeline, as many as /proc/vmstat's oom_kill, and the first one at the
    command that caused it (`touch hog ...`);
  - the LRU columns end where /proc/vmstat's nr_*_anon/file/unevictable end;
  - reclaim and swap (examples/page_stealing.kmm): the swap-in/out, scan,
    steal, kswapd-run, allocation-stall and OOM counters end where
    /proc/vmstat's end, the processes' swap entries where /proc/PID/status's
    VmSwap ends, and the first swap-out, swap-in and OOM kill are at the
    commands that caused them.

Usage: tests/report_timeline.py KMM SOURCE_DIR   (exit 0 pass, 1 fail)
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_data import decode, report_data, kmm_out  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, flush=True)
    return cond


LONG = """boot mem=256M arch=i386
repeat 40 {
  alloc_pages order=3 count=4 -> $p
  let $x = 1
  free_pages $p
}
boot mem=128M arch=i386
repeat 10 { alloc_pages order=0 -> $q; free_pages $q }
"""


def columns(mach):
    return {k: decode(v) for k, v in mach["timeline"]["cols"].items()}


def merged_points(tmp, kmm):
    script = os.path.join(tmp, "long.kmm")
    open(script, "w").write(LONG)
    full_path, few_path = os.path.join(tmp, "full.html"), os.path.join(tmp, "few.html")
    kmm_out(kmm, "run", "-q", "--report", full_path, "--report-points", "0", script)
    kmm_out(kmm, "run", "-q", "--report", few_path, "--report-points", "8", script)
    _, full = report_data(full_path)
    _, few = report_data(few_path)
    # boot + 40 rounds of 3 on the first machine, boot + 10 rounds of 2 on the second
    ncmds = [1 + 40 * 3, 1 + 10 * 2]
    check(full["commands_run"] == few["commands_run"] == sum(ncmds),
          "commands run: %d and %d, the script has %d" % (full["commands_run"], few["commands_run"],
                                                          sum(ncmds)))
    check(len(full["machines"]) == len(few["machines"]) == 2, "two machines in each report")
    first_no = 1
    for mi, (mf, mm) in enumerate(zip(full["machines"], few["machines"])):
        f, g = columns(mf), columns(mm)
        tf, tg = mf["timeline"], mm["timeline"]
        check(tf["stride"] == 1 and tf["points"] == ncmds[mi],
              "machine %d: one point per command (%d points, stride %d)" % (mi, tf["points"], tf["stride"]))
        check(f["no"] == list(range(first_no, first_no + ncmds[mi])),
              "machine %d: commands numbered across the run from %d" % (mi, first_no))
        stride = tg["stride"]
        check(stride > 1 and stride & (stride - 1) == 0 and tg["points"] <= 8,
              "machine %d: at most 8 points, a power-of-two stride (%d points, stride %d)"
              % (mi, tg["points"], stride))
        check(tg["points"] == -(-ncmds[mi] // stride),
              "machine %d: %d points of %d commands for %d commands" % (mi, tg["points"], stride, ncmds[mi]))
        check(sorted(g) == sorted(f), "machine %d: the same columns" % mi)
        base = first_no
        for p in range(tg["points"]):
            last = g["no"][p] - base            # index into the full timeline
            first = g["first"][p] - base
            want_first = p * stride
            want_last = min((p + 1) * stride, ncmds[mi]) - 1
            if not check(first == want_first and last == want_last,
                         "machine %d point %d: commands %d..%d, want %d..%d"
                         % (mi, p, first, last, want_first, want_last)):
                break
            for k in g:
                if k in ("first",) or k.endswith(".freemin"):
                    continue
                if not check(g[k][p] == f[k][last], "machine %d point %d: %s is %d, the command's is %d"
                             % (mi, p, k, g[k][p], f[k][last])):
                    break
            for z in range(len(mm["zones"])):
                lo = min(f["z%d.free" % z][first:last + 1])
                check(g["z%d.freemin" % z][p] == lo, "machine %d point %d: zone %d's lowest free %d, "
                      "the commands' lowest %d" % (mi, p, z, g["z%d.freemin" % z][p], lo))
        # the dips are real: inside a stride free pages went below the point's value
        # (the first machine's order-3 blocks come from the buddy lists; the second's
        # order-0 pages from the per-CPU lists, which NR_FREE_PAGES does not count)
        check(mi or any(g["z%d.freemin" % z][p] < g["z%d.free" % z][p]
                        for z in range(len(mm["zones"])) for p in range(tg["points"])),
              "machine %d: some point's lowest free is below its last value" % mi)
        first_no += ncmds[mi]


HOST_ONLY = """boot mem=256M arch=i386
alloc_pages order=0 -> $p
repeat 37 {
  alloc_pages order=4 count=3 -> $q
  let $x = 1
  let $y = $x + 2
  free_pages $q
  alloc_pages order=5 -> $r
  let $z = 3
  let $w = 4
  let $v = 5
  free_pages $r
}
repeat 50 { let $u = 6 }
alloc_pages order=3 -> $s
let $t = 7
"""


def host_only_lets(tmp, kmm):
    """A `let` that reads no machine repeats the values read last: the same as a full read."""
    fast = HOST_ONLY
    full = re.sub(r"let \$(\w) = [^\n}]*", r"let $\1 = $p.errno ", HOST_ONLY)
    check(fast.count("let ") == full.count("$p.errno") == 7, "the second script reads a field in every let")
    per_cmd = None
    for points in ("0", "8", "64", "256", "300"):
        cols = []
        for name, text in (("fast", fast), ("full", full)):
            script = os.path.join(tmp, "%s.kmm" % name)
            open(script, "w").write(text)
            path = os.path.join(tmp, "%s-%s.html" % (name, points))
            kmm_out(kmm, "run", "-q", "--report", path, "--report-points", points, script)
            _, d = report_data(path)
            cols.append(columns(d["machines"][0]))
        a, b = cols
        if per_cmd is None:
            per_cmd = b             # one point per command, every let read in full
        # each point's lowest free pages: the lowest after each of its commands
        base = per_cmd["no"][0]
        for name, c in (("fast", a), ("full", b)):
            for z in [k[:-5] for k in c if k.endswith(".free")]:
                want = [min(per_cmd[z + ".free"][f - base:l - base + 1]) for f, l in zip(c["first"], c["no"])]
                bad = [i for i in range(len(want)) if c[z + ".freemin"][i] != want[i]]
                check(not bad, "points %s, %s: %s's lowest free pages wrong at points %s: %s, want %s"
                      % (points, name, z, bad[:4], [c[z + ".freemin"][i] for i in bad[:4]],
                         [want[i] for i in bad[:4]]))
        check(sorted(a) == sorted(b), "points %s: the same columns" % points)
        check(len(a["no"]) > 1, "points %s: %d points" % (points, len(a["no"])))
        for k in sorted(set(a) & set(b)):
            if k == "cmd":
                continue
            if not check(a[k] == b[k], "points %s: column %s differs where the lets read nothing: "
                         "%s against %s" % (points, k, a[k][:12], b[k][:12])):
                break
        if points != "0":   # orders 4 and 5 come from the buddy lists: a dip inside a point
            zs = [k[:-5] for k in a if k.endswith(".free")]
            check(any(x < y for z in zs for x, y in zip(a[z + ".freemin"], a[z + ".free"])),
                  "points %s: some point's lowest free is below its last value" % points)
        if points == "0":
            # one point per command: 1 boot + 1 + 37 * 9 + 50 + 2 commands
            check(len(a["no"]) == 1 + 1 + 37 * 9 + 50 + 2, "one point per command (%d)" % len(a["no"]))
            # the let after the order-3 allocation shows the allocation's free pages
            zs = [k for k in a if k.endswith(".free")]
            check(any(a[k][-1] == a[k][-2] for k in zs) and
                  any(a[k][-1] < a[k][0] for k in zs), "the last let repeats the last allocation's free pages")


def many_processes(tmp, kmm):
    """Columns added while a point is being read (a process's) keep the point's other values."""
    lines = ["boot mem=256M arch=i386"]
    for i in range(30):
        lines += ["spawn p%d" % i, "mmap p%d 64K rw private anon -> $m%d" % (i, i),
                  "touch p%d $m%d 64K write" % (i, i)]
    script = os.path.join(tmp, "many.kmm")
    open(script, "w").write("\n".join(lines) + "\n")
    path = os.path.join(tmp, "many.html")
    kmm_out(kmm, "run", "-q", "--report", path, script)
    _, d = report_data(path)
    c = columns(d["machines"][0])
    check(len(c["clock"]) == len(lines), "many processes: one point per command (%d)" % len(c["clock"]))
    check("procs.other" in c and len([k for k in c if k.endswith(".rss")]) == 24,
          "many processes: 24 processes by pid, the others summed")
    drops = [i for i in range(1, len(c["clock"])) if c["clock"][i] < c["clock"][i - 1]]
    check(not drops, "many processes: the clock goes back at points %s" % drops[:5])
    for z in [k for k in c if k.endswith(".free")]:
        check(min(c[z]) > 0, "many processes: %s is 0 at points %s" % (z, [i for i, v in enumerate(c[z]) if v <= 0][:5]))
    rss = [c["p%d.rss" % pid][-1] for pid in range(1, 25) if "p%d.rss" % pid in c]
    check(rss and all(v == rss[0] >= 16 for v in rss),
          "many processes: each resident its 16 touched pages and the same others at the end (%s)" % rss[:5])


def oom_events(tmp, kmm, src):
    script = os.path.join(src, "examples", "overcommit_always.kmm")
    path = os.path.join(tmp, "oom.html")
    kmm_out(kmm, "run", "-q", "--report", path, script)
    vmstat = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/vmstat")
    kills = int(re.search(r"^oom_kill (\d+)$", vmstat, re.M).group(1))
    check(kills >= 1, "the example kills (oom_kill %d)" % kills)
    _, d = report_data(path)
    mach = d["machines"][0]
    c = columns(mach)
    ev = c["ev.oom_kill"]
    check(ev[-1] == kills, "the timeline's OOM kills end at %d, /proc/vmstat says %d" % (ev[-1], kills))
    rises = [i for i in range(1, len(ev)) if ev[i] > ev[i - 1]]
    check(rises, "the OOM kills are on the timeline")
    if rises:
        text = d["commands"][c["cmd"][rises[0]]][2]
        check(text.startswith("touch hog"), "the first kill is at %r, the hog's touch" % text)
    lru = {"lru.active_anon": "nr_active_anon", "lru.inactive_anon": "nr_inactive_anon",
           "lru.active_file": "nr_active_file", "lru.inactive_file": "nr_inactive_file",
           "lru.unevictable": "nr_unevictable"}
    for col, name in lru.items():
        want = int(re.search(r"^%s (\d+)$" % name, vmstat, re.M).group(1))
        check(c[col][-1] == want, "%s ends at %d, /proc/vmstat %s %d" % (col, c[col][-1], name, want))


def reclaim_and_swap(tmp, kmm, src):
    """examples/page_stealing.kmm: reclaim, swap-out, swap-in and an OOM kill."""
    script = os.path.join(src, "examples", "page_stealing.kmm")
    path = os.path.join(tmp, "stealing.html")
    kmm_out(kmm, "run", "-q", "--report", path, script)
    vmstat = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/vmstat")
    status = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/2/status")
    vm = {k: int(v) for k, v in re.findall(r"^(\w+) (-?\d+)$", vmstat, re.M)}
    _, d = report_data(path)
    c = columns(d["machines"][0])
    want = {"ev.pswpin": vm["pswpin"], "ev.pswpout": vm["pswpout"],
            "ev.pgscan_kswapd": vm["pgscan_kswapd"], "ev.pgscan_direct": vm["pgscan_direct"],
            "ev.pgsteal_kswapd": vm["pgsteal_kswapd"], "ev.pgsteal_direct": vm["pgsteal_direct"],
            "ev.kswapd_runs": vm["pageoutrun"], "ev.oom_kill": vm["oom_kill"],
            "ev.allocstall": sum(v for k, v in vm.items() if k.startswith("allocstall_")),
            "lru.active_anon": vm["nr_active_anon"], "lru.inactive_anon": vm["nr_inactive_anon"],
            "lru.active_file": vm["nr_active_file"], "lru.inactive_file": vm["nr_inactive_file"],
            "lru.unevictable": vm["nr_unevictable"],
            # the processes' swap entries: only B (pid 2) is left
            # (the script prints B's status too: the last one is the end's)
            "swap": int(re.findall(r"^VmSwap:\s+(\d+) kB", status, re.M)[-1]) // 4}
    for col, w in want.items():
        check(c[col][-1] == w, "page_stealing: %s ends at %d, the machine says %d" % (col, c[col][-1], w))
    for col in ("ev.pswpout", "ev.pswpin", "ev.allocstall", "ev.kswapd_runs", "lru.inactive_anon"):
        check(max(c[col]) > 0, "page_stealing: %s moves" % col)

    def first_rise(col):
        v = c[col]
        i = next((i for i in range(1, len(v)) if v[i] > v[i - 1]), None)
        return None if i is None else d["commands"][c["cmd"][i]][2]
    check(first_rise("ev.oom_kill") == "write A $a 48M 0x11",
          "page_stealing: the OOM kill at A's write, not %r" % first_rise("ev.oom_kill"))
    check(first_rise("ev.pswpout") == "write B $b 48M 0x22",
          "page_stealing: the first swap-out at B's write, not %r" % first_rise("ev.pswpout"))
    check(first_rise("ev.pswpin") == "read B $b 4",
          "page_stealing: the first swap-in at B's read, not %r" % first_rise("ev.pswpin"))


def main(argv):
    kmm, src = argv[1], argv[2]
    tmp = tempfile.mkdtemp(prefix="kmm-timeline-")
    merged_points(tmp, kmm)
    host_only_lets(tmp, kmm)
    many_processes(tmp, kmm)
    oom_events(tmp, kmm, src)
    reclaim_and_swap(tmp, kmm, src)
    if FAILS:
        print("report_timeline: %d check(s) failed (files in %s)" % (len(FAILS), tmp))
        return 1
    print("report_timeline: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
