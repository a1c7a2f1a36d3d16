/* mem.c - the guest's memory: a free list of 4 KiB physical pages (used through the kseg2
 * window), two-level page tables whose leaves are EntryLo values, user copies done by walking
 * the page table (never through the TLB), and the TLB flush used when ASIDs wrap. */
#include "kernel.h"
#include "cp0.h"
#include "../../lib/kstring.h"

extern char __kernel_end[];
static void *free_list;
static unsigned nfree;
uint32_t ram_size;

void mem_init(uint32_t ram)
{
	ram_size = ram;
	for (uint32_t pa = KPA(__kernel_end); pa + 4096 <= ram; pa += 4096)
		page_free(KVA(pa));
}

void page_free(void *p)
{
	*(void **)p = free_list;
	free_list = p;
	nfree++;
}

void *page_alloc(void)
{
	void *p = free_list;
	if (!p)
		return 0;
	free_list = *(void **)p;
	nfree--;
	memset(p, 0, 4096);
	return p;
}

unsigned pages_free(void) { return nfree; }

uint32_t *pgdir_new(void) { return page_alloc(); }

uint32_t *pte_of(uint32_t *pgdir, uint32_t va)
{
	uint32_t *pt = (uint32_t *)pgdir[va >> 22];
	return pt ? &pt[(va >> 12) & 1023] : 0;
}

int map_page(uint32_t *pgdir, uint32_t va, void *page, int writable)
{
	uint32_t **slot = (uint32_t **)&pgdir[va >> 22];
	if (!*slot && !(*slot = page_alloc()))
		return -1;
	(*slot)[(va >> 12) & 1023] = (KPA(page) >> 12) << 6 | PTE_CACHED | PTE_V |
				     (writable ? PTE_D : 0);
	return 0;
}

static void *page_of_pte(uint32_t pte) { return KVA((pte >> 6) << 12); }

void pgdir_free(uint32_t *pgdir)
{
	for (int i = 0; i < 512; i++) {
		uint32_t *pt = (uint32_t *)pgdir[i];
		if (!pt)
			continue;
		for (int j = 0; j < 1024; j++)
			if (pt[j] & PTE_V)
				page_free(page_of_pte(pt[j]));
		page_free(pt);
	}
	page_free(pgdir);
}

int pgdir_copy(uint32_t *dst, uint32_t *src)
{
	for (int i = 0; i < 512; i++) {
		uint32_t *pt = (uint32_t *)src[i];
		if (!pt)
			continue;
		for (int j = 0; j < 1024; j++) {
			if (!(pt[j] & PTE_V))
				continue;
			void *np = page_alloc();
			if (!np)
				return -1;
			memcpy(np, page_of_pte(pt[j]), 4096);
			if (map_page(dst, (uint32_t)i << 22 | (uint32_t)j << 12, np, pt[j] & PTE_D) < 0)
				return -1;
		}
	}
	return 0;
}

static void *user_ptr(uint32_t *pgdir, uint32_t uva, int write)
{
	if (uva >= 0x80000000u)
		return 0;
	uint32_t *pte = pte_of(pgdir, uva);
	if (!pte || !(*pte & PTE_V) || (write && !(*pte & PTE_D)))
		return 0;
	return (char *)page_of_pte(*pte) + (uva & 0xfff);
}

int copy_from_user(uint32_t *pgdir, void *dst, uint32_t uva, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		char *p = user_ptr(pgdir, uva + k, 0);
		if (!p)
			return -1;
		((char *)dst)[k] = *p;
	}
	return 0;
}

int copy_to_user(uint32_t *pgdir, uint32_t uva, const void *src, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		char *p = user_ptr(pgdir, uva + k, 1);
		if (!p)
			return -1;
		*p = ((const char *)src)[k];
	}
	return 0;
}

void tlb_flush_all(void)
{
	uint32_t hi = CP0_GET(CPG_ENTRYHI, C0_ENTRYHI);
	for (uint32_t i = mfc0(C0_WIRED, 0); i < 64; i++) {
		CP0_SET(CPG_ENTRYHI, C0_ENTRYHI, 0x80000000u + (i << 13));   /* unique, never matches */
		CP0_SET(CPG_ENTRYLO0, C0_LO0, 0);
		CP0_SET(CPG_ENTRYLO1, C0_LO1, 0);
		mtc0(C0_INDEX, 0, i);
		tlbop("tlbwi");
	}
	CP0_SET(CPG_ENTRYHI, C0_ENTRYHI, hi);
}
