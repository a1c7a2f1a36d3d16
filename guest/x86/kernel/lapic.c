/* lapic.c - the local APIC (xAPIC, memory-mapped at the address the MADT or MP table gives):
 * global enable in IA32_APIC_BASE, software enable in the spurious-vector register, the LVT
 * entries, EOI, and its timer: calibrated against PIT channel 2 and, with the boot word `apic`,
 * run periodically as the system clock. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1u << 11)
#define SVR_ENABLE 0x100u
#define LVT_EXTINT 0x700u
#define LVT_NMI 0x400u
#define CAL_PIT_COUNT 11932	/* 10 ms of PIT input clock */

static volatile uint32_t *regs;
uint32_t lapic_timer_hz;	/* timer ticks per second at divide-by-16 */

/* MSR accesses that return -1 instead of panicking when the CPU (or a VMM) answers #GP: the
 * trap handler resumes after the instruction registered in fault_eip. */
int rdmsr_safe(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	fault_caught = 0;
	__asm__ volatile(FAULT_OK("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*v = lo | (uint64_t)hi << 32;
	return fault_caught ? -1 : 0;
}

int wrmsr_safe(uint32_t msr, uint64_t v)
{
	fault_caught = 0;
	__asm__ volatile(FAULT_OK("wrmsr") : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
	return fault_caught ? -1 : 0;
}

int cpu_has_apic(void)
{
	uint32_t a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	if (a < 1)
		return 0;
	cpuid(1, &a, &b, &c, &d);
	return (d >> 9) & 1;
}

uint32_t lapic_id_from_cpuid(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	return b >> 24;
}

uint32_t lapic_read(uint32_t reg) { return regs[reg / 4]; }
void lapic_write(uint32_t reg, uint32_t v) { regs[reg / 4] = v; }
void lapic_eoi(void) { regs[LAPIC_EOI / 4] = 0; }
uint32_t lapic_id(void) { return regs[LAPIC_ID / 4] >> 24; }
int lapic_ready(void) { return regs != 0; }
uint32_t lapic_va(void) { return (uint32_t)regs; }

static void lapic_error(void)
{
	lapic_write(LAPIC_ESR, 0);	/* latch and clear the error bits */
	klog("local APIC error, ESR %#x\n", lapic_read(LAPIC_ESR));
}

/* Map and enable the local APIC. virtual_wire: keep the 8259s' path through LINT0 (ExtINT)
 * open, as in the MP spec's virtual wire mode; otherwise mask LINT0 (APIC mode). */
int lapic_init(int virtual_wire)
{
	uint32_t pa = acpi.madt_ok && acpi.lapic_pa ? acpi.lapic_pa : mp.cfg_found ? mp.lapic_pa : 0;
	uint64_t base;

	if (!cpu_has_apic())
		return -1;
	if (rdmsr_safe(MSR_APIC_BASE, &base) < 0)
		return -1;
	if (!pa)
		pa = (uint32_t)base & ~0xFFFu;
	if ((!(base & APIC_BASE_ENABLE) || ((uint32_t)base & ~0xFFFu) != pa) &&	/* globally disabled */
	    wrmsr_safe(MSR_APIC_BASE, (base & 0xFFF) | pa | APIC_BASE_ENABLE) < 0)
		return -1;
	if (!regs && !(regs = phys_map(pa, 4096, MAP_UNCACHED)))
		return -1;
	intr_set_handler(VEC_LAPIC_ERROR, lapic_error);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_LAPIC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TEST_TIMER);
	lapic_write(LAPIC_LVT_LINT0, virtual_wire ? LVT_EXTINT : LVT_MASKED | LVT_EXTINT);
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	if (((lapic_read(LAPIC_VER) >> 16) & 0xFF) >= 3)	/* the error LVT exists */
		lapic_write(LAPIC_LVT_ERROR, VEC_LAPIC_ERROR);
	lapic_write(LAPIC_ESR, 0);
	return 0;
}

/* One measurement of the timer at divide code div across count periods of PIT channel 2, the
 * classic way: start channel 2 in mode 0, poll its OUT (port 0x61 bit 5) until terminal count.
 * At both ends the timer's current count is read and the PIT latched back to back; mode 0 keeps
 * counting down past terminal count, so the latched counts say how late the poll saw OUT rise,
 * and a poll delayed by a busy emulator host does not skew the rate. Returns the timer ticks;
 * *pit gets the PIT periods between the two ends (0 if OUT never rose). */
uint32_t lapic_measure(uint32_t div, uint16_t count, uint32_t *pit)
{
	uint32_t c0, c1;
	uint16_t p0, p1;
	int n, done = 0;

	lapic_write(LAPIC_TIMER_DIV, div);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TEST_TIMER);	/* one-shot, no interrupt */
	lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
	pit2_start(count);
	c0 = lapic_read(LAPIC_TIMER_CUR);
	p0 = pit2_read();
	for (n = 0; n < 4000000 && !done; n++)
		done = pit2_done();
	c1 = lapic_read(LAPIC_TIMER_CUR);
	p1 = pit2_read();
	lapic_write(LAPIC_TIMER_INIT, 0);
	*pit = done ? (uint16_t)(p0 - p1) : 0;
	return c0 - c1;
}

/* Five measurements over 10 ms of PIT channel 2 at divide 16; the median rate is the timer's. */
uint32_t lapic_calibrate(uint32_t samples[5])
{
	uint32_t s[5], t, ticks, pit;
	int i, j;

	for (i = 0; i < 5; i++) {
		ticks = lapic_measure(0x3, CAL_PIT_COUNT, &pit);
		samples[i] = s[i] = pit ? (uint32_t)((uint64_t)ticks * PIT_HZ / pit) : 0;
	}
	for (i = 1; i < 5; i++)	/* insertion sort for the median */
		for (j = i; j > 0 && s[j - 1] > s[j]; j--)
			t = s[j], s[j] = s[j - 1], s[j - 1] = t;
	lapic_timer_hz = s[2];
	return lapic_timer_hz;
}

void lapic_clock_start(unsigned hz)
{
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_CLOCK);
	lapic_write(LAPIC_TIMER_INIT, lapic_timer_hz / hz);
}
