/* console.c - where the VMM's output goes on x86 (COM1 and the screen; lib/log.c formats it) and
 * where its input comes from (COM1, then the PS/2 keyboard). */
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

int console_getc(void)
{
	int c = serial_getc();
	return c >= 0 ? c : kbd_getc();
}

void arch_panic_begin(void)
{
	cli();
}

_Noreturn void arch_panic_halt(void)
{
	vmm_exit(1);
}
