/* frame_regs.h - the register frame the exception entry (vectors.S) saves and restores.
 * It is the first member of every vCPU, so a frame pointer is a vCPU pointer. Offsets are shared
 * with the assembly, hence plain numbers. */
#ifndef ARCH_MIPS_FRAME_REGS_H
#define ARCH_MIPS_FRAME_REGS_H

#define FR_REG(n)   ((n) * 4)
#define FR_HI       128
#define FR_LO       132
#define FR_PC       136
#define FR_STATUS   140   /* hardware Status to run the guest with (EXL kept set until eret) */
#define FR_CAUSE    144
#define FR_BADVADDR 148
#define FR_SIZE     152

#ifndef __ASSEMBLER__
#include <stdint.h>
struct regs {
	uint32_t r[32];     /* r[0] always 0; r[26], r[27] are the guest's k0/k1 */
	uint32_t hi, lo;
	uint32_t pc;        /* where the guest resumes (EPC at entry) */
	uint32_t status, cause, badvaddr;
};
_Static_assert(sizeof(struct regs) == FR_SIZE, "frame layout");

/* Vector identifiers passed to vmm_trap(). */
enum { VEC_REFILL = 0, VEC_GENERAL = 1 };
struct regs *vmm_trap(struct regs *f, unsigned vec);
/* Load a frame and eret into it (vectors.S). */
_Noreturn void vmm_resume(struct regs *f);
extern char vmm_vectors[];
#endif
#endif
