/* guests.c - starting guests and leaving the machine. Running guests arrives with the vCPU
 * (issue 4); until then the VMM lists the modules it would run and idles. */
#include "cpu.h"
#include "boot.h"
#include "../../lib/log.h"

void vmm_start_guests(void)
{
	log_warn("vmm", "running guests is not implemented yet; idling");
}

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
