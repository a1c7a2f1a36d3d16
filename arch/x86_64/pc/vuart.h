/* vuart.h - a virtual 16550A UART at a base port (COM1 = 0x3F8): transmitted bytes go to a
 * callback at once, received bytes are queued by the VMM with vuart_input. One struct per port,
 * owned by the caller; no hardware. */
#ifndef ARCH_VUART_H
#define ARCH_VUART_H
#include <stdint.h>
#include <stdbool.h>

#define VUART_FIFO 16	/* the 16550A's receive FIFO depth */

/* Line status register bits */
#define VUART_LSR_DR   0x01	/* data ready */
#define VUART_LSR_OE   0x02	/* overrun: a byte arrived with the FIFO full and was lost */
#define VUART_LSR_THRE 0x20	/* transmit holding register empty */
#define VUART_LSR_TEMT 0x40	/* transmitter empty */

struct vuart {
	uint16_t base;
	void (*out)(void *ctx, char c);
	void *ctx;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uint8_t lsr_err;	/* OE, until the guest reads LSR */
	uint8_t msr_delta;	/* MSR bits 0-3, until the guest reads MSR */
	uint8_t msr_lines;	/* MSR bits 4-7 as last computed, to detect changes */
	bool thre_int;		/* a THR-empty interrupt is pending (cleared by reading IIR or writing THR) */
	uint8_t rx[VUART_FIFO];
	uint8_t rx_head, rx_count;
};

/* Reset state (all registers 0, divisor 1 = 115200 baud, no interrupts enabled). out may be NULL
 * (output dropped). */
void vuart_init(struct vuart *u, uint16_t base, void (*out)(void *ctx, char c), void *ctx);
/* Queue a received byte. Returns false (and sets LSR.OE) if the FIFO is full and it was lost. */
bool vuart_input(struct vuart *u, char c);
/* The level of the UART's interrupt output (IRQ4 for COM1): true while IIR reports a cause. The
 * caller turns a rising level into vpic_raise. */
bool vuart_irq(const struct vuart *u);
/* Ports base..base+7: returns 1 and reads/writes *val if the port is the UART's, else 0. */
int vuart_io(struct vuart *u, uint16_t port, bool write, uint8_t *val);

#endif
