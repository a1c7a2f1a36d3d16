/* ioapic.c - the IO APIC (IOREGSEL at +0, IOWIN at +0x10, at the address the MADT or MP table
 * gives): ID, version, the redirection table, and routing an ISA IRQ to a vector on this CPU's
 * local APIC with the pin, polarity and trigger mode the MADT's interrupt source overrides (or
 * the MP table's I/O interrupt entries) say. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define IOREGSEL 0
#define IOWIN 4	/* in 32-bit words: +0x10 */

static volatile uint32_t *regs;
static uint32_t gsi_base;

int ioapic_ready(void) { return regs != 0; }
uint32_t ioapic_va(void) { return (uint32_t)regs; }

uint32_t ioapic_read(uint32_t reg)
{
	uint32_t f = irq_save(), v;
	regs[IOREGSEL] = reg;
	v = regs[IOWIN];
	irq_restore(f);
	return v;
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	uint32_t f = irq_save();
	regs[IOREGSEL] = reg;
	regs[IOWIN] = v;
	irq_restore(f);
}

int ioapic_max_redir(void)
{
	return (int)((ioapic_read(1) >> 16) & 0xFF);
}

uint64_t ioapic_get_redir(int pin)
{
	return ioapic_read(0x10 + 2 * (uint32_t)pin) |
	       (uint64_t)ioapic_read(0x11 + 2 * (uint32_t)pin) << 32;
}

/* High half first when unmasking, low half first when masking: the entry is never live with a
 * half-written destination. */
void ioapic_set_redir(int pin, uint64_t e)
{
	if (e & IOREDTBL_MASKED) {
		ioapic_write(0x10 + 2 * (uint32_t)pin, (uint32_t)e);
		ioapic_write(0x11 + 2 * (uint32_t)pin, (uint32_t)(e >> 32));
	} else {
		ioapic_write(0x11 + 2 * (uint32_t)pin, (uint32_t)(e >> 32));
		ioapic_write(0x10 + 2 * (uint32_t)pin, (uint32_t)e);
	}
}

int ioapic_init(void)
{
	uint32_t pa;
	int pin;

	if (acpi.madt_ok && acpi.n_ioapic >= 1) {
		pa = acpi.ioapic_pa;
		gsi_base = acpi.ioapic_gsi_base;
	} else if (mp.cfg_found && mp.n_ioapic >= 1) {
		pa = mp.ioapic_pa;
		gsi_base = 0;
	} else {
		return -1;
	}
	if (!regs && !(regs = phys_map(pa, 0x20, MAP_UNCACHED)))
		return -1;
	for (pin = 0; pin <= ioapic_max_redir(); pin++)
		ioapic_set_redir(pin, IOREDTBL_MASKED | (uint64_t)(VEC_IRQ0 + (pin & 15)));
	return 0;
}

/* The IO APIC pin of an ISA IRQ, -1 if it has none on this IO APIC. */
int ioapic_isa_pin(int isa_irq)
{
	uint32_t gsi;

	if (acpi.madt_ok && acpi.n_ioapic >= 1)
		gsi = acpi.isa_gsi[isa_irq];
	else if (mp.isa_pin[isa_irq] >= 0)
		gsi = (uint32_t)mp.isa_pin[isa_irq];
	else
		return -1;
	if (gsi < gsi_base || gsi - gsi_base > (uint32_t)ioapic_max_redir())
		return -1;
	return (int)(gsi - gsi_base);
}

/* Fixed delivery, physical destination this CPU; ISA default polarity (high) and trigger
 * (edge) unless an override says otherwise (MPS INTI flags: bits 0-1 polarity, 2-3 trigger). */
void ioapic_route_isa(int isa_irq, int vector, int masked)
{
	uint16_t flags = acpi.madt_ok && acpi.n_ioapic >= 1 ? acpi.isa_flags[isa_irq] : mp.isa_flags[isa_irq];
	int pin = ioapic_isa_pin(isa_irq);
	uint64_t e = (uint64_t)(vector & 0xFF);

	if (pin < 0)
		return;
	if ((flags & 3) == 3)
		e |= 1u << 13;	/* active low */
	if (((flags >> 2) & 3) == 3)
		e |= 1u << 15;	/* level triggered */
	if (masked)
		e |= IOREDTBL_MASKED;
	e |= (uint64_t)lapic_id() << 56;
	ioapic_set_redir(pin, e);
}
