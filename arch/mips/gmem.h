/* gmem.h - reaching guest memory from the VMM: guest-physical -> machine (mm/pmap) -> kseg0,
 * and guest-virtual -> guest-physical through the guest's own (virtual) TLB. */
#ifndef ARCH_MIPS_GMEM_H
#define ARCH_MIPS_GMEM_H
#include "vm.h"

/* Pointer to guest-physical byte gpa (backing it on demand), or 0 outside guest RAM. */
void *gmem_ptr(struct vm *vm, uint32_t gpa);
/* Machine EntryLo for guest EntryLo `elo` whose page holds guest frame gfn: 0 and *mlo, or -1. */
int gmem_machine_elo(struct vm *vm, uint32_t elo, uint32_t gfn, uint32_t *mlo);
/* Fetch the 32-bit instruction the guest executes at va (kseg0/1 or mapped). 0 or -1. */
int gmem_fetch(struct vm *vm, uint32_t va, uint32_t *insn);

#endif
