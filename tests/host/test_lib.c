/* test_lib.c - host unit tests of lib/: the printf engine (against the host's printf), the
 * string routines, the boot-option parser and the calendar (against the host's gmtime/timegm). */
#define _DEFAULT_SOURCE 1	/* gmtime_r, timegm */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include "ktap.h"
#include "../../lib/format.h"
#include "../../lib/options.h"
#include "../../lib/kstring.h"
#include "../../lib/calendar.h"

#define SAME(fmt, ...) do { char a[128], b[128]; snprintf_(a, sizeof a, fmt, __VA_ARGS__); \
	snprintf(b, sizeof b, fmt, __VA_ARGS__); if (strcmp(a, b)) printf("    # '%s' vs '%s'\n", a, b); \
	CHECK(strcmp(a, b) == 0); } while (0)

static void format_matches_libc(void)
{
	SAME("%d %i %u", -5, 17, 42u);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME("%x %X %#x %#o %o", 0xbeefu, 0xbeefu, 255u, 8u, 8u);
	SAME("%lx %llu %lld %zu", 0xffffffffffUL, 18446744073709551615ULL, -9223372036854775807LL - 1, (size_t)9);
	SAME("%s|%10s|%-10s|%.2s", "abc", "abc", "abc", "abc");
	SAME("%c%c %%", 'x', 'y');
	SAME("%.5d %8.3x %-8.3u|", 42, 7u, 9u);
	SAME("%*d %-*d|", 6, 1, 6, 2);
	SAME("%hhd %hd %hhu", 300, 70000, 300);
	SAME("%p", (void *)0x1234);
	SAME("%.0d|%5.0d|", 0, 0);
}

static void format_truncates(void)
{
	char b[8];
	int n = snprintf_(b, sizeof b, "%s", "0123456789");
	CHECK(n == 10 && strcmp(b, "0123456") == 0);
}

static void parse_sizes(void)
{
	unsigned long long v;
	CHECK(parse_size("64M", 3, &v) == 0 && v == 64ULL << 20);
	CHECK(parse_size("0x1000", 6, &v) == 0 && v == 4096);
	CHECK(parse_size("12", 2, &v) == 0 && v == 12);
	CHECK(parse_size("1G", 2, &v) == 0 && v == 1ULL << 30);
	CHECK(parse_size("x", 1, &v) == -1);
	CHECK(parse_size("12Q", 3, &v) == -1);
	CHECK(parse_size("99999999999999999999", 20, &v) == -1);
}

static char reported[4][160];
static int nreported;
static void report(const char *m)
{
	if (nreported < 4)
		strcpy(reported[nreported++], m);
}

static void options_known_and_unknown(void)
{
	struct option o[] = {
		{ "test", OPT_FLAG, "flag", 0, 0, "" },
		{ "mem", OPT_SIZE, "size", 0, 0, "" },
		{ "vms", OPT_NUM, "count", 0, 0, "" },
		{ "trace", OPT_STR, "what", 0, 0, "" },
	};
	nreported = 0;
	int bad = options_parse("  test mem=128M vms=3 trace=syscall colour=red vms=x test=1 ", o, 4, report);
	CHECK(bad == 3);
	CHECK(o[0].set && o[1].num == 128ULL << 20 && o[2].num == 3 && strcmp(o[3].str, "syscall") == 0);
	CHECK(nreported == 3 && strstr(reported[0], "unknown boot option 'colour=red'"));
	CHECK(strstr(reported[1], "bad value in boot option 'vms=x'"));
	CHECK(strstr(reported[2], "bad value in boot option 'test=1'"));
	nreported = 0;
	CHECK(options_parse("", o, 4, report) == 0 && nreported == 0);
	CHECK(option_find(o, 4, "vms") == &o[2] && option_find(o, 4, "nope") == NULL);
}

static int same_date(const struct cal_time *t, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
		     unsigned sec, unsigned wd)
{
	return t->year == y && t->month == mo && t->day == d && t->hour == h && t->min == mi && t->sec == sec &&
	       t->wday == wd;
}

static void calendar_known_dates(void)
{
	struct cal_time t;
	cal_from_epoch(0, &t);
	CHECK(same_date(&t, 1970, 1, 1, 0, 0, 0, 4));		/* a Thursday */
	cal_from_epoch(-1, &t);
	CHECK(same_date(&t, 1969, 12, 31, 23, 59, 59, 3));
	cal_from_epoch(951782400, &t);				/* the leap day of a 400th year */
	CHECK(same_date(&t, 2000, 2, 29, 0, 0, 0, 2));
	cal_from_epoch(951782400 + 86400, &t);
	CHECK(same_date(&t, 2000, 3, 1, 0, 0, 0, 3));
	cal_from_epoch(4107456000 + 86399, &t);			/* 2100 is not a leap year */
	CHECK(same_date(&t, 2100, 2, 28, 23, 59, 59, 0));
	cal_from_epoch(4107456000 + 86400, &t);
	CHECK(same_date(&t, 2100, 3, 1, 0, 0, 0, 1));
	cal_from_epoch(1709251199, &t);				/* 2024-02-29 23:59:59, a Thursday */
	CHECK(same_date(&t, 2024, 2, 29, 23, 59, 59, 4));
	cal_from_epoch(4294967296LL, &t);			/* past 32-bit time_t */
	CHECK(same_date(&t, 2106, 2, 7, 6, 28, 16, 0));
	CHECK(cal_days_from_civil(1970, 1, 1) == 0);
	CHECK(cal_days_from_civil(1969, 12, 31) == -1);
	CHECK(cal_days_from_civil(2000, 3, 1) == 11017);
	CHECK(cal_days_from_civil(2023, 2, 29) == cal_days_from_civil(2023, 3, 1));  /* counts on */
	CHECK(cal_days_in_month(1900, 2) == 28 && cal_days_in_month(2000, 2) == 29);
	CHECK(cal_days_in_month(2024, 2) == 29 && cal_days_in_month(2023, 2) == 28);
	CHECK(cal_days_in_month(2023, 4) == 30 && cal_days_in_month(2023, 12) == 31);
	CHECK(cal_days_in_month(2023, 0) == 0 && cal_days_in_month(2023, 13) == 0);
	t = (struct cal_time){ 2038, 1, 19, 3, 14, 8, 0 };
	CHECK(cal_to_epoch(&t) == 2147483648LL);
	int64_t y;
	unsigned m, d;
	cal_civil_from_days(-719468, &y, &m, &d);		/* the origin of the March-based count */
	CHECK(y == 0 && m == 3 && d == 1);
}

/* Random instants over +-20000 years against the C library, and the round trip. */
static void calendar_matches_libc(void)
{
	uint64_t r = 0x9E3779B97F4A7C15ull;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		/* first 1901..2100, then -18000..22000 */
		int64_t lo = i < 100000 ? -2147483648LL : -631152000000LL, hi = i < 100000 ? 4102444800LL : 631152000000LL;
		int64_t s = lo + (int64_t)(r % (uint64_t)(hi - lo));
		if (i < 16)
			s = (int64_t)i * 86399 - 8 * 86400;
		time_t tt = (time_t)s;
		struct tm g;
		struct cal_time t;
		if (!gmtime_r(&tt, &g))
			continue;
		cal_from_epoch(s, &t);
		if (!same_date(&t, (int64_t)g.tm_year + 1900, (unsigned)g.tm_mon + 1, (unsigned)g.tm_mday,
			       (unsigned)g.tm_hour, (unsigned)g.tm_min, (unsigned)g.tm_sec, (unsigned)g.tm_wday) ||
		    cal_to_epoch(&t) != s) {
			if (bad++ < 3)
				printf("    # %lld: %lld-%u-%u %u:%u:%u wday %u\n", (long long)s, (long long)t.year,
				       t.month, t.day, t.hour, t.min, t.sec, t.wday);
		}
		/* the inverse on a valid date built from the same numbers */
		struct tm q = { 0 };
		q.tm_year = g.tm_year;
		q.tm_mon = g.tm_mon;
		q.tm_mday = 1 + (int)(r >> 40) % 28;
		if (cal_days_from_civil((int64_t)q.tm_year + 1900, (unsigned)q.tm_mon + 1, (unsigned)q.tm_mday) * 86400 !=
		    (int64_t)timegm(&q))
			bad++;
	}
	CHECK(bad == 0);
}

int main(void)
{
	KTAP_BEGIN(6);
	RUN(format_matches_libc);
	RUN(format_truncates);
	RUN(parse_sizes);
	RUN(options_known_and_unknown);
	RUN(calendar_known_dates);
	RUN(calendar_matches_libc);
	KTAP_END();
}
