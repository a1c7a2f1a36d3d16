/* hypercall.c - the para-virtual interface (seed B.5): calls from a guest kernel that knows it
 * runs under this VMM (guest/x86/include/hypercall.h is the ABI, docs/hypercalls.md explains it).
 *
 * A hypercall is `int 0x82` at the guest's ring 0 with HC_MAGIC in EAX's high half. It reaches
 * the VMM as a software interrupt through the real IDT (the guest's gate for 0x82 lets ring 1 in)
 * and is done here instead of being reflected into the guest's IDT; anything else on vector 0x82
 * is reflected as before. Every argument is checked: a bad one is an error code in EAX, never a
 * stopped VM. */
#include "vm.h"
#include "../mmu/traced.h"
#include "../mmu/overcommit.h"
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

/* HC_MMU_UPDATE: many page-table writes for one trap, instead of one trap each (a traced
 * table's write faults; every write under shadow=trace). Each is a store the guest could have
 * made itself, with the same effects on the shadows (gmem.c guest_phys_store). With HC_MMU_CR3 in
 * `cr3`, the batch ends with the guest's mov to CR3 (a new address space, or the same one again:
 * the TLB flush after the batch), in the same trap. */
static int32_t mmu_update(struct vm *vm, uint32_t la, uint32_t n, uint32_t cr3, uint32_t *done)
{
	struct hc_mmu_update u[64];
	*done = 0;
	if (n > HC_MMU_MAX || (cr3 && (!(cr3 & HC_MMU_CR3) || (cr3 >> 12) >= vm->pmap.nframes)))
		return HC_EINVAL;
	while (*done < n) {
		uint32_t k = n - *done < 64 ? n - *done : 64, e, fa;
		if ((uint64_t)la + (uint64_t)(*done + k) * sizeof u[0] > (1ULL << 32) ||
		    guest_read(vm, la + *done * (uint32_t)sizeof u[0], u, k * (uint32_t)sizeof u[0], 0, &e, &fa) < 0)
			return HC_EFAULT;
		for (uint32_t i = 0; i < k; i++, ++*done)
			if ((u[i].gpa & 3) || guest_phys_store(vm, u[i].gpa, &u[i].val, 4) < 0)
				return HC_EINVAL;
	}
	if (cr3) {
		vm->cr3 = cr3 & ~0xFFFu;
		guest_cr3_written(vm);              /* (what emulate.c does for mov cr3) */
	}
	return (int32_t)n;
}

/* HC_FRAME_FREE: the guest frees gfn (seed B.5: the VMM cannot tell a free page from a used one).
 * Whatever the VMM keeps about the frame goes first -- patches of scanned code, shadows built
 * from it as a page table, every shadow mapping of it -- then its machine frame (pmap_release);
 * the next touch backs it with a zeroed one, so the guest need not zero it again. A frame that
 * holds the guest's descriptor tables or its current page directory is in use: refused. */
static int32_t frame_free_call(struct vm *vm, uint32_t gfn)
{
	if (gfn >= vm->pmap.nframes || seg_traced(vm, gfn))
		return HC_EINVAL;
	if (vm->sh.tr && traced_is_table(vm, gfn) && traced_unshadow(vm, gfn) < 0)
		return HC_EINVAL;
	if (vm->pmap.p2m[gfn] == PMAP_NONE)
		return 0;                           /* never touched: nothing to give back */
	if (patch_scanned(vm, gfn))
		shadow_code_written(vm, gfn);       /* (its patches go; the page is unscanned) */
	shadow_drop_frame(vm, gfn);
	pmap_release(&vm->pmap, gfn);
	return 0;
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
	case HC_SET_KSTACK:
		/* From now on traps from ring 3 switch to this stack without reading the TSS (reflect.c);
		 * the selector is checked where it is used, as the TSS's would be. */
		if (tf->rcx > 0xFFFF) {
			put(tf, HC_EINVAL);
			break;
		}
		vm->pv_kstack[0] = (uint32_t)tf->rbx;
		vm->pv_kstack[1] = (uint32_t)tf->rcx;
		put(tf, 0);
		break;
	case HC_FRAME_FREE:
		put(tf, frame_free_call(vm, (uint32_t)tf->rbx));
		break;
	case HC_BALLOON:
		/* The guest's balloon driver: how big its balloon is; the answer is how big it should
		 * be (mmu/overcommit.c sets it: the operator's floor, and more while memory is short). */
		put(tf, balloon_call(vm, (uint32_t)tf->rbx));
		break;
	case HC_MMU_UPDATE: {
		uint32_t done;
		int32_t r = mmu_update(vm, (uint32_t)tf->rbx, (uint32_t)tf->rcx, (uint32_t)tf->rdx, &done);
		if (r < 0)
			tf->rdx = done;
		put(tf, r);
		break;
	}
	default:
		put(tf, HC_ENOSYS);
	}
	return 1;
}
