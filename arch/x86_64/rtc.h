/* rtc.h - the machine's own real-time clock (the CMOS RTC at ports 0x70/0x71), read once when the
 * VMM starts so that each VM's virtual CMOS clock starts from the real date. */
#ifndef ARCH_RTC_H
#define ARCH_RTC_H
#include <stdint.h>

/* Seconds since 1970-01-01 00:00 UTC (the RTC is taken to hold UTC, as QEMU's does by default), or
 * 0 if the RTC does not answer with a valid date. Waits out an update in progress (at most ~2 ms
 * on a real part). */
uint64_t rtc_read_epoch(void);

#endif
