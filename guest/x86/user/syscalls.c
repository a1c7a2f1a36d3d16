/* syscalls.c - user-side system call wrappers: int 0x80, number in EAX, args in EBX/ECX/EDX. */
#include "ulib.h"

static inline int sc(int n, uint32_t a, uint32_t b, uint32_t c)
{
	int r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

void exit(int code)
{
	sc(SYS_EXIT, (uint32_t)code, 0, 0);
	for (;;)
		;
}
int fork(void) { return sc(SYS_FORK, 0, 0, 0); }
int exec(const char *name, const char *arg) { return sc(SYS_EXEC, (uint32_t)name, (uint32_t)arg, 0); }
int wait(int *status) { return sc(SYS_WAIT, (uint32_t)status, 0, 0); }
int getpid(void) { return sc(SYS_GETPID, 0, 0, 0); }
int write(int fd, const void *buf, size_t len) { return sc(SYS_WRITE, (uint32_t)fd, (uint32_t)buf, len); }
void *sbrk(int incr) { return (void *)sc(SYS_SBRK, (uint32_t)incr, 0, 0); }
int yield(void) { return sc(SYS_YIELD, 0, 0, 0); }
int sleep(unsigned ticks) { return sc(SYS_SLEEP, ticks, 0, 0); }
unsigned uptime(void) { return (unsigned)sc(SYS_UPTIME, 0, 0, 0); }
int faults(struct ufaults *f) { return sc(SYS_FAULTS, (uint32_t)f, 0, 0); }
int pgstat(void *addr, int clear) { return sc(SYS_PGSTAT, (uint32_t)addr, (uint32_t)clear, 0); }
unsigned meminfo(void) { return (unsigned)sc(SYS_MEMINFO, 0, 0, 0); }
unsigned tickrate(void) { return (unsigned)sc(SYS_TICKRATE, 0, 0, 0); }
