#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""shim/cold_strings.py HOT_SYMBOLS OUT_LD OBJECT...

Writes the lld script that keeps the strings no small program reads out of
libkmm-malloc.so's first segment (cmake/shim.cmake runs it before each link
of the library, on the objects it links).

Why: the first segment (the dynamic symbols, the relocations and .rodata)
is read by the loader at start, and the host maps every page of it that
the page cache holds at that first fault (fault-around, 64 KiB windows):
all of it was resident in every process, 60 KB, of which ~47 KB were the
strings of libkmm's messages, /proc formats and reports. A program that
mallocs runs the functions of shim/hot-symbols.txt, and they read ~8 KB
of those strings (the boot's log lines and option names). gcc, with
-ffunction-sections, emits a function's string literals in a section of its
own, .rodata.FUNCTION.str1.N, and lld merges them per output section, so
the script sends every such section to .rodata.cold, after the unwind
tables, in the read-only segment that only an unwinder reads
(shim/plt_first.ld), from a 64 KiB boundary on (a window of its own: an
unwind does not map the strings, a rare path's message does not map the
tables) - except those that a listed function, or any data,
refers to, which go to .rodata.hot at the head of the first segment.

Why the references and not only the names: gcc emits a literal that two
functions of a file share once, in the section of the first of them it
writes out, so a listed function can read a string from another function's
section ("%s" of lib/vsprintf.c's callers did: the first try mapped a
window of the cold segment in every process). A reference from data (a
table of names) keeps its section hot too: what reads the table is not
known here. Everything else (strings of file-scope initialisers, constants)
stays in .rodata, in the first segment, as before.

tests/shim_small_windows.py checks the result: the small programs leave the
cold segment unmapped. Needs readelf (READELF, else readelf on PATH).
"""
import os
import re
import subprocess
import sys

STRING_SECTION = re.compile(r'^\.rodata\..+\.str\d')
TEXT_PREFIXES = ('unlikely.', 'startup.', 'hot.', 'exit.')


def hot_functions(path):
    names = set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                names.add(line)
    return names


def function_of(rela_name):
    """The function whose code a relocation section patches, or None."""
    if not rela_name.startswith('.rela.text.'):
        return None
    name = rela_name[len('.rela.text.'):]
    for p in TEXT_PREFIXES:
        if name.startswith(p):
            return name[len(p):]
    return name


def hot_string_sections(obj, hot, readelf):
    """The string sections of @obj that hot code or any data refers to."""
    out = subprocess.run([readelf, '-SrsW', obj], capture_output=True, text=True,
                         check=True).stdout
    sections = {}		# index -> name
    symbol_section = {}	# local symbol name (.LC12) -> section index
    refs = []		# (relocation section, symbol name)
    part, rela = None, None
    for line in out.split('\n'):
        if line.startswith('Section Headers:'):
            part = 'S'
            continue
        if line.startswith("Relocation section '"):
            part, rela = 'r', line.split("'")[1]
            continue
        if line.startswith("Symbol table '"):
            part = 's'
            continue
        if part == 'S':
            m = re.match(r'^\s+\[\s*(\d+)\]\s+(\S+)', line)
            if m:
                sections[int(m.group(1))] = m.group(2)
        elif part == 'r':
            f = line.split()
            if len(f) >= 5 and re.match(r'^[0-9a-f]{16}$', f[0]):
                refs.append((rela, f[4]))
        elif part == 's':
            f = line.split()
            if len(f) == 8 and f[0].endswith(':') and f[6].isdigit():
                symbol_section[f[7]] = int(f[6])
    keep = set()
    for rela, sym in refs:
        target = sym if STRING_SECTION.match(sym) else sections.get(symbol_section.get(sym, -1), '')
        if not STRING_SECTION.match(target):
            continue
        if rela.startswith('.rela.debug'):
            continue
        fn = function_of(rela)
        if fn is None or fn in hot:
            keep.add(target)
    for name in sections.values():
        m = re.match(r'^\.rodata\.(.+)\.str\d', name)
        if m and m.group(1) in hot:
            keep.add(name)
    return keep


def main(argv):
    if len(argv) < 3:
        sys.stderr.write('usage: cold_strings.py HOT_SYMBOLS OUT_LD OBJECT...\n')
        return 2
    hot = hot_functions(argv[1])
    readelf = os.environ.get('READELF') or 'readelf'
    keep = set()
    for obj in argv[3:]:
        keep |= hot_string_sections(obj, hot, readelf)
    lines = ['/* made by shim/cold_strings.py from shim/hot-symbols.txt and the objects: do not edit */',
             'SECTIONS {', '  .rodata.hot : {']
    lines += ['    *(%s)' % name for name in sorted(keep)]
    lines += ['  }', '} INSERT BEFORE .rodata;',
              'SECTIONS { .rodata.cold : ALIGN(65536) { *(.rodata.*.str*) } } INSERT AFTER .eh_frame;', '']
    text = '\n'.join(lines)
    try:
        with open(argv[2]) as f:
            if f.read() == text:
                return 0
    except OSError:
        pass
    with open(argv[2], 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
