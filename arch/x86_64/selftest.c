/* selftest.c - the VMM's in-kernel self tests, run with the boot option `test`.
 *
 * Each test checks one piece of the foundation on the real (or emulated) machine and prints one
 * KTAP line on the consoles; the runner (tests/runner.py) reads them from COM1. */
#include "cpu.h"
#include "trap.h"
#include "pic.h"
#include "desc.h"
#include "boot.h"
#include "../../mm/frame.h"
#include "../../lib/format.h"
#include "../../lib/kstring.h"
#include "../../lib/log.h"

void kmain(uint32_t, uint32_t);

/* --- expected faults: the hook records the vector and resumes at a recovery address --- */
static volatile uint64_t seen_vector, seen_cr2, seen_error;
static volatile uint64_t resume_at;

static int expect_fault(struct trapframe *tf)
{
	if (!resume_at)
		return 0;
	seen_vector = tf->vector;
	seen_error = tf->error;
	seen_cr2 = READ_CR(2);
	tf->rip = resume_at;
	resume_at = 0;
	return 1;
}

static int t_format(void)
{
	char b[96];
	snprintf_(b, sizeof b, "%d|%5u|%-4x|%08lx|%s|%c|%%|%lld|%p", -42, 7u, 0xabu, 0x1234UL, "s", 'c', -1LL,
		  (void *)0x10);
	return strcmp(b, "-42|    7|ab  |00001234|s|c|%|-1|0x10") == 0;
}

static int problems_seen;
static void count_problem(const char *msg)
{
	problems_seen += strncmp(msg, "unknown boot option 'zz=1'", 26) == 0;
}

static int t_options(void)
{
	struct option o[] = { { "a", OPT_FLAG, "", 0, 0, "" }, { "n", OPT_SIZE, "", 0, 0, "" } };
	problems_seen = 0;
	int bad = options_parse("a n=64M zz=1", o, 2, count_problem);
	return bad == 1 && problems_seen == 1 && o[0].set && o[1].num == (64ULL << 20);
}

static int t_frames(void)
{
	struct frame_stats before, after;
	frame_get_stats(&before);
	mfn_t one, run;
	if (frame_alloc(5, &one) < 0 || frame_owner(one) != 5)
		return 0;
	if (frame_alloc_run(5, 512, 512, &run) < 0 || (run & 511) != 0 || frame_owner(run + 511) != 5)
		return 0;
	uint8_t *p = phys_to_virt(run << 12);
	p[0] = 1;
	p[512 * 4096 - 1] = 2;                     /* the whole run is mapped and writable */
	if (frame_free_all(5) != 513)
		return 0;
	frame_get_stats(&after);
	return after.free == before.free && after.owned[5] == 0;
}

static int t_timer(void)
{
	uint64_t t0 = ticks, start = rdtsc();
	while (ticks < t0 + 3 && rdtsc() - start < tsc_khz * 2000)
		hlt();
	return ticks >= t0 + 3;
}

static int t_ud(void)
{
	seen_vector = ~0ULL;
	__asm__ volatile("leaq 1f(%%rip), %%rax; movq %%rax, %0; ud2; 1:" : "=m"(resume_at) : : "rax", "memory");
	return seen_vector == 6;
}

static int t_low_half_unmapped(void)
{
	/* The identity map is gone: the VMM sees nothing below 4 GiB, which belongs to guests. */
	seen_vector = ~0ULL;
	__asm__ volatile("leaq 1f(%%rip), %%rax; movq %%rax, %0; movq (0x1000), %%rax; 1:"
			 : "=m"(resume_at) : : "rax", "memory");
	return seen_vector == 14 && seen_cr2 == 0x1000 && (seen_error & 1) == 0;
}

static int t_breakpoint(void)
{
	seen_vector = ~0ULL;
	__asm__ volatile("leaq 1f(%%rip), %%rax; movq %%rax, %0; int3; 1:" : "=m"(resume_at) : : "rax", "memory");
	return seen_vector == 3;
}

static int t_ksyms(void)
{
	uint64_t off = 1;
	const char *s = ksym_lookup((uint64_t)kmain + 3, &off);
	return s && strcmp(s, "kmain") == 0 && off == 3;
}

static int t_tss(void)
{
	uint16_t tr;
	__asm__ volatile("str %0" : "=r"(tr));
	return tr == SEL_TSS;
}

struct test { const char *name; int (*fn)(void); };

int selftest_run(void)
{
	static const struct test tests[] = {
		{ "format", t_format },
		{ "boot_options", t_options },
		{ "frames_alloc_free_owner", t_frames },
		{ "timer_ticks", t_timer },
		{ "exception_ud_recovered", t_ud },
		{ "low_4g_unmapped_pf", t_low_half_unmapped },
		{ "breakpoint", t_breakpoint },
		{ "ksyms_lookup", t_ksyms },
		{ "tss_loaded", t_tss },
	};
	unsigned n = sizeof tests / sizeof tests[0], failed = 0;
	trap_selftest_hook = expect_fault;
	kprintf("KTAP version 1\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		int ok = tests[i].fn();
		failed += !ok;
		kprintf("%s %u %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
	}
	trap_selftest_hook = 0;
	kprintf("# vmm self tests: %u passed, %u failed\n", n - failed, failed);
	return failed != 0;
}

/* Boot option `crash`: touch an address the VMM never maps, so the panic path (register dump,
 * symbol of RIP, halt) can itself be tested. */
__attribute__((noinline)) void selftest_crash(void)
{
	log_info("test", "faulting on purpose (boot option 'crash')");
	*(volatile uint64_t *)0xFFFF900000000000ULL = 1;
}
