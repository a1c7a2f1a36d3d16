/* fuzz.h - what fuzz.c (the harness), gen.c (the round generator) and entry.asm share: the round's
 * address-space layout, the save area the recovery path fills, the observation of a round. */
#ifndef FUZZ_H
#define FUZZ_H
#include <stdint.h>

/* A round's 4 MiB, as its code sees them (linear addresses; PDE 1). The stack is at the top, far
 * above the code and the scratch pages, so that a loop pushing until its time runs out writes
 * junk pages, not the round's pseudo-descriptors (which would make its next lidt fatal). */
#define ROUND_BASE    0x00400000u
#define SCRATCH       ROUND_BASE                /* SCRATCH_PAGES writable pages */
#define SCRATCH_PAGES 4
#define SGDT_IMG      (SCRATCH + 0x1000u)       /* a GDT image (64 entries) */
#define SIDT_IMG      (SCRATCH + 0x2000u)       /* an IDT image (256 gates) */
#define PSEUDO        (SCRATCH + 0x2800u)       /* 16 pseudo-descriptors, 8 bytes apart */
#define FARPTRS       (SCRATCH + 0x2900u)       /* 16 far pointers, 8 bytes apart */
#define CODE          (ROUND_BASE + 0x200000u)  /* one read-only page: int3s, then the random code */
#define STACKS        (ROUND_BASE + 0x3FC000u)  /* STACK_PAGES writable pages */
#define STACK_PAGES   4
#define STACK_TOP     (STACKS + 0x2000u)        /* the initial ESP (two pages of stack above it) */
#define GDT_ENTRIES   16

/* entry.asm's save area (its S_* offsets). */
struct gsave {
	uint32_t vec, eax, ecx, edx, ebx, esp, ebp, esi, edi, ds, es, fs, gs, ss, nf, f[6], cr2, how;
};

/* A round's observation: its digest is a hash of these words, in this order. */
struct obs {
	uint32_t vec, how, ring3, nf, f[6], eax, ecx, edx, ebx, esp, ebp, esi, edi, ds, es, fs, gs, ss,
		cr2, cr0, cr4, hash;
};
#define OBS_IRQ 0x100   /* vec = OBS_IRQ + n: hardware IRQ n ended the round (n = 0: the budget) */

/* What gen_round made. */
struct round {
	int ring3;
	uint32_t entry;          /* where the code starts (linear; it ends at the page's end) */
	uint32_t frame;          /* linear address (round space) of popad's 8 words + the iret frame */
	int touched_tr;          /* the code may run lldt/ltr: reload TR and LDTR after it */
	int touched_msr;         /* the code may write the SYSENTER MSRs: zero them after it */
};

struct __attribute__((packed)) pseudo { uint16_t limit; uint32_t base; };

/* entry.asm */
extern char trap_stubs[], df_entry[], gate_start[], gate_end[], _end[], gstack_top[];
extern uint64_t gidt[256], ggdt[GDT_ENTRIES];
extern struct pseudo hgdtr, hidtr;
extern uint32_t hcr3_copy, gtss_main[26], gtss_df[26];
extern struct gsave gsave;
void run_round(uint32_t cr3, uint32_t frame, int ring3);
void fpu_reset(void);

/* fuzz.c */
uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags);
extern uint8_t code0[4096], code3[4096], scratch[SCRATCH_PAGES][4096], stackp[STACK_PAGES][4096], junk[4096];
extern uint64_t pristine_gdt[GDT_ENTRIES];

/* gen.c */
void gen_round(uint32_t seed, uint32_t r, struct round *rd);

#endif
