/* branch.c - MIPS32 branch and jump semantics (including the "likely" forms). */
#include "branch.h"

#define OP(i) ((i) >> 26)
#define RS(i) (((i) >> 21) & 31)
#define RT(i) (((i) >> 16) & 31)
#define RD(i) (((i) >> 11) & 31)
#define FN(i) ((i) & 63)

int is_branch(uint32_t i)
{
	switch (OP(i)) {
	case 0: return FN(i) == 8 || FN(i) == 9;          /* jr, jalr */
	case 1: return (RT(i) & 0x0c) == 0 || (RT(i) & 0x1c) == 0x10; /* bltz.. bgezall */
	case 2: case 3: case 4: case 5: case 6: case 7:    /* j jal beq bne blez bgtz */
	case 20: case 21: case 22: case 23:                /* beql bnel blezl bgtzl */
		return 1;
	}
	return 0;
}

int branch_eval(struct regs *f, uint32_t pc, uint32_t i, uint32_t *next)
{
	int32_t s = (int32_t)f->r[RS(i)], t = (int32_t)f->r[RT(i)];
	uint32_t target = pc + 4 + ((uint32_t)(int32_t)(int16_t)(i & 0xffff) << 2);
	int taken, link = 0, likely = 0;

	switch (OP(i)) {
	case 0:
		if (FN(i) != 8 && FN(i) != 9)
			return -1;
		*next = (uint32_t)s;
		if (FN(i) == 9 && RD(i))
			f->r[RD(i)] = pc + 8;
		return 0;
	case 2: case 3:
		*next = ((pc + 4) & 0xf0000000u) | ((i & 0x03ffffffu) << 2);
		if (OP(i) == 3)
			f->r[31] = pc + 8;
		return 0;
	case 1:
		switch (RT(i)) {
		case 0: taken = s < 0; break;
		case 1: taken = s >= 0; break;
		case 2: taken = s < 0; likely = 1; break;
		case 3: taken = s >= 0; likely = 1; break;
		case 16: taken = s < 0; link = 1; break;
		case 17: taken = s >= 0; link = 1; break;
		case 18: taken = s < 0; link = likely = 1; break;
		case 19: taken = s >= 0; link = likely = 1; break;
		default: return -1;
		}
		break;
	case 4: taken = s == t; break;
	case 5: taken = s != t; break;
	case 6: taken = s <= 0; break;
	case 7: taken = s > 0; break;
	case 20: taken = s == t; likely = 1; break;
	case 21: taken = s != t; likely = 1; break;
	case 22: taken = s <= 0; likely = 1; break;
	case 23: taken = s > 0; likely = 1; break;
	default: return -1;
	}
	if (link)
		f->r[31] = pc + 8;
	*next = taken ? target : pc + 8;
	return likely && !taken;   /* a not-taken likely branch nullifies its delay slot */
}
