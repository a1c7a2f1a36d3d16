/* kmain.c - the guest OS from boot to the first user process.
 * Command line (argv[1], QEMU -append natively; the VMM passes one per VM): "hostile=KIND" makes
 * the kernel misbehave on purpose right after boot (see ktests.c). */
#include "kernel.h"
#include "cp0.h"
#include "../../lib/kstring.h"

extern uint32_t vector_refill_stub[], vector_general_stub[];
void kmain(int argc, uint32_t argv, uint32_t envp, uint32_t memsize);

static void install_vectors(void)
{
	/* EBase stays in kseg0 (the architecture says so); the stubs jump up into kseg2. */
	volatile uint32_t *refill = (uint32_t *)0x80000000u, *general = (uint32_t *)0x80000180u;
	for (int i = 0; i < 4; i++) {
		refill[i] = vector_refill_stub[i];
		general[i] = vector_general_stub[i];
	}
	mtc0(15, 1, 0x80000000u);   /* EBase */
	mtc0(C0_STATUS, 0, 0);      /* BEV off: our vectors; kernel mode, interrupts off */
	mtc0(C0_HWRENA, 0, 0xf);    /* user may rdhwr CPUNum, SYNCI_Step, CC, CCRes */
}

void kmain(int argc, uint32_t argv, uint32_t envp, uint32_t memsize)
{
	const char *cmdline = "";
	(void)envp;
	if (argc > 1 && argv >= 0x80000000u && argv < 0x81000000u) {
		uint32_t a1 = ((uint32_t *)KVA(argv & 0x1fffffffu))[1];
		if (a1 >= 0x80000000u && a1 < 0x81000000u)
			cmdline = KVA(a1 & 0x1fffffffu);
	}
	uint32_t ram = memsize > (16u << 20) || memsize == 0 ? 16u << 20 : memsize;
	kprintf("# guest: MIPS test OS in kseg2, %u MiB, cmdline '%s'\n", ram >> 20, cmdline);
	mem_init(ram);
	install_vectors();
	if (!strncmp(cmdline, "hostile=", 8))
		hostile(cmdline + 8);
	kprintf("KTAP version 1\n1..%d\n", NTESTS);
	run_kernel_tests();
	proc_init();
	proc_spawn_init();
	timer_start();
	resume(schedule());
}
