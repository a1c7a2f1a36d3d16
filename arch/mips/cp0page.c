/* cp0page.c - keeping the special page and the virtual CP0 consistent (see cp0page.h and the ABI
 * in guest/mips/cp0page.h).
 *
 * The rule is one owner at a time. While the guest runs, the page is its CP0: its kernel's loads
 * and stores go there and nothing traps. When anything traps, vmm_trap() calls cp0page_pull()
 * first, so every register the guest may have stored is in struct vcp0 before dispatch, the
 * refill path, eret or the timer look at it. The VMM then works on struct vcp0 alone (reflect()
 * sets EPC, Cause, BadVAddr, Context, EntryHi and EXL there, as without the page), and
 * cp0page_push() writes the result back at the very end of prepare(), when the VM is about to
 * run. Because the page always equals struct vcp0 after a push, a word that differs at the next
 * pull is exactly a store by the guest: we apply it like the mtc0 it replaces (same masks). A
 * guest that never touches the page therefore sees no difference at all.
 *
 * Only the guest kernel can reach the page (kseg2; a process gets an address error). So the push
 * is done only when the VM resumes in kernel mode, and the pull only when it trapped in kernel
 * mode: a process's traps the VMM handles alone (an L2 TLB hit) pay neither, and the kernel only
 * runs again after the VMM delivers it an exception, which ends in a push. */
#include "cp0page.h"
#include "cp0_emul.h"
#include "gmem.h"
#include "mips.h"
#include "../../guest/mips/cp0page.h"
#include "../../lib/kstring.h"

#define W(off) (vm->cp0page[(off) / 4])

int cp0page_setup(struct vm *vm)
{
	/* The page is ordinary guest RAM, backed now (pmap backs on first touch) and reached by the
	 * VMM through kseg0; the guest reaches it through its own kseg2 window. */
	vm->cp0page = gmem_ptr(vm, CP0PAGE_GPA);
	if (!vm->cp0page)
		return -1;
	memset(vm->cp0page, 0, 4096);
	cp0page_push(vm);
	/* The boot environment: envp -> { name, value, 0 } at guest-physical 0x2100. */
	static const char name[] = CP0PAGE_ENV, value[] = "0x00001000";
	_Static_assert(CP0PAGE_GPA == 0x1000u, "value above names the page");
	uint32_t env[4] = { 0x80002110u, 0x80002130u, 0, 0 };
	unsigned char *p = gmem_ptr(vm, 0x2100);
	if (!p)
		return -1;
	memcpy(p, env, sizeof env);
	memcpy(p + 0x10, name, sizeof name);
	memcpy(p + 0x30, value, sizeof value);
	vm->f.r[6] = 0x80002100u;
	return 0;
}

/* A word that differs from the virtual register is a guest store: do what its mtc0 would do. */
#define TAKE(off, field, reg) do { \
		if (W(off) != vm->c.field) { \
			cp0_write_reg(vm, reg, 0, W(off)); \
			vm->st.page_writes++; \
		} \
	} while (0)

void cp0page_pull(struct vm *vm)
{
	/* Trapping from a process: its kernel has not run since the last push (nor has the page
	 * been pushed since the kernel last ran, so do not compare): nothing to take in. */
	if (!guest_kernel(vm))
		return;
	TAKE(CPG_STATUS, status, CP0_STATUS);
	TAKE(CPG_EPC, epc, CP0_EPC);
	TAKE(CPG_ENTRYHI, entryhi, CP0_ENTRYHI);
	TAKE(CPG_ENTRYLO0, entrylo0, CP0_ENTRYLO0);
	TAKE(CPG_ENTRYLO1, entrylo1, CP0_ENTRYLO1);
}

void cp0page_push(struct vm *vm)
{
	const struct vcp0 *c = &vm->c;
	W(CPG_MAGIC) = CP0PAGE_MAGIC;
	W(CPG_STATUS) = c->status;
	W(CPG_CAUSE) = c->cause;
	W(CPG_EPC) = c->epc;
	W(CPG_BADVADDR) = c->badvaddr;
	W(CPG_ENTRYHI) = c->entryhi;
	W(CPG_ENTRYLO0) = c->entrylo0;
	W(CPG_ENTRYLO1) = c->entrylo1;
	W(CPG_CONTEXT) = c->context;
}
