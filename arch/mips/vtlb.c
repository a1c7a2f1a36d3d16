/* vtlb.c - lookups in the guest's virtual TLB, honouring each entry's page size. */
#include "vtlb.h"
#include "mips.h"

int vtlb_match(const struct vm *vm, uint32_t va, unsigned asid)
{
	for (int i = 0; i < TLB_ENTRIES; i++) {
		const struct vtlb_entry *e = &vm->tlb[i];
		uint32_t m = ~(e->mask | 0x1fff);
		if ((va & m) == (e->hi & m) && (vtlb_global(e) || (e->hi & EHI_ASID) == asid))
			return i;
	}
	return -1;
}

void vtlb_half(const struct vtlb_entry *e, uint32_t va, uint32_t *elo, uint32_t *gfn)
{
	uint32_t page = ((e->mask | 0x1fff) + 1) >> 1;    /* bytes per page of the pair */
	*elo = (va & page) ? e->lo1 : e->lo0;
	*gfn = ELO_PFN(*elo) + ((va & (page - 1)) >> 12);
}

int vtlb_translate(const struct vm *vm, uint32_t va, unsigned asid, uint32_t *gpa)
{
	uint32_t elo, gfn;
	int i = vtlb_match(vm, va, asid);
	if (i < 0)
		return -1;
	vtlb_half(&vm->tlb[i], va, &elo, &gfn);
	if (!(elo & ELO_V))
		return -1;
	*gpa = (gfn << 12) | (va & 0xfff);
	return 0;
}
