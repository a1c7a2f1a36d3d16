/* i8042.c - the PS/2 keyboard controller (data port 0x60, status/command port 0x64): controller
 * commands with their one-byte replies and the command ("configuration") byte. Polled: the
 * keyboard IRQ stays masked. Never sends 0xFE (pulse reset) - that would reboot the PC. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define DATA 0x60
#define STATUS 0x64
#define CMD 0x64
#define ST_OUT_FULL 0x01
#define ST_IN_FULL 0x02
#define LIMIT 2000000

static int wait_write(void)
{
	int n;
	for (n = 0; n < LIMIT; n++)
		if (!(inb(STATUS) & ST_IN_FULL))
			return 0;
	return -1;
}

static int wait_read(void)
{
	int n;
	for (n = 0; n < LIMIT; n++)
		if (inb(STATUS) & ST_OUT_FULL)
			return 0;
	return -1;
}

void i8042_flush(void)
{
	int n;
	for (n = 0; n < 32 && (inb(STATUS) & ST_OUT_FULL); n++)
		(void)inb(DATA);
}

int i8042_command(uint8_t cmd, int reply)
{
	i8042_flush();
	if (wait_write() < 0)
		return -1;
	outb(CMD, cmd);
	if (!reply)
		return 0;
	if (wait_read() < 0)
		return -1;
	return inb(DATA);
}

int i8042_write_config(uint8_t v)
{
	if (wait_write() < 0)
		return -1;
	outb(CMD, 0x60);
	if (wait_write() < 0)
		return -1;
	outb(DATA, v);
	return wait_write();
}
