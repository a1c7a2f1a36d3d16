/* reflect.c - Figure B.3: the VMM hands a trap to the guest kernel, and takes the guest's iret back.
 *
 *   1. A process traps (int 0x80, a fault, or a virtual interrupt arrives) -> the VMM, at ring 0.
 *   2. The VMM calls the guest's handler at reduced privilege: it reads the gate from the IDT the
 *      guest installed with lidt, switches to the guest's ring-0 stack named in the guest's TSS
 *      (read from guest memory every time, as the CPU would), builds exactly the 32-bit frame the
 *      hardware would have built, and resumes the guest kernel at ring 1 in its handler.
 *   3. The guest handler runs and ends with iret, which is patched (iret at ring 1 would not give
 *      the VMM control, and would get IF and the privilege change wrong) -> int3 -> the VMM.
 *   4. The VMM does the real return: it pops the guest's frame, checks the selectors it names and
 *      resumes the process at ring 3 (or the kernel at ring 1).
 * Selectors the guest sees in these frames carry RPL 0 for its kernel, as on real hardware. */
#include "vm.h"
#include "fast.h"
#include "../../../vcpu/trace.h"
#include "../../../lib/log.h"

/* The guest's ring-0 stack from its TSS (esp0 at offset 4, ss0 at offset 8): the TSS is read from
 * guest memory every time, at the base the CPU cached when the guest loaded TR. */
static int tss_stack(struct vm *vm, uint32_t *esp0, uint16_t *ss0)
{
	uint32_t e, fa, v[2];
	if (vm->pv_kstack[1]) {                /* the guest said where (HC_SET_KSTACK) */
		*esp0 = vm->pv_kstack[0];
		*ss0 = (uint16_t)vm->pv_kstack[1];
		return 0;
	}
	if (vm->tr == 0)
		return -1;
	if (guest_read(vm, vm->tr_base + 4, v, 8, 0, &e, &fa) < 0)
		return -1;
	*esp0 = v[0];
	*ss0 = (uint16_t)v[1];
	return 0;
}

static const char *how_name(int how)
{
	return how == REFLECT_SOFT ? "software interrupt" : how == REFLECT_IRQ ? "virtual interrupt" : "exception";
}

/* Figure B.3, steps 1 and 2, the common case: a vector delivered through a 32-bit gate to a
 * guest ring-0 handler, from a process (the frame [eip cs eflags esp ss], after the error code if
 * there is one, goes onto the stack the guest's TSS names) or from the guest kernel itself (the
 * frame [eip cs eflags] onto its own stack). reflect() tries this first and does every other case
 * itself; the same applies to its checks. */
int reflect_fast(struct vm *vm, struct trapframe *tf, unsigned v, int how, uint32_t err)
{
	vm->reflects++;
	unsigned from = guest_cpl(tf);
	/* The gate, as the guest's IDT holds it (read when the IDT was loaded or written). */
	if (!vm->gate[v].type || vm->tables_open || vm->nstale || (from == 3 && vm->tr == 0 && !vm->pv_kstack[1]))
		return 0;
	uint16_t sel = vm->gate[v].sel, cs = (uint16_t)((sel & ~3u) | 1);
	uint32_t frame[6], esp = (uint32_t)tf->rsp, n = 0;
	uint16_t ss = (uint16_t)tf->ss;
	if (how == REFLECT_EXC_ERR)
		frame[n++] = err;
	frame[n++] = (uint32_t)tf->rip;
	frame[n++] = sel_to_guest((uint16_t)tf->cs);
	frame[n++] = guest_eflags(vm, tf);
	if (from == 3) {
		/* The ring-0 stack from the guest's TSS: esp0 at offset 4, ss0 at 8. (Right after a
		 * guest CR3 write the shadow maps neither the TSS nor the stack: the software walk
		 * then reads them, and maps them for the next time.) */
		uint32_t ts[2], e, fa;
		if (vm->pv_kstack[1])
			ts[0] = vm->pv_kstack[0], ts[1] = vm->pv_kstack[1];   /* (HC_SET_KSTACK) */
		else if (!gread(vm->tr_base + 4, ts, 8) && guest_read(vm, vm->tr_base + 4, ts, 8, 0, &e, &fa) < 0)
			return 0;
		frame[n++] = esp;
		frame[n++] = ss;                     /* ring-3 selectors: the guest sees them as they are */
		esp = ts[0];
		ss = (uint16_t)((ts[1] & ~3u) | 1);
	}
	/* The handler's code segment and its stack: a guest ring-0 pair (the guest wrote DPL 0 for
	 * the code; the copy the CPU runs on says DPL 1), flat. The copy is the guest's GDT as it is
	 * in memory (its pages are traced), unless an old descriptor stands in for an empty one
	 * (nstale: not here). */
	if (!flat_pair(vm, &vm->kflat, cs, ss, 0) || vm->gdt_dpl[sel >> 3] != 0)
		return 0;
	esp -= 4 * n;
	if (!gwrite(esp, frame, 4 * n)) {
		uint32_t e, fa;
		if (guest_write(vm, esp, frame, 4 * n, 0, &e, &fa) < 0)
			return 0;
	}
	tf->rip = vm->gate[v].off;
	tf->cs = cs;
	tf->rsp = esp;
	tf->ss = ss;
	tf->rflags &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
	if (vm->gate[v].type == 0x0E)
		vm->vif = 0;                               /* interrupt gate: IF cleared */
	return 1;
}

int reflect(struct vm *vm, struct trapframe *tf, unsigned vector, int how, uint32_t err)
{
	uint32_t gate[2], e, fa;
	unsigned from = guest_cpl(tf);
	vm->reflects++;
	if (fast_paths && !vm->trace_pending && reflect_fast(vm, tf, vector, how, err))
		return 0;                                  /* the common case (fastpath.c) */

	/* 2a. The gate, from the guest's own IDT. */
	if (vector * 8 + 7 > vm->idtr.limit || guest_read(vm, vm->idtr.base + vector * 8, gate, 8, 0, &e, &fa) < 0) {
		vm_fail(vm, "vector %u beyond the guest's IDT (eip %08lx): a triple fault on real hardware", vector,
			tf->rip);
		return -1;
	}
	unsigned type = (gate[1] >> 8) & 0x1F, present = (gate[1] >> 15) & 1;
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	uint32_t off = (gate[0] & 0xFFFF) | (gate[1] & 0xFFFF0000u);
	if (!present || (type != 0x0E && type != 0x0F)) {
		vm_fail(vm, "vector %u: guest gate %s (type %#x) at eip %08lx", vector, present ? "is not a 32-bit interrupt/trap gate" : "not present", type, tf->rip);
		return -1;
	}
	uint64_t cd;
	if (seg_guest_desc(vm, sel, &cd) < 0 || !((cd >> 43) & 1)) {
		vm_fail(vm, "vector %u: gate selector %#x is not a code segment", vector, sel);
		return -1;
	}
	unsigned to = (cd >> 45) & 3;   /* the handler's privilege, as the guest wrote it */

	/* 2b. The stack: the guest's TSS names the ring-0 stack when the privilege changes. */
	uint32_t esp = (uint32_t)tf->rsp;
	uint16_t ss = (uint16_t)tf->ss;
	uint32_t frame[6];
	int nf = 0;
	if (to < from) {
		uint16_t ss0;
		if (tss_stack(vm, &esp, &ss0) < 0) {
			vm_fail(vm, "vector %u from ring 3 but the guest has no usable TSS", vector);
			return -1;
		}
		frame[nf++] = sel_to_guest((uint16_t)tf->ss);
		frame[nf++] = (uint32_t)tf->rsp;
		ss = ss0;
	}
	/* 2c. The frame the CPU would push: [ss esp] eflags cs eip [error code]. */
	frame[nf++] = guest_eflags(vm, tf);
	frame[nf++] = sel_to_guest((uint16_t)tf->cs);
	frame[nf++] = (uint32_t)tf->rip;
	if (how == REFLECT_EXC_ERR)
		frame[nf++] = err;
	uint32_t words[6];
	for (int i = 0; i < nf; i++)
		words[i] = frame[nf - 1 - i];              /* lowest address first */
	/* On the stack segment's terms: its base and limit, SP rather than ESP if it is a 16-bit one. */
	struct seg sd;
	if (seg_of_sel(vm, ss, &sd) < 0) {
		vm_fail(vm, "vector %u: stack segment %04x unusable", vector, ss);
		return -1;
	}
	esp = sp_add(&sd, esp, -4 * nf);
	if (!seg_access_ok(&sd, sp_off(&sd, esp), 4 * (uint32_t)nf, 1)) {
		vm_fail(vm, "stack fault (limit of %04x) while delivering vector %u at eip %08lx: a double fault", ss,
			vector, tf->rip);
		return -1;
	}
	if (guest_write(vm, sd.base + sp_off(&sd, esp), words, 4 * (uint32_t)nf, 0, &e, &fa) < 0) {
		vm_fail(vm, "page fault at %08x while delivering vector %u (guest stack): a double fault", fa, vector);
		return -1;
	}

	if (vm->trace_pending)
		kprintf("trace: %s: 2. VMM calls the guest handler for vector %#x (%s) at reduced privilege: "
			"IDT -> %04x:%08x at ring %u (guest ring %u), stack %04x:%08x%s\n",
			vm->name, vector, how_name(how), sel, off, to == 0 ? 1 : to, to, sel_to_guest(ss), esp,
			to < from ? " from the guest TSS" : "");

	/* 2d. Resume in the handler, at ring 1 if the guest meant ring 0. */
	tf->rip = off;
	tf->cs = to == 0 ? (sel & ~3u) | 1 : sel;
	tf->rsp = esp;
	tf->ss = to == 0 ? (ss & ~3u) | 1 : ss;
	tf->rflags &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
	if (type == 0x0E)
		vm->vif = 0;                               /* interrupt gate: IF cleared */
	if (vm->trace_pending) {
		vm->trace_pending = 0;
		vm->trace_esp = esp;                       /* its iret will find the frame here */
	}
	if (!seg_check(vm, (uint16_t)tf->cs, 1, to) || !seg_check(vm, (uint16_t)tf->ss, 0, to)) {
		vm_fail(vm, "vector %u: handler %04x or stack %04x unusable at guest ring %u", vector, sel, ss, to);
		return -1;
	}
	return 0;
}

void guest_pf(struct vm *vm, struct trapframe *tf, uint32_t err, uint32_t addr)
{
	if (err == 0xFFFFFFFFu) {
		vm_fail(vm, "out of machine memory backing its RAM (linear %08x, eip %08lx)", addr, tf->rip);
		return;
	}
	vm->cr2 = addr;
	reflect(vm, tf, 14, REFLECT_EXC_ERR, err);
}

/* Read n frame words of osz bytes (2: iretw, 4: iretd) from the guest's stack at sp, each
 * zero-extended into w[]. */
static int iret_pop(struct vm *vm, struct trapframe *tf, uint32_t sp, uint32_t *w, unsigned n, unsigned osz)
{
	uint8_t b[12];
	if (stack_read(vm, tf, sp, b, n * osz) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		w[i] = osz == 2 ? (uint32_t)(b[2 * i] | b[2 * i + 1] << 8) : (uint32_t)b[4 * i] |
			(uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
	return 0;
}

int emulate_iret(struct vm *vm, struct trapframe *tf, unsigned osz)
{
	/* With a 16-bit operand size (66 cf, iretw) the frame is IP, CS, FLAGS (and SP, SS to an
	 * outer ring) in 2-byte slots, EIP is the zero-extended IP, and EFLAGS bits 16-31 stay as
	 * they are; with 32 bits the slots are 4 bytes. */
	uint32_t w[5];
	uint32_t sp = (uint32_t)tf->rsp;
	struct seg ssd;
	if (seg_get(vm, tf, X86_SEG_SS, &ssd) < 0)
		ssd.big = 1;                               /* (stack_read raises the #SS) */
	if (iret_pop(vm, tf, sp, w, 3, osz) < 0)
		return 1;
	uint32_t eip = w[0], fl = w[2];
	if (osz == 2)
		fl = (guest_eflags(vm, tf) & 0xFFFF0000u) | fl;
	uint16_t cs = (uint16_t)w[1];
	unsigned to = cs & 3;
	/* The CPU looks at NT in EFLAGS as it is now: set, the iret is a task return (through the
	 * TSS's back link), which the VMM does not do. NT in the popped image is just loaded. VM in a
	 * 32-bit image at CPL 0 is a return to virtual-8086 mode (a 16-bit image has no VM bit). */
	if ((guest_eflags(vm, tf) & FL_NT) || (osz == 4 && (fl & FL_VM))) {
		vm_fail(vm, "iret %s at %08lx (task switches and v8086 are not supported)",
			(guest_eflags(vm, tf) & FL_NT) ? "with NT set (a task return)" : "to virtual-8086 mode", tf->rip);
		return 1;
	}
	int traced = vm->trace_esp && vm->trace_esp == sp;
	if (traced)
		kprintf("trace: %s: 3. guest returns from trap: iret at %08lx (patched: int3 -> VMM)\n", vm->name,
			tf->rip);
	if (to == 3) {
		/* 4. Back to the process: pop its stack too; the selectors must be ring-3 ones. A
		 * real CPU raises #GP(selector) here, in the guest kernel: CS's if CS is the bad one
		 * (it is checked before ESP and SS are even read), else SS's (0 for a null SS). */
		if (!seg_check(vm, cs, 1, 3)) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, cs & 0xFFFCu);
			return 1;
		}
		if (iret_pop(vm, tf, sp_add(&ssd, sp, 3 * osz), w + 3, 2, osz) < 0)
			return 1;
		if (!seg_check(vm, (uint16_t)w[4], 0, 3)) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, w[4] & 0xFFFCu);
			return 1;
		}
		tf->rsp = w[3];
		tf->ss = (uint16_t)w[4];
	} else if (to == 0) {
		if (!seg_check(vm, cs, 1, 0)) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, cs & ~3u);
			return 1;
		}
		cs |= 1;
		tf->rsp = sp_add(&ssd, sp, 3 * osz);
	} else {
		/* Ring 1 or 2: the VMM cannot run guest code there (its ring 1 is the guest's ring 0).
		 * But the CPU refuses most such irets, and then the guest gets the fault, as on real
		 * hardware: CS must name a present code segment of that ring (DPL = RPL, or DPL <= RPL
		 * if conforming): else #GP(CS), #NP(CS) if not present; SS a writable data segment of
		 * that ring: else #GP(SS) (#SS if not present). Only an iret that would enter ring
		 * 1 or 2 stops the VM. (tests/fuzz found it: random iret frames.) */
		uint64_t d;
		if (seg_guest_desc(vm, cs, &d) < 0 || !((d >> 44) & 1) || !(d & D_CODE) ||
		    (((d >> 42) & 1) ? D_DPL(d) > to : D_DPL(d) != to)) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, cs & ~3u);
			return 1;
		}
		if (!(d & D_PRESENT)) {
			reflect(vm, tf, 11, REFLECT_EXC_ERR, cs & ~3u);
			return 1;
		}
		if (iret_pop(vm, tf, sp_add(&ssd, sp, 3 * osz), w + 3, 2, osz) < 0)   /* (after CS: 1:1609) */
			return 1;
		uint16_t ss = (uint16_t)w[4];
		if ((ss & 3) != to || seg_guest_desc(vm, ss, &d) < 0 || !((d >> 44) & 1) || (d & D_CODE) ||
		    !((d >> 41) & 1) || D_DPL(d) != to) {
			reflect(vm, tf, 13, REFLECT_EXC_ERR, ss & ~3u);
			return 1;
		}
		if (!(d & D_PRESENT)) {
			reflect(vm, tf, 12, REFLECT_EXC_ERR, ss & ~3u);
			return 1;
		}
		vm_fail(vm, "iret to ring %u at %08lx (only rings 0 and 3 are supported)", to, tf->rip);
		return 1;
	}
	tf->rip = eip;
	tf->cs = cs;
	set_guest_eflags(vm, tf, fl);
	iret_flags(tf, fl);
	if (traced) {
		kprintf("trace: %s: 4. VMM does the real return: iretq to %04lx:%08lx (ring %u)\n", vm->name, tf->cs,
			tf->rip, to == 3 ? 3 : 1);
		vm->trace_esp = 0;
	}
	return 1;
}
