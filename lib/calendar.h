/* calendar.h - seconds since 1970-01-01 00:00 UTC <-> the proleptic Gregorian calendar, for the
 * VMM's reading of the machine's RTC (arch/x86_64/rtc.c) and the virtual CMOS clock. Whole days and
 * seconds, any sign: no time zones, no leap seconds (as POSIX time). */
#ifndef LIB_CALENDAR_H
#define LIB_CALENDAR_H
#include <stdint.h>

struct cal_time {
	int64_t year;            /* e.g. 2024 */
	unsigned month;          /* 1..12 */
	unsigned day;            /* 1..31 */
	unsigned hour, min, sec; /* 0..23, 0..59, 0..59 */
	unsigned wday;           /* 0 = Sunday .. 6 = Saturday */
};

/* Days from 1970-01-01 to year-month-day (month 1..12, day 1..31; a day past the end of its month
 * simply counts on into the next one). */
int64_t cal_days_from_civil(int64_t year, unsigned month, unsigned day);
/* The inverse: the date of a day number. */
void cal_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* Days in a month (1..12) of a year; 0 for a month out of range. */
unsigned cal_days_in_month(int64_t year, unsigned month);
/* Seconds since the epoch -> broken-down UTC time, and back (the wday field is ignored). */
void cal_from_epoch(int64_t s, struct cal_time *t);
int64_t cal_to_epoch(const struct cal_time *t);

#endif
