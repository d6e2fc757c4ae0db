#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/report_browser.py - the HTML report in a real headless browser.

Draws tests/report_known.kmm's report in Debian's Chromium, driven over the
DevTools protocol (tests/cdp.py, standard library only), and checks what a
person would see, against truths from outside the report:

  - the page loads with no console error, no uncaught exception and no
    request for anything but the file itself;
  - its memory map has one zone band per populated zone (/proc/zoneinfo),
    as wide as the pages the zone spans, in address order;
  - moving the mouse over a pageblock shows its pfn range (the block's
    size from /proc/pagetypeinfo);
  - each timeline chart has one point per command of the script;
  - the page-table walk drawn for a resident address ends at the frame
    `pagetable` (the scenario verb) names;
  - a screenshot, compared by structure and colour, not pixel by pixel: the
    zone colours run left to right in the zones' order with widths in
    proportion to their spans, the blocks the scenario holds are drawn in
    the "kernel" colour where their pfns are and the rest of HighMem in the
    "free" colour, and the charts' lines are drawn in their colours;
  - the report of examples/page_stealing.kmm (reclaim, swap, the OOM killer)
    draws the LRU and reclaim charts, and a mark for each rise of kswapd's
    runs, the allocation stalls and the OOM kills.

Without a browser (none installed and none installable: not root, no
apt-get, no network), the test is skipped: exit status 77, which ctest
reports as skipped (SKIP_RETURN_CODE), with a message saying why.

Usage: tests/report_browser.py KMM SOURCE_DIR [--keep DIR]
"""
import base64
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import report_data  # noqa: E402  (the page's data: decode(), report_data())

SKIP = 77
FAILS = []
ZONE_COLORS = {"DMA": (0x8e, 0x6b, 0xbf), "DMA32": (0x4f, 0x86, 0xc6), "Normal": (0x3a, 0xa3, 0x6b),
               "HighMem": (0xe0, 0xa3, 0x3a), "Movable": (0xc9, 0x5d, 0x63)}
USE_KERNEL = (0xc0, 0x39, 0x2b)
USE_FREE = (0xdc, 0xef, 0xdc)
FREE_LINE = (0x03, 0x98, 0x55)


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def near(a, b, tol=10):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def kmm_out(kmm, *args):
    return subprocess.run([kmm] + list(args), check=True, capture_output=True, text=True).stdout


def browser_or_skip(src):
    exe = cdp.find_chromium()
    if not exe:
        setup = os.path.join(src, "tests", "ensure_chromium.sh")
        r = subprocess.run(["sh", setup], capture_output=True, text=True)
        if r.returncode != 0:
            print("SKIPPED: no headless browser: %s" % (r.stdout + r.stderr).strip(), flush=True)
            sys.exit(SKIP)
        exe = cdp.find_chromium()
    if not exe:
        print("SKIPPED: chromium was installed but cannot be found on PATH", flush=True)
        sys.exit(SKIP)
    return exe


def runs(row, colors, tol=12):
    """The colours of @colors along @row, left to right, with how many pixels each
    has: a pixel near none of them (an edge, smoothed) is left out."""
    out = []
    for px in row:
        name = next((n for n, c in colors.items() if near(px, c, tol)), None)
        if name is None:
            continue
        if out and out[-1][0] == name:
            out[-1][1] += 1
        else:
            out.append([name, 1])
    return out


def page_errors(b, url):
    """What went wrong on the page so far: exceptions, console errors and warnings, requests."""
    errors = []
    for e in b.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append("exception: " + str(p.get("exceptionDetails", {}))[:300])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            errors.append("console.%s: %s" % (p["type"], str(p.get("args"))[:300]))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            errors.append("log: " + p["entry"].get("text", "")[:300])
        elif m == "Network.requestWillBeSent" and p["request"]["url"] != url:
            errors.append("request: " + p["request"]["url"][:200])
    return errors


def main(argv):
    kmm, src = argv[1], argv[2]
    keep = argv[argv.index("--keep") + 1] if "--keep" in argv else None
    exe = browser_or_skip(src)
    script = os.path.join(src, "tests", "report_known.kmm")
    cmds = [l.split()[0] for l in open(script) if l.strip() and not l.lstrip().startswith("#")]
    ncmds = len(cmds)
    tmp = keep or tempfile.mkdtemp(prefix="kmm-browser-")
    os.makedirs(tmp, exist_ok=True)
    page = os.path.join(tmp, "known.html")
    out = kmm_out(kmm, "run", "--report", page, script)
    held = [int(x, 16) for x in re.findall(r"pfn 0x([0-9a-f]+)-0x[0-9a-f]+\s+phys", out)]

    # truths from outside the report
    zinfo = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/zoneinfo")
    zones, start = [], []
    for blk in re.split(r"(?=^Node \d+, zone)", zinfo, flags=re.M):
        m = re.match(r"Node \d+, zone\s+(\S+)", blk)
        if not m or not int(re.search(r"present\s+(\d+)", blk).group(1)):
            continue  # an empty zone
        zones.append((m.group(1), int(re.search(r"spanned\s+(\d+)", blk).group(1))))
        start.append(int(re.search(r"start_pfn:\s+(\d+)", blk).group(1)))
    block = int(re.search(r"Pages per block:\s+(\d+)", kmm_out(
        kmm, "boot", "mem=1G", "arch=i386", "-q", "--cat", "/proc/pagetypeinfo")).group(1))
    walk = kmm_out(kmm, "run", "-q", script, "-e", "pagetable parent $buf")
    frame = re.search(r"-> pfn (0x[0-9a-f]+)", walk).group(1)
    check(len(zones) == 3, "zoneinfo read: %s" % zones)
    vmstat = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/vmstat")
    lru_pages = sum(int(x) for x in re.findall(r"^nr_(?:(?:in)?active_(?:anon|file)|unevictable) (\d+)$",
                                               vmstat, re.M))

    b = cdp.Browser(exe, width=1280, height=1000)
    try:
        for dom in ("Page", "Runtime", "Log", "Network"):
            b.call(dom + ".enable")
        url = "file://" + os.path.abspath(page)
        b.call("Page.navigate", url=url)
        b.wait_event("Page.loadEventFired")
        b.pump(0.3)
        ready = b.eval("document.body.getAttribute('data-ready')")
        check(ready == "1", "the page finished drawing (data-ready=%r)" % ready)
        check(not page_errors(b, url), "no console error, exception or request: %s" % page_errors(b, url))

        # zone bands: one per populated zone, widths in proportion to spanned pages
        bands = b.eval("""[...document.querySelectorAll('section.machine svg.memmap rect.zone-band')]
            .map(r => ({zone: r.getAttribute('data-zone'), x: +r.getAttribute('x'),
                        w: +r.getAttribute('width'), W: +r.ownerSVGElement.getAttribute('width')}))""")
        check([z["zone"] for z in bands] == [z[0] for z in zones],
              "one band per populated zone, in order: %s" % [z["zone"] for z in bands])
        if bands and len(bands) == len(zones):
            W = bands[0]["W"]
            maxpfn = b.eval("JSON.parse(document.getElementById('kmm-data').textContent).machines[0].max_pfn")
            for band, (name, spanned), st in zip(bands, zones, start):
                check(abs(band["w"] - spanned / maxpfn * W) < 0.5,
                      "band %s is %.2f wide, %d of %d pages make %.2f" % (name, band["w"], spanned, maxpfn,
                                                                          spanned / maxpfn * W))
                check(abs(band["x"] - st / maxpfn * W) < 0.5, "band %s starts at pfn %d" % (name, st))

        # hover a pageblock: the tooltip names its pfn range
        i = held[0] // block if held else 200
        box = b.eval("""(() => { const r = document.querySelector('section.machine svg.memmap [data-i="%d"]');
            r.scrollIntoView({block: 'center'}); const b = r.getBoundingClientRect();
            return {x: b.left + b.width / 2, y: b.top + b.height / 2}; })()""" % i)
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"], y=box["y"])
        tip = b.eval("(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()")
        want = "pfn 0x%x\u20130x%x" % (i * block, (i + 1) * block - 1)
        check(want in tip, "hovering pageblock %d shows %r; the tooltip says %r" % (i, want, tip[:200]))
        check("zone HighMem" in tip, "the tooltip names the zone")

        # the timeline: one point per command on every chart
        pts = b.eval("""[...document.querySelectorAll('section.machine .timeline svg.chart')]
            .map(s => [s.getAttribute('data-chart'), s.querySelectorAll('circle.point').length,
                       +(s.querySelector('polyline.series') || {getAttribute: () => 0}).getAttribute('data-points')])""")
        # the LRU chart is drawn when the LRU lists hold pages (the reclaim layer keeps them)
        want_charts = ["zone0", "zone1", "zone2", "kernel", "rss", "faults"] + (["lru"] if lru_pages else [])
        check([p[0] for p in pts] == want_charts, "the timeline has its charts %s: %s" % (want_charts, pts))
        # the processes exist from `spawn` on: the RSS chart starts there
        spawned = ncmds - cmds.index("spawn")
        for name, n, poly in pts:
            want = spawned if name == "rss" else ncmds
            check(n == want and poly == want, "chart %s: %d points and a %d-point line for %d commands"
                  % (name, n, poly, want))

        # the page-table walk of the parent's first resident page ends at the frame pagetable names
        res = b.eval("""(() => { const p = document.querySelector('.proc[data-pid="1"]');
            const i = p.querySelector('input'); i.value = '%s'; i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));
            return [...p.querySelectorAll('.walk-level')].map(g => g.getAttribute('data-level')).join(' ') + ' | ' +
                   p.querySelector('.walk-result').textContent; })()""" % re.search(r"walk of (0x[0-9a-f]+)", walk).group(1))
        check(res.startswith("PGD P4D PUD PMD PTE |"), "the walk draws the five levels: %r" % res)
        check("pfn %s," % frame in res, "the walk ends at pfn %s: %r" % (frame, res))

        # screenshots: zone colours and use colours along the map, a chart's line colour
        def shot(selector, mode):
            # the mouse away from the drawing (a hovered column is drawn lighter)
            b.call("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)
            if mode:
                b.eval("document.querySelector('section.machine input[value=\"%s\"]').click()" % mode)
            r = b.eval("""(() => { const e = document.querySelector('%s'); e.scrollIntoView({block: 'center'});
                const b = e.getBoundingClientRect();
                return {x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: b.height}; })()""" % selector)
            img = b.call("Page.captureScreenshot", format="png",
                         clip={"x": r["x"], "y": r["y"], "width": r["w"], "height": r["h"], "scale": 1})
            data = base64.b64decode(img["data"])
            if keep:
                open(os.path.join(tmp, selector.split()[-1].replace(".", "_") + "-" + (mode or "") + ".png"),
                     "wb").write(data)
            return cdp.png_decode(data)

        w, h, rows = shot("section.machine svg.memmap", "zone")
        maxpfn = b.eval("JSON.parse(document.getElementById('kmm-data').textContent).machines[0].max_pfn")
        for y, what in ((3, "zone bands"), (50, "pageblocks coloured by zone")):
            rs = runs(rows[y], ZONE_COLORS)
            check([r[0] for r in rs] == [z[0] for z in zones], "%s: colours left to right %s"
                  % (what, [(r[0], r[1]) for r in rs]))
            for (name, n), (zname, spanned) in zip(rs, zones):
                check(abs(n - spanned / maxpfn * w) <= 4, "%s: %s is %d pixels, its span makes %.1f"
                      % (what, name, n, spanned / maxpfn * w))
        w, h, rows = shot("section.machine svg.memmap", "use")
        y = 50
        for pfn in held:
            x0, x1 = int(pfn / maxpfn * w) + 1, int((pfn + 1024) / maxpfn * w) - 1
            seg = rows[y][x0:x1 + 1]
            check(seg and all(near(p, USE_KERNEL, 12) for p in seg),
                  "the held block at pfn 0x%x is drawn in the kernel colour: %s" % (pfn, seg[:3]))
        hs = [s for s in zones if s[0] == "HighMem"]
        hm_start = start[[z[0] for z in zones].index("HighMem")]
        free_px = [p for p in rows[y][int((hm_start + 10 * 1024) / maxpfn * w) + 1:w - 2]]
        check(hs and free_px and sum(near(p, USE_FREE, 12) for p in free_px) >= 0.9 * len(free_px),
              "the rest of HighMem is drawn in the free colour (%d of %d pixels)"
              % (sum(near(p, USE_FREE, 12) for p in free_px), len(free_px)))
        w, h, rows = shot("section.machine .timeline svg.chart[data-chart=\"zone2\"]", None)
        line = sum(1 for r in rows for p in r if near(p, FREE_LINE, 30))
        check(line >= 200, "the HighMem chart draws its free-pages line in its colour (%d pixels)" % line)

        # reclaim, swap and the OOM killer (examples/page_stealing.kmm): the LRU and reclaim
        # charts, and one event mark wherever /proc/vmstat's counter rose between two commands
        stealing = os.path.join(tmp, "stealing.html")
        kmm_out(kmm, "run", "-q", "--report", stealing, os.path.join(src, "examples", "page_stealing.kmm"))
        _, data = report_data.report_data(stealing)
        cols = {k: report_data.decode(v) for k, v in data["machines"][0]["timeline"]["cols"].items()}
        b.events.clear()
        url = "file://" + os.path.abspath(stealing)
        b.call("Page.navigate", url=url)
        b.wait_event("Page.loadEventFired")
        b.pump(0.3)
        check(b.eval("document.body.getAttribute('data-ready')") == "1", "the page_stealing report drew")
        check(not page_errors(b, url), "page_stealing: no console error, exception or request: %s"
              % page_errors(b, url))
        charts = b.eval("""[...document.querySelectorAll('section.machine .timeline svg.chart')]
            .map(s => s.getAttribute('data-chart'))""")
        check("lru" in charts and "reclaim" in charts, "LRU and reclaim charts drawn: %s" % charts)
        for ev in ("ev.kswapd_runs", "ev.allocstall", "ev.oom_kill"):
            v = cols[ev]
            rises = sum(1 for i in range(1, len(v)) if v[i] > v[i - 1])
            marks = b.eval("document.querySelectorAll('section.machine svg.events [data-event=\"%s\"]').length" % ev)
            check(rises > 0 and marks == rises, "%s: %d marks for %d rises" % (ev, marks, rises))
    finally:
        b.close()
    if FAILS:
        print("report_browser: %d check(s) failed (report: %s)" % (len(FAILS), page))
        return 1
    print("report_browser: all checks passed in %s" % exe)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
