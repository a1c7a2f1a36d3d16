/* fastpath.c - the short ways through the VMM for the traps a guest takes most often.
 *
 * The general path (run.c vm_trap -> emulate.c / patch.c / reflect.c) decodes every instruction,
 * checks every segment and handles every case a CPU defines. Most traps of a running OS are the
 * same few simple cases: a system call `int 0x80` from a process, the `iret` that ends it, the
 * pushf/popf/cli/sti around its locks, a page fault. Each has a short function -- here, and
 * reflect_fast in reflect.c for delivering a vector through the guest's IDT (Figure B.3, steps 1
 * and 2) -- that does exactly what the general path would do for that case, and gives up
 * (returns 0, having changed nothing) on any other: a segment that is not flat, a page the shadow
 * does not map, a selector that needs a check, tracing on. The general path then handles the trap
 * from the start, so both must agree: the guest suites under the VMM run with the fast paths (the
 * exit line counts them: `fast paths N`) and with the boot option fast=off, which sends every
 * trap the general way, and must give the native verdicts both times.
 *
 * Guest memory is touched through the VM's active shadow (gcopy.asm): a load or store that faults
 * is a page the software walk must see, so the fast path gives up on it.
 *
 * int 0x80 and the patched iret, pushf, popf, cli and sti are tried one step earlier still, by the
 * direct paths in assembly (direct.asm); they come here when those decline (and always with the
 * boot option fast=c, which the tests use so that these stay tested on every trap). */
#include "vm.h"
#include "fast.h"
#include "alu.h"
#include "../cpu.h"
#include "../mmu/traced.h"
#include "../../../vcpu/trace.h"

/* Figure B.3, steps 3 and 4: the guest kernel's patched iret (32-bit, no prefix) back to a
 * process or to itself. */
static int fast_iret(struct vm *vm, struct trapframe *tf)
{
	uint32_t w[5], sp = (uint32_t)tf->rsp;
	if (vm->trace_esp || (tf->rflags & FL_NT) || !gread(sp, w, 12) || (w[2] & (FL_NT | FL_VM)))
		return 0;
	uint16_t cs = (uint16_t)w[1];
	if ((cs & 3) == 3) {
		if (!gread(sp + 12, w + 3, 8) || !flat_pair(vm, &vm->uflat, cs, (uint16_t)w[4], 3))
			return 0;
		tf->rsp = w[3];
		tf->ss = (uint16_t)w[4];
	} else if ((cs & 3) == 0 && flat_code(vm, cs, 0)) {
		cs |= 1;
		tf->rsp = sp + 12;
	} else {
		return 0;
	}
	tf->rip = w[0];
	tf->cs = cs;
	set_guest_eflags(vm, tf, w[2]);
	iret_flags(tf, w[2]);
	return 1;
}

/* int3 at a patch site of the guest kernel: pushf, popf and iret (one byte, no prefix) here. */
static int fast_patched(struct vm *vm, struct trapframe *tf)
{
	if (!flat_kernel(vm, tf))
		return 0;
	const struct patch *p = patch_at(vm, (uint32_t)tf->rip - 1);
	if (!p || p->len != 1)
		return 0;
	uint32_t sp = (uint32_t)tf->rsp, fl;
	switch (p->kind) {
	case X86_K_PUSHF:
		fl = guest_eflags(vm, tf) & ~(FL_VM | FL_RF);
		if (!gwrite(sp - 4, &fl, 4))
			return 0;
		tf->rsp = sp - 4;
		break;
	case X86_K_POPF:
		if (!gread(sp, &fl, 4))
			return 0;
		set_guest_eflags(vm, tf, fl);
		tf->rsp = sp + 4;
		break;
	case X86_K_IRET:
		if (!fast_iret(vm, tf))
			return 0;
		vm_count(vm, EXIT_PATCH);
		return 1;
	default:
		return 0;
	}
	vm_count(vm, EXIT_PATCH);                     /* (EIP is past the int3: past the instruction) */
	return 1;
}

static uint64_t *gpr(struct trapframe *tf, unsigned r)
{
	switch (r & 7) {
	case 0: return &tf->rax;
	case 1: return &tf->rcx;
	case 2: return &tf->rdx;
	case 3: return &tf->rbx;
	case 4: return &tf->rsp;
	case 5: return &tf->rbp;
	case 6: return &tf->rsi;
	default: return &tf->rdi;
	}
}

/* The privileged instructions a guest kernel runs most (#GP at ring 1, IOPL 0), without
 * prefixes: cli, sti (the virtual IF), mov r32 <-> CR0/CR2/CR3/CR4 reads and CR2/CR3 writes, and
 * invlpg (reg). Each does what emulate.c does for it; any other byte sequence goes there. */
static int fast_priv(struct vm *vm, struct trapframe *tf)
{
	uint8_t op[3];
	uint32_t eip = (uint32_t)tf->rip, len;
	/* (three bytes at once, unless they would cross into the next page: then one, for cli/sti) */
	unsigned have = (eip & 0xFFF) <= 0xFFD ? 3 : 1;
	if (tf->error != 0 || !(flat_kernel(vm, tf) || (guest_cpl(tf) == 0 && flat_code(vm, (uint16_t)tf->cs, 0))) ||
	    !gread(eip, op, have))
		return 0;
	if (op[0] == 0xFA || op[0] == 0xFB) {
		if (op[0] == 0xFB && !vm->vif && (have < 3 || op[1] == 0xF4))
			return 0;                /* sti; hlt: one instruction (emulate.c guest_sti) */
		vm->vif = op[0] == 0xFB ? FL_IF : 0;
		len = 1;
	} else if (op[0] != 0x0F || have < 3) {
		return 0;
	} else if (op[1] == 0x20 && (op[2] & 0xC0) == 0xC0) {        /* mov r32, crN */
		unsigned cr = (op[2] >> 3) & 7;
		if (cr != 0 && cr != 2 && cr != 3 && cr != 4)
			return 0;
		*gpr(tf, op[2]) = cr == 0 ? vm->cr0 : cr == 2 ? vm->cr2 : cr == 3 ? vm->cr3 : vm->cr4;
		len = 3;
	} else if (op[1] == 0x22 && (op[2] & 0xF8) == 0xD0) {        /* mov cr2, r32 */
		vm->cr2 = (uint32_t)*gpr(tf, op[2]);
		len = 3;
	} else if (op[1] == 0x22 && (op[2] & 0xF8) == 0xD8) {        /* mov cr3, r32: a new address space */
		vm->cr3 = (uint32_t)*gpr(tf, op[2]);
		guest_cr3_written(vm);
		len = 3;
	} else if (op[1] == 0x01 && (op[2] & 0xF8) == 0x38 && (op[2] & 7) != 4 && (op[2] & 7) != 5) {
		/* invlpg (reg), through DS: its base must be 0 (invlpg checks no limit) */
		uint64_t ds = gdt_desc(vm, (uint16_t)tf->ds);
		if (!(ds & D_PRESENT) || (ds & 0xFF0000FFFFFF0000ULL))
			return 0;
		guest_invlpg(vm, (uint32_t)*gpr(tf, op[2]));
		len = 3;
	} else {
		return 0;
	}
	vm_count(vm, EXIT_PRIV);
	tf->rip = eip + len;
	return 1;
}

/* A guest kernel's store to a page the shadow maps read-only because the VMM must see every
 * write to it: a traced page table (shadow=trace), or a page that holds the guest's GDT, IDT or
 * LDT -- and often the kernel's own variables beside them (guest-x86 keeps its TSS, `current` and
 * its free-frame count in its GDT's page: two or three such writes per context switch). The
 * general path decodes the instruction in full and emulates it through gmem.c; here only the
 * plain forms a kernel compiler emits, without prefixes, from flat code:
 *     88/89 /r    mov r/m, r            A2/A3     mov moffs, al/eax
 *     C6/C7 /0    mov r/m, imm          80/81/83  add/or/adc/sbb/and/sub/xor r/m, imm
 *     FF /0, /1   inc, dec r/m32
 * Such an instruction touches exactly its one memory operand, so the operand is at the faulting
 * address la (CR2) -- an aligned operand cannot cross a page, so CR2 is its first byte; an
 * unaligned one goes the general way. gpa is where the guest's walk found la, writable, in RAM
 * backed by machine frame m.
 * After the write, what gmem.c's store does: the shadow entries made from an overwritten
 * page-table entry are cleared (traced_written), a descriptor table written is read again on the
 * way back (tables_dirty) -- `table` and `seg` say whether the frame is a traced page table and
 * whether it holds descriptor-table bytes, as the caller found. 1 done, 0 nothing done. */
static uint8_t *byte_reg(struct trapframe *tf, unsigned r);

int fast_guarded_write(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, mfn_t m, int seg, int table)
{
	enum { MOV = -1 };
	uint8_t b[8];
	uint32_t eip = (uint32_t)tf->rip, val = 0;
	unsigned size, len, imm = 0;
	int op = MOV;
	if (!fast_paths || (tf->rflags & FL_TF) || !flat_kernel(vm, tf) || !gread(eip, b, 2))
		return 0;
	if (b[0] == 0xA2 || b[0] == 0xA3) {               /* the operand's address follows */
		if (!gread(eip + 1, b + 1, 4) || (b[1] | b[2] << 8 | b[3] << 16 | (uint32_t)b[4] << 24) != la)
			return 0;
		size = b[0] == 0xA3 ? 4 : 1;
		val = (uint32_t)tf->rax;
		len = 5;
	} else {
		unsigned mod = b[1] >> 6, rm = b[1] & 7, reg = (b[1] >> 3) & 7;
		switch (b[0]) {
		case 0x88: case 0x89: break;
		case 0xC6: case 0xC7: if (reg) return 0; imm = b[0] == 0xC7 ? 4 : 1; break;
		case 0x80: case 0x81: case 0x83: if (reg == ALU_CMP) return 0;
			op = (int)reg, imm = b[0] == 0x81 ? 4 : 1; break;
		case 0xFF: if (reg > 1) return 0; op = reg ? ALU_DEC : ALU_INC; break;
		default: return 0;
		}
		if (mod == 3 || !gread(eip + 2, b + 2, 1))
			return 0;
		len = 2;                                  /* opcode, ModRM, a SIB byte, a displacement */
		if (rm == 4)
			len += 1 + (mod == 0 && (b[2] & 7) == 5 ? 4 : 0);
		else if (mod == 0 && rm == 5)
			len += 4;
		len += mod == 1 ? 1 : mod == 2 ? 4 : 0;
		size = b[0] & 1 ? 4 : 1;
		if (b[0] == 0x89)
			val = (uint32_t)*gpr(tf, reg);
		else if (b[0] == 0x88)
			val = *byte_reg(tf, reg);
		else if (imm && !gread(eip + len, &val, imm))     /* the immediate ends the instruction */
			return 0;
		if (b[0] == 0x83)
			val = (uint32_t)(int32_t)(int8_t)val;
		len += imm;
	}
	if (la & (size - 1))
		return 0;
	uint8_t *p = (uint8_t *)frame_to_virt(m) + (gpa & 0xFFF);
	if (op != MOV) {                                  /* read-modify-write, flags as the CPU sets them */
		uint32_t fl = (uint32_t)tf->rflags;
		val = alu((enum alu_op)op, size, size == 4 ? *(uint32_t *)p : *p, val, &fl);
		tf->rflags = (tf->rflags & ~(uint64_t)ALU_STATUS) | (fl & ALU_STATUS);
	}
	uint32_t gfn = gpa >> 12, off = gpa & 0xFFF;
	if (size == 4)
		*(uint32_t *)p = val;
	else
		*p = (uint8_t)val;
	if (seg)
		vm->tables_dirty |= seg_traced_bytes(vm, gfn, off, size);
	if (table)
		traced_written(vm, gfn, off, size);
	tf->rip = eip + len;
	if (vm->dr7 & 0xFF)
		dr_write_hit(vm, tf, la, size);           /* the guest's watchpoint on what it wrote */
	return 1;
}

/* AL, CL, DL, BL, AH, CH, DH, BH: the 8-bit registers of a ModRM reg field without REX. */
static uint8_t *byte_reg(struct trapframe *tf, unsigned r)
{
	return (uint8_t *)gpr(tf, r & 3) + (r >> 2);
}

int fast_paths = 1;

/* trapentry.asm's short way in (fast_common): a guest's #PF, #BP, #GP or int n. The frame holds
 * the guest's registers but not R8-R15. Each case either finishes the trap or changes nothing. */
int fast_entry(struct trapframe *tf)
{
	struct vm *vm = cur;
	/* The general path prints a traced flow's steps; and it alone handles virtual-8086 frames
	 * (a TCG quirk, trap.c), a guest that single-steps (run.c step_trap) and RF (run.c vm_trap). */
	if (!vm || !fast_paths || vm->trace_pending || trace_left(TRACE_SYSCALL | TRACE_TRAP) ||
	    (tf->rflags & (FL_VM | FL_TF | FL_RF)))
		return 0;
	uint64_t t0 = rdtsc();
	vm->trap_kind = EXIT_COUNT;
	switch (tf->vector) {
	case 14:
		/* A page fault has no shorter way than shadow_fault itself (vtlb.c: a hidden one is
		 * filled, a true one reflected through reflect_fast); what it saves here is the general
		 * resume. Nothing it does touches a data selector or leaves a CS or SS unchecked. */
		shadow_fault(vm, tf, (uint32_t)READ_CR(2), (uint32_t)tf->error);
		break;
	case 3:
		if (!fast_patched(vm, tf))
			return 0;
		break;
	case 13:
		if (!fast_priv(vm, tf))
			return 0;
		break;
	case 0x82:                                     /* a hypercall (hypercall.c), or not */
		if (guest_cpl(tf) == 0) {
			if (!hypercall(vm, tf))
				return 0;
			break;
		}
		/* fall through */
	default:                                       /* int n the guest's gate allowed */
		if (tf->vector < 32 || guest_cpl(tf) != 3 || !reflect_fast(vm, tf, (unsigned)tf->vector, REFLECT_SOFT, 0))
			return 0;
		vm_count(vm, EXIT_SYSCALL);
	}
	vm->fast_exits++;
	return fast_leave(vm, t0) ? 1 : 2;
}
