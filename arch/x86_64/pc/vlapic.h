/* vlapic.h - the virtual local APIC of a VM's one vCPU, in xAPIC mode at VLAPIC_BASE (the
 * IA32_APIC_BASE MSR is emulated): ID, version, TPR/APR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR with
 * priorities, ESR, ICR (self IPI; INIT/SIPI to absent CPUs ignored), the LVT timer (one-shot and
 * periodic, divide, current count, on virtual time), LVT thermal/perf (never fire), LINT0/LINT1
 * and LVT error. No hardware. The choices where the SDM leaves room are in vlapic.c's header. */
#ifndef ARCH_VLAPIC_H
#define ARCH_VLAPIC_H
#include <stdint.h>
#include <stdbool.h>

#define VLAPIC_BASE 0xFEE00000u
#define VLAPIC_BUS_HZ 1000000000ull    /* the timer's input clock before the divider (as QEMU's) */

/* The local vector table, in register order (0x320 + 0x10 * n). */
enum { VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0, VLAPIC_LVT_LINT1,
       VLAPIC_LVT_ERROR, VLAPIC_NLVT };

struct vlapic {
	uint64_t apic_base_msr;         /* IA32_APIC_BASE: base, global enable (bit 11), BSP (bit 8) */
	uint32_t id, tpr, ldr, dfr, svr, icr_lo, icr_hi;
	uint32_t esr;                   /* what the guest reads: latched at its last ESR write */
	uint32_t esr_pending;           /* errors since then */
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t lvt[VLAPIC_NLVT];
	uint32_t timer_init, timer_dcr;  /* initial count, divide configuration as written */
	uint64_t timer_start_ns;        /* when the counter was last loaded (written or reloaded) */
	uint64_t timer_next_ns;         /* when it reaches 0 next; UINT64_MAX: stopped or expired */
	uint32_t level_eoi[8];          /* EOIs of level-triggered vectors not yet taken by vio */
	/* Once-per-VM reports (vlapic_report_unimplemented): reserved offsets read / written,
	 * register index = offset >> 4; and VLAPIC_REFUSED_* bits for what is not modelled. */
	uint32_t bad_read[8], bad_write[8];
	uint32_t refused;
};

/* What the guest asked for that this model does not do (vlapic.refused). */
#define VLAPIC_REFUSED_SUBDWORD   (1u << 0)   /* a 1- or 2-byte access: read 0, write dropped */
#define VLAPIC_REFUSED_IPI_SELF   (1u << 1)   /* NMI/SMI/INIT/SIPI/ExtINT IPI to itself: ignored */
#define VLAPIC_REFUSED_LVT_MODE   (1u << 2)   /* an LVT fired in NMI/SMI/INIT/ExtINT mode: nothing */
#define VLAPIC_REFUSED_LINT0_MODE (1u << 3)   /* LINT0 unmasked but not ExtINT: the 8259 is cut off */

/* Reset as SeaBIOS leaves the BSP's APIC (virtual wire): MSR 0xFEE00900, SVR 0x1FF, LINT0
 * ExtINT 0x8700, LINT1 NMI 0x8400, the other LVTs masked, timer stopped. */
void vlapic_init(struct vlapic *l, uint64_t now_ns);
/* The MSR IA32_APIC_BASE (0x1B): 0 ok, -1 = #GP (reserved bits). */
int vlapic_msr(struct vlapic *l, bool write, uint64_t *val);
/* Is the xAPIC page mapped at gpa's page (the MSR's base, global enable on)? */
bool vlapic_claims(const struct vlapic *l, uint32_t gpa);
/* An access to a register (offset in the page): 4-byte accesses act on the register holding
 * off (as QEMU: off >> 4); 1- and 2-byte accesses read 0 and write nothing. */
void vlapic_mmio(struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val, uint64_t now_ns);
/* Would an interrupt message with this destination (8-bit ID, physical or logical mode) reach
 * this APIC? Physical: its ID or 0xFF. Logical: LDR/DFR, flat or cluster model. */
bool vlapic_match_dest(const struct vlapic *l, uint8_t dest, bool logical);
/* An interrupt arrives (from the IO APIC or an IPI): set it in IRR; level: set TMR (edge: clear).
 * Returns false if not accepted: APIC globally disabled, or a vector below 16 (ESR bit 6). */
bool vlapic_deliver(struct vlapic *l, uint8_t vector, bool level);
/* Bring the timer up to now_ns: fire (coalesced) if due. */
void vlapic_sync(struct vlapic *l, uint64_t now_ns);
/* Does the LAPIC pass the 8259's INTR to the CPU (LINT0 unmasked ExtINT, or LAPIC disabled)? */
bool vlapic_accepts_pic(const struct vlapic *l);
/* The highest vector in IRR above the processor priority, or -1; ack moves it to ISR. */
int vlapic_pending(const struct vlapic *l);
int vlapic_ack(struct vlapic *l);
/* An EOI for a level-triggered vector is returned (>= 0) so the IO APIC can clear remote IRR,
 * else -1; vlapic_mmio sets this after an EOI write. */
int vlapic_take_level_eoi(struct vlapic *l);
/* When the timer will next put an interrupt into IRR (UINT64_MAX: never, or masked). */
uint64_t vlapic_next_event_ns(const struct vlapic *l);
/* One line per kind of access this model refused (reserved registers, sub-dword accesses, IPIs
 * and LVT modes it does not implement), for the VM's exit report; nothing if there were none. */
void vlapic_report_unimplemented(const struct vlapic *l, void (*line)(void *ctx, const char *s), void *ctx);

#endif
