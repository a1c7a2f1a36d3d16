/* pic.c - the 8259 interrupt controllers (remapped to vectors 32..47) and the 8254 timer's
 * channel 0 (the system clock unless the boot word `apic` puts the local APIC timer there). */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define PIC1 0x20
#define PIC2 0xA0

volatile uint32_t ticks;
static uint16_t pic_mask = 0xFFFA;	/* IMR of both chips: IRQ0 (timer) and IRQ2 (cascade) open */

static void io_wait(void)
{
	outb(0x80, 0);	/* a write to the POST port gives the old PICs time to settle */
}

void pic_init(void)
{
	outb(PIC1, 0x11);	/* ICW1: edge triggered, cascade, ICW4 follows */
	io_wait();
	outb(PIC2, 0x11);
	io_wait();
	outb(PIC1 + 1, 32);	/* ICW2: vector offsets */
	io_wait();
	outb(PIC2 + 1, 40);
	io_wait();
	outb(PIC1 + 1, 0x04);	/* ICW3: slave on IRQ2 */
	io_wait();
	outb(PIC2 + 1, 0x02);
	io_wait();
	outb(PIC1 + 1, 0x01);	/* ICW4: 8086 mode */
	io_wait();
	outb(PIC2 + 1, 0x01);
	io_wait();
	outb(PIC1 + 1, pic_mask & 0xFF);
	outb(PIC2 + 1, pic_mask >> 8);
}

void pic_set_mask(int irq, int masked)
{
	uint32_t f = irq_save();
	if (masked)
		pic_mask |= 1u << irq;
	else
		pic_mask &= ~(1u << irq);
	if (irq >= 8)
		outb(PIC2 + 1, pic_mask >> 8);
	else
		outb(PIC1 + 1, pic_mask & 0xFF);
	irq_restore(f);
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

void pit_init(unsigned hz)
{
	uint32_t div = 1193182 / hz;
	if (div > 0xFFFF)
		div = 0xFFFF;
	if (div < 1)
		div = 1;
	outb(0x43, 0x34);	/* channel 0, lobyte/hibyte, mode 2 (rate generator) */
	outb(0x40, div & 0xFF);
	outb(0x40, div >> 8);
}
