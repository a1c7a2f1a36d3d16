/* l2tlb.h - Disco's second-level software TLB: (guest ASID, VPN2) -> machine EntryLo pair.
 *
 * Direct-mapped, per VM. It remembers every translation the VMM has built from a guest TLB write,
 * already turned from guest-physical into machine frames, so a later hardware miss on the same page
 * can be refilled at once without running the guest's refill handler (Figure B.6, the shortcut).
 * Invalidation is by generation: each guest ASID (and "global", index 256) has a stamp; bumping it
 * drops all its entries in O(1). */
#ifndef ARCH_MIPS_L2TLB_H
#define ARCH_MIPS_L2TLB_H
#include <stdint.h>

#define L2TLB_SIZE 1024
#define L2TLB_GLOBAL 256

struct l2tlb_entry {
	uint32_t vpn2;       /* virtual address of the even page, low 13 bits 0 */
	uint32_t stamp;      /* == gen[asid] while valid */
	uint32_t lo0, lo1;   /* machine EntryLo0/1 (PFN = machine frame, G clear) */
	uint16_t asid;       /* guest ASID or L2TLB_GLOBAL */
};

struct l2tlb {
	struct l2tlb_entry e[L2TLB_SIZE];
	uint32_t gen[L2TLB_GLOBAL + 1];
	uint64_t lookups, hits, inserts;
};

void l2tlb_init(struct l2tlb *t);
/* Hit: 1 and the machine pair; looks for the ASID's own entry, then a global one. */
int l2tlb_lookup(struct l2tlb *t, uint32_t vpn2, unsigned asid, uint32_t *lo0, uint32_t *lo1);
void l2tlb_insert(struct l2tlb *t, uint32_t vpn2, unsigned asid, uint32_t lo0, uint32_t lo1);
void l2tlb_drop(struct l2tlb *t, uint32_t vpn2, unsigned asid);
void l2tlb_flush_asid(struct l2tlb *t, unsigned asid);
void l2tlb_flush_all(struct l2tlb *t);

#endif
