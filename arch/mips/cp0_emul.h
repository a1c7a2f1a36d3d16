/* cp0_emul.h - trap-and-emulate of the guest's privileged instructions. The guest kernel runs in
 * supervisor mode with Status.CU0 clear, so every mfc0, mtc0, tlbr/tlbwi/tlbwr/tlbp, eret, wait, di, ei, cache it executes
 * raises coprocessor-unusable; we emulate it against the virtual CP0 (struct vcp0) and TLB. */
#ifndef ARCH_MIPS_CP0_EMUL_H
#define ARCH_MIPS_CP0_EMUL_H
#include "vm.h"

enum { CP0_DONE, CP0_JUMPED, CP0_WAIT, CP0_BAD };

/* Emulate one privileged instruction (its pc for messages). Does not advance the pc. */
int cp0_exec(struct vm *vm, uint32_t insn, uint32_t pc);
/* A coprocessor-unusable trap from the guest kernel: fetch, emulate, advance. */
void cp0_trap(struct vm *vm);
/* What an mtc0 of (reg, sel) does to the virtual CP0 (also for stores to the special page). */
void cp0_write_reg(struct vm *vm, unsigned reg, unsigned sel, uint32_t v);
/* Virtual Random register: a value in [Wired, 63]. */
unsigned cp0_random(struct vm *vm);

#endif
