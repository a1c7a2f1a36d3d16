/* syscall.h - system call numbers (v0), arguments in a0..a2, result in v0. */
#ifndef GUEST_MIPS_SYSCALL_H
#define GUEST_MIPS_SYSCALL_H
#define SYS_EXIT 1
#define SYS_FORK 2
#define SYS_WAIT 3
#define SYS_GETPID 4
#define SYS_WRITE 5
#define SYS_YIELD 6
#define SYS_SBRK 7      /* map a0 more zeroed pages at the heap end; returns the old end */
#define SYS_TICKS 8     /* timer interrupts taken so far */
#endif
