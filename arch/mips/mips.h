/* mips.h - MIPS32r2 CP0 registers, bit fields and the few privileged instructions the VMM uses.
 * Only the VMM includes this; the guest OS has its own copy of what it needs (guest/mips/cp0.h). */
#ifndef ARCH_MIPS_MIPS_H
#define ARCH_MIPS_MIPS_H
#include <stdint.h>

/* CP0 register numbers (select 0 unless noted); plain numbers so mfc0()/mtc0() can paste them. */
#define CP0_INDEX 0
#define CP0_RANDOM 1
#define CP0_ENTRYLO0 2
#define CP0_ENTRYLO1 3
#define CP0_CONTEXT 4
#define CP0_PAGEMASK 5
#define CP0_WIRED 6
#define CP0_HWRENA 7
#define CP0_BADVADDR 8
#define CP0_COUNT 9
#define CP0_ENTRYHI 10
#define CP0_COMPARE 11
#define CP0_STATUS 12
#define CP0_CAUSE 13
#define CP0_EPC 14
#define CP0_PRID 15   /* select 1: EBase */
#define CP0_CONFIG 16
#define CP0_ERROREPC 30
#define CP0_DESAVE 31

#define ST_IE    0x00000001u
#define ST_EXL   0x00000002u
#define ST_ERL   0x00000004u
#define ST_KSU   0x00000018u
#define ST_KSU_SUP  0x00000008u
#define ST_KSU_USER 0x00000010u
#define ST_IM    0x0000ff00u
#define ST_IM7   0x00008000u
#define ST_BEV   0x00400000u
#define ST_CU0   0x10000000u

#define CA_EXC_SHIFT 2
#define CA_EXC   0x0000007cu
#define CA_IP    0x0000ff00u
#define CA_IP_SW 0x00000300u
#define CA_IP7   0x00008000u
#define CA_CE    0x30000000u
#define CA_TI    0x40000000u
#define CA_BD    0x80000000u

enum exc { EXC_INT = 0, EXC_MOD = 1, EXC_TLBL = 2, EXC_TLBS = 3, EXC_ADEL = 4, EXC_ADES = 5,
	   EXC_SYS = 8, EXC_BP = 9, EXC_RI = 10, EXC_CPU = 11, EXC_OV = 12, EXC_TR = 13 };

/* EntryLo fields. */
#define ELO_G 0x1u
#define ELO_V 0x2u
#define ELO_D 0x4u
#define ELO_C 0x38u
#define ELO_PFN_SHIFT 6
#define ELO_PFN(e) (((e) >> ELO_PFN_SHIFT) & 0xfffff)
#define EHI_ASID 0xffu
#define EHI_VPN2 0xffffe000u

#define TLB_ENTRIES 64
#define KSEG0 0x80000000u
#define KSEG1 0xa0000000u
#define KSEG2 0xc0000000u
#define KSEG3 0xe0000000u

#define STR_(x) #x
#define STR(x) STR_(x)
#define mfc0(reg, sel) ({ uint32_t v_; \
	__asm__ volatile("mfc0 %0, $" STR(reg) ", " STR(sel) : "=r"(v_)); v_; })
#define mtc0(reg, sel, v) __asm__ volatile("mtc0 %0, $" STR(reg) ", " STR(sel) "\n\tehb" :: "r"((uint32_t)(v)) : "memory")

static inline void tlbwr(void) { __asm__ volatile("tlbwr\n\tehb" ::: "memory"); }
static inline void tlbwi(void) { __asm__ volatile("tlbwi\n\tehb" ::: "memory"); }
static inline void tlbr(void) { __asm__ volatile("tlbr\n\tehb" ::: "memory"); }
static inline void tlbp(void) { __asm__ volatile("tlbp\n\tehb" ::: "memory"); }

static inline void *kseg0(uint32_t pa) { return (void *)(uintptr_t)(pa | KSEG0); }

#endif
