/* main.c - kmain(): the VMM's boot sequence on x86-64, in the order things become available.
 *
 *   1. consoles (COM1, then the screen GRUB describes), banner
 *   2. the multiboot2 information: memory map, command line, modules
 *   3. boot options (unknown ones are reported by name)
 *   4. machine memory: the frame allocator over usable RAM minus the VMM, the information, modules
 *   5. CPU tables: GDT + TSS (IST stacks), IDT; the PIC and the PIT timer; interrupts on
 *   6. with `test`: the in-kernel self tests (KTAP on COM1), then leave QEMU with their verdict;
 *      otherwise: start the guests. */
#include "cpu.h"
#include "console.h"
#include "multiboot.h"
#include "acpi.h"
#include "desc.h"
#include "pic.h"
#include "trap.h"
#include "boot.h"
#include "load/load.h"
#include "../../mm/frame.h"
#include "../../vcpu/vmconfig.h"
#include "../../lib/kstring.h"
#include "../../lib/format.h"
#include "../../lib/log.h"
#include "../../lib/options.h"

extern char __image_start[], __image_end[];

struct option boot_options[] = {
	{ "test", OPT_FLAG, "run the VMM self tests and exit", 0, 0, "" },
	{ "loglevel", OPT_NUM, "0 errors .. 3 debug", 0, 0, "" },
	{ "timer_hz", OPT_NUM, "VMM timer frequency, 18..10000", 0, 0, "" },
	{ "timer", OPT_STR, "the VMM's tick: apic (the local APIC, default; the PIT if there is none) or pit", 0, 0, "" },
	{ "console", OPT_STR, "serial, screen or both", 0, 0, "" },
	{ "vms", OPT_NUM, "number of VMs, 1..8 (modules are reused round-robin)", 0, 0, "" },
	{ "mem", OPT_SIZE, "RAM of each VM, e.g. 64M", 0, 0, "" },
	{ "trace", OPT_STR, "flows to trace: syscall, trap, switch (comma-separated)", 0, 0, "" },
	{ "fast", OPT_STR, "the short paths for common traps: on (default) or off", 0, 0, "" },
	{ "shadow", OPT_STR, "shadow page tables: trace (default) or vtlb, or one word per VM (trace,vtlb,...)", 0, 0, "" },
	{ "shadow_mem", OPT_SIZE, "bound on each VM's traced shadow tables (default RAM/32, at least 1M)", 0, 0, "" },
	{ "share", OPT_NUM, "content-based page sharing: frames each VM's scanner hashes per tick (0 = off, default)", 0, 0, "" },
	{ "zstore", OPT_SIZE, "bound of the compressed store the VMM pages guest frames out to (default 1/8 of memory; 0 = none)", 0, 0, "" },
	{ "balloon", OPT_STR, "balloon targets, one size per VM (e.g. 16M,0,32M), for guests with a balloon driver", 0, 0, "" },
	{ "stats", OPT_NUM, "every N seconds, print each VM's exit counts (1..3600)", 0, 0, "" },
	{ "crash", OPT_FLAG, "fault in the VMM on purpose, to show the register dump", 0, 0, "" },
};
const unsigned n_boot_options = sizeof boot_options / sizeof boot_options[0];

struct boot_info boot;

struct option *boot_option(const char *key)
{
	return option_find(boot_options, n_boot_options, key);
}
static int console_screen = 1;
uint64_t boot_tsc;

static char problems[8][160];
static int nproblems;

static void keep_problem(const char *msg)
{
	if (nproblems < 8)
		memcpy(problems[nproblems++], msg, strlen(msg) + 1 < 160 ? strlen(msg) + 1 : 159);
}

static const char *mmap_type(uint32_t t)
{
	switch (t) {
	case 1: return "usable";
	case 2: return "reserved";
	case 3: return "ACPI reclaimable";
	case 4: return "ACPI NVS";
	case 5: return "bad RAM";
	default: return "other";
	}
}

static void screen_init(void)
{
	if (!console_screen)
		return;
	if (boot.have_fb && boot.fb.type == 2)          /* EGA text mode */
		vga_init(boot.fb.phys, boot.fb.width, boot.fb.height, boot.fb.pitch);
	else if (boot.have_fb && boot.fb.type == 1)
		fb_init(&boot.fb);
	else if (!boot.efi)
		vga_init(0xB8000, 80, 25, 160);         /* no tag, BIOS: the classic text screen */
}

static void memory_init(void)
{
	uint64_t top = 0, usable = 0;
	log_info("mem", "machine memory map (from %s):", boot.loader);
	for (int i = 0; i < boot.nmmap; i++) {
		struct mb_mmap *m = &boot.mmap[i];
		kprintf("    %016lx-%016lx %-16s %lu KiB\n", m->base, m->base + m->len - 1, mmap_type(m->type),
			m->len >> 10);
		if (m->type != 1)
			continue;
		frame_add_usable(m->base, m->len);
		usable += m->len;
		if (m->base + m->len > top)
			top = m->base + m->len;
	}
	/* Never hand out: the first MiB (BIOS data, real-mode IVT, EBDA), the VMM image (including
	 * its bss and boot page tables), the boot information, and every module. */
	frame_add_reserved(0, 1 << 20);
	frame_add_reserved(virt_to_phys(__image_start), (uint64_t)(__image_end - __image_start));
	frame_add_reserved(boot.info_phys, boot.info_size);
	for (int i = 0; i < boot.nmod; i++)
		frame_add_reserved(boot.mod[i].start, boot.mod[i].end - boot.mod[i].start);
	const char *why;
	if (usable == 0 || frame_init(PHYSMAP_BASE, &why) < 0)
		panic("no usable memory: %s", usable == 0 ? "the memory map lists no usable RAM" : why);
	if (top > (4ULL << 30))
		paging_extend_physmap(top);
	struct frame_stats st;
	frame_get_stats(&st);
	log_info("mm", "%lu frames managed (%lu MiB), %lu free, %lu reserved", st.managed,
		 st.managed >> 8, st.free, st.reserved);
}

static int is_elf(const struct mb_module *m)
{
	const uint8_t *p = phys_to_virt(m->start);
	return m->end - m->start >= 52 && p[0] == 0x7F && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
}

static void list_modules(void)
{
	if (boot.nmod == 0)
		log_info("boot", "no modules (no guests to run)");
	for (int i = 0; i < boot.nmod; i++) {
		struct mb_module *m = &boot.mod[i];
		log_info("boot", "module %d: %08lx-%08lx %lu bytes '%s'", i, m->start, m->end - 1, m->end - m->start,
			 m->cmdline);
		int slot;
		if (vmc_classify(m->cmdline, &slot) == VMC_KERNEL && !is_elf(m) &&
		    !is_bzimage(phys_to_virt(m->start), m->end - m->start))
			log_err("boot", "module %d ('%s') is neither an ELF file nor a Linux bzImage; it cannot be a guest",
				i, m->cmdline);
	}
}

/* The CPUs the firmware's MADT lists: this one runs the VMM; the others are never started. */
static void report_cpus(const struct acpi_info *a)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	unsigned me = r[1] >> 24;
	if (!a->found) {
		log_info("cpu", "no ACPI tables: %s; one CPU used (APIC ID %u)", a->why, me);
		return;
	}
	if (!a->ncpus) {
		log_info("cpu", "ACPI tables without a MADT; one CPU used (APIC ID %u)", me);
		return;
	}
	char ids[200];
	int n = 0;
	for (unsigned i = 0; i < a->ncpus && i < ACPI_MAX_CPUS && n < (int)sizeof ids - 12; i++)
		n += snprintf_(ids + n, sizeof ids - (size_t)n, " %u", a->apic_id[i]);
	log_info("cpu", "the MADT lists %u CPU%s (APIC IDs%s%s); the VMM runs on APIC ID %u%s", a->ncpus,
		 a->ncpus == 1 ? "" : "s", ids, a->ncpus > ACPI_MAX_CPUS ? " ..." : "", me,
		 a->ncpus > 1 ? ", the others stay parked (never started)" : "");
}

void kmain(uint32_t magic, uint32_t info)
{
	boot_tsc = rdtsc();
	serial_init();
	const char *why = 0;
	if (magic != 0x36D76289 && magic != 0x2BADB002) {
		vga_init(0xB8000, 80, 25, 160);
		panic("not started by a multiboot loader (magic %08x)", magic);
	}
	if ((magic == 0x2BADB002 ? multiboot1_parse : multiboot_parse)(info, &boot, &why) < 0) {
		vga_init(0xB8000, 80, 25, 160);
		panic("bad multiboot information: %s", why);
	}
	/* Options first, so console= can choose the screen before anything is printed; the problems
	 * they report are kept and printed after the banner. */
	options_parse(boot.cmdline, boot_options, n_boot_options, keep_problem);
	struct option *o = option_find(boot_options, n_boot_options, "console");
	int bad_console = o->set && strcmp(o->str, "serial") && strcmp(o->str, "screen") && strcmp(o->str, "both");
	if (o->set && strcmp(o->str, "serial") == 0 && serial_present())
		console_screen = 0;
	screen_init();

	kprintf("\nvmm: a shadow-paging virtual machine monitor for x86-64 (%s boot via %s)\n",
		boot.efi ? "UEFI" : "BIOS", boot.loader);
	log_info("boot", "command line: '%s'", boot.cmdline);
	for (int i = 0; i < nproblems; i++)
		log_warn("boot", "%s", problems[i]);
	if (bad_console)
		log_warn("boot", "bad value in boot option 'console=%s' (serial, screen or both)", o->str);
	if (!serial_present())
		log_warn("boot", "no serial port (COM1 at 0x3F8 does not answer): console on the screen only%s",
			 o->set && strcmp(o->str, "serial") == 0 ? ", not serial as console=serial asked" : "");
	if (kbd_init())
		log_info("boot", "console input: %sthe PS/2 keyboard", serial_present() ? "the serial line and " : "");
	else
		log_info("boot", "console input: %s (no PS/2 keyboard controller answers)",
			 serial_present() ? "the serial line only" : "none");
	o = option_find(boot_options, n_boot_options, "loglevel");
	if (o->set)
		log_threshold = o->num > 3 ? LOG_DEBUG : (enum log_level)o->num;

	memory_init();
	struct acpi_info acpi;
	acpi_scan(boot.rsdp_phys, &acpi);
	report_cpus(&acpi);
	paging_drop_identity();
	paging_espfix();
	list_modules();

	gdt_init();
	idt_init();
	pic_init();
	o = option_find(boot_options, n_boot_options, "timer_hz");
	unsigned hz = 1000;
	if (o->set && (o->num < 18 || o->num > 10000))
		log_warn("boot", "timer_hz=%llu out of range 18..10000; using 100", o->num);
	else if (o->set)
		hz = (unsigned)o->num;
	o = option_find(boot_options, n_boot_options, "timer");
	if (o->set && strcmp(o->str, "pit") && strcmp(o->str, "apic"))
		log_warn("boot", "bad value in boot option 'timer=%s' (apic or pit); using apic", o->str);
	timer_init(hz, !(o->set && strcmp(o->str, "pit") == 0), (uint16_t)acpi.pm_timer_port, acpi.pm_timer_32);
	sti();
	log_info("cpu", "TSC %lu.%03lu MHz (calibrated against %s), timer %u Hz from the %s%s%s%s; boot took %lu ms",
		 tsc_khz / 1000, tsc_khz % 1000, tsc_source, hz, timer_source, timer_no_apic ? " (not the local APIC: " : "",
		 timer_no_apic ? timer_no_apic : "", timer_no_apic ? ")" : "",
		 (rdtsc() - boot_tsc) / tsc_khz);

	if (option_find(boot_options, n_boot_options, "crash")->set)
		selftest_crash();
	if (option_find(boot_options, n_boot_options, "test")->set)
		vmm_exit(selftest_run());
	vmm_start_guests();
	for (;;)
		hlt();
}
