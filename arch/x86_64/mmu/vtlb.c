/* vtlb.c - a page fault from a guest: hidden or true? (the aside on hardware-managed TLBs)
 *
 * The shadow (shadow.c) starts empty, so most faults are "hidden": the guest's own page tables
 * allow the access and the shadow merely lacks the entry. We walk the guest's tables like the MMU
 * would (gmem.c, which also sets the guest's Accessed/Dirty bits), translate the guest-physical
 * frame to a machine frame through the VM's pmap, and fill one shadow entry. Faults the guest's
 * tables do not allow are "true": the guest sees them, with its own CR2 and error code.
 *
 * Two more jobs ride on the shadow's permission bits, for binary patching (patch.c):
 *  - guest-kernel pages whose code has not been scanned are mapped no-execute: the first
 *    instruction fetch there faults, the VMM scans that page from the fetch address, patches it,
 *    and maps it executable;
 *  - scanned code pages are mapped read-only: a guest write to one (self-modifying code, a page
 *    reused for data) faults, the VMM takes its patches out, and the page is scanned again the
 *    next time code on it runs. */
#include "../cpu/vm.h"
#include "traced.h"
#include "overcommit.h"
#include "../../../vcpu/trace.h"
#include "../../../lib/log.h"
#include "../../../lib/format.h"

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_FETCH 0x10u

/* ---- One interface, two shadows: the virtual TLB (shadow.c: emptied at every CR3 write) or,
 * with shadow=trace, the shadows cached per guest page table and kept coherent by tracing
 * (traced.c). Everything else in the VMM calls these. ---- */

int shadow_setup(struct vm *vm, int trace, uint64_t budget)
{
	if (!trace)
		return shadow_init(&vm->sh);
	shadow_probe();
	vm->pmap.groups = 1;     /* RAM in aligned 2 MiB runs where the machine has them: 2 MiB entries */
	return traced_init(vm, budget);
}

int shadow_group_plain(struct vm *vm, uint32_t gfn0)
{
	if (gfn0 < (GPA_ROM_END >> 12) && gfn0 + 512 > (GPA_ROM_START >> 12))
		return 0;                         /* the BIOS area: read-only */
	for (unsigned k = 0; k < 512 / 8; k++)
		if (vm->scanned[gfn0 / 8 + k])
			return 0;                 /* scanned code: read-only, executable */
	for (unsigned k = 0; k < vm->ntraced; k++)
		if (vm->traced[k] - gfn0 < 512)
			return 0;                 /* a GDT, IDT or LDT page: read-only */
	return 1;
}

void shadow_teardown(struct vm *vm)
{
	if (vm->sh.tr)
		traced_destroy(vm);
	else
		shadow_destroy(&vm->sh);
}

void guest_cr3_written(struct vm *vm)
{
	if (!vm->sh.tr)
		shadow_flush(&vm->sh);              /* a new address space: an empty virtual TLB */
	else if (traced_switch(vm) < 0)         /* ... or its cached shadow */
		vm_fail(vm, "out of machine memory for shadow page tables (cr3 %08x)", vm->cr3);
}

void guest_paging_changed(struct vm *vm, uint32_t cr0_bits, uint32_t cr4_bits)
{
	if (!vm->sh.tr) {
		shadow_flush(&vm->sh);
		return;
	}
	int r = 0;
	if ((cr0_bits & CR0_WP) || (cr4_bits & CR4_PSE))
		r = traced_reset(vm);               /* the guest's entries mean something else now */
	else if (cr0_bits & (CR0_PG | CR0_PE))
		r = traced_switch(vm);              /* paging on or off: another root */
	else
		traced_invlpg(vm, 0, 1);            /* PGE: its global entries leave the TLB */
	if (r < 0)
		vm_fail(vm, "out of machine memory for shadow page tables");
}

/* A write to scanned code (the guest's own, or one the VMM does on its behalf): give the page back
 * its own bytes; it is scanned again when code on it next runs. */
void shadow_code_written(struct vm *vm, uint32_t gfn)
{
	unsigned n = patch_unscan(vm, gfn);
	vm->rescans++;
	log_debug("patch", "%s: write to scanned code at gpa %08x: %u patches removed", vm->name, gfn << 12, n);
	shadow_drop_frame(vm, gfn);               /* every executable mapping of it must fault again */
}

void guest_invlpg(struct vm *vm, uint32_t la)
{
	/* If the guest maps (or mapped) this address with a 4 MiB page, drop all of it. */
	int large = 0;
	if (vm->cr0 & CR0_PG) {
		uint32_t *pd = gpa_ptr(vm, vm->cr3 & ~0xFFFu);
		large = !pd || !(pd[la >> 22] & 1) || ((pd[la >> 22] & 0x80) && (vm->cr4 & CR4_PSE));
	}
	if (vm->sh.tr)
		traced_invlpg(vm, la, large);       /* the shadow follows the tables already */
	else
		shadow_invlpg(&vm->sh, la, large);
}

void shadow_drop_frame(struct vm *vm, uint32_t gfn)
{
	/* (the virtual TLB finds mappings by machine frame: the VM's own or a shared one; a frame
	 * never backed or paged out has none) */
	mfn_t e = gfn < vm->pmap.nframes ? vm->pmap.p2m[gfn] : PMAP_NONE;
	if (vm->sh.tr)
		traced_drop_gfn(vm, gfn);
	else if (e != PMAP_NONE && !(e & PMAP_OUT))
		shadow_unmap_frame(&vm->sh, PMAP_MFN(e));
}

int shadow_report(const struct vm *vm, char *buf, unsigned size)
{
	if (!vm->sh.tr)
		return snprintf_(buf, size, "shadow vtlb: fills %lu flushes %lu resets %lu, %u table frames",
				 vm->sh.fills, vm->sh.flushes, vm->sh.resets, vm->sh.allocated);
	struct traced_stats s;
	traced_get_stats(vm, &s);
	return snprintf_(buf, size, "shadow trace: fills %lu (%lu prefetched at a write); cr3 writes %lu (cached %lu, new %lu, evicted %lu); "
			 "traced writes %lu; unshadowed %lu by flooding, %lu for rep or unknown instructions; write-protects %lu; "
			 "frame drops %lu; resets %lu; 2 MiB entries %lu (%lu taken out); tables %u of %u now, %lu reclaimed; "
			 "roots %u; frames %u held, bound %u",
			 s.fills, s.prefetches, s.cr3_switches, s.root_hits, s.root_misses, s.evicted, s.traced_writes,
			 s.flood_unshadows, s.emul_unshadows, s.wprotects, s.frame_drops, s.resets, s.large, s.demotions,
			 s.tpages, s.tpages_max, s.reclaimed, s.roots, s.held, s.budget);
}

/* Does the instruction at CS:EIP start on guest frame gfn? (*gpa: where) */
static int runs_from(struct vm *vm, struct trapframe *tf, uint32_t gfn, uint32_t *gpa)
{
	uint32_t flags, perr;
	uint32_t la = seg_base(vm, tf, X86_SEG_CS) + (uint32_t)tf->rip;
	return guest_walk(vm, la, 0, guest_cpl(tf) == 3, gpa, &flags, &perr) == 0 && *gpa >> 12 == gfn;
}

/* Is the instruction at CS:EIP a rep (or repne) movs or stos? */
static int rep_string(struct vm *vm, struct trapframe *tf)
{
	uint8_t b[6];
	uint32_t e, fa;
	if (guest_read(vm, seg_base(vm, tf, X86_SEG_CS) + (uint32_t)tf->rip, b, sizeof b, guest_cpl(tf) == 3, &e, &fa) < 0)
		return 0;
	int rep = 0;
	for (unsigned k = 0; k < sizeof b; k++) {
		if (b[k] == 0xF3 || b[k] == 0xF2)
			rep = 1;
		else if (b[k] != 0x66 && b[k] != 0x67 && b[k] != 0x26 && b[k] != 0x2E && b[k] != 0x36 &&
			 b[k] != 0x3E && b[k] != 0x64 && b[k] != 0x65)
			return rep && (b[k] == 0xA4 || b[k] == 0xA5 || b[k] == 0xAA || b[k] == 0xAB);
	}
	return 0;
}

static int true_fault(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t perr)
{
	vm_count(vm, EXIT_TRUE_PF);
	vm->cr2 = la;
	trace_step1(vm, tf, TRACE_TRAP, "#PF (a true fault)", 0);
	return reflect(vm, tf, 14, REFLECT_EXC_ERR, perr);
}

/* A write to a page the shadow maps read-only so that the VMM sees it (a traced page table, a
 * descriptor table and what shares its page), done by fast_guarded_write: remembered, so that the
 * next write fault on the same page skips the walk and the checks below, which would find the
 * same (the shadow entry that faulted is the one they were made for, and guard_gen says that no
 * frame has changed what guards it since: a table's tracing can end -- flooding -- without an
 * entry being dropped, and then the next write must map the page writable instead). */
uint64_t guard_gen;

static int guarded_again(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t err)
{
	struct guard_hit *g = &vm->guard[(vm->sh.root ^ (la >> 12)) % GUARD_SLOTS];
	if ((err & (PF_P | PF_W | PF_U)) != (PF_P | PF_W) || g->lpage != la >> 12 || g->sgen != vm->sh.gen ||
	    g->root != vm->sh.root || g->ggen != guard_gen || vm->tables_open ||
	    !fast_guarded_write(vm, tf, la, g->gpage << 12 | (la & 0xFFF), g->m, g->seg, g->table))
		return 0;
	vm_count(vm, (enum exit_kind)g->kind);
	return 1;
}

/* (the frame is not scanned code: the caller checked) */
static int guarded_write(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, mfn_t m, uint32_t flags,
			 unsigned kind)
{
	uint32_t gfn = gpa >> 12;
	uint64_t gen = guard_gen;   /* (as it was when seg and table were found: the write itself may
	                             * end the tracing -- a flood -- and bump it) */
	int seg = seg_traced(vm, gfn) != 0, table = vm->sh.tr && traced_is_table(vm, gfn);
	if (!fast_guarded_write(vm, tf, la, gpa, m, seg, table))
		return 0;
	if (flags & PF_U)
		return 1;     /* (a user page: whether the kernel may write it depends on SMAP and AC too) */
	struct guard_hit *g = &vm->guard[(vm->sh.root ^ (la >> 12)) % GUARD_SLOTS];
	*g = (struct guard_hit){ la >> 12, gfn, m, vm->sh.gen, vm->sh.root, gen, (uint8_t)kind, (uint8_t)seg,
				 (uint8_t)table };
	return 1;
}

/* A guest frame that is not simply the VM's own (never touched, shared, or paged out: pmap.h),
 * for this access: a read may map a shared frame as it is (rights() keeps it read-only), a write
 * gets a copy of its own. With no machine frame left, the VMM pages some out and tries again. */
static int backing(struct vm *vm, uint32_t gfn, int write, mfn_t *m)
{
	for (int again = 0; again < 2; again++) {
		if ((write ? pmap_lookup(&vm->pmap, gfn, m) : pmap_lookup_ro(&vm->pmap, gfn, m)) == 0)
			return 0;
		if (!overcommit_emergency())
			break;
	}
	return -1;
}

int shadow_fault(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t err)
{
	uint32_t gpa, flags, perr;
	int write = (err & PF_W) != 0, user = guest_cpl(tf) == 3, fetch = (err & PF_FETCH) != 0;
	if (guarded_again(vm, tf, la, err))
		return 0;
	/* With CR4.SMEP a 32-bit MMU reports instruction fetches in the error code (I/D). */
	uint32_t fetch_bit = fetch && (vm->cr4 & CR4_SMEP) ? PF_FETCH : 0;
	if (guest_walk(vm, la, write, user, &gpa, &flags, &perr) < 0)
		return true_fault(vm, tf, la, perr | fetch_bit);
	/* The guest kernel's SMEP and SMAP: no fetch from a user page, and no data access to one
	 * unless EFLAGS.AC is set (the real CPU checks the same on the shadow's copy, because the
	 * guest's CR4 bits are in the real CR4: xfeat.c; this catches the first touch, before the
	 * shadow maps the page). */
	if (!user && (flags & PF_U) && (vm->cr0 & CR0_PG) &&
	    (fetch ? (vm->cr4 & CR4_SMEP) : ((vm->cr4 & CR4_SMAP) && !(tf->rflags & FL_AC))))
		return true_fault(vm, tf, la, PF_P | (write ? PF_W : 0) | fetch_bit);
	mfn_t m;
	uint32_t gfn = gpa >> 12;
	if (gfn >= GUEST_MAX_FRAMES || gfn >= vm->pmap.nframes || (write && gpa_is_rom(gpa))) {
		/* Not RAM (device registers, or nothing), or a write to the BIOS area: never mapped, so
		 * the VMM carries out the faulting instruction itself (mmio.c). */
		return mmio_emulate(vm, tf, la, gpa, err);
	}
	if ((m = pmap_peek(&vm->pmap, gfn)) == PMAP_NONE && backing(vm, gfn, write, &m) < 0) {
		vm_fail(vm, "out of machine memory backing guest-physical %08x (eip %08lx); %s", gpa, tf->rip, overcommit_why());
		return -1;
	}
	int exec_unscanned = vm->step.on && vm->step.gfn == gfn;
	if (exec_unscanned) {
		/* The page of the one instruction selfmod.c is stepping: run (and written) unscanned. */
	} else if ((err & PF_P) && (err & PF_FETCH) && !patch_scanned(vm, gfn) && user) {
		/* Guest user code (possible here only with the guest's paging off): it needs no patches,
		 * and its int3s are the guest's own, so run it as it is. */
		exec_unscanned = 1;
	} else if ((err & PF_P) && (err & PF_FETCH) && !patch_scanned(vm, gfn)) {
		/* The guest kernel runs code the VMM has not seen: scan the rest of the page first. */
		uint32_t from = patch_scan_from(vm, gpa);
		if (from > gpa)
			from = gpa;       /* entered before the first known instruction of the page */
		unsigned n = patch_scan(vm, from, 4096 - (from & 0xFFF));
		vm->scans++;
		log_debug("patch", "%s: code at %08x (gpa %08x) scanned on first run: %u patched", vm->name, la, gpa, n);
		shadow_drop_frame(vm, gfn);       /* its other mappings: no-execute, perhaps writable */
	} else if ((err & PF_P) && write && vm->sh.tr && traced_is_table(vm, gfn)) {
		/* A write to a guest page table or directory a shadow depends on (traced.c): do it, which
		 * clears the shadow entries made from what it overwrote (gmem.c calls traced_written).
		 * A rep stos/movs there is the guest clearing or filling the whole page (a table freed
		 * and reused, or a new one being made), and so is an instruction the emulator does not
		 * know: the page stops being traced instead, and the instruction runs itself. */
		vm_count(vm, EXIT_PTWRITE);
		if (!patch_scanned(vm, gfn) && guarded_write(vm, tf, la, gpa, m, flags, EXIT_PTWRITE))
			return 0;
		int unshadowed = rep_string(vm, tf) && traced_unshadow(vm, gfn) == 0;
		if (!unshadowed && emulate_code_write(vm, tf, la))
			return 0;
		if (!unshadowed && traced_unshadow(vm, gfn) < 0) {
			vm_fail(vm, "wrote its page directory (gpa %08x) with an instruction the VMM cannot emulate at eip %08lx",
				gpa, tf->rip);
			return -1;
		}
	} else if ((err & PF_P) && write && seg_traced(vm, gfn) && !vm->tables_open) {
		/* A write to a page of the guest's GDT, IDT or LDT: do it, and let the CPU see the new
		 * tables at once (the guest may load a segment from them with its next instruction). An
		 * instruction the emulator does not know writes the page itself instead, and the tables
		 * are read again (and protected again) at the VMM's next entry (vm_resume). The tables
		 * the emulated write touched (gmem.c notes them in tables_dirty) are read again on the
		 * way back to the guest. The commonest stores have a short way (fastpath.c). */
		vm_count(vm, EXIT_DTWRITE);
		if ((!patch_scanned(vm, gfn) && guarded_write(vm, tf, la, gpa, m, flags, EXIT_DTWRITE)) || emulate_code_write(vm, tf, la))
			return 0;
		vm->tables_open = 2;              /* protected again at the entry after the next one */
	} else if ((err & PF_P) && write && patch_scanned(vm, gfn)) {
		uint32_t at;
		int here = runs_from(vm, tf, gfn, &at);
		if (here && emulate_code_write(vm, tf, la)) {
			/* The guest writes to the page it is running from (code patching code next to it,
			 * as ftrace and the alternatives do). Unscanning it would make the writer's own next
			 * fetch fault, the scan make the write fault again, forever: so the VMM did the
			 * write (which took the page's patches out) and scans the page again right away. */
			vm->code_writes_emulated++;
			if (!patch_scanned(vm, gfn)) {
				uint32_t from = patch_scan_from(vm, at);
				if (from > at)
					from = at;
				patch_scan(vm, from, 4096 - (from & 0xFFF));
				vm->scans++;
			}
			return 0;
		}
		if (here) {
			/* ... with an instruction the emulator does not know: the CPU does it, stepped
			 * on the unscanned page (selfmod.c). */
			selfmod_begin(vm, tf, gfn);
			if (!vm->step.on)
				return 0;             /* (a fault given to the guest, or no step) */
			exec_unscanned = 1;
		} else
			shadow_code_written(vm, gfn);
	}

	/* A hidden fault: fill the shadow -- with the frame as it is now: a scan or an unscan above
	 * writes the page, which gave it a copy of its own if it was shared. */
	if (vm->pmap.p2m[gfn] != m && (m = pmap_peek(&vm->pmap, gfn)) == PMAP_NONE && backing(vm, gfn, write, &m) < 0) {
		vm_fail(vm, "out of machine memory backing guest-physical %08x (eip %08lx); %s", gpa, tf->rip, overcommit_why());
		return -1;
	}
	vm_count(vm, EXIT_HIDDEN_PF);
	shadow_fill(vm, la, gpa, m, flags, write, exec_unscanned);
	return 0;
}

static inline void rights(struct vm *vm, uint32_t gpa, uint32_t flags, int write, int exec_unscanned, int *w, int *u,
			  int *nx)
{
	/* Writable only once the guest entry is dirty (so the first write faults again and sets D, as
	 * the MMU would) and never for scanned code or a descriptor table; no-execute for guest-kernel
	 * pages not yet scanned. The BIOS area is never writable (a write lands in mmio_emulate, which
	 * drops it). */
	uint32_t gfn = gpa >> 12;
	int kernel_page = !(flags & PF_U) || !(vm->cr0 & CR0_PG);
	int scanned = patch_scanned(vm, gfn);
	int wbit = (flags & PF_W) != 0;
	*u = (flags & PF_U) != 0;
	if (write && !wbit) {
		/* The walk let a write through a read-only entry: the guest kernel, with CR0.WP clear.
		 * The real CPU keeps WP set (the VMM relies on it), so the page is mapped writable for
		 * the kernel only; a user access to it then faults and maps it back, read-only. */
		wbit = 1;
		*u = 0;
	}
	*w = wbit && (write || (flags & SHADOW_DIRTY)) && !scanned && !gpa_is_rom(gpa) &&
	     (vm->tables_open || !seg_traced(vm, gfn)) && !pmap_is_shared(&vm->pmap, gfn);
	*nx = kernel_page && !scanned && !exec_unscanned;
}

void shadow_rights(struct vm *vm, uint32_t gpa, uint32_t flags, int write, int exec_unscanned, int *w, int *u, int *nx)
{
	rights(vm, gpa, flags, write, exec_unscanned, w, u, nx);
}

void shadow_fill(struct vm *vm, uint32_t la, uint32_t gpa, mfn_t m, uint32_t flags, int write, int exec_unscanned)
{
	int w, u, nx;
	rights(vm, gpa, flags, write, exec_unscanned, &w, &u, &nx);     /* (inline: the hot path) */
	if ((vm->sh.tr ? traced_fill(vm, la, gpa >> 12, m, w, u, nx) : shadow_map(&vm->sh, la, m, w, u, nx)) < 0)
		vm_fail(vm, "out of machine memory for shadow page tables");
}
