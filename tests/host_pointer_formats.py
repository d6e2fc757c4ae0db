#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/host_pointer_formats.py - no format string prints a host pointer.

kmm's rule: two runs print the same bytes, and no host address ever shows
(ASLR moves every host pointer from run to run). What kmm prints about
memory is the machine's own address (kmm_host_to_kva(), kernel_host_to_va(),
page_to_pfn()), never the host pointer it reached the bytes through. This
script reads every source of the library, the kmm command, the malloc shim
and the allocator lab, finds each call of a printf-like function (every
function a header declares with __attribute__((format(printf, N, M))), such
as kmm_set_error, kmm_printk, sb_printf, slab_bug, ctx_printf, and libc's
printf family), and fails, printing FILE:LINE, when its format:

  - has a %p conversion (a host pointer; kmm's machine addresses are
    integers and print as %#lx / 0x%016llx), or
  - is handed an argument cast to uintptr_t or intptr_t (a host pointer
    printed as a number).

ALLOW lists the (file, format) pairs that may, each with why: only formats
whose pointer is a machine address may be listed (none needs to be today).

Usage: tests/host_pointer_formats.py [SOURCE_DIR]   (default: the repository root)
       tests/host_pointer_formats.py --self-test    (each rule catches a planted case)
Exit status: 0 when no format prints a host pointer, 1 otherwise.
"""
import os
import re
import sys

# What is checked: everything that prints for a user. tests/, bench/ and
# fuzz/ print their own diagnostics and are not held to the rule.
CHECKED = ("lib", "arch", "init", "mm", "fs", "proc", "cli", "shim", "lab", "include")
SOURCE_EXT = (".c", ".h")

# libc's printers: name -> 1-based index of the format argument.
LIBC_PRINTERS = {
    "printf": 1, "fprintf": 2, "dprintf": 2, "sprintf": 2, "snprintf": 3, "asprintf": 2,
    "vprintf": 1, "vfprintf": 2, "vdprintf": 2, "vsprintf": 2, "vsnprintf": 3, "vasprintf": 2,
}

# (path, format text as written between the quotes) -> why it may show a
# pointer. Only a machine address may be allowed, never a host one.
ALLOW = {
}

FORMAT_ATTR = re.compile(
    r"\b(\w+)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*"
    r"(?:__attribute__\s*\(\(\s*format\s*\(\s*(?:__)?printf(?:__)?\s*,\s*(\d+)\s*,\s*\d+\s*\)\s*\)\))",
    re.S)
CONVERSION = re.compile(r"%([-+ #0'I]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|j|z|t|L|q)?([a-zA-Z%])")
HOST_INT_CAST = re.compile(r"\(\s*(?:const\s+)?u?intptr_t\s*\)")
PRI_MACRO = re.compile(r"\bPRI([diouxX])(8|16|32|64|PTR|MAX)\b")


def strip_comments(text):
    """Comments blanked out (strings kept), newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(text, start):
    """The arguments of the call whose '(' is at text[start]: (list, end) or None."""
    depth, i, n = 0, start, len(text)
    args, cur = [], start + 1
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[cur:i])
                return args, i
        elif c == "," and depth == 1:
            args.append(text[cur:i])
            cur = i + 1
        elif c == ";" and depth <= 1:
            return None
        i += 1
    return None


def literal_format(arg):
    """The format an argument spells: adjacent string literals (and PRIx64
    macros) joined, or None when it is not made of literals only."""
    arg = arg.strip()
    if not arg.startswith('"'):
        return None
    out, i, n = [], 0, len(arg)
    while i < n:
        if arg[i].isspace():
            i += 1
        elif arg[i] == '"':
            j = i + 1
            while j < n and arg[j] != '"':
                j += 2 if arg[j] == "\\" else 1
            out.append(arg[i + 1:j])
            i = j + 1
        else:
            m = PRI_MACRO.match(arg, i)
            if m:
                out.append("l" + m.group(1))
                i = m.end()
                continue
            m = re.match(r"[A-Z_][A-Z0-9_]*", arg[i:])
            if not m:
                return None
            out.append("")	# a macro of text (no conversions in it is assumed)
            i += m.end()
    return "".join(out)


def printers_of(texts):
    """Every function declared with a printf format attribute: name -> format index."""
    found = dict(LIBC_PRINTERS)
    for text in texts:
        for m in FORMAT_ATTR.finditer(text):
            found[m.group(1)] = int(m.group(2))
    return found


def check_text(path, text, printers, counted=None):
    """(line, message) for each format of @text that shows a host pointer;
    @counted (a list) gets one entry per format checked."""
    errors = []
    code = strip_comments(text)
    names = "|".join(sorted(map(re.escape, printers), key=len, reverse=True))
    for m in re.finditer(r"(?<![\w.>])(" + names + r")\s*\(", code):
        parsed = split_args(code, m.end() - 1)
        if not parsed:
            continue
        args, _ = parsed
        idx = printers[m.group(1)] - 1
        if idx >= len(args):
            continue
        fmt = literal_format(args[idx])
        if fmt is None:
            continue	# a declaration, or a format held in a variable
        line = code.count("\n", 0, m.start()) + 1
        if counted is not None:
            counted.append(line)
        if (path, fmt) in ALLOW:
            continue
        for c in CONVERSION.finditer(fmt):
            if c.group(5) == "p":
                errors.append((line, '%s("%s"): %%p prints a host pointer; print the machine\'s '
                               'address (kmm_host_to_kva(), kernel_host_to_va(), the pfn) or '
                               'name the object without one' % (m.group(1), fmt)))
                break
        for a in args[idx + 1:]:
            if HOST_INT_CAST.search(a):
                errors.append((line, '%s("%s"): argument "%s" is a host pointer cast to an '
                               'integer' % (m.group(1), fmt, " ".join(a.split()))))
    return errors


def sources(root):
    for top in CHECKED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXT):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root), full


def check_tree(root):
    files = []
    for rel, full in sources(root):
        with open(full, encoding="utf-8", errors="replace") as fh:
            files.append((rel, fh.read()))
    printers = printers_of(text for _, text in files)
    errors, counted = [], []
    for rel, text in files:
        for line, msg in check_text(rel, text, printers, counted):
            errors.append("%s:%d: %s" % (rel, line, msg))
    return errors, printers, len(counted)


def self_test():
    """Each rule catches a planted case; the machine's addresses pass."""
    header = ('int kmm_set_error(int err, const char *fmt, ...) '
              '__attribute__((format(printf, 2, 3)));\n'
              'void sb_printf(struct strbuf *sb, const char *fmt, ...)\n'
              '\t__attribute__((format(printf, 2, 3)));\n')
    printers = printers_of([header])
    cases = [
        ('kmm_set_error(-EINVAL, "kfree: %p belongs to no machine", p);', True),
        ('kmm_set_error(-EINVAL, "x: %-16p y", p);', True),
        ('sb_printf(sb,\n\t  " %p", vm->caller_addr);', True),
        ('snprintf(buf, sizeof(buf), "at %#lx", (uintptr_t)p);', True),
        ('kmm_set_error(-EINVAL, "bad " "%p" " here", p);', True),
        ('kmm_set_error(-EINVAL, "kfree: 0x%lx is not a kmalloc\'ed pointer",\n'
         '\t(unsigned long)kmm_host_to_kva(m, p));', False),
        ('kmm_set_error(-EINVAL, "100%% of %s", name);', False),
        ('sb_printf(sb, "%" PRIx64 " %pages", v);', True),	# %p then "ages"
        ('/* kmm_set_error(-EINVAL, "%p", p); */', False),
        ('sb_printf(sb, fmt, p);', False),
    ]
    bad = 0
    if "kmm_set_error" not in printers or "sb_printf" not in printers:
        print("self-test: the format attribute of a declaration was not found")
        bad += 1
    for src, flagged in cases:
        got = bool(check_text("mm/x.c", src, printers))
        if got != flagged:
            print("self-test: %s: expected %s, got %s" %
                  (src.replace("\n", " "), "flagged" if flagged else "clean",
                   "flagged" if got else "clean"))
            bad += 1
    return bad


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return 1 if self_test() else 0
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if self_test():
        return 1
    errors, printers, nr_formats = check_tree(root)
    for e in errors:
        print(e)
    for must in ("kmm_set_error", "kmm_printk", "sb_printf"):
        if must not in printers:
            print("host_pointer_formats: no printf-like declaration of %s found: the scan "
                  "would check nothing" % must)
            return 1
    if errors:
        print("%d format(s) print a host pointer" % len(errors))
        return 1
    if nr_formats < 1000:
        print("host_pointer_formats: only %d formats found: the scan lost its way" % nr_formats)
        return 1
    print("ok: %d formats of %d printf-like functions, none prints a host pointer" %
          (nr_formats, len(printers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
