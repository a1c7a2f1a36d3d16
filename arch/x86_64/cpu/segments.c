/* segments.c - ring compression: the real GDT a guest runs on, built from the GDT it loaded.
 *
 * The guest kernel thinks it runs at ring 0; it really runs at ring 1. So every code or data
 * descriptor the guest wrote with DPL 0 gets DPL 1 in the real GDT, and its selectors (RPL 0)
 * still work at CPL 1. What never reaches the real GDT: 64-bit code segments (a way out of
 * compatibility mode), system descriptors (TSS, LDT, gates: the guest's TSS is virtual and read
 * from its memory at each reflection), and anything in the VMM's own slots at the top.
 * The guest never sees the difference: sgdt, str, reads of CS/SS are patched (patch.c) to show
 * the guest's own values, with RPL 0 where the guest expects it. */
#include "vm.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"
#include "../../../mm/assert.h"

#define D_PRESENT (1ULL << 47)
#define D_S       (1ULL << 44)   /* code/data (not system) */
#define D_CODE    (1ULL << 43)
#define D_LONG    (1ULL << 53)
#define D_DPL(d)  (((d) >> 45) & 3)
#define D_ACCESSED (1ULL << 40)

uint16_t sel_to_guest(uint16_t real)
{
	return (real & 3) == 1 ? (uint16_t)(real & ~3u) : real;
}

/* One guest descriptor -> the real one. */
static uint64_t compress(uint64_t d)
{
	if (!(d & D_PRESENT) || !(d & D_S))
		return 0;                                  /* system descriptors stay virtual */
	if ((d & D_CODE) && (d & D_LONG))
		return 0;                                  /* no 64-bit code below ring 0 */
	if (D_DPL(d) == 0)
		d |= 1ULL << 45;                           /* DPL 0 -> DPL 1 */
	return d | D_ACCESSED;                             /* the CPU need not write it back */
}

int seg_guest_desc(struct vm *vm, uint16_t sel, uint64_t *desc)
{
	uint32_t idx = sel >> 3, e, fa;
	if ((sel & 4) || idx == 0 || idx * 8 + 7 > vm->gdtr.limit)
		return -1;
	return guest_read(vm, vm->gdtr.base + idx * 8, desc, 8, 0, &e, &fa);
}

void seg_load_gdt(struct vm *vm)
{
	unsigned n = (vm->gdtr.limit + 1u) / 8;
	if (n > GUEST_GDT_MAX) {
		log_warn("seg", "%s: guest GDT has %u entries; only the first %u are usable", vm->name, n,
			 GUEST_GDT_MAX);
		n = GUEST_GDT_MAX;
	}
	vm->gdt_n = n;
	vm->gdt[0] = 0;
	for (unsigned i = 1; i < n; i++) {
		uint64_t d = 0;
		uint32_t e, fa;
		if (guest_read(vm, vm->gdtr.base + i * 8, &d, 8, 0, &e, &fa) < 0)
			d = 0;
		vm->gdt[i] = compress(d);
	}
}

/* A CPU caches a segment's descriptor when the selector is loaded; a new GDT (or a changed entry)
 * takes effect for a segment register only when it is loaded again. Linux's startup code relies on
 * it: it loads a GDT in which the CS and DS selectors it runs on are empty, then far-jumps. The
 * real GDT is reloaded by the CPU at every return to the guest, so after `lgdt` the VMM keeps the
 * old descriptors of the selectors in use in their real slots ("stale"), and puts the guest's own
 * entries back once no segment register holds those selectors any more (seg_frame_ok).
 * Only an empty (not present) new entry is covered this way; while it is stale, a guest load of
 * that selector would find the old descriptor instead of faulting (#NP): a known, small gap. */
void seg_keep_cached(struct vm *vm, struct trapframe *tf, const uint64_t *old, unsigned old_n)
{
	uint64_t *regs[6] = { &tf->cs, &tf->ss, &tf->ds, &tf->es, &tf->fs, &tf->gs };
	for (int r = 0; r < 6; r++) {
		uint16_t sel = (uint16_t)*regs[r];
		unsigned idx = sel >> 3;
		if ((sel & 4) || idx == 0 || idx >= old_n || !(old[idx] & D_PRESENT))
			continue;
		/* A usable new descriptor takes over at once: the guest's next load of this selector,
		 * which the VMM does not see, would load it. Only an empty or unusable one leaves the
		 * old descriptor in place, since no load of it could succeed anyway. */
		if (idx < vm->gdt_n && (vm->gdt[idx] & D_PRESENT) && !((vm->gdt[idx] ^ old[idx]) & D_CODE))
			continue;
		/* A present descriptor the VMM refuses (64-bit code, a system descriptor) is not "empty":
		 * the guest could load it next, so nothing stale may stand in for it. */
		uint64_t g;
		if (seg_guest_desc(vm, sel, &g) == 0 && (g & D_PRESENT))
			continue;
		unsigned k = 0;
		while (k < vm->nstale && vm->stale[k].idx != idx)
			k++;
		if (k == SEG_STALE_MAX)
			continue;
		if (k == vm->nstale) {
			vm->stale[k].idx = (uint16_t)idx;
			vm->nstale++;
		}
		vm->stale[k].guest = idx < vm->gdt_n ? vm->gdt[idx] : 0;
		vm->gdt[idx] = old[idx];
		if (idx >= vm->gdt_n) {
			for (unsigned i = vm->gdt_n; i < idx; i++)
				vm->gdt[i] = 0;
			vm->gdt_n = idx + 1;
		}
	}
}

static void seg_drop_stale(struct vm *vm, struct trapframe *tf)
{
	uint64_t *regs[6] = { &tf->cs, &tf->ss, &tf->ds, &tf->es, &tf->fs, &tf->gs };
	for (unsigned k = 0; k < vm->nstale;) {
		int used = 0;
		for (int r = 0; r < 6; r++)
			used |= !((uint16_t)*regs[r] & 4) && ((uint16_t)*regs[r] >> 3) == vm->stale[k].idx;
		if (used) {
			k++;
			continue;
		}
		unsigned idx = vm->stale[k].idx;
		vm->gdt[idx] = vm->stale[k].guest;
		gdt[idx] = vm->gdt[idx];
		vm->stale[k] = vm->stale[--vm->nstale];
	}
}

int seg_check(struct vm *vm, uint16_t sel, int code, unsigned cpl)
{
	unsigned idx = sel >> 3;
	if ((sel & 4) || idx == 0 || idx >= vm->gdt_n)
		return 0;
	uint64_t d = vm->gdt[idx];
	if (!(d & D_PRESENT) || !!(d & D_CODE) != !!code)
		return 0;
	unsigned real_cpl = cpl == 0 ? 1 : cpl;
	if (code)
		return D_DPL(d) == real_cpl;
	/* data / stack: writable, DPL equal to the CPL that will use it as SS */
	return (d & (1ULL << 41)) && D_DPL(d) == real_cpl;
}

/* The IDT part of ring compression: a real gate's DPL says who may reach vector v with INT n.
 * The guest's gate DPL 0 becomes 1 (the guest kernel runs there). Vectors where the CPU pushes
 * an error code stay DPL 0: an INT n to them would leave our frame without one; a guest INT n
 * there gets #GP, which is reflected. The VMM's own IRQ vectors, NMI and #MC also stay DPL 0. */
void seg_load_idt(struct vm *vm)
{
	for (unsigned v = 0; v < 256; v++) {
		uint8_t dpl = 0;
		uint64_t g = 0;
		uint32_t e, fa;
		int errcode = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
		int vmm_irq = (v >= IRQ_BASE && v < IRQ_BASE + 16) || v == 2 || v == 18;   /* + NMI, #MC */
		if (!errcode && !vmm_irq && v * 8 + 7 <= vm->idtr.limit &&
		    guest_read(vm, vm->idtr.base + v * 8, &g, 8, 0, &e, &fa) == 0 && (g & D_PRESENT)) {
			dpl = (uint8_t)D_DPL(g);
			if (dpl == 0)
				dpl = 1;
		}
		vm->idt_dpl[v] = dpl;
	}
	/* int3 is how patched instructions reach the VMM, so the guest kernel (ring 1) must always be
	 * able to execute it, whatever the guest's own gate says (a user int3 still obeys the guest). */
	if (vm->idt_dpl[3] == 0)
		vm->idt_dpl[3] = 1;
}

void seg_install(struct vm *vm)
{
	/* The boundary: nothing a guest can load leads to ring 0 or to 64-bit code. */
	for (unsigned i = 0; i < vm->gdt_n; i++) {
		uint64_t d = vm->gdt[i];
		assert(!(d & D_PRESENT) || ((d & D_S) && D_DPL(d) >= 1 && !((d & D_CODE) && (d & D_LONG))));
	}
	memcpy(gdt, vm->gdt, vm->gdt_n * 8);
	memset(&gdt[vm->gdt_n], 0, (GUEST_GDT_MAX - vm->gdt_n) * 8);
	for (unsigned v = 0; v < 256; v++)
		idt_set_dpl(v, vm->idt_dpl[v]);
}

/* The boundary check before every return to a guest: trap_return reloads DS/ES/FS/GS and iretq
 * reloads CS/SS from the real GDT, at ring 0, so each must name a usable descriptor there or the
 * VMM itself would fault. Data selectors the guest's GDT no longer backs (a real CPU would keep
 * their cached descriptors; we cannot) become null; a CS or SS that is unusable stops the VM. */
int seg_frame_ok(struct vm *vm, struct trapframe *tf)
{
	unsigned cpl = guest_cpl(tf);
	if (vm->nstale)
		seg_drop_stale(vm, tf);
	if (!seg_check(vm, (uint16_t)tf->cs, 1, cpl) || !seg_check(vm, (uint16_t)tf->ss, 0, cpl))
		return 0;
	uint64_t *data[4] = { &tf->ds, &tf->es, &tf->fs, &tf->gs };
	for (int i = 0; i < 4; i++) {
		uint16_t sel = (uint16_t)*data[i];
		unsigned idx = sel >> 3;
		uint64_t d = idx && !(sel & 4) && idx < vm->gdt_n ? vm->gdt[idx] : 0;
		int usable = (d & D_PRESENT) && (!(d & D_CODE) || (d & (1ULL << 41)));
		if (!usable)
			*data[i] = 0;
	}
	return 1;
}
