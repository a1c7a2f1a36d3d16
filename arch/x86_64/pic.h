/* pic.h - the real 8259 pair and 8254 PIT: the VMM's interrupt controller and clock. */
#ifndef ARCH_PIC_H
#define ARCH_PIC_H
#include <stdint.h>

void pic_init(void);
void pic_mask(unsigned irq, int masked);
void pic_eoi(unsigned irq);
int pic_spurious(unsigned irq);

void timer_init(unsigned hz);
extern volatile uint64_t ticks;        /* timer interrupts since timer_init */
extern unsigned timer_hz;
extern uint64_t tsc_khz;               /* TSC frequency, calibrated against the PIT */
uint64_t uptime_us(void);
void timer_add_hook(void (*fn)(void));

#endif
