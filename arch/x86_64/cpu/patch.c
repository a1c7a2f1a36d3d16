/* patch.c - the patcher: find the sensitive instructions in guest code and replace them by int3,
 * then emulate each one when its int3 fires.
 *
 * Scanning decodes linearly from the start of each executable ELF segment, so it relies on the
 * decoder getting every length right (tests/decoder checks it against objdump). A byte that does
 * not decode ends the scan of that run (data in a text segment) and is logged. */
#include "vm.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

/* A table change (scan, unscan, sort) moves entries: the lookup cache is void from then on. */
static void changed(struct patch_table *pt)
{
	pt->gen++;
}

static int cmp_addr(const struct patch *a, const struct patch *b)
{
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void sort(struct patch_table *pt)
{
	/* insertion sort: the scan appends in address order, so this is nearly free */
	for (unsigned i = 1; i < pt->n; i++) {
		struct patch x = pt->p[i];
		unsigned j = i;
		while (j > 0 && cmp_addr(&pt->p[j - 1], &x) > 0) {
			pt->p[j] = pt->p[j - 1];
			j--;
		}
		pt->p[j] = x;
	}
	pt->sorted = 1;
	changed(pt);
}

const struct patch *patch_find(struct patch_table *pt, uint32_t addr)
{
	/* The few sites a guest hits over and over (its iret, the pushf/popf of its locks) are found
	 * in a small direct-mapped cache first; the binary search fills it. */
	struct patch_hit *c = &pt->cache[(addr ^ (addr >> 7)) % PATCH_CACHE];
	if (c->gen == pt->gen && c->addr == addr && pt->gen)
		return &pt->p[c->idx];
	if (!pt->sorted)
		sort(pt);
	unsigned lo = 0, hi = pt->n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (pt->p[mid].addr == addr) {
			*c = (struct patch_hit){ addr, mid, pt->gen };
			return &pt->p[mid];
		}
		if (pt->p[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int patch_scanned(const struct vm *vm, uint32_t gfn)
{
	return gfn < GUEST_MAX_FRAMES && (vm->scanned[gfn / 8] >> (gfn % 8) & 1);
}

static void set_scanned(struct vm *vm, uint32_t gfn, int on)
{
	if (gfn >= GUEST_MAX_FRAMES)
		return;
	guard_gen++;
	if (on)
		vm->scanned[gfn / 8] |= (uint8_t)(1u << (gfn % 8));
	else
		vm->scanned[gfn / 8] &= (uint8_t)~(1u << (gfn % 8));
}

unsigned patch_unscan(struct vm *vm, uint32_t gfn)
{
	unsigned n = 0, k = 0;
	for (unsigned i = 0; i < vm->pt.n; i++) {
		struct patch *p = &vm->pt.p[i];
		if (p->addr >> 12 == gfn) {
			uint8_t *b = gpa_ptr(vm, p->addr);
			if (b && *b == 0xCC)
				*b = p->orig;      /* the guest's own byte, before it writes its own */
			n++;
		} else
			vm->pt.p[k++] = *p;
	}
	vm->pt.n = k;
	changed(&vm->pt);
	set_scanned(vm, gfn, 0);
	return n;
}

/* Decode linearly from start (an instruction boundary) to end and patch what needs it. When `r`
 * is given, remember for each page the offset of the first instruction that starts in it. */
static unsigned scan(struct vm *vm, uint32_t start, uint32_t end, struct code_range *r)
{
	unsigned n = 0;
	uint32_t a = start, page = 0xFFFFFFFFu, base = 0xFFFFFFFFu;
	const uint8_t *cur = 0, *next = 0;     /* this page and the next, as the VMM sees them */
	while (a < end) {
		if (a >= vm->data_start && a < vm->data_end) {
			a = vm->data_end;            /* known data (the loader says so): never decoded */
			continue;
		}
		if (r && a >> 12 != page) {
			page = a >> 12;
			r->first[page - (r->start >> 12)] = (uint16_t)(a & 0xFFF);
		}
		/* The bytes of an instruction that runs into the next page are its own: decode them. */
		uint8_t buf[16];
		if ((a & ~0xFFFu) != base) {
			base = a & ~0xFFFu;
			cur = gpa_ptr(vm, base);
			next = gpa_ptr(vm, base + 4096);
		}
		for (uint32_t i = 0, off = a & 0xFFF; i < sizeof buf; i++, off++) {
			const uint8_t *pg = off < 4096 ? cur : next;
			buf[i] = pg ? pg[off & 0xFFF] : 0;
		}
		struct x86_insn in;
		int l = x86_decode(buf, sizeof buf, 32, &in);
		if (l <= 0) {
			/* Not code (or padding the decoder rejects): skip one byte and resynchronise. */
			vm->pt.undecodable++;
			a++;
			continue;
		}
		if (x86_needs_patch(&in)) {
			if (vm->pt.n == PATCH_MAX) {
				log_warn("patch", "%s: patch table full at %08x", vm->name, a);
				return n;
			}
			uint8_t *p = gpa_ptr(vm, a);
			struct patch *pp = &vm->pt.p[vm->pt.n++];
			pp->addr = a;
			pp->orig = *p;
			pp->len = (uint8_t)l;
			pp->kind = (uint8_t)in.kind;
			*p = 0xCC;
			vm->patched_kinds[in.kind]++;
			n++;
		}
		a += (uint32_t)l;
	}
	vm->pt.sorted = 0;
	changed(&vm->pt);
	return n;
}

unsigned patch_scan(struct vm *vm, uint32_t start, uint32_t len)
{
	uint32_t end = start + len;
	for (uint32_t g = start >> 12; g <= (end - 1) >> 12 && len; g++)
		set_scanned(vm, g, 1);
	return scan(vm, start, end, 0);
}

int patch_code_range(struct vm *vm, uint32_t start, uint32_t len, unsigned *patched)
{
	struct patch_table *pt = &vm->pt;
	uint32_t pages = ((start + len - 1) >> 12) - (start >> 12) + 1;
	if (!len || pt->nranges == PATCH_CODE_RANGES || pages * 2 > sizeof pt->ranges[0].frames / sizeof(mfn_t) * FRAME_SIZE)
		return -1;
	struct code_range *r = &pt->ranges[pt->nranges];
	memset(r, 0, sizeof *r);
	uint32_t nf = (pages * 2 + FRAME_SIZE - 1) / FRAME_SIZE;
	for (uint32_t i = 0; i < nf; i++) {
		if (frame_alloc(FRAME_VMM, &r->frames[i]) < 0) {
			for (uint32_t k = 0; k < i; k++)
				frame_free(FRAME_VMM, r->frames[k]);
			return -1;
		}
	}
	/* The table of first-instruction offsets spans contiguous frames only if they are; copy
	 * through a per-frame view instead of assuming it. */
	r->nframes = nf;
	r->start = start;
	r->end = start + len;
	r->first = frame_to_virt(r->frames[0]);
	if (nf > 1)
		for (uint32_t i = 1; i < nf; i++)
			if (r->frames[i] != r->frames[0] + i)
				r->first = 0;
	if (!r->first) {
		for (uint32_t i = 0; i < nf; i++)
			frame_free(FRAME_VMM, r->frames[i]);
		return -1;
	}
	for (uint32_t i = 0; i < pages; i++)
		r->first[i] = 0xFFFF;                  /* no instruction starts in this page */
	pt->nranges++;
	for (uint32_t g = start >> 12; g <= (r->end - 1) >> 12; g++)
		set_scanned(vm, g, 1);
	*patched = scan(vm, start, r->end, r);
	return 0;
}

uint32_t patch_scan_from(struct vm *vm, uint32_t gpa)
{
	for (unsigned i = 0; i < vm->pt.nranges; i++) {
		const struct code_range *r = &vm->pt.ranges[i];
		if (gpa < r->start || gpa >= r->end)
			continue;
		uint16_t off = r->first[(gpa >> 12) - (r->start >> 12)];
		return off == 0xFFFF ? gpa : (gpa & ~0xFFFu) + off;
	}
	return gpa;
}

void patch_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->pt.nranges; i++)
		for (unsigned k = 0; k < vm->pt.ranges[i].nframes; k++)
			frame_free(FRAME_VMM, vm->pt.ranges[i].frames[k]);
	vm->pt.nranges = 0;
}

/* Where a ModRM operand lives: a register (returns 0 and *reg) or memory (returns 1 and *la). */
static uint64_t *gpr(struct trapframe *tf, unsigned r)
{
	uint64_t *regs[8] = { &tf->rax, &tf->rcx, &tf->rdx, &tf->rbx, &tf->rsp, &tf->rbp, &tf->rsi, &tf->rdi };
	return regs[r & 7];
}

/* The ModRM operand's offset and segment: 1 if it is in memory, 0 if it is a register. */
static int operand(struct trapframe *tf, const struct x86_insn *in, uint32_t *off, enum x86_seg *seg)
{
	if (!(in->flags & X86_F_MEM))
		return 0;
	struct x86_regs32 r = { (uint32_t)tf->rax, (uint32_t)tf->rcx, (uint32_t)tf->rdx, (uint32_t)tf->rbx,
				(uint32_t)tf->rsp, (uint32_t)tf->rbp, (uint32_t)tf->rsi, (uint32_t)tf->rdi };
	x86_effective_address32(in, &r, off, seg);
	return 1;
}

/* Store a 16- or 32-bit result into the ModRM destination. */
static int store(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, uint32_t v, unsigned bytes)
{
	uint32_t off;
	enum x86_seg seg;
	if (operand(tf, in, &off, &seg))
		return seg_write(vm, tf, seg, off, &v, bytes);
	uint64_t *r = gpr(tf, in->rm);
	if (bytes == 2)
		*r = (*r & ~0xFFFFULL) | (v & 0xFFFF);
	else
		*r = v;   /* a 32-bit register write zero-extends */
	return 0;
}

/* sgdt, sidt, sldt, str, smsw: the guest's own registers, never the VMM's (its tables, TR,
 * LDTR, the real CR0). Reached from a patch site of the guest kernel, or from the #GP that the
 * real CR4.UMIP gives anywhere else (emulate.c). 0, or -1 with a fault reflected. */
int emulate_sys_read(struct vm *vm, struct trapframe *tf, const struct x86_insn *in)
{
	unsigned osz = in->opsize == 16 ? 2 : 4;
	uint32_t off, v;
	enum x86_seg seg;
	if (in->kind == X86_K_SGDT || in->kind == X86_K_SIDT) {
		uint8_t d[6];
		uint16_t lim = in->kind == X86_K_SGDT ? vm->gdtr.limit : vm->idtr.limit;
		uint32_t base = in->kind == X86_K_SGDT ? vm->gdtr.base : vm->idtr.base;
		memcpy(d, &lim, 2);
		memcpy(d + 2, &base, 4);
		if (!operand(tf, in, &off, &seg))
			return reflect(vm, tf, 6, REFLECT_EXC, 0), -1;
		return seg_write(vm, tf, seg, off, d, 6);
	}
	/* smsw to a 32-bit register stores all of CR0, as the CPUs (and QEMU) do; the SDM calls the
	 * upper half undefined (tests/fuzz: the guest saw it cleared) */
	v = in->kind == X86_K_SLDT ? vm->ldtr : in->kind == X86_K_STR ? vm->tr :
	    (!(in->flags & X86_F_MEM) && osz == 4) ? vm->cr0 : (vm->cr0 & 0xFFFF);
	return store(vm, tf, in, v, (in->flags & X86_F_MEM) ? 2 : osz);
}

/* A far call or jmp (9a, ea, ff /3, ff /5) at the guest's CPL 0, ending at next: to a TSS or a
 * task gate it is a task switch (task.c); a call to code of the guest kernel's own ring pushes
 * CS as the guest sees it (RPL 0) -- no call gates: seg_kernel_code gives the #GP a VMM without
 * them owes. 1: done here (or its fault reflected); 0: a jmp to code, which the CPU does itself
 * (its #GP stands). */
int emulate_far(struct vm *vm, struct trapframe *tf, const struct x86_insn *in, uint32_t next)
{
	unsigned osz = in->opsize == 16 ? 2 : 4;
	uint32_t to = 0, off;
	uint16_t sel = 0;
	enum x86_seg seg;
	if (operand(tf, in, &off, &seg)) {               /* ff /3, ff /5: m16:16 or m16:32 */
		if (seg_read(vm, tf, seg, off, &to, osz) < 0 || seg_read(vm, tf, seg, off + osz, &sel, 2) < 0)
			return 1;
	} else if (in->opcode == 0x9A || in->opcode == 0xEA) {   /* ptr16:16 or ptr16:32 */
		to = (uint32_t)in->imm;
		sel = (uint16_t)in->imm2;
	} else {
		reflect(vm, tf, 6, REFLECT_EXC, 0);          /* ff /3 or /5 with a register: #UD */
		return 1;
	}
	int call = in->kind == X86_K_CALL_FAR;
	int r = task_far(vm, tf, sel, call ? TASK_CALL : TASK_JMP, next);
	if (r || !call)
		return r;
	if (osz == 2)
		to &= 0xFFFF;
	if (!seg_kernel_code(vm, tf, sel))
		return 1;
	uint32_t fr[2] = { next, sel_to_guest((uint16_t)tf->cs) };
	uint16_t fr16[2] = { (uint16_t)next, (uint16_t)fr[1] };
	if (stack_push(vm, tf, osz == 2 ? (void *)fr16 : (void *)fr, 2 * osz) < 0)
		return 1;
	tf->cs = (sel & ~3u) | 1;
	tf->rip = to;
	return 1;
}

int emulate_patched(struct vm *vm, struct trapframe *tf, const struct patch *p)
{
	uint8_t bytes[16];
	struct x86_insn in;
	uint32_t eip = (uint32_t)tf->rip;             /* the patched instruction, guest-linear */
	if (fetch_insn(vm, tf, eip, &in, bytes, p) < 0)
		return 1;
	uint32_t next = eip + in.length;
	if (in.kind != p->kind) {
		vm_fail(vm, "patch table out of step at %08x: %s recorded, %s found", eip, x86_kind_name(p->kind),
			x86_kind_name(in.kind));
		return 1;
	}
	unsigned osz = in.opsize == 16 ? 2 : 4;
	uint32_t off, v;
	enum x86_seg seg;

	switch (in.kind) {
	case X86_K_PUSHF:
		/* (the VM and RF bits are never in the image pushf makes) */
		v = guest_eflags(vm, tf) & ~(FL_VM | FL_RF);
		if (stack_push(vm, tf, &v, osz) < 0)
			return 1;
		break;
	case X86_K_POPF: {
		uint32_t fl = 0;
		if (stack_pop(vm, tf, &fl, osz) < 0)
			return 1;
		if (osz == 2)
			fl = (guest_eflags(vm, tf) & 0xFFFF0000u) | (fl & 0xFFFF);
		set_guest_eflags(vm, tf, fl);
		break;
	}
	case X86_K_IRET:
		return emulate_iret(vm, tf, osz, in.length);
	case X86_K_SGDT:
	case X86_K_SIDT:
	case X86_K_SLDT:
	case X86_K_STR:
	case X86_K_SMSW:
		if (emulate_sys_read(vm, tf, &in) < 0)
			return 1;
		break;
	case X86_K_MOV_FROM_SREG:
		v = sel_to_guest((uint16_t)(in.sreg == X86_SEG_CS ? tf->cs : tf->ss));
		if (store(vm, tf, &in, v, (in.flags & X86_F_MEM) ? 2 : osz) < 0)
			return 1;
		break;
	case X86_K_PUSH_SREG:
		v = sel_to_guest((uint16_t)(in.sreg == X86_SEG_CS ? tf->cs : tf->ss));
		if (stack_push(vm, tf, &v, osz) < 0)
			return 1;
		break;
	case X86_K_CALL_FAR:
		/* A far call pushes CS: at the guest's CPL 0 the real one has RPL 1, so it is done
		 * here (emulate_far), with the guest's view (RPL 0) pushed. */
		emulate_far(vm, tf, &in, next);
		return 1;
	case X86_K_LAR:
	case X86_K_LSL:
	case X86_K_VERR:
	case X86_K_VERW: {
		/* Answer from the guest's own descriptor (DPL as the guest wrote it). */
		uint16_t sel;
		if (operand(tf, &in, &off, &seg)) {
			if (seg_read(vm, tf, seg, off, &sel, 2) < 0)
				return 1;
		} else
			sel = (uint16_t)*gpr(tf, in.rm);
		/* As the SDM's LAR, LSL, VERR and VERW check it: any descriptor in the table (present
		 * or not) of a type the instruction takes (LAR: code, data, LDT, TSS, call and task
		 * gates; LSL: no gates; VERR: readable code or data; VERW: writable data), visible from
		 * the CPL and the selector's RPL (DPL >= both) unless conforming code (tests/fuzz 9:6285:
		 * lsl of a DPL-0 segment with RPL 2 succeeded). */
		uint64_t d = 0;
		int ok = seg_guest_desc(vm, sel, &d) == 0;
		unsigned type = (d >> 40) & 0xF, dpl = (d >> 45) & 3, cpl = guest_cpl(tf), rpl = sel & 3;
		int s_bit = (d >> 44) & 1, is_code = s_bit && (type & 8), conforming = is_code && (type & 4);
		/* (system types: 16-bit TSS 1/3, LDT 2, 32-bit TSS 9/11; the gates LAR also takes: 4, 5, 12) */
		uint32_t sys_ok = in.kind == X86_K_LAR ? 0x1A3E : in.kind == X86_K_LSL ? 0x0A0E : 0;
		if (!s_bit)
			ok = ok && ((sys_ok >> type) & 1);
		if (in.kind == X86_K_VERR)
			ok = ok && (!is_code || (type & 2));
		if (in.kind == X86_K_VERW)
			ok = ok && !is_code && (type & 2);
		ok = ok && (conforming || (dpl >= cpl && dpl >= rpl));
		uint32_t v = 0;
		if (in.kind == X86_K_LAR)
			v = (uint32_t)((d >> 32) & 0x00F0FF00u);
		if (in.kind == X86_K_LSL) {
			v = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
			if (d & (1ULL << 55))
				v = (v << 12) | 0xFFF;
		}
		if (ok && (in.kind == X86_K_LAR || in.kind == X86_K_LSL)) {
			uint64_t *r = gpr(tf, in.reg);
			*r = in.opsize == 16 ? (*r & ~0xFFFFull) | (v & 0xFFFF) : v;
		}
		tf->rflags = ok ? (tf->rflags | 0x40) : (tf->rflags & ~0x40ULL);
		break;
	}
	default:
		vm_fail(vm, "int3 at patched %s (%08x) that the VMM cannot emulate", x86_kind_name(in.kind), eip);
		return 1;
	}
	tf->rip = next;
	return 1;
}

const struct patch *patch_at_miss(struct vm *vm, uint32_t la)
{
	struct patch_table *pt = &vm->pt;
	uint32_t gpa;
	if (guest_translate(vm, la, &gpa) < 0)
		return 0;
	const struct patch *p = patch_find(pt, gpa);
	if (p)
		pt->lcache[patch_lslot(la, vm->sh.root)] = (struct patch_lhit){ la, (uint32_t)(p - pt->p), pt->gen, vm->sh.gen, vm->sh.root };
	return p;
}
