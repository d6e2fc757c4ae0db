#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/progress_tty.py - the progress bar of long scenario runs
(cli/progress.c, cli/runner.c): drawn on standard error when it is a
terminal and the run is long, never otherwise, and wiped before output.

  1. a run of 3 million steps with stderr on a pseudo-terminal: the bar
     ("\\r[===...] NN% DONE/TOTAL steps") appears, its percentages rise to
     100%, its total is the script's step count, and it is wiped at the end;
  2. the same run with stderr on a pipe: not one byte on stderr;
  3. a short run (a few steps) on the terminal: no bar.
  4. output printed while the bar is up starts on a wiped line.
  5. `kmm lab fit` replaying a trace of 1.2 million operations (at least
     2^20: cli/lab_fit.c) draws the same bar on the terminal, rising to
     100% and wiped at the end, with the same standard output as on a pipe,
     where stderr stays empty; a short replay draws none.
  6. `kmm lab pages` running 2 policies at 12 frame counts over a string of
     200,000 references (4.8 million references replayed: more than the
     2^22 at which cli/lab_pages.c draws) draws the bar once per run, rising
     to 100%, wiped at the end, with the same standard output as on a pipe,
     where stderr stays empty; below 2^22 references (one policy, two frame
     counts) it draws none.

Usage: tests/progress_tty.py KMM   (exit 0 pass, 1 fail)
"""
import os
import pty
import random
import re
import shutil
import subprocess
import sys
import tempfile

LONG = "repeat 1000000 { let $x = 1; let $y = 2 }"   # 1 + 1e6 * 3 steps


def run_on_pty(kmm, args):
    master, slave = pty.openpty()
    p = subprocess.Popen([kmm] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out = p.stdout.read()
    p.wait()
    os.close(master)
    return p.returncode, out.decode(), err.decode()


def main(argv):
    kmm = argv[1]
    fails = []

    def check(c, what):
        if not c:
            fails.append(what)
            print("FAIL: " + what)

    rc, out, err = run_on_pty(kmm, ["run", "-e", LONG])
    bars = re.findall(r"\r\[(=*) *\] +(\d+)% (\d+)/(\d+) steps", err)
    check(rc == 0, "the long run exits 0 (%d)" % rc)
    check(len(bars) >= 5, "the bar is drawn on the terminal (%d times): %r" % (len(bars), err[:200]))
    pcts = [int(b[1]) for b in bars]
    check(pcts == sorted(pcts) and pcts and pcts[-1] >= 90, "its percentages rise: %s" % pcts[-5:])
    check(all(int(b[3]) == 3000001 for b in bars), "its total is the script's 3000001 steps")
    check(all(abs(len(b[0]) - int(b[1]) * 0.4) <= 1 for b in bars), "its bar has the percentage's length")
    check(err.endswith("\r"), "it is wiped at the end (%r)" % err[-20:])

    r = subprocess.run([kmm, "run", "-e", LONG], capture_output=True)
    check(r.returncode == 0 and r.stderr == b"", "with stderr on a pipe: nothing (%r)" % r.stderr[:80])

    rc, out, err = run_on_pty(kmm, ["run", "-e", "let $x = 1", "-e", "print $x"])
    check(rc == 0 and err == "" and out == "1\n", "a short run draws no bar (%r)" % err[:80])

    rc, out, err = run_on_pty(kmm, ["run", "-e", LONG, "-e", "print 7", "-e", LONG])
    check(out == "7\n", "output still goes to stdout (%r)" % out)
    check(err.count("\r" + " " * 72 + "\r") >= 2, "the bar is wiped before the print and at the end")
    # the allocator lab's replays
    lab = ["lab", "fit", "--policy", "first-fit", "synthetic:seed=1,allocs=600000"]
    rc, out, err = run_on_pty(kmm, lab)
    bars = re.findall(r"\r\[(=*) *\] +(\d+)%", err)
    pcts = [int(b[1]) for b in bars]
    check(rc == 0, "the lab's replay exits 0 (%d)" % rc)
    check(len(bars) >= 3 and pcts == sorted(pcts) and pcts[-1] == 100,
          "the lab's replay draws a rising bar to 100%% on the terminal: %s" % pcts[-5:])
    check(all(abs(len(b[0]) - int(b[1]) * 0.4) <= 1 for b in bars), "the lab's bar has the percentage's length")
    check(err.endswith("\r" + " " * 72 + "\r"), "the lab's bar is wiped at the end (%r)" % err[-20:])
    r = subprocess.run([kmm] + lab, capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", "the lab's replay on a pipe: nothing on stderr (%r)" % r.stderr[:80])
    check(r.stdout == out and "first-fit" in out, "the lab's output is the same on a terminal and a pipe")
    rc, out, err = run_on_pty(kmm, ["lab", "fit", "--policy", "first-fit", "synthetic:seed=1,allocs=1000"])
    check(rc == 0 and err == "" and "first-fit" in out, "a short lab replay draws no bar (%r)" % err[:80])
    lab_pages(kmm, check)
    if fails:
        print("progress_tty: %d check(s) failed" % len(fails))
        return 1
    print("progress_tty: all checks passed")
    return 0


def lab_pages(kmm, check):
    """`kmm lab pages`' bar: drawn after each policy and frame count once more than 2^22
    references are replayed in all, on a terminal only."""
    tmp = tempfile.mkdtemp(prefix="kmm-progress-")
    try:
        refs = os.path.join(tmp, "refs.txt")
        rnd = random.Random(1)
        with open(refs, "w") as f:
            f.write(" ".join(str(rnd.randrange(64)) for _ in range(200000)) + "\n")
        runs = 2 * 12
        args = ["lab", "pages", "--policy", "fifo,lru", "--frames", "1..12", refs]
        rc, out, err = run_on_pty(kmm, args)
        bars = re.findall(r"\r\[(=*) *\] +(\d+)%", err)
        pcts = [int(b[1]) for b in bars]
        check(rc == 0 and "200000 references" in out, "lab pages exits 0 with its table (%d, %r)" % (rc, out[:80]))
        check(len(bars) == runs, "lab pages draws the bar after each of its %d runs (%d times)" % (runs, len(bars)))
        check(pcts == sorted(pcts) and pcts[-1:] == [100] and pcts[0] < 10,
              "lab pages' bar rises from its first run to 100%%: %s" % pcts)
        check(all(abs(len(b[0]) - int(b[1]) * 0.4) <= 1 for b in bars), "lab pages' bar has the percentage's length")
        check(err.endswith("\r" + " " * 72 + "\r") and err.count("\r" + " " * 72 + "\r") == 1,
              "lab pages' bar is wiped once, at the end (%r)" % err[-20:])
        r = subprocess.run([kmm] + args, capture_output=True, text=True)
        check(r.returncode == 0 and r.stderr == "", "lab pages on a pipe: nothing on stderr (%r)" % r.stderr[:80])
        check(r.stdout == out, "lab pages prints the same on a terminal and a pipe")
        # 2 runs of 200,000 references: 400,000, below 2^22
        rc, out, err = run_on_pty(kmm, ["lab", "pages", "--policy", "fifo", "--frames", "1..2", refs])
        check(rc == 0 and err == "" and "fifo" in out, "lab pages below 2^22 references draws no bar (%r)" % err[:80])
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
