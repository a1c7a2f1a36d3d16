/* timer.h - the CP0 timer (Count/Compare on IP7): the VMM's time slices and each VM's virtual
 * Compare. The real Compare is programmed for whichever comes first: the end of the running VM's
 * slice or the earliest virtual Compare of any VM. Count itself is shared: a VM reads the real
 * Count (and may read it without trapping through rdhwr $2). */
#ifndef ARCH_MIPS_TIMER_H
#define ARCH_MIPS_TIMER_H
#include "vm.h"

void timer_slice_start(void);
int timer_slice_over(void);
void timer_program(void);
/* Raise the VM's virtual timer interrupt if its Compare has been reached. */
void timer_check(struct vm *vm);
/* Guest `wait`: block unless an enabled interrupt is already pending. */
void timer_wait(struct vm *vm);
/* Is an interrupt pending that the guest would take now? */
int timer_deliverable(const struct vm *vm);

#endif
