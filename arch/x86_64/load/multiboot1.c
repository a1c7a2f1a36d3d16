/* loader.c - the VMM as the guest's multiboot1 boot loader: "jump to the first instruction".
 *
 * 1. Check the module: an ELF32 i386 executable carrying a multiboot1 header in its first 8 KiB.
 * 2. Copy each PT_LOAD segment to its physical address in the VM's memory (zeroing the bss part);
 *    machine frames come from the VM's pmap, so they are the VM's own.
 * 3. Build the multiboot information in guest memory: memory size and map (the VM's RAM, not the
 *    machine's), and the command line.
 * 4. Scan the executable segments and patch the sensitive instructions (patch.c).
 * The caller then starts the vCPU at the entry point in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the information's address. */
#include "load.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define MBI_AT 0x8000u        /* the multiboot information: below 1 MiB, where GRUB puts it too */
#define MBI_END 0x9000u

int load_copy(struct vm *vm, uint32_t gpa, const uint8_t *src, uint32_t n, int zero)
{
	while (n) {
		uint32_t chunk = 4096 - (gpa & 0xFFF);
		if (chunk > n)
			chunk = n;
		uint8_t *p = gpa_ptr(vm, gpa);
		if (!p)
			return -1;
		if (zero)
			memset(p, 0, chunk);
		else {
			memcpy(p, src, chunk);
			src += chunk;
		}
		gpa += chunk;
		n -= chunk;
	}
	return 0;
}

int load_guest(struct vm *vm, const uint8_t *img, uint64_t size, const char *cmdline, uint32_t *entry,
	       uint32_t *mbi, const char **why)
{
	const struct elf32_ehdr *eh = (const void *)img;
	uint64_t ram = vm->pmap.nframes << 12;

	if (size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) != 0)
		return *why = "not an ELF file", -1;
	if (eh->ident[4] != 1 || eh->ident[5] != 1 || eh->machine != 3 || eh->type != 2)
		return *why = "not a 32-bit little-endian i386 executable", -1;
	if (eh->phentsize != sizeof(struct elf32_phdr) || eh->phoff + (uint64_t)eh->phnum * eh->phentsize > size)
		return *why = "program headers lie outside the file", -1;

	/* The multiboot1 header: magic, flags, checksum (the three sum to 0), 4-byte aligned. */
	int found = 0;
	for (uint64_t off = 0; off + 12 <= size && off < 8192; off += 4) {
		const uint32_t *h = (const void *)(img + off);
		if (h[0] == 0x1BADB002u && h[0] + h[1] + h[2] == 0) {
			found = 1;
			break;
		}
	}
	if (!found)
		return *why = "no multiboot1 header in the first 8 KiB", -1;

	const struct elf32_phdr *ph = (const void *)(img + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != 1 /* PT_LOAD */ || ph[i].memsz == 0)
			continue;
		uint64_t end = (uint64_t)ph[i].paddr + ph[i].memsz;
		if (ph[i].filesz > ph[i].memsz || (uint64_t)ph[i].offset + ph[i].filesz > size)
			return *why = "a segment lies outside the file", -1;
		if (end > ram)
			return *why = "a segment lies beyond the VM's memory (give it more with mem=)", -1;
		if (ph[i].paddr < MBI_END && end > MBI_AT)
			return *why = "a segment overlaps the multiboot information at 0x8000", -1;
		if (load_copy(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz, 0) < 0 ||
		    load_copy(vm, ph[i].paddr + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz, 1) < 0)
			return *why = "out of machine memory while loading", -1;
	}

	/* The multiboot information, as GRUB would write it for a machine with this much RAM. */
	uint32_t info[22];
	memset(info, 0, sizeof info);
	uint32_t cmd_at = MBI_AT + 0x100, mmap_at = MBI_AT + 0x400;
	info[0] = 1u | 4u | 0x40u;                 /* mem_lower/upper, cmdline, mmap */
	info[1] = 639;                             /* KiB below 640 KiB */
	info[2] = (uint32_t)((ram - (1u << 20)) >> 10);
	info[4] = cmd_at;
	struct __attribute__((packed)) { uint32_t size; uint64_t base, len; uint32_t type; } mm[3] = {
		{ 20, 0, 0x9FC00, 1 },
		{ 20, 0x9FC00, 0x100000 - 0x9FC00, 2 },
		{ 20, 0x100000, ram - 0x100000, 1 },
	};
	info[11] = sizeof mm;
	info[12] = mmap_at;
	size_t clen = strlen(cmdline);
	if (clen > 0x2FF)
		clen = 0x2FF;
	if (load_copy(vm, MBI_AT, (const uint8_t *)info, sizeof info, 0) < 0 ||
	    load_copy(vm, cmd_at, (const uint8_t *)cmdline, (uint32_t)clen, 0) < 0 ||
	    load_copy(vm, cmd_at + (uint32_t)clen, 0, 1, 1) < 0 ||
	    load_copy(vm, mmap_at, (const uint8_t *)mm, sizeof mm, 0) < 0)
		return *why = "out of machine memory while loading", -1;

	/* Patch the sensitive instructions of every executable segment. */
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == 1 && (ph[i].flags & 1 /* PF_X */))
			patch_scan(vm, ph[i].paddr, ph[i].filesz);

	*entry = eh->entry;
	*mbi = MBI_AT;
	return 0;
}
