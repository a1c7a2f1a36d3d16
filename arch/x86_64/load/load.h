/* load.h - the VMM as the guest's boot loader: a kernel module (a multiboot1 ELF or a Linux
 * bzImage) and its initrd go into the VM's memory, and the vCPU starts as that loader would leave
 * it. The loaders only use the VM's memory (mmu/) and the PC's memory map. */
#ifndef ARCH_LOAD_H
#define ARCH_LOAD_H
#include <stdint.h>
#include "../cpu/vm.h"
#include "multiboot1.h"

struct boot_module {
	const uint8_t *data;
	uint64_t size;
	const char *cmdline;
};

/* The vCPU as the loader leaves it: 32-bit protected mode, paging and interrupts off, flat code
 * and data segments at selectors cs and ds (DPL 0 to the guest). */
struct boot_cpu {
	uint32_t eip, esp, eax, ebx, esi;
	uint16_t cs, ds;
};

/* Copy n bytes (or zeros) into guest-physical memory. 0, or -1 out of machine memory. */
int load_copy(struct vm *vm, uint32_t gpa, const uint8_t *src, uint32_t n, int zero);

int is_bzimage(const uint8_t *img, uint64_t size);
/* vmlinux, if given, is the ELF of the kernel inside the bzImage (tools/bzimage.py extracts it):
 * then the kernel is loaded from it directly, with its text swept from the section starts. */
int load_linux(struct vm *vm, const struct boot_module *kernel, const struct boot_module *initrd,
	       const struct boot_module *vmlinux, struct boot_cpu *cpu, const char **why);

#endif
