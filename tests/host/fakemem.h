/* fakemem.h - a fake machine for host tests of VMM code: 32 MiB of "machine memory" in a host
 * buffer, the frame allocator over it (first MiB reserved), and an mm_assert_fail that aborts. */
#ifndef TESTS_FAKEMEM_H
#define TESTS_FAKEMEM_H
#include <stdio.h>
#include <stdlib.h>
#include "../../mm/frame.h"

#define FAKE_MEM (32ULL << 20)
static unsigned char *fake_mem;

_Noreturn void mm_assert_fail(const char *cond, const char *file, int line)
{
	printf("# assertion %s at %s:%d\n", cond, file, line);
	abort();
}

/* Forget every frame and start again with an empty machine. */
static void fake_machine(void)
{
	const char *why;
	if (!fake_mem)
		fake_mem = calloc(1, FAKE_MEM);
	frame_reset();
	frame_add_usable(0, FAKE_MEM);
	frame_add_reserved(0, 1 << 20);
	if (frame_init((uintptr_t)fake_mem, &why) < 0) {
		printf("# frame_init: %s\n", why);
		abort();
	}
}

#endif
