/* hwtlb.c - install, probe and invalidate entries of the hardware TLB. Callers restore EntryHi
 * (the running guest's machine ASID) afterwards through asid_apply(). */
#include "hwtlb.h"
#include "mips.h"

/* An entry that can never match: a distinct VPN2 in kseg0, which the TLB never translates. */
static void write_unique(unsigned idx)
{
	mtc0(CP0_ENTRYHI, 0, KSEG0 + (idx << 13));
	mtc0(CP0_ENTRYLO0, 0, 0);
	mtc0(CP0_ENTRYLO1, 0, 0);
	mtc0(CP0_INDEX, 0, idx);
	tlbwi();
}

void hwtlb_flush_all(void)
{
	mtc0(CP0_PAGEMASK, 0, 0);
	for (unsigned i = 0; i < TLB_ENTRIES; i++)
		write_unique(i);
}

void hwtlb_install(uint32_t vpn2, unsigned masid, uint32_t lo0, uint32_t lo1)
{
	mtc0(CP0_ENTRYHI, 0, vpn2 | masid);
	tlbp();
	int32_t idx = (int32_t)mfc0(CP0_INDEX, 0);
	mtc0(CP0_ENTRYLO0, 0, lo0);
	mtc0(CP0_ENTRYLO1, 0, lo1);
	if (idx >= 0)
		tlbwi();
	else
		tlbwr();
}

void hwtlb_invalidate(uint32_t vpn2, unsigned masid)
{
	mtc0(CP0_ENTRYHI, 0, vpn2 | masid);
	tlbp();
	int32_t idx = (int32_t)mfc0(CP0_INDEX, 0);
	if (idx >= 0)
		write_unique((unsigned)idx);
}

int hwtlb_probe(uint32_t va, unsigned masid, uint32_t *ma)
{
	mtc0(CP0_ENTRYHI, 0, (va & EHI_VPN2) | masid);
	tlbp();
	if ((int32_t)mfc0(CP0_INDEX, 0) < 0)
		return -1;
	tlbr();
	uint32_t lo = (va & 0x1000) ? mfc0(CP0_ENTRYLO1, 0) : mfc0(CP0_ENTRYLO0, 0);
	if (!(lo & ELO_V))
		return -1;
	*ma = (ELO_PFN(lo) << 12) | (va & 0xfff);
	return 0;
}

void hwtlb_refill(uint32_t vpn2, unsigned masid, uint32_t lo0, uint32_t lo1)
{
	/* Only after a refill exception: no entry matches, so a random slot is safe. */
	mtc0(CP0_ENTRYHI, 0, vpn2 | masid);
	mtc0(CP0_ENTRYLO0, 0, lo0);
	mtc0(CP0_ENTRYLO1, 0, lo1);
	tlbwr();
}
