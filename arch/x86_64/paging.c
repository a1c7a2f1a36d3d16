/* paging.c - the VMM's own address space after boot.
 *
 * The boot tables map machine 0..4 GiB three ways. Once in C we (1) remove the identity map, so
 * nothing of the VMM is reachable below 4 GiB linear (the guests' half), and (2) extend the map at
 * PHYSMAP_BASE to cover all machine memory, taking page-directory frames from the allocator, and
 * (3) map the espfix alias that returns to guests go through (see paging_espfix). */
#include <stdint.h>
#include "cpu.h"
#include "../../mm/frame.h"
#include "../../lib/kstring.h"
#include "../../lib/log.h"

extern uint64_t boot_pml4[512];

#define PTE_P 1ULL
#define PTE_W 2ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

void paging_drop_identity(void)
{
	boot_pml4[0] = 0;
	WRITE_CR(3, READ_CR(3));
}

uint64_t *paging_pml4(void)
{
	return boot_pml4;
}

static uint64_t *table_at(uint64_t *entry)
{
	if (!(*entry & PTE_P)) {
		mfn_t m;
		if (frame_alloc(FRAME_VMM, &m) < 0)
			panic("out of memory while mapping machine memory");
		memset(phys_to_virt(m << 12), 0, 4096);
		*entry = (m << 12) | PTE_P | PTE_W;
	}
	return phys_to_virt(*entry & PTE_ADDR);
}

/* Map machine [4 GiB, top) at PHYSMAP_BASE with 2 MiB pages. */
void paging_extend_physmap(uint64_t top)
{
	uint64_t *pdpt = phys_to_virt(boot_pml4[256] & PTE_ADDR);
	for (uint64_t pa = 4ULL << 30; pa < top; pa += 2ULL << 20) {
		uint64_t va = PHYSMAP_BASE + pa;
		unsigned i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511;
		uint64_t *p3 = i4 == 256 ? pdpt : table_at(&boot_pml4[i4]);
		uint64_t *pd = table_at(&p3[i3]);
		pd[i2] = pa | PTE_P | PTE_W | PTE_PS;
	}
	WRITE_CR(3, READ_CR(3));
}

/* espfix (as Linux's espfix64): an iretq to a 16-bit stack segment (B = 0) loads only SP; the rest
 * of RSP keeps what it was, i.e. bits of the VMM's own stack address, which a guest would then find
 * in ESP[31:16] (and could learn the VMM's addresses from). So trapentry.asm returns to guests from
 * an alias of one page, at ESPFIX_BASE + (the guest's ESP & 0xFFFF0000) + ESPFIX_SLOT: four GiB of
 * linear space in which every page is the same frame (one page table filled with it, one page
 * directory filled with that table, four directory pointers to that directory). Shadows copy the
 * VMM's upper half when they are made, so this runs before any VM exists. One CPU: one slot. */
void paging_espfix(void)
{
	mfn_t f[4];
	for (int i = 0; i < 4; i++) {
		if (frame_alloc(FRAME_VMM, &f[i]) < 0)
			panic("out of memory for the espfix alias");
		memset(phys_to_virt(f[i] << 12), 0, 4096);
	}
	uint64_t *pdpt = phys_to_virt(f[0] << 12), *pd = phys_to_virt(f[1] << 12), *pt = phys_to_virt(f[2] << 12);
	for (int i = 0; i < 512; i++) {
		pt[i] = (f[3] << 12) | PTE_P | PTE_W;
		pd[i] = (f[2] << 12) | PTE_P | PTE_W;
	}
	for (int i = 0; i < 4; i++)
		pdpt[i] = (f[1] << 12) | PTE_P | PTE_W;
	unsigned i4 = (ESPFIX_BASE >> 39) & 511;
	if (boot_pml4[i4] & PTE_P)
		panic("espfix: PML4 slot %u is taken", i4);
	boot_pml4[i4] = (f[0] << 12) | PTE_P | PTE_W;
	WRITE_CR(3, READ_CR(3));
}
