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
tables) - except those that a listed function, or data that one reads,
refers to, which go to .rodata.hot at the head of the first segment.

Why the references and not only the names: gcc emits a literal that two
functions of a file share once, in the section of the first of them it
writes out, so a listed function can read a string from another function's
section ("%s" of lib/vsprintf.c's callers did: the first try mapped a
window of the cold segment in every process). Data is followed the same
way: a table that a listed function reads (or a table such a table points
at, in any object, through its global symbols) keeps the strings it points
to hot; a table that only cold code reads (/proc's and /sys's file tables,
the vmstat and event names) does not, and neither do the strings of file-
scope initialisers (.rodata.str1.N, per object, placed by file name) or the
constants (jump tables, .rodata.cst16) that only cold code or data refers
to: they go to .rodata.cold too. Until session 27 any reference from data
kept a string hot and everything not named after a function stayed in
.rodata: the first segment was 31.9 KB, eight pages; it is 23.7 KB, six
(rss27; the segment is resident whole, so the figure is its size).

.rodata.cold ends on a page boundary: the writable segment after it, whose
first part the loader relocates (RELRO, 9.5 KB: every page of it written in
every process), then starts on a page and takes three pages, not four.

tests/shim_small_windows.py checks the result: the small programs leave the
cold segment unmapped. Needs readelf (READELF, else readelf on PATH).
"""
import os
import re
import subprocess
import sys

STRING_SECTION = re.compile(r'^\.rodata\..+\.str\d')
FILE_STRINGS = re.compile(r'^\.rodata\.str\d')	# a file's initialisers' literals
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


def read_object(obj, readelf):
    """@obj's sections, its symbols' sections, its globals and its references."""
    out = subprocess.run([readelf, '-SrsW', obj], capture_output=True, text=True,
                         check=True).stdout
    sections = {}		# index -> name
    local = {}		# symbol name (.LC12, files.0) -> section index
    defined = {}	# global symbol -> section index
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
                local[f[7]] = int(f[6])
                if f[4] in ('GLOBAL', 'WEAK'):
                    defined[f[7]] = int(f[6])
    return sections, local, defined, refs


def is_data(name):
    """A section of variables or constants (read through a reference to it)."""
    return name.startswith(('.rodata', '.data', '.bss', '.tbss', '.tdata')) and \
        not is_strings(name)


def is_strings(name):
    return STRING_SECTION.match(name) or FILE_STRINGS.match(name)


def hot_string_sections(objs, hot, readelf):
    """The string sections that hot code reads, or the data that hot code reads.

    A function's references are followed into the data they name (a table
    of names, a table of such tables), object by object and across objects
    through global symbols; a string section is hot when a listed function
    or data so reached refers to it, or when it is a listed function's own.
    Sections other than code and data (constructors' arrays, ...) count as
    hot: what runs them is not known here.
    """
    info = {obj: read_object(obj, readelf) for obj in objs}
    where = {}		# global symbol -> (object, section name)
    for obj, (sections, _, defined, _) in info.items():
        for sym, idx in defined.items():
            if idx in sections:
                where.setdefault(sym, (obj, sections[idx]))
    edges = {}		# (object, section) -> [(object, section)]
    for obj, (sections, local, _, refs) in info.items():
        for rela, sym in refs:
            if rela.startswith(('.rela.debug', '.rela.eh_frame')):
                continue
            src = (obj, rela[len('.rela'):])
            if sym in sections.values():
                dst = (obj, sym)
            elif sym in local and local[sym] in sections:
                dst = (obj, sections[local[sym]])
            elif sym in where:
                dst = where[sym]
            else:
                continue
            edges.setdefault(src, []).append(dst)
    todo = []
    for src in edges:
        name = src[1]
        fn = function_of('.rela' + name)
        if fn in hot or (fn is None and not is_data(name)):
            todo.append(src)
    seen, keep, reached = set(todo), set(), set()
    while todo:
        for dst in edges.get(todo.pop(), ()):
            if STRING_SECTION.match(dst[1]):
                keep.add(dst[1])
            elif FILE_STRINGS.match(dst[1]):
                reached.add(dst)
            elif is_data(dst[1]) and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    for sections, _, _, _ in info.values():
        for name in sections.values():
            m = re.match(r'^\.rodata\.(.+)\.str\d', name)
            if m and m.group(1) in hot:
                keep.add(name)
    cold_files = sorted((obj, name) for obj, (sections, _, _, _) in info.items()
                        for name in set(sections.values())
                        if (FILE_STRINGS.match(name) and (obj, name) not in reached) or
                        (is_data(name) and name.startswith('.rodata') and (obj, name) not in seen))
    return keep, cold_files


def file_pattern(obj):
    """@obj as the linker's file pattern: its last three path parts (the link
    names objects relative to the build folder; proc/vmstat.c.o and
    mm/vmstat.c.o differ in the second)."""
    return '*' + '/'.join(obj.split('/')[-3:])


def main(argv):
    if len(argv) < 3:
        sys.stderr.write('usage: cold_strings.py HOT_SYMBOLS OUT_LD OBJECT...\n')
        return 2
    hot = hot_functions(argv[1])
    readelf = os.environ.get('READELF') or 'readelf'
    keep, cold_files = hot_string_sections(argv[3:], hot, readelf)
    lines = ['/* made by shim/cold_strings.py from shim/hot-symbols.txt and the objects: do not edit */',
             'SECTIONS {', '  .rodata.hot : {']
    lines += ['    *(%s)' % name for name in sorted(keep)]
    lines += ['  }', '} INSERT BEFORE .rodata;',
              'SECTIONS { .rodata.cold : ALIGN(65536) {', '    *(.rodata.*.str*)']
    lines += ['    %s(%s)' % (file_pattern(obj), name) for obj, name in cold_files]
    lines += ['    . = ALIGN(4096);', '  }', '} INSERT AFTER .eh_frame;', '']
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
