/* alu.c - see alu.h. Each operation runs as the very instruction on this CPU; pushfq reads the
 * status flags back. (Not lahf: in 64-bit mode it exists only where CPUID 80000001h ECX bit 0 says
 * so, and the first AMD64 and EM64T CPUs -- QEMU's Opteron_G1 -- lack it: #UD in the VMM. The
 * pushfq steps over the 128-byte red zone first, so this also runs in the host tests' user mode.) */
#include "alu.h"

#define READ_FLAGS "lea -128(%%rsp), %%rsp\n\tpushfq\n\tpop %q[fl]\n\tlea 128(%%rsp), %%rsp"
#define BIN(INSN, T, SFX, C)                                                                    \
	do {                                                                                    \
		T x = (T)a, y = (T)b;                                                           \
		__asm__("btl $0, %k[c]\n\t" INSN SFX " %[y], %[x]\n\t" READ_FLAGS              \
			: [x] "+" C(x), [fl] "=&r"(fl)                                            \
			: [y] C(y), [c] "r"(cin)                                                 \
			: "cc");                                                                 \
		r = x;                                                                          \
	} while (0)
#define UN(INSN, T, SFX, C)                                                                     \
	do {                                                                                    \
		T x = (T)a;                                                                     \
		__asm__("btl $0, %k[c]\n\t" INSN SFX " %[x]\n\t" READ_FLAGS                    \
			: [x] "+" C(x), [fl] "=&r"(fl)                                            \
			: [c] "r"(cin)                                                           \
			: "cc");                                                                 \
		r = x;                                                                          \
	} while (0)
#define SIZED(M, INSN)                                                                          \
	do {                                                                                    \
		if (size == 1)                                                                  \
			M(INSN, uint8_t, "b", "q");                                             \
		else if (size == 2)                                                             \
			M(INSN, uint16_t, "w", "r");                                            \
		else                                                                            \
			M(INSN, uint32_t, "l", "r");                                            \
	} while (0)

uint32_t alu(enum alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t *eflags)
{
	uint32_t r = a, cin = *eflags & 1, mask = ALU_STATUS;
	uint64_t fl = 0;
	switch (op) {
	case ALU_ADD: SIZED(BIN, "add"); break;
	case ALU_OR:  SIZED(BIN, "or"); break;
	case ALU_ADC: SIZED(BIN, "adc"); break;
	case ALU_SBB: SIZED(BIN, "sbb"); break;
	case ALU_AND: SIZED(BIN, "and"); break;
	case ALU_SUB: SIZED(BIN, "sub"); break;
	case ALU_XOR: SIZED(BIN, "xor"); break;
	case ALU_CMP: SIZED(BIN, "sub"); break;   /* cmp is a sub that stores nothing */
	case ALU_TEST: SIZED(BIN, "and"); break;  /* test is an and that stores nothing */
	case ALU_INC: SIZED(UN, "inc"); mask &= ~1u; break;   /* inc/dec leave CF alone */
	case ALU_DEC: SIZED(UN, "dec"); mask &= ~1u; break;
	case ALU_NEG: SIZED(UN, "neg"); break;
	case ALU_NOT: SIZED(UN, "not"); mask = 0; break;      /* not writes no flags */
	}
	*eflags = (*eflags & ~mask) | ((uint32_t)fl & mask);
	return size == 1 ? (r & 0xFF) : size == 2 ? (r & 0xFFFF) : r;
}
