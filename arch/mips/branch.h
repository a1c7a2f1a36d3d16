/* branch.h - evaluating a guest branch, for instructions we emulate in its delay slot and for
 * the kseg0 interpreter. */
#ifndef ARCH_MIPS_BRANCH_H
#define ARCH_MIPS_BRANCH_H
#include <stdint.h>
#include "frame_regs.h"

/* Is insn a branch or jump (has a delay slot)? */
int is_branch(uint32_t insn);
/* Evaluate the branch insn at pc against f's registers (before its delay slot runs): returns the
 * address execution continues at after the delay slot and performs any link. Returns 0, 1 when
 * the delay slot is nullified (a not-taken likely branch), -1 if insn is not a branch. */
int branch_eval(struct regs *f, uint32_t pc, uint32_t insn, uint32_t *next);

#endif
