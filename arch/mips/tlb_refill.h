/* tlb_refill.h - the VMM's TLB refill handler (Figure B.6). */
#ifndef ARCH_MIPS_TLB_REFILL_H
#define ARCH_MIPS_TLB_REFILL_H
#include "vm.h"

/* A hardware TLB refill exception taken while `vm` ran, for address badva. */
void tlb_refill(struct vm *vm, uint32_t badva);
/* The guest wrote TLB entry `idx` (tlbwi/tlbwr emulation): install it for real. */
void tlb_guest_write(struct vm *vm, unsigned idx, int random);
/* The guest's tlbp found nothing for vpn2/asid: forget what we cached beyond its TLB. */
void tlb_guest_probe_miss(struct vm *vm, uint32_t vpn2, unsigned asid);

#endif
