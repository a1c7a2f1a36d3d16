/* cp0_emul.c - the guest's CP0 as the VMM keeps it: mfc0/mtc0 of the registers an OS uses, the
 * four TLB instructions (on the virtual TLB; tlbwi/tlbwr go on to tlb_refill.c, Figure B.6 step
 * 4), eret (step 5: the real return), wait (give the CPU away), di/ei and cache. */
#include "cp0_emul.h"
#include "tlb_refill.h"
#include "vtlb.h"
#include "gmem.h"
#include "branch.h"
#include "timer.h"
#include "mips.h"
#include "console.h"
#include "../../vcpu/trace.h"

#define RT(i) (((i) >> 16) & 31)
#define RD(i) (((i) >> 11) & 31)

unsigned cp0_random(struct vm *vm)
{
	unsigned w = vm->c.wired & 63;
	return w + mfc0(CP0_COUNT, 0) % (64 - w);
}

static uint32_t read_reg(struct vm *vm, unsigned reg, unsigned sel)
{
	struct vcp0 *c = &vm->c;
	switch (reg * 8 + sel) {
	case 0 * 8: return c->index;
	case 1 * 8: return cp0_random(vm);
	case 2 * 8: return c->entrylo0;
	case 3 * 8: return c->entrylo1;
	case 4 * 8: return c->context;
	case 5 * 8: return c->pagemask;
	case 6 * 8: return c->wired;
	case 7 * 8: return c->hwrena;
	case 8 * 8: return c->badvaddr;
	case 9 * 8: return mfc0(CP0_COUNT, 0);
	case 10 * 8: return c->entryhi;
	case 11 * 8: return c->compare;
	case 12 * 8: return c->status;
	case 12 * 8 + 1: return c->intctl;
	case 13 * 8: timer_check(vm); return c->cause;
	case 14 * 8: return c->epc;
	case 15 * 8: return mfc0(15, 0);
	case 15 * 8 + 1: return c->ebase;
	case 16 * 8: return mfc0(16, 0);
	case 16 * 8 + 1: return mfc0(16, 1);
	case 16 * 8 + 2: return mfc0(16, 2);
	case 16 * 8 + 3: return mfc0(16, 3);
	case 17 * 8: return c->lladdr;
	case 30 * 8: return c->errorepc;
	}
	return 0;   /* unimplemented registers read as zero */
}

void cp0_write_reg(struct vm *vm, unsigned reg, unsigned sel, uint32_t v)
{
	struct vcp0 *c = &vm->c;
	switch (reg * 8 + sel) {
	case 0 * 8: c->index = v & 63; break;
	case 2 * 8: c->entrylo0 = v & 0x03ffffffu; break;
	case 3 * 8: c->entrylo1 = v & 0x03ffffffu; break;
	case 4 * 8: c->context = (c->context & 0x007ffff0u) | (v & 0xff800000u); break;
	case 5 * 8: c->pagemask = v & 0x1fffe000u; break;
	case 6 * 8: c->wired = v & 63; break;
	case 7 * 8: c->hwrena = v & 0xf; mtc0(CP0_HWRENA, 0, c->hwrena); break;
	case 9 * 8: break;   /* Count is the machine's; writes are ignored (see README) */
	case 10 * 8: c->entryhi = v & (EHI_VPN2 | EHI_ASID); break;
	case 11 * 8:
		c->compare = v;
		c->cause &= ~(CA_IP7 | CA_TI);
		vm->timer_armed = 1;
		break;
	case 12 * 8: {
		uint32_t m = 0xf040ff1fu;   /* CU, BEV, IM, KSU, ERL, EXL, IE */
		c->status = (c->status & ~m) | (v & m);
		break;
	}
	case 12 * 8 + 1: c->intctl = v; break;
	case 13 * 8: c->cause = (c->cause & ~0x00800300u) | (v & 0x00800300u); break;
	case 14 * 8: c->epc = v; break;
	case 15 * 8 + 1: c->ebase = 0x80000000u | (v & 0x3ffff000u); break;
	case 17 * 8: c->lladdr = v; break;
	case 30 * 8: c->errorepc = v; break;
	}
}

int cp0_exec(struct vm *vm, uint32_t i, uint32_t pc)
{
	struct vcp0 *c = &vm->c;
	unsigned rs = (i >> 21) & 31;
	vm->st.cp0_emul++;
	if ((i >> 26) == 0x2f)
		return CP0_DONE;              /* cache: nothing to do for us */
	if ((i >> 26) != 0x10)
		return CP0_BAD;
	if (rs == 0) {                         /* mfc0 */
		if (RT(i))
			vm->f.r[RT(i)] = read_reg(vm, RD(i), i & 7);
		return CP0_DONE;
	}
	if (rs == 4) {                         /* mtc0 */
		cp0_write_reg(vm, RD(i), i & 7, vm->f.r[RT(i)]);
		return CP0_DONE;
	}
	if (rs == 0x0b && RD(i) == 12) {       /* di / ei */
		if (RT(i))
			vm->f.r[RT(i)] = c->status;
		c->status = (i & 0x20) ? (c->status | ST_IE) : (c->status & ~ST_IE);
		return CP0_DONE;
	}
	if (!(rs & 0x10))
		return CP0_BAD;
	switch (i & 63) {
	case 0x01: {                           /* tlbr */
		struct vtlb_entry *e = &vm->tlb[c->index & 63];
		c->entryhi = e->hi;
		c->entrylo0 = e->lo0;
		c->entrylo1 = e->lo1;
		c->pagemask = e->mask;
		return CP0_DONE;
	}
	case 0x02:                             /* tlbwi */
		tlb_guest_write(vm, c->index & 63, 0);
		return CP0_DONE;
	case 0x06:                             /* tlbwr */
		if (trace_on(TRACE_TLB))
			kprintf("vmm: trace tlb: [4] guest tlbwr traps at 0x%08x: va 0x%08x guest pfn "
				"0x%x/0x%x\n", pc, c->entryhi & EHI_VPN2, ELO_PFN(c->entrylo0),
				ELO_PFN(c->entrylo1));
		tlb_guest_write(vm, cp0_random(vm), 1);
		return CP0_DONE;
	case 0x08: {                           /* tlbp */
		int k = vtlb_match(vm, c->entryhi, c->entryhi & EHI_ASID);
		c->index = k >= 0 ? (uint32_t)k : 0x80000000u;
		if (k < 0)
			tlb_guest_probe_miss(vm, c->entryhi & EHI_VPN2, c->entryhi & EHI_ASID);
		return CP0_DONE;
	}
	case 0x18:                             /* eret */
		if (c->status & ST_ERL) {
			vm->f.pc = c->errorepc;
			c->status &= ~ST_ERL;
		} else {
			vm->f.pc = c->epc;
			c->status &= ~ST_EXL;
		}
		vm->nested = 0;
		if (trace_on(TRACE_TLB)) {
			kprintf("vmm: trace tlb: [5] guest eret traps at 0x%08x: real return to "
				"0x%08x (%s mode)\n", pc, vm->f.pc,
				guest_kernel(vm) ? "guest-kernel" : "guest-user");
			trace_end(TRACE_TLB);
		}
		return CP0_JUMPED;
	case 0x20:                             /* wait */
		return CP0_WAIT;
	}
	return CP0_BAD;
}

void cp0_trap(struct vm *vm)
{
	uint32_t pc = vm->f.pc, insn, binsn = 0, next = 0;
	int bd = (vm->f.cause & CA_BD) != 0;
	if (gmem_fetch(vm, bd ? pc + 4 : pc, &insn) < 0 || (bd && gmem_fetch(vm, pc, &binsn) < 0)) {
		vm_fail(vm, "cannot read the instruction at epc 0x%08x", pc);
		return;
	}
	if (bd && branch_eval(&vm->f, pc, binsn, &next) < 0) {
		vm_fail(vm, "bad branch 0x%08x at epc 0x%08x", binsn, pc);
		return;
	}
	int r = cp0_exec(vm, insn, bd ? pc + 4 : pc);
	switch (r) {
	case CP0_BAD:
		vm_fail(vm, "unsupported privileged instruction 0x%08x at epc 0x%08x", insn,
			bd ? pc + 4 : pc);
		return;
	case CP0_JUMPED:
		return;
	case CP0_WAIT:
		timer_wait(vm);
		/* fall through */
	default:
		vm->f.pc = bd ? next : pc + 4;
	}
}
