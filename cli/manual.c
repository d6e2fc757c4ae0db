// SPDX-License-Identifier: MIT
/*
 * cli/manual.c - kmm's documentation tables (environment, exit status, boot
 * options, the language and the shell in brief) and the writers of
 * `kmm --help`, `kmm COMMAND --help` and the manual page docs/kmm.1.
 *
 * Linux counterpart: none.
 *
 * The manual is generated, never written by hand: every command comes from
 * the command table (cli/main.c), every verb and value from the verb tables
 * (cli/verbs.c), every variable and status from the tables below. Prose
 * that is not a table row (the description, the language, the shell) lives
 * here as roff text. Output is deterministic (no date, no host detail), so
 * `kmm help --man` is byte-identical to the committed docs/kmm.1.
 *
 * Invariant: every verb of every registered table, every value term, every
 * command and every row below appears in the page (checked by
 * tests/integration_cli_manual.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/manual.h"
#include "cli/scenario.h"
#include "cli/verbs.h"
#include "lib/util.h"

/* ---- The tables ---- */

const struct doc_item env_docs[] = {
	{ "HOME", "kmm shell keeps its history in $HOME/.kmm_history (the last 1000 lines), "
	  "read at start and appended after each line. Unset or empty: no history is kept." },
	{ "PAGER", "Long help (`help` and `help COMMAND` in the shell, and `kmm help`) goes "
	  "through this program when standard output is a terminal and the text is taller "
	  "than it. Unset: less (with -FRX) if installed, else more. Empty or `cat`: no pager." },
	{ "PATH", "Where the pager (less, else more) is looked for when PAGER is unset." },
	{ "KMM_STEP_LIMIT", "Stop a scenario with status 2 after this many steps (statements run "
	  "and loop rounds; counted per run and per shell line). Default 100000000, a few "
	  "seconds of simple statements; 0 for no limit." },
	{ "KMM_HOST_MEM", "The host memory the kmm process may use (its resident set), a size "
	  "such as 8G. A command that allocates in a loop (alloc_pages count=max, kmalloc SIZE "
	  "count=N) stops with status 2 before it would pass it, and so does a scenario that has "
	  "passed it (looked at every 4096 steps). Default 4G; 0 for no limit." },
	{ "KMM_DEBUG_CHECKS", "Run every layer's invariant checker (kmm_check) after every "
	  "operation of every machine booted: 1 (or on) logs a violation to dmesg, fatal stops "
	  "the process on it, 0 (or off) turns the checker off in a -DKMM_DEBUG_CHECKS=ON build, "
	  "where fatal is the default. Any other value refuses the boot, naming it. The boot "
	  "option debug_checks= wins over it. Slow: "
	  "meant for tests (make test-debug)." },
	{ "KMM_CPU_LOCKED", "Set (to anything): a CPU slot's per-CPU data (pcp lists, slab CPU "
	  "caches) is always guarded by the slot's spinlock, even when one thread owns the slot "
	  "(normally an owning thread takes no lock, see docs/locking.md). For measuring what "
	  "the lock costs; the results are the same." },
	{ "KMM_TSAN_ASYMMETRIC", "Set (to anything), in a ThreadSanitizer build only: the "
	  "simulated MMU's access bracket opens with a plain store, as it does in a normal "
	  "build on a host with membarrier, instead of TSan's default locked way, so that "
	  "ThreadSanitizer checks the rest of that protocol (docs/testing.md); KMM_CPU_LOCKED "
	  "or a host without membarrier still keeps the locked way. Other builds "
	  "ignore it." },
	{ "KMM_TSAN_OWNED", "Set (to anything), in a ThreadSanitizer build only: a thread "
	  "that owns its CPU slot takes no lock for the slot's per-CPU data, as in a normal "
	  "build on a host with membarrier, instead of TSan's default locked way, so that "
	  "ThreadSanitizer checks the rest of the owned-slot protocol (docs/testing.md); "
	  "KMM_CPU_LOCKED or a host without membarrier still keeps the locked way. Other "
	  "builds ignore it." },
	{ "TMPDIR", "Where a machine makes its private directories (kmm-swap-XXXXXX, removed "
	  "at shutdown) for the host files behind mkswap/swapon, unless the swapdir= boot option "
	  "names one, and for its filesystem image, unless fsimage= names one. Unset or empty: "
	  "/tmp." },
	{ "KMM_MALLOC_MEM", "libkmm-malloc.so: the most RAM its machine grows to (by memory "
	  "hotplug, from 128M, 128M at a time) for blocks up to 4 MiB (default 4G). See "
	  "docs/malloc.md." },
	{ "KMM_MALLOC_CPUS", "libkmm-malloc.so: its maxcpus, 1 to 64 (default four times the "
	  "online CPUs, at least 16, at most 64); another value is named on stderr and the "
	  "default kept." },
	{ "KMM_MALLOC_CMDLINE", "libkmm-malloc.so: more boot options for its machine "
	  "(e.g. buddy=lazy)." },
	{ "KMM_MALLOC_DEBUG", "libkmm-malloc.so: slab_debug letters for its caches; 1 means FZPU "
	  "(red zones, poisoning, checks, owner tracking)." },
	{ "KMM_MALLOC_STATS", "libkmm-malloc.so: print statistics at exit: 1 to standard error, "
	  "any other value is a file to append to (one that cannot be opened is named, and the "
	  "statistics go to standard error)." },
	{ "KMM_MALLOC_CHECK", "libkmm-malloc.so: 1 (or another on word: on, y, t) runs every invariant checker "
	  "(kmm_check) at exit; a value that is no on/off word is named and taken as off." },
	{ "KMM_MALLOC_TRACE", "libkmm-malloc.so: write every malloc, free, realloc and aligned "
	  "allocation to this file, for kmm lab fit (a %p in the name becomes the process id). "
	  "Each program loaded with it set starts the file over; a forked child stops writing. "
	  "See docs/lab.md." },
	{ "KMM_MALLOC_TRACE_PID", "libkmm-malloc.so: with KMM_MALLOC_TRACE, only this process "
	  "writes the trace (kmm lab record sets it to the program's process id)." },
	{ "KMM_MALLOC_LIB", "kmm lab record: the libkmm-malloc.so to preload (default: the one "
	  "next to the kmm binary, or ../lib/ from it)." },
	{ "LD_PRELOAD", "kmm lab record keeps libraries already named here, after "
	  "libkmm-malloc.so." },
	{ "KMM_MALLOC_HUGE_CACHE", "libkmm-malloc.so: how many bytes of freed blocks above 4 MiB "
	  "it keeps resident for reuse at most, a size (default 64M). Freed such blocks are "
	  "kept as free ranges, split for smaller blocks and merged with their neighbours; the "
	  "resident free bytes and the live such blocks' bytes together stay within the most "
	  "the live ones held after a block came from the free ranges, or 24M, whichever is "
	  "more; the oldest go first; malloc_trim returns them all. 0 maps every such block "
	  "afresh." },
	{ "KMM_MALLOC_TRIM", "libkmm-malloc.so: the cap of the trim limit, as a size (default "
	  "64M): the limit is a quarter of the RAM in use (at least 4M, at most this); freed "
	  "blocks go back to the host once free memory has grown by the limit, a trim sparing "
	  "as many resident free blocks as the program re-allocates in blocks of 256 KiB and "
	  "more between trims (at most four limits' worth); and free blocks of "
	  "512 KiB and more go back, none spared, each time the RAM in use plus the live "
	  "blocks above 4 MiB reaches an eighth above its last such high; 0 never trims." },
	{ "KMM_MALLOC_HARDEN", "libkmm-malloc.so: 1 (or on, y, t; a value that is no on/off word is named and "
	  "taken as off) turns on the hardened mode: exact red zones, "
	  "guard pages after page-sized and huge blocks, a quarantine of freed blocks checked "
	  "for writes after free, a hardened slab freelist (docs/malloc.md)." },
	{ "KMM_MALLOC_QUARANTINE", "libkmm-malloc.so, hardened mode: bytes of freed small blocks "
	  "held back per CPU slot (default 1M; a value that is no size is named and the default "
	  "kept); 0 holds none." },
	{ "KMM_MALLOC_FAIL", "libkmm-malloc.so, for testing: every Nth allocation from the "
	  "machine or host mapping fails (malloc returns NULL with ENOMEM); 0 or unset: none. A "
	  "value that is no number is named and taken as 0." },
};
const size_t nr_env_docs = ARRAY_SIZE(env_docs);

const struct doc_item exit_docs[] = {
	{ "0", "Success." },
	{ "1", "An expect failed (the scenario ran to its end), or a checker found a violated "
	  "invariant (kmm check, the check verb)." },
	{ "2", "Bad usage or bad input: an unknown command or option, an unreadable file, a line "
	  "that does not parse (file:line:col: message, and nothing runs), a boot option the "
	  "kernel rejects, or a run-time error such as freeing pages twice (reported the same "
	  "way; the scenario stops at that line)." },
	{ "N", "`exit N` or `quit N` ended the scenario or the shell." },
	{ "130", "kmm run or kmm check was interrupted by Ctrl-C (SIGINT). The shell is not: "
	  "there Ctrl-C cancels the line or the running command and the shell goes on." },
};
const size_t nr_exit_docs = ARRAY_SIZE(exit_docs);

const struct doc_item boot_option_docs[] = {
	{ "mem=SIZE", "RAM, with a K, M, G or T suffix (default 1G). With board=: Linux's mem=, "
	  "RAM above this physical address is not used." },
	{ "board=SIZE", "The RAM the board has, when mem= is to mean Linux's cap." },
	{ "config=defconfig|debian", "The kernel build: defconfig (the default; i386's is "
	  "Linux 6.12's i386_defconfig) or debian (x86_64: Debian's 6.12 kernel)." },
	{ "firmware=qemu|seabios|seabios-kvm", "The firmware's e820 map: QEMU's own (default), "
	  "SeaBIOS (top 128 KiB below 3 GiB or the RAM's end reserved), SeaBIOS under KVM." },
	{ "nr_cpus=N", "Possible CPUs (per-CPU areas, nr_cpu_ids), 1 to 64 (default 2)." },
	{ "transparent_hugepage=always|madvise|never", "THP mode (config=debian only)." },
	{ "init_on_alloc=0|1", "Zero pages and objects as they are allocated (default: the "
	  "build's). Like every on/off option, it takes Linux's kstrtobool words: 1, y, t, on "
	  "(yes, true) or 0, n, f, off (no, false)." },
	{ "initrd=SIZE", "The boot loader loaded an initramfs of SIZE bytes." },
	{ "slab_max_order=N", "The largest order a slab gets (default 3), unless one object "
	  "needs more; above 10 means 10, as in Linux; also slub_max_order=." },
	{ "arch=i386|i386-pae|x86_64", "i386: the 3G/1G split, at most ~880 MiB of lowmem, the "
	  "rest HighMem. i386-pae: the same split with 36-bit physical addresses. x86_64 (the "
	  "default): everything directly mapped; zones DMA, DMA32 and Normal." },
	{ "maxcpus=N", "CPUs brought online (CPU slots: per-CPU page lists, slab CPU caches), "
	  "at most nr_cpus (default all; 0: the boot CPU only)." },
	{ "numa=fake=N", "Split memory into N nodes (x86_64)." },
	{ "kernelcore=SIZE|N%", "Memory for non-movable allocations; the rest is ZONE_MOVABLE." },
	{ "movablecore=SIZE|N%", "Memory for ZONE_MOVABLE." },
	{ "vmalloc=SIZE", "i386: the size of the vmalloc area (moves the end of lowmem)." },
	{ "highmem=SIZE", "i386: force this much HighMem." },
	{ "memmap=nn$ss|nn#ss", "Reserve a range of RAM (or mark it ACPI data)." },
	{ "buddy=eager|lazy", "Merge freed buddies at once (Linux), or park freed blocks and "
	  "merge only when an allocation finds no block big enough." },
	{ "mmio=NAME@START+SIZE", "A device's register window, for ioremap." },
	{ "deferred_struct_pages=on|off", "Initialise struct pages of large machines lazily "
	  "(default on)." },
	{ "mixed_blocks=free|reserved", "The free pages of 4 MiB blocks that also hold boot "
	  "reservations, and the init areas: to the buddy allocator (default, as Linux), or "
	  "kept reserved with their struct pages untouched (the malloc shim)." },
	{ "ram=memfd|anon|huge", "How the host backs RAM: a memory file that vmalloc and kmap can "
	  "remap (default), anonymous memory, or anonymous memory on transparent huge pages "
	  "(as Linux's direct map: fewer TLB misses, RSS in 2 MiB steps)." },
	{ "slab_debug=FLAGS[,CACHE...]", "Slab debugging (F sanity checks, Z red zones, "
	  "P poisoning, U owner tracking) for all or some caches; also slub_debug=." },
	{ "slab_freelist_hardened=on|off", "Obfuscated slab free pointers." },
	{ "slab_freelist_random=on|off", "Slab objects handed out in a shuffled order." },
	{ "slab_sheaves=on|off", "Per-CPU sheaves: each CPU keeps up to two pages' worth of "
	  "freed objects (4 to 64) of each cache without debugging, handed out again first "
	  "(the malloc shim's machine)." },
	{ "kmalloc_caches=eager|lazy", "Make every kmalloc cache at boot (default, as Linux), or "
	  "only the kmalloc-* ones, each kmalloc-rcl-* and dma-kmalloc-* cache at its first "
	  "kmalloc (the malloc shim)." },
	{ "slab_shadow_granule=8|16", "The bytes one slab shadow byte covers: 8 (default), or 16, "
	  "every slab object then 16-byte aligned: half the shadow (the malloc shim)." },
	{ "slab_freeptr=middle|start", "Where a free slab object keeps its free pointer: "
	  "mid-object (default, as Linux) or in its first word (the malloc shim)." },
	{ "vmalloc_window=SIZE", "The host address space reserved for vmalloc." },
	{ "fail_page_alloc=I,P,S,T[,SEED]", "Failure injection as Linux's: fail every I-th "
	  "page allocation with probability P percent, after S bytes, at most T times (-1: no "
	  "limit); SEED for the draws. 1,100,0,1 fails the first. Boot itself may fail." },
	{ "failslab=I,P,S,T[,SEED]", "The same for slab objects (kmalloc, kmem_cache_alloc)." },
	{ "fail_vmalloc=I,P,S,T[,SEED]", "The same for vmalloc's virtual areas (kmm only)." },
	{ "debug_checks=off|on|fatal", "Every invariant checker after every operation "
	  "(see KMM_DEBUG_CHECKS)." },
	{ "kswapd=step|thread", "When a woken kswapd runs: after the command that woke it and on "
	  "the kswapd command (step, the default: runs print the same bytes each time), or at "
	  "once on a host thread per node (thread)." },
	{ "swapdir=DIR", "The host directory that holds the files of mkswap/swapon (they are "
	  "kept). Default: a private temporary directory, removed at shutdown." },
	{ "fsimage=PATH", "The host file that holds the machine's filesystem (kmmfs): mounted "
	  "when it holds one, created when missing, kept at shutdown. Default: a fresh image in "
	  "a private temporary directory, removed at shutdown." },
	{ "fssize=SIZE", "The size of a new filesystem image, 1M to 64G (default 256M)." },
	{ "ignore_rlimit_data=0|1", "1 (or the bare word): a private writable mapping past "
	  "RLIMIT_DATA is warned about once but not refused (Linux's core_param; default 0: "
	  "refused, ENOMEM)." },
	{ "proc_caches=eager|lazy", "Make the process layer's caches (mm_struct, anon_vma, "
	  "task_struct, vm_area_struct) and its zero page at boot (default, as Linux), or at the "
	  "first task (the malloc shim, which makes none)." },
	{ "maxmem=SIZE", "x86_64: the most RAM the board can hold (QEMU's -m SIZE,maxmem=MAX): "
	  "a hotplug area of maxmem - mem bytes for hotplug add (default: none)." },
	{ "memhp_default_state=online|offline|online_kernel|online_movable", "How memory "
	  "blocks added later are onlined (default offline)." },
	{ "memory_hotplug.memmap_on_memory=on|off|force", "An added block holds its own struct "
	  "pages in its first pageblock, instead of taking them from the RAM there is "
	  "(default off)." },
};
const size_t nr_boot_option_docs = ARRAY_SIZE(boot_option_docs);

const struct doc_item value_docs[] = {
	{ "123, 0x1f", "numbers (64-bit signed: a result of + - * / or unary - beyond "
	  "-9223372036854775808 .. 9223372036854775807 is a run-time error, integer overflow, "
	  "not a wrapped value; a hex number of up to 64 bits, such as the kernel address "
	  "0xffffc90000000000, is that 64-bit pattern, equal to the variable vmalloc stored it "
	  "in, and prints as a negative number)" },
	{ "\"text\"", "text" },
	{ "NULL", "what a failed alloc_pages returns" },
	{ "$name, $p.field", "variables; page fields: pfn phys order pages zone node count freed" },
	{ "$v.errno", "the name of the error of the system call whose result $v holds "
	  "(\"ENOMEM\", \"EEXIST\", ...), \"\" when it succeeded" },
	{ "$_", "the result of the last command that returns one (alloc_pages, kmalloc, vmalloc, "
	  "mmap, ...) written without -> $name; a failed system call without -> $name is not a "
	  "value but a run-time error (exit status 2)" },
};
const size_t nr_value_docs = ARRAY_SIZE(value_docs);

const char syntax_help[] =
	"The scenario language\n"
	"  COMMAND ARGS...            one command per line (or separated by ';')\n"
	"  # text                     a comment, where a word could start\n"
	"  \"a b\"  'a b'               quoted words (\\\" \\\\ \\n \\t inside \"...\")\n"
	"  COMMAND | grep PATTERN     filter the output (grep, head, tail, wc)\n"
	"  echo N > /proc/sys/vm/X    write a /proc or /sys file\n"
	"  COMMAND > FILE, >> FILE    save the output in a host file (or append to it)\n"
	"  COMMAND -> $name           keep what a command returns (alloc_pages); a\n"
	"                             system call that fails is then a value, -1 with\n"
	"                             $name.errno set, and the script goes on\n"
	"  let $name = EXPRESSION     compute a value\n"
	"  repeat N { ... }           run a block N times (N a number or $name)\n"
	"  expect EXPRESSION          check a value; on failure print file:line: and\n"
	"                             both sides, go on, and exit with status 1\n"
	"A script is parsed whole before it runs: a bad line stops it with\n"
	"file:line:col: message and exit status 2, and nothing runs.\n"
	"Commands that need a machine before any `boot` get the default machine: "
	KMM_DEFAULT_CMDLINE ".\n";

const char shell_help[] =
	"kmm shell: the scenario language typed live\n"
	"  Enter          run the line (a line that opens `repeat N {` or a quote\n"
	"                 continues under the \"...> \" prompt)\n"
	"  Ctrl-C         drop the line being typed (and an open block); while a command\n"
	"                 runs, stop it at its next step: the machine and the variables\n"
	"                 are kept\n"
	"  Ctrl-D         leave (on an empty line); also `exit` or `quit`\n"
	"With line editing (libedit or GNU readline, see `kmm --version`):\n"
	"  Up, Down       history, kept in $HOME/.kmm_history across sessions\n"
	"  Tab            complete a command, its options (order=, gfp=, --format, ...),\n"
	"                 GFP flags after gfp= or '|', $variables, /proc and /sys paths\n"
	"Variables and the machine persist from line to line. A command that returns\n"
	"a value and is given no `-> $name` leaves it in $_ (`alloc_pages`, then\n"
	"`free_pages $_`). A mistake prints <stdin>:LINE:COL: message with a caret under\n"
	"the column; nothing of a line that does not parse runs. Long help goes through\n"
	"$PAGER. `boot` alone reboots with the command line in use, and says so; a boot\n"
	"that fails keeps the machine in use and the variables.\n";

/* ---- --help texts ---- */

const struct kmm_command *command_find(const struct kmm_command *const *cmds, size_t n,
				       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

/* Print @text indented by @indent, keeping its own line breaks. */
static void put_indented(FILE *out, const char *text, int indent)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len)
			fprintf(out, "%*s%.*s\n", indent, "", (int)len, p);
		else
			fputc('\n', out);
		p += len + (nl ? 1 : 0);
	}
}

void doc_wrap(struct strbuf *sb, const char *text, int indent, int width, int col0)
{
	const char *p = text;
	int col = col0;
	bool fresh = col0 > 0;	/* at col0, no blank before the first word */

	while (*p) {
		if (*p == '\n') {
			/* a line break; a blank line separates paragraphs */
			if (col)
				sb_puts(sb, "\n");
			if (p[1] == '\n') {
				sb_puts(sb, "\n");
				p++;
			}
			col = 0;
			fresh = false;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " \n");
		if (col && !fresh && col + 1 + (int)len > width) {
			sb_puts(sb, "\n");
			col = 0;
		}
		if (!col) {
			sb_printf(sb, "%*s", indent, "");
			col = indent;
		} else if (!fresh) {
			sb_puts(sb, " ");
			col++;
		}
		fresh = false;
		sb_printf(sb, "%.*s", (int)len, p);
		col += (int)len;
		p += len;
	}
	if (col)
		sb_puts(sb, "\n");
}

/* doc_wrap() straight to a stream. */
static void put_wrapped(FILE *out, const char *text, int indent, int width, int col0)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "");
	doc_wrap(&sb, text, indent, width, col0);
	fputs(sb.buf ? sb.buf : "", out);
	sb_free(&sb);
}

void command_usage(FILE *out, const struct kmm_command *cmd)
{
	fprintf(out, "usage: kmm %s %s\n\n", cmd->name, cmd->synopsis);
	put_wrapped(out, cmd->description, 0, 78, 0);
	if (cmd->nr_options) {
		fprintf(out, "\nOptions:\n");
		for (size_t i = 0; i < cmd->nr_options; i++) {
			const struct kmm_option_doc *o = &cmd->options[i];
			char head[64];

			snprintf(head, sizeof(head), "%s%s%s", o->flags, o->arg ? " " : "",
				 o->arg ? o->arg : "");
			if (strlen(head) > 20) {
				fprintf(out, "  %s\n", head);
				put_wrapped(out, o->help, 24, 78, 0);
			} else {
				/* the first line shares the row with the flags */
				int col = fprintf(out, "  %-21s ", head);
				put_wrapped(out, o->help, 24, 78, col);
			}
		}
	}
	if (cmd->boot_options) {
		fprintf(out, "\nBoot options (as on a Linux kernel command line; "
			"docs/boot-options.md has them all):\n");
		for (size_t i = 0; i < nr_boot_option_docs; i++) {
			const struct doc_item *o = &boot_option_docs[i];
			if (strlen(o->name) > 26) {
				fprintf(out, "  %s\n", o->name);
				put_wrapped(out, o->text, 30, 78, 0);
			} else {
				int col = fprintf(out, "  %-27s ", o->name);
				put_wrapped(out, o->text, 30, 78, col);
			}
		}
	}
	if (cmd->examples) {
		fprintf(out, "\nExamples:\n");
		put_indented(out, cmd->examples, 2);
	}
	fputc('\n', out);
	put_wrapped(out, "Exit status:", 0, 78, 0);
	put_wrapped(out, cmd->exit_status ? cmd->exit_status
		    : "0 success; 1 an expect failed or a checker found a violation; 2 bad usage "
		      "or bad input. See kmm(1).", 2, 78, 0);
}

void commands_usage(FILE *out, const struct kmm_command *const *cmds, size_t n)
{
	fprintf(out, "usage: kmm COMMAND [ARGS]\n\n"
		"kmm is the Linux memory manager rebuilt as a library and a machine you boot\n"
		"from a kernel command line. Commands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  kmm %-9s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(out, "  kmm %-9s %s\n", "--version", "version and line-editing library");
	fprintf(out, ""
		"\nEach command takes --help. Exit status: 0 success, 1 an expect failed,\n"
		"2 bad usage or bad input. The manual: man kmm (docs/kmm.1).\n");
}

/* ---- The manual page (roff) ---- */

/* Escape @len bytes of @s for roff: backslash, minus, and a control character at a line start. */
static void roff_escape(FILE *out, const char *s, size_t len)
{
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (bol && (c == '.' || c == '\''))
			fputs("\\&", out);
		if (c == '\\')
			fputs("\\e", out);
		else if (c == '-')
			fputs("\\-", out);
		else
			fputc(c, out);
		bol = c == '\n';
	}
}

static void roff_str(FILE *out, const char *s)
{
	roff_escape(out, s, strlen(s));
}

/* Running text: paragraphs separated by a blank line become .sp-separated. */
static void roff_text(FILE *out, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *brk = strstr(p, "\n\n");
		size_t len = brk ? (size_t)(brk - p) : strlen(p);

		while (len && p[len - 1] == '\n')
			len--;
		roff_escape(out, p, len);
		fputc('\n', out);
		if (!brk)
			break;
		fputs(".sp\n", out);
		p = brk + 2;
	}
}

/*
 * Preformatted lines (examples, verb details): indented by 4 at the top
 * level of a section, at the body's indent inside a .TP item (@in_item).
 */
static void roff_pre(FILE *out, const char *text, bool in_item)
{
	size_t len = strlen(text);

	while (len && text[len - 1] == '\n')
		len--;
	fputs(in_item ? ".sp\n.nf\n" : ".RS 4\n.nf\n", out);
	roff_escape(out, text, len);
	fputs(in_item ? "\n.fi\n" : "\n.fi\n.RE\n", out);
}

/* The tag line of a .TP item: @bold in bold, then @rest (may be NULL) in italics. */
static void roff_tag(FILE *out, const char *bold, const char *rest)
{
	fputs(".TP\n\\fB", out);
	roff_str(out, bold);
	fputs("\\fR", out);
	if (rest) {
		fputs(" \\fI", out);
		roff_str(out, rest);
		fputs("\\fR", out);
	}
	fputc('\n', out);
}

static void roff_item(FILE *out, const char *head, const char *text)
{
	roff_tag(out, head, NULL);
	roff_text(out, text);
}

static const char man_description[] =
	"kmm is the Linux memory-management system (zones, the buddy allocator, watermarks "
	"and GFP flags, slab caches and kmalloc, vmalloc and highmem, process address spaces "
	"with page faults and copy-on-write, the LRU lists, page reclaim (kswapd and direct "
	"reclaim), swap to host files, overcommit and the OOM killer) rebuilt as a C "
	"library. A machine is booted from "
	"a kernel command line such as mem=512M arch=i386 and then examined the way one "
	"examines a Linux box: its boot log, its /proc and /sys files, free(1) and "
	"sysctl(8), plus verbs a shell prompt cannot offer, such as allocating pages with "
	"given GFP flags or starting a process and forking it.\n\n"
	"Overcommit accounting (vm.overcommit_memory 0, 1 and 2) and the OOM killer are "
	"built; a kernel panic (vm.panic_on_oom, or nothing left to kill) halts the machine, "
	"never the host: the runner prints it and process commands refuse until the next boot. "
	"When free memory runs low, kswapd and direct reclaim take pages from the LRU lists: "
	"clean file pages are dropped, dirty ones written back first, anonymous pages, tmpfs "
	"files and shared anonymous memory go to a swap area (mkswap, swapon) and come back on "
	"the next touch; only when nothing more can be reclaimed is the OOM killer called (an "
	"allocation on a machine with no processes fails instead). As in Linux 6.12, direct "
	"reclaim leaves dirty file pages to the flusher (only kswapd writes one, on its second "
	"visit). Not built yet: compaction.\n\n"
	"Files are built: a small filesystem on a host image file (mounted on first use), "
	"tmpfs under /dev/shm, and the page cache in front of them - reads with readahead, "
	"writes that dirty pages, shared and private file mappings, writeback (fsync, sync, "
	"the vm.dirty_* limits, reclaim) and vm.drop_caches. Writeback is asynchronous: a "
	"page being written is under writeback (meminfo Writeback) until the disk's time for "
	"it (10 us a page) has passed on the virtual clock, and a writer past vm.dirty_ratio "
	"pauses until enough writes are done; swap-outs are written the same way.\n\n"
	"Output is deterministic: the same command line and script print the same bytes "
	"every time, and no host address is ever shown.";

static const char man_default_machine[] =
	"A scenario (or shell) that needs a machine before any boot gets "
	KMM_DEFAULT_CMDLINE ": three zones (DMA, Normal, HighMem), which serves most "
	"examples. `boot` with options replaces the machine.";

static const char man_examples[] =
	"kmm boot mem=512M arch=i386 --cat /proc/zoneinfo\n"
	"kmm run examples/tour.kmm\n"
	"kmm run -e 'boot mem=256M arch=i386' -e 'free -m'\n"
	"kmm run -e 'cat /proc/vmstat | grep pgalloc'\n"
	"kmm check examples/buddy_thrash.kmm\n"
	"kmm shell mem=1G arch=i386\n";

static void man_commands(FILE *out, const struct kmm_command *const *cmds, size_t n)
{
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct kmm_command *c = cmds[i];

		char head[64];

		snprintf(head, sizeof(head), "kmm %s", c->name);
		roff_tag(out, head, c->synopsis);
		roff_text(out, c->description);
		if (c->nr_options) {
			fputs(".RS\n", out);
			for (size_t j = 0; j < c->nr_options; j++) {
				const struct kmm_option_doc *o = &c->options[j];
				roff_tag(out, o->flags, o->arg);
				roff_text(out, o->help);
			}
			fputs(".RE\n", out);
		}
		if (c->examples) {
			fputs(".IP\nExamples:\n", out);
			roff_pre(out, c->examples, true);
		}
		if (c->exit_status) {
			fputs(".IP\nExit status: ", out);
			roff_str(out, c->exit_status);
			fputc('\n', out);
		}
	}
}

static void man_layers(FILE *out)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);

	fputs(".SH \"SCENARIO COMMANDS, LAYER BY LAYER\"\n"
	      "Each layer of kmm registers its commands and values in a table; `help` lists "
	      "them in this order and `help COMMAND` shows what follows here.\n", out);
	for (size_t i = 0; i < nt; i++) {
		fputs(".SS \"", out);
		roff_str(out, t[i]->layer);
		fputs("\"\n", out);
		if (t[i]->intro)
			roff_text(out, t[i]->intro);
		if (t[i]->example) {
			fputs(".PP\nExample:\n", out);
			roff_pre(out, t[i]->example, false);
		}
		for (size_t j = 0; j < t[i]->nr_verbs; j++) {
			const struct verb *v = &t[i]->verbs[j];

			roff_tag(out, v->synopsis, NULL);
			roff_str(out, v->summary);
			fputs(".\n", out);
			if (v->help)
				roff_pre(out, v->help, true);
			const struct out_field *f = verb_fields(v);
			if (f) {
				fputs(".sp\nWith \\-\\-format json|csv, one record per row with "
				      "these fields:\n.RS\n", out);
				for (; f->name; f++)
					roff_item(out, f->name, f->doc);
				fputs(".RE\n", out);
			}
		}
		if (t[i]->nr_terms) {
			fputs(".PP\nValues (for expect, let and print):\n", out);
			for (size_t j = 0; j < t[i]->nr_terms; j++) {
				const struct term *term = &t[i]->terms[j];
				roff_item(out, term->synopsis ? term->synopsis : term->name,
					  term->summary);
			}
		}
	}
}

static const char man_output_text[] =
	"kmm run -q prints only what a scenario prints on purpose: the output of print, echo, "
	"cat, free, zones, ps and the other commands that show something, without the lines "
	"that merely acknowledge an action (\"A: pid 1\", \"kmalloc 100 (kmalloc-128): ...\", "
	"the echo of sysctl NAME=VALUE, mkswap's lines); "
	"an acknowledgment piped into a filter or redirected is kept. Nor does it print what the "
	"machine says on its own: kswapd's reports and a kernel panic's lines stay in dmesg (a "
	"panic gets one line on standard error). kmm boot -q --cat FILE "
	"prints the file without the boot log.\n\n"
	"COMMAND > FILE writes a command's whole output to FILE on the host (COMMAND >> FILE "
	"appends), relative to the current directory: cat /proc/meminfo > meminfo.txt. A FILE "
	"under /proc or /sys is the machine's file instead (echo 4096 > "
	"/proc/sys/vm/min_free_kbytes).\n\n"
	"The commands whose output is a table take --format json or --format csv (or "
	"--format=json), last on the line. JSON is an array of objects, one per row; CSV a header "
	"of the field names, then one line per row (RFC 4180 quoting). Counts are numbers, "
	"addresses are \"0x...\" strings, a missing value is null (empty in CSV). The field "
	"names are stable: new ones are only ever added at the end. The commands and their "
	"fields:";

static void man_output(FILE *out)
{
	size_t nt;
	const struct verb_table *const *t = verb_tables(&nt);

	fputs(".SH \"OUTPUT FOR OTHER TOOLS\"\n", out);
	roff_text(out, man_output_text);
	for (size_t i = 0; i < nt; i++) {
		for (size_t j = 0; j < t[i]->nr_verbs; j++) {
			const struct out_field *f = verb_fields(&t[i]->verbs[j]);
			if (!f)
				continue;
			fputs(".TP\n\\fB", out);
			roff_str(out, t[i]->verbs[j].name);
			fputs("\\fR\n", out);
			for (const struct out_field *g = f; g->name; g++) {
				roff_str(out, g->name);
				fputs(g[1].name ? ",\n" : "\n", out);
			}
		}
	}
}

static void man_items(FILE *out, const char *section, const struct doc_item *items, size_t n)
{
	fprintf(out, ".SH %s\n", section);
	for (size_t i = 0; i < n; i++)
		roff_item(out, items[i].name, items[i].text);
}

void manual_write(FILE *out, const struct kmm_command *const *cmds, size_t n,
		  const char *version)
{
	fputs(".\\\" SPDX-License-Identifier: MIT\n"
	      ".\\\" docs/kmm.1 - generated by `kmm help --man` (make man) from the tables in\n"
	      ".\\\" cli/: edit those, not this file. View with: man -l docs/kmm.1\n", out);
	fprintf(out, ".TH KMM 1 \"\" \"kmm %s\" \"User Commands\"\n", version);
	fputs(".SH NAME\nkmm \\- boot a simulated Linux memory manager and run scenarios on it\n"
	      ".SH SYNOPSIS\n", out);
	for (size_t i = 0; i < n; i++) {
		fputs(".B kmm ", out);
		roff_str(out, cmds[i]->name);
		fputs("\n.RI \"", out);
		roff_str(out, cmds[i]->synopsis);
		fputs("\"\n.br\n", out);
	}
	fputs(".B kmm\n.BR \\-\\-help \" | \" \\-\\-version\n", out);
	fputs(".SH DESCRIPTION\n", out);
	roff_text(out, man_description);
	man_commands(out, cmds, n);
	fputs(".SH \"THE SCENARIO LANGUAGE\"\n", out);
	roff_pre(out, syntax_help, false);
	fputs(".PP\nA word written $name or $name.field is a variable; inside quotes, and "
	      "inside a longer word such as memmap=64M$0x1000000, a $ is plain text. A "
	      "backslash at the end of a line continues the command on the next line.\n", out);
	fputs(".SS Values\nExpressions combine these with + \\- * / % == != < <= > >= "
	      "contains !contains && || ! and parentheses:\n", out);
	for (size_t i = 0; i < nr_value_docs; i++)
		roff_item(out, value_docs[i].name, value_docs[i].text);
	fputs(".PP\nEach layer adds its own values; they are listed with its commands below.\n",
	      out);
	man_layers(out);
	man_output(out);
	fputs(".SH \"THE SHELL\"\n", out);
	roff_pre(out, shell_help, false);
	man_items(out, "\"BOOT OPTIONS\"", boot_option_docs, nr_boot_option_docs);
	fputs(".PP\nOptions are those of a Linux kernel command line, separated by blanks; an "
	      "unknown or malformed one is an error that names it, and nothing is booted. "
	      "docs/boot-options.md gives every option's syntax, default and Linux "
	      "counterpart.\n", out);
	fputs(".SH \"DEFAULT MACHINE\"\n", out);
	roff_text(out, man_default_machine);
	man_items(out, "ENVIRONMENT", env_docs, nr_env_docs);
	man_items(out, "\"EXIT STATUS\"", exit_docs, nr_exit_docs);
	fputs(".SH FILES\n", out);
	roff_item(out, "~/.kmm_history", "The shell's history (see HOME).");
	roff_item(out, "examples/*.kmm",
		  "Commented scenarios (installed under share/doc/kmm/examples); their expected "
		  "output, examples/*.out, is compared byte for byte by the test suite. "
		  "tour.kmm is what make demo runs.");
	fputs(".SH EXAMPLES\n", out);
	roff_pre(out, man_examples, false);
	fputs(".SH \"SEE ALSO\"\n.BR free (1),\n.BR sysctl (8),\n.BR proc (5),\n.BR dmesg (1)\n",
	      out);
}
