#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/report_data.py - the HTML report's data, checked without a browser.

Runs tests/report_known.kmm with `kmm run --report` and checks the file
against what kmm's own /proc files say (not against an earlier report):

  - self-contained: no URL, no external script, style, image or font;
  - deterministic: a second run writes the same bytes, and no host address
    (a pointer of the kmm process) shows;
  - one zone per populated zone of /proc/zoneinfo, with its span;
  - the memory map covers every pfn, in pageblocks of /proc/pagetypeinfo's
    size, each bin's frames counted once, the blocks the scenario holds
    (their pfns printed by `page $p`) in use, free pages adding up to
    /proc/meminfo's MemFree;
  - the timeline has one point per command of the script, in order, with the
    command texts, and free pages that end where /proc/zoneinfo ends;
  - the processes, their VMAs (/proc/PID/maps) and page tables, the slab
    cache and the vmalloc area the scenario made;
  - the other writers (other_writers()): `kmm check --report`, `kmm shell
    --report` fed the script on stdin and the `report` verb mid-run write the
    same machines;
  - a slab row's columns as /sys/kernel/slab/X/ counts them (slab_row()).

Usage: tests/report_data.py KMM SOURCE_DIR   (exit 0 pass, 1 fail)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what)
    return cond


def decode(s):
    """A column string: base-36 differences, D*COUNT for runs (cli/report_sample.c)."""
    out, v = [], 0
    if not s:
        return out
    for tok in s.split(","):
        d, _, n = tok.partition("*")
        d, n = int(d, 36), int(n, 36) if n else 1
        for _ in range(n):
            v += d
            out.append(v)
    return out


def report_data(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="kmm-data">(.*?)</script>', text, re.S)
    return text, json.loads(m.group(1))


def kmm_out(kmm, *args):
    return subprocess.run([kmm] + list(args), check=True, capture_output=True, text=True).stdout


def zoneinfo(kmm, script):
    """Per populated zone: (name, spanned, present, start_pfn, free) from /proc/zoneinfo."""
    text = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/zoneinfo")
    zones, cur = [], None
    for line in text.splitlines():
        mz = re.match(r"Node (\d+), zone\s+(\S+)", line)
        if mz:
            cur = {"nid": int(mz.group(1)), "name": mz.group(2)}
            zones.append(cur)
            continue
        kv = line.replace(":", " ").split()
        if cur is not None and len(kv) == 2 and kv[0] in ("spanned", "present", "start_pfn"):
            cur[kv[0]] = int(kv[1])
        if cur is not None and len(kv) == 2 and kv[0] == "nr_free_pages" and "free" not in cur:
            cur["free"] = int(kv[1])
    return [z for z in zones if z.get("present")]


def other_writers(kmm, script, commands, tmp, d):
    """The other ways to write a report, on the same scenario: `kmm check --report` (the
    same data as `kmm run --report`), `kmm shell --report` with the script typed on its
    standard input (written when the shell ends: the same machines, the commands as
    <stdin>'s lines) and the `report` verb (the run so far: mid-run, the same machines and
    commands as a run that ends there; the run then goes on)."""
    ck = os.path.join(tmp, "check.html")
    kmm_out(kmm, "check", "--report", ck, script)
    check(os.path.exists(ck) and report_data(ck)[1] == d, "kmm check --report writes what kmm run --report writes")
    sh = os.path.join(tmp, "shell.html")
    r = subprocess.run([kmm, "shell", "--report", sh], input="".join(commands), capture_output=True, text=True)
    if check(r.returncode == 0 and os.path.exists(sh), "kmm shell --report: exit %d, the file written at the end (%s)"
             % (r.returncode, r.stderr[-200:])):
        _, ds = report_data(sh)
        check(ds["machines"] == d["machines"], "kmm shell --report: the machines and timeline of kmm run --report")
        want = [["<stdin>", i + 1, c.strip()] for i, c in enumerate(commands)]
        check(ds["commands"] == want, "kmm shell --report: the commands as typed: %s" % ds["commands"][:3])
    mid, end = os.path.join(tmp, "mid.html"), os.path.join(tmp, "end.html")
    kmm_out(kmm, "run", "-q", "--report", end, script, "-e", "report " + mid, "-e", "free_pages $p")
    if check(os.path.exists(mid), "the report verb wrote its file"):
        _, dm = report_data(mid)
        check(dm["machines"] == d["machines"] and dm["commands"] == d["commands"],
              "the report verb: the run so far, as a run that ends there")
    _, de = report_data(end)
    check(de["machines"][0]["timeline"]["points"] == len(commands) + 2,
          "after the report verb the run goes on: %d points at the end for %d commands"
          % (de["machines"][0]["timeline"]["points"], len(commands) + 2))


SLAB_SCRIPT = """boot mem=256M maxcpus=2
kmem_cache_create demo 256
kmem_cache_alloc demo count=128 -> $objs
kmem_cache_free demo $objs
"""


def slab_row(kmm, tmp):
    """The slab row of a cache whose slabs are all the CPU's (its cpu slab and seven on its
    partial list, as examples/slab_lifecycle.kmm shows): the columns as /sys/kernel/slab/demo/
    counts them ("cpu" is cpu_slabs, a CPU's slab and its partial list), adding up to slabs."""
    script, html = os.path.join(tmp, "slab.kmm"), os.path.join(tmp, "slab.html")
    with open(script, "w") as f:
        f.write(SLAB_SCRIPT)
    kmm_out(kmm, "run", "-q", "--report", html, script)
    c = {c["name"]: c for c in report_data(html)[1]["machines"][0]["slab"]}["demo"]
    sysfs = {}
    for name in ("slabs", "partial", "cpu_slabs"):
        out = kmm_out(kmm, "run", "-q", script, "-e", "cat /sys/kernel/slab/demo/" + name)
        sysfs[name] = int(out.split()[0])
    check(sysfs["cpu_slabs"] == 8, "the scenario leaves 8 slabs with the CPU, got %d" % sysfs["cpu_slabs"])
    check(c["cpu"] == sysfs["cpu_slabs"], "slab row: cpu %d, /sys/kernel/slab/demo/cpu_slabs %d"
          % (c["cpu"], sysfs["cpu_slabs"]))
    check(c["slabs"] == sysfs["slabs"], "slab row: slabs %d, sysfs %d" % (c["slabs"], sysfs["slabs"]))
    check(c["partial"] + c["empty"] == sysfs["partial"], "slab row: partial + empty %d, sysfs partial %d"
          % (c["partial"] + c["empty"], sysfs["partial"]))
    check(c["full"] + c["partial"] + c["empty"] + c["cpu"] == c["slabs"],
          "slab row: full + partial + empty + cpu = slabs (%s)" % c)


def main(argv):
    kmm, src = argv[1], argv[2]
    script = os.path.join(src, "tests", "report_known.kmm")
    commands = [l for l in open(script) if l.strip() and not l.lstrip().startswith("#")]
    tmp = tempfile.mkdtemp(prefix="kmm-report-")
    a, b = os.path.join(tmp, "a.html"), os.path.join(tmp, "b.html")
    out = kmm_out(kmm, "run", "--report", a, script)
    kmm_out(kmm, "run", "--report", b, script)
    text, d = report_data(a)
    check(open(a, "rb").read() == open(b, "rb").read(), "two runs write the same bytes")
    check(not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/|<link |<img |@import|url\((?!#)",
                        text.replace("http://www.w3.org/2000/svg", "")),
          "nothing in the page points outside it")
    check(not re.search(r"<script[^>]* src=", text), "no external script")
    # no host address: kmm's own addresses are the simulated machine's (an i386 kernel's
    # 0xc..., user space below 0xc0000000); a pointer of this process would be 0x55.../0x7f...
    host = re.findall(r"0x(?:5[5-6]|7f)[0-9a-f]{10}\b", text)
    check(not host, "no host address in the page: %s" % host[:3])
    check(len(d["machines"]) == 1, "one machine")
    mach = d["machines"][0]

    # zones against /proc/zoneinfo
    want = zoneinfo(kmm, script)
    got = mach["zones"]
    check([z["name"] for z in got] == [z["name"] for z in want],
          "zones %s, /proc/zoneinfo has %s" % ([z["name"] for z in got], [z["name"] for z in want]))
    for g, w in zip(got, want):
        check(g["spanned"] == w["spanned"] and g["start"] == w["start_pfn"] and
              g["present"] == w["present"], "zone %s span matches zoneinfo" % w["name"])
        check(g["end"] - g["start"] == g["spanned"], "zone %s end - start == spanned" % w["name"])
        check(g["free"] == w["free"], "zone %s free %d, zoneinfo %d" % (w["name"], g["free"], w["free"]))

    # the memory map
    ptinfo = kmm_out(kmm, "boot", "mem=1G", "arch=i386", "-q", "--cat", "/proc/pagetypeinfo")
    block = int(re.search(r"Pages per block:\s+(\d+)", ptinfo).group(1))
    mp = mach["map"]
    check(mp["bin"] == block, "bins are pageblocks (%d pages), got %d" % (block, mp["bin"]))
    check(mp["bins"] * mp["bin"] >= mach["max_pfn"] > (mp["bins"] - 1) * mp["bin"],
          "the bins cover pfn 0 to max_pfn")
    use = {k: decode(v) for k, v in mp["use"].items()}
    for k, v in use.items():
        check(len(v) == mp["bins"], "use %s has one count per bin" % k)
    for i in range(mp["bins"]):
        tot = sum(use[k][i] for k in use)
        if not check(tot <= mp["bin"], "bin %d counts %d frames, at most %d" % (i, tot, mp["bin"])):
            break
    memfree = int(re.search(r"MemFree:\s+(\d+)", kmm_out(kmm, "run", "-q", script, "-e",
                                                         "cat /proc/meminfo")).group(1))
    # MemFree is the buddy allocator's free pages (NR_FREE_PAGES), per-CPU lists apart
    check(sum(use["free"]) * 4 == memfree,
          "free frames in the map (%d) make MemFree (%d kB)" % (sum(use["free"]), memfree))
    held = [int(x, 16) for x in re.findall(r"pfn 0x([0-9a-f]+)-0x[0-9a-f]+\s+phys", out)]
    check(len(held) == 8, "the scenario printed its 8 blocks")
    zone_of = decode(mp["zone"])
    hm = [z["name"] for z in got].index("HighMem")
    for pfn in held:
        i = pfn // mp["bin"]
        check(use["kernel"][i] == mp["bin"], "bin of pfn 0x%x is all in use (kernel)" % pfn)
        check(zone_of[i] == hm, "bin of pfn 0x%x is in HighMem" % pfn)

    # the timeline: one point per command, in order
    tl = mach["timeline"]
    check(tl["points"] == len(commands), "%d points for %d commands" % (tl["points"], len(commands)))
    check(tl["stride"] == 1, "one command per point")
    cols = {k: decode(v) for k, v in tl["cols"].items()}
    for k, v in cols.items():
        check(len(v) == tl["points"], "column %s has %d values" % (k, len(v)))
    texts = [d["commands"][i][2] for i in cols["cmd"]]
    check(texts == [c.strip() for c in commands], "the points' commands are the script's, in order")
    check(cols["no"] == list(range(1, len(commands) + 1)), "commands numbered 1..N")
    check(all(x <= y for x, y in zip(cols["clock"], cols["clock"][1:])), "the clock never goes back")
    for zi, w in enumerate(want):
        check(cols["z%d.free" % zi][-1] == w["free"], "zone %s's last point is zoneinfo's free" % w["name"])
    k = [c.split()[0] for c in commands].index("alloc_pages")
    check(cols["z%d.free" % hm][k] == cols["z%d.free" % hm][k - 1] - 8 * 1024,
          "the alloc_pages point has 8192 fewer free HighMem pages")

    # processes, slab, vmalloc
    procs = {p["comm"]: p for p in mach["procs"]}
    check(set(procs) == {"parent", "child"}, "two processes")
    maps = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/1/maps")
    vmas = [l.split()[0].split("-") for l in maps.splitlines() if re.match(r"[0-9a-f]+-", l)]
    check([[int(s, 16), int(e, 16)] for s, e in vmas] ==
          [[int(v[0], 16), int(v[1], 16)] for v in procs["parent"]["vmas"]], "parent's VMAs are /proc/1/maps")
    pt = procs["parent"]["pt"]
    leaves = [e for e in pt["entries"] if pt["tables"][e[0]][1] == 4 and int(e[2], 16) & 1]
    check(len(leaves) == procs["parent"]["rss_anon"] + procs["parent"]["rss_file"],
          "present PTEs of parent (%d) = its RSS" % len(leaves))
    slab = {c["name"]: c for c in mach["slab"]}
    check("report_test" in slab and slab["report_test"]["active"] == 100, "the cache with 100 objects")
    areas = [a for a in mach["vmalloc"]["areas"] if a[3] == "report_test_init"]
    check(len(areas) == 1 and areas[0][2] == 65536 + 4096, "the vmalloc area (64K + guard)")
    other_writers(kmm, script, commands, tmp, d)
    slab_row(kmm, tmp)
    if FAILS:
        print("report_data: %d check(s) failed" % len(FAILS))
        return 1
    print("report_data: all checks passed (%d commands, %d bins)" % (len(commands), mp["bins"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
