/* vio.c - the wiring of a VM's virtual PC: port dispatch to the devices, PCI configuration
 * mechanism 1 (a bus with no devices), the memory-mapped APIC pages, and the interrupt lines.
 *
 * An ISA interrupt line goes two ways, as on a PC with an IO APIC: to the 8259 pair (which latches
 * rising edges) and to the IO APIC pin of the same number (IRQ0 on pin 2, as the firmware tables
 * say). The local APIC then decides what the vCPU takes: a vector from its own IRR (IO APIC,
 * self IPIs, its timer), or the 8259's INTR through LINT0 in virtual-wire (ExtINT) mode. */
#include "vio.h"
#include "../../../lib/kstring.h"
#include "../../../lib/format.h"

#define IRQ_PIT  0
#define IRQ_KBD  1
#define IRQ_RTC  8
#define IRQ_SCI  9
#define IRQ_AUX  12
#define IRQ_IDE0 14
#define IRQ_IDE1 15

void vio_init(struct vio *v, uint64_t now_ns, uint64_t epoch_s, uint64_t ram_bytes,
	      void (*out)(void *ctx, char c), void *ctx)
{
	memset(v, 0, sizeof(*v));
	vpic_init(&v->pic);
	vpit_init(&v->pit, now_ns);
	vuart_init(&v->com1, VIO_COM1, out, ctx);
	vcmos_init(&v->cmos, epoch_s, ram_bytes, now_ns);
	vkbd_init(&v->kbd);
	vpm_init(&v->pm, now_ns);
	vata_init(&v->ide[0], 0x1F0, 0x3F6, IRQ_IDE0);
	vata_init(&v->ide[1], 0x170, 0x376, IRQ_IDE1);
	vlapic_init(&v->lapic, now_ns);
	vioapic_init(&v->ioapic);
}

static unsigned ioapic_pin(unsigned irq)
{
	return irq == IRQ_PIT ? 2 : irq;
}

/* A line's level: a rising edge reaches the 8259; the IO APIC sees the level. */
static void set_line(struct vio *v, unsigned irq, bool level)
{
	uint16_t bit = (uint16_t)(1u << irq);
	bool was = (v->lines & bit) != 0;
	if (level && !was)
		vpic_raise(&v->pic, irq);
	if (level != was)
		vioapic_set_pin(&v->ioapic, &v->lapic, ioapic_pin(irq), level);
	v->lines = (uint16_t)(level ? v->lines | bit : v->lines & ~bit);
}

unsigned vio_sync(struct vio *v, uint64_t now_ns)
{
	unsigned edges = vpit_irq0_edges(&v->pit, now_ns);
	if (edges) {                     /* OUT0 pulses: one edge per sync, however many passed */
		set_line(v, IRQ_PIT, true);
		set_line(v, IRQ_PIT, false);
	}
	set_line(v, VIO_COM1_IRQ, vuart_irq(&v->com1));
	if (v->kbd.refill) {             /* a byte was read and the next took its place: new edges */
		set_line(v, IRQ_KBD, false);
		set_line(v, IRQ_AUX, false);
		v->kbd.refill = false;
	}
	set_line(v, IRQ_KBD, v->kbd.irq1);
	set_line(v, IRQ_AUX, v->kbd.irq12);
	set_line(v, IRQ_RTC, vcmos_sync(&v->cmos, now_ns));
	set_line(v, IRQ_SCI, vpm_sync(&v->pm, now_ns));
	set_line(v, IRQ_IDE0, v->ide[0].irq_level);
	set_line(v, IRQ_IDE1, v->ide[1].irq_level);
	vlapic_sync(&v->lapic, now_ns);
	int eoi;
	while ((eoi = vlapic_take_level_eoi(&v->lapic)) >= 0)
		vioapic_eoi(&v->ioapic, &v->lapic, (uint8_t)eoi);
	if (v->pm.off_requested) {
		v->exit_requested = true;
		v->exit_code = 0;
	}
	if ((v->kbd.reset_requested || v->pm.reset_requested) && !v->reset_requested) {
		v->reset_requested = true;
		v->reset_how = v->kbd.reset_requested ? v->kbd.reset_how : v->pm.reset_how;
	}
	return edges;
}

int vio_intr_pending(const struct vio *v)
{
	int vec = vlapic_pending(&v->lapic);
	if (vec >= 0)
		return vec;
	return vlapic_accepts_pic(&v->lapic) ? vpic_pending(&v->pic) : -1;
}

int vio_intr_ack(struct vio *v)
{
	if (vlapic_pending(&v->lapic) >= 0)
		return vlapic_ack(&v->lapic);
	return vlapic_accepts_pic(&v->lapic) ? vpic_ack(&v->pic) : -1;
}

bool vio_input(struct vio *v, char c, uint64_t now_ns)
{
	bool ok = vuart_input(&v->com1, c);
	vkbd_input(&v->kbd, c);
	vio_sync(v, now_ns);
	return ok;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t vio_next_event_ns(const struct vio *v)
{
	return min64(min64(vpit_next_edge_ns(&v->pit), vpm_next_event_ns(&v->pm)),
		     min64(vcmos_next_event_ns(&v->cmos), vlapic_next_event_ns(&v->lapic)));
}

static void count_unknown(struct vio *v, uint16_t port)
{
	for (int i = 0; i < VIO_UNKNOWN_MAX; i++) {
		if (v->unknown[i].n && v->unknown[i].port == port) {
			v->unknown[i].n++;
			return;
		}
		if (!v->unknown[i].n) {
			v->unknown[i].port = port;
			v->unknown[i].n = 1;
			return;
		}
	}
	v->unknown_other++;
}

void vio_report_unknown(const struct vio *v, void (*line)(void *ctx, const char *s), void *ctx)
{
	char buf[160];
	int k = 0;
	for (int i = 0; i < VIO_UNKNOWN_MAX && v->unknown[i].n; i++) {
		k += snprintf_(buf + k, sizeof buf - (size_t)k, " %#x:%lu", v->unknown[i].port, v->unknown[i].n);
		if (k > 120) {
			line(ctx, buf);
			k = 0;
		}
	}
	if (v->unknown_other)
		k += snprintf_(buf + k, sizeof buf - (size_t)k, " other ports:%lu", v->unknown_other);
	if (k)
		line(ctx, buf);
}

/* One byte-wide access; returns 1 if claimed. */
static int byte_io(struct vio *v, uint16_t port, bool write, uint8_t *b, uint64_t now_ns)
{
	if (vpic_io(&v->pic, port, write, b) || vpit_io(&v->pit, port, write, b, now_ns) ||
	    vuart_io(&v->com1, port, write, b) || vcmos_io(&v->cmos, port, write, b, now_ns) ||
	    vkbd_io(&v->kbd, port, write, b) || vpm_io(&v->pm, port, write, b, now_ns))
		return 1;
	uint32_t w = *b;
	for (int i = 0; i < 2; i++)
		if (vata_io(&v->ide[i], port, 1, write, &w)) {
			*b = (uint8_t)w;
			return 1;
		}
	if (port == 0x80) {
		if (write)
			v->post = *b;
		else
			*b = v->post;
		return 1;
	}
	if (!write)
		*b = 0xFF;
	count_unknown(v, port);
	return 0;
}

/* PCI configuration mechanism 1: 0xCF8 holds the address (dword), 0xCFC-0xCFF the data. There is
 * no device on the bus: every function reads all ones (vendor 0xFFFF), writes are dropped. */
static int pci_io(struct vio *v, uint16_t port, unsigned size, bool write, uint32_t *val)
{
	if (port == 0xCF8 && size == 4) {
		if (write)
			v->pci_addr = *val & 0x80FFFFFCu;
		else
			*val = v->pci_addr;
		return 1;
	}
	if (port >= 0xCFC && port < 0xD00 && (v->pci_addr & 0x80000000u)) {
		if (!write)
			*val = 0xFFFFFFFFu;
		return 1;
	}
	return 0;
}

int vio_port(struct vio *v, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now_ns)
{
	if (size != 2 && size != 4)
		size = 1;
	uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
	if (port >= VIO_EXIT_PORT && port < VIO_EXIT_PORT + 4) {
		/* like QEMU's isa-debug-exit: any write ends the VM with the value written */
		if (write) {
			v->exit_requested = true;
			v->exit_code = *val & mask;
		} else {
			*val = 0;
		}
		return 1;
	}
	int claimed = pci_io(v, port, size, write, val);
	if (!claimed && size > 1)
		for (int i = 0; i < 2 && !claimed; i++)
			claimed = vata_io(&v->ide[i], port, size, write, val);   /* the 16/32-bit data port */
	if (claimed) {
		if (!write)
			*val &= mask;
		vio_sync(v, now_ns);
		return 1;
	}
	uint32_t result = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = write ? (uint8_t)(*val >> (8 * i)) : 0;
		claimed |= byte_io(v, (uint16_t)(port + i), write, &b, now_ns);
		result |= (uint32_t)b << (8 * i);
	}
	if (!write)
		*val = result;
	vio_sync(v, now_ns);
	return claimed;
}

int vio_mmio(struct vio *v, uint32_t gpa, unsigned size, bool write, uint32_t *val, uint64_t now_ns)
{
	int claimed = 1;
	if (vlapic_claims(&v->lapic, gpa))
		vlapic_mmio(&v->lapic, gpa & 0xFFF, size, write, val, now_ns);
	else if (vioapic_claims(gpa))
		vioapic_mmio(&v->ioapic, &v->lapic, gpa & 0xFFF, size, write, val);
	else {
		claimed = 0;                 /* an open bus */
		if (!write)
			*val = 0xFFFFFFFFu;
	}
	vio_sync(v, now_ns);
	return claimed;
}
