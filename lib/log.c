/* log.c - kprintf, klog and panic for every arch: the formatting lives here once, the arch gives
 * the two things that differ, console_putc() (where characters go) and arch_panic_halt() (how the
 * machine stops). */
#include <stdarg.h>
#include "log.h"
#include "format.h"

enum log_level log_threshold = LOG_INFO;

static void sink(void *ctx, char c)
{
	(void)ctx;
	console_putc(c);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
}

void klog(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	if (lvl > log_threshold)
		return;
	kprintf("[%s] %s: ", names[lvl], subsys);
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
	console_putc('\n');
}

_Noreturn void panic(const char *fmt, ...)
{
	arch_panic_begin();
	kprintf("\nPANIC: ");
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
	console_putc('\n');
	arch_panic_halt();
}

/* Called by arch-neutral code when an invariant breaks (mm/assert.h). */
_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	panic("assertion failed: %s at %s:%d", cond, file, line);
}
