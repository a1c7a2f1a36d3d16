/* hypercall.c - the para-virtual interface (seed B.5): calls from a guest kernel that knows it
 * runs under this VMM (guest/x86/include/hypercall.h is the ABI, docs/hypercalls.md explains it).
 *
 * A hypercall is `int 0x82` at the guest's ring 0 with HC_MAGIC in EAX's high half. It reaches
 * the VMM as a software interrupt through the real IDT (the guest's gate for 0x82 lets ring 1 in)
 * and is done here instead of being reflected into the guest's IDT; anything else on vector 0x82
 * is reflected as before. Every argument is checked: a bad one is an error code in EAX, never a
 * stopped VM. */
#include "vm.h"
#include "../../../guest/x86/include/hypercall.h"

static void put(struct trapframe *tf, int32_t v)
{
	tf->rax = (uint32_t)v;
}

/* HC_CONSOLE_WRITE: the bytes go where the guest's COM1 output goes (its console, vconsole.c). */
static int32_t console_write(struct vm *vm, uint32_t la, uint32_t len)
{
	if (len > HC_CONSOLE_MAX)
		return HC_EINVAL;
	char buf[256];
	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < sizeof buf ? len - done : (uint32_t)sizeof buf, e, fa;
		/* (read as the guest kernel would: through its page tables, with its rights) */
		if ((uint64_t)la + done + n > (1ULL << 32) || guest_read(vm, la + done, buf, n, 0, &e, &fa) < 0)
			return done ? (int32_t)done : HC_EFAULT;
		for (uint32_t i = 0; i < n; i++)
			vm_console_putc(vm, buf[i]);
		done += n;
	}
	return (int32_t)len;
}

int hypercall(struct vm *vm, struct trapframe *tf)
{
	uint32_t eax = (uint32_t)tf->rax;
	if (guest_cpl(tf) != 0 || (eax & 0xFFFF0000u) != HC_MAGIC)
		return 0;                          /* the guest's own int 0x82: reflected */
	vm_count(vm, EXIT_HYPERCALL);
	switch (eax & 0xFFFF) {
	case HC_PROBE:
		tf->rbx = HC_SIGNATURE;
		tf->rcx = HC_VERSION;
		tf->rdx = (1u << HC_NCALLS) - 1;
		put(tf, 0);
		break;
	case HC_CONSOLE_WRITE:
		put(tf, console_write(vm, (uint32_t)tf->rbx, (uint32_t)tf->rcx));
		break;
	case HC_YIELD:
		vm_yield();
		put(tf, 0);
		break;
	case HC_BLOCK:
		/* What `sti; hlt` does (emulate.c), without the two traps: the VM sleeps until an
		 * interrupt, which is delivered on the way back with its frame after this int 0x82. */
		vm->vif = FL_IF;
		vm->halted = 1;
		vm_count(vm, EXIT_HLT);
		put(tf, 0);
		break;
	default:
		put(tf, HC_ENOSYS);
	}
	return 1;
}
