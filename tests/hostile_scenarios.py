#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/hostile_scenarios.py - the kmm command against hostile scenario files.

Writes about a hundred scenarios that attack the parser (deep nesting,
unterminated quotes, NUL and binary bytes, megabyte lines and words,
overflowing numbers) and the run (handles freed twice or never issued,
wild kernel addresses, absurd sizes and orders, runaway loops, host paths,
garbage sysctl values, process calls on nonsense ranges), runs each with
`kmm run` twice, in a scratch directory, and requires of every run:

- it ends by itself (within 120 s) with status 0, 1 or 2: never a signal,
  never another status (none of the scenarios says `exit N`);
- status 2 comes with a message on stderr that names the file and line
  (`NAME.kmm:LINE:`) or says what was wrong with the file itself;
- both runs print the same bytes on stdout and stderr, and the same status
  (the second run with glibc's MALLOC_PERTURB_, so that an uninitialised
  byte shows; a host address shows as the host places kmm's memory
  differently in each run).

A scenario may also name the status it must end with and words its
stderr must contain (the clear error the issue asks for). The one stopped by
the host-memory guard says how much the host holds, so only its status and
stdout must match. With KMM_QUICK=1 (the sanitizer builds) each scenario
runs once and nothing is compared.

usage: hostile_scenarios.py KMM [--keep DIR]
"""
import os
import re
import random
import subprocess
import sys
import tempfile

MB = 1 << 20

# (name, bytes of the scenario, expected status or None, words stderr must contain)
S = []


def add(name, text, status=None, words=(), env=None):
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    S.append((name, text, status, words, env or {}))


# The runaway scenarios run with lower limits than the defaults (100,000,000
# steps, 4 GiB resident: seconds of CPU and gigabytes each), so that the test
# stays short and small; integration_cli_misuse checks the defaults.
STEPS = {"KMM_STEP_LIMIT": "1000000"}
HOST = {"KMM_HOST_MEM": "256M"}


# ---- the parser ----
add("unterminated-string", 'print "abc\n', 2, ["unterminated-string.kmm:1:"])
add("unterminated-single", "print 'abc\n", 2)
add("unmatched-open", "repeat 3 {\nprint 1\n", 2)
add("unmatched-close", "print 1\n}\n", 2)
add("nested-repeats-10000", "boot mem=64M\n" + "repeat 1 {\n" * 10000 + "print 1\n" + "}\n" * 10000)
add("nested-repeats-unclosed", "repeat 1 {\n" * 100000, 2)
add("nested-parens-100000", "let $x = " + "(" * 100000 + "1" + ")" * 100000 + "\nprint $x\n")
add("parens-unclosed", "let $x = " + "(" * 100000 + "1\n", 2)
add("unary-minus-200000", "let $x = " + "-" * 200000 + "1\nprint $x\n")
add("unary-not-200000", "let $x = " + "!" * 200000 + "1\nprint $x\n")
add("nul-bytes", b"print 1\n\0\0\0print 2\n", 2)
add("nul-in-word", b"boot mem=64\0M\n", 2)
random.seed(12)
for i in range(6):
    add("binary-%d" % i, bytes(random.randrange(256) for _ in range(4096)))
add("invalid-utf8", b"print \"\xff\xfe\xc3\x28\"\n")
add("utf8-words", "print \"m\u00e9moire \u2603\"\nlet $\u00e9 = 1\n")
add("line-1mb-word", "x" * MB + "\n", 2)
add("line-1mb-print", "print " + "a" * MB + "\n")
add("words-100000", "print " + "1 " * 100000 + "\n")
add("semicolons", ";" * 200000 + "\nprint 1\n")
add("comment-1mb", "# " + "c" * MB + "\nprint 1\n")
add("literal-huge", "let $x = 99999999999999999999999999\n", 2)
add("literal-hex-huge", "let $x = 0xffffffffffffffffff\n", 2)
add("add-overflow", "let $x = 9223372036854775807 + 1\nprint $x\n", 2,
    ["add-overflow.kmm:1:10: integer overflow: 9223372036854775807 + 1"])
add("sub-overflow", "let $x = -9223372036854775807 - 2\n", 2, ["integer overflow"])
add("mul-overflow", "let $x = 9223372036854775807 * 9223372036854775807\nprint $x\n", 2,
    ["integer overflow"])
add("min-div-minus-one", "let $x = -9223372036854775807 - 1\nlet $y = $x / -1\nprint $y\n", 2,
    ["min-div-minus-one.kmm:2:10: integer overflow: -9223372036854775808 / -1"])
add("min-negated", "let $x = -9223372036854775807 - 1\nprint -$x\n", 2, ["integer overflow"])
add("min-mod-minus-one", "let $x = -9223372036854775807 - 1\nlet $y = $x % -1\nprint $y\n")
add("sum-loop-overflow", "let $x = 1\nrepeat 70 { let $x = $x * 2 }\n", 2, ["integer overflow"])
add("div-zero", "let $x = 1 / 0\n", 2)
add("mod-zero", "let $x = 1 % 0\n", 2)
add("shift-huge", "let $x = 1 << 200\nlet $y = 1 >> -3\nprint $x $y\n")
add("undefined-variable", "print $nope\n", 2)
add("variable-name-100k", "let $" + "v" * 100000 + " = 1\n")
add("variables-100000", "".join("let $v%d = %d\n" % (i, i) for i in range(100000)))
add("expression-1mb", "let $x = 1" + "+1" * ((MB - 12) // 2) + "\nprint $x\n")
add("unknown-command", "frobnicate 1 2 3\n", 2, ["unknown-command.kmm:1:"])
add("unknown-option", "alloc_pages ordr=1\n", 2)
add("arrow-nowhere", "alloc_pages ->\n", 2)
add("arrow-twice", "alloc_pages -> $a -> $b\n", 2)
add("pipe-nothing", "| grep x\n", 2)
add("pipe-chain", "boot mem=64M\n" + "dmesg" + " | grep e" * 2000 + " | head -n 3\n")
add("head-garbage", "dmesg | head -n -5\ndmesg | tail 99999999999999999999\n", 2)
add("redirect-nowhere", "boot mem=64M\ndmesg > /nonexistent/dir/file\n", 2)
add("redirect-dir", "boot mem=64M\ndmesg > .\n", 2)
add("repeat-negative", "repeat -1 { print 1 }\n", 2)
add("repeat-huge", "repeat 99999999999999999999 { print 1 }\n", 2)

# ---- runaway work: the step limit and the host-memory guard ----
add("repeat-runaway", "let $n = 0\nrepeat 100000000 { let $n = $n + 1 }\n", 2, ["step"], STEPS)
add("repeat-over-max", "repeat 1000000000 { print 1 }\n", 2, ["repeat count"])
add("repeat-nested-runaway",
    "repeat 100000 { repeat 100000 { repeat 100000 { let $a = 1 } } }\n", 2, ["step"], STEPS)
add("repeat-variable-runaway", "let $n = 4611686018427387904\nrepeat $n { print 1 }\n", 2, (),
    STEPS)
add("alloc-count-max-4T", "boot mem=4T\nalloc_pages count=max -> $p\n", 2, ["KMM_HOST_MEM"],
    dict(HOST, host_dependent_stderr="1"))
add("alloc-count-max-small", "boot mem=64M\nalloc_pages count=max -> $p\nfree_pages $p\ncheck\n")
add("kmalloc-count-huge", "boot mem=64M\nkmalloc 8 count=100000000 -> $p\n")
add("spawn-same-name", "boot mem=64M\nrepeat 100000 { spawn p }\n", 2, ["already named"])
add("process-churn", "boot mem=64M\nspawn a\nmmap a 1M populate -> $v\n"
    "repeat 20000 { fork a b\nexit_task b\nspawn c\nexit_task c }\ncheck\n")
# process churn without end: stopped by the step limit (each round costs the
# same however many tasks were made before: one zombie per name is kept)
add("process-churn-runaway", "boot mem=64M\nspawn a\n"
    "repeat 100000000 { fork a b\nexit_task b }\n", 2, ["step"], {"KMM_STEP_LIMIT": "300000"})
add("reboot-loop", "repeat 300 { boot mem=64M maxcpus=64 }\n")

# ---- the run: bad handles, sizes, addresses ----
add("free-pages-twice", "boot mem=64M\nalloc_pages -> $p\nfree_pages $p\nfree_pages $p\n", 2)
add("free-pages-number", "boot mem=64M\nlet $p = 12345\nfree_pages $p\n", 2)
add("free-pages-undefined", "boot mem=64M\nfree_pages $p\n", 2)
add("kfree-twice", "boot mem=64M\nkmalloc 64 -> $o\nkfree $o\nkfree $o\n", 2)
add("kfree-number", "boot mem=64M\nlet $o = 4096\nkfree $o\n", 2)
add("kfree-pages", "boot mem=64M\nalloc_pages -> $p\nkfree $p\n", 2)
add("kfree-after-reboot", "boot mem=64M\nkmalloc 64 -> $o\nreboot\nkfree $o\n", 2)
add("kmalloc-zero", "boot mem=64M\nkmalloc 0 -> $o\nkfree $o\n")
add("kmalloc-huge", "boot mem=64M\nkmalloc 4611686018427387904 -> $o\n")
add("kmalloc-negative", "boot mem=64M\nkmalloc -1 -> $o\n", 2)
add("order-huge", "boot mem=64M\nalloc_pages order=99 -> $p\n")
add("order-negative", "boot mem=64M\nalloc_pages order=-1 -> $p\n", 2)
add("gfp-garbage", "boot mem=64M\nalloc_pages gfp=GFP_NOPE|__GFP_X -> $p\n", 2)
add("node-bad", "boot mem=64M\nalloc_pages node=63 -> $p\nalloc_pages node=-7 -> $q\n")
add("vmalloc-zero", "boot mem=64M\nvmalloc 0 -> $v\n")
add("vmalloc-huge", "boot mem=64M\nvmalloc 1T -> $v\n")
add("vmalloc-window", "boot mem=64M\nrepeat 100000 { vmalloc 1M -> $v }\n", None, (), HOST)
add("vfree-twice", "boot mem=64M\nvmalloc 8192 -> $v\nvfree $v\nvfree $v\n", 2)
add("vfree-wild", "boot mem=64M\nvfree 0xffffc90000123000\n", 2)
add("vread-wild", "boot mem=64M\nvread 0xffffffffffffffff 16\nvread 0 16\n", 2)
add("vread-huge-len", "boot mem=64M\nvmalloc 4096 -> $v\nvread $v 1T\n")
# The kernel's window has no host access where no page is mapped (review20
# R1: each of these killed kmm with SIGSEGV): an area's guard page, a freed
# area, an address no area ever held, and i386's unused PKMAP/fixmap slots.
add("vread-guard-page", "boot mem=64M\nvmalloc 8K -> $v\nvread $v 16 offset=8190\n", 2,
    ["vread-guard-page.kmm:3:", "0xffffc90000002000 is not mapped"])
add("vread-freed-area", "boot mem=64M\nvmalloc 8K -> $v\nvfree $v\nvread $v 16\n", 2,
    ["is not mapped"])
add("vread-never-mapped", "boot mem=64M\nvread 0xffffc90000100000 4\n", 2, ["is not mapped"])
add("vread-i386-pkmap", "boot mem=1G arch=i386\nvread 0xff000000 4\n", 2,
    ["0xff000000 is not mapped"])
add("vread-i386-fixmap", "boot mem=1G arch=i386\nvread 0xfff3a000 4\n", 2,
    ["0xfff3a000 is not mapped"])
# kfree and kmem_cache_free of a direct-map address with no memory behind it
# (review20 R4: the check before the free read a struct page that does not
# exist and died by SIGSEGV): the 3-4 GiB hole, and maxmem='s unplugged range.
add("kfree-in-hole", "boot mem=5G\nkfree 0xffff8880d0000000\n", 2,
    ["0xffff8880d0000000 is not backed by memory", "nothing freed"])
add("kmem-cache-free-unplugged",
    "boot mem=64M maxmem=8G\nkmem_cache_create c 64\nkmem_cache_free c 0xffff888100000040\n", 2,
    ["is not backed by memory"])
add("kfree-unplugged", "boot mem=64M maxmem=8G\nkfree 0xffff888040000000\n", 2,
    ["is not backed by memory"])
# A verb that takes no words refuses them (review20 R2): both ran and ignored them.
add("check-extra-word", "boot mem=64M\ncheck extra\n", 2,
    ["check-extra-word.kmm:2:7:", "check takes no arguments"])
add("oom-scores-extra-word", "boot mem=64M\noom_scores extra\n", 2,
    ["oom_scores takes no arguments"])
add("vwrite-guard-page", "boot mem=64M\nvmalloc 8K -> $v\nvwrite $v hello offset=8190\n", 2,
    ["0xffffc90000002000 is not mapped"])
add("vwrite-wild", "boot mem=64M\nvwrite 0xffff888000000000 hello\n")
add("vwrite-past-end", "boot mem=64M\nvmalloc 4096 -> $v\nvwrite $v hello offset=4094\n", 2)
add("vmap-nothing", "boot mem=64M\nvmap $nope\n", 2)
add("kmap-twice-unmap", "boot arch=i386 mem=1G\nalloc_pages gfp=GFP_HIGHUSER -> $p\n"
    "kmap $p\nkunmap $p\nkunmap $p\n", 2)
add("kunmap-local-empty", "boot mem=64M\nkunmap_local\n", 2)
add("cache-zero-size", "boot mem=64M\nkmem_cache_create c 0\n", 2)
add("cache-huge-size", "boot mem=64M\nkmem_cache_create c 4611686018427387904\n", 2)
add("cache-bad-align", "boot mem=64M\nkmem_cache_create c 64 align=3\n", 2)
add("cache-name-huge", "boot mem=64M\nkmem_cache_create " + "n" * 100000 + " 64\n")
add("cache-twice", "boot mem=64M\nkmem_cache_create c 64\nkmem_cache_create c 64\n", 2)
add("cache-destroyed", "boot mem=64M\nkmem_cache_create c 64\nkmem_cache_destroy c\n"
    "kmem_cache_alloc c -> $o\n", 2)
add("cache-free-foreign", "boot mem=64M\nkmem_cache_create c 64\nkmalloc 64 -> $o\n"
    "kmem_cache_free c $o\n", 2)

# ---- /proc, /sys, sysctl and the host ----
add("cat-missing", "boot mem=64M\ncat /proc/nope\n", 2)
add("cat-host-file", "boot mem=64M\ncat /etc/passwd\n", 2)
add("cat-traversal", "boot mem=64M\ncat /proc/../../etc/passwd\n", 2)
add("ls-root", "boot mem=64M\nls /\nls /proc/../..\n")
add("sysctl-garbage", "boot mem=64M\nsysctl -w vm.min_free_kbytes=banana\n", 2)
add("sysctl-huge", "boot mem=64M\nsysctl -w vm.min_free_kbytes=99999999999999999999\n", 2)
add("sysctl-negative", "boot mem=64M\nsysctl -w vm.watermark_scale_factor=-5\n", 2)
add("sysctl-every", "boot mem=64M\n" + "".join(
    "sysctl -w vm.%s=%s -> $r\n" % (k, v)
    for k in ("min_free_kbytes", "watermark_scale_factor", "overcommit_memory",
              "overcommit_ratio", "percpu_pagelist_high_fraction", "lowmem_reserve_ratio",
              "drop_caches", "swappiness", "nope")
    for v in ("0", "-1", "4294967296", "1e3", "", "0x10")) + "check\n")
add("proc-write-garbage", "boot mem=64M\necho banana > /proc/sys/vm/min_free_kbytes\n", 2)
add("proc-write-readonly", "boot mem=64M\necho 1 > /proc/meminfo\n", 2)
add("boot-garbage", "boot mem=64Q\n", 2, ["mem=64Q"])
add("boot-control", b"boot mem=64M maxcpus=2\x01\n", 2)
add("commands-before-boot", "alloc_pages -> $p\nfree_pages $p\ncheck\n")

# ---- processes ----
add("proc-unknown", "boot mem=64M\nmmap nobody 4096 -> $v\n", 2)
add("mmap-zero", "boot mem=64M\nspawn a\nmmap a 0 -> $v\n")
add("mmap-huge", "boot mem=64M\nspawn a\nmmap a 16E -> $v\nmmap a 1P -> $w\n")
add("mmap-fixed-wild", "boot mem=64M\nspawn a\nmmap a 4096 fixed=0xffffffffffff0000 -> $v\n"
    "mmap a 4096 fixed=1 -> $w\n")
add("munmap-wild", "boot mem=64M\nspawn a\nmunmap a 0 0xffffffffffffffff\nmunmap a 1 1\n")
add("mprotect-wild", "boot mem=64M\nspawn a\nmprotect a 0x1000 0x7fffffffffff rwx\n")
add("mremap-huge", "boot mem=64M\nspawn a\nmmap a 8192 -> $v\nmremap a $v 8192 1P maymove -> $w\n")
add("brk-wild", "boot mem=64M\nspawn a\nbrk a -1T -> $b\nbrk a +1P -> $c\nbrk a 0 -> $d\n")
add("write-unmapped", "boot mem=64M\nspawn a\nwrite a 0x1000 16\n")
add("touch-huge", "boot mem=64M\nspawn a\nmmap a 1T noreserve -> $v\ntouch a $v 1T\n", None, (),
    STEPS)
add("read-kernel-address", "boot mem=64M\nspawn a\nread a 0xffff888000000000 16\n")
add("pin-unmapped", "boot mem=64M\nspawn a\npin a 0x1000\nunpin a 0x1000\n")
add("exit-twice", "boot mem=64M\nspawn a\nexit_task a\nexit_task a\n", 2)
add("kill-nobody", "boot mem=64M\nkill nobody\n", 2)
add("fork-nobody", "boot mem=64M\nfork nobody b\n", 2)
add("exec-garbage", "boot mem=64M\nspawn a\nexec a text=-1 data=1P\n", 2)

def run(kmm, path, cwd, perturb, extra):
    env = dict(os.environ)
    env["MALLOC_PERTURB_"] = str(perturb)
    env.pop("KMM_STEP_LIMIT", None)
    env.pop("KMM_HOST_MEM", None)
    env.update((k, v) for k, v in extra.items() if k.startswith("KMM_"))
    try:
        # A bound for a hang, not a time limit: under ASan on a loaded
        # 2-core machine process-churn-runaway alone took 44 s.
        p = subprocess.run([kmm, "run", path], cwd=cwd, env=env, capture_output=True,
                           timeout=600)
    except subprocess.TimeoutExpired:
        return None
    return p.returncode, p.stdout, p.stderr


def main():
    kmm = os.path.abspath(sys.argv[1])
    keep = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--keep" else None
    quick = os.environ.get("KMM_QUICK", "0") not in ("", "0")
    fail = 0
    statuses = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = keep or tmp
        os.makedirs(d, exist_ok=True)
        for name, text, want, words, extra in S:
            path = os.path.join(d, name + ".kmm")
            with open(path, "wb") as f:
                f.write(text)
            r1 = run(kmm, path, d, 0, extra)
            r2 = run(kmm, path, d, 165, extra) if r1 and not quick else r1
            if r1 and r2 and "host_dependent_stderr" in extra:
                r2 = (r2[0], r2[1], r1[2])
            why = []
            if r1 is None or r2 is None:
                why.append("did not end within 120 s")
            else:
                rc, out, err = r1
                statuses[rc] = statuses.get(rc, 0) + 1
                if rc < 0:
                    why.append("killed by signal %d" % -rc)
                elif rc not in (0, 1, 2):
                    why.append("exit status %d" % rc)
                if want is not None and rc != want:
                    why.append("exit status %d, expected %d" % (rc, want))
                if rc == 2 and not re.search(rb"%s\.kmm(:\d+)?:" % re.escape(name.encode()),
                                             err):
                    why.append("status 2 without a file:line: message")
                for w in words:
                    if w.encode() not in err:
                        why.append("stderr lacks %r" % w)
                if r2 != r1:
                    why.append("a second run differs (status %d/%d, stdout %s, stderr %s)" % (
                        r1[0], r2[0], "same" if r1[1] == r2[1] else "differs",
                        "same" if r1[2] == r2[2] else "differs"))
            if why:
                fail = 1
                last = (r1[2].decode(errors="replace").strip().splitlines() or [""])[-1] \
                    if r1 else ""
                print("FAIL %s: %s [%s]" % (name, "; ".join(why), last[:200]))
            else:
                print("ok   %s: status %d" % (name, r1[0]))
    print("%d hostile scenarios, each run %s; statuses %s" % (
        len(S), "once" if quick else "twice",
        " ".join("%d:%d" % kv for kv in sorted(statuses.items()))))
    if len(S) < 100:
        print("FAIL: only %d scenarios" % len(S))
        fail = 1
    return fail


if __name__ == "__main__":
    sys.exit(main())
