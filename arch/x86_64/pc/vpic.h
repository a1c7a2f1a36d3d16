/* vpic.h - the virtual 8259A pair (master 0x20/0x21, slave 0xA0/0xA1, slave cascaded on master
 * IR2) that a guest programs with in/out. One struct per VM, owned by the caller; no hardware. */
#ifndef ARCH_VPIC_H
#define ARCH_VPIC_H
#include <stdint.h>
#include <stdbool.h>

struct vpic_chip {
	uint8_t irr;		/* interrupt request register: latched edges */
	uint8_t isr;		/* in-service register: acknowledged, not yet EOI'd */
	uint8_t imr;		/* interrupt mask register (OCW1) */
	uint8_t base;		/* vector of IR0 (ICW2 & 0xF8) */
	uint8_t icw3;		/* master: bit mask of slave lines; slave: its id */
	uint8_t lowest;		/* IR with the lowest priority (7 unless rotated) */
	uint8_t init_step;	/* 0 = operational, 2/3/4 = the ICW expected next */
	bool icw4_needed;	/* ICW1.IC4 */
	bool single;		/* ICW1.SNGL: no cascade */
	bool auto_eoi;		/* ICW4.AEOI */
	bool rotate_aeoi;	/* OCW2 "rotate in automatic EOI mode" */
	bool read_isr;		/* OCW3: an even-port read returns ISR (else IRR) */
	bool special_mask;	/* OCW3 special mask mode */
};

struct vpic {
	struct vpic_chip chip[2];	/* [0] master, [1] slave */
};

/* Power-on state as a BIOS leaves it: master base 0x08, slave base 0x70, all lines masked. */
void vpic_init(struct vpic *p);
/* Latch a rising edge of line irq (0..15) into its chip's IRR. Out-of-range lines are ignored. */
void vpic_raise(struct vpic *p, unsigned irq);
/* The vector the CPU would receive now (if its IF were set), or -1. Does not change state. */
int vpic_pending(const struct vpic *p);
/* Interrupt acknowledge: move the winning request from IRR to ISR (both chips for a slave line)
 * and return its vector, or -1 if nothing is pending. */
int vpic_ack(struct vpic *p);
/* Port access (0x20, 0x21, 0xA0, 0xA1): returns 1 and reads/writes *val if the port is the PIC's,
 * else 0 and *val is untouched. */
int vpic_io(struct vpic *p, uint16_t port, bool write, uint8_t *val);

#endif
