/* gmem.c - guest memory access for the VMM (see gmem.h). */
#include "gmem.h"
#include "vtlb.h"
#include "hwtlb.h"
#include "asid.h"
#include "mips.h"

void *gmem_ptr(struct vm *vm, uint32_t gpa)
{
	mfn_t m;
	if (gpa >= vm->ram_bytes || pmap_lookup(&vm->pm, gpa >> 12, &m) < 0)
		return 0;
	return (char *)frame_to_virt(m) + (gpa & 0xfff);
}

int gmem_machine_elo(struct vm *vm, uint32_t elo, uint32_t gfn, uint32_t *mlo)
{
	mfn_t m;
	if (!(elo & ELO_V)) {
		*mlo = 0;
		return 0;
	}
	if ((uint64_t)gfn >= vm->pm.nframes || pmap_lookup(&vm->pm, gfn, &m) < 0)
		return -1;
	*mlo = ((uint32_t)m << ELO_PFN_SHIFT) | (elo & (ELO_C | ELO_D | ELO_V));
	return 0;
}

int gmem_fetch(struct vm *vm, uint32_t va, uint32_t *insn)
{
	uint32_t ma, gpa;
	void *p = 0;
	if (va >= KSEG0 && va < KSEG2) {
		p = gmem_ptr(vm, va & 0x1fffffff);
	} else if (hwtlb_probe(va, asid_machine(vm, vm->c.entryhi & EHI_ASID), &ma) == 0) {
		/* The instruction was just fetched, so the real TLB holds its page. */
		p = kseg0(ma);
	} else if (vtlb_translate(vm, va, vm->c.entryhi & EHI_ASID, &gpa) == 0) {
		p = gmem_ptr(vm, gpa);
	}
	asid_apply(vm);
	if (!p || (va & 3))
		return -1;
	*insn = *(uint32_t *)p;
	return 0;
}
