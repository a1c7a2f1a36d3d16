/* abi.h - the contract between the guest kernel and its user programs:
 * system call numbers, the user address-space layout and the wait() status encoding. */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

/* System calls: int 0x80, number in EAX, arguments in EBX, ECX, EDX, result in EAX. */
#define SYS_EXIT     0	/* exit(code)                 never returns */
#define SYS_FORK     1	/* fork()                     child pid / 0 in the child / -1 */
#define SYS_EXEC     2	/* exec(name, arg)            only returns (-1) on failure */
#define SYS_WAIT     3	/* wait(int *status)          pid of a reaped child, -1 if none */
#define SYS_GETPID   4	/* getpid() */
#define SYS_WRITE    5	/* write(fd, buf, len)        to COM1; returns len */
#define SYS_SBRK     6	/* sbrk(increment)            old break, -1 on failure */
#define SYS_YIELD    7	/* yield() */
#define SYS_SLEEP    8	/* sleep(ticks) */
#define SYS_UPTIME   9	/* uptime()                   timer ticks since boot */
#define SYS_FAULTS   10	/* faults(struct ufaults *)   the caller's page-fault counters */
#define SYS_PGSTAT   11	/* pgstat(addr, clear)        PTE flag bits of addr, optionally clear A/D */
#define SYS_MEMINFO  12	/* meminfo()                  free physical pages */
#define SYS_TICKRATE 13	/* tickrate()                 timer ticks per second */
#define NSYSCALLS    14

/* User address space: [USER_BASE, USER_TOP). Everything else is the kernel's (supervisor-only). */
#define USER_BASE    0x40000000u	/* programs are linked here */
#define USER_TOP     0xC0000000u
#define USTACK_TOP   USER_TOP		/* demand-zero stack grows down from here */
#define USTACK_SIZE  0x00100000u
#define HEAP_MAX     (USTACK_TOP - USTACK_SIZE - 0x1000000u)

/* pgstat() result bits are the x86 PTE bits. */
#define PG_P 0x001
#define PG_W 0x002
#define PG_U 0x004
#define PG_A 0x020
#define PG_D 0x040

/* wait() status of a process the kernel killed for a fault: negative, carries the vector. */
#define WSTATUS_KILLED(vec) (-1000 - (vec))
#define WSTATUS_OOM         (-2000)

struct ufaults {
	unsigned demand_zero;	/* not-present faults filled with a zeroed page */
	unsigned cow;		/* write faults on copy-on-write pages */
	unsigned total;		/* every #PF taken on behalf of the process */
};

#endif
