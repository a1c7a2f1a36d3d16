/* trapframe.h - what entry.S saves on an exception: r[1..31], hi, lo, epc, status, cause,
 * badvaddr. It sits at the top of the current process's kernel stack. */
#ifndef GUEST_MIPS_TRAPFRAME_H
#define GUEST_MIPS_TRAPFRAME_H
#define TF_HI 128
#define TF_LO 132
#define TF_EPC 136
#define TF_STATUS 140
#define TF_CAUSE 144
#define TF_BADVADDR 148
#define TF_SIZE 152
#ifndef __ASSEMBLER__
#include <stdint.h>
struct tf {
	uint32_t r[32];
	uint32_t hi, lo, epc, status, cause, badvaddr;
};
#endif
#endif
