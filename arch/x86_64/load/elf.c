/* elf.c - the text sections of an ELF kernel, swept for sensitive instructions from their starts.
 *
 * gcc fills a text section with instructions from its first byte to its last, so a linear sweep
 * from the section start finds every instruction boundary; a sweep of a whole PT_LOAD segment
 * would also decode the read-only data that shares it. The physical address of a section is its
 * virtual address moved by the offset of the PT_LOAD segment that holds it. */
#include "elf.h"
#include "../cpu/vm.h"
#include "../../../lib/kstring.h"

int elf_sweep_text(struct vm *vm, const uint8_t *img, uint64_t size, const char *skip, unsigned *patched)
{
	const struct elf32_ehdr *eh = (const void *)img;
	if (!eh->shoff || !eh->shnum || eh->shentsize != sizeof(struct elf32_shdr) ||
	    eh->shoff + (uint64_t)eh->shnum * sizeof(struct elf32_shdr) > size || eh->shstrndx >= eh->shnum)
		return 0;
	const struct elf32_phdr *ph = (const void *)(img + eh->phoff);
	const struct elf32_shdr *sh = (const void *)(img + eh->shoff);
	const struct elf32_shdr *names = &sh[eh->shstrndx];
	int ranges = 0;
	for (unsigned i = 0; i < eh->shnum; i++) {
		if (sh[i].type != 1 /* PROGBITS */ || (sh[i].flags & 6) != 6 /* ALLOC|EXECINSTR */ || !sh[i].size)
			continue;
		const char *name = (uint64_t)names->offset + sh[i].name < size ? (const char *)img + names->offset + sh[i].name : "";
		if (skip && !strcmp(name, skip))
			continue;
		uint32_t pa = 0;
		for (unsigned k = 0; k < eh->phnum; k++)
			if (ph[k].type == ELF_PT_LOAD && sh[i].addr >= ph[k].vaddr &&
			    (uint64_t)sh[i].addr + sh[i].size <= (uint64_t)ph[k].vaddr + ph[k].filesz)
				pa = sh[i].addr - ph[k].vaddr + ph[k].paddr;
		unsigned n;
		if (!pa)
			continue;                          /* not loaded from the file: nothing to sweep */
		if (patch_code_range(vm, pa, sh[i].size, &n) < 0)
			return -1;
		*patched += n;
		ranges++;
	}
	return ranges;
}
