/* vcmos.c - the virtual MC146818 RTC and its CMOS RAM.
 *
 * Time is computed, not stepped: the clock reads epoch_s + offset_s + whole seconds since base_ns,
 * and the divider chain (seconds, the periodic rate, UIP) keeps the phase of base_ns. The time
 * bytes are produced on each read in the format register B asks for (BCD or binary, 24 h or 12 h
 * with bit 7 = PM). While SET is on they are frozen in CMOS RAM, where the guest writes the new
 * time; clearing SET (or writing a time byte while SET is off) turns the bytes back into seconds
 * and keeps the difference in offset_s, so the clock carries on from what was written with the
 * divider's phase unchanged. The weekday byte is derived from the date (a written one is not kept).
 *
 * Flags (register C) are set whether or not their interrupt is enabled: PF at each periodic tick,
 * UF at each second boundary (the end of the update cycle), AF at a boundary whose time matches the
 * alarm bytes (0xC0-0xFF in an alarm byte matches anything). UF and AF are not set while SET
 * inhibits updates. IRQF = PF.PIE + AF.AIE + UF.UIE, recomputed whenever one of them changes (as the
 * part and QEMU do); IRQ 8 is its level; reading C returns and clears the flags.
 *
 * Not modelled, documented: the divider bits (DV, register A bits 4-6) are stored and read back but
 * never stop or reset the chain; daylight saving (DSE) is stored only; SQWE drives no pin; UIP is
 * set for the last 244 us of each second (on the part it then stays set for the 2 ms update).
 * Bytes a BIOS leaves: base memory 640 KiB (0x15/0x16), extended memory in KiB above 1 MiB capped
 * at 0xFFFF (0x17/0x18 and 0x30/0x31), memory above 16 MiB in 64 KiB units (0x34/0x35), equipment
 * byte 0x14 (no floppy, a coprocessor, a VGA), the AT checksum of 0x10-0x2D in 0x2E/0x2F. The
 * century byte 0x32 follows the clock, in the format of the other time bytes (as QEMU's: BCD
 * unless DM asks for binary; Linux reads it that way). Facts: the Motorola MC146818A datasheet. */
#include "vcmos.h"
#include "../../../lib/kstring.h"
#include "../../../lib/calendar.h"

#define NS_PER_S 1000000000ull
#define XTAL_HZ 32768ull
#define UIP_NS 244000ull

static bool is_time_byte(unsigned i)
{
	return i == VCMOS_SEC || i == VCMOS_MIN || i == VCMOS_HOUR || i == VCMOS_WDAY || i == VCMOS_MDAY ||
	       i == VCMOS_MONTH || i == VCMOS_YEAR || i == VCMOS_CENTURY;
}

static uint64_t since_base(const struct vcmos *c, uint64_t now)
{
	return now > c->base_ns ? now - c->base_ns : 0;
}

/* 32.768 kHz cycles in d ns (split at whole seconds so nothing overflows). */
static uint64_t cycles(uint64_t d)
{
	return d / NS_PER_S * XTAL_HZ + d % NS_PER_S * XTAL_HZ / NS_PER_S;
}

/* The first instant at which k cycles have passed: ceil(k * 1e9 / 32768). */
static uint64_t cycles_to_ns(uint64_t k)
{
	uint64_t q = k / XTAL_HZ, r = k % XTAL_HZ;
	if (q >= UINT64_MAX / NS_PER_S - 1)
		return UINT64_MAX;
	return q * NS_PER_S + (r * NS_PER_S + XTAL_HZ - 1) / XTAL_HZ;
}

/* The periodic interrupt's period in 32.768 kHz cycles for rate select rs (0: off). Rates 1 and 2
 * give 256 and 128 Hz on a 32.768 kHz time base, as rates 8 and 9 do. */
static uint64_t period_cycles(unsigned rs)
{
	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7;
	return 1ull << (rs - 1);
}

static int64_t clock_at(const struct vcmos *c, uint64_t sec_index)
{
	return (int64_t)c->epoch_s + c->offset_s + (int64_t)sec_index;
}

static uint8_t enc(const struct vcmos *c, unsigned v)
{
	v %= 100;
	return (uint8_t)((c->ram[VCMOS_REG_B] & VCMOS_B_DM) ? v : (v / 10) << 4 | v % 10);
}

static unsigned dec(const struct vcmos *c, uint8_t b)
{
	return (c->ram[VCMOS_REG_B] & VCMOS_B_DM) ? b : (unsigned)(b >> 4) * 10 + (b & 15);
}

static uint8_t enc_hour(const struct vcmos *c, unsigned h)
{
	if (c->ram[VCMOS_REG_B] & VCMOS_B_24H)
		return enc(c, h);
	return (uint8_t)(enc(c, h % 12 == 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct vcmos *c, uint8_t b)
{
	if (c->ram[VCMOS_REG_B] & VCMOS_B_24H)
		return dec(c, b);
	return dec(c, b & 0x7F) % 12 + ((b & 0x80) ? 12 : 0);
}

/* The value of time byte i at clock value s, in the current format. */
static uint8_t time_byte(const struct vcmos *c, unsigned i, int64_t s)
{
	struct cal_time t;
	cal_from_epoch(s, &t);
	int64_t y = t.year < 0 ? 0 : t.year;
	switch (i) {
	case VCMOS_SEC: return enc(c, t.sec);
	case VCMOS_MIN: return enc(c, t.min);
	case VCMOS_HOUR: return enc_hour(c, t.hour);
	case VCMOS_WDAY: return enc(c, t.wday + 1);        /* 1 = Sunday */
	case VCMOS_MDAY: return enc(c, t.day);
	case VCMOS_MONTH: return enc(c, t.month);
	case VCMOS_YEAR: return enc(c, (unsigned)(y % 100));
	default: return enc(c, (unsigned)(y / 100 % 100)); /* century */
	}
}

static void snapshot(struct vcmos *c, uint64_t now)
{
	int64_t s = clock_at(c, since_base(c, now) / NS_PER_S);
	static const uint8_t bytes[] = {VCMOS_SEC, VCMOS_MIN, VCMOS_HOUR, VCMOS_WDAY, VCMOS_MDAY,
					VCMOS_MONTH, VCMOS_YEAR, VCMOS_CENTURY};
	for (unsigned k = 0; k < sizeof bytes; k++)
		c->ram[bytes[k]] = time_byte(c, bytes[k], s);
}

/* The time bytes in CMOS RAM become the clock. Out-of-range values count on arithmetically (a
 * 32nd day is the 1st of the next month; a month outside 1-12 is clamped). */
static void commit(struct vcmos *c, uint64_t now)
{
	int64_t year = (int64_t)dec(c, c->ram[VCMOS_CENTURY]) * 100 + dec(c, c->ram[VCMOS_YEAR]);
	int64_t days = cal_days_from_civil(year, dec(c, c->ram[VCMOS_MONTH]), 1) + (int64_t)dec(c, c->ram[VCMOS_MDAY]) - 1;
	int64_t s = days * 86400 + (int64_t)dec_hour(c, c->ram[VCMOS_HOUR]) * 3600 +
		    (int64_t)dec(c, c->ram[VCMOS_MIN]) * 60 + dec(c, c->ram[VCMOS_SEC]);
	c->offset_s = s - clock_at(c, since_base(c, now) / NS_PER_S) + c->offset_s;
}

static bool alarm_byte_matches(uint8_t alarm, uint8_t now)
{
	return (alarm & 0xC0) == 0xC0 || alarm == now;
}

/* Does any second boundary in (from, to] reach a time that matches the alarm? Only the time of day
 * matters, so at most one day's worth of boundaries is looked at. */
static bool alarm_in(const struct vcmos *c, uint64_t from, uint64_t to)
{
	if (to - from > 86400)
		from = to - 86400;
	for (uint64_t j = from + 1; j <= to; j++) {
		int64_t tod = clock_at(c, j) % 86400;
		if (tod < 0)
			tod += 86400;
		unsigned h = (unsigned)(tod / 3600), m = (unsigned)(tod / 60 % 60), s = (unsigned)(tod % 60);
		if (alarm_byte_matches(c->ram[VCMOS_SEC_ALM], enc(c, s)) &&
		    alarm_byte_matches(c->ram[VCMOS_MIN_ALM], enc(c, m)) &&
		    alarm_byte_matches(c->ram[VCMOS_HOUR_ALM], enc_hour(c, h)))
			return true;
	}
	return false;
}

static void update_irqf(struct vcmos *c)
{
	uint8_t *rc = &c->ram[VCMOS_REG_C];
	if (*rc & c->ram[VCMOS_REG_B] & (VCMOS_C_PF | VCMOS_C_AF | VCMOS_C_UF))
		*rc |= VCMOS_C_IRQF;
	else
		*rc &= (uint8_t)~VCMOS_C_IRQF;
	c->irq = (*rc & VCMOS_C_IRQF) != 0;
}

/* Set the flags for everything that happened up to now. */
static void advance(struct vcmos *c, uint64_t now)
{
	uint64_t d = since_base(c, now);
	uint64_t per = period_cycles(c->ram[VCMOS_REG_A] & 15);
	if (per) {
		uint64_t k = cycles(d) / per;
		if (k > c->pf_seen)
			c->ram[VCMOS_REG_C] |= VCMOS_C_PF;
		c->pf_seen = k;
	}
	uint64_t s = d / NS_PER_S;
	if (s > c->sec_seen) {
		if (!(c->ram[VCMOS_REG_B] & VCMOS_B_SET)) {
			c->ram[VCMOS_REG_C] |= VCMOS_C_UF;
			if (alarm_in(c, c->sec_seen, s))
				c->ram[VCMOS_REG_C] |= VCMOS_C_AF;
		}
		c->sec_seen = s;
	}
	update_irqf(c);
}

void vcmos_init(struct vcmos *c, uint64_t epoch_s, uint64_t ram_bytes, uint64_t now_ns)
{
	memset(c, 0, sizeof *c);
	c->epoch_s = epoch_s;
	c->base_ns = now_ns;
	c->ram[VCMOS_REG_A] = 0x26;     /* 32.768 kHz time base, 1024 Hz periodic rate */
	c->ram[VCMOS_REG_B] = VCMOS_B_24H;
	c->ram[VCMOS_REG_D] = 0x80;     /* VRT: the battery is good */
	c->ram[0x14] = 0x02;            /* equipment: no floppy, a math coprocessor, EGA/VGA display */
	c->ram[0x15] = 640 & 0xFF;      /* base memory in KiB */
	c->ram[0x16] = 640 >> 8;
	uint64_t ext = ram_bytes > (1u << 20) ? (ram_bytes - (1u << 20)) >> 10 : 0;
	if (ext > 0xFFFF)
		ext = 0xFFFF;
	c->ram[0x17] = c->ram[0x30] = (uint8_t)ext;
	c->ram[0x18] = c->ram[0x31] = (uint8_t)(ext >> 8);
	uint64_t hi = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0;
	if (hi > 0xFFFF)
		hi = 0xFFFF;
	c->ram[0x34] = (uint8_t)hi;
	c->ram[0x35] = (uint8_t)(hi >> 8);
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += c->ram[i];
	c->ram[0x2E] = (uint8_t)(sum >> 8);
	c->ram[0x2F] = (uint8_t)sum;
	snapshot(c, now_ns);            /* the time bytes hold the clock too, for SET */
}

static uint8_t read_reg(struct vcmos *c, unsigned i, uint64_t now)
{
	bool set = c->ram[VCMOS_REG_B] & VCMOS_B_SET;
	if (is_time_byte(i) && !set)
		return time_byte(c, i, clock_at(c, since_base(c, now) / NS_PER_S));
	switch (i) {
	case VCMOS_REG_A: {
		bool uip = !set && since_base(c, now) % NS_PER_S >= NS_PER_S - UIP_NS;
		return (uint8_t)((c->ram[i] & 0x7F) | (uip ? VCMOS_A_UIP : 0));
	}
	case VCMOS_REG_C: {
		advance(c, now);
		uint8_t v = c->ram[i];
		c->ram[i] = 0;
		c->irq = false;
		return v;
	}
	case VCMOS_REG_D:
		return 0x80;
	default:
		return c->ram[i];
	}
}

static void write_reg(struct vcmos *c, unsigned i, uint8_t v, uint64_t now)
{
	advance(c, now);                /* flags up to now count under the old settings */
	bool set = c->ram[VCMOS_REG_B] & VCMOS_B_SET;
	if (is_time_byte(i)) {
		if (!set)
			snapshot(c, now);
		c->ram[i] = v;
		if (!set)
			commit(c, now);
		return;
	}
	switch (i) {
	case VCMOS_REG_A: {
		c->ram[i] = v & 0x7F;   /* UIP is read-only */
		uint64_t per = period_cycles(v & 15);
		c->pf_seen = per ? cycles(since_base(c, now)) / per : 0;
		break;
	}
	case VCMOS_REG_B:
		if (v & VCMOS_B_SET)
			v &= (uint8_t)~VCMOS_B_UIE;      /* SET clears UIE (datasheet) */
		if (set && !(v & VCMOS_B_SET))
			commit(c, now);                  /* run on from what was written, read in the
			                                  * format it was written in */
		c->ram[i] = v;
		if (!set && (v & VCMOS_B_SET))
			snapshot(c, now);                /* freeze, in the new format */
		update_irqf(c);
		break;
	case VCMOS_REG_C:
	case VCMOS_REG_D:
		break;                  /* read-only */
	default:
		c->ram[i] = v;
	}
}

int vcmos_io(struct vcmos *c, uint16_t port, bool write, uint8_t *val, uint64_t now_ns)
{
	if (port == 0x70) {
		if (write) {
			c->index = *val & 0x7F;
			c->nmi_masked = (*val & 0x80) != 0;
		} else {
			*val = 0xFF;    /* the index register is write-only on a PC */
		}
		return 1;
	}
	if (port != 0x71)
		return 0;
	if (write)
		write_reg(c, c->index, *val, now_ns);
	else
		*val = read_reg(c, c->index, now_ns);
	return 1;
}

bool vcmos_sync(struct vcmos *c, uint64_t now_ns)
{
	advance(c, now_ns);
	return c->irq;
}

uint64_t vcmos_next_event_ns(const struct vcmos *c)
{
	uint64_t best = UINT64_MAX, t;
	uint8_t b = c->ram[VCMOS_REG_B];
	uint64_t per = period_cycles(c->ram[VCMOS_REG_A] & 15);
	if ((b & VCMOS_B_PIE) && per) {
		t = cycles_to_ns((c->pf_seen + 1) * per);
		if (t < UINT64_MAX - c->base_ns && c->base_ns + t < best)
			best = c->base_ns + t;
	}
	/* the alarm is looked at on every update: wake for each (a halted guest with AIE wakes once a
	 * second to find whether the alarm time came) */
	if ((b & (VCMOS_B_UIE | VCMOS_B_AIE)) && !(b & VCMOS_B_SET)) {
		t = (c->sec_seen + 1) * NS_PER_S;
		if (c->base_ns + t < best)
			best = c->base_ns + t;
	}
	return best;
}
