// SPDX-License-Identifier: MIT
/*
 * lib/util.c - size parsing, integer square root and the string buffer.
 */
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long int_sqrt(unsigned long x)
{
	/* Bit-by-bit method: build the root from the highest even bit down. */
	unsigned long root = 0, bit;

	if (x < 2)
		return x;
	bit = 1UL << ((fls_ul(x) - 1) & ~1);
	while (bit) {
		if (x >= root + bit) {
			x -= root + bit;
			root = (root >> 1) + bit;
		} else {
			root >>= 1;
		}
		bit >>= 2;
	}
	return root;
}

static int parse_digits(const char *s, uint64_t *out, const char **end)
{
	int base = 10;
	uint64_t v = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	const char *start = p;
	for (;; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -EINVAL;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == start)
		return -EINVAL;
	*out = v;
	*end = p;
	return 0;
}

int kmm_parse_size(const char *s, uint64_t *out, const char **end)
{
	uint64_t v;
	const char *p;
	int shift = 0;

	if (!s || parse_digits(s, &v, &p))
		return -EINVAL;
	switch (*p) {
	case 'E': case 'e': shift = 60; break;
	case 'P': case 'p': shift = 50; break;
	case 'T': case 't': shift = 40; break;
	case 'G': case 'g': shift = 30; break;
	case 'M': case 'm': shift = 20; break;
	case 'K': case 'k': shift = 10; break;
	default: break;
	}
	if (shift) {
		p++;
		if (v > (UINT64_MAX >> shift))
			return -EINVAL;
		v <<= shift;
	}
	if (end)
		*end = p;
	else if (*p)
		return -EINVAL;
	*out = v;
	return 0;
}

int kmm_parse_ulong(const char *s, unsigned long *out)
{
	uint64_t v;
	const char *p;

	if (!s || parse_digits(s, &v, &p) || *p || v > ULONG_MAX)
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

int kmm_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];	/* row[j]: distance between a[0..i) and b[0..j) */

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int above = row[j];
			int sub = diag + (a[i - 1] != b[j - 1]);
			row[j] = KMM_MIN(sub, KMM_MIN(above + 1, row[j - 1] + 1));
			diag = above;
		}
	}
	return row[lb];
}

void sb_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->failed = false;
}

static bool sb_reserve(struct strbuf *sb, size_t more)
{
	if (sb->failed)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + more + 1)
		cap *= 2;
	char *n = realloc(sb->buf, cap);
	if (!n) {
		sb->failed = true;
		return false;
	}
	sb->buf = n;
	sb->cap = cap;
	return true;
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	char small[256];

	va_copy(ap2, ap);
	int n = kmm_vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0 || !sb_reserve(sb, (size_t)n))
		return;
	if ((size_t)n < sizeof(small))
		memcpy(sb->buf + sb->len, small, (size_t)n + 1);
	else
		kmm_vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_json_str(struct strbuf *sb, const char *s)
{
	sb_puts(sb, "\"");
	while (*s) {
		size_t n = strcspn(s, "\"\\<>&\x7f\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r"
				   "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
				   "\x1e\x1f");
		if (n && sb_reserve(sb, n)) {	/* a run of plain bytes */
			memcpy(sb->buf + sb->len, s, n);
			sb->len += n;
			sb->buf[sb->len] = '\0';
		}
		s += n;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		if (c == '"' || c == '\\')
			sb_printf(sb, "\\%c", c);
		else
			sb_printf(sb, "\\u%04x", c);
	}
	sb_puts(sb, "\"");
}

char *sb_detach(struct strbuf *sb)
{
	char *b;

	if (sb->failed) {
		sb_free(sb);
		return NULL;
	}
	if (!sb->buf && !sb_reserve(sb, 0))
		return NULL;
	if (sb->len == 0)
		sb->buf[0] = '\0';
	b = sb->buf;
	sb_init(sb);
	return b;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}
