/* tlb_refill.c - Figure B.6: what happens when a guest misses in the TLB under the VMM.
 *
 * The steps, as trace=tlb prints them:
 *   [1] The guest (its user process or its kernel) touches a page the real TLB does not map. The
 *       hardware takes a TLB refill exception, and because the VMM owns the machine, it is the
 *       VMM's refill vector that runs, not the guest's (vectors.S -> vmm_trap -> tlb_refill).
 *   [2] With the L2 software TLB on, the VMM looks up (guest ASID, VPN2). A hit holds a VPN->MFN
 *       pair built earlier; it goes straight into the hardware TLB and the guest retries the
 *       access, never knowing it missed. (A miss on an entry that is still in the guest's own,
 *       virtual, TLB is handled the same way: on real hardware it would have been a hit.)
 *   [3] Otherwise the miss is the guest's business: reflect.c sets the virtual EPC, Cause,
 *       BadVAddr, Context and EntryHi, sets *virtual* EXL and resumes the guest at its own refill
 *       vector, still deprivileged.
 *   [4] The guest's handler walks its page table and executes mtc0 EntryLo0/1 and tlbwr. Those
 *       are privileged, so each traps (coprocessor unusable) into cp0_emul.c; at tlbwr the VMM
 *       plays its trick: tlb_guest_write() translates the guest's PFNs through the VM's pmap and
 *       installs VPN->MFN instead of VPN->PFN, and records the pair in the L2 TLB.
 *   [5] The guest's eret traps too; the VMM does the real return to the faulting instruction,
 *       which now hits in the TLB and reaches the machine frame. */
#include "tlb_refill.h"
#include "vtlb.h"
#include "l2tlb.h"
#include "hwtlb.h"
#include "asid.h"
#include "gmem.h"
#include "reflect.h"
#include "mips.h"
#include "console.h"
#include "../../vcpu/trace.h"

static int in_unmapped(uint32_t va) { return va >= KSEG0 && va < KSEG2; }

/* Build the machine EntryLo pair for the 4 KiB page pair at vpn2 from guest entry e. */
static int machine_pair(struct vm *vm, const struct vtlb_entry *e, uint32_t vpn2,
			uint32_t *lo0, uint32_t *lo1)
{
	uint32_t elo, gfn;
	vtlb_half(e, vpn2, &elo, &gfn);
	if (gmem_machine_elo(vm, elo, gfn, lo0) < 0)
		return -1;
	vtlb_half(e, vpn2 + 0x1000, &elo, &gfn);
	if (gmem_machine_elo(vm, elo, gfn, lo1) < 0)
		return -1;
	return 0;
}

static void install(struct vm *vm, const struct vtlb_entry *e, uint32_t vpn2, int refill)
{
	uint32_t lo0, lo1;
	unsigned key = vtlb_global(e) ? L2TLB_GLOBAL : (e->hi & EHI_ASID);
	unsigned masid = asid_machine(vm, vtlb_global(e) ? (vm->c.entryhi & EHI_ASID) : key);
	if (machine_pair(vm, e, vpn2, &lo0, &lo1) < 0) {
		vm_fail(vm, "tlb entry for va 0x%08x names pfn 0x%x/0x%x outside guest memory "
			"at epc 0x%08x", vpn2, ELO_PFN(e->lo0), ELO_PFN(e->lo1), vm->f.pc);
		return;
	}
	if (refill)
		hwtlb_refill(vpn2, masid, lo0, lo1);
	else
		hwtlb_install(vpn2, masid, lo0, lo1);
	if (cfg.l2tlb)
		l2tlb_insert(&vm->l2, vpn2, key, lo0, lo1);
	if (trace_on(TRACE_TLB))
		kprintf("vmm: trace tlb: [4] install va 0x%08x asid %u: guest pfn 0x%x/0x%x -> "
			"machine mfn 0x%x/0x%x (masid %u)%s\n", vpn2, key, ELO_PFN(e->lo0),
			ELO_PFN(e->lo1), ELO_PFN(lo0), ELO_PFN(lo1), masid,
			cfg.l2tlb ? ", recorded in L2 TLB" : "");
}

/* Tracing shows whole Figure B.6 flows (first few reflected misses), plus the first two of each
 * shortcut (L2 TLB hit, guest-TLB hit), so the early flood of kernel-window misses does not eat
 * the budget. */
static int trace_refill(struct vm *vm, uint32_t badva, int kind)
{
	static int shown[3];
	if (kind < 2 && shown[kind] >= 2)
		return 0;
	if (!trace_begin(TRACE_TLB))
		return 0;
	shown[kind]++;
	kprintf("vmm: trace tlb: [1] vm%u misses on va 0x%08x asid %u at epc 0x%08x (%s mode) "
		"-> VMM refill handler\n", vm->s.id, badva, vm->c.entryhi & EHI_ASID, vm->f.pc,
		guest_kernel(vm) ? "guest-kernel" : "guest-user");
	return 1;
}

void tlb_refill(struct vm *vm, uint32_t badva)
{
	unsigned asid = vm->c.entryhi & EHI_ASID;
	uint32_t vpn2 = badva & EHI_VPN2, lo0, lo1;

	/* [1] we are here: the hardware sent the guest's miss to the VMM. */
	vm->st.refills++;
	/* [2] the L2 software TLB */
	if (cfg.l2tlb) {
		vm->st.l2_lookups++;
		if (l2tlb_lookup(&vm->l2, vpn2, asid, &lo0, &lo1)) {
			vm->st.refill_l2_hits++;
			hwtlb_refill(vpn2, asid_machine(vm, asid), lo0, lo1);
			if (trace_refill(vm, badva, 0)) {
				kprintf("vmm: trace tlb: [2] L2 TLB hit: va 0x%08x -> mfn 0x%x/0x%x "
					"installed, guest retries at 0x%08x\n", vpn2, ELO_PFN(lo0),
					ELO_PFN(lo1), vm->f.pc);
				trace_end(TRACE_TLB);
			}
			return;
		}
	}
	/* ...or a hit in the guest's own TLB, which the hardware TLB had dropped. */
	int i = vtlb_match(vm, badva, asid);
	if (i >= 0) {
		vm->st.refill_vtlb_hits++;
		int traced = trace_refill(vm, badva, 1);
		if (traced)
			kprintf("vmm: trace tlb: [2] %shit in the guest's (virtual) TLB entry %d\n",
				cfg.l2tlb ? "L2 TLB miss; " : "", i);
		install(vm, &vm->tlb[i], vpn2, 1);
		if (traced)
			trace_end(TRACE_TLB);
		return;
	}
	/* [3] the guest's refill handler must run. */
	vm->st.refill_reflected++;
	if (trace_refill(vm, badva, 2))
		kprintf("vmm: trace tlb: [2] %snot in the guest's TLB either\n",
			cfg.l2tlb ? "L2 TLB miss; " : "");
	unsigned exc = (vm->f.cause & CA_EXC) >> CA_EXC_SHIFT;
	reflect(vm, exc, 0x000, (vm->f.cause & CA_BD) != 0, badva);
}

void tlb_guest_write(struct vm *vm, unsigned idx, int random)
{
	struct vcp0 *c = &vm->c;
	struct vtlb_entry *old = &vm->tlb[idx], e;
	uint32_t g = c->entrylo0 & c->entrylo1 & ELO_G;

	vm->st.guest_tlbw++;
	e.mask = c->pagemask & 0x1fffe000u;
	e.hi = c->entryhi & ~e.mask & (EHI_VPN2 | EHI_ASID);
	e.lo0 = (c->entrylo0 & 0x03fffffeu) | g;
	e.lo1 = (c->entrylo1 & 0x03fffffeu) | g;
	int valid = (e.lo0 | e.lo1) & ELO_V;
	int old_valid = (old->lo0 | old->lo1) & ELO_V;
	uint32_t vpn2 = e.hi & EHI_VPN2;

	/* Bad input: a valid mapping of a frame the VM does not have. */
	uint32_t npages = ((e.mask | 0x1fff) + 1) >> 13;
	for (int h = 0; h < 2 && !in_unmapped(vpn2); h++) {
		uint32_t lo = h ? e.lo1 : e.lo0;
		if ((lo & ELO_V) && (uint64_t)ELO_PFN(lo) + npages > vm->pm.nframes) {
			vm_fail(vm, "tlbw%s of pfn 0x%x outside guest memory at epc 0x%08x",
				random ? "r" : "i", ELO_PFN(lo), vm->f.pc);
			return;
		}
	}
	/* Overwriting or invalidating an entry on purpose (tlbwi), or writing an invalid one:
	 * everything we cached beyond the guest's TLB may now be stale. Moving the VM to fresh
	 * machine ASIDs and flushing its L2 TLB forgets it all in O(1). A tlbwr only evicts, and
	 * what it evicts stays correct: we keep it, as a TLB larger than the guest's. */
	if ((!random && old_valid) || !valid) {
		asid_retire_all(vm);
		l2tlb_flush_all(&vm->l2);
	}
	*old = e;
	if (!valid || in_unmapped(vpn2) || e.mask)
		return;   /* large pages are installed 4 KiB at a time, on refill */
	unsigned key = g ? L2TLB_GLOBAL : (e.hi & EHI_ASID);
	if (cfg.l2tlb)
		l2tlb_drop(&vm->l2, vpn2, key);
	install(vm, &e, vpn2, 0);
}

void tlb_guest_probe_miss(struct vm *vm, uint32_t vpn2, unsigned asid)
{
	/* The guest looked for a page and the (virtual) TLB has none: it is about to change that
	 * page's mapping. If the L2 TLB or the hardware still hold an old copy, drop it. */
	if (in_unmapped(vpn2))
		return;
	l2tlb_drop(&vm->l2, vpn2, asid);
	l2tlb_drop(&vm->l2, vpn2, L2TLB_GLOBAL);
	hwtlb_invalidate(vpn2, asid_machine(vm, asid));
}
