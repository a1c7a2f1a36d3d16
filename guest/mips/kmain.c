/* kmain.c - the guest OS from boot to the first user process.
 * Command line (argv[1], QEMU -append natively; the VMM passes one per VM): "hostile=KIND" makes
 * the kernel misbehave on purpose right after boot (see ktests.c); "bench=NAME iters=N" are for
 * init (the benchmarks; see user/main.c). The boot environment (envp) may name the VMM's special
 * page for CP0 registers (cp0page.h): then the kernel uses it. */
#include "kernel.h"
#include "cp0.h"
#include "../../lib/kstring.h"

extern uint32_t vector_refill_stub[], vector_general_stub[];
extern uint32_t vector_refill_stub_pv[], vector_general_stub_pv[];
volatile uint32_t *cp0page;
const char *kcmdline = "";
void kmain(int argc, uint32_t argv, uint32_t envp, uint32_t memsize);

static void install_vectors(void)
{
	/* EBase stays in kseg0 (the architecture says so); the stubs jump up into kseg2. */
	volatile uint32_t *refill = (uint32_t *)0x80000000u, *general = (uint32_t *)0x80000180u;
	for (int i = 0; i < 4; i++) {
		refill[i] = cp0page ? vector_refill_stub_pv[i] : vector_refill_stub[i];
		general[i] = cp0page ? vector_general_stub_pv[i] : vector_general_stub[i];
	}
	mtc0(15, 1, 0x80000000u);   /* EBase */
	mtc0(C0_STATUS, 0, 0);      /* BEV off: our vectors; kernel mode, interrupts off */
	mtc0(C0_HWRENA, 0, 0xf);    /* user may rdhwr CPUNum, SYNCI_Step, CC, CCRes */
}

static int kseg0_ptr(uint32_t p) { return p >= 0x80000000u && p < 0x81000000u; }

/* The boot environment: pairs of kseg0 pointers (name, value), ending with a null name. Only a
 * VMM offering the special page puts CP0PAGE_ENV there; natively (QEMU's Malta boot code: memsize,
 * modetty0, ...) it is absent and we stay on mfc0/mtc0. The page must be page-aligned RAM below
 * our kernel and carry the magic word. */
static void find_cp0page(uint32_t envp)
{
	extern char _start[];
	for (int i = 0; kseg0_ptr(envp) && i < 64; i += 2) {
		uint32_t *env = KVA(envp & 0x1fffffffu);
		if (!kseg0_ptr(env[i]) || !kseg0_ptr(env[i + 1]))
			return;
		if (strcmp(KVA(env[i] & 0x1fffffffu), CP0PAGE_ENV))
			continue;
		uint32_t pa = 0;
		const char *v = KVA(env[i + 1] & 0x1fffffffu);
		for (v += (v[0] == '0' && v[1] == 'x') ? 2 : 0; *v; v++)
			pa = pa * 16 + (uint32_t)(*v <= '9' ? *v - '0' : (*v | 0x20) - 'a' + 10);
		volatile uint32_t *p = KVA(pa);
		if (pa && !(pa & 0xfff) && pa + 4096 <= KPA(_start) && p[CPG_MAGIC / 4] == CP0PAGE_MAGIC)
			cp0page = p;
		return;
	}
}

void kmain(int argc, uint32_t argv, uint32_t envp, uint32_t memsize)
{
	const char *cmdline = "";
	if (argc > 1 && argv >= 0x80000000u && argv < 0x81000000u) {
		uint32_t a1 = ((uint32_t *)KVA(argv & 0x1fffffffu))[1];
		if (a1 >= 0x80000000u && a1 < 0x81000000u)
			cmdline = KVA(a1 & 0x1fffffffu);
	}
	uint32_t ram = memsize > (16u << 20) || memsize == 0 ? 16u << 20 : memsize;
	kcmdline = cmdline;
	find_cp0page(envp);
	kprintf("# guest: MIPS test OS in kseg2, %u MiB, cmdline '%s'\n", ram >> 20, cmdline);
	if (cp0page)
		kprintf("# guest: the VMM's special page at 0x%08x: CP0 registers by load/store\n",
			KPA(cp0page));
	mem_init(ram);
	install_vectors();
	if (!strncmp(cmdline, "hostile=", 8)) {
		char kind[16] = { 0 };   /* the word after hostile=, up to the next space */
		for (int i = 0; i < 15 && cmdline[8 + i] && cmdline[8 + i] != ' '; i++)
			kind[i] = cmdline[8 + i];
		hostile(kind);
	}
	kprintf("KTAP version 1\n1..%d\n", NTESTS);
	run_kernel_tests();
	proc_init();
	proc_spawn_init();
	timer_start();
	resume(schedule());
}
