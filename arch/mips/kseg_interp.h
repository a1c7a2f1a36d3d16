/* kseg_interp.h - running guest code that lives in kseg0/kseg1. A deprivileged guest cannot
 * fetch there, yet a MIPS OS must start there (the boot loader jumps to a kseg0 entry) and its
 * exception vectors are there (EBase is always in kseg0/1). The VMM interprets such code, one
 * instruction at a time, until it jumps into mapped space; then the guest runs natively again.
 * The subset is what such stubs use: ALU, lui, loads/stores to kseg0/1, branches, CP0. */
#ifndef ARCH_MIPS_KSEG_INTERP_H
#define ARCH_MIPS_KSEG_INTERP_H
#include "vm.h"

void kseg_interp(struct vm *vm);

#endif
