/* vlapic.c - the virtual local APIC (xAPIC, one per VM: the VM has one vCPU). Facts from the
 * Intel SDM vol. 3A ch. 10 (11 in newer editions); where it leaves room, QEMU's hw/intc/apic.c
 * (the oracle the guest suites are compared with) decided, except where noted.
 *
 * State after "firmware": what SeaBIOS leaves on the BSP (virtual-wire mode A of the MP spec):
 * IA32_APIC_BASE = 0xFEE00000 | enable | BSP, SVR = 0x1FF (software-enabled: while software-
 * disabled every LVT is forced masked, so LINT0 could not pass the 8259 through), LINT0 =
 * 0x8700 (ExtINT), LINT1 = 0x8400 (NMI), the other LVTs masked, ID 0, DFR all ones.
 *
 * Registers (offset: behaviour):
 *   0x20 ID (bits 24-31 writable, as QEMU)   0x30 version 0x00050014 (version 0x14, 6 LVTs: no CMCI)
 *   0x80 TPR (bits 0-7)   0x90 APR (read-only, computed as the SDM says)   0xA0 PPR (computed)
 *   0xB0 EOI (write: ends the highest ISR vector; level (TMR) vectors are passed to the IO APIC
 *        through vlapic_take_level_eoi; reads 0)   0xC0 RRD (reads 0)   0xD0 LDR (bits 24-31)
 *   0xE0 DFR (bits 28-31; reset all ones)   0xF0 SVR (bits 0-9: vector, software enable (8),
 *        focus checking (9); bit 12, EOI-broadcast suppression, is not offered)
 *   0x100-0x170 ISR, 0x180-0x1F0 TMR, 0x200-0x270 IRR (read-only)
 *   0x280 ESR (a write latches the errors since the last write; reads the latch). Errors: send
 *        illegal vector (bit 5), receive illegal vector (bit 6), illegal register address (bit 7,
 *        as the Pentium 4 and QEMU); each error raises the LVT error interrupt.
 *   0x300/0x310 ICR: fixed and lowest-priority IPIs reach this APIC when the shorthand is self or
 *        all-including-self, or the destination matches (physical ID or 0xFF, logical LDR/DFR);
 *        there is no other CPU, so everything else reaches nobody. INIT level de-assert does
 *        nothing (as on hardware); NMI/SMI/INIT/SIPI/ExtINT (and the reserved mode) to itself are ignored and reported.
 *        Delivery status (bit 12) always reads 0: a send completes at once.
 *   0x320 LVT timer (one-shot, periodic; bit 18 TSC-deadline is reserved: not offered)
 *   0x330 thermal, 0x340 perf (stored; never fire)   0x350 LINT0, 0x360 LINT1, 0x370 error
 *   0x380 initial count (a write starts the timer; 0 stops it)   0x390 current count (read-only,
 *        computed from the caller's virtual time)   0x3E0 divide configuration (bits 0,1,3)
 *   Everything else (0x00, 0x10, 0x40-0x70, 0x290-0x2F0 (no CMCI), 0x3A0-0x3D0, 0x3F0-0xFF0):
 *        reads 0, writes ignored, ESR bit 7, and reported once per VM at its exit.
 * Reserved bits of writable registers read as 0; read-only registers ignore writes.
 *
 * Accesses: a 4-byte access acts on the register that holds its offset (offset >> 4, as QEMU:
 * 0x84 is TPR). A 1- or 2-byte access reads 0 and writes nothing: QEMU 7.2's apic_mem_read and
 * apic_mem_write return early for size < 4 (KVM instead reads the dword and shifts; the SDM
 * calls any such access undefined); it is reported once.
 *
 * Timer: the bus clock is VLAPIC_BUS_HZ = 1 GHz, QEMU's, so one tick is 1 ns at divide 1; a guest
 * calibrates it (xv6's 10,000,000 at divide 1 is then 100 Hz, as under QEMU). Divide encodings
 * (bits 3,1,0): 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64, 110 /128, 111 /1. A count
 * of N at divide D expires N*D ticks after it was written; periodic mode then reloads, so
 * periods are N*D ticks; several expiries between two syncs are one interrupt (IRR holds one).
 * The counter runs whether the LVT is masked or not; masked, it only puts nothing in IRR.
 *
 * IA32_APIC_BASE: bits 0-7, 9, 10 (x2APIC: not offered) and 32-63 (guest-physical space is 32
 * bits) are reserved: #GP. BSP (bit 8) is read-only. The base may move (vlapic_claims follows;
 * it takes effect where the VM has no RAM, as only those accesses reach vio_mmio). Clearing the
 * global enable turns the APIC off (page unclaimed, nothing delivered, the 8259 passes straight
 * to the CPU) and puts it in its power-up state (SVR 0xFF, LVTs masked, IRR/ISR/TMR clear, timer
 * stopped), which the SDM allows ("prior initialization may be lost"). Unlike P6 parts, setting
 * it again is allowed (as on later CPUs and in QEMU): the APIC comes back in that state. */
#include "vlapic.h"
#include "../../../lib/kstring.h"
#include "../../../lib/format.h"

#define MSR_BSP        (1ull << 8)
#define MSR_ENABLE     (1ull << 11)
#define MSR_BASE       0xFFFFF000ull
#define MSR_RESERVED   (~(MSR_BASE | MSR_ENABLE | MSR_BSP))

#define VERSION        0x00050014u      /* version 0x14, max LVT entry 5 */
#define SVR_ENABLE     0x100u
#define SVR_WRITABLE   0x3FFu
#define LVT_MASKED     0x10000u
#define LVT_PERIODIC   0x20000u
#define LVT_LEVEL      0x8000u
#define DM_FIXED       0
#define DM_LOWEST      1
#define DM_INIT        5
#define DM_EXTINT      7
#define ICR_WRITABLE   0x000CCFFFu      /* vector, mode, dest mode, level, trigger, shorthand */
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECV_ILLEGAL 0x40u
#define ESR_ILLEGAL_REG  0x80u

#define NS_PER_TICK (1000000000ull / VLAPIC_BUS_HZ)
_Static_assert(1000000000ull % VLAPIC_BUS_HZ == 0, "the bus clock must divide 1 GHz");

/* Writable bits of each LVT: delivery status (12) and remote IRR (14) are read-only (0 here). */
static const uint32_t lvt_writable[VLAPIC_NLVT] = {
	[VLAPIC_LVT_TIMER] = 0x300FF,    /* vector, mask, periodic (bit 18 TSC-deadline reserved) */
	[VLAPIC_LVT_THERMAL] = 0x107FF,  /* vector, delivery mode, mask */
	[VLAPIC_LVT_PERF] = 0x107FF,
	[VLAPIC_LVT_LINT0] = 0x1A7FF,    /* + polarity (13), trigger mode (15) */
	[VLAPIC_LVT_LINT1] = 0x1A7FF,
	[VLAPIC_LVT_ERROR] = 0x100FF,    /* vector, mask */
};

static bool bit_get(const uint32_t *r, unsigned v) { return (r[v >> 5] >> (v & 31)) & 1; }
static void bit_set(uint32_t *r, unsigned v) { r[v >> 5] |= 1u << (v & 31); }
static void bit_clear(uint32_t *r, unsigned v) { r[v >> 5] &= ~(1u << (v & 31)); }

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static bool hw_enabled(const struct vlapic *l) { return (l->apic_base_msr & MSR_ENABLE) != 0; }
static bool sw_enabled(const struct vlapic *l) { return (l->svr & SVR_ENABLE) != 0; }

/* The state at power-up or after a global disable (SDM "Local APIC State After Power-Up"). */
static void power_up_state(struct vlapic *l)
{
	l->tpr = l->ldr = l->icr_lo = l->icr_hi = l->esr = l->esr_pending = 0;
	l->dfr = 0xFFFFFFFFu;
	l->svr = 0xFF;
	memset(l->irr, 0, sizeof l->irr);
	memset(l->isr, 0, sizeof l->isr);
	memset(l->tmr, 0, sizeof l->tmr);
	memset(l->level_eoi, 0, sizeof l->level_eoi);
	for (int i = 0; i < VLAPIC_NLVT; i++)
		l->lvt[i] = LVT_MASKED;
	l->timer_init = l->timer_dcr = 0;
	l->timer_start_ns = 0;
	l->timer_next_ns = UINT64_MAX;
}

void vlapic_init(struct vlapic *l, uint64_t now_ns)
{
	memset(l, 0, sizeof *l);
	l->apic_base_msr = VLAPIC_BASE | MSR_ENABLE | MSR_BSP;
	power_up_state(l);
	l->timer_start_ns = now_ns;
	/* what the BIOS did: software enable, virtual wire */
	l->svr = 0x1FF;
	l->lvt[VLAPIC_LVT_LINT0] = 0x8700;
	l->lvt[VLAPIC_LVT_LINT1] = 0x8400;
}

int vlapic_msr(struct vlapic *l, bool write, uint64_t *val)
{
	if (!write) {
		*val = l->apic_base_msr;
		return 0;
	}
	if (*val & MSR_RESERVED)
		return -1;
	bool was = hw_enabled(l);
	l->apic_base_msr = (*val & (MSR_BASE | MSR_ENABLE)) | MSR_BSP;
	if (was && !hw_enabled(l))
		power_up_state(l);
	return 0;
}

bool vlapic_claims(const struct vlapic *l, uint32_t gpa)
{
	return hw_enabled(l) && (gpa & MSR_BASE) == (l->apic_base_msr & MSR_BASE);
}

/* ---- interrupt acceptance, priorities ---- */

static void local_deliver(struct vlapic *l, unsigned n);

static void set_error(struct vlapic *l, uint32_t bits, bool from_error_lvt)
{
	l->esr_pending |= bits;
	if (!from_error_lvt)         /* an illegal error vector must not raise itself again */
		local_deliver(l, VLAPIC_LVT_ERROR);
}

static bool accept(struct vlapic *l, uint8_t vector, bool level, bool from_error_lvt)
{
	if (!hw_enabled(l))
		return false;
	if (vector < 16) {           /* the APIC never sets IRR bits 0-15 */
		set_error(l, ESR_RECV_ILLEGAL, from_error_lvt);
		return false;
	}
	bit_set(l->irr, vector);
	if (level)
		bit_set(l->tmr, vector);
	else
		bit_clear(l->tmr, vector);
	return true;
}

bool vlapic_deliver(struct vlapic *l, uint8_t vector, bool level)
{
	return accept(l, vector, level, false);
}

/* An LVT entry fires (the timer, an error). Thermal and perf never do here; LINT0 in ExtINT
 * mode is the 8259's path (vlapic_accepts_pic), not this one. */
static void local_deliver(struct vlapic *l, unsigned n)
{
	uint32_t e = l->lvt[n];
	if (e & LVT_MASKED)
		return;
	unsigned mode = (n == VLAPIC_LVT_TIMER || n == VLAPIC_LVT_ERROR) ? DM_FIXED : (e >> 8) & 7;
	if (mode != DM_FIXED) {
		l->refused |= VLAPIC_REFUSED_LVT_MODE;
		return;
	}
	bool level = (n == VLAPIC_LVT_LINT0 || n == VLAPIC_LVT_LINT1) && (e & LVT_LEVEL);
	accept(l, (uint8_t)e, level, n == VLAPIC_LVT_ERROR);
}

static uint32_t ppr(const struct vlapic *l)
{
	int isrv = highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	return (l->tpr & 0xF0) >= isr_class ? l->tpr : isr_class;
}

static uint32_t apr(const struct vlapic *l)
{
	int isrv = highest(l->isr), irrv = highest(l->irr);
	uint32_t t = l->tpr & 0xF0, s = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0, r = irrv < 0 ? 0 : (uint32_t)irrv & 0xF0;
	if (t >= r && t > s)
		return l->tpr;
	uint32_t m = t > s ? t : s;
	return m > r ? m : r;
}

int vlapic_pending(const struct vlapic *l)
{
	if (!hw_enabled(l) || !sw_enabled(l))    /* software-disabled: IRR is held (as QEMU) */
		return -1;
	int v = highest(l->irr);
	if (v < 0 || ((uint32_t)v & 0xF0) <= (ppr(l) & 0xF0))
		return -1;
	return v;
}

int vlapic_ack(struct vlapic *l)
{
	int v = vlapic_pending(l);
	if (v < 0)
		return -1;
	bit_clear(l->irr, (unsigned)v);
	bit_set(l->isr, (unsigned)v);
	return v;
}

static void eoi(struct vlapic *l)
{
	int v = highest(l->isr);
	if (v < 0)
		return;
	bit_clear(l->isr, (unsigned)v);
	if (bit_get(l->tmr, (unsigned)v))
		bit_set(l->level_eoi, (unsigned)v);
}

int vlapic_take_level_eoi(struct vlapic *l)
{
	int v = highest(l->level_eoi);
	if (v >= 0)
		bit_clear(l->level_eoi, (unsigned)v);
	return v;
}

bool vlapic_accepts_pic(const struct vlapic *l)
{
	uint32_t e = l->lvt[VLAPIC_LVT_LINT0];
	return !hw_enabled(l) || (!(e & LVT_MASKED) && ((e >> 8) & 7) == DM_EXTINT);
}

bool vlapic_match_dest(const struct vlapic *l, uint8_t dest, bool logical)
{
	if (!logical)
		return dest == 0xFF || dest == (uint8_t)l->id;
	uint8_t ldr = (uint8_t)(l->ldr >> 24);
	switch (l->dfr >> 28) {
	case 0xF:                                /* flat: one bit per APIC */
		return (dest & ldr) != 0;
	case 0x0:                                /* cluster: 4-bit cluster, 4-bit member mask */
		return ((dest >> 4) == 0xF || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xF);
	default:
		return false;
	}
}

static void send_ipi(struct vlapic *l)
{
	uint32_t lo = l->icr_lo;
	uint8_t vec = (uint8_t)lo;
	unsigned mode = (lo >> 8) & 7;
	bool self;
	switch ((lo >> 18) & 3) {
	case 0: self = vlapic_match_dest(l, (uint8_t)(l->icr_hi >> 24), (lo >> 11) & 1); break;
	case 1: case 2: self = true; break;      /* self; all including self */
	default: self = false; break;            /* all excluding self: there is nobody else */
	}
	if (mode == DM_FIXED || mode == DM_LOWEST) {
		if (vec < 16) {
			set_error(l, ESR_SEND_ILLEGAL | (self ? ESR_RECV_ILLEGAL : 0), false);
			return;
		}
		if (self)
			accept(l, vec, false, false);
		return;
	}
	if (mode == DM_INIT && !(lo & (1u << 14)) && (lo & LVT_LEVEL))
		return;                              /* INIT level de-assert: arbitration IDs only */
	if (self)
		l->refused |= VLAPIC_REFUSED_IPI_SELF;
}

/* ---- the timer ---- */

static uint64_t timer_divide(const struct vlapic *l)
{
	unsigned v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);
	return 1ull << ((v + 1) & 7);
}

static uint64_t timer_period_ns(const struct vlapic *l)
{
	return (uint64_t)l->timer_init * timer_divide(l) * NS_PER_TICK;
}

static bool timer_periodic(const struct vlapic *l) { return (l->lvt[VLAPIC_LVT_TIMER] & LVT_PERIODIC) != 0; }

void vlapic_sync(struct vlapic *l, uint64_t now_ns)
{
	if (now_ns < l->timer_next_ns)
		return;
	local_deliver(l, VLAPIC_LVT_TIMER);
	if (timer_periodic(l)) {
		uint64_t p = timer_period_ns(l);
		l->timer_start_ns += (now_ns - l->timer_start_ns) / p * p;
		l->timer_next_ns = l->timer_start_ns + p;
	} else {
		l->timer_next_ns = UINT64_MAX;       /* one-shot: expired, the count reads 0 */
	}
}

/* The mode or the divider changed (state synced to now_ns): recompute the next expiry from the
 * last load, keeping the phase. An expired one-shot stays expired. */
static void timer_rearm(struct vlapic *l, uint64_t now_ns)
{
	if (!l->timer_init) {
		l->timer_next_ns = UINT64_MAX;
		return;
	}
	uint64_t p = timer_period_ns(l);
	if (timer_periodic(l)) {
		if (now_ns > l->timer_start_ns)
			l->timer_start_ns += (now_ns - l->timer_start_ns) / p * p;
		l->timer_next_ns = l->timer_start_ns + p;
	} else if (l->timer_next_ns != UINT64_MAX) {
		l->timer_next_ns = l->timer_start_ns + p;
		if (l->timer_next_ns < now_ns)
			l->timer_next_ns = now_ns;       /* a shorter divider made it due: at the next sync */
	}
}

static uint32_t timer_current(const struct vlapic *l, uint64_t now_ns)
{
	if (!l->timer_init || (!timer_periodic(l) && l->timer_next_ns == UINT64_MAX))
		return 0;
	uint64_t ticks = now_ns > l->timer_start_ns ? (now_ns - l->timer_start_ns) / NS_PER_TICK / timer_divide(l) : 0;
	if (timer_periodic(l))
		ticks %= l->timer_init;
	else if (ticks >= l->timer_init)
		return 0;
	return l->timer_init - (uint32_t)ticks;
}

uint64_t vlapic_next_event_ns(const struct vlapic *l)
{
	if (!hw_enabled(l) || (l->lvt[VLAPIC_LVT_TIMER] & LVT_MASKED))
		return UINT64_MAX;
	return l->timer_next_ns;
}

/* ---- registers ---- */

static void lvt_write(struct vlapic *l, unsigned n, uint32_t v, uint64_t now_ns)
{
	uint32_t old = l->lvt[n];
	l->lvt[n] = v & lvt_writable[n];
	if (!sw_enabled(l))
		l->lvt[n] |= LVT_MASKED;             /* cannot be unmasked while software-disabled */
	if (n == VLAPIC_LVT_TIMER && ((old ^ l->lvt[n]) & LVT_PERIODIC))
		timer_rearm(l, now_ns);
	if (n == VLAPIC_LVT_LINT0 && !(l->lvt[n] & LVT_MASKED) && ((l->lvt[n] >> 8) & 7) != DM_EXTINT)
		l->refused |= VLAPIC_REFUSED_LINT0_MODE;
}

static uint32_t reg_read(struct vlapic *l, unsigned r, uint64_t now_ns)
{
	switch (r) {
	case 0x02: return l->id << 24;
	case 0x03: return VERSION;
	case 0x08: return l->tpr;
	case 0x09: return apr(l);
	case 0x0A: return ppr(l);
	case 0x0B: return 0;                     /* EOI: write-only */
	case 0x0C: return 0;                     /* RRD: no remote read */
	case 0x0D: return l->ldr;
	case 0x0E: return l->dfr | 0x0FFFFFFFu;
	case 0x0F: return l->svr;
	case 0x10 ... 0x17: return l->isr[r & 7];
	case 0x18 ... 0x1F: return l->tmr[r & 7];
	case 0x20 ... 0x27: return l->irr[r & 7];
	case 0x28: return l->esr;
	case 0x30: return l->icr_lo;             /* delivery status (bit 12) is never set */
	case 0x31: return l->icr_hi;
	case 0x32 ... 0x37: return l->lvt[r - 0x32];
	case 0x38: return l->timer_init;
	case 0x39: return timer_current(l, now_ns);
	case 0x3E: return l->timer_dcr;
	default:
		bit_set(l->bad_read, r);
		set_error(l, ESR_ILLEGAL_REG, false);
		return 0;
	}
}

static void reg_write(struct vlapic *l, unsigned r, uint32_t v, uint64_t now_ns)
{
	switch (r) {
	case 0x02: l->id = v >> 24; break;
	case 0x08: l->tpr = v & 0xFF; break;
	case 0x0B: eoi(l); break;
	case 0x0D: l->ldr = v & 0xFF000000u; break;
	case 0x0E: l->dfr = v | 0x0FFFFFFFu; break;
	case 0x0F:
		l->svr = v & SVR_WRITABLE;
		if (!sw_enabled(l))
			for (int i = 0; i < VLAPIC_NLVT; i++)
				l->lvt[i] |= LVT_MASKED;
		break;
	case 0x28:                               /* latch the errors since the last write */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case 0x30:
		l->icr_lo = v & ICR_WRITABLE;
		send_ipi(l);
		break;
	case 0x31: l->icr_hi = v & 0xFF000000u; break;
	case 0x32 ... 0x37: lvt_write(l, r - 0x32, v, now_ns); break;
	case 0x38:
		l->timer_init = v;
		l->timer_start_ns = now_ns;
		l->timer_next_ns = v ? now_ns + timer_period_ns(l) : UINT64_MAX;
		break;
	case 0x3E:
		l->timer_dcr = v & 0xB;
		timer_rearm(l, now_ns);
		break;
	case 0x03: case 0x09: case 0x0A: case 0x0C:   /* read-only: version, APR, PPR, RRD */
	case 0x10 ... 0x27: case 0x39:               /* ISR, TMR, IRR, current count */
		break;
	default:
		bit_set(l->bad_write, r);
		set_error(l, ESR_ILLEGAL_REG, false);
		break;
	}
}

void vlapic_mmio(struct vlapic *l, uint32_t off, unsigned size, bool write, uint32_t *val, uint64_t now_ns)
{
	vlapic_sync(l, now_ns);
	if (size != 4) {
		l->refused |= VLAPIC_REFUSED_SUBDWORD;
		if (!write)
			*val = 0;
		return;
	}
	unsigned r = (off >> 4) & 0xFF;
	if (write)
		reg_write(l, r, *val, now_ns);
	else
		*val = reg_read(l, r, now_ns);
}

/* ---- the exit report ---- */

/* "what: 0x2f0 0x400 ..." for the set bits of a 256-bit register-index map, in lines. */
static void report_offsets(const uint32_t *map, const char *what, unsigned scale,
			   void (*line)(void *ctx, const char *s), void *ctx)
{
	char buf[160];
	int k = 0;
	for (unsigned r = 0; r < 256; r++) {
		if (!bit_get(map, r))
			continue;
		if (!k)
			k = snprintf_(buf, sizeof buf, "%s:", what);
		k += snprintf_(buf + k, sizeof buf - (size_t)k, " %#x", r * scale);
		if (k > 120) {
			line(ctx, buf);
			k = 0;
		}
	}
	if (k)
		line(ctx, buf);
}

void vlapic_report_unimplemented(const struct vlapic *l, void (*line)(void *ctx, const char *s), void *ctx)
{
	report_offsets(l->bad_read, "local APIC: reserved registers read (read 0)", 16, line, ctx);
	report_offsets(l->bad_write, "local APIC: reserved registers written (ignored)", 16, line, ctx);
	if (l->refused & VLAPIC_REFUSED_SUBDWORD)
		line(ctx, "local APIC: 1- or 2-byte register accesses (read 0, writes ignored)");
	if (l->refused & VLAPIC_REFUSED_IPI_SELF)
		line(ctx, "local APIC: NMI/SMI/INIT/SIPI/ExtINT IPI to itself (ignored)");
	if (l->refused & VLAPIC_REFUSED_LVT_MODE)
		line(ctx, "local APIC: an LVT fired in a non-fixed delivery mode (ignored)");
	if (l->refused & VLAPIC_REFUSED_LINT0_MODE)
		line(ctx, "local APIC: LINT0 unmasked in a mode other than ExtINT (the 8259 does not reach the CPU)");
}
