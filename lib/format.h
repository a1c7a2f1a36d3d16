/* format.h - the one printf engine, shared by the x86-64 VMM, the MIPS VMM and host tests.
 *
 * vformat() knows nothing about consoles: it hands each character to a sink. Supported:
 * %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', width and precision (also '*'),
 * length modifiers hh h l ll z t j. No floating point (the VMM does not use the FPU). */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H
#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(void *ctx, char c);

int vformat(format_sink sink, void *ctx, const char *fmt, va_list ap);
int snprintf_(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf_(char *buf, size_t size, const char *fmt, va_list ap);

#endif
