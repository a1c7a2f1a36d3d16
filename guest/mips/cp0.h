/* cp0.h - the guest's CP0 accessors and constants (the guest is an ordinary MIPS OS: it
 * believes it runs in kernel mode and uses these directly). CP0_GET/CP0_SET are for the registers
 * that live on the VMM's special page when there is one (cp0page.h): a load or store there, an
 * mfc0/mtc0 otherwise. */
#ifndef GUEST_MIPS_CP0_H
#define GUEST_MIPS_CP0_H
#include <stdint.h>
#include "cp0page.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define mfc0(reg, sel) ({ uint32_t v_; \
	__asm__ volatile("mfc0 %0, $" STR(reg) ", " STR(sel) : "=r"(v_)); v_; })
#define mtc0(reg, sel, v) __asm__ volatile("mtc0 %0, $" STR(reg) ", " STR(sel) "\n\tehb" :: "r"((uint32_t)(v)) : "memory")
#define tlbop(op) __asm__ volatile(op "\n\tehb" ::: "memory")

/* The special page (kseg2 address) if the VMM offered one, else 0 (kmain.c). */
extern volatile uint32_t *cp0page;
#define CP0_GET(off, reg) (cp0page ? cp0page[(off) / 4] : mfc0(reg, 0))
#define CP0_SET(off, reg, v) do { uint32_t v__ = (v); \
	if (cp0page) cp0page[(off) / 4] = v__; else mtc0(reg, 0, v__); } while (0)

#define C0_INDEX 0
#define C0_RANDOM 1
#define C0_LO0 2
#define C0_LO1 3
#define C0_PAGEMASK 5
#define C0_WIRED 6
#define C0_HWRENA 7
#define C0_BADVADDR 8
#define C0_COUNT 9
#define C0_ENTRYHI 10
#define C0_COMPARE 11
#define C0_STATUS 12
#define C0_CAUSE 13
#define C0_EPC 14

#define ST_IE 1u
#define ST_EXL 2u
#define ST_KSU_USER 0x10u
#define ST_IM7 0x8000u
#define ST_BEV 0x00400000u

#define PTE_V 2u
#define PTE_D 4u
#define PTE_CACHED (3u << 3)
#define PTE_G 1u

#define KVA(pa) ((void *)(uintptr_t)((pa) + 0xC0000000u))
#define KPA(va) ((uint32_t)(uintptr_t)(va) - 0xC0000000u)

#endif
