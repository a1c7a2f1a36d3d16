/* syscall.c - the int 0x80 system calls: number in EAX, arguments in EBX, ECX, EDX.
 * User pointers are range-checked here; touching them may fault, which vm_fault resolves
 * (demand-zero, copy-on-write) or turns into killing the caller. */
#include "kernel.h"
#include "x86.h"
#include "../include/abi.h"

static int user_range_ok(uint32_t p, uint32_t len)
{
	return p >= USER_BASE && p <= USER_TOP && len <= USER_TOP - p;
}

/* Copy a NUL-terminated user string into dst[max]; -1 if bad or too long. */
static int copy_string(char *dst, uint32_t src, size_t max)
{
	size_t i;
	for (i = 0; i < max; i++) {
		if (!user_range_ok(src + i, 1))
			return -1;
		dst[i] = ((const char *)src)[i];
		if (!dst[i])
			return 0;
	}
	return -1;
}

static int sys_sbrk(int32_t incr)
{
	struct proc *p = current;
	uint32_t old = p->brk, new = old + incr;

	if (incr > 0 && (new > HEAP_MAX || new < old))
		return -1;
	if (incr < 0) {
		if (new < p->heap_start || new > old)
			return -1;
		vm_unmap_range(p->pd, (new + PAGE - 1) & ~(PAGE - 1), (old + PAGE - 1) & ~(PAGE - 1));
	}
	p->brk = new;
	return (int)old;
}

/* The PTE flags of a user page; with clear, also reset its accessed and dirty bits. */
static int sys_pgstat(uint32_t va, int clear)
{
	uint32_t *pte, flags;

	if (!user_range_ok(va, 1) || !(pte = vm_pte(current->pd, va, 0)) || !(*pte & PTE_P))
		return -1;
	flags = *pte & 0xFFF;
	if (clear) {
		*pte &= ~(PTE_A | PTE_D);
		invlpg(va);
	}
	return (int)flags;
}

void syscall_dispatch(struct trapframe *tf)
{
	uint32_t a = tf->ebx, b = tf->ecx, c = tf->edx;
	char name[16], arg[128];
	int r = -1, st;

	switch (tf->eax) {
	case SYS_EXIT:
		proc_exit((int)a);
	case SYS_FORK:
		r = proc_fork(tf);
		break;
	case SYS_EXEC:
		if (copy_string(name, a, sizeof(name)) < 0 || copy_string(arg, b, sizeof(arg)) < 0)
			break;
		if (proc_exec(tf, name, arg) == 0)
			return;	/* tf now describes the new program */
		break;
	case SYS_WAIT:
		if (a && !user_range_ok(a, 4))
			break;
		r = proc_wait(&st);
		if (r > 0 && a)
			*(int *)a = st;
		break;
	case SYS_GETPID:
		r = current->pid;
		break;
	case SYS_WRITE:
		if (!user_range_ok(b, c))
			break;
		console_write((const char *)b, c);
		r = (int)c;
		break;
	case SYS_SBRK:
		r = sys_sbrk((int32_t)a);
		break;
	case SYS_YIELD:
		proc_yield();
		r = 0;
		break;
	case SYS_SLEEP:
		proc_sleep(a);
		r = 0;
		break;
	case SYS_UPTIME:
		r = (int)ticks;
		break;
	case SYS_FAULTS:
		if (!user_range_ok(a, sizeof(struct ufaults)))
			break;
		((struct ufaults *)a)->demand_zero = current->pf_demand;
		((struct ufaults *)a)->cow = current->pf_cow;
		((struct ufaults *)a)->total = current->pf_total;
		r = 0;
		break;
	case SYS_PGSTAT:
		r = sys_pgstat(a, (int)b);
		break;
	case SYS_MEMINFO:
		r = (int)frames_free();
		break;
	case SYS_TICKRATE:
		r = (int)timer_hz;
		break;
	}
	tf->eax = (uint32_t)r;
}
