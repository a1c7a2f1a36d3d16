/* reflect.c - exceptions the guest must see are reflected into its handlers (Figure B.3/B.6). */
#include "reflect.h"
#include "mips.h"
#include "../../vcpu/trace.h"
#include "console.h"

#define NESTED_LIMIT 2000   /* reflections without an eret before we call it a loop */

void reflect(struct vm *vm, unsigned exc, uint32_t vec_off, int bd, uint32_t badva)
{
	struct vcp0 *c = &vm->c;
	vm->st.reflected++;
	if (++vm->nested > NESTED_LIMIT) {
		vm_fail(vm, "exception loop: %d exceptions without eret, last exc %u at epc 0x%08x",
			NESTED_LIMIT, exc, vm->f.pc);
		return;
	}
	if (!(c->status & ST_EXL)) {
		c->epc = vm->f.pc;
		c->cause = bd ? (c->cause | CA_BD) : (c->cause & ~CA_BD);
		c->status |= ST_EXL;
	} else {
		vec_off = 0x180;   /* nested: general vector, EPC untouched */
	}
	if (exc == EXC_INT && (c->cause & 0x00800000u))
		vec_off = 0x200;   /* Cause.IV: dedicated interrupt vector */
	c->cause = (c->cause & ~CA_EXC) | (exc << CA_EXC_SHIFT);
	if (exc == EXC_MOD || exc == EXC_TLBL || exc == EXC_TLBS || exc == EXC_ADEL || exc == EXC_ADES)
		c->badvaddr = badva;
	if (exc == EXC_MOD || exc == EXC_TLBL || exc == EXC_TLBS) {
		c->context = (c->context & 0xff800000u) | ((badva >> 9) & 0x007ffff0u);
		c->entryhi = (badva & EHI_VPN2) | (c->entryhi & EHI_ASID);
	}
	uint32_t base = (c->status & ST_BEV) ? 0xbfc00200u : c->ebase;
	if (c->status & ST_BEV) {
		vm_fail(vm, "exception %u at epc 0x%08x with Status.BEV set (no guest vectors)",
			exc, vm->f.pc);
		return;
	}
	vm->f.pc = base + vec_off;
	if (trace_on(TRACE_TLB))
		kprintf("vmm: trace tlb: [3] reflect exc %u to guest vector 0x%08x, virtual EXL=1, "
			"virtual EPC=0x%08x BadVAddr=0x%08x\n", exc, vm->f.pc, c->epc, badva);
}
