/* serial.c - the real 16550 UART on COM1 (0x3F8): the VMM's console and the test log. */
#include "cpu.h"
#include "console.h"

#define COM1 0x3F8

static int present;

void serial_init(void)
{
	outb(COM1 + 1, 0x00);    /* no interrupts */
	outb(COM1 + 3, 0x80);    /* DLAB on */
	outb(COM1 + 0, 0x01);    /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);    /* 8N1, DLAB off */
	outb(COM1 + 2, 0xC7);    /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + 4, 0x0B);    /* DTR, RTS, OUT2 */
	/* A UART that is absent reads back 0xFF from the line status register. */
	present = inb(COM1 + 5) != 0xFF;
}

void serial_putc(char c)
{
	if (!present)
		return;
	if (c == '\n')
		serial_putc('\r');
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		;
	outb(COM1, (uint8_t)c);
}

int serial_present(void)
{
	return present;
}

int serial_getc(void)
{
	if (!present || !(inb(COM1 + 5) & 0x01))
		return -1;
	return inb(COM1);
}
