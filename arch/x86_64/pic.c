/* pic.c - the real 8259 interrupt controllers, the 8254 PIT and the VMM's tick.
 *
 * The PICs are remapped to vectors 32..47 (the CPU's exceptions own 0..31). The TSC is calibrated
 * (50 ms, polled) against the ACPI PM timer when the machine's FADT names one (acpi.c), else PIT
 * channel 2, else CPUID's frequency leaves, so that boot times and guest virtual time can be
 * given in real units. The tick (timer_hz) that drives the VMM's time slices comes from the local APIC
 * (apic.c) when the CPU has one and the boot option timer=pit does not forbid it, else from PIT
 * channel 0 in periodic mode on IRQ 0. */
#include "pic.h"
#include "apic.h"
#include "cpu.h"
#include "trap.h"

#define PIC1 0x20
#define PIC2 0xA0
#define PIT_HZ 1193182
#define SPIN_MAX 5000000   /* port reads (about 1 us each on hardware) before a counter is given up */

volatile uint64_t ticks;
unsigned timer_hz;
uint64_t tsc_khz;
static uint64_t tsc_at_init;
static void (*hooks[4])(void);

void pic_init(void)
{
	outb(PIC1, 0x11); outb(PIC2, 0x11);        /* ICW1: init, ICW4 follows */
	outb(PIC1 + 1, IRQ_BASE); outb(PIC2 + 1, IRQ_BASE + 8);
	outb(PIC1 + 1, 4); outb(PIC2 + 1, 2);      /* cascade on IRQ2 */
	outb(PIC1 + 1, 1); outb(PIC2 + 1, 1);      /* 8086 mode */
	outb(PIC1 + 1, 0xFB); outb(PIC2 + 1, 0xFF); /* everything masked but the cascade */
}

void pic_mask(unsigned irq, int masked)
{
	uint16_t port = irq < 8 ? PIC1 + 1 : PIC2 + 1;
	uint8_t bit = (uint8_t)(1u << (irq & 7));
	uint8_t m = inb(port);
	outb(port, masked ? (m | bit) : (m & ~bit));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

/* IRQ7/IRQ15 with the in-service bit clear are spurious and must not be acknowledged. */
int pic_spurious(unsigned irq)
{
	if (irq != 7 && irq != 15)
		return 0;
	uint16_t port = irq == 7 ? PIC1 : PIC2;
	outb(port, 0x0B);                          /* read ISR */
	if (inb(port) & 0x80)
		return 0;
	if (irq == 15)
		outb(PIC1, 0x20);                  /* the master did see the cascade */
	return 1;
}

/* PIT channel 2, mode 0, gate on, speaker off: count down 50 ms and watch OUT2. 0 if it never ends. */
static uint64_t tsc_khz_pit(void)
{
	uint16_t count = PIT_HZ / 20;
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xB0);
	outb(0x42, count & 0xFF);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc();
	for (uint64_t spin = 0; !(inb(0x61) & 0x20); spin++)
		if (spin > SPIN_MAX)
			return 0;
	return (rdtsc() - t0) / 50;
}

/* The ACPI PM timer (3.579545 MHz, 24 or 32 bits): 50 ms of it. 0 if it does not move. */
static uint64_t tsc_khz_pm(uint16_t port, int wide)
{
	const uint32_t mask = wide ? 0xFFFFFFFFu : 0xFFFFFFu, want = 3579545 / 20;
	uint32_t p0 = inl(port) & mask, p;
	uint64_t t0 = rdtsc(), spin = 0;
	while ((((p = inl(port) & mask) - p0) & mask) < want)
		if (++spin > SPIN_MAX)
			return 0;
	uint64_t t1 = rdtsc();
	return (t1 - t0) * 3579545 / ((uint64_t)((p - p0) & mask) * 1000);
}

/* CPUID 15h (TSC/crystal ratio and crystal Hz) or 16h (base MHz), where the CPU reports them. */
static uint64_t tsc_khz_cpuid(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	unsigned max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] / 1000 * r[1] / r[0];
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0] & 0xFFFF)
			return (uint64_t)(r[0] & 0xFFFF) * 1000;
	}
	return 0;
}

const char *tsc_source = "PIT";

static void calibrate_tsc(uint16_t pm_port, int pm_wide)
{
	if (pm_port && (tsc_khz = tsc_khz_pm(pm_port, pm_wide)) != 0) {
		tsc_source = "the ACPI PM timer";
		return;
	}
	if ((tsc_khz = tsc_khz_pit()) != 0) {
		tsc_source = "the PIT";
		return;
	}
	if ((tsc_khz = tsc_khz_cpuid()) != 0) {
		tsc_source = "CPUID (no PM timer or PIT counted)";
		return;
	}
	tsc_khz = 1000000;   /* nothing to measure with: assume 1 GHz rather than divide by zero */
	tsc_source = "nothing: 1 GHz assumed (no PM timer, PIT or CPUID frequency)";
}

static void timer_tick(void)
{
	ticks++;
	for (int i = 0; i < 4; i++)
		if (hooks[i])
			hooks[i]();
}

static void timer_irq(struct trapframe *tf)
{
	(void)tf;
	timer_tick();
}

void timer_apic_tick(void)
{
	apic_eoi();
	apic_timer_rearm();
	timer_tick();
}

void timer_add_hook(void (*fn)(void))
{
	for (int i = 0; i < 4; i++)
		if (!hooks[i]) {
			hooks[i] = fn;
			return;
		}
}

const char *timer_source = "PIT";
const char *timer_no_apic;                 /* why the local APIC is not the timer, if it is not */

void timer_init(unsigned hz, int use_apic, uint16_t pm_port, int pm_wide)
{
	calibrate_tsc(pm_port, pm_wide);
	timer_hz = hz;
	tsc_at_init = rdtsc();
	const char *how = "timer=pit";
	if (use_apic && apic_timer_start(hz, tsc_khz, &how) == 0) {
		timer_source = how;
		return;                            /* the PIT's IRQ 0 stays masked */
	}
	timer_no_apic = how;
	uint32_t div = PIT_HZ / hz;
	outb(0x43, 0x34);                          /* channel 0, lo/hi, mode 2 (rate generator) */
	outb(0x40, div & 0xFF);
	outb(0x40, (div >> 8) & 0xFF);
	irq_register(0, timer_irq);
	pic_mask(0, 0);
}

uint64_t uptime_us(void)
{
	return (rdtsc() - tsc_at_init) * 1000 / tsc_khz;
}
