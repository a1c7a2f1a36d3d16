/* pv.c - para-virtualization: finding the VMM at boot and the calls guest-x86 then makes
 * (include/hypercall.h, docs/hypercalls.md). The probe is harmless on bare metal: its int 0x82
 * reaches our own handler (trap.c), which answers HC_NOVMM. Boot words: `pv` insists (a line says
 * so if no VMM answers), `nopv` forbids; by default the calls are used when the VMM is found. */
#include "kernel.h"
#include "../include/hypercall.h"

int pv_active;

int32_t hcall(uint32_t nr, uint32_t b, uint32_t c, uint32_t d, uint32_t out[3])
{
	int32_t r;
	__asm__ volatile("int %[v]"
			 : "=a"(r), "+b"(b), "+c"(c), "+d"(d)
			 : "a"(HC_MAGIC | nr), [v] "i"(HC_VECTOR)
			 : "memory");
	if (out)
		out[0] = b, out[1] = c, out[2] = d;
	return r;
}

void pv_init(enum pv_mode mode)
{
	uint32_t o[3];
	if (mode == PV_OFF) {
		klog("guest-x86: para-virtual calls forbidden (nopv)\n");
		return;
	}
	if (hcall(HC_PROBE, 0, 0, 0, o) != 0 || o[0] != HC_SIGNATURE) {
		if (mode == PV_ON)
			klog("guest-x86: pv asked for, but no VMM answered the probe: running as on bare metal\n");
		return;
	}
	uint32_t need = 1u << HC_CONSOLE_WRITE | 1u << HC_BLOCK | 1u << HC_MMU_UPDATE;
	pv_active = o[1] == HC_VERSION && (o[2] & need) == need;
	klog("guest-x86: VMM found (hypercall ABI %u, calls %#x): %s\n", o[1], o[2],
	     pv_active ? "console, idle and fork's page-table updates by hypercall" :
			 "not an ABI this kernel knows; not used");
}

int pv_console_write(const char *s, uint32_t len)
{
	return hcall(HC_CONSOLE_WRITE, (uint32_t)s, len, 0, 0);
}

/* sti; hlt -- in one call: returns (interrupts on) once an interrupt has been handled. */
void pv_block(void)
{
	hcall(HC_BLOCK, 0, 0, 0, 0);
}

/* Page-table entries written by the VMM in batches (HC_MMU_UPDATE): one trap for up to 64 of them
 * instead of one each when the VMM traces the tables. The caller flushes the batch (and the TLB)
 * before it relies on the new entries. */
static struct hc_mmu_update batch[64];
static unsigned nbatch;

void pv_pte_set(uint32_t *pte, uint32_t val)
{
	if (nbatch == sizeof batch / sizeof batch[0])
		pv_pte_flush();
	batch[nbatch].gpa = (uint32_t)pte;	/* (the kernel maps RAM at its physical addresses) */
	batch[nbatch++].val = val;
}

void pv_pte_flush(void)
{
	pv_pte_flush_cr3(0);
}

/* The batch, then (pd not 0) CR3 loaded with pd: one trap for both. */
void pv_pte_flush_cr3(const uint32_t *pd)
{
	uint32_t cr3 = pd ? (uint32_t)pd | HC_MMU_CR3 : 0;
	if ((nbatch || cr3) && hcall(HC_MMU_UPDATE, (uint32_t)batch, nbatch, cr3, 0) != (int32_t)nbatch)
		panic("the VMM refused a page-table update batch of %u entries", nbatch);
	nbatch = 0;
}
