// SPDX-License-Identifier: MIT
/*
 * tests/integration_cli.c - the kmm command as a user meets it: exit
 * statuses (0 ok, 1 expect failed, 2 bad usage/input), messages with
 * file:line:col, nothing run from a script with a bad line, the default
 * machine, determinism, GFP zones, sysctls and /proc writes, `kmm check`.
 * Runs the real binary ($KMM_BINARY_DIR/kmm).
 */
#include "tests/cli_test.h"

TEST(usage_and_help)
{
	expect_eq(RUN("--help"), 0);
	expect_str_contains(out, "usage: kmm COMMAND");
	expect_eq(run((const char *const[]){ "kmm", NULL }), 2);
	expect_str_contains(err, "usage: kmm COMMAND");
	expect_eq(RUN("frobnicate"), 2);
	expect_str_contains(err, "kmm: unknown command 'frobnicate'");
	const char *subs[] = { "boot", "run", "shell", "check" };
	for (size_t i = 0; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof(want), "usage: kmm %s", subs[i]);
		expect_eq(RUN(subs[i], "--help"), 0);
		expect_str_contains(out, want);
	}
	expect_eq(RUN("help"), 0);
	expect_str_contains(out, "alloc_pages");
	expect_eq(RUN("help", "free"), 0);
	expect_str_contains(out, "usage: free [-b|-k|-m|-g|-h]");
	expect_eq(RUN("help", "nosuchverb"), 2);
	expect_eq(RUN("run", "--bogus"), 2);
	expect_str_contains(err, "kmm run: unknown option '--bogus'");
	expect_eq(RUN("run", "/nonexistent/x.kmm"), 2);
	expect_str_contains(err, "kmm run: cannot read /nonexistent/x.kmm");
	expect_eq(RUN("--version"), 0);
	expect_str_contains(out, "line editing:");
}

TEST(boot_prints_dmesg_and_files)
{
	expect_eq(RUN("boot", "mem=64M", "arch=i386", "--cat", "/proc/buddyinfo"), 0);
	expect_str_contains(out, "Memory: ");
	expect_str_contains(out, "Node 0, zone   Normal ");
	expect_eq(RUN("boot", "mem=64Q"), 2);
	expect_true(strlen(out) == 0);
	expect_str_contains(err, "kmm boot: ");
	expect_str_contains(err, "mem=64Q");
	expect_eq(RUN("boot", "mem=128M", "--cat", "/proc/nope"), 2);
	expect_str_contains(err, "/proc/nope: No such file or directory");
	expect_eq(RUN("boot", "--frob"), 2);
}

TEST(exit_status_of_expect)
{
	expect_eq(RUN("run", "-e", "expect 1 == 2"), 1);
	expect_eq(strcmp(err, "-e:1: expect failed: 1 == 2 (left: 1, right: 2)\n"), 0);
	/* the script goes on after a failed expect */
	expect_eq(RUN("run", "-e", "expect 1 > 2", "-e", "print \"after\""), 1);
	expect_eq(strcmp(out, "after\n"), 0);
	expect_eq(RUN("run", "-e", "expect 2 > 1"), 0);
	expect_eq(RUN("run", "-e", "exit 3", "-e", "print 1"), 3);
	expect_eq(strlen(out), 0);
}

TEST(bad_line_runs_nothing)
{
	expect_eq(RUN("run", "-e", "print \"first\"", "-e", "boot mem=64M", "-e", "alloc_pages order=12"), 2);
	expect_eq(strlen(out), 0);
	expect_eq(strcmp(err, "-e:3:13: order must be 0..10 (MAX_PAGE_ORDER), not '12'\n"), 0);
	expect_eq(RUN("run", "-n", "-e", "free -m"), 0);
	expect_eq(strlen(out), 0);
}

TEST(runtime_error_stops_at_its_line)
{
	expect_eq(RUN("run", "-e", "boot mem=64M arch=i386", "-e", "alloc_pages -> $p", "-e",
		      "free_pages $p", "-e", "free_pages $p", "-e", "print \"after\""), 2);
	expect_eq(strcmp(err, "-e:4:12: $p was already freed (double free)\n"), 0);
	expect_true(!strstr(out, "after"));
	expect_eq(RUN("run", "-e", "boot mem=64Q"), 2);
	expect_str_contains(err, "-e:1:6: boot failed: ");
	expect_eq(RUN("run", "-e", "cat /proc/nope"), 2);
	expect_eq(strcmp(err, "-e:1:5: cat: /proc/nope: No such file or directory\n"), 0);
	expect_eq(RUN("run", "-e", "echo abc > /proc/sys/vm/min_free_kbytes"), 2);
	expect_str_contains(err, "-e:1:12: /proc/sys/vm/min_free_kbytes: Invalid argument");
}

TEST(default_machine_and_stdin)
{
	expect_eq(run_in((const char *const[]){ "kmm", "run", NULL }, "cat /proc/cmdline\n"), 0);
	expect_eq(strcmp(out, "mem=1G arch=i386\n"), 0);
	expect_eq(run_in((const char *const[]){ "kmm", "run", "-", NULL }, "print 6 * 7\n"), 0);
	expect_eq(strcmp(out, "42\n"), 0);
}

TEST(gfp_flags_land_in_their_zones_on_i386)
{
	expect_eq(RUN("run", "-e", "boot mem=1G arch=i386",
		      "-e", "alloc_pages gfp=GFP_DMA -> $d",
		      "-e", "alloc_pages gfp=GFP_KERNEL -> $k",
		      "-e", "alloc_pages gfp=GFP_HIGHUSER -> $h",
		      "-e", "expect $d.zone == \"DMA\" && $k.zone == \"Normal\" && $h.zone == \"HighMem\"",
		      "-e", "free_pages $d; free_pages $k; free_pages $h"), 0);
	expect_eq(strlen(err), 0);
}

TEST(alloc_and_free_return_every_page)
{
	expect_eq(RUN("run", "-e", "boot mem=256M arch=i386",
		      "-e", "let $before = zone.Normal.free",
		      "-e", "alloc_pages order=9 count=3 -> $p",
		      "-e", "expect $p.count == 3 && $p.pages == 1536",
		      "-e", "expect zone.Normal.free == $before - 1536",
		      "-e", "free_pages $p",
		      "-e", "expect zone.Normal.free == $before",
		      "-e", "check"), 0);
	expect_eq(strcmp(out, "check: all invariants hold\n"), 0);
	expect_eq(strlen(err), 0);
}

TEST(sysctl_and_proc_writes)
{
	expect_eq(RUN("run", "-e", "boot mem=512M arch=i386",
		      "-e", "echo 4096 > /proc/sys/vm/min_free_kbytes",
		      "-e", "sysctl vm.min_free_kbytes",
		      "-e", "sysctl -w vm.watermark_scale_factor=20",
		      "-e", "sysctl -n vm.watermark_scale_factor",
		      "-e", "expect vm.min_free_kbytes == 4096"), 0);
	expect_eq(strcmp(out, "vm.min_free_kbytes = 4096\nvm.watermark_scale_factor = 20\n20\n"), 0);
	expect_eq(RUN("run", "-e", "sysctl vm.nope"), 2);
	expect_eq(strcmp(err, "-e:1:8: sysctl: cannot stat /proc/sys/vm/nope: No such file or directory\n"), 0);
}

TEST(output_is_deterministic)
{
	const char *const argv[] = { "kmm", "run", "-e", "boot mem=128M arch=i386",
		"-e", "repeat 5 { alloc_pages order=3 -> $p }", "-e", "dmesg",
		"-e", "cat /proc/zoneinfo", "-e", "cat /proc/vmstat", "-e", "free -h", NULL };
	expect_eq(run(argv), 0);
	char *first = strdup(out);
	expect_eq(run(argv), 0);
	expect_eq(strcmp(first, out), 0);
	free(first);
}

TEST(check_reports)
{
	const char *dir = getenv("KMM_SOURCE_DIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/examples/tour.kmm", dir ? dir : "..");
	expect_eq(RUN("check", "-e", "boot mem=64M arch=i386", "-e", "alloc_pages order=2 -> $p"), 0);
	expect_str_contains(out, "kmm check: mem=64M arch=i386: all invariants hold\n");
	expect_str_contains(out, "kmm check: the script still holds 1 block (4 pages)\n");
	expect_eq(RUN("check"), 2);
	expect_eq(RUN("check", "-e", "expect 1 == 0"), 1);
	expect_str_contains(out, "kmm check: 1 expect failed");
}

TEST(grep_head_tail_wc)
{
	expect_eq(RUN("run", "-e", "boot mem=64M arch=i386", "-e", "cat /proc/buddyinfo | grep -c zone",
		      "-e", "cat /proc/buddyinfo | grep -v DMA | wc -l",
		      "-e", "cat /proc/vmstat | head -n 1", "-e", "cat /proc/vmstat | tail -n 1",
		      "-e", "cat /proc/buddyinfo | grep -i NORMAL | wc -w"), 0);
	expect_eq(strncmp(out, "2\n1\nnr_free_pages", 16), 0);
	expect_str_contains(out, "nr_unstable 0\n");
	expect_str_contains(out, "\n15\n");
}

TEST(echo_mode_and_sources)
{
	const char *dir = getenv("KMM_SOURCE_DIR");
	char path[4096];

	expect_eq(RUN("run", "-x", "-e", "print 1; print 2", "-e", "repeat 2 { print 3 }"), 0);
	expect_eq(strcmp(out, "$ print 1\n1\n$ print 2\n2\n$ repeat 2 { print 3 }\n3\n3\n"), 0);
	/* a file and -e lines: each keeps its own name and line numbers */
	snprintf(path, sizeof(path), "%s/examples/tour.kmm", dir ? dir : "..");
	expect_eq(RUN("run", "-n", path, "-e", "free -m", "-e", "free -q"), 2);
	expect_eq(strcmp(err, "-e:2:6: free: invalid option -- 'q' (kmm's free has -b -k -m -g -h -l -t -v -w)\n"), 0);
	expect_eq(RUN("run", "-e", "help syntax"), 0);
	expect_str_contains(out, "file:line:col: message");
}

TEST(pages_of_a_replaced_machine)
{
	expect_eq(RUN("run", "-e", "boot mem=128M arch=i386", "-e", "alloc_pages order=1 -> $p",
		      "-e", "let $pfn = $p.pfn", "-e", "boot mem=128M arch=i386", "-e", "print $p"), 0);
	expect_str_contains(out, " order 1 Normal (freed)\n");
	expect_eq(RUN("run", "-e", "alloc_pages -> $p", "-e", "reboot", "-e", "free_pages $p"), 2);
	expect_eq(strcmp(err, "-e:3:12: $p: it was allocated on a machine that a later boot replaced\n"), 0);
	expect_eq(RUN("run", "-e", "alloc_pages -> $p", "-e", "reboot", "-e", "print $p.zone"), 2);
}

/* Not a test: frees the captured outputs when the program ends. */
__attribute__((destructor)) static void free_captured_output(void)
{
	free(out);
	free(err);
	out = err = NULL;
}

/*
 * help mmap and kmm(1): "Uncaptured, the failure stops the script (exit
 * status 2). The same holds for fork, munmap, mprotect, mremap, madvise,
 * mlock, munlock and brk." (and close). $_ keeps an uncaptured success, never
 * a failure: review16 R1 (every such failure went on with status 0).
 */
TEST(an_uncaptured_failed_system_call_stops_the_script_with_status_2)
{
	static const char *const calls[][2] = {
		{ "mmap a 0", "a: mmap failed (Invalid argument): mmap: length is 0" },
		{ "munmap a 0x1001 4K", "a: munmap failed (Invalid argument)" },
		{ "mprotect a 0x1001 4K r", "a: mprotect failed (Invalid argument)" },
		{ "mremap a 0x10000 4K 8K", "a: mremap failed (Bad address)" },
		{ "madvise a 0x1001 4K dontneed", "a: madvise failed (Invalid argument)" },
		{ "mlock a 0x10000 4K", "a: mlock failed (Cannot allocate memory)" },
		{ "munlock a 0x1001 4K", "a: munlock failed (Cannot allocate memory)" },
		{ "close a 99", "a: close failed (Bad file descriptor)" },
		{ "close a -1", "a: close failed (Bad file descriptor)" },
		{ "brk a +1T", "a: brk failed (Cannot allocate memory)" },
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		char captured[128], want[160];
		snprintf(want, sizeof(want), "-e:4:1: %s", calls[i][1]);
		expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "sysctl vm.overcommit_memory=2",
			      "-e", "spawn a", "-e", calls[i][0], "-e", "print \"after\""), 2);
		expect_str_contains(err, want);
		if (strstr(out, "after"))
			fprintf(stderr, "%s: the script went on\n", calls[i][0]);
		expect_true(!strstr(out, "after"));
		/* captured, it is a value and the script goes on */
		snprintf(captured, sizeof(captured), "%s -> $r", calls[i][0]);
		expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "sysctl vm.overcommit_memory=2",
			      "-e", "spawn a", "-e", captured, "-e", "expect $r.errno != \"\"",
			      "-e", "print \"after\""), 0);
		expect_str_contains(out, "after\n");
		expect_eq(strlen(err), 0);
	}
	/* an uncaptured success still lands in $_ */
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "spawn a", "-e", "mmap a 8K",
		      "-e", "munmap a $_ 8K", "-e", "print \"after\""), 0);
	expect_str_contains(out, "after\n");
}

/*
 * $r.errno names every error a call can give, not "E27" (review17 R3: EFBIG
 * from ftruncate, EMFILE from open, ...).
 */
TEST(errno_names_the_error)
{
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "spawn a",
		      "-e", "open a /f rw creat -> $fd",
		      "-e", "ftruncate a $fd 9223372036854775807 -> $r",
		      "-e", "print $r.errno"), 0);
	expect_str_contains(out, "\nEFBIG\n");
	expect_eq(strlen(err), 0);
}

/*
 * An address is 64 bits without a sign: the x86_64 kernel addresses vmalloc
 * prints can be typed back (review16 R2: "'0xffffc90000000000' is not an
 * address"), and a user address past 2^63 is munmap's EINVAL, as in Linux.
 */
TEST(typed_kernel_addresses_are_addresses)
{
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "vmalloc 8K -> $v",
		      "-e", "vwrite 0xffffc90000000000 \"hi\"", "-e", "vread 0xffffc90000000000 2",
		      "-e", "vmalloc_to_pfn 0xffffc90000000000", "-e", "vfree 0xffffc90000000000",
		      "-e", "spawn a", "-e", "munmap a 0x8000000000000000 4K -> $r",
		      "-e", "expect $r.errno == \"EINVAL\"",
		      "-e", "mmap a 4K fixed=0xfffffffffffff000 -> $m",
		      "-e", "expect $m.errno != \"\"",
		      "-e", "msync a 0xffff800000000000 4K -> $s", "-e", "expect $s.errno != \"\"",
		      "-e", "mmap a 8K -> $n",
		      "-e", "mremap a $n 4K 8K maymove fixed=0xffff800000000000 -> $q",
		      "-e", "expect $q.errno == \"EINVAL\""), 0);
	expect_str_contains(out, "vmalloc 8K: 0xffffc90000000000-0xffffc90000002000");
	expect_str_contains(out, "0xffffc90000000000: \"hi\"\n");
	expect_str_contains(out, "0xffffc90000000000 -> pfn 0x");
	expect_eq(strlen(err), 0);
	/* one past 2^64 - 1, a sign, or junk: still not an address */
	expect_eq(RUN("run", "-e", "vread 0x10000000000000000 2"), 2);
	expect_str_contains(err, "'0x10000000000000000' is not an address");
	expect_eq(RUN("run", "-e", "spawn a", "-e", "munmap a -4096 4K"), 2);
	expect_str_contains(err, "-e:2:10: '-4096' is not an address");
	expect_eq(RUN("run", "-e", "spawn a", "-e", "mlock a 18446744073709551616 4K"), 2);
	expect_str_contains(err, "is not an address");
}

/*
 * In expressions too, a hex number of up to 64 bits is the address kmm
 * printed: `expect $v == 0xffffc90000000000` after vmalloc printed it (it
 * was "bad number"); a number past 64 bits says so.
 */
TEST(kernel_addresses_in_expressions)
{
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "vmalloc 8K -> $v",
		      "-e", "expect $v == 0xffffc90000000000",
		      "-e", "let $end = 0xffffc90000002000", "-e", "expect $end - $v == 8192",
		      "-e", "print 0xffffffffffffffff", "-e", "print 0x7fffffffffffffff"), 0);
	expect_str_contains(out, "\n-1\n9223372036854775807\n");
	expect_eq(strlen(err), 0);
	expect_eq(RUN("run", "-e", "let $x = 0x10000000000000000"), 2);
	expect_str_contains(err, "-e:1:10: number too large (at most 9223372036854775807, or "
			    "0xffffffffffffffff in hex)");
	expect_eq(RUN("run", "-e", "let $x = 9223372036854775808"), 2);
	expect_str_contains(err, "number too large");
	expect_eq(RUN("run", "-e", "let $x = 0x12g"), 2);
	expect_str_contains(err, "bad number (write decimal like 512 or hex like 0x200)");
}

/* The limit a boot option breaks is named (review16 R3: "must be a number"). */
TEST(maxcpus_past_its_limit_names_the_limit)
{
	expect_eq(RUN("boot", "mem=64M", "maxcpus=100000"), 2);
	expect_str_contains(err, "maxcpus=100000: must be a number from 0 to 65536");
	expect_eq(RUN("boot", "mem=64M", "maxcpus=65536"), 0);
}
