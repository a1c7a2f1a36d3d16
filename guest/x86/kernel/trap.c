/* trap.c - where every interrupt, exception and system call lands (from traps.asm).
 * Faults from user mode kill the process with a one-line reason; the kernel goes on. */
#include "kernel.h"
#include "x86.h"
#include "../include/abi.h"

volatile int breakpoint_hits;
static volatile int need_resched;	/* set by the timer, honoured on the way back to user mode */

static const char *const exc_name[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"#22", "#23", "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
};

static void irq(int n, struct trapframe *tf)
{
	if (n == 7 || n == 15) {	/* spurious interrupts: no EOI (but the master saw IRQ2) */
		outb(n == 7 ? 0x20 : 0xA0, 0x0B);
		if (!(inb(n == 7 ? 0x20 : 0xA0) & 0x80)) {
			if (n == 15)
				pic_eoi(0);
			return;
		}
	}
	if (n == 0) {
		ticks++;
		proc_tick();
	}
	pic_eoi(n);
	if (n == 0)
		need_resched = 1;	/* preemption: a time slice is one tick */
	(void)tf;
}

static void page_fault(struct trapframe *tf)
{
	uint32_t va = read_cr2();
	int user_addr = va >= USER_BASE && va < USER_TOP;
	int r;

	if (!current || (!tf_from_user(tf) && !user_addr))
		panic("#PF in kernel at eip %#x addr %#x err %#x", tf->eip, va, tf->err);
	r = vm_fault(current, va, tf->err);
	if (r == 0)
		return;
	if (r == -2)
		proc_kill(WSTATUS_OOM, "out of memory at addr %#x", va);
	proc_kill(WSTATUS_KILLED(14), "#PF at eip %#x addr %#x err %#x%s", tf->eip, va, tf->err,
		  tf_from_user(tf) ? "" : " (bad pointer passed to a system call)");
}

void trap_dispatch(struct trapframe *tf)
{
	uint32_t v = tf->vector;

	if (v == 0x80)
		syscall_dispatch(tf);
	else if (v >= 32 && v < 48)
		irq(v - 32, tf);
	else if (v == 14)
		page_fault(tf);
	else if (v == 3 && !tf_from_user(tf))
		breakpoint_hits++;	/* the kernel's own int3 (a self-test): just continue */
	else if (tf_from_user(tf))
		proc_kill(WSTATUS_KILLED(v), "%s at eip %#x", exc_name[v & 31], tf->eip);
	else
		panic("%s in kernel at eip %#x err %#x", exc_name[v & 31], tf->eip, tf->err);

	if (need_resched && current && tf_from_user(tf)) {	/* never preempt the kernel itself */
		need_resched = 0;
		proc_yield();
	}
}
