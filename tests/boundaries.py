#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/boundaries.py - the layer boundaries, checked on the sources.

docs/architecture.md ("Boundaries") states the rules; this script is what
holds the tree to them. It reads every C/C++ source and header under the
layer directories and fails, printing FILE:LINE: rule for each crossing,
when:

  - a directory includes a header it may not (the include table below: an
    arrow only points down; private headers stay with their owners);
  - code outside mm/addr.c, mm/include/addr.h and arch/sim/ touches the
    direct map's base (ram.direct): every address conversion goes through
    mm/include/addr.h;
  - code outside arch/sim/ uses the MMU's private window onto RAM
    (sim_phys, mmu->window): kernel code reaches page bytes through
    kmap_local_page() and page_address() only;
  - code outside arch/sim/ and the vmalloc layer maps frames into host
    memory (sim_map_frames): the vmalloc layer's window is the only
    kernel mapping of RAM besides the direct map;
  - cli/ dereferences an mm_struct (it reads a process through
    task_mm_info() and the mm API, mm/include/mm.h).

Usage: tests/boundaries.py [SOURCE_DIR]   (default: the repository root)
       tests/boundaries.py --self-test    (each rule catches a planted crossing)
Exit status: 0 when the tree keeps every rule, 1 otherwise.
"""
import os
import re
import sys

sys.dont_write_bytecode = True	# nothing written into the source tree
from c_source import strip_c  # noqa: E402 (tests/, the script's folder, is on sys.path)
import c_source  # noqa: E402

# Directories whose code is checked. tests/, bench/ and fuzz/ are white-box
# and may include anything.
CHECKED = ("lib", "arch/sim", "arch/x86", "init", "mm", "fs", "proc", "cli", "shim", "lab",
           "include/kmm")

# Who may include what: for each directory (longest prefix wins), the header
# prefixes it may include with "..." (system headers <...> are free).
INCLUDES = {
    "lib": ["lib/"],
    "include/kmm": ["include/kmm/"],
    "arch/sim": ["arch/sim/", "lib/", "arch/x86/include/asm/", "include/kmm/"],
    "arch/x86": ["arch/x86/", "arch/sim/", "lib/", "include/kmm/", "mm/include/"],
    "init": ["init/", "arch/sim/", "arch/x86/include/", "lib/", "include/kmm/", "mm/include/"],
    "mm": ["mm/", "arch/sim/", "arch/x86/include/", "lib/", "include/kmm/"],
    "fs": ["fs/", "arch/sim/", "lib/", "include/kmm/", "mm/include/"],
    "proc": ["proc/", "arch/sim/", "arch/x86/include/", "lib/", "include/kmm/", "mm/include/"],
    "cli": ["cli/", "arch/sim/", "lib/", "include/kmm/", "mm/include/", "lab/"],
    # mm/slab_fast.h: the slab's fast paths, which shim/malloc.c inlines (PRIVATE below)
    "shim": ["shim/", "arch/sim/", "lib/", "include/kmm/", "mm/include/", "mm/slab_fast.h"],
    "lab": ["lab/", "lib/", "include/kmm/"],
}

# Private headers: only these files may include them (fnmatch-free: a file
# matches when its path starts with one of the prefixes).
PRIVATE = {
    "mm/internal.h": ["mm/"],
    "mm/slab.h": ["mm/slab", "mm/slub", "mm/shrinker.c"],
    # The slab's lock-free fast paths, inline: the slab's own files and the
    # malloc shim's malloc() and free() (it brings mm/slab.h along, the one
    # crossing of the slab's private structures, docs/architecture.md).
    "mm/slab_fast.h": ["mm/slab", "mm/slub", "shim/malloc.c"],
    "mm/vmalloc.h": ["mm/vmalloc", "mm/vmap_area.c", "mm/ioremap.c"],
    "mm/page_alloc.h": ["mm/page_alloc", "mm/page_reporting.c"],
}

# Tokens only some files may use: (regex, allowed path prefixes, rule text).
TOKENS = [
    (re.compile(r"\bram\s*\.\s*direct\b|\bram\s*->\s*direct\b"),
     ["mm/addr.c", "mm/include/addr.h", "arch/sim/"],
     "the direct map's base (ram.direct) is read only by mm/addr.c and "
     "mm/include/addr.h: convert with page_address(), virt_to_page(), "
     "kmm_host_to_phys() and friends"),
    (re.compile(r"\bsim_phys\s*\(|\bmmu\s*->\s*window\b"),
     ["arch/sim/"],
     "the MMU's window onto RAM is the simulated hardware's: kernel code "
     "reaches page bytes with kmap_local_page() (or clear_user_highpage(), "
     "copy_user_highpage())"),
    (re.compile(r"\bsim_map_frames\s*\("),
     ["arch/sim/", "mm/vmalloc.c"],
     "only the vmalloc layer maps RAM frames into host memory "
     "(kernel_map_pages()); use kmap_local_page() for a page's bytes"),
]

# cli/ reads processes through task_mm_info() and the mm API: the pattern
# is forbidden in the listed prefixes.
CLI_MM = (re.compile(r"\bmm\s*->|->\s*mm\s*->|->\s*vm_mm\s*->"),
          ["cli/"],
          "cli/ does not read mm_struct fields: use task_mm_info(), "
          "get_task_mm()/mmput() and the mm API (mm/include/mm.h)")

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SOURCE_EXT = (".c", ".h", ".cc")


def owner(path):
    best = None
    for d in INCLUDES:
        if path == d or path.startswith(d + "/"):
            if best is None or len(d) > len(best):
                best = d
    return best


def allowed(path, prefixes):
    return any(path.startswith(p) for p in prefixes)


def check_file(path, text):
    """Return a list of 'path:line: message' for every crossing in one file."""
    errors = []
    d = owner(path)
    lines = text.split("\n")
    for no, line in enumerate(lines, 1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        hdr = m.group(1)
        if hdr in PRIVATE and not allowed(path, PRIVATE[hdr]):
            errors.append("%s:%d: includes %s, private to %s" %
                          (path, no, hdr, ", ".join(PRIVATE[hdr])))
        elif d and "/" in hdr and not allowed(hdr, INCLUDES[d]):
            errors.append("%s:%d: %s/ may not include %s (allowed: %s)" %
                          (path, no, d, hdr, ", ".join(INCLUDES[d])))
    code = strip_c(text, blank_literals=True).split("\n")
    for no, line in enumerate(code, 1):
        for rx, prefixes, why in TOKENS:
            if rx.search(line) and not allowed(path, prefixes):
                errors.append("%s:%d: %s" % (path, no, why))
        rx, forbidden, why = CLI_MM
        if allowed(path, forbidden) and rx.search(line):
            errors.append("%s:%d: %s" % (path, no, why))
    return errors


def sources(root):
    for top in CHECKED:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXT):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root).replace(os.sep, "/"), full


def check_tree(root):
    errors = []
    seen = set()
    for rel, full in sources(root):
        if rel in seen:	# include/kmm is also under include/
            continue
        seen.add(rel)
        with open(full, encoding="utf-8", errors="replace") as f:
            errors += check_file(rel, f.read())
    return errors, len(seen)


def self_test():
    """Each rule must catch a planted crossing and pass its allowed use."""
    cases = [
        ("proc/x.c", '#include "mm/internal.h"\n', True),
        ("mm/x.c", '#include "mm/internal.h"\n', False),
        ("cli/x.c", '#include "mm/slab.h"\n', True),
        ("mm/slub_x.c", '#include "mm/slab.h"\n', False),
        ("mm/rmap.c", '#include "mm/slab.h"\n', True),
        ("mm/highmem.c", '#include "mm/vmalloc.h"\n', True),
        ("lib/x.c", '#include "mm/include/machine.h"\n', True),
        ("lab/x.c", '#include "mm/include/addr.h"\n', True),
        ("mm/x.c", '#include "proc/proc.h"\n', True),
        ("arch/sim/x.h", '#include "mm/include/pgtable.h"\n', True),
        ("mm/slub.c", "p = (char *)m->ram.direct + off;\n", True),
        ("mm/addr.c", "p = (char *)m->ram.direct + off;\n", False),
        ("shim/malloc.c", "x = m->ram.direct;\n", True),
        ("mm/slub.c", "/* m->ram.direct is not read here */\n", False),
        ("mm/memory.c", "p = sim_phys(mmu, pa);\n", True),
        ("arch/sim/mmu.c", "p = sim_phys(mmu, pa);\n", False),
        ("mm/highmem.c", "sim_map_frames(&m->ram, at, &pfn, 1);\n", True),
        ("mm/vmalloc.c", "sim_map_frames(ram, host, pfns, n);\n", False),
        ("cli/verbs_proc.c", "n = t->mm->map_count;\n", True),
        ("cli/verbs_proc.c", "struct mm_struct *mm = get_task_mm(t);\n", False),
        ("proc/pid.c", "n = mm->map_count;\n", False),
    ]
    bad = c_source.self_test()
    for path, text, should_fail in cases:
        got = check_file(path, text)
        if bool(got) != should_fail:
            bad += 1
            print("self-test: %s %r: expected %s, got %s" %
                  (path, text.strip(), "a crossing" if should_fail else "none", got or "none"))
    if bad:
        print("self-test: %d case(s) wrong" % bad)
        return 1
    print("self-test: %d cases, each rule catches its crossing" % len(cases))
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if self_test():
        return 1
    errors, n = check_tree(root)
    for e in errors:
        print(e)
    if errors:
        print("boundaries: %d crossing(s) in %d files; the rules are in docs/architecture.md "
              "(Boundaries) and tests/boundaries.py" % (len(errors), n))
        return 1
    if n < 50:
        print("boundaries: only %d source files found under %s: wrong directory?" % (n, root))
        return 1
    print("boundaries: %d files, no crossing" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
