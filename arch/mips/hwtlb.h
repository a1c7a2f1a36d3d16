/* hwtlb.h - the real TLB, as only the VMM touches it. All entries are 4 KiB page pairs
 * (PageMask 0), never global, tagged with a machine ASID; Wired is 0. */
#ifndef ARCH_MIPS_HWTLB_H
#define ARCH_MIPS_HWTLB_H
#include <stdint.h>

void hwtlb_flush_all(void);
/* Install vpn2|masid -> (lo0, lo1), replacing an entry for the same pair if there is one. */
void hwtlb_install(uint32_t vpn2, unsigned masid, uint32_t lo0, uint32_t lo1);
void hwtlb_refill(uint32_t vpn2, unsigned masid, uint32_t lo0, uint32_t lo1);
void hwtlb_invalidate(uint32_t vpn2, unsigned masid);
/* Machine address behind va in address space masid, if the hardware TLB holds it: 0 / -1. */
int hwtlb_probe(uint32_t va, unsigned masid, uint32_t *ma);

#endif
