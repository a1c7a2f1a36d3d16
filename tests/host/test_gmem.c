/* test_gmem.c - host unit tests of arch/x86_64/mmu/gmem.c: the guest page walk done in software must
 * translate, check permissions and set Accessed/Dirty bits exactly as a 32-bit x86 MMU does,
 * because guests read those bits back. Guest memory is a pmap over a fake machine memory. */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "../../arch/x86_64/cpu/vm.h"


static struct vm vm;

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
	CHECK(guest_read(&vm, 0x01000000, in, 4, 0, &err, &fa) == -1 && err == 0xFFFFFFFFu);   /* past RAM */
}

int main(void)
{
	KTAP_BEGIN(5);
	RUN(translates_and_sets_accessed);
	RUN(not_present_error_codes);
	RUN(protection);
	RUN(large_pages);
	RUN(copies_across_pages);
	KTAP_END();
}
