// SPDX-License-Identifier: MIT
/*
 * tests/unit_lib.c - lib/: size parsing, integer square root, edit distance,
 * the string buffer and the circular list with its dummy head.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/list.h"
#include "lib/util.h"
#include "tests/harness.h"

TEST(parse_size_suffixes_and_errors)
{
	uint64_t v = 7;
	const char *end;

	expect_eq(kmm_parse_size("512M", &v, NULL), 0);
	expect_eq(v, 512ull << 20);
	expect_eq(kmm_parse_size("1G", &v, NULL), 0);
	expect_eq(v, 1ull << 30);
	expect_eq(kmm_parse_size("64k", &v, NULL), 0);
	expect_eq(v, 65536);
	expect_eq(kmm_parse_size("0x1000", &v, NULL), 0);
	expect_eq(v, 4096);
	expect_eq(kmm_parse_size("4G$16M", &v, &end), 0);
	expect_eq(v, 4ull << 30);
	expect_true(*end == '$');
	v = 7;
	expect_eq(kmm_parse_size("12Q", &v, NULL), -EINVAL);
	expect_eq(kmm_parse_size("", &v, NULL), -EINVAL);
	expect_eq(kmm_parse_size("M", &v, NULL), -EINVAL);
	expect_eq(kmm_parse_size("99999999999999999999", &v, NULL), -EINVAL);
	expect_eq(kmm_parse_size("17179869184G", &v, NULL), -EINVAL);	/* 2^64 overflows */
	expect_eq(v, 7);	/* untouched on error */
}

TEST(int_sqrt_is_the_floor_of_the_root)
{
	uint64_t s = kmm_test_seed();

	expect_eq(int_sqrt(0), 0);
	expect_eq(int_sqrt(15), 3);
	expect_eq(int_sqrt(16), 4);
	expect_eq(int_sqrt(1048576UL * 16), 4096);	/* min_free_kbytes for 1 GiB lowmem */
	for (int i = 0; i < 100000; i++) {
		unsigned long x = (unsigned long)(kmm_test_rand(&s) >> (kmm_test_rand(&s) % 64));
		unsigned long r = int_sqrt(x);
		assert_true(r * r <= x);
		assert_true(r >= 0xffffffffUL || (r + 1) * (r + 1) > x);
	}
}

TEST(edit_distance_counts_single_edits)
{
	expect_eq(kmm_edit_distance("alloc_pages", "alloc_pages"), 0);
	expect_eq(kmm_edit_distance("allco_pages", "alloc_pages"), 2);	/* a swap is two edits */
	expect_eq(kmm_edit_distance("kmaloc", "kmalloc"), 1);
	expect_eq(kmm_edit_distance("Nromal", "Normal"), 2);
	expect_eq(kmm_edit_distance("", "abc"), 3);
	expect_eq(kmm_edit_distance("kitten", "sitting"), 3);
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[79] = '\0';
	expect_eq(kmm_edit_distance(longname, "a"), 99);
}

TEST(strbuf_grows_and_detaches)
{
	struct strbuf sb;

	sb_init(&sb);
	for (int i = 0; i < 1000; i++)
		sb_printf(&sb, "%04d\n", i);
	expect_eq(sb.len, 5000);
	char *text = sb_detach(&sb);
	assert_true(text != NULL);
	expect_eq(strncmp(text + 4995, "0999\n", 5), 0);
	expect_eq(strlen(text), 5000);
	free(text);
	sb_init(&sb);
	text = sb_detach(&sb);	/* empty buffer: "" not NULL */
	assert_true(text != NULL);
	expect_eq(text[0], '\0');
	free(text);
}

struct item {
	int v;
	struct list_head link;
};

TEST(circular_list_with_dummy_head)
{
	LIST_HEAD(head);
	struct item it[5];
	struct list_head *pos, *n;
	int sum = 0;

	expect_true(list_empty(&head));
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		list_add_tail(&it[i].link, &head);
	}
	expect_eq(list_count(&head), 5);
	expect_eq(list_first_entry(&head, struct item, link)->v, 0);
	expect_eq(list_last_entry(&head, struct item, link)->v, 4);
	list_del(&it[2].link);
	expect_true(it[2].link.next == LIST_POISON1);	/* deleted links are poisoned */
	list_for_each_safe(pos, n, &head)
		sum += list_entry(pos, struct item, link)->v;
	expect_eq(sum, 0 + 1 + 3 + 4);
	list_move(&it[4].link, &head);
	expect_eq(list_first_entry(&head, struct item, link)->v, 4);
	LIST_HEAD(other);
	list_splice_tail_init(&head, &other);
	expect_true(list_empty(&head));
	expect_eq(list_count(&other), 4);
}
