/* kbd.c - the real PS/2 keyboard as a second source of console input (not the guests' virtual
 * i8042: pc/vkbd.c). A box without a serial port still has a keyboard -- a PS/2 one, or a USB one
 * that the firmware's legacy emulation presents as PS/2 -- so the operator's console and the
 * focused VM can be typed at. The controller is polled at each timer tick (its IRQ 1 stays
 * masked); scancodes are set 1, as the controller translates them by default, turned into ASCII on
 * a US layout (Shift and Ctrl; Ctrl-] is 0x1D, the operator's key). Keys the console has no use
 * for (function keys, arrows: the E0-prefixed ones) are dropped. */
#include "console.h"
#include "cpu.h"

#define KBD_DATA 0x60
#define KBD_STATUS 0x64
#define ST_FULL 0x01                     /* output buffer full */
#define ST_AUX 0x20                      /* ... and it is the mouse's byte */

static int present, shift, ctrl, e0;

static const char plain[0x3A] =
	"\0\0331234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char shifted[0x3A] =
	"\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

int kbd_init(void)
{
	/* No controller: the port floats (0xFF). Drain what the firmware left unread. */
	present = inb(KBD_STATUS) != 0xFF;
	for (int i = 0; present && i < 32 && (inb(KBD_STATUS) & ST_FULL); i++)
		(void)inb(KBD_DATA);
	return present;
}

int kbd_getc(void)
{
	while (present) {
		uint8_t st = inb(KBD_STATUS);
		if (!(st & ST_FULL))
			return -1;
		uint8_t sc = inb(KBD_DATA);
		if (st & ST_AUX)
			continue;                        /* a mouse byte */
		if (sc == 0xE0) {
			e0 = 1;
			continue;
		}
		int up = sc & 0x80, key = sc & 0x7F, ext = e0;
		e0 = 0;
		if (key == 0x2A || key == 0x36) {
			shift = !up;
			continue;
		}
		if (key == 0x1D) {                      /* left Ctrl, or right Ctrl with E0 */
			ctrl = !up;
			continue;
		}
		if (up || ext || key >= 0x3A)
			continue;
		char c = (shift ? shifted : plain)[key];
		if (!c)
			continue;
		if (ctrl && ((c >= 'a' && c <= 'z') || (c >= '[' && c <= '_')))
			return c & 0x1F;                 /* Ctrl-A..Z, Ctrl-[ \ ] ^ _ */
		if (ctrl && c >= 'A' && c <= 'Z')
			return c & 0x1F;
		return (uint8_t)c;
	}
	return -1;
}
