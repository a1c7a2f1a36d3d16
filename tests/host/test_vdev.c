/* test_vdev.c - host tests of the virtual PC devices (vpic, vpit, vuart, vio, vata with blkcow):
 * each test plays the port sequence a guest kernel would issue and checks what the guest would
 * observe. KTAP output. */
#define _DEFAULT_SOURCE                 /* mmap, for the sparse 2 GiB disk */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
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

/* ---- vata and blkcow: what an ATA driver sees through vio's ports ---- */

#define P0 0x1F0                /* primary command block */
#define C0 0x3F6                /* primary control block */
#define P1 0x170
#define C1 0x376
#define DISK_SECTORS 2048u      /* 1 MiB: 2 cylinders of 16 heads x 63 sectors */

static uint8_t disk_mod[DISK_SECTORS * 512];
static uint8_t disk_orig[DISK_SECTORS * 512];
static struct vio atav, atav2;
static struct blkcow disk_a, disk_b;

static uint8_t pattern(uint32_t s, unsigned i)
{
	return (uint8_t)(s * 7 + i * 13 + (s >> 8) + 1);
}

static void fill_module(void)
{
	for (uint32_t s = 0; s < DISK_SECTORS; s++)
		for (unsigned i = 0; i < 512; i++)
			disk_mod[s * 512 + i] = pattern(s, i);
	memcpy(disk_orig, disk_mod, sizeof disk_mod);
}

static int sector_is_pattern(const uint8_t *buf, uint32_t s)
{
	for (unsigned i = 0; i < 512; i++)
		if (buf[i] != pattern(s, i))
			return 0;
	return 1;
}

static uint8_t inb_(struct vio *v, uint16_t port)
{
	int c;
	uint8_t b = (uint8_t)vio_in(v, port, 1, T0, &c);
	CHECK(c == 1);
	return b;
}

static void outb_(struct vio *v, uint16_t port, uint8_t b)
{
	CHECK(vio_out(v, port, 1, b, T0) == 1);
}

/* A fresh machine, one VM's PC with the 1 MiB disk as primary master. */
static void ata_setup(void)
{
	const char *why = 0;
	fake_machine();
	fill_module();
	vio_init(&atav, T0, 0, 64 << 20, NULL, NULL);
	CHECK(blkcow_init(&disk_a, disk_mod, sizeof disk_mod, 1, &why) == 0);
	vata_attach(&atav.ide[0], 0, &disk_a);
}

/* Task file for an LBA28 command on `drive`. */
static void ata_lba(struct vio *v, uint16_t base, unsigned drive, uint32_t lba, uint8_t count)
{
	outb_(v, (uint16_t)(base + 6), (uint8_t)(0xE0 | drive << 4 | ((lba >> 24) & 0xF)));
	outb_(v, (uint16_t)(base + 2), count);
	outb_(v, (uint16_t)(base + 3), (uint8_t)lba);
	outb_(v, (uint16_t)(base + 4), (uint8_t)(lba >> 8));
	outb_(v, (uint16_t)(base + 5), (uint8_t)(lba >> 16));
}

static void ata_chs(struct vio *v, uint16_t base, unsigned cyl, unsigned head, unsigned sec, uint8_t count)
{
	outb_(v, (uint16_t)(base + 6), (uint8_t)(0xA0 | head));
	outb_(v, (uint16_t)(base + 2), count);
	outb_(v, (uint16_t)(base + 3), (uint8_t)sec);
	outb_(v, (uint16_t)(base + 4), (uint8_t)cyl);
	outb_(v, (uint16_t)(base + 5), (uint8_t)(cyl >> 8));
}

static void read_words(struct vio *v, uint16_t base, uint8_t *buf, unsigned words)
{
	int c;
	for (unsigned i = 0; i < words; i++) {
		uint16_t w = (uint16_t)vio_in(v, base, 2, T0, &c);
		CHECK(c == 1);
		buf[2 * i] = (uint8_t)w;
		buf[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void write_words(struct vio *v, uint16_t base, const uint8_t *buf, unsigned words)
{
	for (unsigned i = 0; i < words; i++)
		CHECK(vio_out(v, base, 2, (uint32_t)(buf[2 * i] | buf[2 * i + 1] << 8), T0) == 1);
}

/* The interrupt-driven PIO read of one sector: INTRQ and DRQ, status read acknowledges, data. */
static void pio_read_sector(struct vio *v, uint16_t base, unsigned ch, uint8_t *buf)
{
	CHECK(v->ide[ch].irq_level);
	CHECK(inb_(v, (uint16_t)(base + 7)) == 0x58);
	CHECK(!v->ide[ch].irq_level);
	read_words(v, base, buf, 256);
}

static uint16_t idw(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

/* An ATA string out of IDENTIFY data (bytes swapped in each word). */
static void id_string(const uint8_t *id, unsigned word, unsigned nwords, char *out)
{
	for (unsigned i = 0; i < 2 * nwords; i++)
		out[i] = (char)id[2 * word + (i ^ 1)];
	out[2 * nwords] = 0;
}

static void ata_identify_into(struct vio *v, uint16_t base, unsigned drive, uint8_t *id)
{
	outb_(v, (uint16_t)(base + 6), (uint8_t)(0xA0 | drive << 4));
	outb_(v, (uint16_t)(base + 7), 0xEC);
	CHECK(inb_(v, (uint16_t)(base + 7)) == 0x58);
	read_words(v, base, id, 256);
	CHECK(inb_(v, (uint16_t)(base + 7)) == 0x50);
}

static void ata_reset_signature(void)
{
	ata_setup();
	struct vio *v = &atav;
	/* power-on: ready, diagnostic passed, the ATA disk signature */
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(inb_(v, P0 + 1) == 0x01);
	CHECK(inb_(v, P0 + 2) == 1 && inb_(v, P0 + 3) == 1);
	CHECK(inb_(v, P0 + 4) == 0 && inb_(v, P0 + 5) == 0);
	CHECK(inb_(v, P0 + 6) == 0xA0);
	/* registers read back; the device register with bits 7 and 5 set */
	outb_(v, P0 + 2, 0x12);
	outb_(v, P0 + 3, 0x34);
	outb_(v, P0 + 4, 0x56);
	outb_(v, P0 + 5, 0x78);
	outb_(v, P0 + 6, 0x45);
	CHECK(inb_(v, P0 + 2) == 0x12 && inb_(v, P0 + 3) == 0x34);
	CHECK(inb_(v, P0 + 4) == 0x56 && inb_(v, P0 + 5) == 0x78);
	CHECK(inb_(v, P0 + 6) == 0xE5);
	/* a transfer in progress, then SRST: busy while asserted, signature when released */
	ata_chs(v, P0, 0, 3, 1, 2);
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x58);
	CHECK(inb_(v, P0 + 6) == 0xA3);
	outb_(v, C0, 0x04);
	CHECK(inb_(v, C0) == 0x90);
	CHECK(inb_(v, P0 + 7) == 0x90);
	outb_(v, P0 + 7, 0xEC);                         /* ignored while BSY */
	outb_(v, C0, 0x00);
	CHECK(inb_(v, C0) == 0x50);
	CHECK(inb_(v, P0 + 1) == 0x01);
	CHECK(inb_(v, P0 + 2) == 1 && inb_(v, P0 + 3) == 1);
	CHECK(inb_(v, P0 + 4) == 0 && inb_(v, P0 + 5) == 0);
	CHECK(inb_(v, P0 + 6) == 0xA0);                 /* head bits cleared, master still selected */
	CHECK(!v->ide[0].irq_level);                    /* no interrupt after a reset */
	int c;
	CHECK(vio_in(v, P0, 2, T0, &c) == 0 && c == 1); /* the transfer is gone */
	CHECK(inb_(v, P0 + 7) == 0x50);
	/* the port's bytes: byte reads of the data port float, 0x3F7 is not the disk's */
	CHECK(inb_(v, P0) == 0xFF);
	CHECK(vio_in(v, C0 + 1, 1, T0, &c) == 0xFF && c == 0);
	/* EXECUTE DEVICE DIAGNOSTIC: signature again, with an interrupt */
	outb_(v, P0 + 2, 0x33);
	outb_(v, P0 + 7, 0x90);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0x01);
	CHECK(inb_(v, P0 + 2) == 1 && inb_(v, P0 + 3) == 1 && inb_(v, P0 + 4) == 0 && inb_(v, P0 + 5) == 0);
	blkcow_destroy(&disk_a);
}

static void ata_identify(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t id[512], id32[512];
	char s[41];
	outb_(v, P0 + 6, 0xA0);
	outb_(v, P0 + 7, 0xEC);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, C0) == 0x58);                     /* alternate status: INTRQ stays */
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x58);
	CHECK(!v->ide[0].irq_level);
	read_words(v, P0, id, 255);
	CHECK(inb_(v, C0) == 0x58);                     /* one word left */
	read_words(v, P0, id + 510, 1);
	CHECK(inb_(v, C0) == 0x50);
	CHECK(!v->ide[0].irq_level);                    /* data-in: no interrupt at the end */
	CHECK(idw(id, 0) == 0x0040);
	CHECK(idw(id, 1) == 2 && idw(id, 3) == 16 && idw(id, 6) == 63);
	id_string(id, 27, 20, s);
	CHECK(strcmp(s, "VMM VIRTUAL ATA DISK                    ") == 0);
	CHECK(id[54] == 'M' && id[55] == 'V');          /* the swap: "VM" is word 0x564D */
	id_string(id, 23, 4, s);
	CHECK(strcmp(s, "1.0     ") == 0);
	id_string(id, 10, 10, s);
	CHECK(strncmp(s, "VMM01F0-0", 9) == 0 && s[19] == ' ');
	CHECK(idw(id, 47) == 0x8010);
	CHECK(idw(id, 49) & (1u << 9));                 /* LBA */
	CHECK(!(idw(id, 49) & (1u << 8)));              /* no DMA */
	CHECK(idw(id, 53) & 1);
	CHECK(idw(id, 54) == 2 && idw(id, 55) == 16 && idw(id, 56) == 63);
	CHECK((idw(id, 57) | (uint32_t)idw(id, 58) << 16) == 2 * 16 * 63);
	CHECK(idw(id, 59) == 0x0110);                   /* multiple 16 is the power-on setting */
	CHECK((idw(id, 60) | (uint32_t)idw(id, 61) << 16) == DISK_SECTORS);
	CHECK(idw(id, 80) == 0x007E && idw(id, 81) == 0x0022);
	CHECK((idw(id, 83) & 0xC000) == 0x4000);        /* word valid */
	CHECK(!(idw(id, 83) & (1u << 10)) && !(idw(id, 86) & (1u << 10)));     /* no LBA48 */
	CHECK(idw(id, 100) == 0 && idw(id, 101) == 0);
	CHECK(id[510] == 0xA5);
	unsigned sum = 0;
	for (unsigned i = 0; i < 512; i++)
		sum += id[i];
	CHECK((sum & 0xFF) == 0);
	/* insl: 32-bit reads are two words each */
	outb_(v, P0 + 7, 0xEC);
	CHECK(inb_(v, P0 + 7) == 0x58);
	int c;
	for (unsigned i = 0; i < 128; i++) {
		uint32_t d = vio_in(v, P0, 4, T0, &c);
		CHECK(c == 1);
		memcpy(id32 + 4 * i, &d, 4);
	}
	CHECK(memcmp(id, id32, 512) == 0);
	CHECK(inb_(v, P0 + 7) == 0x50);
	/* the current settings show up */
	outb_(v, P0 + 2, 4);
	outb_(v, P0 + 7, 0xC6);
	CHECK(inb_(v, P0 + 7) == 0x50);
	outb_(v, P0 + 6, 0xA3);                         /* 4 heads */
	outb_(v, P0 + 2, 32);                           /* 32 sectors per track */
	outb_(v, P0 + 7, 0x91);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_identify_into(v, P0, 0, id);
	CHECK(idw(id, 59) == 0x0104);
	CHECK(idw(id, 54) == 16 && idw(id, 55) == 4 && idw(id, 56) == 32);
	CHECK((idw(id, 57) | (uint32_t)idw(id, 58) << 16) == 2048);
	CHECK(idw(id, 1) == 2 && idw(id, 3) == 16 && idw(id, 6) == 63);  /* defaults stay */
	blkcow_destroy(&disk_a);
}

static void ata_rw_lba28(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t buf[512], w[512];
	/* READ SECTORS: an interrupt and DRQ before each sector, none at the end */
	ata_lba(v, P0, 0, 100, 3);
	outb_(v, P0 + 7, 0x20);
	for (uint32_t s = 100; s < 103; s++) {
		pio_read_sector(v, P0, 0, buf);
		CHECK(sector_is_pattern(buf, s));
	}
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(inb_(v, P0 + 2) == 0);                    /* nothing left */
	CHECK(inb_(v, P0 + 3) == 102 && inb_(v, P0 + 4) == 0 && inb_(v, P0 + 5) == 0);  /* last sector */
	/* WRITE SECTORS (0x31, without retries): DRQ for the first sector without an interrupt */
	ata_lba(v, P0, 0, 1200, 2);
	outb_(v, P0 + 7, 0x31);
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, C0) == 0x58);
	for (unsigned i = 0; i < 512; i++)
		w[i] = (uint8_t)(0xC3 ^ i);
	write_words(v, P0, w, 256);
	CHECK(v->ide[0].irq_level);                     /* first sector written, DRQ for the next */
	CHECK(inb_(v, P0 + 7) == 0x58);
	CHECK(inb_(v, P0 + 3) == 0xB0 && inb_(v, P0 + 4) == 0x04 && inb_(v, P0 + 2) == 1);
	int c;
	for (unsigned i = 0; i < 128; i++)              /* outsl */
		CHECK(vio_out(v, P0, 4, (uint32_t)(w[4 * i] | w[4 * i + 1] << 8 | w[4 * i + 2] << 16 |
						   (uint32_t)w[4 * i + 3] << 24) ^ 0x01010101u, T0) == 1);
	CHECK(v->ide[0].irq_level);                     /* the last sector is written */
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(!v->ide[0].irq_level);
	CHECK(vio_in(v, P0, 2, T0, &c) == 0);           /* no DRQ: the data port gives 0 */
	/* read them back: the VM sees its writes, the module does not change */
	ata_lba(v, P0, 0, 1200, 2);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	pio_read_sector(v, P0, 0, buf);
	CHECK(buf[0] == (w[0] ^ 1) && buf[511] == (w[511] ^ 1));
	CHECK(memcmp(disk_mod, disk_orig, sizeof disk_mod) == 0);
	CHECK(disk_a.copied == 1);                      /* both sectors are in one 4 KiB chunk */
	/* a count of 0 means 256 sectors */
	ata_lba(v, P0, 0, 1000, 0);
	outb_(v, P0 + 7, 0x20);
	for (uint32_t s = 1000; s < 1256; s++) {
		pio_read_sector(v, P0, 0, buf);
		CHECK(s == 1200 || s == 1201 || sector_is_pattern(buf, s));
	}
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(inb_(v, P0 + 3) == (1255 & 0xFF) && inb_(v, P0 + 4) == (1255 >> 8));
	/* READ VERIFY: no data, an interrupt */
	ata_lba(v, P0, 0, 0, 16);
	outb_(v, P0 + 7, 0x40);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50);
	blkcow_destroy(&disk_a);
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.owned[1] == 0);
}

static void ata_rw_chs(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t buf[512], w[512];
	/* default translation 16 heads x 63 sectors: C1 H2 S5 is sector (1*16+2)*63+4 */
	ata_chs(v, P0, 1, 2, 5, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 1138));
	CHECK(inb_(v, P0 + 3) == 5 && inb_(v, P0 + 4) == 1 && inb_(v, P0 + 6) == 0xA2);
	/* across a cylinder: C0 H15 S63 then C1 H0 S1 */
	ata_chs(v, P0, 0, 15, 63, 2);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 1007));
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 1008));
	CHECK(inb_(v, P0 + 3) == 1 && inb_(v, P0 + 4) == 1 && inb_(v, P0 + 5) == 0);
	CHECK(inb_(v, P0 + 6) == 0xA0);
	/* outside the translation: sector 0, sector 64, cylinder 2 */
	ata_chs(v, P0, 0, 0, 0, 1);
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	ata_chs(v, P0, 0, 0, 64, 1);
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	ata_chs(v, P0, 2, 0, 1, 1);
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	/* write in CHS, read in LBA */
	for (unsigned i = 0; i < 512; i++)
		w[i] = (uint8_t)(i * 3);
	ata_chs(v, P0, 0, 1, 1, 1);                     /* sector 63 */
	outb_(v, P0 + 7, 0x30);
	write_words(v, P0, w, 256);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_lba(v, P0, 0, 63, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	/* INITIALIZE DEVICE PARAMETERS: 4 heads, 32 sectors per track */
	outb_(v, P0 + 6, 0xA3);
	outb_(v, P0 + 2, 32);
	outb_(v, P0 + 7, 0x91);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_chs(v, P0, 2, 1, 3, 1);                     /* (2*4+1)*32+2 */
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 290));
	ata_chs(v, P0, 0, 4, 1, 1);                     /* head 4 of 4 */
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	ata_chs(v, P0, 15, 3, 32, 1);                   /* the last CHS sector: 2047 */
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 2047));
	outb_(v, P0 + 2, 0);                            /* 0 sectors per track: refused */
	outb_(v, P0 + 7, 0x91);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	blkcow_destroy(&disk_a);
}

static void ata_multiple(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t buf[512 * 4], w[512 * 6];
	static const uint8_t bad[] = {3, 5, 6, 32, 17, 255};
	for (unsigned i = 0; i < sizeof bad; i++) {
		outb_(v, P0 + 2, bad[i]);
		outb_(v, P0 + 7, 0xC6);
		CHECK(v->ide[0].irq_level);
		CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	}
	outb_(v, P0 + 2, 4);
	outb_(v, P0 + 7, 0xC6);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0);
	/* READ MULTIPLE of 10 sectors: blocks of 4, 4, 2, an interrupt before each */
	ata_lba(v, P0, 0, 50, 10);
	outb_(v, P0 + 7, 0xC4);
	uint32_t s = 50;
	for (unsigned blk = 0; blk < 3; blk++) {
		unsigned n = blk < 2 ? 4 : 2;
		CHECK(v->ide[0].irq_level);
		CHECK(inb_(v, P0 + 7) == 0x58);
		read_words(v, P0, buf, 256 * n - 1);
		CHECK(!v->ide[0].irq_level);                    /* no interrupt inside a block */
		CHECK(inb_(v, C0) == 0x58);
		read_words(v, P0, buf + 512 * n - 2, 1);
		for (unsigned k = 0; k < n; k++, s++)
			CHECK(sector_is_pattern(buf + 512 * k, s));
	}
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 2) == 0 && inb_(v, P0 + 3) == 59);
	/* WRITE MULTIPLE of 6: 4 then 2; an interrupt after each block */
	for (unsigned i = 0; i < sizeof w; i++)
		w[i] = (uint8_t)(i / 512 + 0x40 + i);
	ata_lba(v, P0, 0, 300, 6);
	outb_(v, P0 + 7, 0xC5);
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x58);
	write_words(v, P0, w, 256 * 4 - 1);
	CHECK(!v->ide[0].irq_level && inb_(v, C0) == 0x58);
	write_words(v, P0, w + 2046, 1);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x58 && inb_(v, P0 + 2) == 2);
	write_words(v, P0, w + 2048, 256 * 2);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_lba(v, P0, 0, 300, 6);
	outb_(v, P0 + 7, 0x20);
	for (unsigned k = 0; k < 6; k++) {
		pio_read_sector(v, P0, 0, buf);
		CHECK(memcmp(buf, w + 512 * k, 512) == 0);
	}
	CHECK(memcmp(disk_mod, disk_orig, sizeof disk_mod) == 0);
	/* multiple mode off: READ/WRITE MULTIPLE are refused */
	outb_(v, P0 + 2, 0);
	outb_(v, P0 + 7, 0xC6);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_lba(v, P0, 0, 0, 1);
	outb_(v, P0 + 7, 0xC4);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	outb_(v, P0 + 7, 0xC5);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	/* multiple 1 works like READ SECTORS */
	outb_(v, P0 + 2, 1);
	outb_(v, P0 + 7, 0xC6);
	ata_lba(v, P0, 0, 9, 2);
	outb_(v, P0 + 7, 0xC4);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 9));
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 10));
	CHECK(inb_(v, P0 + 7) == 0x50);
	blkcow_destroy(&disk_a);
}

static void ata_irq_nien(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t id[512];
	pic_remap(&v->pic, 0xFB, 0xBF);                 /* cascade and IRQ 14 unmasked */
	vio_sync(v, T0);
	CHECK(vpic_pending(&v->pic) == -1);
	/* IRQ 14 through the 8259s */
	outb_(v, P0 + 7, 0xE7);                         /* FLUSH CACHE */
	CHECK(v->ide[0].irq_level);
	CHECK(vpic_pending(&v->pic) == 0x2E);
	CHECK(vpic_ack(&v->pic) == 0x2E);
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(!v->ide[0].irq_level);
	outb_(v, 0xA0, 0x20);
	outb_(v, 0x20, 0x20);
	/* nIEN: the line stays low while the interrupt is pending, and rises when it is cleared */
	outb_(v, C0, 0x02);
	outb_(v, P0 + 7, 0xEC);
	CHECK(v->ide[0].intrq && !v->ide[0].irq_level);
	CHECK(vpic_pending(&v->pic) == -1);
	CHECK(inb_(v, C0) == 0x58);
	outb_(v, C0, 0x00);
	CHECK(v->ide[0].irq_level);
	CHECK(vpic_pending(&v->pic) == 0x2E);
	CHECK(vpic_ack(&v->pic) == 0x2E);
	outb_(v, 0xA0, 0x20);
	outb_(v, 0x20, 0x20);
	read_words(v, P0, id, 256);                     /* polled: status read after the data */
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(!v->ide[0].irq_level);
	/* polling with nIEN set: nothing reaches the line for a whole read */
	outb_(v, C0, 0x02);
	ata_lba(v, P0, 0, 1, 2);
	outb_(v, P0 + 7, 0x20);
	CHECK(!v->ide[0].irq_level && inb_(v, C0) == 0x58);
	read_words(v, P0, id, 512 / 2);
	CHECK(!v->ide[0].irq_level && inb_(v, C0) == 0x58);
	read_words(v, P0, id, 512 / 2);
	CHECK(sector_is_pattern(id, 2));
	CHECK(inb_(v, P0 + 7) == 0x50);
	outb_(v, C0, 0x00);
	CHECK(!v->ide[0].irq_level);                    /* the status read acknowledged it */
	/* a new command clears a pending interrupt: FLUSH, then WRITE (DRQ, no interrupt yet) */
	outb_(v, P0 + 7, 0xE7);
	CHECK(v->ide[0].irq_level);
	ata_lba(v, P0, 0, 5, 1);
	outb_(v, P0 + 7, 0x30);
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x58);
	/* while DRQ is set, commands and register writes are ignored (as QEMU does) */
	outb_(v, P0 + 7, 0xEC);
	outb_(v, P0 + 3, 0x77);
	CHECK(inb_(v, P0 + 7) == 0x58 && inb_(v, P0 + 3) == 5);
	memset(id, 0x5A, sizeof id);
	write_words(v, P0, id, 256);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x50);
	/* the no-op commands complete with an interrupt */
	static const uint8_t nop[] = {0xE0, 0xE1, 0xE2, 0xE3, 0x94, 0x95, 0x96, 0x97, 0xE6, 0x99, 0x10, 0x1F, 0x70};
	for (unsigned i = 0; i < sizeof nop; i++) {
		outb_(v, P0 + 7, nop[i]);
		CHECK(v->ide[0].irq_level);
		CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0);
	}
	outb_(v, P0 + 2, 0);
	outb_(v, P0 + 7, 0xE5);                         /* CHECK POWER MODE: active */
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 2) == 0xFF);
	/* SET FEATURES: write cache, look-ahead, PIO modes yes; DMA modes and others no */
	static const uint8_t feat_ok[][2] = {{0x02, 0}, {0x82, 0}, {0x55, 0}, {0xAA, 0}, {0x66, 0}, {0xCC, 0},
					     {0x03, 0x00}, {0x03, 0x01}, {0x03, 0x0C}, {0x03, 0x08}};
	static const uint8_t feat_bad[][2] = {{0x03, 0x45}, {0x03, 0x22}, {0x03, 0x0D}, {0x05, 0}, {0x42, 0}};
	for (unsigned i = 0; i < sizeof feat_ok / sizeof feat_ok[0]; i++) {
		outb_(v, P0 + 1, feat_ok[i][0]);
		outb_(v, P0 + 2, feat_ok[i][1]);
		outb_(v, P0 + 7, 0xEF);
		CHECK(inb_(v, P0 + 7) == 0x50);
	}
	for (unsigned i = 0; i < sizeof feat_bad / sizeof feat_bad[0]; i++) {
		outb_(v, P0 + 1, feat_bad[i][0]);
		outb_(v, P0 + 2, feat_bad[i][1]);
		outb_(v, P0 + 7, 0xEF);
		CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	}
	CHECK(!v->ide[0].report_pending);               /* refused subcommands are not unknown commands */
	blkcow_destroy(&disk_a);
}

struct lines {
	char text[8][64];
	unsigned n;
};

static void collect_line(void *ctx, const char *s)
{
	struct lines *l = ctx;
	if (l->n < 8)
		snprintf(l->text[l->n], sizeof l->text[0], "%s", s);
	l->n++;
}

static void ata_errors(void)
{
	ata_setup();
	struct vio *v = &atav;
	uint8_t buf[512];
	/* past the end: IDNF, the registers name the first missing sector */
	ata_lba(v, P0, 0, DISK_SECTORS - 1, 2);
	outb_(v, P0 + 7, 0x20);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	CHECK(inb_(v, P0 + 3) == 0x00 && inb_(v, P0 + 4) == 0x08 && inb_(v, P0 + 5) == 0x00);
	CHECK(inb_(v, P0 + 2) == 1);
	ata_lba(v, P0, 0, 0x1000000 + 5, 1);            /* bits 24-27 in the device register */
	outb_(v, P0 + 7, 0x30);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);     /* no DRQ for a bad write */
	CHECK(inb_(v, P0 + 3) == 5 && inb_(v, P0 + 6) == 0xE1);
	ata_lba(v, P0, 0, DISK_SECTORS, 1);
	outb_(v, P0 + 7, 0x40);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	/* the last sector is fine, and the error is gone with the next command */
	ata_lba(v, P0, 0, DISK_SECTORS - 1, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, DISK_SECTORS - 1));
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0);
	/* an unknown command: ABRT with an interrupt, reported once per VM and command byte */
	struct lines l = {0};
	outb_(v, P0 + 7, 0x24);                         /* READ SECTORS EXT: no LBA48 here */
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	CHECK(v->ide[0].report_pending);
	vata_report_unimplemented(v->ide, 2, collect_line, &l);
	CHECK(l.n == 1 && strcmp(l.text[0], "ATA command 0x24 not implemented") == 0);
	CHECK(!v->ide[0].report_pending);
	outb_(v, P0 + 7, 0x24);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	CHECK(!v->ide[0].report_pending);
	vata_report_unimplemented(v->ide, 2, collect_line, &l);
	CHECK(l.n == 1);
	/* the other channel of the same VM: 0x24 is known already, 0xC8 (DMA) and 0x05 are new */
	CHECK(blkcow_init(&disk_b, disk_mod, sizeof disk_mod, 1, &(const char *){0}) == 0);
	vata_attach(&v->ide[1], 0, &disk_b);
	outb_(v, P1 + 7, 0x24);
	outb_(v, P1 + 7, 0xC8);
	outb_(v, P1 + 7, 0x05);
	CHECK(inb_(v, P1 + 7) == 0x41 && inb_(v, P1 + 1) == 0x04);
	vata_report_unimplemented(v->ide, 2, collect_line, &l);
	CHECK(l.n == 3 && strcmp(l.text[1], "ATA command 0x05 not implemented") == 0 &&
	      strcmp(l.text[2], "ATA command 0xc8 not implemented") == 0);
	/* what an ATA disk refuses by definition is not "not implemented": NOP, the ATAPI commands */
	static const uint8_t refused[] = {0x00, 0x08, 0xA0, 0xA1};
	for (unsigned i = 0; i < sizeof refused; i++) {
		outb_(v, P0 + 7, refused[i]);
		CHECK(v->ide[0].irq_level);
		CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x04);
	}
	CHECK(!v->ide[0].report_pending);
	vata_report_unimplemented(v->ide, 2, collect_line, &l);
	CHECK(l.n == 3);
	/* still a working disk */
	ata_identify_into(v, P0, 0, buf);
	CHECK(idw(buf, 0) == 0x0040);
	blkcow_destroy(&disk_b);
	blkcow_destroy(&disk_a);
}

static void ata_absent_and_empty(void)
{
	ata_setup();
	struct vio *v = &atav;
	int c;
	/* the slave slot of the primary channel is empty: everything reads 0, it answers nothing */
	outb_(v, P0 + 6, 0xB0);
	CHECK(inb_(v, P0 + 7) == 0x00 && inb_(v, C0) == 0x00);
	CHECK(inb_(v, P0 + 1) == 0 && inb_(v, P0 + 2) == 0 && inb_(v, P0 + 3) == 0);
	CHECK(inb_(v, P0 + 4) == 0 && inb_(v, P0 + 5) == 0);
	CHECK(inb_(v, P0 + 6) == 0xB0);                 /* the device register reads back */
	outb_(v, P0 + 7, 0xEC);
	CHECK(!v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x00);
	CHECK(vio_in(v, P0, 2, T0, &c) == 0 && c == 1);
	outb_(v, P0 + 7, 0x90);                         /* to the absent drive: ignored too */
	CHECK(!v->ide[0].irq_level);
	/* register writes reach the master as well */
	outb_(v, P0 + 3, 0x42);
	outb_(v, P0 + 6, 0xA0);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 3) == 0x42);
	/* the secondary channel has no drive: nothing decodes its ports */
	CHECK(vio_in(v, P1 + 7, 1, T0, &c) == 0xFF && c == 0);
	CHECK(vio_in(v, P1 + 2, 1, T0, &c) == 0xFF && c == 0);
	CHECK(vio_in(v, C1, 1, T0, &c) == 0xFF && c == 0);
	CHECK(vio_in(v, P1, 2, T0, &c) == 0xFFFF && c == 0);
	CHECK(vio_in(v, P1, 4, T0, &c) == 0xFFFFFFFFu && c == 0);
	CHECK(vio_out(v, P1 + 7, 1, 0xEC, T0) == 0);
	CHECK(vio_out(v, C1, 1, 0x04, T0) == 0);
	CHECK(!v->ide[1].irq_level);
	/* a disk as secondary slave only: the empty master reads 0, the slave answers */
	CHECK(blkcow_init(&disk_b, disk_mod, sizeof disk_mod, 1, &(const char *){0}) == 0);
	vata_attach(&v->ide[1], 1, &disk_b);
	CHECK(inb_(v, P1 + 7) == 0x00);
	outb_(v, P1 + 6, 0xB0);
	CHECK(inb_(v, P1 + 7) == 0x50);
	uint8_t id[512];
	char s[21];
	ata_identify_into(v, P1, 1, id);
	id_string(id, 10, 10, s);
	CHECK(strncmp(s, "VMM0170-1", 9) == 0);
	CHECK(!v->ide[0].irq_level);                    /* the other channel saw nothing */
	/* word accesses to the byte registers are split by vio: count and LBA low together */
	outb_(v, P1 + 2, 0x11);
	outb_(v, P1 + 3, 0x22);
	CHECK(vio_in(v, P1 + 2, 2, T0, &c) == 0x2211 && c == 1);
	CHECK(vio_in(v, C1, 2, T0, &c) == 0xFF50 && c == 1);    /* 0x377 is not the disk's */
	/* detaching empties the slot: the channel floats again */
	vata_attach(&v->ide[1], 1, NULL);
	CHECK(vio_in(v, P1 + 7, 1, T0, &c) == 0xFF && c == 0);
	blkcow_destroy(&disk_b);
	blkcow_destroy(&disk_a);
}

static void ata_two_drives(void)
{
	const char *why;
	uint8_t buf[512], w[512];
	char s[21];
	ata_setup();
	struct vio *v = &atav;
	CHECK(blkcow_init(&disk_b, disk_mod, sizeof disk_mod, 1, &why) == 0);
	vata_attach(&v->ide[0], 1, &disk_b);
	ata_identify_into(v, P0, 1, buf);
	id_string(buf, 10, 10, s);
	CHECK(strncmp(s, "VMM01F0-1", 9) == 0);
	/* the slave reads two sectors; the master's task file keeps what the host wrote */
	ata_lba(v, P0, 1, 5, 2);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 5));
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 6));
	CHECK(inb_(v, P0 + 3) == 6 && inb_(v, P0 + 2) == 0);
	outb_(v, P0 + 6, 0xE0);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 3) == 5 && inb_(v, P0 + 2) == 2);
	/* each drive has its own disk: a write to the slave is not seen by the master */
	memset(w, 0x31, sizeof w);
	ata_lba(v, P0, 1, 7, 1);
	outb_(v, P0 + 7, 0x30);
	write_words(v, P0, w, 256);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_lba(v, P0, 0, 7, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 7));
	ata_lba(v, P0, 1, 7, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	/* SRST resets both; the slave stays selected */
	outb_(v, C0, 0x04);
	outb_(v, C0, 0x00);
	CHECK(inb_(v, P0 + 6) == 0xF0);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0x01 && inb_(v, P0 + 3) == 1);
	outb_(v, P0 + 6, 0xA0);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0x01 && inb_(v, P0 + 3) == 1);
	blkcow_destroy(&disk_b);
	blkcow_destroy(&disk_a);
}

static void blkcow_basics(void)
{
	struct blkcow b;
	const char *why = 0;
	uint8_t big[9000], back[9000];
	fake_machine();
	fill_module();
	CHECK(blkcow_init(&b, disk_mod, 0, 1, &why) == -1 && why && strstr(why, "512"));
	why = 0;
	CHECK(blkcow_init(&b, disk_mod, 1000, 1, &why) == -1 && why && strstr(why, "512"));
	why = 0;
	CHECK(blkcow_init(&b, disk_mod, 17ULL << 30, 1, &why) == -1 && why && strstr(why, "larger"));
	why = 0;
	CHECK(blkcow_init(&b, disk_mod, 512, 0, &why) == -1 && why && strstr(why, "VM"));
	CHECK(blkcow_init(&b, disk_mod, 512, FRAME_MAX_OWNER + 1, &why) == -1);
	CHECK(blkcow_init(&b, disk_mod, sizeof disk_mod, 3, &why) == 0);
	/* ranges */
	CHECK(blkcow_read(&b, sizeof disk_mod - 512, back, 512) == 0);
	CHECK(blkcow_read(&b, sizeof disk_mod - 511, back, 512) == -1);
	CHECK(blkcow_read(&b, ~0ULL - 10, back, 512) == -1);
	CHECK(blkcow_write(&b, sizeof disk_mod, back, 1) == -1);
	CHECK(blkcow_write(&b, ~0ULL, back, 2) == -1);
	CHECK(b.copied == 0 && b.frames == 0);
	/* an unaligned write across three chunks; the bytes around it stay */
	for (unsigned i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 5 + 3);
	CHECK(blkcow_write(&b, 4090, big, sizeof big) == 0);
	CHECK(b.copied == 4 && b.frames == 6);          /* chunks 0-3, a top page, a leaf */
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.owned[3] == 6);
	CHECK(blkcow_read(&b, 4090, back, sizeof back) == 0 && memcmp(back, big, sizeof big) == 0);
	CHECK(blkcow_read(&b, 4000, back, 90) == 0 && memcmp(back, disk_orig + 4000, 90) == 0);
	CHECK(blkcow_read(&b, 4090 + sizeof big, back, 200) == 0 &&
	      memcmp(back, disk_orig + 4090 + sizeof big, 200) == 0);
	CHECK(blkcow_read(&b, 0, back, 4090) == 0 && memcmp(back, disk_orig, 4090) == 0);
	CHECK(memcmp(disk_mod, disk_orig, sizeof disk_mod) == 0);
	/* a second write to a copied chunk takes no frame */
	CHECK(blkcow_write(&b, 100, big, 10) == 0 && b.frames == 6);
	blkcow_destroy(&b);
	frame_get_stats(&st);
	CHECK(st.owned[3] == 0 && b.frames == 0 && b.copied == 0);
	CHECK(blkcow_read(&b, 100, back, 10) == 0 && memcmp(back, disk_orig + 100, 10) == 0);
	/* a disk whose last chunk is partial (3 sectors) */
	CHECK(blkcow_init(&b, disk_mod, 1536, 3, &why) == 0);
	CHECK(blkcow_write(&b, 1024, big, 512) == 0);
	CHECK(blkcow_read(&b, 0, back, 1536) == 0);
	CHECK(memcmp(back, disk_orig, 1024) == 0 && memcmp(back + 1024, big, 512) == 0);
	CHECK(blkcow_write(&b, 1024, big, 513) == -1);
	blkcow_destroy(&b);
}

static void blkcow_two_vms(void)
{
	const char *why;
	uint8_t buf[512], w[512];
	ata_setup();                                    /* VM 1: atav with disk_a */
	vio_init(&atav2, T0, 0, 64 << 20, NULL, NULL);   /* VM 2: the same module */
	CHECK(blkcow_init(&disk_b, disk_mod, sizeof disk_mod, 2, &why) == 0);
	vata_attach(&atav2.ide[0], 0, &disk_b);
	memset(w, 0xEE, sizeof w);
	ata_lba(&atav, P0, 0, 10, 1);
	outb_(&atav, P0 + 7, 0x30);
	write_words(&atav, P0, w, 256);
	CHECK(inb_(&atav, P0 + 7) == 0x50);
	/* VM 2 still reads the module's sector; VM 1 its own; the module is unchanged */
	ata_lba(&atav2, P0, 0, 10, 1);
	outb_(&atav2, P0 + 7, 0x20);
	pio_read_sector(&atav2, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 10));
	ata_lba(&atav, P0, 0, 10, 1);
	outb_(&atav, P0 + 7, 0x20);
	pio_read_sector(&atav, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	CHECK(memcmp(disk_mod, disk_orig, sizeof disk_mod) == 0);
	/* VM 2 writes the same sector differently: each keeps its own */
	memset(w, 0x22, sizeof w);
	ata_lba(&atav2, P0, 0, 10, 1);
	outb_(&atav2, P0 + 7, 0x30);
	write_words(&atav2, P0, w, 256);
	ata_lba(&atav, P0, 0, 10, 1);
	outb_(&atav, P0 + 7, 0x20);
	pio_read_sector(&atav, P0, 0, buf);
	CHECK(buf[0] == 0xEE && buf[511] == 0xEE);
	ata_lba(&atav2, P0, 0, 10, 1);
	outb_(&atav2, P0 + 7, 0x20);
	pio_read_sector(&atav2, P0, 0, buf);
	CHECK(buf[0] == 0x22 && buf[511] == 0x22);
	/* the copies are the VMs' frames, and go back with blkcow_destroy */
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.owned[1] == 3 && st.owned[2] == 3);
	blkcow_destroy(&disk_a);
	frame_get_stats(&st);
	CHECK(st.owned[1] == 0 && st.owned[2] == 3);
	blkcow_destroy(&disk_b);
	frame_get_stats(&st);
	CHECK(st.owned[2] == 0);
	CHECK(memcmp(disk_mod, disk_orig, sizeof disk_mod) == 0);
}

static void blkcow_out_of_memory(void)
{
	uint8_t buf[512], w[512];
	mfn_t m;
	ata_setup();
	struct vio *v = &atav;
	unsigned hog = 9;
	while (frame_alloc(hog, &m) == 0)
		;
	memset(w, 0x99, sizeof w);
	CHECK(blkcow_write(&disk_a, 0, w, 512) == -1);
	/* through the disk: the guest gets ERR|DF and ABRT, the VMM goes on */
	ata_lba(v, P0, 0, 20, 2);
	outb_(v, P0 + 7, 0x30);
	CHECK(inb_(v, P0 + 7) == 0x58);
	write_words(v, P0, w, 256);
	CHECK(v->ide[0].irq_level);
	CHECK(inb_(v, P0 + 7) == 0x61 && inb_(v, P0 + 1) == 0x04);
	CHECK(inb_(v, P0 + 3) == 20 && inb_(v, P0 + 2) == 2);  /* where it stopped */
	int c;
	CHECK(vio_in(v, P0, 2, T0, &c) == 0);           /* no DRQ left */
	ata_lba(v, P0, 0, 20, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(sector_is_pattern(buf, 20));              /* nothing changed */
	CHECK(inb_(v, P0 + 7) == 0x50);
	/* two frames free of the three a first write needs: all or nothing */
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.free == 0);
	mfn_t freed = 0;
	for (mfn_t f = 1; f < (FAKE_MEM >> 12) && freed < 2; f++)
		if (frame_owner(f) == hog) {
			frame_free(hog, f);
			freed++;
		}
	CHECK(blkcow_write(&disk_a, 4096 * 5 + 100, w, 512) == -1);
	CHECK(disk_a.frames == 2 && disk_a.copied == 0);
	CHECK(blkcow_read(&disk_a, 4096 * 5 + 100, buf, 512) == 0 &&
	      memcmp(buf, disk_orig + 4096 * 5 + 100, 512) == 0);
	frame_free_all(hog);
	ata_lba(v, P0, 0, 20, 1);
	outb_(v, P0 + 7, 0x30);
	write_words(v, P0, w, 256);
	CHECK(inb_(v, P0 + 7) == 0x50 && inb_(v, P0 + 1) == 0);
	ata_lba(v, P0, 0, 20, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	blkcow_destroy(&disk_a);
	frame_get_stats(&st);
	CHECK(st.owned[1] == 0);
}

static void blkcow_2gib(void)
{
	const uint64_t size = 2ULL << 30;
	const uint32_t last = (uint32_t)(size / 512) - 1;
	uint8_t buf[512], w[512], id[512];
	fake_machine();
	uint8_t *mod = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(mod != MAP_FAILED);
	if (mod == MAP_FAILED)
		return;
	memcpy(mod + size - 512, "last sector", 12);
	struct blkcow b;
	const char *why;
	CHECK(blkcow_init(&b, mod, size, 4, &why) == 0);
	vio_init(&atav, T0, 0, 64 << 20, NULL, NULL);
	vata_attach(&atav.ide[0], 0, &b);
	struct vio *v = &atav;
	ata_identify_into(v, P0, 0, id);
	CHECK((idw(id, 60) | (uint32_t)idw(id, 61) << 16) == last + 1);
	CHECK(idw(id, 1) == (last + 1) / (16 * 63));
	ata_lba(v, P0, 0, last, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, "last sector", 12) == 0);
	ata_lba(v, P0, 0, last + 1, 1);
	outb_(v, P0 + 7, 0x20);
	CHECK(inb_(v, P0 + 7) == 0x41 && inb_(v, P0 + 1) == 0x10);
	/* writes at both ends: one top page each */
	memset(w, 0x7E, sizeof w);
	ata_lba(v, P0, 0, last, 1);
	outb_(v, P0 + 7, 0x30);
	write_words(v, P0, w, 256);
	CHECK(inb_(v, P0 + 7) == 0x50);
	ata_lba(v, P0, 0, 0, 1);
	outb_(v, P0 + 7, 0x30);
	write_words(v, P0, w, 256);
	CHECK(inb_(v, P0 + 7) == 0x50);
	CHECK(b.copied == 2 && b.frames == 6);
	ata_lba(v, P0, 0, last, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(memcmp(buf, w, 512) == 0);
	CHECK(memcmp(mod + size - 512, "last sector", 12) == 0);
	/* a sector between them still reads the module (zeros) */
	ata_lba(v, P0, 0, last / 2, 1);
	outb_(v, P0 + 7, 0x20);
	pio_read_sector(v, P0, 0, buf);
	CHECK(buf[0] == 0 && buf[511] == 0);
	blkcow_destroy(&b);
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK(st.owned[4] == 0);
	munmap(mod, size);
}

int main(void)
{
	fake_machine();
	KTAP_BEGIN(35);
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
	RUN(ata_reset_signature);
	RUN(ata_identify);
	RUN(ata_rw_lba28);
	RUN(ata_rw_chs);
	RUN(ata_multiple);
	RUN(ata_irq_nien);
	RUN(ata_errors);
	RUN(ata_absent_and_empty);
	RUN(ata_two_drives);
	RUN(blkcow_basics);
	RUN(blkcow_two_vms);
	RUN(blkcow_out_of_memory);
	RUN(blkcow_2gib);
	KTAP_END();
}
