/* pit.c - PIT channel 2 as a reference clock, the way OSes of the era calibrated other timers:
 * the gate is port 0x61 bit 0 (bit 1, the speaker, stays off), the channel counts down once in
 * mode 0 and its OUT pin reads back as port 0x61 bit 5. Channel 0 (the clock) is in pic.c. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT61 0x61
#define P61_GATE2 0x01
#define P61_SPEAKER 0x02
#define P61_OUT2 0x20
#define POLL_LIMIT 4000000	/* far more polls than a 55 ms count needs, even emulated */

void pit2_start(uint16_t count)
{
	outb(PORT61, (inb(PORT61) & ~P61_SPEAKER) | P61_GATE2);
	outb(PIT_CMD, 0xB0);	/* channel 2, lobyte/hibyte, mode 0, binary: OUT goes low */
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);	/* counting starts: OUT goes high at terminal count */
}

int pit2_done(void)
{
	return (inb(PORT61) & P61_OUT2) != 0;
}

uint16_t pit2_read(void)
{
	uint8_t lo, hi;
	outb(PIT_CMD, 0x80);	/* counter latch command, channel 2 */
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (uint16_t)(lo | hi << 8);
}

int pit2_wait(uint16_t count)
{
	int n;
	pit2_start(count);
	for (n = 0; n < POLL_LIMIT; n++)
		if (pit2_done())
			return 1;
	return 0;
}

uint32_t pit_delay_us(uint32_t us)
{
	/* Mode 0 goes on counting past terminal count (from 0xFFFF down): the count read after OUT
	 * was seen high says how late the poll saw it (a CPU taken away by a loaded host or by a VMM
	 * running other VMs), up to 55 ms. The time that really passed is returned. */
	uint64_t ticks = 0;
	while (us) {
		uint32_t chunk = us > 50000 ? 50000 : us;
		uint32_t count = (uint32_t)((uint64_t)chunk * PIT_HZ / 1000000);
		if (!count)
			count = 1;
		ticks += count;
		if (pit2_wait((uint16_t)count))
			ticks += (uint16_t)(0u - pit2_read());
		us -= chunk;
	}
	return (uint32_t)(ticks * 1000000 / PIT_HZ);
}
