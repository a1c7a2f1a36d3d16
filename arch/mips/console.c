/* console.c - where the VMM's output goes on Malta: a polled 16550 (kseg1 0xB80003F8); lib/log.c
 * formats it. Panics leave QEMU through the board's reset register. */
#include "console.h"
#include "../../lib/format.h"
#include <stdint.h>

#define UART_THR ((volatile uint8_t *)0xb80003f8)
#define UART_LSR ((volatile uint8_t *)0xb80003fd)
#define MALTA_RESET ((volatile uint32_t *)0xbf000500)

void uart_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	while (!(*UART_LSR & 0x20))
		;
	*UART_THR = (uint8_t)c;
}

void console_putc(char c)
{
	uart_putc(c);
}

void arch_panic_begin(void)
{
}

_Noreturn void machine_exit(void)
{
	*MALTA_RESET = 0x42;
	for (;;)
		;
}

_Noreturn void arch_panic_halt(void)
{
	machine_exit();
}
