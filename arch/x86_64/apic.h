/* apic.h - the real local APIC as the VMM's timer (apic.c). */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H
#include <stdint.h>

#define APIC_TIMER_VEC    0xF0           /* the VMM's tick (never a guest's: segments.c) */
#define APIC_SPURIOUS_VEC 0xFF

/* Start a periodic tick of `hz` on this CPU's local APIC: 0, or -1 with the reason in *how (then
 * the PIT stays the timer). On success *how says which mode. */
int apic_timer_start(unsigned hz, uint64_t tsc_khz, const char **how);
void apic_timer_rearm(void);             /* at each tick (TSC-deadline mode arms the next) */
void apic_eoi(void);

#endif
