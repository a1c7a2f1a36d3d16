/* task.c - hardware task switches, done for the guest as its CPU would do them.
 *
 * A 32-bit x86 CPU switches tasks through a TSS: on an interrupt or exception whose IDT gate is
 * a task gate (the classic double-fault handler of 32-bit kernels: Linux's doublefault_fn, the
 * fuzzer's df_entry), on a far jmp or call to a TSS or a task gate, and on an iret with NT set
 * (back to the task in the TSS's link field). The guest's kernel runs at ring 1, where none of
 * these reach the CPU's own task switch (and the VMM's host TSS is not the guest's), so the VMM
 * does the switch on the guest's tables, step by step as SDM Vol. 3 section 7.3 describes:
 *
 *   1. check the new TSS descriptor: present (#NP), an available 32-bit TSS (busy for iret)
 *      (#GP), a limit of at least 0x67 (#TS) -- faults here are the old task's;
 *   2. save the old task's dynamic state (EIP, EFLAGS, the eight registers, the six selectors)
 *      into its TSS; clear its busy bit (jmp, iret);
 *   3. write the link field and set the busy bit of the new TSS (interrupt, call), load TR;
 *      set CR0.TS -- the switch is committed;
 *   4. load CR3 (when paging), the LDT, EFLAGS (NT set for a nested task), EIP, the registers and
 *      the selectors from the new TSS;
 *   5. for an exception with an error code, push it on the new task's stack (reflect.c).
 *
 * The new task runs at the guest's ring 0 (the VMM's ring 1) or ring 3. Not done: 16-bit TSSes,
 * the TSS's T (debug trap) bit, and the #TS a CPU raises in the new task when a selector it
 * loads there is bad (the VM is stopped with the reason instead; a data selector that is not
 * usable becomes null, as for every guest entry: segments.c, seg_frame_ok). */
#include "vm.h"
#include "fast.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

/* The 32-bit TSS (SDM Vol. 3, Figure 7-2): byte offsets. The dynamic fields, EIP to GS, are
 * contiguous: eip eflags eax ecx edx ebx esp ebp esi edi es cs ss ds fs gs. */
enum { TSS_LINK = 0x00, TSS_CR3 = 0x1C, TSS_EIP = 0x20, TSS_LDT = 0x60, TSS_SIZE = 0x68 };
enum { DYN_EIP, DYN_EFLAGS, DYN_EAX, DYN_ECX, DYN_EDX, DYN_EBX, DYN_ESP, DYN_EBP, DYN_ESI, DYN_EDI,
       DYN_ES, DYN_CS, DYN_SS, DYN_DS, DYN_FS, DYN_GS, DYN_N };

/* Set or clear the busy bit (type bit 1) of GDT entry sel in the guest's own GDT. */
static void set_busy(struct vm *vm, uint16_t sel, uint64_t d, int busy)
{
	uint32_t e, fa;
	uint8_t access = (uint8_t)(d >> 40);
	access = busy ? access | 2 : access & ~2;
	guest_write(vm, vm->gdtr.base + (sel & ~7u) + 5, &access, 1, 0, &e, &fa);
}

int task_switch(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, struct fault *f)
{
	uint64_t d;
	uint32_t e, fa, nt[TSS_SIZE / 4], dyn[DYN_N];

	/* 1. The new TSS descriptor, in the GDT only. */
	unsigned bad = why == TASK_IRET ? 10 : 13;   /* an iret's link: #TS; else #GP */
	if ((sel & 4) || seg_guest_desc(vm, sel, &d) < 0)
		return fault_set(f, bad, sel & ~3u, 0);
	unsigned type = (d >> 40) & 0x1F;
	if (type == 0x01 || type == 0x03) {
		vm_fail(vm, "task switch to a 16-bit TSS (%04x) at eip %08lx: not supported", sel, tf->rip);
		return -1;
	}
	if (type != (why == TASK_IRET ? 0x0Bu : 0x09u))
		return fault_set(f, bad, sel & ~3u, 0);
	if (!(d & D_PRESENT))
		return fault_set(f, 11, sel & ~3u, 0);
	struct seg ts;                           /* its base and limit */
	seg_from_desc(d, &ts);
	if (ts.hi < TSS_SIZE - 1)
		return fault_set(f, 10, sel & ~3u, 0);
	uint32_t base = ts.base;
	if (guest_read(vm, base, nt, TSS_SIZE, 0, &e, &fa) < 0)
		return fault_set(f, 14, e, fa);
	if (vm->tr == 0) {
		vm_fail(vm, "task switch at eip %08lx with no task register loaded (ltr)", tf->rip);
		return -1;
	}

	/* 2. The old task's state into its TSS, as the guest sees it (RPL 0 for its ring 0; IF and
	 *    IOPL virtual). An iret saves NT clear. */
	uint32_t fl = guest_eflags(vm, tf);
	if (why == TASK_IRET)
		fl &= ~FL_NT;
	uint64_t *gp[8] = { &tf->rax, &tf->rcx, &tf->rdx, &tf->rbx, &tf->rsp, &tf->rbp, &tf->rsi, &tf->rdi };
	dyn[DYN_EIP] = (uint32_t)tf->rip;
	dyn[DYN_EFLAGS] = fl;
	for (int i = 0; i < 8; i++)
		dyn[DYN_EAX + i] = (uint32_t)*gp[i];
	dyn[DYN_ES] = (uint16_t)tf->es;
	dyn[DYN_CS] = sel_to_guest((uint16_t)tf->cs);
	dyn[DYN_SS] = sel_to_guest((uint16_t)tf->ss);
	dyn[DYN_DS] = (uint16_t)tf->ds;
	dyn[DYN_FS] = (uint16_t)tf->fs;
	dyn[DYN_GS] = (uint16_t)tf->gs;
	if (guest_write(vm, vm->tr_base + TSS_EIP, dyn, sizeof dyn, 0, &e, &fa) < 0)
		return fault_set(f, 14, e, fa);
	uint64_t od;
	if ((why == TASK_JMP || why == TASK_IRET) && seg_guest_desc(vm, vm->tr, &od) == 0)
		set_busy(vm, vm->tr, od, 0);

	/* 3. The link back and the busy bit; TR; CR0.TS. From here on the switch has happened. */
	if (why == TASK_INT || why == TASK_CALL) {
		uint16_t link = vm->tr;
		guest_write(vm, base + TSS_LINK, &link, 2, 0, &e, &fa);
	}
	if (why != TASK_IRET)
		set_busy(vm, sel, d, 1);
	vm->tr = sel;
	vm->tr_base = base;
	if (!(vm->cr0 & CR0_TS)) {
		vm->cr0 |= CR0_TS;
		xfeat_cr0(vm);                   /* the guest's next FPU instruction: #NM */
	}

	/* 4. The new task's state. */
	if (vm->cr0 & CR0_PG) {
		vm->cr3 = nt[TSS_CR3 / 4];
		guest_cr3_written(vm);
	}
	uint16_t ldt = (uint16_t)nt[TSS_LDT / 4];
	if (seg_lldt(vm, ldt)) {
		vm_fail(vm, "task switch to TSS %04x: its LDT selector %04x is not an LDT (#TS in the new task: not done)",
			sel, ldt);
		return -1;
	}
	memcpy(dyn, nt + TSS_EIP / 4, sizeof dyn);
	fl = dyn[DYN_EFLAGS] | 2u;
	if (why == TASK_INT || why == TASK_CALL)
		fl |= FL_NT;
	if (fl & FL_VM) {
		vm_fail(vm, "task switch to TSS %04x enters virtual-8086 mode (not supported)", sel);
		return -1;
	}
	uint16_t cs = (uint16_t)dyn[DYN_CS], ss = (uint16_t)dyn[DYN_SS];
	unsigned cpl = cs & 3;
	if ((cpl != 0 && cpl != 3) || (ss & 3) != cpl || !seg_check(vm, cs, 1, cpl) || !seg_check(vm, ss, 0, cpl)) {
		vm_fail(vm, "task switch to TSS %04x: CS %04x or SS %04x not usable at ring %u (#TS in the new task: "
			"not done)", sel, cs, ss, cpl);
		return -1;
	}
	tf->rip = dyn[DYN_EIP];
	set_guest_eflags(vm, tf, fl);
	iret_flags(tf, fl);
	for (int i = 0; i < 8; i++)
		*gp[i] = dyn[DYN_EAX + i];
	tf->cs = cpl == 0 ? cs | 1u : cs;
	tf->ss = cpl == 0 ? ss | 1u : ss;
	tf->es = (uint16_t)dyn[DYN_ES];
	tf->ds = (uint16_t)dyn[DYN_DS];
	tf->fs = (uint16_t)dyn[DYN_FS];
	tf->gs = (uint16_t)dyn[DYN_GS];
	seg_install(vm);                         /* the LDT copy, as lldt does */
	seg_trace_tables(vm);
	log_debug("task", "%s: task switch to TSS %04x, eip %08x", vm->name, sel, dyn[DYN_EIP]);
	return 0;
}

void task_insn(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, uint32_t next)
{
	struct fault f;
	uint64_t rip = tf->rip;
	tf->rip = next;                                  /* the old task goes on after it */
	if (task_switch(vm, tf, sel, why, &f) > 0) {
		tf->rip = rip;                           /* a fault before the switch: the instruction's */
		raise_fault(vm, tf, &f);
	}
}

int task_far(struct vm *vm, struct trapframe *tf, uint16_t sel, int why, uint32_t next)
{
	uint64_t d;
	if (seg_guest_desc(vm, sel, &d) < 0 || ((d >> 44) & 1))
		return 0;                                /* not a system descriptor */
	unsigned type = (d >> 40) & 0x1F, rpl = sel & 3, cpl = guest_cpl(tf);
	if (type != 0x05 && type != 0x09 && type != 0x0B)
		return 0;
	/* The TSS's or the gate's DPL must be at least max(CPL, RPL); it must be present. */
	if (D_DPL(d) < (cpl > rpl ? cpl : rpl))
		reflect(vm, tf, 13, REFLECT_EXC_ERR, sel & ~3u);
	else if (!(d & D_PRESENT))
		reflect(vm, tf, 11, REFLECT_EXC_ERR, sel & ~3u);
	else
		task_insn(vm, tf, type == 0x05 ? (uint16_t)(d >> 16) : sel, why, next);
	return 1;
}
