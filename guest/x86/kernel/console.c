/* console.c - COM1 serial console (polled, in/out on 0x3f8), kprintf/klog/panic on top of the
 * project's shared vformat(), and power-off through QEMU's isa-debug-exit device. */
#include <stdarg.h>
#include "kernel.h"
#include "x86.h"
#include "../include/hypercall.h"
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

/* Wait for an empty transmitter before each byte (a byte written to a full one is lost). QEMU's
 * UART stays full for as long as the host reads its output slowly, so the wait is long (2^26
 * polls: seconds under QEMU); after a wait that timed out, waits are short until THRE shows
 * again, so a dead UART costs one long wait (the VMM's serial.c says more). */
static int stuck;

void serial_putc(char c)
{
	unsigned limit = stuck ? 1000u : 1u << 26, spin = 0;
	while (!(inb(COM1 + 5) & 0x20) && ++spin < limit)
		;
	stuck = spin >= limit;
	outb(COM1, (uint8_t)c);
}

/* Under the VMM (pv.c) a message goes out in one hypercall, not one trap per UART register. */
static char pvbuf[256];
static unsigned pvlen;

static void pv_flush(void)
{
	if (pvlen)
		pv_console_write(pvbuf, pvlen);
	pvlen = 0;
}

static void sink(void *ctx, char c)
{
	(void)ctx;
	if (!pv_active) {
		serial_putc(c);
		return;
	}
	if (pvlen == sizeof pvbuf)
		pv_flush();
	pvbuf[pvlen++] = c;
}

/* n bytes as they are (a process's write()): by hypercall under the VMM, else to COM1. */
void console_write(const char *s, uint32_t n)
{
	while (pv_active && n) {
		uint32_t k = n < HC_CONSOLE_MAX ? n : HC_CONSOLE_MAX;
		int32_t r = pv_console_write(s, k);
		if (r <= 0)
			break;                  /* (a page the VMM could not read: the UART does the rest) */
		s += r, n -= (uint32_t)r;
	}
	while (n--)
		serial_putc(*s++);
}

static int vkprintf(const char *fmt, va_list ap)
{
	uint32_t f = irq_save();	/* keep lines whole */
	int n = vformat(sink, 0, fmt, ap);
	pv_flush();
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
