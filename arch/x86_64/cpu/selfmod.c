/* selfmod.c - code that writes the page it runs from, with an instruction the emulator does not
 * know: the VMM lets the CPU do it, one instruction, single-stepped.
 *
 * A scanned code page is write-protected in the shadow (its int3 patches must not be seen or
 * overwritten) and a page not scanned is not executable for the guest kernel (its sensitive
 * instructions are not patched yet). An instruction on such a page that writes the page needs
 * both at once. The usual answer is the emulator (vtlb.c: the VMM does the write and scans the
 * page again); for the instructions it lacks (x87 and SSE stores, fxsave, cmpxchg8b...) unscanning
 * alone would loop forever: the fetch faults and scans, the write faults and unscans.
 *
 * So, step by step:
 *  1. The write faults (shadow_fault); the emulator declines; the faulting instruction is on the
 *     page it writes. selfmod_begin unscans the page (the guest's own bytes are back), checks
 *     that the instruction at EIP is not one the patcher would replace, and remembers it.
 *  2. While the step is open, shadow_fault maps the page executable although it is not scanned,
 *     writable too where the guest's tables allow it (the write's fault is filled at once).
 *  3. On the way to the guest (selfmod_leave, the end of vm_resume), if the guest is still at that
 *     instruction, the real EFLAGS.TF is set: the CPU runs exactly one instruction, the write.
 *  4. Every entry to the VMM from the guest clears that TF again (selfmod_entry). The single-step
 *     #DB that follows the instruction closes the step: the page's mappings are dropped, so the
 *     next fetch from it scans it afresh, with what the write put there. The #DB is the VMM's
 *     own, unless the guest had TF set itself or a data breakpoint of its own hit too.
 *  5. Anything else on the way back (a fault reflected to the guest, an interrupt delivered, the
 *     VM stopped) leaves EIP elsewhere: the step is called off the same way, and the write will
 *     fault again when the guest comes back to it.
 * Only that one instruction ever runs from the unscanned page: the #DB comes after it, and every
 * other way into the VMM closes the step before the guest runs again. */
#include "vm.h"
#include "../../../lib/log.h"

/* The page's mappings go (executable unscanned, perhaps writable): it faults and is scanned again
 * when code on it next runs. */
static void close_step(struct vm *vm)
{
	vm->step.on = 0;
	shadow_drop_frame(vm, vm->step.gfn);
}

void selfmod_begin(struct vm *vm, struct trapframe *tf, uint32_t gfn)
{
	uint8_t b[16];
	struct x86_insn in;
	shadow_code_written(vm, gfn);         /* the guest's own bytes back, its patches out */
	if (fetch_insn(vm, tf, (uint32_t)tf->rip, &in, b, 0) < 0)
		return;                       /* (the guest got a fault instead) */
	/* What runs is the guest's own instruction -- as natively, even where the scan had decoded
	 * the bytes another way and a patch sat inside what ran (1:8515). It must not be one the
	 * patcher replaces: run at ring 1 it would not trap. Then no step: the page is scanned
	 * again when the guest comes back to it, from a known instruction boundary. */
	if (x86_needs_patch(&in))
		return;
	vm->step = (struct code_step){ 1, (tf->rflags & FL_TF) != 0, gfn, (uint32_t)tf->rip, (uint16_t)tf->cs };
	vm->code_writes_stepped++;
	log_debug("patch", "%s: eip %08lx writes its own code page (gpa %08x): single-stepped", vm->name, tf->rip, gfn << 12);
}

int selfmod_entry(struct vm *vm, struct trapframe *tf)
{
	tf->rflags = (tf->rflags & ~(uint64_t)FL_TF) | (vm->step.guest_tf ? FL_TF : 0);
	int own = tf->vector == 1 ? dr_own_step(vm, vm->step.guest_tf) : 0;
	if (!own)
		return 0;               /* (not yet: the step stays open; selfmod_leave decides) */
	close_step(vm);
	/* The #DB was the VMM's: the guest gets it only for a TF of its own or a breakpoint of its
	 * own that hit at the same time (vm_trap_general's dr_guest_db then takes the rest of DR6). */
	return own == 1;
}

void selfmod_leave(struct vm *vm, struct trapframe *tf)
{
	if (vm->s.state == VM_RUNNABLE && !vm->halted && tf->rip == vm->step.rip && tf->cs == vm->step.cs)
		tf->rflags |= FL_TF;
	else
		close_step(vm);
}
