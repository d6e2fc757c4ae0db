#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/malloc/install-peers.sh - install the allocators kmm-malloc is compared
# with, from Debian packages: jemalloc, mimalloc and tcmalloc (minimal).
# Needs root (or sudo). The benchmark and the tests run without them.
set -e
pkgs="libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update
# Package names differ between releases (libmimalloc2.0 on bookworm); install
# whichever of each the archive knows.
for p in $pkgs; do
	if apt-cache show "$p" >/dev/null 2>&1; then
		$sudo apt-get install -y "$p"
	else
		alt=$(apt-cache search --names-only "^$(echo "$p" | sed 's/[0-9.]*$//')[0-9.]*$" | awk 'NR==1 {print $1}')
		if [ -n "$alt" ]; then
			$sudo apt-get install -y "$alt"
		else
			echo "install-peers: no package like $p in this archive; skipped" >&2
		fi
	fi
done
