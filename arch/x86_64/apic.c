/* apic.c - the real local APIC as the VMM's timer (not the guests' virtual one: pc/vlapic.c).
 *
 * The 8254 PIT is a legacy device that a modern PC may emulate badly or not at all, so the VMM's
 * periodic tick comes from the local APIC when the CPU has one: in TSC-deadline mode where CPUID
 * says the CPU has it (each tick arms the next at an exact TSC value: no drift, no bus-clock
 * calibration), else in periodic mode with its count calibrated against the TSC (which pic.c
 * calibrated against the PIT). The registers are reached through x2APIC MSRs when the CPU has
 * x2APIC (no memory-mapped page needed), else through the xAPIC page at the base IA32_APIC_BASE
 * names (0xFEE00000 on every PC), read through the VMM's map of machine memory. Only this CPU's
 * APIC is used: the other CPUs are never sent INIT/SIPI, so they stay parked where the firmware
 * left them. Facts: Intel SDM vol. 3A, chapter 11 (APIC) and 10.12 (x2APIC). */
#include "apic.h"
#include "cpu.h"

#define MSR_APIC_BASE   0x1B
#define MSR_TSC_DEADLINE 0x6E0
#define BASE_ENABLE     (1u << 11)
#define BASE_X2APIC     (1u << 10)
#define REG_EOI         0xB0
#define REG_SVR         0xF0
#define REG_LVT_TIMER   0x320
#define REG_TIMER_INIT  0x380
#define REG_TIMER_CUR   0x390
#define REG_TIMER_DIV   0x3E0
#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)

static int x2apic;
static volatile uint32_t *mmio;
static uint64_t period_tsc, next_deadline;
static int deadline_mode;

static uint32_t rd(unsigned reg)
{
	return x2apic ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

static void wr(unsigned reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

void apic_eoi(void)
{
	wr(REG_EOI, 0);
}

/* Called on each tick: in TSC-deadline mode the next one must be armed (one period after the
 * last deadline, or soon if the VMM fell that far behind). */
void apic_timer_rearm(void)
{
	if (!deadline_mode)
		return;
	uint64_t now = rdtsc();
	next_deadline += period_tsc;
	if (next_deadline <= now)
		next_deadline = now + period_tsc / 8 + 1;
	wrmsr(MSR_TSC_DEADLINE, next_deadline);
}

int apic_timer_start(unsigned hz, uint64_t tsc_khz, const char **how)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[3] & (1u << 9))) {
		*how = "no local APIC (CPUID)";
		return -1;
	}
	int have_x2 = (r[2] >> 21) & 1, have_deadline = (r[2] >> 24) & 1;
	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (!(base & BASE_ENABLE)) {
		*how = "the local APIC is disabled in IA32_APIC_BASE";
		return -1;
	}
	if (have_x2 && !(base & BASE_X2APIC))
		wrmsr(MSR_APIC_BASE, base | BASE_X2APIC);       /* xAPIC -> x2APIC is allowed directly */
	x2apic = have_x2 || (base & BASE_X2APIC);
	if (!x2apic)
		mmio = phys_to_virt(base & 0xFFFFFF000ull);
	wr(REG_SVR, 0x100 | APIC_SPURIOUS_VEC);                 /* software enable */
	period_tsc = tsc_khz * 1000 / hz;
	if (have_deadline) {
		deadline_mode = 1;
		wr(REG_LVT_TIMER, LVT_TSC_DEADLINE | APIC_TIMER_VEC);
		__asm__ volatile("mfence" ::: "memory");       /* (the SDM's order: LVT write, then the MSR) */
		next_deadline = rdtsc() + period_tsc;
		wrmsr(MSR_TSC_DEADLINE, next_deadline);
		*how = x2apic ? "local APIC (x2APIC), TSC-deadline mode" : "local APIC, TSC-deadline mode";
		return 0;
	}
	/* Periodic: count how far the timer (bus clock / 16) runs in 10 ms of TSC. */
	wr(REG_TIMER_DIV, 0x3);                                 /* divide by 16 */
	wr(REG_LVT_TIMER, LVT_MASKED | APIC_TIMER_VEC);
	wr(REG_TIMER_INIT, 0xFFFFFFFFu);
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < tsc_khz * 10)
		;
	uint32_t ran = 0xFFFFFFFFu - rd(REG_TIMER_CUR);
	wr(REG_TIMER_INIT, 0);
	uint64_t per_tick = (uint64_t)ran * 100 / hz;           /* counts per 10 ms -> per tick */
	if (per_tick == 0 || per_tick > 0xFFFFFFFFu) {
		*how = "the local APIC timer did not count";
		return -1;
	}
	wr(REG_LVT_TIMER, LVT_PERIODIC | APIC_TIMER_VEC);
	wr(REG_TIMER_INIT, (uint32_t)per_tick);
	*how = x2apic ? "local APIC (x2APIC), periodic mode" : "local APIC, periodic mode";
	return 0;
}
