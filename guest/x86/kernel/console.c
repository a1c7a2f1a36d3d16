/* console.c - COM1 serial console (polled, in/out on 0x3f8), kprintf/klog/panic on top of the
 * project's shared vformat(), and power-off through QEMU's isa-debug-exit device. */
#include <stdarg.h>
#include "kernel.h"
#include "x86.h"
#include "../../../lib/format.h"

#define COM1 0x3f8

void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no UART interrupts: output is polled */
	outb(COM1 + 3, 0x80);	/* DLAB on */
	outb(COM1 + 0, 0x01);	/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8 bits, no parity, one stop bit */
	outb(COM1 + 2, 0xC7);	/* FIFO on, cleared */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
}

void serial_putc(char c)
{
	int spin = 100000;
	while (!(inb(COM1 + 5) & 0x20) && --spin)	/* wait for an empty transmit register */
		;
	outb(COM1, (uint8_t)c);
}

static void sink(void *ctx, char c)
{
	(void)ctx;
	serial_putc(c);
}

static int vkprintf(const char *fmt, va_list ap)
{
	uint32_t f = irq_save();	/* keep lines whole */
	int n = vformat(sink, 0, fmt, ap);
	irq_restore(f);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* A kernel message: a "# " diagnostic line in test and bench modes. */
int klog(const char *fmt, ...)
{
	va_list ap;
	uint32_t f = irq_save();
	if (boot_mode != MODE_DEMO)	/* keep KTAP and bench output machine-readable */
		kprintf("# ");
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	irq_restore(f);
	return n;
}

void poweroff(int failed)
{
	cli();
	outb(0xf4, failed ? 1 : 0);	/* isa-debug-exit: QEMU exits with status (v << 1) | 1 */
	for (;;)			/* no such device: just stop */
		hlt();
}

void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("PANIC: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	poweroff(1);
}
