/* ulib.c - user printf (lib/format into a buffer, then one write system call). */
#include "ulib.h"
#include "../../../lib/format.h"

void uprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf_(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	sys(SYS_WRITE, 1, (uint32_t)(uintptr_t)buf, (uint32_t)n);
}
