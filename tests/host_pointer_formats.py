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
    printed as a number), or
  - is handed an argument cast to any other integer type ((unsigned long)p,
    (uint64_t)p), through any further casts ((unsigned long long)(uint64_t)p,
    (unsigned long)(char *)p), whose operand is a pointer: a name declared as
    a pointer in the function (its parameters and locals, every declarator
    of a list: the b of "struct page *a, *b") or at file scope, the address
    of something (&x), or a call of a function the tree declares to return
    a pointer (page_address(page)).

Not covered (such an argument passes): what the cast reaches through a
field or an element ((unsigned long)vm->addr: fields are not typed here), an
array's name ((unsigned long)buf for char buf[8]), arithmetic on a pointer
((unsigned long)(p + 1)), a pointer declared in a for statement's first
clause after a comma, and a format held in a variable.

ALLOW lists the (file, format) pairs that may, each with why: a format
whose pointer is a machine address, or a test driver's print of the pointer
it hands the malloc shim, for its suite to find in the shim's report of the
same run (the shim names the caller's pointer as glibc's reports do; no
such line reaches a golden file or a second run).

Usage: tests/host_pointer_formats.py [SOURCE_DIR]   (default: the repository root)
       tests/host_pointer_formats.py --self-test    (each rule catches a planted case)
Exit status: 0 when no format prints a host pointer, 1 otherwise.
"""
import os
import re
import sys

sys.dont_write_bytecode = True	# nothing written into the source tree
from c_source import strip_c  # noqa: E402 (tests/, the script's folder, is on sys.path)
import c_source  # noqa: E402

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
# pointer. Only a machine address, or a test driver's pointer that its suite
# matches against the shim's report in the same run (see above).
ALLOW = {
    ("shim/misuse.c", "ptr %#lx\\n"):
        "the misuse driver names the pointer it misuses; tests/shim_misuse.sh checks that "
        "kmm-malloc's abort message names the same one (kmm-named vs kmm-unnamed)",
}

FORMAT_ATTR = re.compile(
    r"\b(\w+)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*"
    r"(?:__attribute__\s*\(\(\s*format\s*\(\s*(?:__)?printf(?:__)?\s*,\s*(\d+)\s*,\s*\d+\s*\)\s*\)\))",
    re.S)
CONVERSION = re.compile(r"%([-+ #0'I]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|j|z|t|L|q)?([a-zA-Z%])")
HOST_INT_CAST = re.compile(r"\(\s*(?:const\s+)?u?intptr_t\s*\)")
_INT_WORD = (r"(?:unsigned|signed|long|int|short|char|size_t|ssize_t|ptrdiff_t|"
             r"u?int(?:8|16|32|64|max)_t|[us](?:8|16|32|64))")
# Any cast ("(uint64_t)", "(char *)", "(const struct page *)"), as may stand
# between an integer cast and its operand.
_ANY_CAST = (r"\(\s*(?:const\s+)?(?:(?:struct|union|enum)\s+)?\w+(?:\s+\w+)*\s*"
             r"(?:\*\s*(?:const\s*)?)*\)\s*")
# An integer cast, any casts after it, and what follows them: "&", a name
# (and what comes after the name), or a name in parentheses.
INT_CAST = re.compile(r"\(\s*(?:const\s+)?" + _INT_WORD + r"(?:\s+" + _INT_WORD + r")*\s*\)"
                      r"\s*(?:" + _ANY_CAST + r")*"
                      r"(?:(&)|\(\s*(\w+)\s*\)|(\w+)\s*(->|\.|\[|\()?)")
# "*name" followed by what may follow a declarator, or by "(" (a function
# returning a pointer); it declares when a type stands before the "*" at the
# start of a declaration (DECL_HEAD, tested on the text before the match).
POINTER_NAME = re.compile(r"\*[\s*]*(?:(?:const|restrict|__restrict)\s+)*(\w+)\s*(?=[,;=)\[])")
POINTER_FN_NAME = re.compile(r"\*[\s*]*(\w+)\s*\(")
DECL_HEAD = re.compile(r"(?:^|[;{}(,])\s*(?:(?:const|static|volatile|register|extern|inline|"
                       r"_Atomic|struct|union|enum|unsigned|signed)\s+)*\w+\s*(?:const\s*)?\Z", re.M)
# A later declarator of a list ("*b" of "struct page *a, *b"): the statement
# before its "," starts with a type and a first declarator ...
LIST_HEAD = re.compile(r"\s*(?:(?:const|static|volatile|register|extern|_Atomic|struct|union|"
                       r"enum|unsigned|signed)\s+)*(\w+)[\s*]+(?:const\s+)?\w+")
# ... whose first word is a type, not a statement's keyword.
NOT_TYPES = {"return", "goto", "case", "else", "do", "sizeof", "typeof", "if", "while", "for",
             "switch", "break", "continue", "default"}


def later_declarator(code, pos):
    """The "*name" at @pos follows the "," of a declaration list: the
    statement before it starts with a type and a declarator, and the ","
    stands outside any parentheses (not a call's "f(a, *b)")."""
    before = code[max(0, pos - 1000):pos]
    if not before.rstrip().endswith(","):
        return False
    stmt = before[max(before.rfind(c) for c in ";{}") + 1:]
    if stmt.count("(") != stmt.count(")") or stmt.count("[") != stmt.count("]"):
        return False
    m = LIST_HEAD.match(stmt)
    return bool(m) and m.group(1) not in NOT_TYPES


def declared(rx, code):
    """The names @rx finds in @code where a type stands before the "*", or
    that follow a "," of a declaration list."""
    return {m.group(1) for m in rx.finditer(code)
            if DECL_HEAD.search(code, max(0, m.start() - 120), m.start())
            or later_declarator(code, m.start())}
PRI_MACRO = re.compile(r"\bPRI([diouxX])(8|16|32|64|PTR|MAX)\b")


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


def top_level(code):
    """The text at brace depth 0 (bodies blanked) and, for each top-level
    body, (start of its head, end of the body): a function with its
    parameters and locals."""
    outside, spans = [], []
    depth, head = 0, 0
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0:
                start = head
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
                head = i + 1
                c = " "
        elif c == ";" and depth == 0:
            head = i + 1
        outside.append(c if depth == 0 else ("\n" if c == "\n" else " "))
    return "".join(outside), spans


def without_parentheses(code):
    """@code with what stands inside parentheses blanked (a prototype's
    parameters are not variables of the file)."""
    out, depth = [], 0
    for c in code:
        if c == ")" and depth:
            depth -= 1
        out.append(c if depth == 0 or c == "\n" else " ")
        if c == "(":
            depth += 1
    return "".join(out)


def pointer_functions(texts):
    """Every function a source of the tree declares or defines to return a
    pointer; @texts are the sources with comments and literals blanked."""
    found = set()
    for text in texts:
        found |= declared(POINTER_FN_NAME, top_level(text)[0])
    return found


def pointer_operand(arg, scope_pointers, pointer_fns):
    """The operand of an integer cast in @arg that is a host pointer, or None."""
    for c in INT_CAST.finditer(arg):
        amp, paren_name, name, after = c.groups()
        if amp:
            return "&"
        if paren_name and paren_name in scope_pointers:
            return paren_name
        if name and after == "(" and name in pointer_fns:
            return name + "()"
        if name and not after and name in scope_pointers:
            return name
    return None


def check_text(path, text, printers, counted=None, pointer_fns=frozenset(), bare=None):
    """(line, message) for each format of @text that shows a host pointer;
    @counted (a list) gets one entry per format checked; @pointer_fns: the
    functions that return a pointer; @bare: @text with comments and literals
    blanked, when the caller has it."""
    errors = []
    code = strip_c(text)
    bare = bare if bare is not None else strip_c(text, blank_literals=True)
    outside, spans = top_level(bare)
    file_pointers = declared(POINTER_NAME, without_parentheses(outside))
    span_pointers = {}
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
        span = next(((s, e) for s, e in spans if s <= m.start() < e), None)
        if span not in span_pointers:
            span_pointers[span] = file_pointers | (declared(POINTER_NAME, bare[span[0]:span[1]])
                                                   if span else set())
        pointers = span_pointers[span]
        for a in args[idx + 1:]:
            if HOST_INT_CAST.search(a):
                errors.append((line, '%s("%s"): argument "%s" is a host pointer cast to an '
                               'integer' % (m.group(1), fmt, " ".join(a.split()))))
            elif pointer_operand(a, pointers, pointer_fns):
                errors.append((line, '%s("%s"): argument "%s" casts a host pointer (%s) to '
                               'an integer' % (m.group(1), fmt, " ".join(a.split()),
                                               pointer_operand(a, pointers, pointer_fns))))
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
    bare = [strip_c(text, blank_literals=True) for _, text in files]
    pointer_fns = pointer_functions(bare)
    errors, counted = [], []
    for (rel, text), b in zip(files, bare):
        for line, msg in check_text(rel, text, printers, counted, pointer_fns, b):
            errors.append("%s:%d: %s" % (rel, line, msg))
    return errors, printers, len(counted)


def self_test():
    """Each rule catches a planted case; the machine's addresses pass."""
    header = ('int kmm_set_error(int err, const char *fmt, ...) '
              '__attribute__((format(printf, 2, 3)));\n'
              'void sb_printf(struct strbuf *sb, const char *fmt, ...)\n'
              '\t__attribute__((format(printf, 2, 3)));\n')
    printers = printers_of([header])
    pointer_fns = pointer_functions(['static inline void *page_address(const struct page *page);\n'
                                     'unsigned long page_to_pfn(const struct page *page);\n'
                                     'int f(void)\n{\n\treturn a * b(c);\n}\n'])
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
        # integer casts: flagged when the operand is a pointer
        ('static void name(const void *p)\n{\n\tfprintf(stderr, "ptr %#lx\\n", '
         '(unsigned long)p);\n}', True),
        ('void f(void)\n{\n\tstruct page *page = g();\n\tsb_printf(sb, "%llx", '
         '(unsigned long long)(page));\n}', True),
        ('void f(void)\n{\n\tint x;\n\tsb_printf(sb, "%#lx", (unsigned long)&x);\n}', True),
        ('void f(struct page *pg)\n{\n\tsb_printf(sb, "%" PRIx64, '
         '(uint64_t)page_address(pg));\n}', True),
        ('void f(void)\n{\n\tunsigned long p = 3;\n\tsb_printf(sb, "%lx", (unsigned long)p);\n}',
         False),
        ('void f(struct page *p)\n{\n\tsb_printf(sb, "%lx", (unsigned long)page_to_pfn(p));\n}',
         False),
        ('void f(struct vm_struct *vm)\n{\n\tsb_printf(sb, "%lx", (unsigned long)vm->size);\n}',
         False),
        # every declarator of a list; casts in a chain
        ('void f(void)\n{\n\tstruct page *a, *b;\n\tsb_printf(sb, "%lx", (unsigned long)b);\n}',
         True),
        ('void f(void)\n{\n\tunsigned long n = 1, *q = 0;\n\tsb_printf(sb, "%lx", '
         '(unsigned long)q);\n}', True),
        ('void f(uint64_t *p)\n{\n\tsb_printf(sb, "%llx", (unsigned long long)(uint64_t)p);\n}',
         True),
        ('void f(void *p)\n{\n\tsb_printf(sb, "%lx", (unsigned long)(char *)p);\n}', True),
        ('void f(void *p)\n{\n\tsb_printf(sb, "%lx", (unsigned long)(const struct page *)p);\n}',
         True),
        # a call's "f(a, *b)" declares nothing; a chain of casts of an integer is an integer
        ('void f(int a, int *b)\n{\n\tint n;\n\tg(a, *b);\n\tn = h(a, *n);\n\tsb_printf(sb, '
         '"%lx", (unsigned long)(uint64_t)n);\n}', False),
        ('void f(void)\n{\n\tint x = a * b, c;\n\tsb_printf(sb, "%ld", (long)(int)c);\n}', False),
        # a pointer of another function, or a prototype's parameter, is not this one's
        ('void g(char *n);\nvoid f(void)\n{\n\tchar *n = 0;\n}\n'
         'void h(long n)\n{\n\tsb_printf(sb, "%ld", (long)n);\n}', False),
    ]
    bad = c_source.self_test()
    if pointer_fns != {"page_address"}:
        print("self-test: functions returning a pointer: %s, want page_address" % pointer_fns)
        bad += 1
    if "kmm_set_error" not in printers or "sb_printf" not in printers:
        print("self-test: the format attribute of a declaration was not found")
        bad += 1
    for src, flagged in cases:
        got = bool(check_text("mm/x.c", src, printers, None, pointer_fns))
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
