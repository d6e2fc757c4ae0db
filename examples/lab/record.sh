#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/lab/record.sh - how the real programs' allocation traces in this
# folder were made: each program runs under kmm's malloc shim with
# KMM_MALLOC_TRACE set (`kmm lab record`), which writes every malloc, free,
# realloc and memalign it makes (format: docs/lab.md).
#
# Run from the source directory after `make build`. A program's trace
# depends on its version and the host, so the files checked in here are the
# ones the examples (examples/lab_*.kmm) and bench/lab_fit.c replay; run
# this only to make new ones (and then regenerate those examples' output).
# The last one, from a kmm scenario, is the same on every host.
set -e
K=${KMM:-build/kmm}
D=examples/lab

# sqlite3: an in-memory table of 1000 rows, an index, a query
$K lab record -o $D/sqlite3.trace -- sqlite3 :memory: \
	"create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c
	 where x<1000) insert into t select x, hex(randomblob(x%64)) from c;
	 create index i on t(b); select count(*) from t where b > 'A';" >/dev/null

# perl: a hash of 1500 strings of 0..49 bytes, its keys sorted
$K lab record -o $D/perl.trace -- perl -e \
	'my %h; $h{$_} = "x" x ($_ % 50) for 1..1500; my @k = sort keys %h; print scalar(@k), "\n"' \
	>/dev/null


# kmm's own MMU: the page faults of examples/lab/mmu_loop.kmm, a loop over
# 8 pages done 5 times (deterministic: the same on every host)
$K trace record -E page_fault_user -o $D/mmu_loop.ktrace $D/mmu_loop.kmm >/dev/null
