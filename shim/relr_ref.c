// SPDX-License-Identifier: MIT
/*
 * The library's relative relocations are packed (DT_RELR; cmake/shim.cmake
 * links this file only where its probe found the linker and the loader able
 * to). glibc's loader refuses DT_RELR in an object that does not list the
 * version GLIBC_ABI_DT_RELR among those it needs from libc.so.6, and lld 14
 * lists only versions of symbols the object refers to: this one pointer
 * refers to the version's own symbol (libc.so.6 defines it, absolute, value
 * 0). Weak, so that a program linked against the library with GNU ld, which
 * does not resolve a library's references to version symbols, still links;
 * retained, so that --gc-sections keeps it although no code reads it.
 */
extern const char GLIBC_ABI_DT_RELR[] __attribute__((weak));
__attribute__((used, retain)) static const char *const relr_version_ref = GLIBC_ABI_DT_RELR;
