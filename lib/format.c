/* format.c - a small, complete printf engine (see format.h for what it supports). */
#include "format.h"
#include <stdint.h>

struct spec {
	int left, zero, plus, space, alt;
	int width, prec; /* prec < 0: none given */
};

static int emit(format_sink sink, void *ctx, char c)
{
	sink(ctx, c);
	return 1;
}

static int pad(format_sink sink, void *ctx, char c, int n)
{
	int k = 0;
	while (n-- > 0)
		k += emit(sink, ctx, c);
	return k;
}

/* Print an unsigned magnitude with sign/prefix, honouring width, precision and flags. */
static int number(format_sink sink, void *ctx, uintmax_t v, int neg, unsigned base, int upper,
		  const struct spec *s, int is_ptr)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, k = 0;
	const char *prefix = "";

	if (v == 0 && s->prec == 0)
		n = 0;
	else
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);

	if (neg)
		prefix = "-";
	else if (s->plus && base == 10 && !is_ptr)
		prefix = "+";
	else if (s->space && base == 10 && !is_ptr)
		prefix = " ";
	else if ((s->alt || is_ptr) && base == 16 && (n > 0 || is_ptr))
		prefix = upper ? "0X" : "0x";
	else if (s->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";

	int plen = 0;
	while (prefix[plen])
		plen++;
	int zeros = s->prec > n ? s->prec - n : 0;
	int body = plen + zeros + n;
	int fill = s->width > body ? s->width - body : 0;

	if (!s->left && !(s->zero && s->prec < 0))
		k += pad(sink, ctx, ' ', fill);
	for (int i = 0; i < plen; i++)
		k += emit(sink, ctx, prefix[i]);
	if (!s->left && s->zero && s->prec < 0)
		k += pad(sink, ctx, '0', fill);
	k += pad(sink, ctx, '0', zeros);
	while (n > 0)
		k += emit(sink, ctx, tmp[--n]);
	if (s->left)
		k += pad(sink, ctx, ' ', fill);
	return k;
}

static int string(format_sink sink, void *ctx, const char *str, const struct spec *s)
{
	int n = 0, k = 0;
	if (!str)
		str = "(null)";
	while (str[n] && (s->prec < 0 || n < s->prec))
		n++;
	int fill = s->width > n ? s->width - n : 0;
	if (!s->left)
		k += pad(sink, ctx, ' ', fill);
	for (int i = 0; i < n; i++)
		k += emit(sink, ctx, str[i]);
	if (s->left)
		k += pad(sink, ctx, ' ', fill);
	return k;
}

int vformat(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
	int k = 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			k += emit(sink, ctx, *fmt);
			continue;
		}
		struct spec s = { 0, 0, 0, 0, 0, 0, -1 };
		for (;; fmt++) {
			char f = fmt[1];
			if (f == '-') s.left = 1;
			else if (f == '0') s.zero = 1;
			else if (f == '+') s.plus = 1;
			else if (f == ' ') s.space = 1;
			else if (f == '#') s.alt = 1;
			else break;
		}
		fmt++;
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) { s.left = 1; s.width = -s.width; }
			fmt++;
		} else
			while (*fmt >= '0' && *fmt <= '9')
				s.width = s.width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			s.prec = 0;
			if (*fmt == '*') {
				s.prec = va_arg(ap, int);
				fmt++;
			} else
				while (*fmt >= '0' && *fmt <= '9')
					s.prec = s.prec * 10 + (*fmt++ - '0');
		}
		int len = 0; /* 0 int, 1 long, 2 long long, 3 size_t/ptrdiff/intmax, -1 short, -2 char */
		for (;; fmt++) {
			if (*fmt == 'l') len = len == 1 ? 2 : 1;
			else if (*fmt == 'h') len = len == -1 ? -2 : -1;
			else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') len = 3;
			else break;
		}
		char c = *fmt;
		if (c == 'd' || c == 'i') {
			intmax_t v;
			if (len == 1) v = va_arg(ap, long);
			else if (len == 2) v = va_arg(ap, long long);
			else if (len == 3) v = va_arg(ap, intmax_t);
			else v = va_arg(ap, int);
			if (len == -1) v = (short)v;
			if (len == -2) v = (signed char)v;
			uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
			k += number(sink, ctx, mag, v < 0, 10, 0, &s, 0);
		} else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
			uintmax_t v;
			if (len == 1) v = va_arg(ap, unsigned long);
			else if (len == 2) v = va_arg(ap, unsigned long long);
			else if (len == 3) v = va_arg(ap, uintmax_t);
			else v = va_arg(ap, unsigned int);
			if (len == -1) v = (unsigned short)v;
			if (len == -2) v = (unsigned char)v;
			unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
			k += number(sink, ctx, v, 0, base, c == 'X', &s, 0);
		} else if (c == 'p') {
			k += number(sink, ctx, (uintptr_t)va_arg(ap, void *), 0, 16, 0, &s, 1);
		} else if (c == 's') {
			k += string(sink, ctx, va_arg(ap, const char *), &s);
		} else if (c == 'c') {
			char one[2] = { (char)va_arg(ap, int), 0 };
			s.prec = -1;
			if (one[0] == 0) {
				k += pad(sink, ctx, ' ', s.left ? 0 : s.width - 1);
				k += emit(sink, ctx, 0);
				k += pad(sink, ctx, ' ', s.left ? s.width - 1 : 0);
			} else
				k += string(sink, ctx, one, &s);
		} else if (c == '%') {
			k += emit(sink, ctx, '%');
		} else if (c == 0) {
			break;
		} else { /* unknown conversion: print it verbatim so the mistake is visible */
			k += emit(sink, ctx, '%');
			k += emit(sink, ctx, c);
		}
	}
	return k;
}

struct bufctx {
	char *buf;
	size_t size, pos;
};

static void buf_sink(void *p, char c)
{
	struct bufctx *b = p;
	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int vsnprintf_(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufctx b = { buf, size, 0 };
	int n = vformat(buf_sink, &b, fmt, ap);
	if (size)
		buf[b.pos < size ? b.pos : size - 1] = 0;
	return n;
}

int snprintf_(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf_(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
