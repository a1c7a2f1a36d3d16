/* test_vdev.c - host tests of the virtual PC devices (vpic, vpit, vuart, vio): each test plays the
 * port sequence a guest kernel would issue and checks what the guest would observe. KTAP output. */
#include <stdint.h>
#include <string.h>
#include "ktap.h"
#include "fakemem.h"
#include "../../arch/x86_64/pc/vpic.h"
#include "../../arch/x86_64/pc/vpit.h"
#include "../../arch/x86_64/pc/vuart.h"
#include "../../arch/x86_64/pc/vio.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 123456789ull		/* an arbitrary clock origin: the devices must not assume 0 */

/* ---- helpers ---- */

static void pic_out(struct vpic *p, uint16_t port, uint8_t v)
{
	CHECK(vpic_io(p, port, true, &v) == 1);
}

static uint8_t pic_in(struct vpic *p, uint16_t port)
{
	uint8_t v = 0x5A;
	CHECK(vpic_io(p, port, false, &v) == 1);
	return v;
}

/* The remap a Linux / xv6 style kernel does (also guest/x86/kernel/pic.c): vectors 0x20 / 0x28. */
static void pic_remap(struct vpic *p, uint8_t mask1, uint8_t mask2)
{
	pic_out(p, 0x20, 0x11);
	pic_out(p, 0xA0, 0x11);
	pic_out(p, 0x21, 0x20);
	pic_out(p, 0xA1, 0x28);
	pic_out(p, 0x21, 0x04);
	pic_out(p, 0xA1, 0x02);
	pic_out(p, 0x21, 0x01);
	pic_out(p, 0xA1, 0x01);
	pic_out(p, 0x21, mask1);
	pic_out(p, 0xA1, mask2);
}

static void pit_out(struct vpit *p, uint16_t port, uint8_t v, uint64_t now)
{
	CHECK(vpit_io(p, port, true, &v, now) == 1);
}

static uint8_t pit_in(struct vpit *p, uint16_t port, uint64_t now)
{
	uint8_t v = 0x5A;
	CHECK(vpit_io(p, port, false, &v, now) == 1);
	return v;
}

static void pit_program(struct vpit *p, unsigned ch, unsigned mode, uint16_t count, uint64_t now)
{
	pit_out(p, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1), now);
	pit_out(p, (uint16_t)(0x40 + ch), (uint8_t)count, now);
	pit_out(p, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8), now);
}

/* Latch channel ch with the counter-latch command and read it (low, high). */
static uint16_t pit_latch_read(struct vpit *p, unsigned ch, uint64_t now)
{
	pit_out(p, 0x43, (uint8_t)(ch << 6), now);
	uint8_t lo = pit_in(p, (uint16_t)(0x40 + ch), now);
	uint8_t hi = pit_in(p, (uint16_t)(0x40 + ch), now);
	return (uint16_t)(lo | hi << 8);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* Count IRQ0 edges over [start, start + len], polling at random steps of up to max_step ns. */
static uint64_t count_edges(struct vpit *p, uint64_t start, uint64_t len, uint64_t max_step)
{
	uint64_t n = 0, t = start;
	while (t < start + len) {
		t += 1 + rnd(max_step);
		if (t > start + len)
			t = start + len;
		n += vpit_irq0_edges(p, t);
	}
	return n;
}

struct sink {
	char buf[256];
	unsigned n;
};

static void sink_out(void *ctx, char c)
{
	struct sink *s = ctx;
	if (s->n < sizeof(s->buf) - 1)
		s->buf[s->n++] = c;
}

static void uart_out(struct vuart *u, unsigned reg, uint8_t v)
{
	CHECK(vuart_io(u, (uint16_t)(u->base + reg), true, &v) == 1);
}

static uint8_t uart_in(struct vuart *u, unsigned reg)
{
	uint8_t v = 0x5A;
	CHECK(vuart_io(u, (uint16_t)(u->base + reg), false, &v) == 1);
	return v;
}

static uint32_t vio_in(struct vio *v, uint16_t port, unsigned size, uint64_t now, int *claimed)
{
	uint32_t val = 0x5A5A5A5A;
	*claimed = vio_port(v, port, size, false, &val, now);
	return val;
}

static int vio_out(struct vio *v, uint16_t port, unsigned size, uint32_t val, uint64_t now)
{
	return vio_port(v, port, size, true, &val, now);
}

/* ---- vpic ---- */

static void pic_bios_state(void)
{
	struct vpic p;
	vpic_init(&p);
	CHECK(pic_in(&p, 0x21) == 0xFF);
	CHECK(pic_in(&p, 0xA1) == 0xFF);
	vpic_raise(&p, 0);
	vpic_raise(&p, 9);
	CHECK(vpic_pending(&p) == -1);		/* all masked */
	CHECK(vpic_ack(&p) == -1);
	pic_out(&p, 0x21, 0xFE);
	CHECK(vpic_pending(&p) == 0x08);	/* BIOS base */
	pic_out(&p, 0x21, 0xFA);
	pic_out(&p, 0xA1, 0xFD);
	CHECK(vpic_pending(&p) == 0x08);
	CHECK(vpic_ack(&p) == 0x08);
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x71);		/* IRQ9: slave base 0x70 */
	uint8_t v = 0;
	CHECK(vpic_io(&p, 0x22, false, &v) == 0);
	CHECK(vpic_io(&p, 0x60, true, &v) == 0);
}

static void pic_remap_sequence(void)
{
	struct vpic p;
	vpic_init(&p);
	vpic_raise(&p, 1);			/* a stale request before init is forgotten by ICW1 */
	pic_out(&p, 0x20, 0x11);
	pic_out(&p, 0xA0, 0x11);
	pic_out(&p, 0x21, 0x20);
	pic_out(&p, 0xA1, 0x28);
	pic_out(&p, 0x21, 0x04);
	pic_out(&p, 0xA1, 0x02);
	pic_out(&p, 0x21, 0x01);
	pic_out(&p, 0xA1, 0x01);
	CHECK(pic_in(&p, 0x21) == 0x00);	/* ICW1 cleared IMR */
	CHECK(vpic_pending(&p) == -1);
	pic_out(&p, 0x21, 0xFA);		/* OCW1: IRQ0 and the cascade only */
	pic_out(&p, 0xA1, 0xFF);
	CHECK(pic_in(&p, 0x21) == 0xFA);
	CHECK(pic_in(&p, 0xA1) == 0xFF);
	vpic_raise(&p, 0);
	CHECK(vpic_pending(&p) == 0x20);
	CHECK(vpic_pending(&p) == 0x20);	/* pending does not change state */
	CHECK(vpic_ack(&p) == 0x20);
	CHECK(vpic_pending(&p) == -1);
	pic_out(&p, 0x20, 0x20);		/* non-specific EOI */
	vpic_raise(&p, 0);
	CHECK(vpic_ack(&p) == 0x20);
	/* ICW1 without IC4 (no ICW4) and single mode (no ICW3): base still taken from ICW2 */
	pic_out(&p, 0x20, 0x12);
	pic_out(&p, 0x21, 0x40);
	pic_out(&p, 0x21, 0xFE);		/* this is OCW1 now */
	vpic_raise(&p, 0);
	CHECK(vpic_ack(&p) == 0x40);
	CHECK(pic_in(&p, 0x21) == 0xFE);
}

static void pic_masking(void)
{
	struct vpic p;
	vpic_init(&p);
	pic_remap(&p, 0xFF, 0xFF);
	vpic_raise(&p, 3);
	CHECK(vpic_pending(&p) == -1);
	CHECK((pic_in(&p, 0x20) & 0x08) != 0);	/* latched in IRR even while masked */
	pic_out(&p, 0x21, 0xF7);
	CHECK(vpic_pending(&p) == 0x23);
	pic_out(&p, 0x21, 0xFF);
	CHECK(vpic_pending(&p) == -1);
	pic_out(&p, 0x21, 0xF7);
	CHECK(vpic_ack(&p) == 0x23);
	CHECK((pic_in(&p, 0x20) & 0x08) == 0);
	pic_out(&p, 0x20, 0x20);
	/* an edge is latched once: two raises before the ack give one interrupt */
	vpic_raise(&p, 3);
	vpic_raise(&p, 3);
	CHECK(vpic_ack(&p) == 0x23);
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == -1);
	vpic_raise(&p, 16);			/* out of range: ignored */
	CHECK(vpic_pending(&p) == -1);
}

static void pic_priority(void)
{
	struct vpic p;
	vpic_init(&p);
	pic_remap(&p, 0x00, 0xFF);
	vpic_raise(&p, 1);
	vpic_raise(&p, 0);
	CHECK(vpic_ack(&p) == 0x20);		/* IRQ0 before IRQ1 */
	CHECK(vpic_pending(&p) == -1);		/* IRQ1 blocked while IRQ0 in service */
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x21);
	vpic_raise(&p, 5);
	CHECK(vpic_pending(&p) == -1);		/* lower than the in-service IRQ1 */
	vpic_raise(&p, 0);
	CHECK(vpic_ack(&p) == 0x20);		/* higher: nests on top of IRQ1 */
	pic_out(&p, 0x20, 0x0B);
	CHECK(pic_in(&p, 0x20) == 0x03);	/* ISR: IRQ0 and IRQ1 */
	pic_out(&p, 0x20, 0x20);		/* non-specific EOI ends the highest: IRQ0 */
	CHECK(pic_in(&p, 0x20) == 0x02);
	CHECK(vpic_pending(&p) == -1);		/* IRQ5 still blocked by IRQ1 */
	pic_out(&p, 0x20, 0x61);		/* specific EOI for IRQ1 */
	CHECK(pic_in(&p, 0x20) == 0x00);
	CHECK(vpic_ack(&p) == 0x25);
	pic_out(&p, 0x20, 0x65);
	CHECK(vpic_ack(&p) == -1);
	/* rotate on specific EOI: IRQ3 becomes the lowest, so IRQ4 now beats IRQ0 */
	pic_out(&p, 0x20, 0xE3);
	vpic_raise(&p, 0);
	vpic_raise(&p, 4);
	CHECK(vpic_ack(&p) == 0x24);
	pic_out(&p, 0x20, 0xC7);		/* set priority back: IRQ7 lowest */
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x20);
}

static void pic_cascade(void)
{
	struct vpic p;
	vpic_init(&p);
	pic_remap(&p, 0xFB, 0x11);		/* master: IRQ2 only; slave: all but IRQ8 and IRQ12 */
	vpic_raise(&p, 8);
	CHECK(vpic_pending(&p) == -1);		/* IRQ8 masked on the slave */
	vpic_raise(&p, 9);
	CHECK(vpic_pending(&p) == 0x29);
	CHECK(pic_in(&p, 0x20) == 0x04);	/* the master sees the slave on IR2 */
	pic_out(&p, 0x21, 0xFF);
	CHECK(vpic_pending(&p) == -1);		/* masking IRQ2 masks the whole slave */
	pic_out(&p, 0x21, 0xFB);
	CHECK(vpic_ack(&p) == 0x29);
	pic_out(&p, 0x20, 0x0B);
	pic_out(&p, 0xA0, 0x0B);
	CHECK(pic_in(&p, 0x20) == 0x04);	/* ISR: master IR2 */
	CHECK(pic_in(&p, 0xA0) == 0x02);	/* ISR: slave IR1 */
	vpic_raise(&p, 10);
	CHECK(vpic_pending(&p) == -1);		/* blocked until EOI */
	pic_out(&p, 0xA0, 0x20);
	CHECK(vpic_pending(&p) == -1);		/* still: master IR2 in service */
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x2A);
	pic_out(&p, 0xA0, 0x20);
	pic_out(&p, 0x20, 0x20);
	/* slave-internal priority: IRQ11 before IRQ13 */
	vpic_raise(&p, 13);
	vpic_raise(&p, 11);
	CHECK(vpic_ack(&p) == 0x2B);
	pic_out(&p, 0xA0, 0x20);
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x2D);
	pic_out(&p, 0xA0, 0x20);
	pic_out(&p, 0x20, 0x20);
	/* a master line above IR2 beats the slave; one below loses */
	pic_out(&p, 0x21, 0xF0);
	vpic_raise(&p, 3);
	vpic_raise(&p, 14);
	vpic_raise(&p, 1);
	CHECK(vpic_ack(&p) == 0x21);
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x2E);
	pic_out(&p, 0xA0, 0x20);
	pic_out(&p, 0x20, 0x20);
	CHECK(vpic_ack(&p) == 0x23);
}

static void pic_ocw3_reads(void)
{
	struct vpic p;
	vpic_init(&p);
	pic_remap(&p, 0x00, 0xFF);
	vpic_raise(&p, 0);
	vpic_raise(&p, 6);
	CHECK(pic_in(&p, 0x20) == 0x41);	/* IRR is the default */
	CHECK(vpic_ack(&p) == 0x20);
	CHECK(pic_in(&p, 0x20) == 0x40);
	pic_out(&p, 0x20, 0x0B);		/* read ISR */
	CHECK(pic_in(&p, 0x20) == 0x01);
	CHECK(pic_in(&p, 0x20) == 0x01);	/* the selection sticks */
	CHECK(pic_in(&p, 0x21) == 0x00);	/* the odd port is still IMR */
	pic_out(&p, 0x20, 0x0A);		/* read IRR */
	CHECK(pic_in(&p, 0x20) == 0x40);
	pic_out(&p, 0x20, 0x08);		/* RR=0: no change */
	CHECK(pic_in(&p, 0x20) == 0x40);
	/* the guest's spurious-IRQ7 check: ISR bit 7 clear means spurious */
	pic_out(&p, 0x20, 0x0B);
	CHECK((pic_in(&p, 0x20) & 0x80) == 0);
	/* special mask mode: masking the in-service IRQ0 lets IRQ6 through */
	CHECK(vpic_pending(&p) == -1);
	pic_out(&p, 0x20, 0x68);
	pic_out(&p, 0x21, 0x01);
	CHECK(vpic_pending(&p) == 0x26);
	pic_out(&p, 0x20, 0x48);		/* reset special mask */
	CHECK(vpic_pending(&p) == -1);
}

static void pic_auto_eoi(void)
{
	struct vpic p;
	vpic_init(&p);
	pic_out(&p, 0x20, 0x11);
	pic_out(&p, 0x21, 0x30);
	pic_out(&p, 0x21, 0x04);
	pic_out(&p, 0x21, 0x03);		/* ICW4: 8086 + AEOI */
	vpic_raise(&p, 2);			/* no slave output: the master's own IR2 edge */
	vpic_raise(&p, 4);
	CHECK(vpic_ack(&p) == 0x32);
	pic_out(&p, 0x20, 0x0B);
	CHECK(pic_in(&p, 0x20) == 0x00);	/* nothing in service */
	CHECK(vpic_ack(&p) == 0x34);
}

/* ---- vpit ---- */

/* An edge count is right if it is within one of the exact expectation. */
static int near(uint64_t n, double expect)
{
	return (double)n >= expect - 1.0 && (double)n <= expect + 1.0;
}

static void pit_rate(unsigned hz, unsigned mode)
{
	struct vpit p;
	vpit_init(&p, T0);
	uint16_t div = (uint16_t)(VPIT_HZ / hz);
	uint64_t t = T0 + 7 * MS;
	vpit_irq0_edges(&p, t);
	pit_program(&p, 0, mode, div, t);
	CHECK(vpit_irq0_edges(&p, t) == 0);	/* reprogramming starts a fresh count */
	double expect = (double)VPIT_HZ / div;
	uint64_t n = count_edges(&p, t, SEC, 3 * MS);
	CHECK(near(n, expect));
	/* driving the clock by vpit_next_edge_ns, as a halted guest would be woken */
	uint64_t wake = 0, m = 0, end = t + 2 * SEC;
	while ((wake = vpit_next_edge_ns(&p)) <= end) {
		unsigned e = vpit_irq0_edges(&p, wake);
		CHECK(e == 1);
		CHECK(vpit_irq0_edges(&p, wake) == 0);
		m += e;
		if (e != 1)
			break;
	}
	CHECK(near(m, expect));
	/* a long gap: every edge is counted (the caller may coalesce) */
	n = vpit_irq0_edges(&p, end + 10 * SEC);
	CHECK(near(n, 10 * expect));
}

static void pit_100hz_mode2(void) { pit_rate(100, 2); }
static void pit_1000hz_mode3(void) { pit_rate(1000, 3); }
static void pit_1000hz_mode2(void) { pit_rate(1000, 2); }
static void pit_100hz_mode3(void) { pit_rate(100, 3); }

static void pit_bios_and_divisor0(void)
{
	struct vpit p;
	vpit_init(&p, T0);			/* BIOS: 65536, 18.2 Hz */
	uint64_t n = count_edges(&p, T0, SEC, 10 * MS);
	CHECK(n == 18);
	pit_program(&p, 0, 2, 0, T0 + SEC);	/* divisor 0 = 65536 */
	n = count_edges(&p, T0 + SEC, 10 * SEC, 10 * MS);
	CHECK(n == 182);
	CHECK(pit_latch_read(&p, 0, T0 + SEC) == 0);	/* just loaded: 65536 reads as 0 */
}

static void pit_oneshot_mode0(void)
{
	struct vpit p;
	vpit_init(&p, T0);
	uint64_t t = T0 + 3 * MS;
	pit_program(&p, 0, 0, 1193, t);		/* ~1 ms */
	CHECK(vpit_irq0_edges(&p, t) == 0);
	pit_out(&p, 0x43, 0xE2, t);		/* read-back status of channel 0 */
	uint8_t st = pit_in(&p, 0x40, t);
	CHECK((st & 0x80) == 0);		/* OUT low while counting */
	CHECK((st & 0x3F) == 0x30);		/* lo/hi, mode 0, binary */
	uint64_t due = vpit_next_edge_ns(&p);
	CHECK(due > t + 999 * 1000 && due < t + 1001 * 1000);
	CHECK(vpit_irq0_edges(&p, due - 1) == 0);
	CHECK(vpit_irq0_edges(&p, due) == 1);
	CHECK(vpit_next_edge_ns(&p) == UINT64_MAX);
	CHECK(vpit_irq0_edges(&p, t + SEC) == 0);	/* one shot only */
	pit_out(&p, 0x43, 0xE2, t + 2 * MS);
	CHECK((pit_in(&p, 0x40, t + 2 * MS) & 0x80) != 0);	/* OUT high after terminal count */
	/* past terminal count the counter wraps and keeps counting down */
	uint16_t c = pit_latch_read(&p, 0, t + 2 * MS);
	CHECK(c > 60000);
	/* the control word alone stops it: no count, no edge */
	pit_out(&p, 0x43, 0x30, t + 3 * MS);
	CHECK(vpit_next_edge_ns(&p) == UINT64_MAX);
	CHECK(vpit_irq0_edges(&p, t + 2 * SEC) == 0);
	pit_out(&p, 0x43, 0xE2, t + 3 * MS);
	st = pit_in(&p, 0x40, t + 3 * MS);
	CHECK((st & 0xC0) == 0x40);		/* OUT low, null count */
}

static void pit_latch_monotonic(void)
{
	struct vpit p;
	vpit_init(&p, T0);
	pit_program(&p, 0, 2, 0, T0);		/* 65536 ticks: ~54.9 ms period */
	uint16_t prev = 0;
	int ok = 1;
	for (uint64_t t = T0 + 10000; t < T0 + 50 * MS; t += 10000 + rnd(5000)) {
		uint16_t c = pit_latch_read(&p, 0, t);
		if (t > T0 + 10000 && c >= prev)
			ok = 0;
		uint64_t ticks = (t - T0) * VPIT_HZ / SEC;
		if (c != (uint16_t)(65536 - ticks))
			ok = 0;
		prev = c;
	}
	CHECK(ok);
	/* a latched value holds while time goes on, until both bytes are read */
	pit_out(&p, 0x43, 0x00, T0 + 1 * MS);
	uint8_t lo = pit_in(&p, 0x40, T0 + 20 * MS);
	uint8_t hi = pit_in(&p, 0x40, T0 + 30 * MS);
	CHECK((uint16_t)(lo | hi << 8) == (uint16_t)(65536 - VPIT_HZ / 1000));
	/* read-back: status first, then count; one command for channels 0 and 2 */
	pit_program(&p, 2, 0, 50000, T0);
	pit_out(&p, 0x61, 0x01, T0);		/* gate 2 on: counting starts now */
	pit_out(&p, 0x43, 0xCA, T0 + 1 * MS);	/* latch count+status of channels 0 and 2 */
	CHECK((pit_in(&p, 0x40, T0 + 2 * MS) & 0x0E) == 0x04);	/* mode 2 */
	lo = pit_in(&p, 0x40, T0 + 2 * MS);
	hi = pit_in(&p, 0x40, T0 + 2 * MS);
	CHECK((uint16_t)(lo | hi << 8) == (uint16_t)(65536 - 1193));
	CHECK((pit_in(&p, 0x42, T0 + 5 * MS) & 0x0E) == 0x00);	/* mode 0 */
	lo = pit_in(&p, 0x42, T0 + 5 * MS);
	hi = pit_in(&p, 0x42, T0 + 5 * MS);
	CHECK((uint16_t)(lo | hi << 8) == 50000 - 1193);
	/* unlatched reads follow time; lo-only access mode */
	pit_out(&p, 0x43, 0x90, T0);		/* channel 2, low byte only, mode 0 */
	pit_out(&p, 0x42, 200, T0);
	CHECK(pit_in(&p, 0x42, T0) == 200);
	CHECK(pit_in(&p, 0x42, T0 + 100 * 1000) == 200 - 119);
	/* mode 3 counts down by two */
	pit_program(&p, 0, 3, 1000, T0);
	uint16_t a = pit_latch_read(&p, 0, T0 + 50 * 1000);
	CHECK(a == 1000 - 2 * 59);
	CHECK(pit_in(&p, 0x43, T0) == 0xFF);
}

static void pit_channel2_out2(void)
{
	struct vpit p;
	vpit_init(&p, T0);
	uint64_t t = T0 + 100 * MS;
	CHECK((pit_in(&p, 0x61, t) & 0x21) == 0);	/* gate off, OUT2 low */
	/* Linux-style calibration: gate on, speaker off, ch2 mode 0, wait for OUT2 */
	pit_out(&p, 0x61, (pit_in(&p, 0x61, t) & ~0x02) | 0x01, t);
	pit_out(&p, 0x43, 0xB0, t);
	pit_out(&p, 0x42, 11932 & 0xFF, t);
	pit_out(&p, 0x42, 11932 >> 8, t);	/* 10 ms */
	CHECK((pit_in(&p, 0x61, t + 5 * MS) & 0x20) == 0);
	CHECK((pit_in(&p, 0x61, t + 9990 * 1000) & 0x20) == 0);
	CHECK((pit_in(&p, 0x61, t + 10001 * 1000) & 0x20) != 0);
	CHECK((pit_in(&p, 0x61, t + 500 * MS) & 0x20) != 0);	/* stays high */
	CHECK((pit_in(&p, 0x61, t) & 0x0F) == 0x01);
	CHECK(vpit_irq0_edges(&p, t + SEC) >= 18);	/* channel 0 untouched (BIOS rate) */
	/* the gate pauses mode 0: off for 20 ms in the middle adds 20 ms */
	t += SEC;
	pit_program(&p, 2, 0, 11932, t);
	pit_out(&p, 0x61, 0x00, t + 4 * MS);
	CHECK((pit_in(&p, 0x61, t + 20 * MS) & 0x20) == 0);
	pit_out(&p, 0x61, 0x01, t + 24 * MS);
	CHECK((pit_in(&p, 0x61, t + 29 * MS) & 0x20) == 0);
	CHECK((pit_in(&p, 0x61, t + 30010 * 1000) & 0x20) != 0);
	/* mode 2/3 on channel 2: a gate rising edge restarts; OUT2 is a square wave in mode 3 */
	pit_out(&p, 0x61, 0x00, t);
	pit_program(&p, 2, 3, 1194, t);		/* ~1 ms period */
	CHECK((pit_in(&p, 0x61, t + 5 * MS) & 0x20) != 0);	/* gate low: OUT high */
	pit_out(&p, 0x61, 0x01, t + 10 * MS);
	CHECK((pit_in(&p, 0x61, t + 10 * MS + 200 * 1000) & 0x20) != 0);	/* first half */
	CHECK((pit_in(&p, 0x61, t + 10 * MS + 700 * 1000) & 0x20) == 0);	/* second half */
	CHECK((pit_in(&p, 0x61, t + 11 * MS + 200 * 1000) & 0x20) != 0);
	/* bit 4 (refresh) toggles over time */
	int seen0 = 0, seen1 = 0;
	for (uint64_t u = t; u < t + 100 * 1000; u += 3000) {
		if (pit_in(&p, 0x61, u) & 0x10)
			seen1 = 1;
		else
			seen0 = 1;
	}
	CHECK(seen0 && seen1);
}

/* ---- vuart ---- */

static void uart_output(void)
{
	struct sink s = {0};
	struct vuart u;
	vuart_init(&u, 0x3F8, sink_out, &s);
	CHECK(uart_in(&u, 5) == 0x60);		/* THRE | TEMT, nothing received */
	/* the guest's console init (guest/x86/kernel/console.c) then a polled write */
	uart_out(&u, 1, 0x00);
	uart_out(&u, 3, 0x80);
	uart_out(&u, 0, 0x01);
	uart_out(&u, 1, 0x00);
	uart_out(&u, 3, 0x03);
	uart_out(&u, 2, 0xC7);
	uart_out(&u, 4, 0x03);
	CHECK(s.n == 0);			/* divisor writes are not output */
	const char *msg = "ok 1 hi\n";
	for (const char *c = msg; *c; c++) {
		CHECK(uart_in(&u, 5) & 0x20);
		uart_out(&u, 0, (uint8_t)*c);
	}
	CHECK(s.n == strlen(msg) && memcmp(s.buf, msg, s.n) == 0);
	CHECK(uart_in(&u, 5) == 0x60);
	CHECK(!vuart_irq(&u));			/* IER = 0: never an interrupt */
	CHECK(uart_in(&u, 2) == 0xC1);		/* FIFOs on, no interrupt */
	uart_out(&u, 7, 0xA5);
	CHECK(uart_in(&u, 7) == 0xA5);		/* scratch */
	CHECK(uart_in(&u, 3) == 0x03);
	CHECK(uart_in(&u, 4) == 0x03);
	CHECK((uart_in(&u, 6) & 0xF0) == 0xB0);	/* DCD, DSR, CTS */
	uint8_t v = 0;
	CHECK(vuart_io(&u, 0x3F7, false, &v) == 0 && vuart_io(&u, 0x400, false, &v) == 0);
	struct vuart n;
	vuart_init(&n, 0x2F8, NULL, NULL);	/* no callback: output dropped */
	uart_out(&n, 0, 'x');
	CHECK(uart_in(&n, 5) == 0x60);
}

static void uart_dlab(void)
{
	struct sink s = {0};
	struct vuart u;
	vuart_init(&u, 0x3F8, sink_out, &s);
	uart_out(&u, 1, 0x05);			/* IER before DLAB */
	uart_out(&u, 3, 0x83);			/* DLAB + 8N1 */
	uart_out(&u, 0, 0x0C);			/* 9600 baud */
	uart_out(&u, 1, 0x00);
	CHECK(uart_in(&u, 0) == 0x0C);
	CHECK(uart_in(&u, 1) == 0x00);
	uart_out(&u, 0, 0x80);
	uart_out(&u, 1, 0x01);			/* divisor 0x0180 */
	CHECK(uart_in(&u, 0) == 0x80 && uart_in(&u, 1) == 0x01);
	CHECK(s.n == 0);
	uart_out(&u, 3, 0x03);
	CHECK(uart_in(&u, 1) == 0x05);		/* IER untouched by the DLM writes */
	uart_out(&u, 0, 'z');
	CHECK(s.n == 1 && s.buf[0] == 'z');
	uart_out(&u, 3, 0x83);
	CHECK(uart_in(&u, 0) == 0x80 && uart_in(&u, 1) == 0x01);	/* kept */
}

static void uart_input_rda(void)
{
	struct vuart u;
	vuart_init(&u, 0x3F8, NULL, NULL);
	uart_out(&u, 2, 0x07);			/* FIFO on and cleared */
	CHECK((uart_in(&u, 5) & VUART_LSR_DR) == 0);
	CHECK(vuart_input(&u, 'a'));
	CHECK(!vuart_irq(&u));			/* RDA not enabled yet */
	CHECK(uart_in(&u, 5) == 0x61);		/* DR */
	uart_out(&u, 1, 0x01);			/* enable RDA */
	CHECK(vuart_irq(&u));
	CHECK(uart_in(&u, 2) == 0xC4);
	CHECK(vuart_input(&u, 'b'));
	CHECK(uart_in(&u, 0) == 'a');
	CHECK(vuart_irq(&u));			/* 'b' still there */
	CHECK(uart_in(&u, 0) == 'b');
	CHECK(!vuart_irq(&u));
	CHECK(uart_in(&u, 2) == 0xC1);
	CHECK(uart_in(&u, 5) == 0x60);
	/* overrun: the 17th byte is lost and reported once in LSR */
	for (int i = 0; i < VUART_FIFO; i++)
		CHECK(vuart_input(&u, (char)('A' + i)));
	CHECK(!vuart_input(&u, '!'));
	uart_out(&u, 1, 0x05);			/* + line status interrupt */
	CHECK(uart_in(&u, 2) == 0xC6);		/* line status outranks data */
	CHECK(uart_in(&u, 5) == 0x63);		/* DR | OE */
	CHECK(uart_in(&u, 5) == 0x61);		/* OE cleared by the read */
	CHECK(uart_in(&u, 2) == 0xC4);
	int order = 1;
	for (int i = 0; i < VUART_FIFO; i++)
		if (uart_in(&u, 0) != 'A' + i)
			order = 0;
	CHECK(order);
	CHECK(!vuart_irq(&u));
	/* FCR bit 1 empties the receive FIFO */
	vuart_input(&u, 'q');
	uart_out(&u, 2, 0x03);
	CHECK((uart_in(&u, 5) & VUART_LSR_DR) == 0);
}

static void uart_thre_and_loopback(void)
{
	struct sink s = {0};
	struct vuart u;
	vuart_init(&u, 0x3F8, sink_out, &s);
	CHECK(!vuart_irq(&u));
	uart_out(&u, 1, 0x02);			/* enable THRE: THR is empty, so it fires */
	CHECK(vuart_irq(&u));
	CHECK(uart_in(&u, 2) == 0x02);		/* FIFO off: bits 7-6 clear */
	CHECK(!vuart_irq(&u));			/* reading IIR acknowledged it */
	CHECK(uart_in(&u, 2) == 0x01);
	uart_out(&u, 0, 'x');
	CHECK(vuart_irq(&u));			/* sent at once: THR empty again */
	uart_out(&u, 1, 0x00);
	CHECK(!vuart_irq(&u));
	/* Linux 8250 probe: loopback with RTS|OUT2 must read back CTS|DCD in MSR */
	uart_out(&u, 4, 0x10);
	CHECK((uart_in(&u, 6) & 0xF0) == 0x00);
	uart_out(&u, 4, 0x1A);
	CHECK((uart_in(&u, 6) & 0xF0) == 0x90);
	uart_out(&u, 4, 0x1F);
	CHECK((uart_in(&u, 6) & 0xF0) == 0xF0);
	uart_out(&u, 0, 'L');			/* loops back, not output */
	CHECK(s.n == 1);
	CHECK(uart_in(&u, 5) & VUART_LSR_DR);
	CHECK(uart_in(&u, 0) == 'L');
	uart_out(&u, 4, 0x0B);			/* leave loopback: lines change, delta bits set */
	uart_out(&u, 1, 0x08);
	CHECK(vuart_irq(&u));
	CHECK(uart_in(&u, 2) == 0x00);		/* modem status interrupt */
	uint8_t msr = uart_in(&u, 6);
	CHECK((msr & 0xF0) == 0xB0 && (msr & 0x0F) != 0);
	CHECK((uart_in(&u, 6) & 0x0F) == 0);	/* deltas cleared by the read */
	CHECK(!vuart_irq(&u));
}

/* ---- vio ---- */

static void vio_dispatch(void)
{
	struct sink s = {0};
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, sink_out, &s);
	CHECK(vio_out(&v, 0x3F8, 1, 'h', T0) == 1);
	CHECK(vio_out(&v, 0x3F8, 1, 'i', T0) == 1);
	CHECK(s.n == 2 && s.buf[0] == 'h' && s.buf[1] == 'i');
	CHECK(vio_in(&v, 0x3FD, 1, T0, &c) == 0x60 && c == 1);
	CHECK(vio_in(&v, 0x21, 1, T0, &c) == 0xFF && c == 1);
	CHECK(vio_out(&v, 0x80, 1, 0x42, T0) == 1);	/* POST port: claimed, harmless */
	CHECK(vio_in(&v, 0x80, 1, T0, &c) == 0x42 && c == 1);
	CHECK(vio_out(&v, 0x43, 1, 0x34, T0) == 1);
	CHECK(vio_in(&v, 0x61, 1, T0, &c) != 0xFF && c == 1);
	/* word access split into bytes: DLL at 0x3F8, DLM at 0x3F9 */
	vio_out(&v, 0x3FB, 1, 0x80, T0);
	CHECK(vio_out(&v, 0x3F8, 2, 0x0102, T0) == 1);
	CHECK(vio_in(&v, 0x3F8, 1, T0, &c) == 0x02);
	CHECK(vio_in(&v, 0x3F9, 1, T0, &c) == 0x01);
	CHECK(vio_in(&v, 0x3F8, 2, T0, &c) == 0x0102 && c == 1);
	vio_out(&v, 0x3FB, 1, 0x03, T0);
	/* dword read of the PIC masks across 0x20..0x23: 0x22/0x23 are unclaimed -> 0xFF */
	CHECK(vio_in(&v, 0x20, 4, T0, &c) == 0xFFFFFF00u && c == 1);
	/* word write to the PIC: ICW1 on 0x20 is the low byte, then ICW2 on 0x21 */
	vio_out(&v, 0x20, 2, 0x5011, T0);
	vio_out(&v, 0x21, 1, 0x04, T0);
	vio_out(&v, 0x21, 1, 0x01, T0);
	vio_out(&v, 0x21, 1, 0xFE, T0);
	vpic_raise(&v.pic, 0);
	CHECK(vpic_pending(&v.pic) == 0x50);
}

static void vio_exit_and_unclaimed(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	CHECK(!v.exit_requested);
	CHECK(vio_in(&v, 0x2E8, 1, T0, &c) == 0xFF && c == 0);	/* nothing there (no COM4) */
	CHECK(vio_in(&v, 0x1234, 2, T0, &c) == 0xFFFF && c == 0);
	CHECK(vio_out(&v, 0x2E8, 1, 0xFE, T0) == 0);
	/* PCI mechanism 1: the address latch reads back; every function is absent (all ones). */
	CHECK(vio_out(&v, 0xCF8, 4, 0x8000F8FCu | 3, T0) == 1);
	CHECK(vio_in(&v, 0xCF8, 4, T0, &c) == 0x8000F8FCu && c == 1);
	CHECK(vio_in(&v, 0xCFC, 4, T0, &c) == 0xFFFFFFFFu && c == 1);
	CHECK(vio_in(&v, 0xCFE, 2, T0, &c) == 0xFFFF && c == 1);
	CHECK(v.unknown[0].port == 0x2E8 && v.unknown[0].n == 2);
	CHECK(vio_in(&v, 0xFFFF, 2, T0, &c) == 0xFFFF && c == 0);	/* wraps to port 0 */
	CHECK(!v.exit_requested);
	CHECK(vio_out(&v, 0xF4, 1, 0, T0) == 1);
	CHECK(v.exit_requested && v.exit_code == 0);
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	CHECK(vio_out(&v, 0xF4, 1, 0x301, T0) == 1);	/* a byte write keeps only the byte */
	CHECK(v.exit_requested && v.exit_code == 1);
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	CHECK(vio_out(&v, 0xF4, 4, 0x12345678, T0) == 1);
	CHECK(v.exit_requested && v.exit_code == 0x12345678);
}

static void vio_interrupt_wiring(void)
{
	struct vio v;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	/* the guest's own init order: PIC remap, PIT at 100 Hz, COM1 RDA interrupts */
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xEA, 0xFF};
	for (unsigned i = 0; i < sizeof(port) / sizeof(port[0]); i++) {
		CHECK(vio_out(&v, port[i], 1, val[i], T0) == 1);
		vio_out(&v, 0x80, 1, 0, T0);
	}
	vio_sync(&v, T0);
	vpic_ack(&v.pic);			/* drop a BIOS-rate edge latched before the remap */
	vio_out(&v, 0x20, 1, 0x20, T0);
	vio_out(&v, 0x43, 1, 0x34, T0);
	vio_out(&v, 0x40, 1, 11932 & 0xFF, T0);
	vio_out(&v, 0x40, 1, 11932 >> 8, T0);
	CHECK(vio_sync(&v, T0 + 5 * MS) == 0);
	CHECK(vpic_pending(&v.pic) == -1);
	uint64_t due = vio_next_event_ns(&v);
	CHECK(due > T0 + 9 * MS && due < T0 + 11 * MS);
	CHECK(vio_sync(&v, due) == 1);
	CHECK(vpic_ack(&v.pic) == 0x20);
	/* ticks missed while the guest was busy coalesce into one request */
	CHECK(vio_sync(&v, due + 51 * MS) == 5);
	CHECK(vpic_pending(&v.pic) == -1);	/* still in service */
	vio_out(&v, 0x20, 1, 0x20, due + 50 * MS);
	CHECK(vpic_ack(&v.pic) == 0x20);
	vio_out(&v, 0x20, 1, 0x20, due + 50 * MS);
	/* COM1: RDA enabled, a byte arrives -> IRQ4 */
	vio_out(&v, 0x3F9, 1, 0x01, due);
	CHECK(vpic_pending(&v.pic) == -1);
	CHECK(vio_input(&v, 'k', due));
	CHECK(vpic_pending(&v.pic) == 0x24);
	CHECK(vpic_ack(&v.pic) == 0x24);
	int c;
	CHECK(vio_in(&v, 0x3FA, 1, due, &c) == 0x04);
	CHECK(vio_in(&v, 0x3F8, 1, due, &c) == 'k');
	vio_out(&v, 0x20, 1, 0x20, due);
	CHECK(vpic_pending(&v.pic) == -1);
	CHECK(vio_input(&v, 'l', due));		/* level went low and high again: a new edge */
	CHECK(vpic_ack(&v.pic) == 0x24);
}

int main(void)
{
	fake_machine();
	KTAP_BEGIN(22);
	RUN(pic_bios_state);
	RUN(pic_remap_sequence);
	RUN(pic_masking);
	RUN(pic_priority);
	RUN(pic_cascade);
	RUN(pic_ocw3_reads);
	RUN(pic_auto_eoi);
	RUN(pit_100hz_mode2);
	RUN(pit_1000hz_mode3);
	RUN(pit_1000hz_mode2);
	RUN(pit_100hz_mode3);
	RUN(pit_bios_and_divisor0);
	RUN(pit_oneshot_mode0);
	RUN(pit_latch_monotonic);
	RUN(pit_channel2_out2);
	RUN(uart_output);
	RUN(uart_dlab);
	RUN(uart_input_rda);
	RUN(uart_thre_and_loopback);
	RUN(vio_dispatch);
	RUN(vio_exit_and_unclaimed);
	RUN(vio_interrupt_wiring);
	KTAP_END();
}
