/* elf.c - load a static ELF32 user program (embedded in the kernel image) into an address space. */
#include "kernel.h"
#include "../include/abi.h"

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
#define PT_LOAD 1
#define PF_W 2

/* The user programs, linked into the kernel with `ld -b binary` (see the Makefile). */
#define USERPROG(n) extern const char _binary_##n##_elf_start[], _binary_##n##_elf_end[];
USERPROG(init)
USERPROG(utest)
USERPROG(ubench)
USERPROG(hello)
USERPROG(badprog)
#define ENTRY(n) { #n, _binary_##n##_elf_start, _binary_##n##_elf_end }
static const struct {
	const char *name, *start, *end;
} userprogs[] = { ENTRY(init), ENTRY(utest), ENTRY(ubench), ENTRY(hello), ENTRY(badprog) };

const void *userprog_find(const char *name, uint32_t *size)
{
	unsigned i;
	for (i = 0; i < sizeof(userprogs) / sizeof(userprogs[0]); i++)
		if (!strcmp(name, userprogs[i].name)) {
			*size = userprogs[i].end - userprogs[i].start;
			return userprogs[i].start;
		}
	return 0;
}

/* Copy one PT_LOAD segment page by page into fresh frames of pd (not the current space:
 * the frames are written through the kernel's direct map). */
static int load_segment(uint32_t *pd, const uint8_t *img, const struct elf32_phdr *ph)
{
	uint32_t va, end = ph->vaddr + ph->memsz;

	for (va = ph->vaddr & ~(PAGE - 1); va < end; va += PAGE) {
		uint32_t *pte = vm_pte(pd, va, 1), lo, hi;
		if (!pte)
			return -1;
		if (!(*pte & PTE_P) && vm_map_new(pd, va, 0) < 0)
			return -1;
		if (ph->flags & PF_W)
			*pte |= PTE_W;
		lo = va > ph->vaddr ? va : ph->vaddr;	/* file bytes that fall in this page */
		hi = va + PAGE < ph->vaddr + ph->filesz ? va + PAGE : ph->vaddr + ph->filesz;
		if (lo < hi)
			memcpy((uint8_t *)(*pte & ~0xFFFu) + (lo - va), img + ph->offset + (lo - ph->vaddr),
			       hi - lo);
	}
	return 0;
}

int elf_load(uint32_t *pd, const void *image, uint32_t size, uint32_t *entry, uint32_t *end)
{
	const struct elf32_ehdr *eh = image;
	const uint8_t *img = image;
	int i;

	if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF\1\1", 6) || eh->type != 2 ||
	    eh->machine != 3 || eh->phoff + (uint32_t)eh->phnum * sizeof(struct elf32_phdr) > size)
		return -1;
	*end = USER_BASE;
	for (i = 0; i < eh->phnum; i++) {
		const struct elf32_phdr *ph = (const void *)(img + eh->phoff + i * sizeof(*ph));
		if (ph->type != PT_LOAD)
			continue;
		if (ph->vaddr < USER_BASE || ph->memsz > HEAP_MAX - ph->vaddr || ph->filesz > ph->memsz ||
		    ph->offset > size || ph->filesz > size - ph->offset)
			return -1;
		if (load_segment(pd, img, ph) < 0)
			return -1;
		if (ph->vaddr + ph->memsz > *end)
			*end = ph->vaddr + ph->memsz;
	}
	*entry = eh->entry;
	return 0;
}
