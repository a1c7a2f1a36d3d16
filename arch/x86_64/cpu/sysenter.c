/* sysenter.c - the fast system call pair of 32-bit x86, as the guest's SYSENTER MSRs ask.
 *
 * The real CPU cannot do it for the guest: its SYSENTER MSRs belong to the VMM (they point nowhere
 * a guest can use), and in compatibility mode sysenter raises #GP (Intel, SYSENTER_CS 0) or #UD
 * (AMD). Linux's vDSO uses sysenter whenever CPUID shows SEP, which the guest sees unfiltered. So:
 *   1. a guest process executes sysenter -> #GP or #UD from ring 3 -> the VMM;
 *   2. the VMM does what a CPU in protected mode does with the guest's MSRs: CS = SYSENTER_CS,
 *      SS = SYSENTER_CS + 8 (both flat, CPL 0 -- ring 1 here), EIP = SYSENTER_EIP, ESP =
 *      SYSENTER_ESP, IF and VM cleared; SYSENTER_CS 0 gives the guest #GP(0) instead;
 *   3. the guest kernel returns with sysexit, which faults at ring 1 -> the VMM: CS =
 *      SYSENTER_CS + 16, SS = SYSENTER_CS + 24 (RPL 3), EIP = EDX, ESP = ECX.
 * The flat descriptors the CPU would load are the guest's own GDT entries at those selectors
 * (Linux puts its kernel and user segments there, as the instruction requires). */
#include "vm.h"

static int is_insn(struct vm *vm, struct trapframe *tf, enum x86_kind kind)
{
	uint8_t bytes[16];
	struct x86_insn in;
	uint32_t e, fa, la = seg_base(vm, tf, X86_SEG_CS) + (uint32_t)tf->rip;
	if (guest_read(vm, la, bytes, 2, guest_cpl(tf) == 3, &e, &fa) < 0)
		return 0;
	return x86_decode(bytes, 2, 32, &in) == 2 && in.kind == kind;
}

int emulate_sysenter(struct vm *vm, struct trapframe *tf)
{
	if (!is_insn(vm, tf, X86_K_SYSENTER))        /* (from the guest kernel too: any CPL may: 4:5210) */
		return 0;
	uint16_t cs = (uint16_t)vm->msr.sysenter[0] & 0xFFFC;
	if (!cs) {
		reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
		return 1;
	}
	vm_count(vm, EXIT_SYSCALL);
	vm->vif = 0;
	tf->rflags &= ~(uint64_t)(FL_VM | FL_RF);
	tf->cs = cs | 1;                               /* guest CPL 0 is ring 1 */
	tf->ss = (uint16_t)(cs + 8) | 1;
	tf->rip = (uint32_t)vm->msr.sysenter[2];
	tf->rsp = (uint32_t)vm->msr.sysenter[1];
	return 1;
}

int emulate_sysexit(struct vm *vm, struct trapframe *tf)
{
	uint16_t cs = (uint16_t)vm->msr.sysenter[0] & 0xFFFC;
	if (!cs)
		return 0;                                  /* #GP(0), as the CPU gives */
	tf->cs = (uint16_t)(cs + 16) | 3;
	tf->ss = (uint16_t)(cs + 24) | 3;
	tf->rip = (uint32_t)tf->rdx;
	tf->rsp = (uint32_t)tf->rcx;
	return 1;
}
