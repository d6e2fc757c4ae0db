// SPDX-License-Identifier: MIT
/*
 * lib/util.h - small helpers with no memory-management policy: size parsing,
 * bit arithmetic, a growable string buffer for /proc and dmesg text.
 */
#ifndef KMM_LIB_UTIL_H
#define KMM_LIB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kstrtox.h"	/* kstrtobool(), the on/off reader, for every user of these parsers */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KMM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KMM_MAX(a, b) ((a) > (b) ? (a) : (b))
#define KMM_CLAMP(v, lo, hi) KMM_MIN(KMM_MAX((v), (lo)), (hi))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/*
 * Linux's READ_ONCE/WRITE_ONCE: a field that a lockless reader loads while
 * its writer (under a lock the reader does not take) stores. Relaxed atomic
 * accesses: plain moves on x86, but the pair is a defined access for C11
 * and for ThreadSanitizer. Every such field's comment says "READ_ONCE".
 */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define SZ_1K 0x400UL
#define SZ_1M 0x100000UL
#define SZ_1G 0x40000000UL

/* fls(): 1-based index of the highest set bit, 0 for 0 (Linux semantics). */
static inline int fls_ul(unsigned long x)
{
	return x ? (int)(8 * sizeof(long)) - __builtin_clzl(x) : 0;
}
/* ilog2 of a nonzero value. */
static inline int ilog2_ul(unsigned long x)
{
	return fls_ul(x) - 1;
}
static inline unsigned long rounddown_pow_of_two(unsigned long x)
{
	return x ? 1UL << ilog2_ul(x) : 0;
}
/* int_sqrt(): floor of the square root, as Linux's lib/math/int_sqrt.c computes. */
unsigned long int_sqrt(unsigned long x);

/**
 * kmm_parse_size() - parse "512M", "1G", "4096", "64k", "0x1000" (memparse rules).
 * @end: if non-NULL receives the first unparsed character; otherwise trailing
 *       characters are an error.
 * Return: 0 or -EINVAL (empty, no digits, overflow, junk after the number).
 */
int kmm_parse_size(const char *s, uint64_t *out, const char **end);

/**
 * kmm_parse_ulong() - parse a decimal or 0x-hex unsigned number, whole string.
 * Return: 0 or -EINVAL.
 */
int kmm_parse_ulong(const char *s, unsigned long *out);

/**
 * kmm_edit_distance() - Levenshtein distance between @a and @b, for "did you
 * mean" hints. Strings of 63 characters or more are never close (returns 99).
 */
int kmm_edit_distance(const char *a, const char *b);

/*
 * The closest of several names, for "did you mean": kmm_nearest_init(&n, 3),
 * then kmm_nearest_try(&n, typed, candidate) for each candidate; n.best is
 * the first candidate at the smallest distance below the limit, or NULL.
 */
struct kmm_nearest {
	const char *best;
	int dist;	/* best's distance; starts at the limit */
};

static inline void kmm_nearest_init(struct kmm_nearest *n, int limit)
{
	n->best = NULL;
	n->dist = limit;
}

static inline void kmm_nearest_try(struct kmm_nearest *n, const char *typed, const char *candidate)
{
	int d = kmm_edit_distance(typed, candidate);

	if (d < n->dist) {
		n->dist = d;
		n->best = candidate;
	}
}

/* A growable text buffer; on allocation failure it sets ->failed and drops text. */
struct strbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};
void sb_init(struct strbuf *sb);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_puts(struct strbuf *sb, const char *s);
/* sb_putn() - append the @n bytes at @s (no NUL needed among them). */
void sb_putn(struct strbuf *sb, const char *s, size_t n);
/*
 * sb_json_str() - append @s as a JSON string: quoted, '"' and '\\' escaped,
 * control characters, DEL and < > & as \u00XX, so that the text is also safe
 * inside an HTML <script> (never "</script>"). Other bytes are copied as
 * they are (UTF-8 passes through).
 */
void sb_json_str(struct strbuf *sb, const char *s);
/* sb_detach() - hand the NUL-terminated buffer to the caller (NULL if failed). */
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* ---- lib/vsprintf.c ---- */

/**
 * kmm_vsnprintf() - vsnprintf() without the C library's printf for the
 * conversions kmm uses (flags, width, precision, hh..t, d i u o x X c s %%).
 * @buf: where the text goes (NUL-terminated when @size > 0). @size: its bytes.
 * @fmt, @ap: as vsnprintf's.
 * Context: any; no allocation, no lock.
 * Return: exactly what C11's vsnprintf returns and writes; a format with
 * anything else is handed to the C library's vsnprintf whole.
 */
int kmm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/** kmm_snprintf() - kmm_vsnprintf() with arguments. Return: as snprintf's. */
int kmm_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/**
 * __wrap_snprintf() - kmm_snprintf() under the name the malloc shim's link
 * (-Wl,--wrap=snprintf) gives every snprintf() call of its objects.
 * Return: as snprintf's.
 */
int __wrap_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KMM_LIB_UTIL_H */
