/* test_gmem.c - host unit tests of arch/x86_64/mmu/gmem.c: the guest page walk done in software must
 * translate, check permissions and set Accessed/Dirty bits exactly as a 32-bit x86 MMU does,
 * because guests read those bits back. Guest memory is a pmap over a fake machine memory. */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "../../arch/x86_64/cpu/vm.h"
#include "shadowstubs.h"


static struct vm vm;

/* The device side (mmio.c in the VMM): a 16-byte register file at 0xFEC00000 that logs every
 * access; anything else outside RAM is the open bus. */
static uint8_t dev[16];
static unsigned dev_log[64][3], dev_n;                  /* gpa, size, write */
void mmio_phys(struct vm *v, uint32_t gpa, void *buf, uint32_t n, int write)
{
	(void)v;
	if (dev_n < 64) {
		dev_log[dev_n][0] = gpa;
		dev_log[dev_n][1] = n;
		dev_log[dev_n++][2] = (unsigned)write;
	}
	for (uint32_t i = 0; i < n; i++) {
		int mine = gpa + i >= 0xFEC00000u && gpa + i < 0xFEC00010u;
		if (write && mine)
			dev[gpa + i - 0xFEC00000u] = ((uint8_t *)buf)[i];
		else if (!write)
			((uint8_t *)buf)[i] = mine ? dev[gpa + i - 0xFEC00000u] : 0xFF;
	}
}
static unsigned code_written;
int seg_traced_bytes(const struct vm *v, uint32_t gfn, unsigned off, unsigned len)
{
	(void)v, (void)gfn, (void)off, (void)len;
	return 0;
}
void shadow_code_written(struct vm *v, uint32_t gfn)
{
	v->scanned[gfn / 8] &= (uint8_t)~(1u << (gfn % 8));
	code_written++;
}

static uint32_t *gp(uint32_t gpa) { return gpa_ptr(&vm, gpa); }

/* A guest with paging on: page directory at 0x10000, one page table at 0x11000 covering
 * 0x00400000..0x007FFFFF, and a 4 MiB page at 0x00800000 -> 0x00C00000. */
static void setup(uint32_t pte_flags, uint32_t pde_flags, int wp)
{
	const char *why;
	fake_machine();
	memset(&vm, 0, sizeof vm);
	if (pmap_create(&vm.pmap, 1, 16 << 20, &why) < 0)
		abort();
	vm.cr0 = CR0_PE | CR0_PG | (wp ? CR0_WP : 0);
	vm.cr3 = 0x10000;
	vm.cr4 = CR4_PSE;
	gp(0x10000)[1] = 0x11000 | pde_flags;              /* 0x00400000 */
	gp(0x11000)[5] = 0x123000 | pte_flags;             /* 0x00405000 -> 0x123000 */
	gp(0x11000)[6] = 0x200000 | pte_flags;             /* 0x00406000 -> 0x200000 */
	gp(0x10000)[2] = 0x00C00000 | 0x80 | pde_flags;    /* 0x00800000: 4 MiB page */
}

static void translates_and_sets_accessed(void)
{
	uint32_t gpa, fl, err;
	setup(7, 7, 1);
	CHECK(guest_walk(&vm, 0x00405abc, 0, 1, &gpa, &fl, &err) == 0 && gpa == 0x123abc);
	CHECK(gp(0x10000)[1] & 0x20);                      /* A in the PDE */
	CHECK(gp(0x11000)[5] & 0x20);                      /* A in the PTE */
	CHECK(!(gp(0x11000)[5] & 0x40));                   /* a read leaves D clear */
	CHECK(!(fl & SHADOW_DIRTY) && (fl & 2) && (fl & 4));
	CHECK(guest_walk(&vm, 0x00405000, 1, 1, &gpa, &fl, &err) == 0);
	CHECK(gp(0x11000)[5] & 0x40);                      /* a write sets D */
	CHECK(fl & SHADOW_DIRTY);
}

static void not_present_error_codes(void)
{
	uint32_t gpa, fl, err;
	setup(7, 7, 1);
	CHECK(guest_walk(&vm, 0x00407000, 1, 1, &gpa, &fl, &err) == -1 && err == 6);   /* PTE not present */
	CHECK(guest_walk(&vm, 0x01000000, 0, 0, &gpa, &fl, &err) == -1 && err == 0);   /* PDE not present */
}

static void protection(void)
{
	uint32_t gpa, fl, err;
	setup(5, 7, 1);                                    /* PTE read-only */
	CHECK(guest_walk(&vm, 0x00405000, 1, 1, &gpa, &fl, &err) == -1 && err == 7);
	CHECK(guest_walk(&vm, 0x00405000, 1, 0, &gpa, &fl, &err) == -1 && err == 3);   /* WP=1 */
	CHECK(!(gp(0x11000)[5] & 0x40));                   /* no D on a failed write */
	setup(5, 7, 0);
	CHECK(guest_walk(&vm, 0x00405000, 1, 0, &gpa, &fl, &err) == 0);               /* WP=0: kernel may */
	setup(3, 7, 1);                                    /* supervisor page */
	CHECK(guest_walk(&vm, 0x00405000, 0, 1, &gpa, &fl, &err) == -1 && err == 5);
	CHECK(guest_walk(&vm, 0x00405000, 0, 0, &gpa, &fl, &err) == 0 && !(fl & 4));
	setup(7, 3, 1);                                    /* U clear in the PDE only */
	CHECK(guest_walk(&vm, 0x00405000, 0, 1, &gpa, &fl, &err) == -1 && err == 5);
}

static void large_pages(void)
{
	uint32_t gpa, fl, err;
	setup(7, 7, 1);
	CHECK(guest_walk(&vm, 0x00812345, 1, 0, &gpa, &fl, &err) == 0 && gpa == 0x00C12345);
	CHECK((gp(0x10000)[2] & 0x60) == 0x60);            /* A and D in the directory entry */
	CHECK(fl & SHADOW_LARGE);
	vm.cr4 = 0;              /* without CR4.PSE, PS is ignored: 0x00C00000 is read as a page table */
	CHECK(guest_walk(&vm, 0x00812345, 0, 0, &gpa, &fl, &err) == -1 && err == 0);
	gp(0x00C00000)[0x12] = 0x300000 | 5;
	CHECK(guest_walk(&vm, 0x00812345, 0, 0, &gpa, &fl, &err) == 0 && gpa == 0x300345 && !(fl & SHADOW_LARGE));
}

static void copies_across_pages(void)
{
	uint32_t err, fa;
	setup(7, 7, 1);
	char out[8] = "ABCDEFGH", in[8];
	CHECK(guest_write(&vm, 0x00405ffc, out, 8, 1, &err, &fa) == 0);
	CHECK(memcmp((char *)gp(0x123ffc), "ABCD", 4) == 0 && memcmp((char *)gp(0x200000), "EFGH", 4) == 0);
	CHECK(guest_read(&vm, 0x00405ffc, in, 8, 1, &err, &fa) == 0 && memcmp(in, out, 8) == 0);
	CHECK(guest_read(&vm, 0x00406ffc, in, 8, 1, &err, &fa) == -1 && fa == 0x00407000 && err == 4);
	vm.cr0 = CR0_PE;                                   /* paging off: linear = physical */
	CHECK(guest_read(&vm, 0x123ffc, in, 4, 0, &err, &fa) == 0 && memcmp(in, "ABCD", 4) == 0);
}

/* On the guest's behalf, memory outside RAM is what the guest's own access finds: the devices (the
 * open bus: all ones, writes dropped); the BIOS area drops writes; no VM is stopped. */
static void beyond_ram_and_bios_area(void)
{
	uint32_t err, fa;
	setup(7, 7, 1);
	vm.cr0 = CR0_PE;                                   /* paging off: linear = physical */
	uint8_t in[8], out[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	dev_n = 0;
	CHECK(guest_read(&vm, 0x01000000, in, 4, 0, &err, &fa) == 0);          /* past the 16 MiB of RAM */
	CHECK(in[0] == 0xFF && in[3] == 0xFF && dev_n == 1 && dev_log[0][0] == 0x01000000);
	CHECK(guest_write(&vm, 0x00FFFFFC, out, 8, 0, &err, &fa) == 0);        /* straddles the end of RAM */
	CHECK(memcmp(gp(0x00FFFFFC), out, 4) == 0);
	CHECK(dev_n == 2 && dev_log[1][0] == 0x01000000 && dev_log[1][1] == 4 && dev_log[1][2] == 1);
	CHECK(guest_read(&vm, 0x00FFFFFE, in, 4, 0, &err, &fa) == 0 && in[0] == 3 && in[1] == 4 && in[2] == 0xFF);
	CHECK(guest_write(&vm, 0xFEC00004, out, 4, 0, &err, &fa) == 0 && dev[4] == 1 && dev[7] == 4);
	CHECK(guest_read(&vm, 0xFEC00004, in, 4, 0, &err, &fa) == 0 && memcmp(in, out, 4) == 0);
	/* The BIOS area: readable RAM (the firmware tables), writes dropped, even across its start. */
	memcpy(gp(0xE0000), "ROM!", 4);
	memset(gp(0xDFFFC), 0, 4);
	CHECK(guest_write(&vm, 0xDFFFC, out, 8, 0, &err, &fa) == 0);
	CHECK(memcmp(gp(0xDFFFC), out, 4) == 0 && memcmp(gp(0xE0000), "ROM!", 4) == 0);
	CHECK(guest_read(&vm, 0xE0000, in, 4, 0, &err, &fa) == 0 && memcmp(in, "ROM!", 4) == 0);
	/* Through the guest's page tables too: 0x00405000 -> 0x123000 is RAM; remap it to a device. */
	vm.cr0 = CR0_PE | CR0_PG;
	gp(0x11000)[5] = 0xFEC00000 | 7;
	CHECK(guest_read(&vm, 0x00405004, in, 4, 1, &err, &fa) == 0 && memcmp(in, out, 4) == 0);
}

/* A write on the guest's behalf to scanned (patched) code takes the patches out first, as the
 * guest's own write would (vtlb.c). */
static void write_to_scanned_code(void)
{
	uint32_t err, fa, v;
	setup(7, 7, 1);
	vm.cr0 = CR0_PE;
	vm.scanned[0x123 / 8] |= 1u << (0x123 % 8);
	code_written = 0;
	CHECK(guest_read(&vm, 0x123000, &v, 4, 0, &err, &fa) == 0 && code_written == 0);
	CHECK(guest_write(&vm, 0x123000, "x", 1, 0, &err, &fa) == 0 && code_written == 1);
	CHECK(guest_write(&vm, 0x123000, "x", 1, 0, &err, &fa) == 0 && code_written == 1);
}

int main(void)
{
	KTAP_BEGIN(7);
	RUN(translates_and_sets_accessed);
	RUN(not_present_error_codes);
	RUN(protection);
	RUN(large_pages);
	RUN(copies_across_pages);
	RUN(beyond_ram_and_bios_area);
	RUN(write_to_scanned_code);
	KTAP_END();
}
