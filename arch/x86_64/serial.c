/* serial.c - the real 16550 UART on COM1 (0x3F8): the VMM's console and the test log. */
#include "cpu.h"
#include "console.h"
#include "pic.h"

#define COM1 0x3F8

static int present;
static int stuck;       /* a wait for THRE has timed out since THRE was last seen */

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

/* Wait for THRE (an empty transmitter) before a byte goes in: a byte written to a full one is
 * lost (a 16550 drops the oldest byte of a full FIFO). A real UART at 115200 baud empties its
 * FIFO in ~1.4 ms whether anyone listens or not; QEMU's keeps THRE clear for as long as the
 * host end of the line (a pipe) is full -- on a loaded host that outlasted the old bound of
 * 100,000 polls, and the fuzz campaign's logs lost bytes (a reader that took 4 KiB every 0.3 s
 * got broken lines; it gets all of them now). So the wait is long: 2 s of TSC time once the TSC
 * is calibrated (real time on hardware and under TCG; under -icount the TSC counts
 * instructions, so some seconds), 2^24 polls before. And once a wait has timed out, waits are
 * short (1 ms, 1000 polls) until THRE shows again: a dead UART costs one long wait, not one
 * per byte. */
static int wait_thre(void)
{
	uint64_t t0 = rdtsc(), limit = tsc_khz * (stuck ? 1 : 2000);
	for (unsigned spin = 0; !(inb(COM1 + 5) & 0x20); spin++)
		if (limit ? rdtsc() - t0 > limit : spin >= (stuck ? 1000u : 1u << 24))
			return 0;
	stuck = 0;
	return 1;
}

void serial_putc(char c)
{
	if (!present)
		return;
	if (c == '\n')
		serial_putc('\r');
	if (!wait_thre())
		stuck = 1;      /* (the byte goes in anyway: it may be lost, or the UART dead) */
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
