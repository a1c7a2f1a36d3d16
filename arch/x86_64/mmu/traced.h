/* traced.h - shadow page tables proper (boot option shadow=trace): one shadow table for every guest
 * page table, shared by every address space that uses it, kept coherent by tracing the guest's
 * writes to its tables (the seed's aside on hardware-managed TLBs; KVM's shadow MMU is the model).
 *
 * What it keeps, per VM:
 *  - roots: one per guest address space (the guest page directory a CR3 names), cached, so a CR3
 *    write back to a known address space costs a lookup. A root is a PML4, a PDPT and four page
 *    directories (2048 entries of 2 MiB: the guest's 4 GiB); its high half is the VMM's.
 *  - tpages: a shadow page table (512 entries, 2 MiB) for each half of a guest page table, keyed by
 *    (guest frame, role). The role holds the guest directory entry's U and W bits, so a tpage's
 *    entries depend on the guest table and the frames it maps, never on which address space points
 *    at it: the kernel's tables are shadowed once for all processes. A 4 MiB guest page is mapped
 *    by 2 MiB root entries where its frames are one aligned machine run and all plain; else it
 *    gets tpages too (role LARGE: 4 KiB entries over the frame range; nothing to trace).
 *  - tracing: every guest frame that is a page table or directory of a cached shadow is mapped
 *    read-only in every shadow (a reverse map finds its mappings). A guest write to it faults, is
 *    emulated, and clears exactly the shadow entries derived from the guest entries it changed.
 *  - a bound on shadow frames (boot option shadow_mem): past it, tpages are reclaimed (CLOCK) and
 *    the least recently used roots evicted; the VM keeps running.
 * Filling is lazy, as in the virtual TLB: entries appear on hidden faults (vtlb.c decides their
 * permissions), so the only difference a guest can see is none. */
#ifndef ARCH_TRACED_H
#define ARCH_TRACED_H
#include <stdint.h>
#include "../../../mm/frame.h"

struct vm;
struct traced;

/* The counters printed when the VM ends. */
struct traced_stats {
	uint64_t fills, traced_writes, flood_unshadows, emul_unshadows, reclaimed, evicted;
	uint64_t cr3_switches, root_hits, root_misses, wprotects, frame_drops, resets;
	uint64_t large, demotions;        /* 2 MiB entries made; taken out again (a frame changed) */
	uint64_t prefetches;              /* leaves made at a guest's write of an Accessed entry */
	unsigned tpages, tpages_max, roots, budget, held;   /* held: frames the shadow has taken */
};

/* Set up the traced shadow of a VM with room for `budget` shadow frames, and its first root (the
 * guest's paging off). 0, or -1 when machine memory is short. */
int traced_init(struct vm *vm, uint64_t budget);
void traced_destroy(struct vm *vm);
/* The guest's CR3 or CR0.PG changed: find (or make) the root of its address space, make it the
 * shadow's root, and load it when the VM is on the CPU. 0, or -1 (out of memory: stop the VM). */
int traced_switch(struct vm *vm);
/* Drop every shadow (CR0.WP, CR4.PSE changed what the guest's entries mean), then traced_switch. */
int traced_reset(struct vm *vm);
/* la -> machine frame m (guest frame gfn) with these permissions; the entry is made read-only if
 * gfn is one of the traced tables. 0, or -1 when out of memory. */
int traced_fill(struct vm *vm, uint32_t la, uint32_t gfn, mfn_t m, int w, int u, int nx);
/* Is guest frame gfn a page table or directory some shadow depends on? */
int traced_is_table(const struct vm *vm, uint32_t gfn);
/* The VMM wrote [off, off+len) of traced table gfn for the guest: drop what those entries gave. */
void traced_written(struct vm *vm, uint32_t gfn, unsigned off, unsigned len);
/* Stop tracing gfn (the guest writes it with an instruction the VMM cannot emulate): its shadows
 * go. -1 if it is the directory of the address space in use (which cannot go). */
int traced_unshadow(struct vm *vm, uint32_t gfn);
/* Drop every shadow entry that maps guest frame gfn (its permissions changed: scanned code). */
void traced_drop_gfn(struct vm *vm, uint32_t gfn);
/* Has the MMU used a shadow entry of guest frame gfn since the last look (its Accessed bits)? They
 * are cleared for the next look (no TLB flush: a translation the TLB keeps may look unused -- the
 * reclaim's guess is only a guess). 2 MiB entries are not looked at. */
int traced_young(struct vm *vm, uint32_t gfn);
/* The guest's invlpg: the shadow is coherent already; only the real TLB entry goes. */
void traced_invlpg(struct vm *vm, uint32_t la, int large);
void traced_get_stats(const struct vm *vm, struct traced_stats *st);
/* Every leaf of every cached shadow, for checking them (tests/host/test_traced.c): fn gets the
 * root's guest directory frame (0xFFFFFFFF: paging off), the guest-linear page and the entry. */
void traced_each_leaf(const struct vm *vm, void (*fn)(void *ctx, uint32_t root_gfn, uint32_t la, uint64_t leaf),
		      void *ctx);

#endif
