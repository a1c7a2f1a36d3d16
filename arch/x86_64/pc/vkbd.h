/* vkbd.h - the virtual i8042 keyboard controller (ports 0x60/0x64) with its keyboard, and system
 * control port A (0x92): status, command byte, self tests, keyboard enable/disable, scan codes
 * (set 1, and set 2 with translation) for console input, IRQ 1; a reset request (0xFE on 0x64, or
 * bit 0 of port 0x92) is reported to the VMM. No hardware. */
#ifndef ARCH_VKBD_H
#define ARCH_VKBD_H
#include <stdint.h>
#include <stdbool.h>

#define VKBD_QUEUE 64

struct vkbd {
	uint8_t status, cmdbyte, pending_cmd;   /* pending_cmd: a controller command awaiting data */
	uint8_t kbd_pending;                    /* a keyboard command awaiting its data byte */
	uint8_t scanset;                        /* 1, 2 or 3 as the keyboard was told */
	uint8_t port92;
	bool kbd_enabled, reset_requested;
	uint8_t q[VKBD_QUEUE];                  /* bytes for the guest to read at 0x60 */
	unsigned qhead, qcount;
	bool irq1, irq12;                       /* output levels */
};

void vkbd_init(struct vkbd *k);
/* Ports 0x60, 0x64, 0x92: 1 if claimed. */
int vkbd_io(struct vkbd *k, uint16_t port, bool write, uint8_t *val);
/* A character typed on the VMM's console for this VM: queued as make/break scan codes. */
bool vkbd_input(struct vkbd *k, char c);

#endif
