/* vio.h - one VM's virtual PC port space: the 8259 pair, the 8254 (+ port 0x61), COM1 (IRQ4),
 * the POST port 0x80 and QEMU's isa-debug-exit at 0xF4. The VMM's in/out emulation calls
 * vio_port; the VMM's interrupt delivery calls vio_sync and then vpic_pending/vpic_ack. */
#ifndef ARCH_VIO_H
#define ARCH_VIO_H
#include <stdint.h>
#include <stdbool.h>
#include "vpic.h"
#include "vpit.h"
#include "vuart.h"

#define VIO_COM1      0x3F8
#define VIO_COM1_IRQ  4
#define VIO_EXIT_PORT 0xF4	/* isa-debug-exit, 4 ports wide as QEMU's iosize=4 */

struct vio {
	struct vpic pic;
	struct vpit pit;
	struct vuart com1;
	bool com1_level;	/* COM1's interrupt output at the last sync, for edge detection */
	uint8_t post;		/* last byte written to 0x80 (readable, as the DMA page register is) */
	bool exit_requested;	/* the guest wrote to the debug-exit port */
	uint32_t exit_code;	/* the value it wrote */
};

/* Reset every device (PIC as after BIOS, PIT channel 0 at 18.2 Hz from now_ns, COM1 output to
 * out(ctx, c)). */
void vio_init(struct vio *v, uint64_t now_ns, void (*out)(void *ctx, char c), void *ctx);

/* Emulate in/out of size 1, 2 or 4 at port. For a write *val holds the value; for a read the
 * result is stored in *val (only the low size bytes are meaningful; the upper ones are 0).
 * Word and dword accesses are split into byte accesses on consecutive ports, low byte first
 * (outw 0x20 writes 0x20 then 0x21), except the debug-exit port, which takes the whole value.
 * Returns 1 if a device claimed the port (any byte of it), 0 if not: unclaimed bytes read as 0xFF
 * and writes to them are dropped, as on a PC with nothing decoding the address. Any other size
 * is treated as 1. Interrupt lines are synced (vio_sync) after every access. */
int vio_port(struct vio *v, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now_ns);

/* Bring the PIC up to date at now_ns: raise IRQ0 if the PIT produced edges since the last call
 * (several edges coalesce into one latched request, as the 8259's IRR holds one), and IRQ4 on a
 * rising COM1 interrupt level. Returns the number of PIT edges (for lost-tick accounting). */
unsigned vio_sync(struct vio *v, uint64_t now_ns);

/* Queue a byte received on COM1 (from the VMM's console) and update IRQ4. */
bool vio_input(struct vio *v, char c, uint64_t now_ns);

/* When a halted guest must next be woken for a timer interrupt (UINT64_MAX: never). */
uint64_t vio_next_event_ns(const struct vio *v);

#endif
