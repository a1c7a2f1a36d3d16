/* pci.c - PCI configuration mechanism 1: CONFIG_ADDRESS at 0xCF8 (enable bit, bus, device,
 * function, register), CONFIG_DATA at 0xCFC..0xCFF. Reads only; interrupts are off around each
 * address/data pair so an interrupt handler cannot move the address in between. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC

static uint32_t address(int bus, int dev, int fn, int off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
	       ((uint32_t)off & 0xFC);
}

uint32_t pci_read32(int bus, int dev, int fn, int off)
{
	uint32_t f = irq_save(), v;
	outl(CONFIG_ADDRESS, address(bus, dev, fn, off));
	v = inl(CONFIG_DATA);
	irq_restore(f);
	return v;
}

uint16_t pci_read16(int bus, int dev, int fn, int off)
{
	uint32_t f = irq_save();
	uint16_t v;
	outl(CONFIG_ADDRESS, address(bus, dev, fn, off));
	v = inw((uint16_t)(CONFIG_DATA + (off & 2)));
	irq_restore(f);
	return v;
}
