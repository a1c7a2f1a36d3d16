/* trap.c - the guest kernel's exception dispatch (called from entry.S with EXL still set):
 * timer interrupts (tick, preempt), system calls, and faults (a user process that faults is
 * killed; a kernel fault is a panic). */
#include "kernel.h"
#include "cp0.h"
#include "../../lib/format.h"

volatile uint32_t ticks;
uint32_t timer_interval = 200000;

/* Compare must be written while it is still ahead of Count: the interrupt comes when Count
 * equals it, so a value Count has already passed brings the next one only after Count wraps
 * (a minute and more later). That happens when the CPU is held up between the read and the
 * write -- under QEMU, a busy host stalling the vCPU thread for an interval (seen: the user
 * test timer_preempts_user waited in vain): write it again then. */
void timer_start(void)
{
	uint32_t next;
	do {
		next = mfc0(C0_COUNT, 0) + timer_interval;
		mtc0(C0_COMPARE, 0, next);
	} while ((int32_t)(mfc0(C0_COUNT, 0) - next) >= 0);
}

struct tf *ktrap(struct tf *tf)
{
	unsigned exc = (tf->cause >> 2) & 31;
	char why[96];
	switch (exc) {
	case 0:
		if (tf->cause & 0x8000) {
			ticks++;
			timer_start();
			return schedule();   /* preempt: round robin */
		}
		return tf;
	case 8:
		return do_syscall(tf);
	}
	snprintf_(why, sizeof why, "exception %u at epc 0x%08x badvaddr 0x%08x", exc, tf->epc,
		  tf->badvaddr);
	if (tf->status & ST_KSU_USER)
		return kill_current(why);
	kprintf("guest: PANIC: kernel %s\n", why);
	power_off();
}
