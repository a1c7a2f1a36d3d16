/* asm_offsets.c - the structure offsets and constants direct.asm uses, as nasm `equ` lines.
 *
 * Not linked into the VMM: the Makefile compiles it to assembly and turns each "->NAME value"
 * marker into `NAME equ value` ($(B)/asm_offsets.inc), so the assembly follows struct vm as it
 * changes. */
#include <stddef.h>
#include "vm.h"
#include "direct.h"
#include "patch.h"

#define DEF(name, val) __asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"((long)(val)))

void asm_offsets(void);
void asm_offsets(void)
{
	DEF(VM_VIF, offsetof(struct vm, vif));
	DEF(VM_VIOPL, offsetof(struct vm, viopl));
	DEF(VM_SEG_GEN, offsetof(struct vm, seg_gen));
	DEF(VM_EXITS, offsetof(struct vm, exits));
	DEF(VM_PROF_N, offsetof(struct vm, prof_n));
	DEF(VM_PROF_CYCLES, offsetof(struct vm, prof_cycles));
	DEF(VM_FAST_EXITS, offsetof(struct vm, fast_exits));
	DEF(VM_DIRECT_EXITS, offsetof(struct vm, direct_exits));
	DEF(VM_SH_ROOT, offsetof(struct vm, sh.root));
	DEF(VM_SH_GEN, offsetof(struct vm, sh.gen));
	DEF(VM_PT_GEN, offsetof(struct vm, pt.gen));
	DEF(VM_PT_P, offsetof(struct vm, pt.p));
	DEF(VM_PT_LCACHE, offsetof(struct vm, pt.lcache));
	DEF(LHIT_LA, offsetof(struct patch_lhit, la));
	DEF(LHIT_IDX, offsetof(struct patch_lhit, idx));
	DEF(LHIT_GEN, offsetof(struct patch_lhit, gen));
	DEF(LHIT_SGEN, offsetof(struct patch_lhit, sgen));
	DEF(LHIT_ROOT, offsetof(struct patch_lhit, root));
	DEF(LHIT_SIZE, sizeof(struct patch_lhit));
	DEF(PATCH_SIZE, sizeof(struct patch));
	DEF(PATCH_LEN, offsetof(struct patch, len));
	DEF(PATCH_KIND, offsetof(struct patch, kind));
	DEF(PATCH_CACHE_SLOTS, PATCH_CACHE);
	DEF(K_IRET, X86_K_IRET);
	DEF(K_PUSHF, X86_K_PUSHF);
	DEF(K_POPF, X86_K_POPF);
	DEF(EXIT_PRIV_K, EXIT_PRIV);
	DEF(EXIT_PATCH_K, EXIT_PATCH);
	DEF(EXIT_SYSCALL_K, EXIT_SYSCALL);
	DEF(D_UNTIL, offsetof(struct direct, until));
	DEF(D_VM, offsetof(struct direct, vm));
	DEF(D_SEG_GEN, offsetof(struct direct, seg_gen));
	DEF(D_KCS, offsetof(struct direct, kcs));
	DEF(D_KSS, offsetof(struct direct, kss));
	DEF(D_UCS, offsetof(struct direct, ucs));
	DEF(D_USS, offsetof(struct direct, uss));
	DEF(D_SYS_OK, offsetof(struct direct, sys_ok));
	DEF(D_SYS_EIP, offsetof(struct direct, sys_eip));
	DEF(D_SYS_VIF, offsetof(struct direct, sys_vif));
	DEF(D_KSTACK, offsetof(struct direct, kstack));
	DEF(FL_IF_B, FL_IF);
	DEF(FL_IOPL_B, FL_IOPL);
	DEF(FL_USER_B, FL_USER);
	DEF(FL_VIFVIP_B, FL_VIF | FL_VIP);
	DEF(FL_TF_B, FL_TF);
	DEF(FL_NT_B, FL_NT);
	DEF(FL_RF_B, FL_RF);
	DEF(FL_VM_B, FL_VM);
}

_Static_assert((PATCH_CACHE & (PATCH_CACHE - 1)) == 0, "direct.asm finds a patch_at cache slot with a mask");
