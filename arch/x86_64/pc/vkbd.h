/* vkbd.h - the virtual i8042 keyboard controller (ports 0x60/0x64) with its keyboard, and system
 * control port A (0x92): status, command byte, self tests, keyboard enable/disable, scan codes
 * (sets 1, 2 and 3, and set 2 translated to set 1) for console input, IRQ 1; an aux (mouse) port
 * with nothing plugged in (IRQ 12); a reset request (on 0x64 a pulse command 0xF0-0xFF with bit 0
 * clear, such as 0xFE; output port bit 0; or bit 0 of port 0x92) is reported to the VMM. No
 * hardware. */
#ifndef ARCH_VKBD_H
#define ARCH_VKBD_H
#include <stdint.h>
#include <stdbool.h>

#define VKBD_QUEUE 64

/* status register (port 0x64, read) */
#define VKBD_STS_OBF  0x01
#define VKBD_STS_IBF  0x02
#define VKBD_STS_SYS  0x04
#define VKBD_STS_A2   0x08      /* the last write was to 0x64 (a command) */
#define VKBD_STS_INH  0x10      /* 1: keyboard not inhibited */
#define VKBD_STS_AUXB 0x20      /* the output buffer holds aux (mouse) data */
/* command byte */
#define VKBD_CB_KBDINT 0x01
#define VKBD_CB_AUXINT 0x02
#define VKBD_CB_SYS    0x04
#define VKBD_CB_KBDDIS 0x10
#define VKBD_CB_AUXDIS 0x20
#define VKBD_CB_XLATE  0x40

enum { VKBD_SRC_CTRL, VKBD_SRC_KBD, VKBD_SRC_AUX };

struct vkbd {
	uint8_t status;                         /* A2 and SYS; OBF/AUXB come from the queue */
	uint8_t cmdbyte;                        /* internal RAM byte 0 */
	uint8_t ctrl_ram[32];                   /* internal RAM 1..31 (commands 0x21-0x3F/0x61-0x7F) */
	uint8_t pending_cmd;                    /* a controller command awaiting its data byte (0: none) */
	uint8_t kbd_pending;                    /* a keyboard command awaiting its data byte (0: none) */
	uint8_t scanset;                        /* 1, 2 or 3 as the keyboard was told */
	uint8_t leds, typematic;
	uint8_t last_sent;                      /* the keyboard's last byte, for its resend command */
	uint8_t last_read;                      /* what 0x60 reads with nothing queued */
	uint8_t port92;                         /* bits of port 0x92 other than 0 and 1 */
	bool a20;                               /* output port bit 1 = port 0x92 bit 1 (stored only) */
	bool kbd_enabled;                       /* the keyboard's own scanning enable (F4/F5) */
	bool xlat_break;                        /* translation saw 0xF0: the next byte gets bit 7 */
	bool reset_requested;
	const char *reset_how;
	uint8_t q[VKBD_QUEUE];                  /* bytes for the guest to read at 0x60 */
	uint8_t qsrc[VKBD_QUEUE];               /* VKBD_SRC_* of each */
	unsigned qhead, qcount;
	bool irq1, irq12;                       /* output levels */
	bool refill;                            /* a byte was read and another took its place: the
	                                         * lines must fall before they rise again (vio_sync) */
};

void vkbd_init(struct vkbd *k);
/* Ports 0x60, 0x64, 0x92: 1 if claimed. */
int vkbd_io(struct vkbd *k, uint16_t port, bool write, uint8_t *val);
/* A character typed on the VMM's console for this VM: queued as make/break scan codes. False if it
 * was dropped (keyboard disabled, queue full, or no key for it). */
bool vkbd_input(struct vkbd *k, char c);

#endif
