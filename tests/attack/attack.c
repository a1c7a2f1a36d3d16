/* attack.c - a guest that attacks the VMM's isolation and fidelity with architecturally defined
 * misdeeds (issue 12), each a small snippet of code run at ring 0 or ring 3 by the harness in
 * entry.asm, which comes back whatever the snippet does and notes what ended it (vector, error
 * code, faulting EIP, CR2).
 *
 * Each group of attacks prints one line "attack: NAME: ..." with what it observed (counts by vector
 * and a digest of every observation): natively (QEMU) and under the VMM these lines must be equal,
 * for the CPU defines every one of them. Lines "attack: # ..." carry what the platform decides
 * (which MSRs exist, what an unclaimed port reads) and are not compared. The VMM must never fault,
 * and a witness VM beside it (guest-x86 checksumming its pages) must not notice anything.
 * Ends with "attack: done" and isa-debug-exit 0. */
#include <stdint.h>

uint32_t run_snippet(const void *code, int ring3);
extern uint32_t regs[6], seen[4];
extern char trap_stubs[], kstack0_top[];

/* ---- output ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static void putc_(char c)
{
	while (!(inb(0x3FD) & 0x20))
		;
	outb(0x3F8, (uint8_t)c);
}
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putx(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		putc_("0123456789abcdef"[(v >> i) & 15]);
}
static void putd(uint32_t v)
{
	char b[12];
	int n = 0;
	do
		b[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		putc_(b[--n]);
}

/* ---- descriptor tables ---- */
struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));
uint64_t gdt[16] __attribute__((aligned(16)));
static uint64_t idt[256] __attribute__((aligned(16)));
static uint32_t tss[26] __attribute__((aligned(16)));
struct dtr good_gdtr, good_idtr;

static uint64_t seg(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)flags << 52 | (uint64_t)(base >> 24) << 56;
}

static void tables(void)
{
	gdt[1] = seg(0, 0xFFFFF, 0x9A, 0xC);     /* 0x08 code, ring 0 */
	gdt[2] = seg(0, 0xFFFFF, 0x92, 0xC);     /* 0x10 data, ring 0 */
	gdt[3] = seg(0, 0xFFFFF, 0xFA, 0xC);     /* 0x1B code, ring 3 */
	gdt[4] = seg(0, 0xFFFFF, 0xF2, 0xC);     /* 0x23 data, ring 3 */
	tss[1] = (uint32_t)kstack0_top;          /* esp0 */
	tss[2] = 0x10;                           /* ss0 */
	tss[25] = sizeof tss << 16;              /* no I/O bitmap */
	gdt[5] = seg((uint32_t)tss, sizeof tss - 1, 0x89, 0);   /* 0x28 TSS */
	gdt[6] = seg(0, 0xFFFFF, 0xFA, 0xC);     /* 0x33: ring-3 code, for far jumps from ring 0 */
	gdt[7] = seg(0, 0xFFFFF, 0x9E, 0xC);     /* 0x38: conforming code, ring 0 */
	gdt[8] = seg(0, 0xFFFFF, 0x9A, 0xC) & ~(1ULL << 47);   /* 0x40: code, not present */
	gdt[9] = seg(0, 0xFFFFF, 0xF2, 0xC);     /* 0x4B: ring-3 data (a bad SS for ring 0) */
	/* 0x50-0x7B: only in the GDT while long_segments() runs (good_gdtr's limit grows then) */
	gdt[10] = seg(0, 0xFFFFF, 0x9A, 0xA);    /* 0x50: L=1 D=0 code, ring 0 */
	gdt[11] = seg(0, 0xFFFFF, 0x9A, 0xE);    /* 0x58: L=1 D=1 code, ring 0 */
	gdt[12] = seg(0, 0xFFFFF, 0xFA, 0xA);    /* 0x63: L=1 D=0 code, ring 3 */
	gdt[13] = seg(0, 0xFFFFF, 0xFA, 0xE);    /* 0x6B: L=1 D=1 code, ring 3 */
	gdt[14] = seg(0, 0xFFFFF, 0x9E, 0xE);    /* 0x70: L=1 D=1 conforming code, ring 0 */
	gdt[15] = seg(0, 0xFFFFF, 0xFA, 0xC);    /* 0x7B: 32-bit code, ring 3 */
	good_gdtr = (struct dtr){ 10 * 8 - 1, (uint32_t)gdt };
	for (unsigned v = 0; v < 256; v++) {
		uint32_t h = (uint32_t)trap_stubs + 16 * v;
		unsigned dpl = v == 0x81 ? 3 : 0;        /* the one gate ring 3 may call: "done" */
		idt[v] = (h & 0xFFFF) | (uint64_t)0x08 << 16 | (uint64_t)(0x8E | dpl << 5) << 40 |
			 (uint64_t)(h >> 16) << 48;
	}
	good_idtr = (struct dtr){ sizeof idt - 1, (uint32_t)idt };
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(good_gdtr), "m"(good_idtr));
	__asm__ volatile("ljmp $0x08, $1f; 1: mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss; "
			 "mov $0x28, %%ax; ltr %%ax" : : : "eax", "memory");
	/* A null LDT: natively the LDTR a CPU comes out of reset with has base 0 and limit 0xFFFF,
	 * so selectors with TI set would name "descriptors" in low memory; the VMM gives a guest
	 * that never loaded one no LDT at all. With lldt 0 both say #GP. */
	__asm__ volatile("lldt %w0" : : "r"(0));
}

/* ---- running snippets ---- */
/* The snippet of the moment, alone on its page: the VMM scans code that runs from the first
 * instruction boundary it knows on a page, and boundaries left by other bytes there (data the
 * loader's scan decoded) could put that scan out of step with the snippet. */
static uint8_t code[4096] __attribute__((aligned(4096), section(".snip")));
static uint32_t digest;
static int verbose;                                      /* boot word `verbose`: every observation */
static unsigned nth;
static uint32_t by_vec[257];                             /* [256]: ended normally */

static void begin(void)
{
	nth = 0;
	digest = 2166136261u;
	for (unsigned i = 0; i < 257; i++)
		by_vec[i] = 0;
}

static void mix(uint32_t v)
{
	digest = (digest ^ v) * 16777619u;
}

/* Run `len` bytes at ring 0 (followed by ret) or 3 (followed by int 0x81); note what ended it. */
static uint32_t run(const uint8_t *bytes, unsigned len, int ring3, int with_cr2)
{
	for (unsigned i = 0; i < len; i++)
		code[i] = bytes[i];
	if (ring3) {
		code[len] = 0xCD, code[len + 1] = 0x81;
	} else {
		code[len] = 0xC3;
	}
	uint32_t v = run_snippet(code, ring3);
	if (verbose && nth < 300) {       /* (the first of each group: enough to find a difference) */
		puts_("attack: . ");
		putd(nth);
		puts_(" ");
		putx(v);
		puts_(" ");
		putx(seen[1]);
		puts_(" ");
		putx(seen[2]);
		puts_(" ");
		putx(with_cr2 ? seen[3] : 0);
		puts_("\n");
	}
	nth++;
	if (v == 0xFFFFFFFF || (ring3 && v == 0x81 && seen[2] == len + 2)) {
		by_vec[256]++;
		mix(0xD0E);
		return 256;
	}
	by_vec[v & 255]++;
	mix(v);
	mix(seen[1]);
	mix(seen[2]);
	if (with_cr2)
		mix(seen[3]);
	return v;
}

/* The line for the group: how many ended each way, and the digest of every observation. */
static void report(const char *name, unsigned tries)
{
	puts_("attack: ");
	puts_(name);
	puts_(": ");
	putd(tries);
	puts_(" tries, digest ");
	putx(digest);
	puts_(", ended:");
	unsigned shown = 0;
	for (unsigned v = 0; v < 257; v++)
		if (by_vec[v] && (by_vec[v] > 1 || shown < 8 || v == 256)) {
			shown++;
			puts_(" ");
			if (v == 256)
				puts_("normally");
			else {
				puts_("#");
				putd(v);
			}
			puts_("x");
			putd(by_vec[v]);
		}
	puts_("\n");
}

static void set_regs(uint32_t a, uint32_t c, uint32_t d, uint32_t b)
{
	regs[0] = a, regs[1] = c, regs[2] = d, regs[3] = b, regs[4] = regs[5] = 0;
}

/* ---- the attacks ---- */

/* int n for every vector, from ring 0 (each reaches its gate) and ring 3 (only 0x81 is open to
 * it: every other is #GP with the IDT error code). */
static void attack_int_n(void)
{
	for (int ring3 = 0; ring3 <= 1; ring3++) {
		begin();
		for (unsigned v = 0; v < 256; v++) {
			uint8_t b[] = { 0xCD, (uint8_t)v };
			set_regs(0, 0, 0, 0);
			run(b, sizeof b, ring3, 0);
		}
		report(ring3 ? "int-n-ring3" : "int-n-ring0", 256);
	}
}

/* Every I/O port from ring 3 (IOPL 0, no bitmap: #GP(0) each), in and out, byte and dword; and
 * every port read from ring 0, which must just work (the values are the platform's). */
static void attack_ports(void)
{
	static const uint8_t ops[][1] = { { 0xEC }, { 0xED }, { 0xEE }, { 0xEF } };   /* in al/eax, out */
	begin();
	for (uint32_t p = 0; p < 0x10000; p++) {
		set_regs(0, 0, p, 0);
		run(ops[p & 3], 1, 1, 0);
	}
	report("ports-ring3", 0x10000);
	begin();
	uint32_t sum = 0;
	for (uint32_t p = 0; p < 0x10000; p++) {
		if ((p & ~7u) == 0x3F8 || p == 0xF4)
			continue;                    /* our console; the debug-exit port */
		uint8_t b[] = { 0xEC };          /* in al, dx */
		set_regs(0, 0, p, 0);
		if (run(b, 1, 0, 0) != 256)
			sum++;
	}
	report("ports-ring0-reads", 0x10000 - 9);
	(void)sum;
}

/* MSRs: from ring 3 every rdmsr/wrmsr is #GP(0); from ring 0 the ranges where MSRs live are read
 * (which exist is the platform's business: counted, not compared) and what reads is written back
 * unchanged. */
static void attack_msrs(void)
{
	static const uint32_t base[] = { 0, 0xC0000000u, 0xC0010000u, 0x40000000u }, span[] = { 0x2000, 0x1000, 0x200, 0x100 };
	begin();
	for (unsigned r = 0; r < 4; r++)
		for (uint32_t i = 0; i < 64; i++) {
			uint8_t rd[] = { 0x0F, 0x32 }, wr[] = { 0x0F, 0x30 };
			set_regs(0, base[r] + i * 37, 0, 0);
			run(rd, 2, 1, 0);
			run(wr, 2, 1, 0);
		}
	report("msr-ring3", 512);
	unsigned readable = 0, written = 0;
	for (unsigned r = 0; r < 4; r++)
		for (uint32_t i = 0; i < span[r]; i++) {
			uint32_t msr = base[r] + i;
			/* (natively some MSRs change the machine when written: EFER, the APIC base, the
			 * SYSENTER/SYSCALL targets are written back unchanged, so nothing changes) */
			uint8_t rd[] = { 0x0F, 0x32, 0x89, 0x05, 0, 0, 0, 0, 0x89, 0x15, 0, 0, 0, 0 };
			static uint32_t lo, hi;
			uint32_t a = (uint32_t)&lo, d = (uint32_t)&hi;
			for (int k = 0; k < 4; k++)
				rd[4 + k] = (uint8_t)(a >> 8 * k), rd[10 + k] = (uint8_t)(d >> 8 * k);
			set_regs(0, msr, 0, 0);
			if (run(rd, sizeof rd, 0, 0) != 256)
				continue;
			readable++;
			uint8_t wr[] = { 0x0F, 0x30 };
			set_regs(lo, msr, hi, 0);
			written += run(wr, 2, 0, 0) == 256;
		}
	puts_("attack: # msr-ring0: ");
	putd(readable);
	puts_(" MSRs read, ");
	putd(written);
	puts_(" written back unchanged without a fault\n");
}

/* Debug registers, syscall and sysenter from ring 3: #GP, #UD, #GP; from ring 0 syscall (EFER.SCE
 * is 0) and sysenter (SYSENTER_CS is 0): #UD and #GP(0) -- not a way into the VMM's own entry points. */
static void attack_dr_sys(void)
{
	begin();
	for (unsigned r = 0; r < 8; r++) {
		uint8_t to[] = { 0x0F, 0x23, (uint8_t)(0xC0 | r << 3) }, from[] = { 0x0F, 0x21, (uint8_t)(0xC0 | r << 3) };
		set_regs(0x12345678, 0, 0, 0);
		run(to, 3, 1, 0);
		run(from, 3, 1, 0);
	}
	report("debug-regs-ring3", 16);
	begin();
	static const uint8_t sc[] = { 0x0F, 0x05 }, se[] = { 0x0F, 0x34 }, sx[] = { 0x0F, 0x35 }, sr[] = { 0x0F, 0x07 };
	for (int ring3 = 0; ring3 <= 1; ring3++) {
		set_regs(0, 0, 0, 0);
		run(sc, 2, ring3, 0);
		run(se, 2, ring3, 0);
		run(sx, 2, ring3, 0);
		run(sr, 2, ring3, 0);
	}
	report("syscall-sysenter", 8);
}

/* The guest's own breakpoints, which the VMM loads into the real DR7 while the guest runs: an
 * execute breakpoint on the snippet (ring 0 and 3: #DB before it, EIP at its start); a write
 * watchpoint a ring-0 load does not fire and a store does (#DB after it -- the variable shares
 * its page with the GDT, IDT and TSS, so under the VMM the store is one it carries out itself);
 * a read/write watchpoint on the snippet's own bytes, which an instruction fetch does not fire
 * but the VMM's reading of the instructions it emulates (cli, sti, mov from CR0 at ring 0)
 * would: a #DB inside the VMM, which it must drop without a trace. DR6 after each
 * run goes into the digest. Not compared (QEMU's TCG, the native oracle, lacks it): general
 * detect (DR7.GD), which the VMM does as the SDM says; also left out: watchpoints on the IDT
 * and TSS, which stop QEMU 7.2 natively (an assertion in its I/O-thread lock). */
static volatile uint32_t watched_var[4];

static uint32_t dr6_read_clear(void)
{
	uint32_t v;
	__asm__ volatile("mov %%db6, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%db6" : : "r"(0));
	return v;
}

static void attack_dr_ring0(void)
{
	static const uint8_t nop[] = { 0x90 }, movdr7[] = { 0x0F, 0x21, 0xF8 },
		cli_[] = { 0x0F, 0x23, 0xF8, 0xFA, 0xFB },               /* mov dr7, eax; cli; sti */
		movcr0[] = { 0x0F, 0x23, 0xF8, 0x0F, 0x20, 0xC0 };       /* mov dr7, eax; mov eax, cr0 */
	uint8_t store[] = { 0xA3, 0, 0, 0, 0 }, load[] = { 0xA1, 0, 0, 0, 0 };
	uint32_t wa = (uint32_t)&watched_var[1];
	for (int k = 0; k < 4; k++)
		store[1 + k] = load[1 + k] = (uint8_t)(wa >> (8 * k));
	begin();
	dr6_read_clear();
	/* execute breakpoint on the snippet's first byte */
	__asm__ volatile("mov %0, %%db0; mov %1, %%db7" : : "r"((uint32_t)code), "r"(0x401u));
	for (int ring3 = 0; ring3 <= 1; ring3++) {
		set_regs(0, 0, 0, 0);
		run(nop, sizeof nop, ring3, 0);
		__asm__ volatile("mov %0, %%db7" : : "r"(0x400u));
		mix(dr6_read_clear());
		__asm__ volatile("mov %0, %%db7" : : "r"(0x401u));
	}
	/* write watchpoint, 4 bytes: a load does not fire it, a store does */
	__asm__ volatile("mov %0, %%db1; mov %1, %%db7" : : "r"(wa), "r"(0x400u | 1u << 2 | 1u << 20 | 3u << 22));
	set_regs(0x55, 0, 0, 0);
	run(load, sizeof load, 0, 0);
	mix(dr6_read_clear());
	run(store, sizeof store, 0, 0);
	__asm__ volatile("mov %0, %%db7" : : "r"(0x400u));
	mix(dr6_read_clear());
	mix(watched_var[1]);
	/* read/write watchpoint on the snippet's first 8 bytes, armed by the snippet itself (the
	 * harness writes the snippet there: it must not be armed then): fetches do not fire it */
	__asm__ volatile("mov %0, %%db2" : : "r"((uint32_t)code));
	for (int i = 0; i < 3; i++) {
		set_regs(0x400u | 1u << 4 | 3u << 24 | 2u << 26, 0, 0, 0);   /* L2, read/write, 8 bytes */
		run(i ? movcr0 : cli_, i ? sizeof movcr0 : sizeof cli_, 0, 0);
		__asm__ volatile("mov %0, %%db7" : : "r"(0x400u));
		mix(dr6_read_clear());
	}
	report("debug-regs-ring0", 7);
	/* general detect: the snippet's mov from DR7 is #DB (BD) on a CPU, and GD is then clear */
	begin();
	__asm__ volatile("mov %0, %%db7" : : "r"(0x400u | 1u << 13));
	set_regs(0, 0, 0, 0);
	uint32_t v = run(movdr7, sizeof movdr7, 0, 0), d7;
	__asm__ volatile("mov %%db7, %0" : "=r"(d7));
	puts_("attack: # debug-regs-general-detect: mov from DR7 ended by ");
	putd(v);
	puts_(", DR7 then ");
	putx(d7);
	puts_(", DR6 ");
	putx(dr6_read_clear());
	puts_(" (a CPU: 1, 400, BD set; QEMU's TCG has no general detect: 256, 2400)\n");
	__asm__ volatile("mov %0, %%db7" : : "r"(0x400u));
}

/* Far calls and jumps from ring 0 to every selector (RPL 0), and to the first 64 with each RPL:
 * the null selector, past the GDT's limit (where the VMM keeps its own descriptors in the real
 * GDT), the TSS, ring-3 and conforming code, a not-present segment, data. A call that lands runs
 * a `retf`. */
static void attack_far(void)
{
	static uint8_t landing[] = { 0xCB };                  /* retf */
	begin();
	unsigned tries = 0;
	for (uint32_t s = 0; s < 0x10000; s += 4) {
		for (int jmp = 0; jmp <= 1; jmp++) {
			if (jmp && s > 0x100)
				continue;
			/* call/jmp far [ebx]: ebx -> { offset, selector } */
			static uint32_t ptr[2];
			ptr[0] = (uint32_t)landing;
			ptr[1] = s | (s < 0x100 ? (s >> 2) & 3 : 0);
			uint8_t b[] = { 0xFF, (uint8_t)(jmp ? 0x2B : 0x1B) };
			set_regs(0, 0, 0, (uint32_t)ptr);
			run(b, 2, 0, 0);
			tries++;
		}
	}
	report("far-call-jmp", tries);
}

/* Code segments with the L bit (64-bit code in IA-32e mode) and of DPL 3, reached by far calls and
 * jumps from rings 0 and 3 with RPL 0 and 3, and by iret to ring 3. This kernel runs in 32-bit
 * protected mode without IA-32e mode, where the L bit is not looked at (SDM vol. 3A 3.4.5: L is
 * used only in IA-32e mode): D decides, 32-bit (D=1) or 16-bit (D=0). Under the VMM the CPU is in
 * long mode, where such a descriptor would be 64-bit code: the landing code tells which mode it
 * runs in -- xor eax,eax; dec eax (in 64-bit mode 0x48 is REX.W: eax stays 0); test; jnz over a
 * ud2 -- so a way into 64-bit mode shows as #UD at offset 8, 32-bit code goes on (retf, or the
 * second ud2 at offset 10 after a jmp), 16-bit code's retf pops a 16-bit frame. */
static uint8_t landing[4096] __attribute__((aligned(4096), section(".snip")));

static void long_segments(void)
{
	static const uint8_t call_land[] = { 0x31, 0xC0, 0x48, 0x90, 0x85, 0xC0, 0x75, 0x02, 0x0F, 0x0B, 0xCB },
			     jmp_land[] = { 0x31, 0xC0, 0x48, 0x90, 0x85, 0xC0, 0x75, 0x02, 0x0F, 0x0B, 0x0F, 0x0B };
	static const uint16_t sels[] = { 0x50, 0x58, 0x60, 0x68, 0x70, 0x78 };
	for (unsigned i = 0; i < sizeof landing; i++)
		landing[i] = 0x90;
	for (unsigned i = 0; i < sizeof call_land; i++)
		landing[i] = call_land[i];
	for (unsigned i = 0; i < sizeof jmp_land; i++)
		landing[64 + i] = jmp_land[i];
	good_gdtr.limit = 16 * 8 - 1;
	__asm__ volatile("lgdt %0" : : "m"(good_gdtr));
	begin();
	unsigned tries = 0;
	for (int ring3 = 0; ring3 <= 1; ring3++)
		for (unsigned k = 0; k < sizeof sels / sizeof sels[0]; k++)
			for (unsigned rpl = 0; rpl <= 3; rpl += 3)
				for (int jmp = 0; jmp <= 1; jmp++) {
					static uint32_t ptr[2];
					ptr[0] = (uint32_t)landing + (jmp ? 64 : 0);
					ptr[1] = sels[k] | rpl;
					uint8_t b[] = { 0xFF, (uint8_t)(jmp ? 0x2B : 0x1B) };   /* jmp/call far [ebx] */
					set_regs(0x12345678, 0, 0, (uint32_t)ptr);
					run(b, 2, ring3, 0);
					tries++;
				}
	/* iret from ring 0 to ring 3 into the DPL-3 segments (SS 0x23) */
	static const uint16_t iret_cs[] = { 0x63, 0x6B, 0x7B, 0x1B };
	for (unsigned i = 0; i < sizeof iret_cs / sizeof iret_cs[0]; i++) {
		uint8_t b[] = { 0x68, 0x23, 0, 0, 0, 0x68, 0, 0, 0, 0, 0x68, 0x02, 0, 0, 0, 0x68, 0, 0, 0, 0,
				0x68, 0, 0, 0, 0, 0xCF };
		uint32_t esp = (uint32_t)kstack0_top - 256, eip = (uint32_t)landing + 64;
		for (int k = 0; k < 4; k++) {
			b[6 + k] = (uint8_t)(esp >> 8 * k);
			b[21 + k] = (uint8_t)(eip >> 8 * k);
		}
		b[16] = (uint8_t)iret_cs[i];
		set_regs(0, 0, 0, 0);
		run(b, sizeof b, 0, 0);
		tries++;
	}
	good_gdtr.limit = 10 * 8 - 1;
	__asm__ volatile("lgdt %0" : : "m"(good_gdtr));
	report("long-dpl3-segments", tries);
}

/* iret with crafted frames from ring 0: to ring 3 with a ring-0 SS, a null SS, an SS past the GDT,
 * a not-present CS, a data segment as CS, the TSS as CS; to ring 0 with RPL 3 in CS. */
static void attack_iret(void)
{
	static const uint32_t frames[][2] = {   /* CS, SS */
		{ 0x1B, 0x10 }, { 0x1B, 0x00 }, { 0x1B, 0xFF3 }, { 0x43, 0x23 }, { 0x23, 0x23 }, { 0x2B, 0x23 },
		{ 0x0B, 0x13 }, { 0x1B, 0x4B }, { 0x33, 0x23 }, { 0x38 | 3, 0x23 }, { 0xFFE3, 0x23 }, { 0x1B, 0xFFEB },
	};
	begin();
	for (unsigned i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		/* push ss; push esp; push eflags; push cs; push eip(=after: ud2); iret */
		uint8_t b[] = { 0x68, 0, 0, 0, 0, 0x68, 0, 0, 0, 0, 0x68, 0x02, 0, 0, 0, 0x68, 0, 0, 0, 0,
				0x68, 0, 0, 0, 0, 0xCF, 0x0F, 0x0B };
		uint32_t ss = frames[i][1], esp = (uint32_t)kstack0_top - 256, cs = frames[i][0], eip = (uint32_t)code + 26;
		for (int k = 0; k < 4; k++) {
			b[1 + k] = (uint8_t)(ss >> 8 * k);
			b[6 + k] = (uint8_t)(esp >> 8 * k);
			b[16 + k] = (uint8_t)(cs >> 8 * k);
			b[21 + k] = (uint8_t)(eip >> 8 * k);
		}
		set_regs(0, 0, 0, 0);
		run(b, sizeof b, 0, 0);
	}
	report("iret-crafted", sizeof frames / sizeof frames[0]);
}

/* Page tables of its own, misused: entries past RAM, a table that is the directory itself, a
 * table where nothing decodes, the directory mapped into itself (and written through that). */
static uint32_t pd[1024] __attribute__((aligned(4096))), pt1[1024] __attribute__((aligned(4096)));

static void attack_paging(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pd[i] = pt1[i] = 0;
	pd[0] = 0x83;                                    /* 0-4 MiB: ourselves, one 4 MiB page */
	pd[1] = (uint32_t)pt1 | 3;                       /* 4-8 MiB: the table below */
	pd[2] = 0xF0000000u | 3;                         /* 8-12 MiB: a table where nothing decodes */
	pd[3] = (uint32_t)pd | 3;                        /* 12-16 MiB: the directory as a table */
	pt1[0] = 0xE0000000u | 3;                        /* a page past RAM */
	pt1[1] = (uint32_t)pd | 3;                       /* the directory */
	pt1[2] = (uint32_t)pt1 | 3;                      /* this table */
	pt1[3] = 0x00200000u | 1;                        /* read-only: where the VMM lives in the machine */
	static const uint32_t addr[] = { 0x400000, 0x401000, 0x401008, 0x402004, 0x403000, 0x404000,
					 0x800000, 0x800FFC, 0xC00000, 0xC01000, 0xC03000, 0xFFFFF000 };
	begin();
	unsigned tries = 0;
	for (unsigned i = 0; i < sizeof addr / sizeof addr[0]; i++)
		for (int write = 0; write <= 1; write++) {
			/* mov cr3, ecx (set below: pd); paging on; touch [ebx]; paging off again */
			uint8_t b[] = { 0x0F, 0x22, 0xD9,                    /* mov cr3, ecx */
					0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0,   /* cr4 |= PSE */
					0x0F, 0x20, 0xC0, 0x0D, 0, 0, 0, 0x80, 0x0F, 0x22, 0xC0,   /* cr0 |= PG */
					0x8B, 0x03,                          /* mov eax, [ebx] (or a store) */
					0x0F, 0x20, 0xC0, 0x25, 0xFF, 0xFF, 0xFF, 0x7F, 0x0F, 0x22, 0xC0 };  /* PG off */
			/* (no store that would unmap ourselves: the directory's first entry, through the
			 * directory mapped as a page at 0x401000 and as a table's page at 0xC03000) */
			if (write && (addr[i] == 0x401000 || addr[i] == 0xC03000))
				continue;
			if (write)
				b[23] = 0x89;                            /* mov [ebx], eax */
			set_regs(write ? 0x5A5A0000u : 0, (uint32_t)pd, 0, addr[i]);
			uint32_t v = run(b, sizeof b, 0, 1);
			if (v != 256)                                    /* a fault left paging on */
				__asm__ volatile("mov %%cr0, %%eax; and $0x7FFFFFFF, %%eax; mov %%eax, %%cr0" : : : "eax");
			tries++;
		}
	report("own-page-tables", tries);
	/* The directory, as the CPU left it (Accessed bits) and as the stores through it left it. */
	puts_("attack: own-page-tables-after: pd[0..4] ");
	for (unsigned i = 0; i < 5; i++) {
		putx(pd[i]);
		puts_(" ");
	}
	puts_("pt1[0..4] ");
	for (unsigned i = 0; i < 5; i++) {
		putx(pt1[i]);
		puts_(i < 4 ? " " : "\n");
	}
}

/* Page tables that point where the VMM's own frames would be: machine addresses a VMM uses (low
 * memory, 1 and 2 MiB where VMMs load, 16 MiB) and addresses past this VM's RAM where the
 * machine has memory (128 MiB .. 512 MiB: above RAM natively with 128 MiB; under the VMM the
 * VM has 64 MiB in a machine of 512 MiB, whose frames the VMM owns or gives other VMs), as 4 KiB
 * pages of a table, as 4 MiB pages, and as the page table itself. Each page is read whole through
 * the mapping and, paging off, straight from that physical address; what the guest may see: its
 * own physical memory (the two reads equal), nothing (a fault, or a uniform page: QEMU's unassigned
 * memory reads 0, the VMM's open bus ones), never anything else. The class of each read goes into
 * the digest (not the contents, which differ between machines); pages of free RAM are written
 * through the mapping too, and the write must show at that physical address. */
static uint32_t pt2[1024] __attribute__((aligned(4096)));
static uint32_t buf_a[1024] __attribute__((aligned(4096))), buf_b[1024] __attribute__((aligned(4096)));

static unsigned page_class(void)
{
	int same = 1, uniform = 1;
	for (unsigned i = 0; i < 1024; i++) {
		same &= buf_a[i] == buf_b[i];
		uniform &= buf_a[i] == buf_a[0] && (buf_a[0] == 0 || buf_a[0] == 0xFFFFFFFFu);
	}
	return same ? 1 : uniform ? 2 : 3;
}

static void paging_vmm_frames(void)
{
	static const uint32_t phys[] = { 0x00000000, 0x00001000, 0x00007000, 0x0009F000, 0x000F0000, 0x00100000,
		0x00200000, 0x00201000, 0x00400000, 0x01000000, 0x03FFF000, 0x08000000, 0x08001000, 0x0C000000,
		0x10000000, 0x17FFF000, 0x1FFFF000 };
	static const uint8_t free_ram[sizeof phys / sizeof phys[0]] = { [6] = 1, [7] = 1, [9] = 1, [10] = 1 };
	for (unsigned i = 0; i < 1024; i++)
		pd[i] = pt2[i] = 0;
	pd[0] = 0x83;                                    /* 0-4 MiB: ourselves */
	pd[4] = (uint32_t)pt2 | 3;                       /* 16-20 MiB: one page per target */
	pd[5] = 0x10000000u | 0x83;                      /* 20-24 MiB: a 4 MiB page at 256 MiB */
	pd[6] = 0x08000000u | 3;                         /* 24-28 MiB: a page table at 128 MiB */
	pd[7] = 0x1FC00000u | 0x83;                      /* 28-32 MiB: a 4 MiB page at 508 MiB */
	pd[8] = 0x00200000u | 3;                         /* 32-36 MiB: a page table at 2 MiB (free RAM) */
	for (unsigned i = 0; i < sizeof phys / sizeof phys[0]; i++)
		pt2[i] = phys[i] | 3;
	/* mov cr3, ecx; cr4 |= PSE; cr0 |= PG; rep movsd (esi -> edi, 1024); PG off */
	static const uint8_t with_pg[] = { 0x0F, 0x22, 0xD9, 0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0,
		0x0F, 0x20, 0xC0, 0x0D, 0, 0, 0, 0x80, 0x0F, 0x22, 0xC0, 0xB9, 0, 4, 0, 0, 0xF3, 0xA5,
		0x0F, 0x20, 0xC0, 0x25, 0xFF, 0xFF, 0xFF, 0x7F, 0x0F, 0x22, 0xC0 };
	static const uint8_t no_pg[] = { 0xB9, 0, 4, 0, 0, 0xF3, 0xA5 };     /* mov ecx, 1024; rep movsd */
	begin();
	unsigned tries = 0;
	struct { uint32_t va, pa; } reads[sizeof phys / sizeof phys[0] + 6];
	unsigned n = 0;
	for (unsigned i = 0; i < sizeof phys / sizeof phys[0]; i++)
		reads[n].va = 0x01000000u + i * 4096, reads[n++].pa = phys[i];
	reads[n].va = 0x01400000u, reads[n++].pa = 0x10000000u;
	reads[n].va = 0x017FF000u, reads[n++].pa = 0x103FF000u;
	reads[n].va = 0x01800000u, reads[n++].pa = 0xFFFFFFFFu;   /* through a table past RAM: no physical twin */
	reads[n].va = 0x01C00000u, reads[n++].pa = 0x1FC00000u;
	reads[n].va = 0x01FFF000u, reads[n++].pa = 0x1FFFF000u;
	reads[n].va = 0x02000000u, reads[n++].pa = 0xFFFFFFFFu;   /* through a table in free RAM (zeroes: #PF) */
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < 1024; k++)
			buf_a[k] = 0x5EEDF00Du, buf_b[k] = 0xB0B0B0B0u;
		set_regs(0, (uint32_t)pd, 0, 0);
		regs[4] = reads[i].va, regs[5] = (uint32_t)buf_a;
		uint32_t v = run(with_pg, sizeof with_pg, 0, 1);
		if (v != 256)
			__asm__ volatile("mov %%cr0, %%eax; and $0x7FFFFFFF, %%eax; mov %%eax, %%cr0" : : : "eax");
		if (reads[i].pa != 0xFFFFFFFFu) {
			set_regs(0, 0, 0, 0);
			regs[4] = reads[i].pa, regs[5] = (uint32_t)buf_b;
			mix(run(no_pg, sizeof no_pg, 0, 0));
		}
		unsigned c = v == 256 ? page_class() : 0;
		if (c == 1 && reads[i].pa == 0xFFFFFFFFu)
			c = 4;
		if (c == 3 || verbose) {
			puts_("attack: # paging-vmm-frames: ");
			putx(reads[i].va);
			puts_(" -> ");
			putx(reads[i].pa);
			puts_(c == 3 ? ": neither its own memory nor nothing: " : ": class ");
			putd(c);
			puts_(" first word ");
			putx(buf_a[0]);
			puts_("\n");
		}
		mix(c);
		tries++;
		/* free RAM: a write through the mapping shows at the physical address */
		if (i < sizeof phys / sizeof phys[0] && free_ram[i]) {
			static const uint8_t st[] = { 0x0F, 0x22, 0xD9, 0x0F, 0x20, 0xE0, 0x83, 0xC8, 0x10, 0x0F, 0x22, 0xE0,
				0x0F, 0x20, 0xC0, 0x0D, 0, 0, 0, 0x80, 0x0F, 0x22, 0xC0, 0x89, 0x13,   /* mov [ebx], edx */
				0x0F, 0x20, 0xC0, 0x25, 0xFF, 0xFF, 0xFF, 0x7F, 0x0F, 0x22, 0xC0 };
			set_regs(0, (uint32_t)pd, 0xA77AC4ED ^ i, reads[i].va + 0x10);
			uint32_t w = run(st, sizeof st, 0, 1);
			if (w != 256)
				__asm__ volatile("mov %%cr0, %%eax; and $0x7FFFFFFF, %%eax; mov %%eax, %%cr0" : : : "eax");
			mix(w == 256 && *(volatile uint32_t *)(reads[i].pa + 0x10) == (0xA77AC4ED ^ i));
			tries++;
		}
	}
	report("paging-vmm-frames", tries);
}

/* A storm: 20000 faults in a row from ring 3, of four kinds. */
static void attack_storm(void)
{
	static const uint8_t kinds[][2] = { { 0x0F, 0x0B }, { 0xCC, 0x90 }, { 0xFA, 0x90 }, { 0xF4, 0x90 } };
	begin();
	for (unsigned i = 0; i < 20000; i++) {
		set_regs(0, 0, 0, 0);
		run(kinds[i & 3], 2, 1, 0);
	}
	report("fault-storm", 20000);
}

void attack_main(const uint32_t *mbi)
{
	if (mbi[0] & 4)
		for (const char *c = (const char *)mbi[4]; *c; c++)
			if (c[0] == 'v' && c[1] == 'e' && c[2] == 'r' && c[3] == 'b')
				verbose = 1;
	outb(0x21, 0xFF);                    /* no interrupts: the 8259s masked */
	outb(0xA1, 0xFF);
	tables();
	puts_("attack: start\n");
	attack_int_n();
	attack_dr_sys();
	attack_dr_ring0();
	attack_iret();
	attack_far();
	attack_paging();
	attack_msrs();
	attack_storm();
	attack_ports();
	long_segments();
	paging_vmm_frames();
	puts_("attack: done\n");
	outb(0xF4, 0);
}
