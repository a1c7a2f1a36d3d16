/* trap.h - the frame trapentry.asm builds on every interrupt and exception. */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H
#include <stdint.h>

struct trapframe {
	uint64_t gs, fs, es, ds;
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};

#define IRQ_BASE 32          /* the 8259s are remapped to vectors 32..47 */

void trap(struct trapframe *tf);
void trap_dump(const struct trapframe *tf);
/* Handlers for IRQ lines, called with the frame; set by the timer and devices. */
void irq_register(unsigned irq, void (*fn)(struct trapframe *));

/* gcopy.asm's two copying instructions and its fixup (a #PF at either resumes at the fixup). */
extern const char gcopy_movsd[], gcopy_movsb[], gcopy_fault[];
/* cpu/direct.asm's guest accesses lie between these two labels; a #PF there resumes at the third. */
extern const char direct_guest_begin[], direct_guest_end[], direct_give_up[];

/* For self tests: if set, an exception in the VMM at ring 0 calls this instead of panicking;
 * it returns nonzero if it handled (and fixed up) the fault. */
extern int (*trap_selftest_hook)(struct trapframe *tf);

/* Symbol lookup for register dumps: the name of the function containing addr and the offset. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
