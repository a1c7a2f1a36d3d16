/* test_alu.c - host unit tests of arch/x86_64/cpu/alu.c, the arithmetic of instructions the VMM
 * emulates on device memory. alu() runs each operation as the instruction itself on this CPU; here
 * every result and status flag is checked against the architectural definition (Intel SDM vol. 1
 * appendix A / vol. 2 per instruction), computed in plain C: all 8-bit operand pairs with both
 * carries in, and random 16- and 32-bit ones. Flags the SDM leaves undefined (AF after and/or/xor/
 * test) are not compared; the bits alu() must not touch (DF, IF, TF, ...) must come back as given. */
#include <stdint.h>
#include <stdlib.h>
#include "ktap.h"
#include "../../arch/x86_64/cpu/alu.h"

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u

static uint32_t parity(uint32_t r) { return __builtin_popcount(r & 0xFF) % 2 ? 0 : PF; }

/* The reference: result and flags of op on size bytes, as the SDM defines them. *defined gets the
 * status flags the SDM defines for op. */
static uint32_t ref(enum alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t cin, uint32_t *fl,
		    uint32_t *defined)
{
	unsigned bits = size * 8;
	uint64_t m = (1ULL << bits) - 1, sign = 1ULL << (bits - 1);
	uint64_t x = a & m, y = b & m, r = 0;
	uint32_t f = 0;
	int arith = 1, cf = 0, of = 0, af = 0;
	*defined = CF | PF | AF | ZF | SF | OF;
	switch (op) {
	case ALU_ADD: case ALU_ADC: {
		uint64_t c = op == ALU_ADC ? cin : 0;
		r = x + y + c;
		cf = r > m;
		of = !((x ^ y) & sign) && ((x ^ r) & sign);
		af = ((x & 15) + (y & 15) + c) > 15;
		break;
	}
	case ALU_SUB: case ALU_SBB: case ALU_CMP: {
		uint64_t c = op == ALU_SBB ? cin : 0;
		r = x - y - c;
		cf = x < y + c;
		of = ((x ^ y) & sign) && ((x ^ r) & sign);
		af = (x & 15) < (y & 15) + c;
		break;
	}
	case ALU_AND: case ALU_TEST: r = x & y; arith = 0; break;
	case ALU_OR: r = x | y; arith = 0; break;
	case ALU_XOR: r = x ^ y; arith = 0; break;
	case ALU_INC:
		r = x + 1;
		of = x == sign - 1;
		af = (x & 15) == 15;
		*defined &= ~CF;
		cf = cin;
		break;
	case ALU_DEC:
		r = x - 1;
		of = x == sign;
		af = (x & 15) == 0;
		*defined &= ~CF;
		cf = cin;
		break;
	case ALU_NEG:
		r = 0 - x;
		cf = x != 0;
		of = x == sign;
		af = (x & 15) != 0;
		break;
	case ALU_NOT:
		r = ~x;
		*defined = 0;
		break;
	}
	r &= m;
	if (!arith)
		*defined &= ~AF;                           /* undefined after logic ops */
	f |= cf ? CF : 0;
	f |= of && arith ? OF : 0;
	f |= af && arith ? AF : 0;
	f |= parity((uint32_t)r) | (r == 0 ? ZF : 0) | (r & sign ? SF : 0);
	*fl = f;
	return (uint32_t)r;
}

static const char *const names[] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "inc",
				     "dec", "not", "neg" };
static unsigned reported;

static void one(enum alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t cin)
{
	uint32_t keep = 0x00247700u & ~0x8D5u;             /* DF IF TF and other bits that must stay */
	uint32_t fl = keep | cin | (cin ? 0 : OF | ZF);    /* junk in the status bits too */
	uint32_t before = fl, want_fl, defined;
	uint32_t want = ref(op, size, a, b, cin, &want_fl, &defined);
	uint32_t got = alu(op, size, a, b, &fl);
	int ok = got == want && (fl & defined) == (want_fl & defined) && (fl & ~0x8D5u) == (before & ~0x8D5u);
	if (op == ALU_NOT)
		ok = ok && fl == before;                    /* not writes no flags */
	if ((op == ALU_INC || op == ALU_DEC) && (fl & CF) != (before & CF))
		ok = 0;                                     /* inc/dec keep CF */
	if (!ok && reported++ < 10)
		printf("    # %s size %u a %#x b %#x cf %u: got %#x flags %#x, want %#x flags %#x (defined %#x)\n",
		       names[op], size, a, b, cin, got, fl, want, want_fl, defined);
	CHECK(ok);
}

static void all_ops_8bit_exhaustive(void)
{
	for (int op = ALU_ADD; op <= ALU_NEG; op++)
		for (uint32_t a = 0; a < 256; a++)
			for (uint32_t b = 0; b < 256; b++)
				for (uint32_t c = 0; c < 2; c++)
					one((enum alu_op)op, 1, a, b, c);
}

static uint32_t rnd(void)
{
	static uint64_t s = 0x9E3779B97F4A7C15ULL;
	s ^= s << 13, s ^= s >> 7, s ^= s << 17;
	/* Mix in the edges: 0, all ones, the sign bit and its neighbours. */
	switch (s % 8) {
	case 0: return 0;
	case 1: return 0xFFFFFFFFu;
	case 2: return 0x80000000u >> ((s >> 8) % 2 ? 16 : 0);
	case 3: return 0x7FFFFFFFu >> ((s >> 8) % 2 ? 16 : 0);
	default: return (uint32_t)(s >> 16);
	}
}

static void all_ops_16_and_32bit_random(void)
{
	for (int i = 0; i < 200000; i++) {
		enum alu_op op = (enum alu_op)(i % (ALU_NEG + 1));
		one(op, i % 2 ? 2 : 4, rnd(), rnd(), (uint32_t)i / 2 % 2);
	}
}

int main(void)
{
	KTAP_BEGIN(2);
	RUN(all_ops_8bit_exhaustive);
	RUN(all_ops_16_and_32bit_random);
	KTAP_END();
}
