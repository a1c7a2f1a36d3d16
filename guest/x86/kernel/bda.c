/* bda.c - the BIOS data area at 0x400: what a 1990s OS read first (serial port bases, base
 * memory size, where the extended BIOS data area is). Reached through the kernel's direct map. */
#include "kernel.h"
#include "drivers.h"

static uint16_t bda_word(uint32_t off)
{
	return *(volatile uint16_t *)phys_ptr(0x400 + off);
}

uint16_t bda_com1(void) { return bda_word(0x00); }
uint16_t bda_base_kib(void) { return bda_word(0x13); }
uint16_t bda_ebda_seg(void) { return bda_word(0x0E); }
