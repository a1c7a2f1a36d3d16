/* multiboot.c - walk the multiboot2 information tags, checking every length against the total
 * size, so a malformed structure gives one clear error instead of a wild read. And the older
 * multiboot (1) information a loader like QEMU's -kernel gives (multiboot2.asm has both headers). */
#include "multiboot.h"
#include "cpu.h"
#include "../../lib/kstring.h"

struct tag { uint32_t type, size; };

enum {
	TAG_END = 0, TAG_CMDLINE = 1, TAG_LOADER = 2, TAG_MODULE = 3, TAG_MEMINFO = 4,
	TAG_MMAP = 6, TAG_FB = 8, TAG_EFI32 = 11, TAG_EFI64 = 12, TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15,
};

/* A string inside a tag must end (NUL) before the tag does. */
static const char *tag_string(const struct tag *t, uint32_t off)
{
	const char *s = (const char *)t + off;
	for (uint32_t i = off; i < t->size; i++)
		if (((const char *)t)[i] == 0)
			return s;
	return 0;
}

int multiboot_parse(uint64_t phys, struct boot_info *bi, const char **why)
{
	memset(bi, 0, sizeof *bi);
	bi->cmdline = "";
	bi->loader = "unknown loader";
	if (phys == 0 || (phys & 7)) {
		*why = "multiboot information pointer is null or misaligned";
		return -1;
	}
	const uint8_t *p = phys_to_virt(phys);
	uint32_t total = *(const uint32_t *)p;
	if (total < 16 || total > (16u << 20)) {
		*why = "multiboot information has an implausible total size";
		return -1;
	}
	bi->info_phys = phys;
	bi->info_size = total;
	int saw_end = 0;
	for (uint32_t off = 8; off + 8 <= total;) {
		const struct tag *t = (const void *)(p + off);
		if (t->size < 8 || off + t->size > total) {
			*why = "multiboot tag runs past the end of the information";
			return -1;
		}
		switch (t->type) {
		case TAG_END:
			saw_end = 1;
			break;
		case TAG_CMDLINE:
			bi->cmdline = tag_string(t, 8);
			if (!bi->cmdline) {
				*why = "multiboot command line is not terminated";
				return -1;
			}
			break;
		case TAG_LOADER: {
			const char *s = tag_string(t, 8);
			if (s)
				bi->loader = s;
			break;
		}
		case TAG_MODULE: {
			const uint32_t *m = (const void *)t;
			const char *s = tag_string(t, 16);
			if (t->size < 17 || !s || m[3] < m[2]) {
				*why = "malformed multiboot module tag";
				return -1;
			}
			if (bi->nmod < MB_MAX_MODULES) {
				bi->mod[bi->nmod].start = m[2];
				bi->mod[bi->nmod].end = m[3];
				bi->mod[bi->nmod].cmdline = s;
				bi->nmod++;
			}
			break;
		}
		case TAG_MMAP: {
			const uint32_t *m = (const void *)t;
			uint32_t esize = m[2];
			if (t->size < 16 || esize < 24) {
				*why = "malformed multiboot memory map tag";
				return -1;
			}
			for (uint32_t e = 16; e + esize <= t->size && bi->nmmap < MB_MAX_MMAP; e += esize) {
				const uint8_t *ent = (const uint8_t *)t + e;
				bi->mmap[bi->nmmap].base = *(const uint64_t *)ent;
				bi->mmap[bi->nmmap].len = *(const uint64_t *)(ent + 8);
				bi->mmap[bi->nmmap].type = *(const uint32_t *)(ent + 16);
				bi->nmmap++;
			}
			break;
		}
		case TAG_FB: {
			const uint8_t *f = (const uint8_t *)t;
			if (t->size < 31) {
				*why = "malformed multiboot framebuffer tag";
				return -1;
			}
			bi->have_fb = 1;
			bi->fb.phys = *(const uint64_t *)(f + 8);
			bi->fb.pitch = *(const uint32_t *)(f + 16);
			bi->fb.width = *(const uint32_t *)(f + 20);
			bi->fb.height = *(const uint32_t *)(f + 24);
			bi->fb.bpp = f[28];
			bi->fb.type = f[29];
			if (bi->fb.type == 1 && t->size >= 36) {
				bi->fb.red_pos = f[31];
				bi->fb.green_pos = f[33];
				bi->fb.blue_pos = f[35];
			}
			break;
		}
		case TAG_EFI32:
		case TAG_EFI64:
			bi->efi = 1;
			break;
		case TAG_ACPI_NEW:                      /* the ACPI 2.0+ RSDP (36 bytes) is preferred */
		case TAG_ACPI_OLD:
			if (t->size >= 8 + 20 && (t->type == TAG_ACPI_NEW || !bi->rsdp_phys))
				bi->rsdp_phys = phys + off + 8;
			break;
		default:
			break; /* tags we do not need */
		}
		if (saw_end)
			break;
		off += (t->size + 7) & ~7u;
	}
	if (!saw_end) {
		*why = "multiboot information has no end tag";
		return -1;
	}
	if (bi->nmmap == 0) {
		*why = "the loader gave no memory map";
		return -1;
	}
	return 0;
}

/* ---- multiboot 1 (multiboot2.asm: for QEMU's -kernel) ---- */

enum { MB1_CMDLINE = 1 << 2, MB1_MODS = 1 << 3, MB1_MMAP = 1 << 6, MB1_LOADER = 1 << 9 };

/* Its strings lie anywhere in memory the VMM will hand out: keep copies. A multiboot 1 command
 * line begins with the file's name (the kernel's, a module's): dropped, so that what is left
 * reads as the multiboot2 ones do. */
static char mb1_strings[4096];
static unsigned mb1_used;

static const char *mb1_string(uint32_t phys, int drop_name)
{
	const char *s = phys ? phys_to_virt(phys) : "";
	if (drop_name) {
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	unsigned n = (unsigned)strlen(s);
	if (mb1_used + n + 1 > sizeof mb1_strings)
		return 0;
	char *d = mb1_strings + mb1_used;
	memcpy(d, s, n + 1);
	mb1_used += n + 1;
	return d;
}

int multiboot1_parse(uint64_t phys, struct boot_info *bi, const char **why)
{
	memset(bi, 0, sizeof *bi);
	bi->cmdline = "";
	bi->loader = "a multiboot loader";
	if (phys == 0 || (phys & 3)) {
		*why = "multiboot information pointer is null or misaligned";
		return -1;
	}
	const uint32_t *m = phys_to_virt(phys);
	bi->info_phys = phys;
	bi->info_size = 120;                        /* (the fixed part; the rest is copied here) */
	if ((m[0] & MB1_CMDLINE) && !(bi->cmdline = mb1_string(m[4], 1))) {
		*why = "multiboot command line too long";
		return -1;
	}
	const char *name = (m[0] & MB1_LOADER) && m[16] ? mb1_string(m[16], 0) : 0;
	if (name)
		bi->loader = name;
	if (m[0] & MB1_MODS) {
		const uint32_t *mod = m[6] ? phys_to_virt(m[6]) : 0;
		for (uint32_t i = 0; mod && i < m[5] && bi->nmod < MB_MAX_MODULES; i++, mod += 4) {
			const char *s = mb1_string(mod[2], 1);
			if (mod[1] < mod[0] || !s) {
				*why = "malformed multiboot module (or its command line too long)";
				return -1;
			}
			bi->mod[bi->nmod++] = (struct mb_module){ mod[0], mod[1], s };
		}
	}
	if (m[0] & MB1_MMAP) {
		/* entries {size, base (8), length (8), type}, size not counting itself */
		const uint8_t *e = phys_to_virt(m[12]);
		for (uint32_t off = 0; off + 24 <= m[11] && bi->nmmap < MB_MAX_MMAP;) {
			uint32_t size = *(const uint32_t *)(e + off);
			if (size < 20) {
				*why = "malformed multiboot memory map";
				return -1;
			}
			bi->mmap[bi->nmmap].base = *(const uint64_t *)(e + off + 4);
			bi->mmap[bi->nmmap].len = *(const uint64_t *)(e + off + 12);
			bi->mmap[bi->nmmap].type = *(const uint32_t *)(e + off + 20);
			bi->nmmap++;
			off += size + 4;
		}
	}
	if (bi->nmmap == 0) {
		*why = "the loader gave no memory map";
		return -1;
	}
	return 0;
}
