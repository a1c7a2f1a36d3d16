/* firmware.c - the memory a PC BIOS leaves to an OS (see firmware.h), built at VM creation.
 *
 * Facts from: the MultiProcessor Specification 1.4 (chapter 4: floating pointer, configuration
 * table, entry formats; appendix D: default ISA interrupt assignments), the ACPI specification
 * 2.0/3.0 (RSDP, RSDT/XSDT, FADT revision 4 with its offsets, FACS, MADT entry types 0/1/2/4, the
 * AML encoding of a Name of a Package), and the usual BIOS data area map (Ralf Brown's list).
 * Every table is written byte by byte at its offset: no packed structures, so the layout is the
 * spec's whatever the compiler does. */
#include "firmware.h"
#include "vlapic.h"
#include "vioapic.h"
#include "vpm.h"
#include "../../../lib/kstring.h"

static void w8(uint8_t *p, unsigned off, uint8_t v) { p[off] = v; }
static void w16(uint8_t *p, unsigned off, uint16_t v) { p[off] = (uint8_t)v; p[off + 1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, unsigned off, uint32_t v) { w16(p, off, (uint16_t)v); w16(p, off + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, unsigned off, uint64_t v) { w32(p, off, (uint32_t)v); w32(p, off + 4, (uint32_t)(v >> 32)); }
static void wstr(uint8_t *p, unsigned off, const char *s, unsigned n) { memcpy(p + off, s, n); }

/* The byte that makes the n bytes at p sum to 0 (mod 256), given that it is currently 0. */
static uint8_t fix(const uint8_t *p, unsigned n)
{
	uint8_t s = 0;
	for (unsigned i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)-s;
}

int fw_e820(uint64_t ram, struct fw_e820 map[FW_E820_MAX])
{
	int n = 0;
	map[n++] = (struct fw_e820){ 0, FW_EBDA, FW_E820_RAM };
	map[n++] = (struct fw_e820){ FW_EBDA, FW_HOLE - FW_EBDA, FW_E820_RESERVED };
	map[n++] = (struct fw_e820){ FW_BIOS_AREA, FW_BIOS_END - FW_BIOS_AREA, FW_E820_RESERVED };
	if (ram > FW_BIOS_END)
		map[n++] = (struct fw_e820){ FW_BIOS_END, ram - FW_BIOS_END, FW_E820_RAM };
	return n;
}

/* ---- real mode: IVT, BDA, EBDA, screen, the top of the BIOS ---- */

static void build_low(uint8_t *low, const struct fw_config *c)
{
	for (unsigned v = 0; v < 256; v++) {         /* IVT: offset, then segment */
		w16(low, v * 4, FW_IRET_OFF);
		w16(low, v * 4 + 2, FW_IRET_SEG);
	}
	uint8_t *b = low + FW_BDA;
	memset(b, 0, 0x100);
	w16(b, 0x00, 0x3F8);                         /* COM1; COM2-4 absent */
	w16(b, 0x0E, FW_EBDA >> 4);                  /* EBDA segment */
	/* Equipment word: x87 present (bit 1), initial video 80x25 colour (bits 4-5 = 10), one serial
	 * port (bits 9-11), no floppy (bit 0 clear), no printer. */
	w16(b, 0x10, 0x0002 | 0x0020 | 0x0200);
	w16(b, 0x13, FW_BASE_KIB);                   /* conventional memory in KiB */
	w16(b, 0x1A, 0x1E);                          /* keyboard buffer head and tail (empty) */
	w16(b, 0x1C, 0x1E);
	w8(b, 0x49, 3);                              /* video mode 3 */
	w16(b, 0x4A, 80);                            /* columns */
	w16(b, 0x4C, 0x1000);                        /* bytes per page */
	w8(b, 0x60, 0x07);                           /* cursor end and start scan lines */
	w8(b, 0x61, 0x06);
	w16(b, 0x63, 0x3D4);                         /* CRTC base: colour */
	w8(b, 0x65, 0x29);                           /* mode select register for mode 3 */
	w8(b, 0x66, 0x30);                           /* colour palette */
	w8(b, 0x75, (uint8_t)c->ndisks);             /* hard disks */
	w16(b, 0x80, 0x1E);                          /* keyboard buffer start and end */
	w16(b, 0x82, 0x3E);
	w8(b, 0x84, 24);                             /* rows - 1 */
	w16(b, 0x85, 16);                            /* character height */
	w8(b, 0x96, 0x10);                           /* 101/102-key keyboard */
}

static void build_ebda(uint8_t *e)
{
	memset(e, 0, FW_EBDA_KIB * 1024);
	w16(e, 0, FW_EBDA_KIB);                      /* its size in KiB */
}

static void build_screen(uint8_t *s)
{
	for (unsigned i = 0; i < 80 * 25; i++)
		w16(s, i * 2, 0x0720);                   /* a blank, light grey on black */
}

static void build_top(uint8_t *t)
{
	memset(t, 0, 0x1000);
	w8(t, FW_IRET & 0xFFF, 0xCF);                /* iret */
	wstr(t, 0xFF5, "01/01/24", 8);               /* BIOS date at F000:FFF5 */
	w8(t, 0xFFE, 0xFC);                          /* model byte: AT */
}

/* ---- MP specification 1.4 ---- */

enum { MP_PROC = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define MP_LEVEL_HIGH 0x000D       /* polarity active high (01), trigger level (11) */

static unsigned mp_int(uint8_t *e, uint8_t entry, uint8_t type, uint16_t flags, uint8_t irq, uint8_t dst,
		       uint8_t pin)
{
	w8(e, 0, entry);
	w8(e, 1, type);
	w16(e, 2, flags);
	w8(e, 4, 0);                                 /* source bus: ISA */
	w8(e, 5, irq);
	w8(e, 6, dst);
	w8(e, 7, pin);
	return 8;
}

static void build_mp(uint8_t *tab, const struct fw_config *c)
{
	uint8_t *t = tab + (FW_MP_CONFIG - FW_TABLES);
	unsigned off = 44, n = 0;
	for (unsigned i = 0; i < c->ncpus; i++, n++) {
		uint8_t *e = t + off;
		w8(e, 0, MP_PROC);
		w8(e, 1, (uint8_t)i);                    /* local APIC id */
		w8(e, 2, 0x14);                          /* local APIC version */
		w8(e, 3, (uint8_t)(1 | (i == 0 ? 2 : 0)));   /* enabled, bootstrap processor */
		w32(e, 4, c->cpu_signature);
		w32(e, 8, c->cpu_features);
		off += 20;
	}
	w8(t + off, 0, MP_BUS);
	w8(t + off, 1, 0);
	wstr(t + off, 2, "ISA   ", 6);
	off += 8, n++;
	w8(t + off, 0, MP_IOAPIC);
	w8(t + off, 1, VIOAPIC_ID);
	w8(t + off, 2, 0x11);                        /* version */
	w8(t + off, 3, 1);                           /* usable */
	w32(t + off, 4, VIOAPIC_BASE);
	off += 8, n++;
	/* The 8259's output on pin 0 (virtual wire through the IO APIC), then ISA IRQs 0-15 except the
	 * cascade: IRQ0 on pin 2, the others on their own pin; the SCI level triggered, active high. */
	off += mp_int(t + off, MP_IOINT, MP_EXTINT, 0, 0, VIOAPIC_ID, 0), n++;
	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		off += mp_int(t + off, MP_IOINT, MP_INT, irq == VPM_SCI_IRQ ? MP_LEVEL_HIGH : 0, (uint8_t)irq,
			      VIOAPIC_ID, (uint8_t)(irq == 0 ? 2 : irq));
		n++;
	}
	/* Local interrupts of every local APIC: the 8259 on LINT0, NMI on LINT1. */
	off += mp_int(t + off, MP_LINT, MP_EXTINT, 0, 0, 0xFF, 0), n++;
	off += mp_int(t + off, MP_LINT, MP_NMI, 0, 0, 0xFF, 1), n++;

	wstr(t, 0, "PCMP", 4);
	w16(t, 4, (uint16_t)off);                    /* base table length */
	w8(t, 6, 4);                                 /* spec revision 1.4 */
	wstr(t, 8, "VMMPC   ", 8);                   /* OEM ID */
	wstr(t, 16, "VIRTUAL PC  ", 12);             /* product ID */
	w16(t, 34, (uint16_t)n);                     /* entry count */
	w32(t, 36, VLAPIC_BASE);
	w8(t, 7, fix(t, off));

	uint8_t *f = tab + (FW_MP_FLOAT - FW_TABLES);
	wstr(f, 0, "_MP_", 4);
	w32(f, 4, FW_MP_CONFIG);
	w8(f, 8, 1);                                 /* length in 16-byte units */
	w8(f, 9, 4);                                 /* spec revision 1.4 */
	/* Feature bytes 0: the configuration table is present, no default configuration; IMCRP clear:
	 * virtual wire mode (the VM has no IMCR). */
	w8(f, 10, fix(f, 16));
}

/* ---- ACPI ---- */

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev, const char *table_id)
{
	wstr(t, 0, sig, 4);
	w32(t, 4, len);
	w8(t, 8, rev);
	wstr(t, 10, FW_OEM_ID, 6);
	wstr(t, 16, table_id, 8);
	w32(t, 24, 1);                               /* OEM revision */
	wstr(t, 28, "VMMF", 4);                      /* creator */
	w32(t, 32, 1);
}

static void acpi_done(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	w8(t, 9, fix(t, len));
}

/* A Generic Address Structure in system I/O space. */
static void gas_io(uint8_t *p, unsigned off, uint8_t bits, uint8_t access, uint64_t port)
{
	w8(p, off, 1);                               /* system I/O */
	w8(p, off + 1, bits);
	w8(p, off + 2, 0);
	w8(p, off + 3, access);                      /* 0 undefined, 1 byte, 2 word, 3 dword */
	w64(p, off + 4, port);
}

/* DSDT body: Name (_S5, Package () { VPM_S5_TYP, VPM_S5_TYP, 0, 0 }) */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',                    /* NameOp, NameSeg */
	0x12, 0x08, 0x04,                            /* PackageOp, PkgLength 8, NumElements 4 */
	0x0A, VPM_S5_TYP,                            /* BytePrefix SLP_TYPa */
	0x0A, VPM_S5_TYP,                            /* BytePrefix SLP_TYPb */
	0x00, 0x00,                                  /* Zero, Zero */
};

static void build_acpi(uint8_t *tab, const struct fw_config *c)
{
#define AT(a) (tab + ((a) - FW_TABLES))
	/* DSDT */
	uint8_t *d = AT(FW_DSDT);
	acpi_header(d, "DSDT", 36 + sizeof dsdt_aml, 2, "VMMDSDT ");
	memcpy(d + 36, dsdt_aml, sizeof dsdt_aml);
	acpi_done(d);

	/* FACS: no checksum; the OS may not write it here (the BIOS area is read-only): no S3, and a
	 * write to the global lock is dropped, which reads back as "acquired, no one waiting". */
	uint8_t *fc = AT(FW_FACS);
	wstr(fc, 0, "FACS", 4);
	w32(fc, 4, 64);
	w8(fc, 32, 1);                               /* version */

	/* FADT, revision 4 (ACPI 3.0), 244 bytes */
	uint8_t *f = AT(FW_FADT);
	acpi_header(f, "FACP", 244, 4, "VMMFACP ");
	w32(f, 36, FW_FACS);                         /* FIRMWARE_CTRL */
	w32(f, 40, FW_DSDT);
	w8(f, 45, 0);                                /* preferred PM profile: unspecified */
	w16(f, 46, VPM_SCI_IRQ);                     /* SCI_INT */
	w32(f, 48, 0);                               /* SMI_CMD 0: always in ACPI mode */
	w32(f, 56, VPM_BASE);                        /* PM1a_EVT_BLK */
	w32(f, 64, VPM_BASE + 4);                    /* PM1a_CNT_BLK */
	w32(f, 76, VPM_BASE + 8);                    /* PM_TMR_BLK */
	w8(f, 88, 4);                                /* PM1_EVT_LEN */
	w8(f, 89, 2);                                /* PM1_CNT_LEN */
	w8(f, 91, 4);                                /* PM_TMR_LEN */
	w16(f, 96, 101);                             /* P_LVL2_LAT > 100: no C2 */
	w16(f, 98, 1001);                            /* P_LVL3_LAT > 1000: no C3 */
	w16(f, 109, 0x0003);                         /* IAPC_BOOT_ARCH: legacy devices, 8042 */
	/* Flags: WBINVD (bit 0), PROC_C1 (2), SLP_BUTTON (5: no fixed sleep button), RESET_REG_SUP (10);
	 * TMR_VAL_EXT (8) clear: the PM timer is 24 bits. */
	w32(f, 112, 1u << 0 | 1u << 2 | 1u << 5 | 1u << 10);
	gas_io(f, 116, 8, 1, VPM_RESET);             /* RESET_REG */
	w8(f, 128, VPM_RESET_VAL);                   /* RESET_VALUE */
	w64(f, 132, FW_FACS);                        /* X_FIRMWARE_CTRL */
	w64(f, 140, FW_DSDT);                        /* X_DSDT */
	gas_io(f, 148, 32, 0, VPM_BASE);             /* X_PM1a_EVT_BLK */
	gas_io(f, 172, 16, 0, VPM_BASE + 4);         /* X_PM1a_CNT_BLK */
	gas_io(f, 208, 32, 0, VPM_BASE + 8);         /* X_PM_TMR_BLK */
	acpi_done(f);

	/* MADT */
	uint8_t *m = AT(FW_MADT);
	unsigned off = 44;
	w32(m, 36, VLAPIC_BASE);
	w32(m, 40, 1);                               /* PCAT_COMPAT: there are 8259s too */
	for (unsigned i = 0; i < c->ncpus; i++, off += 8) {
		w8(m + off, 0, 0);                       /* processor local APIC */
		w8(m + off, 1, 8);
		w8(m + off, 2, (uint8_t)i);              /* ACPI processor id */
		w8(m + off, 3, (uint8_t)i);              /* APIC id */
		w32(m + off, 4, 1);                      /* enabled */
	}
	w8(m + off, 0, 1);                           /* IO APIC */
	w8(m + off, 1, 12);
	w8(m + off, 2, VIOAPIC_ID);
	w32(m + off, 4, VIOAPIC_BASE);
	w32(m + off, 8, 0);                          /* GSI base */
	off += 12;
	static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[] = {
		{ 0, 2, 0 },                             /* the PIT on pin 2, conforming to ISA (edge, high) */
		{ VPM_SCI_IRQ, VPM_SCI_IRQ, 0x000D },    /* the SCI: level, active high */
	};
	for (unsigned i = 0; i < 2; i++, off += 10) {
		w8(m + off, 0, 2);                       /* interrupt source override */
		w8(m + off, 1, 10);
		w8(m + off, 2, 0);                       /* bus: ISA */
		w8(m + off, 3, iso[i].irq);
		w32(m + off, 4, iso[i].gsi);
		w16(m + off, 8, iso[i].flags);
	}
	w8(m + off, 0, 4);                           /* local APIC NMI */
	w8(m + off, 1, 6);
	w8(m + off, 2, 0xFF);                        /* every processor */
	w16(m + off, 3, 0x0005);                     /* edge, active high */
	w8(m + off, 5, 1);                           /* LINT1 */
	off += 6;
	acpi_header(m, "APIC", off, 1, "VMMAPIC ");
	acpi_done(m);

	/* RSDT and XSDT: the FADT and the MADT */
	const uint32_t tables[] = { FW_FADT, FW_MADT };
	uint8_t *r = AT(FW_RSDT), *x = AT(FW_XSDT);
	acpi_header(r, "RSDT", 36 + 4 * 2, 1, "VMMRSDT ");
	acpi_header(x, "XSDT", 36 + 8 * 2, 1, "VMMXSDT ");
	for (unsigned i = 0; i < 2; i++) {
		w32(r, 36 + 4 * i, tables[i]);
		w64(x, 36 + 8 * i, tables[i]);
	}
	acpi_done(r);
	acpi_done(x);

	/* RSDP, revision 2 (ACPI 2.0+) */
	uint8_t *p = AT(FW_RSDP);
	wstr(p, 0, "RSD PTR ", 8);
	wstr(p, 9, FW_OEM_ID, 6);
	w8(p, 15, 2);
	w32(p, 16, FW_RSDT);
	w32(p, 20, 36);
	w64(p, 24, FW_XSDT);
	w8(p, 8, fix(p, 20));
	w8(p, 32, fix(p, 36));
#undef AT
}

int fw_build(const struct fw_config *c, void *(*mem)(void *ctx, uint32_t gpa, uint32_t len), void *ctx,
	     const char **why)
{
	if (c->ncpus < 1 || c->ncpus > FW_MAX_CPUS)
		return *why = "the firmware tables describe 1 to 8 vCPUs", -1;
	uint8_t *low = mem(ctx, FW_IVT, 0x500), *ebda = mem(ctx, FW_EBDA, FW_EBDA_KIB * 1024);
	uint8_t *screen = mem(ctx, FW_VGA_TEXT, 80 * 25 * 2), *tab = mem(ctx, FW_TABLES, 0x1000);
	uint8_t *top = mem(ctx, FW_BIOS_END - 0x1000, 0x1000);
	if (!low || !ebda || !screen || !tab || !top)
		return *why = "out of machine memory while building the BIOS tables", -1;
	build_low(low, c);
	build_ebda(ebda);
	build_screen(screen);
	build_top(top);
	memset(tab, 0, 0x1000);
	build_mp(tab, c);
	build_acpi(tab, c);
	return 0;
}
