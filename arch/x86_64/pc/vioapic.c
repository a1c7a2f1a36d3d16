/* vioapic.c - the virtual IO APIC: an Intel 82093AA with 24 pins, facts from its datasheet;
 * where it leaves room, QEMU's hw/intc/ioapic.c decided.
 *
 * The page at 0xFEC00000: IOREGSEL at +0x00 (8-bit register index, readable; a wider write keeps
 * its low byte), IOWIN at +0x10 (dword accesses only: 1- and 2-byte accesses read 0 and write
 * nothing, as QEMU). Any other offset reads 0, writes nothing, and is reported once.
 * Registers (through IOWIN):
 *   0x00 ID: bits 24-27 writable (reset VIOAPIC_ID, the ID the firmware tables give)
 *   0x01 version 0x00170011 (version 0x11, 24 entries), read-only
 *   0x02 arbitration ID: reads the ID, read-only
 *   0x10 + 2n / 0x11 + 2n: pin n's redirection entry, low / high dword. Low: vector (0-7),
 *        delivery mode (8-10), destination mode (11), delivery status (12, read-only, always 0:
 *        a message is sent at once), polarity (13), remote IRR (14, read-only), trigger mode (15),
 *        mask (16). High: destination (bits 56-63). Reset: masked (0x10000), all else 0.
 *   3-0xF and 0x40-0xFF (reserved, pins beyond 23): read 0, writes ignored, reported once.
 * Delivery: fixed (0) and lowest priority (1) go to our one local APIC when the destination
 * matches it (physical: its APIC ID or 0xFF; logical: its LDR under its DFR model); with one CPU
 * a destination that does not match reaches nobody. SMI, NMI, INIT and ExtINT are refused: the
 * pin delivers nothing and the VM's exit report names it (ExtINT through the IO APIC would be
 * "ask the 8259 for the vector", a path firmware only uses in virtual-wire mode B; ours is mode A,
 * through LINT0).
 * Inputs: the VMM's ISA lines are active high. A pin programmed active low (bit 13) sees its line
 * inverted. Edge pins deliver on each rising edge of the (polarity-adjusted) input while unmasked;
 * edges while masked are lost (82093AA). Level pins deliver while the input is asserted, the entry
 * unmasked and remote IRR clear; remote IRR is set when the local APIC accepts the message and
 * cleared by its EOI of that vector (vioapic_eoi), after which a still-asserted pin delivers
 * again. Unmasking or reprogramming an entry re-examines a level pin; switching it to edge clears
 * remote IRR (as QEMU). */
#include "vioapic.h"
#include "../../../lib/kstring.h"
#include "../../../lib/format.h"

#define VERSION      0x00170011u
#define R_MASKED     (1u << 16)
#define R_LEVEL      (1u << 15)
#define R_REMOTE_IRR (1u << 14)
#define R_ACTIVE_LOW (1u << 13)
#define R_LOGICAL    (1u << 11)
#define R_LO_WRITABLE 0x1AFFFu      /* all but delivery status and remote IRR */
#define R_HI_WRITABLE 0xFF000000u

void vioapic_init(struct vioapic *io)
{
	memset(io, 0, sizeof *io);
	io->id = VIOAPIC_ID;                    /* as the firmware's MP table and MADT say */
	for (int i = 0; i < VIOAPIC_PINS; i++)
		io->redir[i] = R_MASKED;
}

bool vioapic_claims(uint32_t gpa)
{
	return (gpa & ~0xFFFu) == VIOAPIC_BASE;
}

/* The pin's input after its polarity: asserted or not. */
static bool asserted(const struct vioapic *io, unsigned pin)
{
	bool line = (io->level >> pin) & 1;
	return line != ((io->redir[pin] & R_ACTIVE_LOW) != 0);
}

/* Send pin's message to the local APIC; true if it was accepted. */
static bool deliver(struct vioapic *io, struct vlapic *l, unsigned pin)
{
	uint64_t e = io->redir[pin];
	unsigned mode = (e >> 8) & 7;
	if (mode > 1) {                          /* SMI, NMI, INIT, ExtINT, reserved */
		io->refused_pins |= 1u << pin;
		io->refused_modes |= (uint8_t)(1u << mode);
		return false;
	}
	if (!vlapic_match_dest(l, (uint8_t)(e >> 56), (e & R_LOGICAL) != 0))
		return false;
	bool level = (e & R_LEVEL) != 0;
	if (!vlapic_deliver(l, (uint8_t)e, level))
		return false;
	if (level)
		io->redir[pin] |= R_REMOTE_IRR;
	return true;
}

/* A level pin: deliver if asserted, unmasked and not already in service. */
static void service(struct vioapic *io, struct vlapic *l, unsigned pin)
{
	uint64_t e = io->redir[pin];
	if ((e & (R_MASKED | R_REMOTE_IRR)) || !(e & R_LEVEL) || !asserted(io, pin))
		return;
	deliver(io, l, pin);
}

void vioapic_set_pin(struct vioapic *io, struct vlapic *l, unsigned pin, bool level)
{
	if (pin >= VIOAPIC_PINS)
		return;
	bool was = asserted(io, pin);
	io->level = level ? io->level | 1u << pin : io->level & ~(1u << pin);
	uint64_t e = io->redir[pin];
	if (e & R_MASKED)
		return;
	if (e & R_LEVEL)
		service(io, l, pin);
	else if (!was && asserted(io, pin))
		deliver(io, l, pin);
}

void vioapic_eoi(struct vioapic *io, struct vlapic *l, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		if ((uint8_t)io->redir[pin] != vector || !(io->redir[pin] & R_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~(uint64_t)R_REMOTE_IRR;
		service(io, l, pin);
	}
}

static uint32_t reg_read(struct vioapic *io, unsigned r)
{
	if (r == 0 || r == 2)
		return (uint32_t)io->id << 24;
	if (r == 1)
		return VERSION;
	if (r >= 0x10 && r < 0x10 + 2 * VIOAPIC_PINS) {
		uint64_t e = io->redir[(r - 0x10) / 2];
		return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	io->bad_reg[r / 32] |= 1u << (r % 32);
	return 0;
}

static void reg_write(struct vioapic *io, struct vlapic *l, unsigned r, uint32_t v)
{
	if (r == 0) {
		io->id = (uint8_t)((v >> 24) & 0xF);
		return;
	}
	if (r == 1 || r == 2)
		return;                          /* read-only */
	if (r < 0x10 || r >= 0x10 + 2 * VIOAPIC_PINS) {
		io->bad_reg[r / 32] |= 1u << (r % 32);
		return;
	}
	unsigned pin = (r - 0x10) / 2;
	uint64_t e = io->redir[pin];
	if (r & 1) {
		e = (e & 0xFFFFFFFFu) | (uint64_t)(v & R_HI_WRITABLE) << 32;
	} else {
		e = (e & ~(uint64_t)R_LO_WRITABLE) | (v & R_LO_WRITABLE);
		if (!(e & R_LEVEL))
			e &= ~(uint64_t)R_REMOTE_IRR;
	}
	io->redir[pin] = e;
	service(io, l, pin);
}

void vioapic_mmio(struct vioapic *io, struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val)
{
	off &= 0xFFF;
	if (off == 0) {                          /* IOREGSEL */
		if (write)
			io->sel = (uint8_t)*val;
		else
			*val = io->sel;
		return;
	}
	if (off == 0x10 && size == 4) {          /* IOWIN */
		if (write)
			reg_write(io, l, io->sel, *val);
		else
			*val = reg_read(io, io->sel);
		return;
	}
	if (off >= 0x10 && off < 0x14)
		io->subdword_iowin = true;
	else if (off > 3)
		io->bad_offset = true;
	if (!write)
		*val = 0;
}

void vioapic_report_unimplemented(const struct vioapic *io, void (*line)(void *ctx, const char *s), void *ctx)
{
	char buf[256];
	int k = 0;
	for (unsigned r = 0; r < 256; r++) {
		if (!((io->bad_reg[r / 32] >> (r % 32)) & 1))
			continue;
		if (!k)
			k = snprintf_(buf, sizeof buf, "IO APIC: reserved registers accessed (read 0, writes ignored):");
		k += snprintf_(buf + k, sizeof buf - (size_t)k, " %#x", r);
		if (k > 120) {
			line(ctx, buf);
			k = 0;
		}
	}
	if (k)
		line(ctx, buf);
	if (io->bad_offset)
		line(ctx, "IO APIC: accesses outside IOREGSEL/IOWIN (read 0, writes ignored)");
	if (io->subdword_iowin)
		line(ctx, "IO APIC: 1- or 2-byte IOWIN accesses (read 0, writes ignored)");
	if (io->refused_pins) {
		static const char *const mode[8] = {"fixed", "lowest", "SMI", "reserved(3)", "NMI", "INIT",
						    "reserved(6)", "ExtINT"};
		k = snprintf_(buf, sizeof buf, "IO APIC: delivery modes not modelled (nothing delivered):");
		for (unsigned m = 2; m < 8; m++)
			if (io->refused_modes & (1u << m))
				k += snprintf_(buf + k, sizeof buf - (size_t)k, " %s", mode[m]);
		k += snprintf_(buf + k, sizeof buf - (size_t)k, " on pins");
		for (unsigned p = 0; p < VIOAPIC_PINS; p++)
			if (io->refused_pins & (1u << p))
				k += snprintf_(buf + k, sizeof buf - (size_t)k, " %u", p);
		line(ctx, buf);
	}
}
