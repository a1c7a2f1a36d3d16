/* console.c - kprintf/klog/panic for the VMM: every character goes to COM1 and to the screen. */
#include <stdarg.h>
#include "cpu.h"
#include "console.h"
#include "../../lib/format.h"
#include "../../lib/log.h"

enum log_level log_threshold = LOG_INFO;

void console_putc(char c)
{
	serial_putc(c);
	vga_putc(c);
	fb_putc(c);
}

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

void vmm_exit(int code);

_Noreturn void panic(const char *fmt, ...)
{
	cli();
	kprintf("\nPANIC: ");
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
	kprintf("\n");
	vmm_exit(1);
	for (;;)
		hlt();
}

/* Called by arch-neutral code when an invariant breaks (mm/assert.h). */
_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	panic("assertion failed: %s at %s:%d", cond, file, line);
}
