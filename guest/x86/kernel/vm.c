/* vm.c - 2-level 32-bit paging. The kernel's direct map (virtual = physical, 4 MiB PSE pages,
 * supervisor-only) is shared by every address space; user memory [USER_BASE, USER_TOP) uses
 * 4 KiB pages in per-process page tables. Also: copy-on-write fork and the #PF policy. */
#include "kernel.h"
#include "x86.h"
#include "../include/abi.h"
#include "drivers.h"

uint32_t *kernel_pd;
static uint32_t kernel_pd_store[1024] __attribute__((aligned(4096)));
static uint32_t scratch_pt[1024] __attribute__((aligned(4096)));

#define PDX(va) ((va) >> 22)
#define PTX(va) (((va) >> 12) & 0x3FF)
#define FRAME(e) ((e) & ~0xFFFu)
#define IS_USER_PDX(i) ((uint32_t)(i) >= PDX(USER_BASE) && (uint32_t)(i) < PDX(USER_TOP))

void vm_init(void)
{
	uint32_t i;

	kernel_pd = kernel_pd_store;
	for (i = 0; i < direct_map_top >> 22; i++)
		kernel_pd[i] = (i << 22) | PTE_PS | PTE_W | PTE_P;	/* 4 MiB, supervisor */
	kernel_pd[1023] = (uint32_t)scratch_pt | PTE_U | PTE_W | PTE_P;   /* the leaves decide */
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((uint32_t)kernel_pd);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);	/* WP: the kernel too honours read-only PTEs */
}

/* Map one physical frame at SCRATCH_VA as a user page (the directory entry allows user access;
 * the other scratch slots' own entries do not), for the SMEP and SMAP self tests. */
void scratch_map_user(uint32_t pa)
{
	scratch_pt[PTX(SCRATCH_VA)] = pa | PTE_U | PTE_W | PTE_P;
	invlpg(SCRATCH_VA);
}

/* Map one physical frame at SCRATCH_VA (used by self-tests and the PTE benchmark). */
void scratch_map(uint32_t pa)
{
	scratch_pt[PTX(SCRATCH_VA)] = pa | PTE_W | PTE_P;
	invlpg(SCRATCH_VA);
}

/* The same, read-only (CR0.WP: a kernel write faults too). */
void scratch_map_ro(uint32_t pa)
{
	scratch_pt[PTX(SCRATCH_VA)] = pa | PTE_P;
	invlpg(SCRATCH_VA);
}

void vm_switch(uint32_t *pd)
{
	write_cr3((uint32_t)pd);
}

/* A new address space: empty user part, kernel part copied from kernel_pd. */
uint32_t *vm_create(void)
{
	uint32_t *pd = (uint32_t *)frame_alloc();
	int i;

	if (!pd)
		return 0;
	for (i = 0; i < 1024; i++)
		pd[i] = IS_USER_PDX(i) ? 0 : kernel_pd[i];
	return pd;
}

/* The PTE for va, optionally allocating the page table. */
uint32_t *vm_pte(uint32_t *pd, uint32_t va, int create)
{
	uint32_t *pde = &pd[PDX(va)], pt;

	if (!(*pde & PTE_P)) {
		if (!create || !(pt = frame_alloc_zero()))
			return 0;
		*pde = pt | PTE_U | PTE_W | PTE_P;	/* the PTEs decide the real rights */
	}
	return &((uint32_t *)FRAME(*pde))[PTX(va)];
}

int vm_map_new(uint32_t *pd, uint32_t va, uint32_t flags)
{
	uint32_t *pte = vm_pte(pd, va, 1), pa;

	if (!pte || !(pa = frame_alloc_zero()))
		return -1;
	*pte = pa | flags | PTE_U | PTE_P;
	return 0;
}

/* Drop the user pages in [from, to) of pd, which must be the current address space. */
void vm_unmap_range(uint32_t *pd, uint32_t from, uint32_t to)
{
	uint32_t va, *pte;

	for (va = from; va < to; va += PAGE) {
		pte = vm_pte(pd, va, 0);
		if (pte && (*pte & PTE_P)) {
			frame_put(FRAME(*pte));
			*pte = 0;
			invlpg(va);
		}
	}
}

void vm_free(uint32_t *pd)
{
	int i, j;

	for (i = PDX(USER_BASE); i < (int)PDX(USER_TOP); i++) {
		if (!(pd[i] & PTE_P))
			continue;
		uint32_t *pt = (uint32_t *)FRAME(pd[i]);
		for (j = 0; j < 1024; j++)
			if (pt[j] & PTE_P)
				frame_put(FRAME(pt[j]));
		frame_put((uint32_t)pt);
	}
	frame_put((uint32_t)pd);
}

/* Copy-on-write fork of the current address space pd: writable pages become read-only and
 * marked PTE_COW in both parent and child; the frames are shared with one more reference. */
uint32_t *vm_fork(uint32_t *pd)
{
	uint32_t *child = vm_create();
	int i, j;

	if (!child)
		return 0;
	for (i = PDX(USER_BASE); i < (int)PDX(USER_TOP); i++) {
		if (!(pd[i] & PTE_P))
			continue;
		uint32_t *pt = (uint32_t *)FRAME(pd[i]), cpt = frame_alloc_zero();
		if (!cpt) {
			vm_free(child);
			return 0;
		}
		child[i] = cpt | PTE_U | PTE_W | PTE_P;
		for (j = 0; j < 1024; j++) {
			uint32_t e = pt[j];
			if (!(e & PTE_P))
				continue;
			if (e & (PTE_W | PTE_COW)) {
				e = (e & ~PTE_W) | PTE_COW;
				if (!(pt[j] & PTE_W))
					;
				else if (pv_active)
					pv_pte_set(&pt[j], e);	/* (batched: one trap for many) */
				else {
					pt[j] = e;
					invlpg(((uint32_t)i << 22) | ((uint32_t)j << 12));
				}
			}
			((uint32_t *)cpt)[j] = e & ~(PTE_A | PTE_D);
			frame_get(FRAME(e));
		}
	}
	if (pv_active)
		pv_pte_flush_cr3(pd);	/* and one TLB flush for the batch (CR3 again), instead of an invlpg each */
	return child;
}

static int in_demand_zero_area(struct proc *p, uint32_t va)
{
	if (va >= p->heap_start && va < p->brk)
		return 1;
	return va >= USTACK_TOP - USTACK_SIZE && va < USTACK_TOP;
}

/* Resolve a page fault at va for process p (error code err). Returns 0 when resolved,
 * -1 for a true fault (the caller kills the process), -2 when out of memory. */
int vm_fault(struct proc *p, uint32_t va, uint32_t err)
{
	uint32_t *pte, page = va & ~(PAGE - 1);

	p->pf_total++;
	if (va < USER_BASE || va >= USER_TOP)
		return -1;
	pte = vm_pte(p->pd, page, 0);
	if (!(err & 1)) {			/* not present */
		if (!in_demand_zero_area(p, va))
			return -1;
		if (vm_map_new(p->pd, page, PTE_W) < 0)
			return -2;
		p->pf_demand++;
		return 0;
	}
	if ((err & 2) && pte && (*pte & PTE_COW)) {	/* write to a shared page */
		uint32_t old = FRAME(*pte);
		if (frame_refs(old) == 1) {
			*pte = (*pte & ~PTE_COW) | PTE_W;	/* last sharer: take it over */
		} else {
			uint32_t pa = frame_alloc();
			if (!pa)
				return -2;
			page_copy(pa, old);
			*pte = pa | (*pte & 0xFFF & ~PTE_COW) | PTE_W;
			frame_put(old);
		}
		invlpg(page);
		p->pf_cow++;
		return 0;
	}
	return -1;
}

uint32_t *scratch_pte(void)
{
	return &scratch_pt[PTX(SCRATCH_VA)];
}

/* Windows onto physical memory the direct map does not cover (firmware tables above the RAM
 * top) or that must not be cached (the APICs' registers): 4 KiB slots of the last page table,
 * after the scratch page, handed out once and never reused (a few firmware tables, two MMIO
 * pages). Supervisor only, like the rest of the kernel's mappings. */
#define PTE_PWT 0x008
#define PTE_PCD 0x010
static unsigned next_slot = PTX(SCRATCH_VA) + 1;

void *phys_map(uint32_t pa, uint32_t len, int flags)
{
	uint32_t first = pa & ~(PAGE - 1), npages, i, va;

	if (len == 0)
		len = 1;
	if (!(flags & MAP_UNCACHED) && pa < direct_map_top && len <= direct_map_top - pa)
		return phys_ptr(pa);
	npages = (pa + len - 1 - first) / PAGE + 1;
	if (pa + len - 1 < pa || npages > 1024 - next_slot)
		return 0;
	va = SCRATCH_VA + next_slot * PAGE;
	for (i = 0; i < npages; i++) {
		scratch_pt[next_slot + i] = (first + i * PAGE) | PTE_W | PTE_P |
					    ((flags & MAP_UNCACHED) ? PTE_PCD | PTE_PWT : 0);
		invlpg(va + i * PAGE);
	}
	next_slot += npages;
	return phys_ptr(va + (pa - first));
}

uint32_t *kernel_pte(uint32_t va)
{
	uint32_t *pde = &kernel_pd[PDX(va)];

	if (!(*pde & PTE_P))
		return 0;
	if (*pde & PTE_PS)
		return pde;
	return &((uint32_t *)FRAME(*pde))[PTX(va)];
}
