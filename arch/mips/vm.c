/* vm.c - creating a VM: its memory (mm/pmap, frames owned by the VM id), the guest kernel loaded
 * from the ELF image embedded in the VMM (guest_image.S), and the state Malta's boot code leaves:
 * a0 = argc, a1 = argv, a2 = envp, a3 = RAM size, pc = the ELF entry (in kseg0). */
#include "vm.h"
#include "gmem.h"
#include "mips.h"
#include "console.h"
#include "cp0page.h"
#include "../../lib/kstring.h"
#include "../../lib/format.h"

extern const unsigned char guest_image[], guest_image_end[];

struct ehdr { unsigned char ident[16]; uint16_t type, machine; uint32_t version, entry, phoff,
	      shoff, flags; uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx; };
struct phdr { uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align; };

void vm_print_line(const char *line) { kprintf("%s\n", line); }

void vm_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vconsole_flush(&vm->con, vm_print_line);
	vm_vstop(&vm->s, vm_print_line, fmt, ap);
	va_end(ap);
}

static int copy_in(struct vm *vm, uint32_t gpa, const unsigned char *src, uint32_t n)
{
	while (n) {
		uint32_t chunk = 4096 - (gpa & 0xfff);
		if (chunk > n)
			chunk = n;
		unsigned char *p = gmem_ptr(vm, gpa);
		if (!p)
			return -1;
		memcpy(p, src, chunk);
		gpa += chunk;
		src += chunk;
		n -= chunk;
	}
	return 0;
}

static int load_elf(struct vm *vm, const char **why)
{
	const struct ehdr *h = (const void *)guest_image;
	if ((size_t)(guest_image_end - guest_image) < sizeof *h || memcmp(h->ident, "\177ELF", 4) ||
	    h->ident[4] != 1 || h->ident[5] != 2 || h->machine != 8) {
		*why = "guest image is not a 32-bit big-endian MIPS ELF";
		return -1;
	}
	for (unsigned k = 0; k < h->phnum; k++) {
		const struct phdr *p = (const void *)(guest_image + h->phoff + k * h->phentsize);
		if (p->type != 1 || p->memsz == 0)
			continue;
		uint32_t gpa = p->paddr & 0x1fffffffu;
		if (gpa + p->memsz > vm->ram_bytes || p->filesz > p->memsz) {
			*why = "guest segment outside guest memory";
			return -1;
		}
		if (copy_in(vm, gpa, guest_image + p->offset, p->filesz) < 0) {
			*why = "out of machine memory";
			return -1;
		}
	}
	vm->f.pc = h->entry;
	return 0;
}

int vm_create(struct vm *vm, unsigned id, const char *cmdline)
{
	const char *why = "";
	memset(vm, 0, sizeof *vm);
	vm->s.id = id;
	vm->s.state = VM_RUNNABLE;
	vm->con.id = id;
	vm->ram_bytes = cfg.guest_ram;
	l2tlb_init(&vm->l2);
	if (pmap_create(&vm->pm, id, cfg.guest_ram, &why) < 0 || load_elf(vm, &why) < 0) {
		kprintf("vmm: vm%u: cannot create: %s\n", id, why);
		return -1;
	}
	/* Boot arguments where Malta's boot code puts them (physical 0x2000). */
	uint32_t argv[3] = { 0x80002010u, 0x80002011u, 0 };
	unsigned char strs[130] = { 0 };
	size_t n = strlen(cmdline);
	memcpy(strs + 1, cmdline, n < 128 ? n : 128);
	copy_in(vm, 0x2000, (const void *)argv, sizeof argv);
	copy_in(vm, 0x2010, strs, sizeof strs);
	vm->f.r[4] = 2;
	vm->f.r[5] = 0x80002000u;
	vm->f.r[6] = 0x80002008u;
	vm->f.r[7] = cfg.guest_ram;
	/* CP0 as after reset: kernel mode, ERL and BEV set, nothing wired; the TLB all zeroes
	 * (as QEMU resets it: VPN2 0, ASID 0, invalid). */
	vm->c.status = ST_BEV | ST_ERL;
	vm->c.ebase = KSEG0;
	vm->c.errorepc = vm->f.pc;
	if (cfg.pv && cp0page_setup(vm) < 0) {
		kprintf("vmm: vm%u: cannot set up the special page\n", id);
		return -1;
	}
	return 0;
}
