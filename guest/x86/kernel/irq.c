/* irq.c - where ISA device interrupts go: through the 8259s (the default), or with the boot word
 * `apic` through the IO APIC to the local APIC, whose timer is then the system clock and whose
 * EOI ends every interrupt. Drivers only say which ISA IRQ they want (irq_unmask). */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

int apic_mode;

void irq_unmask(int isa_irq)
{
	if (apic_mode)
		ioapic_route_isa(isa_irq, VEC_IRQ0 + isa_irq, 0);
	else
		pic_set_mask(isa_irq, 0);
}

void irq_mask(int isa_irq)
{
	if (apic_mode)
		ioapic_route_isa(isa_irq, VEC_IRQ0 + isa_irq, 1);
	else
		pic_set_mask(isa_irq, 1);
}

void irq_eoi(int isa_irq)
{
	if (apic_mode)
		lapic_eoi();
	else
		pic_eoi(isa_irq);
}

/* Switch to the APICs, as an OS does once it has found them in the MADT (or MP table): every
 * 8259 input masked, every IO APIC pin masked, the local APIC's LINT0 (the 8259s' virtual wire)
 * masked, the clock on the calibrated local APIC timer. Interrupts are off throughout. */
int apic_setup(void)
{
	uint32_t samples[5];
	int i;

	if (!cpu_has_apic() || (!acpi.madt_ok && !mp.cfg_found))
		return -1;
	/* The 8259s first, while LINT0 still carries their output: a request they raised
	 * must be withdrawn through the wire it came on, before that wire is masked. */
	for (i = 0; i < 16; i++)
		if (i != 2)
			pic_set_mask(i, 1);
	if (lapic_init(0) < 0 || ioapic_init() < 0 || !lapic_calibrate(samples)) {
		lapic_init(1);
		pic_set_mask(0, 0);
		return -1;
	}
	apic_mode = 1;
	intr_set_handler(VEC_IRQ0, 0);
	intr_set_handler(VEC_CLOCK, clock_tick);
	lapic_clock_start(timer_hz);
	return 0;
}
