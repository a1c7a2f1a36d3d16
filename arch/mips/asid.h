/* asid.h - guest ASIDs are virtualized: each (VM, guest ASID) is bound to a machine ASID from
 * one pool of 255 (0 is never used), so two VMs' address spaces never meet in the real TLB.
 * When the pool runs dry the real TLB is flushed and every binding starts over (an epoch). */
#ifndef ARCH_MIPS_ASID_H
#define ARCH_MIPS_ASID_H
#include "vm.h"

unsigned asid_machine(struct vm *vm, unsigned gasid);
/* Forget every binding of this VM (its hardware entries become unreachable). */
void asid_retire_all(struct vm *vm);
/* Load EntryHi with the machine ASID of the guest's current ASID (before resuming it). */
void asid_apply(struct vm *vm);

#endif
