/* pic.c - the 8259 interrupt controllers (remapped to vectors 32..47) and the 8254 timer. */
#include "kernel.h"
#include "x86.h"

#define PIC1 0x20
#define PIC2 0xA0

volatile uint32_t ticks;

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
	outb(PIC1 + 1, 0xFA);	/* unmask IRQ0 (timer) and IRQ2 (cascade) only */
	outb(PIC2 + 1, 0xFF);
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
