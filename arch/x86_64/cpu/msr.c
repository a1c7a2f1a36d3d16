/* msr.c - rdmsr and wrmsr of a guest kernel: the model-specific registers its CPU has.
 *
 * CPUID cannot be trapped on this hardware (no VT-x, no CPUID faulting): the guest sees the real
 * CPU's feature bits. So every MSR that a feature bit promises must exist here, or an OS that
 * trusts CPUID meets a #GP it cannot explain (Linux panics with "MCA architectural violation" when
 * MCG_STATUS faults on a CPU that claims MCA). What is kept, per VM:
 *   P5_MC_ADDR/TYPE (0, 1)    with CPUID.MCE: read 0 (no machine check), writes ignored, as
 *                             QEMU's CPU (fuzz 15:1387: rdmsr with ECX 0)
 *   TSC (0x10)                read: the real TSC; writes ignored
 *   APIC_BASE (0x1B)          the virtual local APIC's (pc/vlapic.c)
 *   SYSENTER_CS/ESP/EIP       (0x174-0x176) stored; the real ones never point at the guest.
 *                             CS keeps its selector, bits 15:0, as QEMU's CPU does (the SDM
 *                             names no other field; AMD's are reserved): fuzz round 1:1688
 *   MTRRs (with CPUID.MTRR)   MTRRcap (0xFE): 8 variable ranges, fixed ranges, WC; the variable
 *                             (0x200-0x20F), fixed (0x250, 0x258-0x259, 0x268-0x26F) and default
 *                             type (0x2FF) registers are stored: all guest memory is write-back
 *                             machine memory whatever the guest asks, as in any VM without EPT
 *   PAT (0x277, CPUID.PAT)    stored (the shadow maps every page write-back)
 *   MCA (CPUID.MCE|MCA)       MCG_CAP (0x179): one bank, no MCG_CTL; MCG_STATUS (0x17A); bank 0
 *                             (0x400-0x403): stored. The VM never sees a machine check.
 *   AMD only (vendor          SYSCFG (0xC0010010) and HWCR (0xC0010015): stored, reset 0 (the
 *   AuthenticAMD)             MTRR code of an OS reads SYSCFG's fixed-range DRAM bits)
 * Anything else raises #GP, as a CPU does for an MSR it lacks (Linux probes with rdmsr_safe). */
#include "vm.h"
#include "../cpu.h"

#define CPUID1_MCE  (1u << 7)
#define CPUID1_MTRR (1u << 12)
#define CPUID1_MCA  (1u << 14)
#define CPUID1_PAT  (1u << 16)

#define MTRR_CAP_VALUE  (0x8u | 0x100u | 0x400u)          /* VCNT 8, FIX, WC */
#define MTRR_DEF_RESET  0xC06u                            /* enabled, fixed enabled, write-back */
#define PAT_RESET       0x0007040600070406ull
#define MCG_CAP_VALUE   1u                                /* one bank */

#define VENDOR_AMD  (1u << 31)             /* not a CPUID bit: the vendor, folded into features() */

static uint32_t features(void)
{
	static uint32_t f;
	static int known;
	if (!known) {
		uint32_t r[4];
		cpuid(0, 0, r);
		int amd = r[1] == 0x68747541u && r[3] == 0x69746E65u && r[2] == 0x444D4163u;   /* "AuthenticAMD" */
		cpuid(1, 0, r);
		f = (r[3] & ~VENDOR_AMD) | (amd ? VENDOR_AMD : 0);
		known = 1;
	}
	return f;
}

void msr_reset(struct vm_msrs *m)
{
	*m = (struct vm_msrs){ .mtrr_def = MTRR_DEF_RESET, .pat = PAT_RESET };
}

/* Where MSR `msr` is kept for this VM (0: not a stored one). */
static uint64_t *slot(struct vm_msrs *m, uint32_t msr, uint32_t f)
{
	if (msr >= 0x174 && msr <= 0x176)
		return &m->sysenter[msr - 0x174];
	if (f & CPUID1_MTRR) {
		if (msr >= 0x200 && msr <= 0x20F)
			return &m->mtrr_var[msr - 0x200];
		if (msr == 0x250)
			return &m->mtrr_fixed[0];
		if (msr == 0x258 || msr == 0x259)
			return &m->mtrr_fixed[1 + msr - 0x258];
		if (msr >= 0x268 && msr <= 0x26F)
			return &m->mtrr_fixed[3 + msr - 0x268];
		if (msr == 0x2FF)
			return &m->mtrr_def;
	}
	if ((f & CPUID1_PAT) && msr == 0x277)
		return &m->pat;
	if ((f & VENDOR_AMD) && msr == 0xC0010010)
		return &m->amd_syscfg;
	if ((f & VENDOR_AMD) && msr == 0xC0010015)
		return &m->amd_hwcr;
	if ((f & (CPUID1_MCE | CPUID1_MCA)) == (CPUID1_MCE | CPUID1_MCA)) {
		if (msr == 0x17A)
			return &m->mcg_status;
		if (msr >= 0x400 && msr <= 0x403)
			return &m->mc0[msr - 0x400];
	}
	return 0;
}

int msr_access(struct vm *vm, uint32_t msr, int write, uint64_t *val)
{
	uint32_t f = features();
	switch (msr) {
	case 0x0:                                       /* P5_MC_ADDR, P5_MC_TYPE: architectural with */
	case 0x1:                                       /* MCE; no machine check to tell of: 0 (fuzz 15:1387) */
		if (!(f & CPUID1_MCE))
			return -1;
		if (!write)
			*val = 0;
		return 0;
	case 0x10:                                      /* TSC: the guest reads the real one */
		if (!write)
			*val = rdtsc();
		return 0;
	case 0x1B:
		return vlapic_msr(&vm->io.lapic, write, val) < 0 ? -1 : 0;
	case 0xFE:                                      /* MTRRcap: read-only */
		if (!(f & CPUID1_MTRR) || write)
			return -1;
		*val = MTRR_CAP_VALUE;
		return 0;
	case 0x179:                                     /* MCG_CAP: read-only */
		if ((f & (CPUID1_MCE | CPUID1_MCA)) != (CPUID1_MCE | CPUID1_MCA) || write)
			return -1;
		*val = MCG_CAP_VALUE;
		return 0;
	}
	uint64_t *s = slot(&vm->msr, msr, f);
	if (!s)
		return -1;
	if (write)
		*s = msr == 0x174 ? *val & 0xFFFF : *val;
	else
		*val = *s;
	return 0;
}
