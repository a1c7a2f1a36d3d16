/* xfeat.c - CPU features a guest kernel switches on for itself: CR4 bits, XCR0 (xsetbv) and the
 * FPU/SSE/AVX register state that comes with them.
 *
 * CPUID cannot be trapped here (no VT-x, no CPUID faulting), so the guest sees the real CPU's
 * features and turns on what it finds: Linux on a recent CPU sets CR4.SMEP, SMAP, UMIP and OSXSAVE
 * and then runs xsetbv. Each of them must do what it does on that CPU:
 *
 *   mov to CR4   a bit the CPU lacks (or one that needs long mode: PCIDE, CET, KL) is a #GP,
 *                as on the CPU. The rest are kept in vm->cr4; four of them are *mirrored*: the
 *                real CR4 has the guest's SMEP, SMAP, UMIP and OSXSAVE while the guest runs, so
 *                the CPU itself enforces them on the guest kernel, which runs at ring 1 - a
 *                supervisor level for paging, so SMEP and SMAP apply to it exactly as they would
 *                at ring 0, and UMIP makes sgdt & co. fault at ring 3 (at ring 1 they are patched
 *                anyway). The VMM itself is not affected: it never executes or touches user pages
 *                through their guest-virtual addresses (gmem.c goes through the machine map).
 *                Kept without effect: VME/PVI (v8086 mode is refused), TSD and PCE (guest user
 *                processes can still read the TSC and the counters: the real CR4 does not have
 *                them, so that ring-1 rdtsc need not trap), DE, MCE, VMXE, SMXE, FSGSBASE, PKE,
 *                PKS (nothing to do in 32-bit paging). PSE, PGE and PAE are the shadow's business
 *                (emulate.c).
 *   stac / clac  #UD at ring 1: emulated as they act at ring 0 (EFLAGS.AC, which the CPU's SMAP
 *                check reads at ring 1 as well).
 *   xsetbv       #GP at ring 1: checked as the CPU checks it, then done for real, so xgetbv,
 *                xsave/xrstor and the sizes in CPUID leaf 0xD show the guest its own XCR0.
 *   the state    each VM has a XSAVE_AREA-byte save area. A machine switch saves x87/SSE with
 *                fxsave (whatever XCR0 says) and the VM's extended components (AVX, ...) with
 *                xsave, and loads the next VM's the same way after setting its CR4 and XCR0.
 *                Components the next VM cannot see are first put in their initial state, so
 *                no register contents pass from one VM to another.
 *   CR0.MP/EM/TS the guest's are mirrored too: while it runs the real CR0 has them, so its x87,
 *                MMX and SSE instructions fault exactly as the CPU decides (TS: #NM; EM: #NM for
 *                x87 and fxsave, #UD for MMX and SSE; MP with TS: wait/fwait #NM), and the #NM
 *                or #UD is reflected to the guest like any other exception. The VMM's own
 *                fxsave/xsave/xrstor below would fault the same way, so they run with the
 *                three bits clear (fpu_open) and put the guest's back afterwards.
 * XCR0 components that do not fit the save area (AMX tiles) are left out: xsetbv with them is
 * a #GP, which the boot log announces. */
#include "vm.h"
#include "xfeat.h"
#include "../cpu.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

#define CR4_VME        (1u << 0)
#define CR4_PVI        (1u << 1)
#define CR4_TSD        (1u << 2)
#define CR4_DE         (1u << 3)
#define CR4_PAE        (1u << 5)
#define CR4_MCE        (1u << 6)
#define CR4_PGE        (1u << 7)
#define CR4_PCE        (1u << 8)
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_VMXE       (1u << 13)
#define CR4_SMXE       (1u << 14)
#define CR4_FSGSBASE   (1u << 16)
#define CR4_PKE        (1u << 22)
#define CR4_PKS        (1u << 24)

#define MIRRORED (CR4_SMEP | CR4_SMAP | CR4_UMIP | CR4_OSXSAVE)

static uint32_t cr4_ok;          /* CR4 bits a guest may set on this CPU */
static uint64_t xcr0_ok;         /* XCR0 bits it may set (and that fit the save area) */
static int smap;
static uint64_t host_cr4;        /* the real CR4 without the mirrored bits */
static uint64_t live_cr4;        /* the real CR4 now */
static uint64_t live_ext;        /* extended components (XCR0 bit 2 up) holding a VM's registers */
/* The guest's CR0 bits the real CR0 takes while it runs: MP, EM and TS (its #NM), and NE: an x87
 * error is #MF with it, FERR# (IRQ 13, and the instruction goes on) without (tests/fuzz 9:7266:
 * the VMM ran with NE clear, and a guest's fwait with an error pending went on). */
#define CR0_FPU (CR0_MP | CR0_EM | CR0_TS | CR0_NE)
static uint64_t live_cr0;        /* the real CR0 now */
/* XSTATE_BV = 0 everywhere: xrstor from it puts components in their initial state. */
static uint8_t init_area[XSAVE_AREA] __attribute__((aligned(64)));

void xfeat_init(void)
{
	uint32_t r1[4], r7[4] = { 0 }, r[4];
	cpuid(0, 0, r);
	uint32_t max = r[0];
	cpuid(1, 0, r1);
	if (max >= 7)
		cpuid(7, 0, r7);
	uint32_t d = r1[3], c = r1[2];
	cr4_ok = CR4_PCE | CR4_PAE /* refused by the shadow, not by the CPU */;
	cr4_ok |= (d & (1u << 1)) ? CR4_VME | CR4_PVI : 0;
	cr4_ok |= (d & (1u << 4)) ? CR4_TSD : 0;
	cr4_ok |= (d & (1u << 2)) ? CR4_DE : 0;
	cr4_ok |= (d & (1u << 3)) ? CR4_PSE : 0;
	cr4_ok |= (d & (1u << 7)) ? CR4_MCE : 0;
	cr4_ok |= (d & (1u << 13)) ? CR4_PGE : 0;
	cr4_ok |= (d & (1u << 24)) ? CR4_OSFXSR | CR4_OSXMMEXCPT : 0;
	cr4_ok |= (c & (1u << 5)) ? CR4_VMXE : 0;
	cr4_ok |= (c & (1u << 6)) ? CR4_SMXE : 0;
	cr4_ok |= (c & (1u << 26)) ? CR4_OSXSAVE : 0;
	cr4_ok |= (r7[1] & (1u << 0)) ? CR4_FSGSBASE : 0;
	cr4_ok |= (r7[1] & (1u << 7)) ? CR4_SMEP : 0;
	cr4_ok |= (r7[1] & (1u << 20)) ? CR4_SMAP : 0;
	cr4_ok |= (r7[2] & (1u << 2)) ? CR4_UMIP : 0;
	cr4_ok |= (r7[2] & (1u << 3)) ? CR4_PKE : 0;
	cr4_ok |= (r7[2] & (1u << 31)) ? CR4_PKS : 0;
	smap = (r7[1] >> 20) & 1;

	if (cr4_ok & CR4_OSXSAVE) {
		cpuid(0xD, 0, r);
		uint64_t all = r[0] | ((uint64_t)r[3] << 32), left = 0;
		xcr0_ok = all & 3;
		for (unsigned i = 2; i < 64; i++) {
			if (!(all & (1ULL << i)))
				continue;
			uint32_t s[4];
			cpuid(0xD, i, s);                  /* EAX size, EBX offset in the standard form */
			if ((uint64_t)s[1] + s[0] <= XSAVE_AREA)
				xcr0_ok |= 1ULL << i;
			else
				left |= 1ULL << i;
		}
		if (left)
			log_warn("vmm", "XCR0 components %llx do not fit a VM's %u-byte save area: xsetbv with them is a #GP",
				 (unsigned long long)left, XSAVE_AREA);
	}
	host_cr4 = READ_CR(4) & ~(uint64_t)MIRRORED;
	live_cr4 = READ_CR(4);
	live_cr0 = READ_CR(0);
}

/* The real CR0's MP, EM, TS and NE := bits (CR0_FPU bits only). */
static void set_cr0_fpu(uint32_t bits)
{
	uint64_t v = (live_cr0 & ~(uint64_t)CR0_FPU) | bits;
	if (v != live_cr0) {
		WRITE_CR(0, v);
		live_cr0 = v;
	}
}

/* Before the VMM's own fxsave/xsave/xrstor: with the guest's TS or EM in the real CR0 they would
 * raise #NM in the VMM. (MP is left as the guest had it: alone it changes nothing.) */
static void fpu_open(void)
{
	set_cr0_fpu((uint32_t)live_cr0 & (CR0_MP | CR0_NE));
}

void xfeat_cr0(const struct vm *vm)
{
	set_cr0_fpu(vm->cr0 & CR0_FPU);
}

int xfeat_has_smap(void)
{
	return smap;
}

void xfeat_reset(struct vm *vm)
{
	/* The FPU after reset and fninit, written out rather than read from the live registers,
	 * which may still hold another VM's values: FCW 0x37F, MXCSR 0x1F80, everything else 0. */
	memset(vm->fpu, 0, sizeof vm->fpu);
	vm->fpu[0] = 0x7F;
	vm->fpu[1] = 0x03;
	vm->fpu[24] = 0x80;
	vm->fpu[25] = 0x1F;
	vm->xcr0 = 1;
}

static uint64_t ext_of(const struct vm *vm)
{
	return (vm->cr4 & CR4_OSXSAVE) ? vm->xcr0 & ~3ULL : 0;
}

/* UMIP is on in the real CR4 whenever the CPU has it, whatever the guest's own bit says: then
 * sgdt & co. fault at rings 1 and 3 and the VMM answers them (emulate.c emulate_umip). */
int xfeat_umip_forced(void)
{
	return (cr4_ok & CR4_UMIP) != 0;
}

static void set_cr4(uint32_t guest_cr4)
{
	uint64_t v = host_cr4 | (guest_cr4 & MIRRORED) | (cr4_ok & CR4_UMIP);
	if (v != live_cr4) {
		WRITE_CR(4, v);
		live_cr4 = v;
	}
}

static void xsetbv0(uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static void xsave_ext(uint8_t *area, uint64_t mask)
{
	__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t(*)[XSAVE_AREA])area) : "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

static void xrstor_ext(const uint8_t *area, uint64_t mask)
{
	__asm__ volatile("xrstor64 %0" : : "m"(*(const uint8_t(*)[XSAVE_AREA])area), "a"((uint32_t)mask),
			 "d"((uint32_t)(mask >> 32)) : "memory");
}

int xfeat_write_cr4(struct vm *vm, uint32_t v)
{
	if (v & ~cr4_ok)
		return -1;
	uint32_t old = vm->cr4;
	if (((old & ~v) & CR4_OSXSAVE) && live_ext) {
		/* Extended state that becomes unreachable is put in its initial state now (a CPU would
		 * keep it), so that nothing is left in the registers for the next VM to find. */
		fpu_open();
		xrstor_ext(init_area, live_ext);
		xfeat_cr0(vm);
		live_ext = 0;
	}
	vm->cr4 = v;
	set_cr4(v);
	if ((v & ~old) & CR4_OSXSAVE) {
		xsetbv0(vm->xcr0);                      /* XCR0 as this VM last left it */
		live_ext = ext_of(vm);
	}
	return 0;
}

int xfeat_xsetbv(struct vm *vm, uint32_t ecx, uint64_t v)
{
	/* The CPU's checks (SDM, XSETBV): only XCR0; x87 always on; AVX needs SSE; the MPX pair, the
	 * AVX-512 triple (with AVX) and the AMX pair all or nothing; nothing the CPU lacks. */
	uint64_t z = (v >> 5) & 7;
	if (ecx != 0 || !(v & 1) || (v & ~xcr0_ok) || ((v & 4) && !(v & 2)) ||
	    ((v >> 3) & 1) != ((v >> 4) & 1) || (z && (z != 7 || !(v & 4))) ||
	    ((v >> 17) & 1) != ((v >> 18) & 1))
		return -1;
	if (live_ext & ~v) {
		fpu_open();
		xrstor_ext(init_area, live_ext & ~v);  /* components switched off: initial state, as above */
		xfeat_cr0(vm);
	}
	xsetbv0(v);
	vm->xcr0 = v;
	live_ext = ext_of(vm);
	return 0;
}

void xfeat_save(struct vm *vm)
{
	fpu_open();
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])vm->fpu));
	uint64_t ext = ext_of(vm);
	if (ext)
		xsave_ext(vm->fpu, ext);
}

void xfeat_load(struct vm *vm)
{
	uint64_t ext = ext_of(vm);
	/* Still under the previous VM's CR4 and XCR0: whatever of its extended state the next VM
	 * could read goes back to the initial state first. */
	fpu_open();
	if (live_ext & ~ext)
		xrstor_ext(init_area, live_ext & ~ext);
	set_cr4(vm->cr4);
	if (vm->cr4 & CR4_OSXSAVE)
		xsetbv0(vm->xcr0);
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])vm->fpu));
	if (ext)
		xrstor_ext(vm->fpu, ext);
	live_ext = ext;
	xfeat_cr0(vm);                           /* its MP, EM, TS from now on */
}
