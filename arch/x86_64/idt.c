/* idt.c - the real IDT: 256 64-bit interrupt gates into trapentry.asm, all at DPL 0 unless a
 * guest-visible software interrupt needs a higher DPL (set later from the guest's own IDT). */
#include "desc.h"

struct __attribute__((packed)) gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

static struct gate idt[256] __attribute__((aligned(16)));
extern const uint64_t trap_vectors[256];

static void set_gate(unsigned v, uint64_t handler, unsigned ist, unsigned dpl)
{
	idt[v].off0 = handler & 0xFFFF;
	idt[v].sel = SEL_KCODE;
	idt[v].ist = ist;
	idt[v].type = 0x8E | (dpl << 5);   /* present, 64-bit interrupt gate */
	idt[v].off1 = (handler >> 16) & 0xFFFF;
	idt[v].off2 = handler >> 32;
	idt[v].zero = 0;
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, trap_vectors[v], 0, 0);
	idt[2].ist = IST_NMI;
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[18].ist = IST_MCE;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

void idt_set_dpl(unsigned v, unsigned dpl)
{
	idt[v].type = (uint8_t)((idt[v].type & ~0x60) | ((dpl & 3) << 5));
}
