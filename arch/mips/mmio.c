/* mmio.c - emulated kseg0/kseg1 loads and stores of a deprivileged guest (see mmio.h). */
#include "mmio.h"
#include "gmem.h"
#include "branch.h"
#include "console.h"
#include "mips.h"

#define UART_PA   0x180003f8u
#define RESET_PA  0x1f000500u

int mmio_access(struct vm *vm, uint32_t va, int size, int store, uint32_t *val)
{
	uint32_t pa = va & 0x1fffffffu;
	vm->st.mmio++;
	if (pa >= UART_PA && pa < UART_PA + 8) {
		if (store && pa == UART_PA)
			vconsole_putc(&vm->con, (char)*val, vm_print_line);
		else if (!store)
			*val = pa == UART_PA + 5 ? 0x60 : 0;   /* LSR: transmitter empty */
		return 0;
	}
	if (pa == RESET_PA && store) {
		vconsole_flush(&vm->con, vm_print_line);
		kprintf("vm%u: powered off\n", vm->s.id);
		vm->s.state = VM_OFF;
		return -1;
	}
	void *p = (pa + (uint32_t)size <= vm->ram_bytes && !(pa & (uint32_t)(size - 1)))
			  ? gmem_ptr(vm, pa) : 0;
	if (!p) {
		vm_fail(vm, "%s of guest-physical 0x%08x outside its memory at epc 0x%08x",
			store ? "store" : "load", pa, vm->f.pc);
		return -1;
	}
	if (size == 1) {
		if (store) *(uint8_t *)p = (uint8_t)*val; else *val = *(uint8_t *)p;
	} else if (size == 2) {
		if (store) *(uint16_t *)p = (uint16_t)*val; else *val = *(uint16_t *)p;
	} else {
		if (store) *(uint32_t *)p = *val; else *val = *(uint32_t *)p;
	}
	return 0;
}

int mmio_insn(struct vm *vm, uint32_t i)
{
	unsigned op = i >> 26, base = (i >> 21) & 31, rt = (i >> 16) & 31;
	uint32_t va = vm->f.r[base] + (uint32_t)(int32_t)(int16_t)(i & 0xffff), v = vm->f.r[rt];
	int size, store, sign;
	switch (op) {
	case 0x20: size = 1; store = 0; sign = 1; break;  /* lb */
	case 0x21: size = 2; store = 0; sign = 1; break;  /* lh */
	case 0x23: size = 4; store = 0; sign = 0; break;  /* lw */
	case 0x24: size = 1; store = 0; sign = 0; break;  /* lbu */
	case 0x25: size = 2; store = 0; sign = 0; break;  /* lhu */
	case 0x28: size = 1; store = 1; sign = 0; break;  /* sb */
	case 0x29: size = 2; store = 1; sign = 0; break;  /* sh */
	case 0x2b: size = 4; store = 1; sign = 0; break;  /* sw */
	default: return 1;
	}
	if (va < KSEG0 || va >= KSEG2) {
		vm_fail(vm, "emulated access to mapped address 0x%08x at epc 0x%08x", va, vm->f.pc);
		return -1;
	}
	if (mmio_access(vm, va, size, store, &v) < 0)
		return -1;
	if (!store && rt) {
		if (sign && size == 1) v = (uint32_t)(int32_t)(int8_t)v;
		if (sign && size == 2) v = (uint32_t)(int32_t)(int16_t)v;
		vm->f.r[rt] = v;
	}
	return 0;
}

void mmio_trap(struct vm *vm)
{
	uint32_t pc = vm->f.pc, insn, binsn, next = pc + 4;
	int bd = (vm->f.cause & CA_BD) != 0;
	if (gmem_fetch(vm, bd ? pc + 4 : pc, &insn) < 0 || (bd && gmem_fetch(vm, pc, &binsn) < 0)) {
		vm_fail(vm, "cannot read the instruction at epc 0x%08x", pc);
		return;
	}
	if (bd)
		branch_eval(&vm->f, pc, binsn, &next);
	int r = mmio_insn(vm, insn);
	if (r == 1)
		vm_fail(vm, "address error on 0x%08x by non-load/store 0x%08x at epc 0x%08x",
			vm->f.badvaddr, insn, pc);
	if (r == 0)
		vm->f.pc = next;
}
