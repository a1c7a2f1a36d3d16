/* console.c - where the VMM's output goes on x86: COM1 and the screen (lib/log.c formats it). */
#include "cpu.h"
#include "console.h"
#include "boot.h"
#include "../../lib/log.h"

void console_putc(char c)
{
	serial_putc(c);
	vga_putc(c);
	fb_putc(c);
}

void arch_panic_begin(void)
{
	cli();
}

_Noreturn void arch_panic_halt(void)
{
	vmm_exit(1);
}
