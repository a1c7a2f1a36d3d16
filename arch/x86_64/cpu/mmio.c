/* mmio.c - STUB: replaced by the emulation of guest instructions that touch device memory. */
#include "vm.h"

int mmio_emulate(struct vm *vm, struct trapframe *tf, uint32_t la, uint32_t gpa, uint32_t err)
{
	(void)la, (void)err;
	vm_fail(vm, "access to guest-physical %08x beyond its %lu MiB (eip %08lx)", gpa, vm->pmap.nframes >> 8,
		tf->rip);
	return -1;
}
