/* mptable.c - the Intel MultiProcessor Specification 1.4 tables: find the "_MP_" floating
 * pointer where the spec says (first KiB of the EBDA, last KiB of base memory, BIOS ROM
 * 0xF0000-0xFFFFF, on 16-byte boundaries), check it and the "PCMP" configuration table, and
 * collect what an OS of the era took from them: processors, buses, the IO APIC, and which IO APIC
 * pin each ISA IRQ is wired to. Only parsing here; the checks are in devtest.c. */
#include "kernel.h"
#include "drivers.h"

struct mp_info mp;

/* A floating pointer with a valid checksum in [pa, pa + len), or 0. */
static const uint8_t *find_fp(uint32_t pa, uint32_t len)
{
	const uint8_t *p = phys_map(pa, len, 0), *q;

	if (!p)
		return 0;
	for (q = p; q + 16 <= p + len; q += 16)
		if (q[0] == '_' && q[1] == 'M' && q[2] == 'P' && q[3] == '_' && sum8(q, 16) == 0) {
			mp.fp_pa = pa + (uint32_t)(q - p);
			return q;
		}
	return 0;
}

static void parse_entries(const uint8_t *cfg, uint16_t base_len, uint16_t count)
{
	const uint8_t *e = cfg + 44, *end = cfg + base_len;
	int i, sizes_ok = 1;

	for (i = 0; i < count; i++) {
		int size = e[0] == 0 ? 20 : 8;	/* processor entries are 20 bytes, the others 8 */
		if (e[0] > 4 || e + size > end) {
			sizes_ok = 0;
			break;
		}
		switch (e[0]) {
		case 0:	/* processor: lapic id, version, flags (EN, BP) */
			mp.n_cpu++;
			if (e[3] & 1)
				mp.n_cpu_enabled++;
			if ((e[3] & 3) == 3) {
				mp.n_bsp++;
				mp.bsp_apic_id = e[1];
			}
			break;
		case 1:	/* bus: id, type string */
			mp.n_bus++;
			if (!memcmp(e + 2, "ISA   ", 6))
				mp.isa_bus = e[1];
			break;
		case 2:	/* IO APIC: id, version, flags, address */
			if (e[3] & 1) {
				mp.n_ioapic++;
				mp.ioapic_id = e[1];
				mp.ioapic_pa = le32(e + 4);
			}
			break;
		case 3:	/* I/O interrupt: type, flags, source bus, source irq, dest id, dest pin */
			mp.n_intsrc++;
			break;
		case 4:
			mp.n_lintsrc++;
			break;
		}
		e += size;
	}
	mp.cfg_entries_ok = sizes_ok && e == end;

	/* The ISA IRQ entries, now that the ISA bus id is known (buses come first, but need not). */
	for (e = cfg + 44, i = 0; sizes_ok && i < count; i++) {
		if (e[0] == 3 && e[1] == 0 && mp.isa_bus >= 0 && e[4] == mp.isa_bus && e[5] < 16) {
			mp.isa_pin[e[5]] = e[7];
			mp.isa_flags[e[5]] = le16(e + 2);
			if (e[5] == 0)
				mp.irq0_dest = e[6];
		}
		e += e[0] == 0 ? 20 : 8;
	}
	mp.irq0_pin = mp.isa_pin[0];
}

void mp_scan(void)
{
	uint32_t ebda = (uint32_t)bda_ebda_seg() << 4, base = (uint32_t)bda_base_kib() << 10;
	const uint8_t *fp = 0, *hdr, *cfg;
	uint16_t base_len, ext_len;
	int i;

	memset(&mp, 0, sizeof(mp));
	mp.isa_bus = mp.irq0_pin = mp.irq0_dest = mp.bsp_apic_id = mp.ioapic_id = -1;
	for (i = 0; i < 16; i++)
		mp.isa_pin[i] = -1;
	if (ebda >= 0x400 && ebda < 0xA0000)
		fp = find_fp(ebda, 1024);
	if (!fp && base >= 1024 && base <= 0xA0000)
		fp = find_fp(base - 1024, 1024);
	if (!fp)
		fp = find_fp(0xF0000, 0x10000);
	if (!fp)
		return;
	mp.found = 1;
	mp.fp_checksum_ok = sum8(fp, 16 * (fp[8] ? fp[8] : 1)) == 0;
	mp.fp_length_ok = fp[8] == 1;
	mp.spec_rev = fp[9];
	mp.default_config = fp[11];
	mp.cfg_pa = le32(fp + 4);
	if (!mp.cfg_pa || mp.default_config)	/* a default configuration has no table */
		return;
	hdr = phys_map(mp.cfg_pa, 44, 0);
	if (!hdr || memcmp(hdr, "PCMP", 4))
		return;
	base_len = le16(hdr + 4);
	ext_len = le16(hdr + 40);
	if (base_len < 44 || !(cfg = phys_map(mp.cfg_pa, (uint32_t)base_len + ext_len, 0)))
		return;
	mp.cfg_found = 1;
	mp.cfg_checksum_ok = sum8(cfg, base_len) == 0;
	/* the extended entries' checksum byte makes their sum, plus itself, zero */
	mp.cfg_ext_ok = (uint8_t)(sum8(cfg + base_len, ext_len) + cfg[42]) == 0;
	mp.lapic_pa = le32(cfg + 36);
	parse_entries(cfg, base_len, le16(cfg + 34));
}
