/* xfeat.h - the CPU features a guest turns on itself: CR4 bits, XCR0, and the FPU/SSE/AVX state
 * the VMM keeps for each VM across machine switches (xfeat.c). */
#ifndef ARCH_XFEAT_H
#define ARCH_XFEAT_H
#include <stdint.h>

struct vm;

#define CR4_UMIP    (1u << 11)
#define CR4_OSXSAVE (1u << 18)
#define CR4_SMEP    (1u << 20)
#define CR4_SMAP    (1u << 21)

#define XSAVE_AREA 4096                  /* bytes per VM: legacy + header + extended components */

void xfeat_init(void);                   /* once, at VMM start: what this CPU supports */
int xfeat_has_smap(void);                /* CPUID.7.EBX.SMAP: stac/clac exist */
int xfeat_umip_forced(void);             /* the real CR4.UMIP is on while guests run */
void xfeat_reset(struct vm *vm);         /* a new VM: FPU in its init state, XCR0 = 1 */
/* mov to CR4 by the guest: 0 and the new value in force, or -1 for a #GP (a bit this CPU lacks). */
int xfeat_write_cr4(struct vm *vm, uint32_t v);
/* xsetbv by the guest kernel: 0 done, -1 for a #GP (as the CPU would raise it). */
int xfeat_xsetbv(struct vm *vm, uint32_t ecx, uint64_t v);
/* The machine switch: the running VM's state to memory, then the next VM's CR4 bits, XCR0 and state. */
void xfeat_save(struct vm *vm);
/* The guest's CR0.MP/EM/TS changed (mov to CR0, lmsw, clts): the real CR0 follows. */
void xfeat_cr0(const struct vm *vm);
void xfeat_load(struct vm *vm);

#endif
