/* vioapic.h - the virtual IO APIC (82093AA-like, 24 pins) at VIOAPIC_BASE: IOREGSEL/IOWIN, ID,
 * version, arbitration, the redirection table (vector, fixed/lowest priority, destination,
 * polarity, edge/level with remote IRR, mask). ISA IRQ n is pin n, except IRQ0 on pin 2 (the
 * interrupt source override firmware.c writes). Delivery goes to the VM's one local APIC. */
#ifndef ARCH_VIOAPIC_H
#define ARCH_VIOAPIC_H
#include <stdint.h>
#include <stdbool.h>
#include "vlapic.h"

#define VIOAPIC_BASE 0xFEC00000u
#define VIOAPIC_ID   1          /* the ID register's value: the MP table and the MADT (firmware.c) say 1 */
#define VIOAPIC_PINS 24

struct vioapic {
	uint8_t id, sel;
	uint64_t redir[VIOAPIC_PINS];
	uint32_t level;                 /* pin input levels */
	uint64_t unimplemented_reported;
};

void vioapic_init(struct vioapic *io);
bool vioapic_claims(uint32_t gpa);
void vioapic_mmio(struct vioapic *io, struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val);
/* A pin's input level changed (edge pins deliver on a rising level; level pins while high and no
 * remote IRR). */
void vioapic_set_pin(struct vioapic *io, struct vlapic *l, unsigned pin, bool level);
/* The local APIC took an EOI for a level vector: clear remote IRR of pins with that vector. */
void vioapic_eoi(struct vioapic *io, struct vlapic *l, uint8_t vector);

#endif
