/* vtlb.h - the guest's virtual TLB: the 64 entries the guest believes the hardware holds. Guest
 * tlbr/tlbp/tlbwi/tlbwr work on it (cp0_emul.c); the refill path consults it before bothering the
 * guest, because a miss on an entry still in the guest's TLB would have been a hit on hardware. */
#ifndef ARCH_MIPS_VTLB_H
#define ARCH_MIPS_VTLB_H
#include "vm.h"

/* Index of the entry matching va for guest ASID asid (or a global entry), or -1. */
int vtlb_match(const struct vm *vm, uint32_t va, unsigned asid);
/* The guest EntryLo and guest frame number behind va in entry e. */
void vtlb_half(const struct vtlb_entry *e, uint32_t va, uint32_t *elo, uint32_t *gfn);
/* Guest-physical address of va if a valid entry maps it: 0, else -1. */
int vtlb_translate(const struct vm *vm, uint32_t va, unsigned asid, uint32_t *gpa);
static inline int vtlb_global(const struct vtlb_entry *e) { return e->lo0 & e->lo1 & 1; }

#endif
