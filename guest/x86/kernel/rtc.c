/* rtc.c - the CMOS RAM and MC146818 real-time clock at ports 0x70/0x71. Every index write also
 * sets bit 7, which keeps NMIs masked, as PC OSes do around CMOS accesses. Time is read the safe
 * way: wait out an update in progress (register A bit 7), read everything twice until both reads
 * agree, then decode BCD or binary and 12 or 24 hours as register B says. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define NMI_OFF 0x80
#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define A_UIP 0x80
#define B_PIE 0x40
#define B_BINARY 0x04
#define B_24H 0x02

uint8_t cmos_read(uint8_t reg)
{
	uint32_t f = irq_save();	/* an interrupt must not move the index in between */
	uint8_t v;
	outb(CMOS_INDEX, NMI_OFF | reg);
	v = inb(CMOS_DATA);
	irq_restore(f);
	return v;
}

void cmos_write(uint8_t reg, uint8_t v)
{
	uint32_t f = irq_save();
	outb(CMOS_INDEX, NMI_OFF | reg);
	outb(CMOS_DATA, v);
	irq_restore(f);
}

static int wait_not_updating(void)
{
	int n;
	for (n = 0; n < 1000000; n++)	/* an update takes under 2 ms */
		if (!(cmos_read(REG_A) & A_UIP))
			return 0;
	return -1;
}

static void read_raw(uint8_t r[7], uint8_t century_reg)
{
	static const uint8_t regs[6] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
	int i;
	for (i = 0; i < 6; i++)
		r[i] = cmos_read(regs[i]);
	r[6] = century_reg ? cmos_read(century_reg) : 0;
}

static int bcd(uint8_t v, int *out)
{
	if ((v & 0x0F) > 9 || (v >> 4) > 9)
		return -1;
	*out = (v >> 4) * 10 + (v & 0x0F);
	return 0;
}

/* 0 on success; -1 if the clock never left an update or never read the same twice, or a BCD
 * field holds a non-decimal digit. */
int rtc_read(struct rtc_time *t)
{
	uint8_t a[7], b[7], regb;
	uint8_t century_reg = acpi.century;	/* the FADT says where the century is, if anywhere */
	int tries, v[7], i, pm;

	for (tries = 0; tries < 10; tries++) {
		if (wait_not_updating() < 0)
			return -1;
		read_raw(a, century_reg);
		if (wait_not_updating() < 0)
			return -1;
		read_raw(b, century_reg);
		if (!memcmp(a, b, 7))
			break;
	}
	if (tries == 10)
		return -1;
	regb = cmos_read(REG_B);
	pm = !(regb & B_24H) && (a[2] & 0x80);
	a[2] &= 0x7F;
	for (i = 0; i < 7; i++) {
		if (!(regb & B_BINARY)) {
			if (bcd(a[i], &v[i]) < 0)
				return -1;
		} else {
			v[i] = a[i];
		}
	}
	if (!(regb & B_24H))	/* 12-hour clock: 12 AM is 0, 12 PM is 12 */
		v[2] = v[2] % 12 + (pm ? 12 : 0);
	t->second = v[0];
	t->minute = v[1];
	t->hour = v[2];
	t->day = v[3];
	t->month = v[4];
	t->year = (century_reg && v[6] >= 19 && v[6] <= 21 ? v[6] * 100 : 2000) + v[5];
	return 0;
}

/* Periodic interrupt on IRQ 8: rate 3..15 gives 32768 >> (rate - 1) Hz (the divider bits of
 * register A stay as the firmware set them); 0 turns it off. Register C is read to drop any
 * pending flag, so the next period raises the line again. */
void rtc_periodic(int rate)
{
	uint32_t f = irq_save();
	if (rate) {
		cmos_write(REG_A, (uint8_t)((cmos_read(REG_A) & 0xF0) | (rate & 0x0F)));
		cmos_write(REG_B, cmos_read(REG_B) | B_PIE);
	} else {
		cmos_write(REG_B, cmos_read(REG_B) & ~B_PIE);
	}
	(void)cmos_read(REG_C);
	irq_restore(f);
}
