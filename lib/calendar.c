/* calendar.c - see calendar.h.
 *
 * The date arithmetic counts years from March: with March as month 0, the leap day is the last day
 * of the (shifted) year, so a year's length only matters once it is over, and the day of the year
 * is a fixed function of month and day: the month lengths from March to January run
 * 31 30 31 30 31 31 30 31 30 31 31 (29/28), whose running sums are (153 * m + 2) / 5. Years are
 * grouped into 400-year eras of 146097 days each, in which the Gregorian rule (every 4th year,
 * not every 100th, every 400th) repeats exactly; 1970-01-01 is day 719468 counted from
 * 0000-03-01. */
#include "calendar.h"

#define DAYS_PER_ERA 146097
#define EPOCH_SHIFT 719468     /* days from 0000-03-01 to 1970-01-01 */

/* Floor division for a possibly negative numerator. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cal_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	if (month < 1)
		month = 1;
	if (month > 12)
		month = 12;
	int64_t y = month <= 2 ? year - 1 : year;          /* the year that began on March 1st */
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                         /* 0..399 */
	unsigned mp = month > 2 ? month - 3 : month + 9;    /* March = 0 .. February = 11 */
	int64_t doy = (153 * (int64_t)mp + 2) / 5 + (int64_t)day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* day of the era */
	return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

void cal_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + EPOCH_SHIFT;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;                /* 0..146096 */
	/* Years of the era: 365 days each, plus a leap day every 4 years but not in the 100th year
	 * of a century (day 36524 of a century) nor the 400th (day 146096 of the era). */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

unsigned cal_days_in_month(int64_t year, unsigned month)
{
	static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return 29;
	return len[month - 1];
}

void cal_from_epoch(int64_t s, struct cal_time *t)
{
	int64_t days = floor_div(s, 86400);
	int64_t rem = s - days * 86400;
	cal_civil_from_days(days, &t->year, &t->month, &t->day);
	t->hour = (unsigned)(rem / 3600);
	t->min = (unsigned)(rem / 60 % 60);
	t->sec = (unsigned)(rem % 60);
	int64_t w = (days + 4) % 7;                          /* 1970-01-01 was a Thursday */
	t->wday = (unsigned)(w < 0 ? w + 7 : w);
}

int64_t cal_to_epoch(const struct cal_time *t)
{
	return cal_days_from_civil(t->year, t->month, t->day) * 86400 + (int64_t)t->hour * 3600 +
	       (int64_t)t->min * 60 + t->sec;
}
