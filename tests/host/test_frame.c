/* test_frame.c - host unit tests of mm/frame.c and mm/pmap.c over a fake machine memory. */
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include "ktap.h"
#include "../../mm/frame.h"
#include "../../mm/pmap.h"

/* Fake machine memory: 64 MiB at "machine address" 0, backed by a host buffer. */
#define MEM (64ULL << 20)
static unsigned char *mem;
static void *p2v(uint64_t pa) { return mem + pa; }

static jmp_buf assert_jmp;
static int expect_assert;
_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	if (expect_assert)
		longjmp(assert_jmp, 1);
	printf("# unexpected assertion %s at %s:%d\n", cond, file, line);
	abort();
}

static void setup(void)
{
	const char *why;
	frame_reset();
	frame_add_usable(0, 0x9F000);                 /* low memory with a hole above it */
	frame_add_usable(1 << 20, MEM - (1 << 20));
	frame_add_reserved(0, 1 << 20);
	frame_add_reserved(2 << 20, 1 << 20);         /* "the VMM image" */
	if (frame_init((uintptr_t)mem, &why) < 0) {
		printf("# frame_init: %s\n", why);
		abort();
	}
}

static void counts_add_up(void)
{
	struct frame_stats st;
	setup();
	frame_get_stats(&st);
	CHECK(st.managed == 0x9F + (MEM >> 12) - 256);
	CHECK(st.free + st.reserved == st.managed);
	CHECK(st.owned[FRAME_VMM] == st.reserved);
	CHECK(frame_owner(0x9F) == FRAME_RESERVED);    /* the hole is not memory */
	CHECK(frame_owner(0x10) == FRAME_VMM);         /* reserved first MiB */
	CHECK(frame_owner(0x200) == FRAME_VMM);        /* the image */
	CHECK(frame_owner(MEM >> 12) == FRAME_RESERVED);
}

static void never_hands_out_reserved(void)
{
	setup();
	mfn_t m;
	uint64_t n = 0;
	while (frame_alloc(1, &m) == 0) {
		CHECK(m >= 256 && !(m >= 0x200 && m < 0x300));
		n++;
	}
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.free == 0 && st.owned[1] == n);
	CHECK(frame_free_all(1) == n);
	frame_get_stats(&st);
	CHECK(st.free == n && st.owned[1] == 0);
}

static void aligned_runs(void)
{
	setup();
	mfn_t a, b, one;
	CHECK(frame_alloc(2, &one) == 0);
	CHECK(frame_alloc_run(2, 512, 512, &a) == 0);
	CHECK(a % 512 == 0);
	CHECK(frame_alloc_run(3, 512, 512, &b) == 0);
	CHECK(b % 512 == 0 && b != a);
	for (uint64_t i = 0; i < 512; i++) {
		CHECK(frame_owner(a + i) == 2);
		CHECK(frame_owner(b + i) == 3);
	}
	frame_free_run(2, a, 512);
	mfn_t c;
	CHECK(frame_alloc_run(4, 512, 512, &c) == 0 && c % 512 == 0);
	CHECK(frame_alloc_run(4, 1ULL << 30, 1, &c) == -1);   /* more than exists */
}

static void only_owner_may_free(void)
{
	setup();
	mfn_t m;
	CHECK(frame_alloc(7, &m) == 0);
	expect_assert = 1;
	int fired = setjmp(assert_jmp);
	if (!fired)
		frame_free(8, m);                       /* not the owner: must assert */
	expect_assert = 0;
	CHECK(fired == 1);
	CHECK(frame_owner(m) == 7);
}

static void no_usable_memory(void)
{
	const char *why = 0;
	frame_reset();
	frame_add_reserved(0, 1 << 20);
	CHECK(frame_init((uintptr_t)mem, &why) == -1 && why && strstr(why, "no usable memory"));
	frame_reset();
	frame_add_usable(0, 0x800);                     /* less than one whole frame */
	CHECK(frame_init((uintptr_t)mem, &why) == -1);
}

static void pmap_backs_on_demand(void)
{
	setup();
	struct pmap pm;
	const char *why;
	CHECK(pmap_create(&pm, 5, 8 << 20, &why) == 0);
	CHECK(pmap_peek(&pm, 3) == PMAP_NONE);
	mfn_t m, m2;
	CHECK(pmap_lookup(&pm, 3, &m) == 0 && frame_owner(m) == 5);
	unsigned char *p = p2v(m << 12);
	int zero = 1;
	for (int i = 0; i < 4096; i++)
		zero &= p[i] == 0;
	CHECK(zero);
	CHECK(pmap_lookup(&pm, 3, &m2) == 0 && m2 == m);   /* stable */
	CHECK(pmap_lookup(&pm, 2048, &m2) == -1);          /* beyond 8 MiB */
	CHECK(pm.backed == 1);
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.owned[5] == 1);
	pmap_destroy(&pm);
	frame_get_stats(&st);
	CHECK(st.owned[5] == 0);
	CHECK(pmap_create(&pm, 0, 8 << 20, &why) == -1);    /* the VMM is not a VM */
	CHECK(pmap_create(&pm, 5, 12345, &why) == -1);
}

int main(void)
{
	mem = calloc(1, MEM);
	KTAP_BEGIN(6);
	RUN(counts_add_up);
	RUN(never_hands_out_reserved);
	RUN(aligned_runs);
	RUN(only_owner_may_free);
	RUN(no_usable_memory);
	RUN(pmap_backs_on_demand);
	KTAP_END();
}
