/* ktap.h - the guest's KTAP plan, shared by the kernel (which prints the header and the kernel
 * tests) and the user program (which continues the numbering). */
#ifndef GUEST_MIPS_KTAP_H
#define GUEST_MIPS_KTAP_H
#define KTESTS 8          /* kernel tests: 1..KTESTS */
#define UTESTS 9          /* user tests: KTESTS+1 .. KTESTS+UTESTS */
#define NTESTS (KTESTS + UTESTS)
#endif
