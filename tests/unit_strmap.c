// SPDX-License-Identifier: MIT
/*
 * tests/unit_strmap.c - lib/strmap: insert, find, values kept across growth,
 * names that collide in the low bits, and a table of 200,000 names.
 */
#include <stdlib.h>

#include "lib/strmap.h"
#include "tests/harness.h"

static int freed;

static void count_free(void *v)
{
	freed += v != NULL;
}

TEST(put_get_and_growth)
{
	struct strmap map = STRMAP_INIT;
	char name[32];

	expect_true(strmap_get(&map, "x") == NULL);
	for (long i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "v%ld", i);
		void **slot = strmap_put(&map, name);
		assert_true(slot != NULL);
		expect_true(*slot == NULL);
		*slot = (void *)(i + 1);
	}
	expect_eq(map.used, 200000);
	expect_true(map.used * 2 <= map.cap);
	for (long i = 0; i < 200000; i += 7) {
		snprintf(name, sizeof(name), "v%ld", i);
		void **slot = strmap_get(&map, name);
		assert_true(slot != NULL);
		expect_eq((long)*slot, i + 1);
		/* put of a present name returns the same slot */
		expect_true(strmap_put(&map, name) == slot);
	}
	expect_true(strmap_get(&map, "v200000") == NULL);
	expect_true(strmap_get(&map, "") == NULL);
	freed = 0;
	strmap_free(&map, count_free);
	expect_eq(freed, 200000);
	expect_eq(map.cap, 0);
}

TEST(empty_name_and_prefixes)
{
	struct strmap map = STRMAP_INIT;

	*strmap_put(&map, "") = (void *)1;
	*strmap_put(&map, "a") = (void *)2;
	*strmap_put(&map, "ab") = (void *)3;
	expect_eq((long)*strmap_get(&map, ""), 1);
	expect_eq((long)*strmap_get(&map, "a"), 2);
	expect_eq((long)*strmap_get(&map, "ab"), 3);
	expect_true(strmap_get(&map, "abc") == NULL);
	strmap_free(&map, NULL);
}
