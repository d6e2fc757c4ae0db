#!/bin/bash
# SPDX-License-Identifier: MIT
# shim/hot_data.sh LIBKMM_MALLOC_SO > shim/hot-data.txt
#
# The library's zero-initialised variables that sit side by side at the
# start of its .bss: every one under 1 KiB (the flags, locks, counters and
# pointers that the boot and the malloc paths write), then the tables the
# boot fills. cmake/shim.cmake appends the list to the one lld gets
# (--symbol-ordering-file; -fdata-sections puts each variable in a section
# of its own). Left in link order they lay between the big arrays that most
# processes never touch (the slab debug and failure-injection states, the
# trace buffer, the huge-block ring: 230 of the .bss's 254 KB), and a
# malloc-once process wrote 8 of the .bss's pages; grouped, 4 (16 KB less;
# docs/malloc-measured.md, "Start cost"). A stale list costs only resident pages:
# a name no longer in the library is ignored, a new variable not listed
# goes after the listed ones. Regenerate it when variables come and go.
#
# First, though, the big initialised variables (.data, 4 KiB and more:
# arch/sim/mmu.c's empty_tlb, 32 KB that no process touches): at the start
# of .data, so that the small ones that every process reads and writes sit
# after them, beside .got.plt and the start of .bss (shim/plt_first.ld),
# in the page the loader writes first. A read that comes first in a page
# of the data segment maps every page around it (the host's fault-around):
# with a small variable read first between the big ones, a malloc-once
# process had all 40 KB of the segment resident, not 8 to 12 (rss21).
set -euo pipefail
lib=${1:?usage: hot_data.sh LIBKMM_MALLOC_SO}
${NM:-nm} -S "$lib" | awk '$3 ~ /^[dD]$/ && length($2) > 0 {
		size = 0
		for (i = 1; i <= length($2); i++)
			size = size * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
		if (size >= 4096)
			print $4
	}' | sort -u
# The tables the boot fills, after the small variables: first those it
# writes whole (the class tables, free()'s map of caches by shadow byte),
# then those whose first entries only most processes write (the machine
# registry, the boot options, the CPU slots by slot number), the one with
# the longest unwritten tail (slots: 64 bytes a slot, a program of one
# thread writes the first) last, so that its tail is where the touched
# .bss ends: 4 pages of a malloc-once process, not 5 (rss24; free_map was
# not listed and lay after them, written whole).
tables="class_code_size class_num class_code free_map kmm_machines boot_options slots"
${NM:-nm} -S "$lib" | awk -v tables="$tables" '
	BEGIN { n = split(tables, t, " "); for (i = 1; i <= n; i++) skip[t[i]] = 1 }
	$3 ~ /^[bB]$/ && !($4 in skip) && length($2) > 0 {
		size = 0
		for (i = 1; i <= length($2); i++)
			size = size * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
		if (size < 1024)
			print $4
	}' | sort -u
for t in $tables; do
	echo "$t"
done
