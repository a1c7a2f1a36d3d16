/* fuzz.c - the fuzz guest: random code at CPL 0 and CPL 3, one independent round at a time, with a
 * digest of what each round did, so that a native run and a run under the VMM can be compared.
 *
 * Round r of seed s starts from a state derived from (s, r) only: the code, the scratch and stack
 * pages, the registers and flags (gen.c makes them). It runs in its own address space
 * (entry.asm says which of the fuzzer's pages are mapped in it: only the gate pages), with a
 * one-shot PIT interrupt as its time budget, until the first exception or interrupt. What the
 * round left (vector, frame, registers, segment registers, CR2 for a #PF, CR0, CR4, a hash of
 * every page it could write) is its observation; its digest is a hash of that.
 *
 * Output (serial): "fuzz: seed=S start=A count=N", then one character per round (its digest's low
 * six bits), a line per hundred rounds (lines end where the round number is a multiple of 100)
 * followed by " r=FIRST d=LINE" (a digest of the line's rounds' digests), then
 * "fuzz: done rounds=N d=ALL"; the guest then writes 0 to port 0xf4 (isa-debug-exit
 * natively, the end of the VM under the VMM). With list=A,B,... it runs just those rounds and
 * prints each one's full observation ("R ...": tests/fuzz/boot.py parses it).
 *
 * Command line: seed=N start=N count=N list=A,B,... budget=PIT-ticks wait=1. A list entry R:K runs round R
 * with its code cut at its K-th byte (int3s from there on): tests/fuzz/bisect.py finds where the two
 * sides part. R@K@L... puts one int3 at each byte named instead: what the VMM's patches there
 * look like to code that runs over them (tests/fuzz/fuzzdiff.py patch_inside_check). */
#include "fuzz.h"

/* ---- the pages (identity-mapped in the harness's space) ---- */
uint8_t code0[4096] __attribute__((aligned(4096)));     /* ring-0 rounds' code page */
uint8_t code3[4096] __attribute__((aligned(4096)));     /* ring-3 rounds' code page */
uint8_t scratch[SCRATCH_PAGES][4096] __attribute__((aligned(4096)));
uint8_t stackp[STACK_PAGES][4096] __attribute__((aligned(4096)));
uint8_t junk[4096] __attribute__((aligned(4096)));      /* the rest of the round's 4 MiB */
static uint32_t hpd[1024] __attribute__((aligned(4096)));       /* the harness's directory */
static uint32_t hpt[1024] __attribute__((aligned(4096)));       /* identity 0-4 MiB */
static uint32_t rpd0[1024] __attribute__((aligned(4096)));      /* ring-0 rounds */
static uint32_t rpd3[1024] __attribute__((aligned(4096)));      /* ring-3 rounds */
static uint32_t rpt_gate[1024] __attribute__((aligned(4096)));  /* the gate pages, identity */
static uint32_t rpt_k[1024] __attribute__((aligned(4096)));     /* ROUND_BASE.. for ring 0 */
static uint32_t rpt_u[1024] __attribute__((aligned(4096)));     /* ROUND_BASE.. for ring 3 */
static uint32_t rpt_junk[1024] __attribute__((aligned(4096)));  /* every other 4 MiB: junk */

uint32_t saved_esp, hcr3;
uint64_t pristine_gdt[GDT_ENTRIES];
static const uint32_t pristine_cr0 = 0x80000033u;   /* PG NE ET MP PE */
static const uint32_t pristine_cr4 = 0x610u;        /* PSE OSFXSR OSXMMEXCPT */
static uint32_t budget = 2400;                      /* PIT ticks: 2 ms, 2M instructions under -icount */

/* ---- port I/O and the serial console ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
/* THRE (LSR bit 5) before each byte, however long it takes: QEMU's UART loses a byte written while
 * the one before still waits for the host to read the line (page dumps lost bytes on a loaded
 * host). What this guest prints is its result. (No UART: LSR reads 0xFF, THRE set.) */
static void putc_(char c)
{
	while (!(inb(0x3FD) & 0x20))
		;
	outb(0x3F8, (uint8_t)c);
}
void puts_(const char *s) { while (*s) putc_(*s++); }
void putu(uint32_t v)
{
	char b[12];
	int i = 0;
	do b[i++] = (char)('0' + v % 10); while (v /= 10);
	while (i) putc_(b[--i]);
}
void putx(uint32_t v)
{
	for (int d = 7; d >= 0; d--)
		putc_("0123456789abcdef"[(v >> (d * 4)) & 15]);
}

static const char *parse_at(const char *cmd, const char *key)
{
	for (const char *p = cmd; p && *p; p++) {
		if (p != cmd && p[-1] != ' ')
			continue;
		const char *k = key, *q = p;
		while (*k && *q == *k) k++, q++;
		if (!*k && *q == '=')
			return q + 1;
	}
	return 0;
}
static uint32_t num(const char **q)
{
	uint32_t v = 0;
	for (; **q >= '0' && **q <= '9'; (*q)++)
		v = v * 10 + (uint32_t)(**q - '0');
	return v;
}
static uint32_t parse(const char *cmd, const char *key, uint32_t dflt)
{
	const char *q = parse_at(cmd, key);
	return q ? num(&q) : dflt;
}

/* ---- descriptors ---- */
uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags)
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

/* The TSSes: the main one names the ring-0 stack for traps from ring 3 (the top of the .gtss
 * page); natively the #DF task gate switches to the second, which enters df_entry in the round's
 * own address space (the GDT the CPU switches with may be the round's image in its scratch page)
 * on a stack in the middle of the .gtss page. The CPU writes the round's registers into the main
 * TSS at that switch, so both are rewritten before every round. */
static void task_states(uint32_t round_cr3)
{
	/* The whole page is readable by ring-0 rounds (the save area, the old frames on the stack):
	 * zeroed, so that no round sees what an earlier one left. */
	for (uint32_t *p = (uint32_t *)&gsave; p < (uint32_t *)gate_end; p++)
		*p = 0;
	gtss_main[1] = (uint32_t)gstack_top;
	gtss_main[2] = 0x10;
	/* Either TSS may be the one a task switch enters (the #DF gate enters the second; a round
	 * that ran ltr 0x38 and jumps to 0x28 enters the first): both land in df_entry. */
	for (unsigned k = 0; k < 2; k++) {
		uint32_t *t = k ? gtss_df : gtss_main;
		t[7] = round_cr3;
		t[8] = (uint32_t)df_entry;
		t[9] = 2;
		t[14] = (uint32_t)gstack_top - 1024 * (2 + k);
		t[18] = t[20] = t[21] = 0x10;
		t[19] = 0x08;
		t[25] = 104u << 16;              /* no I/O bitmap */
	}
}

static void setup_tables(void)
{
	uint64_t *g = pristine_gdt;
	g[0] = 0;
	g[1] = seg_desc(0, 0xFFFFF, 0x1B, 0, 0xC);   /* 0x08 ring-0 code (accessed bit preset) */
	g[2] = seg_desc(0, 0xFFFFF, 0x13, 0, 0xC);   /* 0x10 ring-0 data */
	g[3] = seg_desc(0, 0xFFFFF, 0x1B, 3, 0xC);   /* 0x18 ring-3 code */
	g[4] = seg_desc(0, 0xFFFFF, 0x13, 3, 0xC);   /* 0x20 ring-3 data */
	g[5] = seg_desc((uint32_t)gtss_main, 103, 0x09, 0, 0);   /* 0x28 TSS */
	g[6] = seg_desc(0x1000, 0xFFFF, 0x11, 0, 0x4);           /* 0x30 small read-only data */
	g[7] = seg_desc((uint32_t)gtss_df, 103, 0x09, 0, 0);     /* 0x38 the #DF TSS */
	for (unsigned i = 8; i < GDT_ENTRIES; i++)
		g[i] = 0;
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		ggdt[i] = g[i];
	for (unsigned v = 0; v < 256; v++)
		gidt[v] = gate((uint32_t)trap_stubs + v * 8, (v == 3 || v == 4 || v == 0x80) ? 3 : 0);
	gidt[8] = (0x38ULL << 16) | (0x85ULL << 40);    /* #DF: a task gate (natively survives a lost ESP) */
	hgdtr.limit = GDT_ENTRIES * 8 - 1;
	hgdtr.base = (uint32_t)ggdt;
	hidtr.limit = 256 * 8 - 1;
	hidtr.base = (uint32_t)gidt;
}

/* The harness's space: identity 4 KiB pages over its image (page 0 unmapped). A round's space:
 * the gate pages (identity, supervisor; code and IDT read-only) and ROUND_BASE's 4 MiB, where
 * the code page is read-only, the scratch and stack pages writable; every other page from 64 KiB
 * up is the one junk page, writable, so that a stray pointer, and above all a stray stack
 * pointer, still lands somewhere the CPU can write (an exception a ring-0 round takes with ESP
 * pointing nowhere is a double fault, which the #DF task gate recovers, natively and under the VMM).
 * Addresses below 64 KiB (small and null pointers) fault. The fuzzer's own pages other than the
 * gate pages exist in no round's space: there the junk page stands at their addresses. */
static void setup_paging(void)
{
	for (uint32_t a = 0x1000; a < (uint32_t)_end; a += 4096)
		hpt[a >> 12] = a | 3;
	hpd[0] = (uint32_t)hpt | 3;
	hcr3 = (uint32_t)hpd;
	hcr3_copy = hcr3;

	/* (The junk page is a user page everywhere: ring-0 code that runs there is then not scanned
	 * by a binary-patching VMM, whose scans and rescans of a page mapped at a thousand places
	 * would dominate its cost; the junk page holds no sensitive instruction: gen.c.) */
	for (uint32_t i = 0x10; i < 1024; i++)
		rpt_gate[i] = (uint32_t)junk | 7;
	for (uint32_t a = (uint32_t)gate_start; a < (uint32_t)gate_end; a += 4096)
		rpt_gate[a >> 12] = a | 1 | (a >= (uint32_t)ggdt ? 2 : 0);
	for (unsigned i = 0; i < 1024; i++)
		rpt_junk[i] = (uint32_t)junk | 7;
	for (unsigned i = 2; i < 1024; i++)
		rpd0[i] = rpd3[i] = (uint32_t)rpt_junk | 7;
	for (unsigned u = 0; u < 2; u++) {
		uint32_t *pt = u ? rpt_u : rpt_k, us = u ? 4 : 0;
		for (unsigned i = 0; i < 1024; i++)
			pt[i] = (uint32_t)junk | 7;
		pt[(CODE - ROUND_BASE) / 4096] = (uint32_t)(u ? code3 : code0) | 1 | us;
		for (unsigned i = 0; i < SCRATCH_PAGES; i++)
			pt[(SCRATCH - ROUND_BASE) / 4096 + i] = (uint32_t)scratch[i] | 3 | us;
		for (unsigned i = 0; i < STACK_PAGES; i++)
			pt[(STACKS - ROUND_BASE) / 4096 + i] = (uint32_t)stackp[i] | 3 | us;
		uint32_t *pd = u ? rpd3 : rpd0;
		pd[0] = (uint32_t)rpt_gate | 7;
		pd[ROUND_BASE >> 22] = (uint32_t)pt | 7;
	}
}

/* Interrupts: the 8259s at 0x20/0x28 with IRQ0 (the PIT) alone unmasked; channel 0 in mode 0
 * (one shot) is armed just before each round and disarmed right after. */
static void pic_init(void)
{
	outb(0x20, 0x11); outb(0xA0, 0x11);
	outb(0x21, 0x20); outb(0xA1, 0x28);
	outb(0x21, 4); outb(0xA1, 2);
	outb(0x21, 1); outb(0xA1, 1);
	outb(0x21, 0xFE); outb(0xA1, 0xFF);
}
static void pit_arm(void) { outb(0x43, 0x30); outb(0x40, (uint8_t)budget); outb(0x40, (uint8_t)(budget >> 8)); }
static void pit_disarm(void) { outb(0x43, 0x30); }

static inline uint32_t rd_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t rd_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

/* ---- one round ---- */

/* Every page a round can write, hashed (FNV-1a over words). */
static uint32_t hash_pages(void)
{
	uint32_t h = 2166136261u;
	const uint32_t *p;
	for (unsigned k = 0; k < SCRATCH_PAGES + STACK_PAGES + 1; k++) {
		p = (const uint32_t *)(k < SCRATCH_PAGES ? scratch[k] : k < SCRATCH_PAGES + STACK_PAGES ?
				       stackp[k - SCRATCH_PAGES] : junk);
		for (unsigned i = 0; i < 1024; i++)
			h = (h ^ p[i]) * 16777619u;
	}
	return h;
}

static uint32_t digest_of(const struct obs *o)
{
	uint32_t h = 2166136261u;
	const uint32_t *w = (const uint32_t *)o;
	for (unsigned i = 0; i < sizeof *o / 4; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

static int dump;            /* dump=1 (with list=): print each round's code bytes before running it */
static int memdump;         /* mem=1 (with list=): print the hashed pages after each round */

/* "M page offset hex" lines of 64 bytes, for the pages hash_pages covers (only lines not all zero;
 * tests/fuzz/memdiff.py compares two sides' dumps to say which bytes made the hashes differ). */
static void print_pages(void)
{
	for (unsigned k = 0; k < SCRATCH_PAGES + STACK_PAGES + 1; k++) {
		const uint8_t *p = k < SCRATCH_PAGES ? scratch[k] : k < SCRATCH_PAGES + STACK_PAGES ?
			stackp[k - SCRATCH_PAGES] : junk;
		for (unsigned off = 0; off < 4096; off += 64) {
			unsigned nz = 0;
			for (unsigned i = 0; i < 64; i++)
				nz |= p[off + i];
			if (!nz)
				continue;
			puts_("M ");
			putu(k);
			putc_(' ');
			putu(off);
			putc_(' ');
			for (unsigned i = 0; i < 64; i++) {
				putc_("0123456789abcdef"[p[off + i] >> 4]);
				putc_("0123456789abcdef"[p[off + i] & 15]);
			}
			putc_('\n');
		}
	}
}

/* How a list entry changes its round's code: R:K cuts it at its K-th byte (int3s from there on);
 * R@K@L... puts one int3 at each byte named (what the VMM's patches there look like to code
 * that runs over them). */
struct variant {
	uint32_t cut;
	uint32_t n, at[8];
};

static void run_one(uint32_t seed, uint32_t r, const struct variant *va, struct obs *o)
{
	struct round rd;
	gen_round(seed, r, &rd);
	uint8_t *c = rd.ring3 ? code3 : code0;
	for (uint32_t k = 0; va && k < va->n; k++)
		if (rd.entry - CODE + va->at[k] < 4096)
			c[rd.entry - CODE + va->at[k]] = 0xCC;
	if (va && va->cut)
		for (uint32_t i = rd.entry - CODE + va->cut; i < 4094; i++)
			c[i] = 0xCC;
	if (dump) {
		const uint8_t *c = rd.ring3 ? code3 : code0;
		puts_("C ");
		putu(r);
		putc_(' ');
		for (uint32_t i = rd.entry - CODE; i < 4096; i++) {
			putc_("0123456789abcdef"[c[i] >> 4]);
			putc_("0123456789abcdef"[c[i] & 15]);
		}
		putc_('\n');
	}

	/* The fuzzer's own state as it was: GDT (busy bits, a scribbled entry), TSSes, CR2. */
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		if (ggdt[i] != pristine_gdt[i])
			ggdt[i] = pristine_gdt[i];
	uint32_t cr3 = rd.ring3 ? (uint32_t)rpd3 : (uint32_t)rpd0;
	task_states(cr3);
	__asm__ volatile("mov %0, %%cr2" : : "r"(0));
	/* No interrupt still in service: an earlier round's timer interrupt whose delivery became a
	 * double fault was never acknowledged, and would hold off every later round's budget (18:7833
	 * left IRQ 0 in service; 18:7892 then ran on without its time limit under the VMM). */
	outb(0x20, 0x0B);
	for (unsigned k = 0; k < 8 && inb(0x20); k++)
		outb(0x20, 0x20);
	pit_arm();
	run_round(cr3, rd.frame, rd.ring3);
	pit_disarm();

	/* Control registers first (CR0.TS would make the FPU reset fault), then TR, LDTR, MSRs. */
	uint32_t cr0 = rd_cr0(), cr4 = rd_cr4();
	if (cr4 != pristine_cr4)
		__asm__ volatile("mov %0, %%cr4" : : "r"(pristine_cr4));
	if (cr0 != pristine_cr0)
		__asm__ volatile("mov %0, %%cr0" : : "r"(pristine_cr0));
	fpu_reset();
	if (rd.touched_tr || gsave.how) {
		for (unsigned i = 0; i < GDT_ENTRIES; i++)
			ggdt[i] = pristine_gdt[i];
		__asm__ volatile("ltr %w0; lldt %w1" : : "r"(0x28), "r"(0));
	}
	if (rd.touched_msr)
		for (uint32_t m = 0x174; m <= 0x176; m++)
			__asm__ volatile("wrmsr" : : "c"(m), "a"(0), "d"(0));

	/* What the round left. A hardware interrupt (the PIT's: the budget ran out) stopped the code
	 * at a point that depends on timing, so only the fact is kept -- also when its delivery
	 * became a double fault (how 1 with the IRQ still in service: a round with interrupts on and
	 * ESP pointing nowhere, 18:7833). */
	uint32_t v = gsave.vec;
	for (unsigned i = 0; i < sizeof *o / 4; i++)
		((uint32_t *)o)[i] = 0;
	if ((v >= 0x20 && v < 0x28 && gsave.how == 0) || (v == 8 && gsave.how == 1)) {
		outb(0x20, 0x0B);
		uint8_t isr = inb(0x20);
		unsigned irq = v == 8 ? 0 : v - 0x20;
		while (v == 8 && irq < 7 && !(isr & (1u << irq)))
			irq++;
		if (isr & (1u << irq)) {
			outb(0x20, 0x20);
			o->vec = OBS_IRQ + irq;
			o->how = gsave.how;
			return;
		}
	}
	o->vec = v;
	o->how = gsave.how;
	o->ring3 = (uint32_t)rd.ring3;
	o->nf = gsave.nf;
	for (unsigned i = 0; i < gsave.nf && i < 6; i++)
		o->f[i] = gsave.f[i];
	o->eax = gsave.eax; o->ecx = gsave.ecx; o->edx = gsave.edx; o->ebx = gsave.ebx;
	o->esp = gsave.esp; o->ebp = gsave.ebp; o->esi = gsave.esi; o->edi = gsave.edi;
	o->ds = gsave.ds; o->es = gsave.es; o->fs = gsave.fs; o->gs = gsave.gs; o->ss = gsave.ss;
	o->cr2 = v == 14 ? gsave.cr2 : 0;
	o->cr0 = cr0;
	o->cr4 = cr4;
	o->hash = hash_pages();
}

static void print_obs(uint32_t r, const struct variant *va, const struct obs *o, uint32_t d)
{
	static const char *const name[] = { "vec", "how", "ring3", "nf", "f0", "f1", "f2", "f3", "f4", "f5",
		"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "ds", "es", "fs", "gs", "ss", "cr2",
		"cr0", "cr4", "hash" };
	puts_("R ");
	putu(r);
	for (uint32_t k = 0; va && k < va->n; k++) {
		putc_('@');
		putu(va->at[k]);
	}
	if (va && va->cut) {
		putc_(':');
		putu(va->cut);
	}
	for (unsigned i = 0; i < sizeof name / sizeof name[0]; i++) {
		putc_(' ');
		puts_(name[i]);
		putc_('=');
		putx(((const uint32_t *)o)[i]);
	}
	puts_(" d=");
	putx(d);
	putc_('\n');
}

static void finish(void)
{
	outb(0xF4, 0);
	for (;;)
		__asm__ volatile("hlt");
}

void fuzz_main(uint32_t *mbi)
{
	/* The command line lies beyond the image: copy it before paging maps only the image. */
	static char cmd[2048];
	const char *c = (mbi[0] & 4) ? (const char *)mbi[4] : "";
	for (unsigned i = 0; i + 1 < sizeof cmd && c[i]; i++)
		cmd[i] = c[i];
	uint32_t seed = parse(cmd, "seed", 1), start = parse(cmd, "start", 0), count = parse(cmd, "count", 10000);
	budget = parse(cmd, "budget", budget);
	dump = (int)parse(cmd, "dump", 0);
	memdump = (int)parse(cmd, "mem", 0);
	const char *list = parse_at(cmd, "list");
	setup_tables();
	setup_paging();
	task_states(hcr3);
	__asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1: mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es;"
			 "mov %%ax, %%ss; xor %%eax, %%eax; mov %%ax, %%fs; mov %%ax, %%gs; lidt %1; mov $0x28, %%ax; ltr %%ax; xor %%eax, %%eax; lldt %%ax"
			 : : "m"(hgdtr), "m"(hidtr) : "eax", "memory");
	__asm__ volatile("mov %0, %%cr4; mov %1, %%cr3; mov %2, %%cr0" : : "r"(pristine_cr4), "r"(hcr3), "r"(pristine_cr0));
	fpu_reset();
	pic_init();
	puts_("fuzz: seed=");
	putu(seed);
	puts_(" start=");
	putu(start);
	puts_(" count=");
	putu(count);
	puts_(list ? " list\n" : "\n");
	if (parse(cmd, "wait", 0)) {         /* wait=1: until a byte comes in on the serial line */
		puts_("fuzz: waiting\n");     /* (tests/fuzz/tracediff.py turns QEMU's single step on first) */
		while (!(inb(0x3FD) & 1))
			;
		(void)inb(0x3F8);
	}

	struct obs o;
	if (list) {                          /* the rounds named, each with its full observation */
		while (*list >= '0' && *list <= '9') {
			uint32_t r = num(&list);
			struct variant va = { 0, 0, { 0 } };
			while (*list == ':' || *list == '@') {
				char how = *list++;
				uint32_t k = num(&list);
				if (how == ':')
					va.cut = k;
				else if (va.n < 8)
					va.at[va.n++] = k;
			}
			run_one(seed, r, &va, &o);
			print_obs(r, &va, &o, digest_of(&o));
			if (memdump)
				print_pages();
			if (*list == ',')
				list++;
		}
		puts_("fuzz: done\n");
		finish();
	}
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
	uint32_t running = 2166136261u, line = 2166136261u, line_start = start;
	for (uint32_t r = start; r < start + count; r++) {
		run_one(seed, r, 0, &o);
		uint32_t d = digest_of(&o);
		running = (running ^ d) * 16777619u;
		line = (line ^ d) * 16777619u;
		/* (the character from all of d's bits: FNV's low bits depend only on its inputs' low
		 * bits, and a difference in, say, EFLAGS.VIF alone would not show in d & 63) */
		uint32_t m = (d ^ (d >> 16)) * 0x45D9F3Bu;
		putc_(alphabet[(m ^ (m >> 16)) & 63]);
		if ((r + 1) % 100 == 0 || r + 1 == start + count) {
			puts_(" r=");
			putu(line_start);
			puts_(" d=");
			putx(line);
			putc_('\n');
			line_start = r + 1;
			line = 2166136261u;
		}
	}
	puts_("fuzz: done rounds=");
	putu(count);
	puts_(" d=");
	putx(running);
	putc_('\n');
	finish();
}
