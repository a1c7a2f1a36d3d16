/* acpi.c - what the VMM reads from the machine's own ACPI tables (not the guests' tables, which
 * pc/firmware.c builds): the MADT's list of CPUs (only the boot CPU runs the VMM; the others are
 * never started and stay parked where the firmware left them, waiting for an INIT/SIPI that does
 * not come) and the FADT's power-management timer, a fixed 3.579545 MHz counter that the TSC is
 * calibrated against (pic.c; the PIT only when there is no PM timer).
 *
 * The RSDP comes from GRUB's multiboot2 ACPI tag (UEFI boots have no BIOS area to search), else
 * from the BIOS areas the ACPI specification names (the first KiB of the EBDA, 0xE0000-0xFFFFF).
 * Every table is checked (signature, length within bounds, checksum) before a byte of it is used:
 * firmware tables are input like any other. Facts: ACPI 6.4, sections 5.2.5-5.2.12. */
#include "acpi.h"
#include "cpu.h"
#include "../../lib/kstring.h"

#define LOW_LIMIT (4ull << 30)            /* tables are read through the map of machine 0..4 GiB */

struct sdt { char sig[4]; uint32_t len; uint8_t rev, sum; char oem[6], table[8]; uint32_t orev, cid, crev; }
	__attribute__((packed));

static int sum_ok(const void *p, uint32_t n)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s == 0;
}

/* A table at machine address pa with signature sig (0: any), whole and summing to zero, or 0. */
static const struct sdt *table(uint64_t pa, const char *sig)
{
	if (pa == 0 || pa + sizeof(struct sdt) > LOW_LIMIT)
		return 0;
	const struct sdt *t = phys_to_virt(pa);
	if ((sig && memcmp(t->sig, sig, 4)) || t->len < sizeof *t || t->len > (1u << 20) || pa + t->len > LOW_LIMIT ||
	    !sum_ok(t, t->len))
		return 0;
	return t;
}

static const uint8_t *rsdp_at(uint64_t pa)
{
	const uint8_t *r = phys_to_virt(pa);
	return memcmp(r, "RSD PTR ", 8) == 0 && sum_ok(r, 20) ? r : 0;
}

static const uint8_t *rsdp_search(void)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(0x40E) << 4;
	if (ebda >= 0x80000 && ebda < 0xA0000)
		for (uint64_t a = ebda; a < ebda + 1024; a += 16)
			if (rsdp_at(a))
				return rsdp_at(a);
	for (uint64_t a = 0xE0000; a < 0x100000; a += 16)
		if (rsdp_at(a))
			return rsdp_at(a);
	return 0;
}

static void madt(const struct sdt *t, struct acpi_info *ai)
{
	const uint8_t *p = (const uint8_t *)t + 44, *end = (const uint8_t *)t + t->len;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id = ~0u, flags = 0;
		if (p[0] == 0 && p[1] >= 8) {                 /* processor local APIC */
			id = p[3];
			flags = *(const uint32_t *)(p + 4);
		} else if (p[0] == 9 && p[1] >= 16) {         /* processor local x2APIC */
			id = *(const uint32_t *)(p + 4);
			flags = *(const uint32_t *)(p + 8);
		}
		if (id != ~0u && (flags & 3)) {               /* enabled, or online capable */
			if (ai->ncpus < ACPI_MAX_CPUS)
				ai->apic_id[ai->ncpus] = id;
			ai->ncpus++;
		}
		p += p[1];
	}
}

static void fadt(const struct sdt *t, struct acpi_info *ai)
{
	const uint8_t *f = (const uint8_t *)t;
	if (t->len >= 116) {
		ai->pm_timer_port = *(const uint32_t *)(f + 76);
		ai->pm_timer_32 = (*(const uint32_t *)(f + 112) >> 8) & 1;   /* TMR_VAL_EXT */
	}
	/* X_PM_TMR_BLK (a generic address): used when it is an I/O port and the old field is empty */
	if (t->len >= 220 && f[208] == 1 && ai->pm_timer_port == 0 && *(const uint64_t *)(f + 212) < 0x10000)
		ai->pm_timer_port = (uint32_t)*(const uint64_t *)(f + 212);
	if (ai->pm_timer_port > 0xFFFF)
		ai->pm_timer_port = 0;
}

void acpi_scan(uint64_t rsdp_phys, struct acpi_info *ai)
{
	memset(ai, 0, sizeof *ai);
	const uint8_t *r = rsdp_phys ? rsdp_at(rsdp_phys) : 0;
	if (!r)
		r = rsdp_search();
	if (!r) {
		ai->why = "no RSDP (no ACPI tables from GRUB or in the BIOS areas)";
		return;
	}
	uint64_t xsdt = r[15] >= 2 && sum_ok(r, 36) ? *(const uint64_t *)(r + 24) : 0;
	const struct sdt *root = table(xsdt, "XSDT");
	unsigned esize = 8;
	if (!root) {
		root = table(*(const uint32_t *)(r + 16), "RSDT");
		esize = 4;
	}
	if (!root) {
		ai->why = "the RSDT/XSDT is missing or its checksum is wrong";
		return;
	}
	ai->found = 1;
	const uint8_t *e = (const uint8_t *)root + sizeof *root;
	for (uint32_t n = (root->len - (uint32_t)sizeof *root) / esize; n--; e += esize) {
		uint64_t pa = esize == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
		const struct sdt *t = table(pa, 0);
		if (!t)
			continue;
		if (!memcmp(t->sig, "APIC", 4) && t->len >= 44)
			madt(t, ai);
		else if (!memcmp(t->sig, "FACP", 4))
			fadt(t, ai);
	}
}
