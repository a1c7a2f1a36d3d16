/* gdt.c - the VMM's GDT and TSS. The TSS gives the ring-0 stack for traps from guests (RSP0) and
 * separate known-good stacks (IST) for double faults, NMIs and machine checks, so a corrupted
 * stack pointer still ends in a register dump rather than a triple fault. No I/O bitmap: every
 * port access from ring 1/3 faults (#GP) and is emulated. */
#include "desc.h"
#include "cpu.h"
#include "../../lib/kstring.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][8192] __attribute__((aligned(16)));
static uint8_t rsp0_stack[16384] __attribute__((aligned(16)));

struct __attribute__((packed)) dtr { uint16_t limit; uint64_t base; };

void gdt_init(void)
{
	memset(gdt, 0, sizeof gdt);
	gdt[SEL_KCODE / 8] = 0x00AF9A000000FFFFULL;   /* 64-bit code, DPL 0 */
	gdt[SEL_KDATA / 8] = 0x00CF92000000FFFFULL;   /* data, DPL 0 */

	memset(&tss, 0, sizeof tss);
	tss.rsp[0] = (uint64_t)(rsp0_stack + sizeof rsp0_stack);
	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(ist_stacks[0] + sizeof ist_stacks[0]);
	tss.ist[IST_NMI - 1] = (uint64_t)(ist_stacks[1] + sizeof ist_stacks[1]);
	tss.ist[IST_MCE - 1] = (uint64_t)(ist_stacks[2] + sizeof ist_stacks[2]);
	tss.iomap_base = sizeof tss;       /* beyond the limit: no I/O permission bitmap */

	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;

	struct dtr d = { sizeof gdt - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0" : : "m"(d));
	/* Reload CS with a far return, and the data segments. */
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 : : "i"(SEL_KCODE) : "rax", "memory");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"(SEL_KDATA));
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

void tss_set_rsp0(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}

void ldt_load(const void *base, unsigned bytes)
{
	if (!bytes) {
		__asm__ volatile("lldt %w0" : : "r"(0));
		return;
	}
	uint64_t b = (uint64_t)base, limit = bytes - 1;
	gdt[SEL_LDT / 8] = (limit & 0xFFFF) | ((b & 0xFFFFFF) << 16) | (0x82ULL << 40) |
		 (((limit >> 16) & 0xF) << 48) | (((b >> 24) & 0xFF) << 56);
	gdt[SEL_LDT / 8 + 1] = b >> 32;
	__asm__ volatile("lldt %w0" : : "r"(SEL_LDT) : "memory");
}
