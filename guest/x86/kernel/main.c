/* main.c - kmain: read the multiboot information (memory, command line), bring up the
 * machine (GDT/TSS, IDT, PIC, PIT, frames, paging) and start the first user program.
 * Command line words: `test` (KTAP suite), `bench` (benchmarks; `bench=NAME` one of them, or
 * `none`), `hz=N` (timer rate), `devtest`
 * (device tests in the suite), `apic` (IO APIC + local APIC timer), `acpioff` (ACPI power-off). */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"
#include "../include/abi.h"
#include "../include/ktest.h"
#include "../../../lib/format.h"

#define MB_BOOT_MAGIC 0x2BADB002
#define MB_INFO_MEM 0x001
#define MB_INFO_CMDLINE 0x004
#define MB_INFO_MMAP 0x040

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr;
};
struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
};

extern char kernel_start[], kernel_end[];
enum mode boot_mode = MODE_DEMO;
unsigned timer_hz = 100;
int opt_devtest, opt_apic, opt_acpioff, opt_soak;
char bench_only[32];	/* bench=NAME: that benchmark only */
uint32_t mb_mem_upper_kib;

#define MAX_RANGES 32
static uint32_t ranges[2 * MAX_RANGES];
static int nranges;
static char cmdline[256];
static enum pv_mode opt_pv = PV_AUTO;
static const char *bad_opt;	/* reported once the console format is settled */
static int bad_len;

static void add_range(uint64_t start, uint64_t end)
{
	if (end > USER_BASE)	/* only what the direct map below the user space can reach */
		end = USER_BASE;
	if (start >= end || nranges == MAX_RANGES)
		return;
	ranges[2 * nranges] = (uint32_t)start;
	ranges[2 * nranges + 1] = (uint32_t)end;
	nranges++;
}

static void read_multiboot(const struct mb_info *mbi)
{
	if (mbi->flags & MB_INFO_MEM)
		mb_mem_upper_kib = mbi->mem_upper;
	if (mbi->flags & MB_INFO_CMDLINE) {
		const char *s = (const char *)mbi->cmdline;
		size_t i;
		for (i = 0; i + 1 < sizeof(cmdline) && s[i]; i++)
			cmdline[i] = s[i];
	}
	if (mbi->flags & MB_INFO_MMAP) {
		uint32_t p = mbi->mmap_addr;
		while (p < mbi->mmap_addr + mbi->mmap_length) {
			const struct mb_mmap *m = (const void *)p;
			if (m->type == 1)
				add_range(m->addr, m->addr + m->len);
			p += m->size + 4;
		}
	} else if (mbi->flags & MB_INFO_MEM) {
		add_range(0x100000, 0x100000 + (uint64_t)mbi->mem_upper * 1024);
	}
}

static void parse_cmdline(void)
{
	const char *s = cmdline;
	while (*s) {
		const char *w;
		size_t n;
		while (*s == ' ')
			s++;
		w = s;
		while (*s && *s != ' ')
			s++;
		n = s - w;
		if (n == 4 && !strncmp(w, "test", 4))
			boot_mode = MODE_TEST;
		else if (n == 5 && !strncmp(w, "bench", 5))
			boot_mode = MODE_BENCH;
		else if (n > 6 && !strncmp(w, "bench=", 6) && n - 6 < (int)sizeof(bench_only)) {
			boot_mode = MODE_BENCH;		/* one benchmark (or `none`) */
			memcpy(bench_only, w + 6, n - 6);
			bench_only[n - 6] = 0;
		}
		else if (n == 7 && !strncmp(w, "devtest", 7))
			opt_devtest = 1;
		else if (n == 4 && !strncmp(w, "apic", 4))
			opt_apic = 1;
		else if (n == 7 && !strncmp(w, "acpioff", 7))
			opt_acpioff = 1;
		else if (n == 4 && !strncmp(w, "soak", 4))
			opt_soak = 1;
		else if (n == 2 && !strncmp(w, "pv", 2))
			opt_pv = PV_ON;
		else if (n == 4 && !strncmp(w, "nopv", 4))
			opt_pv = PV_OFF;
		else if (n > 9 && !strncmp(w, "memcheck=", 9)) {
			unsigned long long v;
			if (parse_size(w + 9, n - 9, &v) == 0 && v >= 1 && v <= 100000)
				memcheck_rounds = (unsigned)v;
			else
				bad_opt = w, bad_len = (int)n;
		}
		else if (n > 3 && !strncmp(w, "hz=", 3)) {
			unsigned long long v;
			if (parse_size(w + 3, n - 3, &v) == 0 && v >= 19 && v <= 10000)
				timer_hz = (unsigned)v;
			else
				bad_opt = w, bad_len = (int)n;
		}
	}
}

void kmain(uint32_t magic, const struct mb_info *mbi);
void kmain(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t top = 0;
	char arg[16];
	int i;

	serial_init();
	if (magic != MB_BOOT_MAGIC)
		panic("not started by a multiboot loader (eax=%#x)", magic);
	read_multiboot(mbi);
	parse_cmdline();
	for (i = 0; i < nranges; i++)
		if (ranges[2 * i + 1] > top)
			top = ranges[2 * i + 1];
	top = (top + 0x3FFFFF) & ~0x3FFFFFu;	/* whole 4 MiB pages */
	if (top < 8u << 20)
		panic("need at least 8 MiB of RAM (multiboot reports %u KiB)", top >> 10);

	gdt_init();
	idt_init();
	pv_init(opt_pv);	/* (needs the IDT: on bare metal its probe reaches our own handler) */
	pic_init();
	pit_init(timer_hz);
	intr_set_handler(VEC_IRQ0, clock_tick);
	frames_init((uint32_t)kernel_end, top, ranges, nranges);
	vm_init();
	proc_init();
	if (opt_devtest || opt_apic) {	/* what the firmware says about the machine */
		mp_scan();
		acpi_scan();
	}
	if (opt_apic && apic_setup() < 0)
		klog("guest-x86: no usable APIC (MADT/MP table, local APIC, IO APIC); staying on the 8259s\n");

	if (boot_mode == MODE_TEST)
		ktest_kernel();
	klog("guest-x86: kernel %#x-%#x, RAM top %u MiB, %u free pages, hz=%u, clock %s, cmdline '%s'\n",
	     (uint32_t)kernel_start, (uint32_t)kernel_end, top >> 20, frames_free(), timer_hz,
	     apic_mode ? "local APIC timer, IRQs through the IO APIC" : "PIT, IRQs through the 8259s",
	     cmdline);
	if (bad_opt)
		klog("guest-x86: ignoring bad option %.*s (hz must be 19..10000, memcheck 1..100000)\n", bad_len, bad_opt);
	if (boot_mode == MODE_BENCH && (!bench_only[0] || !strcmp(bench_only, "pte_modify_invlpg")))
		kbench_run();
	snprintf_(arg, sizeof(arg), "%d", ktest_next());
	proc_start_init(boot_mode == MODE_TEST ? "utest" : boot_mode == MODE_BENCH ? "ubench" : "init",
			boot_mode == MODE_TEST ? arg : boot_mode == MODE_BENCH ? bench_only : "");
}
