/* fuzz.c - a guest that executes random code at CPL 0 and CPL 3 and survives whatever it does.
 *
 * Each iteration fills a page-aligned buffer with xorshift bytes (in "interesting" mode mixed with
 * the instructions a VMM must trap, patch or check: descriptor-table loads, control/debug register
 * moves, MSRs, port I/O, far transfers and irets with random selectors, segment loads, ...), loads
 * random registers and runs it, natively at ring 0 (under a VMM: ring 1) or at ring 3. The first
 * exception or interrupt ends the iteration: entry.asm restores a known-good GDT, IDT, TSS, segments,
 * paging and stack. Command line: seed=N iters=N. Ends with "fuzz: done" and isa-debug-exit 0.
 *
 * Memory (paging on, identity): the kernel (supervisor), the CPL-0 code buffer KBUF (supervisor,
 * 4 KiB pages), and one 4 MiB user page at 0x800000 with the CPL-3 code buffer, a scratch area
 * (random GDT/IDT images, pseudo-descriptors for lgdt/lidt, far pointers) and both random stacks.
 * Everything else is unmapped, so random addresses fault instead of hitting the fuzzer. */
#include <stdint.h>

#define KBUF     0x00200000u
#define UREGION  0x00800000u
#define UBUF     0x00800000u
#define SCRATCH  0x00810000u     /* 64 KiB */
#define SGDT_IMG (SCRATCH + 0x1000)
#define SIDT_IMG (SCRATCH + 0x2000)
#define PSEUDO   (SCRATCH + 0x3000)   /* 16 pseudo-descriptors (6 bytes, 8 apart) */
#define FARPTRS  (SCRATCH + 0x3100)   /* 16 far pointers (6 bytes, 8 apart) */
#define KSTACK   0x00900000u     /* the random code's CPL-0 stack top */
#define USTACK   0x00A00000u
#define BUFLEN   4096u

uint32_t run_buffer(void *frame, int ring3);
extern uint32_t restore_mask;
extern char trap_stubs[], _end[], df_entry[];

uint64_t gdt[9] __attribute__((aligned(8)));
uint64_t idt[256] __attribute__((aligned(8)));
struct __attribute__((packed)) { uint16_t limit; uint32_t base; } good_gdtr, good_idtr;
uint32_t good_cr0, good_cr3, good_cr4;
static uint32_t tss[26] __attribute__((aligned(64))), tss_df[26] __attribute__((aligned(64)));
static uint8_t df_stack[4096] __attribute__((aligned(16)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));
static uint8_t tss_stack[8192] __attribute__((aligned(16)));
static uint32_t counts[256];
static uint32_t rng;

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }

static void putc_(char c) { outb(0x3F8, (uint8_t)c); }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putu(uint32_t v)
{
	char b[12];
	int i = 0;
	do b[i++] = (char)('0' + v % 10); while (v /= 10);
	while (i) putc_(b[--i]);
}
static void putx(uint32_t v, int digits)
{
	while (digits--) putc_("0123456789abcdef"[(v >> (digits * 4)) & 15]);
}

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}
static uint32_t below(uint32_t n) { return rnd() % n; }

static uint32_t parse(const char *cmd, const char *key, uint32_t dflt)
{
	for (const char *p = cmd; p && *p; p++) {
		if (p != cmd && p[-1] != ' ')
			continue;
		const char *k = key, *q = p;
		while (*k && *q == *k) k++, q++;
		if (*k || *q != '=')
			continue;
		uint32_t v = 0;
		for (q++; *q >= '0' && *q <= '9'; q++)
			v = v * 10 + (uint32_t)(*q - '0');
		return v;
	}
	return dflt;
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags)
{
	return (limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)type << 40) |
	       ((uint64_t)dpl << 45) | (1ULL << 47) | ((uint64_t)((limit >> 16) & 15) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(uint32_t off, unsigned dpl)
{
	return (off & 0xFFFF) | (0x08ULL << 16) | (0x8EULL << 40) | ((uint64_t)dpl << 45) |
	       ((uint64_t)(off >> 16) << 48);
}

static void task_states(void);
static void setup(void)
{
	gdt[0] = 0;
	gdt[1] = seg_desc(0, 0xFFFFF, 0x1A, 0, 0xC);   /* 0x08 ring-0 code */
	gdt[2] = seg_desc(0, 0xFFFFF, 0x12, 0, 0xC);   /* 0x10 ring-0 data */
	gdt[3] = seg_desc(0, 0xFFFFF, 0x1A, 3, 0xC);   /* 0x18 ring-3 code */
	gdt[4] = seg_desc(0, 0xFFFFF, 0x12, 3, 0xC);   /* 0x20 ring-3 data */
	gdt[5] = seg_desc((uint32_t)tss, sizeof tss - 1, 0x09, 0, 0);   /* 0x28 TSS */
	gdt[6] = seg_desc(0x1000, 0xFFFF, 0x12, 0, 0x4);   /* 0x30 a small data segment */
	gdt[7] = seg_desc((uint32_t)tss_df, sizeof tss_df - 1, 0x09, 0, 0);   /* 0x38 #DF TSS */
	gdt[8] = 0;
	tss[1] = (uint32_t)(tss_stack + sizeof tss_stack);
	tss[2] = 0x10;
	for (unsigned v = 0; v < 256; v++)
		idt[v] = gate((uint32_t)trap_stubs + v * 16, v == 0x80 ? 3 : 0);
	idt[8] = (0x38ULL << 16) | (0x85ULL << 40);    /* task gate: natively survives a lost ESP */
	good_gdtr.limit = sizeof gdt - 1;
	good_gdtr.base = (uint32_t)gdt;
	good_idtr.limit = sizeof idt - 1;
	good_idtr.base = (uint32_t)idt;

	/* Paging: identity. 0..4 MiB by 4 KiB pages (the kernel image and KBUF, supervisor), the
	 * 4 MiB page at UREGION for user code, scratch and stacks. */
	for (uint32_t a = 0x100000; a < (uint32_t)_end; a += 4096)
		pt0[a >> 12] = a | 3;
	pt0[KBUF >> 12] = KBUF | 3;
	pt0[(KBUF >> 12) + 1] = (KBUF + 4096) | 3;
	pd[0] = (uint32_t)pt0 | 3;
	pd[UREGION >> 22] = UREGION | 0x87;
	good_cr3 = (uint32_t)pd;
	good_cr4 = 0x10 | 0x200 | 0x400;                /* PSE, OSFXSR, OSXMMEXCPT */
	good_cr0 = 0x80000033u;                         /* PG NE ET MP PE */
	task_states();
}

/* Natively, a task switch (a #DF through its task gate, or the random code jumping to a TSS
 * selector) loads one of these states: both lead to the recovery path. The CPU saves the random
 * code's registers into the outgoing TSS, so they are rewritten before every iteration. */
static void task_state(uint32_t *t, uint8_t *stack)
{
	t[7] = good_cr3;
	t[8] = (uint32_t)df_entry;
	t[9] = 2;
	t[14] = (uint32_t)stack;
	t[18] = t[20] = t[21] = 0x10;
	t[19] = 0x08;
	t[22] = t[23] = t[24] = 0;
	t[25] = 104u << 16;
}

static void task_states(void)
{
	task_state(tss, df_stack + 2048);
	task_state(tss_df, df_stack + sizeof df_stack);
	gdt[7] = seg_desc((uint32_t)tss_df, sizeof tss_df - 1, 0x09, 0, 0);   /* 0x38, not busy */
}

static void pic_pit_init(void)
{
	outb(0x20, 0x11); outb(0xA0, 0x11);
	outb(0x21, 0x20); outb(0xA1, 0x28);
	outb(0x21, 4); outb(0xA1, 2);
	outb(0x21, 1); outb(0xA1, 1);
	outb(0x21, 0xFE); outb(0xA1, 0xFF);             /* IRQ0 only: it wakes a random hlt */
	outb(0x43, 0x34); outb(0x40, 0xA9); outb(0x40, 0x04);   /* ~1 kHz */
}

/* ---- the generator ---- */

static uint8_t *out;
static uint32_t outn, outmax;
static void emit(uint8_t b) { if (outn < outmax) out[outn++] = b; }
static void emit32(uint32_t v) { for (int i = 0; i < 4; i++) emit((uint8_t)(v >> (8 * i))); }
static void emit16(uint16_t v) { emit((uint8_t)v); emit((uint8_t)(v >> 8)); }

static uint16_t rsel(void)
{
	switch (below(6)) {
	case 0: return (uint16_t)rnd();
	case 1: return (uint16_t)(0xFFE0 + below(32));     /* the VMM's slots at the top */
	case 2: return (uint16_t)(below(8) * 8 + below(4) + (below(4) == 0 ? 4 : 0));
	default: return (uint16_t)(below(8) * 8 + below(4));
	}
}

static uint32_t rflags(void)
{
	uint32_t f = rnd() & 0x003F7FD7u;
	f |= 2;
	if (below(16))
		f &= ~(1u << 14 | 1u << 17);                    /* NT and VM: rarely */
	return f;
}

static uint8_t rmodrm_mem_scratch(unsigned reg)   /* [disp32] addressing: mod 0, rm 5 */
{
	return (uint8_t)(((reg & 7) << 3) | 5);
}

static uint8_t safe_port(uint8_t p)
{
	/* ports that end the machine natively (debug exit, reset, A20) or scribble on the console */
	if (p == 0xF4 || p == 0xF5 || p == 0xF6 || p == 0xF7 || p == 0x64 || p == 0x92 || p == 0xF0 ||
	    (p >= 0xF8))
		return 0x80;
	return p;
}

static void interesting(void)
{
	unsigned r = below(40);
	switch (r) {
	case 0: emit(0x0F); emit(0x00); emit((uint8_t)(0xC0 | below(64))); break;   /* sldt/str/lldt/ltr/verr/verw reg */
	case 1: emit(0x0F); emit(0x00); emit(rmodrm_mem_scratch(below(8))); emit32(SCRATCH + below(0x4000)); break;
	case 2: emit(0x0F); emit(0x01); emit((uint8_t)(0xC0 | below(64))); break;   /* 0F 01 mod-3 rows */
	case 3: case 4: {                                                          /* lgdt/lidt */
		unsigned idt = r == 4;
		emit(0x0F); emit(0x01); emit(rmodrm_mem_scratch(2 + idt));
		emit32(PSEUDO + 64 * idt + 8 * below(8));
		break;
	}
	case 5: { static const uint8_t g[] = { 0, 1, 4, 6, 7 }; emit(0x0F); emit(0x01); emit(rmodrm_mem_scratch(g[below(5)])); } emit32(SCRATCH + below(0x4000)); break;
	case 6: emit(0x0F); emit(0x20); emit((uint8_t)(0xC0 | below(64))); break;   /* mov r, crN */
	case 7: emit(0x0F); emit(0x21); emit((uint8_t)(0xC0 | below(64))); break;   /* mov r, drN */
	case 8: {                                                                   /* mov crN, r: toggles */
		static const uint32_t cr0bits[] = { 1u << 3, 1u << 1, 1u << 2, 1u << 18, 1u << 5, 1u << 16 };
		static const uint32_t cr4bits[] = { 1u << 2, 1u << 3, 1u << 7, 1u << 8, 1u << 10, 1u << 9 };
		unsigned which = below(4);
		if (which == 2) {                           /* mov cr2, random */
			emit(0x0F); emit(0x22); emit((uint8_t)(0xD0 | below(8)));
			break;
		}
		unsigned cr = which == 0 ? 0 : which == 1 ? 4 : 3;
		emit(0x0F); emit(0x20); emit((uint8_t)(0xC0 | cr << 3));   /* mov eax, crN */
		if (cr != 3) {
			emit(0x35);
			emit32(cr == 0 ? cr0bits[below(6)] : cr4bits[below(6)]);   /* xor eax, bit */
		}
		emit(0x0F); emit(0x22); emit((uint8_t)(0xC0 | cr << 3));
		break;
	}
	case 9: emit(0x0F); emit(0x23); emit((uint8_t)(0xC0 | below(64))); break;   /* mov drN, r */
	case 10: case 11: {                                                       /* rdmsr/wrmsr */
		static const uint32_t msrs[] = { 0x10, 0x174, 0x175, 0x176, 0x1B, 0xC0000080u, 0x277, 0x3A,
						 0xC0000100u, 0x12345678u };
		uint32_t m = msrs[below(10)];
		int wr = r == 11 && (m == 0x10 || (m >= 0x174 && m <= 0x176) || m == 0x12345678u);
		emit(0xB9); emit32(m);
		emit(0x0F); emit(wr ? 0x30 : 0x32);
		break;
	}
	case 12: emit(0xCC); break;
	case 13: emit(0xCD); emit((uint8_t)rnd()); break;
	case 14: case 15:                                                         /* iret, random frame */
		if (below(2)) { emit(0x68); emit32(USTACK - 64); emit(0x68); emit32(0x20 | below(4)); }
		emit(0x68); emit32(rflags());
		emit(0x68); emit32(rsel());
		emit(0x68); emit32(below(2) ? UBUF + below(64) : rnd());
		if (below(4) == 0) emit(0x66);
		emit(0xCF);
		break;
	case 16: emit(0x9C); break;
	case 17: emit(0x68); emit32(rflags()); emit(0x9D); break;               /* push imm; popf */
	case 18: emit(0x66); emit(0xB8); emit16(rsel()); emit(0x8E); emit((uint8_t)(0xC0 | below(6) << 3)); break;
	case 19: emit(0x8C); emit((uint8_t)(0xC0 | below(64))); break;
	case 20: emit((uint8_t)(0xE4 + below(4))); emit(safe_port((uint8_t)rnd())); break;
	case 21: emit(0x66); emit(0xBA); emit16((uint16_t)(0x20 + below(0x3D8))); emit((uint8_t)(0xEC + below(4))); break;
	case 22: emit(0xFB); emit(0xF4); break;                                   /* sti; hlt */
	case 23: emit(below(2) ? 0xFA : 0xFB); break;
	case 24: emit(0x0F); emit((uint8_t)(below(3) == 0 ? 0x06 : below(2) ? 0x08 : 0x09)); break;
	case 25: emit(0x0F); emit(0x01); emit((uint8_t)(0xF8 + below(8))); break;  /* 0F 01 /7 mod 3 */
	case 26: emit(0x0F); emit(0x01); emit(rmodrm_mem_scratch(7)); emit32(below(2) ? SCRATCH : rnd()); break;
	case 27: emit(0xEA); emit32(below(2) ? UBUF : rnd()); emit16(rsel()); break;      /* jmp far */
	case 28: emit(0x9A); emit32(below(2) ? UBUF : rnd()); emit16(rsel()); break;      /* call far */
	case 29: emit(0x68); emit32(rsel()); emit(0x68); emit32(rnd()); emit(below(2) ? 0xCB : 0xCA);
		if (out[outn - 1] == 0xCA) emit16((uint16_t)below(64));
		break;
	case 30: emit(0xFF); emit(rmodrm_mem_scratch(below(2) ? 3 : 5)); emit32(FARPTRS + 8 * below(16)); break;
	case 31: emit(0x0F); emit((uint8_t)(0xB2 + (below(3) == 0 ? 0 : 2 + below(2)))); emit(rmodrm_mem_scratch(below(8))); emit32(FARPTRS + 8 * below(16)); break;
	case 32: { static const uint8_t p[] = { 0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F }; emit(p[below(7)]); break; }
	case 33: emit(0x0F); emit((uint8_t)(0xA0 + below(2) + 8 * below(2))); break;   /* push/pop fs/gs */
	case 34: emit(0x0F); emit((uint8_t)(0x02 + below(2))); emit((uint8_t)(0xC0 | below(64))); break;  /* lar/lsl */
	case 35: { static const uint8_t p[] = { 0x34, 0x35, 0x05, 0x07, 0x0B, 0x31, 0x33, 0xA2 }; emit(0x0F); emit(p[below(8)]); break; }
	case 36: emit(0xB9); emit32(below(8)); emit(0xF3); emit((uint8_t)(0x6C + below(4))); break;  /* rep ins/outs */
	case 37: emit(0x66); emit(0xB8); emit16(rsel()); emit(0x8E); emit(0xD0); break;   /* mov ss */
	case 38: emit(0xCE); break;                                                      /* into */
	default: emit(0xF1); break;                                                      /* icebp */
	}
}

/* Bytes that would end the machine natively whatever the VMM does: out to the exit/reset ports,
 * and hlt outside a "sti; hlt" pair (cli; hlt hangs a real CPU for ever). */
static void defuse(uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if ((b[i] == 0xE6 || b[i] == 0xE7 || b[i] == 0xE4 || b[i] == 0xE5) && i + 1 < n)
			b[i + 1] = safe_port(b[i + 1]);
		if (b[i] == 0xF4 && (i == 0 || b[i - 1] != 0xFB))
			b[i] = 0x90;
	}
}

static void fill_scratch(void)
{
	uint8_t *s = (uint8_t *)SCRATCH;
	for (uint32_t i = 0; i < 0x1000; i += 4)
		*(uint32_t *)(s + i) = below(4) ? rnd() : SCRATCH + below(0x4000);
	/* A GDT image: the fuzzer's own entries 1..7 (so a trap can still be delivered), random above. */
	uint64_t *g = (uint64_t *)SGDT_IMG;
	for (unsigned i = 0; i < 64; i++)
		g[i] = i >= 1 && i <= 7 ? gdt[i] : below(2) ? ((uint64_t)rnd() << 32 | rnd())
			: seg_desc(below(2) ? 0 : rnd(), rnd() & 0xFFFFF, below(32), below(4), below(16));
	/* An IDT image: ours, with a few random gates on vectors the code rarely raises. */
	uint64_t *d = (uint64_t *)SIDT_IMG;
	for (unsigned i = 0; i < 256; i++)
		d[i] = idt[i];
	for (unsigned k = 0; k < 4; k++)
		d[0x40 + below(0x40)] = (uint64_t)rnd() << 32 | rnd();
	/* Pseudo-descriptors: good tables, the images with sane limits, and random ones. */
	for (unsigned i = 0; i < 16; i++) {
		uint16_t lim;
		uint32_t base;
		if (i < 8) {                                /* for lgdt */
			lim = below(2) ? good_gdtr.limit : (uint16_t)(0x3F + below(0x1C0));
			base = below(2) ? good_gdtr.base : SGDT_IMG;
		} else {                                    /* for lidt */
			lim = below(2) ? 0x7FF : (uint16_t)(0x7FF + below(0x800));
			base = below(2) ? good_idtr.base : SIDT_IMG;
		}
		if (below(64) == 0)
			lim = 0xFFFF;
		*(uint16_t *)(PSEUDO + 8 * i) = lim;
		*(uint32_t *)(PSEUDO + 8 * i + 2) = base;
		*(uint32_t *)(FARPTRS + 8 * i) = below(2) ? UBUF + below(64) : rnd();
		*(uint16_t *)(FARPTRS + 8 * i + 4) = rsel();
	}
}

static uint32_t rreg(void)
{
	switch (below(6)) {
	case 0: return rnd();
	case 1: return below(256);
	case 2: return below(2) ? 0 : 0xFFFFFFFFu;
	default: return UREGION + (rnd() & 0x3FFFFC);      /* somewhere mapped */
	}
}

static uint32_t fuzz_one(uint32_t it, int interesting_mode, int ring3)
{
	uint8_t *buf = (uint8_t *)(ring3 ? UBUF : KBUF);
	uint32_t n = 16 + below(BUFLEN / 4);
	out = buf;
	outn = 0;
	outmax = n;
	while (outn < n) {
		if (interesting_mode && below(4) == 0)
			interesting();
		else
			emit((uint8_t)rnd());
	}
	defuse(buf, n);
	buf[n] = 0x0F;                      /* ud2 after the end */
	buf[n + 1] = 0x0B;
	if ((it & 15) == 1)
		fill_scratch();
	/* Stack contents: mapped addresses, so that pop esp, leave and ret keep going. */
	uint32_t sp = ring3 ? USTACK : KSTACK;
	for (uint32_t *p = (uint32_t *)(sp - 256); p < (uint32_t *)(sp + 256); p++)
		*p = below(2) ? UREGION + (rnd() & 0x3FFFFC) : (uint32_t)(buf + below(n));
	uint32_t esp = sp - 4 * below(16);
	uint32_t *f = (uint32_t *)(esp - 52);
	for (int i = 0; i < 8; i++)
		f[i] = rreg();
	f[2] = below(2) ? esp + 4 * below(32) : rreg();   /* ebp */
	f[8] = (uint32_t)buf;
	f[9] = ring3 ? 0x1B : 0x08;
	f[10] = 0x202 | (rnd() & 0x8D5) | (below(32) == 0 ? 0x100 : 0) | (below(16) == 0 ? 0x40000 : 0);
	f[11] = esp;                        /* ring 3 only: its esp and ss */
	f[12] = 0x23;
	if (!ring3)
		f = (uint32_t *)((uint8_t *)f + 8);   /* no esp/ss: move the frame up so the code starts at esp */
	if (!ring3)
		for (int i = 10; i >= 0; i--)
			f[i] = ((uint32_t *)((uint8_t *)f - 8))[i];
	task_states();
	/* Reload the TSS and control registers when the code may have changed them. */
	restore_mask = 0;
	for (uint32_t i = 0; i + 1 < n && !ring3; i++)
		if (buf[i] == 0x0F && (buf[i + 1] <= 0x01 || (buf[i + 1] >= 0x20 && buf[i + 1] <= 0x23)))
			restore_mask = 1;
	if ((it & 63) == 0)
		restore_mask = 1;
	return run_buffer(f, ring3);
}

static void report(const char *what, uint32_t it)
{
	puts_("fuzz: ");
	puts_(what);
	putu(it);
	puts_(" vectors");
	for (unsigned v = 0; v < 256; v++)
		if (counts[v]) {
			putc_(' ');
			putx(v, 2);
			putc_('=');
			putu(counts[v]);
		}
	putc_('\n');
}

void fuzz_main(uint32_t *mbi)
{
	const char *cmd = (mbi[0] & 4) ? (const char *)mbi[4] : "";
	uint32_t seed = parse(cmd, "seed", 1), iters = parse(cmd, "iters", 10000);
	rng = seed * 2654435761u + 0x9E3779B9u;
	if (!rng)
		rng = 1;
	puts_("fuzz: seed=");
	putu(seed);
	puts_(" iters=");
	putu(iters);
	putc_('\n');
	setup();
	__asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1: mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es;"
			 "mov %%ax, %%ss; mov %%ax, %%fs; mov %%ax, %%gs; lidt %1; mov $0x28, %%ax; ltr %%ax"
			 : : "m"(good_gdtr), "m"(good_idtr) : "eax", "memory");
	__asm__ volatile("mov %0, %%cr4; mov %1, %%cr3; mov %2, %%cr0" : : "r"(good_cr4), "r"(good_cr3), "r"(good_cr0));
	pic_pit_init();
	for (uint32_t it = 1; it <= iters; it++) {
		int mode = (it >> 3) & 1;             /* blocks of 8: plain random, then interesting */
		int ring3 = below(4) == 0;
		uint32_t v = fuzz_one(it, mode, ring3);
		counts[v & 255]++;
		if ((it & 7) == 0)
			pic_pit_init();
		if (it % 1000 == 0)
			report("iter ", it);
	}
	report("done after ", iters);
	puts_("fuzz: done\n");
	outb(0xF4, 0);
	for (;;)
		__asm__ volatile("hlt");
}
