/* test_vdev.c - host tests of the virtual PC devices (vpic, vpit, vuart, vcmos, vkbd, vpm, vio,
 * vata with blkcow, the local APIC and IO APIC): each test plays the port or MMIO sequence a guest
 * kernel would issue and checks what the guest would observe. KTAP output. */
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

/* ---- local APIC and IO APIC, programmed through their MMIO pages as a driver does ---- */

#define US 1000ull

static uint32_t apic_rd(struct vio *v, uint32_t off, uint64_t now)
{
	uint32_t x = 0x5A5A5A5A;
	CHECK(vio_mmio(v, VLAPIC_BASE + off, 4, false, &x, now) == 1);
	return x;
}

static void apic_wr(struct vio *v, uint32_t off, uint32_t val, uint64_t now)
{
	CHECK(vio_mmio(v, VLAPIC_BASE + off, 4, true, &val, now) == 1);
}

static uint32_t ioapic_rd(struct vio *v, uint8_t reg, uint64_t now)
{
	uint32_t sel = reg, x = 0x5A5A5A5A;
	CHECK(vio_mmio(v, VIOAPIC_BASE, 4, true, &sel, now) == 1);
	CHECK(vio_mmio(v, VIOAPIC_BASE + 0x10, 4, false, &x, now) == 1);
	return x;
}

static void ioapic_wr(struct vio *v, uint8_t reg, uint32_t val, uint64_t now)
{
	uint32_t sel = reg;
	CHECK(vio_mmio(v, VIOAPIC_BASE, 1, true, &sel, now) == 1);
	CHECK(vio_mmio(v, VIOAPIC_BASE + 0x10, 4, true, &val, now) == 1);
}

/* Program pin's entry: destination first, then the low dword (which may unmask it). */
static void ioapic_route(struct vio *v, unsigned pin, uint32_t lo, uint8_t dest, uint64_t now)
{
	ioapic_wr(v, (uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24, now);
	ioapic_wr(v, (uint8_t)(0x10 + 2 * pin), lo, now);
}

static bool irr_has(struct vio *v, unsigned vec, uint64_t now)
{
	return (apic_rd(v, 0x200 + 0x10 * (vec >> 5), now) >> (vec & 31)) & 1;
}

static bool isr_has(struct vio *v, unsigned vec, uint64_t now)
{
	return (apic_rd(v, 0x100 + 0x10 * (vec >> 5), now) >> (vec & 31)) & 1;
}

static uint32_t esr_latch(struct vio *v, uint64_t now)
{
	apic_wr(v, 0x280, 0, now);
	return apic_rd(v, 0x280, now);
}

static void self_ipi(struct vio *v, uint8_t vec, uint64_t now)
{
	apic_wr(v, 0x300, 0x40000u | vec, now);	/* shorthand self, fixed, edge */
}

/* The report lines of both APICs, joined. */
struct apic_lines {
	char buf[2048];
	unsigned n;
};

static void collect(void *ctx, const char *s)
{
	struct apic_lines *l = ctx;
	l->n++;
	strncat(l->buf, s, sizeof l->buf - strlen(l->buf) - 2);
	strcat(l->buf, "\n");
}

static void apic_reports(struct vio *v, struct apic_lines *out)
{
	memset(out, 0, sizeof *out);
	vlapic_report_unimplemented(&v->lapic, collect, out);
	vioapic_report_unimplemented(&v->ioapic, collect, out);
}

static void apic_vm(struct vio *v)
{
	vio_init(v, T0, 0, 64 << 20, NULL, NULL);
}

static void lapic_reset_state(void)
{
	struct vio v;
	apic_vm(&v);
	uint64_t msr = 0;
	CHECK(vlapic_msr(&v.lapic, false, &msr) == 0 && msr == 0xFEE00900u);
	CHECK(apic_rd(&v, 0x20, T0) == 0);			/* APIC ID 0: the BSP */
	CHECK(apic_rd(&v, 0x30, T0) == 0x00050014u);		/* version 0x14, 6 LVT entries */
	CHECK(apic_rd(&v, 0x80, T0) == 0);
	CHECK(apic_rd(&v, 0x90, T0) == 0);
	CHECK(apic_rd(&v, 0xA0, T0) == 0);
	CHECK(apic_rd(&v, 0xD0, T0) == 0);
	CHECK(apic_rd(&v, 0xE0, T0) == 0xFFFFFFFFu);
	CHECK(apic_rd(&v, 0xF0, T0) == 0x1FF);			/* the BIOS software-enabled it */
	for (uint32_t off = 0x100; off < 0x280; off += 0x10)
		CHECK(apic_rd(&v, off, T0) == 0);		/* ISR, TMR, IRR */
	CHECK(esr_latch(&v, T0) == 0);
	CHECK(apic_rd(&v, 0x300, T0) == 0 && apic_rd(&v, 0x310, T0) == 0);
	CHECK(apic_rd(&v, 0x320, T0) == 0x10000);
	CHECK(apic_rd(&v, 0x330, T0) == 0x10000);
	CHECK(apic_rd(&v, 0x340, T0) == 0x10000);
	CHECK(apic_rd(&v, 0x350, T0) == 0x8700);		/* LINT0 ExtINT: virtual wire */
	CHECK(apic_rd(&v, 0x360, T0) == 0x8400);		/* LINT1 NMI */
	CHECK(apic_rd(&v, 0x370, T0) == 0x10000);
	CHECK(apic_rd(&v, 0x380, T0) == 0 && apic_rd(&v, 0x390, T0) == 0 && apic_rd(&v, 0x3E0, T0) == 0);
	CHECK(vlapic_accepts_pic(&v.lapic));
	CHECK(vlapic_pending(&v.lapic) == -1);
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);
	/* the IO APIC: every pin masked */
	CHECK(ioapic_rd(&v, 0, T0) == (uint32_t)VIOAPIC_ID << 24);	/* the ID the firmware tables give */
	CHECK(ioapic_rd(&v, 1, T0) == 0x00170011u);		/* version 0x11, 24 entries */
	CHECK(ioapic_rd(&v, 2, T0) == (uint32_t)VIOAPIC_ID << 24);	/* arbitration ID = ID */
	for (unsigned pin = 0; pin < 24; pin++) {
		CHECK(ioapic_rd(&v, (uint8_t)(0x10 + 2 * pin), T0) == 0x10000);
		CHECK(ioapic_rd(&v, (uint8_t)(0x11 + 2 * pin), T0) == 0);
	}
	struct apic_lines r;
	apic_reports(&v, &r);
	CHECK(r.n == 0);					/* nothing refused so far */
}

static void lapic_odd_accesses(void)
{
	struct vio v;
	struct apic_lines r;
	apic_vm(&v);
	apic_wr(&v, 0x80, 0x20, T0);
	/* 1- and 2-byte accesses read 0 and write nothing (QEMU's apic_mem_read/write) */
	uint32_t x = 0x5A;
	CHECK(vio_mmio(&v, VLAPIC_BASE + 0x80, 1, false, &x, T0) == 1 && x == 0);
	x = 0x50;
	CHECK(vio_mmio(&v, VLAPIC_BASE + 0x80, 2, true, &x, T0) == 1);
	CHECK(apic_rd(&v, 0x80, T0) == 0x20);
	/* a dword inside a register's 16 bytes is that register (offset >> 4, as QEMU) */
	CHECK(apic_rd(&v, 0x84, T0) == 0x20);
	apic_wr(&v, 0x8C, 0x31, T0);
	CHECK(apic_rd(&v, 0x80, T0) == 0x31);
	/* reserved registers: read 0, writes ignored, ESR "illegal register address" */
	CHECK(esr_latch(&v, T0) == 0);
	CHECK(apic_rd(&v, 0x2F0, T0) == 0);			/* no CMCI LVT (max LVT 5) */
	CHECK(apic_rd(&v, 0x2F0, T0) == 0);
	apic_wr(&v, 0x400, 0x12345678, T0);
	CHECK(apic_rd(&v, 0x400, T0) == 0);
	CHECK(esr_latch(&v, T0) == 0x80);
	CHECK(esr_latch(&v, T0) == 0);				/* the write cleared what it latched */
	/* read-only registers ignore writes, without an error */
	apic_wr(&v, 0x30, 0, T0);
	apic_wr(&v, 0x390, 5, T0);
	CHECK(apic_rd(&v, 0x30, T0) == 0x00050014u && apic_rd(&v, 0x390, T0) == 0);
	CHECK(esr_latch(&v, T0) == 0);
	/* the exit report names each once */
	apic_reports(&v, &r);
	CHECK(r.n == 3);
	CHECK(strstr(r.buf, "read (read 0): 0x2f0 0x400\n") != NULL);
	CHECK(strstr(r.buf, "written (ignored): 0x400\n") != NULL);
	CHECK(strstr(r.buf, "1- or 2-byte") != NULL);
	/* past the page: nothing there */
	x = 0;
	CHECK(vio_mmio(&v, VLAPIC_BASE + 0x1000, 4, false, &x, T0) == 0 && x == 0xFFFFFFFFu);
}

static void lapic_msr_base(void)
{
	struct vio v;
	apic_vm(&v);
	uint64_t m, keep;
	vlapic_msr(&v.lapic, false, &keep);
	/* reserved bits: #GP, nothing changes (bit 10 is x2APIC: not offered) */
	static const uint64_t bad[] = {0xFEE00901u, 0xFEE00B00u, 0xFEE00D00u, 0x1FEE00900ull, 1ull << 63};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = bad[i];
		CHECK(vlapic_msr(&v.lapic, true, &m) == -1);
	}
	vlapic_msr(&v.lapic, false, &m);
	CHECK(m == keep);
	/* relocation: the page follows the base */
	m = 0xFED00900u;
	CHECK(vlapic_msr(&v.lapic, true, &m) == 0);
	CHECK(vlapic_claims(&v.lapic, 0xFED00030u) && !vlapic_claims(&v.lapic, 0xFEE00030u));
	uint32_t x = 0;
	CHECK(vio_mmio(&v, 0xFED00030u, 4, false, &x, T0) == 1 && x == 0x00050014u);
	CHECK(vio_mmio(&v, 0xFEE00030u, 4, false, &x, T0) == 0 && x == 0xFFFFFFFFu);
	m = 0xFEE00800u;					/* BSP is read-only: stays set */
	CHECK(vlapic_msr(&v.lapic, true, &m) == 0);
	vlapic_msr(&v.lapic, false, &m);
	CHECK(m == 0xFEE00900u);
	/* global disable: the page goes, the 8259 passes straight through, nothing is accepted */
	apic_wr(&v, 0x80, 0x30, T0);
	self_ipi(&v, 0x40, T0);
	apic_wr(&v, 0x350, 0x10700, T0);			/* LINT0 masked */
	CHECK(!vlapic_accepts_pic(&v.lapic));
	m = 0xFEE00000u;
	CHECK(vlapic_msr(&v.lapic, true, &m) == 0);
	vlapic_msr(&v.lapic, false, &m);
	CHECK(m == 0xFEE00100u);
	CHECK(!vlapic_claims(&v.lapic, 0xFEE00030u));
	CHECK(vio_mmio(&v, 0xFEE00030u, 4, false, &x, T0) == 0 && x == 0xFFFFFFFFu);
	CHECK(vlapic_accepts_pic(&v.lapic));
	CHECK(vlapic_pending(&v.lapic) == -1);
	CHECK(!vlapic_deliver(&v.lapic, 0x50, false));
	/* enabling again is allowed here: it comes back in its power-up state */
	m = 0xFEE00800u;
	CHECK(vlapic_msr(&v.lapic, true, &m) == 0);
	CHECK(apic_rd(&v, 0xF0, T0) == 0xFF);
	CHECK(apic_rd(&v, 0x80, T0) == 0);
	CHECK(apic_rd(&v, 0x350, T0) == 0x10000 && apic_rd(&v, 0x320, T0) == 0x10000);
	CHECK(!irr_has(&v, 0x40, T0));
	CHECK(!vlapic_accepts_pic(&v.lapic));			/* LINT0 masked now */
}

static void lapic_svr_masks_lvts(void)
{
	struct vio v;
	apic_vm(&v);
	/* reserved LVT bits read 0 (timer bit 18, TSC-deadline, is not offered) */
	apic_wr(&v, 0x320, 0xFFFFFFFFu, T0);
	CHECK(apic_rd(&v, 0x320, T0) == 0x300FF);
	apic_wr(&v, 0x330, 0xFFFFFFFFu, T0);
	CHECK(apic_rd(&v, 0x330, T0) == 0x107FF);
	apic_wr(&v, 0x360, 0xFFFFFFFFu, T0);
	CHECK(apic_rd(&v, 0x360, T0) == 0x1A7FF);
	apic_wr(&v, 0x370, 0xFFFFFFFFu, T0);
	CHECK(apic_rd(&v, 0x370, T0) == 0x100FF);
	apic_wr(&v, 0x360, 0x8400, T0);
	/* software disable: every LVT masked, and stays masked */
	apic_wr(&v, 0xF0, 0xFF, T0);
	CHECK(apic_rd(&v, 0xF0, T0) == 0xFF);
	CHECK(apic_rd(&v, 0x350, T0) == 0x18700);
	CHECK(apic_rd(&v, 0x360, T0) == 0x18400);
	CHECK(!vlapic_accepts_pic(&v.lapic));
	apic_wr(&v, 0x350, 0x700, T0);
	CHECK(apic_rd(&v, 0x350, T0) == 0x10700);
	apic_wr(&v, 0x320, 0x20040, T0);
	CHECK(apic_rd(&v, 0x320, T0) == 0x30040);
	/* interrupts arriving meanwhile are held in IRR, not dispatched */
	self_ipi(&v, 0x50, T0);
	CHECK(irr_has(&v, 0x50, T0));
	CHECK(vlapic_pending(&v.lapic) == -1);
	/* enable again: the LVTs stay masked until written */
	apic_wr(&v, 0xF0, 0x1FF, T0);
	CHECK(apic_rd(&v, 0x350, T0) == 0x10700);
	CHECK(vlapic_pending(&v.lapic) == 0x50);
	apic_wr(&v, 0x350, 0x700, T0);
	CHECK(apic_rd(&v, 0x350, T0) == 0x700);
	CHECK(vlapic_accepts_pic(&v.lapic));
}

static void lapic_priority(void)
{
	struct vio v;
	apic_vm(&v);
	self_ipi(&v, 0x31, T0);
	self_ipi(&v, 0x52, T0);
	self_ipi(&v, 0x45, T0);
	CHECK(apic_rd(&v, 0x210, T0) == 1u << (0x31 - 32));
	CHECK(apic_rd(&v, 0x220, T0) == (1u << (0x45 - 64) | 1u << (0x52 - 64)));
	CHECK(vio_intr_pending(&v) == 0x52);
	CHECK(apic_rd(&v, 0x90, T0) == 0x50);			/* APR: the highest IRR class */
	apic_wr(&v, 0x80, 0x60, T0);				/* TPR class 6 blocks classes <= 6 */
	CHECK(apic_rd(&v, 0xA0, T0) == 0x60);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0x80, 0x5F, T0);				/* class 5: still blocks 0x52 */
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0x80, 0x4F, T0);
	CHECK(apic_rd(&v, 0xA0, T0) == 0x4F);			/* PPR = TPR when TPR's class >= ISR's */
	CHECK(vio_intr_pending(&v) == 0x52);
	CHECK(vio_intr_ack(&v) == 0x52);
	CHECK(isr_has(&v, 0x52, T0) && !irr_has(&v, 0x52, T0));
	CHECK(apic_rd(&v, 0xA0, T0) == 0x50);			/* PPR = the in-service class */
	CHECK(vio_intr_pending(&v) == -1);			/* 0x45: class 4 */
	self_ipi(&v, 0x5F, T0);					/* same class as in service */
	CHECK(vio_intr_pending(&v) == -1);
	self_ipi(&v, 0x61, T0);
	CHECK(vio_intr_pending(&v) == 0x61);
	apic_wr(&v, 0x80, 0x70, T0);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0x80, 0, T0);
	CHECK(vio_intr_ack(&v) == 0x61);
	apic_wr(&v, 0xB0, 0, T0);				/* ends 0x61 */
	apic_wr(&v, 0xB0, 0, T0);				/* ends 0x52 */
	CHECK(vio_intr_ack(&v) == 0x5F);
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(vio_intr_ack(&v) == 0x45);
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(vio_intr_ack(&v) == 0x31);
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(apic_rd(&v, 0xA0, T0) == 0);
}

static void lapic_eoi_nesting(void)
{
	struct vio v;
	apic_vm(&v);
	self_ipi(&v, 0x40, T0);
	CHECK(vio_intr_ack(&v) == 0x40);
	self_ipi(&v, 0x80, T0);					/* a higher class nests */
	self_ipi(&v, 0x41, T0);					/* the same class waits */
	CHECK(vio_intr_pending(&v) == 0x80);
	CHECK(vio_intr_ack(&v) == 0x80);
	CHECK(isr_has(&v, 0x40, T0) && isr_has(&v, 0x80, T0));
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0xB0, 0, T0);				/* EOI ends the highest: 0x80 */
	CHECK(isr_has(&v, 0x40, T0) && !isr_has(&v, 0x80, T0));
	CHECK(vio_intr_pending(&v) == -1);			/* 0x41 still below 0x40's class */
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(!isr_has(&v, 0x40, T0));
	CHECK(vio_intr_ack(&v) == 0x41);
	apic_wr(&v, 0xB0, 0, T0);
	apic_wr(&v, 0xB0, 0, T0);				/* nothing in service: harmless */
	for (uint32_t off = 0x100; off < 0x280; off += 0x10)
		CHECK(apic_rd(&v, off, T0) == 0);
	CHECK(vlapic_take_level_eoi(&v.lapic) == -1);		/* all were edge */
}

static void lapic_ipis(void)
{
	struct vio v;
	struct apic_lines r;
	apic_vm(&v);
	self_ipi(&v, 0x40, T0);
	CHECK(apic_rd(&v, 0x300, T0) == 0x40040);		/* delivery status (bit 12) reads 0 */
	apic_wr(&v, 0x310, 0x00FFFFFFu, T0);
	CHECK(apic_rd(&v, 0x310, T0) == 0);			/* only the destination byte */
	apic_wr(&v, 0x300, 0x41, T0);				/* physical, destination 0: us */
	apic_wr(&v, 0x310, 0x01000000u, T0);
	apic_wr(&v, 0x300, 0x42, T0);				/* APIC 1: nobody */
	apic_wr(&v, 0x310, 0xFF000000u, T0);
	apic_wr(&v, 0x300, 0x43, T0);				/* broadcast */
	/* logical, flat model */
	apic_wr(&v, 0xD0, 0x01000000u, T0);
	apic_wr(&v, 0x310, 0x01000000u, T0);
	apic_wr(&v, 0x300, 0x800 | 0x44, T0);
	apic_wr(&v, 0x310, 0x02000000u, T0);
	apic_wr(&v, 0x300, 0x800 | 0x45, T0);
	/* logical, cluster model: cluster 2, member bit 0 */
	apic_wr(&v, 0xE0, 0x0FFFFFFFu, T0);
	CHECK(apic_rd(&v, 0xE0, T0) == 0x0FFFFFFFu);
	apic_wr(&v, 0xD0, 0x21000000u, T0);
	apic_wr(&v, 0x310, 0x21000000u, T0);
	apic_wr(&v, 0x300, 0x800 | 0x46, T0);
	apic_wr(&v, 0x310, 0x31000000u, T0);
	apic_wr(&v, 0x300, 0x800 | 0x47, T0);
	apic_wr(&v, 0x310, 0xF1000000u, T0);			/* all clusters, member 0 */
	apic_wr(&v, 0x300, 0x800 | 0x48, T0);
	/* shorthands */
	apic_wr(&v, 0x300, 0xC0000 | 0x49, T0);			/* all excluding self */
	apic_wr(&v, 0x300, 0x80000 | 0x4A, T0);			/* all including self */
	CHECK(apic_rd(&v, 0x220, T0) == (1u << 0 | 1u << 1 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 8 | 1u << 10));
	/* INIT/SIPI to the other CPUs (there are none), INIT level de-assert: nothing, unreported */
	apic_wr(&v, 0x300, 0xC4500, T0);
	apic_wr(&v, 0x300, 0xC4610, T0);
	apic_wr(&v, 0x300, 0x88500, T0);
	apic_reports(&v, &r);
	CHECK(r.n == 0);
	CHECK(apic_rd(&v, 0x220, T0) == 0x55B);
	CHECK(esr_latch(&v, T0) == 0);
	/* an NMI to itself is not modelled: ignored, reported */
	apic_wr(&v, 0x300, 0x40400, T0);
	apic_reports(&v, &r);
	CHECK(r.n == 1 && strstr(r.buf, "IPI to itself") != NULL);
}

static void lapic_illegal_vectors(void)
{
	struct vio v;
	apic_vm(&v);
	apic_wr(&v, 0x370, 0xFE, T0);				/* LVT error: vector 0xFE */
	self_ipi(&v, 0x05, T0);
	CHECK(!irr_has(&v, 0x05, T0));
	CHECK(apic_rd(&v, 0x280, T0) == 0);			/* not latched yet */
	CHECK(esr_latch(&v, T0) == 0x60);			/* send + receive illegal vector */
	CHECK(vio_intr_ack(&v) == 0xFE);			/* the error interrupt */
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(esr_latch(&v, T0) == 0);
	/* to nobody: only "send illegal" */
	apic_wr(&v, 0x300, 0xC0000 | 0x07, T0);
	CHECK(esr_latch(&v, T0) == 0x20);
	CHECK(vio_intr_ack(&v) == 0xFE);
	apic_wr(&v, 0xB0, 0, T0);
	/* a local source: the timer with vector 8 */
	apic_wr(&v, 0x3E0, 0xB, T0);
	apic_wr(&v, 0x320, 0x08, T0);
	apic_wr(&v, 0x380, 100, T0);
	vio_sync(&v, T0 + 100);
	CHECK(!irr_has(&v, 0x08, T0 + 100));
	CHECK(esr_latch(&v, T0 + 100) == 0x40);
	CHECK(vio_intr_ack(&v) == 0xFE);
	apic_wr(&v, 0xB0, 0, T0 + 100);
	/* from the IO APIC */
	ioapic_route(&v, 20, 0x03, 0, T0 + 100);
	vioapic_set_pin(&v.ioapic, &v.lapic, 20, true);
	CHECK(!irr_has(&v, 0x03, T0 + 100));
	CHECK(esr_latch(&v, T0 + 100) == 0x40);
	CHECK(vio_intr_ack(&v) == 0xFE);
	apic_wr(&v, 0xB0, 0, T0 + 100);
	/* an illegal error vector does not loop */
	apic_wr(&v, 0x370, 0x02, T0 + 100);
	self_ipi(&v, 0x01, T0 + 100);
	CHECK(esr_latch(&v, T0 + 100) == 0x60);
	CHECK(vio_intr_pending(&v) == -1);
}

static void lapic_timer_oneshot(void)
{
	struct vio v;
	apic_vm(&v);
	uint64_t t = T0 + 1 * MS;
	apic_wr(&v, 0x3E0, 0xB, t);				/* divide by 1: 1 ns a tick */
	apic_wr(&v, 0x320, 0x40, t);				/* one-shot, vector 0x40 */
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);
	apic_wr(&v, 0x380, 1000000, t);
	CHECK(apic_rd(&v, 0x380, t) == 1000000);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 1 * MS);
	CHECK(apic_rd(&v, 0x390, t) == 1000000);
	CHECK(apic_rd(&v, 0x390, t + 250 * US) == 750000);
	CHECK(apic_rd(&v, 0x390, t + 1 * MS - 1) == 1);
	vio_sync(&v, t + 1 * MS - 1);
	CHECK(vio_intr_pending(&v) == -1);
	vio_sync(&v, t + 1 * MS);
	CHECK(vio_intr_pending(&v) == 0x40);
	CHECK(apic_rd(&v, 0x390, t + 1 * MS) == 0);
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);
	CHECK(vio_intr_ack(&v) == 0x40);
	apic_wr(&v, 0xB0, 0, t + 1 * MS);
	vio_sync(&v, t + 10 * MS);				/* once only */
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(apic_rd(&v, 0x390, t + 10 * MS) == 0);
	/* a new initial count restarts it; at divide 16, 1000 counts are 16 us */
	t += 10 * MS;
	apic_wr(&v, 0x3E0, 0x3, t);
	apic_wr(&v, 0x380, 1000, t);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 16 * US);
	apic_wr(&v, 0x380, 1000, t + 10 * US);			/* rewritten before it expired */
	CHECK(apic_rd(&v, 0x390, t + 10 * US) == 1000);
	vio_sync(&v, t + 16 * US);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(apic_rd(&v, 0x390, t + 18 * US) == 500);
	vio_sync(&v, t + 26 * US);
	CHECK(vio_intr_pending(&v) == 0x40);
	/* masked: the counter runs out, nothing reaches IRR */
	vio_intr_ack(&v);
	apic_wr(&v, 0xB0, 0, t + 26 * US);
	apic_wr(&v, 0x320, 0x10040, t + 26 * US);
	apic_wr(&v, 0x380, 1000, t + 26 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);	/* no reason to wake a halted guest */
	vio_sync(&v, t + 100 * US);
	CHECK(vio_intr_pending(&v) == -1 && !irr_has(&v, 0x40, t + 100 * US));
	CHECK(apic_rd(&v, 0x390, t + 100 * US) == 0);
}

static void lapic_timer_periodic(void)
{
	struct vio v;
	apic_vm(&v);
	uint64_t t = T0 + 3 * MS;
	apic_wr(&v, 0x3E0, 0x3, t);				/* divide by 16 */
	apic_wr(&v, 0x320, 0x20041, t);				/* periodic, vector 0x41 */
	apic_wr(&v, 0x380, 62500, t);				/* 62500 * 16 ns = 1 ms */
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 1 * MS);
	vio_sync(&v, t + 1 * MS);
	CHECK(vio_intr_ack(&v) == 0x41);
	apic_wr(&v, 0xB0, 0, t + 1 * MS);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 2 * MS);
	CHECK(apic_rd(&v, 0x390, t + 1 * MS) == 62500);		/* reloaded */
	CHECK(apic_rd(&v, 0x390, t + 1500 * US) == 31250);
	/* 4.5 periods missed: one interrupt, the phase kept */
	vio_sync(&v, t + 5500 * US);
	CHECK(vio_intr_ack(&v) == 0x41);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0xB0, 0, t + 5500 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 6 * MS);
	CHECK(apic_rd(&v, 0x390, t + 5500 * US) == 31250);
	vio_sync(&v, t + 6 * MS - 1);
	CHECK(vio_intr_pending(&v) == -1);
	/* masked, it keeps counting; unmasked, it fires on the same phase */
	apic_wr(&v, 0x320, 0x30041, t + 5600 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);
	vio_sync(&v, t + 7100 * US);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0x320, 0x20041, t + 7100 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 8 * MS);
	/* to one-shot: the current period ends, then nothing */
	apic_wr(&v, 0x320, 0x41, t + 7500 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == t + 8 * MS);
	vio_sync(&v, t + 8 * MS);
	CHECK(vio_intr_ack(&v) == 0x41);
	apic_wr(&v, 0xB0, 0, t + 8 * MS);
	vio_sync(&v, t + 20 * MS);
	CHECK(vio_intr_pending(&v) == -1);
	/* periodic again from a fresh count; then 0 stops it */
	apic_wr(&v, 0x320, 0x20041, t + 20 * MS);
	apic_wr(&v, 0x380, 62500, t + 20 * MS);
	vio_sync(&v, t + 21 * MS);
	CHECK(vio_intr_ack(&v) == 0x41);
	apic_wr(&v, 0xB0, 0, t + 21 * MS);
	apic_wr(&v, 0x380, 0, t + 21500 * US);
	CHECK(vlapic_next_event_ns(&v.lapic) == UINT64_MAX);
	CHECK(apic_rd(&v, 0x390, t + 21500 * US) == 0);
	vio_sync(&v, t + 30 * MS);
	CHECK(vio_intr_pending(&v) == -1);
}

static void lapic_timer_divide(void)
{
	static const struct { uint32_t dcr, div; } enc[] = {
		{0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1},
	};
	struct vio v;
	apic_vm(&v);
	apic_wr(&v, 0x3E0, 0xFFFFFFFFu, T0);
	CHECK(apic_rd(&v, 0x3E0, T0) == 0xB);			/* bits 0, 1, 3 */
	uint64_t t = T0;
	for (unsigned i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		apic_wr(&v, 0x3E0, enc[i].dcr, t);
		apic_wr(&v, 0x320, 0x42, t);
		apic_wr(&v, 0x380, 1000, t);
		CHECK(apic_rd(&v, 0x390, t + 10 * enc[i].div) == 990);
		CHECK(apic_rd(&v, 0x390, t + 10 * enc[i].div + enc[i].div - 1) == 990);
		CHECK(vlapic_next_event_ns(&v.lapic) == t + 1000 * enc[i].div);
		vio_sync(&v, t + 1000 * enc[i].div - 1);
		CHECK(vio_intr_pending(&v) == -1);
		vio_sync(&v, t + 1000 * enc[i].div);
		CHECK(vio_intr_ack(&v) == 0x42);
		apic_wr(&v, 0xB0, 0, t + 1000 * enc[i].div);
		t += 1000 * enc[i].div + 1;
	}
	/* current count decreases with time, never increases, reaches 0 (divide 128) */
	apic_wr(&v, 0x3E0, 0xA, t);
	apic_wr(&v, 0x380, 5000, t);
	uint32_t last = 5000;
	for (uint64_t d = 0; d <= 5000 * 128; d += 1 + rnd(3000)) {
		uint32_t c = apic_rd(&v, 0x390, t + d);
		CHECK(c <= last);
		last = c;
	}
	CHECK(apic_rd(&v, 0x390, t + 5000 * 128) == 0);
}

static void ioapic_registers(void)
{
	struct vio v;
	struct apic_lines r;
	apic_vm(&v);
	uint32_t x = 0x17;
	CHECK(vio_mmio(&v, VIOAPIC_BASE, 4, true, &x, T0) == 1);
	x = 0;
	CHECK(vio_mmio(&v, VIOAPIC_BASE, 1, false, &x, T0) == 1 && x == 0x17);	/* IOREGSEL reads back */
	ioapic_wr(&v, 0, 0xFFFFFFFFu, T0);
	CHECK(ioapic_rd(&v, 0, T0) == 0x0F000000u);		/* ID: bits 24-27 */
	CHECK(ioapic_rd(&v, 2, T0) == 0x0F000000u);		/* arbitration = ID */
	ioapic_wr(&v, 1, 0, T0);
	ioapic_wr(&v, 2, 0, T0);
	CHECK(ioapic_rd(&v, 1, T0) == 0x00170011u && ioapic_rd(&v, 2, T0) == 0x0F000000u);
	ioapic_wr(&v, 0, 0, T0);
	/* an entry: read-only delivery status and remote IRR stay 0 */
	ioapic_wr(&v, 0x10 + 2 * 5, 0xFFFFFFFFu, T0);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 5, T0) == 0x1AFFF);
	ioapic_wr(&v, 0x11 + 2 * 5, 0xFFFFFFFFu, T0);
	CHECK(ioapic_rd(&v, 0x11 + 2 * 5, T0) == 0xFF000000u);
	ioapic_route(&v, 23, 0x10000 | 0x8000 | 0x2000 | 0x800 | 0x100 | 0x77, 0x0F, T0);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 23, T0) == 0x1A977 && ioapic_rd(&v, 0x11 + 2 * 23, T0) == 0x0F000000u);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 4, T0) == 0x10000);	/* its neighbours untouched */
	CHECK(ioapic_rd(&v, 0x10 + 2 * 6, T0) == 0x10000);
	/* beyond pin 23, reserved registers, other offsets, sub-dword IOWIN: 0, ignored, reported */
	ioapic_wr(&v, 0x40, 0x55, T0);
	CHECK(ioapic_rd(&v, 0x40, T0) == 0);
	CHECK(ioapic_rd(&v, 0x03, T0) == 0);
	CHECK(ioapic_rd(&v, 0xFF, T0) == 0);
	x = 0x5A;
	CHECK(vio_mmio(&v, VIOAPIC_BASE + 0x20, 4, false, &x, T0) == 1 && x == 0);
	x = 1;
	ioapic_wr(&v, 0x10, 0x10000, T0);
	CHECK(vio_mmio(&v, VIOAPIC_BASE + 0x10, 1, false, &x, T0) == 1 && x == 0);
	CHECK(vio_mmio(&v, VIOAPIC_BASE + 0x10, 2, true, &x, T0) == 1);
	CHECK(ioapic_rd(&v, 0x10, T0) == 0x10000);
	apic_reports(&v, &r);
	CHECK(r.n == 3);
	CHECK(strstr(r.buf, "reserved registers accessed (read 0, writes ignored): 0x3 0x40 0xff\n") != NULL);
	CHECK(strstr(r.buf, "outside IOREGSEL/IOWIN") != NULL);
	CHECK(strstr(r.buf, "1- or 2-byte IOWIN") != NULL);
}

/* A kernel that uses the IO APIC (Linux, xv6): the 8259s remapped and all masked, LINT0 masked,
 * the PIT on IO APIC pin 2 (the interrupt source override), COM1 on pin 4. */
static void apic_mode_setup(struct vio *v, uint64_t now)
{
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xFF, 0xFF};
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	for (unsigned i = 0; i < sizeof port / sizeof port[0]; i++)
		vio_out(v, port[i], 1, val[i], now);
	apic_wr(v, 0x350, 0x10700, now);
	apic_wr(v, 0xF0, 0x1FF, now);
}

static void ioapic_pit_edge(void)
{
	struct vio v;
	apic_vm(&v);
	apic_mode_setup(&v, T0);
	vio_sync(&v, T0 + 100 * MS);				/* BIOS-rate ticks: all masked */
	CHECK(vio_intr_pending(&v) == -1);
	ioapic_route(&v, 2, 0x30, 0, T0 + 100 * MS);		/* edge, active high, fixed, APIC 0 */
	ioapic_route(&v, 0, 0x50, 0, T0 + 100 * MS);		/* pin 0 is not the PIT's */
	vio_out(&v, 0x43, 1, 0x34, T0 + 100 * MS);
	vio_out(&v, 0x40, 1, 11932 & 0xFF, T0 + 100 * MS);
	vio_out(&v, 0x40, 1, 11932 >> 8, T0 + 100 * MS);
	uint64_t due = vio_next_event_ns(&v);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(vio_sync(&v, due) == 1);
	CHECK(vio_intr_pending(&v) == 0x30);
	CHECK(vpic_pending(&v.pic) == -1);			/* the 8259 path: masked */
	CHECK(vio_intr_ack(&v) == 0x30);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 2, due) == 0x30);	/* edge: no remote IRR */
	apic_wr(&v, 0xB0, 0, due);
	CHECK(vlapic_take_level_eoi(&v.lapic) == -1);
	/* ticks missed coalesce into one */
	CHECK(vio_sync(&v, due + 51 * MS) == 5);
	CHECK(vio_intr_ack(&v) == 0x30);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0xB0, 0, due + 51 * MS);
	/* masked: the tick is lost (82093AA); unmasked: the next one comes */
	ioapic_wr(&v, 0x10 + 2 * 2, 0x10030, due + 51 * MS);
	vio_sync(&v, due + 61 * MS);
	CHECK(vio_intr_pending(&v) == -1);
	ioapic_wr(&v, 0x10 + 2 * 2, 0x30, due + 61 * MS);
	CHECK(vio_intr_pending(&v) == -1);
	vio_sync(&v, due + 71 * MS);
	CHECK(vio_intr_ack(&v) == 0x30);
	/* the 8259 unmasked too: with LINT0 masked its request does not reach the CPU */
	apic_wr(&v, 0xB0, 0, due + 71 * MS);
	vio_out(&v, 0x21, 1, 0xFE, due + 71 * MS);
	vio_sync(&v, due + 81 * MS);
	CHECK(vpic_pending(&v.pic) == 0x20);
	CHECK(vio_intr_ack(&v) == 0x30);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(!irr_has(&v, 0x50, due + 81 * MS));
}

static void ioapic_level_remote_irr(void)
{
	struct vio v;
	int c;
	apic_vm(&v);
	apic_mode_setup(&v, T0);
	ioapic_route(&v, 4, 0x8000 | 0x34, 0, T0);		/* COM1: level, active high */
	vio_out(&v, 0x3F9, 1, 0x01, T0);			/* RDA interrupts */
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(vio_input(&v, 'a', T0));				/* the line goes high */
	CHECK(vio_intr_pending(&v) == 0x34);
	CHECK(ioapic_rd(&v, 0x18, T0) == (0x4000 | 0x8000 | 0x34));	/* remote IRR */
	CHECK(apic_rd(&v, 0x190, T0) == 1u << (0x34 - 32));		/* TMR: level */
	CHECK(vio_intr_ack(&v) == 0x34);
	/* EOI while the line is still high: remote IRR clears, the pin delivers again */
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(ioapic_rd(&v, 0x18, T0) == (0x4000 | 0x8000 | 0x34));
	CHECK(vio_intr_ack(&v) == 0x34);
	/* the driver reads the byte: the line drops; EOI clears remote IRR and nothing follows */
	CHECK(vio_in(&v, 0x3F8, 1, T0, &c) == 'a');
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(ioapic_rd(&v, 0x18, T0) == (0x8000 | 0x34));
	CHECK(vio_intr_pending(&v) == -1);
	/* masked while it rises: nothing; unmasked while high: delivered */
	ioapic_wr(&v, 0x18, 0x18034, T0);
	CHECK(vio_input(&v, 'b', T0));
	CHECK(vio_intr_pending(&v) == -1);
	ioapic_wr(&v, 0x18, 0x8034, T0);
	CHECK(vio_intr_ack(&v) == 0x34);
	CHECK(ioapic_rd(&v, 0x18, T0) == (0x4000 | 0x8000 | 0x34));
	/* switched to edge, remote IRR goes */
	ioapic_wr(&v, 0x18, 0x0034, T0);
	CHECK(ioapic_rd(&v, 0x18, T0) == 0x34);
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(vio_intr_pending(&v) == -1);
}

static void ioapic_polarity_dest_modes(void)
{
	struct vio v;
	struct apic_lines r;
	apic_vm(&v);
	struct vioapic *io = &v.ioapic;
	struct vlapic *l = &v.lapic;
	/* active-low edge: the falling line is the rising input */
	ioapic_route(&v, 20, 0x2000 | 0x60, 0, T0);
	vioapic_set_pin(io, l, 20, true);
	CHECK(vio_intr_pending(&v) == -1);
	vioapic_set_pin(io, l, 20, false);
	CHECK(vio_intr_ack(&v) == 0x60);
	apic_wr(&v, 0xB0, 0, T0);
	/* active-low level with the line low: asserted as soon as it is unmasked */
	ioapic_route(&v, 21, 0x8000 | 0x2000 | 0x61, 0, T0);
	CHECK(vio_intr_ack(&v) == 0x61);
	vioapic_set_pin(io, l, 21, true);			/* deasserted */
	apic_wr(&v, 0xB0, 0, T0);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 21, T0) == (0x8000 | 0x2000 | 0x61));
	/* physical destination 1 is nobody; retargeted to us, a level pin delivers */
	ioapic_route(&v, 22, 0x8000 | 0x62, 1, T0);
	vioapic_set_pin(io, l, 22, true);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(ioapic_rd(&v, 0x10 + 2 * 22, T0) == (0x8000 | 0x62));	/* nobody accepted it */
	ioapic_wr(&v, 0x11 + 2 * 22, 0, T0);
	CHECK(vio_intr_ack(&v) == 0x62);
	vioapic_set_pin(io, l, 22, false);
	apic_wr(&v, 0xB0, 0, T0);
	/* logical destination against LDR (flat) */
	apic_wr(&v, 0xD0, 0x02000000u, T0);
	ioapic_route(&v, 19, 0x800 | 0x63, 0x02, T0);
	ioapic_route(&v, 18, 0x800 | 0x64, 0x04, T0);
	vioapic_set_pin(io, l, 19, true);
	vioapic_set_pin(io, l, 18, true);
	CHECK(vio_intr_ack(&v) == 0x63);
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0xB0, 0, T0);
	/* lowest priority goes to us as fixed does */
	ioapic_route(&v, 17, 0x100 | 0x65, 0, T0);
	vioapic_set_pin(io, l, 17, true);
	CHECK(vio_intr_ack(&v) == 0x65);
	apic_wr(&v, 0xB0, 0, T0);
	/* NMI and ExtINT through the IO APIC are refused and reported */
	ioapic_route(&v, 16, 0x400 | 0x66, 0, T0);
	ioapic_route(&v, 10, 0x700, 0, T0);
	vioapic_set_pin(io, l, 16, true);
	vioapic_set_pin(io, l, 10, true);
	CHECK(vio_intr_pending(&v) == -1);
	apic_reports(&v, &r);
	CHECK(r.n == 1);
	CHECK(strstr(r.buf, "IO APIC: delivery modes not modelled (nothing delivered): NMI ExtINT on pins 10 16") != NULL);
	/* pins beyond 23 do not exist */
	vioapic_set_pin(io, l, 24, true);
	vioapic_set_pin(io, l, 31, true);
	CHECK(vio_intr_pending(&v) == -1);
}

static void virtual_wire(void)
{
	struct vio v;
	apic_vm(&v);
	/* the guest-x86 way: the 8259s remapped, IRQ0 unmasked, the APIC left as the BIOS set it */
	static const uint8_t val[] = {0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x01, 0xFE, 0xFF};
	static const uint16_t port[] = {0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1};
	for (unsigned i = 0; i < sizeof port / sizeof port[0]; i++)
		vio_out(&v, port[i], 1, val[i], T0);
	vio_sync(&v, T0 + 100 * MS);
	CHECK(vio_intr_pending(&v) == 0x20);			/* LINT0 ExtINT: the 8259's vector */
	CHECK(vio_intr_ack(&v) == 0x20);
	CHECK(vio_intr_pending(&v) == -1);
	vio_out(&v, 0x20, 1, 0x20, T0 + 100 * MS);
	for (uint32_t off = 0x100; off < 0x280; off += 0x10)
		CHECK(apic_rd(&v, off, T0 + 100 * MS) == 0);	/* the APIC's own IRR/ISR untouched */
	vio_sync(&v, T0 + 200 * MS);
	CHECK(vio_intr_pending(&v) == 0x20);
	apic_wr(&v, 0x350, 0x10700, T0 + 200 * MS);		/* LINT0 masked: the 8259 is cut off */
	CHECK(vpic_pending(&v.pic) == 0x20);
	CHECK(vio_intr_pending(&v) == -1);
	CHECK(vio_intr_ack(&v) == -1);
	apic_wr(&v, 0x350, 0x0030, T0 + 200 * MS);		/* fixed mode: not modelled, cut off */
	CHECK(vio_intr_pending(&v) == -1);
	apic_wr(&v, 0x350, 0x0700, T0 + 200 * MS);
	CHECK(vio_intr_pending(&v) == 0x20);
	apic_wr(&v, 0xF0, 0xFF, T0 + 200 * MS);			/* software disable masks LINT0 */
	CHECK(vio_intr_pending(&v) == -1);
	/* the APIC globally disabled: the 8259 goes straight to the CPU */
	uint64_t m = 0xFEE00100u;
	CHECK(vlapic_msr(&v.lapic, true, &m) == 0);
	CHECK(vio_intr_pending(&v) == 0x20);
	CHECK(vio_intr_ack(&v) == 0x20);
	struct apic_lines r;
	apic_reports(&v, &r);
	CHECK(r.n == 1 && strstr(r.buf, "LINT0 unmasked in a mode other than ExtINT") != NULL);
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
	KTAP_BEGIN(66);
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
	RUN(lapic_reset_state);
	RUN(lapic_odd_accesses);
	RUN(lapic_msr_base);
	RUN(lapic_svr_masks_lvts);
	RUN(lapic_priority);
	RUN(lapic_eoi_nesting);
	RUN(lapic_ipis);
	RUN(lapic_illegal_vectors);
	RUN(lapic_timer_oneshot);
	RUN(lapic_timer_periodic);
	RUN(lapic_timer_divide);
	RUN(ioapic_registers);
	RUN(ioapic_pit_edge);
	RUN(ioapic_level_remote_irr);
	RUN(ioapic_polarity_dest_modes);
	RUN(virtual_wire);
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
