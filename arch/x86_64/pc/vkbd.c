/* vkbd.c - the virtual i8042 and its keyboard, as a BIOS leaves them: command byte 0x61 (keyboard
 * interrupt, translation, aux port disabled), the self test passed (SYS set), the keyboard
 * scanning in set 2, A20 on.
 *
 * One queue holds what the guest will read at 0x60, each byte tagged with its source: the
 * controller (replies to commands: put at the front, so a reply is the next byte read even with
 * keystrokes waiting, as the 8042 gives its own data priority), the keyboard (replies to keyboard
 * commands and keystrokes, in order) or the aux port. The status register's OBF is "queue not
 * empty", AUXB "the next byte is aux data". IRQ 1 is OBF with keyboard-side data (keyboard bytes
 * and controller replies, as on the 8042 and QEMU) and command byte bit 0; IRQ 12 the same for aux
 * data and bit 1. A read that leaves more data raises `refill`, so the line falls and rises again
 * and the 8259 sees one edge per byte.
 *
 * The keyboard speaks set 2 (or 1 or 3 when told with 0xF0); with command byte bit 6 the
 * controller translates every keyboard byte to set 1 through the 8042's fixed table (0xF0 is
 * swallowed and sets bit 7 of the next byte), which is also why 0xF2 answers 0xAB 0x41 rather than
 * 0xAB 0x83, and why 0xF0 0x00 answers 0x41 for set 2. Bytes the guest puts in the output buffer
 * itself (0xD2, 0xD3) are not translated.
 *
 * The aux port exists but has nothing plugged in: the interface test (0xA9) passes with 0x00, as
 * QEMU's does; a byte sent to the mouse with 0xD4 is answered 0xFE (resend) from the aux side,
 * which is what drivers read as "no device" (Linux's psmouse then finds no mouse); 0xD3 (write aux
 * output buffer) loops a byte back as aux data, as on the 8042. Other refusals, documented: unknown
 * controller commands are ignored (no reply, as the 8042 and QEMU do); unknown keyboard commands
 * answer 0xFE; a scan code set other than 1-3 answers 0xFE; LEDs and typematic settings are stored
 * only; keystrokes that do not fit in the queue, or arrive while the keyboard is disabled (command
 * byte bit 4 / 0xAD, or 0xF5), are dropped whole (no overrun code is sent); A20 (output port bit 1,
 * port 0x92 bit 1, 0xDD/0xDF) is stored and read back but never masks address line 20. Facts: the
 * IBM PC AT technical reference (8042), A. Brouwer's "Keyboard scancodes", the OSDev wiki. */
#include "vkbd.h"
#include "../../../lib/kstring.h"

#define ACK 0xFA
#define RESEND 0xFE

/* The 8042's translation of set 2 codes 0x00-0x7F to set 1. */
static const uint8_t xlat_table[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

static uint8_t xlat_byte(uint8_t b)
{
	if (b < 0x80)
		return xlat_table[b];
	return b == 0x83 ? 0x41 : b == 0x84 ? 0x54 : b;
}

/* ---- the output queue ---- */

static void update_irq(struct vkbd *k)
{
	bool obf = k->qcount > 0;
	uint8_t src = obf ? k->qsrc[k->qhead] : VKBD_SRC_CTRL;
	k->irq1 = obf && src != VKBD_SRC_AUX && (k->cmdbyte & VKBD_CB_KBDINT);
	k->irq12 = obf && src == VKBD_SRC_AUX && (k->cmdbyte & VKBD_CB_AUXINT);
}

static bool push(struct vkbd *k, uint8_t b, uint8_t src)
{
	if (k->qcount == VKBD_QUEUE)
		return false;          /* dropped */
	unsigned i = (k->qhead + k->qcount++) % VKBD_QUEUE;
	k->q[i] = b;
	k->qsrc[i] = src;
	return true;
}

/* A controller reply: the next byte the guest reads. */
static void reply(struct vkbd *k, uint8_t b)
{
	if (k->qcount == VKBD_QUEUE)
		k->qcount--;           /* the newest queued byte gives way */
	k->qhead = (k->qhead + VKBD_QUEUE - 1) % VKBD_QUEUE;
	k->qcount++;
	k->q[k->qhead] = b;
	k->qsrc[k->qhead] = VKBD_SRC_CTRL;
}

static uint8_t pop(struct vkbd *k)
{
	if (!k->qcount)
		return k->last_read;   /* the output buffer still holds the last byte */
	uint8_t b = k->q[k->qhead];
	k->qhead = (k->qhead + 1) % VKBD_QUEUE;
	k->qcount--;
	k->last_read = b;
	if (k->qcount)
		k->refill = true;
	return b;
}

/* A byte from the keyboard, through the controller's translation when it is on. */
static void kbd_send(struct vkbd *k, uint8_t b)
{
	k->last_sent = b;
	if (k->cmdbyte & VKBD_CB_XLATE) {
		if (b == 0xF0) {
			k->xlat_break = true;
			return;
		}
		b = xlat_byte(b);
		if (k->xlat_break)
			b |= 0x80;
		k->xlat_break = false;
	}
	push(k, b, VKBD_SRC_KBD);
}

/* ---- the keyboard ---- */

static void kbd_defaults(struct vkbd *k)
{
	k->scanset = 2;
	k->leds = 0;
	k->typematic = 0x2B;    /* 10.9 characters/s after 500 ms */
}

static void kbd_write(struct vkbd *k, uint8_t v)
{
	uint8_t pend = k->kbd_pending;
	k->kbd_pending = 0;
	switch (pend) {
	case 0xED:
		k->leds = v & 7;
		kbd_send(k, ACK);
		return;
	case 0xF3:
		k->typematic = v & 0x7F;
		kbd_send(k, ACK);
		return;
	case 0xF0:
		if (v == 0) {
			kbd_send(k, ACK);
			kbd_send(k, k->scanset);
		} else if (v <= 3) {
			k->scanset = v;
			kbd_send(k, ACK);
		} else {
			kbd_send(k, RESEND);
		}
		return;
	case 0xFB:
	case 0xFC:
	case 0xFD:
		kbd_send(k, ACK);      /* set 3 key types: accepted, not kept */
		return;
	}
	switch (v) {
	case 0xED:
	case 0xF0:
	case 0xF3:
	case 0xFB:
	case 0xFC:
	case 0xFD:
		k->kbd_pending = v;
		kbd_send(k, ACK);
		break;
	case 0xEE:
		kbd_send(k, 0xEE);     /* echo */
		break;
	case 0xF2:
		kbd_send(k, ACK);      /* an MF2 keyboard */
		kbd_send(k, 0xAB);
		kbd_send(k, 0x83);
		break;
	case 0xF4:
		k->kbd_enabled = true;
		kbd_send(k, ACK);
		break;
	case 0xF5:
		kbd_defaults(k);
		k->kbd_enabled = false;
		kbd_send(k, ACK);
		break;
	case 0xF6:
		kbd_defaults(k);
		k->kbd_enabled = true;
		kbd_send(k, ACK);
		break;
	case 0xF7:
	case 0xF8:
	case 0xF9:
	case 0xFA:
		kbd_send(k, ACK);
		break;
	case 0xFE:
		kbd_send(k, k->last_sent);
		break;
	case 0xFF:
		kbd_defaults(k);
		k->kbd_enabled = true;
		kbd_send(k, ACK);
		kbd_send(k, 0xAA);     /* basic assurance test passed */
		break;
	default:
		kbd_send(k, RESEND);
	}
}

/* ---- the controller ---- */

static void request_reset(struct vkbd *k, const char *how)
{
	if (!k->reset_requested)
		k->reset_how = how;
	k->reset_requested = true;
}

static uint8_t output_port(const struct vkbd *k)
{
	uint8_t v = 0xCC | 0x01 | (k->a20 ? 0x02 : 0);   /* clock/data lines high, not in reset */
	if (k->qcount)
		v |= k->qsrc[k->qhead] == VKBD_SRC_AUX ? 0x20 : 0x10;
	return v;
}

static void command(struct vkbd *k, uint8_t c)
{
	k->pending_cmd = 0;
	if (c >= 0x20 && c <= 0x3F) {
		reply(k, c == 0x20 ? k->cmdbyte : k->ctrl_ram[c - 0x20]);
		return;
	}
	if ((c >= 0x60 && c <= 0x7F) || (c >= 0xD1 && c <= 0xD4)) {
		k->pending_cmd = c;     /* the data byte follows at 0x60 */
		return;
	}
	if (c >= 0xF0) {
		/* pulse output lines 0-3 low for those bits that are 0; line 0 is the CPU reset */
		if (!(c & 1))
			request_reset(k, c == 0xFE ? "i8042 command 0xFE" : "i8042 output-line pulse with bit 0 clear");
		return;
	}
	switch (c) {
	case 0xA4: reply(k, 0xF1); break;                  /* no password installed */
	case 0xA7: k->cmdbyte |= VKBD_CB_AUXDIS; break;
	case 0xA8: k->cmdbyte &= (uint8_t)~VKBD_CB_AUXDIS; break;
	case 0xA9: reply(k, 0x00); break;                  /* aux interface test: passed */
	case 0xAA: k->status |= VKBD_STS_SYS; reply(k, 0x55); break;
	case 0xAB: reply(k, 0x00); break;                  /* keyboard interface test: passed */
	case 0xAD: k->cmdbyte |= VKBD_CB_KBDDIS; break;
	case 0xAE: k->cmdbyte &= (uint8_t)~VKBD_CB_KBDDIS; break;
	case 0xC0: reply(k, 0x80); break;                  /* input port: keyboard not inhibited */
	case 0xD0: reply(k, output_port(k)); break;
	case 0xDD: k->a20 = false; break;
	case 0xDF: k->a20 = true; break;
	default: break;                                    /* ignored, as the 8042 does */
	}
}

static void command_data(struct vkbd *k, uint8_t c, uint8_t v)
{
	if (c == 0x60) {
		k->cmdbyte = v;         /* the status SYS flag stays as the self test left it (QEMU) */
		if (!(v & VKBD_CB_XLATE))
			k->xlat_break = false;
	} else if (c > 0x60 && c <= 0x7F) {
		k->ctrl_ram[c - 0x60] = v;
	} else if (c == 0xD1) {
		k->a20 = (v & 2) != 0;
		if (!(v & 1))
			request_reset(k, "i8042 output port bit 0 clear (command 0xD1)");
	} else if (c == 0xD2) {
		push(k, v, VKBD_SRC_KBD);
	} else if (c == 0xD3) {
		push(k, v, VKBD_SRC_AUX);
	} else if (c == 0xD4) {
		push(k, RESEND, VKBD_SRC_AUX);  /* no mouse: nobody acknowledges */
	}
}

void vkbd_init(struct vkbd *k)
{
	memset(k, 0, sizeof *k);
	k->status = VKBD_STS_SYS;
	k->cmdbyte = VKBD_CB_KBDINT | VKBD_CB_AUXDIS | VKBD_CB_XLATE;
	k->kbd_enabled = true;
	k->a20 = true;
	kbd_defaults(k);
}

int vkbd_io(struct vkbd *k, uint16_t port, bool write, uint8_t *val)
{
	switch (port) {
	case 0x60:
		if (write) {
			k->status &= (uint8_t)~VKBD_STS_A2;
			uint8_t c = k->pending_cmd;
			k->pending_cmd = 0;
			if (c)
				command_data(k, c, *val);
			else
				kbd_write(k, *val);
		} else {
			*val = pop(k);
		}
		break;
	case 0x64:
		if (write) {
			k->status |= VKBD_STS_A2;
			command(k, *val);
		} else {
			uint8_t s = (uint8_t)((k->status & (VKBD_STS_SYS | VKBD_STS_A2)) | VKBD_STS_INH);
			if (k->qcount)
				s |= VKBD_STS_OBF | (k->qsrc[k->qhead] == VKBD_SRC_AUX ? VKBD_STS_AUXB : 0);
			*val = s;
		}
		break;
	case 0x92:
		/* system control port A: bit 0 fast reset (reads 0), bit 1 A20, the others stored */
		if (write) {
			k->port92 = *val & 0xFC;
			k->a20 = (*val & 2) != 0;
			if (*val & 1)
				request_reset(k, "port 0x92 bit 0");
		} else {
			*val = (uint8_t)(k->port92 | (k->a20 ? 2 : 0));
		}
		break;
	default:
		return 0;
	}
	update_irq(k);
	return 1;
}

/* ---- console input ---- */

#define K_SHIFT 0x100
#define K_CTRL  0x200
#define SC2_LSHIFT 0x12
#define SC2_LCTRL  0x14
#define SC2_ENTER  0x5A
#define SC2_BKSP   0x66
#define SC2_TAB    0x0D
#define SC2_ESC    0x76

static const char plain_keys[] = "abcdefghijklmnopqrstuvwxyz1234567890-=[]\\;',./` ";
static const char shifted_keys[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+{}|:\"<>?~";
static const uint8_t plain_sc2[] = {
	0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43, 0x3B, 0x42, 0x4B, 0x3A,  /* a-m */
	0x31, 0x44, 0x4D, 0x15, 0x2D, 0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35, 0x1A,  /* n-z */
	0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45,                    /* 1-0 */
	0x4E, 0x55, 0x54, 0x5B, 0x5D, 0x4C, 0x52, 0x41, 0x49, 0x4A, 0x0E, 0x29,        /* - = [ ] \ ; ' , . / ` sp */
};
_Static_assert(sizeof plain_keys - 1 == sizeof plain_sc2, "one code per plain key");
_Static_assert(sizeof shifted_keys == sizeof plain_keys - 1, "a shifted twin for every key but space");

/* The set 2 key code (with K_SHIFT / K_CTRL) for an ASCII character, or -1. */
static int key_for(char ch)
{
	unsigned char c = (unsigned char)ch;
	switch (c) {
	case '\r':
	case '\n': return SC2_ENTER;
	case '\b':
	case 0x7F: return SC2_BKSP;
	case '\t': return SC2_TAB;
	case 0x1B: return SC2_ESC;
	case 0x00: return K_CTRL | 0x1E;     /* Ctrl-2 */
	case 0x1C: return K_CTRL | 0x5D;     /* Ctrl-\ */
	case 0x1D: return K_CTRL | 0x5B;     /* Ctrl-] */
	case 0x1E: return K_CTRL | 0x36;     /* Ctrl-6 */
	case 0x1F: return K_CTRL | 0x4E;     /* Ctrl-- */
	}
	if (c >= 1 && c <= 26)
		return K_CTRL | plain_sc2[c - 1];
	if (c == 0 || c >= 0x80)
		return -1;
	for (unsigned i = 0; plain_keys[i]; i++)
		if (plain_keys[i] == ch)
			return plain_sc2[i];
	for (unsigned i = 0; shifted_keys[i]; i++)
		if (shifted_keys[i] == ch)
			return K_SHIFT | plain_sc2[i];
	return -1;
}

/* The code of a set 2 key in the keyboard's current set (make code; set 1 breaks add 0x80, sets 2
 * and 3 precede it with 0xF0). Set 3 differs from set 2 for three of the keys used here. */
static uint8_t in_set(const struct vkbd *k, uint8_t sc2)
{
	if (k->scanset == 1)
		return xlat_byte(sc2);
	if (k->scanset == 3)
		return sc2 == SC2_ESC ? 0x08 : sc2 == SC2_LCTRL ? 0x11 : sc2 == 0x5D ? 0x5C : sc2;
	return sc2;
}

static unsigned key_bytes(const struct vkbd *k, uint8_t sc2, bool make, uint8_t *out)
{
	uint8_t m = in_set(k, sc2);
	if (make)
		return out[0] = m, 1;
	if (k->scanset == 1)
		return out[0] = (uint8_t)(m | 0x80), 1;
	out[0] = 0xF0;
	out[1] = m;
	return 2;
}

bool vkbd_input(struct vkbd *k, char c)
{
	int key = key_for(c);
	if (key < 0 || !k->kbd_enabled || (k->cmdbyte & VKBD_CB_KBDDIS))
		return false;
	uint8_t seq[12];
	unsigned n = 0;
	uint8_t mod = (key & K_SHIFT) ? SC2_LSHIFT : (key & K_CTRL) ? SC2_LCTRL : 0;
	if (mod)
		n += key_bytes(k, mod, true, seq + n);
	n += key_bytes(k, (uint8_t)key, true, seq + n);
	n += key_bytes(k, (uint8_t)key, false, seq + n);
	if (mod)
		n += key_bytes(k, mod, false, seq + n);
	unsigned out = n;
	if (k->cmdbyte & VKBD_CB_XLATE)
		for (unsigned i = 0; i < n; i++)
			out -= seq[i] == 0xF0;
	if (k->qcount + out > VKBD_QUEUE)
		return false;          /* the whole keystroke is lost, never half of it */
	for (unsigned i = 0; i < n; i++)
		kbd_send(k, seq[i]);
	update_irq(k);
	return true;
}
