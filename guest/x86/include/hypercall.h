/* hypercall.h - the VMM's para-virtual interface for 32-bit guest kernels (docs/hypercalls.md).
 *
 * A guest kernel that knows it may run under the VMM calls it with `int 0x82` at its ring 0, with
 * EAX = HC_MAGIC | call number and the arguments in EBX, ECX, EDX; the result comes back in EAX
 * (0 or more: success; HC_E*: an error). The VMM takes such an int 0x82 before the guest's IDT
 * sees it. On bare metal (or with no VMM) it reaches the guest's own handler for vector 0x82,
 * which must answer HC_NOVMM -- so the same binary can probe at boot and run either way:
 *
 *     eax = HC_MAGIC | HC_PROBE; int 0x82
 *     -> HC_NOVMM: no VMM (the guest's own handler answered)
 *     -> 0 and EBX = HC_SIGNATURE, ECX = HC_VERSION, EDX = the calls offered (bit n: call n)
 *
 * Nothing else changes: a guest that never probes is virtualized exactly as before. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#define HC_VECTOR    0x82
#define HC_MAGIC     0x48560000u       /* 'HV' in EAX's high half marks a hypercall */
#define HC_SIGNATURE 0x484D4D56u       /* "VMMH" (EBX after a probe) */
#define HC_VERSION   1

/* Calls (EAX low half). */
#define HC_PROBE         0   /* -> 0; EBX signature, ECX version, EDX mask of calls */
#define HC_CONSOLE_WRITE 1   /* EBX = linear address, ECX = length (at most HC_CONSOLE_MAX) -> bytes written */
#define HC_YIELD         2   /* give the rest of this time slice to another VM -> 0 */
#define HC_BLOCK         3   /* sti + hlt in one: sleep until a virtual interrupt -> 0, interrupts on */
#define HC_MMU_UPDATE    4   /* EBX = linear address of struct hc_mmu_update[ECX] (ECX <= HC_MMU_MAX):
                              * each 32-bit store done as if by the guest -> ECX; on a bad entry
                              * the error, with EDX = the entries done before it. EDX = a page
                              * directory's address | HC_MMU_CR3: then loaded into CR3 (0: not) */
#define HC_SET_KSTACK    5   /* EBX = esp0, ECX = ss0: the kernel stack for traps from ring 3, instead of
                              * the TSS's (which the VMM then stops reading); ss0 0: the TSS's again -> 0 */
#define HC_FRAME_FREE    6   /* EBX = guest frame number: its contents are not needed any more; the VMM
                              * takes its memory back, and the next touch finds it zeroed -> 0 */
#define HC_BALLOON       7   /* EBX = frames in the guest's balloon now -> the balloon's target (frames):
                              * the guest gives back (HC_FRAME_FREE) or takes back frames to meet it */
#define HC_NCALLS        8

#define HC_CONSOLE_MAX   4096
#define HC_MMU_MAX       512
#define HC_MMU_CR3       1u  /* in HC_MMU_UPDATE's EDX: load CR3 after the batch */

/* One page-table update (Xen's mmu_update idea): a 32-bit entry at a guest-physical address. */
struct hc_mmu_update {
	unsigned int gpa;    /* 4-byte aligned, in the VM's RAM */
	unsigned int val;
};

/* Errors (negative, as a 32-bit EAX). */
#define HC_ENOSYS  (-38)             /* no such call */
#define HC_EINVAL  (-22)             /* an argument out of range */
#define HC_EFAULT  (-14)             /* an address the guest's own page tables do not map so */
#define HC_NOVMM   (-1000)           /* answered by the guest's own handler: no VMM */

#endif
