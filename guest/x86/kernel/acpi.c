/* acpi.c - the ACPI tables an OS reads at boot: the RSDP (first KiB of the EBDA, then
 * 0xE0000-0xFFFFF), the RSDT and XSDT, the MADT (local APIC address, IO APICs, interrupt source
 * overrides), the FADT and the DSDT; and acpi_poweroff(), which enters S5 with the sleep type
 * from the DSDT's \_S5 package. Only parsing here; the checks are in devtest.c. */
#include "kernel.h"
#include "x86.h"
#include "drivers.h"

struct acpi_info acpi;

#define SDT_HDR 36

static const uint8_t *find_rsdp(uint32_t pa, uint32_t len)
{
	const uint8_t *p = phys_map(pa, len, 0), *q;

	if (!p)
		return 0;
	for (q = p; q + 20 <= p + len; q += 16)
		if (!memcmp(q, "RSD PTR ", 8) && sum8(q, 20) == 0) {
			acpi.rsdp_pa = pa + (uint32_t)(q - p);
			return q;
		}
	return 0;
}

/* Map a whole system description table; *ok when its checksum is right. 0 if unreachable. */
static const uint8_t *map_sdt(uint32_t pa, int *ok)
{
	const uint8_t *h = pa ? phys_map(pa, SDT_HDR, 0) : 0, *t;
	uint32_t len;

	*ok = 0;
	if (!h)
		return 0;
	len = le32(h + 4);
	if (len < SDT_HDR || len > (1u << 20) || !(t = phys_map(pa, len, 0)))
		return 0;
	*ok = sum8(t, len) == 0;
	return t;
}

static void parse_madt(const uint8_t *t)
{
	uint32_t len = le32(t + 4), off;
	int i, bsp = (int)lapic_id_from_cpuid();

	for (i = 0; i < 16; i++)
		acpi.isa_gsi[i] = (uint32_t)i;
	acpi.lapic_pa = le32(t + 36);
	for (off = 44; off + 2 <= len; off += t[off + 1]) {
		const uint8_t *e = t + off;
		if (e[1] < 2 || off + e[1] > len)
			break;
		switch (e[0]) {
		case 0:	/* processor local APIC: ACPI id, APIC id, flags */
			acpi.n_lapic++;
			if (e[3] == bsp && (le32(e + 4) & 1))
				acpi.bsp_in_madt = 1;
			break;
		case 1:	/* IO APIC: id, reserved, address, GSI base */
			acpi.n_ioapic++;
			acpi.ioapic_id = e[2];
			acpi.ioapic_pa = le32(e + 4);
			acpi.ioapic_gsi_base = le32(e + 8);
			break;
		case 2:	/* interrupt source override: bus, source, GSI, flags */
			acpi.n_iso++;
			if (e[2] != 0 || e[3] > 15) {
				acpi.iso_bad = 1;
				break;
			}
			acpi.isa_gsi[e[3]] = le32(e + 4);
			acpi.isa_flags[e[3]] = le16(e + 8);
			break;
		case 5:	/* 64-bit local APIC address override */
			if (!le32(e + 8))
				acpi.lapic_pa = le32(e + 4);
			break;
		}
	}
}

/* The DSDT's \_S5 object: NameOp "_S5_" PackageOp PkgLength NumElements SLP_TYPa SLP_TYPb. */
static int aml_int(const uint8_t **pp, const uint8_t *end, int *v)
{
	const uint8_t *p = *pp;
	if (p >= end)
		return -1;
	switch (*p) {
	case 0x00: *v = 0; p += 1; break;	/* ZeroOp */
	case 0x01: *v = 1; p += 1; break;	/* OneOp */
	case 0xFF: *v = 0xFF; p += 1; break;	/* OnesOp */
	case 0x0A:				/* BytePrefix */
		if (p + 2 > end)
			return -1;
		*v = p[1];
		p += 2;
		break;
	case 0x0B:				/* WordPrefix */
		if (p + 3 > end)
			return -1;
		*v = le16(p + 1);
		p += 3;
		break;
	default:
		return -1;
	}
	*pp = p;
	return 0;
}

static void find_s5(const uint8_t *dsdt)
{
	uint32_t len = le32(dsdt + 4), i;
	const uint8_t *end = dsdt + len;

	for (i = SDT_HDR; i + 4 < len; i++) {
		const uint8_t *p = dsdt + i;
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))	/* NameOp [\] */
			continue;
		p += 5;
		p += 1 + (*p >> 6);	/* PkgLength: lead byte, then 0-3 more bytes */
		if (p + 1 >= end || *p < 1)
			continue;
		p++;	/* NumElements */
		if (aml_int(&p, end, &acpi.s5_typa) < 0)
			continue;
		if (aml_int(&p, end, &acpi.s5_typb) < 0)
			acpi.s5_typb = acpi.s5_typa;
		acpi.s5_found = 1;
		return;
	}
}

static void parse_fadt(const uint8_t *t)
{
	uint32_t len = le32(t + 4), dsdt = le32(t + 40);
	const uint8_t *d;

	acpi.smi_cmd = le32(t + 48);
	acpi.acpi_enable = t[52];
	acpi.pm1a_cnt = le32(t + 64);
	acpi.pm1b_cnt = le32(t + 68);
	acpi.century = t[108];
	if (len >= 148 && le32(t + 144) == 0 && le32(t + 140))	/* X_DSDT (below 4 GiB) */
		dsdt = le32(t + 140);
	if (!acpi.pm1a_cnt && len >= 184 && t[172] == 1 && le32(t + 180) == 0)	/* X_PM1a_CNT_BLK in I/O space */
		acpi.pm1a_cnt = le32(t + 176);
	acpi.dsdt_pa = dsdt;
	d = map_sdt(dsdt, &acpi.dsdt_ok);
	if (d && memcmp(d, "DSDT", 4))
		acpi.dsdt_ok = 0;
	if (d && acpi.dsdt_ok)
		find_s5(d);
}

void acpi_scan(void)
{
	uint32_t ebda = (uint32_t)bda_ebda_seg() << 4, i, n;
	const uint8_t *r = 0, *root;
	int is_x, ok;

	memset(&acpi, 0, sizeof(acpi));
	acpi.ioapic_id = -1;
	if (ebda >= 0x400 && ebda < 0xA0000)
		r = find_rsdp(ebda, 1024);
	if (!r)
		r = find_rsdp(0xE0000, 0x20000);
	if (!r)
		return;
	acpi.rsdp_found = 1;
	acpi.rsdp_checksum_ok = 1;	/* find_rsdp checked the first 20 bytes */
	acpi.revision = r[15];
	acpi.rsdt_pa = le32(r + 16);
	acpi.rsdp_ext_ok = 1;
	if (acpi.revision >= 2) {
		uint32_t len = le32(r + 20);
		const uint8_t *full = len >= 36 && len < 4096 ? phys_map(acpi.rsdp_pa, len, 0) : 0;
		acpi.rsdp_ext_ok = full && sum8(full, len) == 0;
		acpi.xsdt_pa = (uint64_t)le32(r + 24) | (uint64_t)le32(r + 28) << 32;
	}
	root = map_sdt(acpi.rsdt_pa, &acpi.rsdt_ok);
	if (root && memcmp(root, "RSDT", 4))
		acpi.rsdt_ok = 0;
	if (acpi.xsdt_pa) {
		const uint8_t *x = acpi.xsdt_pa >> 32 ? 0 : map_sdt((uint32_t)acpi.xsdt_pa, &ok);
		acpi.xsdt_present = 1;
		acpi.xsdt_ok = x && ok && !memcmp(x, "XSDT", 4);
		if (acpi.xsdt_ok)
			root = x;	/* an OS prefers the XSDT when there is one */
	}
	if (!root)
		return;
	is_x = !memcmp(root, "XSDT", 4);
	n = (le32(root + 4) - SDT_HDR) / (is_x ? 8 : 4);
	acpi.n_tables = (int)n;
	for (i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HDR + i * (is_x ? 8 : 4), *t;
		uint32_t pa = le32(e);
		if (is_x && le32(e + 4))
			continue;
		if (!(t = map_sdt(pa, &ok)))
			continue;
		if (!memcmp(t, "APIC", 4) && !acpi.madt_pa) {
			acpi.madt_pa = pa;
			acpi.madt_ok = ok;
			if (ok)
				parse_madt(t);
		} else if (!memcmp(t, "FACP", 4) && !acpi.fadt_pa) {
			acpi.fadt_pa = pa;
			acpi.fadt_ok = ok && le32(t + 4) >= 116;	/* at least the ACPI 1.0 fields */
			if (acpi.fadt_ok)
				parse_fadt(t);
		}
	}
}

/* Enter S5 (soft off): switch the chipset to ACPI mode if the firmware has not (SMI_CMD <-
 * ACPI_ENABLE, then wait for SCI_EN), then write SLP_TYPx | SLP_EN to PM1a (and PM1b). */
void acpi_poweroff(void)
{
	int n;

	if (!acpi.rsdp_found)
		acpi_scan();
	if (!acpi.pm1a_cnt || !acpi.s5_found) {
		klog("acpioff: no PM1a_CNT_BLK or no \\_S5 in the DSDT\n");
		return;
	}
	klog("acpioff: entering S5: PM1a_CNT_BLK %#x, SLP_TYPa %d, SCI_EN %d\n", acpi.pm1a_cnt,
	     acpi.s5_typa, inw((uint16_t)acpi.pm1a_cnt) & 1);
	cli();
	if (!(inw((uint16_t)acpi.pm1a_cnt) & 1) && acpi.smi_cmd && acpi.acpi_enable) {
		outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
		for (n = 0; n < 300 && !(inw((uint16_t)acpi.pm1a_cnt) & 1); n++)
			pit_delay_us(10000);
	}
	outw((uint16_t)acpi.pm1a_cnt, (uint16_t)((acpi.s5_typa & 7) << 10 | 1 << 13));
	if (acpi.pm1b_cnt)
		outw((uint16_t)acpi.pm1b_cnt, (uint16_t)((acpi.s5_typb & 7) << 10 | 1 << 13));
	pit_delay_us(100000);
	klog("acpioff: still running after SLP_EN (PM1a_CNT %#x, SLP_TYP %d)\n", acpi.pm1a_cnt,
	     acpi.s5_typa);
}
