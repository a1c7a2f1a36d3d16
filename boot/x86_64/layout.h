/* layout.h - where things live in the VMM's 64-bit address space (shared by C and nasm).
 *
 * Everything the VMM maps sits above 4 GiB linear, so 32-bit compatibility-mode guests, which can
 * only form 32-bit linear addresses, can never reach it. The low 4 GiB belongs to the guest. */
#ifndef BOOT_LAYOUT_H
#define BOOT_LAYOUT_H

#define KERNEL_VMA   0xFFFFFFFF80000000  /* the image: machine 0..1 GiB mapped here (-mcmodel=kernel) */
#define PHYS_LOAD    0x200000            /* where GRUB loads the image (machine address) */
#define PHYSMAP_BASE 0xFFFF800000000000  /* all of machine memory, mapped 1:1 (offset) here */
#define BOOT_PHYSMAP_GB 4                /* the boot tables map this much; C extends the map */

#endif
