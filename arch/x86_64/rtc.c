/* rtc.c - read the machine's MC146818-compatible RTC once (see rtc.h). The time bytes are only
 * stable outside an update cycle, so: wait until UIP (register A bit 7) is clear, read them all,
 * and read them again until two reads agree (an update may have begun between the UIP check and
 * the reads). Register B says BCD or binary and 24 or 12 hours (bit 7 of the hour = PM). The
 * century comes from CMOS byte 0x32 where it holds a plausible one (QEMU and most BIOSes keep it
 * there), else the two-digit year is read as 1970-2069. */
#include "rtc.h"
#include "cpu.h"
#include "../../lib/calendar.h"

struct rtc_raw {
	uint8_t sec, min, hour, mday, mon, year, century, b;
};

static uint8_t cmos_read(uint8_t index)
{
	outb(0x70, index);      /* bit 7 clear: NMIs stay enabled */
	return inb(0x71);
}

static void wait_update_done(void)
{
	for (unsigned i = 0; i < 1000000 && (cmos_read(0x0A) & 0x80); i++)
		;
}

static void read_raw(struct rtc_raw *r)
{
	r->sec = cmos_read(0x00);
	r->min = cmos_read(0x02);
	r->hour = cmos_read(0x04);
	r->mday = cmos_read(0x07);
	r->mon = cmos_read(0x08);
	r->year = cmos_read(0x09);
	r->century = cmos_read(0x32);
	r->b = cmos_read(0x0B);
}

static unsigned from_bcd(uint8_t v, int bcd)
{
	return bcd ? (unsigned)(v >> 4) * 10 + (v & 15) : v;
}

uint64_t rtc_read_epoch(void)
{
	struct rtc_raw a, b;
	wait_update_done();
	read_raw(&a);
	for (int tries = 0; tries < 5; tries++) {
		wait_update_done();
		read_raw(&b);
		if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.mday == b.mday && a.mon == b.mon &&
		    a.year == b.year && a.century == b.century && a.b == b.b)
			break;
		a = b;
	}
	int bcd = !(b.b & 0x04);
	struct cal_time t;
	unsigned hour = from_bcd(b.hour & 0x7F, bcd);
	if (!(b.b & 0x02))      /* 12-hour: 12 AM is 0 h, 12 PM is 12 h */
		hour = hour % 12 + ((b.hour & 0x80) ? 12 : 0);
	t.hour = hour;
	t.min = from_bcd(b.min, bcd);
	t.sec = from_bcd(b.sec, bcd);
	t.day = from_bcd(b.mday, bcd);
	t.month = from_bcd(b.mon, bcd);
	unsigned yy = from_bcd(b.year, bcd), cc = from_bcd(b.century, bcd);
	if (cc < 19 || cc > 29)
		cc = yy < 70 ? 20 : 19;
	t.year = (int64_t)cc * 100 + yy;
	if (yy > 99 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > cal_days_in_month(t.year, t.month) ||
	    t.hour > 23 || t.min > 59 || t.sec > 59)
		return 0;       /* no RTC, or not a date */
	int64_t s = cal_to_epoch(&t);
	return s > 0 ? (uint64_t)s : 0;
}
