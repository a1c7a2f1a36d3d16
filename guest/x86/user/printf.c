/* printf.c - user printf: the shared vformat() engine into a line buffer flushed with write(). */
#include <stdarg.h>
#include "ulib.h"

struct outbuf {
	char buf[256];
	size_t n;
};

static void flush(struct outbuf *o)
{
	if (o->n)
		write(1, o->buf, o->n);
	o->n = 0;
}

static void sink(void *ctx, char c)
{
	struct outbuf *o = ctx;
	o->buf[o->n++] = c;
	if (o->n == sizeof(o->buf))
		flush(o);
}

int printf(const char *fmt, ...)
{
	struct outbuf o;
	va_list ap;
	int n;

	o.n = 0;
	va_start(ap, fmt);
	n = vformat(sink, &o, fmt, ap);
	va_end(ap);
	flush(&o);	/* one write per call keeps lines from different processes whole */
	return n;
}

int atoi(const char *s)
{
	int v = 0, neg = 0;
	if (*s == '-')
		neg = 1, s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}
