/* test_lib.c - host unit tests of lib/: the printf engine (against the host's printf), the
 * string routines and the boot-option parser. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ktap.h"
#include "../../lib/format.h"
#include "../../lib/options.h"
#include "../../lib/kstring.h"

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

int main(void)
{
	KTAP_BEGIN(4);
	RUN(format_matches_libc);
	RUN(format_truncates);
	RUN(parse_sizes);
	RUN(options_known_and_unknown);
	KTAP_END();
}
