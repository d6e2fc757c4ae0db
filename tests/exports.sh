#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/exports.sh - libkmm.so exports its public API and nothing else.
#
#   tests/exports.sh LIBKMM_SO LIBKMM_A EXPORTS_MAP
#
# The public API is the functions named in include/kmm/*.h, listed in
# EXPORTS_MAP by cmake/install/exports.cmake. Checks: the SONAME carries the
# ABI version (libkmm.so.N); every symbol the shared library exports is in
# the public API; every public function that libkmm.a defines is exported
# (so the shared library is complete); and internal helpers the static
# library defines (rb_first, sb_printf, int_sqrt, check_object,
# kmm_set_error) are not exported.
set -euo pipefail
so=$1 a=$2 map=$3
fail=0
bad() { echo "FAIL: $*"; fail=1; }

soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [[ "$soname" =~ ^libkmm\.so\.[0-9]+$ ]]; then
	echo "ok   SONAME $soname"
else
	bad "SONAME is '$soname', expected libkmm.so.N"
fi

api=$(sed -n 's/^ *\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$map" | sort -u)
[ -n "$api" ] || bad "no public names in $map"
# Symbols the toolchain or a sanitizer runtime adds are not kmm's.
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sed 's/@.*//' |
	grep -v -E '^(_init|_fini|_edata|_end|__bss_start|__(a|ub|t)san.*)$' | sort -u)
defined=$(nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u)

extra=$(comm -23 <(echo "$exported") <(echo "$api"))
if [ -n "$extra" ]; then
	bad "exported but not in include/kmm/: $(echo $extra | head -c 2000)"
else
	echo "ok   all $(echo "$exported" | wc -l) exported symbols are public API"
fi
missing=$(comm -12 <(echo "$api") <(echo "$defined") | comm -23 - <(echo "$exported"))
if [ -n "$missing" ]; then
	bad "public functions libkmm.a defines but libkmm.so does not export: $(echo $missing)"
else
	echo "ok   every public function libkmm.a defines is exported"
fi
for internal in rb_first sb_printf int_sqrt check_object kmm_set_error; do
	if ! grep -qx "$internal" <<<"$defined"; then
		bad "libkmm.a no longer defines $internal: update this test's list of internals"
	elif grep -qx "$internal" <<<"$exported"; then
		bad "internal $internal is exported"
	fi
done
[ $fail -eq 0 ] && echo "ok   internals hidden"
exit $fail
