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
  - each timeline chart has one point per command of the script, placed by
    its virtual clock on the x axis (or its command number, switched), and
    hovering a point shows its command as the script has it, its virtual
    clock and its values;
  - the page-table walk drawn for a resident address ends at the frame
    `pagetable` (the scenario verb) names;
  - a screenshot, compared by structure and colour, not pixel by pixel: the
    zone colours run left to right in the zones' order with widths in
    proportion to their spans, the blocks the scenario holds are drawn in
    the "kernel" colour where their pfns are and the rest of HighMem in the
    "free" colour, and the charts' lines are drawn in their colours;
  - the report of examples/page_stealing.kmm (reclaim, swap, the OOM killer)
    draws the LRU and reclaim charts, and a mark for each rise of kswapd's
    runs, the allocation stalls and the OOM kills;
  - the other pictures (pictures() below), each against /proc or the
    scenario's own output: the map zoomed (the + button and a drag across
    the held blocks: the range, the bins drawn and the held blocks' pixels);
    the colouring switched to migrate type (each zone's pageblocks of each
    type as many as /proc/pagetypeinfo counts, in the DOM and in pixels,
    and the legend) and back to use; the buddy heat map (per zone and
    order, a cell where /proc/buddyinfo has blocks, after boot and at the
    end, darker for more, in pixels too; the bars of now, each migrate
    type's segment as /proc/pagetypeinfo counts its free blocks); the slab caches (report_test's
    objects and slabs as /proc/slabinfo and /sys/kernel/slab say, the bar in
    proportion, largest first); the vmalloc map (one area per line of
    /proc/vmallocinfo, placed to scale in VmallocTotal, its caller on
    hover); the address spaces (one mapping per line of /proc/PID/maps, to
    scale, coloured by permission, the touched buffer all resident); the
    page-table walk of the parent and the child at a copied and a shared
    page and at an unmapped address, level by level as `pagetable` prints
    it;
  - the vmalloc map of areas far below a pixel, one just above the 2-pixel
    minimum and large ones (vmalloc_areas()): each as wide as it is or 2
    pixels, in the DOM and in pixels, none hidden under a neighbour;
  - the slab caches of a scenario whose order by pages is none of the order
    by slabs, objects, name or creation (slab_order()): largest first;
  - the four reports `make reports` writes (example_reports()): each opens
    without an error and draws every machine with each of its pictures.

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


def screenshot(b, selector, mode, keep_dir):
    """The pixels of the element @selector (after choosing colouring @mode, if any)."""
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)  # no hovered column
    if mode:
        b.eval("document.querySelector('section.machine input[value=\"%s\"]').click()" % mode)
    r = b.eval("""(() => { const e = document.querySelector('%s'); e.scrollIntoView({block: 'center'});
        const b = e.getBoundingClientRect();
        return {x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: b.height}; })()""" % selector)
    img = b.call("Page.captureScreenshot", format="png",
                 clip={"x": r["x"], "y": r["y"], "width": r["w"], "height": r["h"], "scale": 1})
    data = base64.b64decode(img["data"])
    if keep_dir:
        name = re.sub(r"[^A-Za-z0-9]+", "_", selector + "-" + (mode or "")).strip("_")
        open(os.path.join(keep_dir, name + ".png"), "wb").write(data)
    return cdp.png_decode(data)


def hexcolor(s):
    return tuple(int(s[i:i + 2], 16) for i in (1, 3, 5))


MT_NAMES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"]
MT_COLORS = [hexcolor(c) for c in ("#c0504d", "#4bacc6", "#9bbb59", "#8064a2", "#f79646", "#7f7f7f")]
PERM_COLORS = {"text": "#16a085", "writable": "#2e86de", "read-only": "#7a5af8", "none": "#d0d5dd"}


def rgb_of(fill):
    """An SVG fill as (r, g, b): '#rrggbb' or 'rgb(r, g, b)'."""
    if fill.startswith("#"):
        return hexcolor(fill)
    return tuple(int(x) for x in re.findall(r"\d+", fill)[:3])


def pictures(b, kmm, script, shot, zones, start, block, held):
    """The pictures not checked above: zoom, migrate types, heat map, slab, vmalloc, address spaces, walks."""
    def out(*cmds):
        args = ["run", "-q", script]
        for c in cmds:
            args += ["-e", c]
        return kmm_out(kmm, *args)
    data = b.eval("JSON.parse(document.getElementById('kmm-data').textContent).machines[0]")
    maxpfn = data["max_pfn"]
    ends = [st + sp for (_, sp), st in zip(zones, start)]

    # ---- colouring by migrate type: each zone's pageblocks of each type as /proc/pagetypeinfo counts
    pti = out("cat /proc/pagetypeinfo")
    head = re.search(r"^Number of blocks type\s+(.*)$", pti, re.M).group(1).split()
    want_mt = {}
    for m in re.finditer(r"^Node\s+\d+, zone\s+(\S+)\s+([\d ]+)$", pti[pti.index("Number of blocks type"):], re.M):
        want_mt[m.group(1)] = dict(zip(head, (int(x) for x in m.group(2).split())))
    b.eval("document.querySelector('section.machine input[value=\"mt\"]').click()")
    bins = b.eval("""[...document.querySelectorAll('section.machine svg.memmap rect.bin')]
        .map(r => [+r.getAttribute('data-i'), r.getAttribute('fill')])""")
    got = {z: {} for z, _ in zones}
    for i, fill in bins:
        c = rgb_of(fill)
        t = next((MT_NAMES[k] for k, mc in enumerate(MT_COLORS) if near(c, mc, 2)), None)
        # a block at the edge of two zones counts in both, as /proc/pagetypeinfo counts it
        for (zn, _), st, en in zip(zones, start, ends):
            if t and i * block < en and (i + 1) * block > st:
                got[zn][t] = got[zn].get(t, 0) + 1
    for z, _ in zones:
        w = {t: n for t, n in want_mt.get(z, {}).items() if n}
        check(got[z] == w, "migrate types: zone %s's pageblocks by colour %s, /proc/pagetypeinfo %s" % (z, got[z], w))
    leg = b.eval("[...document.querySelectorAll('section.machine .legend')][0].textContent")
    check(all(n in leg for n in MT_NAMES), "migrate types: the legend names the types: %r" % leg)
    w, h, rows = shot("section.machine svg.memmap", None)
    px = {}
    for p in rows[50]:
        k = next((MT_NAMES[k] for k, mc in enumerate(MT_COLORS) if near(p, mc, 12)), None)
        if k:
            px[k] = px.get(k, 0) + 1
    for t in set(px) | {t for z in want_mt.values() for t, n in z.items() if n}:
        n = sum(z.get(t, 0) for z in want_mt.values())
        exp = n * block / maxpfn * w
        check(abs(px.get(t, 0) - exp) <= 2 + n, "migrate types in pixels: %s is %d pixels wide, %d blocks make %.1f"
              % (t, px.get(t, 0), n, exp))
    # switched back to use: the held blocks in the kernel colour again, the legend the uses
    w, h, rows = shot("section.machine svg.memmap", "use")
    x0 = int(held[0] / maxpfn * w) + 1
    check(near(rows[50][x0], USE_KERNEL, 12), "switched back to use: the held block in the kernel colour %s"
          % (rows[50][x0],))
    leg = b.eval("[...document.querySelectorAll('section.machine .legend')][0].textContent")
    check("slab" in leg and "pagetable" in leg and "Movable" not in leg, "the legend follows the colouring: %r" % leg)

    # ---- zoom: the + button halves the range around its middle; a drag zooms into what it covers
    def view():
        return b.eval("""(() => { const s = document.querySelector('section.machine svg.memmap');
            const bins = [...s.querySelectorAll('g.bins [data-i]')].map(r => +r.getAttribute('data-i'));
            const bands = [...s.querySelectorAll('rect.zone-band')].map(r => [r.getAttribute('data-zone'),
                +r.getAttribute('x'), +r.getAttribute('width')]);
            const r = s.getBoundingClientRect();
            return {lo: Math.min(...bins), hi: Math.max(...bins), bands, W: +s.getAttribute('width'),
                    left: r.left, top: r.top,
                    range: s.closest('.panel').querySelector('.controls .note').textContent}; })()""")
    b.eval("[...document.querySelectorAll('section.machine .controls button')].find(e => e.textContent === '+').click()")
    v = view()
    v0, v1 = maxpfn / 4, maxpfn * 3 / 4
    check(v["range"] == "pfn 0x%x\u20130x%x" % (int(v0), int(-(-v1 // 1)) - 1),
          "zoom +: the range shown is the middle half: %r" % v["range"])
    check(v["lo"] == int(v0 // block) and v["hi"] == int(-(-v1 // block)) - 1,
          "zoom +: bins %d..%d drawn, want %d..%d" % (v["lo"], v["hi"], v0 // block, -(-v1 // block) - 1))
    for name, x, wd in v["bands"]:
        k = [z[0] for z in zones].index(name)
        a, e = max(start[k], v0), min(ends[k], v1)
        check(abs(x - (a - v0) / (v1 - v0) * v["W"]) < 0.5 and abs(wd - (e - a) / (v1 - v0) * v["W"]) < 0.5,
              "zoom +: band %s at x %.1f width %.1f" % (name, x, wd))
    b.eval("[...document.querySelectorAll('section.machine .controls button')].find(e => e.textContent === 'all').click()")
    v = view()
    check(v["lo"] == 0 and v["range"].endswith("0x%x" % (maxpfn - 1)), "zoom all: the whole memory again: %r" % v["range"])
    # drag across the held blocks, from 2 blocks before them to 2 after
    a_pfn, b_pfn = held[0] - 2 * block, held[-1] + 3 * block
    b.eval("document.querySelector('section.machine svg.memmap').scrollIntoView({block: 'center'})")
    v = view()
    xa = v["left"] + a_pfn / maxpfn * v["W"]
    xb = v["left"] + b_pfn / maxpfn * v["W"]
    y = v["top"] + 50
    b.call("Input.dispatchMouseEvent", type="mousePressed", x=xa, y=y, button="left", clickCount=1)
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=(xa + xb) / 2, y=y, button="left")
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=xb, y=y, button="left")
    b.call("Input.dispatchMouseEvent", type="mouseReleased", x=xb, y=y, button="left", clickCount=1)
    v = view()
    m = re.match(r"pfn 0x([0-9a-f]+)\u2013(0x[0-9a-f]+)", v["range"])
    lo, hi = (int(m.group(1), 16), int(m.group(2), 16) + 1) if m else (0, maxpfn)
    px_pfn = maxpfn / v["W"]          # a pixel of the whole map, in pages: the drag's precision
    check(abs(lo - a_pfn) <= 2 * px_pfn and abs(hi - b_pfn) <= 2 * px_pfn,
          "drag zoom: range %r, the drag covered pfn 0x%x-0x%x" % (v["range"], a_pfn, b_pfn))
    w, h, rows = shot("section.machine svg.memmap", None)
    kern = [x for x, p in enumerate(rows[50]) if near(p, USE_KERNEL, 12)]
    want_a = (held[0] - lo) / (hi - lo) * w
    want_b = (held[-1] + block - lo) / (hi - lo) * w
    check(kern and abs(kern[0] - want_a) <= 3 and abs(kern[-1] + 1 - want_b) <= 3 and
          len(kern) >= (want_b - want_a) - 4,
          "drag zoom: the held blocks drawn from x %s to %s, want %.0f to %.0f"
          % (kern[:1], kern[-1:], want_a, want_b))
    b.eval("[...document.querySelectorAll('section.machine .controls button')].find(e => e.textContent === 'all').click()")

    # ---- the buddy heat map: a cell where the zone had blocks of the order, darker for more
    bi_end = out("cat /proc/buddyinfo")
    bi_boot = kmm_out(kmm, "boot", "mem=1G", "arch=i386", "-q", "--cat", "/proc/buddyinfo")

    def buddy(text):
        return {m.group(1): [int(x) for x in m.group(2).split()]
                for m in re.finditer(r"^Node \d+, zone\s+(\S+)\s+([\d ]+)$", text, re.M)}
    end, boot = buddy(bi_end), buddy(bi_boot)
    heat = b.eval("""[...document.querySelectorAll('section.machine svg.buddy-heat')].map(s => ({zone: s.getAttribute('data-zone'),
        cols: +s.getAttribute('data-cols'), cells: [...s.querySelectorAll('rect.heat-cell')].map(r =>
        [+r.getAttribute('data-order'), +r.getAttribute('data-col'), +r.getAttribute('data-i'),
         +r.getAttribute('fill').match(/[\d.]+(?=\))/)[0]])}))""")
    check([x["zone"] for x in heat] == [z[0] for z in zones], "heat map: one per zone: %s" % [x["zone"] for x in heat])
    for hm in heat:
        z = hm["zone"]
        cells = {(o, c): (i, a) for o, c, i, a in hm["cells"]}
        for col, truth, when in ((0, boot.get(z), "after boot"), (hm["cols"] - 1, end.get(z), "at the end")):
            if truth is None:
                continue
            have = [o for o in range(11) if (o, col) in cells]
            check(have == [o for o in range(11) if truth[o]], "heat map %s %s: cells for orders %s, /proc/buddyinfo %s"
                  % (z, when, have, truth))
            for o1 in have:
                for o2 in have:
                    if truth[o1] > truth[o2]:
                        check(cells[(o1, col)][1] > cells[(o2, col)][1], "heat map %s %s: order %d (%d blocks) darker "
                              "than order %d (%d)" % (z, when, o1, truth[o1], o2, truth[o2]))
        if z == "HighMem" and boot.get(z) and end.get(z):
            # the scenario took 8 order-10 blocks of HighMem: its top row fades
            check(boot[z][10] > end[z][10] and cells[(10, 0)][1] > cells[(10, hm["cols"] - 1)][1],
                  "heat map HighMem: order 10 lighter at the end (%d -> %d blocks)" % (boot[z][10], end[z][10]))
    # the bars of now: per zone and order a segment per migrate type, as tall as /proc/pagetypeinfo's
    # free blocks of that type (in proportion to the zone's largest order), the count as /proc/buddyinfo
    free_mt = {}
    for m in re.finditer(r"^Node\s+\d+, zone\s+(\S+), type\s+(\S+)\s+([\d ]+)$", pti, re.M):
        free_mt.setdefault(m.group(1), {})[m.group(2)] = [int(x) for x in m.group(3).split()]
    bars = b.eval("""[...document.querySelectorAll('section.machine svg.buddy')].map(s => ({zone: s.getAttribute('data-zone'),
        bars: [...s.querySelectorAll('rect.buddy-bar')].map(r => [+r.getAttribute('data-order'), r.getAttribute('fill'),
                                                                  +r.getAttribute('height')]),
        texts: [...s.querySelectorAll('text')].map(t => t.textContent)}))""")
    check([x["zone"] for x in bars] == [z[0] for z in zones], "buddy bars: one chart per zone: %s" % [x["zone"] for x in bars])
    for bz in bars:
        z, counts = bz["zone"], end.get(bz["zone"], [])
        check(bz["texts"][1:22:2] == [str(c) for c in counts], "buddy bars %s: counts %s, /proc/buddyinfo %s"
              % (z, bz["texts"][1:22:2], counts))
        top = counts.index(max(counts)) if counts else 0
        unit = sum(hh for o, _, hh in bz["bars"] if o == top) / float(max(counts) or 1)
        got = {}
        for o, fill, hh in bz["bars"]:
            t = next((MT_NAMES[k] for k, mc in enumerate(MT_COLORS) if near(rgb_of(fill), mc, 2)), fill)
            got.setdefault(t, [0] * 11)[o] = round(hh / unit, 3)
        want = {t: [float(c) for c in v] for t, v in free_mt.get(z, {}).items() if any(v)}
        check(got == want, "buddy bars %s by migrate type %s, /proc/pagetypeinfo %s" % (z, got, want))
    # in pixels: the last column of HighMem's order-10 row is the green of its opacity on white
    hm = [x for x in heat if x["zone"] == "HighMem"]
    if hm:
        k = [x["zone"] for x in heat].index("HighMem")
        w, h, rows = shot("section.machine svg.buddy-heat[data-zone=\"HighMem\"]", None)
        a = dict(((o, c), al) for o, c, i, al in hm[0]["cells"])[(10, hm[0]["cols"] - 1)]
        want = tuple(round(255 * (1 - a) + g * a) for g in (3, 152, 85))
        got = rows[5][w - 3]
        check(near(got, want, 14), "heat map in pixels: HighMem's order 10 at the end is %s, want %s" % (got, want))

    # ---- slab caches: report_test as /proc/slabinfo and /sys/kernel/slab say
    si = re.search(r"^report_test\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+).*slabdata\s+(\d+)\s+(\d+)", out("cat /proc/slabinfo"), re.M)
    active, objs, size, slabs = int(si.group(1)), int(si.group(2)), int(si.group(3)), int(si.group(7))
    sysv = {f: int(re.findall(r"^(\d+)(?: N0=\d+)?\s*$", out("cat /sys/kernel/slab/report_test/" + f), re.M)[-1])
            for f in ("partial", "cpu_slabs")}
    row = b.eval("""(() => { const r = document.querySelector('section.machine tr.slab-row[data-cache="report_test"]');
        if (!r) return null; const td = [...r.querySelectorAll('td')].map(t => t.textContent);
        const bars = [...r.querySelectorAll('svg rect')].map(e => +e.getAttribute('width'));
        return {td, bars}; })()""")
    if check(row is not None, "slab: a row for report_test"):
        td = row["td"]
        check(td[1] == "%d B" % size and td[2] == "%d / %d" % (active, objs),
              "slab: report_test %s %s, /proc/slabinfo %d B %d / %d" % (td[1], td[2], size, active, objs))
        full, partial, empty, cpu = (int(x) for x in td[4:8])
        check(partial == sysv["partial"] and cpu == sysv["cpu_slabs"] and full + partial + empty + cpu == slabs,
              "slab: full %d partial %d empty %d cpu %d; /sys/kernel/slab partial %d cpu_slabs %d, slabinfo %d slabs"
              % (full, partial, empty, cpu, sysv["partial"], sysv["cpu_slabs"], slabs))
        check(abs(row["bars"][1] / row["bars"][0] - active / objs) < 0.01,
              "slab: the bar in use %.1f of %.1f, objects %d of %d" % (row["bars"][1], row["bars"][0], active, objs))
    # the caches that hold slabs, largest first (pages), as /proc/slabinfo counts them
    held_caches = []
    for l in out("cat /proc/slabinfo").splitlines():
        f = l.split()
        if len(f) > 14 and f[0] != "#" and f[1].isdigit() and int(f[14]) > 0:
            held_caches.append((-int(f[14]) * int(f[5]), f[0]))
    names = b.eval("""[...document.querySelectorAll('section.machine tr.slab-row')].map(r => r.getAttribute('data-cache'))""")
    check(names == [n for _, n in sorted(held_caches)], "slab: the caches holding slabs, largest first: %s, "
          "/proc/slabinfo %s" % (names[:6], sorted(held_caches)[:6]))

    # ---- the vmalloc area: one area per /proc/vmallocinfo line, to scale in VmallocTotal
    vi = [l for l in out("cat /proc/vmallocinfo").splitlines() if re.match(r"^0x[0-9a-f]+-0x", l)]
    total = int(re.search(r"^VmallocTotal:\s+(\d+) kB", out("cat /proc/meminfo"), re.M).group(1)) * 1024
    areas = b.eval("""(() => { const s = document.querySelector('section.machine svg.vmalloc-map');
        return {W: +s.getAttribute('width'), areas: [...s.querySelectorAll('rect.vm-area')].map(r =>
            [+r.getAttribute('x'), +r.getAttribute('width'), r.getAttribute('fill')])}; })()""")
    check(len(areas["areas"]) == len(vi), "vmalloc: %d areas drawn, /proc/vmallocinfo has %d" % (len(areas["areas"]), len(vi)))
    vstart = int(data["vmalloc"]["start"], 16)
    check(int(data["vmalloc"]["end"], 16) - vstart == total, "vmalloc: the window is VmallocTotal long")
    mine = [l for l in vi if "report_test_init" in l]
    if check(mine, "vmalloc: report_test_init's area in /proc/vmallocinfo"):
        a0, a1 = (int(x, 16) for x in re.match(r"(0x[0-9a-f]+)-(0x[0-9a-f]+)", mine[0]).groups())
        x, wd = (a0 - vstart) / total * areas["W"], max(2, (a1 - a0) / total * areas["W"])
        hit = [r for r in areas["areas"] if abs(r[0] - x) < 0.5 and abs(r[1] - wd) < 0.5]
        check(hit and rgb_of(hit[0][2]) == hexcolor("#0e9384"), "vmalloc: the area at x %.1f width %.1f in the "
              "vmalloc colour: %s" % (x, wd, areas["areas"][:4]))
        box = b.eval("""(() => { const s = document.querySelector('section.machine svg.vmalloc-map');
            s.scrollIntoView({block: 'center'}); const r = s.getBoundingClientRect();
            return {x: r.left, y: r.top}; })()""")
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"] + x + 1, y=box["y"] + 12)
        tip = b.eval("(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()")
        check("report_test_init" in tip and "0x%x" % a0 in tip, "vmalloc: hovering the area names it: %r" % tip[:120])

    # ---- the address spaces: every mapping of /proc/PID/maps, to scale, coloured by permission
    task = int(data["layout"]["task_size"], 16)
    for pid in (1, 2):
        maps = [l.split() for l in out("cat /proc/%d/maps" % pid).splitlines() if re.match(r"^[0-9a-f]+-", l)]
        drawn = b.eval("""(() => { const p = document.querySelector('.proc[data-pid="%d"]');
            const s = p.querySelector('svg.aspace-scale');
            return {W: +s.getAttribute('width'), vmas: [...s.querySelectorAll('rect.vma')].map(r =>
                [+r.getAttribute('x'), +r.getAttribute('width'), r.getAttribute('fill')])}; })()""" % pid)
        check(len(drawn["vmas"]) == len(maps), "pid %d: %d mappings drawn, /proc/%d/maps has %d"
              % (pid, len(drawn["vmas"]), pid, len(maps)))
        for (x, wd, fill), l in zip(drawn["vmas"], maps):
            s0, e0 = (int(v, 16) for v in l[0].split("-"))
            perm = l[1]
            kind = ("none" if perm[0] != "r" and perm[1] != "w" else "text" if perm[2] == "x"
                    else "writable" if perm[1] == "w" else "read-only")
            if not check(abs(x - s0 / task * drawn["W"]) < 0.5 and abs(wd - max(2, (e0 - s0) / task * drawn["W"])) < 0.5
                         and rgb_of(fill) == hexcolor(PERM_COLORS[kind]),
                         "pid %d: mapping %s %s at x %.1f width %.1f in %s" % (pid, l[0], perm, x, wd, fill)):
                break
    maps1 = [l.split() for l in out("cat /proc/1/maps").splitlines() if re.match(r"^[0-9a-f]+-", l)]
    k = next(i for i, l in enumerate(maps1) if len(l) == 5)     # the anonymous buffer: no name
    buf = maps1[k][0]
    rss = re.search(r"^%s .*?\nRss:\s+(\d+) kB" % re.escape(buf), out("cat /proc/1/smaps"), re.M | re.S)
    info = b.eval("""(() => { const p = document.querySelector('.proc[data-pid="1"]');
        const g = p.querySelector('svg.aspace g.vma-g[data-vma="%d"]');
        g.scrollIntoView({block: 'center'}); const r = g.querySelector('rect.vma').getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width,
                res: [...g.querySelectorAll('rect.resident')].map(e => +e.getAttribute('opacity'))}; })()""" % k)
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=info["x"], y=info["y"])
    tip = b.eval("(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()")
    want_res = int(rss.group(1)) // 4 if rss else -1
    check("%d resident" % want_res in tip, "pid 1: the buffer's tip says %d resident (smaps Rss): %r" % (want_res, tip[:120]))
    check(len(info["res"]) == min(want_res, int(info["w"])) and all(o >= 0.99 for o in info["res"]),
          "pid 1: each of the buffer's %d resident pages drawn dark (%d marks over %.0f pixels)"
          % (want_res, len(info["res"]), info["w"]))

    # ---- page-table walks: level by level as `pagetable` prints them
    bufaddr = int(buf.split("-")[0], 16)
    for who, pid, addr in (("parent", 1, bufaddr), ("child", 2, bufaddr), ("parent", 1, bufaddr + 0x4000),
                           ("child", 2, bufaddr + 0x4000), ("parent", 1, 0x10000000)):
        text = out("pagetable %s 0x%x" % (who, addr))
        want = re.findall(r"^\s+(PGD|P4D|PUD|PMD|PTE)\s+table 0x[0-9a-f]+ \[\s*(\d+)\] = (0x[0-9a-f]+)", text, re.M)
        pfn = re.search(r"-> pfn (0x[0-9a-f]+)", text)
        got = b.eval("""(() => { const p = document.querySelector('.proc[data-pid="%d"]');
            const i = p.querySelector('input'); i.value = '0x%x'; i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));
            return {levels: [...p.querySelectorAll('.walk-level')].map(g => [g.getAttribute('data-level'),
                        g.querySelector('rect').getAttribute('class'), g.textContent]),
                    result: p.querySelector('.walk-result').textContent}; })()""" % (pid, addr))
        real = [(lv, t) for lv, cls, t in got["levels"] if cls != "fold"]
        check(len(real) == len(want), "walk %s 0x%x: %d tables, pagetable shows %d" % (who, addr, len(real), len(want)))
        for (lv, t), (wl, idx, val) in zip(real, want):
            check(lv == wl and "entry [%s]" % idx in t and ("= 0x%08x" % int(val, 16)) in t,
                  "walk %s 0x%x: %s entry [%s] = %s, the page shows %r" % (who, addr, wl, idx, val, t[:160]))
        if pfn:
            check("pfn %s," % pfn.group(1) in got["result"], "walk %s 0x%x ends at pfn %s: %r"
                  % (who, addr, pfn.group(1), got["result"]))
        else:
            check("no PTE table below" in got["result"] and "-> no PTE table" in text,
                  "walk %s 0x%x stops where pagetable does: %r / %r" % (who, addr, got["result"], text[-80:]))
    # the copied page differs, the shared one is the same frame in both
    pf = {}
    for who, addr in (("parent", bufaddr), ("child", bufaddr), ("parent", bufaddr + 0x4000), ("child", bufaddr + 0x4000)):
        pf[(who, addr)] = re.search(r"-> pfn (0x[0-9a-f]+)", out("pagetable %s 0x%x" % (who, addr))).group(1)
    check(pf[("parent", bufaddr)] != pf[("child", bufaddr)] and
          pf[("parent", bufaddr + 0x4000)] == pf[("child", bufaddr + 0x4000)],
          "the scenario copied the child's first page and shares the fifth: %s" % pf)


# Areas below the map's 2-pixel minimum (tiny_a, small_c: a fraction of a pixel), one just
# above it (mid_b: about 3 pixels) and large ones (big_d, big_e: 13 and 26 pixels), each small
# one between freed gaps (drawn as unpurged areas in grey), so its pixels stand alone.
VMALLOC_SCRIPT = """boot mem=256M arch=i386
vmalloc 4M caller=gap_0 -> $g0
vmalloc 4K caller=tiny_a -> $a
vmalloc 4M caller=gap_1 -> $g1
vmalloc 2M caller=mid_b -> $b
vmalloc 4M caller=gap_2 -> $g2
vmalloc 64K caller=small_c -> $c
vmalloc 4M caller=gap_3 -> $g3
vmalloc 8M caller=big_d -> $d
vmalloc 16M caller=big_e -> $e
vfree $g0
vfree $g1
vfree $g2
vfree $g3
"""
VM_TEAL = hexcolor("#0e9384")
VM_GREY = hexcolor("#d0d5dd")


def coverage(px, fg, bg):
    """How much of a pixel @fg covers over @bg (0..1), from its blended colour."""
    d = [f - g for f, g in zip(fg, bg)]
    a = sum((p - g) * x for p, g, x in zip(px, bg, d)) / float(sum(x * x for x in d))
    return min(1.0, max(0.0, a))


def vmalloc_areas(b, kmm, tmp):
    """The vmalloc map: each area where /proc/vmallocinfo puts it, as wide as it is, and at
    least 2 pixels wide (areas far below a pixel, one just above the minimum, large ones)."""
    script = os.path.join(tmp, "vmalloc.kmm")
    open(script, "w").write(VMALLOC_SCRIPT)
    page = os.path.join(tmp, "vmalloc.html")
    kmm_out(kmm, "run", "-q", "--report", page, script)
    info = kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/vmallocinfo", "-e", "cat /proc/meminfo")
    areas = [(int(m.group(1), 16), int(m.group(2), 16), m.group(3))
             for m in re.finditer(r"^(0x[0-9a-f]+)-(0x[0-9a-f]+)\s+\d+ (\S+)", info, re.M)]
    total = int(re.search(r"^VmallocTotal:\s+(\d+) kB", info, re.M).group(1)) * 1024
    b.call("Page.navigate", url="file://" + os.path.abspath(page))
    b.wait_event("Page.loadEventFired")
    b.pump(0.3)
    d = b.eval("""(() => { const s = document.querySelector('section.machine svg.vmalloc-map');
        const v = JSON.parse(document.getElementById('kmm-data').textContent).machines[0].vmalloc;
        return {start: v.start, W: +s.getAttribute('width'), areas: [...s.querySelectorAll('rect.vm-area')].map(r =>
            [+r.getAttribute('x'), +r.getAttribute('width'), r.getAttribute('fill')])}; })()""")
    check(len(d["areas"]) == len(areas) == 9, "vmalloc areas: %d drawn, /proc/vmallocinfo has %d" % (len(d["areas"]), len(areas)))
    start = int(d["start"], 16)
    want = {}                           # caller -> (x, drawn width, true width)
    drawn = sorted(d["areas"])          # (the smaller areas are drawn last, over the others)
    for (x, w, fill), (a0, a1, caller) in zip(drawn, sorted(areas)):
        true_w = (a1 - a0) / total * d["W"]
        wx, ww = (a0 - start) / total * d["W"], max(2, true_w)
        colour = VM_GREY if caller == "unpurged" else VM_TEAL
        check(abs(x - wx) < 0.5 and abs(w - ww) < 0.5 and rgb_of(fill) == colour,
              "vmalloc areas: %s at x %.2f width %.2f, want %.2f %.2f (%s)" % (caller, x, w, wx, ww, fill))
        if caller != "unpurged":
            want[caller] = (wx, ww, true_w)
    # the scenario's premise: areas far below the minimum, one just above it, large ones
    if not check(all(c in want for c in ("tiny_a", "mid_b", "small_c", "big_d", "big_e")),
                 "vmalloc areas: callers %s" % list(want)):
        return
    check(want["tiny_a"][2] < 0.5 and want["small_c"][2] < 0.5 and 2.5 < want["mid_b"][2] < 4.5 and
          want["big_d"][2] > 10 and want["big_e"][2] > 20,
          "vmalloc areas: true widths %s" % {c: round(v[2], 2) for c, v in want.items()})
    w, h, rows = screenshot(b, "section.machine svg.vmalloc-map", None, None)
    row = rows[12]
    # each small area alone between grey gaps: the teal it covers adds up to its drawn width
    for caller in ("tiny_a", "mid_b", "small_c"):
        x, ww, _ = want[caller]
        lo, hi = int(x) - 2, int(x + ww) + 3
        got = sum(coverage(row[i], VM_TEAL, VM_GREY) for i in range(lo, hi))
        check(abs(got - ww) <= 0.5, "vmalloc areas in pixels: %s covers %.2f pixels, drawn %.2f wide" % (caller, got, ww))
    # the large ones side by side: one teal stretch as long as both
    x = want["big_d"][0]
    ww = want["big_d"][1] + want["big_e"][1]
    teal = [i for i in range(int(x) - 3, int(x + ww) + 4) if near(row[i], VM_TEAL, 12)]
    check(teal and abs(len(teal) - ww) <= 2 and abs(teal[0] - x) <= 1,
          "vmalloc areas in pixels: big_d and big_e %d teal pixels from x %s, want %.1f from %.1f"
          % (len(teal), teal[:1], ww, x))


# Caches whose order by pages (slabs x pages per slab) is none of: by slabs, by objects, by
# object size, by name, by creation; d_tie holds as many pages as a_many_small (ties: by name).
SLAB_SCRIPT = """boot mem=256M arch=i386
kmem_cache_create a_many_small 16
kmem_cache_alloc a_many_small count=2000 -> $a
kmem_cache_create b_few_big 4000
kmem_cache_alloc b_few_big count=10 -> $b
kmem_cache_create c_mid 512
kmem_cache_alloc c_mid count=100 -> $c
kmem_cache_create d_tie 16
kmem_cache_alloc d_tie count=2000 -> $d
"""


def slab_order(b, kmm, tmp):
    """The slab caches holding slabs, largest (in pages) first, as /proc/slabinfo counts them."""
    script = os.path.join(tmp, "slab.kmm")
    open(script, "w").write(SLAB_SCRIPT)
    page = os.path.join(tmp, "slab.html")
    kmm_out(kmm, "run", "-q", "--report", page, script)
    held = []
    for l in kmm_out(kmm, "run", "-q", script, "-e", "cat /proc/slabinfo").splitlines():
        f = l.split()
        if len(f) > 14 and f[0] != "#" and f[1].isdigit() and int(f[14]) > 0:
            held.append((int(f[14]) * int(f[5]), int(f[14]), int(f[1]), f[0]))   # pages, slabs, objects, name
    by_pages = [n for _, n in sorted((-p, n) for p, _, _, n in held)]
    mine = [n for n in by_pages if n[1] == "_"]
    # the scenario's premise: the order by pages is not the order by slabs, objects or name
    check(mine[:3] == ["b_few_big", "c_mid", "a_many_small"] and
          by_pages != [n for _, n in sorted((-s, n) for _, s, _, n in held)] and
          by_pages != [n for _, n in sorted((-o, n) for _, _, o, n in held)] and by_pages != sorted(by_pages),
          "slab order: the scenario's caches by pages %s (pages, slabs, objects: %s)" % (by_pages, held))
    b.call("Page.navigate", url="file://" + os.path.abspath(page))
    b.wait_event("Page.loadEventFired")
    b.pump(0.3)
    rows = b.eval("""[...document.querySelectorAll('section.machine tr.slab-row')].map(r =>
        [r.getAttribute('data-cache'), [...r.querySelectorAll('td')].map(t => t.textContent)])""")
    check([r[0] for r in rows] == by_pages, "slab order: the caches holding slabs, largest first: %s, /proc/slabinfo "
          "by pages %s" % ([r[0] for r in rows], by_pages))
    pages = {n: p for p, _, _, n in held}
    for name, td in rows:      # its memory, in KiB below 1 MiB (all of these)
        check(td[-1] == "%d KiB" % (pages.get(name, -1) * 4),
              "slab order: %s holds %r, /proc/slabinfo %d pages" % (name, td[-1], pages.get(name, -1)))


def example_reports(b, kmm, src, tmp):
    """The reports `make reports` writes (the Makefile's REPORTS), written the same way: each
    opens without a console error, exception or request, draws every machine it recorded with
    each of its pictures as the data describes them, and its zone bands in the zones' colours."""
    mk = open(os.path.join(src, "Makefile")).read()
    names = re.search(r"^REPORTS\s*=\s*(.*)$", mk, re.M).group(1).split()
    check(set(("tour", "lowmem_i386", "buddy_thrash", "cow")) <= set(names),
          "make reports draws the tour, lowmem_i386, buddy_thrash and cow examples: %s" % names)
    for name in names:
        page = os.path.join(tmp, "example-%s.html" % name)
        kmm_out(kmm, "run", "-q", "--report", page, os.path.join(src, "examples", name + ".kmm"))
        _, data = report_data.report_data(page)
        b.events.clear()
        url = "file://" + os.path.abspath(page)
        b.call("Page.navigate", url=url)
        b.wait_event("Page.loadEventFired")
        b.pump(0.3)
        check(b.eval("document.body.getAttribute('data-ready')") == "1", "%s: the page finished drawing" % name)
        check(not page_errors(b, url), "%s: no console error, exception or request: %s" % (name, page_errors(b, url)))
        got = b.eval("""[...document.querySelectorAll('section.machine')].map(s => ({
            serial: +s.getAttribute('data-serial'), title: s.querySelector('h2').textContent,
            bands: [...s.querySelectorAll('svg.memmap rect.zone-band')].map(r => r.getAttribute('data-zone')),
            bins: new Set([...s.querySelectorAll('svg.memmap g.bins [data-i]')].map(r => r.getAttribute('data-i'))).size,
            buddy: [...s.querySelectorAll('svg.buddy')].map(e => e.getAttribute('data-zone')),
            bars: s.querySelectorAll('svg.buddy rect.buddy-bar').length,
            heat: [...s.querySelectorAll('svg.buddy-heat')].map(e => [e.getAttribute('data-zone'), +e.getAttribute('data-cols')]),
            heatW: +(s.querySelector('svg.buddy-heat') || {getAttribute: () => 0}).getAttribute('width'),
            charts: [...s.querySelectorAll('.timeline svg.chart')].map(e => [e.getAttribute('data-chart'),
                +(e.querySelector('polyline.series') || {getAttribute: () => -1}).getAttribute('data-points')]),
            procs: s.querySelectorAll('.proc').length,
            slabs: s.querySelectorAll('tr.slab-row').length,
            areas: s.querySelectorAll('svg.vmalloc-map rect.vm-area').length}))""")
        machines = data["machines"]
        check(len(got) == len(machines) > 0, "%s: %d machine sections for %d machines" % (name, len(got), len(machines)))
        for g, m in zip(got, machines):
            what = "%s, machine %s" % (name, m["cmdline"])
            if not check(g["serial"] == m["serial"] and m["cmdline"] in g["title"] and not m.get("gone"),
                         "%s: its section (%r)" % (what, g["title"])):
                continue
            zones = [z["name"] for z in m["zones"]]
            check(g["bands"] == zones and g["buddy"] == zones, "%s: memory map bands %s and buddy charts %s for zones %s"
                  % (what, g["bands"], g["buddy"], zones))
            check(g["bins"] == m["map"]["bins"], "%s: %d map columns drawn, the data has %d" % (what, g["bins"], m["map"]["bins"]))
            blocks = sum(1 for z in m["zones"] for n in z["orders"] if n)
            check(g["bars"] >= blocks > 0, "%s: %d buddy bars for %d orders holding blocks" % (what, g["bars"], blocks))
            pts = m["timeline"]["points"]
            cols = min(pts, int((g["heatW"] - 40) // 2))     # a column per point, at least 2 pixels each
            check(g["heat"] == ([[z, cols] for z in zones] if pts > 1 else []),
                  "%s: heat maps %s, %d columns per zone for %d points" % (what, g["heat"], cols, pts))
            zc = [c for c in g["charts"] if c[0].startswith("zone")]
            check(len(zc) == len(zones) and all(n == pts for _, n in zc) and ["faults", pts] in g["charts"],
                  "%s: timeline charts %s, %d points each" % (what, g["charts"], pts))
            check(g["procs"] == len(m.get("procs", [])), "%s: %d processes drawn of %d" % (what, g["procs"], len(m.get("procs", []))))
            held = sum(1 for c in m["slab"] if c["slabs"])
            check(g["slabs"] == held > 0, "%s: %d slab rows for %d caches holding slabs" % (what, g["slabs"], held))
            check(g["areas"] == len(m["vmalloc"]["areas"]), "%s: %d vmalloc areas drawn of %d"
                  % (what, g["areas"], len(m["vmalloc"]["areas"])))
            # in pixels: the zone bands in the zones' colours, left to right (those at least 4 pixels wide)
            if not g["bands"]:
                continue
            w, h, rows = screenshot(b, "#machine-%d svg.memmap" % m["serial"], None, None)
            wide = [z["name"] for z in m["zones"] if z["spanned"] / m["max_pfn"] * w >= 4]
            seen = [r[0] for r in runs(rows[3], ZONE_COLORS) if r[1] >= 2]
            check(seen == wide, "%s: zone bands in pixels %s, want %s" % (what, seen, wide))


def timeline_axes_and_hover(b, script, page, zinfo):
    """The timeline's x axis: each point where its virtual clock puts it (or, switched, its
    command number); hovering a point shows its command as the script has it (file, line,
    text), its virtual clock and its values (the last point's free pages as /proc/zoneinfo)."""
    lines = [(n, l.strip()) for n, l in enumerate(open(script), 1) if l.strip() and not l.lstrip().startswith("#")]
    _, data = report_data.report_data(page)
    cols = {k: report_data.decode(v) for k, v in data["machines"][0]["timeline"]["cols"].items()}
    clock, no = cols["clock"], cols["no"]
    n = len(clock)
    chart = 'section.machine svg.chart[data-chart="zone2"]'

    def xs():
        return dict(b.eval("""[...document.querySelectorAll('%s circle.point')]
            .map(c => [+c.getAttribute('data-i'), +c.getAttribute('cx')])""" % chart))
    # the scenario's premise: the clock does not move evenly with the commands
    frac = lambda v, i: (v[i] - v[0]) / float(v[-1] - v[0])
    check(max(abs(frac(clock, i) - frac(no, i)) for i in range(n)) > 0.05,
          "timeline: the known scenario's clock is not even in commands: %s" % clock)
    for mode, key in (("cmd", no), ("clock", clock)):
        b.eval("document.querySelector('section.machine .timeline input[value=\"%s\"]').click()" % mode)
        got = xs()
        span = got[n - 1] - got[0]
        bad = [(i, got[i], got[0] + frac(key, i) * span) for i in range(n)
               if i not in got or abs(got[i] - (got[0] + frac(key, i) * span)) > 0.15]
        check(len(got) == n and span > 100 and not bad, "timeline x by %s: points off where it puts them "
              "(point, x, want): %s" % (mode, bad[:4]))
    # hovering each point (x by command: they stand apart) shows its command
    b.eval("document.querySelector('section.machine .timeline input[value=\"cmd\"]').click()")
    z2 = cols["z2.free"]
    end_free = int(re.search(r"zone\s+HighMem\s+pages free\s+(\d+)", zinfo).group(1))
    check(z2[-1] == end_free, "timeline: HighMem's free pages at the end %d, /proc/zoneinfo %d" % (z2[-1], end_free))
    got = xs()
    alone = [i for i in range(n) if all(abs(got[i] - got[j]) >= 3 for j in (i - 1, i + 1) if 0 <= j < n)]
    check(alone == list(range(n)), "timeline: points to hover %s" % alone)
    for i in alone:
        box = b.eval("""(() => { const c = document.querySelector('%s circle.point[data-i="%d"]');
            c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()""" % (chart, i))
        b.call("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"], y=box["y"])
        tip = b.eval("(() => { const t = document.getElementById('tip'); return t.hidden ? '' : t.textContent; })()")
        line, text = lines[no[i] - 1]
        want = ["command %d: %s:%d: %s" % (no[i], script, line, text), "virtual clock %.6f s" % (clock[i] / 1e9),
                "free: %d" % z2[i]]
        check(all(w in tip for w in want), "timeline hover at point %d: %r, want %s" % (i, tip[:200], want))
    b.call("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)
    b.eval("document.querySelector('section.machine .timeline input[value=\"clock\"]').click()")


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
        timeline_axes_and_hover(b, script, page, zinfo)

        # the page-table walk of the parent's first resident page ends at the frame pagetable names
        res = b.eval("""(() => { const p = document.querySelector('.proc[data-pid="1"]');
            const i = p.querySelector('input'); i.value = '%s'; i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));
            return [...p.querySelectorAll('.walk-level')].map(g => g.getAttribute('data-level')).join(' ') + ' | ' +
                   p.querySelector('.walk-result').textContent; })()""" % re.search(r"walk of (0x[0-9a-f]+)", walk).group(1))
        check(res.startswith("PGD P4D PUD PMD PTE |"), "the walk draws the five levels: %r" % res)
        check("pfn %s," % frame in res, "the walk ends at pfn %s: %r" % (frame, res))

        # screenshots: zone colours and use colours along the map, a chart's line colour
        def shot(selector, mode):
            return screenshot(b, selector, mode, tmp if keep else None)

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

        pictures(b, kmm, script, shot, zones, start, block, held)

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
        vmalloc_areas(b, kmm, tmp)
        slab_order(b, kmm, tmp)
        example_reports(b, kmm, src, tmp)
    finally:
        b.close()
    if FAILS:
        print("report_browser: %d check(s) failed (report: %s)" % (len(FAILS), page))
        return 1
    print("report_browser: all checks passed in %s" % exe)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
