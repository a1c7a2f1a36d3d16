/* gmem.c - the VMM's view of a guest's memory.
 *
 * Two translations stand between a guest address and the byte the VMM touches:
 *   guest-linear --(the guest's own 2-level page tables, when its CR0.PG is set)--> guest-physical
 *   guest-physical --(the VM's pmap, mm/pmap.c)--> machine frame --(PHYSMAP)--> VMM pointer.
 * guest_walk() is the hardware page walk done in software, with the same permission checks and
 * the same side effects (Accessed and Dirty bits written into the guest's entries), because the
 * guest reads those bits back and must find what a real MMU would have left there. */
#include "../cpu/vm.h"
#include "traced.h"
#include "../../../lib/kstring.h"

#define PG_P 1u
#define PG_W 2u
#define PG_U 4u
#define PG_A 0x20u
#define PG_D 0x40u
#define PG_PS 0x80u

void *gpa_ptr(struct vm *vm, uint32_t gpa)
{
	mfn_t m = pmap_peek(&vm->pmap, gpa >> 12);     /* backed already: the common case */
	if (m == PMAP_NONE && pmap_lookup(&vm->pmap, gpa >> 12, &m) < 0)
		return 0;
	return (uint8_t *)frame_to_virt(m) + (gpa & 0xFFF);
}

/* A guest frame's bytes, for reading, if it was ever backed (a frame never touched reads as zero
 * and is not backed for that; a shared one is read where it is, a paged-out one comes back). */
static const uint32_t *peek(struct vm *vm, uint32_t gpa)
{
	mfn_t m = pmap_peek(&vm->pmap, gpa >> 12);
	if (m == PMAP_NONE && ((gpa >> 12) >= vm->pmap.nframes || vm->pmap.p2m[gpa >> 12] == PMAP_NONE ||
			       pmap_lookup_ro(&vm->pmap, gpa >> 12, &m) < 0))
		return 0;
	return (const uint32_t *)((uint8_t *)frame_to_virt(m) + (gpa & 0xFFF));
}

int guest_translate(struct vm *vm, uint32_t la, uint32_t *gpa)
{
	if (!(vm->cr0 & CR0_PG)) {
		*gpa = la;
		return 0;
	}
	const uint32_t *pd = peek(vm, vm->cr3 & ~0xFFFu);
	uint32_t pde = pd ? pd[la >> 22] : 0;
	if (!(pde & PG_P))
		return -1;
	if ((pde & PG_PS) && (vm->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xFFC00000u) | (la & 0x3FFFFFu);
		return 0;
	}
	const uint32_t *pt = peek(vm, pde & ~0xFFFu);
	uint32_t pte = pt ? pt[(la >> 12) & 1023] : 0;
	if (!(pte & PG_P))
		return -1;
	*gpa = (pte & ~0xFFFu) | (la & 0xFFFu);
	return 0;
}

int guest_walk(struct vm *vm, uint32_t la, int write, int user, uint32_t *gpa, uint32_t *flags,
	       uint32_t *pf_err)
{
	uint32_t err = (write ? 2u : 0) | (user ? 4u : 0);
	if (!(vm->cr0 & CR0_PG)) {
		*gpa = la;
		*flags = PG_P | PG_W | PG_U | SHADOW_DIRTY;
		return 0;
	}
	uint32_t *pd = gpa_ptr(vm, vm->cr3 & ~0xFFFu);
	if (!pd)
		goto not_present;
	uint32_t *pdep = &pd[la >> 22], pde = *pdep;
	if (!(pde & PG_P))
		goto not_present;
	int wp = (vm->cr0 & CR0_WP) != 0;
	if ((pde & PG_PS) && (vm->cr4 & CR4_PSE)) {
		/* A 4 MiB page: the directory entry is the leaf. */
		if ((user && !(pde & PG_U)) || (write && !(pde & PG_W) && (user || wp)))
			goto protection;
		*pdep = pde | PG_A | (write ? PG_D : 0);
		*gpa = (pde & 0xFFC00000u) | (la & 0x3FFFFFu);
		*flags = (pde & (PG_P | PG_W | PG_U)) | (((pde | *pdep) & PG_D) ? SHADOW_DIRTY : 0) | SHADOW_LARGE;
		return 0;
	}
	/* The directory entry is used to find the table: Accessed now, whatever the table then says
	 * (as the CPU does -- QEMU's too -- even when the table is not there or denies the access). */
	*pdep = pde | PG_A;
	uint32_t *pt = gpa_ptr(vm, pde & ~0xFFFu);
	if (!pt)
		goto not_present;
	uint32_t *ptep = &pt[(la >> 12) & 1023], pte = *ptep;
	if (!(pte & PG_P))
		goto not_present;
	uint32_t both = pde & pte;
	if ((user && !(both & PG_U)) || (write && !(both & PG_W) && (user || wp)))
		goto protection;
	*ptep = pte | PG_A | (write ? PG_D : 0);
	*gpa = (pte & ~0xFFFu) | (la & 0xFFFu);
	*flags = (both & (PG_W | PG_U)) | PG_P | ((*ptep & PG_D) ? SHADOW_DIRTY : 0);
	return 0;
not_present:
	*pf_err = err;
	return -1;
protection:
	*pf_err = err | 1;
	return -1;
}

/* A store into guest RAM at guest-physical gpa (n bytes within one page, backed in machine frame m)
 * with what the guest's own store would set off: scanned code gets its own bytes back, a written
 * GDT/IDT/LDT is read again, a traced page table's shadows follow. */
static void ram_store(struct vm *vm, uint32_t gpa, mfn_t m, const void *buf, uint32_t n)
{
	uint32_t gfn = gpa >> 12;
	if (gfn < GUEST_MAX_FRAMES && (vm->scanned[gfn / 8] >> (gfn % 8) & 1))
		shadow_code_written(vm, gfn);
	if (vm->ntraced)
		vm->tables_dirty |= seg_traced_bytes(vm, gfn, gpa & 0xFFF, n);
	memcpy((uint8_t *)frame_to_virt(m) + (gpa & 0xFFF), buf, n);
	if (vm->sh.tr && traced_is_table(vm, gfn))
		traced_written(vm, gfn, gpa & 0xFFF, n);
}

int guest_phys_store(struct vm *vm, uint32_t gpa, const void *buf, uint32_t n)
{
	mfn_t m;
	uint32_t gfn = gpa >> 12;
	if (n > 4096 - (gpa & 0xFFF) || gfn >= vm->pmap.nframes || gpa_is_rom(gpa) || pmap_lookup(&vm->pmap, gfn, &m) < 0)
		return -1;
	ram_store(vm, gpa, m, buf, n);
	return 0;
}

/* Copy across pages; the access is checked like the guest's own (supervisor unless `user`), and
 * each page goes where the guest's own access would: RAM, the read-only BIOS area, or a device. */
static int copy(struct vm *vm, uint32_t la, void *buf, uint32_t n, int user, int write,
		uint32_t *pf_err, uint32_t *pf_addr)
{
	uint8_t *b = buf;
	/* A store across a page boundary is one access: each page is checked before a byte is
	 * written, as the CPU does (tests/fuzz 1:8168: an emulated pushf with ESP 1 wrote three
	 * bytes at the top of the address space, then faulted on page 0). */
	if (write && (la & 0xFFF) + n > 4096) {
		uint32_t a = la, left = n, gpa, flags;
		while (left) {
			uint32_t chunk = 4096 - (a & 0xFFF) < left ? 4096 - (a & 0xFFF) : left;
			if (guest_walk(vm, a, 1, user, &gpa, &flags, pf_err) < 0) {
				*pf_addr = a;
				return -1;
			}
			a += chunk;
			left -= chunk;
		}
	}
	/* The fast way first (gcopy.asm): a supervisor access of the VM on the CPU goes through its
	 * shadow, whose entries exist only where the walk below would succeed with nothing left to
	 * do (Accessed set; writable only if Dirty is set and the page is neither scanned code nor a
	 * descriptor table; never a device page). A fault there means the software walk is needed:
	 * it redoes the whole access, the bytes already copied with it. */
	if (!user && (uint64_t)la + n <= (1ULL << 32) && shadow_is_active(&vm->sh) &&
	    (write ? gcopy((void *)(uintptr_t)la, buf, n) : gcopy(buf, (void *)(uintptr_t)la, n)) == 0)
		return 0;
	while (n) {
		uint32_t chunk = 4096 - (la & 0xFFF), gpa, flags;
		if (chunk > n)
			chunk = n;
		if (guest_walk(vm, la, write, user, &gpa, &flags, pf_err) < 0) {
			*pf_addr = la;
			return -1;
		}
		uint32_t gfn = gpa >> 12;
		if (gfn >= vm->pmap.nframes) {
			mmio_phys(vm, gpa, b, chunk, write);   /* not RAM: a device, or the open bus */
		} else if (write && gpa_is_rom(gpa)) {
			/* the BIOS area is read-only: the bytes go nowhere (the chunk lies within it) */
		} else {
			mfn_t m;
			if ((write ? pmap_lookup(&vm->pmap, gfn, &m) : pmap_lookup_ro(&vm->pmap, gfn, &m)) < 0) {
				*pf_err = 0xFFFFFFFFu;   /* out of machine memory: no guest-visible fault fits */
				*pf_addr = la;
				return -1;
			}
			if (write)
				ram_store(vm, gpa, m, b, chunk);
			else
				memcpy(b, (uint8_t *)frame_to_virt(m) + (gpa & 0xFFF), chunk);
			/* After a read, the next access the VMM makes here goes the fast way (the
			 * shadow, which the guest's own accesses use too), as a TLB keeps what a walk
			 * found. (Not after a write: the VMM's writes that miss the shadow are mostly
			 * to pages it must not map writable, such as a guest stack that shares its
			 * page with the GDT, where a fill would be wasted every time.) */
			if (!write && shadow_is_active(&vm->sh))
				shadow_fill(vm, la & ~0xFFFu, gpa, m, flags, 0, 0);
		}
		la += chunk;
		b += chunk;
		n -= chunk;
	}
	return 0;
}

int guest_read(struct vm *vm, uint32_t la, void *buf, uint32_t n, int user, uint32_t *pf_err, uint32_t *pf_addr)
{
	return copy(vm, la, buf, n, user, 0, pf_err, pf_addr);
}

int guest_write(struct vm *vm, uint32_t la, const void *buf, uint32_t n, int user, uint32_t *pf_err,
		uint32_t *pf_addr)
{
	return copy(vm, la, (void *)buf, n, user, 1, pf_err, pf_addr);
}
