/* linux.c - the VMM as a Linux boot loader: the 32-bit boot protocol of
 * Documentation/arch/x86/boot.rst, for an unmodified bzImage.
 *
 * 1. Recognise the image by its setup header ("HdrS" at 0x202, boot flag 0xAA55 at 0x1FE) and
 *    refuse what this VMM cannot run: a protocol older than 2.06, a kernel that is only 64-bit.
 * 2. Copy the protected-mode part (it follows the (setup_sects + 1) real-mode sectors) to
 *    code32_start (1 MiB). It is the decompressor; it runs as guest code and unpacks the kernel.
 * 3. The initrd, if the VM has one, goes to the top of RAM below initrd_addr_max, above the area
 *    the kernel decompresses into.
 * 4. The "zero page" (struct boot_params): the setup header copied from the image, then what a
 *    loader fills in -- type_of_loader, the command line, the initrd, and an e820 memory map of
 *    the VM's PC (the same layout the multiboot1 loader and the firmware tables describe).
 * The vCPU then enters at code32_start in 32-bit protected mode, paging and interrupts off, with
 * flat segments __BOOT_CS = 0x10 and __BOOT_DS = 0x18 and ESI pointing at the zero page. The
 * real-mode setup code is never run: the PC has no BIOS calls to offer (see NOTES). */
#include "load.h"
#include "../pc/firmware.h"
#include "elf.h"
#include "../../../lib/kstring.h"
#include "../../../lib/log.h"

#define ZERO_PAGE 0x8000u      /* struct boot_params (4 KiB) */
#define CMDLINE_AT 0x9000u     /* the command line (up to 2 KiB + NUL) */
#define KERNEL_AT 0x100000u

/* Offsets in struct boot_params and its setup header (boot.rst). */
#define BP_E820_ENTRIES 0x1E8
#define BP_HDR 0x1F1
#define BP_E820_TABLE 0x2D0
#define BP_E820_MAX 128
#define H_SETUP_SECTS 0x1F1
#define H_BOOT_FLAG 0x1FE
#define H_JUMP 0x200
#define H_MAGIC 0x202
#define H_VERSION 0x206
#define H_TYPE_OF_LOADER 0x210
#define H_LOADFLAGS 0x211
#define H_CODE32_START 0x214
#define H_RAMDISK_IMAGE 0x218
#define H_RAMDISK_SIZE 0x21C
#define H_HEAP_END 0x224
#define H_CMD_LINE_PTR 0x228
#define H_INITRD_ADDR_MAX 0x22C
#define H_KERNEL_ALIGN 0x230
#define H_RELOCATABLE 0x234
#define H_XLOADFLAGS 0x236
#define H_CMDLINE_SIZE 0x238
#define H_PAYLOAD_OFFSET 0x248
#define H_PAYLOAD_LENGTH 0x24C
#define H_PREF_ADDRESS 0x258
#define H_INIT_SIZE 0x260

#define LF_LOADED_HIGH 0x01
#define LF_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

int is_bzimage(const uint8_t *img, uint64_t size)
{
	return size >= 0x300 && memcmp(img + H_MAGIC, "HdrS", 4) == 0;
}

/* ---- the kernel's own ELF beside the bzImage (see the top of the file) ---- */

/* Is this vmlinux the kernel inside this bzImage? The bzImage's kernel_version string ("6.1.0-50-686
 * (builder) #1 SMP ... (date)") and the banner in vmlinux ("Linux version 6.1.0-50-686 (builder)
 * (compiler) #1 SMP ... (date)") must agree on the release and on the build ('#...'). */
static int same_kernel(const uint8_t *bz, uint64_t bzsize, const struct boot_module *vml)
{
	uint16_t kv = rd16(bz + 0x20E);
	if (!kv || 0x200u + kv >= bzsize)
		return 0;
	const char *v = (const char *)bz + 0x200 + kv;
	size_t rel = 0, vlen = 0;
	while (0x200u + kv + vlen < bzsize && v[vlen] && vlen < 200)
		vlen++;
	while (rel < vlen && v[rel] != ' ')
		rel++;
	const char *build = 0;
	for (size_t i = 0; i < vlen; i++)
		if (v[i] == '#') {
			build = v + i;
			break;
		}
	if (!rel || !build)
		return 0;
	size_t blen = vlen - (size_t)(build - v);
	const uint8_t *d = vml->data;
	for (uint64_t i = 0; i + 14 + rel < vml->size; i++) {
		if (d[i] != 'L' || memcmp(d + i, "Linux version ", 14) || memcmp(d + i + 14, v, rel))
			continue;
		for (uint64_t j = i + 14 + rel; j + blen < vml->size && j < i + 400 && d[j]; j++)
			if (!memcmp(d + j, build, blen))
				return 1;
	}
	return 0;
}

/* Load vmlinux's segments at their physical addresses and sweep its text sections from their
 * starts. Returns the end of the loaded image, or 0 with *why. */
static uint64_t load_vmlinux(struct vm *vm, const struct boot_module *vml, uint64_t ram, uint32_t *entry,
			     const char **why)
{
	const uint8_t *img = vml->data;
	const struct elf32_ehdr *eh = (const void *)img;
	if (vml->size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 1 || eh->machine != 3 ||
	    eh->type != 2)
		return *why = "the vmlinux module is not a 32-bit i386 ELF executable", 0;
	if (eh->phentsize != sizeof(struct elf32_phdr) || eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > vml->size)
		return *why = "the vmlinux module's ELF headers lie outside the file", 0;
	const struct elf32_phdr *ph = (const void *)(img + eh->phoff);
	uint64_t end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != 1 || !ph[i].memsz)
			continue;
		if (ph[i].filesz > ph[i].memsz || (uint64_t)ph[i].offset + ph[i].filesz > vml->size)
			return *why = "a vmlinux segment lies outside the file", 0;
		if (ph[i].paddr < KERNEL_AT || (uint64_t)ph[i].paddr + ph[i].memsz > ram)
			return *why = "vmlinux does not fit the VM's RAM (give it more with mem=)", 0;
		if (load_copy(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz, 0) < 0 ||
		    load_copy(vm, ph[i].paddr + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz, 1) < 0)
			return *why = "out of machine memory while loading", 0;
		if ((uint64_t)ph[i].paddr + ph[i].memsz > end)
			end = (uint64_t)ph[i].paddr + ph[i].memsz;
	}
	/* The text sections, each swept from its first byte (load/elf.c). .altinstr_replacement holds
	 * templates the kernel copies into .text (it reads them as data): it is left alone, and the
	 * pages they are copied into are rescanned from their known boundaries. */
	unsigned total = 0;
	int ranges = elf_sweep_text(vm, img, vml->size, ".altinstr_replacement", &total);
	if (ranges < 0)
		return *why = "cannot record vmlinux's text sections (too many, or out of memory)", 0;
	if (!ranges)
		return *why = "vmlinux has no text sections", 0;
	log_info("load", "%s: vmlinux: %d text sections swept, %u instructions patched", vm->name, ranges, total);
	*entry = eh->entry;
	return end;
}

int load_linux(struct vm *vm, const struct boot_module *k, const struct boot_module *initrd,
	       const struct boot_module *vmlinux, struct boot_cpu *cpu, const char **why)
{
	const uint8_t *img = k->data;
	uint64_t ram = (uint64_t)vm->pmap.nframes << 12;
	if (!is_bzimage(img, k->size) || rd16(img + H_BOOT_FLAG) != 0xAA55)
		return *why = "not a Linux bzImage (no setup header)", -1;
	uint16_t version = rd16(img + H_VERSION);
	if (version < 0x206)
		return *why = "Linux boot protocol older than 2.06 (a kernel before 2.6.22)", -1;
	if (rd16(img + H_XLOADFLAGS) & XLF_KERNEL_64)
		return *why = "a 64-bit kernel: only 32-bit (i386) kernels run in this VMM", -1;
	if (!(img[H_LOADFLAGS] & LF_LOADED_HIGH))
		return *why = "a zImage (loaded low): only bzImages are supported", -1;
	unsigned setup_sects = img[H_SETUP_SECTS] ? img[H_SETUP_SECTS] : 4;
	uint64_t pm_off = (uint64_t)(setup_sects + 1) * 512;
	if (pm_off >= k->size)
		return *why = "the image ends inside its setup code", -1;
	uint64_t pm_size = k->size - pm_off;
	uint32_t code32 = rd32(img + H_CODE32_START);
	if (code32 != KERNEL_AT)
		return *why = "code32_start is not 1 MiB", -1;

	uint64_t kernel_end;
	uint32_t entry = code32;
	if (vmlinux) {
		/* The kernel itself, not its decompressor: its text is swept from the section starts. */
		if (!same_kernel(img, k->size, vmlinux))
			return *why = "the vmlinux module is not the kernel of this bzImage", -1;
		kernel_end = load_vmlinux(vm, vmlinux, ram, &entry, why);
		if (!kernel_end)
			return -1;
	} else {
		/* The kernel decompresses itself to pref_address (or 1 MiB) and needs init_size bytes. */
		uint64_t pref = rd32(img + H_PREF_ADDRESS), init_size = rd32(img + H_INIT_SIZE);
		kernel_end = (pref > KERNEL_AT ? pref : KERNEL_AT) + init_size;
		if (KERNEL_AT + pm_size > kernel_end)
			kernel_end = KERNEL_AT + pm_size;
		if (kernel_end + (1u << 20) > ram)
			return *why = "the kernel needs more RAM than the VM has (give it more with mem=)", -1;
		if (load_copy(vm, KERNEL_AT, img + pm_off, (uint32_t)pm_size, 0) < 0)
			return *why = "out of machine memory while loading", -1;
		/* The compressed kernel shares its first page with the decompressor's entry code: the
		 * code scan must not take it for instructions (a patch there would corrupt the data). */
		uint32_t poff = rd32(img + H_PAYLOAD_OFFSET), plen = rd32(img + H_PAYLOAD_LENGTH);
		if (poff && plen && (uint64_t)poff + plen <= pm_size) {
			vm->data_start = KERNEL_AT + poff;
			vm->data_end = KERNEL_AT + poff + plen;
		}
	}

	/* The zero page: all zeros, then the setup header as the image has it. */
	uint8_t zp[4096];
	memset(zp, 0, sizeof zp);
	unsigned hdr_end = 0x202 + img[0x201];      /* the header's length is in the jump at 0x200 */
	if (hdr_end > 0x2D0)
		hdr_end = 0x2D0;
	memcpy(zp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	zp[H_TYPE_OF_LOADER] = 0xFF;                /* "undefined" loader */
	zp[H_LOADFLAGS] &= (uint8_t)~LF_CAN_USE_HEAP;
	memset(zp + H_HEAP_END, 0, 2);

	/* The command line. */
	uint32_t cmax = rd32(img + H_CMDLINE_SIZE);
	size_t clen = strlen(k->cmdline);
	if (cmax > 2047)
		cmax = 2047;
	if (clen > cmax)
		return *why = "the command line is longer than the kernel accepts", -1;
	if (load_copy(vm, CMDLINE_AT, (const uint8_t *)k->cmdline, (uint32_t)clen, 0) < 0 ||
	    load_copy(vm, CMDLINE_AT + (uint32_t)clen, 0, 1, 1) < 0)
		return *why = "out of machine memory while loading", -1;
	memcpy(zp + H_CMD_LINE_PTR, &(uint32_t){ CMDLINE_AT }, 4);

	/* The initrd: page-aligned, as high as RAM and initrd_addr_max allow, above the kernel. */
	if (initrd) {
		uint64_t top = ram, max = (uint64_t)rd32(img + H_INITRD_ADDR_MAX) + 1;
		if (top > max)
			top = max;
		if (initrd->size > top || ((top - initrd->size) & ~0xFFFull) < kernel_end)
			return *why = "the initrd does not fit the VM's RAM beside the kernel (give it more with mem=)", -1;
		uint32_t at = (uint32_t)((top - initrd->size) & ~0xFFFull);
		if (load_copy(vm, at, initrd->data, (uint32_t)initrd->size, 0) < 0)
			return *why = "out of machine memory while loading the initrd", -1;
		memcpy(zp + H_RAMDISK_IMAGE, &at, 4);
		memcpy(zp + H_RAMDISK_SIZE, &(uint32_t){ (uint32_t)initrd->size }, 4);
	}

	/* The memory map, as an e820 BIOS call would report it. */
	struct fw_e820 map[FW_E820_MAX];
	int n = fw_e820(ram, map);
	for (int i = 0; i < n && i < BP_E820_MAX; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;
		memcpy(e, &map[i].base, 8);
		memcpy(e + 8, &map[i].len, 8);
		memcpy(e + 16, &map[i].type, 4);
	}
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	if (load_copy(vm, ZERO_PAGE, zp, sizeof zp, 0) < 0)
		return *why = "out of machine memory while loading", -1;

	memset(cpu, 0, sizeof *cpu);
	cpu->eip = entry;
	cpu->esi = ZERO_PAGE;
	cpu->cs = 0x10;
	cpu->ds = 0x18;
	cpu->esp = 0;                               /* the protocol gives no stack: the kernel sets its own */
	return 0;
}
