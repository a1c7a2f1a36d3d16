/* pic.h - the real 8259 pair and 8254 PIT: the VMM's interrupt controller and clock. */
#ifndef ARCH_PIC_H
#define ARCH_PIC_H
#include <stdint.h>

void pic_init(void);
void pic_mask(unsigned irq, int masked);
void pic_eoi(unsigned irq);
int pic_spurious(unsigned irq);

/* The VMM's tick at hz: from the local APIC when use_apic and the CPU has one, else the PIT.
 * timer_source says which (and timer_no_apic why not the APIC). */
void timer_init(unsigned hz, int use_apic, uint16_t pm_port, int pm_wide);
extern const char *timer_source, *timer_no_apic;
extern const char *tsc_source;         /* what the TSC was calibrated against */
void timer_apic_tick(void);            /* the local APIC's tick vector arrived (trap.c) */
extern volatile uint64_t ticks;        /* timer interrupts since timer_init */
extern unsigned timer_hz;
extern uint64_t tsc_khz;               /* TSC frequency (calibrated: tsc_source) */
uint64_t uptime_us(void);
void timer_add_hook(void (*fn)(void));

#endif
