/* multiboot1.h - the VMM as a multiboot1 boot loader for its guests (multiboot1.c). */
#ifndef ARCH_LOAD_MULTIBOOT1_H
#define ARCH_LOAD_MULTIBOOT1_H
#include <stddef.h>
#include <stdint.h>

struct vm;

struct mb1_image {
	const uint8_t *bytes;
	uint64_t size;
	const char *cmdline;
};

/* Load the ELF kernel `k` into the VM's memory (the firmware's e820 map says where RAM is), put the
 * initrd (if not 0) page-aligned after the kernel's highest loaded byte, and write the multiboot
 * information. Returns 0 with the entry point and the information's address, or -1 with a
 * one-line reason in why[whylen]. */
int load_guest(struct vm *vm, const struct mb1_image *k, const struct mb1_image *initrd, uint32_t *entry,
	       uint32_t *mbi, char *why, size_t whylen);

#endif
