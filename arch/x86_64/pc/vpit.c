/* vpit.c - the virtual 8254: three counters whose state is computed from elapsed time rather than
 * stepped, so the VMM only has to pass in a clock. Modes 0-5 (6/7 alias 2/3), access lo/hi/lohi,
 * counter latch and read-back commands, gates (channel 2's from port 0x61; 0 and 1 tied high).
 * Simplifications, documented: counting is always binary (the BCD bit is kept only for the
 * status byte); a new count takes effect at once in every mode (a real 8254 in modes 2 and 3 waits
 * for the end of the current period); a count of 1 in modes 2/3 (illegal on the chip) acts as 2;
 * the one clock a real counter spends loading a new count is not modelled. Facts from the Intel
 * 8254 datasheet and the OSDev wiki. */
#include "vpit.h"
#include "../../../lib/kstring.h"

#define NS_PER_S 1000000000ull

/* Whole counter ticks in [a, b). Split at whole seconds so the product never overflows; the
 * result equals floor((b - a) * HZ / 1e9) exactly. */
static uint64_t ticks_between(uint64_t a, uint64_t b)
{
	if (b <= a)
		return 0;
	uint64_t d = b - a;
	return d / NS_PER_S * VPIT_HZ + d % NS_PER_S * VPIT_HZ / NS_PER_S;
}

/* The shortest time in which k ticks elapse: ceil(k * 1e9 / HZ), the inverse of the above. */
static uint64_t ticks_to_ns(uint64_t k)
{
	uint64_t q = k / VPIT_HZ, r = k % VPIT_HZ;
	if (q > (UINT64_MAX - NS_PER_S) / NS_PER_S)
		return UINT64_MAX;
	return q * NS_PER_S + (r * NS_PER_S + VPIT_HZ - 1) / VPIT_HZ;
}

static uint64_t elapsed(const struct vpit_chan *c, uint64_t now)
{
	return c->base_ticks + (c->running ? ticks_between(c->start_ns, now) : 0);
}

static bool periodic(const struct vpit_chan *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* The period of modes 2 and 3 (see the header comment for why not 1). */
static uint64_t period(const struct vpit_chan *c)
{
	return c->reload < 2 ? 2 : c->reload;
}

/* The level of a counter's OUT pin. After a control word OUT is low in mode 0, high otherwise;
 * mode 0/1 raise it at terminal count; 4/5 pulse it low for one tick at terminal count; mode 2
 * pulses it low for the last tick of each period; mode 3 is high for the first (N+1)/2 ticks of
 * each period and low for the rest. A low gate forces OUT high in modes 2 and 3. */
static bool out_level(const struct vpit_chan *c, uint64_t now)
{
	if (!c->loaded)
		return c->mode != 0;
	if (periodic(c) && !c->gate)
		return true;
	if (!c->triggered)
		return c->mode != 0;
	uint64_t t = elapsed(c, now), n = periodic(c) ? period(c) : c->reload;
	switch (c->mode) {
	case 0:
	case 1:
		return t >= n;
	case 2:
		return t % n != n - 1;
	case 3:
		return t % n < (n + 1) / 2;
	default:	/* 4, 5 */
		return t != n;
	}
}

/* The value in the counting element. Mode 3 counts down by two in each half period; with an odd
 * count the first clock of the high half takes one off and the first clock of the low half three
 * (datasheet), so OUT stays high one tick longer than low. */
static uint16_t count_now(const struct vpit_chan *c, uint64_t now)
{
	if (!c->loaded || !c->triggered)
		return (uint16_t)c->reload;
	uint64_t t = elapsed(c, now);
	if (!periodic(c))
		return (uint16_t)(c->reload - t);	/* wraps modulo 2^16 past terminal count */
	uint64_t n = period(c), p = t % n;
	if (c->mode == 2)
		return (uint16_t)(n - p);
	uint64_t hi = (n + 1) / 2, q = p < hi ? p : p - hi;
	if (!(n & 1) || q == 0)
		return (uint16_t)(n - 2 * q);
	return (uint16_t)(p < hi ? n + 1 - 2 * q : n - 1 - 2 * q);
}

/* Rising edges of OUT since the count was loaded (or the counter last retriggered). */
static uint64_t edges_total(const struct vpit_chan *c, uint64_t now)
{
	if (!c->loaded || !c->triggered)
		return 0;
	uint64_t t = elapsed(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 4:
	case 5:
		return t >= (uint64_t)c->reload + 1;
	default:
		return t / period(c);
	}
}

/* The tick at which edge number k (counted from 1) happens, or UINT64_MAX if never. */
static uint64_t edge_tick(const struct vpit_chan *c, uint64_t k)
{
	switch (c->mode) {
	case 0:
	case 1:
		return k == 1 ? c->reload : UINT64_MAX;
	case 4:
	case 5:
		return k == 1 ? (uint64_t)c->reload + 1 : UINT64_MAX;
	default:
		return k * period(c);
	}
}

static void restart(struct vpit_chan *c, uint64_t now)
{
	c->start_ns = now;
	c->base_ticks = 0;
	c->edges_seen = 0;
}

static void load_count(struct vpit_chan *c, uint16_t v, uint64_t now)
{
	c->reload = v ? v : 65536;
	c->loaded = true;
	c->null_count = false;
	restart(c, now);
	/* modes 1 and 5 start only on a gate rising edge; the others start now if the gate allows */
	c->triggered = c->mode != 1 && c->mode != 5;
	c->running = c->triggered && c->gate;
}

static void set_gate(struct vpit_chan *c, bool g, uint64_t now)
{
	if (g == c->gate)
		return;
	c->gate = g;
	if (!c->loaded)
		return;
	if (!g) {
		/* modes 0, 2, 3, 4 stop counting while the gate is low; 1 and 5 ignore a low gate */
		if (c->mode != 1 && c->mode != 5 && c->running) {
			c->base_ticks = elapsed(c, now);
			c->running = false;
		}
		return;
	}
	if (c->mode == 0 || c->mode == 4) {
		if (c->triggered) {	/* resume where it stopped */
			c->start_ns = now;
			c->running = true;
		}
	} else {			/* 1, 5: (re)trigger; 2, 3: reload and start over */
		restart(c, now);
		c->triggered = true;
		c->running = true;
	}
}

static void latch_count(struct vpit_chan *c, uint64_t now)
{
	if (!c->count_latched) {	/* a second latch before the first is read is ignored */
		c->latched = count_now(c, now);
		c->count_latched = true;
	}
}

static void latch_status(struct vpit_chan *c, uint64_t now)
{
	if (!c->status_latched) {
		c->status = (uint8_t)((out_level(c, now) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) | c->cw);
		c->status_latched = true;
	}
}

static void control_word(struct vpit *p, uint8_t v, uint64_t now)
{
	unsigned sc = v >> 6, rw = (v >> 4) & 3;
	if (sc == 3) {
		/* read-back: bit 5 clear latches counts, bit 4 clear latches status; bits 1-3 pick
		 * channels 0-2. A status latched together with a count is read first. */
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x10))
				latch_status(&p->ch[i], now);
			if (!(v & 0x20))
				latch_count(&p->ch[i], now);
		}
		return;
	}
	struct vpit_chan *c = &p->ch[sc];
	if (rw == 0) {
		latch_count(c, now);
		return;
	}
	unsigned mode = (v >> 1) & 7;
	c->cw = v & 0x3F;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
	c->access = (uint8_t)rw;
	c->loaded = c->triggered = c->running = false;
	c->null_count = true;
	c->wmsb = c->rmsb = false;
	c->count_latched = c->status_latched = false;
	c->edges_seen = 0;
}

static void write_counter(struct vpit_chan *c, uint8_t v, uint64_t now)
{
	switch (c->access) {
	case 1:
		load_count(c, v, now);
		break;
	case 2:
		load_count(c, (uint16_t)(v << 8), now);
		break;
	default:
		if (!c->wmsb) {
			c->wlow = v;
			c->wmsb = true;
		} else {
			c->wmsb = false;
			load_count(c, (uint16_t)(c->wlow | v << 8), now);
		}
		break;
	}
}

static uint8_t read_counter(struct vpit_chan *c, uint64_t now)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v = c->count_latched ? c->latched : count_now(c, now);
	bool high;
	if (c->access == 3) {
		high = c->rmsb;
		c->rmsb = !c->rmsb;
	} else {
		high = c->access == 2;
	}
	if (!c->rmsb)		/* the whole latched value has been read: release the latch */
		c->count_latched = false;
	return high ? (uint8_t)(v >> 8) : (uint8_t)v;
}

void vpit_init(struct vpit *p, uint64_t now_ns)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i].access = 3;
		p->ch[i].cw = 0x30;
		p->ch[i].reload = 65536;
		p->ch[i].gate = i != 2;
	}
	control_word(p, 0x36, now_ns);		/* channel 0, lo/hi, mode 3 */
	load_count(&p->ch[0], 0, now_ns);	/* divisor 65536 */
}

int vpit_io(struct vpit *p, uint16_t port, bool write, uint8_t *val, uint64_t now_ns)
{
	if (port == 0x61) {
		if (write) {
			p->port61 = *val & 0x0F;
			set_gate(&p->ch[2], *val & 1, now_ns);
		} else {
			/* bit 4 toggles with each DRAM refresh request (every 15.085 us); some delay loops
			 * count its flips. Bit 5 is OUT2. */
			bool refresh = (now_ns / 15085) & 1;
			*val = (uint8_t)(p->port61 | (refresh ? 0x10 : 0) |
					 (out_level(&p->ch[2], now_ns) ? 0x20 : 0));
		}
		return 1;
	}
	if (port < 0x40 || port > 0x43)
		return 0;
	if (port == 0x43) {
		if (write)
			control_word(p, *val, now_ns);
		else
			*val = 0xFF;	/* the control register cannot be read */
		return 1;
	}
	struct vpit_chan *c = &p->ch[port - 0x40];
	if (write)
		write_counter(c, *val, now_ns);
	else
		*val = read_counter(c, now_ns);
	return 1;
}

unsigned vpit_irq0_edges(struct vpit *p, uint64_t now_ns)
{
	struct vpit_chan *c = &p->ch[0];
	uint64_t e = edges_total(c, now_ns);
	if (e <= c->edges_seen)
		return 0;
	uint64_t n = e - c->edges_seen;
	c->edges_seen = e;
	return n > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)n;
}

uint64_t vpit_next_edge_ns(const struct vpit *p)
{
	const struct vpit_chan *c = &p->ch[0];
	if (!c->loaded || !c->running)
		return UINT64_MAX;
	uint64_t k = edge_tick(c, c->edges_seen + 1);
	if (k == UINT64_MAX)
		return UINT64_MAX;
	if (k <= c->base_ticks)
		return c->start_ns;
	uint64_t d = ticks_to_ns(k - c->base_ticks);
	return d > UINT64_MAX - c->start_ns ? UINT64_MAX : c->start_ns + d;
}
