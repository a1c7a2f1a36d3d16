/* segments.c - ring compression: the real GDT a guest runs on, built from the GDT it loaded.
 *
 * The guest kernel thinks it runs at ring 0; it really runs at ring 1. So every code or data
 * descriptor the guest wrote with DPL 0 gets DPL 1 in the real GDT, and its selectors (RPL 0)
 * still work at CPL 1. What never reaches the real GDT: the L bit of code segments (64-bit code
 * in long mode, a way out of compatibility mode; a 32-bit CPU ignores it, so it is cleared),
 * system descriptors (TSS, LDT, gates: the guest's TSS is virtual and read from its memory at
 * each reflection), and anything in the VMM's own slots at the top.
 * The guest never sees the difference: sgdt, str, reads of CS/SS are patched (patch.c) to show
 * the guest's own values, with RPL 0 where the guest expects it.
 *
 * The guest's LDT (lldt) gets the same treatment: a compressed copy in struct vm, which the real
 * LDTR points at (a 16-byte LDT descriptor in the VMM's slots at the top of the real GDT) while the
 * VM runs, so selectors with TI=1 work in direct execution as in the emulation. The copy is made at
 * lldt and made again whenever the VMM reloads the VM's segments (seg_install: machine switches,
 * lgdt, lidt, lldt). Writes of the guest to its GDT or LDT pages are not traced: a descriptor the
 * guest changes in memory reaches the real tables at its next lgdt/lldt (or, for the LDT, at the
 * next machine switch), where a real CPU would use it at the next segment load (a known gap).
 *
 * Emulated instructions (emulate.c, patch.c, reflect.c, mmio.c) form their addresses through the
 * same copies: seg_linear() applies the base, the limit (granularity, expand-down, the B bit) and
 * the type of the segment the selector names there, and raises #GP(0), or #SS(0) for SS, as the
 * CPU does. */
#include "vm.h"
#include "../apic.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"
#include "../../../mm/assert.h"

#define D_PRESENT (1ULL << 47)
#define D_S       (1ULL << 44)   /* code/data (not system) */
#define D_CODE    (1ULL << 43)
#define D_LONG    (1ULL << 53)
#define D_DPL(d)  (((d) >> 45) & 3)
#define D_ACCESSED (1ULL << 40)

/* One guest descriptor -> the real one. */
static uint64_t compress(uint64_t d)
{
	if (!(d & D_S))
		return 0;                                  /* system descriptors stay virtual */
	if (!(d & D_PRESENT))
		/* Not present: it stays so (never loadable), so that loading it faults as it would
		 * natively -- #NP, or #SS for a stack -- rather than #GP for an empty slot. */
		return (d & ~D_LONG) | (D_DPL(d) == 0 ? 1ULL << 45 : 0);
	/* The L bit: the VM's CPU is a 32-bit one (EFER.LMA is never set in it), and outside IA-32e
	 * mode the CPU does not look at L (SDM vol. 3A 3.4.5): D alone makes the segment 32-bit or
	 * 16-bit code. The real CPU is in long mode, where L=1 would be 64-bit code (a way out of
	 * compatibility mode): so L is cleared, and the segment is what it is on a 32-bit CPU. */
	if (d & D_CODE)
		d &= ~D_LONG;
	if (D_DPL(d) == 0)
		d |= 1ULL << 45;                           /* DPL 0 -> DPL 1 */
	return d | D_ACCESSED;                             /* the CPU need not write it back */
}

int seg_guest_desc(struct vm *vm, uint16_t sel, uint64_t *desc)
{
	uint32_t idx = sel >> 3, e, fa;
	if (sel & 4) {
		if (!(vm->ldtr & ~3u) || idx * 8 + 7 > vm->ldt_limit)
			return -1;
		return guest_read(vm, vm->ldt_base + idx * 8, desc, 8, 0, &e, &fa);
	}
	if (idx == 0 || idx * 8 + 7 > vm->gdtr.limit)
		return -1;
	return guest_read(vm, vm->gdtr.base + idx * 8, desc, 8, 0, &e, &fa);
}

/* A far call or return of the guest kernel (CPL 0) to a code segment of its own ring: may sel be
 * loaded into CS there? Checked on the guest's own descriptor as the CPU checks it (null: #GP(0);
 * beyond the table, not code -- a call gate or TSS, which the VMM does not do --, or of another
 * ring: #GP(sel); not present: #NP(sel)); that fault is reflected and 0 returned, else 1. */
int seg_kernel_code(struct vm *vm, struct trapframe *tf, uint16_t sel)
{
	uint64_t d;
	if (!(sel & ~3u)) {
		reflect(vm, tf, 13, REFLECT_EXC_ERR, 0);
		return 0;
	}
	if (seg_guest_desc(vm, sel, &d) < 0 || !((d >> 44) & 1) || !(d & D_CODE) ||
	    (((d >> 42) & 1) ? D_DPL(d) != 0 : (D_DPL(d) != 0 || (sel & 3) != 0))) {
		reflect(vm, tf, 13, REFLECT_EXC_ERR, sel & ~3u);
		return 0;
	}
	if (!(d & D_PRESENT) || !seg_check(vm, sel & ~3u, 1, 0)) {
		reflect(vm, tf, 11, REFLECT_EXC_ERR, sel & ~3u);
		return 0;
	}
	return 1;
}

/* The real descriptor a selector names while this VM runs (0 if none). */
static uint64_t real_desc(const struct vm *vm, uint16_t sel)
{
	unsigned idx = sel >> 3;
	if (sel & 4)
		return idx < vm->ldt_n ? vm->ldt[idx] : 0;
	return idx && idx < vm->gdt_n ? vm->gdt[idx] : 0;
}

/* Read n descriptors of a guest table at linear `base` into out[]: in pieces (one page walk per
 * piece, not per entry); an entry the VMM cannot read (not mapped) reads as 0 (unusable). */
static void read_descs(struct vm *vm, uint32_t base, unsigned n, uint64_t *out)
{
	for (unsigned i = 0; i < n; i += 32) {
		unsigned k = n - i < 32 ? n - i : 32;
		uint32_t e, fa;
		if (guest_read(vm, base + i * 8, &out[i], k * 8, 0, &e, &fa) < 0)
			for (unsigned j = 0; j < k; j++)
				if (guest_read(vm, base + (i + j) * 8, &out[i + j], 8, 0, &e, &fa) < 0)
					out[i + j] = 0;
	}
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
	read_descs(vm, vm->gdtr.base, n, vm->gdt);    /* raw, then compressed in place */
	vm->gdt[0] = 0;
	for (unsigned i = 1; i < n; i++) {
		vm->gdt_dpl[i] = (uint8_t)D_DPL(vm->gdt[i]);
		vm->gdt[i] = compress(vm->gdt[i]);
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
		/* A present descriptor the VMM refuses (a system descriptor) is not "empty":
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
		vm->stale[k].dpl = idx < vm->gdt_n ? vm->gdt_dpl[idx] : 0;
		vm->gdt[idx] = old[idx];
		vm->gdt_dpl[idx] = D_DPL(old[idx]) == 1 ? 0 : (uint8_t)D_DPL(old[idx]);   /* (the ring it was loaded for) */
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
		vm->gdt_dpl[idx] = vm->stale[k].dpl;
		gdt[idx] = vm->gdt[idx];
		vm->seg_gen++;
		vm->stale[k] = vm->stale[--vm->nstale];
	}
}

/* The guest's LDT (ldtr, ldt_base, ldt_limit) -> the compressed copy. Entries the VMM cannot read
 * (not mapped) become unusable. */
void seg_load_ldt(struct vm *vm)
{
	if (!(vm->ldtr & ~3u)) {
		vm->ldt_n = 0;
		return;
	}
	uint64_t n = ((uint64_t)vm->ldt_limit + 1) / 8;
	if (n > GUEST_LDT_MAX)
		n = GUEST_LDT_MAX;                         /* (said at lldt) */
	/* Through a buffer: the real LDT never holds an uncompressed descriptor, even for a moment. */
	for (unsigned i = 0; i < n; i += 32) {
		uint64_t buf[32];
		unsigned k = n - i < 32 ? (unsigned)(n - i) : 32;
		read_descs(vm, vm->ldt_base + i * 8, k, buf);
		for (unsigned j = 0; j < k; j++) {
			vm->ldt_dpl[i + j] = (uint8_t)D_DPL(buf[j]);
			vm->ldt[i + j] = compress(buf[j]);
		}
	}
	vm->ldt_n = (unsigned)n;
}

int seg_lldt(struct vm *vm, uint16_t sel)
{
	uint64_t d;
	if (!(sel & ~3u)) {                                /* a null selector: no LDT */
		vm->ldtr = 0;
		vm->ldt_base = vm->ldt_limit = 0;
		vm->ldt_n = 0;
		return 0;
	}
	/* An LDT descriptor (system, type 2) in the GDT, read from the guest's GDT as the CPU does. */
	if ((sel & 4) || seg_guest_desc(vm, sel, &d) < 0 || (d & D_S) || ((d >> 40) & 0xF) != 2)
		return 13;
	if (!(d & D_PRESENT))
		return 11;
	uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
	if (d & (1ULL << 55))
		limit = (limit << 12) | 0xFFF;
	vm->ldtr = sel;
	vm->ldt_base = (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000));
	vm->ldt_limit = limit;
	if (((uint64_t)limit + 1) / 8 > GUEST_LDT_MAX)
		log_warn("seg", "%s: guest LDT has %lu entries; only the first %u are usable", vm->name,
			 ((uint64_t)limit + 1) / 8, GUEST_LDT_MAX);
	seg_load_ldt(vm);
	return 0;
}

int seg_check(struct vm *vm, uint16_t sel, int code, unsigned cpl)
{
	uint64_t d = real_desc(vm, sel);
	if (!(d & D_PRESENT) || !!(d & D_CODE) != !!code)
		return 0;
	/* The DPL the guest wrote, not the real one: ring compression makes 0 and 1 both 1, and a
	 * DPL-1 code segment is no place for the guest's ring 0 (an iret there is #GP natively:
	 * tests/fuzz 9:5961). */
	unsigned idx = sel >> 3, dpl = sel & 4 ? vm->ldt_dpl[idx] : vm->gdt_dpl[idx];
	if (code)   /* (conforming: DPL <= CPL) */
		return (d >> 42) & 1 ? dpl <= cpl : dpl == cpl;
	/* data / stack: writable, DPL equal to the CPL that will use it as SS */
	return (d & (1ULL << 41)) && dpl == cpl;
}

/* The IDT part of ring compression: a real gate's DPL says who may reach vector v with INT n.
 * The guest's gate DPL 0 becomes 1 (the guest kernel runs there). The exception vectors (below
 * 32) stay DPL 0, but for int3 and into: an exception reaches the VMM through any gate, whatever
 * its DPL, and an INT n to one of them must not (the VMM could not tell `int $6` from a #UD, nor
 * know that a fault while delivering it belongs to the int instruction: tests/fuzz 5:3849; and
 * where the CPU pushes an error code, an INT n would leave the frame without one). The VMM's own
 * IRQ vectors stay DPL 0 too. A guest's INT n to one of these gets #GP from the CPU, and run.c
 * (soft_int) decides by the guest's own gate, as the CPU would have. */
void seg_load_idt(struct vm *vm)
{
	uint64_t gates[256];
	unsigned n = (vm->idtr.limit + 1u) / 8;
	if (n > 256)
		n = 256;
	memset(gates, 0, sizeof gates);
	read_descs(vm, vm->idtr.base, n, gates);
	for (unsigned v = 0; v < 256; v++) {
		uint8_t dpl = 0;
		uint64_t g = gates[v];
		int exception = v < 32 && v != 3 && v != 4;
		int vmm_irq = (v >= IRQ_BASE && v < IRQ_BASE + 16) ||
			      v == APIC_TIMER_VEC || v == APIC_SPURIOUS_VEC;                 /* + the VMM's tick */
		if (!exception && !vmm_irq && (g & D_PRESENT)) {
			dpl = (uint8_t)D_DPL(g);
			if (dpl == 0)
				dpl = 1;
		}
		vm->idt_dpl[v] = dpl;
		unsigned type = (unsigned)(g >> 40) & 0x1F;
		vm->gate[v].off = (uint32_t)((g & 0xFFFF) | ((g >> 32) & 0xFFFF0000u));
		vm->gate[v].sel = (uint16_t)(g >> 16);
		vm->gate[v].type = (uint8_t)((g & D_PRESENT) && (type == 0x0E || type == 0x0F) ? type : 0);
		vm->gate[v].present = (uint8_t)((g & D_PRESENT ? 0x80 : 0) | D_DPL(g));
	}
	/* int3 is how patched instructions reach the VMM, so the guest kernel (ring 1) must always be
	 * able to execute it, whatever the guest's own gate says (a user int3 still obeys the guest). */
	if (vm->idt_dpl[3] == 0)
		vm->idt_dpl[3] = 1;
}

static void assert_compressed(const uint64_t *t, unsigned n)
{
	/* The boundary: nothing a guest can load leads to ring 0 or to 64-bit code. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t d = t[i];
		assert(!(d & D_PRESENT) || ((d & D_S) && D_DPL(d) >= 1 && !((d & D_CODE) && (d & D_LONG))));
	}
}

void seg_install(struct vm *vm)
{
	seg_load_ldt(vm);                                  /* the guest's LDT as it is now */
	assert_compressed(vm->gdt, vm->gdt_n);
	assert_compressed(vm->ldt, vm->ldt_n);
	vm->seg_gen++;
	memcpy(gdt, vm->gdt, vm->gdt_n * 8);
	memset(&gdt[vm->gdt_n], 0, (GUEST_GDT_MAX - vm->gdt_n) * 8);
	ldt_load(vm->ldt, vm->ldt_n * 8);
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
		uint64_t d = real_desc(vm, (uint16_t)*data[i]);
		int usable = (d & D_PRESENT) && (!(d & D_CODE) || (d & (1ULL << 41)));
		if (!usable)
			*data[i] = 0;
	}
	return 1;
}

/* ---- segments for the emulation: offsets -> linear addresses, as the CPU forms them ---- */

void seg_from_desc(uint64_t d, struct seg *s)
{
	uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
	if (d & (1ULL << 55))                              /* G: 4 KiB units */
		limit = (limit << 12) | 0xFFF;
	s->base = (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000));
	s->type = (uint8_t)((d >> 40) & 0x1F);
	s->big = (uint8_t)((d >> 54) & 1);
	if ((s->type & 0x1C) == 0x14) {                    /* expand-down data: limit+1 .. top */
		s->hi = s->big ? 0xFFFFFFFFu : 0xFFFFu;
		s->lo = limit == 0xFFFFFFFFu ? 1 : limit + 1;
		if (limit == 0xFFFFFFFFu)
			s->hi = 0;                         /* nothing is valid */
	} else {
		s->lo = 0;
		s->hi = limit;
	}
}

int seg_access_ok(const struct seg *s, uint32_t off, uint32_t n, int write)
{
	if (!(s->type & 0x10))
		return 0;                                  /* a system descriptor */
	if (s->type & 8) {                                 /* code: readable or not, never writable */
		if (write || !(s->type & 2))
			return 0;
	} else if (write && !(s->type & 2)) {              /* read-only data */
		return 0;
	}
	uint64_t last = (uint64_t)off + n - 1;
	if (off >= s->lo && last <= s->hi)
		return 1;
	/* A flat 4 GiB segment: the access wraps around, it does not fault. */
	return s->lo == 0 && s->hi == 0xFFFFFFFFu && off >= s->lo;
}

int seg_of_sel(struct vm *vm, uint16_t sel, struct seg *s)
{
	uint64_t d = real_desc(vm, sel);
	if (!(d & D_PRESENT))
		return -1;
	seg_from_desc(d, s);
	return 0;
}

static uint16_t frame_sel(const struct trapframe *tf, unsigned r)
{
	switch (r) {
	case X86_SEG_ES: return (uint16_t)tf->es;
	case X86_SEG_CS: return (uint16_t)tf->cs;
	case X86_SEG_SS: return (uint16_t)tf->ss;
	case X86_SEG_DS: return (uint16_t)tf->ds;
	case X86_SEG_FS: return (uint16_t)tf->fs;
	case X86_SEG_GS: return (uint16_t)tf->gs;
	default: return 0;
	}
}

int seg_get(struct vm *vm, const struct trapframe *tf, unsigned r, struct seg *s)
{
	return seg_of_sel(vm, frame_sel(tf, r), s);
}

uint32_t seg_base(struct vm *vm, const struct trapframe *tf, unsigned r)
{
	struct seg s;
	return seg_get(vm, tf, r, &s) < 0 ? 0 : s.base;
}

int seg_linear(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, uint32_t n, int write,
	       uint32_t *la)
{
	struct seg s;
	if (seg_get(vm, tf, r, &s) < 0 || !seg_access_ok(&s, off, n, write)) {
		reflect(vm, tf, r == X86_SEG_SS ? 12 : 13, REFLECT_EXC_ERR, 0);
		return -1;
	}
	*la = s.base + off;
	return 0;
}

static int seg_rw(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, void *buf, uint32_t n, int write)
{
	uint32_t la, e, fa;
	if (seg_linear(vm, tf, r, off, n, write, &la) < 0)
		return -1;
	int user = guest_cpl(tf) == 3;
	if ((write ? guest_write(vm, la, buf, n, user, &e, &fa) : guest_read(vm, la, buf, n, user, &e, &fa)) < 0) {
		guest_pf(vm, tf, e, fa);
		return -1;
	}
	return 0;
}

int seg_read(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, void *buf, uint32_t n)
{
	return seg_rw(vm, tf, r, off, buf, n, 0);
}

int seg_write(struct vm *vm, struct trapframe *tf, unsigned r, uint32_t off, const void *buf, uint32_t n)
{
	return seg_rw(vm, tf, r, off, (void *)buf, n, 1);
}

int stack_read(struct vm *vm, struct trapframe *tf, uint32_t esp, void *buf, uint32_t n)
{
	struct seg ss;
	if (seg_get(vm, tf, X86_SEG_SS, &ss) < 0)
		ss.big = 1;                                /* (seg_read raises the #SS) */
	return seg_read(vm, tf, X86_SEG_SS, sp_off(&ss, esp), buf, n);
}

int stack_push(struct vm *vm, struct trapframe *tf, const void *buf, uint32_t n)
{
	struct seg ss;
	if (seg_get(vm, tf, X86_SEG_SS, &ss) < 0)
		ss.big = 1;
	uint32_t esp = sp_add(&ss, (uint32_t)tf->rsp, -(int32_t)n);
	if (seg_write(vm, tf, X86_SEG_SS, sp_off(&ss, esp), buf, n) < 0)
		return -1;
	tf->rsp = esp;
	return 0;
}

int stack_pop(struct vm *vm, struct trapframe *tf, void *buf, uint32_t n)
{
	struct seg ss;
	if (seg_get(vm, tf, X86_SEG_SS, &ss) < 0)
		ss.big = 1;
	if (seg_read(vm, tf, X86_SEG_SS, sp_off(&ss, (uint32_t)tf->rsp), buf, n) < 0)
		return -1;
	tf->rsp = sp_add(&ss, (uint32_t)tf->rsp, (int32_t)n);
	return 0;
}

/* ---- descriptor tables traced ----
 * An OS rewrites entries of its live GDT (Linux: the TLS entries at every context switch) and
 * expects the CPU to use them at the next segment load. The real GDT, LDT and IDT are the VMM's
 * compressed copies, so the guest-physical pages behind the guest's tables are write-protected in
 * the shadow: a write faults, the VMM performs it (the instruction emulator of mmio.c) and reads
 * the tables again, as hardware would see them. The set is recomputed at lgdt, lidt, lldt and
 * when the guest's paging is switched on or off (the tables' linear addresses then map elsewhere). */

static void trace_range(struct vm *vm, uint32_t base, uint32_t limit, uint8_t kind, uint32_t *set,
			uint8_t *kinds, uint16_t (*span)[2], unsigned *n)
{
	if (!base && !limit)
		return;
	for (uint32_t la = base & ~0xFFFu; la <= ((base + limit) & ~0xFFFu) && *n < SEG_TRACE_MAX; la += 4096) {
		uint32_t gpa, flags, err;
		if (guest_walk(vm, la, 0, 0, &gpa, &flags, &err) < 0 || (gpa >> 12) >= vm->pmap.nframes)
			continue;
		/* The bytes of this page that are the table's. */
		uint32_t lo = la < base ? base - la : 0, hi = base + limit - la > 0xFFF ? 0xFFF : base + limit - la;
		kinds[*n] = kind;
		span[*n][0] = (uint16_t)lo;
		span[*n][1] = (uint16_t)hi;
		set[(*n)++] = gpa >> 12;
		if (la + 4096 < la)
			break;
	}
}

void seg_trace_tables(struct vm *vm)
{
	uint32_t set[SEG_TRACE_MAX];
	uint8_t kinds[SEG_TRACE_MAX];
	uint16_t span[SEG_TRACE_MAX][2];
	unsigned n = 0;
	trace_range(vm, vm->gdtr.base, vm->gdtr.limit, SEG_T_GDT, set, kinds, span, &n);
	trace_range(vm, vm->idtr.base, vm->idtr.limit, SEG_T_IDT, set, kinds, span, &n);
	if (vm->ldtr & ~3u)
		trace_range(vm, vm->ldt_base, vm->ldt_limit, SEG_T_LDT, set, kinds, span, &n);
	/* Frames that become traced lose their writable mappings now. */
	for (unsigned i = 0; i < n; i++)
		if (!seg_traced(vm, set[i]))
			shadow_drop_frame(vm, set[i]);
	memcpy(vm->traced, set, n * sizeof set[0]);
	memcpy(vm->traced_kind, kinds, n);
	memcpy(vm->traced_span, span, n * sizeof span[0]);
	vm->ntraced = n;
	guard_gen++;
}

int seg_traced_bytes(const struct vm *vm, uint32_t gfn, unsigned off, unsigned len)
{
	int kinds = 0;
	for (unsigned i = 0; i < vm->ntraced; i++)
		if (vm->traced[i] == gfn && off <= vm->traced_span[i][1] && vm->traced_span[i][0] <= off + len - 1)
			kinds |= vm->traced_kind[i];
	return kinds;
}

int seg_traced(const struct vm *vm, uint32_t gfn)
{
	int kinds = 0;
	for (unsigned i = 0; i < vm->ntraced; i++)
		if (vm->traced[i] == gfn)
			kinds |= vm->traced_kind[i];
	return kinds;
}

void seg_tables_written(struct vm *vm, struct trapframe *tf, int kinds)
{
	/* Tables are found by the guest frames that hold them, not by linear address: Linux loads
	 * its GDT through a read-only alias (the fixmap) and writes it through the direct map. */
	if (kinds & SEG_T_GDT) {
		static uint64_t old[GUEST_GDT_MAX];   /* one vCPU at a time runs this */
		unsigned old_n = vm->gdt_n;
		memcpy(old, vm->gdt, old_n * 8);
		seg_load_gdt(vm);
		seg_keep_cached(vm, tf, old, old_n);
	}
	if (kinds & SEG_T_IDT)
		seg_load_idt(vm);
	if ((kinds & SEG_T_LDT) && (vm->ldtr & ~3u))
		seg_load_ldt(vm);
	if (kinds) {
		seg_install(vm);
		vm->table_writes++;
	}
}

void seg_tables_protect(struct vm *vm, struct trapframe *tf)
{
	vm->tables_open = 0;
	seg_tables_written(vm, tf, SEG_T_GDT | SEG_T_IDT | SEG_T_LDT);
	for (unsigned k = 0; k < vm->ntraced; k++)
		shadow_drop_frame(vm, vm->traced[k]);
}
