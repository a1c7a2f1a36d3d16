/* kseg_interp.c - interpreter for the guest's unmapped (kseg0/kseg1) code; see kseg_interp.h. */
#include "kseg_interp.h"
#include "cp0_emul.h"
#include "mmio.h"
#include "gmem.h"
#include "branch.h"
#include "timer.h"
#include "mips.h"

#define STEP_LIMIT 100000

static int unmapped(uint32_t pc) { return pc >= KSEG0 && pc < KSEG2; }

/* Execute one non-branch instruction. CP0_DONE / CP0_JUMPED / CP0_WAIT / CP0_BAD. */
static int exec(struct vm *vm, uint32_t i, uint32_t pc)
{
	uint32_t *r = vm->f.r;
	unsigned op = i >> 26, rs = (i >> 21) & 31, rt = (i >> 16) & 31, rd = (i >> 11) & 31;
	unsigned sa = (i >> 6) & 31;
	uint32_t imm = i & 0xffff, simm = (uint32_t)(int32_t)(int16_t)imm, v;

	switch (op) {
	case 0x00:
		switch (i & 63) {
		case 0x00: v = r[rt] << sa; break;
		case 0x02: v = r[rt] >> sa; break;
		case 0x03: v = (uint32_t)((int32_t)r[rt] >> sa); break;
		case 0x0f: return CP0_DONE;                       /* sync */
		case 0x21: v = r[rs] + r[rt]; break;
		case 0x23: v = r[rs] - r[rt]; break;
		case 0x24: v = r[rs] & r[rt]; break;
		case 0x25: v = r[rs] | r[rt]; break;
		case 0x26: v = r[rs] ^ r[rt]; break;
		case 0x27: v = ~(r[rs] | r[rt]); break;
		case 0x2a: v = (int32_t)r[rs] < (int32_t)r[rt]; break;
		case 0x2b: v = r[rs] < r[rt]; break;
		default: return CP0_BAD;
		}
		if (rd)
			r[rd] = v;
		return CP0_DONE;
	case 0x09: v = r[rs] + simm; break;
	case 0x0a: v = (int32_t)r[rs] < (int32_t)simm; break;
	case 0x0b: v = r[rs] < simm; break;
	case 0x0c: v = r[rs] & imm; break;
	case 0x0d: v = r[rs] | imm; break;
	case 0x0e: v = r[rs] ^ imm; break;
	case 0x0f: v = imm << 16; break;
	case 0x10: case 0x2f:
		return cp0_exec(vm, i, pc);
	default:
		switch (mmio_insn(vm, i)) {
		case 0: return CP0_DONE;
		case 1: return CP0_BAD;
		default: return CP0_JUMPED;   /* VM stopped; pc irrelevant */
		}
	}
	if (rt)
		r[rt] = v;
	return CP0_DONE;
}

void kseg_interp(struct vm *vm)
{
	for (int n = 0; vm->s.state == VM_RUNNABLE && unmapped(vm->f.pc); n++) {
		uint32_t pc = vm->f.pc, i, slot, next;
		int res;
		if (n > STEP_LIMIT) {
			vm_fail(vm, "runs away in unmapped code at 0x%08x", pc);
			return;
		}
		vm->st.interp_insns++;
		if (gmem_fetch(vm, pc, &i) < 0) {
			vm_fail(vm, "fetch from unmapped 0x%08x outside guest memory", pc);
			return;
		}
		if (is_branch(i)) {
			int nul = branch_eval(&vm->f, pc, i, &next);
			if (!nul) {
				if (gmem_fetch(vm, pc + 4, &slot) < 0 || is_branch(slot) ||
				    (res = exec(vm, slot, pc + 4)) == CP0_BAD || res == CP0_JUMPED) {
					vm_fail(vm, "cannot interpret the delay slot at 0x%08x", pc + 4);
					return;
				}
			}
			vm->f.pc = next;
			continue;
		}
		res = exec(vm, i, pc);
		if (res == CP0_BAD) {
			vm_fail(vm, "cannot interpret instruction 0x%08x at unmapped 0x%08x", i, pc);
			return;
		}
		if (res == CP0_JUMPED)
			continue;
		vm->f.pc = pc + 4;
		if (res == CP0_WAIT) {
			timer_wait(vm);
			return;
		}
	}
}
