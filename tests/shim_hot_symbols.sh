#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim_hot_symbols.sh NM LIB LIST - every name of LIST
# (shim/hot-symbols.txt) is still a function of LIB (libkmm-malloc.so).
#
# lld lays the listed functions side by side at the start of the library's
# code (cmake/shim.cmake) and says nothing of a name it does not find
# (--no-warn-symbol-ordering): a renamed, removed or inlined function drops
# out of the hot code silently, and a process maps more of the library.
# This test names each such entry; regenerate the list with
#   shim/hot_symbols.sh BUILD_DIR > shim/hot-symbols.txt
# The names are GCC's (constprop/isra/part clones included) at the build
# type the list was made with: cmake/shim_hot_symbols.cmake runs this test
# only in such a build.
set -euo pipefail
nm=${1:?usage: shim_hot_symbols.sh NM LIB LIST} lib=${2:?} list=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The library's functions: text symbols, local or global (the symbol table
# keeps the static ones; the library is not stripped).
"$nm" --defined-only "$lib" | awk '$2 ~ /^[tTwWiI]$/ { print $3 }' | sort -u > "$tmp/functions"
[ -s "$tmp/functions" ] || { echo "FAIL: no function symbols in $lib (stripped?)"; exit 1; }
grep -v -e '^#' -e '^$' "$list" | sort > "$tmp/listed"
[ -s "$tmp/listed" ] || { echo "FAIL: $list lists no function"; exit 1; }

status=0
dups=$(uniq -d "$tmp/listed")
if [ -n "$dups" ]; then
	echo "FAIL: listed more than once:" $dups
	status=1
fi
missing=$(sort -u "$tmp/listed" | comm -23 - "$tmp/functions")
if [ -n "$missing" ]; then
	echo "FAIL: $(echo "$missing" | wc -l) name(s) of $list are no function of $(basename "$lib"):"
	echo "$missing" | sed 's/^/  /'
	echo "regenerate: shim/hot_symbols.sh BUILD_DIR > shim/hot-symbols.txt"
	status=1
fi
[ $status = 0 ] && echo "ok: all $(wc -l < "$tmp/listed") names of $(basename "$list") are functions of $(basename "$lib")"
exit $status
