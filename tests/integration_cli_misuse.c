// SPDX-License-Identifier: MIT
/*
 * tests/integration_cli_misuse.c - the kmm command against scripts that
 * misuse the kernel API or the language: kmalloc(0), frees the kernel would
 * report as bugs, handles from before a reboot, hints that must fit the
 * arch, runaway loops, scripts and expressions too large for a quadratic
 * parser, and commands that would commit more host memory than allowed.
 * Runs the real binary ($KMM_BINARY_DIR/kmm).
 */
#include "tests/cli_test.h"

/* Linux: kmalloc(0) returns ZERO_SIZE_PTR (16), and kfree(ZERO_SIZE_PTR) does nothing. */
TEST(kmalloc_zero_is_zero_size_ptr)
{
	expect_eq(RUN("run", "-e", "kmalloc 0 -> $z", "-e", "print $z", "-e", "kfree $z",
		      "-e", "expect slab.kmalloc-8.active_objs >= 0", "-e", "check"), 0);
	expect_str_contains(out, "kmalloc 0: ZERO_SIZE_PTR (0x10)\n16\nkfree: 1 object\n");
	expect_true(strstr(out, "failed") == NULL);
	expect_eq(strlen(err), 0);
	/* NULL too is a no-op for kfree, but neither is an object of a cache. */
	expect_eq(RUN("run", "-e", "kfree 0"), 0);
	expect_eq(RUN("run", "-e", "kmem_cache_create c 32", "-e", "kmem_cache_free c 16"), 2);
	expect_str_contains(err, "-e:2:");
	expect_str_contains(err, "ZERO_SIZE_PTR is not an object");
}

/* The manual: a run-time error such as freeing twice stops the scenario with status 2. */
TEST(double_kfree_stops_with_status_2_and_frees_nothing)
{
	expect_eq(RUN("run", "-e", "kmalloc 64 -> $p", "-e", "kfree $p", "-e", "kfree $p",
		      "-e", "print \"not reached\""), 2);
	expect_str_contains(err, "-e:3:7: kfree: 0x");
	expect_str_contains(err, "a double free; nothing freed");
	expect_true(strstr(out, "not reached") == NULL);
	/* the same object twice in one list */
	expect_eq(RUN("run", "-e", "kmalloc 64 -> $p", "-e", "kfree $p $p"), 2);
	expect_str_contains(err, "is listed twice - a double free; nothing freed");
	/* nothing was freed: the object is still live and can be freed once */
	expect_eq(RUN("run", "-e", "kmalloc 64 -> $p", "-e", "kmalloc 64 -> $q",
		      "-e", "kfree $p $q $p"), 2);
	expect_eq(RUN("run", "-e", "kmem_cache_create c 32", "-e", "kmem_cache_alloc c -> $o",
		      "-e", "kmem_cache_free c $o", "-e", "kmem_cache_free c $o"), 2);
	expect_str_contains(err, "-e:4:");
	expect_str_contains(err, "kmem_cache_free: 0x");
	/* an interior pointer, and an object of another cache */
	expect_eq(RUN("run", "-e", "kmalloc 64 -> $p", "-e", "let $q = $p + 8", "-e", "kfree $q"),
		  2);
	expect_str_contains(err, "not the start of an object of kmalloc-64");
	expect_eq(RUN("run", "-e", "kmem_cache_create c 32", "-e", "kmalloc 32 -> $p",
		      "-e", "kmem_cache_free c $p"), 2);
	expect_str_contains(err, "an object of kmalloc-32, not of c");
}

/* A handle from before a reboot names nothing on the new machine. */
TEST(kfree_after_reboot_is_refused)
{
	expect_eq(RUN("run", "-e", "kmalloc 16 -> $a", "-e", "reboot", "-e", "kfree $a",
		      "-e", "print \"not reached\""), 2);
	expect_str_contains(err, "-e:3:7: kfree: 0x");
	expect_str_contains(err, "not a live kmalloc'ed object");
	expect_true(strstr(out, "kfree: 1 object") == NULL);
}

/* A runaway loop stops at the default step limit, which the user can raise or lift. */
TEST(step_limit_default_and_raised)
{
	unsetenv("KMM_STEP_LIMIT");
	expect_eq(RUN("run", "-e", "repeat 100000 { repeat 100000 { } }"), 2);
	expect_str_contains(err, "-e:1:17: stopped after 100000000 steps, the step limit");
	expect_str_contains(err, "KMM_STEP_LIMIT");
	setenv("KMM_STEP_LIMIT", "1000", 1);
	expect_eq(RUN("run", "-e", "repeat 2000 { }"), 2);
	expect_str_contains(err, "stopped after 1000 steps");
	expect_eq(RUN("run", "-e", "repeat 900 { }"), 0);
	setenv("KMM_STEP_LIMIT", "0", 1);	/* none */
	expect_eq(RUN("run", "-e", "repeat 1000 { repeat 100001 { } }"), 0);
	setenv("KMM_STEP_LIMIT", "lots", 1);
	expect_eq(RUN("run", "-e", "print 1"), 0);
	expect_str_contains(err, "kmm: KMM_STEP_LIMIT=lots is not a number of steps; using 100000000");
	unsetenv("KMM_STEP_LIMIT");
}

/*
 * alloc_pages count=max on a huge machine would commit 64 bytes of host
 * memory per page (4T: 64 GB): it stops with a clear error before the
 * resident set passes KMM_HOST_MEM.
 */
TEST(host_memory_guard_stops_before_the_limit)
{
	setenv("KMM_HOST_MEM", "96M", 1);
	expect_eq(RUN("run", "-e", "boot mem=4T", "-e",
		      "alloc_pages count=max gfp=GFP_KERNEL|__GFP_NOWARN -> $all",
		      "-e", "print \"not reached\""), 2);
	expect_str_contains(err, "-e:2:1: alloc_pages: stopped: kmm's host memory (");
	expect_str_contains(err, "would pass its limit of 96 MiB (KMM_HOST_MEM");
	expect_true(strstr(out, "not reached") == NULL);
	expect_eq(RUN("run", "-e", "boot mem=4T", "-e", "kmalloc 8192 count=1000000 -> $o"), 2);
	expect_str_contains(err, "kmalloc: stopped: kmm's host memory");
	/* within the limit nothing changes */
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e",
		      "alloc_pages count=max gfp=GFP_KERNEL|__GFP_NOWARN -> $all",
		      "-e", "expect $all.count > 1000"), 0);
	setenv("KMM_HOST_MEM", "big", 1);
	expect_eq(RUN("run", "-e", "print 1"), 0);
	expect_str_contains(err, "kmm: KMM_HOST_MEM=big is not a size such as 8G; using 4294967296");
	unsetenv("KMM_HOST_MEM");
}

/*
 * A swap area or a kmmfs image needs a directory on the host, made under
 * $TMPDIR: when it cannot be made, the error names the directory and why
 * (it said "(-2)", or nothing), and the scenario stops there.
 */
TEST(host_directory_errors_name_tmpdir_and_the_reason)
{
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;

	setenv("TMPDIR", "/nonexistent-kmm-dir", 1);
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "mkswap /swapfile 4M",
		      "-e", "print \"not reached\""), 2);
	expect_str_contains(err, "-e:2:8: swap: cannot make a swap directory in "
			    "/nonexistent-kmm-dir on the host (TMPDIR): No such file or directory");
	expect_true(strstr(out, "not reached") == NULL);
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "mkfile /f 4K"), 2);
	expect_str_contains(err, "kmmfs: cannot create a directory for the image in "
			    "/nonexistent-kmm-dir on the host (TMPDIR): No such file or directory");
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
}

/* The hint after vmalloc space runs out names a boot option the arch takes. */
TEST(vmalloc_failure_hint_fits_the_arch)
{
	expect_eq(RUN("run", "-e", "boot mem=64M vmalloc_window=16M", "-e", "vmalloc 8M -> $v",
		      "-e", "vmalloc 8M -> $w", "-e", "expect $w == 0"), 0);
	expect_str_contains(out, "failed: boot with vmalloc_window=<size>");
	expect_true(strstr(out, "use vmalloc=<size>") == NULL);	/* x86_64 refuses vmalloc= */
	expect_eq(RUN("boot", "mem=64M", "vmalloc=64M"), 2);
	expect_eq(RUN("run", "-e", "boot mem=1G arch=i386", "-e", "vmalloc 100M -> $v",
		      "-e", "vmalloc 100M -> $w", "-e", "expect $w == 0"), 0);
	expect_str_contains(out, "failed: vmap allocation for size 104861696 failed: use "
			    "vmalloc=<size> to increase size");
}

/*
 * The guard projects what the command will allocate, not 1024 objects
 * regardless: one `kmalloc 4M` (KMALLOC_MAX_SIZE) or one 4M block of pages
 * zeroed is 4 MiB, not 4 GiB (review16 R5: stopped under the default 4 GiB).
 */
TEST(host_memory_guard_projects_only_what_the_command_allocates)
{
	setenv("KMM_HOST_MEM", "1G", 1);
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "kmalloc 4M -> $k", "-e", "kfree $k",
		      "-e", "kmalloc 4M count=2 -> $l", "-e", "kfree $l",
		      "-e", "kmem_cache_create big 4M", "-e", "kmem_cache_alloc big -> $o",
		      "-e", "kmem_cache_free big $o",
		      "-e", "alloc_pages order=10 gfp=GFP_KERNEL|__GFP_ZERO -> $p", "-e", "free_pages $p",
		      "-e", "print \"after\""), 0);
	expect_str_contains(out, "after\n");
	expect_eq(strlen(err), 0);
	/* a count that would pass the limit is still stopped, before it allocates */
	expect_eq(RUN("run", "-e", "boot mem=4T", "-e", "kmalloc 4M count=1000 -> $k"), 2);
	expect_str_contains(err, "-e:2:1: kmalloc: stopped: kmm's host memory (");
	unsetenv("KMM_HOST_MEM");
}

/*
 * A descriptor is an int (review19 R2: 4294967299 closed fd 3), and a mincore
 * length near 2^64 is refused, not wrapped to no pages (review19 R1).
 */
TEST(fd_and_mincore_arguments_out_of_range_are_named)
{
	static const char *const fds[] = { "close a 4294967299", "pread a 4294967299 4K 0",
					   "fsync a -4294967296" };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "spawn a", "-e", "open a /f rw creat",
			      "-e", fds[i]), 2);
		expect_str_contains(err, "is not a file descriptor (a number from -2147483648 to "
					 "2147483647)");
	}
	expect_eq(RUN("run", "-e", "boot mem=64M", "-e", "spawn a", "-e", "mmap a 16K rw -> $q",
		      "-e", "mincore a $q 18446744073709551615 -> $r", "-e", "print $r"), 2);
	expect_str_contains(err, "-e:4:");
	expect_str_contains(err, "at most 4G per mincore");
}

/*
 * prlimit, capset and mlock2 name the word they cannot take, at check time:
 * status 2 and nothing run (not even the spawn before them). A soft limit
 * above the hard one is the kernel's EINVAL, a value the script can test.
 */
TEST(prlimit_capset_and_mlock2_name_a_bad_word_and_run_nothing)
{
	static const char *const bad[][2] = {
		{ "prlimit A memlock=abc", "'memlock=abc' is not memlock=SOFT[:HARD]" },
		{ "prlimit A memlock=:", "'memlock=:' is not memlock=SOFT[:HARD]" },
		/* review19 R5: which form sets which limit */
		{ "prlimit A memlock=x:", "(memlock=VALUE sets both limits, memlock=SOFT: the soft one "
					  "only, memlock=:HARD the hard one only)" },
		{ "prlimit A nofiles=1024", "'nofiles=1024' is not a resource (as, core, cpu," },
		{ "prlimit A nofile=1M", "'nofile=1M' is not nofile=SOFT[:HARD], each a number or unlimited" },
		{ "prlimit A stack all", "'all' is not a resource" },
		{ "capset A +sys_admin", "'+sys_admin' is not +ipc_lock" },
		{ "capset A ipc_lock", "'ipc_lock' is not +ipc_lock" },
		{ "capset A ipc_lock=epx", "'ipc_lock=epx' is not +ipc_lock" },
		{ "capset A ipc_lock=ee", "ipc_lock=SETS, sys_resource=SETS with SETS some of e, i, p" },
		{ "capset A +ipc_lock=e", "'+ipc_lock=e' is not +ipc_lock" },
		{ "mlock2 A 0x1000 4K lazy", "'lazy' is not onfault" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_eq(RUN("run", "-e", "spawn A", "-e", bad[i][0]), 2);
		expect_str_contains(err, "-e:2:");
		expect_str_contains(err, bad[i][1]);
		expect_true(strstr(out, "pid") == NULL);
	}
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A memlock=16M:8M -> $r", "-e",
		      "expect $r.errno == \"EINVAL\"", "-e", "prlimit A memlock=unlimited -> $r", "-e",
		      "expect $r.errno == \"EPERM\"", "-e", "prlimit A memlock=4K"), 0);
	expect_str_contains(out, "MEMLOCK  max locked-in-memory address space      4096      4096 bytes\n");
	/* with the colon, the soft limit only */
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A memlock=4K:"), 0);
	expect_str_contains(out, "MEMLOCK  max locked-in-memory address space      4096   8388608 bytes\n");
	/* any of the sixteen, in the words' order; the columns fit the rows shown */
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A stack=1M: nice"), 0);
	expect_str_contains(out, "RESOURCE DESCRIPTION                         SOFT      HARD UNITS\n"
				 "STACK    max stack size                   1048576 unlimited bytes\n"
				 "NICE     max nice prio allowed to raise         0         0 \n");
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A all"), 0);
	expect_str_contains(out, "RESOURCE   DESCRIPTION                             SOFT      HARD UNITS\n"
				 "AS         address space limit                unlimited unlimited bytes\n");
	expect_str_contains(out, "STACK      max stack size                       8388608 unlimited bytes\n");
	/* capset's CAP=SETS is capset(2): a user adds nothing; exec drops what is not ambient */
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "capset A ipc_lock=ep -> $r", "-e",
		      "expect $r.errno == \"EPERM\"", "-e", "capset A +ipc_lock", "-e", "capset A ipc_lock=ep",
		      "-e", "exec A /bin/b", "-e", "cat /proc/1/status | grep CapPrm"), 0);
	expect_str_contains(out, "A: capabilities: +cap_ipc_lock -cap_sys_resource\n");
	expect_str_contains(out, "CapPrm:\t0000000000000000\n");
	/* review20 R7: under -q a query still prints its answer; a setting does not */
	expect_eq(RUN("run", "-q", "-e", "spawn A", "-e", "prlimit A nofile", "-e", "prlimit A nofile=100",
		      "-e", "capset A", "-e", "capset A -ipc_lock"), 0);
	expect_str_contains(out, "NOFILE   max number of open files      1024      4096 files\n");
	expect_true(strstr(out, "     100 ") == NULL);
	expect_str_contains(out, "A: capabilities: +cap_ipc_lock +cap_sys_resource\n");
	expect_true(strstr(out, "-cap_ipc_lock") == NULL);
}

/*
 * The limits kmm holds outside the memory code, through the CLI: captured,
 * a refused call gives Linux's errno and a message naming the limit, and
 * the scenario goes on; a write past RLIMIT_FSIZE also says that SIGXFSZ
 * ended the process. Uncaptured, the failure stops the scenario (status 2).
 */
TEST(fork_open_and_pwrite_past_their_limits_name_them)
{
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A nproc=1", "-e", "fork A B -> $r",
		      "-e", "expect $r.errno == \"EAGAIN\""), 0);
	expect_str_contains(out, "A: fork failed: EAGAIN (fork: the processes of user 1000 (1, zombies "
				 "included) reach RLIMIT_NPROC 1 of process 1 (root, CAP_SYS_RESOURCE and "
				 "CAP_SYS_ADMIN are exempt))\n");
	expect_eq(RUN("run", "-e", "spawn A uid=1000", "-e", "prlimit A nproc=1", "-e", "fork A B"), 2);
	expect_str_contains(err, "-e:3:");
	expect_str_contains(err, "A: fork failed (Resource temporarily unavailable)");

	expect_eq(RUN("run", "-e", "spawn A", "-e", "prlimit A nofile=4", "-e", "open A /f rw creat",
		      "-e", "open A /g rw creat -> $r", "-e", "expect $r.errno == \"EMFILE\""), 0);
	expect_str_contains(out, "A: open failed: EMFILE (open: process 1 has descriptors 0 to 3 open and "
				 "RLIMIT_NOFILE is 4)\n");

	expect_eq(RUN("run", "-e", "spawn W", "-e", "open W /f rw creat -> $fd", "-e", "prlimit W fsize=100",
		      "-e", "pwrite W $fd 200 0", "-e", "pwrite W $fd 1 100 -> $r",
		      "-e", "expect $r.errno == \"EFBIG\"", "-e", "ps"), 0);
	expect_str_contains(out, "W: pwrite fd 3: 100 bytes at 0\n");
	expect_str_contains(out, "W: pwrite failed: EFBIG (write: offset 100 is at or past RLIMIT_FSIZE 100: "
				 "SIGXFSZ kills the process)\nW[1]: killed by SIGXFSZ; its memory is freed\n");
	expect_str_contains(out, "SIGXFSZ");
}
