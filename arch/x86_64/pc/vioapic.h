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
	uint8_t id, sel;                /* ID (4 bits), IOREGSEL */
	uint64_t redir[VIOAPIC_PINS];
	uint32_t level;                 /* pin input levels as the lines drive them (active high) */
	/* Once-per-VM reports (vioapic_report_unimplemented): */
	uint32_t bad_reg[8];            /* reserved register indices (3-0xF, 0x40-0xFF) accessed */
	uint32_t refused_pins;          /* pins that fired in a delivery mode not modelled */
	uint8_t refused_modes;          /* those modes (bit n: delivery mode n) */
	bool bad_offset;                /* an access to the page outside IOREGSEL and IOWIN */
	bool subdword_iowin;            /* a 1- or 2-byte IOWIN access */
};

void vioapic_init(struct vioapic *io);
bool vioapic_claims(uint32_t gpa);
void vioapic_mmio(struct vioapic *io, struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val);
/* A pin's input level changed (edge pins deliver on a rising level; level pins while high and no
 * remote IRR; a pin programmed active low sees the level inverted). */
void vioapic_set_pin(struct vioapic *io, struct vlapic *l, unsigned pin, bool level);
/* The local APIC took an EOI for a level vector: clear remote IRR of pins with that vector (and
 * deliver again those whose input is still asserted). */
void vioapic_eoi(struct vioapic *io, struct vlapic *l, uint8_t vector);
/* One line per kind of access this model refused, for the VM's exit report. */
void vioapic_report_unimplemented(const struct vioapic *io, void (*line)(void *ctx, const char *s), void *ctx);

#endif
