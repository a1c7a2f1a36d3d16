/* ulib.h - the user side: system calls, printing, timing (rdhwr $2 = CP0 Count). */
#ifndef GUEST_MIPS_ULIB_H
#define GUEST_MIPS_ULIB_H
#include <stdint.h>
#include "../syscall.h"

int sys(int num, uint32_t a0, uint32_t a1, uint32_t a2);
static inline int fork(void) { return sys(SYS_FORK, 0, 0, 0); }
static inline int wait(int *st) { return sys(SYS_WAIT, (uint32_t)(uintptr_t)st, 0, 0); }
static inline _Noreturn void exit(int s) { sys(SYS_EXIT, (uint32_t)s, 0, 0); for (;;); }
static inline int getpid(void) { return sys(SYS_GETPID, 0, 0, 0); }
static inline int yield(void) { return sys(SYS_YIELD, 0, 0, 0); }
static inline uint32_t ticks(void) { return (uint32_t)sys(SYS_TICKS, 0, 0, 0); }
static inline void *sbrk_pages(unsigned n) { return (void *)(uintptr_t)sys(SYS_SBRK, n, 0, 0); }
static inline uint32_t cycles(void)
{
	uint32_t v;
	__asm__ volatile(".set push\n.set mips32r2\nrdhwr %0, $2\n.set pop" : "=r"(v));
	return v;
}
void uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
