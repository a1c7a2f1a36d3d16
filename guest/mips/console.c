/* console.c - the guest's UART output (Malta 16550 through kseg1, as any Malta OS does; under
 * the VMM these stores trap and are emulated) and printf through lib/format. */
#include "kernel.h"
#include "../../lib/format.h"

#define UART_THR ((volatile uint8_t *)0xb80003f8)
#define UART_LSR ((volatile uint8_t *)0xb80003fd)

void kputc(char c)
{
	if (c == '\n')
		kputc('\r');
	while (!(*UART_LSR & 0x20))
		;
	*UART_THR = (uint8_t)c;
}

static void sink(void *ctx, char c)
{
	(void)ctx;
	kputc(c);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(sink, 0, fmt, ap);
	va_end(ap);
}

_Noreturn void power_off(void)
{
	*(volatile uint32_t *)0xbf000500 = 0x42;
	for (;;)
		;
}

_Noreturn void kpanic(const char *msg)
{
	kprintf("guest: PANIC: %s\n", msg);
	power_off();
}
