/* vlapic.h - the virtual local APIC of a VM's one vCPU, in xAPIC mode at VLAPIC_BASE (the
 * IA32_APIC_BASE MSR is emulated): ID, version, TPR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR with
 * priorities, ESR, ICR (self IPI; INIT/SIPI to absent CPUs ignored), the LVT timer (one-shot and
 * periodic, divide, current count, on virtual time), LINT0/LINT1 and LVT error. No hardware. */
#ifndef ARCH_VLAPIC_H
#define ARCH_VLAPIC_H
#include <stdint.h>
#include <stdbool.h>

#define VLAPIC_BASE 0xFEE00000u

struct vlapic {
	uint64_t apic_base_msr;         /* IA32_APIC_BASE: base, global enable (bit 11), BSP (bit 8) */
	uint32_t id, tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t lvt_timer, lvt_thermal, lvt_perf, lvt_lint0, lvt_lint1, lvt_error, lvt_cmci;
	uint32_t timer_init, timer_div;
	uint64_t timer_start_ns, timer_next_ns;
	uint64_t unimplemented_reported;
};

void vlapic_init(struct vlapic *l, uint64_t now_ns);
/* The MSR IA32_APIC_BASE (0x1B): 0 ok, -1 = #GP (reserved bits). */
int vlapic_msr(struct vlapic *l, bool write, uint64_t *val);
/* Is the xAPIC page mapped at gpa's page (the MSR's base, global enable on)? */
bool vlapic_claims(const struct vlapic *l, uint32_t gpa);
/* A 4-byte access to a register (offset in the page; other sizes as the hardware does). */
void vlapic_mmio(struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val, uint64_t now_ns);
/* An interrupt arrives (from the IO APIC or an IPI): set it in IRR; level: set TMR. */
void vlapic_deliver(struct vlapic *l, uint8_t vector, bool level);
/* Fire the timer if due. */
void vlapic_sync(struct vlapic *l, uint64_t now_ns);
/* Does the LAPIC pass the 8259's INTR to the CPU (LINT0 unmasked ExtINT, or LAPIC disabled)? */
bool vlapic_accepts_pic(const struct vlapic *l);
/* The highest vector in IRR above the processor priority, or -1; ack moves it to ISR. */
int vlapic_pending(const struct vlapic *l);
int vlapic_ack(struct vlapic *l);
/* An EOI for a level-triggered vector is returned (>= 0) so the IO APIC can clear remote IRR,
 * else -1; vlapic_mmio sets this after an EOI write. */
int vlapic_take_level_eoi(struct vlapic *l);
uint64_t vlapic_next_event_ns(const struct vlapic *l);

#endif
