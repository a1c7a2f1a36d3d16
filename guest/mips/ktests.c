/* ktests.c - the kernel half of the KTAP suite (the TLB and CP0 as an OS sees them; the same
 * results natively and under the VMM, with or without the VMM's special page), and the hostile
 * behaviours for the VMM's bad-input tests. */
#include "kernel.h"
#include "cp0.h"
#include "../../lib/kstring.h"

static int n;
static void result(int ok, const char *name) { kprintf("%sok %d %s\n", ok ? "" : "not ", ++n, name); }

static void write_entry(unsigned idx, uint32_t hi, uint32_t lo0, uint32_t lo1)
{
	mtc0(C0_PAGEMASK, 0, 0);
	mtc0(C0_ENTRYHI, 0, hi);
	mtc0(C0_LO0, 0, lo0);
	mtc0(C0_LO1, 0, lo1);
	mtc0(C0_INDEX, 0, idx);
	tlbop("tlbwi");
}

int run_kernel_tests(void)
{
	extern char __kernel_end[];
	/* 1: we run mapped, in kseg2 */
	result((uint32_t)(uintptr_t)&run_kernel_tests >= 0xC0000000u &&
	       (uint32_t)(uintptr_t)__kernel_end < 0xC1000000u, "kernel_runs_in_kseg2");

	/* 2: tlbwi then tlbr gives back what we wrote */
	uint32_t hi = 0x12344000u | 7, lo0 = (0x123u << 6) | 0x1e, lo1 = (0x124u << 6) | 0x1a;
	uint32_t saved = mfc0(C0_ENTRYHI, 0);
	write_entry(5, hi, lo0, lo1);
	mtc0(C0_ENTRYHI, 0, 0);
	mtc0(C0_INDEX, 0, 5);
	tlbop("tlbr");
	result(mfc0(C0_ENTRYHI, 0) == hi && mfc0(C0_LO0, 0) == lo0 && mfc0(C0_LO1, 0) == lo1,
	       "tlb_write_read_back");

	/* 3: tlbp finds it, and misses a different ASID */
	mtc0(C0_ENTRYHI, 0, hi);
	tlbop("tlbp");
	int found = mfc0(C0_INDEX, 0) == 5;
	mtc0(C0_ENTRYHI, 0, 0x12344000u | 8);
	tlbop("tlbp");
	result(found && (mfc0(C0_INDEX, 0) & 0x80000000u), "tlb_probe");

	/* 4: an entry with EntryHi in kseg0 is stored and probed like any other (never used) */
	write_entry(6, 0x80004000u, 0x1e, 0);
	mtc0(C0_ENTRYHI, 0, 0x80004000u);
	tlbop("tlbp");
	result(mfc0(C0_INDEX, 0) == 6, "tlb_kseg0_entryhi");
	write_entry(5, 0x80000000u + (5u << 13), 0, 0);
	write_entry(6, 0x80000000u + (6u << 13), 0, 0);
	mtc0(C0_ENTRYHI, 0, saved);

	/* 5: Count runs */
	uint32_t c0 = mfc0(C0_COUNT, 0);
	for (volatile int i = 0; i < 20000; i++)
		;
	result(mfc0(C0_COUNT, 0) != c0, "count_advances");

	/* 6: Random stays within [Wired, 63] */
	int ok = 1;
	for (int i = 0; i < 200; i++) {
		uint32_t r = mfc0(C0_RANDOM, 0) & 63;
		ok &= r >= mfc0(C0_WIRED, 0);
	}
	result(ok, "random_above_wired");

	/* 7: a register written one way reads back the other way. With the special page, a store
	 * to it must be what the trapping mfc0 sees, and an mtc0 must be what the page then holds;
	 * natively both ways are the instructions. */
	uint32_t epc = mfc0(C0_EPC, 0);
	CP0_SET(CPG_EPC, C0_EPC, 0xc0123454u);
	int same = mfc0(C0_EPC, 0) == 0xc0123454u;
	mtc0(C0_EPC, 0, 0xc0543210u);
	same &= CP0_GET(CPG_EPC, C0_EPC) == 0xc0543210u;
	mtc0(C0_EPC, 0, epc);
	result(same, "cp0_epc_both_ways");

	/* 8: a TLB entry written with EntryHi/EntryLo through the accessors (the page, if any) and
	 * tlbwi is the one tlbr reads back with mfc0; the ASID stored the same way is the one tlbp
	 * matches with. */
	hi = 0x23450000u | 9;
	lo0 = (0x155u << 6) | 0x1e;
	lo1 = (0x156u << 6) | 0x16;
	CP0_SET(CPG_ENTRYHI, C0_ENTRYHI, hi);
	CP0_SET(CPG_ENTRYLO0, C0_LO0, lo0);
	CP0_SET(CPG_ENTRYLO1, C0_LO1, lo1);
	mtc0(C0_PAGEMASK, 0, 0);
	mtc0(C0_INDEX, 0, 7);
	tlbop("tlbwi");
	mtc0(C0_ENTRYHI, 0, 0);
	tlbop("tlbr");
	same = mfc0(C0_ENTRYHI, 0) == hi && mfc0(C0_LO0, 0) == lo0 && mfc0(C0_LO1, 0) == lo1;
	mtc0(C0_INDEX, 0, 0);
	CP0_SET(CPG_ENTRYHI, C0_ENTRYHI, hi);
	tlbop("tlbp");
	same &= mfc0(C0_INDEX, 0) == 7 && CP0_GET(CPG_ENTRYLO1, C0_LO1) == lo1;
	write_entry(7, 0x80000000u + (7u << 13), 0, 0);
	mtc0(C0_ENTRYHI, 0, saved);
	result(same, "tlb_write_through_accessors");
	return n;
}

void hostile(const char *kind)
{
	kprintf("# guest: hostile: %s\n", kind);
	if (!strcmp(kind, "pfn")) {
		/* map a page to a physical frame far beyond our memory */
		mtc0(C0_PAGEMASK, 0, 0);
		mtc0(C0_ENTRYHI, 0, 0x00400000u);
		mtc0(C0_LO0, 0, (0x7ff00u << 6) | 0x1e);
		mtc0(C0_LO1, 0, 0);
		tlbop("tlbwr");
		kprintf("# guest: hostile: survived the tlbwr\n");
	} else if (!strcmp(kind, "loop")) {
		/* vectors that fault: jump to an unmapped user address, forever */
		volatile uint32_t *v = (uint32_t *)0x80000180u;
		v[0] = 0x00000008;   /* jr $zero */
		v[1] = 0;
		*(volatile uint32_t *)0x00001000u = 1;
	} else if (!strcmp(kind, "cp0page")) {
		/* scribble on the VMM's special page (all ones: BEV, ERL, EXL, KSU 3, every CU bit),
		 * then take an exception with nowhere valid to go */
		if (!cp0page) {
			kprintf("# guest: hostile: no special page\n");
			return;
		}
		for (int i = 0; i < 1024; i++)
			cp0page[i] = 0xffffffffu;
		__asm__ volatile("syscall");
		kprintf("# guest: hostile: survived the syscall\n");
	} else if (!strcmp(kind, "kseg1")) {
		/* touch guest-physical memory that does not exist */
		*(volatile uint32_t *)0xa8000000u = 1;
	}
}
