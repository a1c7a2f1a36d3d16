/* mmio.c - guest instructions that touch device memory.
 *
 * Device pages (anything outside the VM's RAM: the APICs, or nothing at all) are never mapped in
 * the shadow, and the BIOS area 0xE0000-0xFFFFF is mapped read-only. A guest access there faults;
 * shadow_fault() sees the guest-physical address and calls mmio_emulate(), which decodes the
 * instruction at CS:EIP and carries it out: its memory operand goes through the guest's segment
 * and page tables like any emulated access (segments.c, gmem.c), and each page of it lands where
 * the guest's own access would -- RAM, the BIOS area (writes dropped), or a device through
 * vio_mmio (the open bus reads all ones and drops writes). So an operand that straddles RAM and a
 * device page, or a rep movs from RAM to a device, is done element by element, page by page.
 * Arithmetic runs on the real CPU (alu.c): the guest gets exactly the flags its instruction would
 * have produced.
 *
 * Emulated: mov (88-8B, C6/C7, A0-A3), movzx/movsx (0F B6/B7/BE/BF), add/or/adc/sbb/and/sub/xor/cmp
 * (00-3B, 80-83), test (84/85, F6/F7 /0), xchg (86/87), inc/dec (FE/FF /0 /1), not/neg (F6/F7 /2 /3),
 * and the string instructions movs, stos, lods (A4/A5, AA/AB, AC/AD) with or without rep, any
 * operand or address size, any segment override. Anything else that reaches device memory stops the
 * VM with a one-line reason naming the instruction's bytes (never a VMM panic). */
#include "vm.h"
#include "alu.h"
#include "../../../lib/kstring.h"

#define PF_FETCH 0x10u
#define STRING_BATCH 4096          /* elements of a rep string per trap (see string_io in emulate.c) */

void mmio_phys(struct vm *vm, uint32_t gpa, void *buf, uint32_t n, int write)
{
	uint8_t *b = buf;
	vm->io_touched = 1;
	while (n) {
		unsigned sz = !(gpa & 3) && n >= 4 ? 4 : !(gpa & 1) && n >= 2 ? 2 : 1;
		uint32_t v = 0;
		if (write)
			memcpy(&v, b, sz);
		vio_mmio(&vm->io, gpa, sz, write, &v, now_ns());
		if (!write)
			memcpy(b, &v, sz);
		gpa += sz;
		b += sz;
		n -= sz;
	}
}

enum { DONE, MORE, FAULT, UNKNOWN };

static uint64_t *gpr(struct trapframe *tf, unsigned r)
{
	uint64_t *regs[8] = { &tf->rax, &tf->rcx, &tf->rdx, &tf->rbx, &tf->rsp, &tf->rbp, &tf->rsi, &tf->rdi };
	return regs[r & 7];
}

/* Register r of the given size: byte registers 4-7 are AH CH DH BH. */
static uint32_t rd_reg(struct trapframe *tf, unsigned r, unsigned size)
{
	if (size == 1)
		return r < 4 ? (uint8_t)*gpr(tf, r) : (uint8_t)(*gpr(tf, r - 4) >> 8);
	uint32_t v = (uint32_t)*gpr(tf, r);
	return size == 2 ? (v & 0xFFFF) : v;
}

static void wr_reg(struct trapframe *tf, unsigned r, unsigned size, uint32_t v)
{
	if (size == 1) {
		unsigned sh = r < 4 ? 0 : 8;
		uint64_t *p = gpr(tf, r & 3);
		*p = (*p & ~(0xFFULL << sh)) | ((uint64_t)(v & 0xFF) << sh);
	} else if (size == 2) {
		uint64_t *p = gpr(tf, r);
		*p = (*p & ~0xFFFFULL) | (v & 0xFFFF);
	} else {
		*gpr(tf, r) = v;                       /* a 32-bit write zero-extends */
	}
}

/* The memory operand: its linear address once the segment allowed the access. */
struct mop {
	uint32_t la;
	unsigned size;
};

/* A read-modify-write is checked for writing before anything is read (no device read happens
 * for an access the CPU would refuse). */
static int probe_write(struct vm *vm, struct trapframe *tf, uint32_t la, unsigned n)
{
	uint32_t gpa, fl, e, last = la + n - 1;
	for (uint32_t a = la;; a = (a & ~0xFFFu) + 0x1000) {
		if (guest_walk(vm, a, 1, guest_cpl(tf) == 3, &gpa, &fl, &e) < 0) {
			guest_pf(vm, tf, e, a);
			return -1;
		}
		if (!((a ^ last) & ~0xFFFu))
			return 0;
	}
}

static int mem_prepare(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, unsigned size, int write,
		       int rmw, struct mop *m)
{
	struct x86_regs32 r = { (uint32_t)tf->rax, (uint32_t)tf->rcx, (uint32_t)tf->rdx, (uint32_t)tf->rbx,
				(uint32_t)tf->rsp, (uint32_t)tf->rbp, (uint32_t)tf->rsi, (uint32_t)tf->rdi };
	uint32_t off;
	enum x86_seg seg;
	x86_effective_address32(in, &r, &off, &seg);
	if (seg_linear(vm, tf, seg, off, size, write, &m->la) < 0)
		return -1;
	m->size = size;
	return rmw ? probe_write(vm, tf, m->la, size) : 0;
}

static int mem_rd(struct vm *vm, struct trapframe *tf, const struct mop *m, uint32_t *v)
{
	uint32_t e, fa;
	*v = 0;
	if (guest_read(vm, m->la, v, m->size, guest_cpl(tf) == 3, &e, &fa) < 0) {
		guest_pf(vm, tf, e, fa);
		return -1;
	}
	return 0;
}

static int mem_wr(struct vm *vm, struct trapframe *tf, const struct mop *m, uint32_t v)
{
	uint32_t e, fa;
	if (guest_write(vm, m->la, &v, m->size, guest_cpl(tf) == 3, &e, &fa) < 0) {
		guest_pf(vm, tf, e, fa);
		return -1;
	}
	return 0;
}

static void set_status(struct trapframe *tf, uint32_t fl)
{
	tf->rflags = (tf->rflags & ~(uint64_t)ALU_STATUS) | (fl & ALU_STATUS);
}

/* op r/m, src (or op src, r/m when to_reg): an ALU operation with one operand in memory. */
static int alu_mem(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, enum alu_op op, unsigned size,
		   uint32_t src, int to_reg)
{
	int stores = op != ALU_CMP && op != ALU_TEST;
	int to_mem = stores && !to_reg;
	struct mop m;
	uint32_t mv, fl = (uint32_t)tf->rflags, res;
	if (mem_prepare(vm, tf, in, size, to_mem, to_mem, &m) < 0 || mem_rd(vm, tf, &m, &mv) < 0)
		return FAULT;
	res = to_reg ? alu(op, size, src, mv, &fl) : alu(op, size, mv, src, &fl);
	if (to_mem && mem_wr(vm, tf, &m, res) < 0)
		return FAULT;
	if (to_reg && stores)
		wr_reg(tf, in->reg, size, res);
	set_status(tf, fl);
	return DONE;
}

/* movs, stos, lods, with or without rep: SI/DI/CX when the address size is 16. Source DS:ESI (a
 * prefix may name another segment), destination ES:EDI (no override). At most a batch of elements
 * per trap: EIP then stays on the instruction with ECX/ESI/EDI describing the rest. */
static int string_mem(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, unsigned size)
{
	uint8_t op = in->opcode & 0xFE;              /* A4 movs, AA stos, AC lods */
	int rep = (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) != 0;
	uint32_t amask = in->addrsize == 16 ? 0xFFFFu : 0xFFFFFFFFu;
	enum x86_seg src = (in->prefixes & X86_PFX_SEG) ? (enum x86_seg)in->seg : X86_SEG_DS;
	uint32_t step = (tf->rflags & 0x400) ? (uint32_t)-size : size;
	uint32_t count = rep ? (uint32_t)tf->rcx & amask : 1, done = 0;
	while (count) {
		if (done++ == STRING_BATCH)
			return MORE;
		uint32_t v = 0, si = (uint32_t)tf->rsi & amask, di = (uint32_t)tf->rdi & amask;
		if (op != 0xAA && seg_read(vm, tf, src, si, &v, size) < 0)
			return FAULT;
		if (op == 0xAA)
			v = rd_reg(tf, 0, size);
		if (op != 0xAC && seg_write(vm, tf, X86_SEG_ES, di, &v, size) < 0)
			return FAULT;
		if (op == 0xAC)
			wr_reg(tf, 0, size, v);
		if (op != 0xAA)
			tf->rsi = (uint32_t)((tf->rsi & ~(uint64_t)amask) | ((si + step) & amask));
		if (op != 0xAC)
			tf->rdi = (uint32_t)((tf->rdi & ~(uint64_t)amask) | ((di + step) & amask));
		count--;
		if (rep)
			tf->rcx = (uint32_t)((tf->rcx & ~(uint64_t)amask) | count);
	}
	return DONE;
}

static int emulate(struct vm *vm, struct trapframe *tf, const struct x86_insn *in)
{
	unsigned osz = in->opsize == 16 ? 2 : 4, op = in->opcode;
	int mem = (in->flags & (X86_F_MEM | X86_F_MOFFS)) != 0;
	struct mop m;
	uint32_t v;

	if (in->map == X86_MAP_0F) {
		if (!mem || (op != 0xB6 && op != 0xB7 && op != 0xBE && op != 0xBF))
			return UNKNOWN;
		unsigned src = (op & 1) ? 2 : 1;               /* movzx/movsx r, r/m8 or r/m16 */
		if (mem_prepare(vm, tf, in, src, 0, 0, &m) < 0 || mem_rd(vm, tf, &m, &v) < 0)
			return FAULT;
		if (op >= 0xBE)
			v = src == 1 ? (uint32_t)(int32_t)(int8_t)v : (uint32_t)(int32_t)(int16_t)v;
		wr_reg(tf, in->reg, osz, v);
		return DONE;
	}
	if (in->map != X86_MAP_1BYTE)
		return UNKNOWN;
	if (op < 0x40 && (op & 7) < 4)                         /* add/or/adc/sbb/and/sub/xor/cmp */
		return mem ? alu_mem(vm, tf, in, (enum alu_op)(op >> 3), (op & 1) ? osz : 1,
				     rd_reg(tf, in->reg, (op & 1) ? osz : 1), op & 2) : UNKNOWN;
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83: {       /* group 1: op r/m, imm */
		unsigned size = op == 0x81 || op == 0x83 ? osz : 1;
		return mem ? alu_mem(vm, tf, in, (enum alu_op)in->reg, size, (uint32_t)in->imm, 0) : UNKNOWN;
	}
	case 0x84: case 0x85: {
		unsigned size = op & 1 ? osz : 1;
		return mem ? alu_mem(vm, tf, in, ALU_TEST, size, rd_reg(tf, in->reg, size), 0) : UNKNOWN;
	}
	case 0x86: case 0x87: {                                /* xchg r/m, r */
		unsigned size = op & 1 ? osz : 1;
		if (!mem)
			return UNKNOWN;
		if (mem_prepare(vm, tf, in, size, 1, 1, &m) < 0 || mem_rd(vm, tf, &m, &v) < 0 ||
		    mem_wr(vm, tf, &m, rd_reg(tf, in->reg, size)) < 0)
			return FAULT;
		wr_reg(tf, in->reg, size, v);
		return DONE;
	}
	case 0x88: case 0x89: case 0xC6: case 0xC7: {          /* mov r/m, r  /  mov r/m, imm */
		unsigned size = op & 1 ? osz : 1;
		if (!mem || (op >= 0xC6 && in->reg != 0))
			return UNKNOWN;
		v = op >= 0xC6 ? (uint32_t)in->imm : rd_reg(tf, in->reg, size);
		if (mem_prepare(vm, tf, in, size, 1, 0, &m) < 0 || mem_wr(vm, tf, &m, v) < 0)
			return FAULT;
		return DONE;
	}
	case 0x8A: case 0x8B: {                                /* mov r, r/m */
		unsigned size = op & 1 ? osz : 1;
		if (!mem)
			return UNKNOWN;
		if (mem_prepare(vm, tf, in, size, 0, 0, &m) < 0 || mem_rd(vm, tf, &m, &v) < 0)
			return FAULT;
		wr_reg(tf, in->reg, size, v);
		return DONE;
	}
	case 0xA0: case 0xA1: case 0xA2: case 0xA3: {          /* mov al/eax <-> moffs */
		unsigned size = op & 1 ? osz : 1;
		int write = op >= 0xA2;
		if (mem_prepare(vm, tf, in, size, write, 0, &m) < 0)
			return FAULT;
		if (write)
			return mem_wr(vm, tf, &m, rd_reg(tf, 0, size)) < 0 ? FAULT : DONE;
		if (mem_rd(vm, tf, &m, &v) < 0)
			return FAULT;
		wr_reg(tf, 0, size, v);
		return DONE;
	}
	case 0xA4: case 0xA5: case 0xAA: case 0xAB: case 0xAC: case 0xAD:
		return string_mem(vm, tf, in, op & 1 ? osz : 1);
	case 0xF6: case 0xF7: {
		unsigned size = op & 1 ? osz : 1;
		if (!mem)
			return UNKNOWN;
		switch (in->reg) {
		case 0: case 1: return alu_mem(vm, tf, in, ALU_TEST, size, (uint32_t)in->imm, 0);
		case 2: return alu_mem(vm, tf, in, ALU_NOT, size, 0, 0);
		case 3: return alu_mem(vm, tf, in, ALU_NEG, size, 0, 0);
		default: return UNKNOWN;                       /* mul, imul, div, idiv */
		}
	}
	case 0xFE: case 0xFF: {
		unsigned size = op & 1 ? osz : 1;
		if (!mem || in->reg > 1)
			return UNKNOWN;                        /* call, jmp, push through device memory */
		return alu_mem(vm, tf, in, in->reg ? ALU_DEC : ALU_INC, size, 0, 0);
	}
	default:
		return UNKNOWN;
	}
}

/* After an emulated instruction: EIP past it (wrapping at 64 KiB in a 16-bit code segment). */
static void advance(struct vm *vm, struct trapframe *tf, uint32_t eip, const struct x86_insn *in)
{
	struct seg cs;
	int big = seg_get(vm, tf, X86_SEG_CS, &cs) < 0 || cs.big;
	tf->rip = big ? eip + in->length : ((eip + in->length) & 0xFFFF);
}

int mmio_emulate(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, uint32_t err)
{
	uint8_t bytes[16];
	struct x86_insn in;
	uint32_t eip = (uint32_t)tf->rip;
	vm_count(vm, EXIT_MMIO);
	if (err & PF_FETCH) {
		vm_fail(vm, "instruction fetch at eip %08x from device memory (linear %08x, gpa %08x): not emulated",
			eip, la, gpa);
		return -1;
	}
	if (fetch_insn(vm, tf, eip, &in, bytes, 0) < 0)
		return 0;                                      /* a fault was given to the guest */
	switch (emulate(vm, tf, &in)) {
	case DONE:
		advance(vm, tf, eip, &in);
		return 0;
	case MORE:                                             /* a rep string goes on next time */
	case FAULT:                                            /* the guest has its fault */
		return 0;
	default: {
		char hex[3 * 16], *h = hex;
		static const char digits[] = "0123456789abcdef";
		for (unsigned i = 0; i < in.length && i < 15; i++) {
			*h++ = digits[bytes[i] >> 4];
			*h++ = digits[bytes[i] & 15];
			*h++ = ' ';
		}
		h[h > hex ? -1 : 0] = 0;
		vm_fail(vm, "instruction %s at eip %08x touches device memory at gpa %08x: not emulated", hex, eip, gpa);
		return -1;
	}
	}
}

int emulate_code_write(struct vm *vm, struct trapframe *tf, uint32_t la)
{
	uint8_t bytes[16];
	struct x86_insn in;
	uint32_t eip = (uint32_t)tf->rip;
	if (fetch_insn(vm, tf, eip, &in, bytes, 0) < 0)
		return 1;                                      /* a fault was given to the guest */
	switch (emulate(vm, tf, &in)) {
	case DONE:
		advance(vm, tf, eip, &in);
		if (vm->dr7 & 0xFF)
			dr_write_hit(vm, tf, la, 1);          /* the guest's watchpoint on what it wrote */
		return 1;
	case MORE:
	case FAULT:
		return 1;
	default:
		return 0;                                      /* not one the emulator knows */
	}
}
