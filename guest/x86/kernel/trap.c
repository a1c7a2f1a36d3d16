/* trap.c - where every interrupt, exception and system call lands (from traps.asm).
 * Faults from user mode kill the process with a one-line reason; the kernel goes on. */
#include "kernel.h"
#include "../include/hypercall.h"
#include "x86.h"
#include "../include/abi.h"
#include "drivers.h"

volatile int breakpoint_hits;
void (*debug_hook)(struct trapframe *tf);
volatile uint32_t irq_first_eip;	/* IRQ_EIP_ARMED: the next interrupt's return EIP goes here */
uint32_t fault_eip, fault_resume;	/* a kernel instruction allowed to fault, and where to go then */
uint32_t fault_after;			/* a second EIP a self-test accepts for it (a wrong one it checks) */
volatile uint32_t fault_at;		/* the EIP the fault was reported at */
volatile int fault_caught;
volatile uint32_t fault_vector, fault_err, fault_cr2, fault_eflags;	/* what it raised */
static volatile int need_resched;	/* set by the timer, honoured on the way back to user mode */

static const char *const exc_name[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"#22", "#23", "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
};

static intr_handler handlers[256];
volatile uint32_t intr_count[256];

void intr_set_handler(int vector, intr_handler fn)
{
	handlers[vector] = fn;
}

/* The system clock: the PIT on IRQ0, or the local APIC timer with the boot word `apic`. */
void clock_tick(void)
{
	ticks++;
	proc_tick();
	balloon_poll();
	need_resched = 1;	/* preemption: a time slice is one tick */
}

/* A hardware interrupt: count it, run its handler, then end it at its controller (the 8259s
 * for ISA IRQs in PIC mode, the local APIC for everything in APIC mode and for its own vectors). */
static void interrupt(uint32_t v)
{
	int n = (int)v - VEC_IRQ0;

	if (v < VEC_IRQ0 + 16 && !apic_mode && (n == 7 || n == 15)) {
		/* spurious 8259 interrupts: no EOI (but the master saw IRQ2) */
		outb(n == 7 ? 0x20 : 0xA0, 0x0B);
		if (!(inb(n == 7 ? 0x20 : 0xA0) & 0x80)) {
			if (n == 15)
				pic_eoi(0);
			return;
		}
	}
	intr_count[v]++;
	if (v == VEC_TEST_SOFT || v == VEC_TEST_SOFT + 1)
		return;		/* int n of the self tests: nothing to end */
	if (handlers[v])
		handlers[v]();
	if (v < VEC_IRQ0 + 16)
		irq_eoi(n);
	else if (v != VEC_LAPIC_SPURIOUS)	/* a spurious APIC interrupt is not in service */
		lapic_eoi();
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

	if (v < 32 && !tf_from_user(tf) && fault_eip && (tf->eip == fault_eip || tf->eip == fault_after)) {
		/* e.g. rdmsr_safe */
		fault_cr2 = v == 14 ? read_cr2() : 0;
		fault_at = tf->eip;
		fault_after = 0;
		fault_vector = v;
		fault_err = tf->err;
		fault_eflags = tf->eflags;
		tf->eip = fault_resume;
		fault_eip = 0;
		fault_caught = 1;
	} else if (v == 0x80)
		syscall_dispatch(tf);
	else if (v == HC_VECTOR && !tf_from_user(tf))
		tf->eax = (uint32_t)HC_NOVMM;	/* a hypercall reached us: there is no VMM (pv.c) */
	else if (v >= VEC_IRQ0) {
		if (irq_first_eip == IRQ_EIP_ARMED)
			irq_first_eip = tf->eip;	/* (a self-test asked where the next one lands) */
		interrupt(v);
	}
	else if (v == 14)
		page_fault(tf);
	else if (v == 3 && !tf_from_user(tf))
		breakpoint_hits++;	/* the kernel's own int3 (a self-test): just continue */
	else if (v == 1 && !tf_from_user(tf) && debug_hook)
		debug_hook(tf);		/* a self-test's breakpoint (cputest.c) */
	else if (tf_from_user(tf))
		proc_kill(WSTATUS_KILLED(v), "%s at eip %#x", exc_name[v & 31], tf->eip);
	else
		panic("%s in kernel at eip %#x err %#x", exc_name[v & 31], tf->eip, tf->err);

	if (need_resched && current && tf_from_user(tf)) {	/* never preempt the kernel itself */
		need_resched = 0;
		proc_yield();
	}
}
