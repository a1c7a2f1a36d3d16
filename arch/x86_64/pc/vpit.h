/* vpit.h - the virtual 8254 timer (ports 0x40-0x43) and the timer bits of system control port B
 * (0x61: channel 2 gate in bit 0, OUT2 in bit 5). Channel 0 drives IRQ0. The counters run at
 * 1193182 Hz against a nanosecond clock the caller passes in; no hardware is read. */
#ifndef ARCH_VPIT_H
#define ARCH_VPIT_H
#include <stdint.h>
#include <stdbool.h>

#define VPIT_HZ 1193182u

struct vpit_chan {
	uint32_t reload;	/* the count written, 1..65536 (a written 0 means 65536) */
	uint8_t cw;		/* control word bits 5..0 (access, mode, BCD), for the status byte */
	uint8_t mode;		/* 0..5 (6 and 7 are aliases of 2 and 3) */
	uint8_t access;		/* 1 low byte, 2 high byte, 3 low then high */
	bool loaded;		/* a count was written since the control word */
	bool triggered;		/* counting has begun (modes 1 and 5 wait for a gate edge) */
	bool running;		/* counting right now (triggered and, where it matters, gate high) */
	bool gate;
	bool null_count;	/* status bit 6: control word written, no count loaded yet */
	bool wmsb;		/* low/high access: the next write is the high byte */
	bool rmsb;		/* low/high access: the next read is the high byte */
	bool count_latched;
	bool status_latched;
	uint8_t wlow;		/* the low byte of a count being written */
	uint8_t status;		/* latched status byte */
	uint16_t latched;	/* latched count */
	uint64_t start_ns;	/* when the current stretch of counting began */
	uint64_t base_ticks;	/* ticks counted before start_ns (gate pauses in modes 0 and 4) */
	uint64_t edges_seen;	/* rising OUT edges already reported (channel 0) */
};

struct vpit {
	struct vpit_chan ch[3];
	uint8_t port61;		/* bits 0..3 of port 0x61 as last written */
};

/* State as a BIOS leaves it: channel 0 in mode 3 with divisor 65536 (18.2 Hz), counting from
 * now_ns; channels 1 and 2 unprogrammed; channel 2 gate low. */
void vpit_init(struct vpit *p, uint64_t now_ns);
/* Ports 0x40-0x43 and 0x61: returns 1 and reads/writes *val if the port is the PIT's, else 0. */
int vpit_io(struct vpit *p, uint16_t port, bool write, uint8_t *val, uint64_t now_ns);
/* Rising edges of channel 0's OUT (= IRQ0) since the previous call, saturated to UINT_MAX. */
unsigned vpit_irq0_edges(struct vpit *p, uint64_t now_ns);
/* When the next IRQ0 edge not yet returned by vpit_irq0_edges is due (may be in the past), or
 * UINT64_MAX if channel 0 will not produce one. */
uint64_t vpit_next_edge_ns(const struct vpit *p);

#endif
