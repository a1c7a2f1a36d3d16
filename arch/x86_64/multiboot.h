/* multiboot.h - what the VMM takes from the multiboot2 boot information GRUB gives it (or the
 * multiboot 1 information of QEMU's -kernel). */
#ifndef ARCH_MULTIBOOT_H
#define ARCH_MULTIBOOT_H
#include <stdint.h>
#include "console.h"

#define MB_MAX_MMAP 64
#define MB_MAX_MODULES 16

struct mb_mmap { uint64_t base, len; uint32_t type; };   /* type 1 = usable RAM */
struct mb_module { uint64_t start, end; const char *cmdline; };

struct boot_info {
	uint64_t info_phys, info_size;
	const char *cmdline;              /* "" when the loader gave none */
	const char *loader;
	struct mb_mmap mmap[MB_MAX_MMAP];
	int nmmap;
	struct mb_module mod[MB_MAX_MODULES];
	int nmod;
	int have_fb;
	struct fb_info fb;
	int efi;                          /* booted from UEFI firmware */
	uint64_t rsdp_phys;               /* GRUB's copy of the ACPI RSDP (tag 15, else 14), or 0 */
};

/* Parse the information at machine address `phys`. Returns 0, or -1 with *why set. */
int multiboot_parse(uint64_t phys, struct boot_info *bi, const char **why);
/* The same for a multiboot (version 1) loader's (EAX 0x2BADB002 at entry). */
int multiboot1_parse(uint64_t phys, struct boot_info *bi, const char **why);

#endif
