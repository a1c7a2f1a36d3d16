/* reflect.h - deliver an exception to the guest as the hardware would have: set the virtual
 * EPC/Cause/BadVAddr/Context/EntryHi and virtual EXL, and point the guest at its own vector. */
#ifndef ARCH_MIPS_REFLECT_H
#define ARCH_MIPS_REFLECT_H
#include "vm.h"

/* vec_off: 0x000 for a TLB refill (when virtual EXL was clear), 0x180 otherwise.
 * bd: the faulting instruction sat in a branch delay slot (f.pc is then the branch). */
void reflect(struct vm *vm, unsigned exc, uint32_t vec_off, int bd, uint32_t badva);

#endif
