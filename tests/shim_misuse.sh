#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/shim_misuse.sh - the malloc shim's misuse suite: every case of
# shim/misuse.c (one process per case and allocator) under glibc, under kmm
# by default and under kmm's hardened mode (KMM_MALLOC_HARDEN=1).
#
# What each run ended with is one of:
#   kmm      aborted with a kmm-malloc message naming the pointer
#   glibc    aborted with glibc's own message (the pointer was passed to glibc)
#   NULL E   the call returned NULL with errno E (the API's own limits)
#   survived the misuse went unnoticed
#   crash N  killed by signal N without a message
# Required: hardened, every misuse case ends "kmm" and every API case
# "NULL E"; by default, each case ends as the table below says (so a
# regression shows), some messages say what the misuse was, and no case
# ever ends "crash"; with KMM_MALLOC_DEBUG=1 the slab allocator's red zone
# and poison stop the overflow and write-after-free cases. glibc's column is only
# printed, as the comparison (it differs between glibc versions).
#
# usage: shim_misuse.sh LIBKMM_MALLOC MISUSE_PROGRAM [--markdown]
set -u
lib=$1
prog=$2
markdown=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# case -> what the default mode must end with
declare -A want_default=(
	[double]=kmm [double-later]=kmm [double-page]=kmm [double-huge]=kmm
	[double-huge-later]=kmm [double-aligned]=kmm [double-realloc0]=kmm
	[interior]=kmm [interior-page]=kmm [interior-huge]=kmm [misaligned]=kmm
	[never-allocated]=kmm [stack]=kmm [global]=kmm
	[realloc-freed]=kmm [realloc-freed-huge]=kmm [realloc-interior]=kmm
	[overflow]=survived [overflow-in-class]=survived [overflow-far]=survived
	[overflow-page]=survived [overflow-huge]=kmm [overflow-huge-same]=kmm [underflow]=survived
	[use-after-free]=survived [use-after-free-page]=survived [use-after-free-huge]=survived
	[freelist-garbage]=kmm [freelist-misaligned]=kmm
	[double-calloc]=kmm [double-realloc-moved]=kmm [wild]=kmm [realloc-stack]=kmm
	[underflow-page]=survived [underflow-huge]=kmm [overflow-page-in-class]=survived
	[overflow-realloc]=survived [overflow-aligned]=survived [overflow-calloc]=survived
	[use-after-free-aligned]=survived [use-after-free-realloc]=survived
	[calloc-overflow]="NULL ENOMEM" [malloc-max]="NULL ENOMEM"
	[memalign-max]="NULL EINVAL" [memalign-2^63+1]="NULL EINVAL"
	[realloc-max]="NULL ENOMEM" [posix_memalign-24]="NULL EINVAL"
)

# the other outcome a default-mode case may have: a write just before a huge
# block is named when it faults (nothing mapped there, as a rule), but lands
# in the neighbouring mapping when there is one
declare -A also_default=([underflow-huge]=survived)

# what the default mode's message must say (the misuse named right: a
# pointer never allocated is no "double free")
declare -A want_words=(
	[double]="free(): double free" [double-huge-later]="free(): double free"
	[never-allocated]="never returned by malloc" [interior]="never returned by malloc"
	[realloc-freed-huge]="realloc(): invalid pointer (freed)"
	[interior-huge]="invalid pointer (inside a block)"
	[double-realloc-moved]="free(): double free" [wild]="never returned by malloc"
	[stack]="never returned by malloc" [global]="never returned by malloc"
	[realloc-stack]="realloc(): invalid pointer (never returned by malloc)"
	[underflow-huge]="before the start of block"
)
# what the hardened mode's message must say: the exact first byte written
declare -A want_hard_words=(
	[overflow]="byte +32 is 0x78" [overflow-in-class]="byte +24 is 0x0"
	[overflow-far]="byte +32 is 0x78" [overflow-page-in-class]="byte +10000 is 0x0"
	[overflow-calloc]="byte +30 is 0x78" [use-after-free]="byte +8 is 0x1"
	[use-after-free-aligned]="byte +8 is 0x1" [underflow-page]="before the start of block"
	[overflow-huge]="past the end of block" [overflow-huge-same]="past the end of block"
)
# cases the slab allocator's debugging (KMM_MALLOC_DEBUG=1) must stop too:
# its red zone starts right after the bytes asked for, inside the size class
debug_cases=" overflow overflow-in-class use-after-free overflow-realloc overflow-aligned "
debug_cases+="overflow-calloc use-after-free-aligned use-after-free-realloc "

# outcome ENV... : run the case $c, print its outcome and the message
outcome() {
	(env ${1+"$@"} timeout 60 "$prog" "$c" >"$tmp/out" 2>"$tmp/err"; exit $?) 2>/dev/null
	local rc=$?
	local ptr msg
	ptr=$(sed -n 's/^ptr //p' "$tmp/err" | head -1)
	msg=$(grep -v '^ptr ' "$tmp/err" | head -1)
	if [ $rc -eq 134 ] && grep -q '^kmm-malloc: ' "$tmp/err"; then
		msg=$(grep '^kmm-malloc: ' "$tmp/err" | head -1)
		if [ -n "$ptr" ] && ! printf '%s' "$msg" | grep -q -- "$ptr"; then
			echo "kmm-unnamed|$msg"
		else
			echo "kmm|$msg"
		fi
	elif [ $rc -eq 134 ]; then
		echo "glibc|$msg"
	elif [ $rc -eq 0 ] && grep -q '^result: NULL' "$tmp/out"; then
		echo "$(sed -n 's/^result: NULL errno=/NULL /p' "$tmp/out")|"
	elif [ $rc -eq 0 ] && grep -q '^survived' "$tmp/out"; then
		echo "survived|$(grep -v '^survived' "$tmp/out" | head -1)"
	elif [ $rc -ge 128 ]; then
		echo "crash $((rc - 128))|$msg"
	else
		echo "exit $rc|$msg"
	fi
}

fail=0
n=0
n_hard=0
n_glibc=0
n_default=0
rows=()
cases=$("$prog" --list) || { echo "FAIL: $prog --list"; exit 1; }
while IFS=$'\t' read -r c what; do
	n=$((n + 1))
	g=$(outcome)
	d=$(outcome LD_PRELOAD="$lib")
	h=$(outcome LD_PRELOAD="$lib" KMM_MALLOC_HARDEN=1)
	gk=${g%%|*} dk=${d%%|*} hk=${h%%|*}
	want=${want_default[$c]-}
	api=0
	case $want in NULL*) api=1 ;; esac
	if [ -z "$want" ]; then
		echo "FAIL $c: no expected outcome in tests/shim_misuse.sh"
		fail=1
	fi
	if [ "$dk" != "$want" ] && [ "$dk" != "${also_default[$c]-}" ]; then
		echo "FAIL $c (default): ended \"$dk\", expected \"$want\": ${d#*|}"
		fail=1
	fi
	# the message is demanded of the expected ending, not of the other one
	# also_default allows (a write before a huge block that landed in the
	# neighbouring mapping survives and says nothing)
	words=${want_words[$c]-}
	[ "$dk" = "$want" ] || words=
	if [ -n "$words" ] && ! printf '%s' "${d#*|}" | grep -qF -- "$words"; then
		echo "FAIL $c (default): the message does not say \"$words\": ${d#*|}"
		fail=1
	fi
	words=${want_hard_words[$c]-}
	if [ -n "$words" ] && ! printf '%s' "${h#*|}" | grep -qF -- "$words"; then
		echo "FAIL $c (hardened): the message does not say \"$words\": ${h#*|}"
		fail=1
	fi
	if [ "${debug_cases#* $c }" != "$debug_cases" ]; then
		db=$(outcome LD_PRELOAD="$lib" KMM_MALLOC_DEBUG=1)
		if [ "${db%%|*}" != kmm ]; then
			echo "FAIL $c (KMM_MALLOC_DEBUG=1): ended \"${db%%|*}\": ${db#*|}"
			fail=1
		fi
	fi
	if [ $api = 1 ] && [ "$hk" != "$want" ] || [ $api = 0 ] && [ "$hk" != kmm ]; then
		echo "FAIL $c (hardened): ended \"$hk\": ${h#*|}"
		fail=1
	fi
	case "$gk" in kmm*|glibc|NULL*) n_glibc=$((n_glibc + 1)) ;; esac
	case "$dk" in kmm|glibc|NULL*) n_default=$((n_default + 1)) ;; esac
	case "$hk" in kmm|NULL*) n_hard=$((n_hard + 1)) ;; esac
	echo "ok   $c: glibc [$gk] default [$dk] hardened [$hk] ${h#*|}"
	rows+=("| \`$c\` | $what | $gk | $dk | $hk |")
done <<<"$cases"
echo "$n cases: stopped by glibc $n_glibc, by kmm $n_default, by kmm hardened $n_hard"
if [ "$markdown" = --markdown ]; then
	echo
	echo "| case | misuse | glibc | kmm | kmm hardened |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
fi
[ $n -ge 30 ] || { echo "FAIL: only $n cases"; fail=1; }
exit $fail
