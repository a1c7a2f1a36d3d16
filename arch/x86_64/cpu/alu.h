/* alu.h - the arithmetic of emulated instructions, done by the real CPU so that the status flags
 * (CF PF AF ZF SF OF) are exactly what the guest's own instruction would have left, undefined ones
 * included (AF after and/or/xor/test is whatever this CPU does). */
#ifndef ARCH_ALU_H
#define ARCH_ALU_H
#include <stdint.h>

enum alu_op {            /* 0..7 in the order of the 00-3F opcodes and of group 1's ModRM.reg */
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST, ALU_INC, ALU_DEC, ALU_NOT, ALU_NEG
};

#define ALU_STATUS 0x8D5u      /* CF PF AF ZF SF OF */

/* a op b on `size` bytes (1, 2 or 4); b is ignored by the one-operand ops. *eflags carries the
 * guest's flags in (CF for adc/sbb) and out: the status flags the instruction writes are replaced,
 * every other bit (DF, IF, TF, ...) is left as it was. Returns the result (for cmp and test, which
 * store none, the value that would have been stored). */
uint32_t alu(enum alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t *eflags);

#endif
