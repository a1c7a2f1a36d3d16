/* ktest.h - how the KTAP plan of test mode is split between the kernel and the user suite. */
#ifndef GUEST_KTEST_H
#define GUEST_KTEST_H
#define KTEST_KERNEL_COUNT 39	/* self-checks run by the kernel before user space starts */
/* The kernel GDT's entries (kernel/gdt.c), which utest's ring-3 sgdt expects to see. */
#define KERNEL_GDT_ENTRIES 12
#define KTEST_USER_COUNT   40	/* tests run by the user program utest */
#define KTEST_DEV_COUNT    68	/* device tests (boot word devtest), after the kernel self-checks */
#endif
