/* elf.h - the parts of a 32-bit ELF file the loaders read, and the sweep of its text sections. */
#ifndef ARCH_LOAD_ELF_H
#define ARCH_LOAD_ELF_H
#include <stdint.h>

struct vm;

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr { uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align; };
struct elf32_shdr { uint32_t name, type, flags, addr, offset, size, link, info, addralign, entsize; };

#define ELF_PT_LOAD 1
#define ELF_PF_X 1

/* Sweep every allocated, executable PROGBITS section of the (already loaded) image from its first
 * byte and patch it (cpu/patch.c patch_code_range: the page boundaries are remembered for later
 * rescans). `skip` names a section that holds templates read as data (or 0). Returns the number of
 * sections swept (0: the file has no usable section headers) and adds to *patched; -1 when the
 * VMM cannot record them (too many ranges, out of memory). */
int elf_sweep_text(struct vm *vm, const uint8_t *img, uint64_t size, const char *skip, unsigned *patched);

#endif
