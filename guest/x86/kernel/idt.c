/* idt.c - the kernel's IDT: interrupt gates for all 256 vectors (exceptions, the ISA IRQs at
 * 32..47, the local APIC's vectors above), a DPL-3 trap gate for int 0x80 (system calls) and a
 * DPL-3 gate for int3. Loaded with lidt. */
#include "kernel.h"
#include "x86.h"

extern const uint32_t isr_table[256];
static uint64_t idt[256];

#define GATE_INTR 0xE	/* clears IF on entry */
#define GATE_TRAP 0xF	/* leaves IF alone */

static void set_gate(int vec, uint32_t handler, int dpl, int type)
{
	uint64_t g = 0;
	g |= handler & 0xFFFF;
	g |= (uint64_t)KCODE_SEL << 16;
	g |= (uint64_t)(0x80 | (dpl << 5) | type) << 40;
	g |= (uint64_t)(handler >> 16) << 48;
	idt[vec] = g;
}

void idt_init(void)
{
	struct dtr d;
	int v;

	for (v = 0; v < 256; v++)
		set_gate(v, isr_table[v], 0, GATE_INTR);
	set_gate(3, isr_table[3], 3, GATE_INTR);	/* int3 allowed from user: killed as #BP */
	set_gate(0x80, isr_table[0x80], 3, GATE_TRAP);	/* system calls run with interrupts on */

	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)idt;
	lidt(&d);
}

/* The live-write self test: gate `vec` now leads to the entry stub of vector `stub` (the stub
 * pushes its own number), written into the loaded IDT with no lidt after it. */
void idt_retarget(int vec, int stub)
{
	set_gate(vec, isr_table[stub], 0, GATE_INTR);
}

uint64_t idt_swap(int vec, uint64_t gate)
{
	uint64_t old = idt[vec];
	idt[vec] = gate;
	return old;
}

/* Gate `vec` becomes a task gate to the TSS tss_sel (DPL 0): the CPU switches tasks for it. */
void idt_task_gate(int vec, uint16_t tss_sel)
{
	idt[vec] = (uint64_t)tss_sel << 16 | (uint64_t)0x85 << 40;
}

const void *idt_base(void)
{
	return idt;
}
