#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/shim_hot_symbols.sh NM LIB LIST MODE SRCDIR - every name of LIST
# (shim/hot-symbols.txt) is still a function of LIB (libkmm-malloc.so).
#
# lld lays the listed functions side by side at the start of the library's
# code (cmake/shim.cmake) and says nothing of a name it does not find
# (--no-warn-symbol-ordering): a renamed, removed or inlined function drops
# out of the hot code silently, and a process maps more of the library.
# This test names each such entry; regenerate the list with
#   shim/hot_symbols.sh BUILD_DIR > shim/hot-symbols.txt
#
# The list holds the names of the compiler it was made with (GCC 12's
# clones such as foo.constprop.0, foo.isra.0, foo.part.0, foo.cold
# included) at RelWithDebInfo. MODE (cmake/shim_hot_symbols.cmake):
#   exact   a build by that compiler: each listed name, exactly, is a
#           function of LIB (what lld looks for);
#   base    any other compiler or version, whose clones are named and
#           numbered differently and which inlines other functions: each
#           listed name with its clone suffixes taken off must be a function
#           of LIB under any clone name, or be defined in the sources under
#           SRCDIR (inlined here, still there). This catches a renamed or
#           removed function on any compiler; an inlined one only in exact mode.
set -euo pipefail
nm=${1:?usage: shim_hot_symbols.sh NM LIB LIST MODE SRCDIR} lib=${2:?} list=${3:?}
mode=${4:-exact} src=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A function name without the suffixes GCC and clang give the copies they
# make of it (.isra.0, .constprop.1, .part.0, .cold, .lto_priv.0, .llvm.123...).
base_names() { sed -E 's/(\.(isra|constprop|part|cold|lto_priv|llvm|specialized)(\.[0-9]+)?)+$//'; }

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
case $mode in
exact)
	missing=$(sort -u "$tmp/listed" | comm -23 - "$tmp/functions")
	;;
base)
	[ -d "$src" ] || { echo "FAIL: base mode needs the source folder (got '$src')"; exit 1; }
	base_names < "$tmp/functions" | sort -u > "$tmp/function_bases"
	base_names < "$tmp/listed" | sort -u > "$tmp/listed_bases"
	# Names defined in the library's sources: a line that starts a definition
	# or declaration at column 0 (kmm's style: the type, or the name alone
	# under a type on the line above).
	find "$src" -path "$src/build*" -prune -o -path "$src/tests" -prune -o \
		\( -name '*.c' -o -name '*.h' \) -print |
		xargs grep -hoE '^([A-Za-z_][A-Za-z0-9_ ,()*]*[ *])?[A-Za-z_][A-Za-z0-9_]*\(' |
		sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)\($/\1/; s/^([A-Za-z_][A-Za-z0-9_]*)\($/\1/' |
		sort -u > "$tmp/defined"
	inlined=$(comm -23 "$tmp/listed_bases" "$tmp/function_bases" | comm -12 - "$tmp/defined")
	missing=$(comm -23 "$tmp/listed_bases" "$tmp/function_bases" | comm -23 - "$tmp/defined")
	[ -z "$inlined" ] || echo "note: $(echo "$inlined" | wc -l) listed name(s) are inlined by" \
		"this compiler (defined in the sources, no function of the library):" $inlined
	;;
*)
	echo "FAIL: mode '$mode' is neither exact nor base"
	exit 1
	;;
esac
if [ -n "$missing" ]; then
	echo "FAIL: $(echo "$missing" | wc -l) name(s) of $list are no function of $(basename "$lib")" \
		"($mode names):"
	echo "$missing" | sed 's/^/  /'
	echo "regenerate: shim/hot_symbols.sh BUILD_DIR > shim/hot-symbols.txt"
	status=1
fi
[ $status = 0 ] && echo "ok: all $(wc -l < "$tmp/listed") names of $(basename "$list") are" \
	"functions of $(basename "$lib") ($mode names)"
exit $status
