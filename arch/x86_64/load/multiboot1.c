/* multiboot1.c - the VMM as the guest's multiboot1 boot loader: "jump to the first instruction".
 *
 * 1. Check the module: an ELF32 i386 executable carrying a multiboot1 header in its first 8 KiB.
 * 2. Copy each PT_LOAD segment to its physical address in the VM's memory (zeroing the bss part);
 *    machine frames come from the VM's pmap, so they are the VM's own. A segment must lie in RAM
 *    the firmware's memory map calls usable (not the EBDA, the hole or the BIOS area).
 * 3. The initrd, if the VM has one, goes page-aligned after the kernel's highest loaded byte (as
 *    GRUB does), as the one entry of the module list.
 * 4. Build the multiboot information in guest memory: memory size and map (the firmware's e820
 *    map of the VM's RAM, not the machine's), the command line, the module list.
 * 5. Scan the executable segments and patch the sensitive instructions (patch.c).
 * The caller then starts the vCPU at the entry point in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the information's address. */
#include "load.h"
#include "elf.h"
#include "../pc/firmware.h"
#include "../../../lib/format.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"


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

#define FAIL(...) do { snprintf_(why, whylen, __VA_ARGS__); return -1; } while (0)

/* Is [a, b) inside one usable range of the firmware's memory map? */
static int in_usable_ram(const struct fw_e820 *map, int n, uint64_t a, uint64_t b)
{
	for (int i = 0; i < n; i++)
		if (map[i].type == FW_E820_RAM && a >= map[i].base && b <= map[i].base + map[i].len)
			return 1;
	return 0;
}

int load_guest(struct vm *vm, const struct mb1_image *k, const struct mb1_image *initrd, uint32_t *entry,
	       uint32_t *mbi, char *why, size_t whylen)
{
	const uint8_t *img = k->bytes;
	uint64_t size = k->size;
	const struct elf32_ehdr *eh = (const void *)img;
	uint64_t ram = vm->pmap.nframes << 12;
	struct fw_e820 map[FW_E820_MAX];
	int nmap = fw_e820(ram, map);

	if (size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) != 0)
		FAIL("not an ELF file");
	if (eh->ident[4] != 1 || eh->ident[5] != 1 || eh->machine != 3 || eh->type != 2)
		FAIL("not a 32-bit little-endian i386 executable");
	if (eh->phentsize != sizeof(struct elf32_phdr) || eh->phoff + (uint64_t)eh->phnum * eh->phentsize > size)
		FAIL("program headers lie outside the file");

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
		FAIL("no multiboot1 header in the first 8 KiB");

	const struct elf32_phdr *ph = (const void *)(img + eh->phoff);
	uint64_t kernel_end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != 1 /* PT_LOAD */ || ph[i].memsz == 0)
			continue;
		uint64_t end = (uint64_t)ph[i].paddr + ph[i].memsz;
		if (ph[i].filesz > ph[i].memsz || (uint64_t)ph[i].offset + ph[i].filesz > size)
			FAIL("a segment lies outside the file");
		if (end > ram)
			FAIL("a segment lies beyond the VM's memory (give it more with mem=)");
		if (!in_usable_ram(map, nmap, ph[i].paddr, end))
			FAIL("a segment (%08x-%08llx) is not in usable RAM (the EBDA, the 640 KiB-1 MiB hole and the "
			     "BIOS area are not for loading)", ph[i].paddr, (unsigned long long)end - 1);
		if (ph[i].paddr < MBI_END && end > MBI_AT)
			FAIL("a segment overlaps the multiboot information at 0x8000");
		if (load_copy(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz, 0) < 0 ||
		    load_copy(vm, ph[i].paddr + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz, 1) < 0)
			FAIL("out of machine memory while loading");
		if (end > kernel_end)
			kernel_end = end;
	}

	/* The multiboot information, as GRUB would write it on a PC with this much RAM. */
	uint32_t info[22];
	memset(info, 0, sizeof info);
	uint32_t cmd_at = MBI_AT + 0x100, mmap_at = MBI_AT + 0x400, mods_at = MBI_AT + 0x480, modcmd_at = MBI_AT + 0x500;
	info[0] = 1u | 4u | 0x40u;                 /* mem_lower/upper, cmdline, mmap */
	info[1] = FW_BASE_KIB;                     /* KiB below the EBDA */
	info[2] = (uint32_t)((ram - (1u << 20)) >> 10);
	info[4] = cmd_at;
	struct __attribute__((packed)) { uint32_t size; uint64_t base, len; uint32_t type; } mm[FW_E820_MAX];
	for (int i = 0; i < nmap; i++) {
		mm[i].size = 20;
		mm[i].base = map[i].base;
		mm[i].len = map[i].len;
		mm[i].type = map[i].type;
	}
	info[11] = (uint32_t)(nmap * sizeof mm[0]);
	info[12] = mmap_at;

	/* The initrd: page-aligned after the kernel (never below 1 MiB), inside the VM's RAM. */
	if (initrd) {
		uint64_t at = (kernel_end > 0x100000 ? kernel_end : 0x100000) + 0xFFF;
		at &= ~0xFFFull;
		if (at + initrd->size > ram)
			FAIL("the initrd ('%.40s', %llu KiB) does not fit in the VM's RAM after the kernel (%llu KiB "
			     "free from %08llx; give it more with mem=)", initrd->cmdline,
			     (unsigned long long)(initrd->size + 1023) >> 10,
			     (unsigned long long)(ram > at ? ram - at : 0) >> 10, (unsigned long long)at);
		if (load_copy(vm, (uint32_t)at, initrd->bytes, (uint32_t)initrd->size, 0) < 0)
			FAIL("out of machine memory while loading the initrd");
		uint32_t mod[4] = { (uint32_t)at, (uint32_t)(at + initrd->size), modcmd_at, 0 };
		size_t mlen = strlen(initrd->cmdline);
		if (mlen > MBI_END - modcmd_at - 1)
			mlen = MBI_END - modcmd_at - 1;
		if (load_copy(vm, mods_at, (const uint8_t *)mod, sizeof mod, 0) < 0 ||
		    load_copy(vm, modcmd_at, (const uint8_t *)initrd->cmdline, (uint32_t)mlen, 0) < 0 ||
		    load_copy(vm, modcmd_at + (uint32_t)mlen, 0, 1, 1) < 0)
			FAIL("out of machine memory while loading");
		info[0] |= 8u;                         /* mods */
		info[5] = 1;
		info[6] = mods_at;
	}

	size_t clen = strlen(k->cmdline);
	if (clen > 0x2FF)
		clen = 0x2FF;
	if (load_copy(vm, MBI_AT, (const uint8_t *)info, sizeof info, 0) < 0 ||
	    load_copy(vm, cmd_at, (const uint8_t *)k->cmdline, (uint32_t)clen, 0) < 0 ||
	    load_copy(vm, cmd_at + (uint32_t)clen, 0, 1, 1) < 0 ||
	    load_copy(vm, mmap_at, (const uint8_t *)mm, (uint32_t)info[11], 0) < 0)
		FAIL("out of machine memory while loading");

	/* Patch the sensitive instructions: every text section swept from its start (load/elf.c), or,
	 * for a file without section headers, every executable segment. */
	unsigned patched = 0;
	int ranges = elf_sweep_text(vm, img, size, 0, &patched);
	if (ranges < 0)
		FAIL("cannot record the kernel's text sections (out of memory)");
	if (!ranges)
		for (unsigned i = 0; i < eh->phnum; i++)
			if (ph[i].type == ELF_PT_LOAD && (ph[i].flags & ELF_PF_X))
				patch_scan(vm, ph[i].paddr, ph[i].filesz);

	*entry = eh->entry;
	*mbi = MBI_AT;
	return 0;
}
