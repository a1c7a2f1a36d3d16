/* vio.c - dispatch of a VM's port I/O to its virtual devices, and the wiring of their interrupt
 * outputs to the virtual PIC (PIT OUT0 -> IRQ0, COM1 -> IRQ4, both as rising edges). */
#include "vio.h"
#include "../../lib/kstring.h"

void vio_init(struct vio *v, uint64_t now_ns, void (*out)(void *ctx, char c), void *ctx)
{
	memset(v, 0, sizeof(*v));
	vpic_init(&v->pic);
	vpit_init(&v->pit, now_ns);
	vuart_init(&v->com1, VIO_COM1, out, ctx);
}

unsigned vio_sync(struct vio *v, uint64_t now_ns)
{
	unsigned edges = vpit_irq0_edges(&v->pit, now_ns);
	if (edges)
		vpic_raise(&v->pic, 0);
	bool level = vuart_irq(&v->com1);
	if (level && !v->com1_level)
		vpic_raise(&v->pic, VIO_COM1_IRQ);
	v->com1_level = level;
	return edges;
}

bool vio_input(struct vio *v, char c, uint64_t now_ns)
{
	bool ok = vuart_input(&v->com1, c);
	vio_sync(v, now_ns);
	return ok;
}

uint64_t vio_next_event_ns(const struct vio *v)
{
	return vpit_next_edge_ns(&v->pit);
}

/* One byte-wide access; returns 1 if claimed. */
static int byte_io(struct vio *v, uint16_t port, bool write, uint8_t *b, uint64_t now_ns)
{
	if (vpic_io(&v->pic, port, write, b) || vpit_io(&v->pit, port, write, b, now_ns) ||
	    vuart_io(&v->com1, port, write, b))
		return 1;
	if (port == 0x80) {
		if (write)
			v->post = *b;
		else
			*b = v->post;
		return 1;
	}
	if (!write)
		*b = 0xFF;
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
	int claimed = 0;
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
