// SPDX-License-Identifier: MIT
/*
 * tests/unit_kstrtobool.c - lib/kstrtox.c's kstrtobool(), Linux's reading of
 * a boolean word, and the boot options that take on/off through it:
 * init_on_alloc=, deferred_struct_pages=, debug_checks=,
 * slab_freelist_hardened=, slab_freelist_random= and
 * memory_hotplug.memmap_on_memory=. Each accepts every spelling with the
 * same effect and refuses a bad value with an error naming the option.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmm/trace.h>

#include "lib/kstrtox.h"
#include "mm/include/boot_options.h"
#include "mm/internal.h"
#include "mm/slab.h"
#include "tests/harness.h"
#include "tests/proc_test.h"

static const char *const trues[] = { "1", "y", "Y", "yes", "t", "T", "true", "on", "On", "ON", "oN",
				     "1x", "Yeah" };
static const char *const falses[] = { "0", "n", "N", "no", "f", "F", "false", "off", "Off", "OFF",
				      "oF", "0x1", "nope" };
static const char *const refused[] = { "", "2", "-1", "o", "O", "ox", "enable", "disable", " y",
				       "+1", "x", "\n" };

TEST(kstrtobool_reads_the_first_letters_as_linux_does)
{
	bool b;

	for (size_t i = 0; i < sizeof(trues) / sizeof(trues[0]); i++) {
		b = false;
		if (!expect_eq(kstrtobool(trues[i], &b), 0) || !expect_true(b))
			kmm_test_fail(__FILE__, __LINE__, "kstrtobool(\"%s\") should be true", trues[i]);
	}
	for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++) {
		b = true;
		if (!expect_eq(kstrtobool(falses[i], &b), 0) || !expect_true(!b))
			kmm_test_fail(__FILE__, __LINE__, "kstrtobool(\"%s\") should be false", falses[i]);
	}
	for (int start = 0; start < 2; start++) {
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			b = start;
			if (!expect_eq(kstrtobool(refused[i], &b), -EINVAL) || !expect_eq(b, start))
				kmm_test_fail(__FILE__, __LINE__, "kstrtobool(\"%s\") should be refused, "
					      "the result untouched", refused[i]);
		}
	}
	b = true;
	expect_eq(kstrtobool(NULL, &b), -EINVAL);
	expect_true(b);
}

/* Boot @cmdline; fail the test (naming the line and the error) when it is refused. */
static struct kmm_machine *boot(const char *cmdline)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (!m)
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\"): %s", cmdline, kmm_last_error());
	return m;
}

/* A word of each kind, true and false, the way a user may write it. */
static const char *const on_words[] = { "1", "y", "yes", "true", "on" };
static const char *const off_words[] = { "0", "n", "no", "false", "off" };
#define NR_WORDS (sizeof(on_words) / sizeof(on_words[0]))

TEST(builtin_on_off_options_take_every_spelling)
{
	struct kmm_boot_opts o;
	char line[128];

	for (size_t i = 0; i < NR_WORDS; i++) {
		for (int on = 0; on < 2; on++) {
			const char *w = on ? on_words[i] : off_words[i];

			snprintf(line, sizeof(line), "mem=64M init_on_alloc=%s", w);
			if (expect_eq(kmm_parse_cmdline(line, &o), 0))
				expect_eq(o.init_on_alloc, on);
			snprintf(line, sizeof(line), "mem=64M deferred_struct_pages=%s", w);
			if (expect_eq(kmm_parse_cmdline(line, &o), 0))
				expect_eq(o.eager_memmap, !on);
		}
	}
	/* The machine does what was parsed. */
	struct kmm_machine *m = boot("mem=64M init_on_alloc=y");
	if (m) {
		expect_true(m->init_on_alloc);
		kmm_shutdown(m);
	}
	t_boot_refused("mem=64M init_on_alloc=2", "init_on_alloc=2: expected 0 or 1");
	t_boot_refused("mem=64M init_on_alloc=maybe", "init_on_alloc=maybe: expected 0 or 1");
	t_boot_refused("mem=64M deferred_struct_pages=auto",
		       "deferred_struct_pages=auto: expected deferred_struct_pages=on or off");
}

TEST(registered_on_off_options_take_every_spelling)
{
	char line[160];

	for (size_t i = 0; i < NR_WORDS; i++) {
		for (int on = 0; on < 2; on++) {
			const char *w = on ? on_words[i] : off_words[i];
			struct kmm_machine *m;

			snprintf(line, sizeof(line), "mem=64M debug_checks=%s slab_freelist_hardened=%s "
				 "slab_freelist_random=%s", w, w, w);
			m = boot(line);
			if (!m)
				continue;
			expect_eq(kmm_debug_checks_on(m), on);
			expect_eq(slab_state(m)->hardened, on);
			expect_eq(slab_state(m)->randomize, on);
			kmm_shutdown(m);
		}
	}
	/* "fatal", in any case, is debug_checks' third word, not kstrtobool's 'f'alse. */
	static const char *const fatals[] = { "fatal", "Fatal", "FATAL" };
	for (size_t i = 0; i < sizeof(fatals) / sizeof(fatals[0]); i++) {
		snprintf(line, sizeof(line), "mem=64M debug_checks=%s", fatals[i]);
		struct kmm_machine *m = boot(line);
		if (!m)
			continue;
		if (!expect_true(kmm_debug_checks_on(m)))
			kmm_test_fail(__FILE__, __LINE__, "%s left the checks off", line);
		kmm_shutdown(m);
	}
	t_boot_refused("mem=64M debug_checks=sometimes", "debug_checks=sometimes: wants off, on or fatal");
	t_boot_refused("mem=64M slab_freelist_hardened=maybe",
		       "slab_freelist_hardened=maybe: expected on or off");
	t_boot_refused("mem=64M slab_freelist_random=2", "slab_freelist_random=2: expected on or off");
}

/*
 * KMM_DEBUG_CHECKS takes debug_checks='s words; anything else refuses the boot
 * with the value named (it was silently "on": every checker after every
 * operation, several times slower, and no word said). The boot option wins.
 */
TEST(debug_checks_environment_value_is_checked_as_the_option_is)
{
	const char *old = getenv("KMM_DEBUG_CHECKS");
	char *saved = old ? strdup(old) : NULL;
	static const char *const bad[] = { "abc", "-1", "sometimes" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[80];

		setenv("KMM_DEBUG_CHECKS", bad[i], 1);
		snprintf(want, sizeof(want), "KMM_DEBUG_CHECKS=\"%s\" wants off, on or fatal", bad[i]);
		t_boot_refused("mem=64M", want);
		/* debug_checks= on the command line wins over the environment */
		struct kmm_machine *m = boot("mem=64M debug_checks=off");
		if (m) {
			expect_true(!kmm_debug_checks_on(m));
			kmm_shutdown(m);
		}
	}
	setenv("KMM_DEBUG_CHECKS", "off", 1);
	struct kmm_machine *m = boot("mem=64M");
	if (m) {
		expect_true(!kmm_debug_checks_on(m));
		kmm_shutdown(m);
	}
	setenv("KMM_DEBUG_CHECKS", "y", 1);
	m = boot("mem=64M");
	if (m) {
		expect_true(kmm_debug_checks_on(m));
		kmm_shutdown(m);
	}
	if (saved)
		setenv("KMM_DEBUG_CHECKS", saved, 1);
	else
		unsetenv("KMM_DEBUG_CHECKS");
	free(saved);
}

/*
 * memory_hotplug.memmap_on_memory=: a block added with it on holds its own
 * vmemmap (nr_memmap_pages stays 0); with it off the vmemmap comes from the
 * memory the machine had.
 */
TEST(memmap_on_memory_takes_every_spelling)
{
	char line[128];

	for (size_t i = 0; i < NR_WORDS; i++) {
		for (int on = 0; on < 2; on++) {
			snprintf(line, sizeof(line), "mem=256M maxmem=512M memory_hotplug.memmap_on_memory=%s",
				 on ? on_words[i] : off_words[i]);
			struct kmm_machine *m = boot(line);
			if (!m)
				continue;
			kmm_use(m);
			if (expect_eq(kmm_memory_hotplug_add(m, 128ULL << 20, KMM_MHP_ONLINE, NULL), 0)) {
				long memmap = vmstat_val(m, "nr_memmap_pages");
				if (!(on ? memmap == 0 : memmap > 0))
					kmm_test_fail(__FILE__, __LINE__, "%s: nr_memmap_pages %ld after "
						      "adding a block", line, memmap);
			}
			expect_eq(kmm_check(m), 0);
			kmm_use(NULL);
			kmm_shutdown(m);
		}
	}
	/* 6.12's two spellings of "force" mean on (kstrtobool would read the 'f' as off). */
	static const char *const forces[] = { "force", "FORCE" };
	for (size_t i = 0; i < sizeof(forces) / sizeof(forces[0]); i++) {
		snprintf(line, sizeof(line), "mem=256M maxmem=512M memory_hotplug.memmap_on_memory=%s",
			 forces[i]);
		struct kmm_machine *m = boot(line);
		if (!m)
			continue;
		kmm_use(m);
		if (expect_eq(kmm_memory_hotplug_add(m, 128ULL << 20, KMM_MHP_ONLINE, NULL), 0) &&
		    vmstat_val(m, "nr_memmap_pages") != 0)
			kmm_test_fail(__FILE__, __LINE__, "%s: the block's memmap came from the machine's "
				      "memory (nr_memmap_pages %ld)", line, vmstat_val(m, "nr_memmap_pages"));
		expect_eq(kmm_check(m), 0);
		kmm_use(NULL);
		kmm_shutdown(m);
	}
	t_boot_refused("mem=256M maxmem=512M memory_hotplug.memmap_on_memory=auto",
		       "memory_hotplug.memmap_on_memory=auto: expected memory_hotplug.memmap_on_memory=1 or 0");
}
