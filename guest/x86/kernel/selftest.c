/* selftest.c - test mode, kernel half: prints the KTAP header and checks, before any user
 * process runs, that the machine is in the state the kernel put it in. Under a VMM these are
 * exactly the reads that would reveal it (CS/SS RPL, sgdt/sidt/sldt/str/smsw) and the
 * operations it must emulate faithfully (IF in pushf/popf, timer, int3, invlpg, A/D bits). */
#include "kernel.h"
#include "x86.h"
#include "../include/ktest.h"
#include "../include/hypercall.h"
#include "../include/abi.h"
#include "drivers.h"

int ktest_failed;
static int ktest_no;

void ktest_skip(const char *name, const char *why)
{
	ktest_no++;
	kprintf("ok %d %s # SKIP %s\n", ktest_no, name, why);
}

void ktest_report(int ok, const char *name)
{
	ktest_no++;
	kprintf("%sok %d %s\n", ok ? "" : "not ", ktest_no, name);
	if (!ok)
		ktest_failed++;
}

static int check_flags(void)
{
	uint32_t f0, f1, f2, f3, f4, s;

	cli();
	f0 = read_eflags();
	sti();
	f1 = irq_save();	/* returns flags with IF=1, leaves IF=0 */
	f2 = read_eflags();
	irq_restore(f1);
	f3 = read_eflags();
	cli();
	s = irq_save();
	irq_restore(s);		/* popf must not turn IF back on */
	f4 = read_eflags();
	return !(f0 & EFLAGS_IF) && (f1 & EFLAGS_IF) && !(f2 & EFLAGS_IF) && (f3 & EFLAGS_IF) &&
	       !(f4 & EFLAGS_IF);
}

static int check_timer(void)
{
	uint32_t t0 = ticks;
	uint64_t c0;
	__asm__ volatile("rdtsc" : "=A"(c0));
	sti();
	while (ticks - t0 < 3)
		hlt();
	cli();
	uint64_t c1;
	__asm__ volatile("rdtsc" : "=A"(c1));
	return ticks - t0 >= 3 && c1 > c0;
}

static int check_frames(void)
{
	unsigned n0 = frames_free();
	uint32_t a = frame_alloc(), b = frame_alloc();
	int ok = a && b && a != b && frames_free() == n0 - 2;
	frame_get(a);
	ok = ok && frame_refs(a) == 2;
	frame_put(a);
	ok = ok && frame_refs(a) == 1 && frames_free() == n0 - 2;
	frame_put(a);
	frame_put(b);
	return ok && frames_free() == n0;
}

/* Remap the scratch page from one frame to another: invlpg must drop the stale translation. */
static int check_invlpg(void)
{
	uint32_t a = frame_alloc(), b = frame_alloc();
	volatile uint32_t *w = (volatile uint32_t *)SCRATCH_VA;
	int ok;

	*(uint32_t *)a = 0x11111111;
	*(uint32_t *)b = 0x22222222;
	scratch_map(a);
	ok = *w == 0x11111111;
	scratch_map(b);
	ok = ok && *w == 0x22222222;
	*w = 0x33333333;
	ok = ok && *(uint32_t *)b == 0x33333333 && *(uint32_t *)a == 0x11111111;
	frame_put(a);
	frame_put(b);
	return ok;
}

/* The CPU sets A on a read and D on a write; after clearing them (and invlpg) it sets them again. */
static int check_accessed_dirty(void)
{
	uint32_t a = frame_alloc();
	volatile uint32_t *pte = scratch_pte();	/* the CPU writes it behind our back */
	volatile uint32_t *w = (volatile uint32_t *)SCRATCH_VA;
	int ok;

	scratch_map(a);
	(void)*w;
	ok = (*pte & PTE_A) && !(*pte & PTE_D);
	*w = 1;
	ok = ok && (*pte & PTE_D);
	*pte &= ~(PTE_A | PTE_D);
	invlpg(SCRATCH_VA);
	ok = ok && !(*pte & (PTE_A | PTE_D));
	(void)*w;
	ok = ok && (*pte & PTE_A) && !(*pte & PTE_D);
	*w = 2;
	ok = ok && (*pte & PTE_D);
	frame_put(a);
	return ok;
}

/* HC_FRAME_FREE: a frame given back reads zero at its next touch; a frame in use by the
 * descriptor tables, or past the end of RAM, is refused. */
static int check_frame_free(void)
{
	uint32_t a = frame_alloc();
	volatile uint32_t *w = (volatile uint32_t *)a;
	w[0] = 0xAB, w[1023] = 0xCD;
	int ok = hcall(HC_FRAME_FREE, a / PAGE, 0, 0, 0) == 0 && w[0] == 0 && w[1023] == 0 &&
		 hcall(HC_FRAME_FREE, (uint32_t)gdt / PAGE, 0, 0, 0) == HC_EINVAL &&
		 hcall(HC_FRAME_FREE, 0xFFFFFFFFu, 0, 0, 0) == HC_EINVAL;
	frame_put(a);
	return ok;
}

/* The hypercall ABI (include/hypercall.h): on bare metal the probe is answered by our own
 * handler and nothing else happens; under the VMM every call answers as documented, a bad
 * argument with its error code (and the VM goes on). */
static int check_hypercalls(void)
{
	static const char line[] = "# hypercall: a line written by HC_CONSOLE_WRITE\n";
	static volatile uint32_t cell[2];
	static struct hc_mmu_update u[3];
	uint32_t o[3], probe[3];
	int32_t r = hcall(HC_PROBE, 0, 0, 0, probe);
	if (r == HC_NOVMM)
		return 1;
	/* HC_MMU_UPDATE: two good stores, then (third entry) an unaligned one: the error, 2 done */
	u[0] = (struct hc_mmu_update){ (uint32_t)&cell[0], 0x5EC0DE11u };
	u[1] = (struct hc_mmu_update){ (uint32_t)&cell[1], 0x5EC0DE12u };
	u[2] = (struct hc_mmu_update){ (uint32_t)&cell[0] + 1, 0 };
	int mmu_ok = hcall(HC_MMU_UPDATE, (uint32_t)u, 2, 0, 0) == 2 && cell[0] == 0x5EC0DE11u &&
		     cell[1] == 0x5EC0DE12u && hcall(HC_MMU_UPDATE, (uint32_t)u, 3, 0, o) == HC_EINVAL && o[2] == 2;
	u[0].gpa = 0xFFFFF000u;		/* not RAM */
	mmu_ok = mmu_ok && hcall(HC_MMU_UPDATE, (uint32_t)u, 1, 0, o) == HC_EINVAL && o[2] == 0 &&
		 hcall(HC_MMU_UPDATE, USER_BASE, 1, 0, 0) == HC_EFAULT &&
		 hcall(HC_MMU_UPDATE, (uint32_t)u, HC_MMU_MAX + 1, 0, 0) == HC_EINVAL &&
		 hcall(HC_MMU_UPDATE, (uint32_t)u, 0, 0, 0) == 0 &&
		 /* ... and CR3 loaded after the batch (the kernel's own directory again); without the
		  * flag bit, or past RAM: refused */
		 hcall(HC_MMU_UPDATE, (uint32_t)u, 0, (uint32_t)kernel_pd | HC_MMU_CR3, 0) == 0 &&
		 read_cr3() == (uint32_t)kernel_pd &&
		 hcall(HC_MMU_UPDATE, (uint32_t)u, 0, (uint32_t)kernel_pd, 0) == HC_EINVAL &&
		 hcall(HC_MMU_UPDATE, (uint32_t)u, 0, 0xFFFFF000u | HC_MMU_CR3, 0) == HC_EINVAL;
	return mmu_ok && r == 0 && probe[0] == HC_SIGNATURE && probe[1] == HC_VERSION &&
	       probe[2] == (1u << HC_NCALLS) - 1 &&
	       hcall(HC_CONSOLE_WRITE, (uint32_t)line, sizeof line - 1, 0, 0) == (int32_t)sizeof line - 1 &&
	       hcall(HC_CONSOLE_WRITE, (uint32_t)line, 0, 0, 0) == 0 &&
	       hcall(HC_CONSOLE_WRITE, USER_BASE, 16, 0, 0) == HC_EFAULT &&	/* (no process yet: unmapped) */
	       hcall(HC_CONSOLE_WRITE, 0xFFFFFFF0u, 64, 0, 0) == HC_EFAULT &&	/* past 4 GiB */
	       hcall(HC_CONSOLE_WRITE, (uint32_t)line, HC_CONSOLE_MAX + 1, 0, 0) == HC_EINVAL &&
	       hcall(HC_NCALLS, 0, 0, 0, 0) == HC_ENOSYS && hcall(0xFFFF, 0, 0, 0, 0) == HC_ENOSYS &&
	       hcall(HC_YIELD, 0, 0, 0, 0) == 0 &&
	       hcall(HC_BALLOON, 0xFFFFFFFFu, 0, 0, 0) == HC_EINVAL &&	/* more frames than the VM has */
	       hcall(HC_BALLOON, balloon_frames(), 0, 0, 0) >= 0 &&
	       hcall(HC_SET_KSTACK, 0x1000, 0x10000, 0, 0) == HC_EINVAL &&
	       /* (set, then back to the TSS: no process runs yet, whatever pv decided) */
	       hcall(HC_SET_KSTACK, 0x1000, KDATA_SEL, 0, 0) == 0 && hcall(HC_SET_KSTACK, 0, 0, 0, 0) == 0 &&
	       check_frame_free();
}

void ktest_kernel(void)
{
	struct dtr d;
	uint32_t cr0 = read_cr0();

	kprintf("KTAP version 1\n1..%d\n",
		KTEST_KERNEL_COUNT + (opt_devtest ? KTEST_DEV_COUNT : 0) + KTEST_USER_COUNT);
	ktest_report(read_cs() == KCODE_SEL, "selfcheck_cs");
	ktest_report(read_ss() == KDATA_SEL, "selfcheck_ss");
	sgdt(&d);
	ktest_report(d.base == (uint32_t)gdt && d.limit == gdt_size - 1, "selfcheck_sgdt");
	sidt(&d);
	ktest_report(d.base == (uint32_t)idt_base() && d.limit == IDT_BYTES - 1, "selfcheck_sidt");
	ktest_report(sldt() == 0, "selfcheck_sldt");
	ktest_report(str() == TSS_SEL, "selfcheck_str");
	ktest_report(smsw() == (cr0 & 0xFFFF) && (smsw() & CR0_PE), "selfcheck_smsw");
	ktest_report((cr0 & (CR0_PE | CR0_PG | CR0_WP)) == (CR0_PE | CR0_PG | CR0_WP) &&
		       (read_cr4() & CR4_PSE) && read_cr3() == (uint32_t)kernel_pd,
	       "selfcheck_paging_registers");
	ktest_report(check_flags(), "pushf_cli_popf");
	ktest_report(check_timer(), "pit_timer_ticks");
	breakpoint_hits = 0;
	__asm__ volatile("int3");
	ktest_report(breakpoint_hits == 1, "kernel_int3_trap");
	ktest_report(check_frames(), "frame_refcounts");
	ktest_report(check_invlpg(), "invlpg_remap");
	ktest_report(check_accessed_dirty(), "kernel_pte_accessed_dirty");
	{
		static volatile uint32_t probe[2] = { 0x5EC0DE01u, 0x5EC0DE02u };
		ktest_report(gdt_live_write_read((uint32_t)&probe[1]) == 0x5EC0DE02u &&
			     gdt_live_write_read((uint32_t)&probe[0]) == 0x5EC0DE01u, "gdt_live_write");
	}
	ktest_report(check_hypercalls(), "hypercall_abi");
	ktest_report(memcheck_run(), "memcheck_checksums");
	cputest_run();
	tasktest_run();
	if (ktest_no != KTEST_KERNEL_COUNT)
		panic("KTEST_KERNEL_COUNT is %d, ran %d", KTEST_KERNEL_COUNT, ktest_no);
	if (opt_devtest) {
		devtest_run();
		if (ktest_no != KTEST_KERNEL_COUNT + KTEST_DEV_COUNT)
			panic("KTEST_DEV_COUNT is %d, ran %d", KTEST_DEV_COUNT, ktest_no - KTEST_KERNEL_COUNT);
	}
}

int ktest_next(void)
{
	return ktest_no + 1;
}
