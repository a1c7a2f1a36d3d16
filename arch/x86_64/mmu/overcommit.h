/* overcommit.h - memory overcommit, the x86 side: see overcommit.c. */
#ifndef ARCH_OVERCOMMIT_H
#define ARCH_OVERCOMMIT_H
#include <stdint.h>

struct vm;
struct trapframe;

/* The boot options share=, zstore=, balloon= (warnings for bad values); once, before the VMs. */
void overcommit_setup(void);
/* Give the VM's pmap the hooks that let mm/ share and page out its frames (vm_create). */
void overcommit_attach(struct vm *vm);
/* Once per timer tick, from vm_resume: scan for sharing, adjust balloons, page out. */
void overcommit_tick(void);
/* Out of frames in the middle of a trap (shadow_fault): page out some now. How many went. */
unsigned overcommit_emergency(void);
/* HC_BALLOON: the guest's balloon holds `now` frames; the answer is its target. */
int32_t balloon_call(struct vm *vm, uint32_t now);
/* Set VM vm's balloon target (the operator's `balloon N SIZE`). */
void balloon_set(struct vm *vm, uint64_t frames);
/* The VM's memory line for its end report and the operator's list. */
int overcommit_report(const struct vm *vm, char *buf, unsigned size);
/* The machine's memory now in one line (the operator's `mem`). */
int overcommit_machine(char *buf, unsigned size);
/* The machine-wide line at the end: what sharing saved at most, what the store did. */
void overcommit_summary(void);
/* What the compressed store held when a frame could not be had (for a stopped VM's reason). */
const char *overcommit_why(void);

#endif
