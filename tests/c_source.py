# SPDX-License-Identifier: MIT
"""tests/c_source.py - reading C source as text, for the tree checkers.

The checkers of tests/ (boundaries.py, linux_map.py, host_pointer_formats.py)
look for patterns in code, so each first hides what is not code: comments,
and, as each needs, the insides of string and character literals and the
preprocessor's lines. strip_c() does that once for all of them. What it
hides becomes spaces; newlines stay, so a match's line number is the line
in the file.
"""
import re

_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(s):
    return _NOT_NEWLINE.sub(" ", s)


def _directive_end(text, i):
    """Where the preprocessor line that starts at text[i] ends (its newline,
    or the end of the text), counting backslash continuations."""
    n = len(text)
    while True:
        e = text.find("\n", i)
        if e < 0:
            return n
        if e > 0 and text[e - 1] == "\\":
            i = e + 1
            continue
        return e


def _literal_end(text, i):
    """The index just past the literal that opens at text[i] (a quote):
    past its closing quote, or at the newline or end where it stops
    unclosed (the newline is not taken)."""
    quote, j, n = text[i], i + 1, len(text)
    while j < n and text[j] != quote and text[j] != "\n":
        j += 2 if text[j] == "\\" else 1
    if j < n and text[j] == quote:
        return j + 1
    return min(j, n)


def strip_c(text, blank_literals=False, blank_directives=False):
    """@text with its comments blanked out, line numbers kept.

    blank_literals: the insides of "..." and '...' blanked too, the quotes
    kept (so that #include "x" still shows where a name was). Otherwise the
    literals stay as written.
    blank_directives: every preprocessor line (with its continuations)
    blanked too.
    """
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and blank_directives and text[i:].lstrip(" \t").startswith("#"):
            j = _directive_end(text, i)
            out.append(_blank(text[i:j]))
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(_blank(text[i:j]))
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
        elif c in "\"'":
            j = _literal_end(text, i)
            if blank_literals:
                closed = j - i >= 2 and text[j - 1] == c
                inner = text[i + 1:j - 1] if closed else text[i + 1:j]
                out.append(c + _blank(inner) + (c if closed else ""))
            else:
                out.append(text[i:j])
        else:
            j = i + 1
            out.append(c)
        line_start = text[j - 1] == "\n"
        i = j
    return "".join(out)


def self_test():
    """Return the number of cases strip_c() gets wrong (printing each)."""
    cases = [
        (("a /* b */ c", {}), "a         c"),
        (("a // b\nc", {}), "a     \nc"),
        (("/* x\ny */z", {}), "    \n    z"),
        (('f("/* no */", 1)', {}), 'f("/* no */", 1)'),
        (('f("/* no */", 1)', {"blank_literals": True}), 'f("        ", 1)'),
        (("c = '\"'; // x", {"blank_literals": True}), "c = ' ';     "),
        (('s = "a\\"b"; /**/', {}), 's = "a\\"b";     '),
        (('#include "x.h"\nint a;', {"blank_directives": True}), "              \nint a;"),
        (("#define A \\\n  1\nint a;", {"blank_directives": True}), "           \n   \nint a;"),
        (("  # if X\nb", {"blank_directives": True}), "        \nb"),
        (("a # b\n#c", {"blank_directives": True}), "a # b\n  "),
        (('"open\nnext', {"blank_literals": True}), '"    \nnext'),
    ]
    bad = 0
    for (src, kw), want in cases:
        got = strip_c(src, **kw)
        if got != want:
            print("c_source self-test: strip_c(%r, %s) = %r, want %r" % (src, kw, got, want))
            bad += 1
    return bad
