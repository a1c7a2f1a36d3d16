/* test_firmware.c - host unit tests of arch/x86_64/pc/firmware.c: build the BIOS memory into a plain
 * 1 MiB buffer, find the MP floating pointer and the RSDP the way an OS searches for them, check
 * every checksum, and parse the MP entries, the MADT, the FADT and the DSDT's AML.
 * With an argument DIR, also write each ACPI table to DIR/<sig>.dat (for `iasl -d`). KTAP output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "../../arch/x86_64/pc/firmware.h"
#include "../../arch/x86_64/pc/vlapic.h"
#include "../../arch/x86_64/pc/vioapic.h"
#include "../../arch/x86_64/pc/vpm.h"

#define MEM (1u << 20)
#define POISON 0xA5
static uint8_t *mem;
static int bad_range, calls;

static void *mem_at(void *ctx, uint32_t gpa, uint32_t len)
{
	(void)ctx;
	calls++;
	if (len == 0 || (gpa & ~0xFFFu) != ((gpa + len - 1) & ~0xFFFu) || gpa + len > MEM)
		bad_range = 1;                      /* the interface promises one page at a time */
	return mem + gpa;
}

static void *no_mem(void *ctx, uint32_t gpa, uint32_t len)
{
	(void)ctx, (void)len;
	return gpa >= FW_TABLES ? 0 : mem + gpa;
}

static const struct fw_config one = { .ncpus = 1, .ndisks = 2, .cpu_signature = 0x000006F6,
				      .cpu_features = 0x0383FBFF };

static void build(const struct fw_config *c)
{
	const char *why = 0;
	memset(mem, POISON, MEM);
	bad_range = 0;
	calls = 0;
	if (fw_build(c, mem_at, 0, &why) < 0) {
		printf("# fw_build: %s\n", why);
		abort();
	}
}

static uint32_t r8(uint32_t a) { return mem[a]; }
static uint32_t r16(uint32_t a) { return mem[a] | mem[a + 1] << 8; }
static uint32_t r32(uint32_t a) { return r16(a) | r16(a + 2) << 16; }
static uint64_t r64(uint32_t a) { return r32(a) | (uint64_t)r32(a + 4) << 32; }

static int sums_to_zero(uint32_t a, uint32_t n)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s = (uint8_t)(s + mem[a + i]);
	return s == 0;
}

/* ---- the OS's searches ---- */

static uint32_t scan(uint32_t from, uint32_t to, const char *sig, unsigned siglen, unsigned sumlen)
{
	for (uint32_t a = from; a + 16 <= to; a += 16)
		if (memcmp(mem + a, sig, siglen) == 0 && sums_to_zero(a, sumlen))
			return a;
	return 0;
}

/* MP spec 4: the first KiB of the EBDA, the last KiB of base memory, then 0xF0000-0xFFFFF. */
static uint32_t find_mp(void)
{
	uint32_t ebda = r16(0x40E) << 4, base = r16(0x413) * 1024u, a;
	if (ebda && (a = scan(ebda, ebda + 1024, "_MP_", 4, 16)))
		return a;
	if ((a = scan(base - 1024, base, "_MP_", 4, 16)))
		return a;
	return scan(0xF0000, 0x100000, "_MP_", 4, 16);
}

/* ACPI 5.2.5.1: the first KiB of the EBDA, then 0xE0000-0xFFFFF, on 16-byte boundaries. */
static uint32_t find_rsdp(void)
{
	uint32_t ebda = r16(0x40E) << 4, a;
	if (ebda && (a = scan(ebda, ebda + 1024, "RSD PTR ", 8, 20)))
		return a;
	return scan(0xE0000, 0x100000, "RSD PTR ", 8, 20);
}

static int table_ok(uint32_t a, const char *sig)
{
	return a >= FW_BIOS_AREA && a + 36 <= MEM && memcmp(mem + a, sig, 4) == 0 && r32(a + 4) >= 36 &&
	       a + r32(a + 4) <= FW_BIOS_END && sums_to_zero(a, r32(a + 4));
}

/* A table the XSDT lists, by signature (0: none). */
static uint32_t xsdt_find(const char *sig)
{
	uint32_t x = (uint32_t)r64(find_rsdp() + 24);
	for (uint32_t o = 36; o < r32(x + 4); o += 8) {
		uint32_t t = (uint32_t)r64(x + o);
		if (memcmp(mem + t, sig, 4) == 0)
			return t;
	}
	return 0;
}

/* ---- tests ---- */

static void only_the_bios_memory_is_written(void)
{
	build(&one);
	CHECK(!bad_range && calls == 5);
	/* What a BIOS leaves: IVT+BDA, EBDA, the text screen, the BIOS area's table page and its top
	 * page. Everything else (the kernel's memory, the MBI at 0x8000) is untouched. */
	static const struct { uint32_t a, b; } w[] = {
		{ 0, 0x500 }, { FW_EBDA, 0xA0000 }, { FW_VGA_TEXT, FW_VGA_TEXT + 4000 },
		{ FW_TABLES, FW_TABLES + 0x1000 }, { 0xFF000, 0x100000 },
	};
	int outside = 0;
	for (uint32_t a = 0; a < MEM; a++) {
		int in = 0;
		for (unsigned i = 0; i < 5; i++)
			in |= a >= w[i].a && a < w[i].b;
		if (!in && mem[a] != POISON)
			outside++;
	}
	CHECK(outside == 0);
}

static void ivt_bda_ebda(void)
{
	build(&one);
	for (unsigned v = 0; v < 256; v++)
		CHECK(r16(v * 4) == FW_IRET_OFF && r16(v * 4 + 2) == FW_IRET_SEG);
	CHECK(mem[0xF000 * 16 + 0xFF53] == 0xCF);          /* iret */
	CHECK(r16(0x400) == 0x3F8 && r16(0x402) == 0 && r16(0x404) == 0 && r16(0x406) == 0);
	CHECK(r16(0x40E) == 0x9FC0);
	uint32_t eq = r16(0x410);
	CHECK((eq & 1) == 0);                              /* no floppy */
	CHECK(((eq >> 4) & 3) == 2);                       /* 80x25 colour */
	CHECK(((eq >> 9) & 7) == 1);                       /* one serial port */
	CHECK(r16(0x413) == 639);
	CHECK(r8(0x449) == 3 && r16(0x44A) == 80 && r16(0x463) == 0x3D4 && r8(0x484) == 24);
	CHECK(r8(0x475) == 2);
	CHECK(r16(0x9FC00) == 1);                          /* EBDA size in KiB */
	CHECK(r16(0x40E) * 16 + r16(0x9FC00) * 1024 == 0xA0000);
	CHECK(r16(0xB8000) == 0x0720 && r16(0xB8000 + 3998) == 0x0720);
}

static void mp_floating_pointer(void)
{
	build(&one);
	uint32_t f = find_mp();
	CHECK(f == FW_MP_FLOAT);
	CHECK(f >= 0xF0000 && f < 0x100000 && f % 16 == 0);
	CHECK(r8(f + 8) == 1 && r8(f + 9) == 4);           /* 16 bytes, spec 1.4 */
	CHECK(r8(f + 11) == 0);                            /* a configuration table, not a default */
	CHECK((r8(f + 12) & 0x80) == 0);                   /* virtual wire, no IMCR */
	uint32_t t = r32(f + 4);
	CHECK(t == FW_MP_CONFIG && memcmp(mem + t, "PCMP", 4) == 0);
	CHECK(r8(t + 6) == 4);
	CHECK(sums_to_zero(t, r16(t + 4)));
	CHECK(r32(t + 36) == VLAPIC_BASE);
	CHECK(r16(t + 40) == 0 && r32(t + 28) == 0);       /* no extended table, no OEM table */
	CHECK(t + r16(t + 4) <= FW_TABLES + 0x1000);
}

struct mp_seen {
	int procs, bsp, buses, ioapics, extint_pin0, lint0_extint, lint1_nmi, other;
	int pin_of_irq[16], flags_of_irq[16];
	uint32_t ioapic_addr;
	unsigned ioapic_id;
};

static void parse_mp(struct mp_seen *s, unsigned ncpus)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < 16; i++)
		s->pin_of_irq[i] = -1;
	uint32_t t = r32(find_mp() + 4), a = t + 44, end = t + r16(t + 4);
	unsigned n = 0;
	while (a < end) {
		n++;
		switch (r8(a)) {
		case 0:
			CHECK(r8(a + 1) == (unsigned)s->procs);     /* APIC ids 0, 1, ... */
			CHECK(r8(a + 2) == 0x14 && (r8(a + 3) & 1));
			CHECK(r32(a + 4) == one.cpu_signature && r32(a + 8) == one.cpu_features);
			s->bsp += (r8(a + 3) & 2) != 0;
			CHECK(((r8(a + 3) & 2) != 0) == (s->procs == 0));
			s->procs++;
			a += 20;
			continue;
		case 1:
			CHECK(r8(a + 1) == 0 && memcmp(mem + a + 2, "ISA   ", 6) == 0);
			s->buses++;
			break;
		case 2:
			s->ioapics++;
			s->ioapic_id = r8(a + 1);
			s->ioapic_addr = r32(a + 4);
			CHECK(r8(a + 2) == 0x11 && (r8(a + 3) & 1));
			break;
		case 3:
			CHECK(r8(a + 4) == 0 && r8(a + 6) == VIOAPIC_ID);   /* from ISA, to our IO APIC */
			if (r8(a + 1) == 3 && r8(a + 5) == 0 && r8(a + 7) == 0)
				s->extint_pin0++;
			else if (r8(a + 1) == 0 && r8(a + 5) < 16 && s->pin_of_irq[r8(a + 5)] < 0) {
				s->pin_of_irq[r8(a + 5)] = r8(a + 7);
				s->flags_of_irq[r8(a + 5)] = (int)r16(a + 2);
			} else
				s->other++;
			break;
		case 4:
			CHECK(r8(a + 6) == 0xFF);
			if (r8(a + 1) == 3 && r8(a + 7) == 0)
				s->lint0_extint++;
			else if (r8(a + 1) == 1 && r8(a + 7) == 1)
				s->lint1_nmi++;
			else
				s->other++;
			break;
		default:
			s->other++;
			a = end;
			continue;
		}
		a += 8;
	}
	CHECK(a == end);
	CHECK(n == r16(t + 34));
	CHECK(s->procs == (int)ncpus);
}

static void mp_entries(void)
{
	struct mp_seen s;
	build(&one);
	parse_mp(&s, 1);
	CHECK(s.bsp == 1 && s.buses == 1 && s.ioapics == 1 && s.other == 0);
	CHECK(s.ioapic_id == VIOAPIC_ID && VIOAPIC_ID == 1 && s.ioapic_addr == VIOAPIC_BASE);
	CHECK(s.extint_pin0 == 1 && s.lint0_extint == 1 && s.lint1_nmi == 1);
	CHECK(s.pin_of_irq[0] == 2);
	CHECK(s.pin_of_irq[2] == -1);                      /* the cascade has no entry */
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			CHECK(s.pin_of_irq[irq] == irq);
	for (int irq = 0; irq < 16; irq++)
		if (irq != 2)
			CHECK(s.flags_of_irq[irq] == (irq == VPM_SCI_IRQ ? 0x000D : 0));
}

static void mp_two_cpus(void)
{
	struct fw_config two = one;
	struct mp_seen s;
	two.ncpus = 2;
	build(&two);
	parse_mp(&s, 2);
	CHECK(s.bsp == 1 && s.other == 0);
	uint32_t madt = xsdt_find("APIC");
	CHECK(table_ok(madt, "APIC"));
	CHECK(mem[madt + 44] == 0 && mem[madt + 47] == 0 && mem[madt + 52] == 0 && mem[madt + 55] == 1);
	two.ncpus = FW_MAX_CPUS;
	build(&two);
	parse_mp(&s, FW_MAX_CPUS);
	CHECK(table_ok(xsdt_find("APIC"), "APIC"));
	CHECK(memcmp(mem + FW_MP_CONFIG, "PCMP", 4) == 0 && sums_to_zero(FW_MP_CONFIG, r16(FW_MP_CONFIG + 4)));
	CHECK(FW_MP_CONFIG + r16(FW_MP_CONFIG + 4) <= FW_TABLES + 0x1000);
	CHECK(FW_MADT + r32(FW_MADT + 4) <= FW_DSDT);
}

static void rsdp_rsdt_xsdt(void)
{
	build(&one);
	uint32_t p = find_rsdp();
	CHECK(p == FW_RSDP && p % 16 == 0 && p >= 0xE0000);
	CHECK(r8(p + 15) == 2 && r32(p + 20) == 36);
	CHECK(sums_to_zero(p, 20) && sums_to_zero(p, 36));
	CHECK(memcmp(mem + p + 9, FW_OEM_ID, 6) == 0);
	uint32_t rsdt = r32(p + 16), xsdt = (uint32_t)r64(p + 24);
	CHECK(r64(p + 24) < 0x100000);
	CHECK(table_ok(rsdt, "RSDT") && table_ok(xsdt, "XSDT"));
	uint32_t nr = (r32(rsdt + 4) - 36) / 4, nx = (r32(xsdt + 4) - 36) / 8;
	CHECK(nr == 2 && nx == 2);
	for (uint32_t i = 0; i < nr && i < nx; i++)
		CHECK(r32(rsdt + 36 + 4 * i) == r64(xsdt + 36 + 8 * i));
	CHECK(xsdt_find("FACP") == FW_FADT && xsdt_find("APIC") == FW_MADT);
	CHECK(table_ok(FW_FADT, "FACP") && table_ok(FW_MADT, "APIC") && table_ok(FW_DSDT, "DSDT"));
	/* Every table lies in the BIOS area, and none overlaps another. */
	const uint32_t at[] = { FW_RSDP, FW_MP_FLOAT, FW_FACS, FW_RSDT, FW_XSDT, FW_FADT, FW_MADT, FW_DSDT, FW_MP_CONFIG };
	const uint32_t len[] = { 36, 16, 64, r32(FW_RSDT + 4), r32(FW_XSDT + 4), r32(FW_FADT + 4), r32(FW_MADT + 4),
				 r32(FW_DSDT + 4), r16(FW_MP_CONFIG + 4) };
	for (unsigned i = 0; i < 9; i++) {
		CHECK(at[i] >= FW_BIOS_AREA && at[i] + len[i] <= FW_BIOS_END);
		for (unsigned j = 0; j < i; j++)
			CHECK(at[i] + len[i] <= at[j] || at[j] + len[j] <= at[i]);
	}
}

static void fadt_facs(void)
{
	build(&one);
	uint32_t f = xsdt_find("FACP");
	CHECK(r8(f + 8) >= 3 && r32(f + 4) >= 244);
	uint32_t facs = r32(f + 36);
	CHECK(facs == r64(f + 132) && facs % 64 == 0);
	CHECK(memcmp(mem + facs, "FACS", 4) == 0 && r32(facs + 4) == 64);
	CHECK(r32(f + 40) == FW_DSDT && r64(f + 140) == FW_DSDT);
	CHECK(r16(f + 46) == VPM_SCI_IRQ && r32(f + 48) == 0);
	CHECK(r32(f + 56) == VPM_BASE && r8(f + 88) == 4);
	CHECK(r32(f + 64) == VPM_BASE + 4 && r8(f + 89) == 2);
	CHECK(r32(f + 76) == VPM_BASE + 8 && r8(f + 91) == 4);
	CHECK(r32(f + 60) == 0 && r32(f + 68) == 0 && r32(f + 72) == 0 && r32(f + 80) == 0);
	uint32_t flags = r32(f + 112);
	CHECK(flags == (1u | 4u | 0x20u | 0x400u));        /* WBINVD PROC_C1 SLP_BUTTON RESET_REG_SUP */
	CHECK(!(flags & 0x100));                           /* TMR_VAL_EXT clear: 24-bit PM timer */
	CHECK(r16(f + 109) == 3);                          /* legacy devices, 8042 */
	CHECK(r8(f + 116) == 1 && r8(f + 117) == 8 && r64(f + 120) == VPM_RESET && r8(f + 128) == VPM_RESET_VAL);
	/* X_ blocks: I/O space, the same ports, widths = the lengths */
	CHECK(r8(f + 148) == 1 && r8(f + 149) == 32 && r64(f + 152) == VPM_BASE);
	CHECK(r8(f + 172) == 1 && r8(f + 173) == 16 && r64(f + 176) == VPM_BASE + 4);
	CHECK(r8(f + 208) == 1 && r8(f + 209) == 32 && r64(f + 212) == VPM_BASE + 8);
	CHECK(r64(f + 164) == 0 && r64(f + 188) == 0 && r64(f + 224) == 0);
	CHECK(memcmp(mem + f + 10, FW_OEM_ID, 6) == 0);
}

static void dsdt_s5(void)
{
	build(&one);
	uint32_t d = r32(xsdt_find("FACP") + 40), len = r32(d + 4);
	CHECK(table_ok(d, "DSDT"));
	/* Decode the AML: one NameOp "_S5_" with a PackageOp of 4 elements. */
	uint32_t a = d + 36;
	CHECK(r8(a) == 0x08 && memcmp(mem + a + 1, "_S5_", 4) == 0);
	a += 5;
	CHECK(r8(a) == 0x12);
	uint32_t pkglen = r8(a + 1);
	CHECK((pkglen & 0xC0) == 0);                      /* one-byte PkgLength */
	CHECK(a + 1 + pkglen == d + len);                 /* the package ends the table */
	CHECK(r8(a + 2) == 4);
	uint32_t e = a + 3, vals[4], n = 0;
	while (e < d + len && n < 4) {
		if (r8(e) == 0x0A)
			vals[n++] = r8(e + 1), e += 2;
		else if (r8(e) == 0x00 || r8(e) == 0x01)
			vals[n++] = r8(e), e += 1;
		else
			break;
	}
	CHECK(n == 4 && e == d + len);
	CHECK(vals[0] == VPM_S5_TYP && vals[1] == VPM_S5_TYP && vals[2] == 0 && vals[3] == 0);
}

static void madt(void)
{
	build(&one);
	uint32_t m = xsdt_find("APIC"), end = m + r32(m + 4);
	CHECK(table_ok(m, "APIC"));
	CHECK(r32(m + 36) == VLAPIC_BASE && (r32(m + 40) & 1));
	int lapics = 0, ioapics = 0, nmis = 0, other = 0, iso0 = 0, iso9 = 0;
	uint32_t a = m + 44;
	while (a + 2 <= end && r8(a + 1) >= 2) {
		switch (r8(a)) {
		case 0:
			CHECK(r8(a + 1) == 8 && r8(a + 2) == 0 && r8(a + 3) == 0 && (r32(a + 4) & 1));
			lapics++;
			break;
		case 1:
			CHECK(r8(a + 1) == 12 && r8(a + 2) == VIOAPIC_ID && r32(a + 4) == VIOAPIC_BASE && r32(a + 8) == 0);
			ioapics++;
			break;
		case 2:
			CHECK(r8(a + 1) == 10 && r8(a + 2) == 0);
			if (r8(a + 3) == 0 && r32(a + 4) == 2 && r16(a + 8) == 0)
				iso0++;
			else if (r8(a + 3) == 9 && r32(a + 4) == 9 && r16(a + 8) == 0x000D)
				iso9++;
			else
				other++;
			break;
		case 4:
			CHECK(r8(a + 1) == 6 && r8(a + 2) == 0xFF && r8(a + 5) == 1);
			nmis++;
			break;
		default:
			other++;
		}
		a += r8(a + 1);
	}
	CHECK(a == end);
	CHECK(lapics == 1 && ioapics == 1 && nmis == 1 && iso0 == 1 && iso9 == 1 && other == 0);
}

static void e820_layout(void)
{
	struct fw_e820 e[FW_E820_MAX];
	int n = fw_e820(64u << 20, e);
	CHECK(n == 4);
	CHECK(e[0].base == 0 && e[0].len == 0x9FC00 && e[0].type == FW_E820_RAM);
	CHECK(e[1].base == 0x9FC00 && e[1].len == 0x400 && e[1].type == FW_E820_RESERVED);
	CHECK(e[2].base == 0xE0000 && e[2].len == 0x20000 && e[2].type == FW_E820_RESERVED);
	CHECK(e[3].base == 0x100000 && e[3].base + e[3].len == (64u << 20) && e[3].type == FW_E820_RAM);
	/* The EBDA and every table are in reserved ranges; the hole is not listed. */
	for (int i = 0; i < n; i++) {
		CHECK(!(e[i].base < 0xE0000 && e[i].base + e[i].len > 0xA0000));
		if (e[i].type == FW_E820_RAM)
			CHECK(e[i].base + e[i].len <= FW_EBDA || e[i].base >= FW_BIOS_END);
	}
	CHECK(fw_e820(FW_BIOS_END, e) == 3);
}

static void refuses(void)
{
	const char *why = 0;
	struct fw_config c = one;
	c.ncpus = 0;
	CHECK(fw_build(&c, mem_at, 0, &why) < 0 && why && strstr(why, "vCPU"));
	c.ncpus = FW_MAX_CPUS + 1;
	CHECK(fw_build(&c, mem_at, 0, &why) < 0);
	why = 0;
	CHECK(fw_build(&one, no_mem, 0, &why) < 0 && why && strstr(why, "out of machine memory"));
}

static void dump(const char *dir)
{
	build(&one);
	const uint32_t t[] = { FW_DSDT, FW_FADT, FW_MADT, FW_RSDT, FW_XSDT, FW_FACS };
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%.4s.dat", dir, (const char *)mem + t[i]);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(mem + t[i], 1, r32(t[i] + 4), f) != r32(t[i] + 4)) {
			printf("# cannot write %s\n", path);
			exit(1);
		}
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	mem = malloc(MEM);
	KTAP_BEGIN(11);
	RUN(only_the_bios_memory_is_written);
	RUN(ivt_bda_ebda);
	RUN(mp_floating_pointer);
	RUN(mp_entries);
	RUN(mp_two_cpus);
	RUN(rsdp_rsdt_xsdt);
	RUN(fadt_facs);
	RUN(dsdt_s5);
	RUN(madt);
	RUN(e820_layout);
	RUN(refuses);
	if (argc > 1)
		dump(argv[1]);
	free(mem);
	KTAP_END();
}
