/* console.c - the VMM's own output: a polled 16550 on Malta (kseg1 0xB80003F8), printf through
 * the shared lib/format engine, and panic. */
#include "console.h"
#include "../../lib/format.h"
#include <stdint.h>

#define UART_THR ((volatile uint8_t *)0xb80003f8)
#define UART_LSR ((volatile uint8_t *)0xb80003fd)
#define MALTA_RESET ((volatile uint32_t *)0xbf000500)

enum log_level log_threshold = LOG_INFO;

void uart_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	while (!(*UART_LSR & 0x20))
		;
	*UART_THR = (uint8_t)c;
}

static void sink(void *ctx, char c)
{
	(void)ctx;
	uart_putc(c);
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
	static const char *const names[] = { "err", "warn", "info", "debug" };
	if (lvl > log_threshold)
		return;
	kprintf("[%s] %s: ", names[lvl], subsys);
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
	uart_putc('\n');
}

_Noreturn void machine_exit(void)
{
	*MALTA_RESET = 0x42;
	for (;;)
		;
}

_Noreturn void panic(const char *fmt, ...)
{
	kprintf("vmm: PANIC: ");
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
	uart_putc('\n');
	machine_exit();
}

_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	panic("assertion '%s' failed at %s:%d", cond, file, line);
}
