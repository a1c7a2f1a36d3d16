/* gdt.c - the kernel's own GDT (flat kernel and user segments) and the TSS that gives the CPU
 * the kernel stack to use on a trap from ring 3. Loaded with lgdt, lldt (null) and ltr. */
#include "kernel.h"
#include "x86.h"
#include "../include/hypercall.h"
#include "../include/ktest.h"

struct __attribute__((packed)) tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
};

/* The GDT, the TSS and a few words of plain data share one page, as in many kernels (a VMM that
 * write-protects the GDT's page then sees every write to the rest of it: store_forms_check). */
static struct {
	uint64_t gdt[KERNEL_GDT_ENTRIES];
	struct tss tss;
	uint32_t scratch[8];
} __attribute__((aligned(512))) dt_page;         /* (smaller than 512 bytes: inside one page) */
#define tss dt_page.tss
uint64_t *const gdt = dt_page.gdt;
uint32_t *const kernel_tss = (uint32_t *)&tss;
const unsigned gdt_size = sizeof(dt_page.gdt);

/* access: P, DPL, S, type; flags: G (4 KiB granularity), D/B (32-bit). */
uint64_t gdt_segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = 0;
	d |= limit & 0xFFFF;
	d |= (uint64_t)(base & 0xFFFFFF) << 16;
	d |= (uint64_t)access << 40;
	d |= (uint64_t)((limit >> 16) & 0xF) << 48;
	d |= (uint64_t)(flags & 0xF) << 52;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

void gdt_init(void)
{
	struct dtr d;

	gdt[0] = 0;
	gdt[1] = gdt_segment(0, 0xFFFFF, 0x9A, 0xC);	/* 0x08 kernel code, DPL 0 */
	gdt[2] = gdt_segment(0, 0xFFFFF, 0x92, 0xC);	/* 0x10 kernel data */
	gdt[3] = gdt_segment(0, 0xFFFFF, 0xFA, 0xC);	/* 0x18 user code, DPL 3 */
	gdt[4] = gdt_segment(0, 0xFFFFF, 0xF2, 0xC);	/* 0x20 user data */
	gdt[5] = gdt_segment((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0x0);	/* 0x28 available 32-bit TSS */
	gdt[6] = gdt_segment(0, 0xFFFFF, 0x92, 0xC);	/* 0x30 kernel data: the live-write self test's */
	gdt[7] = 0;					/* 0x38 the LDT of the LDT self test, when it runs */
	gdt[8] = gdt[9] = gdt[10] = gdt[11] = 0;	/* 0x40-0x58: the task switch tests' (tasktest.c) */

	tss.ss0 = KDATA_SEL;
	tss.iomap_base = sizeof(tss);	/* no I/O bitmap: ring 3 in/out always faults */

	d.limit = gdt_size - 1;
	d.base = (uint32_t)gdt;
	lgdt(&d);
	gdt_load_segments();
	lldt(0);
	ltr(TSS_SEL);
}

void tss_set_kstack(uint32_t esp0)
{
	if (pv_active)
		hcall(HC_SET_KSTACK, esp0, KDATA_SEL, 0, 0);	/* (the TSS shares the GDT's page: a trap) */
	else
		tss.esp0 = esp0;
}

/* The self test of a write to the live GDT: the CPU uses a changed descriptor at the next load of
 * its selector, with no lgdt in between (Linux rewrites its TLS entries so at every context
 * switch). Slot 6 (0x30) becomes a data segment based at `base`; FS is loaded with it and the
 * dword at fs:0 is returned; slot 6 and FS are then put back. */
uint32_t gdt_live_write_read(uint32_t base)
{
	uint32_t v;
	gdt[6] = gdt_segment(base, 0xFFFFF, 0x92, 0xC);
	__asm__ volatile("mov %1, %%fs\n\tmovl %%fs:0, %0\n\tmov %2, %%fs"
			 : "=r"(v) : "r"(0x30), "r"(0) : "memory");
	gdt[6] = gdt_segment(0, 0xFFFFF, 0x92, 0xC);
	return v;
}

/* The self test of a write to the live LDT: an LDT of two entries is loaded (lldt 0x38); entry 1
 * (selector 0x0C) is a data segment based at b0, read through FS; then entry 1 is rewritten to
 * base b1 with no lldt in between, FS loaded again and read. The LDT is unloaded afterwards. */
static uint64_t ldt[2];

void ldt_live_write_read(uint32_t b0, uint32_t b1, uint32_t *v0, uint32_t *v1)
{
	ldt[0] = 0;
	ldt[1] = gdt_segment(b0, 0xFFFFF, 0x92, 0xC);
	gdt[7] = gdt_segment((uint32_t)ldt, sizeof(ldt) - 1, 0x82, 0x0);
	lldt(0x38);
	__asm__ volatile("mov %1, %%fs\n\tmovl %%fs:0, %0\n\tmov %2, %%fs" : "=r"(*v0) : "r"(0x0C), "r"(0) : "memory");
	ldt[1] = gdt_segment(b1, 0xFFFFF, 0x92, 0xC);
	__asm__ volatile("mov %1, %%fs\n\tmovl %%fs:0, %0\n\tmov %2, %%fs" : "=r"(*v1) : "r"(0x0C), "r"(0) : "memory");
	lldt(0);
	gdt[7] = 0;
}

/* Every store form a kernel compiler emits, on a word in the GDT's page and on one elsewhere:
 * the results and the flags after each must be the same (a VMM that write-protects the GDT's
 * page carries these out itself: fast_guarded_write, or its general emulator with fast=off). */
#define STORE_FORMS(m, abs, abs8, f)                                                            \
	__asm__ volatile("movl $0x7ffffff0, (%[mm])\n\t"            /* C7 /0 */                     \
			 "addl $0x20, (%[mm])\n\tpushfl\n\tpopl 0(%[ff])\n\t"   /* 83 /0: overflow */    \
			 "orl $0x00010000, (%[mm])\n\tpushfl\n\tpopl 4(%[ff])\n\t"  /* 81 /1 */          \
			 "stc\n\tadcl $1, (%[mm])\n\tpushfl\n\tpopl 8(%[ff])\n\t"  /* 83 /2 */          \
			 "stc\n\tsbbl $3, (%[mm])\n\tpushfl\n\tpopl 12(%[ff])\n\t" /* 83 /3 */         \
			 "andl $-16, (%[mm])\n\tpushfl\n\tpopl 16(%[ff])\n\t"  /* 83 /4, sign-extended */ \
			 "subl $0x12345678, (%[mm])\n\tpushfl\n\tpopl 20(%[ff])\n\t" /* 81 /5 */         \
			 "xorl $-1, (%[mm])\n\tpushfl\n\tpopl 24(%[ff])\n\t"   /* 83 /6 */                \
			 "incl (%[mm])\n\tpushfl\n\tpopl 28(%[ff])\n\t"        /* FF /0 */                \
			 "decl 4(%[mm])\n\tpushfl\n\tpopl 32(%[ff])\n\t"       /* FF /1, disp8 */         \
			 "addb $0x80, 1(%[mm])\n\tpushfl\n\tpopl 36(%[ff])\n\t" /* 80 /0 */               \
			 "movl $0x1234abcd, %%eax\n\t"                                                     \
			 "movl %%eax, 8(%[mm])\n\t"                                 /* 89 */                 \
			 "movb %%ah, 12(%[mm])\n\t"                                 /* 88, AH */             \
			 "movb $0x5a, 13(%[mm])\n\t"                                /* C6 /0 */              \
			 "movl %%eax, %c[aa]\n\t"                                   /* A3 */                 \
			 "movb %%al, %c[a8]\n\t"                                    /* A2 */                 \
			 : : [mm] "r"(m), [ff] "r"(f), [aa] "i"(abs), [a8] "i"(abs8) : "eax", "cc", "memory")

static uint32_t plain[8];

int store_forms_check(void)
{
	uint32_t fg[10], fp[10];
	for (int i = 0; i < 8; i++)
		dt_page.scratch[i] = plain[i] = 0x11111111u * (uint32_t)i;
	STORE_FORMS(&dt_page.scratch[0], &dt_page.scratch[5], (uint8_t *)&dt_page.scratch[6] + 3, fg);
	STORE_FORMS(&plain[0], &plain[5], (uint8_t *)&plain[6] + 3, fp);
	for (int i = 0; i < 8; i++)
		if (dt_page.scratch[i] != plain[i])
			return 0;
	for (int i = 0; i < 10; i++)
		if ((fg[i] ^ fp[i]) & 0x8D5u)        /* CF PF AF ZF SF OF */
			return 0;
	return plain[0] != 0 && plain[5] == 0x1234abcdu;   /* (and the stores did happen) */
}
