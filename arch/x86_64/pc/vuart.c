/* vuart.c - the virtual 16550A. Transmission is instantaneous: a THR write reaches the output
 * callback at once, so LSR always shows THRE|TEMT and a THR-empty interrupt (if enabled) is due
 * again right after every write. Received bytes wait in a 16-byte FIFO. Loopback (MCR bit 4)
 * feeds THR back into the FIFO and the MCR outputs into the MSR inputs, which is how Linux's 8250
 * driver probes for the chip; otherwise the modem lines read as a connected terminal (CTS, DSR,
 * DCD). Simplifications: with the FIFO enabled, any queued byte raises "received data available"
 * at once (no trigger levels, no character-timeout interrupt); parity/framing/break never occur;
 * MCR OUT2 does not gate the interrupt line (QEMU does not gate it either, and guests such as xv6
 * rely on that). Register facts from the National/TI PC16550D datasheet and the OSDev wiki. */
#include "vuart.h"
#include "../../../lib/kstring.h"

enum {
	REG_DATA = 0,	/* RBR (read) / THR (write); DLL with DLAB */
	REG_IER = 1,	/* DLM with DLAB */
	REG_IIR = 2,	/* IIR (read) / FCR (write) */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDA  0x01
#define IER_THRE 0x02
#define IER_RLS  0x04
#define IER_MS   0x08
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10

/* The modem status inputs (MSR bits 4-7: CTS, DSR, RI, DCD). In loopback they are wired to the
 * MCR outputs RTS, DTR, OUT1, OUT2. */
static uint8_t msr_lines(const struct vuart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return 0xB0;
	uint8_t m = u->mcr;
	return (uint8_t)((m & 0x02 ? 0x10 : 0) | (m & 0x01 ? 0x20 : 0) |
			 (m & 0x04 ? 0x40 : 0) | (m & 0x08 ? 0x80 : 0));
}

/* Record changes of the modem inputs in the MSR delta bits (DCTS, DDSR, TERI, DDCD). */
static void update_msr(struct vuart *u)
{
	uint8_t now = msr_lines(u), ch = now ^ u->msr_lines;
	if (ch & 0x10)
		u->msr_delta |= 0x01;
	if (ch & 0x20)
		u->msr_delta |= 0x02;
	if ((u->msr_lines & 0x40) && !(now & 0x40))	/* RI: trailing edge only */
		u->msr_delta |= 0x04;
	if (ch & 0x80)
		u->msr_delta |= 0x08;
	u->msr_lines = now;
}

void vuart_init(struct vuart *u, uint16_t base, void (*out)(void *ctx, char c), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->base = base;
	u->out = out;
	u->ctx = ctx;
	u->dll = 1;
	u->msr_lines = msr_lines(u);
}

bool vuart_input(struct vuart *u, char c)
{
	if (u->rx_count == VUART_FIFO) {
		u->lsr_err |= VUART_LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % VUART_FIFO] = (uint8_t)c;
	u->rx_count++;
	return true;
}

/* The interrupt identification code (IIR bits 0-3) of the highest-priority enabled cause:
 * line status 0x6, received data 0x4, THR empty 0x2, modem status 0x0; 0x1 means none. */
static uint8_t iir_code(const struct vuart *u)
{
	if ((u->ier & IER_RLS) && u->lsr_err)
		return 0x06;
	if ((u->ier & IER_RDA) && u->rx_count)
		return 0x04;
	if ((u->ier & IER_THRE) && u->thre_int)
		return 0x02;
	if ((u->ier & IER_MS) && u->msr_delta)
		return 0x00;
	return 0x01;
}

bool vuart_irq(const struct vuart *u)
{
	return !(iir_code(u) & 1);
}

static void write_reg(struct vuart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case REG_DATA:
		if (dlab) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			vuart_input(u, (char)v);
		else if (u->out)
			u->out(u->ctx, (char)v);
		u->thre_int = true;	/* sent already: THR is empty again */
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* enabling the THRE interrupt while THR is empty (always, here) raises it */
		if ((v & IER_THRE) && !(u->ier & IER_THRE))
			u->thre_int = true;
		u->ier = v & 0x0F;
		break;
	case REG_IIR:		/* FCR */
		if ((v ^ u->fcr) & 0x01)
			u->rx_count = 0;	/* switching the FIFO on or off empties it */
		if (v & 0x02)
			u->rx_count = 0;
		u->fcr = v & 0xC9;	/* enable, DMA mode, trigger level; bits 1-2 self-clear */
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1F;
		update_msr(u);
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:		/* LSR and MSR: writes are for factory testing; ignored */
		break;
	}
}

static uint8_t read_reg(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;
	switch (reg) {
	case REG_DATA:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (uint8_t)((u->rx_head + 1) % VUART_FIFO);
		u->rx_count--;
		return v;
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		v = iir_code(u);
		if (v == 0x02)		/* reading IIR acknowledges a THR-empty interrupt */
			u->thre_int = false;
		return (uint8_t)(v | (u->fcr & 0x01 ? 0xC0 : 0));
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = (uint8_t)(VUART_LSR_THRE | VUART_LSR_TEMT | u->lsr_err | (u->rx_count ? VUART_LSR_DR : 0));
		u->lsr_err = 0;		/* error bits clear when LSR is read */
		return v;
	case REG_MSR:
		v = (uint8_t)(u->msr_lines | u->msr_delta);
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

int vuart_io(struct vuart *u, uint16_t port, bool write, uint8_t *val)
{
	unsigned reg = (uint16_t)(port - u->base);
	if (reg > 7)
		return 0;
	if (write)
		write_reg(u, reg, *val);
	else
		*val = read_reg(u, reg);
	return 1;
}
