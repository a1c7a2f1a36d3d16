/* mmio.h - guest accesses to the unmapped segments kseg0/kseg1. A deprivileged guest cannot
 * reach them (address error), so the VMM emulates them: guest RAM through the pmap, the Malta
 * UART (each VM gets its own line-buffered console) and the software-reset register (the VM
 * powers off). */
#ifndef ARCH_MIPS_MMIO_H
#define ARCH_MIPS_MMIO_H
#include "vm.h"

/* Emulate a load/store of `size` bytes at kseg0/1 address va. 0, or -1 (VM already stopped). */
int mmio_access(struct vm *vm, uint32_t va, int size, int store, uint32_t *val);
/* Emulate the load/store instruction insn (registers in vm->f). 0, 1 = not a load/store, -1. */
int mmio_insn(struct vm *vm, uint32_t insn);
/* An address-error trap from the guest kernel on a kseg0/1 data address. */
void mmio_trap(struct vm *vm);

#endif
