/* trap.c - where every interrupt and exception arrives (from trapentry.asm).
 *
 * IRQs go to their registered handler. An exception raised by the VMM itself is a bug: it prints
 * a full register dump (with CR2, the error code and the symbol of RIP) and stops the machine.
 * Exceptions raised by guests are handed to the VMM's guest-trap path (added with the vCPU). */
#include "trap.h"
#include "cpu.h"
#include "pic.h"
#include "apic.h"
#include "../../lib/log.h"

static void (*irq_handlers[16])(struct trapframe *);
int (*trap_selftest_hook)(struct trapframe *tf);
int (*trap_guest_hook)(struct trapframe *tf);   /* set by the vCPU code: traps from ring 1/3 */
void (*trap_resume_hook)(struct trapframe *tf); /* on the way back to a guest after an IRQ */

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound",
	"#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void irq_register(unsigned irq, void (*fn)(struct trapframe *))
{
	irq_handlers[irq] = fn;
}

void trap_dump(const struct trapframe *tf)
{
	uint64_t off = 0;
	const char *sym = ksym_lookup(tf->rip, &off);
	const char *name = tf->vector < 32 && exc_names[tf->vector] ? exc_names[tf->vector] : "interrupt";
	kprintf("vector %lu (%s), error code 0x%lx\n", tf->vector, name, tf->error);
	kprintf("RIP %016lx <%s+0x%lx>  CS %04lx  RFLAGS %016lx\n", tf->rip, sym ? sym : "?", off, tf->cs, tf->rflags);
	kprintf("RSP %016lx  SS %04lx  CR2 %016lx  CR3 %016lx\n", tf->rsp, tf->ss, READ_CR(2), READ_CR(3));
	kprintf("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->r8);
	kprintf("R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", tf->r9, tf->r10, tf->r11, tf->r12);
	kprintf("R13 %016lx R14 %016lx R15 %016lx\n", tf->r13, tf->r14, tf->r15);
	kprintf("DS %04lx ES %04lx FS %04lx GS %04lx  CR0 %016lx CR4 %016lx\n", tf->ds, tf->es, tf->fs,
		tf->gs, READ_CR(0), READ_CR(4));
}

void trap(struct trapframe *tf)
{
	/* 1. Interrupt lines first: the timer and real devices. */
	if (tf->vector == APIC_TIMER_VEC || tf->vector == APIC_SPURIOUS_VEC) {
		if (tf->vector == APIC_TIMER_VEC)
			timer_apic_tick();         /* (a spurious one needs no EOI) */
		if ((tf->cs & 3) != 0 && trap_resume_hook)
			trap_resume_hook(tf);
		return;
	}
	if (tf->vector >= IRQ_BASE && tf->vector < IRQ_BASE + 16) {
		unsigned irq = (unsigned)(tf->vector - IRQ_BASE);
		if (pic_spurious(irq))
			return;
		pic_eoi(irq);
		if (irq_handlers[irq])
			irq_handlers[irq](tf);
		if ((tf->cs & 3) != 0 && trap_resume_hook)
			trap_resume_hook(tf);
		return;
	}
	/* A guest page the VMM touched through the shadow (gcopy.asm) was not there: gcopy returns
	 * -1 and its caller walks the guest's tables in software instead. */
	if (tf->vector == 14 && (tf->cs & 3) == 0 &&
	    (tf->rip == (uintptr_t)gcopy_movsd || tf->rip == (uintptr_t)gcopy_movsb)) {
		tf->rip = (uintptr_t)gcopy_fault;
		return;
	}
	/* The same for a direct path (cpu/direct.asm) touching guest memory (below 4 GiB): it gives
	 * the trap to the slower paths, which walk the guest's tables. */
	if (tf->vector == 14 && (tf->cs & 3) == 0 && READ_CR(2) < (1ULL << 32) &&
	    tf->rip >= (uintptr_t)direct_guest_begin && tf->rip < (uintptr_t)direct_guest_end) {
		tf->rip = (uintptr_t)direct_give_up;
		return;
	}
	/* A #DB in the VMM: a guest's data breakpoint (the real DR7 holds the running VM's,
	 * cpu/debugreg.c) matched an access the VMM made at the guest's linear address. A trap: the
	 * access is done; the real DR6 is made clean for the next one. */
	if (tf->vector == 1 && (tf->cs & 3) == 0) {
		__asm__ volatile("mov %0, %%db6" : : "r"(0xFFFF0FF0ULL));
		return;
	}
	/* Real CPUs never enter virtual-8086 mode in long mode, but QEMU's TCG lets a guest's 32-bit
	 * iret with VM=1 do so, at any CPL: its frame has a real-mode CS (RPL 0) yet it came from a
	 * guest. Show it as ring 3 with CS 3, a null selector no real frame holds: the vCPU code
	 * (run.c vm_trap) stops that VM. */
	if (tf->rflags & (1ULL << 17)) {
		tf->rflags &= ~(1ULL << 17);
		tf->cs = 3;
		tf->ss = 3;
	}
	/* 2. Anything that came from a guest (ring 1 or 3) belongs to the vCPU code. */
	if ((tf->cs & 3) != 0 && trap_guest_hook && trap_guest_hook(tf))
		return;
	/* 3. A fault inside the VMM: a self test may expect it; otherwise it is a bug. */
	if (trap_selftest_hook && trap_selftest_hook(tf))
		return;
	kprintf("\n");
	trap_dump(tf);
	panic("unexpected %s in the VMM",
	      tf->vector < 32 && exc_names[tf->vector] ? exc_names[tf->vector] : "interrupt");
}
