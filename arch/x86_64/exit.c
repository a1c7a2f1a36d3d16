/* exit.c - leaving the machine: through QEMU's isa-debug-exit when there is one, else halting. */
#include "cpu.h"
#include "boot.h"
#include "../../lib/log.h"

_Noreturn void vmm_exit(int code)
{
	/* QEMU's isa-debug-exit device at 0xF4 ends QEMU with status (code << 1) | 1. On other
	 * machines the write does nothing and we stop here with a last line for the log. */
	outb(0xF4, (uint8_t)code);
	kprintf("vmm: halted (exit code %d)\n", code);
	cli();
	for (;;)
		hlt();
}
