/* gen.c - round r of seed s: its code, its scratch, stack and junk pages, its registers; from a
 * generator seeded by (s, r) alone, so that a round can be rerun on its own (list=) and gives the
 * same state natively and under the VMM.
 *
 * The code is random bytes ("filler"), and in every other block of 8 rounds also "interesting"
 * sequences: the instructions a VMM must trap, patch or check (descriptor-table loads and stores,
 * control-register moves, MSRs, far transfers and irets with random selectors, segment loads, ...).
 *
 * What the generator leaves out, and why (docs/NOTES.md "Differential fuzzing" has the list):
 *  - bytes that would make native and VMM runs differ for reasons that are no fidelity bug:
 *    port I/O (real devices natively, the VM's virtual PC under the VMM), rdtsc/rdtscp/rdpmc/
 *    rdrand, cpuid, random MSRs and the long-mode ones, debug registers (the VMM does not arm
 *    guest breakpoints);
 *  - bytes that would make the round unrecoverable or wreck the harness: mov to CR0/CR3/CR4 with a
 *    random value (paging off would expose the fuzzer), lgdt/lidt from random memory, cli and hlt
 *    (a hang with no interrupt to end it), int 8 (the #DF task gate);
 *  - sensitive instructions that do not trap (pushf, popf, iret, push/mov from cs/ss, sgdt, sidt,
 *    sldt, str, smsw, lar, lsl, verr, verw, far calls, which push CS) in filler. The VMM patches
 *    them where a linear decode of the page from its first executed byte finds them; random code
 *    that jumps into the middle of an instruction would run them unpatched, or run into the
 *    int3 of a patch as part of another instruction (a known limit of binary patching). Interesting
 *    mode emits them, each after 15 one-byte nops, so every decode of the bytes before them has
 *    ended by then and they lie on the VMM's linear decode (an x86 instruction is at most 15
 *    bytes long). */
#include "fuzz.h"

static uint32_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}
static uint32_t below(uint32_t n) { return rnd() % n; }

/* ---- the filter ---- */

/* A filler byte that may not start an instruction, and what replaces it (b ^ 0x40 is harmless for
 * each of them: x87 escapes, pop r/m, inc/dec/push reg, int3, mov reg,imm, movs/lods, sub/das;
 * 0x9A, call far, becomes 0xDA, an x87 escape). */
static int banned1(uint8_t b)
{
	return b == 0x9C || b == 0x9D || b == 0xCF || b == 0x0E || b == 0x16 || b == 0x8C || b == 0xFA || b == 0x9A ||
	       b == 0xF4 || (b >= 0xE4 && b <= 0xE7) || (b >= 0xEC && b <= 0xEF) || (b >= 0x6C && b <= 0x6F);
}

/* A second byte after 0F that may not follow in filler: the 0F 00-03 groups (sldt/str/lldt/ltr/
 * verr/verw, sgdt/sidt/lgdt/lidt/smsw/lmsw/..., lar, lsl), control and debug register moves,
 * wrmsr/rdtsc/rdmsr/rdpmc, cpuid, the 0F C7 group (rdrand, rdseed). It becomes 0F 0B, ud2. */
static int banned0f(uint8_t b)
{
	return b <= 0x03 || (b >= 0x20 && b <= 0x27) || (b >= 0x30 && b <= 0x33) || b == 0xA2 || b == 0xC7;
}

/* gen[i]: byte i belongs to an interesting sequence (left as emitted). */
static void filter(uint8_t *b, const uint8_t *gen, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (gen && gen[i])
			continue;
		if (banned1(b[i]))
			b[i] ^= 0x40;
		if (i > 0 && b[i - 1] == 0x0F && banned0f(b[i]))
			b[i] = 0x0B;
		if (i > 0 && b[i - 1] == 0xCD && b[i] == 0x08)
			b[i] = 0x09;
		if (i > 0 && b[i - 1] == 0xFF && ((b[i] >> 3) & 7) == 3)
			b[i] ^= 0x10;                        /* call far m16:32 -> dec r/m */
	}
}

/* ---- the code ---- */

static uint8_t *out, gen_mask[4096], tmp[4096];
static uint32_t entry;       /* the code's first byte (linear): its end is the page's end */
static uint32_t outn, outmax;
static int in_seq;
static struct round *cur;
static void emit(uint8_t b)
{
	if (outn < outmax) {
		gen_mask[outn] = (uint8_t)in_seq;
		out[outn++] = b;
	}
}
static void emit32(uint32_t v) { for (int i = 0; i < 4; i++) emit((uint8_t)(v >> (8 * i))); }
static void emit16(uint16_t v) { emit((uint8_t)v); emit((uint8_t)(v >> 8)); }

static uint16_t rsel(void)
{
	uint16_t s;
	switch (below(6)) {
	case 0: s = (uint16_t)rnd(); break;
	case 1: s = (uint16_t)(0xFFE0 + below(32)); break;     /* where a VMM might keep its own */
	case 2: s = (uint16_t)(below(8) * 8 + below(4) + (below(4) == 0 ? 4 : 0)); break;
	default: s = (uint16_t)(below(8) * 8 + below(4)); break;
	}
	if ((s & ~7u) == 0x38)                              /* the #DF TSS: a task switch */
		s ^= 0x08;
	if ((s & 3) == 1)          /* RPL 1: the VMM runs the guest's ring 0 at ring 1, where such a */
		s ^= 3;            /* selector passes checks it fails natively (ring compression)   */
	return s;
}

/* EFLAGS for popf and iret: IF always set (else a loop could never be interrupted), never NT or
 * VM (task returns and v8086 mode: the VMM stops a VM that asks for them). */
static uint32_t rflags(void)
{
	return ((rnd() & 0x003F7FD7u) | 0x202u) & ~(1u << 14 | 1u << 17);
}

static uint8_t mem_disp32(unsigned reg) { return (uint8_t)(((reg & 7) << 3) | 5); }   /* [disp32] */

static void interesting(void)
{
	for (int i = 0; i < 15; i++)
		emit(0x90);                                  /* resynchronise every decode (see above) */
	in_seq = 1;
	unsigned r = below(40), x;
	switch (r) {
	case 0: x = below(64); emit(0x0F); emit(0x00); emit((uint8_t)(0xC0 | x));   /* sldt..verw reg */
		if (((x >> 3) & 7) == 2 || ((x >> 3) & 7) == 3) cur->touched_tr = 1;
		break;
	case 1: x = below(8); emit(0x0F); emit(0x00); emit(mem_disp32(x)); emit32(SCRATCH + below(0x4000));
		if (x == 2 || x == 3) cur->touched_tr = 1;
		break;
	case 2: do x = 0xC0 | below(64); while (x == 0xC8 || x == 0xC9 || x == 0xF9);   /* not monitor, mwait, rdtscp */
		emit(0x0F); emit(0x01); emit((uint8_t)x);
		break;
	case 3: case 4: {                                                      /* lgdt/lidt */
		unsigned idt = r == 4;
		emit(0x0F); emit(0x01); emit(mem_disp32(2 + idt));
		emit32(PSEUDO + 64 * idt + 8 * below(8));
		break;
	}
	case 5: { static const uint8_t g[] = { 0, 1, 4, 6, 7 }; emit(0x0F); emit(0x01); emit(mem_disp32(g[below(5)])); }
		emit32(SCRATCH + below(0x4000));
		break;
	case 6: emit(0x0F); emit(0x20); emit((uint8_t)(0xC0 | below(64))); break;   /* mov r, crN */
	case 7: case 16: emit(0x9C); break;                                         /* pushf */
	case 8: {                                                                   /* mov crN, r */
		static const uint32_t cr0bits[] = { 1u << 3, 1u << 1, 1u << 2, 1u << 18, 1u << 5 };   /* TS MP EM AM NE */
		static const uint32_t cr4bits[] = { 1u << 2, 1u << 3, 1u << 7, 1u << 8, 1u << 10, 1u << 9 };
		unsigned which = below(4);
		if (which == 2) {                                                   /* mov cr2, random */
			emit(0x0F); emit(0x22); emit((uint8_t)(0xD0 | below(8)));
			break;
		}
		unsigned cr = which == 0 ? 0 : which == 1 ? 4 : 3;
		emit(0x0F); emit(0x20); emit((uint8_t)(0xC0 | cr << 3));          /* mov eax, crN */
		if (cr != 3) {
			emit(0x35);
			emit32(cr == 0 ? cr0bits[below(5)] : cr4bits[below(6)]);   /* xor eax, one bit */
		}
		emit(0x0F); emit(0x22); emit((uint8_t)(0xC0 | cr << 3));          /* mov crN, eax */
		break;
	}
	case 9: case 17: emit(0x68); emit32(rflags()); emit(0x9D); break;          /* push imm; popf */
	case 10: case 11: {                                                       /* rdmsr/wrmsr */
		/* (Not EFER, FS_BASE or IA32_FEATURE_CONTROL: the VMM's virtual CPU, without long mode,
		 * has none of them, where QEMU's qemu64 model has them natively. No MSR that does not
		 * exist either: QEMU's TCG reads it as 0 instead of raising #GP.) */
		static const uint32_t msrs[] = { 0x174, 0x175, 0x176, 0x1B, 0x277 };
		uint32_t m = msrs[below(5)];
		int wr = r == 11 && m >= 0x174 && m <= 0x176;
		emit(0xB9); emit32(m);
		emit(0x0F); emit(wr ? 0x30 : 0x32);
		if (wr) cur->touched_msr = 1;
		break;
	}
	case 12: emit(0xCC); break;
	case 13: do x = below(256); while (x == 8); emit(0xCD); emit((uint8_t)x); break;
	case 14: case 15:                                                         /* iret, random frame */
		if (below(2)) { emit(0x68); emit32(STACK_TOP - 64); emit(0x68); emit32(0x20 | below(4)); }
		emit(0x68); emit32(rflags());
		emit(0x68); emit32(rsel());
		emit(0x68); emit32(below(2) ? entry + below(64) : rnd());
		if (below(4) == 0) emit(0x66);
		emit(0xCF);
		break;
	case 18: emit(0x66); emit(0xB8); emit16(rsel()); emit(0x8E); emit((uint8_t)(0xC0 | below(6) << 3)); break;
	case 19: emit(0x8C); emit((uint8_t)(0xC0 | below(64))); break;            /* mov r, sreg */
	case 20: case 21: case 22: case 23: emit(0xFB); break;                    /* sti */
	case 24: emit(0x0F); emit((uint8_t)(below(3) == 0 ? 0x06 : below(2) ? 0x08 : 0x09)); break;
	case 25: do x = 0xF8 + below(8); while (x == 0xF9); emit(0x0F); emit(0x01); emit((uint8_t)x); break;
	case 26: emit(0x0F); emit(0x01); emit(mem_disp32(7)); emit32(below(2) ? SCRATCH : rnd()); break;   /* invlpg */
	case 27: emit(0xEA); emit32(below(2) ? entry : rnd()); emit16(rsel()); break;      /* jmp far */
	case 28: emit(0x9A); emit32(below(2) ? entry : rnd()); emit16(rsel()); break;      /* call far */
	case 29: x = below(2); emit(0x68); emit32(rsel()); emit(0x68); emit32(rnd()); emit(x ? 0xCB : 0xCA);
		if (!x) emit16((uint16_t)below(64));
		break;
	case 30: emit(0xFF); emit(mem_disp32(below(2) ? 3 : 5)); emit32(FARPTRS + 8 * below(16)); break;
	case 31: emit(0x0F); emit((uint8_t)(0xB2 + (below(3) == 0 ? 0 : 2 + below(2)))); emit(mem_disp32(below(8)));
		emit32(FARPTRS + 8 * below(16));
		break;
	case 32: { static const uint8_t p[] = { 0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F }; emit(p[below(7)]); break; }
	case 33: emit(0x0F); emit((uint8_t)(0xA0 + below(2) + 8 * below(2))); break;   /* push/pop fs/gs */
	case 34: emit(0x0F); emit((uint8_t)(0x02 + below(2))); emit((uint8_t)(0xC0 | below(64))); break;  /* lar/lsl */
	case 35: { static const uint8_t p[] = { 0x34, 0x35, 0x05, 0x07, 0x0B }; emit(0x0F); emit(p[below(5)]); break; }
	case 36: emit(0x66); emit(0xB8); emit16(rsel()); emit(0x8E); emit(0xD0); break;   /* mov ss */
	case 37: emit(0xCE); break;                                                     /* into */
	default: emit(0xF1); break;                                                     /* icebp */
	}
	in_seq = 0;
}

/* ---- the data ---- */

static uint32_t region_addr(void) { return ROUND_BASE + (rnd() & 0x3FFFFCu); }

static uint32_t rreg(void)
{
	switch (below(6)) {
	case 0: return rnd();
	case 1: return below(256);
	case 2: return below(2) ? 0 : 0xFFFFFFFFu;
	default: return region_addr();
	}
}

/* n words of v from p on: rep stosd, which costs an emulator one instruction, not a loop. */
static void fill32(void *p, uint32_t v, uint32_t n)
{
	__asm__ volatile("cld; rep stosl" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

static void random_words(uint8_t *p, uint32_t bytes)
{
	for (uint32_t i = 0; i < bytes; i += 4)
		*(uint32_t *)(p + i) = below(4) ? rnd() : region_addr();
	filter(p, 0, bytes);
}

static void fill_scratch(void)
{
	/* Random words in the first 512 bytes of each page, a constant (a mapped address) after
	 * them: making 16 KiB of random words would cost more than the round itself. */
	for (unsigned k = 0; k < SCRATCH_PAGES; k++) {
		random_words(scratch[k], 512);
		fill32(scratch[k] + 512, ROUND_BASE + 0x1F0000u, (4096 - 512) / 4);
	}
	/* A GDT image: the fuzzer's entries 0..7 (so that a trap is still delivered), then code and
	 * data segments with random bases, limits, types and rights (no system descriptors: task
	 * switches and gates are left to the VMM's hostile tests). */
	uint64_t *g = (uint64_t *)scratch[1];
	for (unsigned i = 0; i < 64; i++)
		g[i] = i < 8 ? pristine_gdt[i] : below(2) ? (((uint64_t)rnd() << 32 | rnd()) | 1ULL << 44)
			: seg_desc(below(2) ? 0 : rnd(), rnd() & 0xFFFFF, 16 + below(16), below(4), below(16));
	/* Accessed bits preset: the CPU sets them in the table when it loads a segment, but under the
	 * VMM it loads from the VMM's copy of the table, so the guest's image never gets them (a
	 * known difference, docs/NOTES.md: out of the comparison this way). */
	for (unsigned i = 8; i < 64; i++)
		g[i] |= 1ULL << 40;
	/* An IDT image: ours, with a few random gates on vectors the code rarely raises. */
	uint64_t *d = (uint64_t *)scratch[2];
	for (unsigned i = 0; i < 256; i++)
		d[i] = gidt[i];
	for (unsigned k = 0; k < 4; k++)
		d[0x40 + below(0x40)] = (uint64_t)rnd() << 32 | rnd();
	/* Pseudo-descriptors (the fuzzer's tables or the images) and far pointers. */
	uint8_t *ps = scratch[2] + (PSEUDO - SIDT_IMG), *fp = scratch[2] + (FARPTRS - SIDT_IMG);
	for (unsigned i = 0; i < 16; i++) {
		uint16_t lim;
		uint32_t base;
		if (i < 8) {
			lim = below(2) ? GDT_ENTRIES * 8 - 1 : (uint16_t)(0x3F + below(0x1C0));
			base = below(2) ? (uint32_t)ggdt : SGDT_IMG;
		} else {
			lim = below(2) ? 0x7FF : (uint16_t)(0x7FF + below(0x800));
			base = below(2) ? (uint32_t)gidt : SIDT_IMG;
		}
		*(uint16_t *)(ps + 8 * i) = lim;
		*(uint32_t *)(ps + 8 * i + 2) = base;
		*(uint32_t *)(fp + 8 * i) = below(2) ? entry + below(64) : rnd();
		*(uint16_t *)(fp + 8 * i + 4) = rsel();
	}
}

/* Stack words: mostly addresses in the round's 4 MiB (so that pop esp, leave and ret keep going)
 * with IF set and NT and VM clear (a popf or iret of them keeps the round interruptible). */
static void fill_stack(uint32_t n)
{
	/* Random words for 512 bytes on either side of the initial ESP, a constant further out. */
	for (unsigned k = 0; k < STACK_PAGES; k++)
		fill32(stackp[k], (ROUND_BASE + 0x1F0000u) | 0x200u, 1024);
	uint8_t *top = stackp[(STACK_TOP - STACKS) >> 12];
	for (uint8_t *p = top - 512; p < top + 512; p += 4) {
		uint32_t w = below(2) ? region_addr() : below(2) ? entry + below(n) : rnd();
		*(uint32_t *)p = (w | 0x200u) & ~(1u << 14 | 1u << 17);
	}
}

void gen_round(uint32_t seed, uint32_t r, struct round *rd)
{
	/* splitmix-style mixing of (seed, round) into the xorshift state */
	uint32_t z = seed * 0x9E3779B9u + r * 0x85EBCA6Bu + 0x6A09E667u;
	z = (z ^ (z >> 16)) * 0x7FEB352Du;
	z = (z ^ (z >> 15)) * 0x846CA68Bu;
	rng = (z ^ (z >> 16)) | 1;

	rd->ring3 = below(4) == 0;
	rd->touched_tr = rd->touched_msr = 0;
	cur = rd;
	uint8_t *code = rd->ring3 ? code3 : code0;
	int mode = (r >> 3) & 1;                   /* blocks of 8: plain random, then interesting */
	/* The code ends at the page's end (then ud2), int3s before it: a VMM that scans a page from
	 * its first executed byte to the page's end then decodes only the code. Jump targets the
	 * generator aims at the code use the planned start (the last sequence may end a little
	 * past the planned length, which moves the real start down, never up). */
	uint32_t n = 16 + below(1024);
	entry = CODE + 4096 - 2 - n;
	out = tmp;
	outn = 0;
	outmax = 4000;                             /* the last sequence may end past n: never cut it */
	in_seq = 0;
	while (outn < n) {
		if (mode && below(4) == 0)
			interesting();
		else
			emit((uint8_t)rnd());
	}
	n = outn;
	filter(tmp, gen_mask, n);
	uint32_t at = 4096 - 2 - n;
	fill32(code, 0xCCCCCCCCu, 1024);
	for (uint32_t i = 0; i < n; i++)
		code[at + i] = tmp[i];
	code[4094] = 0x0F;                         /* ud2 */
	code[4095] = 0x0B;
	rd->entry = CODE + at;

	fill_scratch();
	fill_stack(n);
	/* The junk page (every page of the round's 4 MiB that is not its own): int3s, and a random
	 * word here and there, so that code run there traps soon instead of running through 4 MiB of
	 * the same page over and over. */
	fill32(junk, 0xCCCCCCCCu, 1024);
	for (unsigned k = 0; k < 64; k++)
		((uint32_t *)junk)[below(1024)] = rnd();
	filter(junk, 0, 4096);

	/* Registers, flags and the frame run_round pops: ring 0 starts with ESP just above the
	 * frame (iret to the same ring pops no stack pointer), ring 3 with its own. */
	uint32_t esp = STACK_TOP - 4 * below(16);
	uint32_t f[13];
	for (int i = 0; i < 8; i++)
		f[i] = rreg();
	f[2] = below(2) ? esp + 4 * below(32) : rreg();   /* ebp */
	f[8] = rd->entry;
	f[9] = rd->ring3 ? 0x1B : 0x08;
	f[10] = 0x202 | (rnd() & 0x8D5) | (below(32) == 0 ? 0x100 : 0) | (below(16) == 0 ? 0x40000 : 0);
	f[11] = esp;
	f[12] = 0x23;
	uint32_t words = rd->ring3 ? 13 : 11;
	uint32_t fa = rd->ring3 ? STACKS + 0x100 : esp - 4 * words;   /* linear, in the round's space */
	uint32_t *phys = (uint32_t *)(stackp[(fa - STACKS) >> 12] + (fa & 0xFFF));
	for (uint32_t i = 0; i < words; i++)
		phys[i] = f[i];
	rd->frame = fa;
}
