/* vm.h - one MIPS virtual machine (one vCPU each): its saved registers, its virtual CP0 and
 * virtual TLB (what the guest believes the hardware holds), its memory (mm/pmap) and the
 * per-VM pieces of the Disco path (ASID map, L2 software TLB, statistics). */
#ifndef ARCH_MIPS_VM_H
#define ARCH_MIPS_VM_H
#include <stdint.h>
#include "frame_regs.h"
#include "l2tlb.h"
#include "../../mm/pmap.h"
#include "../../vcpu/sched.h"
#include "../../vcpu/vconsole.h"

#define MAX_VMS 4

struct vtlb_entry {
	uint32_t hi;      /* VPN2 | ASID, as the guest wrote EntryHi */
	uint32_t lo0, lo1;/* guest EntryLo0/1 (guest-physical PFNs; G in bit 0) */
	uint32_t mask;    /* PageMask */
};

/* The guest's view of CP0. */
struct vcp0 {
	uint32_t index, entrylo0, entrylo1, context, pagemask, wired, hwrena, badvaddr;
	uint32_t entryhi, compare, status, cause, epc, ebase, errorepc, lladdr, intctl;
};

struct vm_stats {
	uint64_t traps, cp0_emul, refills, refill_l2_hits, refill_vtlb_hits, refill_reflected;
	uint64_t l2_lookups, guest_tlbw, reflected, mmio, interp_insns, waits, timer_irqs;
	uint64_t page_writes;      /* CP0 registers the guest wrote through the special page */
};

struct vm {
	struct regs f;             /* must be first: vectors.S saves the guest here */
	struct vm_sched s;
	struct vcp0 c;
	struct vtlb_entry tlb[64];
	struct pmap pm;
	uint32_t ram_bytes;
	uint8_t masid[256];        /* guest ASID -> machine ASID (0: none yet) */
	uint32_t masid_epoch;      /* global epoch the masid[] table belongs to */
	int timer_armed;           /* Compare written and not yet reached */
	int nested;                /* exceptions reflected since the guest last ran an eret */
	uint64_t stop_after;       /* debug: nothing */
	struct l2tlb l2;
	struct vconsole con;
	struct vm_stats st;
	uint32_t *cp0page;         /* pv=on: the special page (kseg0 view of its frame), else 0 */
	char cmdline[128];
};

/* Global VMM configuration from the command line. */
struct vmm_config {
	int l2tlb;                 /* L2 software TLB on? */
	int pv;                    /* offer the guests the special page (cp0page.c)? */
	char guestargs[64];        /* extra words for every guest's command line */
	int nvms;
	uint32_t guest_ram;
	uint32_t slice;            /* Count ticks per time slice */
	int hostile_vm;            /* VM id that gets the hostile command line (0: none) */
	char hostile[32];
};
extern struct vmm_config cfg;
extern struct vm *cur;         /* the VM whose registers are in the hardware */

/* Guest mode: is the guest in (virtual) kernel mode? */
static inline int guest_kernel(const struct vm *vm)
{
	uint32_t s = vm->c.status;
	return (s & 0x6) || (s & 0x18) == 0;
}

void vm_print_line(const char *line);
/* Stop the running VM for misbehaviour; prints "vmN: stopped: ..." */
void vm_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vm_create(struct vm *vm, unsigned id, const char *guest_cmdline);

#endif
