/* memmap.c - the physical memory map of the VM's PC, as a BIOS reports it (e820) and as the
 * multiboot1 and Linux loaders pass it on: base memory up to the EBDA, the EBDA reserved, the
 * legacy hole 0xA0000-0xDFFFF left out (VGA memory, option ROMs), the BIOS area with the firmware
 * tables reserved, then RAM from 1 MiB to the end of the VM's memory. */
#include "load.h"

int pc_memory_map(uint64_t ram, struct e820 *map, int max)
{
	const struct e820 pc[] = {
		{ 0, 0x9FC00, E820_RAM },
		{ 0x9FC00, 0x400, E820_RESERVED },
		{ GPA_ROM_START, GPA_ROM_END - GPA_ROM_START, E820_RESERVED },
		{ 0x100000, ram - 0x100000, E820_RAM },
	};
	int n = 0;
	for (unsigned i = 0; i < sizeof pc / sizeof pc[0] && n < max; i++)
		map[n++] = pc[i];
	return n;
}
