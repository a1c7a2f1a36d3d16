/* fast.h - what the fast paths (fastpath.c, reflect_fast in reflect.c) check and how they touch
 * guest memory: segments that are flat (the case they take), and loads and stores through the
 * VM's active shadow (gcopy.asm) that give up where the software walk would be needed. */
#ifndef ARCH_FAST_H
#define ARCH_FAST_H
#include "vm.h"

/* The guest's stack and code segments must be what nearly every OS uses: flat 4 GiB, 32-bit,
 * base 0, from the GDT. The descriptor is the ring-compressed copy the CPU runs on. */
#define D_FLAT_MASK   0xFFEF98FFFFFFFFFFULL   /* base, limit, G, D/B, L, P, S, the code bit */
#define D_FLAT_CODE   0x00CF98000000FFFFULL   /* base 0, G, D, P, S, code, limit 0xFFFFF */
#define D_FLAT_DATA   0x00CF90000000FFFFULL   /* ... data */
#define D_WRITABLE    (1ULL << 41)
#define D_CODE        (1ULL << 43)
#define D_PRESENT     (1ULL << 47)
#define D_DPL(d)      (((d) >> 45) & 3)

static inline uint64_t gdt_desc(const struct vm *vm, uint16_t sel)
{
	unsigned idx = sel >> 3;
	return (sel & 4) || idx == 0 || idx >= vm->gdt_n ? 0 : vm->gdt[idx];
}

/* A flat data segment the guest can use as its stack at guest ring `cpl` (0 means real ring 1). */
static inline int flat_stack(const struct vm *vm, uint16_t sel, unsigned cpl)
{
	uint64_t d = gdt_desc(vm, sel);
	return (d & D_FLAT_MASK) == D_FLAT_DATA && (d & D_WRITABLE) && D_DPL(d) == (cpl ? cpl : 1);
}

static inline int flat_code(const struct vm *vm, uint16_t sel, unsigned cpl)
{
	uint64_t d = gdt_desc(vm, sel);
	return (d & D_FLAT_MASK) == D_FLAT_CODE && D_DPL(d) == (cpl ? cpl : 1);
}

/* A CS:SS pair (real selectors) that is flat, as fast paths need: the guest kernel's (cpl 0: RPL
 * 1, c = &vm->kflat) or a process's (cpl 3: RPL 3, c = &vm->uflat). The last pair found so is
 * remembered in c until the real tables change (seg_gen). */
static inline int flat_pair(struct vm *vm, struct flat_pair *c, uint16_t cs, uint16_t ss, unsigned cpl)
{
	if (cs == c->cs && ss == c->ss && c->gen == vm->seg_gen)
		return 1;
	unsigned rpl = cpl ? cpl : 1;
	if ((cs & 3) != rpl || (ss & 3) != rpl || !flat_code(vm, cs, cpl) || !flat_stack(vm, ss, cpl))
		return 0;
	*c = (struct flat_pair){ cs, ss, vm->seg_gen };
	return 1;
}

/* The guest kernel runs on a flat CS and SS. */
static inline int flat_kernel(struct vm *vm, const struct trapframe *tf)
{
	return flat_pair(vm, &vm->kflat, (uint16_t)tf->cs, (uint16_t)tf->ss, 0);
}

/* n bytes at guest-linear la, through the shadow: 1 done, 0 not mapped so (give up). */
static inline int gread(uint32_t la, void *buf, uint32_t n)
{
	return (uint64_t)la + n <= (1ULL << 32) && gcopy(buf, (const void *)(uintptr_t)la, n) == 0;
}

static inline int gwrite(uint32_t la, const void *buf, uint32_t n)
{
	return (uint64_t)la + n <= (1ULL << 32) && gcopy((void *)(uintptr_t)la, buf, n) == 0;
}

#endif
