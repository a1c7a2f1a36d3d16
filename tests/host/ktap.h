/* ktap.h - a tiny KTAP emitter for host unit tests: CHECK(cond) records a failure with its line;
 * each TEST prints one "ok N name" / "not ok N name" line. */
#ifndef TESTS_KTAP_H
#define TESTS_KTAP_H
#include <stdio.h>

static int ktap_n, ktap_failed, ktap_case_failed;
#define CHECK(c) do { if (!(c)) { printf("    # %s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
	ktap_case_failed = 1; } } while (0)
#define RUN(fn) do { ktap_case_failed = 0; fn(); ktap_n++; ktap_failed += ktap_case_failed; \
	printf("%s %d %s\n", ktap_case_failed ? "not ok" : "ok", ktap_n, #fn); } while (0)
#define KTAP_BEGIN(n) printf("KTAP version 1\n1..%d\n", n)
#define KTAP_END() return ktap_failed != 0

#endif
