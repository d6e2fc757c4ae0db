// SPDX-License-Identifier: MIT
/*
 * tests/harness.h - kmm's own small C11 test harness.
 *
 *   TEST(name) { ... }              registers a test (runs in file order)
 *   expect_eq(a, b) / expect_true(c) record a failure and go on
 *   assert_eq(a, b) / assert_true(c) record a failure and end the test
 *   kmm_test_seed()                  the run's seed (KMM_SEED or time), printed on failure
 *                                    and on standard error at its first use
 *   kmm_test_rand(&s) / t_rnd(&s, n) the seeded generator; a number below n
 *   t_boot(cmdline) / t_done(m)      boot a machine; at the end check invariants
 *                                    and that every page is back (the leak check)
 *
 * The program prints one line per test and a closing "N passed, N failed".
 * Set KMM_TEST=name to run one test; KMM_QUICK=1 asks stress tests for fewer steps.
 */
#ifndef KMM_TESTS_HARNESS_H
#define KMM_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kmm/kmm.h>

typedef void (*kmm_test_fn)(void);
void kmm_test_register(const char *name, kmm_test_fn fn, const char *file, int line);

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	__attribute__((constructor)) static void register_##name(void)          \
	{                                                                       \
		kmm_test_register(#name, test_##name, __FILE__, __LINE__);      \
	}                                                                       \
	static void test_##name(void)

/* Record a failure at file:line with a message; returns false. */
bool kmm_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Abort the current test (longjmp back to the runner). */
_Noreturn void kmm_test_abort(void);

#define expect_true(c)                                                          \
	((c) ? true : kmm_test_fail(__FILE__, __LINE__, "expected %s", #c))
#define expect_eq(a, b)                                                         \
	__extension__({                                                         \
		long long _a = (long long)(a), _b = (long long)(b);             \
		_a == _b ? true : kmm_test_fail(__FILE__, __LINE__,             \
			"expected %s == %s, got %lld and %lld", #a, #b, _a, _b);  \
	})
#define expect_ne(a, b)                                                         \
	__extension__({                                                         \
		long long _a = (long long)(a), _b = (long long)(b);             \
		_a != _b ? true : kmm_test_fail(__FILE__, __LINE__,             \
			"expected %s != %s, both %lld", #a, #b, _a);              \
	})
#define expect_str_contains(hay, needle)                                        \
	__extension__({                                                         \
		const char *_h = (hay), *_n = (needle);                         \
		(_h && strstr(_h, _n)) ? true : kmm_test_fail(__FILE__, __LINE__, \
			"expected %s to contain \"%s\"", #hay, _n);               \
	})
#define assert_true(c) do { if (!expect_true(c)) kmm_test_abort(); } while (0)
#define assert_eq(a, b) do { if (!expect_eq(a, b)) kmm_test_abort(); } while (0)
#define assert_ne(a, b) do { if (!expect_ne(a, b)) kmm_test_abort(); } while (0)

uint64_t kmm_test_seed(void);
bool kmm_test_quick(void);
/* A small deterministic PRNG (xorshift64*) for stress tests. */
uint64_t kmm_test_rand(uint64_t *state);
/* A number below @n from kmm_test_rand(@state); 0 when @n is 0 (then @state is not advanced). */
static inline uint64_t t_rnd(uint64_t *state, uint64_t n)
{
	return n ? kmm_test_rand(state) % n : 0;
}
/* How many machines are booted (a failed boot must leave none behind). */
int kmm_test_machines_alive(void);

/* Boot, failing the test if the boot fails; records the free-page baseline. */
struct kmm_machine *t_boot(const char *cmdline);

/*
 * A bad command line: kmm_boot(@cmdline) must return NULL with an error that
 * contains @message. Otherwise the test fails, naming the line (a machine
 * that booted is shut down).
 */
static inline void t_boot_refused(const char *cmdline, const char *message)
{
	struct kmm_machine *m = kmm_boot(cmdline);

	if (m) {
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\") booted", cmdline);
		kmm_shutdown(m);
		return;
	}
	if (!strstr(kmm_last_error(), message))
		kmm_test_fail(__FILE__, __LINE__, "kmm_boot(\"%s\"): error \"%s\" lacks \"%s\"",
			      cmdline, kmm_last_error(), message);
}
/*
 * End of test: kmm_check passes and, after kmm_drain(), free pages are back to
 * the baseline taken (also drained) at boot; then the machine is shut down.
 */
void t_done(struct kmm_machine *m);
/*
 * The leak-check baselines a test header keeps (tests/process_test.h,
 * slab_test.h, vmalloc_test.h): the free pages it counted, its own way,
 * right after a machine booted. t_base_record() replaces any entry left for
 * @m by a test that aborted (a new machine may reuse the address);
 * t_base_take() finds and forgets @m's entry: false when there is none.
 */
struct t_bases {
	struct { struct kmm_machine *m; unsigned long free; } e[8];
};
static inline void t_base_record(struct t_bases *b, struct kmm_machine *m, unsigned long free)
{
	size_t n = sizeof(b->e) / sizeof(b->e[0]);

	for (size_t i = 0; i < n; i++)
		if (b->e[i].m == m)
			b->e[i].m = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!b->e[i].m) {
			b->e[i].m = m;
			b->e[i].free = free;
			return;
		}
	}
}
static inline bool t_base_take(struct t_bases *b, struct kmm_machine *m, unsigned long *free)
{
	for (size_t i = 0; i < sizeof(b->e) / sizeof(b->e[0]); i++) {
		if (b->e[i].m == m) {
			b->e[i].m = NULL;
			*free = b->e[i].free;
			return true;
		}
	}
	return false;
}
/*
 * Free pages after kmm_drain() (slab caches, per-CPU lists, every layer's
 * drain hook): all memory that nobody holds. What t_boot and t_done count.
 */
static inline unsigned long t_nr_free_drained(struct kmm_machine *m)
{
	kmm_drain(m);
	return kmm_nr_free_pages(m);
}
/* Read a /proc file into a malloc()ed string (NULL + test failure on error). */
char *t_proc(struct kmm_machine *m, const char *path);
/*
 * A snapshot of @m's kernel log (kmm_dmesg_dup), owned by the harness: valid
 * for the next 15 calls, so a test may keep a few side by side.
 */
const char *t_dmesg(struct kmm_machine *m);

#endif /* KMM_TESTS_HARNESS_H */
