#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/install.sh - kmm installs like a library, and the README's C example
# builds as printed.
#
#   tests/install.sh BUILD_DIR SOURCE_DIR        (ctest: integration_install)
#
# 1. `cmake --install BUILD --prefix TMP` puts every promised file in place
#    (headers, libkmm.a, libkmm.so with its SONAME links, libkmm-malloc.so,
#    bin/kmm, the man page, kmm.pc, the CMake package, the examples), and
#    the installed kmm runs.
# 2. The README's `hello.c` block is written out and compiled with the
#    README's own `cc ... $(pkg-config ...)` line, taken from the README as
#    printed, against the installed prefix; the program runs on the
#    installed libkmm.so.0 (ldd says which file).
# 3. The same command against the build tree (PKG_CONFIG_PATH=BUILD picks
#    kmm-uninstalled.pc), running without LD_LIBRARY_PATH.
# 4. A small CMake project using find_package(kmm) builds hello.c against
#    kmm::kmm and kmm::kmm_static from the prefix.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cmake=${CMAKE:-cmake}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kmm-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok   $*"; }

# ---- 1. install ----
prefix=$tmp/prefix
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; bad "cmake --install failed"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name libkmm.a | head -1)")
[ -d "$libdir" ] || { bad "no libkmm.a installed"; find "$prefix"; exit 1; }
for f in include/kmm/kmm.h include/kmm/gfp.h include/kmm/slab.h include/kmm/vmalloc.h \
	 include/kmm/process.h include/kmm/proc.h bin/kmm share/man/man1/kmm.1 \
	 share/doc/kmm/README.md share/doc/kmm/examples/tour.kmm; do
	[ -e "$prefix/$f" ] || bad "not installed: $f"
done
for f in libkmm.a libkmm.so libkmm.so.0 libkmm-malloc.so pkgconfig/kmm.pc \
	 cmake/kmm/kmmConfig.cmake cmake/kmm/kmmConfigVersion.cmake cmake/kmm/kmmTargets.cmake; do
	[ -e "$libdir/$f" ] || bad "not installed: ${libdir#$prefix/}/$f"
done
[ "$(readlink "$libdir/libkmm.so.0")" = "$(basename "$(readlink -f "$libdir/libkmm.so.0")")" ] ||
	bad "libkmm.so.0 is not a link to the versioned file"
[ "$("$prefix/bin/kmm" run -e 'print 6 * 7')" = 42 ] || bad "the installed kmm does not run"
[ $fail -eq 0 ] && ok "cmake --install put every file in place; bin/kmm runs"

# ---- 2. the README's example with its own command, against the prefix ----
awk '/^```c$/ { inblock = 1; text = ""; next }
     /^```$/ && inblock { if (text ~ /hello\.c/) { printf "%s", text; exit } inblock = 0; next }
     inblock { text = text $0 "\n" }' "$src/README.md" > "$tmp/hello.c"
grep -q 'int main' "$tmp/hello.c" || { bad "no hello.c block in README.md"; exit 1; }
cmd=$(grep -E '^cc .*pkg-config' "$src/README.md" | head -1)
[ -n "$cmd" ] || { bad "no 'cc ... pkg-config' line in README.md"; exit 1; }
echo "README: $cmd"

# readme_build NAME PKG_CONFIG_PATH RUN_LIBDIR EXPECTED_LIB: run the README's
# command in $tmp/NAME with that PKG_CONFIG_PATH (extra environment given
# before the call), then run the program with LD_LIBRARY_PATH=RUN_LIBDIR
# (none if empty) and check what it printed and which libkmm.so it loaded.
readme_build() {
	local name=$1 pcpath=$2 rundir=$3 want=$4 before=$fail out lib
	mkdir "$tmp/$name" && cp "$tmp/hello.c" "$tmp/$name/"
	if ! (cd "$tmp/$name" && PKG_CONFIG_PATH="$pcpath" sh -c "$cmd") > "$tmp/$name.log" 2>&1; then
		cat "$tmp/$name.log"
		bad "the README's command failed ($name)"
		return
	fi
	local run=(env -u LD_LIBRARY_PATH)
	[ -n "$rundir" ] && run=(env LD_LIBRARY_PATH="$rundir")
	out=$("${run[@]}" "$tmp/$name/hello") || bad "hello ($name) exited $?"
	[[ "$out" =~ ^pfn\ 0x[0-9a-f]+,\ [0-9]+\ pages\ free$ ]] || bad "hello ($name) printed '$out'"
	lib=$("${run[@]}" ldd "$tmp/$name/hello" | awk '/libkmm\.so/ {print $3}')
	[ "$(readlink -f "$lib")" = "$(readlink -f "$want")" ] ||
		bad "hello ($name) loaded '$lib', not $want"
	[ $fail -eq "$before" ] && ok "README example built with pkg-config ($name): $out"
}
PKG_CONFIG_DISABLE_UNINSTALLED=1 readme_build installed "$libdir/pkgconfig" "$libdir" \
	"$libdir/libkmm.so.0"
[ "$(PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_DISABLE_UNINSTALLED=1 \
	pkg-config --modversion kmm)" = "$(sed -n 's/^Version: //p' "$libdir/pkgconfig/kmm.pc")" ] ||
	bad "pkg-config --modversion kmm"

# ---- 3. the same command against the build tree ----
readme_build build-tree "$build" "" "$build/libkmm.so.0"

# ---- 4. find_package(kmm) ----
before=$fail
mkdir "$tmp/cm" && cp "$tmp/hello.c" "$tmp/cm/"
cat > "$tmp/cm/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(kmm 0.1 REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE kmm::kmm)
add_executable(hello_static hello.c)
target_link_libraries(hello_static PRIVATE kmm::kmm_static)
CMAKE
if "$cmake" -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_C_COMPILER="${CC:-cc}" > "$tmp/cm.log" 2>&1 &&
   "$cmake" --build "$tmp/cm/build" >> "$tmp/cm.log" 2>&1; then
	out=$(LD_LIBRARY_PATH="$libdir" "$tmp/cm/build/hello") || bad "hello (cmake) exited $?"
	[[ "$out" =~ pages\ free$ ]] || bad "hello (cmake, kmm::kmm) printed '$out'"
	deps=$(ldd "$tmp/cm/build/hello")
	grep -q 'libkmm\.so\.0' <<<"$deps" || bad "kmm::kmm did not link libkmm.so.0"
	out=$(env -u LD_LIBRARY_PATH "$tmp/cm/build/hello_static") || bad "hello_static exited $?"
	[[ "$out" =~ pages\ free$ ]] || bad "hello (cmake, kmm::kmm_static) printed '$out'"
	deps=$(ldd "$tmp/cm/build/hello_static")
	! grep -q libkmm <<<"$deps" || bad "kmm::kmm_static linked libkmm.so"
	[ $fail -eq "$before" ] && ok "find_package(kmm) project built against kmm::kmm and kmm::kmm_static"
else
	cat "$tmp/cm.log"
	bad "the find_package(kmm) project did not build"
fi
exit $fail
