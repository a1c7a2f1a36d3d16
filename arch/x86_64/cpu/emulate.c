/* emulate.c - trap-and-emulate: the privileged instructions a 32-bit kernel executes.
 *
 * At ring 1 with IOPL 0 each of these raises #GP and lands here, with the guest's registers in the
 * trap frame. We decode the instruction at the guest's EIP with our own decoder, carry out its
 * effect on the *virtual* CPU (struct vm) -- never on the real one -- and resume the guest after
 * it. cli/sti change the virtual IF; mov cr3 installs a new (empty) shadow; lgdt rebuilds the
 * ring-compressed GDT; lldt gives the VM a compressed LDT; in/out reach the VM's virtual devices;
 * hlt gives the CPU away. Memory operands go through the guest's segments (base, limit, type:
 * segments.c), then its pages, then RAM or devices (gmem.c), as the guest's own access would. */
#include "vm.h"
#include "../cpu.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

static uint64_t *reg(struct trapframe *tf, unsigned r)
{
	uint64_t *regs[8] = { &tf->rax, &tf->rcx, &tf->rdx, &tf->rbx, &tf->rsp, &tf->rbp, &tf->rsi, &tf->rdi };
	return regs[r & 7];
}

int fetch_insn(struct vm *vm, struct trapframe *tf, uint32_t eip, struct x86_insn *in, uint8_t *bytes,
	       const struct patch *known)
{
	uint32_t e, fa, n;
	struct seg cs;
	if (seg_get(vm, tf, X86_SEG_CS, &cs) < 0) {
		cs.base = 0;
		cs.big = 1;
	}
	uint32_t la = cs.base + eip;                      /* CS:EIP */
	int user = guest_cpl(tf) == 3, mode = cs.big ? 32 : 16;   /* D = 0: 16-bit code, as a CPU runs it */
	/* The bytes up to the end of the page first; the next page only if the instruction goes on
	 * there (the CPU fetches it then too: a fault there is the guest's #PF, and nothing beyond the
	 * instruction is read, which could be a device's register). */
	n = 4096 - (la & 0xFFF);
	if (n > 15)
		n = 15;
	if (guest_read(vm, la, bytes, n, user, &e, &fa) < 0) {
		guest_pf(vm, tf, e, fa);
		return -1;
	}
	if (bytes[0] == 0xCC) {
		const struct patch *p = known ? known : patch_at(vm, la);
		if (p)
			bytes[0] = p->orig;              /* decode what the guest wrote, not our int3 */
	}
	int r = x86_decode(bytes, n, mode, in);
	if (r == X86_ERR_TRUNCATED && n < 15) {
		if (guest_read(vm, la + n, bytes + n, 15 - n, user, &e, &fa) < 0) {
			guest_pf(vm, tf, e, fa);
			return -1;
		}
		n = 15;
		r = x86_decode(bytes, n, mode, in);
	}
	if (r <= 0) {
		reflect(vm, tf, 6, REFLECT_EXC, 0);   /* #UD, as the CPU would */
		return -1;
	}
	return 0;
}

/* The offset and segment of the instruction's memory operand (-1: it has none). */
static int mem_operand(struct trapframe *tf, const struct x86_insn *in, uint32_t *off, enum x86_seg *seg)
{
	struct x86_regs32 r = { (uint32_t)tf->rax, (uint32_t)tf->rcx, (uint32_t)tf->rdx, (uint32_t)tf->rbx,
				(uint32_t)tf->rsp, (uint32_t)tf->rbp, (uint32_t)tf->rsi, (uint32_t)tf->rdi };
	return x86_effective_address32(in, &r, off, seg);
}

static int read_operand16(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, uint16_t *v)
{
	uint32_t off;
	enum x86_seg seg;
	if (!(in->flags & X86_F_MEM)) {
		*v = (uint16_t)*reg(tf, in->rm);
		return 0;
	}
	mem_operand(tf, in, &off, &seg);
	return seg_read(vm, tf, seg, off, v, 2);
}

/* SS := sel as the guest's CPL 0 would load it (RPL 0, a writable DPL-0 data segment), with RPL 1
 * for the ring the guest kernel really runs in: 1, or 0 after reflecting the guest's #GP(sel). */
static int load_ss(struct vm *vm, struct trapframe *tf, uint16_t sel)
{
	if ((sel & 3) != 0 || !seg_check(vm, sel, 0, 0)) {
		reflect(vm, tf, 13, REFLECT_EXC_ERR, sel & ~3u);
		return 0;
	}
	tf->ss = (sel & ~3u) | 1;
	return 1;
}

static void set_cr0(struct vm *vm, uint32_t v)
{
	uint32_t changed = vm->cr0 ^ v;
	vm->cr0 = v | 0x10;                      /* ET is hardwired to 1 */
	if (changed & (CR0_MP | CR0_EM | CR0_TS | CR0_NE))
		xfeat_cr0(vm);                   /* the real CR0 has them while the guest runs */
	if (changed & (CR0_PG | CR0_WP | CR0_PE))
		guest_paging_changed(vm, changed & (CR0_PG | CR0_WP | CR0_PE), 0);
	if (changed & CR0_PG) {
		/* The tables' linear addresses map elsewhere now: trace their new frames, and read the
		 * IDT again (the CPU reads a gate through the paging of the moment it is used). */
		seg_trace_tables(vm);
		seg_load_idt(vm);
		seg_install(vm);
	}
}

/* in/out: one access of 1, 2 or 4 bytes to a virtual device. */
static void port_io(struct vm *vm, struct trapframe *tf, uint16_t port, unsigned size, int write)
{
	uint32_t v = write ? (uint32_t)tf->rax : 0;
	vm_count(vm, EXIT_IO);
	vm->io_touched = 1;
	if (!vio_port(&vm->io, port, size, write, &v, now_ns()) && !write)
		v = 0xFFFFFFFFu;
	vm_check_power(vm);
	if (!write) {
		uint64_t mask = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFULL;
		tf->rax = size == 4 ? v : (tf->rax & ~mask) | (v & mask);
	}
}

/* ins/outs, with or without rep: one port access per element, memory at ES:EDI (ins; no override)
 * or DS:ESI (outs; a segment prefix may name another), through the segment's base and limit, with
 * SI/DI/CX instead when the address size is 16; the index steps by the element size in the direction
 * EFLAGS.DF says. Like a real CPU taking an interrupt in the middle of a rep, at most a batch of
 * elements is done per trap: ECX/ESI/EDI are left describing the rest and EIP stays on the
 * instruction (returns 1), so a guest with ECX = 4 billion cannot hold the VMM (and the other VMs)
 * for minutes. Memory outside RAM is what the guest's own access would find (mmio_phys). */
#define STRING_IO_BATCH 4096
static int string_io(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, unsigned size)
{
	int out = in->kind == X86_K_OUTS, rep = (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) != 0;
	uint16_t port = (uint16_t)tf->rdx;
	int32_t step = (tf->rflags & 0x400) ? -(int32_t)size : (int32_t)size;
	uint64_t *ptr = out ? &tf->rsi : &tf->rdi;
	uint32_t amask = in->addrsize == 16 ? 0xFFFFu : 0xFFFFFFFFu;
	enum x86_seg seg = out ? ((in->prefixes & X86_PFX_SEG) ? (enum x86_seg)in->seg : X86_SEG_DS) : X86_SEG_ES;
	uint32_t count = rep ? (uint32_t)tf->rcx & amask : 1, done = 0, probed = 1;   /* (no page is at 1) */
	while (count) {
		if (done++ == STRING_IO_BATCH)
			return 1;
		uint32_t v = 0, off = (uint32_t)*ptr & amask;
		if (out && seg_read(vm, tf, seg, off, &v, size) < 0)
			return -1;                        /* EIP still at the instruction: it restarts */
		if (!out) {
			/* The destination is checked (segment, then page) before the port is read, so a
			 * fault loses no data from a device: the instruction restarts at this element. */
			uint32_t la, gpa, fl, e;
			if (seg_linear(vm, tf, seg, off, size, 1, &la) < 0)
				return -1;
			uint32_t first = la & ~0xFFFu, last = (la + size - 1) & ~0xFFFu;
			for (uint32_t pg = first;; pg = last) {
				uint32_t a = pg == first ? la : pg;
				if (pg != probed && guest_walk(vm, a, 1, 0, &gpa, &fl, &e) < 0) {
					guest_pf(vm, tf, e, a);
					return -1;
				}
				probed = pg;
				if (pg == last)
					break;
			}
		}
		vm_count(vm, EXIT_IO);
		vm->io_touched = 1;
		if (!vio_port(&vm->io, port, size, out, &v, now_ns()) && !out)
			v = 0xFFFFFFFFu;
		vm_check_power(vm);
		if (vm->s.state != VM_RUNNABLE)
			return 0;              /* off or stopped: the rest does not matter */
		if (!out && seg_write(vm, tf, seg, off, &v, size) < 0)
			return -1;
		*ptr = (*ptr & ~(uint64_t)amask) | ((off + (uint32_t)step) & amask);
		*ptr &= 0xFFFFFFFFu;
		count--;
		if (rep)
			tf->rcx = ((tf->rcx & ~(uint64_t)amask) | count) & 0xFFFFFFFFu;
	}
	return 0;
}

static int emulate_msr(struct vm *vm, struct trapframe *tf, int write)
{
	uint64_t v = ((tf->rdx & 0xFFFFFFFF) << 32) | (tf->rax & 0xFFFFFFFF);
	if (msr_access(vm, (uint32_t)tf->rcx, write, &v) < 0)
		return -1;
	if (!write) {
		tf->rax = (uint32_t)v;
		tf->rdx = (uint32_t)(v >> 32);
	}
	return 0;
}

/* sti with IF clear opens the STI shadow: no interrupt until after the next instruction. The VMM
 * delivers a pending one at its next chance all the same -- before that instruction, which the
 * guest cannot tell apart -- but for sti; hlt, how a kernel idles without losing its wake-up:
 * that pair is done here as one instruction, so a pending interrupt wakes the hlt and returns
 * after it, as on hardware (the fast and direct paths leave the pair to this one). Not with TF:
 * the single step traps after the sti (the SDM holds debug traps back only after MOV SS and POP
 * SS; QEMU's TCG traps after the next instruction: tests/fuzz 9:7073). Returns the bytes taken
 * after the sti (the hlt). */
static unsigned guest_sti(struct vm *vm, struct trapframe *tf, uint32_t next)
{
	unsigned extra = 0;
	struct seg cs;
	uint8_t b;
	uint32_t e, fa;
	if (!vm->vif) {
		if (!(tf->rflags & FL_TF) && seg_get(vm, tf, X86_SEG_CS, &cs) == 0 &&
		    guest_read(vm, cs.base + next, &b, 1, 0, &e, &fa) == 0 && b == 0xF4) {
			vm->halted = 1;                  /* (the hlt: B.5) */
			vm_count(vm, EXIT_HLT);
			extra = 1;
		}
	}
	vm->vif = FL_IF;
	return extra;
}

/* The guest kernel's instruction that raised `vector` at ring 1: #GP for the privileged ones, #UD
 * for stac and clac (ring 0 only; they act on EFLAGS.AC, which is real: the CPU's SMAP check
 * reads it at ring 1 too). Returns 0 for a fault the guest must see. */
static int emulate(struct vm *vm, struct trapframe *tf, unsigned vector)
{
	uint8_t bytes[16];
	struct x86_insn in;
	uint32_t eip = (uint32_t)tf->rip;
	if (fetch_insn(vm, tf, eip, &in, bytes, 0) < 0)
		return 1;                            /* a fault was reflected instead */
	if ((vector == 6) != (in.kind == X86_K_STAC || in.kind == X86_K_CLAC))
		return 0;
	uint32_t off, e, fa;
	enum x86_seg seg;
	unsigned size = (in.flags & X86_F_BYTEOP) ? 1 : in.opsize / 8;
	uint16_t sel;
	int io_port = -1;                            /* an in or out: its port (for I/O breakpoints) */

	if (in.map == X86_MAP_0F && in.opcode == 0xB2 && vector == 13 && (in.flags & X86_F_MEM)) {
		/* lss r, m16:32 with an RPL-0 selector: as mov ss (below), and the register takes the
		 * offset once SS has loaded (tests/fuzz 9:2505). */
		uint8_t fp[6];
		unsigned osz = in.opsize == 16 ? 2 : 4;
		if (mem_operand(tf, &in, &off, &seg) < 0 || seg_read(vm, tf, seg, off, fp, osz + 2) < 0 ||
		    !load_ss(vm, tf, (uint16_t)(fp[osz] | fp[osz + 1] << 8)))
			return 1;
		uint64_t *r = reg(tf, in.reg);
		*r = osz == 2 ? (*r & ~0xFFFFull) | (uint16_t)(fp[0] | fp[1] << 8) :
				(uint32_t)(fp[0] | fp[1] << 8 | fp[2] << 16 | (uint32_t)fp[3] << 24);
		vm_count(vm, EXIT_PRIV);
		tf->rip = eip + in.length;
		return 1;
	}
	switch (in.kind) {
	case X86_K_CLI:
		vm->vif = 0;
		break;
	case X86_K_STI:
		tf->rip = eip + in.length + guest_sti(vm, tf, eip + in.length);
		vm_count(vm, EXIT_PRIV);
		return 1;
	case X86_K_HLT:
		if (!vm->vif) {
			vm_fail(vm, "hlt with interrupts disabled at %08x: the machine would hang forever", eip);
			return 1;
		}
		vm->halted = 1;                      /* the scheduler gives the CPU away (B.5) */
		vm_count(vm, EXIT_HLT);
		break;
	case X86_K_IN_IMM:
	case X86_K_IN_DX:
	case X86_K_OUT_IMM:
	case X86_K_OUT_DX:
		io_port = in.kind == X86_K_IN_IMM || in.kind == X86_K_OUT_IMM ? (uint8_t)in.imm : (uint16_t)tf->rdx;
		port_io(vm, tf, (uint16_t)io_port, size, in.kind == X86_K_OUT_IMM || in.kind == X86_K_OUT_DX);
		break;
	case X86_K_LGDT:
	case X86_K_LIDT: {
		uint8_t d[6];
		if (mem_operand(tf, &in, &off, &seg) < 0) {
			reflect(vm, tf, 6, REFLECT_EXC, 0);
			return 1;
		}
		if (seg_read(vm, tf, seg, off, d, 6) < 0)
			return 1;
		uint16_t lim;
		uint32_t base;
		memcpy(&lim, d, 2);
		memcpy(&base, d + 2, 4);
		if (in.opsize == 16)
			base &= 0x00FFFFFF;
		if (in.kind == X86_K_LGDT) {
			static uint64_t old[GUEST_GDT_MAX];   /* one vCPU at a time runs this */
			unsigned old_n = vm->gdt_n;
			memcpy(old, vm->gdt, old_n * 8);
			vm->gdtr.limit = lim;
			vm->gdtr.base = base;
			seg_load_gdt(vm);
			seg_keep_cached(vm, tf, old, old_n);
			if (!seg_check(vm, (uint16_t)tf->cs, 1, 0) || !seg_check(vm, (uint16_t)tf->ss, 0, 0)) {
				vm_fail(vm, "lgdt at %08x leaves CS %#lx or SS %#lx unusable (not a usable code or stack segment)", eip,
					tf->cs, tf->ss);
				return 1;
			}
		} else {
			vm->idtr.limit = lim;
			vm->idtr.base = base;
			seg_load_idt(vm);
		}
		seg_install(vm);
		seg_trace_tables(vm);
		break;
	}
	case X86_K_LLDT: {
		if (read_operand16(vm, tf, &in, &sel) < 0)
			return 1;
		int vec = seg_lldt(vm, sel);
		if (vec) {
			reflect(vm, tf, (unsigned)vec, REFLECT_EXC_ERR, sel & ~3u);   /* #GP(sel) or #NP(sel) */
			return 1;
		}
		seg_install(vm);                         /* the real LDTR now points at its copy */
		seg_trace_tables(vm);
		break;
	}
	case X86_K_LTR: {
		uint64_t d;
		if (read_operand16(vm, tf, &in, &sel) < 0)
			return 1;
		if (seg_guest_desc(vm, sel, &d) < 0 || ((d >> 40) & 0x1D) != 0x09 || !(d & (1ULL << 47))) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, sel & ~3u);   /* not an available TSS */
			return 1;
		}
		/* Like the CPU: mark the guest's TSS descriptor busy, in the guest's own GDT. */
		d |= 1ULL << 41;
		guest_write(vm, vm->gdtr.base + (sel & ~7u), &d, 8, 0, &e, &fa);
		struct seg ts;
		seg_from_desc(d, &ts);
		vm->tr = sel;
		vm->tr_base = ts.base;
		break;
	}
	case X86_K_MOV_TO_CR: {
		uint32_t v = (uint32_t)*reg(tf, in.rm);
		switch (in.reg) {
		case 0:
			if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD))) {
				/* paging without protection; not-write-through without cache-disable
				 * (SDM, MOV to CR0: #GP(0) for both -- QEMU's TCG takes either, fuzz
				 * 50:3482 and 56:1003) */
				reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
				return 1;
			}
			if (!(v & CR0_PE)) {
				/* Back to real mode (fuzz 3:2346 went on through zeroed memory natively): the
				 * VMM runs protected-mode guests only, as with v8086 -- it stops the VM rather
				 * than run on in protected mode as if the guest had not asked. */
				vm_fail(vm, "guest cleared CR0.PE at %08x: real mode is not virtualized", eip);
				return 1;
			}
			set_cr0(vm, v);
			break;
		case 2: vm->cr2 = v; break;
		case 3: vm->cr3 = v; guest_cr3_written(vm); break;   /* a new address space */
		case 4:
			if (v & 0x20) {
				vm_fail(vm, "guest enabled PAE paging at %08x: only 2-level paging is virtualized", eip);
				return 1;
			}
			uint32_t was = vm->cr4;
			if (xfeat_write_cr4(vm, v) < 0) {     /* a bit this CPU does not have */
				reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
				return 1;
			}
			if ((was ^ v) & (CR4_PSE | CR4_PGE))
				guest_paging_changed(vm, 0, (was ^ v) & (CR4_PSE | CR4_PGE));
			break;
		default:
			reflect(vm, tf, 6, REFLECT_EXC, 0);
			return 1;
		}
		break;
	}
	case X86_K_MOV_FROM_CR: {
		uint32_t v;
		switch (in.reg) {
		case 0: v = vm->cr0; break;
		case 2: v = vm->cr2; break;
		case 3: v = vm->cr3; break;
		case 4: v = vm->cr4; break;
		default:
			reflect(vm, tf, 6, REFLECT_EXC, 0);
			return 1;
		}
		*reg(tf, in.rm) = v;
		break;
	}
	case X86_K_MOV_TO_DR:
	case X86_K_MOV_FROM_DR: {                    /* the guest's breakpoints (debugreg.c) */
		uint32_t v = (uint32_t)*reg(tf, in.rm);
		unsigned vector;
		if (dr_access(vm, in.reg, in.kind == X86_K_MOV_TO_DR, &v, &vector) < 0) {
			reflect(vm, tf, vector, REFLECT_EXC, 0);
			return 1;
		}
		if (in.kind == X86_K_MOV_FROM_DR)
			*reg(tf, in.rm) = v;
		break;
	}
	case X86_K_CLTS:
		vm->cr0 &= ~CR0_TS;
		xfeat_cr0(vm);
		break;
	case X86_K_LMSW: {
		uint16_t v;
		if (read_operand16(vm, tf, &in, &v) < 0)
			return 1;
		set_cr0(vm, (vm->cr0 & ~0xEu) | (v & 0xF) | (vm->cr0 & 1));   /* lmsw cannot clear PE */
		break;
	}
	case X86_K_INVLPG: {
		if (mem_operand(tf, &in, &off, &seg) < 0) {
			reflect(vm, tf, 6, REFLECT_EXC, 0);
			return 1;
		}
		guest_invlpg(vm, seg_base(vm, tf, seg) + off);   /* (invlpg checks no limit) */
		break;
	}
	case X86_K_WBINVD:
	case X86_K_INVD:
		break;
	case X86_K_RDMSR:
	case X86_K_WRMSR:
		if (emulate_msr(vm, tf, in.kind == X86_K_WRMSR) < 0) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);   /* an MSR this virtual CPU lacks: #GP */
			return 1;
		}
		break;
	case X86_K_SYSEXIT:
		if (!emulate_sysexit(vm, tf)) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
			return 1;
		}
		vm_count(vm, EXIT_PRIV);
		return 1;                                /* EIP and ESP are the guest's EDX and ECX */
	case X86_K_RDPMC:
		reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
		return 1;
	case X86_K_STAC:
	case X86_K_CLAC:
		if ((in.prefixes & X86_PFX_LOCK) || !xfeat_has_smap())
			return 0;                            /* the #UD of a CPU without SMAP */
		tf->rflags = in.kind == X86_K_STAC ? tf->rflags | FL_AC : tf->rflags & ~(uint64_t)FL_AC;
		break;
	case X86_K_XSETBV:                           /* (with CR4.OSXSAVE clear it was a #UD) */
		if (xfeat_xsetbv(vm, (uint32_t)tf->rcx, ((tf->rdx & 0xFFFFFFFF) << 32) | (tf->rax & 0xFFFFFFFF)) < 0) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
			return 1;
		}
		break;
	case X86_K_MOV_TO_SREG:
		/* mov ss, r/m with an RPL-0 selector faults at ring 1: load it with RPL 1 instead. An
		 * RPL of 2 or 3 faults here too, and is the guest's #GP: its CPL is 0 (tests/fuzz). */
		if (read_operand16(vm, tf, &in, &sel) < 0)
			return 1;
		if (in.sreg != X86_SEG_SS) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, sel & ~3u);   /* the CPU's #GP(sel) stands */
			return 1;
		}
		if (!load_ss(vm, tf, sel))
			return 1;
		vm->ss_shadow = vm->irq_hold = 1;
		break;
	case X86_K_POP_SREG: {
		/* pop ss: the same, with the selector from the stack (ESP moves only if SS loads; a
		 * fault is reflected on the stack as it was: 1:55). */
		uint32_t v = 0, n = in.opsize == 16 ? 2 : 4;
		struct seg ss;
		if (in.sreg != X86_SEG_SS)
			return 0;
		if (seg_get(vm, tf, X86_SEG_SS, &ss) < 0)
			ss.big = 1;
		if (stack_read(vm, tf, (uint32_t)tf->rsp, &v, n) < 0 || !load_ss(vm, tf, (uint16_t)v))
			return 1;
		tf->rsp = sp_add(&ss, (uint32_t)tf->rsp, (int32_t)n);
		vm->ss_shadow = vm->irq_hold = 1;
		break;
	}
	case X86_K_RET_FAR: {
		/* retf to the guest kernel's own ring (a popped CS with RPL 0): at ring 1 the CPU sees
		 * a return to an inner ring and raises #GP(CS). Done as at CPL 0: pop EIP and CS (and
		 * imm16 more bytes), CS loaded with RPL 1. An outer return (RPL 3) never comes here. */
		unsigned osz = in.opsize == 16 ? 2 : 4;
		uint32_t fr[2] = { 0, 0 };
		uint16_t fr16[2] = { 0, 0 };
		struct seg ss;
		if (stack_read(vm, tf, (uint32_t)tf->rsp, osz == 2 ? (void *)fr16 : (void *)fr, 2 * osz) < 0)
			return 1;
		if (osz == 2) {
			fr[0] = fr16[0];
			fr[1] = fr16[1];
		}
		if ((fr[1] & 3) != 0)
			return 0;
		if (!seg_kernel_code(vm, tf, (uint16_t)fr[1]))
			return 1;
		if (seg_get(vm, tf, X86_SEG_SS, &ss) < 0)
			ss.big = 1;
		tf->rsp = sp_add(&ss, (uint32_t)tf->rsp, (int32_t)(2 * osz + (in.opcode == 0xCA ? (uint16_t)in.imm : 0)));
		tf->cs = (fr[1] & ~3u) | 1;
		tf->rip = fr[0];
		vm_count(vm, EXIT_PRIV);
		return 1;
	}
	case X86_K_SGDT:
	case X86_K_SIDT:
	case X86_K_SLDT:
	case X86_K_STR:
	case X86_K_SMSW:
		/* one the patcher did not reach (code entered mid-instruction): the real CR4.UMIP
		 * makes it fault at ring 1 (xfeat.c) */
		if (emulate_sys_read(vm, tf, &in) < 0)
			return 1;
		break;
	case X86_K_CALL_FAR:
	case X86_K_JMP_FAR:
		/* to a TSS or task gate (at ring 1 the CPU refuses the guest's DPL-0 TSS), or a far
		 * call the patcher did not reach */
		if (!emulate_far(vm, tf, &in, eip + in.length))
			return 0;
		vm_count(vm, EXIT_PRIV);
		return 1;
	case X86_K_INS:
	case X86_K_OUTS: {
		int r = string_io(vm, tf, &in, size);
		if (r < 0)
			return 1;                            /* a fault was reflected */
		if (r > 0) {
			vm_count(vm, EXIT_PRIV);
			return 1;                            /* more to do: resume at the same instruction */
		}
		break;
	}
	default:
		return 0;                                    /* a real #GP: the guest's to handle */
	}
	vm_count(vm, EXIT_PRIV);
	tf->rip = eip + in.length;
	if (io_port >= 0 && vm->s.state == VM_RUNNABLE)
		dr_io_hit(vm, tf, (uint16_t)io_port, size);
	return 1;
}

int emulate_privileged(struct vm *vm, struct trapframe *tf) { return emulate(vm, tf, 13); }

int emulate_umip(struct vm *vm, struct trapframe *tf)
{
	/* Popek and Goldberg's problem on x86: sgdt, sidt, sldt, str and smsw are unprivileged, and
	 * at the guest's ring 3 (where nothing is patched) they would show the VMM's tables, TR and
	 * CR0. Where the CPU has UMIP the VMM keeps it on while guests run (xfeat.c), so they fault:
	 * answered here with the guest's own registers -- unless the guest set CR4.UMIP itself, and
	 * then the #GP(0) is its own. (Without UMIP they cannot be caught: docs/NOTES.md.) */
	uint8_t bytes[16];
	struct x86_insn in;
	if (tf->error || !xfeat_umip_forced() || (vm->cr4 & CR4_UMIP))
		return 0;
	if (fetch_insn(vm, tf, (uint32_t)tf->rip, &in, bytes, 0) < 0)
		return 1;
	if (in.kind != X86_K_SGDT && in.kind != X86_K_SIDT && in.kind != X86_K_SLDT && in.kind != X86_K_STR &&
	    in.kind != X86_K_SMSW)
		return 0;
	if (emulate_sys_read(vm, tf, &in) < 0)
		return 1;
	vm_count(vm, EXIT_PRIV);
	tf->rip = (uint32_t)tf->rip + in.length;
	return 1;
}
int emulate_ud(struct vm *vm, struct trapframe *tf) { return emulate(vm, tf, 6); }
