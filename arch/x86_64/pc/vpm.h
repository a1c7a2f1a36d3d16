/* vpm.h - the ACPI power-management block of the virtual chipset (PIIX4-like, at VPM_BASE): PM1a
 * event (status/enable) and control registers, the 24-bit 3.579545 MHz PM timer, and the reset
 * register at 0xCF9. Writing SLP_EN with the sleep type the DSDT gives \_S5 turns the VM off; a
 * reset request is reported; the SCI (IRQ 9) is a level output. No hardware. */
#ifndef ARCH_VPM_H
#define ARCH_VPM_H
#include <stdint.h>
#include <stdbool.h>

#define VPM_BASE     0x600      /* PM1a_EVT at +0 (4 bytes), PM1a_CNT at +4 (2), PM_TMR at +8 (4) */
#define VPM_RESET    0xCF9      /* reset register (FADT RESET_REG, value VPM_RESET_VAL) */
#define VPM_RESET_VAL 0x06
#define VPM_S5_TYP   5          /* SLP_TYP of \_S5 in the DSDT firmware.c writes */
#define VPM_SCI_IRQ  9
#define VPM_TMR_HZ   3579545u

/* PM1_STS / PM1_EN bits */
#define VPM_TMR      0x0001
#define VPM_BM       0x0010     /* status only */
#define VPM_GBL      0x0020
#define VPM_PWRBTN   0x0100
#define VPM_SLPBTN   0x0200
#define VPM_RTC      0x0400
#define VPM_WAK      0x8000     /* status only */
/* PM1_CNT bits */
#define VPM_SCI_EN   0x0001
#define VPM_BM_RLD   0x0002
#define VPM_GBL_RLS  0x0004
#define VPM_SLP_TYP_SHIFT 10
#define VPM_SLP_EN   0x2000

struct vpm {
	uint16_t sts, en, cnt;
	uint8_t cf9;
	uint64_t base_ns;
	uint64_t tmr_seen;          /* toggles of timer bit 23 already reflected in TMR_STS */
	bool sci;                   /* SCI level: SCI_EN and a status bit whose enable bit is set */
	bool off_requested, reset_requested;
	const char *reset_how;
};

void vpm_init(struct vpm *p, uint64_t now_ns);
/* VPM_BASE..VPM_BASE+11 and VPM_RESET, byte-wide: 1 if claimed. */
int vpm_io(struct vpm *p, uint16_t port, bool write, uint8_t *val, uint64_t now_ns);
/* Bring TMR_STS up to now_ns; returns the SCI level. */
bool vpm_sync(struct vpm *p, uint64_t now_ns);
/* When the SCI is next due (UINT64_MAX: TMR_EN off, or already pending). */
uint64_t vpm_next_event_ns(const struct vpm *p);

#endif
