#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/linux_map.py - docs/linux-map.md stays true, row by row.

The page is in two files: docs/linux-map.md (the machine up to vmalloc) and
docs/linux-map-process.md (processes to the malloc shim); they are read as
one page, and a problem is reported at its file and line. The page maps every non-static kmm function to its Linux counterpart. This
script reads the sources and the page and fails, printing what is wrong,
when:

  - a non-static function of lib/, arch/sim/, arch/x86/, init/, mm/, fs/ or proc/
    has no row in its file's section ("### path") of the page;
  - a row names a function its file does not define (renamed or gone; an
    inline function of a header, or a structure the file defines, such as a
    subsystem entry, counts as defined);
  - a row marked "kept" (same job, same algorithm, same name) names a
    function whose name is not among the Linux names of its row (Linux's
    name, or with kmm's "_m" suffix for an explicit machine, or a
    "_noprof" function's familiar name);
  - a function listed in the CLI or malloc shim tables is defined nowhere in
    its file;
  - a cli/verbs_*.c file defines a non-static function its CLI row does not
    list, or a verb table (`const struct verb_table NAME`) the page never
    names (the paragraph after the CLI table lists the files that export
    only their table).

Usage: tests/linux_map.py [SOURCE_DIR]    (default: the repository root)
       tests/linux_map.py --self-test
Exit status: 0 when the page is true, 1 otherwise.
"""
import os
import re
import sys

sys.dont_write_bytecode = True	# nothing written into the source tree
from c_source import strip_c  # noqa: E402 (tests/, the script's folder, is on sys.path)
import c_source  # noqa: E402

KERNEL_DIRS = ("lib", "arch/sim", "arch/x86", "init", "mm", "fs", "proc")
PAGES = ("docs/linux-map.md", "docs/linux-map-process.md")
CATEGORIES = ("kept", "simplified", "changed", "renamed", "kmm only")


def strip_code(text):
    """Comments, literals and preprocessor lines blanked, newlines kept."""
    return strip_c(text, blank_literals=True, blank_directives=True)


ATTR_RE = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)")


def defined_functions(text):
    """(name, is_static) for every function defined at file scope."""
    code = strip_code(text)
    found = []
    depth = 0
    start = 0
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0:
                decl = ATTR_RE.sub(" ", code[start:i]).strip()
                m = header_name(decl)
                if m:
                    found.append((m, bool(re.search(r"\bstatic\b", decl))))
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
        elif c == ";" and depth == 0:
            start = i + 1
    return found


def header_name(decl):
    """The function name if @decl is a function header, else None."""
    if not decl.endswith(")") or "=" in decl:
        return None
    depth = 0
    for k in range(len(decl) - 1, -1, -1):
        if decl[k] == ")":
            depth += 1
        elif decl[k] == "(":
            depth -= 1
            if depth == 0:
                m = re.search(r"(\w+)\s*$", decl[:k])
                if not m or m.group(1) in ("if", "while", "for", "switch", "return", "sizeof"):
                    return None
                head = decl[:m.start()].split()
                if not head:	# no return type: not a definition we map
                    return None
                return m.group(1)
    return None


def header_functions(root):
    """Names of the inline functions every header of the tree defines."""
    names = set()
    for top in KERNEL_DIRS + ("include", "cli", "shim"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            for fn in filenames:
                if fn.endswith(".h"):
                    with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                        names |= {n for n, _ in defined_functions(f.read())}
    return names


def parse_map(text, page="docs/linux-map.md", sections=None, tools=None):
    """sections: {path: [("page:line", [kmm names], linux column, category)]}, plus tool
    tables; @sections and @tools, when given, are added to (a page in several files)."""
    sections = {} if sections is None else sections
    tools = [] if tools is None else tools	# ("page:line", file, [names])
    section = None
    for no, line in enumerate(text.split("\n"), 1):
        no = "%s:%d" % (page, no)
        m = re.match(r"^###\s+(.*)$", line)
        if m:
            # "### mm/x.c" or "### mm/a.c, mm/b.c: what they are"
            head = m.group(1).split(":")[0]
            section = tuple(re.findall(r"[\w./-]+\.(?:c|cc)\b", head)) or None
            if section:
                sections.setdefault(section, [])
            continue
        if re.match(r"^##\s", line):
            section = None
            continue
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if section and len(cols) >= 4 and cols[0].startswith("`"):
            names = re.findall(r"`([A-Za-z_]\w*)`", cols[0])
            sections[section].append((no, names, cols[1], cols[2]))
        elif not section and len(cols) >= 3 and re.match(r"^(cli|shim)/\S+\.(c|cc)$", cols[0]):
            names = re.findall(r"`([A-Za-z_]\w*)`", cols[1])
            tools.append((no, cols[0], names))
    return sections, tools


def linux_names(col):
    names = set()
    for n in re.findall(r"`([^`]+)`", col):
        n = re.sub(r"\(.*", "", n).strip()
        names.add(n)
        if n.endswith("_noprof"):
            names.add(n[:-len("_noprof")])
        names.add(n.lstrip("_"))
    return names


def kept_ok(name, col):
    linux = linux_names(col)
    cands = {name, name.lstrip("_")}
    if name.endswith("_m"):
        cands.add(name[:-2])
    return bool(cands & linux)


def read_pages(root):
    """The page's files as one text, and its sections and tool tables."""
    sections, tools, text = {}, [], ""
    for page in PAGES:
        with open(os.path.join(root, page), encoding="utf-8") as f:
            part = f.read()
        parse_map(part, page, sections, tools)
        text += part
    return sections, tools, text


def check(root):
    errors = []
    sections, tools, _ = read_pages(root)
    inline = header_functions(root)
    covered = set()
    for paths, rows in sorted(sections.items()):
        funcs = []
        for path in paths:
            full = os.path.join(root, path)
            if not os.path.isfile(full):
                errors.append("docs/linux-map*.md: section ### %s: no such file" % path)
                continue
            covered.add(path)
            with open(full, encoding="utf-8", errors="replace") as f:
                funcs += [(path, n, st) for n, st in defined_functions(f.read())]
        public = {(p, n) for p, n, st in funcs if not st}
        alln = {n for _, n, _ in funcs} | inline
        words = set()	# a row may also name an object the file defines (an entry)
        for p in paths:
            if os.path.isfile(os.path.join(root, p)):
                with open(os.path.join(root, p), encoding="utf-8", errors="replace") as f:
                    words |= set(re.findall(r"^(?:const\s+)?struct\s+\w+\s+(\w+)\s*=",
                                            strip_code(f.read()), re.M))
        alln |= words
        path = ", ".join(paths)
        listed = set()
        for no, names, linux, cat in rows:
            if cat not in CATEGORIES:
                errors.append("%s: unknown category '%s' (one of %s)" %
                              (no, cat, ", ".join(CATEGORIES)))
            for n in names:
                listed.add(n)
                if n not in alln:
                    errors.append("%s: ### %s names `%s`, which neither "
                                  "defines (nor a header inline)" % (no, path, n))
            if cat == "kept" and names and not any(kept_ok(n, linux) for n in names):
                errors.append("%s: `%s` is marked kept but Linux's name "
                              "differs (%s): rename it, or say changed/simplified/renamed" %
                              (no, names[0], linux))
        for p, n in sorted(public):
            if n not in listed:
                errors.append("%s: non-static `%s` has no row under ### %s in docs/linux-map*.md" %
                              (p, n, path))
    for top in KERNEL_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            for fn in sorted(filenames):
                if not fn.endswith(".c"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/")
                if rel in covered:
                    continue
                with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                    public = [n for n, st in defined_functions(f.read()) if not st]
                if public:
                    errors.append("%s: %d non-static function(s) (%s) but no ### %s section in "
                                  "docs/linux-map*.md" % (rel, len(public), ", ".join(public[:4]),
                                                         rel))
    for no, path, names in tools:
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            errors.append("%s: %s: no such file" % (no, path))
            continue
        with open(full, encoding="utf-8", errors="replace") as f:
            alln = {n for n, _ in defined_functions(f.read())}
        for n in names:
            if n not in alln and not n.startswith("operator"):
                errors.append("%s: %s does not define `%s`" % (no, path, n))
    errors += check_verb_files(root, tools)
    return errors


def check_verb_files(root, tools):
    """Each cli/verbs_*.c: its exported functions in its row, its verb table named."""
    errors = []
    page = read_pages(root)[2]
    rows = {}
    for _, path, names in tools:
        rows.setdefault(path, set()).update(names)
    cli = os.path.join(root, "cli")
    for fn in sorted(os.listdir(cli)):
        if not (fn.startswith("verbs_") and fn.endswith(".c")):
            continue
        rel = "cli/" + fn
        with open(os.path.join(cli, fn), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for n, st in defined_functions(text):
            if not st and n not in rows.get(rel, set()):
                errors.append("%s: non-static `%s` is not in its row of the CLI table in "
                              "docs/linux-map-process.md%s" % (rel, n, "" if rel in rows else
                                                      " (it has no row)"))
        for t in re.findall(r"^const\s+struct\s+verb_table\s+(\w+)\s*=", strip_code(text), re.M):
            if "`%s`" % t not in page:
                errors.append("%s: its verb table `%s` is not named in docs/linux-map-process.md "
                              "(the paragraph after the CLI table)" % (rel, t))
    return errors


def self_test():
    src = """
static int a(void) { return 0; }
int b(int x)
{
	if (x) { return 1; }
	return 0;
}
__attribute__((weak)) void c(struct page *p) { }
const struct t d = { .f = e };
struct s { int (*g)(void); };
void *h(const char *s, int (*fn)(int)) { return 0; }
#define M(x) do { } while (0)
/* int fake(void) { } */
"""
    got = defined_functions(src)
    want = [("a", True), ("b", False), ("c", False), ("h", False)]
    if got != want:
        print("self-test: defined_functions gave %s, want %s" % (got, want))
        return 1
    if not kept_ok("alloc_pages_m", "`alloc_pages`") or kept_ok("page_remove_rmap",
                                                              "`folio_remove_rmap_ptes`"):
        print("self-test: kept_ok is wrong")
        return 1
    if c_source.self_test():
        return 1
    print("self-test: the function finder, the kept rule and the comment stripper work")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if self_test():
        return 1
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print("linux_map: %d problem(s); docs/linux-map.md says how to read the page" % len(errors))
        return 1
    print("linux_map: every row true")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
