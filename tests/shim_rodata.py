#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/shim_rodata.py - no zero-filled object in libkmm-malloc.so's .rodata.

The library's first segment (the ELF headers, the dynamic symbols, .rodata)
is smaller than the host's fault-around window (64 KiB) and starts on one, so
the first read of it maps every page it has: each 4 KiB of .rodata is 4 KiB
of every process's RSS (docs/malloc-measured.md, session 22). A `static
const` array with no initialiser is all zeros, and the compiler puts it there;
without `const` it goes to .bss, whose untouched pages cost nothing. This
script fails, naming each, when an object of .rodata of MIN_BYTES or more is
all zeros.

Usage: tests/shim_rodata.py LIBRARY [MIN_BYTES]   (default 512)
       tests/shim_rodata.py --self-test
Exit status: 0 when there is none, 1 otherwise (2: not a 64-bit ELF, or one
without a symbol table, whose objects cannot be checked).
"""
import struct
import sys


def zero_objects(data, min_bytes):
    """(name, size) of every all-zero .rodata object of @min_bytes or more."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a little-endian 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = []
    for i in range(shnum):
        name, stype, _flags, addr, off, size, link, _info, _align, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        secs.append((name, stype, addr, off, size, link, entsize))
    strtab = secs[shstrndx]

    def sec_name(s):
        start = strtab[3] + s[0]
        return data[start:data.index(b"\0", start)].decode()

    rodata = [s for s in secs if sec_name(s) == ".rodata"]
    symtab = [s for s in secs if s[1] == 2]	# SHT_SYMTAB
    if not rodata:
        return []	# nothing read-only: nothing to map
    if not symtab:
        # Stripped: the objects cannot be told apart, so nothing is checked.
        raise ValueError("no symbol table (stripped?): its .rodata objects cannot be named")
    _, _, ro_addr, ro_off, ro_size, _, _ = rodata[0]
    sym = symtab[0]
    names = secs[sym[5]]
    found = []
    for k in range(sym[4] // sym[6]):
        st_name, _info, _other, _shndx, value, size = struct.unpack_from(
            "<IBBHQQ", data, sym[3] + k * sym[6])
        if size < min_bytes or not ro_addr <= value < ro_addr + ro_size:
            continue
        start = ro_off + (value - ro_addr)
        if not any(data[start:start + size]):
            n0 = names[3] + st_name
            found.append((data[n0:data.index(b"\0", n0)].decode(), size))
    return found


def self_test():
    """Build a tiny ELF image by hand: one zero object and one that is not."""
    ro = bytes(1024) + b"x" * 1024
    strtab = b"\0zeros\0text\0"
    shstr = b"\0.rodata\0.symtab\0.strtab\0.shstrtab\0"
    syms = bytes(24) + struct.pack("<IBBHQQ", 1, 1, 0, 1, 0x1000, 1024) + \
        struct.pack("<IBBHQQ", 7, 1, 0, 1, 0x1400, 1024)
    body = ro + syms + strtab + shstr
    off_ro, off_sym = 64, 64 + len(ro)
    off_str, off_shs = off_sym + len(syms), off_sym + len(syms) + len(strtab)
    shoff = 64 + len(body)
    hdr = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff,
                                                         0, 64, 0, 0, 64, 5, 4)
    sh = bytes(64)
    sh += struct.pack("<IIQQQQIIQQ", 1, 1, 2, 0x1000, off_ro, len(ro), 0, 0, 32, 0)
    sh += struct.pack("<IIQQQQIIQQ", 9, 2, 0, 0, off_sym, len(syms), 3, 1, 8, 24)
    sh += struct.pack("<IIQQQQIIQQ", 17, 3, 0, 0, off_str, len(strtab), 0, 0, 1, 0)
    sh += struct.pack("<IIQQQQIIQQ", 25, 3, 0, 0, off_shs, len(shstr), 0, 0, 1, 0)
    image = hdr + body + sh
    assert zero_objects(image, 512) == [("zeros", 1024)], zero_objects(image, 512)
    assert zero_objects(image, 2048) == []
    stripped = image[:shoff] + sh[:64 + 64] + bytes(64) + sh[64 + 128:]	# no SHT_SYMTAB section
    try:
        zero_objects(stripped, 512)
        raise AssertionError("a library without a symbol table passed unchecked")
    except ValueError:
        pass
    print("self-test: a zero object is found, a non-zero one and a small one are not, "
          "and a stripped library is refused")


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        self_test()
        return 0
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    self_test()	# the finder itself, first: a test that can find nothing is no test
    with open(argv[1], "rb") as f:
        data = f.read()
    try:
        found = zero_objects(data, int(argv[2]) if len(argv) == 3 else 512)
    except ValueError as e:
        print("shim_rodata: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    for name, size in found:
        print("shim_rodata: %s: %s is %d bytes of zeros in .rodata: drop its const (to .bss)"
              % (argv[1], name, size))
    if not found:
        print("shim_rodata: no zero-filled object of .rodata")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
