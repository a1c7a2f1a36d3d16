/* vpm.h - the ACPI power-management block of the virtual chipset (PIIX4-like, at VPM_BASE): PM1a
 * event (status/enable) and control registers, the 24-bit 3.579545 MHz PM timer, and the reset
 * register at 0xCF9. Writing SLP_EN with the sleep type the DSDT gives \_S5 turns the VM off; a
 * reset request is reported. No hardware. */
#ifndef ARCH_VPM_H
#define ARCH_VPM_H
#include <stdint.h>
#include <stdbool.h>

#define VPM_BASE     0x600      /* PM1a_EVT at +0 (4 bytes), PM1a_CNT at +4 (2), PM_TMR at +8 (4) */
#define VPM_RESET    0xCF9      /* reset register (FADT RESET_REG, value VPM_RESET_VAL) */
#define VPM_RESET_VAL 0x06
#define VPM_S5_TYP   5          /* SLP_TYP of \_S5 in the DSDT firmware.c writes */
#define VPM_SCI_IRQ  9

struct vpm {
	uint16_t sts, en, cnt;
	uint8_t cf9;
	uint64_t base_ns;
	bool off_requested, reset_requested;
};

void vpm_init(struct vpm *p, uint64_t now_ns);
/* VPM_BASE..VPM_BASE+11 and VPM_RESET, byte-wide: 1 if claimed. */
int vpm_io(struct vpm *p, uint16_t port, bool write, uint8_t *val, uint64_t now_ns);

#endif
