/* vpm.c - the ACPI PM block, laid out as PIIX4's (and QEMU's PIIX4 PM):
 *   VPM_BASE+0  PM1_STS (16 bits): TMR_STS 0 (set each time timer bit 23 changes), BM_STS 4,
 *               GBL_STS 5, PWRBTN_STS 8, SLPBTN_STS 9, RTC_STS 10, WAK_STS 15; write 1 to clear.
 *               Only TMR_STS is ever set here: no power button, no firmware (GBL), the RTC alarm
 *               is not routed to the SCI, and the machine never sleeps, so WAK_STS stays 0.
 *   VPM_BASE+2  PM1_EN (16 bits): TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN; read/write.
 *   VPM_BASE+4  PM1_CNT (16 bits): SCI_EN bit 0 reads 1 always: the machine starts in ACPI mode
 *               and the FADT has no SMI_CMD to leave it; BM_RLD bit 1 read/write; GBL_RLS bit 2
 *               and SLP_EN bit 13 write-only (read 0); SLP_TYP bits 10-12 read/write. Writing
 *               SLP_EN with SLP_TYP = VPM_S5_TYP (soft off) requests power-off; the other sleep
 *               types (S1-S4) are not offered by the DSDT and a write of them is ignored: the
 *               guest carries on as if it had woken at once.
 *   VPM_BASE+6  reserved: reads 0.
 *   VPM_BASE+8  PM_TMR: a 24-bit counter at 3.579545 MHz from virtual time, read-only; byte 3
 *               reads 0. A dword read is split into bytes at one instant, so they agree.
 *   0xCF9       PIIX reset control: bit 2 (RST_CPU) set requests a reset (bit 1 SYS_RST says
 *               hard, else soft: either way the VM cannot continue); bits 1 and 3 read back.
 * The SCI (IRQ 9) is high while SCI_EN and PM1_STS & PM1_EN & (an event bit) are. */
#include "vpm.h"
#include "../../../lib/kstring.h"

#define NS_PER_S 1000000000ull
#define STS_BITS (VPM_TMR | VPM_BM | VPM_GBL | VPM_PWRBTN | VPM_SLPBTN | VPM_RTC | VPM_WAK)
#define EN_BITS  (VPM_TMR | VPM_GBL | VPM_PWRBTN | VPM_SLPBTN | VPM_RTC)
#define CNT_KEPT (VPM_BM_RLD | (7u << VPM_SLP_TYP_SHIFT))

/* Whole timer ticks in d ns, split at whole seconds so it never overflows. */
static uint64_t ticks(uint64_t d)
{
	return d / NS_PER_S * VPM_TMR_HZ + d % NS_PER_S * VPM_TMR_HZ / NS_PER_S;
}

static uint64_t ticks_now(const struct vpm *p, uint64_t now)
{
	return ticks(now > p->base_ns ? now - p->base_ns : 0);
}

static void update_sci(struct vpm *p)
{
	p->sci = (p->cnt & VPM_SCI_EN) && (p->sts & p->en & EN_BITS);
}

bool vpm_sync(struct vpm *p, uint64_t now_ns)
{
	uint64_t toggles = ticks_now(p, now_ns) >> 23;
	if (toggles > p->tmr_seen) {
		p->sts |= VPM_TMR;
		p->tmr_seen = toggles;
	}
	update_sci(p);
	return p->sci;
}

uint64_t vpm_next_event_ns(const struct vpm *p)
{
	if (!(p->en & VPM_TMR) || (p->sts & VPM_TMR) || !(p->cnt & VPM_SCI_EN))
		return UINT64_MAX;
	uint64_t k = (p->tmr_seen + 1) << 23;              /* the tick of the next toggle */
	uint64_t ns = k / VPM_TMR_HZ * NS_PER_S + (k % VPM_TMR_HZ * NS_PER_S + VPM_TMR_HZ - 1) / VPM_TMR_HZ;
	return p->base_ns + ns;
}

void vpm_init(struct vpm *p, uint64_t now_ns)
{
	memset(p, 0, sizeof *p);
	p->base_ns = now_ns;
	p->cnt = VPM_SCI_EN;
}

static void request_reset(struct vpm *p, const char *how)
{
	if (!p->reset_requested)
		p->reset_how = how;
	p->reset_requested = true;
}

/* A write of one byte (lane 0 or 1) of a 16-bit register. */
static uint16_t lane(uint16_t old, unsigned hi, uint8_t v)
{
	return hi ? (uint16_t)((old & 0x00FF) | v << 8) : (uint16_t)((old & 0xFF00) | v);
}

static void write_cnt(struct vpm *p, unsigned hi, uint8_t v)
{
	uint16_t w = lane(0, hi, v);                       /* the bits this byte carries */
	uint16_t keep = hi ? 0xFF00 : 0x00FF;
	p->cnt = (uint16_t)(((p->cnt & ~keep) | (w & keep & CNT_KEPT)) | VPM_SCI_EN);
	if ((w & VPM_SLP_EN) && ((w >> VPM_SLP_TYP_SHIFT) & 7) == VPM_S5_TYP)
		p->off_requested = true;
}

int vpm_io(struct vpm *p, uint16_t port, bool write, uint8_t *val, uint64_t now_ns)
{
	if (port == VPM_RESET) {
		if (write) {
			p->cf9 = *val & 0x0A;
			if (*val & 4)
				request_reset(p, (*val & 2) ? "hard reset through 0xCF9" : "soft reset through 0xCF9");
		} else {
			*val = p->cf9;
		}
		return 1;
	}
	if (port < VPM_BASE || port >= VPM_BASE + 12)
		return 0;
	unsigned off = port - VPM_BASE, hi = off & 1;
	vpm_sync(p, now_ns);
	if (!write) {
		uint32_t v;
		switch (off & ~1u) {
		case 0: v = p->sts; break;
		case 2: v = p->en; break;
		case 4: v = p->cnt; break;
		case 6: v = 0; break;
		default: /* 8-11: the timer */
			*val = (uint8_t)((ticks_now(p, now_ns) & 0xFFFFFF) >> (8 * (off - 8)));
			return 1;
		}
		*val = (uint8_t)(v >> (8 * hi));
		return 1;
	}
	switch (off & ~1u) {
	case 0:
		p->sts &= (uint16_t)~(lane(0, hi, *val) & STS_BITS);   /* write 1 to clear */
		break;
	case 2:
		p->en = (uint16_t)(lane(p->en, hi, *val) & EN_BITS);
		break;
	case 4:
		write_cnt(p, hi, *val);
		break;
	default:
		break;                  /* the timer is read-only; +6/+7 reserved */
	}
	update_sci(p);
	return 1;
}
