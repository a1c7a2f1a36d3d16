/* direct.h - what the direct paths (direct.asm) may assume about the VM on the CPU, and until when.
 *
 * The direct paths do in about fifty instructions of assembly what the fast paths (fastpath.c) do
 * in C for the four commonest traps: int 0x80 from a process, and the guest kernel's patched iret,
 * pushf, popf (int3) and its cli/sti (#GP). They can be that short because everything they would
 * have to check about the VM's state was checked once, when the VMM last returned to the guest
 * through vm_resume (run.c, direct_arm), and written down here:
 *   - nothing was pending then: no virtual interrupt waiting (whatever the guest's IF), no device
 *     touched, no descriptor-table business, no trace running, the VM runnable and on the CPU;
 *   - nothing can become pending before `until` (the end of its slice, its next timer event),
 *     unless the guest traps into the VMM for it -- and every such trap goes through vm_resume
 *     (which arms again) or through a fast path that fast_leave lets go straight back, which means
 *     nothing changed that this block depends on;
 *   - the selectors below are flat ring-1 / ring-3 pairs in the real GDT as it was installed at
 *     seg_gen (the direct paths compare that too).
 * Whatever a direct path does not find exactly so, it leaves to fast_common with nothing changed.
 * until 0 turns them all off (fast=off, fast=c, tracing, anything pending). */
#ifndef ARCH_DIRECT_H
#define ARCH_DIRECT_H
#include <stdint.h>

struct vm;

struct direct {
	uint64_t until;              /* TSC: the direct paths may run before this (0: not at all) */
	struct vm *vm;               /* the VM it was armed for (cur) */
	uint64_t seg_gen;            /* vm->seg_gen then */
	uint64_t kcs, kss;           /* the guest kernel's flat CS:SS (real selectors, RPL 1) */
	uint64_t ucs, uss;           /* a process's flat CS:SS (RPL 3); 0 if none is known yet */
	uint32_t sys_ok;             /* int 0x80 can be delivered directly: its gate ... */
	uint32_t sys_eip;            /* ... leads here, in kcs */
	uint32_t sys_vif;            /* ... and leaves this much of the virtual IF (0: interrupt gate) */
	uint64_t kstack;             /* where esp0 and ss0 (4 bytes on) are read: the guest TSS's (a
	                              * linear address), or the VMM's copy after HC_SET_KSTACK */
};

extern struct direct direct;
extern int direct_paths;         /* 0: fast=c, only the C fast paths */

#endif
