// SPDX-License-Identifier: MIT
/*
 * lib/vsprintf.c - kmm's own vsnprintf for the conversions kmm prints with.
 *
 * Linux counterpart: lib/vsprintf.c (vsnprintf: the kernel formats its own
 * text, never libc's). Kept: the C conversions and their flags. Simplified:
 * no %p extensions; what is not handled here is handed, whole, to the C
 * library's vsnprintf.
 *
 * Why: the C library's printf is a large piece of code and data (its
 * stdio-on-a-string set-up, the wide-character and floating-point machinery
 * beside it). A program that never prints but boots a machine (every process
 * under the malloc shim) used to fault in ~300 KB of the C library's pages
 * for the boot log and the names of the caches, and spent ~1,500 host
 * instructions per call in its set-up (docs/malloc-measured.md, "Start cost").
 *
 * Contract: for every format made only of the conversions below, the bytes
 * written and the value returned are exactly those of C11's vsnprintf (a
 * unit test holds it to the C library's on random formats and values):
 *   flags - + space # 0; a width and a precision, each digits or '*';
 *   lengths hh h l ll z j t; conversions d i u o x X c s %.
 * Anything else (%p, %n, floating point, wide characters, %m, positional
 * arguments, the ' and I flags, L and q, flags or a precision on %c, %s or
 * %%, a NULL %s) goes to the C library's vsnprintf with the caller's
 * arguments untouched.
 */
#include "lib/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size;	/* bytes of buf, the NUL included */
	size_t len;	/* bytes produced so far (the return value) */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void pad(struct out *o, char c, size_t n)
{
	char run[32];

	memset(run, c, sizeof(run));
	while (n) {
		size_t k = n < sizeof(run) ? n : sizeof(run);
		put(o, run, k);
		n -= k;
	}
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };

/* One integer conversion of @v (its magnitude; @neg for a negative signed value). */
static void put_int(struct out *o, uintmax_t v, bool neg, char conv, int flags, long width,
		    long prec)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	const char *digits = conv == 'X' ? upper : lower;
	unsigned int base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
	char num[3 * sizeof(uintmax_t) + 2], sign[1], prefix[2];
	size_t n = 0, nsign = 0, nprefix = 0, zeros = 0;

	for (uintmax_t x = v; x; x /= base)
		num[sizeof(num) - ++n] = digits[x % base];
	if (!n && prec != 0)	/* zero prints "0" unless the precision is 0 */
		num[sizeof(num) - ++n] = '0';
	if (conv == 'd' || conv == 'i') {
		if (neg)
			sign[nsign++] = '-';
		else if (flags & F_PLUS)
			sign[nsign++] = '+';
		else if (flags & F_SPACE)
			sign[nsign++] = ' ';
	}
	if ((flags & F_ALT) && base == 16 && v) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = conv;
	}
	if (prec >= 0 && (size_t)prec > n)
		zeros = (size_t)prec - n;
	/* '#' with o: the first digit is a 0 (a precision may already give it). */
	if ((flags & F_ALT) && base == 8 && !zeros && (!n || num[sizeof(num) - n] != '0'))
		zeros = 1;
	size_t total = nsign + nprefix + zeros + n;
	size_t fill = width > 0 && (size_t)width > total ? (size_t)width - total : 0;

	if (fill && !(flags & F_LEFT) && (!(flags & F_ZERO) || prec >= 0))
		pad(o, ' ', fill);
	put(o, sign, nsign);
	put(o, prefix, nprefix);
	if (fill && !(flags & F_LEFT) && (flags & F_ZERO) && prec < 0)
		pad(o, '0', fill);
	pad(o, '0', zeros);
	put(o, num + sizeof(num) - n, n);
	if (fill && (flags & F_LEFT))
		pad(o, ' ', fill);
}

/*
 * Format @fmt into @o from @ap. Return: 0, or -1 at the first conversion
 * this file does not handle (the caller then hands the whole format to the
 * C library).
 */
static int format(struct out *o, const char *fmt, va_list ap)
{
	const char *f = fmt;

	while (*f) {
		const char *pct = strchr(f, '%');
		if (!pct) {
			put(o, f, strlen(f));
			return 0;
		}
		put(o, f, (size_t)(pct - f));
		f = pct + 1;

		int flags = 0;
		for (;; f++) {
			if (*f == '-')
				flags |= F_LEFT;
			else if (*f == '+')
				flags |= F_PLUS;
			else if (*f == ' ')
				flags |= F_SPACE;
			else if (*f == '#')
				flags |= F_ALT;
			else if (*f == '0')
				flags |= F_ZERO;
			else
				break;
		}
		long width = -1, prec = -1;
		if (*f == '*') {
			int w = va_arg(ap, int);
			f++;
			if (w < 0) {
				flags |= F_LEFT;
				width = -(long)w;
			} else {
				width = w;
			}
		} else if (*f >= '1' && *f <= '9') {
			for (width = 0; *f >= '0' && *f <= '9'; f++)
				if ((width = width * 10 + (*f - '0')) > 1000000)
					return -1;
			if (*f == '$')		/* positional: the C library's */
				return -1;
		}
		if (*f == '.') {
			f++;
			if (*f == '*') {
				int p = va_arg(ap, int);
				f++;
				prec = p < 0 ? -1 : p;
			} else {
				for (prec = 0; *f >= '0' && *f <= '9'; f++)
					if ((prec = prec * 10 + (*f - '0')) > 1000000)
						return -1;
			}
		}
		int len = 0;	/* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't' */
		if (*f == 'h') {
			len = f[1] == 'h' ? 'H' : 'h';
			f += len == 'H' ? 2 : 1;
		} else if (*f == 'l') {
			len = f[1] == 'l' ? 'L' : 'l';
			f += len == 'L' ? 2 : 1;
		} else if (*f == 'z' || *f == 'j' || *f == 't') {
			len = *f++;
		}

		char conv = *f;
		uintmax_t v;
		bool neg = false;

		if (!conv)		/* a lone '%' at the end */
			return -1;
		f++;

		switch (conv) {
		case 'd':
		case 'i': {
			intmax_t s;
			switch (len) {
			case 'H': s = (signed char)va_arg(ap, int); break;
			case 'h': s = (short)va_arg(ap, int); break;
			case 'l': s = va_arg(ap, long); break;
			case 'L': s = va_arg(ap, long long); break;
			case 'z': s = va_arg(ap, ptrdiff_t); break;	/* signed size_t */
			case 'j': s = va_arg(ap, intmax_t); break;
			case 't': s = va_arg(ap, ptrdiff_t); break;
			default: s = va_arg(ap, int); break;
			}
			neg = s < 0;
			v = neg ? (uintmax_t)0 - (uintmax_t)s : (uintmax_t)s;
			put_int(o, v, neg, conv, flags, width, prec);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			switch (len) {
			case 'H': v = (unsigned char)va_arg(ap, unsigned int); break;
			case 'h': v = (unsigned short)va_arg(ap, unsigned int); break;
			case 'l': v = va_arg(ap, unsigned long); break;
			case 'L': v = va_arg(ap, unsigned long long); break;
			case 'z': v = va_arg(ap, size_t); break;
			case 'j': v = va_arg(ap, uintmax_t); break;
			case 't': v = (uintmax_t)va_arg(ap, ptrdiff_t); break;
			default: v = va_arg(ap, unsigned int); break;
			}
			put_int(o, v, false, conv, flags, width, prec);
			break;
		case 'c': {
			if (len || (flags & ~F_LEFT) || prec >= 0)
				return -1;
			char c = (char)va_arg(ap, int);
			size_t fill = width > 1 ? (size_t)width - 1 : 0;
			if (!(flags & F_LEFT))
				pad(o, ' ', fill);
			put(o, &c, 1);
			if (flags & F_LEFT)
				pad(o, ' ', fill);
			break;
		}
		case 's': {
			if (len || (flags & ~F_LEFT))
				return -1;
			const char *s = va_arg(ap, const char *);
			if (!s)
				return -1;
			size_t n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			size_t fill = width > 0 && (size_t)width > n ? (size_t)width - n : 0;
			if (!(flags & F_LEFT))
				pad(o, ' ', fill);
			put(o, s, n);
			if (flags & F_LEFT)
				pad(o, ' ', fill);
			break;
		}
		case '%':
			if (f != pct + 2)	/* "%%" only; anything between: the C library's */
				return -1;
			put(o, "%", 1);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int kmm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list ours;
	int bad;

	va_copy(ours, ap);
	bad = format(&o, fmt, ours);
	va_end(ours);
	if (bad || o.len > INT32_MAX)
		return vsnprintf(buf, size, fmt, ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int kmm_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kmm_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * The malloc shim links with -Wl,--wrap=snprintf (cmake/shim.cmake): every
 * snprintf() of libkmm's objects in libkmm-malloc.so comes here, so a
 * process that only boots the shim's machine never runs the C library's.
 */
int __wrap_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kmm_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
