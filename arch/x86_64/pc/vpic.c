/* vpic.c - the virtual 8259A master/slave pair: ICW1-4 initialisation, OCW1 mask, OCW2 EOI and
 * rotation, OCW3 register select and special mask mode; edge-triggered inputs, fixed or rotating
 * priority, slave cascaded on master IR2. Not emulated: poll mode (OCW3.P is ignored), level
 * triggering (ICW1.LTIM is accepted but inputs stay edge-latched), special fully nested mode,
 * buffered mode, MCS-80 call addresses. Facts from the Intel 8259A datasheet. */
#include "vpic.h"
#include "../../../lib/kstring.h"

#define CASCADE_IRQ 2	/* on a PC the slave's INT pin drives master IR2 */

static void chip_reset(struct vpic_chip *c, uint8_t base, uint8_t icw3)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->icw3 = icw3;
	c->lowest = 7;
	c->icw4_needed = true;
}

void vpic_init(struct vpic *p)
{
	chip_reset(&p->chip[0], 0x08, 1u << CASCADE_IRQ);
	chip_reset(&p->chip[1], 0x70, CASCADE_IRQ);
	p->chip[0].imr = 0xFF;
	p->chip[1].imr = 0xFF;
}

/* Priority rank of line i: 0 is the highest. With the default lowest = 7, IR0 ranks 0. */
static unsigned rank(const struct vpic_chip *c, unsigned i)
{
	return (i - c->lowest - 1) & 7;
}

/* The highest-priority line set in bits, or -1. */
static int highest(const struct vpic_chip *c, uint8_t bits)
{
	for (unsigned r = 0; r < 8; r++) {
		unsigned i = (c->lowest + 1 + r) & 7;
		if (bits & (1u << i))
			return (int)i;
	}
	return -1;
}

/* The line a chip would signal on its INT pin given its request inputs (irr), or -1: the best
 * unmasked request, provided nothing of equal or higher priority is in service. In special mask
 * mode a masked in-service level does not block the others. */
static int chip_output(const struct vpic_chip *c, uint8_t irr)
{
	int req = highest(c, irr & ~c->imr);
	if (req < 0)
		return -1;
	uint8_t blocking = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
	int cur = highest(c, blocking);
	if (cur >= 0 && rank(c, (unsigned)cur) <= rank(c, (unsigned)req))
		return -1;
	return req;
}

static bool cascaded(const struct vpic *p)
{
	return !p->chip[0].single && (p->chip[0].icw3 & (1u << CASCADE_IRQ));
}

/* The master's effective requests: its latched edges plus the slave's INT output on IR2. The
 * slave's output is a level, so it is not latched: once the slave's request is acknowledged (or
 * masked) the master no longer sees it. */
static uint8_t master_irr(const struct vpic *p)
{
	uint8_t irr = p->chip[0].irr;
	if (cascaded(p) && chip_output(&p->chip[1], p->chip[1].irr) >= 0)
		irr |= 1u << CASCADE_IRQ;
	return irr;
}

void vpic_raise(struct vpic *p, unsigned irq)
{
	if (irq < 16)
		p->chip[irq >> 3].irr |= (uint8_t)(1u << (irq & 7));
}

int vpic_pending(const struct vpic *p)
{
	int m = chip_output(&p->chip[0], master_irr(p));
	if (m < 0)
		return -1;
	if (m == CASCADE_IRQ && cascaded(p)) {
		int s = chip_output(&p->chip[1], p->chip[1].irr);
		if (s >= 0)
			return p->chip[1].base + s;
	}
	return p->chip[0].base + m;
}

/* One chip's share of the acknowledge cycle: the request leaves IRR and, unless the chip is in
 * automatic EOI mode, enters ISR. */
static void chip_ack(struct vpic_chip *c, unsigned line)
{
	c->irr &= (uint8_t)~(1u << line);
	if (!c->auto_eoi)
		c->isr |= (uint8_t)(1u << line);
	else if (c->rotate_aeoi)
		c->lowest = (uint8_t)line;
}

int vpic_ack(struct vpic *p)
{
	int m = chip_output(&p->chip[0], master_irr(p));
	if (m < 0)
		return -1;
	chip_ack(&p->chip[0], (unsigned)m);
	if (m == CASCADE_IRQ && cascaded(p)) {
		int s = chip_output(&p->chip[1], p->chip[1].irr);
		if (s >= 0) {
			chip_ack(&p->chip[1], (unsigned)s);
			return p->chip[1].base + s;
		}
	}
	return p->chip[0].base + m;
}

/* OCW2: bits 7..5 are R, SL, EOI; bits 2..0 the level for the specific forms. */
static void ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	int cur;
	switch (v >> 5) {
	case 1:			/* non-specific EOI: clear the highest-priority ISR bit */
	case 5:			/* ... and rotate: that level becomes the lowest */
		cur = highest(c, c->isr);
		if (cur >= 0) {
			c->isr &= (uint8_t)~(1u << cur);
			if (v >> 5 == 5)
				c->lowest = (uint8_t)cur;
		}
		break;
	case 3:			/* specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		break;
	case 7:			/* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case 6:			/* set priority: level becomes the lowest */
		c->lowest = (uint8_t)level;
		break;
	case 4:
		c->rotate_aeoi = true;
		break;
	case 0:
		c->rotate_aeoi = false;
		break;
	default:		/* 2: no operation */
		break;
	}
}

static void write_even(struct vpic_chip *c, uint8_t v)
{
	if (v & 0x10) {
		/* ICW1 starts initialisation: the datasheet resets the edge sense (pending requests are
		 * forgotten), clears IMR, gives IR7 the lowest priority and selects IRR for reads. */
		uint8_t base = c->base, icw3 = c->icw3;
		chip_reset(c, base, icw3);
		c->icw4_needed = v & 0x01;
		c->single = v & 0x02;
		c->init_step = 2;
	} else if (v & 0x08) {
		/* OCW3: RR/RIS pick the register for even-port reads; ESMM/SMM the special mask mode. */
		if (v & 0x02)
			c->read_isr = v & 0x01;
		if (v & 0x40)
			c->special_mask = v & 0x20;
	} else {
		ocw2(c, v);
	}
}

static void write_odd(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:		/* ICW2: vector base; the low three bits come from the IR number */
		c->base = v & 0xF8;
		c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		break;
	case 3:		/* ICW3: slave lines (master) or slave id (slave) */
		c->icw3 = v;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:		/* ICW4: only AEOI matters here (uPM, BUF, SFNM are accepted and ignored) */
		c->auto_eoi = v & 0x02;
		c->init_step = 0;
		break;
	default:	/* OCW1 */
		c->imr = v;
		break;
	}
}

int vpic_io(struct vpic *p, uint16_t port, bool write, uint8_t *val)
{
	struct vpic_chip *c;
	if (port == 0x20 || port == 0x21)
		c = &p->chip[0];
	else if (port == 0xA0 || port == 0xA1)
		c = &p->chip[1];
	else
		return 0;
	bool odd = port & 1;
	if (write) {
		if (odd)
			write_odd(c, *val);
		else
			write_even(c, *val);
	} else {
		/* the master's IRR shows the slave's INT on IR2, as the pin is wired there */
		uint8_t irr = c == &p->chip[0] ? master_irr(p) : c->irr;
		*val = odd ? c->imr : c->read_isr ? c->isr : irr;
	}
	return 1;
}
