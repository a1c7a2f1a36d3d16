/* test_vdev.c - host tests of the virtual PC devices (vpic, vpit, vuart, vcmos, vkbd, vpm, vio):
 * each test plays the port sequence a guest kernel would issue and checks what the guest would
 * observe. KTAP output. */
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

/* ---- vcmos ---- */

static void cmos_w(struct vcmos *c, uint8_t idx, uint8_t v, uint64_t now)
{
	CHECK(vcmos_io(c, 0x70, true, &idx, now) == 1);
	CHECK(vcmos_io(c, 0x71, true, &v, now) == 1);
}

static uint8_t cmos_r(struct vcmos *c, uint8_t idx, uint64_t now)
{
	uint8_t v = 0x5A;
	CHECK(vcmos_io(c, 0x70, true, &idx, now) == 1);
	CHECK(vcmos_io(c, 0x71, false, &v, now) == 1);
	return v;
}

/* sec, min, hour, weekday, day, month, year, century: as a guest reads them */
static int cmos_time_is(struct vcmos *c, uint64_t now, const uint8_t want[8])
{
	static const uint8_t idx[8] = {0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32};
	int ok = 1;
	for (int i = 0; i < 8; i++) {
		uint8_t got = cmos_r(c, idx[i], now);
		if (got != want[i]) {
			printf("    # CMOS %#x: %#x, want %#x\n", idx[i], got, want[i]);
			ok = 0;
		}
	}
	return ok;
}

static void cmos_date_formats(void)
{
	struct vcmos c;
	vcmos_init(&c, 1709251198, 64 << 20, T0);		/* 2024-02-29 23:59:58, a Thursday */
	CHECK(cmos_r(&c, 0x0A, T0) == 0x26);			/* 32.768 kHz, 1024 Hz */
	CHECK(cmos_r(&c, 0x0B, T0) == 0x02);			/* 24 h, BCD */
	CHECK(cmos_r(&c, 0x0D, T0) == 0x80);			/* battery good */
	uint8_t v = 0;
	CHECK(vcmos_io(&c, 0x70, false, &v, T0) == 1 && v == 0xFF);	/* write-only index */
	CHECK(vcmos_io(&c, 0x72, false, &v, T0) == 0);
	CHECK(cmos_time_is(&c, T0 + 500 * MS, (const uint8_t[]){0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20}));
	CHECK(cmos_time_is(&c, T0 + 2 * SEC, (const uint8_t[]){0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20}));
	cmos_w(&c, 0x0B, 0x06, T0 + 2 * SEC);			/* binary */
	CHECK(cmos_time_is(&c, T0 + 13 * SEC, (const uint8_t[]){11, 0, 0, 6, 1, 3, 24, 20}));
	cmos_w(&c, 0x0B, 0x00, T0 + 13 * SEC);			/* BCD, 12 hours: midnight is 12 AM */
	CHECK(cmos_r(&c, 0x04, T0 + 13 * SEC) == 0x12);
	CHECK(cmos_r(&c, 0x00, T0 + 13 * SEC) == 0x11);
	/* 23:05:09 in the four formats */
	vcmos_init(&c, 946767909, 64 << 20, T0);
	CHECK(cmos_r(&c, 0x04, T0) == 0x23);
	cmos_w(&c, 0x0B, 0x00, T0);
	CHECK(cmos_r(&c, 0x04, T0) == 0x91);			/* 11 PM, BCD */
	cmos_w(&c, 0x0B, 0x04, T0);
	CHECK(cmos_r(&c, 0x04, T0) == 0x8B);			/* 11 PM, binary */
	cmos_w(&c, 0x0B, 0x06, T0);
	CHECK(cmos_r(&c, 0x04, T0) == 23 && cmos_r(&c, 0x00, T0) == 9 && cmos_r(&c, 0x06, T0) == 7);
	/* noon: 12 PM */
	vcmos_init(&c, 946728000, 64 << 20, T0);		/* 2000-01-01 12:00:00 */
	cmos_w(&c, 0x0B, 0x00, T0);
	CHECK(cmos_r(&c, 0x04, T0) == 0x92);
	/* the clock follows the time passed in, not a tick count: an hour later */
	CHECK(cmos_r(&c, 0x04, T0 + 3600 * SEC) == 0x81);
}

static void cmos_memory_and_storage(void)
{
	struct vcmos c;
	vcmos_init(&c, 0, 64 << 20, T0);
	CHECK(cmos_r(&c, 0x15, T0) == 0x80 && cmos_r(&c, 0x16, T0) == 0x02);	/* 640 KiB */
	CHECK(cmos_r(&c, 0x17, T0) == 0x00 && cmos_r(&c, 0x18, T0) == 0xFC);	/* 63 MiB = 64512 KiB */
	CHECK(cmos_r(&c, 0x30, T0) == 0x00 && cmos_r(&c, 0x31, T0) == 0xFC);
	CHECK(cmos_r(&c, 0x34, T0) == 0x00 && cmos_r(&c, 0x35, T0) == 0x03);	/* 48 MiB / 64 KiB */
	uint8_t eq = cmos_r(&c, 0x14, T0);
	CHECK((eq & 0x01) == 0 && (eq & 0x02) && (eq & 0x30) == 0);	/* no floppy, FPU, VGA */
	unsigned sum = 0;
	for (uint8_t i = 0x10; i <= 0x2D; i++)
		sum += cmos_r(&c, i, T0);
	CHECK(sum == ((unsigned)cmos_r(&c, 0x2E, T0) << 8 | cmos_r(&c, 0x2F, T0)));
	vcmos_init(&c, 0, 1ull << 30, T0);
	CHECK(cmos_r(&c, 0x17, T0) == 0xFF && cmos_r(&c, 0x18, T0) == 0xFF);	/* capped */
	CHECK(cmos_r(&c, 0x30, T0) == 0xFF && cmos_r(&c, 0x31, T0) == 0xFF);
	CHECK(cmos_r(&c, 0x34, T0) == 0x00 && cmos_r(&c, 0x35, T0) == 0x3F);	/* 1008 MiB */
	vcmos_init(&c, 0, 8 << 20, T0);
	CHECK(cmos_r(&c, 0x34, T0) == 0 && cmos_r(&c, 0x35, T0) == 0);
	CHECK(cmos_r(&c, 0x17, T0) == 0x00 && cmos_r(&c, 0x18, T0) == 0x1C);	/* 7168 KiB */
	/* plain storage, 0x0E-0x7F; bit 7 of the index is the NMI mask, not part of the index */
	int ok = 1;
	for (unsigned i = 0x0E; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		cmos_w(&c, (uint8_t)i, (uint8_t)(i ^ 0xA5), T0);
	}
	for (unsigned i = 0x0E; i < 0x80; i++)
		if (i != 0x32 && cmos_r(&c, (uint8_t)i, T0) != (uint8_t)(i ^ 0xA5))
			ok = 0;
	CHECK(ok);
	cmos_w(&c, 0xC0, 0x77, T0);				/* NMI off, index 0x40 */
	CHECK(c.nmi_masked);
	CHECK(cmos_r(&c, 0x40, T0) == 0x77);
	CHECK(!c.nmi_masked);
	CHECK(cmos_r(&c, 0x0D, T0) == 0x80);
	cmos_w(&c, 0x0D, 0x00, T0);				/* read-only */
	CHECK(cmos_r(&c, 0x0D, T0) == 0x80);
}

static void cmos_uip(void)
{
	struct vcmos c;
	vcmos_init(&c, 1000, 64 << 20, T0);
	CHECK(cmos_r(&c, 0x0A, T0 + 500 * MS) == 0x26);
	CHECK(cmos_r(&c, 0x0A, T0 + SEC - 300000) == 0x26);
	CHECK(cmos_r(&c, 0x0A, T0 + SEC - 200000) == 0xA6);	/* the last 244 us */
	CHECK(cmos_r(&c, 0x0A, T0 + SEC - 1) == 0xA6);
	CHECK(cmos_r(&c, 0x0A, T0 + SEC) == 0x26);
	CHECK(cmos_r(&c, 0x0A, T0 + 7 * SEC - 100000) == 0xA6);
	/* what Linux's read does: wait for UIP to fall, then read; the seconds turned over with it */
	uint64_t t = T0 + 3 * SEC - 240000;
	while (cmos_r(&c, 0x0A, t) & 0x80)
		t += 10000;
	CHECK(t >= T0 + 3 * SEC && t < T0 + 3 * SEC + 10000);
	CHECK(cmos_r(&c, 0x00, t) == 0x43);			/* 1000 + 3 s = 00:16:43 */
	cmos_w(&c, 0x0A, 0xA3, T0);				/* UIP is read-only, DV and RS stick */
	CHECK(cmos_r(&c, 0x0A, T0 + 500 * MS) == 0x23);
	cmos_w(&c, 0x0B, 0x82, T0);				/* SET: no update, no UIP */
	CHECK(cmos_r(&c, 0x0A, T0 + SEC - 100000) == 0x23);
}

static void cmos_set_time(void)
{
	struct vcmos c;
	vcmos_init(&c, 1709251198, 64 << 20, T0);
	uint64_t t = T0 + 300 * MS;
	/* as an OS sets the clock: SET, the bytes, SET off */
	cmos_w(&c, 0x0B, 0x82, t);
	CHECK(cmos_r(&c, 0x0B, t) == 0x82);
	cmos_w(&c, 0x00, 0x59, t);
	cmos_w(&c, 0x02, 0x59, t);
	cmos_w(&c, 0x04, 0x23, t);
	cmos_w(&c, 0x07, 0x31, t);
	cmos_w(&c, 0x08, 0x12, t);
	cmos_w(&c, 0x09, 0x99, t);
	cmos_w(&c, 0x32, 0x20, t);
	/* frozen while SET is on */
	CHECK(cmos_time_is(&c, t + 5 * SEC, (const uint8_t[]){0x59, 0x59, 0x23, 5, 0x31, 0x12, 0x99, 0x20}));
	t += 5 * SEC;
	cmos_w(&c, 0x0B, 0x02, t);				/* runs on from what was written */
	CHECK(cmos_time_is(&c, T0 + 5 * SEC + 999 * MS, (const uint8_t[]){0x59, 0x59, 0x23, 5, 0x31, 0x12, 0x99, 0x20}));
	/* the divider's phase is kept: the next second comes at T0 + 6 s, into the next century */
	CHECK(cmos_time_is(&c, T0 + 6 * SEC, (const uint8_t[]){0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21}));
	/* one byte written without SET: the rest carries on */
	cmos_w(&c, 0x02, 0x30, T0 + 6 * SEC);
	CHECK(cmos_time_is(&c, T0 + 8 * SEC, (const uint8_t[]){0x02, 0x30, 0x00, 6, 0x01, 0x01, 0x00, 0x21}));
	/* a 12-hour binary write read back in 24-hour BCD: 8 PM -> 20 h */
	cmos_w(&c, 0x0B, 0x84, T0 + 8 * SEC);
	cmos_w(&c, 0x04, 0x88, T0 + 8 * SEC);
	cmos_w(&c, 0x0B, 0x02, T0 + 8 * SEC);
	CHECK(cmos_r(&c, 0x04, T0 + 9 * SEC) == 0x20 && cmos_r(&c, 0x02, T0 + 9 * SEC) == 0x30);
	/* 12 AM written in 12-hour mode is 0 h */
	cmos_w(&c, 0x0B, 0x80, T0 + 9 * SEC);
	cmos_w(&c, 0x04, 0x12, T0 + 9 * SEC);
	cmos_w(&c, 0x0B, 0x02, T0 + 9 * SEC);
	CHECK(cmos_r(&c, 0x04, T0 + 9 * SEC) == 0x00);
	/* a leap day set by hand */
	cmos_w(&c, 0x0B, 0x86, T0 + 10 * SEC);			/* SET, binary */
	static const uint8_t when[][2] = {{0x00, 59}, {0x02, 59}, {0x04, 23}, {0x07, 28}, {0x08, 2}, {0x09, 28}, {0x32, 20}};
	for (unsigned i = 0; i < 7; i++)
		cmos_w(&c, when[i][0], when[i][1], T0 + 10 * SEC);
	cmos_w(&c, 0x0B, 0x06, T0 + 10 * SEC);
	CHECK(cmos_time_is(&c, T0 + 11 * SEC, (const uint8_t[]){0, 0, 0, 3, 29, 2, 28, 20}));	/* Tuesday 2028-02-29 */
}

/* Read register C the way an RTC interrupt handler does: returns it. */
static uint8_t cmos_ack(struct vcmos *c, uint64_t now)
{
	return cmos_r(c, 0x0C, now);
}

static void cmos_periodic(void)
{
	struct vcmos c;
	vcmos_init(&c, 0, 64 << 20, T0);
	CHECK(!vcmos_sync(&c, T0 + 10 * SEC));			/* no interrupt enabled */
	CHECK(vcmos_next_event_ns(&c) == UINT64_MAX);
	CHECK(cmos_ack(&c, T0 + 10 * SEC) == 0x50);		/* ... but the flags are set (PF, UF) */
	CHECK(cmos_ack(&c, T0 + 10 * SEC) == 0x00);		/* and the read cleared them */
	uint64_t t = T0 + 10 * SEC;
	cmos_w(&c, 0x0B, 0x42, t);				/* PIE at 1024 Hz */
	uint64_t due = vcmos_next_event_ns(&c);
	CHECK(due > t && due <= t + 976563);
	CHECK(!vcmos_sync(&c, due - 1));
	CHECK(vcmos_sync(&c, due));
	CHECK(cmos_ack(&c, due) == 0xC0);			/* IRQF | PF */
	CHECK(!vcmos_sync(&c, due));				/* the read dropped the line */
	CHECK(vcmos_next_event_ns(&c) - due >= 976562 && vcmos_next_event_ns(&c) - due <= 976563);
	/* one second of interrupts, acknowledged at random moments: 1024 of them, none lost */
	unsigned n = 0;
	uint64_t start = T0 + 20 * SEC, now = start;
	cmos_ack(&c, start);
	while (now < start + SEC) {
		now += 1 + rnd(900000);
		if (vcmos_sync(&c, now)) {
			n++;
			CHECK(cmos_ack(&c, now) & 0x40);
		}
	}
	CHECK(n >= 1023 && n <= 1025);
	/* other rates: 15 is 2 Hz, 3 is 8192 Hz, 1 and 2 are 256 and 128 Hz; 0 is off */
	static const struct { uint8_t rs; uint64_t period; } rate[] = {
		{15, 500000000}, {3, 122071}, {1, 3906250}, {2, 7812500}, {10, 15625000},
	};
	for (unsigned i = 0; i < sizeof rate / sizeof rate[0]; i++) {
		now = T0 + (uint64_t)(30 + i) * SEC + MS;
		cmos_ack(&c, now);
		cmos_w(&c, 0x0A, (uint8_t)(0x20 | rate[i].rs), now);
		CHECK((cmos_ack(&c, now) & 0x40) == 0);		/* a new rate starts no tick by itself */
		due = vcmos_next_event_ns(&c);
		CHECK(due > now && due <= now + rate[i].period);
		CHECK(!vcmos_sync(&c, due - 1) && vcmos_sync(&c, due));
		cmos_ack(&c, due);
		uint64_t next = vcmos_next_event_ns(&c);
		CHECK(next - due + 1 >= rate[i].period && next - due <= rate[i].period);
	}
	cmos_w(&c, 0x0A, 0x20, T0 + 40 * SEC);
	cmos_ack(&c, T0 + 40 * SEC);
	CHECK(vcmos_next_event_ns(&c) == UINT64_MAX);
	CHECK(cmos_ack(&c, T0 + 50 * SEC) == 0x10);		/* no PF at rate 0; UF still */
	/* a flag already set raises the line as soon as its interrupt is enabled */
	cmos_w(&c, 0x0B, 0x02, T0 + 50 * SEC);
	cmos_w(&c, 0x0A, 0x26, T0 + 50 * SEC);
	CHECK(!vcmos_sync(&c, T0 + 51 * SEC));
	cmos_w(&c, 0x0B, 0x42, T0 + 51 * SEC);
	CHECK(vcmos_sync(&c, T0 + 51 * SEC));
	cmos_w(&c, 0x0B, 0x02, T0 + 51 * SEC);			/* and falls when it is disabled */
	CHECK(!vcmos_sync(&c, T0 + 51 * SEC));
	CHECK(cmos_ack(&c, T0 + 51 * SEC) == 0x50);
}

static void cmos_update_and_alarm(void)
{
	struct vcmos c;
	vcmos_init(&c, 36000, 64 << 20, T0);			/* 1970-01-01 10:00:00 */
	cmos_w(&c, 0x0B, 0x12, T0 + 100 * MS);			/* UIE */
	CHECK(vcmos_next_event_ns(&c) == T0 + SEC);
	CHECK(!vcmos_sync(&c, T0 + SEC - 1));
	CHECK(vcmos_sync(&c, T0 + SEC));
	CHECK(cmos_ack(&c, T0 + SEC) == 0xD0);			/* IRQF | UF, and PF (not enabled) */
	CHECK(vcmos_next_event_ns(&c) == T0 + 2 * SEC);
	/* alarm at 10:00:03 */
	cmos_w(&c, 0x0B, 0x22, T0 + SEC);			/* AIE only */
	cmos_w(&c, 0x01, 0x03, T0 + SEC);
	cmos_w(&c, 0x03, 0x00, T0 + SEC);
	cmos_w(&c, 0x05, 0x10, T0 + SEC);
	CHECK(cmos_r(&c, 0x01, T0 + SEC) == 0x03);		/* alarm bytes read back */
	CHECK(!vcmos_sync(&c, T0 + 2 * SEC + 999 * MS));
	CHECK(vcmos_sync(&c, T0 + 3 * SEC));
	CHECK((cmos_ack(&c, T0 + 3 * SEC) & 0xA0) == 0xA0);	/* IRQF | AF */
	CHECK(!vcmos_sync(&c, T0 + 70 * SEC));			/* a day before it matches again */
	CHECK((cmos_ack(&c, T0 + 70 * SEC) & 0x20) == 0);
	/* "don't care" bytes: every minute at :30 */
	cmos_w(&c, 0x01, 0x30, T0 + 70 * SEC);
	cmos_w(&c, 0x03, 0xC0, T0 + 70 * SEC);
	cmos_w(&c, 0x05, 0xFF, T0 + 70 * SEC);
	CHECK(!vcmos_sync(&c, T0 + 89 * SEC));			/* 10:01:29 */
	CHECK(vcmos_sync(&c, T0 + 90 * SEC));			/* 10:01:30 */
	cmos_ack(&c, T0 + 90 * SEC);
	CHECK(!vcmos_sync(&c, T0 + 149 * SEC));
	CHECK(vcmos_sync(&c, T0 + 150 * SEC));
	cmos_ack(&c, T0 + 150 * SEC);
	/* all three don't care: once a second */
	cmos_w(&c, 0x01, 0xC0, T0 + 150 * SEC);
	CHECK(vcmos_sync(&c, T0 + 151 * SEC));
	cmos_ack(&c, T0 + 151 * SEC);
	/* a missed alarm second is still seen when the VMM looks late */
	cmos_w(&c, 0x01, 0x00, T0 + 151 * SEC);
	cmos_w(&c, 0x03, 0x05, T0 + 151 * SEC);
	cmos_w(&c, 0x05, 0x10, T0 + 151 * SEC);		/* 10:05:00, 300 s after T0 */
	CHECK(!vcmos_sync(&c, T0 + 299 * SEC));
	CHECK(vcmos_sync(&c, T0 + 310 * SEC));
	cmos_ack(&c, T0 + 310 * SEC);
	/* the alarm in 12-hour format compares with the 12-hour hour byte */
	cmos_w(&c, 0x0B, 0x20, T0 + 310 * SEC);			/* AIE, BCD, 12 h */
	cmos_w(&c, 0x05, 0x10, T0 + 310 * SEC);			/* 10 AM */
	cmos_w(&c, 0x03, 0x06, T0 + 310 * SEC);
	cmos_w(&c, 0x01, 0x00, T0 + 310 * SEC);
	CHECK(vcmos_sync(&c, T0 + 360 * SEC));			/* 10:06:00 */
	cmos_ack(&c, T0 + 360 * SEC);
	/* SET stops updates: no UF, no AF; and it clears UIE */
	cmos_w(&c, 0x01, 0xC0, T0 + 360 * SEC);
	cmos_w(&c, 0x0B, 0xB2, T0 + 360 * SEC);
	CHECK(cmos_r(&c, 0x0B, T0 + 360 * SEC) == 0xA2);
	CHECK(vcmos_next_event_ns(&c) == UINT64_MAX);
	CHECK(!vcmos_sync(&c, T0 + 365 * SEC));
	CHECK((cmos_ack(&c, T0 + 365 * SEC) & 0x30) == 0);
}

static void cmos_irq8_through_vio(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 1709251198, 64 << 20, NULL, NULL);
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xFB, 0xFE};
	for (unsigned i = 0; i < sizeof port / sizeof port[0]; i++)
		vio_out(&v, port[i], 1, val[i], T0);
	CHECK(vio_in(&v, 0x70, 1, T0, &c) == 0xFF && c == 1);
	CHECK(vio_out(&v, 0x70, 1, 0x09, T0) == 1);
	CHECK(vio_in(&v, 0x71, 1, T0, &c) == 0x24 && c == 1);	/* the year, through the ports */
	vio_out(&v, 0x70, 1, 0x0C, T0);
	vio_in(&v, 0x71, 1, T0, &c);
	vio_out(&v, 0x70, 1, 0x0B, T0);
	vio_out(&v, 0x71, 1, 0x42, T0);				/* PIE, 1024 Hz */
	CHECK(vpic_pending(&v.pic) == -1);
	uint64_t due = vio_next_event_ns(&v);
	CHECK(due > T0 && due <= T0 + 976563);
	vio_sync(&v, due);
	CHECK(vpic_ack(&v.pic) == 0x28);			/* IRQ 8 */
	vio_out(&v, 0xA0, 1, 0x20, due);
	vio_out(&v, 0x20, 1, 0x20, due);
	vio_sync(&v, due + 2 * MS);
	CHECK(vpic_pending(&v.pic) == -1);			/* C not read: the line stays high */
	vio_out(&v, 0x70, 1, 0x0C, due + 2 * MS);
	CHECK(vio_in(&v, 0x71, 1, due + 2 * MS, &c) == 0xC0);
	vio_sync(&v, due + 3 * MS);
	CHECK(vpic_ack(&v.pic) == 0x28);			/* read: the next tick is a new edge */
}

/* ---- vkbd ---- */

static void kbd_out(struct vkbd *k, uint16_t port, uint8_t v)
{
	CHECK(vkbd_io(k, port, true, &v) == 1);
}

static uint8_t kbd_in(struct vkbd *k, uint16_t port)
{
	uint8_t v = 0x5A;
	CHECK(vkbd_io(k, port, false, &v) == 1);
	return v;
}

/* A controller command with one reply byte, polled as a driver does. */
static int kbd_cmd_reply(struct vkbd *k, uint8_t cmd)
{
	kbd_out(k, 0x64, cmd);
	if (!(kbd_in(k, 0x64) & 0x01))
		return -1;
	return kbd_in(k, 0x60);
}

/* Read everything queued (up to max bytes) into buf; returns how many. */
static unsigned kbd_drain(struct vkbd *k, uint8_t *buf, unsigned max)
{
	unsigned n = 0;
	while ((kbd_in(k, 0x64) & 0x01) && n < max)
		buf[n++] = kbd_in(k, 0x60);
	return n;
}

static int bytes_are(const uint8_t *got, unsigned n, const uint8_t *want, unsigned m)
{
	int ok = n == m && memcmp(got, want, n) == 0;
	if (!ok) {
		printf("    # got");
		for (unsigned i = 0; i < n; i++)
			printf(" %02x", got[i]);
		printf(", want");
		for (unsigned i = 0; i < m; i++)
			printf(" %02x", want[i]);
		printf("\n");
	}
	return ok;
}

#define EXPECT_BYTES(k, ...) do { uint8_t _b[64]; static const uint8_t _w[] = {__VA_ARGS__}; \
	unsigned _n = kbd_drain(k, _b, sizeof _b); CHECK(bytes_are(_b, _n, _w, sizeof _w)); } while (0)

static void kbd_controller(void)
{
	struct vkbd k;
	vkbd_init(&k);
	CHECK(kbd_in(&k, 0x64) == 0x14);			/* SYS, not inhibited, nothing to read */
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x61);			/* kbd interrupt, aux off, translation */
	CHECK((kbd_in(&k, 0x64) & 0x09) == 0x08);		/* A2: the last write was a command */
	CHECK(kbd_cmd_reply(&k, 0xAA) == 0x55);
	CHECK(kbd_cmd_reply(&k, 0xAB) == 0x00);
	CHECK(kbd_cmd_reply(&k, 0xA9) == 0x00);
	CHECK(kbd_cmd_reply(&k, 0xA4) == 0xF1);
	CHECK(kbd_cmd_reply(&k, 0xC0) == 0x80);
	CHECK(kbd_cmd_reply(&k, 0xD0) == 0xCF);			/* not in reset, A20 on */
	kbd_out(&k, 0x64, 0x60);
	kbd_out(&k, 0x60, 0x47);
	CHECK((kbd_in(&k, 0x64) & 0x09) == 0x00);		/* data write: A2 clear, no reply */
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x47);
	kbd_out(&k, 0x64, 0xA8);				/* aux on, kbd off, then back */
	kbd_out(&k, 0x64, 0xAD);
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x57);
	kbd_out(&k, 0x64, 0xAE);
	kbd_out(&k, 0x64, 0xA7);
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x67);
	/* internal RAM through 0x21-0x3F / 0x61-0x7F */
	kbd_out(&k, 0x64, 0x65);
	kbd_out(&k, 0x60, 0x3C);
	CHECK(kbd_cmd_reply(&k, 0x25) == 0x3C);
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x67);
	/* an unknown command is ignored: no reply */
	CHECK(kbd_cmd_reply(&k, 0xC8) == -1);
	/* the output buffer with nothing new still reads its last byte */
	CHECK(kbd_in(&k, 0x60) == 0x67);
	/* 0xD2: a byte as if from the keyboard (untranslated) */
	kbd_out(&k, 0x64, 0xD2);
	kbd_out(&k, 0x60, 0x02);
	CHECK(kbd_in(&k, 0x64) == 0x15);
	CHECK(kbd_in(&k, 0x60) == 0x02);
	CHECK(!k.reset_requested);
	CHECK(vkbd_io(&k, 0x61, false, &(uint8_t){0}) == 0);	/* port B is the PIT's */
}

static void kbd_keyboard_commands(void)
{
	struct vkbd k;
	vkbd_init(&k);
	kbd_out(&k, 0x60, 0xFF);
	EXPECT_BYTES(&k, 0xFA, 0xAA);
	kbd_out(&k, 0x60, 0xF2);
	EXPECT_BYTES(&k, 0xFA, 0xAB, 0x41);			/* through the translation */
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x00);
	EXPECT_BYTES(&k, 0xFA, 0xFA, 0x41);			/* set 2, translated */
	kbd_out(&k, 0x64, 0x60);
	kbd_out(&k, 0x60, 0x01);				/* translation off */
	kbd_out(&k, 0x60, 0xF2);
	EXPECT_BYTES(&k, 0xFA, 0xAB, 0x83);
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x00);
	EXPECT_BYTES(&k, 0xFA, 0xFA, 0x02);
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x01);
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x00);
	EXPECT_BYTES(&k, 0xFA, 0xFA, 0xFA, 0xFA, 0x01);
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x04);				/* no such set */
	EXPECT_BYTES(&k, 0xFA, 0xFE);
	kbd_out(&k, 0x60, 0xED);
	kbd_out(&k, 0x60, 0x07);
	EXPECT_BYTES(&k, 0xFA, 0xFA);
	CHECK(k.leds == 7);
	kbd_out(&k, 0x60, 0xF3);
	kbd_out(&k, 0x60, 0x20);
	EXPECT_BYTES(&k, 0xFA, 0xFA);
	kbd_out(&k, 0x60, 0xEE);
	EXPECT_BYTES(&k, 0xEE);
	kbd_out(&k, 0x60, 0xF5);
	kbd_out(&k, 0x60, 0xF4);
	EXPECT_BYTES(&k, 0xFA, 0xFA);
	kbd_out(&k, 0x60, 0x00);				/* not a command */
	kbd_out(&k, 0x60, 0xE5);
	EXPECT_BYTES(&k, 0xFE, 0xFE);
	kbd_out(&k, 0x60, 0xEE);
	kbd_out(&k, 0x60, 0xFE);				/* resend */
	EXPECT_BYTES(&k, 0xEE, 0xEE);
	/* F5 restored the defaults: set 2 again */
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x00);
	EXPECT_BYTES(&k, 0xFA, 0xFA, 0x02);
	/* a controller reply overtakes keyboard bytes that are waiting */
	kbd_out(&k, 0x60, 0xEE);
	CHECK(kbd_cmd_reply(&k, 0x20) == 0x01);
	EXPECT_BYTES(&k, 0xEE);
}

/* An independent reading of set 1 codes, as a guest driver's US keymap has it. */
static char set1_char(uint8_t code, int shift)
{
	static const char lo[] = "\0\0331234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
	static const char hi[] = "\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
	if (code >= sizeof lo - 1)
		return 0;
	return shift ? hi[code] : lo[code];
}

/* Decode a set 1 stream of make/break codes into characters (shift and ctrl as modifiers). */
static unsigned set1_decode(const uint8_t *b, unsigned n, char *out)
{
	int shift = 0, ctrl = 0;
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = b[i] & 0x7F;
		bool brk = b[i] & 0x80;
		if (c == 0x2A || c == 0x36)
			shift = !brk;
		else if (c == 0x1D)
			ctrl = !brk;
		else if (!brk) {
			char ch = set1_char(c, shift);
			out[m++] = ctrl && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 1) : ch;
		}
	}
	return m;
}

static void kbd_scan_codes(void)
{
	struct vkbd k;
	vkbd_init(&k);
	CHECK(vkbd_input(&k, 'a'));
	EXPECT_BYTES(&k, 0x1E, 0x9E);				/* set 2 translated to set 1 */
	CHECK(vkbd_input(&k, 'A'));
	EXPECT_BYTES(&k, 0x2A, 0x1E, 0x9E, 0xAA);
	CHECK(vkbd_input(&k, '\r'));
	EXPECT_BYTES(&k, 0x1C, 0x9C);
	CHECK(vkbd_input(&k, 3));				/* Ctrl-C */
	EXPECT_BYTES(&k, 0x1D, 0x2E, 0xAE, 0x9D);
	CHECK(vkbd_input(&k, 0x7F));
	EXPECT_BYTES(&k, 0x0E, 0x8E);
	CHECK(vkbd_input(&k, 0x1B));
	EXPECT_BYTES(&k, 0x01, 0x81);
	CHECK(!vkbd_input(&k, (char)0xE9));			/* no key for it */
	CHECK(!(kbd_in(&k, 0x64) & 0x01));
	/* every printable character and the control keys, read back through a set 1 keymap */
	static const char text[] = "The quick brown fox: jumps over 12 lazy dogs! @#$%^&*()_+{}|\"<>?~`-=[]\\;',./\t\n\b";
	char got[sizeof text];
	uint8_t b[VKBD_QUEUE];
	unsigned m = 0;
	for (unsigned i = 0; text[i]; i++) {
		CHECK(vkbd_input(&k, text[i]));
		unsigned n = kbd_drain(&k, b, sizeof b);
		m += set1_decode(b, n, got + m);
	}
	CHECK(m == sizeof text - 1 && memcmp(got, text, m) == 0);
	/* set 2 without translation */
	kbd_out(&k, 0x64, 0x60);
	kbd_out(&k, 0x60, 0x01);
	CHECK(vkbd_input(&k, 'a'));
	EXPECT_BYTES(&k, 0x1C, 0xF0, 0x1C);
	CHECK(vkbd_input(&k, '?'));
	EXPECT_BYTES(&k, 0x12, 0x4A, 0xF0, 0x4A, 0xF0, 0x12);
	CHECK(vkbd_input(&k, 1));				/* Ctrl-A */
	EXPECT_BYTES(&k, 0x14, 0x1C, 0xF0, 0x1C, 0xF0, 0x14);
	/* set 1 without translation: the keyboard sends set 1 itself */
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x01);
	EXPECT_BYTES(&k, 0xFA, 0xFA);
	CHECK(vkbd_input(&k, 'Z'));
	EXPECT_BYTES(&k, 0x2A, 0x2C, 0xAC, 0xAA);
	/* set 3: Esc and Ctrl have their own codes */
	kbd_out(&k, 0x60, 0xF0);
	kbd_out(&k, 0x60, 0x03);
	EXPECT_BYTES(&k, 0xFA, 0xFA);
	CHECK(vkbd_input(&k, 0x1B));
	EXPECT_BYTES(&k, 0x08, 0xF0, 0x08);
	CHECK(vkbd_input(&k, 2));
	EXPECT_BYTES(&k, 0x11, 0x32, 0xF0, 0x32, 0xF0, 0x11);
}

static void kbd_enable_irq_overflow(void)
{
	struct vkbd k;
	vkbd_init(&k);
	CHECK(!k.irq1);
	vkbd_input(&k, 'x');
	CHECK(k.irq1 && !k.irq12);
	kbd_in(&k, 0x60);
	CHECK(k.irq1);				/* the break code is there */
	kbd_in(&k, 0x60);
	CHECK(!k.irq1);
	/* command byte bit 0 off: data, no interrupt */
	kbd_out(&k, 0x64, 0x60);
	kbd_out(&k, 0x60, 0x40);
	vkbd_input(&k, 'x');
	CHECK(!k.irq1 && (kbd_in(&k, 0x64) & 0x01));
	kbd_drain(&k, (uint8_t[8]){0}, 8);
	kbd_out(&k, 0x64, 0x60);
	kbd_out(&k, 0x60, 0x41);
	/* the controller's disable (0xAD, command byte bit 4) and the keyboard's own (0xF5) */
	kbd_out(&k, 0x64, 0xAD);
	CHECK(!vkbd_input(&k, 'x'));
	CHECK(!(kbd_in(&k, 0x64) & 0x01));
	kbd_out(&k, 0x64, 0xAE);
	CHECK(vkbd_input(&k, 'x'));
	kbd_drain(&k, (uint8_t[8]){0}, 8);
	kbd_out(&k, 0x60, 0xF5);
	kbd_drain(&k, (uint8_t[8]){0}, 8);
	CHECK(!vkbd_input(&k, 'x'));
	kbd_out(&k, 0x60, 0xF4);
	kbd_drain(&k, (uint8_t[8]){0}, 8);
	CHECK(vkbd_input(&k, 'x'));
	kbd_drain(&k, (uint8_t[8]){0}, 8);
	/* overflow: whole keystrokes are dropped, never half of one */
	unsigned typed = 0;
	for (int i = 0; i < 100; i++)
		typed += vkbd_input(&k, i & 1 ? 'Q' : 'q');
	CHECK(typed > 0 && typed < 100);
	uint8_t b[VKBD_QUEUE + 8];
	unsigned n = kbd_drain(&k, b, sizeof b);
	char got[100];
	CHECK(set1_decode(b, n, got) == typed);
	int shift_open = 0, balanced = 1;
	for (unsigned i = 0; i < n; i++) {
		if (b[i] == 0x2A)
			shift_open++;
		if (b[i] == 0xAA)
			shift_open--;
	}
	balanced = shift_open == 0 && (n == 0 || b[n - 1] == 0x90 || b[n - 1] == 0xAA);
	CHECK(balanced);
	CHECK(vkbd_input(&k, 'q'));				/* room again */
}

static void kbd_through_vio(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xF9, 0xEF};
	for (unsigned i = 0; i < sizeof port / sizeof port[0]; i++)
		vio_out(&v, port[i], 1, val[i], T0);
	vio_input(&v, 'k', T0);
	CHECK(vpic_ack(&v.pic) == 0x21);
	CHECK(vio_in(&v, 0x64, 1, T0, &c) == 0x15 && c == 1);
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0x25);		/* 'k' make */
	vio_out(&v, 0x20, 1, 0x20, T0);
	/* the break code took its place: one interrupt per byte */
	CHECK(vpic_ack(&v.pic) == 0x21);
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0xA5);
	vio_out(&v, 0x20, 1, 0x20, T0);
	CHECK(vpic_pending(&v.pic) == -1);
	/* the aux port: nothing plugged in answers 0xFE, on IRQ 12 when enabled */
	vio_out(&v, 0x64, 1, 0x60, T0);
	vio_out(&v, 0x60, 1, 0x43, T0);				/* + aux interrupt */
	vio_out(&v, 0x64, 1, 0xD4, T0);
	vio_out(&v, 0x60, 1, 0xF2, T0);
	CHECK(vio_in(&v, 0x64, 1, T0, &c) == 0x35);		/* OBF | AUXB */
	CHECK(vpic_ack(&v.pic) == 0x2C);			/* IRQ 12 */
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0xFE);
	vio_out(&v, 0xA0, 1, 0x20, T0);
	vio_out(&v, 0x20, 1, 0x20, T0);
	vio_out(&v, 0x64, 1, 0xD3, T0);				/* aux loopback */
	vio_out(&v, 0x60, 1, 0x5A, T0);
	CHECK(vio_in(&v, 0x64, 1, T0, &c) == 0x35);
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0x5A);
	/* A20 through the output port and port 0x92 (the same gate) */
	CHECK(vio_in(&v, 0x92, 1, T0, &c) == 0x02 && c == 1);
	vio_out(&v, 0x64, 1, 0xD1, T0);
	vio_out(&v, 0x60, 1, 0x01, T0);				/* A20 off, not reset */
	CHECK(vio_in(&v, 0x92, 1, T0, &c) == 0x00);
	vio_out(&v, 0x64, 1, 0xD0, T0);
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0xCD);
	vio_out(&v, 0x92, 1, 0x02, T0);
	vio_out(&v, 0x64, 1, 0xD0, T0);
	CHECK(vio_in(&v, 0x60, 1, T0, &c) == 0xCF);
	vio_out(&v, 0x64, 1, 0xFF, T0);				/* pulse no line */
	CHECK(!v.reset_requested && !v.kbd.reset_requested);
	/* each way to reset the machine */
	static const struct { uint16_t port; uint8_t a, b; const char *how; } way[] = {
		{0x64, 0xFE, 0, "0xFE"}, {0x64, 0xF0, 0, "pulse"}, {0x64, 0xD1, 0x00, "0xD1"}, {0x92, 0x01, 0, "0x92"},
	};
	for (unsigned i = 0; i < sizeof way / sizeof way[0]; i++) {
		vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
		vio_out(&v, way[i].port, 1, way[i].a, T0);
		if (way[i].a == 0xD1)
			vio_out(&v, 0x60, 1, way[i].b, T0);
		CHECK(v.reset_requested && !v.exit_requested);
		CHECK(v.reset_how && strstr(v.reset_how, way[i].how));
	}
}

/* ---- vpm ---- */

#define PM_TICKS(ns) ((uint64_t)(ns) / SEC * 3579545 + (uint64_t)(ns) % SEC * 3579545 / SEC)

static void pm_timer(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	CHECK(vio_in(&v, 0x608, 4, T0, &c) == 0 && c == 1);
	CHECK(vio_in(&v, 0x608, 4, T0 + SEC, &c) == 3579545);
	CHECK(vio_in(&v, 0x608, 4, T0 + 5 * SEC, &c) == 1120509);	/* 24 bits: wrapped at 4.69 s */
	/* byte and word reads at one instant agree with the dword */
	uint64_t t = T0 + 3 * SEC + 123457;
	uint32_t d = vio_in(&v, 0x608, 4, t, &c);
	uint32_t b = vio_in(&v, 0x608, 1, t, &c) | vio_in(&v, 0x609, 1, t, &c) << 8 | vio_in(&v, 0x60A, 1, t, &c) << 16 |
		     vio_in(&v, 0x60B, 1, t, &c) << 24;
	uint32_t w = vio_in(&v, 0x608, 2, t, &c) | vio_in(&v, 0x60A, 2, t, &c) << 16;
	CHECK(d == b && d == w && d == (PM_TICKS(3 * SEC + 123457) & 0xFFFFFF));
	/* monotonic between wraps, and read-only */
	uint32_t prev = vio_in(&v, 0x608, 4, T0 + SEC, &c), mono = 1;
	for (uint64_t s = T0 + SEC; s < T0 + 4 * SEC; s += 1 + rnd(3 * MS)) {
		uint32_t x = vio_in(&v, 0x608, 4, s, &c);
		mono &= x >= prev;
		prev = x;
	}
	CHECK(mono);
	vio_out(&v, 0x608, 4, 0, T0 + SEC);
	CHECK(vio_in(&v, 0x608, 4, T0 + SEC, &c) == 3579545);
}

static void pm_events_and_sci(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xFB, 0xFD};
	for (unsigned i = 0; i < sizeof port / sizeof port[0]; i++)
		vio_out(&v, port[i], 1, val[i], T0);
	CHECK(vio_in(&v, 0x604, 2, T0, &c) == 0x0001 && c == 1);	/* SCI_EN: ACPI mode */
	CHECK(vio_in(&v, 0x600, 2, T0, &c) == 0 && vio_in(&v, 0x602, 2, T0, &c) == 0);
	CHECK(vio_in(&v, 0x606, 2, T0, &c) == 0 && c == 1);
	/* TMR_STS rises when bit 23 of the timer changes, every 2.34 s, enabled or not */
	CHECK((vio_in(&v, 0x600, 2, T0 + 2340 * MS, &c) & 1) == 0);
	CHECK((vio_in(&v, 0x600, 2, T0 + 2345 * MS, &c) & 1) == 1);
	CHECK(vpic_pending(&v.pic) == -1);			/* TMR_EN is off */
	CHECK(vpm_next_event_ns(&v.pm) == UINT64_MAX);
	vio_out(&v, 0x600, 2, 0x0000, T0 + 2345 * MS);		/* writing 0 clears nothing */
	CHECK(vio_in(&v, 0x600, 2, T0 + 2345 * MS, &c) == 0x0001);
	vio_out(&v, 0x600, 2, 0x0001, T0 + 2345 * MS);		/* write 1 to clear */
	CHECK(vio_in(&v, 0x600, 2, T0 + 2345 * MS, &c) == 0x0000);
	vio_out(&v, 0x602, 2, 0xFFFF, T0 + 2345 * MS);
	CHECK(vio_in(&v, 0x602, 2, T0 + 2345 * MS, &c) == 0x0721);	/* TMR, GBL, PWRBTN, SLPBTN, RTC */
	vio_out(&v, 0x602, 2, 0x0001, T0 + 2345 * MS);		/* TMR_EN */
	uint64_t due = vpm_next_event_ns(&v.pm);
	CHECK(due == T0 + 4686968875ull);			/* 2^24 ticks, rounded up */
	CHECK(vio_next_event_ns(&v) <= due);
	vio_sync(&v, due - 1);
	CHECK(vpic_pending(&v.pic) == -1 && !v.pm.sci);
	vio_sync(&v, due);
	CHECK(v.pm.sci);
	CHECK(vpic_ack(&v.pic) == 0x29);			/* the SCI on IRQ 9 */
	vio_out(&v, 0xA0, 1, 0x20, due);
	vio_out(&v, 0x20, 1, 0x20, due);
	vio_out(&v, 0x601, 1, 0xFF, due);			/* the high byte's 1s leave TMR_STS */
	CHECK(v.pm.sci);
	vio_out(&v, 0x600, 1, 0x01, due);			/* the handler clears TMR_STS */
	CHECK(!v.pm.sci);
	CHECK(vpic_pending(&v.pic) == -1);
	vio_sync(&v, due + 2400 * MS);				/* the next toggle: a new edge */
	CHECK(vpic_ack(&v.pic) == 0x29);
}

static void pm_sleep_and_reset(void)
{
	struct vio v;
	int c;
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	vio_out(&v, 0x604, 2, 0x1400, T0);			/* SLP_TYP = 5, no SLP_EN */
	CHECK(!v.exit_requested);
	CHECK(vio_in(&v, 0x604, 2, T0, &c) == 0x1401);		/* SCI_EN stays set */
	vio_out(&v, 0x604, 2, 0x2400 | 0x0001, T0);		/* S1 with SLP_EN: not offered, ignored */
	CHECK(!v.exit_requested && !v.pm.off_requested);
	CHECK(vio_in(&v, 0x604, 2, T0, &c) == 0x0401);		/* SLP_EN reads 0 */
	vio_out(&v, 0x604, 2, 0x3400 | 0x0001, T0);		/* S5 */
	CHECK(v.pm.off_requested && v.exit_requested && v.exit_code == 0 && !v.reset_requested);
	/* the high byte alone does it too (a byte-wide PM1_CNT write) */
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	vio_out(&v, 0x605, 1, 0x34, T0);
	CHECK(v.exit_requested && v.exit_code == 0);
	/* the reset register */
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	CHECK(vio_in(&v, 0xCF9, 1, T0, &c) == 0x00 && c == 1);
	vio_out(&v, 0xCF9, 1, 0x02, T0);			/* SYS_RST alone: no reset yet */
	CHECK(!v.reset_requested);
	CHECK(vio_in(&v, 0xCF9, 1, T0, &c) == 0x02);
	vio_out(&v, 0xCF9, 1, 0x06, T0);
	CHECK(v.reset_requested && !v.exit_requested);
	CHECK(v.reset_how && strstr(v.reset_how, "hard reset through 0xCF9"));
	CHECK(vio_in(&v, 0xCF9, 1, T0, &c) == 0x02);		/* RST_CPU does not stick */
	vio_init(&v, T0, 0, 64 << 20, NULL, NULL);
	vio_out(&v, 0xCF9, 1, 0x04, T0);
	CHECK(v.reset_requested && strstr(v.reset_how, "soft"));
	/* the PCI address register next door is untouched by all this */
	CHECK(vio_in(&v, 0xCF8, 4, T0, &c) == 0 && c == 1);
}

int main(void)
{
	fake_machine();
	KTAP_BEGIN(37);
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
	RUN(cmos_date_formats);
	RUN(cmos_memory_and_storage);
	RUN(cmos_uip);
	RUN(cmos_set_time);
	RUN(cmos_periodic);
	RUN(cmos_update_and_alarm);
	RUN(cmos_irq8_through_vio);
	RUN(kbd_controller);
	RUN(kbd_keyboard_commands);
	RUN(kbd_scan_codes);
	RUN(kbd_enable_irq_overflow);
	RUN(kbd_through_vio);
	RUN(pm_timer);
	RUN(pm_events_and_sci);
	RUN(pm_sleep_and_reset);
	KTAP_END();
}
