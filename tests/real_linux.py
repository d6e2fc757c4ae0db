#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
tests/real_linux.py - kmm held against real Linux 6.12 (ctest integration_real_linux).

usage: real_linux.py KMM_BINARY SOURCE_DIR [CASE...]

tests/real-linux/ holds what real Linux 6.12 printed under QEMU for seven
machines (its README says how they were made). For each one this boots the
same machine in kmm - the same board, Linux's mem= cap, firmware, kernel build
(config=), CPUs and initrd - and compares, field by field: the e820 maps,
the LOWMEM/HIGHMEM lines, zone and node ranges, unavailable ranges, the
per-CPU first chunk, the NUMA lines, Total pages, the hash tables, the
Memory: line (all but "available", which counts what userland and the rest
of the boot took), the Freeing lines, the swiotlb lines, every zone's
spanned/present/managed/min/low/high/promo/protection and pageset high and
batch, min_free_kbytes and the other vm sysctls, MemTotal, LowTotal,
HighTotal, VmallocTotal, CommitLimit, the DirectMap lines and their total,
every line of /proc/iomem (with its indent),
the layout (objsize, objects and pages per slab) of every slab cache kmm
creates, and the set and order of the fields of every /proc file.

A difference is allowed only when tests/real-linux/allowed-differences.txt
names it with a reason (one reviewed list); an entry that no longer matches
any difference is an error too, so the list cannot go stale.

Exit status 0 when every comparison holds; otherwise each difference is
printed as CASE: WHAT: linux=... kmm=... and the status is 1.
"""
import os
import re
import subprocess
import sys
import tempfile

# CASE -> the kmm command line of the same machine (the README's table, with
# the board/mem split, the firmware, the build and the initrd made explicit).
# The initrd sizes are the captures' own: "Allocated new RAMDISK: [mem A-B]".
CASES = {
    "i386-mem1G": "board=2G mem=1G arch=i386 firmware=seabios initrd=0x103d8a",
    "i386-mem512M": "board=1G mem=512M arch=i386 firmware=seabios initrd=0x103d8a",
    "i386-mem256M": "board=512M mem=256M arch=i386 firmware=seabios initrd=0x103d8a",
    "i386pae-mem1G": "board=2G mem=1G arch=i386-pae firmware=seabios initrd=0x103d8a",
    "x86_64-mem1G": "board=2G mem=1G config=debian firmware=seabios "
                    "transparent_hugepage=never initrd=0xfb49f",
    "x86_64-mem4G": "board=4G config=debian firmware=seabios "
                    "transparent_hugepage=never initrd=0xfb49f",
    "x86_64-mem2G-numa2": "board=4G mem=2G numa=fake=2 config=debian firmware=seabios "
                          "transparent_hugepage=never initrd=0xfb49f",
}

FILES = ["/proc/zoneinfo", "/proc/buddyinfo", "/proc/meminfo", "/proc/pagetypeinfo",
         "/proc/vmstat", "/proc/iomem", "/proc/slabinfo"]
SYSCTLS = ["min_free_kbytes", "lowmem_reserve_ratio", "watermark_scale_factor",
           "watermark_boost_factor", "percpu_pagelist_high_fraction", "overcommit_ratio",
           "overcommit_memory"]

# dmesg lines compared exactly, in order (the timestamp stripped).
DMESG_EXACT = [
    r"^BIOS-e820: ", r"^e820: (remove|update) ", r"^user-defined physical RAM map:",
    r"^user: \[mem", r"^last_pfn = ", r"^\d+MB (HIGH|LOW)MEM available", r"^  (mapped )?low ram:",
    r"^RAMDISK: ", r"^Allocated new RAMDISK", r"^Move RAMDISK",
    r"^Zone ranges:", r"^  (DMA|DMA32|Normal|HighMem|Device) +(\[mem|empty)",
    r"^Movable zone start", r"^Early memory node ranges", r"^  node +\d+: \[mem",
    r"^Initmem setup node", r"^On node \d+, zone \w+: \d+ pages in unavailable ranges",
    r"^No NUMA configuration found", r"^Faking (a )?node", r"^NUMA: Initialized distance",
    r"^NODE_DATA\(\d+\) allocated", r"^Not enough memory for each node",
    r"^setup_percpu: ", r"^percpu: Embedded", r"^pcpu-alloc: ",
    r"^(Dentry cache|Inode-cache) hash table entries",
    r"^Fallback order for Node", r"^Built \d+ zonelists", r"^Policy zone:",
    r"^mem auto-init:", r"^Initializing (HighMem|Movable) for node",
    r"^software IO TLB: ", r"^PCI-DMA: Using software bounce",
    r"^Freeing (SMP alternatives|initrd|unused decrypted|unused kernel image)",
    r"^Warning: only 4GB", r"^virtual kernel memory layout",
]
MEMINFO_FIELDS = ["MemTotal", "LowTotal", "HighTotal", "VmallocTotal", "CommitLimit",
                  "DirectMap4k", "DirectMap4M", "DirectMap2M", "DirectMap1G"]
ZONE_FIELDS = ["spanned", "present", "managed", "min", "low", "high", "promo", "protection:"]


def sections(text):
    """'===== NAME' sections of a capture or of kmm's run."""
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("===== "):
            name = line[6:].strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def strip_stamp(line):
    return re.sub(r"^\[ *\d+\.\d+\] ", "", line)


def dmesg_lines(lines):
    keep = []
    for raw in lines:
        line = strip_stamp(raw).rstrip()
        if any(re.search(p, line) for p in DMESG_EXACT):
            keep.append(line)
    return keep


def memory_line(lines):
    for raw in lines:
        line = strip_stamp(raw)
        if line.startswith("Memory: "):
            # "available" is what is free when the line is printed: not comparable.
            return re.sub(r"^Memory: \d+K/", "Memory: *K/", line.rstrip())
    return None


def zoneinfo(lines):
    """{'Node N, zone Z': {field: value, 'pageset-high': [...], 'pageset-batch': [...]}}"""
    zones, cur = {}, None
    for line in lines:
        m = re.match(r"^Node (\d+), zone +(\w+)", line)
        if m:
            cur = zones.setdefault("node %s %s" % (m.group(1), m.group(2)), {})
            continue
        if cur is None:
            continue
        s = line.split()
        if not s:
            continue
        if s[0] in ZONE_FIELDS and len(s) >= 2:
            cur[s[0].rstrip(":")] = " ".join(s[1:])
        elif s[0] in ("high:", "batch:"):
            cur.setdefault("pageset-" + s[0].rstrip(":"), []).append(s[1])
    return zones


def keys(lines, fname):
    """The ordered set of field names a /proc file shows (values dropped)."""
    out = []
    for line in lines:
        if fname == "/proc/meminfo":
            k = line.split(":")[0]
        elif fname == "/proc/vmstat":
            k = line.split(" ")[0]
        elif fname == "/proc/zoneinfo":
            s = line.split()
            if not s or s[0] == "cpu:":
                continue
            if line.startswith("Node"):
                k = "Node N, zone " + s[-1]
            else:
                k = s[0]
        elif fname == "/proc/buddyinfo":
            k = " ".join(line.split()[:4]) + " (%d orders)" % (len(line.split()) - 4)
        elif fname == "/proc/pagetypeinfo":
            s = line.split()
            if line.startswith("Node"):
                k = re.sub(r"\s+\d+", " #", line).rstrip()
                k = re.sub(r"Node #", "Node N", k)
            else:
                k = re.sub(r"\s+\d+", " #", line).rstrip()
        elif fname == "/proc/slabinfo":
            if not line.startswith(("slabinfo", "#")):
                continue
            k = line.rstrip()
        else:
            continue
        if k and k not in out:
            out.append(k)
    return out


def iomem(lines):
    """Every line of /proc/iomem, its nesting included: the map is the board's and the
    build's (RAM, firmware ranges, the kernel image, ROMs, PCI windows, devices)."""
    return [l.rstrip() for l in lines if l.strip()]


def diff_list(case, what, lin, kmm, out):
    if lin == kmm:
        return
    lset, kset = set(lin), set(kmm)
    for line in lin:
        if line not in kset:
            out.append("%s: %s: linux has %r, kmm not" % (case, what, line))
    for line in kmm:
        if line not in lset:
            out.append("%s: %s: kmm has %r, linux not" % (case, what, line))
    if lset == kset:
        out.append("%s: %s: same lines, other order" % (case, what))


def run_kmm(kmm, cmdline):
    script = ["boot " + cmdline, 'print "===== dmesg"', "dmesg"]
    for f in FILES:
        script += ['print "===== %s"' % f, "cat " + f]
    for s in SYSCTLS:
        script += ['print "===== /proc/sys/vm/%s"' % s, "cat /proc/sys/vm/%s" % s]
    with tempfile.NamedTemporaryFile("w", suffix=".kmm", delete=False) as f:
        f.write("\n".join(script) + "\n")
        path = f.name
    try:
        r = subprocess.run([kmm, "run", path], capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(path)
    if r.returncode:
        raise SystemExit("kmm run failed (%d) for %r: %s" % (r.returncode, cmdline, r.stderr))
    return sections(r.stdout)


def slab_geometry(lines):
    """{cache: (objsize, objperslab, pagesperslab)} of /proc/slabinfo: the layout of
    each cache, which the build fixes; the object counts are what the system did."""
    out = {}
    for line in lines:
        s = line.split()
        if len(s) >= 6 and not line.startswith(("slabinfo", "#")):
            out[s[0]] = (s[3], s[4], s[5])
    return out


def compare(case, lin, kmm):
    out = []
    diff_list(case, "dmesg", dmesg_lines(lin["dmesg"]), dmesg_lines(kmm["dmesg"]), out)
    lm, km = memory_line(lin["dmesg"]), memory_line(kmm["dmesg"])
    if lm != km:
        out.append("%s: Memory: linux=%r kmm=%r" % (case, lm, km))
    lz, kz = zoneinfo(lin["/proc/zoneinfo"]), zoneinfo(kmm["/proc/zoneinfo"])
    for z in lz:
        if z not in kz:
            out.append("%s: zoneinfo: %s: kmm has no such zone" % (case, z))
            continue
        for f, v in lz[z].items():
            if kz[z].get(f) != v:
                out.append("%s: zoneinfo %s %s: linux=%s kmm=%s" % (case, z, f, v, kz[z].get(f)))
    for z in kz:
        if z not in lz:
            out.append("%s: zoneinfo: %s: linux has no such zone" % (case, z))
    lmi = {l.split(":")[0]: l.split()[1] for l in lin["/proc/meminfo"] if ":" in l}
    kmi = {l.split(":")[0]: l.split()[1] for l in kmm["/proc/meminfo"] if ":" in l}
    for f in MEMINFO_FIELDS:
        if lmi.get(f) != kmi.get(f):
            out.append("%s: meminfo %s: linux=%s kmm=%s" % (case, f, lmi.get(f), kmi.get(f)))
    # What the direct map's mappings add up to (Linux counts an entry each
    # time its boot walks it, so this can exceed RAM): splitting a large page
    # keeps the sum, so it holds kmm's model of init_mem_mapping() exactly
    # even where splits made at run time differ.
    dm = ["DirectMap4k", "DirectMap4M", "DirectMap2M", "DirectMap1G"]
    lsum = sum(int(lmi.get(f, 0)) for f in dm)
    ksum = sum(int(kmi.get(f, 0)) for f in dm)
    if lsum != ksum:
        out.append("%s: meminfo DirectMap total: linux=%d kmm=%d" % (case, lsum, ksum))
    for s in SYSCTLS:
        n = "/proc/sys/vm/" + s
        lv = " ".join(" ".join(lin.get(n, [])).split())
        kv = " ".join(" ".join(kmm.get(n, [])).split())
        if lv != kv:
            out.append("%s: vm.%s: linux=%s kmm=%s" % (case, s, lv, kv))
    diff_list(case, "iomem", iomem(lin["/proc/iomem"]), iomem(kmm["/proc/iomem"]), out)
    # Every cache kmm creates must be one the real kernel has, laid out alike
    # (objsize, objperslab, pagesperslab); what Linux has and kmm does not
    # (drivers, filesystems, kmalloc-cg-*) is not compared.
    lg, kg = slab_geometry(lin["/proc/slabinfo"]), slab_geometry(kmm["/proc/slabinfo"])
    for c, g in kg.items():
        if c not in lg:
            out.append("%s: slabinfo %s: linux has no such cache" % (case, c))
        elif lg[c] != g:
            out.append("%s: slabinfo %s objsize/objperslab/pagesperslab: linux=%s kmm=%s"
                       % (case, c, "/".join(lg[c]), "/".join(g)))
    for f in FILES:
        if f == "/proc/iomem":
            continue
        diff_list(case, f + " fields", keys(lin[f], f), keys(kmm[f], f), out)
    return out


def case_matches(pattern, case):
    return pattern == "*" or re.fullmatch(pattern, case) is not None


def load_allowed(path):
    """'CASE<TAB>PATTERN<TAB>REASON' lines; CASE is * or a regex, PATTERN a regex."""
    allowed = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or not parts[2].strip():
                raise SystemExit("%s:%d: want CASE<TAB>PATTERN<TAB>REASON" % (path, n))
            allowed.append((parts[0], re.compile(parts[1]), parts[2], n))
    return allowed


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    kmm, src = sys.argv[1], sys.argv[2]
    only = sys.argv[3:]
    ref = os.path.join(src, "tests", "real-linux")
    allowed = load_allowed(os.path.join(ref, "allowed-differences.txt"))
    used = set()
    bad = 0
    for case, cmdline in CASES.items():
        if only and case not in only:
            continue
        with open(os.path.join(ref, "real-%s.txt" % case)) as f:
            lin = sections(f.read())
        diffs = compare(case, lin, run_kmm(kmm, cmdline))
        for d in diffs:
            hit = [a for a in allowed if case_matches(a[0], case) and a[1].search(d)]
            for a in hit:
                used.add(a[3])
            if not hit:
                print(d)
                bad += 1
        print("%s: %d differences, %d of them allowed (kmm: %s)" %
              (case, len(diffs), sum(1 for d in diffs if any(
                  case_matches(a[0], case) and a[1].search(d) for a in allowed)), cmdline))
    if not only:
        for a in allowed:
            if a[3] not in used:
                print("allowed-differences.txt:%d: matches no difference any more: %s" %
                      (a[3], a[1].pattern))
                bad += 1
    if bad:
        print("real_linux: %d difference(s) without a written reason" % bad)
        return 1
    print("real_linux: every difference has a written reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
