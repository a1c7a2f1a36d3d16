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

/* The frame onto the stack as the CPU pushes it, word by word from the highest address down
 * (each word is one store: whole or not at all, gmem.c; a fault names the first word it stopped,
 * the highest). A frame across a page boundary has the
 * words wholly in the upper page written first, so that when the lower page faults, they are in
 * memory as after the CPU's pushes (tests/fuzz 1:5816: ESP 8, the frame wrapping to the top of
 * the address space, where the VMM had written its low words before page 0 faulted). */
static int push_words(struct vm *vm, uint32_t la, const uint32_t *words, uint32_t n, uint32_t *e, uint32_t *fa)
{
	uint32_t top = la + n - 4;                   /* the word pushed first: CR2 names it */
	if (guest_write(vm, la, words, n, 0, e, fa) == 0)
		return 0;
	if ((*fa & ~0xFFFu) == (top & ~0xFFFu))
		*fa = top;
	return -1;
}

static int frame_write(struct vm *vm, uint32_t la, const uint32_t *words, uint32_t n, uint32_t *e, uint32_t *fa)
{
	uint64_t end = (uint64_t)la + n, split = end & ~0xFFFull;
	if (split > la) {
		uint32_t k = (uint32_t)(split - la + 3) / 4;  /* the first word wholly above the boundary */
		if (4 * k < n && push_words(vm, la + 4 * k, words + k, n - 4 * k, e, fa) < 0)
			return -1;
		n = 4 * k < n ? 4 * k : n;
	}
	return push_words(vm, la, words, n, e, fa);
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
		if (frame_write(vm, esp, frame, 4 * n, &e, &fa) < 0)
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

/* Software interrupts (INT n, INT3, INTO) leave EIP after the instruction in their frame, but an
 * exception while delivering one is reported at the instruction itself: its length. soft_int
 * (run.c) knows it; an INT n through a gate the VMM left open came straight from the CPU, as
 * cd nn, or as the one-byte cc (#BP) and ce (#OF). */
static unsigned soft_len(struct vm *vm, struct trapframe *tf, unsigned vector, int how)
{
	uint8_t b = 0;
	uint32_t e, fa;
	if (vm->int_len)
		return vm->int_len;
	if (how != REFLECT_SOFT && !(how == REFLECT_EXC && (vector == 3 || vector == 4)))
		return 0;
	guest_read(vm, seg_base(vm, tf, X86_SEG_CS) + (uint32_t)tf->rip - 1, &b, 1, 0, &e, &fa);
	return (vector == 3 && b == 0xCC) || (vector == 4 && b == 0xCE) ? 1 : 2;
}

/* Delivering `first` raised exception f (its gate was bad, its stack not writable, its TSS
 * unusable): what the CPU does then (SDM Vol. 3, Table 6-5). Both contributory (#DE, #TS, #NP,
 * #SS, #GP), or a #PF first and then a contributory one or a #PF: a double fault, #DF(0).
 * Anything while delivering #DF: a triple fault, and a PC shuts down (the VM stops). Otherwise the
 * second exception is delivered, from the instruction the first came from. Its error code has
 * EXT (bit 0) set unless the first was a software interrupt (INT n, INT3, INTO). */
static int nested(struct vm *vm, struct trapframe *tf, unsigned first, int how, struct fault *f, const char *what)
{
	int exc = how == REFLECT_EXC || how == REFLECT_EXC_ERR;
	int contributory1 = exc && (first == 0 || (first >= 10 && first <= 13));
	int contributory2 = f->vec == 0 || (f->vec >= 10 && f->vec <= 13);
	unsigned back = soft_len(vm, tf, first, how);
	vm->int_len = 0;
	if (f->vec == 14) {
		if (f->err == 0xFFFFFFFFu) {
			guest_pf(vm, tf, f->err, f->cr2);    /* (the machine is out of memory: stops it) */
			return -1;
		}
		vm->cr2 = f->cr2;
	} else if (!back)
		f->err |= 1;                             /* EXT: not an INT n, INT3 or INTO */
	if (exc && first == 8) {
		vm_fail(vm, "vector %u (%s) while delivering a double fault at eip %08lx: a triple fault", f->vec, what,
			tf->rip);
		return -1;
	}
	if ((contributory1 && contributory2) || (exc && first == 14 && (contributory2 || f->vec == 14)))
		return reflect(vm, tf, 8, REFLECT_EXC_ERR, 0);
	tf->rip = (uint32_t)tf->rip - back;
	int err = f->vec == 8 || (f->vec >= 10 && f->vec <= 14) || f->vec == 17;
	return reflect(vm, tf, f->vec, err ? REFLECT_EXC_ERR : REFLECT_EXC, f->err);
}

/* Through a task gate (type 5): a task switch (task.c) instead of a frame; the error code, if
 * any, goes onto the new task's stack. */
static int task_gate(struct vm *vm, struct trapframe *tf, unsigned vector, int how, uint32_t err, uint16_t tss)
{
	struct fault f;
	int r = task_switch(vm, tf, tss, TASK_INT, &f);   /* (the old task's EIP: after an INT n) */
	if (r > 0)
		return nested(vm, tf, vector, how, &f, "task switch");
	vm->int_len = 0;
	if (r < 0)
		return -1;
	if (vm->trace_pending) {
		kprintf("trace: %s: 2. VMM switches tasks for vector %#x (%s): IDT task gate -> TSS %04x, eip %08lx\n",
			vm->name, vector, how_name(how), tss, tf->rip);
		vm->trace_pending = 0;                     /* (no frame: its iret is a task return) */
	}
	if (how == REFLECT_EXC_ERR && stack_push(vm, tf, &err, 4) < 0)
		return -1;
	return 0;
}

int reflect(struct vm *vm, struct trapframe *tf, unsigned vector, int how, uint32_t err)
{
	uint32_t gate[2], e, fa;
	unsigned from = guest_cpl(tf);
	struct fault f;
	vm->reflects++;
	if (fast_paths && !vm->trace_pending && reflect_fast(vm, tf, vector, how, err)) {
		vm->int_len = 0;
		return 0;                                  /* the common case (fastpath.c) */
	}

	/* 2a. The gate, from the guest's own IDT. Its faults name the gate: vector * 8 + 2. */
	uint32_t gerr = vector * 8 + 2;
	if (vector * 8 + 7 > vm->idtr.limit)
		return fault_set(&f, 13, gerr, 0), nested(vm, tf, vector, how, &f, "beyond the IDT's limit");
	if (guest_read(vm, vm->idtr.base + vector * 8, gate, 8, 0, &e, &fa) < 0)
		return fault_set(&f, 14, e, fa), nested(vm, tf, vector, how, &f, "reading the IDT");
	unsigned type = (gate[1] >> 8) & 0x1F, present = (gate[1] >> 15) & 1;
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	uint32_t off = (gate[0] & 0xFFFF) | (gate[1] & 0xFFFF0000u);
	if (type != 0x05 && type != 0x0E && type != 0x0F) {
		if (type == 0x06 || type == 0x07) {
			vm_fail(vm, "vector %u: guest gate is a 16-bit gate (type %#x) at eip %08lx: not supported", vector,
				type, tf->rip);
			return -1;
		}
		return fault_set(&f, 13, gerr, 0), nested(vm, tf, vector, how, &f, "not a gate");
	}
	if (!present)
		return fault_set(&f, 11, gerr, 0), nested(vm, tf, vector, how, &f, "gate not present");
	if (type == 0x05)
		return task_gate(vm, tf, vector, how, err, sel);
	uint64_t cd;
	if (!(sel & ~3u))
		return fault_set(&f, 13, 0, 0), nested(vm, tf, vector, how, &f, "null gate selector");
	if (seg_guest_desc(vm, sel, &cd) < 0 || !((cd >> 43) & 1) || !((cd >> 44) & 1))
		return fault_set(&f, 13, sel & ~3u, 0), nested(vm, tf, vector, how, &f, "gate selector not code");
	if (!((cd >> 47) & 1))
		return fault_set(&f, 11, sel & ~3u, 0), nested(vm, tf, vector, how, &f, "handler not present");
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
	/* On the stack segment's terms: its base and limit, SP rather than ESP if it is a 16-bit one.
	 * (A stack it cannot use at all is the new ring's, from the TSS: #TS(ss).) */
	struct seg sd;
	if (seg_of_sel(vm, ss, &sd) < 0)
		return fault_set(&f, 10, ss & ~3u, 0), nested(vm, tf, vector, how, &f, "stack segment unusable");
	esp = sp_add(&sd, esp, -4 * nf);
	if (!seg_access_ok(&sd, sp_off(&sd, esp), 4 * (uint32_t)nf, 1))
		return fault_set(&f, 12, to < from ? ss & ~3u : 0, 0), nested(vm, tf, vector, how, &f, "stack limit");
	if (frame_write(vm, sd.base + sp_off(&sd, esp), words, 4 * (uint32_t)nf, &e, &fa) < 0)
		return fault_set(&f, 14, e, fa), nested(vm, tf, vector, how, &f, "page fault on the stack");
	vm->int_len = 0;

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
		/* its iret will find the frame here: past the error code, which the handler pops */
		vm->trace_esp = how == REFLECT_EXC_ERR ? esp + 4 : esp;
	}
	if (!seg_check(vm, (uint16_t)tf->cs, 1, to) || !seg_check(vm, (uint16_t)tf->ss, 0, to)) {
		vm_fail(vm, "vector %u: handler %04x or stack %04x unusable at guest ring %u", vector, sel, ss, to);
		return -1;
	}
	return 0;
}

void raise_fault(struct vm *vm, struct trapframe *tf, const struct fault *f)
{
	if (f->vec == 14)
		guest_pf(vm, tf, f->err, f->cr2);
	else
		reflect(vm, tf, f->vec, REFLECT_EXC_ERR, f->err);   /* (#GP #NP #TS #SS: all have one) */
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

/* The checks an iret makes of the CS or SS it returns with, in the SDM's order, on the guest's own
 * descriptor (the CPU reads the GDT afresh): a code segment of that ring for CS (DPL = RPL, or
 * DPL <= RPL if conforming), a writable data segment of that ring for SS (RPL and DPL = the
 * ring), else #GP(selector); then present, else #NP(CS) or #SS(SS). Which fault, once the
 * VMM's copy (seg_check, the cheap test every iret makes) refused the selector: the vector, 13
 * if the guest's descriptor passes and only the VMM's copy cannot hold it; for rings 1 and 2,
 * which have no copy, 0 if it passes. */
static unsigned iret_seg_fault(struct vm *vm, uint16_t sel, int code, unsigned ring)
{
	uint64_t d;
	if (seg_guest_desc(vm, sel, &d) < 0 || !((d >> 44) & 1) || !!(d & D_CODE) != !!code)
		return 13;
	if (code ? (((d >> 42) & 1) ? D_DPL(d) > ring : D_DPL(d) != ring)
		 : ((sel & 3) != ring || !((d >> 41) & 1) || D_DPL(d) != ring))
		return 13;
	if (!(d & D_PRESENT))
		return code ? 11 : 12;
	return (ring == 0 || ring == 3) ? 13 : 0;
}

int emulate_iret(struct vm *vm, struct trapframe *tf, unsigned osz, unsigned len)
{
	/* With a 16-bit operand size (66 cf, iretw) the frame is IP, CS, FLAGS (and SP, SS to an
	 * outer ring) in 2-byte slots, EIP is the zero-extended IP, and EFLAGS bits 16-31 stay as
	 * they are; with 32 bits the slots are 4 bytes. */
	uint32_t w[5];
	uint32_t sp = (uint32_t)tf->rsp;
	struct seg ssd;
	if (seg_get(vm, tf, X86_SEG_SS, &ssd) < 0)
		ssd.big = 1;                               /* (stack_read raises the #SS) */
	/* The CPU looks at NT in EFLAGS as it is now: set, the iret is a task return, to the task
	 * whose TSS selector is in the current TSS's link field (task.c), and the stack is not
	 * read. (NT in a popped image is just loaded.) */
	if (guest_eflags(vm, tf) & FL_NT) {
		uint16_t link = 0;
		uint32_t e, fa;
		if (guest_read(vm, vm->tr_base, &link, 2, 0, &e, &fa) < 0)
			guest_pf(vm, tf, e, fa);
		else
			task_insn(vm, tf, link, TASK_IRET, (uint32_t)tf->rip + len);
		return 1;
	}
	if (iret_pop(vm, tf, sp, w, 3, osz) < 0)
		return 1;
	uint32_t eip = w[0], fl = w[2];
	if (osz == 2)
		fl = (guest_eflags(vm, tf) & 0xFFFF0000u) | fl;
	uint16_t cs = (uint16_t)w[1];
	unsigned to = cs & 3;
	/* VM in a 32-bit image at CPL 0 is a return to virtual-8086 mode (a 16-bit image has no VM
	 * bit), which the VMM does not do. */
	if (osz == 4 && (fl & FL_VM)) {
		vm_fail(vm, "iret to virtual-8086 mode at %08lx (v8086 is not supported)", tf->rip);
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
			reflect(vm, tf, iret_seg_fault(vm, cs, 1, 3), REFLECT_EXC_ERR, cs & 0xFFFCu);
			return 1;
		}
		if (iret_pop(vm, tf, sp_add(&ssd, sp, 3 * osz), w + 3, 2, osz) < 0)
			return 1;
		if (!seg_check(vm, (uint16_t)w[4], 0, 3)) {
			reflect(vm, tf, iret_seg_fault(vm, (uint16_t)w[4], 0, 3), REFLECT_EXC_ERR, w[4] & 0xFFFCu);
			return 1;
		}
		tf->rsp = w[3];
		tf->ss = (uint16_t)w[4];
	} else if (to == 0) {
		if (!seg_check(vm, cs, 1, 0)) {
			reflect(vm, tf, iret_seg_fault(vm, cs, 1, 0), REFLECT_EXC_ERR, cs & ~3u);   /* (20:1866: #NP) */
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
		unsigned v = iret_seg_fault(vm, cs, 1, to);
		if (v) {
			reflect(vm, tf, v, REFLECT_EXC_ERR, cs & ~3u);
			return 1;
		}
		if (iret_pop(vm, tf, sp_add(&ssd, sp, 3 * osz), w + 3, 2, osz) < 0)   /* (after CS: 1:1609) */
			return 1;
		v = iret_seg_fault(vm, (uint16_t)w[4], 0, to);
		if (v) {
			reflect(vm, tf, v, REFLECT_EXC_ERR, w[4] & ~3u);
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
